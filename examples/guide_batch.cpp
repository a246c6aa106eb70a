// docs/library.md, "Batches, tracing, custom payloads and timestamps": a logged batch over two
// tables, a counter batch, a traced statement read back from system_traces, a custom payload, and
// the client-side timestamps a session puts on its writes.
// Usage: guide_batch [host[:port][,host...]] [user] [password]
#include <cql/blocking.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

namespace {

bool run(cql::blocking_session& db, const std::string& query) {
    std::error_code ec;
    cql::result r = db.execute(cql::statement(query), ec);
    if (ec) std::cerr << query << ": " << ec.message() << ": " << r.diag.message << "\n";
    return !ec;
}

std::string hex(const cql::uuid_bytes& id) {
    std::string s;
    char b[3];
    for (auto byte : id) {
        std::snprintf(b, sizeof b, "%02x", byte);
        s += b;
    }
    return s;
}

}  // namespace

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    cql::blocking_session db(cfg);
    if (std::error_code ec = db.connect()) return std::cerr << "connect: " << db.last_error().message << "\n", 1;
    if (!run(db, "CREATE KEYSPACE IF NOT EXISTS guide_batch WITH replication = "
                 "{'class': 'SimpleStrategy', 'replication_factor': 1}") ||
        !run(db, "CREATE TABLE IF NOT EXISTS guide_batch.users (id int PRIMARY KEY, name text)") ||
        !run(db, "CREATE TABLE IF NOT EXISTS guide_batch.names (name text PRIMARY KEY, id int)") ||
        !run(db, "CREATE TABLE IF NOT EXISTS guide_batch.hits (page text PRIMARY KEY, n counter)"))
        return 1;
    std::error_code ec;

    // [logged]
    // Both rows or neither: a logged batch goes through the batch log. Entries are bound
    // statements or statements sent as text, in any mix.
    cql::prepared_statement add_user = db.prepare("INSERT INTO guide_batch.users (id, name) VALUES (?, ?)", ec);
    if (ec) return std::cerr << "prepare: " << add_user.diag.message << "\n", 1;
    cql::statement add_name("INSERT INTO guide_batch.names (name, id) VALUES (?, ?)");
    add_name.values = {{cql::data_type::of(cql::type_id::varchar), cql::cql_value::text("ada")},
                       {cql::data_type::of(cql::type_id::int_), cql::cql_value{std::int32_t{1}}}};
    cql::batch both(cql::batch_type::logged);
    both.add(cql::bound_statement{add_user, {cql::cql_value{std::int32_t{1}}, cql::cql_value::text("ada")}, {}});
    both.add(std::move(add_name));
    both.options.consistency = cql::consistency::local_quorum;  // the batch's options, not the entries'
    both.options.idempotent = true;  // fixed values: may be sent again after a timeout
    db.execute(std::move(both), ec);
    if (ec) return std::cerr << "logged batch: " << ec.message() << "\n", 1;
    // [logged]

    // [counter]
    cql::batch hits(cql::batch_type::counter);  // counter updates only, never retried (not idempotent)
    hits.add(cql::statement("UPDATE guide_batch.hits SET n = n + 1 WHERE page = 'home'"));
    hits.add(cql::statement("UPDATE guide_batch.hits SET n = n + 3 WHERE page = 'docs'"));
    db.execute(std::move(hits), ec);
    if (ec) return std::cerr << "counter batch: " << ec.message() << "\n", 1;
    // [counter]

    // [tracing]
    cql::statement traced("SELECT name FROM guide_batch.users WHERE id = 1");
    traced.options.tracing = true;
    cql::result r = db.execute(std::move(traced), ec);
    if (ec || !r.tracing_id()) return std::cerr << "traced select failed\n", 1;
    // The node writes the trace after it answers: it may take a moment to appear.
    cql::statement events("SELECT activity, source_elapsed FROM system_traces.events WHERE session_id = ?");
    events.values = {{cql::data_type::of(cql::type_id::uuid), cql::cql_value{*r.tracing_id()}}};
    events.options.consistency = cql::consistency::one;  // system_traces has 2 replicas: ONE on a 1-node cluster
    cql::result trace;
    for (int attempt = 0; attempt < 25 && trace.size() == 0; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        trace = db.execute(events, ec);
        if (ec) return std::cerr << "trace: " << trace.diag.message << "\n", 1;
    }
    std::cout << "trace " << hex(*r.tracing_id()) << ": " << trace.size() << " events\n";
    // [tracing]

    // [payload]
    cql::statement with_payload("SELECT name FROM guide_batch.users WHERE id = 1");
    with_payload.options.custom_payload["request-origin"] = {'g', 'u', 'i', 'd', 'e'};  // for a custom QueryHandler
    r = db.execute(std::move(with_payload), ec);
    if (ec) return std::cerr << "payload: " << ec.message() << "\n", 1;
    std::cout << r.custom_payload().size() << " payload entries came back\n";  // 0 from a stock node
    // [payload]

    // [timestamps]
    // The session stamps every write with its own strictly increasing microsecond clock
    // (session_config::client_timestamps); a statement may set its own instead.
    cql::statement old("INSERT INTO guide_batch.users (id, name) VALUES (2, 'grace')");
    old.options.timestamp = 1'700'000'000'000'000;  // microseconds since 1970
    db.execute(std::move(old), ec);
    if (ec) return std::cerr << "insert: " << ec.message() << "\n", 1;
    r = db.execute(cql::statement("SELECT WRITETIME(name) FROM guide_batch.users WHERE id = 2"), ec);
    if (ec || r.size() != 1) return std::cerr << "writetime failed\n", 1;
    std::cout << "written at " << r.get_int64(0, 0).value_or(0) << "\n";  // 1700000000000000
    // [timestamps]

    return run(db, "DROP KEYSPACE guide_batch") ? 0 : 1;
}
