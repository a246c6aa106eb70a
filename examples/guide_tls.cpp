// docs/library.md, "TLS", "Compression and protocol versions", "Load balancing" and "Tuning": a
// session_config with every knob set, and what the session negotiated with each node.
// Usage: guide_tls HOST[:PORT] USER PASSWORD CA.pem [DATACENTER] [CLIENT_CERT.pem CLIENT_KEY.pem]
#include <cql/blocking.hpp>

#include <iostream>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::cerr << "usage: guide_tls HOST[:PORT] USER PASSWORD CA.pem [DATACENTER] [CERT.pem KEY.pem]\n";
        return 2;
    }
    cql::session_config cfg;
    cfg.contact_points = {argv[1]};
    cfg.username = argv[2];
    cfg.password = argv[3];

    // [tls]
    cfg.tls.enabled = true;
    cfg.tls.ca_file = argv[4];            // or cfg.tls.ca_pem = "-----BEGIN CERTIFICATE-----...";
                                          // neither: the system's trust store
    cfg.tls.verify_certificate = true;    // the chain must lead to that CA (default)
    cfg.tls.verify_host_name = true;      // and name the node: its IP address as an IP SAN (default)
    // cfg.tls.host_name_override = "cassandra.example.com";  // check this DNS name instead, on every node
    if (argc > 7) {                       // client certificate, for nodes with require_client_auth
        cfg.tls.cert_file = argv[6];
        cfg.tls.key_file = argv[7];
    }
    // [tls]

    // [protocol]
    cfg.compression = true;                                      // LZ4 when the node offers it (default)
    cfg.max_protocol_version = cql::protocol_version::v5;        // v4, then v3, when the node refuses v5
    // [protocol]

    // [balancing]
    cfg.local_datacenter = argc > 5 ? argv[5] : "";  // empty: the first contact point's datacenter
    cfg.allow_remote_datacenters = false;            // true: other datacenters' nodes after every local one
    // [balancing]

    // [tuning]
    cfg.connect_timeout = std::chrono::milliseconds(5000);    // TCP + TLS + CQL handshake, per attempt
    cfg.request_timeout = std::chrono::milliseconds(12000);   // per attempt, from the moment it is queued
    cfg.connections_per_host = 1;                             // one pipelined connection is usually enough
    cfg.max_requests_per_connection = 2048;                   // stream ids in use at once (1..32768)
    cfg.max_orphans_per_connection = 256;                     // timed-out ids before the connection is replaced
    cfg.heartbeat_interval = std::chrono::milliseconds(30000);  // OPTIONS on a connection idle that long
    cfg.reconnect_base_delay = std::chrono::milliseconds(200);
    cfg.reconnect_max_delay = std::chrono::milliseconds(30000);
    cfg.max_attempts = 3;                                     // per idempotent statement, the first included
    cfg.schema_agreement_timeout = std::chrono::milliseconds(10000);
    // [tuning]

    cql::blocking_session db(cfg);
    if (std::error_code ec = db.connect()) {
        // For TLS failures the message says which check failed, e.g. "certificate verification
        // failed: ... (the certificate does not name 10.0.0.5)".
        std::cerr << "connect: " << ec.message() << ": " << db.last_error().message << "\n";
        return 1;
    }
    // [hosts]
    for (const cql::host_info& h : db.hosts())
        std::cout << h.address << " dc=" << h.datacenter << " rack=" << h.rack << " version=" << h.release_version
                  << " up=" << h.up << " connections=" << h.open_connections << " sent=" << h.requests_sent
                  << " protocol=v" << h.protocol_version << " lz4=" << (h.compression ? "yes" : "no") << "\n";
    std::cout << "session protocol: v" << static_cast<int>(db.async().protocol_version()) << "\n";
    // [hosts]
    return 0;
}
