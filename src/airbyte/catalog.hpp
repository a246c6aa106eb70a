// The configured catalog: per stream, its name and namespace, how it is written, and for
// append_dedup its primary key (with CQL types from the JSON schema) and cursor.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airbyte {

enum class write_mode { append, overwrite, append_dedup };
const char* write_mode_name(write_mode m) noexcept;

// The CQL type of a key column: from the JSON schema's "type" (null aside): integer -> bigint,
// number -> double, boolean -> boolean, anything else or unclear -> text.
enum class key_type { bigint, double_, boolean, text };
const char* key_type_cql(key_type t) noexcept;

struct key_column {
    std::vector<std::string> path;  // path in the record's data
    std::string column;             // path joined with '.'
    key_type type = key_type::text;
};

// A top-level property of the stream's JSON schema, as declared (for typed tables).
struct schema_property {
    std::string name;                // as the source wrote it (may be any string)
    std::vector<std::string> types;  // "type", a string or an array, as written ("null" included)
    std::string format;              // "format", "" when absent
    std::string airbyte_type;        // "airbyte_type", "" when absent
    std::string ref;                 // "$ref" (e.g. "WellKnownTypes.json#/definitions/Integer"), "" when absent
    bool any_of = false;             // "oneOf" / "anyOf" / "allOf" present: a union
};

struct configured_stream {
    std::string name;
    std::optional<std::string> ns;
    write_mode mode = write_mode::append;
    // The sync replaces the stream's rows: overwrite, or a refresh that keeps no older generation
    // (minimum_generation_id == generation_id > 0).
    bool truncate = false;
    std::optional<std::int64_t> generation_id, minimum_generation_id;
    std::vector<key_column> primary_key;  // append_dedup only
    std::vector<std::string> cursor;      // empty: none
    // For typed tables: the primary key in every mode (primary_key, else the stream's
    // source_defined_primary_key; outside append_dedup empty when absent or malformed, and a
    // repeated path is left out), the schema's top-level properties in schema order, and the
    // catalog's sync_id.
    std::vector<key_column> typed_key;
    std::vector<schema_property> properties;
    std::optional<std::int64_t> sync_id;
};

// The CDC soft-delete marker field of Airbyte's CDC sources.
constexpr const char* cdc_deleted_at_field = "_ab_cdc_deleted_at";
// True when the stream's schema declares _ab_cdc_deleted_at.
bool has_cdc_deleted_at(const configured_stream& s) noexcept;

// False with a message naming the stream and field when the catalog cannot be written.
bool parse_catalog(std::string_view json, std::vector<configured_stream>& out, std::string& error);

}  // namespace airbyte
