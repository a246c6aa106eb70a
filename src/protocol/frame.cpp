// Frame header codec and incremental frame reader.
#include "protocol/frame.hpp"

#include <algorithm>
#include <cstring>

namespace cql::protocol {

bool is_known_opcode(std::uint8_t op) noexcept { return op <= 0x10 && op != 0x04; }

const char* opcode_name(opcode op) noexcept {
    switch (op) {
    case opcode::error: return "ERROR";
    case opcode::startup: return "STARTUP";
    case opcode::ready: return "READY";
    case opcode::authenticate: return "AUTHENTICATE";
    case opcode::options: return "OPTIONS";
    case opcode::supported: return "SUPPORTED";
    case opcode::query: return "QUERY";
    case opcode::result: return "RESULT";
    case opcode::prepare: return "PREPARE";
    case opcode::execute: return "EXECUTE";
    case opcode::register_: return "REGISTER";
    case opcode::event: return "EVENT";
    case opcode::batch: return "BATCH";
    case opcode::auth_challenge: return "AUTH_CHALLENGE";
    case opcode::auth_response: return "AUTH_RESPONSE";
    case opcode::auth_success: return "AUTH_SUCCESS";
    }
    return "UNKNOWN";
}

void encode_frame_header(const frame_header& h, std::uint8_t* out) noexcept {
    out[0] = static_cast<std::uint8_t>(static_cast<std::uint8_t>(h.version) | (h.is_response ? response_bit : 0));
    out[1] = h.flags;
    store_be16(out + 2, static_cast<std::uint16_t>(h.stream));
    out[4] = static_cast<std::uint8_t>(h.op);
    store_be32(out + 5, h.length);
}

std::size_t append_frame_header(std::vector<std::uint8_t>& out, const frame_header& h) {
    auto at = out.size();
    out.resize(at + frame_header_size);
    encode_frame_header(h, out.data() + at);
    return at;
}

void finish_frame(std::vector<std::uint8_t>& out, std::size_t frame_start) noexcept {
    store_be32(out.data() + frame_start + 5, static_cast<std::uint32_t>(out.size() - frame_start - frame_header_size));
}

void patch_stream_id(std::uint8_t* frame, std::int16_t stream) noexcept {
    store_be16(frame + 2, static_cast<std::uint16_t>(stream));
}

std::error_code decode_frame_header(std::span<const std::uint8_t> in, frame_header& out, std::size_t max_body) noexcept {
    if (in.size() < frame_header_size) return make_error_code(errc::truncated);
    if (in.size() > frame_header_size) return make_error_code(errc::trailing_bytes);
    const std::uint8_t version = in[0] & 0x7F;
    if (version < 3 || version > 5) return make_error_code(errc::bad_version);
    if (!is_known_opcode(in[4])) return make_error_code(errc::unknown_opcode);
    const std::uint32_t length = load_be32(in.data() + 5);
    if (length > max_body) return make_error_code(errc::frame_too_large);
    out.version = static_cast<protocol_version>(version);
    out.is_response = (in[0] & response_bit) != 0;
    out.flags = in[1];
    out.stream = static_cast<std::int16_t>(load_be16(in.data() + 2));
    out.op = static_cast<opcode>(in[4]);
    out.length = length;
    return {};
}

void frame_reader::compact() {
    if (begin_ == 0) return;
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
}

void frame_reader::feed(std::span<const std::uint8_t> bytes) {
    if (bytes.empty()) return;
    auto dst = prepare(bytes.size());
    std::memcpy(dst.data(), bytes.data(), bytes.size());
    commit(bytes.size());
}

std::span<std::uint8_t> frame_reader::prepare(std::size_t min_size) {
    if (buf_.size() - end_ < min_size) {
        compact();
        if (buf_.size() - end_ < min_size) buf_.resize(end_ + min_size);
    }
    return {buf_.data() + end_, buf_.size() - end_};
}

void frame_reader::commit(std::size_t n) noexcept { end_ += std::min(n, buf_.size() - end_); }

bool frame_reader::next(frame& out, std::error_code& ec) {
    ec = ec_;
    if (ec_) return false;
    if (buffered() < frame_header_size) return false;
    frame_header h;
    if (auto e = decode_frame_header({buf_.data() + begin_, frame_header_size}, h, max_body_)) {
        ec_ = ec = e;
        return false;
    }
    if (buffered() < frame_header_size + h.length) return false;
    const std::uint8_t* body = buf_.data() + begin_ + frame_header_size;
    out.header = h;
    out.body.assign(body, body + h.length);
    begin_ += frame_header_size + h.length;
    if (begin_ == end_) begin_ = end_ = 0;
    return true;
}

}  // namespace cql::protocol
