// Error codes of the client itself (connections, pooling, timeouts), as opposed to the codec's
// errc and the server's server_errc in protocol/error.hpp. Never thrown: returned as std::error_code.
#pragma once

#include <system_error>

#include "protocol/error.hpp"

namespace cql {

// The server's error codes (an ERROR frame's code), compared against a std::error_code.
using protocol::server_errc;

enum class client_errc {
    connection_closed = 1,         // the connection closed (or broke) before the answer came
    request_timeout,               // no answer within the request's deadline
    connect_timeout,               // TCP, TLS or the CQL handshake did not finish in time
    no_host_available,             // every host was tried (or none is up)
    unknown_stream,                // a response on a stream id no request uses: the stream is out of sync
    protocol_violation,            // the node sent something the protocol does not allow here
    too_many_orphans,              // too many timed-out requests still hold stream ids
    authentication_failed,         // the node refused the credentials, or the authenticator is unsupported
    tls_handshake_failed,          // certificate verification or the TLS handshake failed
    unsupported_protocol_version,  // the node speaks none of the versions we offer
    invalid_config,                // the configuration cannot work (e.g. no contact point)
    prepared_statement_missing,    // UNPREPARED, and re-preparing did not help
    schema_agreement_timeout,      // the nodes did not agree on a schema version in time
    request_too_large,             // the encoded request exceeds the frame size limit
    server_error,                  // the node answered with an ERROR frame (details in the message)
    tls_handshake_interrupted,     // the peer reset or closed the connection during the TLS handshake
    too_many_requests,             // back-pressure: too many requests already wait for a stream id or a connection
};

const std::error_category& client_category() noexcept;
std::error_code make_error_code(client_errc e) noexcept;

}  // namespace cql

template <>
struct std::is_error_code_enum<cql::client_errc> : std::true_type {};
