// Frame envelope: the 9-byte header of protocol v3/v4/v5 (in v5 the "envelope", carried inside
// segments once the handshake is done: see segment.hpp), opcodes, and an incremental frame reader
// that turns bytes arriving in any chunking into whole frames.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <system_error>
#include <vector>

#include "protocol/buffer.hpp"

namespace cql::protocol {

enum class protocol_version : std::uint8_t { v3 = 3, v4 = 4, v5 = 5 };

enum class opcode : std::uint8_t {
    error = 0x00,
    startup = 0x01,
    ready = 0x02,
    authenticate = 0x03,
    options = 0x05,
    supported = 0x06,
    query = 0x07,
    result = 0x08,
    prepare = 0x09,
    execute = 0x0A,
    register_ = 0x0B,
    event = 0x0C,
    batch = 0x0D,
    auth_challenge = 0x0E,
    auth_response = 0x0F,
    auth_success = 0x10,
};

bool is_known_opcode(std::uint8_t op) noexcept;
const char* opcode_name(opcode op) noexcept;

// Header flag bits (spec section 2.2).
namespace frame_flag {
inline constexpr std::uint8_t compression = 0x01;
inline constexpr std::uint8_t tracing = 0x02;
inline constexpr std::uint8_t custom_payload = 0x04;
inline constexpr std::uint8_t warning = 0x08;
inline constexpr std::uint8_t use_beta = 0x10;
}  // namespace frame_flag

inline constexpr std::size_t frame_header_size = 9;
inline constexpr std::uint8_t response_bit = 0x80;
inline constexpr std::size_t default_max_frame_body = 256u * 1024 * 1024;

struct frame_header {
    protocol_version version = protocol_version::v4;
    bool is_response = false;
    std::uint8_t flags = 0;
    std::int16_t stream = 0;
    opcode op = opcode::options;
    std::uint32_t length = 0;  // body length

    bool operator==(const frame_header&) const = default;
};

// Writes the 9 header bytes.
void encode_frame_header(const frame_header& h, std::uint8_t* out) noexcept;
// Appends a header to out; returns its offset, so the body length can be patched once known.
std::size_t append_frame_header(std::vector<std::uint8_t>& out, const frame_header& h);
// Sets the body length of a frame that starts at frame_start: everything appended after its header.
void finish_frame(std::vector<std::uint8_t>& out, std::size_t frame_start) noexcept;
// Sets the stream id of an encoded frame in place (bytes 2-3), as a write queue does at write time.
void patch_stream_id(std::uint8_t* frame, std::int16_t stream) noexcept;

// Decodes exactly 9 bytes. Refuses unknown versions and opcodes, and a body length above
// max_body before anything is allocated for it.
[[nodiscard]] std::error_code decode_frame_header(std::span<const std::uint8_t> in, frame_header& out,
                                                  std::size_t max_body = default_max_frame_body) noexcept;

// A whole frame: header and body. The body is the raw bytes (still compressed if the flag is set).
struct frame {
    frame_header header;
    std::vector<std::uint8_t> body;
};

// Accumulates bytes and yields whole frames. Use either feed() or prepare()/commit() to put bytes in;
// next() returns one frame at a time. After an error the reader is broken for good: the stream is
// desynchronised and the connection must close.
class frame_reader {
public:
    explicit frame_reader(std::size_t max_body = default_max_frame_body) noexcept : max_body_(max_body) {}

    void feed(std::span<const std::uint8_t> bytes);
    // A writable span of at least min_size bytes for a socket read; then commit(n) the bytes read.
    std::span<std::uint8_t> prepare(std::size_t min_size = 64 * 1024);
    void commit(std::size_t n) noexcept;

    // True and fills out when a whole frame is buffered; false when more bytes are needed or on
    // error (then ec is set).
    bool next(frame& out, std::error_code& ec);

    std::size_t buffered() const noexcept { return end_ - begin_; }
    // The buffered bytes not yet returned as frames (e.g. to hand over to a v5 segment reader).
    std::span<const std::uint8_t> unread() const noexcept { return {buf_.data() + begin_, end_ - begin_}; }
    std::error_code error() const noexcept { return ec_; }

private:
    void compact();

    std::size_t max_body_;
    std::vector<std::uint8_t> buf_;
    std::size_t begin_ = 0;  // first unconsumed byte
    std::size_t end_ = 0;    // one past the last valid byte
    std::error_code ec_;
};

}  // namespace cql::protocol
