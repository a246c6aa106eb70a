// Value codec: byte-exact vectors for every CQL type (spec sections 6 and 7), both directions, with
// one-byte-short and one-byte-extra variants, nulls, unset, legacy empty cells and nesting limits.
#include "protocol/value.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <optional>
#include <ostream>

#include "hex.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

namespace cql::protocol {
// gtest failure messages: which alternative a value holds.
void PrintTo(const cql_value& v, std::ostream* os) { *os << "cql_value(alternative " << v.v.index() << ")"; }
}  // namespace cql::protocol

namespace {

constexpr auto v3 = protocol_version::v3;
constexpr auto v4 = protocol_version::v4;

data_type of(type_id id) { return data_type::of(id); }

data_type udt_of(std::vector<std::pair<std::string, data_type>> fields) {
    data_type t = of(type_id::udt);
    t.keyspace = "ks";
    t.udt_name = "addr";
    for (auto& [n, ft] : fields) {
        t.field_names.push_back(n);
        t.children.push_back(ft);
    }
    return t;
}

// Hex without the spaces a vector is written with.
std::string hex(std::string_view spaced) { return to_hex(from_hex(spaced)); }

std::string length_hex(std::size_t n) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%08zx", n);
    return buf;
}

std::vector<std::uint8_t> encoded(const data_type& t, const cql_value& v, protocol_version ver = v4) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    EXPECT_FALSE(encode_value(w, t, v, ver));
    return out;
}

std::error_code encode_error(const data_type& t, const cql_value& v, protocol_version ver = v4) {
    std::vector<std::uint8_t> out{0xAA};
    byte_writer w(out);
    auto ec = encode_value(w, t, v, ver);
    if (ec) {
        EXPECT_EQ(to_hex(out), "aa");  // nothing appended on failure
    }
    return ec;
}

std::error_code decode_error(const data_type& t, std::string_view hex, protocol_version ver = v4) {
    auto in = from_hex(hex);
    cql_value out = cql_value::text("untouched");
    auto ec = decode_cell(in, t, ver, out);
    if (ec) {
        EXPECT_EQ(out, cql_value::text("untouched"));
    }
    return ec;
}

cql_value decoded(const data_type& t, std::string_view hex, protocol_version ver = v4) {
    auto in = from_hex(hex);
    cql_value out;
    EXPECT_FALSE(decode_cell(in, t, ver, out)) << hex;
    return out;
}

// The cell decoded with a byte cut off or added: an error, or (nullopt) another valid value.
void expect_variant(const data_type& t, const cql_value& v, const std::vector<std::uint8_t>& cell,
                    std::optional<errc> want, protocol_version ver) {
    cql_value got;
    auto ec = decode_cell(cell, t, ver, got);
    if (want) {
        EXPECT_EQ(ec, *want) << to_hex(cell);
    } else {
        EXPECT_FALSE(ec) << to_hex(cell);
        EXPECT_NE(got, v) << to_hex(cell);
    }
}

// Encodes to exactly [int] length + content_hex, decodes the exact-size content back to v, and
// checks the one-byte-short / one-byte-extra variants of both the [bytes] and the bare cell.
void expect_vector(const data_type& t, const cql_value& v, std::string_view content_hex,
                   std::optional<errc> short_err, std::optional<errc> extra_err, protocol_version ver = v4) {
    SCOPED_TRACE(t.to_cql() + " = " + std::string(content_hex));
    const auto content = from_hex(content_hex);
    const auto out = encoded(t, v, ver);
    EXPECT_EQ(to_hex(out), length_hex(content.size()) + to_hex(content));

    cql_value got;
    ASSERT_FALSE(decode_cell(content, t, ver, got));
    EXPECT_EQ(got, v) << to_string(t, got);

    byte_reader whole(out);
    EXPECT_EQ(read_value(whole, t, ver), v);
    EXPECT_FALSE(whole.finish());
    const std::vector<std::uint8_t> cut(out.begin(), out.end() - 1);
    byte_reader r_cut(cut);
    EXPECT_TRUE(read_value(r_cut, t, ver).is_null());
    EXPECT_EQ(r_cut.error(), errc::truncated);
    auto more = out;
    more.push_back(0);
    byte_reader r_more(more);
    EXPECT_EQ(read_value(r_more, t, ver), v);
    EXPECT_EQ(r_more.finish(), errc::trailing_bytes);

    if (!content.empty())
        expect_variant(t, v, std::vector<std::uint8_t>(content.begin(), content.end() - 1), short_err, ver);
    auto longer = content;
    longer.push_back(0);
    expect_variant(t, v, longer, extra_err, ver);
}

constexpr std::optional<errc> other_value = std::nullopt;  // the variant decodes to a different value
constexpr errc bad = errc::invalid_value;

}  // namespace

TEST(ValueVectors, Integers) {
    expect_vector(of(type_id::tinyint), std::int8_t{-128}, "80", other_value, bad);  // short: empty -> null
    expect_vector(of(type_id::tinyint), std::int8_t{127}, "7f", other_value, bad);
    expect_vector(of(type_id::smallint), std::int16_t{-2}, "fffe", bad, bad);
    expect_vector(of(type_id::smallint), std::int16_t{0x0102}, "0102", bad, bad);
    expect_vector(of(type_id::int_), 0x01020304, "01020304", bad, bad);
    expect_vector(of(type_id::int_), std::numeric_limits<std::int32_t>::min(), "80000000", bad, bad);
    expect_vector(of(type_id::int_), -1, "ffffffff", bad, bad);
    expect_vector(of(type_id::bigint), std::numeric_limits<std::int64_t>::min(), "8000000000000000", bad, bad);
    expect_vector(of(type_id::bigint), std::int64_t{-1}, "ffffffffffffffff", bad, bad);
    expect_vector(of(type_id::bigint), std::int64_t{0}, "0000000000000000", bad, bad);
    expect_vector(of(type_id::bigint), std::int64_t{0x0102030405060708}, "0102030405060708", bad, bad);
    expect_vector(of(type_id::counter), std::int64_t{5}, "0000000000000005", bad, bad);
    expect_vector(of(type_id::timestamp), std::int64_t{-1000}, "fffffffffffffc18", bad, bad);
    EXPECT_EQ(decode_error(of(type_id::int_), "010203"), bad);
    EXPECT_EQ(decode_error(of(type_id::bigint), "01020304"), bad);
}

TEST(ValueVectors, FloatsCompareByBits) {
    const double dnan = std::numeric_limits<double>::quiet_NaN();
    const double dinf = std::numeric_limits<double>::infinity();
    expect_vector(of(type_id::double_), 1.0, "3ff0000000000000", bad, bad);
    expect_vector(of(type_id::double_), -2.5, "c004000000000000", bad, bad);
    expect_vector(of(type_id::double_), dnan, "7ff8000000000000", bad, bad);
    expect_vector(of(type_id::double_), -dinf, "fff0000000000000", bad, bad);
    expect_vector(of(type_id::double_), -0.0, "8000000000000000", bad, bad);
    expect_vector(of(type_id::float_), 1.0f, "3f800000", bad, bad);
    expect_vector(of(type_id::float_), -2.5f, "c0200000", bad, bad);
    expect_vector(of(type_id::float_), std::numeric_limits<float>::quiet_NaN(), "7fc00000", bad, bad);
    expect_vector(of(type_id::float_), std::numeric_limits<float>::infinity(), "7f800000", bad, bad);
    EXPECT_EQ(cql_value{dnan}, cql_value{dnan});
    EXPECT_NE(cql_value{0.0}, cql_value{-0.0});
    EXPECT_NE(cql_value{1.0}, cql_value{1.0f});  // different alternatives
}

TEST(ValueVectors, BooleanAnyNonZeroIsTrue) {
    expect_vector(of(type_id::boolean), true, "01", other_value, bad);
    expect_vector(of(type_id::boolean), false, "00", other_value, bad);
    EXPECT_EQ(decoded(of(type_id::boolean), "02"), cql_value{true});
    EXPECT_EQ(decoded(of(type_id::boolean), "ff"), cql_value{true});
}

TEST(ValueVectors, TextAsciiBlob) {
    expect_vector(of(type_id::ascii), std::string("abc"), "616263", other_value, other_value);
    expect_vector(of(type_id::varchar), std::string("\xc3\xa9"), "c3a9", bad, other_value);
    expect_vector(of(type_id::varchar), std::string("\xe6\x97\xa5\xe6\x9c\xac"), "e697a5e69cac", bad, other_value);
    expect_vector(of(type_id::varchar), std::string("\xf0\x9f\x98\x80"), "f09f9880", bad, other_value);
    expect_vector(of(type_id::blob), std::vector<std::uint8_t>{0xca, 0xfe}, "cafe", other_value, other_value);
    // Empty text and blob are values, not null.
    expect_vector(of(type_id::varchar), std::string(), "", other_value, other_value);
    expect_vector(of(type_id::blob), std::vector<std::uint8_t>{}, "", other_value, other_value);
}

TEST(ValueVectors, InvalidTextRefusedBothWays) {
    for (auto hex : {"c3", "c0af", "c1bf", "e080af", "eda080", "f4908080", "f8888080", "ff", "80", "e69c", "61c3"}) {
        EXPECT_EQ(decode_error(of(type_id::varchar), hex), bad) << hex;
        auto b = from_hex(hex);
        EXPECT_EQ(encode_error(of(type_id::varchar), std::string(b.begin(), b.end())), bad) << hex;
    }
    EXPECT_EQ(decode_error(of(type_id::ascii), "61 80"), bad);
    EXPECT_EQ(decode_error(of(type_id::ascii), "c3a9"), bad);
    EXPECT_EQ(encode_error(of(type_id::ascii), std::string("\xc3\xa9")), bad);
    EXPECT_EQ(decoded(of(type_id::ascii), "7f"), cql_value::text("\x7f"));
    EXPECT_TRUE(is_valid_utf8("\xef\xbf\xbf\xf4\x8f\xbf\xbf"));  // U+FFFF and U+10FFFF
}

// valid_utf8_prefix says where the first bad sequence starts, wherever it falls relative to the
// sixteen- and eight-byte ASCII steps (a bad byte at every offset of a 72-byte text, after ASCII,
// after multi-byte characters and after a mix of both).
TEST(ValueVectors, Utf8PrefixFindsTheFirstBadByte) {
    for (const std::string& filler : {std::string("a"), std::string("\xc3\xa9"), std::string("\xf0\x9f\x98\x80"),
                                      std::string("abcdefghijklmnopq\xc3\xa9")}) {
        std::string good;
        while (good.size() < 72) good += filler;
        EXPECT_EQ(cql::protocol::valid_utf8_prefix(good), good.size());
        for (std::size_t at = 0; at <= good.size(); ++at) {
            if (at < good.size() && (static_cast<unsigned char>(good[at]) & 0xC0) == 0x80) continue;  // mid-character
            for (const std::string& bad : {std::string("\x80"), std::string("\xc0\xaf"), std::string("\xed\xa0\x80"),
                                          std::string("\xf4\x90\x80\x80"), std::string("\xe2\x82")}) {
                std::string text = good.substr(0, at) + bad + good.substr(at);
                EXPECT_EQ(cql::protocol::valid_utf8_prefix(text), at) << "bad sequence at " << at;
                EXPECT_FALSE(is_valid_utf8(text));
            }
        }
    }
    EXPECT_EQ(cql::protocol::valid_utf8_prefix(""), 0u);
}

TEST(ValueVectors, UuidAndTimeuuid) {
    const auto u = from_hex("00112233 4455 6677 8899 aabbccddeeff");
    uuid_bytes id{};
    std::copy(u.begin(), u.end(), id.begin());
    expect_vector(of(type_id::uuid), id, "00112233445566778899aabbccddeeff", bad, bad);
    const auto t = from_hex("d2177dd0 eaa2 11de a572 001b779c76e3");  // version 1
    uuid_bytes tid{};
    std::copy(t.begin(), t.end(), tid.begin());
    expect_vector(of(type_id::timeuuid), tid, "d2177dd0eaa211dea572001b779c76e3", bad, bad);
    // Decoding accepts any version (the server validated it); encoding refuses what the server would.
    EXPECT_EQ(decoded(of(type_id::timeuuid), "00112233445566778899aabbccddeeff"), cql_value{id});
    EXPECT_EQ(encode_error(of(type_id::timeuuid), id), bad);
    EXPECT_EQ(to_string(of(type_id::uuid), id), "00112233-4455-6677-8899-aabbccddeeff");
}

TEST(ValueVectors, InetHasNoPort) {
    inet_address a4;
    a4.size = 4;
    a4.bytes = {127, 0, 0, 1};
    expect_vector(of(type_id::inet), a4, "7f000001", bad, bad);
    inet_address a6;
    a6.size = 16;
    a6.bytes[15] = 1;
    expect_vector(of(type_id::inet), a6, "00000000000000000000000000000001", bad, bad);
    a4.port = 9042;  // not part of a cell
    EXPECT_EQ(to_hex(encoded(of(type_id::inet), a4)), hex("00000004 7f000001"));
    inet_address bad_size;
    bad_size.size = 5;
    EXPECT_EQ(encode_error(of(type_id::inet), bad_size), bad);
    EXPECT_EQ(decode_error(of(type_id::inet), "7f00000100"), bad);
}

TEST(ValueVectors, DateAndTime) {
    expect_vector(of(type_id::date), cql_date{1u << 31}, "80000000", bad, bad);
    expect_vector(of(type_id::date), cql_date{0}, "00000000", bad, bad);
    expect_vector(of(type_id::date), cql_date::from_days_since_epoch(-1), "7fffffff", bad, bad);
    EXPECT_EQ(to_string(of(type_id::date), cql_date{0}), "-5877641-06-23");  // spec examples
    EXPECT_EQ(to_string(of(type_id::date), cql_date{1u << 31}), "1970-01-01");
    // The spec lists 5881580-07-11 as 2^32, which does not fit 32 bits: it is 2^32 - 1.
    EXPECT_EQ(to_string(of(type_id::date), cql_date{0xffffffff}), "5881580-07-11");
    expect_vector(of(type_id::time), cql_time{0}, "0000000000000000", bad, bad);
    expect_vector(of(type_id::time), cql_time{cql_time::max}, "00004e94914effff", bad, bad);
    EXPECT_EQ(decode_error(of(type_id::time), "00004e94914f0000"), bad);  // max + 1
    EXPECT_EQ(decode_error(of(type_id::time), "ffffffffffffffff"), bad);  // -1
    EXPECT_EQ(encode_error(of(type_id::time), cql_time{cql_time::max + 1}), bad);
    EXPECT_EQ(encode_error(of(type_id::time), cql_time{-1}), bad);
    EXPECT_EQ(to_string(of(type_id::time), cql_time{cql_time::max}), "23:59:59.999999999");
}

TEST(ValueVectors, VarintSpecExamples) {
    const std::pair<std::int64_t, const char*> table[] = {{0, "00"},    {1, "01"},    {127, "7f"},   {128, "0080"},
                                                          {129, "0081"}, {-1, "ff"},  {-128, "80"}, {-129, "ff7f"}};
    for (auto [n, hex] : table) {
        EXPECT_EQ(to_hex(varint_value::from_int64(n).bytes), hex) << n;
        expect_vector(of(type_id::varint), varint_value{from_hex(hex)}, hex, other_value, other_value);
        std::int64_t back = 7;
        EXPECT_TRUE(decoded(of(type_id::varint), hex).get_if<varint_value>()->to_int64(back));
        EXPECT_EQ(back, n);
        EXPECT_EQ(to_string(of(type_id::varint), varint_value{from_hex(hex)}), std::to_string(n));
    }
    EXPECT_EQ(to_hex(varint_value::from_int64(INT64_MIN).bytes), "8000000000000000");
    std::int64_t out = 7;
    EXPECT_TRUE((varint_value{from_hex("ff 8000000000000000")}.to_int64(out)));  // redundant sign byte
    EXPECT_EQ(out, INT64_MIN);
    EXPECT_FALSE((varint_value{from_hex("00 8000000000000000")}.to_int64(out)));  // 2^63
    EXPECT_EQ(out, INT64_MIN);
    EXPECT_EQ(to_string(of(type_id::varint), varint_value{from_hex("00 8000000000000000")}), "9223372036854775808");
    EXPECT_EQ(encode_error(of(type_id::varint), varint_value{}), bad);  // at least one byte
}

TEST(ValueVectors, Decimal) {
    // 123.45: scale 2, unscaled 12345 = 0x3039.
    expect_vector(of(type_id::decimal), decimal_value{{0x30, 0x39}, 2}, "00000002 3039", other_value, other_value);
    // 1E+3: negative scale; cut to 4 bytes there is no unscaled byte left.
    expect_vector(of(type_id::decimal), decimal_value{{0x01}, -3}, "fffffffd 01", bad, other_value);
    EXPECT_EQ(to_string(of(type_id::decimal), decimal_value{{0x30, 0x39}, 2}), "123.45");
    EXPECT_EQ(to_string(of(type_id::decimal), decimal_value{{0x01}, -3}), "1E+3");
    EXPECT_EQ(to_string(of(type_id::decimal), decimal_value{{0xfb}, 3}), "-0.005");
    EXPECT_EQ(decode_error(of(type_id::decimal), "000002"), errc::truncated);
    EXPECT_EQ(encode_error(of(type_id::decimal), decimal_value{{}, 1}), bad);
}

TEST(ValueVectors, Duration) {
    const data_type native = of(type_id::duration);
    const data_type custom = data_type::custom(std::string(duration_class_name));
    expect_vector(custom, duration_value{1, 2, 3}, "02 04 06", errc::truncated, errc::trailing_bytes);
    expect_vector(native, duration_value{-1, -2, -3}, "01 03 05", errc::truncated, errc::trailing_bytes);
    // Spec's vint example: 256000 = [110]00011 11101000 00000000; zigzag(128000) = 256000.
    expect_vector(custom, duration_value{0, 128000, 0}, "00 c3e800 00", errc::truncated, errc::trailing_bytes);
    expect_vector(custom, duration_value{INT32_MIN, 0, INT64_MIN}, "f0ffffffff 00 ffffffffffffffffff",
                  errc::truncated, errc::trailing_bytes);
    expect_vector(custom, duration_value{0, INT32_MAX, INT64_MAX}, "00 f0fffffffe fffffffffffffffffe", errc::truncated,
                  errc::trailing_bytes, v3);
    EXPECT_EQ(encode_error(custom, duration_value{1, -1, 0}), bad);
    EXPECT_EQ(encode_error(custom, duration_value{0, 1, -1}), bad);
    EXPECT_EQ(decode_error(custom, "02 01 00"), bad);        // +1 month, -1 day
    EXPECT_EQ(decode_error(custom, "f100000000 00 00"), bad);  // 2^31 months: not an int32
    EXPECT_EQ(to_string(custom, duration_value{14, 3, 3'723'000'000'004}), "1y2mo3d1h2m3s4ns");
    EXPECT_EQ(to_string(custom, duration_value{0, -1, 0}), "-1d");
}

TEST(Vint, SpecExampleAndBoundaries) {
    const std::pair<std::uint64_t, const char*> table[] = {
        {0, "00"},          {127, "7f"},          {128, "8080"},        {16383, "bfff"},
        {16384, "c04000"},  {256000, "c3e800"},   {(1ull << 56) - 1, "feffffffffffffff"},
        {1ull << 56, "ff0100000000000000"},       {UINT64_MAX, "ffffffffffffffffff"}};
    for (auto [n, hex] : table) {
        std::vector<std::uint8_t> out;
        byte_writer w(out);
        write_unsigned_vint(w, n);
        EXPECT_EQ(to_hex(out), hex) << n;
        auto in = from_hex(hex);
        byte_reader r(in);
        EXPECT_EQ(read_unsigned_vint(r), n);
        EXPECT_FALSE(r.finish());
        in.pop_back();
        byte_reader cut(in);
        read_unsigned_vint(cut);
        EXPECT_EQ(cut.finish(), errc::truncated);
    }
    auto lax = from_hex("8005");  // not minimal, still 5 (Cassandra reads it the same way)
    byte_reader r(lax);
    EXPECT_EQ(read_unsigned_vint(r), 5u);
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    write_vint(w, -1);
    write_vint(w, 1);
    write_vint(w, -3);
    EXPECT_EQ(to_hex(out), "010205");
}

TEST(ValueVectors, Collections) {
    const auto list_int = data_type::list_of(of(type_id::int_));
    expect_vector(list_int, cql_list{1, 2}, "00000002 00000004 00000001 00000004 00000002", errc::truncated,
                  errc::trailing_bytes);
    expect_vector(list_int, cql_list{}, "00000000", errc::truncated, errc::trailing_bytes);
    const auto set_text = data_type::set_of(of(type_id::varchar));
    expect_vector(set_text, cql_list{"a", "b"}, "00000002 00000001 61 00000001 62", errc::truncated,
                  errc::trailing_bytes);
    const auto map_ti = data_type::map_of(of(type_id::varchar), of(type_id::int_));
    expect_vector(map_ti, cql_map{{"a", 1}}, "00000001 00000001 61 00000004 00000001", errc::truncated,
                  errc::trailing_bytes);
    // Nulls inside a collection: Cassandra refuses them, so do we, both ways.
    EXPECT_EQ(decode_error(list_int, "00000001 ffffffff"), bad);
    EXPECT_EQ(decode_error(map_ti, "00000001 00000001 61 ffffffff"), bad);
    EXPECT_EQ(encode_error(list_int, cql_list{1, cql_value::null()}), bad);
    EXPECT_EQ(encode_error(map_ti, cql_map{{cql_value::null(), 1}}), bad);
    EXPECT_EQ(encode_error(list_int, cql_list{cql_value::unset()}), bad);
    // Malformed counts and elements.
    EXPECT_EQ(decode_error(list_int, "ffffffff"), errc::invalid_length);
    EXPECT_EQ(decode_error(list_int, "7fffffff"), errc::truncated);  // no huge reserve first
    EXPECT_EQ(decode_error(map_ti, "7fffffff 00000001 61"), errc::truncated);
    EXPECT_EQ(decode_error(list_int, "00000001 00000003 010203"), bad);
    EXPECT_EQ(decode_error(list_int, "000001"), errc::truncated);
}

TEST(ValueVectors, TupleAndUdt) {
    const auto tup = data_type::tuple_of({of(type_id::int_), of(type_id::varchar)});
    expect_vector(tup, cql_list{1, cql_value::null()}, "00000004 00000001 ffffffff", errc::truncated,
                  errc::trailing_bytes);  // bytes after the last field
    expect_vector(tup, cql_list{7, "x"}, "00000004 00000007 00000001 78", errc::truncated, errc::trailing_bytes);
    // Trailing fields may be missing (null); more fields than the type has are trailing bytes.
    EXPECT_EQ(decoded(tup, "00000004 00000001"), (cql_value{cql_list{1, cql_value::null()}}));
    EXPECT_EQ(decode_error(tup, "00000004 00000001 ffffffff ffffffff"), errc::trailing_bytes);
    EXPECT_EQ(encode_error(tup, cql_list{1}), bad);  // a tuple is sent whole
    EXPECT_EQ(encode_error(tup, cql_list{1, "a", 2}), bad);
    EXPECT_EQ(encode_error(tup, cql_list{"a", 1}), bad);
    EXPECT_EQ(encode_error(tup, cql_list{1, cql_value::unset()}), bad);

    const auto udt = udt_of({{"street", of(type_id::varchar)}, {"zip", of(type_id::int_)}});
    expect_vector(udt, cql_list{"x", 7}, "00000001 78 00000004 00000007", errc::truncated, errc::trailing_bytes);
    EXPECT_EQ(decoded(udt, "00000001 78"), (cql_value{cql_list{"x", cql_value::null()}}));
    EXPECT_EQ(decoded(udt, ""), (cql_value{cql_list{cql_value::null(), cql_value::null()}}));
    EXPECT_EQ(to_hex(encoded(udt, cql_list{"x"})), hex("00000005 00000001 78"));  // the udt stops early
    EXPECT_EQ(encode_error(udt, cql_list{"x", 7, 8}), bad);
    EXPECT_EQ(to_string(udt, cql_list{"x", cql_value::null()}), "{street: 'x', zip: null}");
    EXPECT_EQ(to_string(tup, cql_list{1, "it's"}), "(1, 'it''s')");
}

TEST(ValueVectors, NestedCollections) {
    // list<frozen<map<text, frozen<tuple<int, frozen<list<int>>>>>>> = [{'k': (1, [2])}]
    const auto inner = data_type::tuple_of({of(type_id::int_), data_type::list_of(of(type_id::int_))});
    const auto t = data_type::list_of(data_type::map_of(of(type_id::varchar), inner));
    const cql_value v = cql_list{cql_map{{"k", cql_list{1, cql_list{2}}}}};
    expect_vector(t, v,
                  "00000001 00000025"
                  "  00000001 00000001 6b 00000018"
                  "    00000004 00000001 0000000c"
                  "      00000001 00000004 00000002",
                  errc::truncated, errc::trailing_bytes);
    EXPECT_EQ(to_string(t, v), "[{'k': (1, [2])}]");
    EXPECT_EQ(to_string(data_type::set_of(of(type_id::int_)), cql_list{1, 2}), "{1, 2}");
}

TEST(Value, NullAndUnset) {
    const auto t = of(type_id::int_);
    EXPECT_EQ(to_hex(encoded(t, cql_value::null())), "ffffffff");
    EXPECT_EQ(to_hex(encoded(t, cql_value::unset())), "fffffffe");
    EXPECT_EQ(to_hex(encoded(t, cql_value::null(), v3)), "ffffffff");
    EXPECT_EQ(encode_error(t, cql_value::unset(), v3), errc::unsupported_by_version);
    auto in = from_hex("ffffffff fffffff0");  // any negative [bytes] length is null
    byte_reader r(in);
    EXPECT_TRUE(read_value(r, t, v4).is_null());
    EXPECT_TRUE(read_value(r, t, v4).is_null());
    EXPECT_FALSE(r.finish());
}

TEST(Value, EmptyCellIsLegacyEmptyValue) {
    // Spec section 6: most non-string types accept a zero-length value, distinct from null on the
    // wire; it decodes as null here (as the Java driver does), collections as empty collections.
    for (auto id : {type_id::int_, type_id::bigint, type_id::boolean, type_id::double_, type_id::uuid,
                    type_id::inet, type_id::varint, type_id::decimal, type_id::date, type_id::time})
        EXPECT_TRUE(decoded(of(id), "").is_null()) << of(id).to_cql();
    EXPECT_TRUE(decoded(of(type_id::duration), "").is_null());
    EXPECT_EQ(decoded(data_type::list_of(of(type_id::int_)), ""), cql_value{cql_list{}});
    EXPECT_EQ(decoded(data_type::map_of(of(type_id::int_), of(type_id::int_)), ""), cql_value{cql_map{}});
    EXPECT_EQ(decoded(of(type_id::ascii), ""), cql_value::text(""));
}

TEST(Value, WrongAlternativeRefusedAndNothingWritten) {
    EXPECT_EQ(encode_error(of(type_id::int_), std::int64_t{1}), bad);
    EXPECT_EQ(encode_error(of(type_id::bigint), 1), bad);
    EXPECT_EQ(encode_error(of(type_id::varchar), 1), bad);
    EXPECT_EQ(encode_error(of(type_id::time), std::int64_t{1}), bad);
    EXPECT_EQ(encode_error(of(type_id::date), 1), bad);
    EXPECT_EQ(encode_error(of(type_id::float_), 1.0), bad);
    EXPECT_EQ(encode_error(data_type::map_of(of(type_id::int_), of(type_id::int_)), cql_list{}), bad);
    // A failure deep inside leaves no half-written value behind.
    EXPECT_EQ(encode_error(data_type::list_of(of(type_id::int_)), cql_list{1, 2, "three"}), bad);
}

TEST(Value, V3RefusesV4Types) {
    for (auto id : {type_id::date, type_id::time, type_id::smallint, type_id::tinyint}) {
        EXPECT_EQ(decode_error(of(id), "00", v3), errc::unsupported_by_version);
        EXPECT_EQ(encode_error(of(id), cql_value{std::int8_t{0}}, v3), errc::unsupported_by_version);
    }
    expect_vector(data_type::list_of(of(type_id::int_)), cql_list{1}, "00000001 00000004 00000001", errc::truncated,
                  errc::trailing_bytes, v3);
}

TEST(Value, CustomTypeIsRawBytes) {
    const auto t = data_type::custom("com.example.Foo");
    expect_vector(t, std::vector<std::uint8_t>{1, 2}, "0102", other_value, other_value);
}

namespace {

data_type nested_lists(int levels) {
    data_type t = of(type_id::int_);
    for (int i = 0; i < levels; ++i) t = data_type::list_of(t);
    return t;
}

// [[...[7]...]] built by hand: each level is count 1, then the inner cell as [bytes].
std::vector<std::uint8_t> nested_cell(int levels, cql_value& v) {
    std::vector<std::uint8_t> cell = from_hex("00000007");
    v = 7;
    for (int i = 0; i < levels; ++i) {
        std::vector<std::uint8_t> outer = from_hex("00000001" + length_hex(cell.size()));
        outer.insert(outer.end(), cell.begin(), cell.end());
        cell = std::move(outer);
        v = cql_list{v};
    }
    return cell;
}

}  // namespace

TEST(Value, NestingDepthIsBounded) {
    cql_value v;
    const auto ok_cell = nested_cell(max_type_depth, v);
    cql_value got;
    ASSERT_FALSE(decode_cell(ok_cell, nested_lists(max_type_depth), v4, got));
    EXPECT_EQ(got, v);
    EXPECT_EQ(to_hex(encoded(nested_lists(max_type_depth), v)), length_hex(ok_cell.size()) + to_hex(ok_cell));

    const auto deep_cell = nested_cell(max_type_depth + 1, v);
    EXPECT_EQ(decode_cell(deep_cell, nested_lists(max_type_depth + 1), v4, got), errc::nesting_too_deep);
    EXPECT_EQ(encode_error(nested_lists(max_type_depth + 1), v), errc::nesting_too_deep);
}

TEST(Value, HotPathWriters) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    write_boolean_cell(w, true);
    write_int_cell(w, -2);
    write_bigint_cell(w, 1);
    write_double_cell(w, 1.0);
    write_text_cell(w, "ab");
    uuid_bytes u{};
    u[15] = 9;
    write_uuid_cell(w, u);
    const std::uint8_t b[] = {0xca, 0xfe};
    write_blob_cell(w, b);
    write_text_cell(w, "");
    EXPECT_EQ(to_hex(out), hex("00000001 01"
              "00000004 fffffffe"
              "00000008 0000000000000001"
              "00000008 3ff0000000000000"
              "00000002 6162"
              "00000010 00000000000000000000000000000009"
              "00000002 cafe"
              "00000000"));
}

TEST(Value, ToString) {
    EXPECT_EQ(to_string(of(type_id::varchar), cql_value::text("it's")), "'it''s'");
    EXPECT_EQ(to_string(of(type_id::blob), cql_value::blob(from_hex("cafe"))), "0xcafe");
    EXPECT_EQ(to_string(of(type_id::int_), cql_value::null()), "null");
    EXPECT_EQ(to_string(of(type_id::boolean), true), "true");
    EXPECT_EQ(to_string(of(type_id::double_), 0.1), "0.1");
    EXPECT_EQ(to_string(of(type_id::double_), std::numeric_limits<double>::quiet_NaN()), "NaN");
    EXPECT_EQ(to_string(of(type_id::timestamp), std::int64_t{0}), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(to_string(of(type_id::timestamp), std::int64_t{-1}), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(to_string(data_type::map_of(of(type_id::varchar), of(type_id::int_)), cql_map{{"a", 1}}), "{'a': 1}");
    EXPECT_EQ(to_string(data_type::list_of(of(type_id::int_)), cql_list{1, 2}), "[1, 2]");
    EXPECT_EQ(to_string(data_type::list_of(of(type_id::int_)), 5), "<invalid>");
}
