// Typed tables (issue 16): one CQL column per top-level property of a stream's JSON schema, the
// Airbyte metadata columns, and the CQL text that creates, evolves and writes them. Sans-I/O: the
// connector runs the statements; the values come from typed_coercer (typed_coerce.hpp).
//
// Types (property schema -> column). "null" in a type list is ignored; Airbyte's "$ref" well-known
// types count as the type they name:
//   boolean                                          -> boolean
//   integer, or number with airbyte_type integer     -> bigint
//   number                                           -> decimal (exact, from the number's text)
//   string                                           -> text
//   string, format date                              -> date
//   string, format date-time, airbyte_type timestamp_with(out)_timezone -> timestamp (UTC ms)
//   string, format time, airbyte_type time_with(out)_timezone           -> time (ns since midnight)
//   object, array, a union (several types, oneOf/anyOf/allOf), no type -> text holding the value's
//     compact JSON exactly as the source wrote it (a string value keeps its quotes)
// A string column receiving a non-string keeps the value's compact JSON. A value that does not
// fit its column is written as null and reported in _airbyte_meta.changes (typed_coerce.hpp).
//
// Column names: the property's name exactly as written (always quoted). Renamed, deterministically:
// a name that is a metadata column (reserved_columns, whatever the mode), empty, or not valid UTF-8
// (each byte of an invalid sequence and each NUL becomes '_'). The new name is the (repaired) name
// plus "_1", "_2", ...: the first that is neither reserved, nor any property's original name, nor
// already given, taking properties in schema order. A nested primary-key path (["a","b"]) adds a
// column named by its joined path ("a.b", renamed the same way), typed as today's raw tables do.
//
// Metadata columns: "_airbyte_raw_id" uuid, "_airbyte_extracted_at" timestamp, "_airbyte_meta"
// text, "_airbyte_generation_id" bigint, "_airbyte_additional_properties" text; dedup tables
// "_airbyte_cursor_order" blob. A staging table (overwrite, truncate refreshes) is staging.hpp's:
// its prefix columns ("_airbyte_run", "_airbyte_bucket", "_airbyte_seq", "_airbyte_covered") then
// typed_columns(layout) as regular columns, so those names are reserved too.
//
// Primary key:
//   no key (append, overwrite):   PRIMARY KEY ("_airbyte_raw_id")
//   append/overwrite with a key:  PRIMARY KEY ((k...), "_airbyte_extracted_at", "_airbyte_raw_id"),
//     extracted_at DESC: every version of a key is read by the key, the newest first
//   append_dedup:                 PRIMARY KEY ((k...), "_airbyte_cursor_order"), DESC: as the raw
//     dedup tables (dedup.hpp), one visible row per key
//
// Schema evolution (plan_typed_evolution): a new property adds its column, a vanished one keeps it.
// An existing column keeps working when its type is the one wanted, or decimal receiving an
// integer (exact), or text receiving anything (written as a string column would); every other
// change, or a primary key that differs, is an error asking for a refresh / overwrite.
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "airbyte/catalog.hpp"

namespace airbyte {

enum class column_kind { boolean, bigint, decimal, text, json, date, timestamp, time, double_ };
// The CQL type, as system_schema.columns reports it.
const char* column_kind_cql(column_kind k) noexcept;
column_kind kind_of(const schema_property& p) noexcept;

// Every metadata column, reserved in every table whatever its mode.
extern const std::vector<std::string_view> reserved_columns;

struct typed_column {
    std::string field;              // the top-level data field it holds, as written
    std::vector<std::string> path;  // a nested key column's full path; empty otherwise
    std::string name;               // the column's name (unquoted)
    column_kind kind = column_kind::json;
    bool declared = true;  // false: a key field the schema does not declare (a text column)
    int key_index = -1;    // position in the primary key; -1: a regular column
};

struct table_layout {
    write_mode mode = write_mode::append;
    std::vector<typed_column> columns;  // the data columns, in bind order (schema order, then nested keys)
    std::vector<std::size_t> key;       // indices into columns, in primary-key order
    std::vector<std::string> cursor;    // append_dedup: the cursor path (empty: none)

    bool dedup() const noexcept { return mode == write_mode::append_dedup; }
    bool keyed() const noexcept { return !key.empty(); }
};

// The layout of a stream's table; an error (naming the key) when the primary key cannot be used.
std::optional<std::string> make_typed_layout(const configured_stream& s, table_layout& out);

// Every column of the table, (name, CQL type), in the INSERT's bind order: the staging table's
// regular columns (staging::column_list).
std::vector<std::pair<std::string, std::string>> typed_columns(const table_layout& l);

// CREATE TABLE IF NOT EXISTS with every column of the layout.
std::string typed_create_table(const table_layout& l, std::string_view ks, std::string_view table);

struct typed_write_options {
    bool timestamp = false;  // "USING TIMESTAMP ?" (dedup: dedup_write_timestamp)
    bool ttl = false;        // "USING TTL ?" (an int of seconds)
};
// INSERT binding, in this order: _airbyte_raw_id, _airbyte_extracted_at, _airbyte_meta,
// _airbyte_generation_id, _airbyte_additional_properties, [dedup: _airbyte_cursor_order],
// the data columns in layout order, [timestamp], [ttl].
std::string typed_insert_query(const table_layout& l, std::string_view ks, std::string_view table,
                               typed_write_options o = {});
std::size_t typed_insert_bind_count(const table_layout& l, typed_write_options o = {});
// The column list of the INSERT, in bind order without the options (for copying staging rows).
std::string typed_column_list(const table_layout& l);
// Dedup: deletes the key's rows with a smaller order (written with every insert), or, for a CDC
// delete in hard mode (written instead of the insert), with an order smaller or equal: both bind
// the write timestamp, the key columns in key order, then the order (coerced_record::delete_values).
std::string typed_delete_older_query(const table_layout& l, std::string_view ks, std::string_view table);
std::string typed_cdc_delete_query(const table_layout& l, std::string_view ks, std::string_view table);

// A column of the existing table, as system_schema.columns reports it.
struct existing_column {
    std::string type;              // "bigint", "text", ...
    std::string kind = "regular";  // "partition_key", "clustering", "regular"
    int position = -1;             // within the partition key or the clustering columns
};
// Compares the layout with the existing table: appends the ALTER TABLE ... ADD statements for the
// missing regular columns to alters, and switches a column's kind where the existing column is
// wider (see above). An error message names the column and both types, or the keys.
std::optional<std::string> plan_typed_evolution(table_layout& l, const std::map<std::string, existing_column>& existing,
                                                std::string_view ks, std::string_view table,
                                                std::vector<std::string>& alters);

}  // namespace airbyte
