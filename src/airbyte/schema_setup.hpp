// The set-up decisions, sans I/O: given what system_schema says (a keyspace's replication, a
// table's columns), decide whether the keyspace or table must be created, whether an existing table
// fits a stream (columns and primary key), and whether the write consistency can ever be met; and
// the sentences for the failures set-up statements meet (a missing permission, a TRUNCATE with a
// node down). destination.cpp runs the statements and passes the rows in.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "airbyte/catalog.hpp"
#include "cql/config.hpp"

namespace airbyte {

// A keyspace's replication as system_schema.keyspaces holds it: {"class": "...SimpleStrategy",
// "replication_factor": "1"} or {"class": "...NetworkTopologyStrategy", "dc1": "3", ...}.
using replication_map = std::map<std::string, std::string>;

// "SimpleStrategy with replication_factor 1", "NetworkTopologyStrategy with datacenter1: 3, dc2: 1".
std::string describe_replication(const replication_map& r);

// Why writes at `level` can never succeed in a keyspace with this replication (whatever nodes are
// up), or nullopt when they can. local_dc: the datacenter the LOCAL_* levels count in. A strategy
// the function does not know (LocalStrategy, a custom one) is never refused. SimpleStrategy meets
// the LOCAL_* levels and EACH_QUORUM as it meets QUORUM (Cassandra 5.0 accepts them there).
std::optional<std::string> unreachable_consistency(cql::consistency level, const replication_map& r,
                                                   const std::string& local_dc);

// One row of system_schema.columns.
struct schema_column {
    std::string name, type;
    std::string kind;              // partition_key, clustering, regular, static
    int position = -1;             // order within the partition key or the clustering columns
    std::string clustering_order;  // asc, desc, none
};

// The primary key a stream's table needs: partition key columns in order, then clustering columns
// with their order ("asc" or "desc").
struct table_key {
    std::vector<std::string> partition;
    std::vector<std::pair<std::string, std::string>> clustering;
};
table_key expected_key(const configured_stream& s);
// (("a", "b"), "c" DESC): the key as CQL would declare it.
std::string describe_key(const table_key& k);

// Why an existing table (its system_schema.columns rows; none: the table does not exist) does not
// fit: a column missing or of another type ("column \"x\" is int, the stream needs text"), or
// another primary key. nullopt when it fits. Extra regular columns are allowed.
std::optional<std::string> table_mismatch(const std::map<std::string, std::string>& columns, const table_key& key,
                                          const std::vector<schema_column>& have);

// A set-up statement the server refused for a missing permission: the permission and resource
// parsed from Cassandra's "User r has no MODIFY permission on <table k.t> or any of its parents",
// then the statement: "the role lacks MODIFY on table k.t (User r has no ...): INSERT INTO ...".
// A message of another shape is kept whole.
std::string permission_message(std::string_view server_message, std::string_view statement);

// Whether a statement is a TRUNCATE (which Cassandra runs only with every node up).
bool is_truncate(std::string_view statement);
// The sentence for a TRUNCATE refused as Unavailable (Cassandra asks for ALL: required = every
// node, alive = the live ones); down: the nodes the client knows to be down.
std::string truncate_unavailable_message(int required, int alive, const std::vector<std::string>& down, std::string_view server_message);

}  // namespace airbyte
