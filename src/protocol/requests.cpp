// Request encoders: a check pass that touches no memory, then a write pass that cannot fail, so a
// refused request leaves the caller's buffer as it was and the hot path never allocates.
#include "protocol/requests.hpp"

#include <limits>

namespace cql::protocol {

namespace {

constexpr std::size_t max_short = 0xFFFF;       // [short] counts, [string], [short bytes]
constexpr std::size_t max_int = 0x7FFFFFFF;     // [long string], [bytes], [value]
constexpr std::uint32_t batch_flags_mask = 0x1B0;  // serial consistency, timestamp, keyspace, now (v5)

std::error_code fail(errc e) noexcept { return make_error_code(e); }

std::error_code check_size(std::size_t n, std::size_t max) noexcept {
    return n > max ? fail(errc::invalid_length) : std::error_code{};
}

std::error_code check_consistency(consistency c) noexcept {
    return is_known_consistency(static_cast<std::uint16_t>(c)) ? std::error_code{} : fail(errc::invalid_value);
}

std::error_code check_serial(const std::optional<consistency>& c) noexcept {
    if (!c || *c == consistency::serial || *c == consistency::local_serial) return {};
    return fail(errc::invalid_value);
}

// INT64_MIN is refused by both specs (and by Cassandra); v4 QUERY/EXECUTE forbid every negative value.
std::error_code check_timestamp(const std::optional<std::int64_t>& ts, bool negatives_forbidden) noexcept {
    if (!ts) return {};
    if (*ts == std::numeric_limits<std::int64_t>::min() || (negatives_forbidden && *ts < 0))
        return fail(errc::invalid_value);
    return {};
}

// A [value] in v4; a [bytes] in v3, where "unset" does not exist.
std::error_code check_value(const value_view& value, protocol_version v) noexcept {
    switch (value.state) {
    case value_view::kind::present: return check_size(value.data.size(), max_int);
    case value_view::kind::null: return {};
    case value_view::kind::unset:
        return v == protocol_version::v3 ? fail(errc::unsupported_by_version) : std::error_code{};
    }
    return fail(errc::invalid_value);
}

std::error_code check_values(std::span<const value_view> values, protocol_version v) noexcept {
    if (auto ec = check_size(values.size(), max_short)) return ec;
    for (const auto& value : values)
        if (auto ec = check_value(value, v)) return ec;
    return {};
}

std::error_code check_version(protocol_version v) noexcept {
    return v >= protocol_version::v3 && v <= protocol_version::v5 ? std::error_code{} : fail(errc::bad_version);
}

// The per-query keyspace and now_in_seconds exist from v5 on.
std::error_code check_v5_extras(std::string_view keyspace, const std::optional<std::int32_t>& now,
                                protocol_version v) noexcept {
    if ((!keyspace.empty() || now) && v < protocol_version::v5) return fail(errc::unsupported_by_version);
    return check_size(keyspace.size(), max_short);
}

std::error_code check(const query_parameters& p, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (auto ec = check_consistency(p.cl)) return ec;
    if (!p.names.empty() && p.names.size() != p.values.size()) return fail(errc::invalid_value);
    if (auto ec = check_values(p.values, v)) return ec;
    for (auto name : p.names)
        if (auto ec = check_size(name.size(), max_short)) return ec;
    if (p.paging_state)
        if (auto ec = check_size(p.paging_state->size(), max_int)) return ec;
    if (auto ec = check_serial(p.serial_consistency)) return ec;
    if (auto ec = check_v5_extras(p.keyspace, p.now_in_seconds, v)) return ec;
    return check_timestamp(p.default_timestamp, v >= protocol_version::v4);
}

std::error_code check(const batch_statement& s, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    auto ec = s.is_prepared ? check_size(s.id.size(), max_short) : check_size(s.query.size(), max_int);
    return ec ? ec : check_values(s.values, v);
}

std::error_code check(const startup_request& req, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (auto ec = check_size(req.options.size(), max_short)) return ec;
    bool has_cql_version = false;
    for (const auto& [key, value] : req.options) {
        if (auto ec = check_size(key.size(), max_short)) return ec;
        if (auto ec = check_size(value.size(), max_short)) return ec;
        has_cql_version = has_cql_version || key == "CQL_VERSION";
    }
    return has_cql_version ? std::error_code{} : fail(errc::invalid_value);  // mandatory (section 4.1.1)
}

std::error_code check(const options_request&, protocol_version v) noexcept { return check_version(v); }

std::error_code check(const query_request& req, protocol_version v) noexcept {
    if (auto ec = check_size(req.query.size(), max_int)) return ec;
    return check(req.params, v);
}

std::error_code check(const prepare_request& req, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (auto ec = check_v5_extras(req.keyspace, std::nullopt, v)) return ec;
    return check_size(req.query.size(), max_int);
}

std::error_code check(const execute_request& req, protocol_version v) noexcept {
    if (auto ec = check_size(req.id.size(), max_short)) return ec;
    if (!req.result_metadata_id.empty() && v < protocol_version::v5) return fail(errc::unsupported_by_version);
    if (auto ec = check_size(req.result_metadata_id.size(), max_short)) return ec;
    return check(req.params, v);
}

std::error_code check(const batch_request& req, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (static_cast<std::uint8_t>(req.type) > static_cast<std::uint8_t>(batch_type::counter))
        return fail(errc::invalid_value);
    if (auto ec = check_size(req.statements.size(), max_short)) return ec;
    for (const auto& s : req.statements)
        if (auto ec = check(s, v)) return ec;
    if (auto ec = check_consistency(req.cl)) return ec;
    if (auto ec = check_serial(req.serial_consistency)) return ec;
    if (auto ec = check_v5_extras(req.keyspace, req.now_in_seconds, v)) return ec;
    return check_timestamp(req.default_timestamp, false);  // the BATCH section forbids no other value
}

std::error_code check(const register_request& req, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (auto ec = check_size(req.events.size(), max_short)) return ec;
    for (auto e : req.events)
        if (e != "TOPOLOGY_CHANGE" && e != "STATUS_CHANGE" && e != "SCHEMA_CHANGE") return fail(errc::invalid_value);
    return {};
}

std::error_code check(const auth_response_request& req, protocol_version v) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (req.token.is_unset()) return fail(errc::invalid_value);  // a [bytes], which has no "unset"
    return check_value(req.token, v);
}

bool supports_custom_payload(opcode op) noexcept {
    return op == opcode::query || op == opcode::prepare || op == opcode::execute || op == opcode::batch;
}

std::error_code check_frame(protocol_version v, std::int16_t stream, opcode op, std::uint8_t flags,
                            custom_payload_view payload) noexcept {
    if (auto ec = check_version(v)) return ec;
    if (stream < 0) return fail(errc::invalid_value);  // negative ids are the server's (section 2.3)
    if ((flags & ~(frame_flag::tracing | frame_flag::custom_payload)) != 0) return fail(errc::invalid_value);
    if ((flags & frame_flag::custom_payload) == 0) return {};
    if (v == protocol_version::v3) return fail(errc::unsupported_by_version);
    if (!supports_custom_payload(op)) return fail(errc::invalid_value);
    if (auto ec = check_size(payload.size(), max_short)) return ec;
    for (const auto& [key, value] : payload) {
        if (auto ec = check_size(key.size(), max_short)) return ec;
        if (value.is_unset()) return fail(errc::invalid_value);  // [bytes map] values are [bytes]
        if (auto ec = check_value(value, v)) return ec;
    }
    return {};
}

// ---- Write pass: input already checked ----------------------------------------------------------

void put_consistency(byte_writer& w, consistency c) { w.u16(static_cast<std::uint16_t>(c)); }

// <flags>: a [byte] before v5, an [int] from v5 on.
void put_flags(byte_writer& w, std::uint32_t flags, protocol_version v) {
    if (v >= protocol_version::v5) w.i32(static_cast<std::int32_t>(flags));
    else w.u8(static_cast<std::uint8_t>(flags));
}

void put(byte_writer& w, const query_parameters& p, protocol_version v) {
    std::uint32_t flags = 0;
    if (!p.values.empty()) flags |= query_flag::values;
    if (!p.names.empty()) flags |= query_flag::with_names;
    if (p.skip_metadata) flags |= query_flag::skip_metadata;
    if (p.page_size > 0) flags |= query_flag::page_size;
    if (p.paging_state) flags |= query_flag::with_paging_state;
    if (p.serial_consistency) flags |= query_flag::with_serial_consistency;
    if (p.default_timestamp) flags |= query_flag::with_default_timestamp;
    if (!p.keyspace.empty()) flags |= query_flag::with_keyspace;
    if (p.now_in_seconds) flags |= query_flag::with_now_in_seconds;
    put_consistency(w, p.cl);
    put_flags(w, flags, v);
    if ((flags & query_flag::values) != 0) {
        w.u16(static_cast<std::uint16_t>(p.values.size()));
        if (p.names.empty() && !p.values_cells.empty()) {
            w.raw(p.values_cells);
        } else {
            for (std::size_t i = 0; i < p.values.size(); ++i) {
                if (!p.names.empty()) w.string(p.names[i]);
                w.value(p.values[i]);
            }
        }
    }
    if ((flags & query_flag::page_size) != 0) w.i32(p.page_size);
    if (p.paging_state) w.bytes(*p.paging_state);
    if (p.serial_consistency) put_consistency(w, *p.serial_consistency);
    if (p.default_timestamp) w.i64(*p.default_timestamp);
    if (!p.keyspace.empty()) w.string(p.keyspace);
    if (p.now_in_seconds) w.i32(*p.now_in_seconds);
}

void put(byte_writer& w, const batch_statement& s, protocol_version) {
    w.u8(s.is_prepared ? 1 : 0);
    if (s.is_prepared) w.short_bytes(s.id);
    else w.long_string(s.query);
    w.u16(static_cast<std::uint16_t>(s.values.size()));
    for (const auto& value : s.values) w.value(value);
}

void put(byte_writer& w, const startup_request& req, protocol_version) { w.string_map(req.options); }
void put(byte_writer&, const options_request&, protocol_version) {}
void put(byte_writer& w, const register_request& req, protocol_version) { w.string_list(req.events); }
void put(byte_writer& w, const auth_response_request& req, protocol_version) { w.value(req.token); }

// <query>, then from v5 on <flags>[<keyspace>].
void put(byte_writer& w, const prepare_request& req, protocol_version v) {
    w.long_string(req.query);
    if (v < protocol_version::v5) return;
    w.i32(req.keyspace.empty() ? 0 : static_cast<std::int32_t>(prepare_flag::with_keyspace));
    if (!req.keyspace.empty()) w.string(req.keyspace);
}

void put(byte_writer& w, const query_request& req, protocol_version v) {
    w.long_string(req.query);
    put(w, req.params, v);
}

// <id>, from v5 on <result_metadata_id>, then the parameters.
void put(byte_writer& w, const execute_request& req, protocol_version v) {
    w.short_bytes(req.id);
    if (v >= protocol_version::v5) w.short_bytes(req.result_metadata_id);
    put(w, req.params, v);
}

// <type><n><query_1>...<query_n><consistency><flags>[<serial_consistency>][<timestamp>]
// [<keyspace>][<now_in_seconds>] (the last two v5 only)
void put(byte_writer& w, const batch_request& req, protocol_version v) {
    w.u8(static_cast<std::uint8_t>(req.type));
    w.u16(static_cast<std::uint16_t>(req.statements.size()));
    for (const auto& s : req.statements) put(w, s, v);
    put_consistency(w, req.cl);
    std::uint32_t flags = 0;
    if (req.serial_consistency) flags |= query_flag::with_serial_consistency;
    if (req.default_timestamp) flags |= query_flag::with_default_timestamp;
    if (!req.keyspace.empty()) flags |= query_flag::with_keyspace;
    if (req.now_in_seconds) flags |= query_flag::with_now_in_seconds;
    put_flags(w, flags & batch_flags_mask, v);
    if (req.serial_consistency) put_consistency(w, *req.serial_consistency);
    if (req.default_timestamp) w.i64(*req.default_timestamp);
    if (!req.keyspace.empty()) w.string(req.keyspace);
    if (req.now_in_seconds) w.i32(*req.now_in_seconds);
}

// Shrinks the buffer back on every exit but a committed one, including std::bad_alloc unwinding.
class restore_guard {
public:
    explicit restore_guard(std::vector<std::uint8_t>& out) noexcept : out_(out), size_(out.size()) {}
    restore_guard(const restore_guard&) = delete;
    restore_guard& operator=(const restore_guard&) = delete;
    ~restore_guard() {
        if (!committed_) out_.resize(size_);
    }
    std::size_t start() const noexcept { return size_; }
    void commit() noexcept { committed_ = true; }

private:
    std::vector<std::uint8_t>& out_;
    std::size_t size_;
    bool committed_ = false;
};

template <class Req>
std::error_code write_body(byte_writer& w, protocol_version v, const Req& req) {
    if (auto ec = check(req, v)) return ec;
    put(w, req, v);
    return {};
}

template <class Req>
std::error_code encode(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream, const Req& req,
                       std::size_t* frame_start, std::uint8_t flags, custom_payload_view payload) {
    if (!payload.empty()) flags |= frame_flag::custom_payload;
    if (auto ec = check_frame(v, stream, Req::op, flags, payload)) return ec;
    if (auto ec = check(req, v)) return ec;
    restore_guard guard(out);
    frame_header h;
    h.version = v;
    h.flags = flags;
    h.stream = stream;
    h.op = Req::op;
    append_frame_header(out, h);
    byte_writer w(out);
    if ((flags & frame_flag::custom_payload) != 0) w.bytes_map(payload);
    put(w, req, v);
    if (out.size() - guard.start() - frame_header_size > default_max_frame_body) return fail(errc::frame_too_large);
    finish_frame(out, guard.start());
    if (frame_start != nullptr) *frame_start = guard.start();
    guard.commit();
    return {};
}

}  // namespace

std::error_code write_query_parameters(byte_writer& w, const query_parameters& p, protocol_version v) {
    return write_body(w, v, p);
}

std::error_code write_batch_statement(byte_writer& w, const batch_statement& s, protocol_version v) {
    return write_body(w, v, s);
}

#define CQL_REQUEST_ENTRY_POINTS(Req)                                                                            \
    std::error_code write_request_body(byte_writer& w, protocol_version v, const Req& req) {                     \
        return write_body(w, v, req);                                                                            \
    }                                                                                                            \
    std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,      \
                                   const Req& req, std::size_t* frame_start, std::uint8_t flags,                 \
                                   custom_payload_view custom_payload) {                                         \
        return encode(out, v, stream, req, frame_start, flags, custom_payload);                                  \
    }

CQL_REQUEST_ENTRY_POINTS(startup_request)
CQL_REQUEST_ENTRY_POINTS(options_request)
CQL_REQUEST_ENTRY_POINTS(query_request)
CQL_REQUEST_ENTRY_POINTS(prepare_request)
CQL_REQUEST_ENTRY_POINTS(execute_request)
CQL_REQUEST_ENTRY_POINTS(batch_request)
CQL_REQUEST_ENTRY_POINTS(register_request)
CQL_REQUEST_ENTRY_POINTS(auth_response_request)

#undef CQL_REQUEST_ENTRY_POINTS

}  // namespace cql::protocol
