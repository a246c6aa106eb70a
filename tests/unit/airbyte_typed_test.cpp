// typed tables: schema properties from the catalog, the type table, column naming, the CQL text of
// every layout (CREATE, INSERT, the dedup and CDC deletes), schema evolution, and the value
// conversions (exact decimals, bigints, dates, times, timestamps).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "airbyte/catalog.hpp"
#include "airbyte/typed_table.hpp"
#include "airbyte/typed_values.hpp"
#include "unit/typed_test_util.hpp"

using namespace airbyte;
using namespace airbyte::typed;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using typed_test::decimal_text;
using typed_test::stream;

namespace {

column_kind kind(const std::string& property_schema) {
    auto s = stream(R"({"p":)" + property_schema + "}");
    EXPECT_EQ(s.properties.size(), 1u) << property_schema;
    return s.properties.empty() ? column_kind::double_ : kind_of(s.properties[0]);
}

table_layout layout(const configured_stream& s) {
    table_layout l;
    auto e = make_typed_layout(s, l);
    EXPECT_FALSE(e) << *e;
    return l;
}

std::vector<std::string> names(const table_layout& l) {
    std::vector<std::string> out;
    for (const auto& c : l.columns) out.push_back(c.name);
    return out;
}

}  // namespace

TEST(TypedCatalog, PropertiesKeepTypeFormatAndOrder) {
    auto s = stream(R"({"id":{"type":"integer"},"at":{"type":["null","string"],"format":"date-time","airbyte_type":"timestamp_with_timezone"},)"
                    R"("u":{"oneOf":[{"type":"string"},{"type":"integer"}]},"r":{"$ref":"WellKnownTypes.json#/definitions/Date"},)"
                    R"("_ab_cdc_deleted_at":{"type":["null","string"]}})",
                    "append", R"("sync_id":42)");
    ASSERT_EQ(s.properties.size(), 5u);
    EXPECT_EQ(s.properties[0].name, "id");
    EXPECT_THAT(s.properties[0].types, ElementsAre("integer"));
    EXPECT_THAT(s.properties[1].types, ElementsAre("null", "string"));
    EXPECT_EQ(s.properties[1].format, "date-time");
    EXPECT_EQ(s.properties[1].airbyte_type, "timestamp_with_timezone");
    EXPECT_TRUE(s.properties[2].any_of);
    EXPECT_EQ(s.properties[3].ref, "WellKnownTypes.json#/definitions/Date");
    EXPECT_TRUE(has_cdc_deleted_at(s));
    EXPECT_FALSE(has_cdc_deleted_at(stream(R"({"id":{"type":"integer"}})")));
    EXPECT_EQ(s.sync_id, 42);
    EXPECT_FALSE(stream("{}").sync_id.has_value());
}

TEST(TypedCatalog, KeyInEveryMode) {
    auto a = stream(R"({"id":{"type":"integer"}})", "append", R"("primary_key":[["id"]])");
    ASSERT_EQ(a.typed_key.size(), 1u);
    EXPECT_EQ(a.typed_key[0].column, "id");
    EXPECT_TRUE(a.primary_key.empty());  // the raw tables are unchanged
    auto src = stream(R"({"id":{"type":"integer"}})", "overwrite", "", R"("source_defined_primary_key":[["id"]])");
    ASSERT_EQ(src.typed_key.size(), 1u);
    auto bad = stream(R"({"id":{"type":"integer"}})", "append", R"("primary_key":[["id"],[5]])");
    EXPECT_TRUE(bad.typed_key.empty());
    auto nested = stream(R"({"a":{"type":"object","properties":{"b":{"type":"integer"}}}})", "append", R"("primary_key":[["a","b"]])");
    ASSERT_EQ(nested.typed_key.size(), 1u);
    EXPECT_EQ(nested.typed_key[0].column, "a.b");
    EXPECT_EQ(nested.typed_key[0].type, key_type::bigint);
}

TEST(TypedKinds, TypeTable) {
    EXPECT_EQ(kind(R"({"type":"boolean"})"), column_kind::boolean);
    EXPECT_EQ(kind(R"({"type":"integer"})"), column_kind::bigint);
    EXPECT_EQ(kind(R"({"type":["null","integer"]})"), column_kind::bigint);
    EXPECT_EQ(kind(R"({"type":"number","airbyte_type":"integer"})"), column_kind::bigint);
    EXPECT_EQ(kind(R"({"type":"number"})"), column_kind::decimal);
    EXPECT_EQ(kind(R"({"type":"string"})"), column_kind::text);
    EXPECT_EQ(kind(R"({"type":"string","format":"date"})"), column_kind::date);
    EXPECT_EQ(kind(R"({"type":"string","format":"date-time"})"), column_kind::timestamp);
    EXPECT_EQ(kind(R"({"type":"string","airbyte_type":"timestamp_without_timezone"})"), column_kind::timestamp);
    EXPECT_EQ(kind(R"({"type":"string","format":"date-time","airbyte_type":"timestamp_with_timezone"})"), column_kind::timestamp);
    EXPECT_EQ(kind(R"({"type":"string","format":"time"})"), column_kind::time);
    EXPECT_EQ(kind(R"({"type":"string","format":"time","airbyte_type":"time_with_timezone"})"), column_kind::time);
    EXPECT_EQ(kind(R"({"type":"string","airbyte_type":"time_without_timezone"})"), column_kind::time);
    EXPECT_EQ(kind(R"({"type":"object","properties":{"a":{"type":"integer"}}})"), column_kind::json);
    EXPECT_EQ(kind(R"({"type":"array","items":{"type":"integer"}})"), column_kind::json);
    EXPECT_EQ(kind(R"({"type":["string","integer"]})"), column_kind::json);
    EXPECT_EQ(kind(R"({"oneOf":[{"type":"string"},{"type":"integer"}]})"), column_kind::json);
    EXPECT_EQ(kind(R"({"anyOf":[{"type":"string"}]})"), column_kind::json);
    EXPECT_EQ(kind(R"({})"), column_kind::json);
    EXPECT_EQ(kind(R"({"type":"null"})"), column_kind::json);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/Integer"})"), column_kind::bigint);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/Number"})"), column_kind::decimal);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/String"})"), column_kind::text);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/Boolean"})"), column_kind::boolean);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/Date"})"), column_kind::date);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/TimestampWithTimezone"})"), column_kind::timestamp);
    EXPECT_EQ(kind(R"({"$ref":"WellKnownTypes.json#/definitions/TimeWithoutTimezone"})"), column_kind::time);
    EXPECT_EQ(kind(R"({"$ref":"Other.json#/x"})"), column_kind::json);
    EXPECT_STREQ(column_kind_cql(column_kind::json), "text");
    EXPECT_STREQ(column_kind_cql(column_kind::decimal), "decimal");
    EXPECT_STREQ(column_kind_cql(column_kind::time), "time");
}

TEST(TypedNames, PropertiesKeepTheirNamesExactly) {
    auto l = layout(stream(R"({"Id":{"type":"integer"},"first name":{"type":"string"},"日本":{"type":"string"},"quo\"te":{}})"));
    EXPECT_THAT(names(l), ElementsAre("Id", "first name", "日本", "quo\"te"));
}

TEST(TypedNames, MetadataCollisionsAreRenamedDeterministically) {
    // "_airbyte_meta_1" is a property of its own: the renamed column skips it.
    auto l = layout(stream(R"({"_airbyte_meta":{"type":"string"},"_airbyte_meta_1":{"type":"string"},"_airbyte_raw_id":{},)"
                           R"("_airbyte_run":{"type":"integer"},"_airbyte_cursor_order":{},"_airbyte_other":{},"_airbyte_bucket":{},)"
                           R"("_airbyte_covered":{}})"));
    // _airbyte_run, _airbyte_bucket and _airbyte_covered are staging.hpp's columns.
    EXPECT_THAT(names(l), ElementsAre("_airbyte_meta_2", "_airbyte_meta_1", "_airbyte_raw_id_1", "_airbyte_run_1",
                                      "_airbyte_cursor_order_1", "_airbyte_other", "_airbyte_bucket_1", "_airbyte_covered_1"));
    EXPECT_EQ(l.columns[0].field, "_airbyte_meta");
    EXPECT_EQ(l.columns[3].kind, column_kind::bigint);
}

TEST(TypedNames, InvalidUtf8AndEmptyNamesAreRepaired) {
    // A lone surrogate escape decodes to bytes that are not UTF-8 (ED B0 80).
    auto l = layout(stream(R"({"a\udc00b":{},"":{},"a___b":{},"_":{}})"));
    EXPECT_THAT(names(l), ElementsAre("a___b_1", "__1", "a___b", "_"));
}

TEST(TypedNames, NestedKeyColumnAfterTheProperties) {
    auto s = stream(R"({"a":{"type":"object"},"a.b":{"type":"string"}})", "append_dedup", R"("primary_key":[["a","b"]])");
    auto l = layout(s);
    EXPECT_THAT(names(l), ElementsAre("a", "a.b", "a.b_1"));
    EXPECT_THAT(l.columns[2].path, ElementsAre("a", "b"));
    EXPECT_EQ(l.columns[2].kind, column_kind::text);  // no schema for a.b: text, as the raw tables
    EXPECT_THAT(l.key, ElementsAre(2u));
}

TEST(TypedDdl, AppendWithoutKey) {
    auto l = layout(stream(R"({"id":{"type":"integer"},"v":{"type":"number"}})"));
    EXPECT_EQ(typed_create_table(l, "ks", "t"),
              R"(CREATE TABLE IF NOT EXISTS "ks"."t" ("_airbyte_raw_id" uuid, "_airbyte_extracted_at" timestamp, )"
              R"("_airbyte_meta" text, "_airbyte_generation_id" bigint, "_airbyte_additional_properties" text, )"
              R"("id" bigint, "v" decimal, PRIMARY KEY (("_airbyte_raw_id"))))");
    EXPECT_EQ(typed_insert_query(l, "ks", "t"),
              R"(INSERT INTO "ks"."t" ("_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id", )"
              R"("_airbyte_additional_properties", "id", "v") VALUES (?, ?, ?, ?, ?, ?, ?))");
    EXPECT_EQ(typed_insert_bind_count(l), 7u);
    EXPECT_EQ(typed_insert_query(l, "ks", "t", {.timestamp = true, .ttl = true}).substr(typed_insert_query(l, "ks", "t").size()),
              " USING TIMESTAMP ? AND TTL ?");
    EXPECT_EQ(typed_insert_query(l, "ks", "t", {.timestamp = false, .ttl = true}).substr(typed_insert_query(l, "ks", "t").size()),
              " USING TTL ?");
    EXPECT_EQ(typed_insert_bind_count(l, {.timestamp = true, .ttl = true}), 9u);
}

TEST(TypedDdl, AppendWithKeyIsReadByTheKey) {
    auto l = layout(stream(R"({"id":{"type":"integer"},"day":{"type":"string","format":"date"}})", "append",
                           R"("primary_key":[["id"],["day"]])"));
    EXPECT_THAT(typed_create_table(l, "ks", "t"),
                HasSubstr(R"("id" bigint, "day" date, PRIMARY KEY (("id", "day"), "_airbyte_extracted_at", "_airbyte_raw_id")) )"
                          R"(WITH CLUSTERING ORDER BY ("_airbyte_extracted_at" DESC, "_airbyte_raw_id" ASC))"));
}

TEST(TypedDdl, Dedup) {
    auto s = stream(R"({"id":{"type":"integer"},"name":{"type":"string"},"o":{"type":"object"}})", "append_dedup",
                    R"("primary_key":[["id"]],"cursor_field":["name"])");
    auto l = layout(s);
    EXPECT_EQ(typed_create_table(l, "ks", "stg"),
              R"(CREATE TABLE IF NOT EXISTS "ks"."stg" ("_airbyte_raw_id" uuid, "_airbyte_extracted_at" timestamp, )"
              R"("_airbyte_meta" text, "_airbyte_generation_id" bigint, "_airbyte_additional_properties" text, )"
              R"("_airbyte_cursor_order" blob, "id" bigint, "name" text, "o" text, )"
              R"(PRIMARY KEY (("id"), "_airbyte_cursor_order")) WITH CLUSTERING ORDER BY ("_airbyte_cursor_order" DESC))");
    EXPECT_EQ(typed_column_list(l), R"("_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id", )"
                                    R"("_airbyte_additional_properties", "_airbyte_cursor_order", "id", "name", "o")");
    EXPECT_EQ(typed_insert_bind_count(l, {.timestamp = true}), 10u);
    // The staging table's regular columns (staging.hpp), in the same bind order.
    const auto cols = typed_columns(l);
    ASSERT_EQ(cols.size(), 9u);
    EXPECT_EQ(cols[5], (std::pair<std::string, std::string>{"_airbyte_cursor_order", "blob"}));
    EXPECT_EQ(cols[6], (std::pair<std::string, std::string>{"id", "bigint"}));
    EXPECT_EQ(cols[8], (std::pair<std::string, std::string>{"o", "text"}));
    EXPECT_EQ(typed_delete_older_query(l, "ks", "t"),
              R"(DELETE FROM "ks"."t" USING TIMESTAMP ? WHERE "id" = ? AND "_airbyte_cursor_order" < ?)");
    EXPECT_EQ(typed_cdc_delete_query(l, "ks", "t"),
              R"(DELETE FROM "ks"."t" USING TIMESTAMP ? WHERE "id" = ? AND "_airbyte_cursor_order" <= ?)");
    EXPECT_THAT(l.cursor, ElementsAre("name"));
}

TEST(TypedDdl, KeyColumnsOfJsonKindHoldText) {
    auto l = layout(stream(R"({"k":{"type":["string","integer"]}})", "append_dedup", R"("primary_key":[["k"]])"));
    EXPECT_EQ(l.columns[0].kind, column_kind::text);
    auto u = layout(stream(R"({"a":{"type":"integer"}})", "append_dedup", R"("primary_key":[["undeclared"]])"));
    ASSERT_EQ(u.columns.size(), 2u);
    EXPECT_EQ(u.columns[1].name, "undeclared");
    EXPECT_FALSE(u.columns[1].declared);
    EXPECT_EQ(u.columns[1].key_index, 0);
}

namespace {

std::map<std::string, existing_column> existing_of(const table_layout& l) {
    // What system_schema.columns reports for the table typed_create_table made.
    std::map<std::string, existing_column> out;
    std::vector<std::string> cols;
    const std::string list = typed_column_list(l);
    for (std::size_t at = 0; at < list.size();) {
        const auto open = list.find('"', at), close = list.find('"', open + 1);
        cols.push_back(list.substr(open + 1, close - open - 1));
        at = close + 1;
    }
    const char* meta_types[] = {"uuid", "timestamp", "text", "bigint", "text"};
    std::size_t i = 0;
    for (; i < 5; ++i) out[cols[i]] = {meta_types[i]};
    if (l.dedup()) out[cols[i++]] = {"blob", "clustering", 0};
    for (const auto& c : l.columns) out[c.name] = {column_kind_cql(c.kind), c.key_index >= 0 ? "partition_key" : "regular", c.key_index};
    if (!l.keyed()) out["_airbyte_raw_id"] = {"uuid", "partition_key", 0};
    if (l.keyed() && !l.dedup()) {
        out["_airbyte_extracted_at"] = {"timestamp", "clustering", 0};
        out["_airbyte_raw_id"] = {"uuid", "clustering", 1};
    }
    return out;
}

}  // namespace

TEST(TypedEvolution, SameSchemaNeedsNothing) {
    for (const char* mode : {"append", "append_dedup"}) {
        auto l = layout(stream(R"({"id":{"type":"integer"},"v":{}})", mode, R"("primary_key":[["id"]])"));
        std::vector<std::string> alters;
        EXPECT_FALSE(plan_typed_evolution(l, existing_of(l), "ks", "t", alters)) << mode;
        EXPECT_TRUE(alters.empty()) << mode;
    }
}

TEST(TypedEvolution, NewPropertyIsAddedVanishedOneKept) {
    auto old_layout = layout(stream(R"({"id":{"type":"integer"},"gone":{"type":"string"}})"));
    auto l = layout(stream(R"({"id":{"type":"integer"},"new col":{"type":"string","format":"date"}})"));
    std::vector<std::string> alters;
    EXPECT_FALSE(plan_typed_evolution(l, existing_of(old_layout), "ks", "t", alters));
    EXPECT_THAT(alters, ElementsAre(R"(ALTER TABLE "ks"."t" ADD "new col" date)"));
    // A table from before _airbyte_additional_properties existed gets it.
    auto had = existing_of(old_layout);
    had.erase("_airbyte_additional_properties");
    alters.clear();
    EXPECT_FALSE(plan_typed_evolution(l, had, "ks", "t", alters));
    EXPECT_THAT(alters, ElementsAre(R"(ALTER TABLE "ks"."t" ADD "_airbyte_additional_properties" text)",
                                    R"(ALTER TABLE "ks"."t" ADD "new col" date)"));
}

TEST(TypedEvolution, WiderExistingColumnsKeepWorking) {
    auto old_layout = layout(stream(R"({"n":{"type":"number"},"t":{"type":["string","integer"]}})"));
    auto l = layout(stream(R"({"n":{"type":"integer"},"t":{"type":"integer"}})"));
    std::vector<std::string> alters;
    EXPECT_FALSE(plan_typed_evolution(l, existing_of(old_layout), "ks", "t", alters));
    EXPECT_TRUE(alters.empty());
    EXPECT_EQ(l.columns[0].kind, column_kind::decimal);
    EXPECT_EQ(l.columns[1].kind, column_kind::text);
}

TEST(TypedEvolution, IncompatibleTypeIsAnErrorNamingBoth) {
    auto old_layout = layout(stream(R"({"id":{"type":"integer"},"v":{"type":"string"}})"));
    auto l = layout(stream(R"({"id":{"type":"integer"},"v":{"type":"boolean"},"w":{}})"));
    std::vector<std::string> alters;
    auto e = plan_typed_evolution(l, existing_of(old_layout), "ks", "t", alters);
    EXPECT_FALSE(e);  // text holds anything
    EXPECT_EQ(l.columns[1].kind, column_kind::text);
    EXPECT_THAT(alters, ElementsAre(R"(ALTER TABLE "ks"."t" ADD "w" text)"));
    alters.clear();
    l = layout(stream(R"({"id":{"type":"integer"},"v":{"type":"boolean"},"w":{}})"));
    old_layout = layout(stream(R"({"id":{"type":"integer"},"v":{"type":"integer"}})"));
    e = plan_typed_evolution(l, existing_of(old_layout), "ks", "t", alters);
    ASSERT_TRUE(e);
    EXPECT_THAT(*e, HasSubstr(R"(column "v" of table ks.t is bigint)"));
    EXPECT_THAT(*e, HasSubstr("now makes it boolean"));
    EXPECT_THAT(*e, HasSubstr("refresh"));
    EXPECT_TRUE(alters.empty());  // nothing half-planned
}

TEST(TypedEvolution, ChangedPrimaryKeyIsAnError) {
    auto append = layout(stream(R"({"id":{"type":"integer"}})"));
    auto dedup = layout(stream(R"({"id":{"type":"integer"}})", "append_dedup", R"("primary_key":[["id"]])"));
    std::vector<std::string> alters;
    auto e = plan_typed_evolution(dedup, existing_of(append), "ks", "t", alters);
    ASSERT_TRUE(e);
    EXPECT_THAT(*e, HasSubstr(R"(has the primary key (("_airbyte_raw_id")) but the stream now needs (("id"), "_airbyte_cursor_order"))"));
    auto key_type_changed = layout(stream(R"({"id":{"type":"string"}})", "append_dedup", R"("primary_key":[["id"]])"));
    e = plan_typed_evolution(key_type_changed, existing_of(dedup), "ks", "t", alters);
    ASSERT_TRUE(e);
    EXPECT_THAT(*e, HasSubstr(R"(column "id" of table ks.t is bigint, but the stream's schema now makes it text)"));
}

TEST(TypedValues, DecimalsAreExact) {
    cql::protocol::decimal_value d;
    auto check = [&](const char* num, bool canonical, const char* unscaled, int scale) {
        ASSERT_EQ(number_to_decimal(num, canonical, d), fit::ok) << num;
        EXPECT_EQ(decimal_text(d.unscaled), unscaled) << num;
        EXPECT_EQ(d.scale, scale) << num;
    };
    check("0", false, "0", 0);
    check("-0", false, "0", 0);
    check("0.00", false, "0", 2);
    check("1.50", false, "150", 2);
    check("1.50", true, "15", 1);
    check("100.0", true, "100", 0);
    check("1e2", true, "100", 0);
    check("-127", false, "-127", 0);
    check("-128", false, "-128", 0);
    check("128", false, "128", 0);
    check("1e400", false, "1", -400);
    check("-2.5E-3", false, "-25", 4);
    check("12345678901234567890.5", false, "123456789012345678905", 1);
    check("-98765432109876543210987654321098765432109876543210", false, "-98765432109876543210987654321098765432109876543210", 0);
    check("0.000000000000000000000000000001", false, "1", 30);
    EXPECT_THAT(varint_from_digits("128", false), ElementsAre(0x00, 0x80));
    EXPECT_THAT(varint_from_digits("128", true), ElementsAre(0x80));
    EXPECT_THAT(varint_from_digits("129", true), ElementsAre(0xFF, 0x7F));
    EXPECT_THAT(varint_from_digits("255", false), ElementsAre(0x00, 0xFF));
    EXPECT_THAT(varint_from_digits("65536", false), ElementsAre(0x01, 0x00, 0x00));
    EXPECT_EQ(number_to_decimal("1e99999999999", false, d), fit::size_limitation);
    EXPECT_EQ(number_to_decimal("1e99999999999999999999999", false, d), fit::size_limitation);
    EXPECT_EQ(number_to_decimal(std::string(max_decimal_digits + 1, '7'), false, d), fit::size_limitation);
}

TEST(TypedValues, Bigints) {
    std::int64_t x = 0;
    auto ok = [&](const char* num, std::int64_t want) {
        EXPECT_EQ(number_to_bigint(num, x), fit::ok) << num;
        EXPECT_EQ(x, want) << num;
    };
    ok("0", 0);
    ok("-7", -7);
    ok("7.0", 7);
    ok("7e2", 700);
    ok("1.5e1", 15);
    ok("9223372036854775807", INT64_MAX);
    ok("-9223372036854775808", INT64_MIN);
    EXPECT_EQ(number_to_bigint("9223372036854775808", x), fit::size_limitation);
    EXPECT_EQ(number_to_bigint("-9223372036854775809", x), fit::size_limitation);
    EXPECT_EQ(number_to_bigint("1e19", x), fit::size_limitation);
    EXPECT_EQ(number_to_bigint("1e400", x), fit::size_limitation);
    EXPECT_EQ(number_to_bigint("1.5", x), fit::serialization_error);
    EXPECT_EQ(number_to_bigint("1e-1", x), fit::serialization_error);
}

TEST(TypedValues, DatesTimesTimestamps) {
    cql::protocol::cql_date d;
    ASSERT_EQ(string_to_date("1970-01-02", d), fit::ok);
    EXPECT_EQ(d.days, cql::protocol::cql_date::epoch + 1);
    ASSERT_EQ(string_to_date("1969-12-31T23:00:00-05:00", d), fit::ok);  // the date as written
    EXPECT_EQ(d.days, cql::protocol::cql_date::epoch - 1);
    ASSERT_EQ(string_to_date("0001-01-01", d), fit::ok);
    EXPECT_EQ(d.days, cql::protocol::cql_date::epoch - 719162);
    EXPECT_EQ(string_to_date("2023-02-29", d), fit::serialization_error);
    EXPECT_EQ(string_to_date("yesterday", d), fit::serialization_error);
    EXPECT_EQ(string_to_date("0000-12-31", d), fit::size_limitation);
    EXPECT_EQ(string_to_date("+10000-01-01", d), fit::size_limitation);
    EXPECT_EQ(string_to_date("-0001-01-01", d), fit::size_limitation);

    std::int64_t ms = 0;
    ASSERT_EQ(string_to_timestamp("2024-01-31T10:00:00.123456+02:00", ms), fit::ok);
    EXPECT_EQ(ms, 1706688000123);  // 08:00:00.123 UTC
    ASSERT_EQ(string_to_timestamp("2024-01-31 08:00:00Z", ms), fit::ok);
    EXPECT_EQ(ms, 1706688000000);
    ASSERT_EQ(string_to_timestamp("2024-01-31T08:00:00", ms), fit::ok);  // no zone: UTC
    EXPECT_EQ(ms, 1706688000000);
    ASSERT_EQ(string_to_timestamp("9999-12-31T23:59:59.999Z", ms), fit::ok);
    EXPECT_EQ(ms, max_timestamp_ms);
    EXPECT_EQ(string_to_timestamp("9999-12-31T23:59:59.999-01:00", ms), fit::size_limitation);
    EXPECT_EQ(string_to_timestamp("0000-06-01T00:00:00Z", ms), fit::size_limitation);
    EXPECT_EQ(string_to_timestamp("12024-01-01T00:00:00Z", ms), fit::size_limitation);
    EXPECT_EQ(string_to_timestamp("2024-13-01T00:00:00Z", ms), fit::serialization_error);
    EXPECT_EQ(string_to_timestamp("not a time", ms), fit::serialization_error);

    cql::protocol::cql_time t;
    ASSERT_EQ(string_to_time("10:20:30.123456789", t), fit::ok);
    EXPECT_EQ(t.nanos, 37230123456789);
    ASSERT_EQ(string_to_time("10:20", t), fit::ok);
    EXPECT_EQ(t.nanos, 37200000000000);
    ASSERT_EQ(string_to_time("01:00:00+02:00", t), fit::ok);  // 23:00 UTC the day before
    EXPECT_EQ(t.nanos, 23 * 3600 * 1'000'000'000LL);
    ASSERT_EQ(string_to_time("23:59:59.999999999Z", t), fit::ok);
    EXPECT_EQ(t.nanos, cql::protocol::cql_time::max);
    EXPECT_EQ(string_to_time("24:00:00", t), fit::serialization_error);
    EXPECT_EQ(string_to_time("10:00:00 PM", t), fit::serialization_error);
    EXPECT_EQ(string_to_time("2024-01-01T10:00:00", t), fit::serialization_error);
    EXPECT_STREQ(fit_reason(fit::size_limitation), "DESTINATION_FIELD_SIZE_LIMITATION");
    EXPECT_STREQ(fit_reason(fit::serialization_error), "DESTINATION_SERIALIZATION_ERROR");
}
