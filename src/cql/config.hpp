// Configuration of a cql::session: where the cluster is, how to authenticate, TLS, and the knobs of
// pooling, pipelining, timeouts and retries. Every field has a default a small cluster can use.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cql/auth.hpp"
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
    std::chrono::milliseconds request_timeout{12000};
    int connections_per_host = 1;
    int max_requests_per_connection = 2048;  // stream ids in use at once, 1..32768
    int max_orphans_per_connection = 256;    // timed-out ids awaiting a late answer before reconnecting
    std::chrono::milliseconds heartbeat_interval{30000};
    std::chrono::milliseconds reconnect_base_delay{200};
    std::chrono::milliseconds reconnect_max_delay{30000};
    // Attempts per idempotent statement (the first one included).
    int max_attempts = 3;
    // What to do after a failed attempt; empty: cql::classify (retry_policy.hpp), the default rules.
    retry_policy retry;
    std::chrono::milliseconds schema_agreement_timeout{10000};
    std::size_t max_frame_size = protocol::default_max_frame_body;
};

}  // namespace cql
