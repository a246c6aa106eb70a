// Frame-level response decoding: the body extras of section 2.2, the small handshake messages, and the
// dispatch of a whole frame to the per-opcode decoders (ERROR, RESULT and EVENT live in their own files).
#include "protocol/responses.hpp"

#include "protocol/response_detail.hpp"

namespace cql::protocol {

using detail::to_strings;
using detail::to_vector;

response_extras read_response_extras(byte_reader& r, std::uint8_t flags, protocol_version v) {
    response_extras out;
    const bool v3 = v == protocol_version::v3;
    // v3 only knows compression and tracing; reading past them would misplace the whole body.
    if (v3 && (flags & (frame_flag::warning | frame_flag::custom_payload)) != 0) {
        r.fail(errc::unsupported_by_version);
        return out;
    }
    if (flags & frame_flag::tracing) out.tracing_id = r.uuid();
    if (flags & frame_flag::warning) out.warnings = to_strings(r.string_list());
    if (flags & frame_flag::custom_payload) {
        auto map = r.bytes_map();
        out.custom_payload.reserve(map.size());
        for (const auto& [k, val] : map) out.custom_payload.emplace_back(std::string(k), to_vector(val.data));
    }
    if (!r.ok()) out = {};
    return out;
}

const std::vector<std::string>* supported_response::find(std::string_view key) const noexcept {
    for (const auto& [k, values] : options)
        if (k == key) return &values;
    return nullptr;
}

std::error_code decode_ready(bytes_view body, protocol_version, ready_response& out) {
    out = {};
    return byte_reader(body).finish();
}

std::error_code decode_authenticate(bytes_view body, protocol_version, authenticate_response& out) {
    byte_reader r(body);
    auto name = r.string();
    if (auto ec = r.finish()) return ec;
    out.authenticator = std::string(name);
    return {};
}

std::error_code decode_supported(bytes_view body, protocol_version, supported_response& out) {
    byte_reader r(body);
    auto map = r.string_multimap();
    if (auto ec = r.finish()) return ec;
    out.options.clear();
    out.options.reserve(map.size());
    for (const auto& [k, values] : map) out.options.emplace_back(std::string(k), to_strings(values));
    return {};
}

namespace {

// AUTH_CHALLENGE and AUTH_SUCCESS: a single [bytes] token that may be null.
std::error_code decode_token(bytes_view body, std::optional<std::vector<std::uint8_t>>& token) {
    byte_reader r(body);
    auto v = r.bytes();
    if (auto ec = r.finish()) return ec;
    if (v.is_null()) token.reset();
    else token = to_vector(v.data);
    return {};
}

bool is_response_opcode(opcode op) noexcept {
    switch (op) {
    case opcode::error:
    case opcode::ready:
    case opcode::authenticate:
    case opcode::supported:
    case opcode::result:
    case opcode::event:
    case opcode::auth_challenge:
    case opcode::auth_success: return true;
    default: return false;
    }
}

template <class Out>
std::error_code decode_into(bytes_view body, protocol_version v, response_body& out,
                            std::error_code (*decode)(bytes_view, protocol_version, Out&)) {
    Out value{};
    if (auto ec = decode(body, v, value)) return ec;
    out = std::move(value);
    return {};
}

}  // namespace

std::error_code decode_auth_challenge(bytes_view body, protocol_version, auth_challenge_response& out) {
    return decode_token(body, out.token);
}

std::error_code decode_auth_success(bytes_view body, protocol_version, auth_success_response& out) {
    return decode_token(body, out.token);
}

std::error_code decode_response(const frame& f, response& out) {
    const auto& h = f.header;
    if (!h.is_response) return make_error_code(errc::bad_direction);
    if (h.flags & frame_flag::compression) return make_error_code(errc::bad_compression);
    if (!is_response_opcode(h.op)) return make_error_code(errc::unexpected_opcode);
    const auto v = h.version;

    byte_reader r(f.body);
    response_extras extras = read_response_extras(r, h.flags, v);
    const bytes_view body = r.rest();
    if (!r.ok()) return r.error();

    response_body rb;
    std::error_code ec;
    switch (h.op) {
    case opcode::error: ec = decode_into<error_response>(body, v, rb, decode_error); break;
    case opcode::ready: ec = decode_into<ready_response>(body, v, rb, decode_ready); break;
    case opcode::authenticate: ec = decode_into<authenticate_response>(body, v, rb, decode_authenticate); break;
    case opcode::supported: ec = decode_into<supported_response>(body, v, rb, decode_supported); break;
    case opcode::result: ec = decode_into<result>(body, v, rb, decode_result); break;
    case opcode::event: ec = decode_into<event>(body, v, rb, decode_event); break;
    case opcode::auth_challenge: ec = decode_into<auth_challenge_response>(body, v, rb, decode_auth_challenge); break;
    case opcode::auth_success: ec = decode_into<auth_success_response>(body, v, rb, decode_auth_success); break;
    default: return make_error_code(errc::unexpected_opcode);
    }
    if (ec) return ec;
    out.extras = std::move(extras);
    out.body = std::move(rb);
    return {};
}

}  // namespace cql::protocol
