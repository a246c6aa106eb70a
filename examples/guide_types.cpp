// docs/library.md, "Values and types": binding values of the CQL types, null and unset, write
// timestamps, and reading cells back generically.
// Usage: guide_types [host[:port]] [user] [password]
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
    for (const char* ddl : {"CREATE KEYSPACE IF NOT EXISTS guide_types WITH replication = "
                            "{'class': 'SimpleStrategy', 'replication_factor': 1}",
                            "CREATE TABLE IF NOT EXISTS guide_types.t (id uuid PRIMARY KEY, n int, big bigint, "
                            "price decimal, tags set<text>, scores map<text, double>, born date, seen timestamp, "
                            "addr inet, note text)"}) {
        auto r = db.execute(cql::statement(ddl), ec);
        if (ec) return std::cerr << ddl << ": " << r.diag.message << "\n", 1;
    }

    // [values]
    using namespace cql::protocol;  // the value types: cql_list, cql_map, decimal_value, cql_date, ...
    cql::uuid_bytes id{};           // 16 bytes; here a fixed version-4 uuid
    for (std::size_t i = 0; i < id.size(); ++i) id[i] = static_cast<std::uint8_t>(i * 17);
    id[6] = (id[6] & 0x0F) | 0x40;
    id[8] = (id[8] & 0x3F) | 0x80;
    inet_address addr;
    addr.size = 4;
    addr.bytes[0] = 10, addr.bytes[3] = 7;  // 10.0.0.7

    cql::prepared_statement insert = db.prepare(
        "INSERT INTO guide_types.t (id, n, big, price, tags, scores, born, seen, addr, note) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ec);
    if (ec) return std::cerr << "prepare: " << insert.diag.message << "\n", 1;
    cql::bound_statement b{insert,
                           {cql::cql_value{id},
                            cql::cql_value{42},                          // int: a plain int literal is int32_t
                            cql::cql_value{std::int64_t{1} << 40},       // bigint, counter, timestamp: int64_t
                            cql::cql_value{decimal_value{{0x30, 0x39}, 2}},  // 12345 * 10^-2 = 123.45
                            cql::cql_value{cql_list{cql::cql_value::text("a"), cql::cql_value::text("b")}},  // set
                            cql::cql_value{cql_map{{cql::cql_value::text("x"), cql::cql_value{0.5}}}},
                            cql::cql_value{cql_date::from_days_since_epoch(19'000)},
                            cql::cql_value{std::int64_t{1'700'000'000'123}},  // timestamp: ms since 1970
                            cql::cql_value{addr},
                            cql::cql_value::null()},                     // null writes a tombstone
                           {}};
    b.options.timestamp = 1'700'000'000'000'000;  // the write time, in microseconds (USING TIMESTAMP)
    b.options.idempotent = true;
    db.execute(b, ec);
    if (ec) return std::cerr << "insert: " << ec.message() << "\n", 1;

    // unset leaves a column as it is (protocol v4 only; v3 refuses it).
    b.values[9] = cql::cql_value::unset();
    b.values[1] = cql::cql_value{43};
    b.options.timestamp.reset();  // the server's clock
    db.execute(b, ec);
    if (ec) return std::cerr << "update: " << ec.message() << "\n", 1;
    // [values]

    // [read]
    cql::result r = db.execute(cql::statement("SELECT * FROM guide_types.t"), ec);
    if (ec) return std::cerr << "select: " << r.diag.message << "\n", 1;
    for (std::size_t row = 0; row < r.size(); ++row)
        for (std::size_t col = 0; col < r.column_count(); ++col) {
            const column_spec& c = r.columns()[col];
            cql::cql_value v = r.value(row, col, ec);  // decoded with the column's type
            if (ec) return std::cerr << c.name << ": " << ec.message() << "\n", 1;
            // to_string renders a value as a CQL literal: 'a', {'x': 0.5}, 2022-01-08, null ...
            std::cout << c.name << " " << c.type.to_cql() << " = " << to_string(c.type, v) << "\n";
        }
    // The alternative held depends on the column's type (see cql_value in protocol/value.hpp).
    cql::cql_value tags = r.value(0, static_cast<std::size_t>(r.column_index("tags")), ec);
    if (const cql_list* elements = tags.get_if<cql_list>()) std::cout << elements->size() << " tags\n";
    // [read]

    db.execute(cql::statement("DROP KEYSPACE guide_types"), ec);
    return ec ? 1 : 0;
}
