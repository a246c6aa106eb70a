// Statements: a CQL string with values, or a prepared statement bound to values; and the options
// that travel with them (consistency, paging, idempotence, timestamp, timeout, tracing, custom payload).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
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
    // Microseconds since the epoch, sent as the request's default timestamp. Unset: the session's
    // client-side timestamp (session_config::client_timestamps), or the node's clock when that is off.
    // A USING TIMESTAMP in the query text wins over both.
    std::optional<std::int64_t> timestamp;
    // Asks the coordinator to trace the request: result::tracing_id() names the trace, whose rows the
    // node writes to system_traces.sessions and system_traces.events shortly after it answers.
    bool tracing = false;
    // Sent as the frame's custom payload (protocol v4 and later; v3 refuses it with
    // unsupported_by_version). A stock Cassandra ignores it; a custom QueryHandler on the node reads it.
    std::map<std::string, std::vector<std::uint8_t>> custom_payload;
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
