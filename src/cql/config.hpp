// Configuration of a cql::session: where the cluster is, how to authenticate, TLS, and the knobs of
// pooling, pipelining, timeouts and retries. Every field has a default a small cluster can use.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cql/auth.hpp"
#include "cql/metrics.hpp"
#include "cql/retry_policy.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

namespace cql {

using protocol::consistency;
using protocol::parse_consistency;
using protocol::consistency_name;
using protocol::protocol_version;

struct tls_options {
    bool enabled = false;
    // Verify the server's certificate chain against ca_file (or the system store when empty).
    bool verify_certificate = true;
    // Also check that the certificate names the host we connected to (an IP SAN for an address).
    bool verify_host_name = true;
    // Name to verify instead of the address connected to (e.g. the DNS name in the certificate).
    std::string host_name_override;
    std::string ca_file;           // PEM
    std::string ca_pem;            // PEM text, alternative to ca_file
    std::string cert_file;         // client certificate (PEM), optional
    std::string cert_pem;          // client certificate PEM text, alternative to cert_file
    std::string key_file;          // client private key (PEM), optional
    std::string key_pem;           // client key PEM text, alternative to key_file
};

struct session_config {
    // "host" or "host:port" (IPv6: "[::1]:9042"); at least one.
    std::vector<std::string> contact_points{"127.0.0.1"};
    std::uint16_t default_port = 9042;
    // Hosts of this datacenter are preferred; empty: the datacenter of the first contact point reached.
    std::string local_datacenter;
    // Hosts in other datacenters are used only when this is true (and after every local host).
    bool allow_remote_datacenters = false;

    std::string username;  // empty: no authentication
    std::string password;
    // Authentication other than SASL PLAIN (cql/auth.hpp): makes one authenticator per connection
    // attempt, which answers the node's AUTH_CHALLENGE rounds. Empty: PLAIN from username / password.
    authenticator_factory make_authenticator;
    tls_options tls;
    bool compression = true;  // LZ4 when the server offers it
    // Highest native protocol version offered; a node that refuses it is asked one version lower
    // (v5, then v4, then v3). v5 frames in CRC-checked segments.
    protocol_version max_protocol_version = protocol_version::v5;

    consistency default_consistency = consistency::local_quorum;
    std::chrono::milliseconds connect_timeout{5000};
    // One attempt of a statement, from the moment it is queued on a connection; also how long a
    // statement waits for a connection when no node of its plan has one open. A statement with a
    // statement_options::timeout has that deadline for all of it instead.
    std::chrono::milliseconds request_timeout{12000};
    int connections_per_host = 1;
    int max_requests_per_connection = 2048;  // stream ids in use at once, 1..32768
    int max_orphans_per_connection = 256;    // timed-out ids awaiting a late answer before reconnecting
    std::chrono::milliseconds heartbeat_interval{30000};
    std::chrono::milliseconds reconnect_base_delay{200};
    std::chrono::milliseconds reconnect_max_delay{30000};
    // Requests that may wait on one connection beyond the max_requests_per_connection in flight,
    // and statements that may wait for a connection to open. When every node of a statement's plan
    // is that full, the statement fails at once with client_errc::too_many_requests (back-pressure)
    // instead of queueing without bound.
    int max_waiting_requests = 8192;
    // Attempts per idempotent statement (the first one included); speculative ones are apart.
    int max_attempts = 3;
    // Speculative execution (idempotent statements only; off by default): while an attempt has not
    // answered after `delay`, the statement is also sent to the next node of its plan, up to
    // max_executions extra times (1..7). The first answer wins; the others are ignored.
    struct speculative_execution_options {
        bool enabled = false;
        std::chrono::milliseconds delay{100};
        int max_executions = 1;
    } speculative_execution;
    // What to do after a failed attempt; empty: cql::classify (retry_policy.hpp), the default rules.
    retry_policy retry;
    std::chrono::milliseconds schema_agreement_timeout{10000};
    std::size_t max_frame_size = protocol::default_max_frame_body;
    // Called on the session's strand after every attempt (see metrics.hpp): must be cheap and
    // must not block. Empty: nothing is called.
    attempt_observer request_observer;

    // Client-side timestamps: every QUERY, EXECUTE and BATCH whose options set no timestamp carries
    // one (microseconds since the epoch) as its default timestamp, taken once per statement (its
    // retries send the same). On by default, as in the Java and C++ drivers: the session's generator
    // is strictly increasing, so its writes keep their order even when the clock stands still or
    // steps back. Off: the coordinator's clock decides.
    bool client_timestamps = true;
    // Where the timestamps come from instead of the session's generator (empty: that generator).
    // Called on the session's strand, once per statement; share it between sessions only if it is
    // thread-safe.
    std::function<std::int64_t()> timestamp_generator;
};

}  // namespace cql
