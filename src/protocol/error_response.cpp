// ERROR body decoding (spec sections 4.2.1 and 9): code, message, then the details some codes carry.
#include "protocol/response_detail.hpp"
#include "protocol/responses.hpp"

namespace cql::protocol {
namespace {

using detail::read_consistency;

// read_failure, function_failure and write_failure appeared in v4, cdc_write_failure and
// cas_write_unknown in v5; before, they are unknown codes.
bool has_details_in(server_errc code, protocol_version v) noexcept {
    switch (code) {
    case server_errc::read_failure:
    case server_errc::function_failure:
    case server_errc::write_failure: return v >= protocol_version::v4;
    case server_errc::cdc_write_failure:
    case server_errc::cas_write_unknown: return v >= protocol_version::v5;
    default: return true;
    }
}

bool is_plain_code(server_errc code) noexcept {
    switch (code) {
    case server_errc::server_error:
    case server_errc::protocol_error:
    case server_errc::bad_credentials:
    case server_errc::overloaded:
    case server_errc::is_bootstrapping:
    case server_errc::truncate_error:
    case server_errc::syntax_error:
    case server_errc::unauthorized:
    case server_errc::invalid:
    case server_errc::cdc_write_failure:
    case server_errc::config_error: return true;
    default: return false;
    }
}

// The <cl><received><blockfor>[<numfailures>] prefix shared by the timeout and failure details.
template <class Info>
Info read_write_counts(byte_reader& r) {
    Info info;
    info.cl = read_consistency(r);
    info.received = r.i32();
    info.block_for = r.i32();
    return info;
}

// v4: <numfailures>; v5: <reasonmap>, whose size is the number of failures.
template <class Info>
void read_failures(byte_reader& r, protocol_version v, Info& info) {
    if (v < protocol_version::v5) {
        info.num_failures = r.i32();
        return;
    }
    const std::int32_t n = r.i32();
    if (!r.ok()) return;
    if (n < 0) return r.fail(errc::invalid_length);
    // An entry takes at least 1 + 4 + 2 bytes: never reserve more than the input could hold.
    info.reasons.reserve(r.reserve_hint(static_cast<std::size_t>(n), 7));
    for (std::int32_t i = 0; i < n && r.ok(); ++i) {
        failure_reason reason;
        reason.endpoint = r.inetaddr();
        reason.code = r.u16();
        info.reasons.push_back(reason);
    }
    info.num_failures = n;
}

// Fills details for the codes that carry some; returns false for codes unknown to this version.
bool read_details(byte_reader& r, server_errc code, protocol_version v, error_response& out) {
    switch (code) {
    case server_errc::unavailable: {
        unavailable_info i;
        i.cl = read_consistency(r);
        i.required = r.i32();
        i.alive = r.i32();
        out.details = i;
        return true;
    }
    case server_errc::write_timeout: {
        auto i = read_write_counts<write_timeout_info>(r);
        i.write_type = std::string(r.string());
        if (v >= protocol_version::v5 && r.ok() && i.kind() == write_type_kind::cas) i.contentions = r.u16();
        out.details = std::move(i);
        return true;
    }
    case server_errc::read_timeout: {
        auto i = read_write_counts<read_timeout_info>(r);
        i.data_present = r.u8() != 0;
        out.details = i;
        return true;
    }
    case server_errc::read_failure: {
        auto i = read_write_counts<read_failure_info>(r);
        read_failures(r, v, i);
        i.data_present = r.u8() != 0;
        out.details = i;
        return true;
    }
    case server_errc::function_failure: {
        function_failure_info i;
        i.keyspace = std::string(r.string());
        i.function = std::string(r.string());
        i.arg_types = detail::to_strings(r.string_list());
        out.details = std::move(i);
        return true;
    }
    case server_errc::write_failure: {
        auto i = read_write_counts<write_failure_info>(r);
        read_failures(r, v, i);
        i.write_type = std::string(r.string());
        out.details = std::move(i);
        return true;
    }
    case server_errc::already_exists: {
        already_exists_info i;
        i.keyspace = std::string(r.string());
        i.table = std::string(r.string());
        out.details = std::move(i);
        return true;
    }
    case server_errc::cas_write_unknown: out.details = read_write_counts<cas_write_unknown_info>(r); return true;
    case server_errc::unprepared: out.details = unprepared_info{detail::to_vector(r.short_bytes())}; return true;
    default: return is_plain_code(code);
    }
}

}  // namespace

write_type_kind parse_write_type(std::string_view s) noexcept {
    struct entry {
        std::string_view name;
        write_type_kind kind;
    };
    static constexpr entry table[] = {
        {"SIMPLE", write_type_kind::simple},       {"BATCH", write_type_kind::batch},
        {"UNLOGGED_BATCH", write_type_kind::unlogged_batch}, {"COUNTER", write_type_kind::counter},
        {"BATCH_LOG", write_type_kind::batch_log}, {"CAS", write_type_kind::cas},
        {"VIEW", write_type_kind::view},           {"CDC", write_type_kind::cdc},
    };
    for (const auto& e : table)
        if (e.name == s) return e.kind;
    return write_type_kind::unknown;
}

std::error_code decode_error(bytes_view body, protocol_version v, error_response& out) {
    byte_reader r(body);
    error_response e;
    e.code = static_cast<server_errc>(r.i32());
    e.message = std::string(r.string());
    if (!r.ok()) return r.error();
    // A code this version does not define may carry details we cannot know: skip them, keep the rest.
    if (!has_details_in(e.code, v) || !read_details(r, e.code, v, e)) {
        e.details = std::monostate{};
        (void)r.rest();
    }
    if (auto ec = r.finish()) return ec;
    out = std::move(e);
    return {};
}

}  // namespace cql::protocol
