// What the cluster told us when a statement was prepared.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "protocol/responses.hpp"

namespace cql::detail {

struct prepared_info {
    std::string query;
    std::vector<std::uint8_t> id;
    std::vector<protocol::column_spec> variables;
    std::vector<std::uint16_t> pk_indexes;  // v4; empty in v3 (no token-aware routing then)
    std::string keyspace;  // of the bind variables, for routing
    // The shape of its rows: the result metadata and (v5) the id EXECUTE sends back. In v5 the node
    // skips the metadata while the id matches and sends a new id and metadata once the table changes;
    // then this is replaced, never modified, so an answer to an EXECUTE sent earlier is read with the
    // shape that was sent. Read and replaced only on the session's strand.
    struct result_shape {
        std::vector<std::uint8_t> id;
        protocol::rows_metadata metadata;
    };
    mutable std::shared_ptr<const result_shape> result;
};

}  // namespace cql::detail
