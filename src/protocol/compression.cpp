// LZ4 body compression for protocol v3/v4 frames.
#include "protocol/compression.hpp"

#include <lz4.h>

#include <limits>

namespace cql::protocol {

void lz4_compress_body(std::span<const std::uint8_t> body, std::vector<std::uint8_t>& out) {
    const auto at = out.size();
    const int bound = LZ4_compressBound(static_cast<int>(body.size()));
    out.resize(at + 4 + static_cast<std::size_t>(bound));
    store_be32(out.data() + at, static_cast<std::uint32_t>(body.size()));
    const int n = LZ4_compress_default(reinterpret_cast<const char*>(body.data()), reinterpret_cast<char*>(out.data() + at + 4),
                                       static_cast<int>(body.size()), bound);
    out.resize(at + 4 + static_cast<std::size_t>(n));
}

std::error_code lz4_decompress_body(std::span<const std::uint8_t> in, std::vector<std::uint8_t>& out, std::size_t max_size) {
    if (in.size() < 4) return make_error_code(errc::truncated);
    const std::uint32_t declared = load_be32(in.data());
    if (declared > max_size || declared > static_cast<std::uint32_t>(std::numeric_limits<int>::max()))
        return make_error_code(errc::compression_too_large);
    const auto src = in.subspan(4);
    if (src.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) return make_error_code(errc::bad_compression);
    // An LZ4 block expands at most about 255x; a larger declared length cannot be honest.
    if (declared > 0 && static_cast<std::uint64_t>(declared) > static_cast<std::uint64_t>(src.size()) * 255 + 16)
        return make_error_code(errc::bad_compression);
    out.resize(declared);
    if (declared == 0) return src.size() == 1 && src[0] == 0 ? std::error_code{} : make_error_code(errc::bad_compression);
    const int n = LZ4_decompress_safe(reinterpret_cast<const char*>(src.data()), reinterpret_cast<char*>(out.data()),
                                      static_cast<int>(src.size()), static_cast<int>(declared));
    if (n < 0 || static_cast<std::uint32_t>(n) != declared) {
        out.clear();
        return make_error_code(errc::bad_compression);
    }
    return {};
}

void compress_frame(std::vector<std::uint8_t>& buf, std::size_t frame_start, std::vector<std::uint8_t>& scratch) {
    if (static_cast<opcode>(buf[frame_start + 4]) == opcode::startup) return;
    const auto body_start = frame_start + frame_header_size;
    scratch.clear();
    lz4_compress_body({buf.data() + body_start, buf.size() - body_start}, scratch);
    buf.resize(body_start);
    buf.insert(buf.end(), scratch.begin(), scratch.end());
    buf[frame_start + 1] |= frame_flag::compression;
    finish_frame(buf, frame_start);
}

std::error_code decompress_frame(frame& f, std::vector<std::uint8_t>& scratch, std::size_t max_size) {
    if (!(f.header.flags & frame_flag::compression)) return {};
    if (auto ec = lz4_decompress_body(f.body, scratch, max_size)) return ec;
    f.body.swap(scratch);
    f.header.flags &= static_cast<std::uint8_t>(~frame_flag::compression);
    f.header.length = static_cast<std::uint32_t>(f.body.size());
    return {};
}

}  // namespace cql::protocol
