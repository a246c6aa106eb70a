// Protocol v5 segments: checksums, encoder, incremental reader.
#include "protocol/segment.hpp"

#include <lz4.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace cql::protocol {
namespace {

// CRC32 (reflected polynomial 0xEDB88320, as zlib and java.util.zip.CRC32), sliced by 8 bytes: the
// payload checksum runs over every byte sent and received.
using crc_tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr crc_tables make_crc_tables() {
    crc_tables t{};
    for (std::uint32_t i = 0; i < 256; ++i) {
        std::uint32_t c = i;
        for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        t[0][i] = c;
    }
    for (std::size_t s = 1; s < 8; ++s)
        for (std::size_t i = 0; i < 256; ++i) t[s][i] = (t[s - 1][i] >> 8) ^ t[0][t[s - 1][i] & 0xFF];
    return t;
}

constexpr crc_tables crc_table = make_crc_tables();

// Runs the raw register (no final inversion) over bytes.
constexpr std::uint32_t crc32_update(std::uint32_t c, const std::uint8_t* p, std::size_t n) noexcept {
    while (n >= 8) {
        const std::uint32_t lo = c ^ (std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
                                      std::uint32_t{p[3]} << 24);
        c = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^ crc_table[5][(lo >> 16) & 0xFF] ^
            crc_table[4][lo >> 24] ^ crc_table[3][p[4]] ^ crc_table[2][p[5]] ^ crc_table[1][p[6]] ^ crc_table[0][p[7]];
        p += 8;
        n -= 8;
    }
    while (n-- > 0) c = crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return c;
}

constexpr std::uint8_t crc32_prime[4] = {0xFA, 0x2D, 0x55, 0xCA};
// The register after the priming bytes, computed once at compile time.
constexpr std::uint32_t crc32_primed = crc32_update(0xFFFFFFFFu, crc32_prime, 4);

void store_le(std::uint8_t* p, std::uint64_t v, int n) noexcept {
    for (int i = 0; i < n; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

std::uint64_t load_le(const std::uint8_t* p, int n) noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t{p[i]} << (8 * i);
    return v;
}

constexpr std::uint64_t length_mask = (std::uint64_t{1} << 17) - 1;

}  // namespace

std::uint32_t segment_crc24(std::uint64_t bits, int len) noexcept {
    std::uint32_t crc = 0x875060;
    while (len-- > 0) {
        crc ^= static_cast<std::uint32_t>(bits & 0xFF) << 16;
        bits >>= 8;
        for (int i = 0; i < 8; ++i) {
            crc <<= 1;
            if (crc & 0x1000000) crc ^= 0x1974F0B;
        }
    }
    return crc & 0xFFFFFF;
}

std::uint32_t segment_crc32(std::span<const std::uint8_t> payload) noexcept {
    return ~crc32_update(crc32_primed, payload.data(), payload.size());
}

void append_segment(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload, bool self_contained,
                    bool lz4) {
    const auto at = out.size();
    const std::uint64_t self_bit = self_contained ? 1 : 0;
    if (!lz4) {
        out.resize(at + segment_header_size + payload.size() + segment_trailer_size);
        const std::uint64_t h = payload.size() | (self_bit << 17);
        store_le(out.data() + at, h, 3);
        store_le(out.data() + at + 3, segment_crc24(h, 3), 3);
        if (!payload.empty()) std::memcpy(out.data() + at + segment_header_size, payload.data(), payload.size());
        store_le(out.data() + at + segment_header_size + payload.size(), segment_crc32(payload), 4);
        return;
    }
    const int bound = LZ4_compressBound(static_cast<int>(payload.size()));
    out.resize(at + lz4_segment_header_size + static_cast<std::size_t>(bound) + segment_trailer_size);
    std::uint8_t* body = out.data() + at + lz4_segment_header_size;
    int n = payload.empty() ? 0
                            : LZ4_compress_default(reinterpret_cast<const char*>(payload.data()),
                                                   reinterpret_cast<char*>(body), static_cast<int>(payload.size()), bound);
    std::size_t sent = static_cast<std::size_t>(n);
    std::uint64_t uncompressed = payload.size();
    // As Cassandra does: a payload LZ4 cannot shrink goes raw, its uncompressed length 0.
    if (n <= 0 || sent >= payload.size()) {
        if (!payload.empty()) std::memcpy(body, payload.data(), payload.size());
        sent = payload.size();
        uncompressed = 0;
    }
    const std::uint64_t h = sent | (uncompressed << 17) | (self_bit << 34);
    store_le(out.data() + at, h, 5);
    store_le(out.data() + at + 5, segment_crc24(h, 5), 3);
    store_le(body + sent, segment_crc32({body, sent}), 4);
    out.resize(at + lz4_segment_header_size + sent + segment_trailer_size);
}

std::error_code encode_segments(std::span<const std::uint8_t> frames, std::vector<std::uint8_t>& out, bool lz4) {
    // Check the frame boundaries first, so a refusal appends nothing.
    for (std::size_t at = 0; at < frames.size();) {
        if (frames.size() - at < frame_header_size) return make_error_code(errc::invalid_length);
        const std::size_t len = frame_header_size + load_be32(frames.data() + at + 5);
        if (len > frames.size() - at) return make_error_code(errc::invalid_length);
        at += len;
    }
    std::size_t group = 0;  // start of the frames not yet in a segment
    std::size_t at = 0;
    while (at < frames.size()) {
        const std::size_t len = frame_header_size + load_be32(frames.data() + at + 5);
        if (len > max_segment_payload) {
            if (at > group) append_segment(out, frames.subspan(group, at - group), true, lz4);
            for (std::size_t part = 0; part < len; part += max_segment_payload)
                append_segment(out, frames.subspan(at + part, std::min(max_segment_payload, len - part)), false, lz4);
            at += len;
            group = at;
            continue;
        }
        if (at + len - group > max_segment_payload) {
            append_segment(out, frames.subspan(group, at - group), true, lz4);
            group = at;
        }
        at += len;
    }
    if (at > group) append_segment(out, frames.subspan(group, at - group), true, lz4);
    return {};
}

void segment_reader::feed(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    auto dst = prepare(bytes.size());
    std::memcpy(dst.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

std::span<std::uint8_t> segment_reader::prepare(std::size_t min_size) {
    if (buf_.size() - end_ < min_size) {
        if (begin_ > 0) {
            std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (buf_.size() - end_ < min_size) buf_.resize(end_ + min_size);
    }
    return {buf_.data() + end_, buf_.size() - end_};
}

void segment_reader::commit(std::size_t n) noexcept { end_ += std::min(n, buf_.size() - end_); }

bool segment_reader::broken(std::error_code ec) noexcept {
    ec_ = ec;
    return false;
}

bool segment_reader::next_segment() {
    const std::size_t header_size = lz4_ ? lz4_segment_header_size : segment_header_size;
    if (buffered() < header_size) return false;
    const std::uint8_t* p = buf_.data() + begin_;
    const int bits_len = lz4_ ? 5 : 3;
    const std::uint64_t h = load_le(p, bits_len);
    if (segment_crc24(h, bits_len) != load_le(p + bits_len, 3)) return broken(make_error_code(errc::bad_header_checksum));
    const std::size_t length = static_cast<std::size_t>(h & length_mask);
    const std::size_t uncompressed = lz4_ ? static_cast<std::size_t>((h >> 17) & length_mask) : 0;
    const bool self_contained = ((h >> (lz4_ ? 34 : 17)) & 1) != 0;
    if (buffered() < header_size + length + segment_trailer_size) return false;
    const std::span<const std::uint8_t> sent(p + header_size, length);
    if (segment_crc32(sent) != load_le(p + header_size + length, 4))
        return broken(make_error_code(errc::bad_payload_checksum));
    std::span<const std::uint8_t> payload = sent;
    if (uncompressed != 0) {
        scratch_.resize(uncompressed);
        const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(sent.data()), reinterpret_cast<char*>(scratch_.data()),
                                          static_cast<int>(sent.size()), static_cast<int>(uncompressed));
        if (n < 0 || static_cast<std::size_t>(n) != uncompressed) return broken(make_error_code(errc::bad_compression));
        payload = scratch_;
    }
    // A self-contained segment may not start while a large frame is still incomplete.
    if (self_contained && frames_.buffered() != 0) return broken(make_error_code(errc::bad_segment));
    frames_.feed(payload);
    in_self_contained_ = self_contained;
    begin_ += header_size + length + segment_trailer_size;
    if (begin_ == end_) begin_ = end_ = 0;
    ++segments_;
    return true;
}

bool segment_reader::next(frame& out, std::error_code& ec) {
    for (;;) {
        ec = ec_;
        if (ec_) return false;
        if (frames_.next(out, ec)) return true;
        if (ec) return broken(ec);
        // A self-contained payload must end on a frame boundary.
        if (in_self_contained_ && frames_.buffered() != 0) {
            ec = make_error_code(errc::bad_segment);
            return broken(ec);
        }
        in_self_contained_ = false;
        if (!next_segment()) {
            ec = ec_;
            return false;
        }
    }
}

}  // namespace cql::protocol
