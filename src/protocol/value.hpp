// CQL values and their cell encodings (native_protocol_v4.spec sections 6 and 7): one owned value
// type for every CQL type, encode/decode checked against a data_type, and allocation-free writers.
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/frame.hpp"
#include "protocol/types.hpp"

namespace cql::protocol {

struct null_value {
    bool operator==(const null_value&) const = default;
};
struct unset_value_t {
    bool operator==(const unset_value_t&) const = default;
};

// Arbitrary precision integer: two's complement, big-endian, at least one byte. Kept as sent;
// from_int64 builds the minimal form (the one Cassandra sends).
struct varint_value {
    std::vector<std::uint8_t> bytes;

    static varint_value from_int64(std::int64_t v);
    // False (and out untouched) when the value does not fit 64 bits.
    bool to_int64(std::int64_t& out) const noexcept;
    bool operator==(const varint_value&) const = default;
};

// unscaled * 10^-scale; unscaled is a varint (two's complement big-endian, at least one byte).
struct decimal_value {
    std::vector<std::uint8_t> unscaled;
    std::int32_t scale = 0;
    bool operator==(const decimal_value&) const = default;
};

// Months, days and nanoseconds, all >= 0 or all <= 0. Each travels as a zigzag [vint] (v5 spec 3).
struct duration_value {
    std::int32_t months = 0;
    std::int32_t days = 0;
    std::int64_t nanoseconds = 0;
    bool same_signs() const noexcept {
        return (months >= 0 && days >= 0 && nanoseconds >= 0) || (months <= 0 && days <= 0 && nanoseconds <= 0);
    }
    bool operator==(const duration_value&) const = default;
};

// Days since -5877641-06-23: 2^31 is 1970-01-01.
struct cql_date {
    static constexpr std::uint32_t epoch = 1u << 31;
    std::uint32_t days = epoch;
    static cql_date from_days_since_epoch(std::int32_t d) noexcept {
        return {static_cast<std::uint32_t>(static_cast<std::int64_t>(d) + epoch)};
    }
    bool operator==(const cql_date&) const = default;
};

// Nanoseconds since midnight, 0 .. max.
struct cql_time {
    static constexpr std::int64_t max = 86'399'999'999'999;
    std::int64_t nanos = 0;
    bool operator==(const cql_time&) const = default;
};

struct cql_value;
using cql_list = std::vector<cql_value>;                      // list, set, tuple, udt
using cql_map = std::vector<std::pair<cql_value, cql_value>>;  // map, in wire order

// One CQL value. The alternative is the wire representation; the data_type it travels with
// decides the rest: bigint/counter/timestamp -> int64_t; ascii/varchar -> string; blob and custom
// types other than duration -> vector<uint8_t>; uuid/timeuuid -> uuid_bytes; inet -> inet_address
// (port unused); list/set/tuple/udt -> cql_list (tuple and udt elements may be null); map -> cql_map;
// vector<T, n> -> cql_list of exactly n non-null T values (encode says vector_dimension otherwise).
struct cql_value {
    using variant_type =
        std::variant<null_value, unset_value_t, bool, std::int8_t, std::int16_t, std::int32_t, std::int64_t, float,
                     double, std::string, std::vector<std::uint8_t>, uuid_bytes, inet_address, decimal_value,
                     varint_value, duration_value, cql_date, cql_time, cql_list, cql_map>;
    variant_type v;

    cql_value() noexcept = default;  // null
    // From any alternative: cql_value{std::int64_t{5}}, cql_value{std::string("a")}, cql_value{cql_list{...}}.
    // A plain int literal is an int32_t; narrowing conversions do not compile.
    template <class T>
        requires(!std::same_as<std::remove_cvref_t<T>, cql_value> && std::is_constructible_v<variant_type, T &&>)
    cql_value(T&& x) : v(std::forward<T>(x)) {}  // NOLINT: implicit on purpose

    static cql_value null() { return {}; }
    static cql_value unset() { return cql_value{unset_value_t{}}; }
    static cql_value text(std::string_view s) { return cql_value{std::string(s)}; }
    static cql_value blob(bytes_view b) { return cql_value{std::vector<std::uint8_t>(b.begin(), b.end())}; }
    static cql_value list(cql_list l) { return cql_value{std::move(l)}; }
    static cql_value map(cql_map m) { return cql_value{std::move(m)}; }

    bool is_null() const noexcept { return std::holds_alternative<null_value>(v); }
    bool is_unset() const noexcept { return std::holds_alternative<unset_value_t>(v); }
    template <class T>
    const T* get_if() const noexcept {
        return std::get_if<T>(&v);
    }

    // Same alternative and same value; float and double compare by bits (NaN equals itself, -0 != 0).
    bool operator==(const cql_value& o) const noexcept;
};

// Appends a whole [value]: [int] length then content; null is -1 and unset -2 (unset does not exist
// in v3: unsupported_by_version). The value must match the type (else invalid_value; types v3 lacks:
// unsupported_by_version). On error nothing is appended.
[[nodiscard]] std::error_code encode_value(byte_writer& w, const data_type& t, const cql_value& v,
                                           protocol_version ver);

// Decodes the content of one cell whose length was already read: the span is exactly the cell.
// An empty cell of a type that is neither text, blob nor a collection is null (spec section 6:
// "empty" legacy values). out is untouched on error.
[[nodiscard]] std::error_code decode_cell(bytes_view cell, const data_type& t, protocol_version ver, cql_value& out);

// Reads a [bytes] cell (negative length: null_value) and decodes it; errors are sticky in r.
cql_value read_value(byte_reader& r, const data_type& t, protocol_version ver);

// Allocation-free [value] writers for the hot path (the client encodes EXECUTE values straight
// into the frame buffer). Text must be valid UTF-8 (see is_valid_utf8) and under 2 GiB.
void write_boolean_cell(byte_writer& w, bool v);
void write_int_cell(byte_writer& w, std::int32_t v);
void write_bigint_cell(byte_writer& w, std::int64_t v);  // bigint, counter, timestamp
void write_double_cell(byte_writer& w, double v);
void write_text_cell(byte_writer& w, std::string_view v);
void write_uuid_cell(byte_writer& w, const uuid_bytes& v);
void write_blob_cell(byte_writer& w, bytes_view v);

// Strict RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
bool is_valid_utf8(std::string_view s) noexcept;
// How many bytes at the start of s are valid UTF-8 (s.size() when all are): where the first bad
// sequence begins.
std::size_t valid_utf8_prefix(std::string_view s) noexcept;
bool is_ascii(std::string_view s) noexcept;  // every byte < 0x80

// [unsigned vint] and zigzag [vint] (native_protocol_v5.spec section 3), used by duration.
void write_unsigned_vint(byte_writer& w, std::uint64_t v);
void write_vint(byte_writer& w, std::int64_t v);
std::uint64_t read_unsigned_vint(byte_reader& r) noexcept;
std::int64_t read_vint(byte_reader& r) noexcept;

// Diagnostics rendering in CQL literal style: 1, 'it''s', 0xcafe, [1, 2], {'a': 1}, (1, null),
// {f: 1}, 2021-03-04, 12:34:56.000000000, 1mo2d3ns. A value not matching its type shows as "<invalid>".
std::string to_string(const data_type& t, const cql_value& v);

}  // namespace cql::protocol
