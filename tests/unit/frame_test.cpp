// Frame header codec, frame reader chunking independence, size limit, LZ4 bodies.
#include "protocol/compression.hpp"
#include "protocol/frame.hpp"

#include <gtest/gtest.h>

#include <random>

#include "hex.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

TEST(FrameHeader, EncodesOptionsRequest) {
    std::vector<std::uint8_t> out;
    frame_header h;
    h.op = opcode::options;
    h.stream = 1;
    append_frame_header(out, h);
    EXPECT_EQ(to_hex(out), "040000010500000000");
}

TEST(FrameHeader, DecodesResponseWithNegativeStream) {
    auto in = from_hex("84 0a ffff 08 00000004");
    frame_header h;
    ASSERT_FALSE(decode_frame_header(in, h));
    EXPECT_EQ(h.version, protocol_version::v4);
    EXPECT_TRUE(h.is_response);
    EXPECT_EQ(h.flags, frame_flag::tracing | frame_flag::warning);
    EXPECT_EQ(h.stream, -1);
    EXPECT_EQ(h.op, opcode::result);
    EXPECT_EQ(h.length, 4u);
}

TEST(FrameHeader, RefusesShortLongBadVersionOpcodeAndOversize) {
    frame_header h;
    EXPECT_EQ(decode_frame_header(from_hex("8400000008000000"), h), errc::truncated);
    EXPECT_EQ(decode_frame_header(from_hex("840000000800000000ff"), h), errc::trailing_bytes);
    EXPECT_EQ(decode_frame_header(from_hex("860000000800000000"), h), errc::bad_version);
    EXPECT_EQ(decode_frame_header(from_hex("840000000400000000"), h), errc::unknown_opcode);
    EXPECT_EQ(decode_frame_header(from_hex("840000001100000000"), h), errc::unknown_opcode);
    EXPECT_EQ(decode_frame_header(from_hex("8400000008 10000001"), h), errc::frame_too_large);
    EXPECT_EQ(decode_frame_header(from_hex("8400000008 00000101"), h, 256), errc::frame_too_large);
    EXPECT_FALSE(decode_frame_header(from_hex("8400000008 00000100"), h, 256));
    EXPECT_FALSE(decode_frame_header(from_hex("830000000200000000"), h));
    EXPECT_EQ(h.version, protocol_version::v3);
}

namespace {

std::vector<std::uint8_t> sample_stream() {
    std::vector<std::uint8_t> s;
    for (int i = 0; i < 5; ++i) {
        frame_header h;
        h.is_response = true;
        h.stream = static_cast<std::int16_t>(i * 1000 - 1);
        h.op = opcode::result;
        auto at = append_frame_header(s, h);
        for (int j = 0; j < i * 7; ++j) s.push_back(static_cast<std::uint8_t>(i + j));
        finish_frame(s, at);
    }
    return s;
}

std::vector<frame> read_all(frame_reader& r) {
    std::vector<frame> out;
    frame f;
    std::error_code ec;
    while (r.next(f, ec)) out.push_back(f);
    EXPECT_FALSE(ec);
    return out;
}

}  // namespace

TEST(FrameReader, SameFramesForEveryChunking) {
    const auto stream = sample_stream();
    frame_reader whole;
    whole.feed(stream);
    const auto expected = read_all(whole);
    ASSERT_EQ(expected.size(), 5u);
    EXPECT_EQ(expected[3].header.stream, 2999);
    EXPECT_EQ(expected[3].body.size(), 21u);

    // Every split point into two pieces, then random chunkings.
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
        frame_reader r;
        std::vector<frame> got;
        r.feed({stream.data(), cut});
        for (auto& f : read_all(r)) got.push_back(f);
        r.feed({stream.data() + cut, stream.size() - cut});
        for (auto& f : read_all(r)) got.push_back(f);
        ASSERT_EQ(got.size(), expected.size()) << "cut at " << cut;
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].header, expected[i].header);
            EXPECT_EQ(got[i].body, expected[i].body);
        }
    }
    std::mt19937 rng(42);
    for (int round = 0; round < 200; ++round) {
        frame_reader r;
        std::vector<frame> got;
        std::size_t pos = 0;
        while (pos < stream.size()) {
            std::size_t n = std::min<std::size_t>(stream.size() - pos, rng() % 13);
            auto dst = r.prepare(n);
            std::copy_n(stream.data() + pos, n, dst.data());
            r.commit(n);
            pos += n;
            for (auto& f : read_all(r)) got.push_back(f);
        }
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].body, expected[i].body);
        EXPECT_EQ(r.buffered(), 0u);
    }
}

TEST(FrameReader, OversizeIsRefusedBeforeTheBodyArrivesAndStaysBroken) {
    frame_reader r(1024);
    r.feed(from_hex("8400000008 00000401"));
    frame f;
    std::error_code ec;
    EXPECT_FALSE(r.next(f, ec));
    EXPECT_EQ(ec, errc::frame_too_large);
    r.feed(from_hex("00"));
    EXPECT_FALSE(r.next(f, ec));
    EXPECT_EQ(ec, errc::frame_too_large);
}

TEST(Lz4, RoundTripsAndBoundsTheDeclaredLength) {
    std::vector<std::uint8_t> body(5000);
    for (std::size_t i = 0; i < body.size(); ++i) body[i] = static_cast<std::uint8_t>(i % 17);
    std::vector<std::uint8_t> packed;
    lz4_compress_body(body, packed);
    EXPECT_EQ(to_hex({packed.data(), 4}), "00001388");
    EXPECT_LT(packed.size(), body.size());
    std::vector<std::uint8_t> back;
    ASSERT_FALSE(lz4_decompress_body(packed, back));
    EXPECT_EQ(back, body);

    EXPECT_EQ(lz4_decompress_body(packed, back, 4999), errc::compression_too_large);
    auto lying = packed;
    lying[3] = 0x89;  // declares one byte more than the block holds
    EXPECT_EQ(lz4_decompress_body(lying, back), errc::bad_compression);
    auto huge = from_hex("7fffffff 00");
    EXPECT_EQ(lz4_decompress_body(huge, back), errc::compression_too_large);
    EXPECT_EQ(lz4_decompress_body(huge, back, SIZE_MAX), errc::bad_compression);  // cannot expand that much
    EXPECT_LT(back.capacity(), 1u << 20);
    auto cut = std::vector<std::uint8_t>(packed.begin(), packed.end() - 1);
    EXPECT_EQ(lz4_decompress_body(cut, back), errc::bad_compression);
    EXPECT_EQ(lz4_decompress_body(from_hex("000000"), back), errc::truncated);
}

TEST(Lz4, CompressFrameSkipsStartupAndSetsTheFlag) {
    std::vector<std::uint8_t> buf, scratch;
    frame_header h;
    h.op = opcode::query;
    auto at = append_frame_header(buf, h);
    for (int i = 0; i < 300; ++i) buf.push_back('a');
    finish_frame(buf, at);
    compress_frame(buf, at, scratch);
    frame_reader r;
    r.feed(buf);
    frame f;
    std::error_code ec;
    ASSERT_TRUE(r.next(f, ec));
    EXPECT_TRUE(f.header.flags & frame_flag::compression);
    ASSERT_FALSE(decompress_frame(f, scratch));
    EXPECT_EQ(f.body.size(), 300u);
    EXPECT_EQ(f.header.flags & frame_flag::compression, 0);

    std::vector<std::uint8_t> startup;
    h.op = opcode::startup;
    at = append_frame_header(startup, h);
    startup.push_back(1);
    finish_frame(startup, at);
    auto before = startup;
    compress_frame(startup, at, scratch);
    EXPECT_EQ(startup, before);
}
