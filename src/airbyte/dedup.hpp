// append_dedup without reads. A dedup table's primary key is the stream's key (partition key) plus
// a clustering column "_airbyte_cursor_order" (blob, descending): an exact, byte-comparable encoding
// of (cursor value, emitted_at). Each record is written as two statements with the same fixed write
// timestamp: an INSERT of its row, and a range DELETE of the rows of its key with a smaller order.
// At equal timestamps a tombstone beats a live row, so whatever order records arrive in, within a
// sync and across syncs, the key keeps exactly one row: the greatest cursor, ties going to the
// later emitted_at (equal in both: the same row, written twice).
//
// order_key bytes, compared as unsigned bytes:
//   a tag for the cursor's kind: missing or null < false < true < number < date-time string < other
//   string < object/array; then
//   - numbers: the IEEE-754 double made byte-comparable, then for integers the exact int64 (so
//     integers beyond 2^53 still compare exactly);
//   - ISO-8601 date or date-time strings: milliseconds since 1970 and the nanoseconds below them;
//   - other strings: their UTF-8 bytes, 0x00 escaped as 00 FF, ended by 00 00;
//   - objects and arrays: their compact JSON text, the same way;
//   then emitted_at (ms, big-endian with the sign bit flipped).
// Without a cursor only emitted_at orders: the latest record wins.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "airbyte/catalog.hpp"
#include "cql/result.hpp"

namespace airbyte {

// The write timestamp of every dedup statement (see above).
constexpr std::int64_t dedup_write_timestamp = 1'000'000;
constexpr const char* order_column = "_airbyte_cursor_order";

std::vector<std::uint8_t> order_key(const rapidjson::Value* cursor, std::int64_t emitted_at_ms);

// The value of a key column from the record's data, as its CQL type; an error message when the
// value is missing, null or does not fit the type.
std::optional<std::string> key_value(const rapidjson::Value& data, const key_column& k, cql::cql_value& out);

}  // namespace airbyte
