// catalog: parse_catalog modes, truncate semantics, primary keys and their CQL types.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "airbyte/catalog.hpp"

using namespace airbyte;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

namespace {

// One configured stream; extra is raw JSON members appended to the configured stream object,
// stream_extra to its "stream" object.
std::string cs(const std::string& name, const std::string& mode, const std::string& extra = "",
               const std::string& stream_extra = "") {
    return R"({"stream":{"name":")" + name + R"(","json_schema":{"type":"object"},"supported_sync_modes":["full_refresh"])" +
           (stream_extra.empty() ? "" : "," + stream_extra) + R"(},"sync_mode":"full_refresh","destination_sync_mode":")" +
           mode + "\"" + (extra.empty() ? "" : "," + extra) + "}";
}
std::string catalog(const std::vector<std::string>& streams) {
    std::string out = R"({"streams":[)";
    for (std::size_t i = 0; i < streams.size(); ++i) out += (i ? "," : "") + streams[i];
    return out + "]}";
}

struct catalog_test : ::testing::Test {
    std::vector<configured_stream> out;
    std::string error;
    bool parse(const std::string& json) {
        error.clear();
        return parse_catalog(json, out, error);
    }
    configured_stream one(const std::string& stream_json) {
        EXPECT_TRUE(parse(catalog({stream_json}))) << error;
        EXPECT_EQ(out.size(), 1u);
        return out.empty() ? configured_stream{} : out[0];
    }
    // The type of a one-column primary key "k" with the given property schema.
    key_type pk_type(const std::string& property_schema) {
        auto s = one(R"({"stream":{"name":"s","json_schema":{"type":"object","properties":{"k":)" + property_schema +
                     R"(}}},"destination_sync_mode":"append_dedup","primary_key":[["k"]]})");
        EXPECT_EQ(s.primary_key.size(), 1u) << property_schema;
        return s.primary_key.empty() ? key_type::text : s.primary_key[0].type;
    }
};

TEST(Catalog, Names) {
    EXPECT_STREQ(write_mode_name(write_mode::append), "append");
    EXPECT_STREQ(write_mode_name(write_mode::overwrite), "overwrite");
    EXPECT_STREQ(write_mode_name(write_mode::append_dedup), "append_dedup");
    EXPECT_STREQ(key_type_cql(key_type::bigint), "bigint");
    EXPECT_STREQ(key_type_cql(key_type::double_), "double");
    EXPECT_STREQ(key_type_cql(key_type::boolean), "boolean");
    EXPECT_STREQ(key_type_cql(key_type::text), "text");
}

TEST_F(catalog_test, Modes) {
    ASSERT_TRUE(parse(catalog({cs("a", "append"), cs("o", "overwrite"),
                               cs("d", "append_dedup", R"("primary_key":[["id"]])")})))
        << error;
    ASSERT_EQ(out.size(), 3u);
    EXPECT_EQ(out[0].name, "a");
    EXPECT_EQ(out[0].mode, write_mode::append);
    EXPECT_EQ(out[1].mode, write_mode::overwrite);
    EXPECT_EQ(out[2].mode, write_mode::append_dedup);
    EXPECT_FALSE(out[0].ns.has_value());
    EXPECT_THAT(out[0].primary_key, IsEmpty());
    EXPECT_THAT(out[0].cursor, IsEmpty());
}

TEST_F(catalog_test, EmptyCatalog) {
    ASSERT_TRUE(parse(R"({"streams":[]})")) << error;
    EXPECT_THAT(out, IsEmpty());
}

TEST_F(catalog_test, Namespace) {
    auto s = one(cs("a", "append", "", R"("namespace":"public")"));
    ASSERT_TRUE(s.ns.has_value());
    EXPECT_EQ(*s.ns, "public");
    s = one(cs("a", "append", "", R"("namespace":null)"));
    EXPECT_FALSE(s.ns.has_value());
    EXPECT_FALSE(parse(catalog({cs("a", "append", "", R"("namespace":5)")})));
    EXPECT_THAT(error, HasSubstr("namespace"));
}

TEST_F(catalog_test, TruncateSemantics) {
    EXPECT_TRUE(one(cs("s", "overwrite")).truncate);
    EXPECT_TRUE(one(cs("s", "overwrite", R"("generation_id":3,"minimum_generation_id":0)")).truncate);
    EXPECT_FALSE(one(cs("s", "append")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("generation_id":0,"minimum_generation_id":0)")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("generation_id":5,"minimum_generation_id":0)")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("generation_id":5,"minimum_generation_id":4)")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("generation_id":5)")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("minimum_generation_id":5)")).truncate);
    EXPECT_FALSE(one(cs("s", "append", R"("generation_id":null,"minimum_generation_id":null)")).truncate);
    EXPECT_TRUE(one(cs("s", "append", R"("generation_id":5,"minimum_generation_id":5)")).truncate);
    EXPECT_TRUE(one(cs("s", "append_dedup", R"("primary_key":[["id"]],"generation_id":1,"minimum_generation_id":1)")).truncate);
    EXPECT_FALSE(one(cs("s", "append_dedup", R"("primary_key":[["id"]],"generation_id":1,"minimum_generation_id":0)")).truncate);
    auto s = one(cs("s", "append", R"("generation_id":7,"minimum_generation_id":7)"));
    EXPECT_EQ(s.generation_id, 7);
    EXPECT_EQ(s.minimum_generation_id, 7);
    EXPECT_FALSE(parse(catalog({cs("s", "append", R"("generation_id":"7")")})));
    EXPECT_THAT(error, HasSubstr("generation_id"));
    EXPECT_FALSE(parse(catalog({cs("s", "append", R"("minimum_generation_id":1.5)")})));
    EXPECT_THAT(error, HasSubstr("minimum_generation_id"));
}

TEST_F(catalog_test, PrimaryKeyTypesFromSchema) {
    EXPECT_EQ(pk_type(R"({"type":"integer"})"), key_type::bigint);
    EXPECT_EQ(pk_type(R"({"type":["null","integer"]})"), key_type::bigint);
    EXPECT_EQ(pk_type(R"({"type":["integer","null"]})"), key_type::bigint);
    EXPECT_EQ(pk_type(R"({"type":"number"})"), key_type::double_);
    EXPECT_EQ(pk_type(R"({"type":["null","number"]})"), key_type::double_);
    EXPECT_EQ(pk_type(R"({"type":"number","airbyte_type":"integer"})"), key_type::bigint);
    EXPECT_EQ(pk_type(R"({"type":["null","number"],"airbyte_type":"integer"})"), key_type::bigint);
    EXPECT_EQ(pk_type(R"({"type":"boolean"})"), key_type::boolean);
    EXPECT_EQ(pk_type(R"({"type":"string"})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":"string","format":"date-time"})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":["string","integer"]})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":["null","integer","number"]})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":"null"})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":[]})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":"object"})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"oneOf":[{"type":"integer"},{"type":"string"}]})"), key_type::text);
    EXPECT_EQ(pk_type(R"({})"), key_type::text);
    EXPECT_EQ(pk_type(R"({"type":5})"), key_type::text);
}

TEST_F(catalog_test, PrimaryKeyWithoutSchemaIsText) {
    auto s = one(R"({"stream":{"name":"s"},"destination_sync_mode":"append_dedup","primary_key":[["id"]]})");
    ASSERT_EQ(s.primary_key.size(), 1u);
    EXPECT_EQ(s.primary_key[0].type, key_type::text);
    s = one(R"({"stream":{"name":"s","json_schema":{"type":"object","properties":{"other":{"type":"integer"}}}},)"
            R"("destination_sync_mode":"append_dedup","primary_key":[["id"]]})");
    EXPECT_EQ(s.primary_key[0].type, key_type::text);
}

TEST_F(catalog_test, CompositeAndNestedPrimaryKey) {
    auto s = one(R"({"stream":{"name":"s","json_schema":{"type":"object","properties":{)"
                 R"("id":{"type":"integer"},"meta":{"type":"object","properties":{"region":{"type":"string"},)"
                 R"("shard":{"type":["null","integer"]},"deep":{"type":"object","properties":{"flag":{"type":"boolean"}}}}}}}},)"
                 R"("destination_sync_mode":"append_dedup","primary_key":[["id"],["meta","region"],["meta","shard"],)"
                 R"(["meta","deep","flag"]],"cursor_field":["meta","updated_at"]})");
    ASSERT_EQ(s.primary_key.size(), 4u);
    EXPECT_THAT(s.primary_key[0].path, ElementsAre("id"));
    EXPECT_EQ(s.primary_key[0].column, "id");
    EXPECT_EQ(s.primary_key[0].type, key_type::bigint);
    EXPECT_THAT(s.primary_key[1].path, ElementsAre("meta", "region"));
    EXPECT_EQ(s.primary_key[1].column, "meta.region");
    EXPECT_EQ(s.primary_key[1].type, key_type::text);
    EXPECT_EQ(s.primary_key[2].column, "meta.shard");
    EXPECT_EQ(s.primary_key[2].type, key_type::bigint);
    EXPECT_EQ(s.primary_key[3].column, "meta.deep.flag");
    EXPECT_EQ(s.primary_key[3].type, key_type::boolean);
    EXPECT_THAT(s.cursor, ElementsAre("meta", "updated_at"));
}

TEST_F(catalog_test, SourceDefinedPrimaryKeyFallback) {
    auto s = one(cs("s", "append_dedup", "", R"("source_defined_primary_key":[["sid"]])"));
    ASSERT_EQ(s.primary_key.size(), 1u);
    EXPECT_EQ(s.primary_key[0].column, "sid");
    s = one(cs("s", "append_dedup", R"("primary_key":[])", R"("source_defined_primary_key":[["sid"]])"));
    ASSERT_EQ(s.primary_key.size(), 1u);
    EXPECT_EQ(s.primary_key[0].column, "sid");
    // The configured key wins over the source's.
    s = one(cs("s", "append_dedup", R"("primary_key":[["mine"]])", R"("source_defined_primary_key":[["sid"]])"));
    ASSERT_EQ(s.primary_key.size(), 1u);
    EXPECT_EQ(s.primary_key[0].column, "mine");
}

TEST_F(catalog_test, PrimaryKeyIgnoredOutsideDedup) {
    auto s = one(cs("s", "append", R"("primary_key":[["id"]])"));
    EXPECT_THAT(s.primary_key, IsEmpty());
}

TEST_F(catalog_test, MissingPrimaryKeyForDedupIsAnError) {
    for (const char* extra : {"", R"("primary_key":[])", R"("primary_key":null)"}) {
        SCOPED_TRACE(extra);
        EXPECT_FALSE(parse(catalog({cs("ok", "append"), cs("orders", "append_dedup", extra)})));
        EXPECT_THAT(error, HasSubstr("orders"));
        EXPECT_THAT(error, HasSubstr("primary_key"));
    }
}

TEST_F(catalog_test, BadPrimaryKeys) {
    for (const char* pk : {R"([["id", 5]])", R"(["id"])", R"([[]])", R"([5])", R"("id")"}) {
        SCOPED_TRACE(pk);
        EXPECT_FALSE(parse(catalog({cs("s", "append_dedup", std::string("\"primary_key\":") + pk)})));
        EXPECT_THAT(error, HasSubstr("\"s\""));
    }
    EXPECT_FALSE(parse(catalog({cs("s", "append_dedup", R"("primary_key":[["id"],["id"]])")})));
    EXPECT_THAT(error, HasSubstr("repeated"));
    EXPECT_FALSE(parse(catalog({cs("s", "append_dedup", R"("primary_key":[["a","b"],["a.b"]])")})));
    EXPECT_FALSE(parse(catalog({cs("s", "append_dedup", R"("primary_key":[["_airbyte_raw_id"]])")})));
    EXPECT_THAT(error, HasSubstr("_airbyte_raw_id"));
}

TEST_F(catalog_test, CursorField) {
    EXPECT_THAT(one(cs("s", "append", R"("cursor_field":["updated_at"])")).cursor, ElementsAre("updated_at"));
    EXPECT_THAT(one(cs("s", "append", R"("cursor_field":[])")).cursor, IsEmpty());
    EXPECT_FALSE(parse(catalog({cs("s", "append", R"("cursor_field":[1])")})));
    EXPECT_THAT(error, HasSubstr("cursor_field"));
}

TEST_F(catalog_test, UnsupportedOrMissingModeNamesTheStream) {
    EXPECT_FALSE(parse(catalog({cs("first", "append"), cs("my_stream", "upsert")})));
    EXPECT_THAT(error, HasSubstr("my_stream"));
    EXPECT_THAT(error, HasSubstr("upsert"));
    EXPECT_THAT(error, HasSubstr("#1"));
    EXPECT_FALSE(parse(catalog({R"({"stream":{"name":"nomode"}})"})));
    EXPECT_THAT(error, HasSubstr("nomode"));
    EXPECT_THAT(error, HasSubstr("destination_sync_mode"));
    EXPECT_FALSE(parse(catalog({cs("m", "APPEND")})));
    EXPECT_THAT(error, HasSubstr("\"m\""));
}

TEST_F(catalog_test, DuplicateStreams) {
    EXPECT_FALSE(parse(catalog({cs("users", "append"), cs("users", "overwrite")})));
    EXPECT_THAT(error, HasSubstr("users"));
    EXPECT_THAT(error, HasSubstr("twice"));
    EXPECT_FALSE(parse(catalog({cs("users", "append", "", R"("namespace":"a")"), cs("users", "append", "", R"("namespace":"a")")})));
    EXPECT_THAT(error, HasSubstr("users"));
    // The same name in different namespaces is fine.
    ASSERT_TRUE(parse(catalog({cs("users", "append", "", R"("namespace":"a")"), cs("users", "append", "", R"("namespace":"b")"),
                               cs("users", "append")})))
        << error;
    EXPECT_EQ(out.size(), 3u);
    // Names are case-sensitive.
    ASSERT_TRUE(parse(catalog({cs("users", "append"), cs("Users", "append")}))) << error;
}

TEST_F(catalog_test, MalformedCatalogs) {
    for (const char* bad : {"", "[]", "{}", R"({"streams":{}})", R"({"streams":[{}]})", R"({"streams":[{"stream":{}}]})",
                            R"({"streams":[{"stream":{"name":""},"destination_sync_mode":"append"}]})",
                            R"({"streams":[{"stream":{"name":5},"destination_sync_mode":"append"}]})", R"({"streams":[5]})"}) {
        SCOPED_TRACE(bad);
        EXPECT_FALSE(parse(bad));
        EXPECT_FALSE(error.empty());
    }
}

}  // namespace
