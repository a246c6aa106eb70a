// message_scanner: numbers beyond a double's range are kept exactly, and handling them does not
// change what else the line says or let malformed JSON through.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <string>
#include <string_view>

#include "airbyte/message_scanner.hpp"

using airbyte::message_scanner;
using airbyte::message_type;
using airbyte::scanned_message;
using ::testing::HasSubstr;

namespace {

struct big_numbers_test : ::testing::Test {
    message_scanner sc;
    scanned_message m;
    std::string error;

    bool scan(std::string_view line) {
        error.clear();
        return sc.scan(line, m, error);
    }
    static std::string record(std::string_view data) {
        return R"({"type":"RECORD","record":{"stream":"s","emitted_at":1,"data":)" + std::string(data) + "}}";
    }
    void expect_kept(std::string_view data) {
        SCOPED_TRACE(std::string(data.substr(0, 120)));
        ASSERT_TRUE(scan(record(data))) << error;
        EXPECT_EQ(m.type, message_type::record);
        EXPECT_EQ(m.stream, "s");
        EXPECT_EQ(m.emitted_at_ms, 1);
        EXPECT_EQ(m.data_json, data);
    }
    void expect_rejected(std::string_view line) {
        SCOPED_TRACE(std::string(line.substr(0, 160)));
        EXPECT_FALSE(scan(line));
        EXPECT_FALSE(error.empty());
    }
};

const std::string digits400(400, '7');

TEST_F(big_numbers_test, KeptExactlyWherever) {
    expect_kept("{\"n\":" + digits400 + "}");
    expect_kept("{\"n\":-" + digits400 + "}");
    expect_kept("{\"n\":0." + digits400 + "}");
    expect_kept("{\"n\":" + digits400 + ".5e-3}");
    expect_kept(R"({"a":1e400,"b":-1E+999,"c":[1e309,{"d":2.5e4000}],"e":"1e400 in a string","f":1.10})");
    expect_kept(R"({"n":10000000000e300})");  // beyond a double by mantissa and exponent together
    expect_kept(R"({"n":1e-400})");
    expect_kept(R"({"s":"x\"1e400","n":1e400,"t":"\\","u":2e400})");  // escapes around the numbers
}

TEST_F(big_numbers_test, StateKeepsThem) {
    const std::string st = R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"u","namespace":"n"},)"
                           R"("stream_state":{"lsn":)" + digits400 + R"(,"x":1e999}}})";
    ASSERT_TRUE(scan(R"({"type":"STATE","state":)" + st.substr(0, st.size() - 1) +
                     R"(,"destinationStats":{"recordCount":1e500}}})"))
        << error;
    EXPECT_EQ(m.type, message_type::state);
    EXPECT_EQ(m.state_stream, "u");
    ASSERT_TRUE(m.state_ns.has_value());
    EXPECT_EQ(*m.state_ns, "n");
    EXPECT_EQ(m.state_json, st);
}

TEST_F(big_numbers_test, FieldsStillRead) {
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"namespace":"ns","stream":"s2","emitted_at":5,"data":{"n":1e400}}})")) << error;
    EXPECT_EQ(m.stream, "s2");
    ASSERT_TRUE(m.ns.has_value());
    EXPECT_EQ(*m.ns, "ns");
    EXPECT_EQ(m.emitted_at_ms, 5);
    EXPECT_TRUE(m.data_is_object);
    // A big number where a string field is expected is not a string: refused, naming the field.
    expect_rejected(R"({"type":"RECORD","record":{"stream":1e400,"data":{}}})");
    EXPECT_THAT(error, HasSubstr("record.stream must be a string, not a number"));
    expect_rejected(R"({"type":"RECORD","record":{"stream":"s","emitted_at":1e400,"data":{}}})");
    EXPECT_THAT(error, HasSubstr("emitted_at"));
}

// Whatever mechanism keeps big numbers must not touch strings: a string that happens to look like
// an internal placeholder stays the string it is.
TEST_F(big_numbers_test, StringsAreNeverTakenForNumbers) {
    for (int i = 0; i < 3; ++i) {
        const std::string s = "\\u0000BIG" + std::to_string(i);
        expect_kept(R"({"s":")" + s + R"(","n":1e400,"m":2e400,"t":[")" + s + R"("]})");
    }
    expect_kept(R"({"s":"\u0000BIG","n":1e400})");
    expect_kept(R"({"\u0000BIG0":"\u0000BIG1","n":1e400,"m":2e400})");
    // And the record's stream name is read as written.
    ASSERT_TRUE(scan(R"({"type":"RECORD","record":{"stream":"\u0000BIG0","data":{"n":1e400}}})")) << error;
    EXPECT_EQ(m.stream, std::string("\0BIG0", 5));
}

// Placeholders are found by position in a line parsed in place: strings that unescape to fewer
// bytes before them, and source strings "#" right beside them, change nothing.
TEST_F(big_numbers_test, PlaceholdersFoundByPositionAfterEscapes) {
    expect_kept(R"({"s":"#","n":1e400,"t":"#"})");
    expect_kept(R"({"e":"\"\\\n\t\"","n":1e400,"k":"#","m":[1e500,"#",2e500]})");
    expect_kept(R"({"#":1e400,"x":{"#":"#","y":-1e999}})");
}

// Malformed numbers stay malformed when the line also holds a number beyond a double.
TEST_F(big_numbers_test, MalformedNumbersStillRejected) {
    for (const char* bad : {"-e400", "1e400e400", "01e400", "1.e400", "1e+-400", ".5e400", "1e400.5", "--1e400", "1ee400",
                            "+1e400", "1e400-"}) {
        expect_rejected(record(std::string(R"({"ok":1e400,"bad":)") + bad + "}"));
        expect_rejected(record(std::string(R"({"bad":)") + bad + R"(,"ok":1e400})"));
    }
    expect_rejected(record(R"({"ok":1e400,"bad":01})"));
    // A number is never an object key, however big.
    expect_rejected(record(R"({"ok":1e400,1e400:1})"));
    expect_rejected(record(R"({"ok":1e400,"o":{1e999:"v"},"n":2e400})"));
    expect_rejected(R"({"type":"RECORD","n":1e400,1e400:{"stream":"s","data":{}}})");
    expect_rejected(record(R"({"ok":1e400})") + "x");
    expect_rejected(record(R"({"ok":1e400)"));  // truncated
    expect_rejected(record(R"({"ok":1e400,"s":"unterminated})"));
}

TEST_F(big_numbers_test, ReuseAfterBigNumbers) {
    expect_kept(R"({"n":1e400})");
    ASSERT_TRUE(scan(record(R"({"k":"\u0000BIG0"})"))) << error;  // no big number: a plain string
    EXPECT_EQ(m.data_json, R"({"k":"\u0000BIG0"})");
    expect_rejected(record(R"({"n":1e400,"bad":-e400})"));
    expect_kept(R"({"k":1})");
}

}  // namespace
