// docs/library.md, "The blocking API": connect, create a table, write with a prepared statement and
// with a statement sent as text, read one partition back, then page through a whole table.
// Usage: guide_blocking [host[:port][,host...]] [user] [password]
#include <cql/blocking.hpp>

#include <cstdint>
#include <iostream>
#include <string>

namespace {

// Runs one statement and says why it failed, if it did.
bool run(cql::blocking_session& db, const std::string& query) {
    std::error_code ec;
    cql::result r = db.execute(cql::statement(query), ec);
    if (ec) std::cerr << query << ": " << ec.message() << ": " << r.diag.message << " (" << r.diag.host << ")\n";
    return !ec;
}

}  // namespace

int main(int argc, char** argv) {
    // [config]
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};  // "host", "host:port", "[v6]:port"
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    cfg.local_datacenter = "";  // empty: the datacenter of the first contact point that answers
    cfg.default_consistency = cql::consistency::local_quorum;
    // [config]

    // [connect]
    cql::blocking_session db(cfg);
    if (std::error_code ec = db.connect()) {
        // last_error() names every host tried and why it failed.
        std::cerr << "connect: " << ec.message() << ": " << db.last_error().message << "\n";
        return 1;
    }
    for (const cql::host_info& h : db.hosts())
        std::cout << h.address << " dc=" << h.datacenter << " rack=" << h.rack << " up=" << h.up
                  << " protocol=v" << h.protocol_version << " lz4=" << h.compression << "\n";
    // [connect]

    // [ddl]
    // A schema change returns once every live node reports the new schema version.
    if (!run(db, "CREATE KEYSPACE IF NOT EXISTS guide WITH replication = "
                 "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}") ||
        !run(db, "CREATE TABLE IF NOT EXISTS guide.readings (sensor text, at timestamp, value double, "
                 "PRIMARY KEY (sensor, at))"))
        return 1;
    // [ddl]

    // [prepared]
    std::error_code ec;
    cql::prepared_statement insert = db.prepare("INSERT INTO guide.readings (sensor, at, value) VALUES (?, ?, ?)", ec);
    if (ec) {
        std::cerr << "prepare: " << ec.message() << ": " << insert.diag.message << "\n";
        return 1;
    }
    for (int i = 0; i < 10; ++i) {
        cql::bound_statement b{insert,
                               {cql::cql_value::text("s1"),
                                cql::cql_value{std::int64_t{1'700'000'000'000} + i * 1000},  // timestamp: ms since 1970
                                cql::cql_value{20.5 + i}},
                               {}};
        b.options.idempotent = true;  // an INSERT of fixed values may be retried on another node
        db.execute(std::move(b), ec);
        if (ec) return std::cerr << "insert: " << ec.message() << "\n", 1;
    }
    // [prepared]

    // [simple]
    // Sent as text: the server does not know the types of the values, so each comes with its type.
    cql::statement st("INSERT INTO guide.readings (sensor, at, value) VALUES (?, ?, ?)");
    st.values = {{cql::data_type::of(cql::type_id::varchar), cql::cql_value::text("s2")},
                 {cql::data_type::of(cql::type_id::timestamp), cql::cql_value{std::int64_t{1'700'000'000'000}}},
                 {cql::data_type::of(cql::type_id::double_), cql::cql_value{-3.25}}};
    st.options.consistency = cql::consistency::one;  // this statement only
    db.execute(std::move(st), ec);
    if (ec) return std::cerr << "insert as text: " << ec.message() << "\n", 1;
    // [simple]

    // [select]
    cql::statement sel("SELECT at, value FROM guide.readings WHERE sensor = 's1' LIMIT 3");
    cql::result rows = db.execute(std::move(sel), ec);
    if (ec) return std::cerr << "select: " << rows.diag.message << "\n", 1;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        std::optional<std::int64_t> at = rows.get_int64(i, 0);  // nullopt: null, or not that type
        std::optional<double> value = rows.get_double(i, static_cast<std::size_t>(rows.column_index("value")));
        std::cout << at.value_or(0) << " " << value.value_or(0) << "\n";
    }
    // [select]

    // [paging]
    cql::statement all("SELECT sensor, at, value FROM guide.readings");
    all.options.page_size = 4;  // rows per page (default 5000; <= 0: everything at once)
    std::size_t total = 0, pages = 0;
    for (;;) {
        cql::result page = db.execute(all, ec);  // a copy: `all` is sent again with the next paging state
        if (ec) return std::cerr << "page: " << page.diag.message << "\n", 1;
        total += page.size();
        ++pages;
        if (!page.paging_state()) break;  // the last page
        all.options.paging_state = page.paging_state();
    }
    std::cout << total << " rows in " << pages << " pages\n";
    // [paging]

    return run(db, "DROP KEYSPACE guide") ? 0 : 1;
}
