// Encoders of every request message (spec v3/v4/v5 section 4.1) into whole frames in a reused buffer.
// Arguments are validated before anything is written, so a bad one is an error, never a malformed frame.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

namespace cql::protocol {

// Bits of <flags> in <query_parameters> (section 4.1.4) and in BATCH (section 4.1.7).
namespace query_flag {
inline constexpr std::uint8_t values = 0x01;
inline constexpr std::uint8_t skip_metadata = 0x02;
inline constexpr std::uint8_t page_size = 0x04;
inline constexpr std::uint8_t with_paging_state = 0x08;
inline constexpr std::uint8_t with_serial_consistency = 0x10;
inline constexpr std::uint8_t with_default_timestamp = 0x20;
inline constexpr std::uint8_t with_names = 0x40;
// v5 only, where <flags> is an [int] instead of a [byte].
inline constexpr std::uint32_t with_keyspace = 0x80;
inline constexpr std::uint32_t with_now_in_seconds = 0x100;
}  // namespace query_flag

// Bits of the [int] <flags> a v5 PREPARE carries after its query.
namespace prepare_flag {
inline constexpr std::uint32_t with_keyspace = 0x01;
}  // namespace prepare_flag

// Request views: they borrow every string and byte span, which must outlive the encode call only.
// Bound values are already serialized by the value codec.

struct startup_request {
    static constexpr opcode op = opcode::startup;
    // CQL_VERSION (mandatory), COMPRESSION, DRIVER_NAME, DRIVER_VERSION ...
    std::vector<std::pair<std::string_view, std::string_view>> options;
};

struct options_request {
    static constexpr opcode op = opcode::options;
};

struct query_parameters {
    consistency cl = consistency::one;
    std::span<const value_view> values;             // flag 0x01 when non-empty
    std::span<const std::string_view> names;        // flag 0x40: empty, or one name per value
    bool skip_metadata = false;                     // 0x02
    std::int32_t page_size = -1;                    // 0x04 when > 0
    std::optional<bytes_view> paging_state;         // 0x08, a [bytes]
    std::optional<consistency> serial_consistency;  // 0x10: SERIAL or LOCAL_SERIAL
    std::optional<std::int64_t> default_timestamp;  // 0x20, microseconds
    std::string_view keyspace = {};                   // 0x80 when non-empty (v5 only)
    std::optional<std::int32_t> now_in_seconds = {};  // 0x100 (v5 only)
    // The same values as they lie in one buffer, [value] after [value] (e.g. encoded_values::buf):
    // when given (and names are not), copied at once rather than value by value.
    bytes_view values_cells = {};
};

struct query_request {
    static constexpr opcode op = opcode::query;
    std::string_view query;
    query_parameters params;
};

struct prepare_request {
    static constexpr opcode op = opcode::prepare;
    std::string_view query;
    std::string_view keyspace = {};  // v5 only: the keyspace unqualified names resolve in (flag 0x01)
};

struct execute_request {
    static constexpr opcode op = opcode::execute;
    bytes_view id;
    query_parameters params;
    bytes_view result_metadata_id = {};  // v5 only (and mandatory there): from the Prepared result
};

enum class batch_type : std::uint8_t { logged = 0, unlogged = 1, counter = 2 };

// A child of a BATCH: a query string (is_prepared false) or a prepared id, with positional values.
struct batch_statement {
    bool is_prepared = false;
    std::string_view query;
    bytes_view id;
    std::span<const value_view> values;
};

// The batch flag 0x40 (names for values) is never sent: the spec says it cannot work (CASSANDRA-10246).
struct batch_request {
    static constexpr opcode op = opcode::batch;
    batch_type type = batch_type::logged;
    std::span<const batch_statement> statements;
    consistency cl = consistency::one;
    std::optional<consistency> serial_consistency;
    std::optional<std::int64_t> default_timestamp;
    std::string_view keyspace = {};                   // v5 only
    std::optional<std::int32_t> now_in_seconds = {};  // v5 only
};

struct register_request {
    static constexpr opcode op = opcode::register_;
    std::span<const std::string_view> events;  // "TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"
};

struct auth_response_request {
    static constexpr opcode op = opcode::auth_response;
    value_view token;  // present or null; never unset
};

// A frame's custom payload ([bytes map], v4 and later): written before the body, as the spec's header flag 0x04 says.
using custom_payload_view = std::span<const std::pair<std::string_view, value_view>>;

// ---- Body writers -------------------------------------------------------------------------------
// Each validates its input first and appends nothing when it returns an error:
//   invalid_length: a [string]/[short bytes] over 65535 bytes, a [short] count over 65535,
//                   a [long string]/[bytes] over 2^31-1 bytes;
//   invalid_value: names not matching values, an unknown consistency, batch type or event name, a serial
//                  consistency other than SERIAL/LOCAL_SERIAL, a forbidden timestamp, an unset token,
//                  a STARTUP without CQL_VERSION;
//   unsupported_by_version: an unset value in v3; a keyspace or now_in_seconds before v5, an
//                           EXECUTE result_metadata_id before v5.
// In v5 the <flags> of QUERY, EXECUTE and BATCH are an [int] (a [byte] before), EXECUTE carries its
// result_metadata_id after the id, and PREPARE an [int] of flags after its query.
// Timestamps: INT64_MIN is always refused (the v3 spec and Cassandra do); v4 QUERY/EXECUTE also refuse
// negatives, as v4 section 4.1.4 forbids them (v5 too). BATCH accepts any other value in every version.

[[nodiscard]] std::error_code write_query_parameters(byte_writer& w, const query_parameters& p, protocol_version v);
[[nodiscard]] std::error_code write_batch_statement(byte_writer& w, const batch_statement& s, protocol_version v);

[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const startup_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const options_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const query_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const prepare_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const execute_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const batch_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v, const register_request& req);
[[nodiscard]] std::error_code write_request_body(byte_writer& w, protocol_version v,
                                                 const auth_response_request& req);

// ---- Whole frames -------------------------------------------------------------------------------
// Appends one frame (header with the stream id, body, length patched) to out; sets *frame_start to its
// offset. On error out keeps its previous size. Besides the body errors above:
//   invalid_value: a negative stream id (reserved for the server), header flags other than tracing and
//                  custom payload (compression is applied afterwards by compress_frame), a custom payload
//                  on a request other than QUERY, PREPARE, EXECUTE, BATCH, or an unset payload value;
//   unsupported_by_version: a custom payload in v3;
//   frame_too_large: a body above default_max_frame_body (the spec's 256MB limit).
// A non-empty custom_payload sets the custom payload flag itself; the flag alone sends an empty map.
// Only std::bad_alloc from growing out can escape; with enough capacity nothing is allocated.

[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const startup_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const options_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const query_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const prepare_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const execute_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const batch_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const register_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});
[[nodiscard]] std::error_code encode_request(std::vector<std::uint8_t>& out, protocol_version v, std::int16_t stream,
                                             const auth_response_request& req, std::size_t* frame_start = nullptr,
                                             std::uint8_t flags = 0, custom_payload_view custom_payload = {});

}  // namespace cql::protocol
