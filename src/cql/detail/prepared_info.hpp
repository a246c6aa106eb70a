// What the cluster told us when a statement was prepared.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "protocol/responses.hpp"

namespace cql::detail {

struct prepared_info {
    std::string query;
    std::vector<std::uint8_t> id;
    std::vector<protocol::column_spec> variables;
    std::vector<std::uint16_t> pk_indexes;  // v4; empty in v3 (no token-aware routing then)
    protocol::rows_metadata result_metadata;
    std::string keyspace;  // of the bind variables, for routing
};

}  // namespace cql::detail
