// The set-up statements around schema_setup's decisions: read system_schema, create a keyspace or
// table only when it is missing (so a role without CREATE can write into ones that exist), and
// refuse a keyspace whose replication can never meet the write consistency, or a table that does
// not fit. Blocking, on the connector's cassandra_ops.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "airbyte/cassandra_ops.hpp"
#include "airbyte/config.hpp"
#include "airbyte/schema_setup.hpp"

namespace airbyte {

// The keyspace's replication, or nullopt in `out` when it does not exist.
std::optional<op_error> read_replication(cassandra_ops& db, const std::string& ks, std::optional<replication_map>& out);
// The table's rows of system_schema.columns (empty: no such table).
std::optional<op_error> read_columns(cassandra_ops& db, const std::string& ks, const std::string& table, std::vector<schema_column>& out);

// Creates the keyspace when system_schema has none of that name (the config's datacenter and
// replication), then checks that the config's consistency can be met there (invalid_config if not).
std::optional<op_error> ensure_keyspace(cassandra_ops& db, const connector_config& cfg, const std::string& ks);

// Creates the table with `create` when it is missing; then checks that it fits (invalid_config
// naming the table, the stream and what differs, if not).
std::optional<op_error> ensure_table(cassandra_ops& db, const std::string& ks, const std::string& table, const std::string& create,
                                     const std::map<std::string, std::string>& columns, const table_key& key,
                                     const std::string& for_what);

}  // namespace airbyte
