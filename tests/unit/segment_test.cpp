// Protocol v5 segments: byte-exact vectors (hand-written from the spec's layout, and the bytes a real
// Cassandra 5.0 node sent, tests/data/captured_segments.txt), packing and splitting, the reader fed in
// every chunking, and every single flipped byte detected.
#include "protocol/segment.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "hex.hpp"
#include "protocol/responses.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

namespace {

// The AUTH_SUCCESS envelope (null token) the node sent, and the segment it came in.
constexpr std::string_view auth_success_frame = "85000001 10 00000004 ffffffff";
constexpr std::string_view auth_success_plain = "0d0002 cf07f7  850000011000000004ffffffff  02b31143";
constexpr std::string_view auth_success_lz4 = "0d00000004 20b69c  850000011000000004ffffffff  02b31143";

struct captured {
    std::string name;
    bool lz4 = false;
    std::vector<std::uint8_t> bytes;
};

std::vector<captured> load_captured() {
    std::ifstream in(CQL_TEST_DATA_DIR "/captured_segments.txt");
    std::vector<captured> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string name, kind, hex;
        fields >> name >> kind >> hex;
        out.push_back({name, kind == "lz4", from_hex(hex)});
    }
    return out;
}

const captured& find(const std::vector<captured>& all, std::string_view name, bool lz4) {
    for (const auto& c : all)
        if (c.name == name && c.lz4 == lz4) return c;
    throw std::runtime_error("no captured segment named " + std::string(name));
}

// Feeds bytes in the given chunks; returns the frames read and the error that stopped the reader.
std::vector<frame> read_all(segment_reader& r, std::span<const std::uint8_t> bytes, std::size_t chunk,
                            std::error_code& ec) {
    std::vector<frame> out;
    for (std::size_t at = 0; at < bytes.size() && !ec; at += chunk) {
        r.feed(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
        frame f;
        while (r.next(f, ec)) out.push_back(std::move(f));
    }
    return out;
}

std::vector<frame> read_all(std::span<const std::uint8_t> bytes, bool lz4, std::error_code& ec,
                            std::size_t chunk = SIZE_MAX) {
    segment_reader r(lz4);
    return read_all(r, bytes, chunk, ec);
}

std::vector<std::uint8_t> whole(const frame& f) {
    std::vector<std::uint8_t> out(frame_header_size);
    frame_header h = f.header;
    h.length = static_cast<std::uint32_t>(f.body.size());
    encode_frame_header(h, out.data());
    out.insert(out.end(), f.body.begin(), f.body.end());
    return out;
}

// A v5 RESULT Void frame on stream s with a body padded to body_size (not decodable, just bytes).
std::vector<std::uint8_t> frame_of(std::int16_t s, std::size_t body_size, std::uint8_t fill = 0) {
    std::vector<std::uint8_t> out;
    frame_header h;
    h.version = protocol_version::v5;
    h.is_response = true;
    h.stream = s;
    h.op = opcode::result;
    append_frame_header(out, h);
    for (std::size_t i = 0; i < body_size; ++i) out.push_back(static_cast<std::uint8_t>(fill ? fill : i * 31 + s));
    finish_frame(out, 0);
    return out;
}

}  // namespace

TEST(SegmentCrc, Crc24AndCrc32AsCassandraComputesThem) {
    // The 3 header bytes of the captured AUTH_SUCCESS segment: 13 bytes, self-contained.
    EXPECT_EQ(segment_crc24(0x02000D, 3), 0xF707CFu);
    EXPECT_EQ(segment_crc24(0x040000000D, 5), 0x9CB620u);
    // zlib's CRC32 primed with FA 2D 55 CA (values from Python's zlib.crc32).
    EXPECT_EQ(segment_crc32({}), 0x44777ED3u);
    const std::string_view digits = "123456789";
    EXPECT_EQ(segment_crc32({reinterpret_cast<const std::uint8_t*>(digits.data()), digits.size()}), 0xE2A261A7u);
    const auto env = from_hex(auth_success_frame);
    EXPECT_EQ(segment_crc32(env), 0x4311B302u);
}

TEST(SegmentEncode, SelfContainedSegmentIsByteExact) {
    std::vector<std::uint8_t> out;
    append_segment(out, from_hex(auth_success_frame), true, false);
    EXPECT_EQ(to_hex(out), to_hex(from_hex(auth_success_plain)));
    out.clear();
    // LZ4 cannot shrink 13 bytes: sent raw, uncompressed length 0, self-contained bit 34.
    append_segment(out, from_hex(auth_success_frame), true, true);
    EXPECT_EQ(to_hex(out), to_hex(from_hex(auth_success_lz4)));
}

TEST(SegmentEncode, NotSelfContainedAndEmptyHeaders) {
    std::vector<std::uint8_t> out;
    append_segment(out, {}, false, false);
    ASSERT_EQ(out.size(), 10u);
    EXPECT_EQ(out[0] | out[1] << 8 | out[2] << 16, 0);
    EXPECT_EQ(static_cast<std::uint32_t>(out[3] | out[4] << 8 | out[5] << 16), segment_crc24(0, 3));
    EXPECT_EQ(to_hex(std::span(out).subspan(6)), "d37e7744");  // CRC32 of nothing, little-endian
}

TEST(SegmentEncode, PacksWholeFramesAndSplitsOnlyALargeOne) {
    std::vector<std::uint8_t> frames;
    for (int i = 0; i < 40; ++i) {
        auto f = frame_of(static_cast<std::int16_t>(i), 5000);
        frames.insert(frames.end(), f.begin(), f.end());
    }
    auto big = frame_of(99, 300000);
    frames.insert(frames.end(), big.begin(), big.end());
    auto tail = frame_of(100, 10);
    frames.insert(frames.end(), tail.begin(), tail.end());
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(encode_segments(frames, out, false));
    // Walk the segments: 26 frames of 5009 bytes fit in 131071, so 26 + 14, then 3 parts of the big
    // frame (131071, 131071, 37867), then the tail.
    std::vector<std::pair<std::size_t, bool>> seen;
    for (std::size_t at = 0; at < out.size();) {
        const std::uint32_t h = out[at] | out[at + 1] << 8 | out[at + 2] << 16;
        seen.emplace_back(h & 0x1FFFF, (h >> 17) & 1);
        at += 10 + (h & 0x1FFFF);
    }
    const std::vector<std::pair<std::size_t, bool>> want = {
        {26 * 5009, true}, {14 * 5009, true}, {131071, false}, {131071, false}, {300009 - 2 * 131071, false}, {19, true}};
    EXPECT_EQ(seen, want);
    std::error_code ec;
    auto got = read_all(out, false, ec);
    EXPECT_FALSE(ec);
    ASSERT_EQ(got.size(), 42u);
    EXPECT_EQ(whole(got[40]), big);
    EXPECT_EQ(got[41].header.stream, 100);
}

TEST(SegmentEncode, RefusesBytesThatDoNotEndOnAFrame) {
    auto f = frame_of(1, 20);
    f.pop_back();
    std::vector<std::uint8_t> out{1, 2};
    EXPECT_EQ(encode_segments(f, out, false), errc::invalid_length);
    EXPECT_EQ(out.size(), 2u);
}

TEST(SegmentEncode, Lz4ShrinksACompressibleFrameAndRoundTrips) {
    auto big = frame_of(7, 400000, 'x');
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(encode_segments(big, out, true));
    EXPECT_LT(out.size(), big.size() / 20);
    std::error_code ec;
    auto got = read_all(out, true, ec, 1000);
    EXPECT_FALSE(ec);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(whole(got[0]), big);
}

TEST(SegmentRead, CapturedSegmentsDecodeToWhatTheNodeSaid) {
    const auto all = load_captured();
    ASSERT_GE(all.size(), 7u);
    for (bool lz4 : {false, true}) {
        std::error_code ec;
        auto rows = read_all(find(all, "rows_release_version", lz4).bytes, lz4, ec);
        ASSERT_FALSE(ec) << ec.message();
        ASSERT_EQ(rows.size(), 1u);
        EXPECT_EQ(rows[0].header.version, protocol_version::v5);
        response r;
        ASSERT_FALSE(decode_response(rows[0], r));
        const auto& rs = std::get<rows_result>(std::get<result>(r.body));
        ASSERT_EQ(rs.row_count, 1);
        const auto cell = rs.cell(0, 0);
        EXPECT_EQ(std::string(cell.data.begin(), cell.data.end()).substr(0, 2), "5.");
        auto err = read_all(find(all, "error_syntax", lz4).bytes, lz4, ec);
        ASSERT_EQ(err.size(), 1u);
        ASSERT_FALSE(decode_response(err[0], r));
        EXPECT_EQ(std::get<error_response>(r.body).code, server_errc::syntax_error);
        auto ok = read_all(find(all, "auth_success", lz4).bytes, lz4, ec);
        ASSERT_EQ(ok.size(), 1u);
        EXPECT_EQ(ok[0].header.op, opcode::auth_success);
    }
    // The node's LZ4 segment of the rows really is compressed (uncompressed length non-zero).
    const auto& lz = find(all, "rows_release_version", true).bytes;
    EXPECT_NE((lz[2] >> 1) | (lz[3] << 7) | ((lz[4] & 1) << 15), 0);
}

TEST(SegmentRead, CapturedLargeValueComesInSegmentsThatAreNotSelfContained) {
    const auto all = load_captured();
    const auto& big = find(all, "rows_big_blob", false).bytes;
    std::error_code ec;
    segment_reader r(false);
    auto got = read_all(r, big, SIZE_MAX, ec);
    ASSERT_FALSE(ec) << ec.message();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(r.segments(), 2u);
    EXPECT_EQ(big[2] & 0x02, 0);  // first segment: not self-contained
    response resp;
    ASSERT_FALSE(decode_response(got[0], resp));
    const auto& rs = std::get<rows_result>(std::get<result>(resp.body));
    const auto cell = rs.cell(0, 0);
    ASSERT_EQ(cell.data.size(), 140u * 1024);
    for (std::size_t i = 0; i < cell.data.size(); i += 997) EXPECT_EQ(cell.data[i], static_cast<std::uint8_t>(i * 7 + 3));
}

TEST(SegmentRead, EveryChunkingGivesTheSameFrames) {
    const auto all = load_captured();
    for (bool lz4 : {false, true}) {
        std::vector<std::uint8_t> stream;
        for (const auto& c : all)
            if (c.lz4 == lz4 && c.name != "rows_big_blob") stream.insert(stream.end(), c.bytes.begin(), c.bytes.end());
        std::error_code ec;
        const auto want = read_all(stream, lz4, ec);
        ASSERT_FALSE(ec);
        ASSERT_EQ(want.size(), 3u);
        // Every split into two pieces, then every split into three around each point.
        for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
            segment_reader r(lz4);
            std::vector<frame> got;
            frame f;
            r.feed(std::span(stream).first(cut));
            while (r.next(f, ec)) got.push_back(f);
            r.feed(std::span(stream).subspan(cut));
            while (r.next(f, ec)) got.push_back(f);
            ASSERT_FALSE(ec) << cut;
            ASSERT_EQ(got.size(), want.size()) << cut;
            for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(whole(got[i]), whole(want[i])) << cut;
        }
        auto bytewise = read_all(stream, lz4, ec, 1);
        ASSERT_FALSE(ec);
        ASSERT_EQ(bytewise.size(), want.size());
    }
}

TEST(SegmentRead, LargeFrameInEveryChunkSize) {
    auto big = frame_of(3, 270000);
    std::vector<std::uint8_t> seg;
    ASSERT_FALSE(encode_segments(big, seg, false));
    for (std::size_t chunk : {1u, 2u, 5u, 6u, 7u, 10u, 4096u, 131076u, 131077u, 131081u, 200000u}) {
        std::error_code ec;
        auto got = read_all(seg, false, ec, chunk);
        ASSERT_FALSE(ec) << chunk;
        ASSERT_EQ(got.size(), 1u) << chunk;
        EXPECT_EQ(whole(got[0]), big) << chunk;
    }
}

TEST(SegmentRead, EveryFlippedByteIsAnErrorNeverAWrongFrame) {
    const auto all = load_captured();
    for (bool lz4 : {false, true}) {
        std::vector<std::uint8_t> stream;
        std::vector<std::size_t> ends;  // where each segment run ends
        for (const auto& c : all)
            if (c.lz4 == lz4 && c.name != "rows_big_blob") {
                stream.insert(stream.end(), c.bytes.begin(), c.bytes.end());
                ends.push_back(stream.size());
            }
        std::error_code ec;
        const auto want = read_all(stream, lz4, ec);
        for (std::size_t at = 0; at < stream.size(); ++at) {
            for (std::uint8_t mask : {0x01, 0x80, 0xFF}) {
                auto bad = stream;
                bad[at] ^= mask;
                std::error_code e;
                auto got = read_all(bad, lz4, e);
                EXPECT_TRUE(e) << "byte " << at << " mask " << int(mask);
                // Only the frames of the segments before the damaged one came out, unchanged.
                std::size_t intact = 0;
                while (intact < ends.size() && ends[intact] <= at) ++intact;
                ASSERT_EQ(got.size(), intact) << at;
                for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(whole(got[i]), whole(want[i]));
            }
        }
    }
}

TEST(SegmentRead, FlippedBytesInALargeSplitFrameAreDetected) {
    auto big = frame_of(3, 140000);
    std::vector<std::uint8_t> seg;
    ASSERT_FALSE(encode_segments(big, seg, false));
    for (std::size_t at = 0; at < seg.size(); at += 1013) {
        auto bad = seg;
        bad[at] ^= 0x10;
        std::error_code ec;
        EXPECT_TRUE(read_all(bad, false, ec).empty()) << at;
        EXPECT_TRUE(ec) << at;
    }
}

TEST(SegmentRead, SelfContainedFlagMustMatchFrameBoundaries) {
    auto f = frame_of(1, 30);
    // A self-contained segment holding part of a frame.
    std::vector<std::uint8_t> bytes;
    append_segment(bytes, std::span(f).first(20), true, false);
    std::error_code ec;
    EXPECT_TRUE(read_all(bytes, false, ec).empty());
    EXPECT_EQ(ec, errc::bad_segment);
    // A large frame interrupted by a self-contained segment.
    bytes.clear();
    append_segment(bytes, std::span(f).first(20), false, false);
    append_segment(bytes, f, true, false);
    ec.clear();
    EXPECT_TRUE(read_all(bytes, false, ec).empty());
    EXPECT_EQ(ec, errc::bad_segment);
}

TEST(SegmentRead, Lz4PayloadThatLiesAboutItsLengthIsRefused) {
    auto f = frame_of(1, 4000, 'a');
    std::vector<std::uint8_t> seg;
    append_segment(seg, f, true, true);
    // Declare one byte more uncompressed, with a header CRC that matches the lie.
    std::uint64_t h = 0;
    for (int i = 0; i < 5; ++i) h |= std::uint64_t{seg[i]} << (8 * i);
    h += std::uint64_t{1} << 17;
    for (int i = 0; i < 5; ++i) seg[i] = static_cast<std::uint8_t>(h >> (8 * i));
    const auto crc = segment_crc24(h, 5);
    for (int i = 0; i < 3; ++i) seg[5 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
    std::error_code ec;
    EXPECT_TRUE(read_all(seg, true, ec).empty());
    EXPECT_EQ(ec, errc::bad_compression);
}
