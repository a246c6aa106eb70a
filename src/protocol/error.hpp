// Error codes of the CQL codec and of the server's ERROR frames, each with a category of its own.
#pragma once

#include <cstdint>
#include <string>
#include <system_error>

namespace cql::protocol {

// What can go wrong while encoding or decoding bytes. Never thrown: returned as std::error_code.
enum class errc {
    truncated = 1,           // a length points past the end of the input
    trailing_bytes,          // the message was decoded but bytes remain
    frame_too_large,         // declared frame body length above the configured maximum
    bad_version,             // protocol version byte is not one we speak
    bad_direction,           // a request where a response was expected, or the reverse
    unknown_opcode,          // opcode byte not in the spec
    unexpected_opcode,       // valid opcode, but not the one this decoder handles
    invalid_length,          // a negative or absurd length where the spec does not allow one
    invalid_value,           // a value that does not fit its type (e.g. a 3-byte int)
    unknown_type,            // a type option id not in the spec
    unknown_result_kind,     // RESULT kind not in the spec
    unknown_event,           // EVENT type or change not in the spec
    unknown_consistency,     // consistency code not in the spec
    unsupported_by_version,  // the message or value does not exist in the negotiated version
    nesting_too_deep,        // nested types beyond the decoder's depth limit
    bad_compression,         // LZ4 block could not be decompressed or declared length is wrong
    compression_too_large,   // LZ4 declared uncompressed length above the maximum
    bad_header_checksum,     // v5 segment header does not match its CRC24
    bad_payload_checksum,    // v5 segment payload does not match its CRC32
    bad_segment,             // v5 segment framing broken: a self-contained segment holding part of a frame,
                             // or a large frame interrupted by a self-contained segment
    bad_type_name,           // a custom type's class name (e.g. VectorType(...)) is malformed or unknown
    vector_dimension,        // a vector value does not hold exactly its type's dimension of elements
};

const std::error_category& protocol_category() noexcept;
std::error_code make_error_code(errc e) noexcept;

// Error codes a Cassandra node sends in an ERROR frame (native_protocol_v4.spec section 9).
enum class server_errc : std::int32_t {
    server_error = 0x0000,
    protocol_error = 0x000A,
    bad_credentials = 0x0100,
    unavailable = 0x1000,
    overloaded = 0x1001,
    is_bootstrapping = 0x1002,
    truncate_error = 0x1003,
    write_timeout = 0x1100,
    read_timeout = 0x1200,
    read_failure = 0x1300,
    function_failure = 0x1400,
    write_failure = 0x1500,
    cdc_write_failure = 0x1600,
    cas_write_unknown = 0x1700,
    syntax_error = 0x2000,
    unauthorized = 0x2100,
    invalid = 0x2200,
    config_error = 0x2300,
    already_exists = 0x2400,
    unprepared = 0x2500,
};

const std::error_category& server_category() noexcept;
std::error_code make_error_code(server_errc e) noexcept;

}  // namespace cql::protocol

template <>
struct std::is_error_code_enum<cql::protocol::errc> : std::true_type {};
template <>
struct std::is_error_code_enum<cql::protocol::server_errc> : std::true_type {};
