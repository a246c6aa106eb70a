// append_dedup without reads: every row of a dedup table is written with a write timestamp derived
// from the record's cursor and emitted_at, so Cassandra's last-write-wins keeps, per primary key,
// the record with the greatest cursor, ties going to the later emitted_at, in whatever order
// records arrive, within a sync and across syncs.
//
// timestamp = cursor_rank(cursor) * 2^20 + emitted_at in hours since 1970 (20 bits, up to 2089)
// cursor_rank is a 43-bit signed, order-preserving rank of the cursor value:
//   - integers: exact within +-2^42 (4.4e12), saturating beyond;
//   - other numbers: their floor, likewise;
//   - strings that are ISO-8601 dates or date-times: milliseconds since 1970 (exact to the ms for
//     1831..2109, saturating beyond);
//   - other strings: their first 5 bytes (UTF-8, compared as unsigned bytes);
//   - booleans: false < true; missing or null: lowest.
// Without a cursor, the timestamp is emitted_at in microseconds: the latest record wins.
// Limits, documented for users: cursor values equal at this precision and emitted in the same hour
// tie, and Cassandra then keeps, column by column, the greater value.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>

#include "airbyte/catalog.hpp"
#include "protocol/value.hpp"

namespace airbyte {

constexpr std::int64_t cursor_rank_limit = std::int64_t{1} << 42;

std::int64_t cursor_rank(const rapidjson::Value* cursor) noexcept;
std::int64_t dedup_timestamp(const rapidjson::Value* cursor, bool has_cursor, std::int64_t emitted_at_ms) noexcept;

// The value of a key column from the record's data, as its CQL type; an error message when the
// value is missing, null or does not fit the type.
std::optional<std::string> key_value(const rapidjson::Value& data, const key_column& k, cql::protocol::cql_value& out);

}  // namespace airbyte
