// Notation reader/writer: exact bytes, sticky errors, bounded reservations.
#include "protocol/buffer.hpp"

#include <gtest/gtest.h>

#include "hex.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

TEST(ByteWriter, WritesEveryNotationBigEndian) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    w.u8(0xAB);
    w.i16(-2);
    w.i32(0x01020304);
    w.i64(-1);
    w.string("ab");
    w.long_string("c");
    w.bytes(std::string_view("xy"));
    w.null_bytes();
    w.unset_value();
    EXPECT_EQ(to_hex(out), "ab" "fffe" "01020304" "ffffffffffffffff" "00026162" "0000000163" "000000027879" "ffffffff" "fffffffe");
}

TEST(ByteReader, ReadsWhatTheWriterWrote) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> mm{{"K", {"a", "b"}}, {"L", {}}};
    w.string_multimap(mm);
    inet_address a;
    a.size = 4;
    a.bytes = {127, 0, 0, 1};
    a.port = 9042;
    w.inet(a);
    byte_reader r(out);
    auto got = r.string_multimap();
    auto ip = r.inet();
    ASSERT_FALSE(r.finish());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].first, "K");
    EXPECT_EQ(got[0].second.size(), 2u);
    EXPECT_EQ(got[0].second[1], "b");
    EXPECT_EQ(got[1].second.size(), 0u);
    EXPECT_EQ(ip, a);
    EXPECT_EQ(ip.to_string(), "127.0.0.1");
}

TEST(ByteReader, TruncationIsStickyAndReported) {
    auto in = from_hex("0005 6162");  // [string] of 5 bytes with only 2 present
    byte_reader r(in);
    EXPECT_EQ(r.string(), "");
    EXPECT_EQ(r.error(), errc::truncated);
    EXPECT_EQ(r.u8(), 0);  // further reads keep failing, no over-read
    EXPECT_EQ(r.finish(), errc::truncated);
}

TEST(ByteReader, TrailingBytesAreAnError) {
    auto in = from_hex("00000001 ff");
    byte_reader r(in);
    EXPECT_EQ(r.i32(), 1);
    EXPECT_EQ(r.finish(), errc::trailing_bytes);
}

TEST(ByteReader, ValueDistinguishesNullUnsetAndInvalid) {
    auto in = from_hex("ffffffff fffffffe");
    byte_reader r(in);
    EXPECT_TRUE(r.value().is_null());
    EXPECT_TRUE(r.value().is_unset());
    EXPECT_FALSE(r.finish());
    auto bad = from_hex("fffffffd");
    byte_reader r2(bad);
    r2.value();
    EXPECT_EQ(r2.error(), errc::invalid_length);
    auto neg = from_hex("fffffffd");  // [bytes]: any negative length is null
    byte_reader r3(neg);
    EXPECT_TRUE(r3.bytes().is_null());
}

TEST(ByteReader, HugeDeclaredCountReservesOnlyWhatCouldFit) {
    auto in = from_hex("ffff 0001 61");  // claims 65535 strings, holds one
    byte_reader r(in);
    EXPECT_EQ(r.reserve_hint(65535, 2), 2u);  // 5 bytes left, 2 per string at least
    auto list = r.string_list();
    EXPECT_EQ(r.error(), errc::truncated);
    EXPECT_LE(list.capacity(), 2u);
}

TEST(ByteReader, InetRefusesOddAddressSizes) {
    auto in = from_hex("05 0102030405 00000000");
    byte_reader r(in);
    r.inet();
    EXPECT_EQ(r.error(), errc::invalid_length);
}
