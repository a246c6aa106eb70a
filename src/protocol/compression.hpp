// LZ4 frame-body compression as the drivers do it: a 4-byte big-endian uncompressed length, then
// one raw LZ4 block. STARTUP is never compressed.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "protocol/frame.hpp"

namespace cql::protocol {

// Appends the compressed form of body to out.
void lz4_compress_body(std::span<const std::uint8_t> body, std::vector<std::uint8_t>& out);

// Replaces out with the decompressed body. Refuses a declared length above max_size before
// allocating, and any mismatch between the declared and the actual length.
[[nodiscard]] std::error_code lz4_decompress_body(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out,
                                                  std::size_t max_size = default_max_frame_body);

// Compresses the body of the encoded frame starting at frame_start in place and sets the
// compression flag. STARTUP frames are left alone.
void compress_frame(std::vector<std::uint8_t>& buf, std::size_t frame_start, std::vector<std::uint8_t>& scratch);

// If the frame's compression flag is set, decompresses its body and clears the flag.
[[nodiscard]] std::error_code decompress_frame(frame& f, std::vector<std::uint8_t>& scratch,
                                               std::size_t max_size = default_max_frame_body);

}  // namespace cql::protocol
