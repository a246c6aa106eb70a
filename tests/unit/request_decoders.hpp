// Test-only decoders of request frames and bodies into owning structs, for round trips and for a scripted
// fake server. Stricter than a server: anything our encoder must never produce is an error.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/compression.hpp"
#include "protocol/frame.hpp"
#include "protocol/requests.hpp"
#include "protocol/types.hpp"

namespace cql::test {

namespace proto = cql::protocol;

struct owned_value {
    proto::value_view::kind state = proto::value_view::kind::null;
    std::vector<std::uint8_t> data;
    bool operator==(const owned_value&) const = default;

    static owned_value of(const proto::value_view& v) { return {v.state, {v.data.begin(), v.data.end()}}; }
};

inline std::vector<std::uint8_t> own_bytes(proto::bytes_view b) { return {b.begin(), b.end()}; }

struct owned_query_parameters {
    proto::consistency cl = proto::consistency::one;
    std::vector<owned_value> values;
    std::vector<std::string> names;
    bool skip_metadata = false;
    std::int32_t page_size = -1;  // -1 when the flag is absent
    std::optional<std::vector<std::uint8_t>> paging_state;
    std::optional<proto::consistency> serial_consistency;
    std::optional<std::int64_t> default_timestamp;
    bool operator==(const owned_query_parameters&) const = default;
};

struct owned_startup {
    std::vector<std::pair<std::string, std::string>> options;
    bool operator==(const owned_startup&) const = default;
};
struct owned_options {
    bool operator==(const owned_options&) const = default;
};
struct owned_query {
    std::string query;
    owned_query_parameters params;
    bool operator==(const owned_query&) const = default;
};
struct owned_prepare {
    std::string query;
    bool operator==(const owned_prepare&) const = default;
};
struct owned_execute {
    std::vector<std::uint8_t> id;
    owned_query_parameters params;
    bool operator==(const owned_execute&) const = default;
};
struct owned_batch_statement {
    bool is_prepared = false;
    std::string query;
    std::vector<std::uint8_t> id;
    std::vector<owned_value> values;
    bool operator==(const owned_batch_statement&) const = default;
};
struct owned_batch {
    proto::batch_type type = proto::batch_type::logged;
    std::vector<owned_batch_statement> statements;
    proto::consistency cl = proto::consistency::one;
    std::optional<proto::consistency> serial_consistency;
    std::optional<std::int64_t> default_timestamp;
    bool operator==(const owned_batch&) const = default;
};
struct owned_register {
    std::vector<std::string> events;
    bool operator==(const owned_register&) const = default;
};
struct owned_auth_response {
    owned_value token;
    bool operator==(const owned_auth_response&) const = default;
};

using owned_request = std::variant<owned_startup, owned_options, owned_query, owned_prepare, owned_execute,
                                   owned_batch, owned_register, owned_auth_response>;

// ---- What a request view should decode to ------------------------------------------------------

inline std::vector<owned_value> own(std::span<const proto::value_view> values) {
    std::vector<owned_value> out;
    for (const auto& v : values) out.push_back(owned_value::of(v));
    return out;
}

inline owned_query_parameters own(const proto::query_parameters& p) {
    owned_query_parameters o;
    o.cl = p.cl;
    o.values = own(p.values);
    o.names.assign(p.names.begin(), p.names.end());
    o.skip_metadata = p.skip_metadata;
    o.page_size = p.page_size > 0 ? p.page_size : -1;
    if (p.paging_state) o.paging_state = own_bytes(*p.paging_state);
    o.serial_consistency = p.serial_consistency;
    o.default_timestamp = p.default_timestamp;
    return o;
}

inline owned_startup own(const proto::startup_request& r) {
    owned_startup o;
    for (const auto& [k, v] : r.options) o.options.emplace_back(k, v);
    return o;
}
inline owned_options own(const proto::options_request&) { return {}; }
inline owned_query own(const proto::query_request& r) { return {std::string(r.query), own(r.params)}; }
inline owned_prepare own(const proto::prepare_request& r) { return {std::string(r.query)}; }
inline owned_execute own(const proto::execute_request& r) { return {own_bytes(r.id), own(r.params)}; }
inline owned_batch own(const proto::batch_request& r) {
    owned_batch o{r.type, {}, r.cl, r.serial_consistency, r.default_timestamp};
    for (const auto& s : r.statements)
        o.statements.push_back({s.is_prepared, s.is_prepared ? std::string() : std::string(s.query),
                                s.is_prepared ? own_bytes(s.id) : std::vector<std::uint8_t>(), own(s.values)});
    return o;
}
inline owned_register own(const proto::register_request& r) { return {{r.events.begin(), r.events.end()}}; }
inline owned_auth_response own(const proto::auth_response_request& r) { return {owned_value::of(r.token)}; }

// ---- Readers: errors go to the byte_reader (sticky) ----------------------------------------------

// A [value] in v4; a [bytes] in v3, where only -1 (null) is accepted among negative lengths.
inline owned_value read_value(proto::byte_reader& r, proto::protocol_version v) {
    if (v == proto::protocol_version::v4) return owned_value::of(r.value());
    const std::int32_t n = r.i32();
    if (n == -1) return {};
    if (n < 0) r.fail(proto::errc::invalid_length);
    return owned_value::of(proto::value_view::of(r.raw(n < 0 ? 0 : static_cast<std::size_t>(n))));
}

inline proto::consistency read_consistency(proto::byte_reader& r) {
    const std::uint16_t c = r.u16();
    if (!proto::is_known_consistency(c)) r.fail(proto::errc::unknown_consistency);
    return static_cast<proto::consistency>(c);
}

inline proto::consistency read_serial_consistency(proto::byte_reader& r) {
    auto c = read_consistency(r);
    if (c != proto::consistency::serial && c != proto::consistency::local_serial) r.fail(proto::errc::invalid_value);
    return c;
}

inline std::int64_t read_timestamp(proto::byte_reader& r, bool negatives_forbidden) {
    const std::int64_t ts = r.i64();
    if (ts == INT64_MIN || (negatives_forbidden && ts < 0)) r.fail(proto::errc::invalid_value);
    return ts;
}

inline owned_query_parameters read_query_parameters(proto::byte_reader& r, proto::protocol_version v) {
    namespace qf = proto::query_flag;
    owned_query_parameters p;
    p.cl = read_consistency(r);
    const std::uint8_t flags = r.u8();
    if ((flags & 0x80) != 0 || ((flags & qf::with_names) != 0 && (flags & qf::values) == 0))
        r.fail(proto::errc::invalid_value);
    if ((flags & qf::values) != 0) {
        const std::size_t n = r.u16();
        if (n == 0) r.fail(proto::errc::invalid_value);  // the encoder sets the flag only for values
        for (std::size_t i = 0; i < n && r.ok(); ++i) {
            if ((flags & qf::with_names) != 0) p.names.emplace_back(r.string());
            p.values.push_back(read_value(r, v));
        }
    }
    p.skip_metadata = (flags & qf::skip_metadata) != 0;
    if ((flags & qf::page_size) != 0) {
        p.page_size = r.i32();
        if (p.page_size <= 0) r.fail(proto::errc::invalid_value);
    }
    if ((flags & qf::with_paging_state) != 0) {
        auto b = r.bytes();
        if (b.is_null()) r.fail(proto::errc::invalid_value);
        p.paging_state = own_bytes(b.data);
    }
    if ((flags & qf::with_serial_consistency) != 0) p.serial_consistency = read_serial_consistency(r);
    if ((flags & qf::with_default_timestamp) != 0)
        p.default_timestamp = read_timestamp(r, v == proto::protocol_version::v4);
    return p;
}

inline void read_body(proto::byte_reader& r, proto::protocol_version, owned_startup& o) {
    for (const auto& [k, v] : r.string_map()) o.options.emplace_back(k, v);
}
inline void read_body(proto::byte_reader&, proto::protocol_version, owned_options&) {}
inline void read_body(proto::byte_reader& r, proto::protocol_version v, owned_query& o) {
    o.query = r.long_string();
    o.params = read_query_parameters(r, v);
}
inline void read_body(proto::byte_reader& r, proto::protocol_version, owned_prepare& o) { o.query = r.long_string(); }
inline void read_body(proto::byte_reader& r, proto::protocol_version v, owned_execute& o) {
    o.id = own_bytes(r.short_bytes());
    o.params = read_query_parameters(r, v);
}
inline void read_body(proto::byte_reader& r, proto::protocol_version v, owned_batch& o) {
    const std::uint8_t type = r.u8();
    if (type > 2) r.fail(proto::errc::invalid_value);
    o.type = static_cast<proto::batch_type>(type);
    const std::size_t n = r.u16();
    for (std::size_t i = 0; i < n && r.ok(); ++i) {
        owned_batch_statement s;
        const std::uint8_t kind = r.u8();
        if (kind > 1) r.fail(proto::errc::invalid_value);
        s.is_prepared = kind == 1;
        if (s.is_prepared) s.id = own_bytes(r.short_bytes());
        else s.query = r.long_string();
        const std::size_t count = r.u16();
        for (std::size_t j = 0; j < count && r.ok(); ++j) s.values.push_back(read_value(r, v));
        o.statements.push_back(std::move(s));
    }
    o.cl = read_consistency(r);
    const std::uint8_t flags = r.u8();
    if ((flags & ~0x30) != 0) r.fail(proto::errc::invalid_value);  // low bits must be 0; names never sent
    if ((flags & proto::query_flag::with_serial_consistency) != 0) o.serial_consistency = read_serial_consistency(r);
    if ((flags & proto::query_flag::with_default_timestamp) != 0) o.default_timestamp = read_timestamp(r, false);
}
inline void read_body(proto::byte_reader& r, proto::protocol_version, owned_register& o) {
    for (auto e : r.string_list()) o.events.emplace_back(e);
}
inline void read_body(proto::byte_reader& r, proto::protocol_version, owned_auth_response& o) {
    o.token = read_value(r, proto::protocol_version::v3);  // a [bytes]: no unset in either version
}

// Decodes a whole body of a known type; the body must be consumed exactly.
template <class T>
std::error_code decode_body(proto::bytes_view body, proto::protocol_version v, T& out) {
    proto::byte_reader r(body);
    out = T{};
    read_body(r, v, out);
    return r.finish();
}

template <class T>
std::error_code decode_as(proto::bytes_view body, proto::protocol_version v, owned_request& out) {
    T t;
    auto ec = decode_body(body, v, t);
    out = std::move(t);
    return ec;
}

inline std::error_code decode_request_body(proto::opcode op, proto::bytes_view body, proto::protocol_version v,
                                           owned_request& out) {
    using proto::opcode;
    switch (op) {
    case opcode::startup: return decode_as<owned_startup>(body, v, out);
    case opcode::options: return decode_as<owned_options>(body, v, out);
    case opcode::query: return decode_as<owned_query>(body, v, out);
    case opcode::prepare: return decode_as<owned_prepare>(body, v, out);
    case opcode::execute: return decode_as<owned_execute>(body, v, out);
    case opcode::batch: return decode_as<owned_batch>(body, v, out);
    case opcode::register_: return decode_as<owned_register>(body, v, out);
    case opcode::auth_response: return decode_as<owned_auth_response>(body, v, out);
    default: return proto::make_error_code(proto::errc::bad_direction);  // a response opcode
    }
}

// ---- Whole frames ---------------------------------------------------------------------------------

struct decoded_request_frame {
    proto::frame_header header;
    std::vector<std::pair<std::string, owned_value>> custom_payload;
    owned_request request;
};

// Decodes exactly one request frame: header, optional LZ4 body, optional custom payload, body.
inline std::error_code decode_request_frame(proto::bytes_view frame, decoded_request_frame& out) {
    namespace ff = proto::frame_flag;
    if (frame.size() < proto::frame_header_size) return proto::make_error_code(proto::errc::truncated);
    if (auto ec = proto::decode_frame_header(frame.first(proto::frame_header_size), out.header)) return ec;
    if (out.header.is_response) return proto::make_error_code(proto::errc::bad_direction);
    if ((out.header.flags & ~(ff::compression | ff::tracing | ff::custom_payload)) != 0)
        return proto::make_error_code(proto::errc::invalid_value);
    proto::bytes_view body = frame.subspan(proto::frame_header_size);
    if (body.size() < out.header.length) return proto::make_error_code(proto::errc::truncated);
    if (body.size() > out.header.length) return proto::make_error_code(proto::errc::trailing_bytes);
    std::vector<std::uint8_t> plain;
    if ((out.header.flags & ff::compression) != 0) {
        if (auto ec = proto::lz4_decompress_body(body, plain)) return ec;
        body = plain;
    }
    proto::byte_reader r(body);
    out.custom_payload.clear();
    if ((out.header.flags & ff::custom_payload) != 0) {
        if (out.header.version == proto::protocol_version::v3)
            return proto::make_error_code(proto::errc::unsupported_by_version);
        for (const auto& [k, v] : r.bytes_map()) out.custom_payload.emplace_back(k, owned_value::of(v));
        if (!r.ok()) return r.error();
    }
    return decode_request_body(out.header.op, r.rest(), out.header.version, out.request);
}

}  // namespace cql::test
