// What a statement returns: rows (with column metadata, typed access and the paging state), or
// nothing; and on failure, the diagnostics: the server's message, the host, the error's extra fields.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/responses.hpp"
#include "protocol/value.hpp"

namespace cql {

using protocol::cql_value;
using protocol::data_type;
using protocol::type_id;
using protocol::uuid_bytes;
// The value alternatives a caller builds or reads (cql_value::v).
using protocol::cql_date;
using protocol::cql_list;
using protocol::cql_map;
using protocol::cql_time;
using protocol::decimal_value;
using protocol::varint_value;
// The extra fields of an ERROR a caller may inspect (diagnostics::server_error->details).
using protocol::unavailable_info;

struct diagnostics {
    std::string host;            // the node that answered or failed, "address:port"
    std::string message;         // the server's message, or ours; never holds a password
    std::optional<protocol::error_response> server_error;  // code, message and extra fields
    int attempts = 0;            // hosts tried for this statement
    void clear() { *this = diagnostics{}; }
};

class result {
public:
    result() = default;
    result(protocol::rows_result rows, protocol::protocol_version v);

    bool has_rows() const noexcept { return has_rows_; }
    std::size_t size() const noexcept { return has_rows_ ? static_cast<std::size_t>(rows_.row_count) : 0; }
    std::size_t column_count() const noexcept { return rows_.column_count(); }
    const std::vector<protocol::column_spec>& columns() const noexcept { return rows_.metadata.columns; }
    // Index of a column by name, or -1.
    int column_index(std::string_view name) const noexcept;
    // Raw cell bytes (null or present).
    protocol::value_view cell(std::size_t row, std::size_t col) const noexcept { return rows_.cell(row, col); }
    bool is_null(std::size_t row, std::size_t col) const noexcept { return rows_.cell(row, col).is_null(); }
    // Decodes one cell with its column type. ec is set when the bytes do not fit the type.
    cql_value value(std::size_t row, std::size_t col, std::error_code& ec) const;
    // Typed shortcuts; a null cell or a type mismatch yields nullopt.
    std::optional<std::string> get_text(std::size_t row, std::size_t col) const;
    std::optional<std::int64_t> get_int64(std::size_t row, std::size_t col) const;  // bigint, counter, timestamp, time
    std::optional<std::int32_t> get_int32(std::size_t row, std::size_t col) const;
    std::optional<bool> get_bool(std::size_t row, std::size_t col) const;
    std::optional<double> get_double(std::size_t row, std::size_t col) const;
    std::optional<protocol::uuid_bytes> get_uuid(std::size_t row, std::size_t col) const;
    // A vector<T, n> column (Cassandra 5.0): its n elements; nullopt for null or another column type.
    std::optional<cql_list> get_vector(std::size_t row, std::size_t col) const;
    // A vector<float, n> column as floats, the usual shape of an embedding.
    std::optional<std::vector<float>> get_float_vector(std::size_t row, std::size_t col) const;

    // Set when more pages follow: pass it to the next statement's paging_state.
    const std::optional<std::vector<std::uint8_t>>& paging_state() const noexcept { return rows_.metadata.paging_state; }
    // For DDL: the schema change the statement made.
    const std::optional<protocol::schema_change_event>& schema_change() const noexcept { return schema_change_; }
    const std::vector<std::string>& warnings() const noexcept { return warnings_; }
    // The trace the node recorded for a statement sent with statement_options::tracing: the session_id
    // of its rows in system_traces.sessions and system_traces.events (written asynchronously: they may
    // appear a moment after the result).
    const std::optional<uuid_bytes>& tracing_id() const noexcept { return tracing_id_; }
    // The custom payload the node sent back (none from a stock Cassandra); a null value is empty.
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& custom_payload() const noexcept {
        return custom_payload_;
    }

    diagnostics diag;

    // Used by the session.
    void set_schema_change(protocol::schema_change_event e) { schema_change_ = std::move(e); }
    void set_warnings(std::vector<std::string> w) { warnings_ = std::move(w); }
    // The response's tracing id, warnings and custom payload.
    void set_extras(protocol::response_extras e) {
        tracing_id_ = e.tracing_id;
        warnings_ = std::move(e.warnings);
        custom_payload_ = std::move(e.custom_payload);
    }

private:
    protocol::rows_result rows_;
    protocol::protocol_version version_ = protocol::protocol_version::v4;
    bool has_rows_ = false;
    std::optional<protocol::schema_change_event> schema_change_;
    std::vector<std::string> warnings_;
    std::optional<uuid_bytes> tracing_id_;
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> custom_payload_;
};

}  // namespace cql
