// Protocol v5 framing (native_protocol_v5.spec section 2): once the handshake has switched to it,
// frames ("envelopes") travel inside segments. A segment is a header protected by a CRC24, a payload
// of at most 128 KiB - 1, and a CRC32 of the payload. A self-contained segment holds one or more whole
// frames; a frame larger than one payload is split over consecutive segments that are not. With LZ4
// negotiated, each payload is compressed on its own (a raw block, no length prefix; the header carries
// both lengths) and frame bodies are never compressed.
//
//   uncompressed header, 6 bytes: 3 bytes little-endian  = payload length (17 bits) | self-contained << 17
//                                 3 bytes little-endian  = CRC24 of those 3 bytes
//   LZ4 header, 8 bytes:          5 bytes little-endian  = compressed length (17 bits)
//                                                          | uncompressed length << 17 (0: sent raw)
//                                                          | self-contained << 34
//                                 3 bytes little-endian  = CRC24 of those 5 bytes
//   trailer, 4 bytes:             CRC32 (little-endian) of the payload as sent
//
// The CRCs are Cassandra's (org.apache.cassandra.net.Crc): CRC24 with init 0x875060 and polynomial
// 0x1974F0B over the header bits least significant byte first; CRC32 is the zlib one, primed with the
// bytes FA 2D 55 CA. Sans-I/O: bytes in, bytes out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "protocol/frame.hpp"

namespace cql::protocol {

inline constexpr std::size_t max_segment_payload = (std::size_t{1} << 17) - 1;
inline constexpr std::size_t segment_header_size = 6;
inline constexpr std::size_t lz4_segment_header_size = 8;
inline constexpr std::size_t segment_trailer_size = 4;

// Cassandra's CRC24 of the low len bytes of bits (1..8), least significant first.
std::uint32_t segment_crc24(std::uint64_t bits, int len) noexcept;
// Cassandra's CRC32 of a segment payload (primed with FA 2D 55 CA).
std::uint32_t segment_crc32(std::span<const std::uint8_t> payload) noexcept;

// Appends one segment carrying payload (at most max_segment_payload bytes) to out. With lz4 the
// payload is compressed unless that does not make it smaller, then it is sent raw in an LZ4 header.
void append_segment(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> payload, bool self_contained,
                    bool lz4);

// Appends the segments carrying frames, a run of whole encoded frames, to out: consecutive frames are
// packed into self-contained segments of up to max_segment_payload bytes; a frame larger than that
// goes alone, split over segments that are not self-contained. Gives invalid_length (and appends
// nothing) if frames does not end on a frame boundary.
[[nodiscard]] std::error_code encode_segments(std::span<const std::uint8_t> frames, std::vector<std::uint8_t>& out,
                                              bool lz4);

// Accumulates segment bytes and yields whole frames, like frame_reader does for unframed bytes.
// A header or payload failing its checksum, a payload that does not decompress to its declared
// length, or whole-frame boundaries that contradict the self-contained flag are errors that break the
// reader for good: the connection must close, nothing after the damage is decoded.
class segment_reader {
public:
    explicit segment_reader(bool lz4, std::size_t max_frame_body = default_max_frame_body)
        : lz4_(lz4), frames_(max_frame_body) {}

    void feed(std::span<const std::uint8_t> bytes);
    std::span<std::uint8_t> prepare(std::size_t min_size = 64 * 1024);
    void commit(std::size_t n) noexcept;

    // True and fills out when a whole frame is available; false when more bytes are needed or on
    // error (then ec is set).
    bool next(frame& out, std::error_code& ec);

    std::size_t buffered() const noexcept { return end_ - begin_; }
    std::error_code error() const noexcept { return ec_; }
    // Segments decoded so far (for tests and metrics).
    std::uint64_t segments() const noexcept { return segments_; }

private:
    // Decodes the next whole segment from the raw bytes into frames_; false when incomplete or broken.
    bool next_segment();
    bool broken(std::error_code ec) noexcept;

    bool lz4_;
    std::vector<std::uint8_t> buf_;  // raw segment bytes
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::vector<std::uint8_t> scratch_;  // a decompressed payload
    frame_reader frames_;                // the frames the payloads carry
    bool in_self_contained_ = false;     // frames_ holds the rest of a self-contained payload
    std::uint64_t segments_ = 0;
    std::error_code ec_;
};

}  // namespace cql::protocol
