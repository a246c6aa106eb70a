// json: parse_iso8601_millis and the small helpers.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "airbyte/json.hpp"

using namespace airbyte;
using ::testing::HasSubstr;

namespace {

constexpr std::int64_t day = 86'400'000;

TEST(Iso8601, KnownEpochValues) {
    EXPECT_EQ(parse_iso8601_millis("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_iso8601_millis("1970-01-01"), 0);
    EXPECT_EQ(parse_iso8601_millis("1970-01-02"), day);
    EXPECT_EQ(parse_iso8601_millis("2024-02-29T12:34:56.789+02:00"), 1709202896789);
    EXPECT_EQ(parse_iso8601_millis("2024-02-29"), 1709164800000);
    EXPECT_EQ(parse_iso8601_millis("2000-03-01"), 951868800000);
    EXPECT_EQ(parse_iso8601_millis("1900-01-01"), -2208988800000);
    EXPECT_EQ(parse_iso8601_millis("1600-02-29"), -11670998400000);
    EXPECT_EQ(parse_iso8601_millis("2024-12-31T23:59:59.999Z"), 1735689599999);
    EXPECT_EQ(parse_iso8601_millis("1969-12-31T23:59:59.999Z"), -1);
    EXPECT_EQ(parse_iso8601_millis("2001-09-09T01:46:40Z"), 1000000000000);
}

TEST(Iso8601, Forms) {
    const std::int64_t base = 1704067200000;  // 2024-01-01T00:00:00Z
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00"), base);  // no zone: UTC
    EXPECT_EQ(parse_iso8601_millis("2024-01-01 00:00:00"), base);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01t00:00:00z"), base);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00"), base);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00Z"), base);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T10:20:30Z"), base + (10 * 3600 + 20 * 60 + 30) * 1000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.5Z"), base + 500);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.05Z"), base + 50);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00,250Z"), base + 250);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.123456Z"), base + 123);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.999999999Z"), base + 999);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00+01:00"), base - 3600000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00-05:30"), base + 5 * 3600000 + 30 * 60000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00+0130"), base - 90 * 60000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00+01"), base - 3600000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.123-00:00"), base + 123);
    EXPECT_EQ(parse_iso8601_millis("2016-12-31T23:59:60Z"), parse_iso8601_millis("2017-01-01T00:00:00Z"));  // leap second
}

TEST(Iso8601, SubMillisecondNanos) {
    std::int32_t nanos = -1;
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.123456789Z", nanos), 1704067200123);
    EXPECT_EQ(nanos, 456789);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.1234Z", nanos), 1704067200123);
    EXPECT_EQ(nanos, 400000);
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.000000001+01:00", nanos), 1704067200000 - 3600000);
    EXPECT_EQ(nanos, 1);
    EXPECT_EQ(parse_iso8601_millis("1969-12-31T23:59:59.9999999Z", nanos), -1);
    EXPECT_EQ(nanos, 999900);
    nanos = 77;
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.5Z", nanos), 1704067200500);
    EXPECT_EQ(nanos, 0);
    nanos = 77;
    EXPECT_EQ(parse_iso8601_millis("2024-01-01", nanos), 1704067200000);
    EXPECT_EQ(nanos, 0);
    nanos = 77;
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T00:00:00.1234567890Z", nanos), std::nullopt);
}

TEST(Iso8601, InvalidInputs) {
    for (const char* s : {"", "2024", "2024-01", "2024-1-01", "2024-01-1", "24-01-01", "20240101", "2024/01/01",
                          "2024-13-01", "2024-00-10", "2024-01-00", "2024-01-32", "2024-01-01x", "2024-01-01T",
                          "2024-01-01T1", "2024-01-01T10", "2024-01-01T10:", "2024-01-01T10:0", "2024-01-01T24:00:00Z",
                          "2024-01-01T10:60:00Z", "2024-01-01T10:00:61Z", "2024-01-01T10:00:00.Z", "2024-01-01T10:00:00.",
                          "2024-01-01T10:00:00.1234567890Z", "2024-01-01T10:00:00ZZ", "2024-01-01T10:00:00Z ",
                          "2024-01-01T10:00:00Zjunk", "2024-01-01T10:00:00+", "2024-01-01T10:00:00+1",
                          "2024-01-01T10:00:00+01:0", "2024-01-01T10:00:00+01:00x", "2024-01-01T10:00:00+24:00",
                          "2024-01-01T10:00:00+01:60", "2024-01-01T10:00:00 UTC", "2024-01-01T10:00:00EST",
                          " 2024-01-01", "2024-01-01 ", "+2024-01-01", "-2024-01-01", "2024-01-01T10:00:00.1.2Z",
                          "abcd-ef-gh", "2024-01-01T1a:00:00Z", "2024-01-01X10:00:00Z"}) {
        EXPECT_EQ(parse_iso8601_millis(s), std::nullopt) << '"' << s << '"';
    }
}

// Days that no month has are not dates.
TEST(Iso8601, NonexistentDaysRejected) {
    for (const char* s : {"2023-02-29", "2024-02-30", "2024-02-31", "2024-04-31", "2024-06-31", "2024-09-31",
                          "2024-11-31", "1900-02-29", "2023-02-29T00:00:00Z"}) {
        EXPECT_EQ(parse_iso8601_millis(s), std::nullopt) << s;
    }
    EXPECT_NE(parse_iso8601_millis("2000-02-29"), std::nullopt);
    EXPECT_NE(parse_iso8601_millis("2024-01-31"), std::nullopt);
    EXPECT_NE(parse_iso8601_millis("2024-12-31"), std::nullopt);
}

// An offset is hh, hhmm or hh:mm; "+01:" has a dangling separator.
TEST(Iso8601, DanglingOffsetSeparatorRejected) {
    EXPECT_EQ(parse_iso8601_millis("2024-01-01T10:00:00+01:"), std::nullopt);
}

TEST(Iso8601, Monotonic) {
    // Consecutive days over several years, including leap days, grow by exactly one day.
    std::int64_t prev = *parse_iso8601_millis("1995-12-31");
    const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    for (int y = 1996; y <= 2004; ++y)
        for (int m = 1; m <= 12; ++m) {
            const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            const int n = mdays[m - 1] + (m == 2 && leap ? 1 : 0);
            for (int d = 1; d <= n; ++d) {
                char buf[40];
                std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
                auto v = parse_iso8601_millis(buf);
                ASSERT_TRUE(v.has_value()) << buf;
                ASSERT_EQ(*v - prev, day) << buf;
                prev = *v;
            }
        }
}

// ---------------------------------------------------------------- helpers

TEST(Json, ParseStrict) {
    rapidjson::Document d;
    EXPECT_EQ(parse_json(R"({"a":[1,2]})", d), std::nullopt);
    EXPECT_TRUE(d.IsObject());
    auto e = parse_json(R"({"a":1} x)", d);
    ASSERT_TRUE(e.has_value());
    EXPECT_THAT(*e, HasSubstr("byte"));
    EXPECT_TRUE(parse_json("{\"a\":\"\xff\"}", d).has_value());
    EXPECT_TRUE(parse_json("", d).has_value());
    EXPECT_TRUE(parse_json(std::string(100000, '['), d).has_value());  // no crash
    // Not NUL-terminated: the view's size bounds the parse.
    const std::string buf = R"({"a":1}garbage)";
    EXPECT_EQ(parse_json(std::string_view(buf).substr(0, 7), d), std::nullopt);
}

TEST(Json, QuoteAndJoin) {
    EXPECT_EQ(json_quote("a\"b\\c\n"), R"("a\"b\\c\n")");
    EXPECT_EQ(json_quote(""), "\"\"");
    EXPECT_EQ(json_quote(std::string("a\0b", 3)), R"("a\u0000b")");
    EXPECT_EQ(join_path({}), "");
    EXPECT_EQ(join_path({"a"}), "a");
    EXPECT_EQ(join_path({"a", "b", "c"}), "a.b.c");
    EXPECT_EQ(join_path({"a", "b"}, '/'), "a/b");
}

TEST(Json, MemberAndPath) {
    rapidjson::Document d;
    ASSERT_EQ(parse_json(R"({"a":{"b":{"c":5}},"x":[1],"s":"t"})", d), std::nullopt);
    ASSERT_NE(member(d, "a"), nullptr);
    EXPECT_EQ(member(d, "nope"), nullptr);
    EXPECT_EQ(member(d["x"], "0"), nullptr);  // not an object
    const auto* c = at_path(d, {"a", "b", "c"});
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->GetInt(), 5);
    EXPECT_EQ(at_path(d, {"a", "nope"}), nullptr);
    EXPECT_EQ(at_path(d, {"s", "x"}), nullptr);
    EXPECT_EQ(at_path(d, {}), &d);
    EXPECT_EQ(to_json(d), R"({"a":{"b":{"c":5}},"x":[1],"s":"t"})");
}

}  // namespace

TEST(JsonLenientNumbers, NumbersBeyondADoubleBecomeTheNearestDouble) {
    // A strict parse refuses 1e400; dedup reads keys and cursors from such data all the same.
    rapidjson::Document strict;
    ASSERT_TRUE(airbyte::parse_json(R"({"x":1e400})", strict).has_value());
    rapidjson::Document d;
    ASSERT_FALSE(airbyte::parse_json_lenient_numbers(
        R"({"id":5,"x":1e400,"n":-1e400,"tiny":1e-400,"big":123456789012345678901234567890,"u":18446744073709551615,"s":"1e400","f":0.5})", d));
    EXPECT_EQ(d["id"].GetInt64(), 5);
    EXPECT_EQ(d["x"].GetDouble(), std::numeric_limits<double>::max());
    EXPECT_EQ(d["n"].GetDouble(), -std::numeric_limits<double>::max());
    EXPECT_EQ(d["tiny"].GetDouble(), 0.0);
    EXPECT_NEAR(d["big"].GetDouble(), 1.2345678901234568e29, 1e15);
    EXPECT_EQ(d["u"].GetUint64(), 18446744073709551615ull);
    EXPECT_STREQ(d["s"].GetString(), "1e400");  // strings stay strings
    EXPECT_DOUBLE_EQ(d["f"].GetDouble(), 0.5);
    // Anything else that is not JSON is still refused.
    EXPECT_TRUE(airbyte::parse_json_lenient_numbers(R"({"x":1e400,})", d).has_value());
}
