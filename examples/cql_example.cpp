// Embedding the client: connect, create a table, insert with a prepared statement, read back.
// Usage: cql_example [host[:port]] [user] [password]
#include "cql/blocking.hpp"

#include <iostream>

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    cql::blocking_session db(cfg);
    if (auto ec = db.connect()) {
        std::cerr << "connect: " << ec.message() << ": " << db.last_error().message << "\n";
        return 1;
    }
    std::error_code ec;
    for (const char* ddl : {"CREATE KEYSPACE IF NOT EXISTS example WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}",
                            "CREATE TABLE IF NOT EXISTS example.kv (k text PRIMARY KEY, v bigint)"}) {
        auto r = db.execute(cql::statement(ddl), ec);
        if (ec) return std::cerr << ddl << ": " << r.diag.message << "\n", 1;
    }
    auto insert = db.prepare("INSERT INTO example.kv (k, v) VALUES (?, ?)", ec);
    if (ec) return std::cerr << "prepare: " << insert.diag.message << "\n", 1;
    db.execute(cql::bound_statement{insert, {cql::cql_value::text("answer"), cql::cql_value{std::int64_t{42}}}, {}}, ec);
    if (ec) return std::cerr << "insert: " << ec.message() << "\n", 1;
    auto rows = db.execute(cql::statement("SELECT k, v FROM example.kv WHERE k = 'answer'"), ec);
    if (ec || rows.size() != 1) return std::cerr << "select failed\n", 1;
    std::cout << *rows.get_text(0, 0) << " = " << *rows.get_int64(0, 1) << "\n";
    return 0;
}
