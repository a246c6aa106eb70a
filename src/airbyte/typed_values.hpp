// The conversions of one JSON value to one typed column's CQL value (typed tables): exact numbers
// from their text, ISO-8601 dates, times and timestamps. Pure functions, used by typed_coercer.
#pragma once

#include <cstdint>
#include <string_view>

#include "cql/result.hpp"

namespace airbyte::typed {

// Whether a value fits its column; what does not fit is written as null with a meta change whose
// reason is DESTINATION_SERIALIZATION_ERROR or DESTINATION_FIELD_SIZE_LIMITATION.
enum class fit { ok, serialization_error, size_limitation };
const char* fit_reason(fit f) noexcept;

// The range of a timestamp column: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z.
constexpr std::int64_t min_timestamp_ms = -62'135'596'800'000;
constexpr std::int64_t max_timestamp_ms = 253'402'300'799'999;
// At most this many significant digits in a decimal (their conversion is quadratic).
constexpr std::size_t max_decimal_digits = 100'000;

// A JSON number's text (valid JSON number grammar) as a decimal: unscaled = its digits, scale =
// fraction digits - exponent, so "1.50" is 150 scale 2 and "1e400" is 1 scale -400. canonical
// (for key columns, where equal numbers must be equal bytes): trailing fraction zeros dropped and a
// negative scale multiplied out, so "1.50" and "1.5" are 15 scale 1, "1e2" and "100" 100 scale 0.
fit number_to_decimal(std::string_view number, bool canonical, cql::decimal_value& out);
// An integral JSON number ("42", "-7", "1.0", "1e3") as a bigint: a fraction is a serialization
// error, beyond int64 a size limitation.
fit number_to_bigint(std::string_view number, std::int64_t& out);

// ISO-8601 (see parse_iso8601_millis): "2024-01-31" (a date-time's date as written is taken too).
fit string_to_date(std::string_view s, cql::cql_date& out);
// A date or date-time, with or without a zone ('Z', +hh:mm; none: UTC), fractions kept to the ms.
fit string_to_timestamp(std::string_view s, std::int64_t& ms);
// "hh:mm[:ss[.fffffffff]]" with an optional zone; with a zone the UTC time of day.
fit string_to_time(std::string_view s, cql::cql_time& out);

// The minimal two's complement big-endian bytes of a magnitude given as decimal digits.
std::vector<std::uint8_t> varint_from_digits(std::string_view digits, bool negative);

}  // namespace airbyte::typed
