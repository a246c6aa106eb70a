// The cql.client error category: readable messages for client_errc.
#include "cql/error.hpp"

#include <string>

namespace cql {
namespace {

class client_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "cql.client"; }
    std::string message(int ev) const override {
        switch (static_cast<client_errc>(ev)) {
        case client_errc::connection_closed: return "connection closed before the response arrived";
        case client_errc::request_timeout: return "request timed out waiting for a response";
        case client_errc::connect_timeout: return "timed out connecting to the node";
        case client_errc::no_host_available: return "no host available to run the request";
        case client_errc::unknown_stream: return "response on a stream id that no request uses";
        case client_errc::protocol_violation: return "the node violated the native protocol";
        case client_errc::too_many_orphans: return "too many timed-out requests still hold stream ids";
        case client_errc::authentication_failed: return "authentication failed";
        case client_errc::tls_handshake_failed: return "TLS handshake failed";
        case client_errc::unsupported_protocol_version: return "the node supports none of the offered protocol versions";
        case client_errc::invalid_config: return "invalid client configuration";
        case client_errc::prepared_statement_missing: return "prepared statement unknown to the node, even after re-preparing";
        case client_errc::schema_agreement_timeout: return "timed out waiting for schema agreement";
        case client_errc::request_too_large: return "request exceeds the maximum frame size";
        case client_errc::server_error: return "the node answered with an error";
        case client_errc::tls_handshake_interrupted: return "the connection was cut during the TLS handshake";
        case client_errc::too_many_requests: return "request queue full: too many requests wait for a connection or a stream id";
        }
        return "unknown cql.client error " + std::to_string(ev);
    }
};

}  // namespace

const std::error_category& client_category() noexcept {
    static const client_category_impl instance;
    return instance;
}

std::error_code make_error_code(client_errc e) noexcept { return {static_cast<int>(e), client_category()}; }

}  // namespace cql
