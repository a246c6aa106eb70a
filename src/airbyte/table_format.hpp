// How a stream's rows are laid out in Cassandra: the one place a newcomer changing "the table
// layout" opens. Two formats (config table_format):
//   raw    (raw_format.cpp)   the original connector's airbyte_raw_<stream> tables: the record's
//                             data as JSON text (dedup tables add the key and order columns)
//   typed  (typed_format.cpp) one column per top-level property (typed_table.hpp, typed_coerce.hpp,
//                             docs/typed-tables.md)
// A format gives the CQL text and the bound values; the connector (destination.cpp) runs them, with
// the same window, retries, staging (staging.hpp) and state tracking for both. No I/O here.
//
// Bind order of every final-table INSERT: columns() in order, then "USING TIMESTAMP ?" when asked
// (dedup tables, commit copies), then "TTL ?" (an int of seconds) when ttl_seconds > 0. A staging
// table holds columns() as its regular columns (staging::insert binds run, bucket, seq first).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "airbyte/catalog.hpp"
#include "airbyte/config.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/schema_setup.hpp"
#include "airbyte/staging.hpp"
#include "airbyte/typed_table.hpp"
#include "cql/result.hpp"

namespace airbyte {

// One record's values.
struct record_values {
    std::vector<cql::cql_value> columns;        // columns(), in order
    std::vector<cql::cql_value> delete_values;  // dedup: timestamp, the key values, the order
    bool cdc_delete = false;                    // write only the CDC delete (typed dedup, hard mode)
};

class stream_format {
public:
    virtual ~stream_format() = default;

    // The final table's columns (name, CQL type) in bind order.
    virtual const staging::column_list& columns() const = 0;
    virtual std::string create_table(const std::string& ks, const std::string& table) const = 0;
    // Compares with the existing table (its system_schema.columns rows): appends the DDL that makes
    // it fit to alters, or returns why it cannot be used (a config_error).
    virtual std::optional<std::string> reconcile(const std::vector<schema_column>& existing, const std::string& ks,
                                                 const std::string& table, std::vector<std::string>& alters) = 0;
    // A replaced stream (overwrite, truncate refresh) whose table cannot be reconciled may be
    // dropped and created again at the commit (typed: "a refresh rebuilds the table").
    virtual bool rebuilds_at_commit() const = 0;

    std::string insert_query(const std::string& ks, const std::string& table, bool with_timestamp, int ttl_seconds) const;
    // Dedup: removes the key's rows ordered below (CDC: at or below) the bound order; binds
    // timestamp, the key columns in key order, the order.
    virtual std::string delete_older_query(const std::string& ks, const std::string& table) const = 0;
    virtual std::string cdc_delete_query(const std::string& ks, const std::string& table) const = 0;

    // The record's values; an error message (bad input) when they cannot be written.
    virtual std::optional<std::string> bind(const scanned_message& m, const cql::uuid_bytes& raw_id, record_values& out) = 0;
    // Commit of a staged dedup stream: the delete values of a row read back (its columns()), and
    // whether the row is a CDC delete.
    virtual void row_delete_values(const std::vector<cql::cql_value>& row, std::vector<cql::cql_value>& out) const = 0;
    virtual bool row_is_cdc_delete(const std::vector<cql::cql_value>& row) const = 0;
    // Commit of a staged non-dedup stream: the final table's primary key columns, and a column
    // every row writes (its WRITETIME tells this sync's rows apart).
    virtual std::vector<std::string> row_key() const = 0;
    virtual std::string written_column() const = 0;
};

// The stream's format under cfg; an error message (config_error) when the stream cannot use it.
std::unique_ptr<stream_format> make_stream_format(const connector_config& cfg, const configured_stream& s, std::string& error);

}  // namespace airbyte
