// typed tables: one record's data to its INSERT's values (typed_coercer), every type's success and
// failure with its _airbyte_meta change, keys and the dedup order, CDC deletes, additional
// properties; and the scanner's record meta.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "airbyte/compact_json.hpp"
#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/typed_coerce.hpp"
#include "unit/typed_test_util.hpp"

using namespace airbyte;
using cql::cql_value;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using typed_test::decimal_text;
using typed_test::stream;

namespace {

constexpr const char* all_types = R"({"b":{"type":"boolean"},"i":{"type":"integer"},"n":{"type":"number"},)"
                                  R"("s":{"type":["null","string"]},"d":{"type":"string","format":"date"},)"
                                  R"("ts":{"type":"string","format":"date-time"},"t":{"type":"string","format":"time"},)"
                                  R"("o":{"type":"object"},"a":{"type":"array"},"u":{"type":["string","integer"]},"x":{}})";

struct coerce_test : ::testing::Test {
    std::optional<typed_coercer> coercer;
    coerced_record rec;
    typed_record_input in;

    void use(const configured_stream& s, typed_write_options o = {}, bool unset_absent = true) {
        table_layout l;
        auto e = make_typed_layout(s, l);
        ASSERT_FALSE(e) << *e;
        coercer.emplace(std::move(l), s.sync_id, o, unset_absent);
        in = typed_record_input{};
        in.raw_id[15] = 9;
        in.emitted_at_ms = 1'700'000'000'000;
        in.generation_id = 3;
    }
    // Coerces data; an error fails the test.
    void run(const std::string& data, const std::string& meta = "") {
        in.data_json = data;
        in.meta_json = meta;
        auto e = coercer->coerce(in, rec);
        ASSERT_FALSE(e) << *e;
    }
    std::string error_of(const std::string& data) {
        in.data_json = data;
        auto e = coercer->coerce(in, rec);
        return e ? *e : "<no error>";
    }
    std::size_t first_data() const {
        const auto& l = coercer->layout();
        return 5 + (l.dedup() ? 1 : 0);
    }
    const cql_value& col(const std::string& field) const {
        const auto& cols = coercer->layout().columns;
        for (std::size_t i = 0; i < cols.size(); ++i)
            if (cols[i].field == field && cols[i].path.empty()) return rec.values.at(first_data() + i);
        throw std::runtime_error("no column " + field);
    }
    std::string text(const std::string& field) const {
        const auto* s = col(field).get_if<std::string>();
        return s ? *s : "<not text>";
    }
    std::string meta() const { return *rec.values.at(2).get_if<std::string>(); }
    const cql_value& additional() const { return rec.values.at(4); }
};

std::string nulled(const char* field, const char* reason) {
    return std::string(R"({"field":")") + field + R"(","change":"NULLED","reason":")" + reason + R"("})";
}
constexpr const char* ser = "DESTINATION_SERIALIZATION_ERROR";
constexpr const char* size = "DESTINATION_FIELD_SIZE_LIMITATION";

}  // namespace

TEST_F(coerce_test, EveryTypeFromItsJson) {
    use(stream(all_types, "append", R"("sync_id":7)"));
    run(R"({"b":true,"i":42,"n":1.50,"s":"h\u00e9llo \"q\"\n","d":"2024-01-31","ts":"2024-01-31T10:00:00.5+02:00",)"
        R"("t":"10:00:00","o":{"k":[1,2.50,"x"]},"a":[1,{"z":null}],"u":"str","x":12})");
    ASSERT_EQ(rec.values.size(), 16u);
    EXPECT_EQ(rec.values[0], cql_value{in.raw_id});
    EXPECT_EQ(rec.values[1], cql_value{std::int64_t{1'700'000'000'000}});
    EXPECT_EQ(meta(), R"({"sync_id":7,"changes":[]})");
    EXPECT_EQ(rec.values[3], cql_value{std::int64_t{3}});
    EXPECT_TRUE(additional().is_unset());
    EXPECT_EQ(col("b"), cql_value{true});
    EXPECT_EQ(col("i"), cql_value{std::int64_t{42}});
    const auto* n = col("n").get_if<cql::protocol::decimal_value>();
    ASSERT_TRUE(n);
    EXPECT_EQ(decimal_text(n->unscaled), "150");
    EXPECT_EQ(n->scale, 2);
    EXPECT_EQ(text("s"), "h\xC3\xA9llo \"q\"\n");
    EXPECT_EQ(col("d"), cql_value{cql::protocol::cql_date::from_days_since_epoch(19753)});
    EXPECT_EQ(col("ts"), cql_value{std::int64_t{1706688000500}});
    EXPECT_EQ(col("t"), cql_value{cql::protocol::cql_time{36'000'000'000'000}});
    EXPECT_EQ(text("o"), R"({"k":[1,2.50,"x"]})");
    EXPECT_EQ(text("a"), R"([1,{"z":null}])");
    EXPECT_EQ(text("u"), R"("str")");
    EXPECT_EQ(text("x"), "12");
    EXPECT_EQ(rec.nulled, 0u);
    EXPECT_FALSE(rec.cdc_deleted);
    EXPECT_TRUE(rec.delete_values.empty());
}

TEST_F(coerce_test, WhatDoesNotFitIsNulledWithAChange) {
    use(stream(all_types, "append", R"("sync_id":7)"));
    run(R"({"b":"true","i":"12","n":"1.5","s":"ok","d":"2024-02-30","ts":"0000-01-01T00:00:00Z","t":"25:00",)"
        R"("o":{"fine":1},"a":[],"u":1,"x":null})");
    for (const char* f : {"b", "i", "n", "d", "ts", "t"}) EXPECT_TRUE(col(f).is_unset()) << f;
    EXPECT_EQ(text("s"), "ok");
    EXPECT_EQ(text("u"), "1");
    EXPECT_TRUE(col("x").is_unset());
    EXPECT_EQ(meta(), std::string(R"({"sync_id":7,"changes":[)") + nulled("b", ser) + "," + nulled("i", ser) + "," +
                          nulled("n", ser) + "," + nulled("d", ser) + "," + nulled("ts", size) + "," + nulled("t", ser) + "]}");
    EXPECT_EQ(rec.nulled, 6u);

    run(R"({"i":9223372036854775808,"b":{"x":1},"n":[1],"d":5,"ts":"+20000-01-01T00:00:00Z","t":true})");
    EXPECT_EQ(meta(), std::string(R"({"sync_id":7,"changes":[)") + nulled("b", ser) + "," + nulled("i", size) + "," +
                          nulled("n", ser) + "," + nulled("d", ser) + "," + nulled("ts", size) + "," + nulled("t", ser) + "]}");
    run(R"({"i":1.5})");
    EXPECT_EQ(meta(), std::string(R"({"sync_id":7,"changes":[)") + nulled("i", ser) + "]}");
    run(R"({"i":1e400})");  // beyond a double, too
    EXPECT_EQ(meta(), std::string(R"({"sync_id":7,"changes":[)") + nulled("i", size) + "]}");
}

TEST_F(coerce_test, NumbersBeyondInt64AndDoubleAreExact) {
    use(stream(all_types));
    const std::string huge(400, '9');
    run(R"({"n":12345678901234567890.5,"i":-9223372036854775808,"o":{"big":1e400,"neg":-)" + huge + R"(},"x":1E-400})");
    const auto* n = col("n").get_if<cql::protocol::decimal_value>();
    ASSERT_TRUE(n);
    EXPECT_EQ(decimal_text(n->unscaled), "123456789012345678905");
    EXPECT_EQ(n->scale, 1);
    EXPECT_EQ(col("i"), cql_value{INT64_MIN});
    EXPECT_EQ(text("o"), R"({"big":1e400,"neg":-)" + huge + "}");
    EXPECT_EQ(text("x"), "1E-400");
    run(R"({"n":1e400})");
    n = col("n").get_if<cql::protocol::decimal_value>();
    ASSERT_TRUE(n);
    EXPECT_EQ(decimal_text(n->unscaled), "1");
    EXPECT_EQ(n->scale, -400);
    run(R"({"n":-)" + huge + R"(.5})");
    n = col("n").get_if<cql::protocol::decimal_value>();
    ASSERT_TRUE(n);
    EXPECT_EQ(decimal_text(n->unscaled), "-" + huge + "5");
    EXPECT_EQ(n->scale, 1);
    EXPECT_EQ(meta(), R"({"sync_id":null,"changes":[]})");
}

TEST_F(coerce_test, StringColumnsTakeOtherValuesAsJson) {
    use(stream(all_types));
    run(R"({"s":5})");
    EXPECT_EQ(text("s"), "5");
    run(R"({"s":{"a":[true]}})");
    EXPECT_EQ(text("s"), R"({"a":[true]})");
    run(R"({"s":false})");
    EXPECT_EQ(text("s"), "false");
    EXPECT_EQ(rec.nulled, 0u);
}

// A nested value is taken as its slice of data_json when that is already compact JSON as a Writer
// writes it (the scanner's data_json always is); other text is written again, the same either way.
TEST_F(coerce_test, NestedValuesAreCompactJsonWhateverTheInputsSpacingAndEscapes) {
    use(stream(all_types));
    run(R"({"o":{"k":"\u00e9\/ \"q\"\n","n":[1,2.50,-3e2]},"a":[{"x":null},"y"]})");
    EXPECT_EQ(text("o"), R"({"k":"é/ \"q\"\n","n":[1,2.50,-3e2]})");
    EXPECT_EQ(text("a"), R"([{"x":null},"y"])");
    run("{\"o\" : { \"k\" : [ 1 , true ] ,\n \"s p\":\"a b\" } , \"a\":[ ] }");
    EXPECT_EQ(text("o"), R"({"k":[1,true],"s p":"a b"})");
    EXPECT_EQ(text("a"), "[]");
    run(R"({"o":{"c":"\u0001"},"a":[[],{}]})");  // a control character: the Writer's \u0001
    EXPECT_EQ(text("o"), R"({"c":"\u0001"})");
    EXPECT_EQ(text("a"), "[[],{}]");
    EXPECT_EQ(rec.nulled, 0u);
}

TEST_F(coerce_test, UnicodeAndEscapesInValuesAndColumnNames) {
    use(stream(R"({"名前":{"type":"string"},"quo\"te":{"type":"integer"},"j":{},"_airbyte_meta":{"type":"string"}})"));
    run(R"({"名前":"日本\u0000\t\"\\ 😀","quo\"te":5,"j":"a\"b\u0001","_airbyte_meta":"mine"})");
    EXPECT_EQ(text("名前"), std::string("日本") + '\0' + "\t\"\\ 😀");
    EXPECT_EQ(col("quo\"te"), cql_value{std::int64_t{5}});
    EXPECT_EQ(text("j"), R"("a\"b\u0001")");
    EXPECT_EQ(text("_airbyte_meta"), "mine");
    EXPECT_EQ(coercer->layout().columns[3].name, "_airbyte_meta_1");
    EXPECT_EQ(meta(), R"({"sync_id":null,"changes":[]})");  // the metadata column is ours
}

TEST_F(coerce_test, UndeclaredFieldsGoToAdditionalProperties) {
    use(stream(R"({"id":{"type":"integer"}})"));
    run(R"({"id":1,"extra":{"n":[1,2.0]},"more":"x","nil":null})");
    EXPECT_EQ(col("id"), cql_value{std::int64_t{1}});
    EXPECT_EQ(additional(), cql_value{std::string(R"({"extra":{"n":[1,2.0]},"more":"x","nil":null})")});
    run(R"({"id":2})");
    EXPECT_TRUE(additional().is_unset());
    use(stream(R"({"id":{"type":"integer"}})"), {}, false);
    run(R"({})");
    EXPECT_TRUE(additional().is_null());
    EXPECT_TRUE(col("id").is_null());
}

TEST_F(coerce_test, SourceChangesAreKeptBeforeOurs) {
    use(stream(all_types, "append", R"("sync_id":1)"));
    run(R"({"i":"x"})", R"({"changes":[{"field":"s","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}],"other":1})");
    EXPECT_EQ(meta(), std::string(R"({"sync_id":1,"changes":[{"field":"s","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"},)") +
                          nulled("i", ser) + "]}");
    run(R"({})", R"({"no_changes":true})");
    EXPECT_EQ(meta(), R"({"sync_id":1,"changes":[]})");
}

TEST_F(coerce_test, AbsentAndNullAreUnsetAndTheLastRepeatCounts) {
    use(stream(all_types));
    run(R"({"i":"bad","i":7,"b":null})");
    EXPECT_EQ(col("i"), cql_value{std::int64_t{7}});
    EXPECT_TRUE(col("b").is_unset());
    EXPECT_TRUE(col("s").is_unset());
    EXPECT_EQ(rec.nulled, 0u);
    EXPECT_EQ(meta(), R"({"sync_id":null,"changes":[]})");
}

TEST_F(coerce_test, OptionsBindAtTheirPlaces) {
    use(stream(R"({"id":{"type":"integer"}})"), {.timestamp = true, .ttl = true});
    in.write_timestamp = 77;
    in.ttl_seconds = 3600;
    run(R"({"id":1})");
    ASSERT_EQ(rec.values.size(), typed_insert_bind_count(coercer->layout(), {.timestamp = true, .ttl = true}));
    EXPECT_EQ(rec.values[5], cql_value{std::int64_t{1}});
    EXPECT_EQ(rec.values[6], cql_value{std::int64_t{77}});
    EXPECT_EQ(rec.values[7], cql_value{std::int32_t{3600}});
}

TEST_F(coerce_test, DedupKeysOrderAndTheDeleteValues) {
    use(stream(R"({"id":{"type":"integer"},"c":{"type":"string"},"v":{"type":"number"}})", "append_dedup",
               R"("primary_key":[["id"]],"cursor_field":["c"])"));
    run(R"({"id":"42","c":"2024-01-01T00:00:00Z","v":1})");  // an integer key written as a string
    rapidjson::Document cursor;
    ASSERT_FALSE(parse_json(R"("2024-01-01T00:00:00Z")", cursor));
    const auto order = order_key(&cursor, in.emitted_at_ms);
    ASSERT_EQ(rec.delete_values.size(), 3u);
    EXPECT_EQ(rec.delete_values[0], cql_value{dedup_write_timestamp});
    EXPECT_EQ(rec.delete_values[1], cql_value{std::int64_t{42}});
    EXPECT_EQ(rec.delete_values[2], cql_value{order});
    EXPECT_EQ(rec.values[5], cql_value{order});
    EXPECT_EQ(col("id"), cql_value{std::int64_t{42}});
    run(R"({"id":1})");  // no cursor value: ordered by emitted_at alone
    EXPECT_EQ(rec.values[5], cql_value{order_key(nullptr, in.emitted_at_ms)});

    EXPECT_EQ(error_of(R"({"c":"x"})"), R"(primary key field "id" is missing or null)");
    EXPECT_EQ(error_of(R"({"id":null})"), R"(primary key field "id" is missing or null)");
    EXPECT_EQ(error_of(R"({"id":"abc"})"), R"(primary key field "id" does not fit its bigint column: "abc")");
    EXPECT_EQ(error_of(R"({"id":99999999999999999999})"), R"(primary key field "id" does not fit its bigint column: 99999999999999999999)");
    EXPECT_EQ(error_of(R"([1])"), "record data is not a JSON object (at byte 0)");
}

TEST_F(coerce_test, DecimalKeysAreCanonical) {
    use(stream(R"({"k":{"type":"number"}})", "append_dedup", R"("primary_key":[["k"]])"));
    run(R"({"k":1.50})");
    const auto a = col("k");
    run(R"({"k":1.5})");
    EXPECT_EQ(col("k"), a);
    const auto* d = a.get_if<cql::protocol::decimal_value>();
    ASSERT_TRUE(d);
    EXPECT_EQ(decimal_text(d->unscaled), "15");
    EXPECT_EQ(d->scale, 1);
}

TEST_F(coerce_test, NestedKeysAndCursorReadAsTheRawTablesDo) {
    use(stream(R"({"a":{"type":"object","properties":{"b":{"type":"integer"}}},"u":{"type":"object"}})", "append_dedup",
               R"("primary_key":[["a","b"]],"cursor_field":["u","at"])"));
    run(R"({"a":{"b":7},"u":{"at":5}})");
    const auto& cols = coercer->layout().columns;
    ASSERT_EQ(cols.size(), 3u);
    EXPECT_EQ(rec.values.at(first_data() + 2), cql_value{std::int64_t{7}});
    EXPECT_EQ(text("a"), R"({"b":7})");
    rapidjson::Document cursor;
    ASSERT_FALSE(parse_json("5", cursor));
    EXPECT_EQ(rec.delete_values.back(), cql_value{order_key(&cursor, in.emitted_at_ms)});
    EXPECT_EQ(rec.delete_values[1], cql_value{std::int64_t{7}});
    EXPECT_EQ(error_of(R"({"a":{}})"), R"(primary key field "a.b" is missing or null)");
    EXPECT_EQ(error_of(R"({"u":1})"), R"(primary key field "a.b" is missing or null)");
    EXPECT_THAT(error_of(R"({"a":{"b":"x"}})"), HasSubstr(R"(primary key field "a.b" is not a 64-bit integer)"));
}

TEST_F(coerce_test, CdcDeletesAreDetected) {
    auto s = stream(R"({"id":{"type":"integer"},"_ab_cdc_deleted_at":{"type":["null","string"],"format":"date-time"}})",
                    "append_dedup", R"("primary_key":[["id"]])");
    ASSERT_TRUE(has_cdc_deleted_at(s));
    use(s);
    run(R"({"id":1,"_ab_cdc_deleted_at":"2024-01-01T00:00:00Z"})");
    EXPECT_TRUE(rec.cdc_deleted);
    EXPECT_EQ(col("_ab_cdc_deleted_at"), cql_value{std::int64_t{1704067200000}});  // soft mode writes it typed
    ASSERT_EQ(rec.delete_values.size(), 3u);  // the hard delete's values: timestamp, key, order
    run(R"({"id":1,"_ab_cdc_deleted_at":null})");
    EXPECT_FALSE(rec.cdc_deleted);
    run(R"({"id":1})");
    EXPECT_FALSE(rec.cdc_deleted);
    use(stream(R"({"id":{"type":"integer"}})"));  // undeclared, still a delete
    run(R"({"id":1,"_ab_cdc_deleted_at":"2024-01-01"})");
    EXPECT_TRUE(rec.cdc_deleted);
    EXPECT_EQ(additional(), cql_value{std::string(R"({"_ab_cdc_deleted_at":"2024-01-01"})")});
}

TEST(ScannerMeta, RecordMetaIsKeptCompact) {
    message_scanner sc;
    scanned_message m;
    std::string error;
    ASSERT_TRUE(sc.scan(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":1},)"
                        R"("meta": {"changes": [{"field":"a","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR","n":1e400}]}}})",
                        m, error))
        << error;
    EXPECT_EQ(m.meta_json, R"({"changes":[{"field":"a","change":"NULLED","reason":"SOURCE_SERIALIZATION_ERROR","n":1e400}]})");
    EXPECT_EQ(m.data_json, R"({"a":1})");
    ASSERT_TRUE(sc.scan(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":1}}})", m, error)) << error;
    EXPECT_EQ(m.meta_json, "");
    ASSERT_TRUE(sc.scan(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"meta":{"x":1},"data":{},"meta":5}})", m, error))
        << error;
    EXPECT_EQ(m.meta_json, "");  // the last "meta" counts, and it is not an object
    ASSERT_TRUE(sc.scan(R"({"type":"RECORD","record":{"stream":"s","meta":[1],"emitted_at":1,"data":{}}})", m, error)) << error;
    EXPECT_EQ(m.meta_json, "");
}

// Compact data without a backslash (the scanner's data_json for most records) is read by the fast
// path (compact_json::split_members, no parser); the same data with one space added is read by the
// parser. Both must give the same values, delete values, changes and errors, for every kind of
// value, fit and misfit, undeclared fields, repeats, nested keys, the cursor and CDC.
TEST_F(coerce_test, TheFastPathAndTheParserAgree) {
    const std::vector<std::string> records = {
        R"({"b":true,"i":42,"n":1.50,"s":"héllo","d":"2024-01-31","ts":"2024-01-31T10:00:00.5+02:00","t":"10:00:00","o":{"k":[1,2.50,"x"]},"a":[1,{"z":null}],"u":"str","x":12})",
        R"({"b":"true","i":"12","n":"1.5","s":"ok","d":"2024-02-30","ts":"0000-01-01T00:00:00Z","t":"25:00","o":{"fine":1},"a":[],"u":1,"x":null})",
        R"({"i":9223372036854775808,"b":{"x":1},"n":[1],"d":5,"ts":"+20000-01-01T00:00:00Z","t":true,"s":{"q":[{}]}})",
        R"({"i":1e400,"n":123456789012345678901234567890.5e-3,"extra":{"n":[1,2.0]},"more":"x","nil":null,"i":7,"s":false})",
        R"({"o":[],"a":{},"x":"text","u":[null],"s":null,"extra":[true]})",
        R"({})",
    };
    auto spaced = [](const std::string& r) { return "{ " + r.substr(1); };
    // Third way: the members the scanner split from the whole line (typed tables' usual way).
    message_scanner scanner(true, true);
    scanned_message m;
    auto from_scanner = [&](const std::string& r) {
        const std::string line = R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":)" + r + "}}";
        std::string e;
        EXPECT_TRUE(scanner.scan(line, m, e)) << e;
        EXPECT_TRUE(m.data_split) << line;
        in.data_split = true;
        in.data_members = m.data_members;
        const std::string error = error_of(r);  // data_json as well, for the parser's fallbacks
        in.data_split = false;
        in.data_members = {};
        return error;
    };
    auto compare = [&](const std::string& what) {
        for (const auto& r : records) {
            std::vector<compact_json::member> members;
            ASSERT_TRUE(compact_json::split_members(r, members)) << r;  // the fast path reads it
            const std::string split_error = from_scanner(r);
            const coerced_record split = rec;
            const std::string fast_error = error_of(r);
            const coerced_record fast = rec;
            EXPECT_EQ(fast_error, split_error) << what << ": " << r;
            if (fast_error == "<no error>") {
                EXPECT_EQ(fast.values, split.values) << what << ": " << r;
                EXPECT_EQ(fast.delete_values, split.delete_values) << what << ": " << r;
            }
            const std::string slow_error = error_of(spaced(r));
            EXPECT_EQ(fast_error, slow_error) << what << ": " << r;
            if (fast_error != "<no error>") continue;
            EXPECT_EQ(fast.values, rec.values) << what << ": " << r;
            EXPECT_EQ(fast.delete_values, rec.delete_values) << what << ": " << r;
            EXPECT_EQ(fast.nulled, rec.nulled) << what << ": " << r;
            EXPECT_EQ(fast.cdc_deleted, rec.cdc_deleted) << what << ": " << r;
        }
    };
    use(stream(all_types, "append", R"("sync_id":7)"));
    compare("append");
    use(stream(R"({"i":{"type":"integer"},"o":{"type":"object","properties":{"k":{"type":"number"}}},"ts":{"type":"string"},)"
               R"("_ab_cdc_deleted_at":{"type":["null","string"]}})",
               "append_dedup", R"("primary_key":[["i"],["o","k"]],"cursor_field":["ts"])"));
    compare("dedup, keys missing");
    const std::vector<std::string> keyed = {
        R"({"i":1,"o":{"k":2.50},"ts":"2024-01-01T00:00:00Z"})",
        R"({"i":"3","o":{"k":-1e2},"ts":5,"_ab_cdc_deleted_at":"2024-01-01"})",
        R"({"i":4,"o":{"k":"x"}})",
        R"({"i":1.5,"o":{"k":1}})",
        R"({"i":5,"o":{"k":1},"_ab_cdc_deleted_at":null,"ts":{"deep":[1]}})",
    };
    for (const auto& r : keyed) {
        const std::string fast_error = error_of(r);
        const coerced_record fast = rec;
        EXPECT_EQ(fast_error, error_of(spaced(r))) << r;
        if (fast_error != "<no error>") continue;
        EXPECT_EQ(fast.values, rec.values) << r;
        EXPECT_EQ(fast.delete_values, rec.delete_values) << r;
        EXPECT_EQ(fast.cdc_deleted, rec.cdc_deleted) << r;
    }
}
