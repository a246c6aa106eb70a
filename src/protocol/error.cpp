// Categories for codec errors and for the error codes carried by the server's ERROR frames.
#include "protocol/error.hpp"

namespace cql::protocol {
namespace {

class protocol_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "cql.protocol"; }
    std::string message(int ev) const override {
        switch (static_cast<errc>(ev)) {
        case errc::truncated: return "message truncated: a length points past the end of the input";
        case errc::trailing_bytes: return "unexpected bytes after the end of the message";
        case errc::frame_too_large: return "frame body length exceeds the configured maximum";
        case errc::bad_version: return "unsupported protocol version in frame header";
        case errc::bad_direction: return "frame direction bit does not match (request vs response)";
        case errc::unknown_opcode: return "unknown opcode in frame header";
        case errc::unexpected_opcode: return "frame opcode is not the one expected";
        case errc::invalid_length: return "invalid length field";
        case errc::invalid_value: return "value does not fit its CQL type";
        case errc::unknown_type: return "unknown CQL type option id";
        case errc::unknown_result_kind: return "unknown RESULT kind";
        case errc::unknown_event: return "unknown EVENT type or change";
        case errc::unknown_consistency: return "unknown consistency level";
        case errc::unsupported_by_version: return "not supported by the negotiated protocol version";
        case errc::nesting_too_deep: return "CQL type nesting too deep";
        case errc::bad_compression: return "LZ4 body could not be decompressed";
        case errc::compression_too_large: return "LZ4 declared uncompressed length exceeds the maximum";
        case errc::bad_header_checksum: return "v5 segment header failed its CRC24 check";
        case errc::bad_payload_checksum: return "v5 segment payload failed its CRC32 check";
        case errc::bad_segment: return "v5 segment does not hold whole frames as its self-contained flag says";
        case errc::bad_type_name: return "custom type class name is malformed or names an unknown type";
        case errc::vector_dimension: return "vector value does not hold exactly the dimension of its type";
        }
        return "unknown cql.protocol error " + std::to_string(ev);
    }
};

class server_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "cql.server"; }
    std::string message(int ev) const override {
        switch (static_cast<server_errc>(ev)) {
        case server_errc::server_error: return "server error";
        case server_errc::protocol_error: return "protocol error";
        case server_errc::bad_credentials: return "authentication failed: bad credentials";
        case server_errc::unavailable: return "not enough replicas available";
        case server_errc::overloaded: return "coordinator overloaded";
        case server_errc::is_bootstrapping: return "coordinator is bootstrapping";
        case server_errc::truncate_error: return "truncate failed";
        case server_errc::write_timeout: return "write timeout";
        case server_errc::read_timeout: return "read timeout";
        case server_errc::read_failure: return "read failure";
        case server_errc::function_failure: return "user function failure";
        case server_errc::write_failure: return "write failure";
        case server_errc::cdc_write_failure: return "CDC write failure";
        case server_errc::cas_write_unknown: return "CAS write outcome unknown";
        case server_errc::syntax_error: return "CQL syntax error";
        case server_errc::unauthorized: return "unauthorized";
        case server_errc::invalid: return "invalid query";
        case server_errc::config_error: return "configuration error";
        case server_errc::already_exists: return "already exists";
        case server_errc::unprepared: return "statement not prepared on this host";
        }
        return "server error code " + std::to_string(ev);
    }
};

}  // namespace

const std::error_category& protocol_category() noexcept {
    static const protocol_category_impl instance;
    return instance;
}

std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), protocol_category()}; }

const std::error_category& server_category() noexcept {
    static const server_category_impl instance;
    return instance;
}

std::error_code make_error_code(server_errc e) noexcept { return {static_cast<int>(e), server_category()}; }

}  // namespace cql::protocol
