// Statements: a CQL string with values, or a prepared statement bound to values; and the options
// that travel with them (consistency, paging, idempotence, timestamp, timeout).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cql/result.hpp"
#include "protocol/types.hpp"

namespace cql {

struct statement_options {
    std::optional<protocol::consistency> consistency;  // default: the session's
    std::optional<protocol::consistency> serial_consistency;
    std::int32_t page_size = 5000;                      // <= 0: no paging
    std::optional<std::vector<std::uint8_t>> paging_state;
    // Only idempotent statements are retried on another host after a timeout, an overloaded or
    // unavailable node, or a broken connection.
    bool idempotent = false;
    std::optional<std::int64_t> timestamp;  // microseconds since the epoch (USING TIMESTAMP)
    // A deadline for the whole statement (retries, backoffs and speculative attempts included),
    // instead of session_config::request_timeout per attempt; past it the statement fails with
    // client_errc::request_timeout (what is still in flight is abandoned: its late answer is dropped).
    std::optional<std::chrono::milliseconds> timeout;
};

// A statement sent as text. Values bind to '?' markers in order; their types are given with them,
// since the server does not tell the types of a non-prepared statement.
struct statement {
    std::string query;
    std::vector<std::pair<data_type, cql_value>> values;
    statement_options options;

    statement() = default;
    statement(std::string q) : query(std::move(q)) {}  // NOLINT: implicit from text is the point
};

namespace detail {
struct prepared_info;
}

// A statement prepared on the cluster: its id, bind variable types and partition key indexes.
class prepared_statement {
public:
    prepared_statement() = default;
    explicit prepared_statement(std::shared_ptr<const detail::prepared_info> info) : info_(std::move(info)) {}

    bool valid() const noexcept { return info_ != nullptr; }
    const std::string& query() const;
    const std::vector<protocol::column_spec>& variables() const;
    const std::vector<std::uint16_t>& partition_key_indexes() const;
    const std::shared_ptr<const detail::prepared_info>& info() const noexcept { return info_; }

    diagnostics diag;  // why preparing failed

private:
    std::shared_ptr<const detail::prepared_info> info_;
};

// A prepared statement with its values (one per bind variable, in order; unset leaves a column alone).
struct bound_statement {
    prepared_statement prepared;
    std::vector<cql_value> values;
    statement_options options;
};

}  // namespace cql
