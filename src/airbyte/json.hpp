// Small JSON helpers over RapidJSON for the connector: strict parsing (valid UTF-8, one value per
// text, no recursion limit problems), compact writing, and field access that names the field in
// its error messages.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace airbyte {

// Iterative (no recursion on deep nesting) and strict about UTF-8 and trailing bytes.
constexpr unsigned strict_parse_flags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

// Parses a whole text into doc; on failure returns a message with the byte offset.
std::optional<std::string> parse_json(std::string_view text, rapidjson::Document& doc);

// The same, but a number RapidJSON refuses (see rewrite_big_numbers) becomes the nearest double,
// the largest double of its sign beyond that range (1e400 and 1e500 compare equal), 0 below it: for
// reading keys and cursors out of data whose other fields may hold such numbers.
std::optional<std::string> parse_json_lenient_numbers(std::string_view text, rapidjson::Document& doc);

// Copies text, passing each number token with more than 300 digits or an exponent beyond +-300
// (which RapidJSON refuses as too big, even as a raw number) to replace, which appends its
// replacement to out. Strings are copied untouched.
std::string rewrite_big_numbers(std::string_view text, const std::function<void(std::string_view tok, std::string& out)>& replace);

std::string to_json(const rapidjson::Value& v);
// A JSON string literal, quotes included.
std::string json_quote(std::string_view s);
// "a.b" style path for messages.
std::string join_path(const std::vector<std::string>& path, char sep = '.');

// The path ("streams[0].stream.name") of the first key that repeats within one object, if any.
std::optional<std::string> find_repeated_key(const rapidjson::Value& v);

// The member named name (the last one when the key repeats); nullptr when obj is not an object.
const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view name);
// Follows a path of object keys; nullptr if any step is missing or not an object.
const rapidjson::Value* at_path(const rapidjson::Value& obj, const std::vector<std::string>& path);

// Reads a JSON string as an ISO-8601 date or date-time ("2024-01-31", "2024-01-31T10:00:00.123+02:00",
// a space instead of 'T', 'Z' or an offset, up to 9 fraction digits) into milliseconds since the epoch.
std::optional<std::int64_t> parse_iso8601_millis(std::string_view s);
// The same, also giving the nanoseconds below the millisecond (0..999999).
std::optional<std::int64_t> parse_iso8601_millis(std::string_view s, std::int32_t& sub_ms_nanos);

}  // namespace airbyte
