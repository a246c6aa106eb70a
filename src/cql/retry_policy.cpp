// The default retry decision and failure kinds (see retry_policy.hpp). The one place that knows
// which error codes are worth another attempt.
#include "cql/retry_policy.hpp"

#include <asio.hpp>

#include <cerrno>

#include "cql/error.hpp"

namespace cql {
namespace {

// The connection broke or went out of sync: the statement may not have run, or may have; another
// node (or a new connection) may run it.
bool connection_broken(std::error_code ec) {
    return ec == client_errc::connection_closed || ec == client_errc::request_timeout || ec == client_errc::unknown_stream ||
           ec == client_errc::too_many_orphans || ec == client_errc::protocol_violation ||
           ec.category() == asio::error::get_system_category() || ec.category() == asio::error::get_misc_category();
}

// Server errors after which another attempt of an idempotent statement may succeed.
bool server_retryable(std::error_code ec, const diagnostics& d) {
    if (ec == server_errc::overloaded || ec == server_errc::is_bootstrapping || ec == server_errc::unavailable) return true;
    if (ec != server_errc::write_timeout || !d.server_error) return false;
    const auto* wt = std::get_if<protocol::write_timeout_info>(&d.server_error->details);
    return wt && (wt->kind() == protocol::write_type_kind::simple || wt->kind() == protocol::write_type_kind::batch_log);
}

failure_kind kind_of(std::error_code ec) {
    if (ec == client_errc::authentication_failed || ec == client_errc::tls_handshake_failed ||
        ec == client_errc::invalid_config || ec == server_errc::bad_credentials || ec == server_errc::unauthorized ||
        ec == server_errc::config_error)
        return failure_kind::config;
    if (ec == client_errc::no_host_available || ec == client_errc::connect_timeout || ec == client_errc::connection_closed ||
        ec == client_errc::request_timeout || ec == client_errc::too_many_orphans ||
        ec == client_errc::too_many_requests || ec == client_errc::schema_agreement_timeout || ec == client_errc::tls_handshake_interrupted ||
        ec == server_errc::unavailable || ec == server_errc::overloaded || ec == server_errc::is_bootstrapping ||
        ec == server_errc::write_timeout || ec == server_errc::read_timeout || ec == server_errc::write_failure ||
        ec == server_errc::truncate_error)
        return failure_kind::transient;
    // Socket errors (errno values): the network or the node, not the configuration.
    if (ec.category() == std::system_category() || ec.category() == std::generic_category() ||
        ec.category() == asio::error::get_system_category()) {
        switch (ec.value()) {
            case ECONNREFUSED: case ECONNRESET: case ECONNABORTED: case EHOSTUNREACH: case ENETUNREACH:
            case ENETDOWN: case ETIMEDOUT: case EPIPE: case ENOTCONN:
                return failure_kind::transient;
            default: break;
        }
    }
    // A host name that does not resolve is a wrong address; a DNS server that did not answer is not.
    if (ec.category() == asio::error::get_netdb_category())
        return ec == asio::error::host_not_found_try_again ? failure_kind::transient : failure_kind::config;
    if (ec.category() == asio::error::get_addrinfo_category()) return failure_kind::config;
    return failure_kind::system;
}

}  // namespace

decision classify(std::error_code ec, const diagnostics& d, bool idempotent) noexcept {
    decision out;
    if (!ec) return out;
    out.kind = kind_of(ec);
    // A replica that does not have the table's schema yet (a node that just came back and has not
    // pulled the schema changes made while it was down) fails reads with INCOMPATIBLE_SCHEMA: it
    // passes once the schema has spread. Other read failures (too many tombstones, ...) stay final.
    if (ec == server_errc::read_failure && d.message.find("INCOMPATIBLE_SCHEMA") != std::string::npos)
        out.kind = failure_kind::transient;
    // A response that did not decode: the connection that carried it is dropped, and a new one may
    // carry the statement intact.
    out.retry_later = out.kind == failure_kind::transient || ec.category() == protocol::protocol_category() ||
                      ec == client_errc::protocol_violation;
    if (!idempotent) return out;
    if (connection_broken(ec)) {
        out.action = retry_action::next_host;
    } else if (server_retryable(ec, d)) {
        out.action = retry_action::next_host;
        out.backoff = true;
    }
    return out;
}

const char* failure_kind_name(failure_kind k) noexcept {
    switch (k) {
        case failure_kind::config: return "config";
        case failure_kind::transient: return "transient";
        case failure_kind::system: return "system";
    }
    return "system";
}

}  // namespace cql
