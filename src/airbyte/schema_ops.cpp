#include "airbyte/schema_ops.hpp"

#include "airbyte/names.hpp"

namespace airbyte {

namespace {

// system_schema is local to each node: read at ONE whatever the config's write consistency.
cql::statement schema_read(std::string query) {
    cql::statement st(std::move(query));
    st.options.consistency = cql::consistency::one;
    st.options.idempotent = true;
    return st;
}

op_error config_error(std::string message) { return op_error{make_error_code(cql::client_errc::invalid_config), std::move(message)}; }

}  // namespace

std::optional<op_error> read_replication(cassandra_ops& db, const std::string& ks, std::optional<replication_map>& out) {
    cql::result r;
    if (auto e = db.run("reading keyspace " + ks + " from system_schema",
                        schema_read("SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = " + quote_literal(ks)), &r))
        return e;
    out.reset();
    if (r.size() == 0) return std::nullopt;
    std::error_code ec;
    auto v = r.value(0, 0, ec);
    replication_map m;
    if (const auto* map = v.get_if<cql::cql_map>())
        for (const auto& [k, val] : *map)
            if (k.get_if<std::string>() && val.get_if<std::string>()) m[*k.get_if<std::string>()] = *val.get_if<std::string>();
    out = std::move(m);
    return std::nullopt;
}

std::optional<op_error> read_columns(cassandra_ops& db, const std::string& ks, const std::string& table, std::vector<schema_column>& out) {
    cql::result r;
    if (auto e = db.run("reading the columns of " + ks + "." + table,
                        schema_read("SELECT column_name, type, kind, position, clustering_order FROM system_schema.columns "
                                    "WHERE keyspace_name = " + quote_literal(ks) + " AND table_name = " + quote_literal(table)),
                        &r))
        return e;
    out.clear();
    for (std::size_t i = 0; i < r.size(); ++i) {
        std::error_code ec;
        auto pos = r.value(i, 3, ec);
        const auto* p = pos.get_if<std::int32_t>();
        out.push_back({r.get_text(i, 0).value_or(""), r.get_text(i, 1).value_or(""), r.get_text(i, 2).value_or(""), p ? *p : -1,
                       r.get_text(i, 4).value_or("")});
    }
    return std::nullopt;
}

std::optional<op_error> ensure_keyspace(cassandra_ops& db, const connector_config& cfg, const std::string& ks) {
    std::optional<replication_map> repl;
    if (auto e = read_replication(db, ks, repl)) return e;
    if (!repl) {
        const std::string create = "CREATE KEYSPACE IF NOT EXISTS " + quote_identifier(ks) +
                                   " WITH replication = {'class': 'NetworkTopologyStrategy', " + quote_literal(cfg.datacenter) + ": " +
                                   std::to_string(cfg.replication) + "}";
        if (auto e = db.run("creating keyspace " + ks, create)) return e;
        if (auto e = read_replication(db, ks, repl)) return e;
        if (!repl) return op_error{make_error_code(cql::client_errc::server_error), "keyspace " + ks + " is not in system_schema after its creation"};
    }
    if (auto why = unreachable_consistency(cfg.consistency, *repl, cfg.datacenter)) return config_error("keyspace " + ks + ": " + *why);
    return std::nullopt;
}

std::optional<op_error> ensure_table(cassandra_ops& db, const std::string& ks, const std::string& table, const std::string& create,
                                     const std::map<std::string, std::string>& columns, const table_key& key,
                                     const std::string& for_what) {
    std::vector<schema_column> have;
    if (auto e = read_columns(db, ks, table, have)) return e;
    if (have.empty()) {
        if (auto e = db.run("creating table " + ks + "." + table, create)) return e;
        if (auto e = read_columns(db, ks, table, have)) return e;
    }
    if (auto why = table_mismatch(columns, key, have))
        return config_error("table " + ks + "." + table + " exists but does not fit " + for_what + ": " + *why +
                            "; the connector never alters a table: drop it or rename it");
    return std::nullopt;
}

}  // namespace airbyte
