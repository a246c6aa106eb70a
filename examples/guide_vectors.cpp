// docs/library.md, "Vectors": a Cassandra 5.0 vector<float, n> column, written with bound values,
// read back as floats, and searched with an ANN query over an SAI index.
// Usage: guide_vectors [host[:port]] [user] [password]
#include <cql/blocking.hpp>

#include <iostream>
#include <string>

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    cql::blocking_session db(cfg);
    if (auto ec = db.connect()) return std::cerr << "connect: " << db.last_error().message << "\n", 1;

    std::error_code ec;
    // [schema]
    for (const char* ddl : {"CREATE KEYSPACE IF NOT EXISTS guide_vectors WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                            "CREATE TABLE IF NOT EXISTS guide_vectors.docs (id int PRIMARY KEY, "
                            "embedding vector<float, 3>, tags vector<text, 2>)",
                            "CREATE INDEX IF NOT EXISTS docs_embedding ON guide_vectors.docs (embedding) "
                            "USING 'sai' WITH OPTIONS = {'similarity_function': 'cosine'}"}) {
        auto r = db.execute(cql::statement(ddl), ec);
        if (ec) return std::cerr << ddl << ": " << r.diag.message << "\n", 1;
    }

    // [write]
    using namespace cql::protocol;  // cql_list
    cql::prepared_statement insert =
        db.prepare("INSERT INTO guide_vectors.docs (id, embedding, tags) VALUES (?, ?, ?)", ec);
    if (ec) return std::cerr << "prepare: " << insert.diag.message << "\n", 1;
    // A vector is a cql_list of exactly n non-null elements of its element type.
    cql::bound_statement b{insert,
                           {cql::cql_value{1},
                            cql::cql_value{cql_list{cql::cql_value{0.9f}, cql::cql_value{0.1f}, cql::cql_value{0.0f}}},
                            cql::cql_value{cql_list{cql::cql_value::text("news"), cql::cql_value::text("")}}},
                           {}};
    db.execute(b, ec);
    if (ec) return std::cerr << "insert: " << ec.message() << "\n", 1;  // vector_dimension: wrong element count

    // [search]
    cql::prepared_statement nearest =
        db.prepare("SELECT id, embedding FROM guide_vectors.docs ORDER BY embedding ANN OF ? LIMIT 5", ec);
    if (ec) return std::cerr << "prepare: " << nearest.diag.message << "\n", 1;
    cql::cql_value query{cql_list{cql::cql_value{1.0f}, cql::cql_value{0.0f}, cql::cql_value{0.0f}}};
    cql::result r = db.execute(cql::bound_statement{nearest, {query}, {}}, ec);
    if (ec) return std::cerr << "ann: " << r.diag.message << "\n", 1;
    for (std::size_t row = 0; row < r.size(); ++row) {
        std::vector<float> e = r.get_float_vector(row, 1).value_or(std::vector<float>{});
        std::cout << r.get_int32(row, 0).value_or(-1) << " " << r.columns()[1].type.to_cql() << " [";  // vector<float, 3>
        for (std::size_t i = 0; i < e.size(); ++i) std::cout << (i ? ", " : "") << e[i];
        std::cout << "]\n";
    }
    // [end]
    db.execute(cql::statement("DROP KEYSPACE IF EXISTS guide_vectors"), ec);
    return 0;
}
