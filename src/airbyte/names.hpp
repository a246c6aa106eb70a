// Cassandra names for Airbyte streams and namespaces. Keyspace and table names may only hold
// letters, digits and '_' (at most 48), so any other name is made safe deterministically:
//   - a name that already is [a-z0-9_]+ and short enough is kept as it is;
//   - otherwise: ASCII letters lower-cased, digits kept, every other character (one per code point)
//     becomes '_', runs of '_' collapse, then "_" and 8 hex digits of the FNV-1a hash of the
//     original UTF-8 name, the readable part cut so the whole fits.
// The hash keeps "Users" and "users", or "日本" and "中国", apart. Column names are quoted, so
// they need no sanitising; every identifier in a statement goes through quote_identifier.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace airbyte {

constexpr std::size_t max_name_length = 48;

std::uint32_t fnv1a32(std::string_view s) noexcept;
std::string sanitize_name(std::string_view name, std::size_t max_length = max_name_length);
// "name" with inner quotes doubled: safe for any string.
std::string quote_identifier(std::string_view name);
// 'text' with inner quotes doubled: a CQL string literal.
std::string quote_literal(std::string_view text);

struct stream_key {
    std::string ns;  // empty: none
    std::string name;
};

// Table names for streams: "airbyte_raw_<base>" (the final table; typed tables: "<base>") and
// "airbyte_tmp_<base>" (staging for overwrite), where base is sanitize_name(stream, 36). Streams landing in the same
// keyspace with the same base get "_2", "_3", ... in the order of (namespace, name), so the
// assignment depends only on the set of streams; a typed base whose final or staging name another
// stream already has (a stream named "airbyte_tmp_x" beside "x") gets a suffix the same way.
struct table_names {
    std::string keyspace;
    std::string final_table;
    std::string staging_table;
};
// keyspaces[i] is the (already sanitised) keyspace of streams[i].
std::vector<table_names> assign_tables(const std::vector<stream_key>& streams, const std::vector<std::string>& keyspaces,
                                       bool typed = false);

}  // namespace airbyte
