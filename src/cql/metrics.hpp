// What a cql::session counts: requests, errors by kind, retries, timeouts, re-prepares, connections,
// bytes, and a latency histogram per node, read as a snapshot (session::metrics()); plus the
// observer a session calls after every attempt (session_config::request_observer).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "cql/latency_histogram.hpp"

namespace cql {

// The kinds errors are counted by: the server's answers by class, then the client's own failures.
enum class error_kind : std::uint8_t {
    overloaded,       // server: overloaded or bootstrapping
    unavailable,      // server: not enough replicas alive for the consistency
    read_timeout,     // server: the replicas did not answer a read in time
    write_timeout,    // server: the replicas did not acknowledge a write in time
    unprepared,       // server: the node did not know the prepared statement (re-prepared)
    invalid_query,    // server: syntax error, invalid, unauthorized, already exists, config error
    other_server,     // server: any other ERROR frame (read/write failure, function failure, ...)
    request_timeout,  // client: no answer within request_timeout
    connection,       // client: the connection broke, closed or could not be used (socket, TLS, orphans)
    other_client,     // client: anything else (an undecodable answer, a request too large, ...)
};
inline constexpr std::size_t error_kind_count = 10;

// Which kind an attempt's error is counted as (never called with an empty error_code).
error_kind error_kind_of(std::error_code ec) noexcept;
// "overloaded", "read_timeout", ...: the enumerator's name.
std::string_view error_kind_name(error_kind k) noexcept;

// One attempt of a statement, as the request observer sees it.
struct attempt_info {
    std::string_view host;             // "ip:port" of the node it was sent to
    std::chrono::nanoseconds latency;  // from the write being queued to the answer (or the error)
    std::error_code error;             // empty: the node answered with a result
    int attempt = 1;                   // 1 for a statement's first attempt, 2 for its first retry, ...
};

// Called on the session's strand once per attempt, when it ends. It runs on the request path: it
// must be cheap and must not block (copy what it needs and hand it elsewhere); the host string
// is valid only during the call.
using attempt_observer = std::function<void(const attempt_info&)>;

struct host_metrics {
    std::string address;         // "ip:port"
    std::uint64_t attempts = 0;  // attempts that ended (answered, failed or timed out)
    std::uint64_t errors = 0;    // of those, the ones that ended with an error
    latency_histogram latency;   // every ended attempt's latency
};

struct metrics_snapshot {
    std::uint64_t requests = 0;                // statements executed (each once, whatever its attempts)
    std::uint64_t retries = 0;                 // attempts after a statement's first
    std::uint64_t speculative_executions = 0;  // extra attempts started while one was in flight
    std::uint64_t timeouts = 0;                // attempts that hit request_timeout
    std::uint64_t reprepares = 0;              // UNPREPARED answered by preparing again
    std::uint64_t cancelled = 0;               // statements cancelled by their caller
    std::array<std::uint64_t, error_kind_count> errors{};  // failed attempts, by error_kind
    std::uint64_t orphaned_ids = 0;            // stream ids whose request timed out before its answer
    std::uint64_t connections_opened = 0;      // connections that completed their handshake
    std::uint64_t reconnects = 0;              // of those, the ones opened to replace a lost one
    std::uint64_t bytes_in = 0;                // CQL bytes read from and written to the nodes
    std::uint64_t bytes_out = 0;               // (frames as sent: compressed, before TLS)
    std::vector<host_metrics> hosts;           // the nodes attempts were sent to

    std::uint64_t errors_of(error_kind k) const noexcept { return errors[static_cast<std::size_t>(k)]; }
    std::uint64_t total_errors() const noexcept;
    // Every node's latencies in one histogram.
    latency_histogram latency() const;
};

}  // namespace cql
