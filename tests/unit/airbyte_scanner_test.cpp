// message_scanner: one SAX pass over an Airbyte message line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rapidjson/document.h>
#include <rapidjson/reader.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <functional>
#include <random>
#include <string>
#include <string_view>

#include "airbyte/message_scanner.hpp"

using airbyte::message_scanner;
using airbyte::message_type;
using airbyte::scanned_message;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

struct scanner_test : ::testing::Test {
    message_scanner sc;
    scanned_message m;
    std::string error;

    bool scan(std::string_view line) {
        error.clear();
        return sc.scan(line, m, error);
    }
    void expect_rejected(std::string_view line) {
        SCOPED_TRACE(std::string(line.substr(0, 200)));
        EXPECT_FALSE(scan(line));
        EXPECT_FALSE(error.empty());
    }
};

std::string record_with_data(std::string_view data) {
    return R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":)" + std::string(data) + "}}";
}

// ---------------------------------------------------------------- RECORD

TEST_F(scanner_test, RecordFields) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"users","namespace":"public","emitted_at":1700000000123,)"
                     R"("data":{"id":1,"name":"a"}}})"))
        << error;
    EXPECT_EQ(m.type, message_type::record);
    EXPECT_EQ(m.type_name, "RECORD");
    EXPECT_EQ(m.stream, "users");
    ASSERT_TRUE(m.ns.has_value());
    EXPECT_EQ(*m.ns, "public");
    EXPECT_TRUE(m.has_emitted_at);
    EXPECT_EQ(m.emitted_at_ms, 1700000000123);
    EXPECT_TRUE(m.has_data);
    EXPECT_TRUE(m.data_is_object);
    EXPECT_EQ(m.data_json, R"({"id":1,"name":"a"})");
    EXPECT_FALSE(m.has_state);
    EXPECT_TRUE(m.state_json.empty());
}

TEST_F(scanner_test, RecordFieldOrderAndWhitespaceDoNotMatter) {
    ASSERT_TRUE(scan(" { \"record\" : { \"data\" : { \"b\" : [ 1 , 2 ] } , \"emitted_at\" : 5 , \"stream\" : \"x\" } ,"
                     " \"type\" : \"RECORD\" } "))
        << error;
    EXPECT_EQ(m.type, message_type::record);
    EXPECT_EQ(m.stream, "x");
    EXPECT_EQ(m.emitted_at_ms, 5);
    EXPECT_EQ(m.data_json, R"({"b":[1,2]})");
}

// Without a backslash in the line the data is taken as its own bytes (whitespace between tokens
// dropped); with one, the Writer re-serialises it. Both give the same compact text.
TEST_F(scanner_test, DataTakenAsWrittenIsTheCompactText) {
    const std::pair<std::string, std::string> cases[] = {
        {R"({})", R"({})"},
        {R"({ })", R"({})"},
        {R"({"a":{},"b":[],"c":[[]],"d":[{}]})", R"({"a":{},"b":[],"c":[[]],"d":[{}]})"},
        {R"({"s": "x y , : { }", "n" : -1.50e+3, "t":true ,"f":false, "z" :null})",
         R"({"s":"x y , : { }","n":-1.50e+3,"t":true,"f":false,"z":null})"},
        {"{\n\t\"a\"\r\n:\t[ 1 ,2 ]\n}", R"({"a":[1,2]})"},
        {R"({"h":"한 é","k":{"x y":[1,{"q":"]"}]}})", R"({"h":"한 é","k":{"x y":[1,{"q":"]"}]}})"},
        {R"({"e": "a\"b\u0041\/"})", R"({"e":"a\"bA/"})"},  // the Writer's path
    };
    for (const auto& [data, compact] : cases) {
        SCOPED_TRACE(data);
        ASSERT_TRUE(scan(record_with_data(data))) << error;
        EXPECT_EQ(m.data_json, compact);
        ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s\u0073","emitted_at":1,"data":)" + data + "}}")) << error;
        EXPECT_EQ(m.data_json, compact);  // a backslash elsewhere in the line: the Writer's path
    }
}

TEST_F(scanner_test, NamespaceAbsentOrNull) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":{}}})")) << error;
    EXPECT_FALSE(m.ns.has_value());
    EXPECT_FALSE(m.has_emitted_at);
    EXPECT_EQ(m.data_json, "{}");
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","namespace":null,"data":{}}})")) << error;
    EXPECT_FALSE(m.ns.has_value());
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","namespace":"","data":{}}})")) << error;
    ASSERT_TRUE(m.ns.has_value());
    EXPECT_EQ(*m.ns, "");
}

TEST_F(scanner_test, DataNullAbsentOrNotObject) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":null}})")) << error;
    EXPECT_FALSE(m.has_data);
    EXPECT_FALSE(m.data_is_object);
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s"}})")) << error;
    EXPECT_FALSE(m.has_data);
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":[1]}})")) << error;
    EXPECT_TRUE(m.has_data);
    EXPECT_FALSE(m.data_is_object);
    EXPECT_TRUE(m.data_json.empty());
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":"text"}})")) << error;
    EXPECT_TRUE(m.has_data);
    EXPECT_FALSE(m.data_is_object);
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":0}})")) << error;
    EXPECT_TRUE(m.has_data);
    EXPECT_FALSE(m.data_is_object);
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","data":false}})")) << error;
    EXPECT_TRUE(m.has_data);
    EXPECT_FALSE(m.data_is_object);
}

TEST_F(scanner_test, NumbersKeptExactlyAsWritten) {
    const std::string data =
        R"({"big":123456789012345678901234567890,"neg":-98765432109876543210,"f":1.10,"e":1e5,"E":2.5E-3,)"
        R"("z":-0,"zf":0.000,"u64":18446744073709551616,"tiny":1e-400,"arr":[1.0,2.50,-3e+2]})";
    ASSERT_TRUE(scan(record_with_data(data))) << error;
    EXPECT_EQ(m.data_json, data);
}

// JSON puts no bound on numbers; a source may send a numeric wider than a double (e.g. a 400-digit
// Postgres NUMERIC). The scanner promises to pass numbers on exactly as written.
TEST_F(scanner_test, NumbersBeyondDoubleRangeKept) {
    const std::string wide = "{\"n\":" + std::string(400, '9') + "}";
    EXPECT_TRUE(scan(record_with_data(wide))) << error;
    EXPECT_EQ(m.data_json, wide);
    EXPECT_TRUE(scan(record_with_data(R"({"e":1e400})"))) << error;
    EXPECT_EQ(m.data_json, R"({"e":1e400})");
}

TEST_F(scanner_test, UnicodeAndEscapesKept) {
    const std::string line = record_with_data(
        R"({"u":"caf\u00e9 日本 \ud83d\ude00","q":"a\"b\\c","ws":"\n\t\r\b\f","ctl":"\u0001\u001f","nul":"x\u0000y",)"
        R"("slash":"\/","k\"ey":1,"日本":"語"})");
    ASSERT_TRUE(scan(line)) << error;
    // Re-serialised: the same JSON value, and plain UTF-8 for non-ASCII characters.
    rapidjson::Document got, want;
    got.Parse(m.data_json.data(), m.data_json.size());
    ASSERT_FALSE(got.HasParseError()) << m.data_json;
    want.Parse(line.c_str());
    ASSERT_FALSE(want.HasParseError());
    EXPECT_TRUE(got == want["record"]["data"]) << m.data_json;
    EXPECT_THAT(std::string(m.data_json), HasSubstr("caf\xC3\xA9 日本 \xF0\x9F\x98\x80"));
    EXPECT_THAT(std::string(m.data_json), HasSubstr(R"("q":"a\"b\\c")"));
    EXPECT_THAT(std::string(m.data_json), HasSubstr(R"("ws":"\n\t\r\b\f")"));
    EXPECT_THAT(std::string(m.data_json), HasSubstr(R"("k\"ey":1)"));
    EXPECT_EQ(std::string(got["nul"].GetString(), got["nul"].GetStringLength()), std::string("x\0y", 3));
}

TEST_F(scanner_test, NestedData) {
    const std::string data =
        R"({"a":{"b":{"c":[1,{"d":null,"e":[true,false]},[],{}]}},"data":{"stream":"not-the-stream"},"type":"x"})";
    ASSERT_TRUE(scan(record_with_data(data))) << error;
    EXPECT_EQ(m.data_json, data);
    EXPECT_EQ(m.stream, "s");                     // a nested "stream" is not the record's stream
    EXPECT_EQ(m.type, message_type::record);      // nor a nested "type" the message's type
}

TEST_F(scanner_test, EmittedAtForms) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1.7e12,"data":{}}})")) << error;
    EXPECT_EQ(m.emitted_at_ms, 1700000000000);
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s","emitted_at":-5,"data":{}}})")) << error;
    EXPECT_EQ(m.emitted_at_ms, -5);
    expect_rejected(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1e300,"data":{}}})");
    EXPECT_THAT(error, HasSubstr("emitted_at"));
}

// ---------------------------------------------------------------- STATE

TEST_F(scanner_test, StreamState) {
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"users",)"
                     R"("namespace":"public"},"stream_state":{"cursor":"2024-01-01","n":1.50}},)"
                     R"("sourceStats":{"recordCount":3.0},"destinationStats":{"recordCount":3.0}}})"))
        << error;
    EXPECT_EQ(m.type, message_type::state);
    EXPECT_EQ(m.state_type, "STREAM");
    EXPECT_EQ(m.state_stream, "users");
    ASSERT_TRUE(m.state_ns.has_value());
    EXPECT_EQ(*m.state_ns, "public");
    EXPECT_TRUE(m.has_state);
    EXPECT_EQ(m.state_json, R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"users","namespace":"public"},)"
                            R"("stream_state":{"cursor":"2024-01-01","n":1.50}},"sourceStats":{"recordCount":3.0}})");
    EXPECT_FALSE(m.has_data);
    EXPECT_TRUE(m.data_json.empty());
}

TEST_F(scanner_test, StreamStateWithoutNamespace) {
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"u"}}}})")) << error;
    EXPECT_EQ(m.state_stream, "u");
    EXPECT_FALSE(m.state_ns.has_value());
}

TEST_F(scanner_test, GlobalState) {
    const std::string st = R"({"type":"GLOBAL","global":{"shared_state":{"lsn":123456789012345678901},)"
                           R"("stream_states":[{"stream_descriptor":{"name":"a"},"stream_state":{"x":1}}]}})";
    ASSERT_TRUE(scan(R"({"type":"STATE","state":)" + st + "}")) << error;
    EXPECT_EQ(m.state_type, "GLOBAL");
    EXPECT_EQ(m.state_stream, "");
    EXPECT_EQ(m.state_json, st);
}

TEST_F(scanner_test, LegacyStateExplicitAndImplicit) {
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"type":"LEGACY","data":{"c":1}}})")) << error;
    EXPECT_EQ(m.state_type, "LEGACY");
    EXPECT_EQ(m.state_json, R"({"type":"LEGACY","data":{"c":1}})");
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"data":{"c":2}}})")) << error;
    EXPECT_EQ(m.state_type, "LEGACY");
    EXPECT_EQ(m.state_json, R"({"data":{"c":2}})");
}

TEST_F(scanner_test, DestinationStatsRemovedWherever) {
    const char* cases[][2] = {
        {R"({"destinationStats":{"recordCount":1.0},"type":"GLOBAL","global":{}})", R"({"type":"GLOBAL","global":{}})"},
        {R"({"type":"GLOBAL","destinationStats":{"a":[1,{"b":2}]},"global":{}})", R"({"type":"GLOBAL","global":{}})"},
        {R"({"type":"GLOBAL","global":{},"destinationStats":{"recordCount":1.0}})", R"({"type":"GLOBAL","global":{}})"},
        {R"({"destinationStats":{"recordCount":1.0}})", R"({})"},
        {R"({"destinationStats":null})", R"({})"},
        {R"({"destinationStats":5,"data":{"destinationStats":1}})", R"({"data":{"destinationStats":1}})"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c[0]);
        ASSERT_TRUE(scan(std::string(R"({"type":"STATE","state":)") + c[0] + "}")) << error;
        EXPECT_TRUE(m.has_state);
        EXPECT_EQ(m.state_json, c[1]);
        rapidjson::Document d;
        d.Parse(m.state_json.data(), m.state_json.size());
        EXPECT_FALSE(d.HasParseError());
    }
}

TEST_F(scanner_test, StateBeforeType) {
    ASSERT_TRUE(scan(R"({"state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}}},"type":"STATE"})")) << error;
    EXPECT_EQ(m.type, message_type::state);
    EXPECT_EQ(m.state_stream, "a");
}

// ---------------------------------------------------------------- types

TEST_F(scanner_test, OtherAndUnknownTypes) {
    for (const char* t : {"LOG", "TRACE", "CONTROL", "SPEC", "CONNECTION_STATUS", "CATALOG"}) {
        ASSERT_TRUE(scan(std::string(R"({"type":")") + t + R"(","log":{"level":"INFO","message":"x"}})")) << error;
        EXPECT_EQ(m.type, message_type::other_known) << t;
        EXPECT_EQ(m.type_name, t);
    }
    for (const char* line : {R"({"type":"FOO"})", R"({"type":"record"})", R"({})", R"({"type":null})",
                             R"({"record":{"stream":"s","data":{}}})"}) {
        ASSERT_TRUE(scan(line)) << line << ": " << error;
        EXPECT_EQ(m.type, message_type::unknown) << line;
    }
    // Fields the connector reads must have their kind; the message names the field and what came.
    const std::pair<const char*, const char*> wrong[] = {
        {R"({"type":5})", "\"type\" must be a string, not a number"},
        {R"({"type":["RECORD"]})", "\"type\" must be a string, not an array"},
        {R"({"type":"STATE","state":{"type":7}})", "state.type must be a string, not a number"},
        {R"({"type":"RECORD","record":{"stream":{"name":"s"},"data":{}}})", "record.stream must be a string, not an object"},
        {R"({"type":"RECORD","record":{"stream":"s","namespace":true,"data":{}}})", "record.namespace must be a string, not a boolean"},
        {R"({"type":"RECORD","record":{"stream":"s","emitted_at":"1700000000000","data":{}}})",
         "record.emitted_at must be a number of milliseconds, not a string"},
    };
    for (const auto& [line, message] : wrong) {
        EXPECT_FALSE(scan(line)) << line;
        EXPECT_THAT(error, HasSubstr(message)) << line;
    }
    // A TRACE STREAM_STATUS gives its status and stream.
    ASSERT_TRUE(scan(R"({"type":"TRACE","trace":{"type":"STREAM_STATUS","emitted_at":1,"stream_status":)"
                     R"({"stream_descriptor":{"name":"users","namespace":"ns"},"status":"INCOMPLETE"}}})")) << error;
    EXPECT_EQ(m.type, message_type::other_known);
    EXPECT_EQ(m.trace_type, "STREAM_STATUS");
    EXPECT_EQ(m.stream_status, "INCOMPLETE");
    EXPECT_EQ(m.status_stream, "users");
    ASSERT_TRUE(m.status_ns.has_value());
    EXPECT_EQ(*m.status_ns, "ns");
    ASSERT_TRUE(scan(R"({"type":"LOG","log":{"level":"INFO","message":"x"}})")) << error;
    EXPECT_EQ(m.stream_status, "") << "a later message keeps no status";
    ASSERT_TRUE(scan(R"({"type":"FOO"})"));
    EXPECT_EQ(m.type_name, "FOO");
}

// ---------------------------------------------------------------- rejected lines

TEST_F(scanner_test, DuplicateTopLevelKeysRejected) {
    expect_rejected(R"({"type":"RECORD","type":"STATE","record":{"stream":"s","data":{}}})");
    EXPECT_THAT(error, HasSubstr("type"));
    expect_rejected(R"({"type":"RECORD","record":{"stream":"s","data":{}},"record":{"stream":"t","data":{}}})");
    EXPECT_THAT(error, HasSubstr("record"));
    expect_rejected(R"({"type":"STATE","state":{"data":{}},"state":{"data":{"x":1}}})");
    EXPECT_THAT(error, HasSubstr("state"));
}

TEST_F(scanner_test, DuplicateRecordFieldsRejected) {
    for (const char* field : {"stream", "namespace", "emitted_at", "data"}) {
        SCOPED_TRACE(field);
        const std::string v = std::string(field) == "emitted_at" ? "1" : (std::string(field) == "data" ? "{}" : "\"x\"");
        expect_rejected(std::string(R"({"type":"RECORD","record":{"stream":"s","namespace":"n","emitted_at":1,"data":{},")") +
                        field + "\":" + v + "}}");
        EXPECT_THAT(error, HasSubstr(field));
    }
}

TEST_F(scanner_test, DuplicateStateFieldsRejected) {
    expect_rejected(R"({"type":"STATE","state":{"type":"STREAM","type":"GLOBAL"}})");
    expect_rejected(R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}},)"
                    R"("stream":{"stream_descriptor":{"name":"b"}}}})");
}

TEST_F(scanner_test, DuplicateKeysInsideDataAreData) {
    // Keys the connector does not read may repeat (the data is passed on as written).
    ASSERT_TRUE(scan(record_with_data(R"({"a":1,"a":2})"))) << error;
    EXPECT_EQ(m.data_json, R"({"a":1,"a":2})");
}

TEST_F(scanner_test, NonObjectLinesRejected) {
    for (const char* line : {"[]", R"([{"type":"RECORD"}])", R"("RECORD")", "5", "null", "true", ""}) {
        expect_rejected(line);
    }
}

TEST_F(scanner_test, TruncatedLinesRejected) {
    const std::string full = R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":[1,2,"x"]}}})";
    for (std::size_t n = 0; n < full.size(); ++n) expect_rejected(std::string_view(full).substr(0, n));
    EXPECT_TRUE(scan(full)) << error;
}

TEST_F(scanner_test, InvalidUtf8Rejected) {
    expect_rejected(record_with_data("{\"a\":\"\xff\"}"));
    expect_rejected(record_with_data("{\"a\":\"\xc3\"}"));             // truncated sequence
    expect_rejected(record_with_data("{\"a\":\"\xc0\xaf\"}"));         // overlong
    expect_rejected(record_with_data("{\"a\":\"\xed\xa0\x80\"}"));     // encoded surrogate
    expect_rejected(record_with_data("{\"\xfe\":1}"));                 // in a key
    expect_rejected(record_with_data(R"({"a":"\ud800"})"));            // lone surrogate escape
    expect_rejected("{\"type\":\"RECORD\",\"record\":{\"stream\":\"s\xff\",\"data\":{}}}");
}

TEST_F(scanner_test, TrailingGarbageRejected) {
    const std::string ok = R"({"type":"LOG","log":{}})";
    for (const char* tail : {"x", "{}", ",", "]", "}", "\"a\"", "\x01"}) expect_rejected(ok + tail);
    expect_rejected(ok + " " + ok);
    EXPECT_TRUE(scan(ok + "  \t")) << error;  // trailing whitespace is fine
}

TEST_F(scanner_test, OtherMalformedJsonRejected) {
    for (const char* line : {R"({'type':'RECORD'})", R"({"type":"RECORD",})", R"({type:"RECORD"})", R"({"a":01})",
                             R"({"a":NaN})", R"({"a":"x\q"})", "{\"a\":\"tab\there\"}", R"({"a":1 "b":2})"}) {
        expect_rejected(line);
    }
}

TEST_F(scanner_test, DeepNestingDoesNotCrash) {
    const std::size_t n = 100000;
    expect_rejected(std::string(n, '['));
    expect_rejected(std::string(n, '[') + std::string(n, ']'));
    expect_rejected("{\"a\":" + std::string(n, '['));
    expect_rejected(record_with_data("{\"a\":" + std::string(n, '[')));
    std::string objs;
    for (std::size_t i = 0; i < n; ++i) objs += "{\"a\":";
    expect_rejected(R"({"type":"STATE","state":)" + objs);

    // Deep but complete: accepted and re-serialised as written.
    const std::string deep = "{\"a\":" + std::string(n, '[') + std::string(n, ']') + "}";
    ASSERT_TRUE(scan(record_with_data(deep))) << error;
    EXPECT_EQ(m.data_json, deep);
    std::string closes(n, '}');
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"data":)" + objs + "1" + closes + "}}")) << error;
    EXPECT_EQ(m.state_json, "{\"data\":" + objs + "1" + closes + "}");
}

// ---------------------------------------------------------------- reuse

TEST_F(scanner_test, BuffersReusedWithoutLeaks) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"first","namespace":"ns1","emitted_at":99,)"
                     R"("data":{"long_field_name":"a long value that should not leak","n":12345}}})"))
        << error;
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"second","data":{"b":2}}})")) << error;
    EXPECT_EQ(m.stream, "second");
    EXPECT_FALSE(m.ns.has_value());
    EXPECT_FALSE(m.has_emitted_at);
    EXPECT_EQ(m.emitted_at_ms, 0);
    EXPECT_EQ(m.data_json, R"({"b":2})");

    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"x","namespace":"y"}}}})"))
        << error;
    EXPECT_TRUE(m.stream.empty());
    EXPECT_FALSE(m.has_data);
    EXPECT_TRUE(m.data_json.empty());
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"type":"GLOBAL","global":{}}})")) << error;
    EXPECT_TRUE(m.state_stream.empty());
    EXPECT_FALSE(m.state_ns.has_value());
    EXPECT_EQ(m.state_json, R"({"type":"GLOBAL","global":{}})");
    ASSERT_TRUE(scan(R"({"type":"LOG","log":{"message":"m"}})")) << error;
    EXPECT_FALSE(m.has_state);
    EXPECT_TRUE(m.state_json.empty());
    EXPECT_TRUE(m.state_type.empty());
    EXPECT_TRUE(m.type_name == "LOG");
}

TEST_F(scanner_test, ScanAfterFailureStartsClean) {
    expect_rejected(R"({"type":"RECORD","record":{"stream":"bad","data":{"a":[1,{"b":)");
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"good","data":{"c":3}}})")) << error;
    EXPECT_EQ(m.stream, "good");
    EXPECT_EQ(m.data_json, R"({"c":3})");
    expect_rejected(R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"z")");
    ASSERT_TRUE(scan(R"({"type":"STATE","state":{"data":{}}})")) << error;
    EXPECT_EQ(m.state_json, R"({"data":{}})");
    EXPECT_TRUE(m.state_stream.empty());
    EXPECT_EQ(m.state_type, "LEGACY");
    // A deep failure followed by a shallow line.
    expect_rejected(record_with_data("{\"a\":" + std::string(5000, '{')));
    ASSERT_TRUE(scan(record_with_data(R"({"k":"v"})"))) << error;
    EXPECT_EQ(m.data_json, R"({"k":"v"})");
}

TEST_F(scanner_test, ManyLinesSameScanner) {
    for (int i = 0; i < 1000; ++i) {
        const std::string data = "{\"i\":" + std::to_string(i) + ",\"s\":\"" + std::string(static_cast<std::size_t>(i % 37), 'x') + "\"}";
        ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"s)" + std::to_string(i % 3) + R"(","emitted_at":)" +
                         std::to_string(i) + R"(,"data":)" + data + "}}"))
            << error;
        ASSERT_EQ(m.data_json, data);
        ASSERT_EQ(m.stream, "s" + std::to_string(i % 3));
        ASSERT_EQ(m.emitted_at_ms, i);
    }
}

}  // namespace

// A lone surrogate escape decodes to bytes that are not UTF-8: refused, with a message, while a
// proper pair and Hangul (ED 95 9C, a 3-byte form starting ED) pass. Found by fuzzing.
TEST(scanner_surrogates, LoneSurrogateEscapesRefused) {
    airbyte::message_scanner sc;
    airbyte::scanned_message m;
    std::string error;
    auto rec = [](const std::string& data) {
        return R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":)" + data + "}}";
    };
    for (const char* bad : {R"({"a":"\ude00"})", R"({"a":"\ud83d"})", R"({"a":"x\ud83dy"})", R"({"\udfff":1})",
                            R"({"a":"\ud66d\ude00"})"}) {
        EXPECT_FALSE(sc.scan(rec(bad), m, error)) << bad;
        EXPECT_NE(error.find("surrogate"), std::string::npos) << error;
    }
    ASSERT_TRUE(sc.scan(rec(R"({"a":"\ud83d\ude00","h":"한"})"), m, error)) << error;
    EXPECT_EQ(m.data_json, "{\"a\":\"\xF0\x9F\x98\x80\",\"h\":\"한\"}");
}

// UTF-8 is checked over the whole line before parsing: the error names the first bad byte's
// offset, in a string, a key or between tokens; a NUL byte is named as such.
TEST(scanner_utf8, InvalidUtf8NamesItsOffset) {
    airbyte::message_scanner sc;
    airbyte::scanned_message m;
    std::string error;
    const std::string head = R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":{"a":")";
    for (const std::string& bad : {std::string("\xc3\x28"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"), std::string("\xff")}) {
        const std::string line = head + "ok" + bad + R"("}}})";
        EXPECT_FALSE(sc.scan(line, m, error));
        EXPECT_EQ(error, "malformed JSON: invalid UTF-8 (at byte " + std::to_string(head.size() + 2) + ")");
    }
    EXPECT_FALSE(sc.scan(std::string(R"({"type":"LOG","log":{"message":"a)") + '\0' + R"("}})", m, error));
    EXPECT_EQ(error, "a NUL byte (at byte 33)");
    EXPECT_FALSE(sc.scan(std::string(R"({"type":"LOG"})") + " \xe9", m, error));
    EXPECT_EQ(error, "malformed JSON: invalid UTF-8 (at byte 15)");
    // The same scanner reads a good line afterwards.
    ASSERT_TRUE(sc.scan(head + R"(é"}}})", m, error)) << error;
    EXPECT_EQ(m.data_json, R"({"a":"é"})");
}

namespace {

// What RapidJSON's Writer makes of a JSON text, numbers kept as written: the reference the scanner's
// copy of canonical data must equal byte for byte.
std::string writer_reference(const std::string& json) {
    struct forward : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, forward> {
        rapidjson::Writer<rapidjson::StringBuffer>& w;
        explicit forward(rapidjson::Writer<rapidjson::StringBuffer>& wr) : w(wr) {}
        bool Null() { return w.Null(); }
        bool Bool(bool b) { return w.Bool(b); }
        bool RawNumber(const char* s, rapidjson::SizeType n, bool) { return w.RawValue(s, n, rapidjson::kNumberType); }
        bool String(const char* s, rapidjson::SizeType n, bool) { return w.String(s, n, true); }
        bool Key(const char* s, rapidjson::SizeType n, bool) { return w.Key(s, n, true); }
        bool StartObject() { return w.StartObject(); }
        bool EndObject(rapidjson::SizeType n) { return w.EndObject(n); }
        bool StartArray() { return w.StartArray(); }
        bool EndArray(rapidjson::SizeType n) { return w.EndArray(n); }
    };
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    forward h(w);
    rapidjson::Reader r;
    rapidjson::StringStream in(json.c_str());
    if (r.Parse<rapidjson::kParseNumbersAsStringsFlag>(in, h).IsError()) return "<invalid>";
    return std::string(buf.GetString(), buf.GetSize());
}

}  // namespace

// The record's data, re-serialised from the one SAX pass over the whole line, is exactly what the
// Writer makes of the data alone: random data with white space, every kind of escape, Unicode and
// numbers, nested, with keys named like the envelope's, in records whose other members come before
// and after it.
TEST(scanner_data, ReserialisedDataEqualsTheWriter) {
    std::mt19937 rng(20261124);
    auto pick = [&](std::initializer_list<const char*> xs) { return std::string(*(xs.begin() + rng() % xs.size())); };
    auto ws = [&]() { return rng() % 6 == 0 ? pick({" ", "\t", "\n ", "\r\n"}) : std::string(); };
    std::function<std::string(int)> value = [&](int depth) -> std::string {
        switch (depth > 3 ? rng() % 3 : rng() % 5) {
        case 0: return pick({"0", "-1", "1.5e10", "12345678901234567890", "1E-7", "true", "false", "null"});
        case 1:
        case 2:
            return "\"" + pick({"plain", "caf\\u00e9", "é", "\\\"q\\\"", "a\\\\b", "\\/", "\\n\\t", "\\u001F", "\\u001f",
                                "\\u0007", "\\u000A", "\\ud83d\\ude00", "😀", "\\b\\f\\r", "#", ""}) + "\"";
        case 3: {
            std::string s = "[" + ws();
            for (int i = 0, n = static_cast<int>(rng() % 3); i < n; ++i) s += (i ? "," + ws() : "") + value(depth + 1) + ws();
            return s + "]";
        }
        default: {
            std::string s = "{" + ws();
            for (int i = 0, n = static_cast<int>(rng() % 4); i < n; ++i)
                s += (i ? "," + ws() : "") + "\"" + pick({"k", "id", "n\\u00e9", "a\\\"b", "data", "record"}) +
                     std::to_string(i) + "\"" + ws() + ":" + ws() + value(depth + 1) + ws();
            return s + "}";
        }
        }
    };
    airbyte::message_scanner sc;
    airbyte::scanned_message m;
    std::string error;
    int already_compact = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string data = "{" + ws() + "\"id\":" + ws() + std::to_string(i) + ws();
        for (int k = 0, n = static_cast<int>(rng() % 4); k < n; ++k)
            data += ",\"f" + std::to_string(k) + "\"" + ws() + ":" + value(1);
        data += ws() + "}";
        const std::string before = rng() % 2 ? R"("stream":"s",)" : "";
        const std::string line = R"({"type":"RECORD","record":{)" + before + R"("data":)" + ws() + data + ws() +
                                 (before.empty() ? R"(,"stream":"s")" : "") + R"(,"emitted_at":1},"x":[1,{"data":2}]})";
        ASSERT_TRUE(sc.scan(line, m, error)) << error << "\n" << line;
        ASSERT_EQ(m.data_json, writer_reference(data)) << line;
        if (m.data_json == data) ++already_compact;
    }
    EXPECT_GT(already_compact, 300);  // data the source wrote compact is well covered too
}
