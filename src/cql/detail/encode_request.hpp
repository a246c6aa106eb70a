// The parts of encoding a statement that do not depend on a connection: bind values serialized for
// a protocol version, the frame flags and custom payload of statement_options, a whole BATCH frame,
// and the routing token of a bound statement. Pure functions over the public types (unit-tested).
#pragma once

#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "cql/batch.hpp"
#include "cql/statement.hpp"
#include "protocol/requests.hpp"

namespace cql::detail {

// A statement's values serialized as [value]s for one protocol version, and a view of each.
// Makes room for n elements in a buffer reused from statement to statement (a pooled run's): a small
// size is rounded up to a power of two, so that the buffer stops growing after a few statements of
// varying size instead of growing by a few bytes now and then.
template <class T>
void reserve_reused(std::vector<T>& v, std::size_t n) {
    if (n <= v.capacity()) return;
    v.reserve(n <= 64 * 1024 ? std::bit_ceil(n) : n);
}

struct encoded_values {
    std::vector<std::uint8_t> buf;
    std::vector<protocol::value_view> views;
};

// Replace out with the statement's values. On error `why` names the value (or the count mismatch).
[[nodiscard]] std::error_code serialize_values(const statement& st, protocol::protocol_version v, encoded_values& out,
                                               std::string& why);
[[nodiscard]] std::error_code serialize_values(const bound_statement& st, protocol::protocol_version v,
                                               encoded_values& out, std::string& why);

// What statement_options put in the frame header: the tracing flag and the custom payload (views
// into the options, which must outlive the encoding).
struct frame_extras {
    std::uint8_t flags = 0;
    std::vector<std::pair<std::string_view, protocol::value_view>> payload;
};
frame_extras extras_of(const statement_options& o);

// A batch's entries serialized for one version, kept between attempts.
struct batch_scratch {
    std::vector<encoded_values> entries;
    std::vector<protocol::batch_statement> statements;
    std::optional<protocol::protocol_version> encoded_for;
    std::size_t value_bytes = 0;
};

// Replaces out with a BATCH frame (stream id 0) of b: its entries, the batch's consistency (or
// default_cl), serial consistency, the timestamp given (the batch's own, else the client-side one),
// tracing flag and custom payload. On error out is empty and `why` says which entry and why.
[[nodiscard]] std::error_code encode_batch(const batch& b, protocol::consistency default_cl,
                                           std::optional<std::int64_t> timestamp, protocol::protocol_version v,
                                           batch_scratch& scratch, std::vector<std::uint8_t>& out, std::string& why);

// The token of a bound statement's partition (murmur3 of its routing key), or nullopt when it has
// no partition key indexes, a key value is null, unset or does not fit its type.
std::optional<std::int64_t> bound_routing_token(const bound_statement& st, protocol::protocol_version v);

// Where a batch goes: the keyspace and token of its first bound entry with a known partition.
struct batch_route {
    std::string keyspace;
    std::optional<std::int64_t> token;
};
batch_route route_of(const batch& b, protocol::protocol_version v);

struct prepared_info;
// The prepared statements of a batch's bound entries, each once, in entry order: what a node that
// answered UNPREPARED is asked to prepare again before the batch is resent.
std::vector<const prepared_info*> prepared_entries(const batch& b);

}  // namespace cql::detail
