// dedup: order_key (the exact order of (cursor, emitted_at) as bytes) and key_value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "airbyte/dedup.hpp"

using namespace airbyte;
using cql::protocol::cql_value;
using ::testing::HasSubstr;

namespace {

// The order key of one JSON cursor value (with a fixed emitted_at).
std::vector<std::uint8_t> key(const std::string& json, std::int64_t emitted_at = 1700000000000) {
    rapidjson::Document d;
    d.Parse(json.c_str(), json.size());
    EXPECT_FALSE(d.HasParseError()) << json;
    return order_key(&d, emitted_at);
}

// Each value orders strictly above the one before (keys compare as unsigned bytes, as Cassandra
// compares a blob clustering column).
void expect_strictly_increasing(const std::vector<std::string>& values) {
    for (std::size_t i = 1; i < values.size(); ++i)
        EXPECT_LT(key(values[i - 1]), key(values[i])) << values[i - 1] << " < " << values[i];
}

// ---------------------------------------------------------------- order_key

TEST(DedupOrder, IntegersExactOverTheWholeRange) {
    expect_strictly_increasing({"-9223372036854775808", "-9223372036854775807", "-4398046511105", "-2", "-1", "0", "1",
                                "2", "4398046511104", "1700000000000001", "1700000000000002", "9007199254740992",
                                "9007199254740993", "9223372036854775806", "9223372036854775807",
                                "9223372036854775808", "18446744073709551615"});
}

TEST(DedupOrder, FractionsAndMixedNumbers) {
    expect_strictly_increasing({"-1e300", "-2.5", "-1", "-0.5", "0", "0.25", "1", "1.5", "1.75", "2", "1e20", "1e300"});
    EXPECT_EQ(key("-0.0"), key("0.0"));
}

TEST(DedupOrder, IsoDateTimesAsInstants) {
    // Offsets and fraction lengths differ; order is by instant, to the nanosecond.
    expect_strictly_increasing({"\"1969-12-31T23:59:59Z\"", "\"1970-01-01\"", "\"2024-01-01T00:00:00Z\"",
                                "\"2024-01-01T00:00:00.000000001Z\"", "\"2024-01-01T00:00:00.5Z\"",
                                "\"2024-01-01T02:00:01+02:00\"", "\"2024-01-01 00:00:02\""});
    EXPECT_EQ(key("\"2024-01-01T02:00:00+02:00\""), key("\"2024-01-01T00:00:00Z\""));
}

TEST(DedupOrder, OtherStringsByteByByteWholly) {
    expect_strictly_increasing({"\"\"", "\"a\"", "\"a\\u0000\"", "\"a\\u0000b\"", "\"ab\"", "\"rev-000009\"",
                                "\"rev-000010\"", "\"z\"", "\"\u00e9\"", "\"\u65e5\u672c\""});
}

TEST(DedupOrder, KindsOrderNullBoolNumberDateStringComposite) {
    EXPECT_LT(key("null"), key("false"));
    EXPECT_LT(key("false"), key("true"));
    EXPECT_LT(key("true"), key("-1e300"));
    EXPECT_LT(key("1e300"), key("\"1900-01-01\""));
    EXPECT_LT(key("\"2999-01-01\""), key("\"a\""));
    EXPECT_LT(key("\"zzz\""), key("[1]"));
    EXPECT_LT(key("[1]"), key("{\"a\":1}"));
    EXPECT_EQ(order_key(nullptr, 5), key("null", 5)) << "a missing cursor orders as null";
}

TEST(DedupOrder, EqualCursorsOrderByEmittedAt) {
    for (const char* c : {"7", "1.5", "\"2024-01-01T00:00:00Z\"", "\"abc\"", "null", "true", "[1,2]"}) {
        EXPECT_LT(key(c, 1700000000000), key(c, 1700000000001)) << c;
        EXPECT_LT(key(c, -5), key(c, 0)) << c;
        EXPECT_EQ(key(c, 42), key(c, 42)) << c;
    }
}

TEST(DedupOrder, CursorDominatesEmittedAt) {
    EXPECT_LT(key("1", 9'000'000'000'000), key("2", 0));
    EXPECT_LT(key("\"a\"", 9'000'000'000'000), key("\"a\\u0000\"", 0));
    EXPECT_LT(key("\"ab\"", 9'000'000'000'000), key("\"b\"", 0));
}

TEST(DedupOrder, RandomIntegersKeepTheirOrder) {
    std::uint64_t x = 88172645463325252ull;
    auto next = [&] {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        return static_cast<std::int64_t>(x);
    };
    for (int i = 0; i < 2000; ++i) {
        const std::int64_t a = next() >> (i % 60), b = next() >> (i % 50);
        const auto ka = key(std::to_string(a)), kb = key(std::to_string(b));
        EXPECT_EQ(a < b, ka < kb) << a << " vs " << b;
        EXPECT_EQ(a == b, ka == kb) << a << " vs " << b;
    }
}

// 1 and 1.0 are the same number, so equal cursors: the later emitted_at must win whichever form
// each record used.
TEST(DedupOrder, NumericallyEqualIntegerAndDoubleTie) {
    EXPECT_LT(key("1.0", 100), key("1", 200));
    EXPECT_LT(key("1", 100), key("1.0", 200));
    EXPECT_LT(key("-3.0", 100), key("-3", 200));
    EXPECT_LT(key("-3", 100), key("-3.0", 200));
    EXPECT_LT(key("0.0", 100), key("0", 200));
    EXPECT_LT(key("0", 100), key("0.0", 200));
    EXPECT_LT(key("-0.0", 100), key("0", 200));
    EXPECT_LT(key("1e3", 100), key("1000", 200));
    EXPECT_LT(key("1000", 100), key("1e3", 200));
    // Integral doubles across the whole int64 / uint64 range (these values are exact doubles).
    EXPECT_LT(key("9007199254740992.0", 100), key("9007199254740992", 200));
    EXPECT_LT(key("-9.21e18", 100), key("-9210000000000000000", 200));
    EXPECT_LT(key("-9210000000000000000", 100), key("-9.21e18", 200));
    EXPECT_LT(key("-9223372036854775808.0", 100), key("-9223372036854775808", 200));
    EXPECT_LT(key("-9223372036854775808", 100), key("-9223372036854775808.0", 200));
    EXPECT_LT(key("1.81e19", 100), key("18100000000000000000", 200));
    EXPECT_LT(key("18100000000000000000", 100), key("1.81e19", 200));
    // Still strictly ordered where the values differ.
    EXPECT_LT(key("9007199254740992.0", 200), key("9007199254740993", 100));
    EXPECT_LT(key("18446744073709551615", 200), key("1.8446744073709552e19", 100));  // the double is 2^64
}

TEST(DedupOrder, KindsOrderWhateverTheEmissionTimes) {
    const std::vector<std::string> v = {"null", "false", "true", "-1e300", "0", "18446744073709551615", "1e300",
                                        R"("0001-01-01")", R"("9999-12-31T23:59:59.999999999Z")", R"("")", R"("\u0000")",
                                        "\"\xF0\x9F\x98\x80\"", "[]", "{}"};
    constexpr auto lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    for (std::size_t i = 1; i < v.size(); ++i) EXPECT_LT(key(v[i - 1], hi), key(v[i], lo)) << v[i - 1] << " < " << v[i];
}

TEST(DedupOrder, MoreDateTimes) {
    expect_strictly_increasing({R"("0001-01-01")", R"("1800-01-01")", R"("1969-12-31T23:59:59.999999999Z")",
                                R"("1970-01-01T00:00:00.000000001Z")", R"("1970-01-01T00:00:00.0001Z")",
                                R"("1970-01-01T00:00:00.001Z")", R"("2200-01-01")", R"("9999-12-31T23:59:59Z")"});
    EXPECT_LT(key(R"("2024-01-01T10:00:00+05:00")"), key(R"("2024-01-01T06:00:00Z")"));
    EXPECT_EQ(key(R"("2024-01-01")"), key(R"("2024-01-01 00:00:00")"));
    EXPECT_EQ(key(R"("2024-01-01T00:00:00.5Z")"), key(R"("2024-01-01T00:00:00.500000000Z")"));
    EXPECT_GT(key(R"("2024-13-01")"), key(R"("9999-12-31")"));  // not a date: a plain string
}

std::string iso(std::int64_t ms, int nanos_below) {  // ms >= 0, UTC, 9 fraction digits
    std::int64_t days = ms / 86'400'000 + 719468;
    const std::int64_t rem = ms % 86'400'000;
    const std::int64_t era = days / 146097, doe = days - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1, m = mp < 10 ? mp + 3 : mp - 9, y = yoe + era * 400 + (m <= 2);
    char buf[80];
    std::snprintf(buf, sizeof buf, "\"%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64
                  ".%03" PRId64 "%06dZ\"", y, m, d, rem / 3'600'000, rem / 60'000 % 60, rem / 1000 % 60, rem % 1000, nanos_below);
    return buf;
}

// Random pairs of one kind: the keys order exactly as (cursor, emitted_at) pairs do.
TEST(DedupOrder, RandomPairsOrderLikeTheirValues) {
    std::mt19937_64 rng(11);
    auto cmp = [](const auto& a, const auto& b) { return a < b ? -1 : (b < a ? 1 : 0); };
    auto json_string = [](const std::string& s) {
        std::string out = "\"";
        for (unsigned char c : s) {
            char u[8];
            std::snprintf(u, sizeof u, "\\u%04x", c);
            out += u;
        }
        return out + "\"";
    };
    for (int i = 0; i < 5000; ++i) {
        const auto e1 = static_cast<std::int64_t>(rng() % 3), e2 = static_cast<std::int64_t>(rng() % 3);
        // doubles with a fraction
        const double x = static_cast<double>(static_cast<std::int64_t>(rng() % 2001) - 1000) / 8.0 + 0.0625;
        const double y = rng() % 4 ? static_cast<double>(static_cast<std::int64_t>(rng() % 2001) - 1000) / 8.0 + 0.0625 : x;
        char bx[40], by[40];
        std::snprintf(bx, sizeof bx, "%.17g", x);
        std::snprintf(by, sizeof by, "%.17g", y);
        ASSERT_EQ(cmp(key(bx, e1), key(by, e2)), cmp(x, y) ? cmp(x, y) : cmp(e1, e2)) << bx << " " << by;
        // date-times to the nanosecond, years 1970..2096
        const auto ma = static_cast<std::int64_t>(rng() % 4'000'000'000'000ull);
        const auto mb = rng() % 2 ? ma : static_cast<std::int64_t>(rng() % 4'000'000'000'000ull);
        const int na = static_cast<int>(rng() % 3) * 499999, nb = static_cast<int>(rng() % 3) * 499999;
        const int want_t = cmp(ma, mb) ? cmp(ma, mb) : (cmp(na, nb) ? cmp(na, nb) : cmp(e1, e2));
        ASSERT_EQ(cmp(key(iso(ma, na), e1), key(iso(mb, nb), e2)), want_t) << iso(ma, na) << " " << iso(mb, nb);
        // short strings over a small alphabet, NUL included
        std::string sa, sb;
        const char alphabet[] = {'\0', '\x01', 'a', 'b', '\x7f'};
        for (auto j = rng() % 4; j > 0; --j) sa += alphabet[rng() % 5];
        for (auto j = rng() % 4; j > 0; --j) sb += alphabet[rng() % 5];
        ASSERT_EQ(cmp(key(json_string(sa), e1), key(json_string(sb), e2)), cmp(sa, sb) ? cmp(sa, sb) : cmp(e1, e2))
            << json_string(sa) << " " << json_string(sb);
    }
}

// ---------------------------------------------------------------- key_value

struct key_value_test : ::testing::Test {
    rapidjson::Document data;
    cql_value out;
    void SetUp() override {
        data.Parse(R"({"i":42,"neg":-7,"s":"str","is":"123","bad":"12a","f":1.5,"fi":3.0,"b":true,"n":null,)"
                   R"("o":{"x":1,"y":{"z":"deep"}},"a":[1,"x"],"big":18446744073709551615,"huge":99999999999999999999,)"
                   R"("empty":"","sp":" 5"})");
        ASSERT_FALSE(data.HasParseError());
    }
    std::optional<std::string> get(std::vector<std::string> path, key_type t) {
        key_column k;
        k.column = "";
        for (const auto& p : path) k.column += (k.column.empty() ? "" : ".") + p;
        k.path = std::move(path);
        k.type = t;
        out = cql_value{};
        return key_value(data, k, out);
    }
};

TEST_F(key_value_test, Bigint) {
    EXPECT_EQ(get({"i"}, key_type::bigint), std::nullopt);
    EXPECT_EQ(out, cql_value{std::int64_t{42}});
    EXPECT_EQ(get({"neg"}, key_type::bigint), std::nullopt);
    EXPECT_EQ(out, cql_value{std::int64_t{-7}});
    EXPECT_EQ(get({"is"}, key_type::bigint), std::nullopt);  // an integer sent as a string
    EXPECT_EQ(out, cql_value{std::int64_t{123}});
    for (const char* bad : {"bad", "f", "s", "b", "o", "a", "big", "huge", "empty"}) {
        SCOPED_TRACE(bad);
        auto e = get({bad}, key_type::bigint);
        ASSERT_TRUE(e.has_value());
        EXPECT_THAT(*e, HasSubstr(std::string("\"") + bad + "\""));
        EXPECT_THAT(*e, HasSubstr("64-bit integer"));
    }
}

TEST_F(key_value_test, Double) {
    EXPECT_EQ(get({"f"}, key_type::double_), std::nullopt);
    EXPECT_EQ(out, cql_value{1.5});
    EXPECT_EQ(get({"i"}, key_type::double_), std::nullopt);
    EXPECT_EQ(out, cql_value{42.0});
    EXPECT_EQ(get({"fi"}, key_type::double_), std::nullopt);
    EXPECT_EQ(out, cql_value{3.0});
    for (const char* bad : {"s", "is", "b", "o"}) {
        auto e = get({bad}, key_type::double_);
        ASSERT_TRUE(e.has_value()) << bad;
        EXPECT_THAT(*e, HasSubstr("not a number"));
        EXPECT_THAT(*e, HasSubstr(std::string("\"") + bad + "\""));
    }
}

TEST_F(key_value_test, Boolean) {
    EXPECT_EQ(get({"b"}, key_type::boolean), std::nullopt);
    EXPECT_EQ(out, cql_value{true});
    auto e = get({"i"}, key_type::boolean);
    ASSERT_TRUE(e.has_value());
    EXPECT_THAT(*e, HasSubstr("not a boolean"));
    EXPECT_THAT(*e, HasSubstr("42"));
    EXPECT_TRUE(get({"s"}, key_type::boolean).has_value());
}

TEST_F(key_value_test, TextTakesStringsAsIsAndOthersAsJson) {
    EXPECT_EQ(get({"s"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string("str")});
    EXPECT_EQ(get({"empty"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string("")});
    EXPECT_EQ(get({"i"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string("42")});
    EXPECT_EQ(get({"b"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string("true")});
    EXPECT_EQ(get({"o"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string(R"({"x":1,"y":{"z":"deep"}})")});
    EXPECT_EQ(get({"a"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string(R"([1,"x"])")});
}

TEST_F(key_value_test, NestedPaths) {
    EXPECT_EQ(get({"o", "x"}, key_type::bigint), std::nullopt);
    EXPECT_EQ(out, cql_value{std::int64_t{1}});
    EXPECT_EQ(get({"o", "y", "z"}, key_type::text), std::nullopt);
    EXPECT_EQ(out, cql_value{std::string("deep")});
    auto e = get({"o", "missing"}, key_type::text);
    ASSERT_TRUE(e.has_value());
    EXPECT_THAT(*e, HasSubstr("\"o.missing\""));
    e = get({"s", "x"}, key_type::text);  // through a non-object
    ASSERT_TRUE(e.has_value());
    EXPECT_THAT(*e, HasSubstr("\"s.x\""));
}

TEST_F(key_value_test, MissingOrNull) {
    for (auto t : {key_type::bigint, key_type::double_, key_type::boolean, key_type::text}) {
        auto e = get({"nope"}, t);
        ASSERT_TRUE(e.has_value());
        EXPECT_THAT(*e, HasSubstr("\"nope\""));
        EXPECT_THAT(*e, HasSubstr("missing or null"));
        e = get({"n"}, t);
        ASSERT_TRUE(e.has_value());
        EXPECT_THAT(*e, HasSubstr("missing or null"));
    }
}

}  // namespace
