// The two table formats behind the connector (table_format.hpp): the raw one keeps the original
// tables' statements byte for byte; the typed one binds typed_coercer's values, marks hard CDC
// deletes, and finds keys, order and CDC rows again in rows read back from a staging table.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "airbyte/config.hpp"
#include "airbyte/dedup.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/table_format.hpp"
#include "unit/typed_test_util.hpp"

namespace {

using namespace airbyte;
using cql::cql_value;
using typed_test::stream;

std::unique_ptr<stream_format> format_of(const configured_stream& s, table_format f, bool soft = false) {
    connector_config cfg;
    cfg.format = f;
    cfg.cdc_soft = soft;
    std::string error;
    auto out = make_stream_format(cfg, s, error);
    EXPECT_TRUE(out) << error;
    return out;
}

struct bound {
    message_scanner scanner;
    scanned_message m;
    record_values v;
    std::optional<std::string> bind(stream_format& f, const std::string& data) {
        std::string error;
        line = R"({"type":"RECORD","record":{"stream":"s","emitted_at":5,"data":)" + data + "}}";
        EXPECT_TRUE(scanner.scan(line, m, error)) << error;
        cql::uuid_bytes id{};
        id[0] = 1;
        return f.bind(m, id, v);
    }
    std::string line;
};

const char* dedup_extra = R"("primary_key":[["id"]],"cursor_field":["c"])";

TEST(RawFormat, StatementsAreTheOriginalTables) {
    auto f = format_of(stream(R"({"id":{"type":"integer"}})"), table_format::raw);
    EXPECT_EQ(f->create_table("ks", "t"),
              R"(CREATE TABLE IF NOT EXISTS "ks"."t" ("_airbyte_ab_id" uuid PRIMARY KEY, "_airbyte_data" text, "_airbyte_emitted_at" timestamp))");
    EXPECT_EQ(f->insert_query("ks", "t", false, 0),
              R"(INSERT INTO "ks"."t" ("_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at") VALUES (?, ?, ?))");
    EXPECT_EQ(f->insert_query("ks", "t", false, 60),
              R"(INSERT INTO "ks"."t" ("_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at") VALUES (?, ?, ?) USING TTL ?)");
    EXPECT_THAT(f->row_key(), ::testing::ElementsAre("_airbyte_ab_id"));
    bound b;
    ASSERT_FALSE(b.bind(*f, R"({"id":1})"));
    ASSERT_EQ(b.v.columns.size(), 3u);
    EXPECT_EQ(b.v.columns[1], cql_value{std::string(R"({"id":1})")});
    EXPECT_EQ(b.v.columns[2], cql_value{std::int64_t{5}});
}

TEST(RawFormat, DedupBindsKeyAndOrderFirst) {
    auto f = format_of(stream(R"({"id":{"type":"integer"},"c":{"type":"integer"}})", "append_dedup", dedup_extra), table_format::raw);
    EXPECT_EQ(f->insert_query("ks", "t", true, 60),
              R"(INSERT INTO "ks"."t" ("id", "_airbyte_cursor_order", "_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at") )"
              R"(VALUES (?, ?, ?, ?, ?) USING TIMESTAMP ? AND TTL ?)");
    EXPECT_EQ(f->delete_older_query("ks", "t"),
              R"(DELETE FROM "ks"."t" USING TIMESTAMP ? WHERE "id" = ? AND "_airbyte_cursor_order" < ?)");
    bound b;
    ASSERT_FALSE(b.bind(*f, R"({"id":7,"c":3,"_ab_cdc_deleted_at":"x"})"));
    EXPECT_FALSE(b.v.cdc_delete);  // raw tables keep every record as it is
    ASSERT_EQ(b.v.columns.size(), 5u);
    EXPECT_EQ(b.v.columns[0], cql_value{std::int64_t{7}});
    ASSERT_EQ(b.v.delete_values.size(), 3u);
    EXPECT_EQ(b.v.delete_values[0], cql_value{dedup_write_timestamp});
    std::vector<cql_value> del;
    f->row_delete_values(b.v.columns, del);
    EXPECT_EQ(del, b.v.delete_values);
    EXPECT_THAT(*b.bind(*f, R"({"c":3})"), ::testing::HasSubstr("id"));
}

TEST(TypedFormat, ColumnsAreTheLayoutsAndRowsGiveKeysBack) {
    const auto s = stream(R"({"id":{"type":"integer"},"c":{"type":"integer"},"_ab_cdc_deleted_at":{"type":["null","string"]}})",
                          "append_dedup", dedup_extra);
    auto f = format_of(s, table_format::typed);
    table_layout l;
    ASSERT_FALSE(make_typed_layout(s, l));
    EXPECT_EQ(f->columns(), typed_columns(l));
    EXPECT_EQ(f->insert_query("ks", "t", true, 0), typed_insert_query(l, "ks", "t", {.timestamp = true}));
    bound b;
    ASSERT_FALSE(b.bind(*f, R"({"id":7,"c":3})"));
    EXPECT_FALSE(b.v.cdc_delete);
    std::vector<cql_value> del;
    f->row_delete_values(b.v.columns, del);
    EXPECT_EQ(del, b.v.delete_values);
    EXPECT_FALSE(f->row_is_cdc_delete(b.v.columns));
    ASSERT_FALSE(b.bind(*f, R"({"id":7,"c":4,"_ab_cdc_deleted_at":"2024-01-01"})"));
    EXPECT_TRUE(b.v.cdc_delete);
    EXPECT_TRUE(f->row_is_cdc_delete(b.v.columns));
    auto soft = format_of(s, table_format::typed, true);
    ASSERT_FALSE(b.bind(*soft, R"({"id":7,"c":4,"_ab_cdc_deleted_at":"2024-01-01"})"));
    EXPECT_FALSE(b.v.cdc_delete);
    EXPECT_FALSE(soft->row_is_cdc_delete(b.v.columns));
}

TEST(TypedFormat, UndeclaredCdcFieldIsFoundInAdditionalProperties) {
    auto f = format_of(stream(R"({"id":{"type":"integer"}})", "append_dedup", R"("primary_key":[["id"]])"), table_format::typed);
    bound b;
    ASSERT_FALSE(b.bind(*f, R"({"id":1,"_ab_cdc_deleted_at":"2024-01-01"})"));
    EXPECT_TRUE(b.v.cdc_delete);
    EXPECT_TRUE(f->row_is_cdc_delete(b.v.columns));
    ASSERT_FALSE(b.bind(*f, R"({"id":1,"_ab_cdc_deleted_at":null,"x":"_ab_cdc_deleted_at"})"));
    EXPECT_FALSE(b.v.cdc_delete);
    EXPECT_FALSE(f->row_is_cdc_delete(b.v.columns));
}

TEST(TypedFormat, KeyedAppendRowsAreNamedByKeyTimeAndId) {
    auto f = format_of(stream(R"({"id":{"type":"integer"}})", "append", R"("primary_key":[["id"]])"), table_format::typed);
    EXPECT_THAT(f->row_key(), ::testing::ElementsAre("id", "_airbyte_extracted_at", "_airbyte_raw_id"));
    EXPECT_EQ(f->written_column(), "_airbyte_meta");
    auto g = format_of(stream(R"({"id":{"type":"integer"}})"), table_format::typed);
    EXPECT_THAT(g->row_key(), ::testing::ElementsAre("_airbyte_raw_id"));
}

TEST(TypedFormat, AFailedReconcileKeepsTheLayout) {
    auto f = format_of(stream(R"({"id":{"type":"integer"},"v":{"type":"integer"}})"), table_format::typed);
    const auto before = f->columns();
    std::vector<airbyte::schema_column> have = {{"_airbyte_raw_id", "uuid", "partition_key", 0, "none"},
                                                {"v", "boolean", "regular", -1, "none"}};
    std::vector<std::string> alters;
    auto e = f->reconcile(have, "ks", "t", alters);
    ASSERT_TRUE(e);
    EXPECT_THAT(*e, ::testing::AllOf(::testing::HasSubstr("boolean"), ::testing::HasSubstr("bigint")));
    EXPECT_EQ(f->columns(), before);
    EXPECT_TRUE(f->rebuilds_at_commit());
}

}  // namespace
