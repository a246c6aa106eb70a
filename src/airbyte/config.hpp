// The connector's configuration: the original connector's fields (keyspace, username, password,
// address, port, datacenter, replication, namespaces) with their defaults, plus TLS, consistency,
// compression, protocol version and tuning. spec_json() is the connectionSpecification `spec` prints;
// parse_config() applies exactly those defaults and names the field in every error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cql/config.hpp"

namespace airbyte {

enum class tls_mode { disabled, require, verify_ca, verify_full };
enum class table_format { raw, typed };

struct connector_config {
    std::string keyspace;  // lower-cased, [a-z0-9_]{1,48}
    std::string username;
    std::string password;
    std::vector<std::string> contact_points;  // from address, each "host" or "host:port"
    std::uint16_t port = 9042;
    std::string datacenter = "datacenter1";
    int replication = 1;
    bool namespaces = true;  // a record's namespace names its keyspace

    tls_mode tls = tls_mode::disabled;
    std::string ca_certificate, client_certificate, client_key;  // PEM text

    cql::consistency consistency = cql::consistency::local_quorum;
    bool compression = true;
    int protocol_version = 5;
    int max_in_flight = 1024;
    int request_timeout_ms = 12000;
    std::size_t max_record_bytes = 16u << 20;
    int retry_window_seconds = 60;
    int connect_timeout_ms = 5000;

    table_format format = table_format::raw;  // table_format
    int ttl_seconds = 0;                      // 0: rows never expire
    bool cdc_soft = false;                    // cdc_deletion_mode: soft (typed append_dedup)

    cql::session_config session() const;
};

// The secrets a config text holds (every "password" and "client_key" string, repeated keys
// included), read before the config is validated, so that no error message about it can show them.
std::vector<std::string> config_secrets(std::string_view config_text);

// The JSON schema of the configuration (ConnectorSpecification.connectionSpecification).
std::string connection_specification();
// The whole SPEC message's "spec" object.
std::string spec_json();

// False with a message naming the field when the configuration is not usable.
bool parse_config(std::string_view json, connector_config& out, std::string& error);

}  // namespace airbyte
