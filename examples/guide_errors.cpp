// docs/library.md, "Errors and diagnostics": what a failed call gives back, how to tell the error
// classes apart, and which failures are worth another try.
// Usage: guide_errors [host[:port]] [user] [password]
#include <cql/blocking.hpp>

#include <iostream>
#include <string>
#include <variant>

namespace {

// [classify]
// Failures where the same statement may succeed later (another node, a moment later), as opposed to
// a statement or a configuration that is wrong. Socket errors (refused, reset, unreachable...) come
// in Asio's own category, "asio.system": compare them with asio::error::connection_refused and the
// like, not with std::errc.
bool worth_retrying(std::error_code ec) {
    using cql::client_errc;
    using cql::server_errc;
    return ec.category() == asio::error::get_system_category() || ec == client_errc::connection_closed || ec == client_errc::request_timeout ||
           ec == client_errc::connect_timeout || ec == client_errc::no_host_available ||
           ec == client_errc::too_many_orphans || ec == server_errc::unavailable || ec == server_errc::overloaded ||
           ec == server_errc::is_bootstrapping || ec == server_errc::write_timeout || ec == server_errc::read_timeout;
}
// [classify]

// [report]
void report(const std::string& what, std::error_code ec, const cql::diagnostics& d) {
    std::cerr << what << ": [" << ec.category().name() << " " << ec.value() << "] " << ec.message() << "\n"
              << "  node: " << (d.host.empty() ? "-" : d.host) << ", attempts: " << d.attempts << "\n"
              << "  message: " << d.message << "\n";
    if (d.server_error) {
        // The ERROR frame as the node sent it, with the code's extra fields.
        const cql::protocol::error_response& e = *d.server_error;
        if (const auto* u = std::get_if<cql::protocol::unavailable_info>(&e.details))
            std::cerr << "  unavailable: " << u->alive << " of " << u->required << " replicas alive at "
                      << cql::protocol::consistency_name(u->cl) << "\n";
        if (const auto* w = std::get_if<cql::protocol::write_timeout_info>(&e.details))
            std::cerr << "  write timeout: " << w->received << "/" << w->block_for << " acks, write type " << w->write_type << "\n";
        if (const auto* a = std::get_if<cql::protocol::already_exists_info>(&e.details))
            std::cerr << "  already exists: " << a->keyspace << "." << a->table << "\n";
    }
    std::cerr << "  retry? " << (worth_retrying(ec) ? "yes" : "no") << "\n";
}
// [report]

}  // namespace

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    cfg.connect_timeout = std::chrono::milliseconds(3000);

    // [connect]
    cql::blocking_session db(cfg);
    if (std::error_code ec = db.connect()) {
        report("connect", ec, db.last_error());
        if (ec == cql::client_errc::authentication_failed) std::cerr << "check the username and password\n";
        if (ec == cql::client_errc::tls_handshake_failed) std::cerr << "check the CA and the node's certificate\n";
        if (ec == cql::client_errc::invalid_config) std::cerr << "check contact points and local_datacenter\n";
        return 1;
    }
    // [connect]

    // [server]
    std::error_code ec;
    cql::result r = db.execute(cql::statement("SELEKT * FROM system.local"), ec);
    if (ec == cql::server_errc::syntax_error) report("a typo", ec, r.diag);

    r = db.execute(cql::statement("CREATE KEYSPACE system WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"), ec);
    if (ec) report("an existing keyspace", ec, r.diag);

    cql::prepared_statement p = db.prepare("SELECT * FROM no_such_keyspace.t", ec);
    if (ec) report("prepare", ec, p.diag);
    // [server]

    // [client]
    // A value that does not fit its column's type is refused before anything is sent.
    cql::statement bad("SELECT * FROM system.local WHERE key = ?");
    bad.values = {{cql::data_type::of(cql::type_id::varchar), cql::cql_value{std::int64_t{1}}}};
    r = db.execute(std::move(bad), ec);
    if (ec == cql::protocol::errc::invalid_value) report("a wrong value", ec, r.diag);
    // [client]

    // [warnings]
    r = db.execute(cql::statement("SELECT COUNT(*) FROM system.local"), ec);
    for (const std::string& w : r.warnings()) std::cerr << "server warning: " << w << "\n";
    // [warnings]
    return 0;
}
