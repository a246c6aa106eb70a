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
};

// False with a message naming the stream and field when the catalog cannot be written.
bool parse_catalog(std::string_view json, std::vector<configured_stream>& out, std::string& error);

}  // namespace airbyte
