// The routing key of a partition key: the bytes whose Murmur3 hash is the partition's token.
#pragma once

#include <cstdint>
#include <span>
#include <system_error>
#include <vector>

#include "protocol/buffer.hpp"

namespace cql::detail {

using protocol::bytes_view;

// Largest component of a composite routing key: its length travels as an unsigned 16-bit integer.
inline constexpr std::size_t max_routing_component = 0xFFFF;

// Replaces out with the routing key of the partition key whose serialized column values are
// components (in partition key order): a single component as is, several as Cassandra's
// CompositeType does, each [2-byte big-endian length][bytes][0x00]. Returns errc::invalid_length
// (out cleared) when a composite component exceeds 65535 bytes or there are no components.
[[nodiscard]] std::error_code build_routing_key(std::span<const bytes_view> components,
                                                std::vector<std::uint8_t>& out);

// The partition's token: murmur3_token of the routing key, built in scratch (reused to spare
// allocations). Returns the error of build_routing_key, leaving token untouched.
[[nodiscard]] std::error_code routing_token(std::span<const bytes_view> components, std::vector<std::uint8_t>& scratch,
                                            std::int64_t& token);

}  // namespace cql::detail
