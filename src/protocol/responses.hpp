// Decoders of every response message (spec v3/v4/v5 sections 2.2, 4.2, 9): the body extras the header flags
// announce, ERROR with its per-code details, RESULT kinds, EVENT, and the handshake responses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

namespace cql::protocol {

// ---- Frame body extras (section 2.2) -------------------------------------------------------------

// What precedes the body proper, in this order: tracing id [uuid], warnings [string list] (v4),
// custom payload [bytes map] (v4). A null payload value is kept as an empty vector.
struct response_extras {
    std::optional<uuid_bytes> tracing_id;
    std::vector<std::string> warnings;
    std::vector<std::pair<std::string, std::vector<std::uint8_t>>> custom_payload;

    bool operator==(const response_extras&) const = default;
};

// Reads the extras the flags announce. v3 has neither warnings nor custom payload: those flags give
// unsupported_by_version. Errors stay in the reader (sticky).
response_extras read_response_extras(byte_reader& r, std::uint8_t flags, protocol_version v);

// ---- ERROR (sections 4.2.1 and 9) ------------------------------------------------------------------

// The <writeType> strings of write_timeout / write_failure. CAS, VIEW and CDC come from later servers.
enum class write_type_kind : std::uint8_t {
    simple, batch, unlogged_batch, counter, batch_log, cas, view, cdc, unknown
};
write_type_kind parse_write_type(std::string_view s) noexcept;

struct unavailable_info {
    consistency cl = consistency::any;
    std::int32_t required = 0;
    std::int32_t alive = 0;
    bool operator==(const unavailable_info&) const = default;
};

struct write_timeout_info {
    consistency cl = consistency::any;
    std::int32_t received = 0;
    std::int32_t block_for = 0;
    std::string write_type;  // as sent, so a value newer than this code is not lost
    std::optional<std::uint16_t> contentions = {};  // v5, only after the write type CAS
    write_type_kind kind() const noexcept { return parse_write_type(write_type); }
    bool operator==(const write_timeout_info&) const = default;
};

struct read_timeout_info {
    consistency cl = consistency::any;
    std::int32_t received = 0;
    std::int32_t block_for = 0;
    bool data_present = false;
    bool operator==(const read_timeout_info&) const = default;
};

// v5 replaces the failure count of READ_FAILURE / WRITE_FAILURE with a map of the replicas that
// failed to their failure code (<reasonmap>: an [int] n, then n [inetaddr] [short] pairs).
struct failure_reason {
    inet_address endpoint;  // port 0: an [inetaddr]
    std::uint16_t code = 0;
    bool operator==(const failure_reason&) const = default;
};

struct read_failure_info {  // v4 and later
    consistency cl = consistency::any;
    std::int32_t received = 0;
    std::int32_t block_for = 0;
    std::int32_t num_failures = 0;  // v5: the number of reasons
    bool data_present = false;
    std::vector<failure_reason> reasons = {};  // v5
    bool operator==(const read_failure_info&) const = default;
};

struct function_failure_info {  // v4
    std::string keyspace;
    std::string function;
    std::vector<std::string> arg_types;
    bool operator==(const function_failure_info&) const = default;
};

struct write_failure_info {  // v4 and later
    consistency cl = consistency::any;
    std::int32_t received = 0;
    std::int32_t block_for = 0;
    std::int32_t num_failures = 0;  // v5: the number of reasons
    std::string write_type;
    std::vector<failure_reason> reasons = {};  // v5
    write_type_kind kind() const noexcept { return parse_write_type(write_type); }
    bool operator==(const write_failure_info&) const = default;
};

struct cas_write_unknown_info {  // v5
    consistency cl = consistency::any;
    std::int32_t received = 0;
    std::int32_t block_for = 0;
    bool operator==(const cas_write_unknown_info&) const = default;
};

struct already_exists_info {
    std::string keyspace;
    std::string table;  // empty when a keyspace already exists
    bool operator==(const already_exists_info&) const = default;
};

struct unprepared_info {
    std::vector<std::uint8_t> id;
    bool operator==(const unprepared_info&) const = default;
};

// An ERROR body. Codes this version does not define (cdc_write_failure and cas_write_unknown before v5)
// keep code and message, have no details, and whatever follows the message is skipped rather than
// refused. cdc_write_failure has no details in v5 either.
struct error_response {
    server_errc code = server_errc::server_error;
    std::string message;  // the server's text, kept apart from our error codes
    std::variant<std::monostate, unavailable_info, write_timeout_info, read_timeout_info, read_failure_info,
                 function_failure_info, write_failure_info, already_exists_info, unprepared_info,
                 cas_write_unknown_info>
        details;

    std::error_code error_code() const noexcept { return make_error_code(code); }
};

// ---- Handshake responses ---------------------------------------------------------------------------

struct ready_response {};

struct authenticate_response {
    std::string authenticator;  // IAuthenticator class name
};

struct supported_response {
    std::vector<std::pair<std::string, std::vector<std::string>>> options;
    // The values of an option, or nullptr when the server did not list it.
    const std::vector<std::string>* find(std::string_view key) const noexcept;
};

struct auth_challenge_response {
    std::optional<std::vector<std::uint8_t>> token;  // nullopt: null token
};

struct auth_success_response {
    std::optional<std::vector<std::uint8_t>> token;
};

// ---- EVENT (section 4.2.6), shared with RESULT Schema_change (4.2.5.5) -----------------------------

// MOVED_NODE is listed by v3 only, but servers still send it on v4.
enum class topology_change : std::uint8_t { new_node, removed_node, moved_node };
enum class status_change : std::uint8_t { up, down };
enum class schema_change_type : std::uint8_t { created, updated, dropped };
enum class schema_change_target : std::uint8_t { keyspace, table, type, function, aggregate };

struct topology_change_event {
    topology_change change = topology_change::new_node;
    inet_address address;
    bool operator==(const topology_change_event&) const = default;
};

struct status_change_event {
    status_change change = status_change::up;
    inet_address address;
    bool operator==(const status_change_event&) const = default;
};

struct schema_change_event {
    schema_change_type change_type = schema_change_type::created;
    schema_change_target target = schema_change_target::keyspace;
    std::string keyspace;
    std::string name;                    // table, type, function or aggregate; empty for KEYSPACE
    std::vector<std::string> arg_types;  // FUNCTION / AGGREGATE (v4) only
    bool operator==(const schema_change_event&) const = default;
};

// Reads <change_type><target><options>. Unknown change or target: unknown_event; FUNCTION / AGGREGATE
// on v3: unsupported_by_version. Errors stay in the reader.
schema_change_event read_schema_change(byte_reader& r, protocol_version v);

// ---- RESULT (section 4.2.5) ------------------------------------------------------------------------

// Rows metadata flags (4.2.5.2). metadata_changed exists in v5 only (a new metadata id follows the
// paging state); on v3/v4 it is refused, since the bytes after it could not be read right.
namespace rows_flag {
inline constexpr std::int32_t global_tables_spec = 0x0001;
inline constexpr std::int32_t has_more_pages = 0x0002;
inline constexpr std::int32_t no_metadata = 0x0004;
inline constexpr std::int32_t metadata_changed = 0x0008;
}  // namespace rows_flag

struct column_spec {
    std::string keyspace, table, name;  // keyspace and table filled from the global spec when there is one
    data_type type;
    bool operator==(const column_spec&) const = default;
};

struct rows_metadata {
    std::int32_t flags = 0;
    std::int32_t column_count = 0;
    std::optional<std::vector<std::uint8_t>> paging_state;  // set iff has_more_pages
    // v5: set iff metadata_changed, the id to send with the next EXECUTE of this statement.
    std::optional<std::vector<std::uint8_t>> new_metadata_id;
    bool no_metadata = false;
    std::vector<column_spec> columns;  // empty with no_metadata, else column_count entries

    bool has_more_pages() const noexcept { return paging_state.has_value(); }
    bool operator==(const rows_metadata&) const = default;
};

// Reads a rows metadata block (also the <result_metadata> of Prepared). Errors stay in the reader.
rows_metadata read_rows_metadata(byte_reader& r, protocol_version v);

// A cell of a rows result: offset and length in rows_result::storage; length -1 is null.
struct cell_ref {
    std::int32_t offset = 0;
    std::int32_t length = -1;
    bool operator==(const cell_ref&) const = default;
};

struct rows_result {
    rows_metadata metadata;
    std::int32_t row_count = 0;
    std::vector<std::uint8_t> storage;  // owned copy of the rows content: copying a rows_result is safe
    std::vector<cell_ref> cells;        // row-major, row_count * column_count()

    // The raw cell for the value codec; null when out of range. Valid while this object lives unchanged.
    value_view cell(std::size_t row, std::size_t col) const noexcept;
    // From the metadata's column count, which holds even with no_metadata (skip_metadata).
    std::size_t column_count() const noexcept { return static_cast<std::size_t>(metadata.column_count); }
};

// The bind-marker metadata of Prepared (4.2.5.4). pk_indexes exist in v4 only (empty on v3).
struct prepared_metadata {
    std::int32_t flags = 0;
    std::int32_t column_count = 0;
    std::vector<std::uint16_t> pk_indexes;
    std::vector<column_spec> columns;
    bool operator==(const prepared_metadata&) const = default;
};

struct prepared_result {
    std::vector<std::uint8_t> id;
    std::vector<std::uint8_t> result_metadata_id;  // v5 only: what EXECUTE sends back
    prepared_metadata metadata;
    rows_metadata result_metadata;
};

struct set_keyspace_result {
    std::string keyspace;
};

struct void_result {};

using result = std::variant<void_result, rows_result, set_keyspace_result, prepared_result, schema_change_event>;
using event = std::variant<topology_change_event, status_change_event, schema_change_event>;
using response_body = std::variant<error_response, ready_response, authenticate_response, supported_response, result,
                                   event, auth_challenge_response, auth_success_response>;

struct response {
    response_extras extras;
    response_body body;
};

// ---- Decoders of exact body bytes (no header, no extras) --------------------------------------------
// Each refuses bytes left over (trailing_bytes) and never trusts a declared count.

[[nodiscard]] std::error_code decode_error(bytes_view body, protocol_version v, error_response& out);
[[nodiscard]] std::error_code decode_ready(bytes_view body, protocol_version v, ready_response& out);
[[nodiscard]] std::error_code decode_authenticate(bytes_view body, protocol_version v, authenticate_response& out);
[[nodiscard]] std::error_code decode_supported(bytes_view body, protocol_version v, supported_response& out);
[[nodiscard]] std::error_code decode_auth_challenge(bytes_view body, protocol_version v, auth_challenge_response& out);
[[nodiscard]] std::error_code decode_auth_success(bytes_view body, protocol_version v, auth_success_response& out);
[[nodiscard]] std::error_code decode_event(bytes_view body, protocol_version v, event& out);
[[nodiscard]] std::error_code decode_result(bytes_view body, protocol_version v, result& out);

// A whole, already decompressed frame (compression flag set: bad_compression): checks the direction
// bit (bad_direction), reads the extras the flags announce, dispatches by opcode (a request opcode:
// unexpected_opcode).
[[nodiscard]] std::error_code decode_response(const frame& f, response& out);

}  // namespace cql::protocol
