// The error-kind mapping and the snapshot's helpers.
#include "cql/metrics.hpp"

#include "cql/error.hpp"

namespace cql {

namespace {

error_kind server_kind(protocol::server_errc e) noexcept {
    using protocol::server_errc;
    switch (e) {
    case server_errc::overloaded:
    case server_errc::is_bootstrapping: return error_kind::overloaded;
    case server_errc::unavailable: return error_kind::unavailable;
    case server_errc::read_timeout: return error_kind::read_timeout;
    case server_errc::write_timeout: return error_kind::write_timeout;
    case server_errc::unprepared: return error_kind::unprepared;
    case server_errc::syntax_error:
    case server_errc::invalid:
    case server_errc::unauthorized:
    case server_errc::already_exists:
    case server_errc::config_error: return error_kind::invalid_query;
    default: return error_kind::other_server;
    }
}

error_kind client_kind(client_errc e) noexcept {
    switch (e) {
    case client_errc::request_timeout: return error_kind::request_timeout;
    case client_errc::connection_closed:
    case client_errc::connect_timeout:
    case client_errc::no_host_available:
    case client_errc::unknown_stream:
    case client_errc::too_many_orphans:
    case client_errc::authentication_failed:
    case client_errc::tls_handshake_failed:
    case client_errc::tls_handshake_interrupted:
    case client_errc::unsupported_protocol_version: return error_kind::connection;
    case client_errc::server_error: return error_kind::other_server;
    default: return error_kind::other_client;
    }
}

}  // namespace

error_kind error_kind_of(std::error_code ec) noexcept {
    if (ec.category() == protocol::server_category()) return server_kind(static_cast<protocol::server_errc>(ec.value()));
    if (ec.category() == client_category()) return client_kind(static_cast<client_errc>(ec.value()));
    if (ec.category() == protocol::protocol_category()) return error_kind::other_client;  // the codec: a bad frame
    return error_kind::connection;  // the socket or TLS (system, asio, ssl categories)
}

std::string_view error_kind_name(error_kind k) noexcept {
    switch (k) {
    case error_kind::overloaded: return "overloaded";
    case error_kind::unavailable: return "unavailable";
    case error_kind::read_timeout: return "read_timeout";
    case error_kind::write_timeout: return "write_timeout";
    case error_kind::unprepared: return "unprepared";
    case error_kind::invalid_query: return "invalid_query";
    case error_kind::other_server: return "other_server";
    case error_kind::request_timeout: return "request_timeout";
    case error_kind::connection: return "connection";
    case error_kind::other_client: return "other_client";
    }
    return "unknown";
}

std::uint64_t metrics_snapshot::total_errors() const noexcept {
    std::uint64_t n = 0;
    for (auto e : errors) n += e;
    return n;
}

latency_histogram metrics_snapshot::latency() const {
    latency_histogram all;
    for (const auto& h : hosts) all.merge(h.latency);
    return all;
}

}  // namespace cql
