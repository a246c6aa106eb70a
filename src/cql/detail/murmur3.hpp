// Cassandra's Murmur3Partitioner token of a partition key: which part of the ring a key lives on.
#pragma once

#include <cstdint>
#include <span>

namespace cql::detail {

// The token Cassandra's Murmur3Partitioner assigns to a serialized routing key: h1 of
// MurmurHash3_x64_128 with seed 0, reproducing Cassandra's sign extension of tail bytes.
// An empty key maps to INT64_MIN (Cassandra's minimum token); a hash equal to INT64_MIN maps to
// INT64_MAX, because the minimum token is reserved.
std::int64_t murmur3_token(std::span<const std::uint8_t> key) noexcept;

}  // namespace cql::detail
