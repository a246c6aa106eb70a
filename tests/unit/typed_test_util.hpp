// Helpers of the typed-table tests: a configured stream from its schema properties, and the
// decimal digits of a varint's bytes (so tests compare numbers, not hand-made byte strings).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "airbyte/catalog.hpp"

namespace typed_test {

// One stream "s" whose json_schema has the given "properties" object.
inline airbyte::configured_stream stream(const std::string& properties, const std::string& mode = "append",
                                         const std::string& extra = "", const std::string& stream_extra = "") {
    const std::string json = R"({"streams":[{"stream":{"name":"s","json_schema":{"type":"object","properties":)" + properties + "}" +
                             (stream_extra.empty() ? "" : "," + stream_extra) + R"(},"destination_sync_mode":")" + mode + "\"" +
                             (extra.empty() ? "" : "," + extra) + "}]}";
    std::vector<airbyte::configured_stream> out;
    std::string error;
    EXPECT_TRUE(airbyte::parse_catalog(json, out, error)) << error << "\n" << json;
    return out.empty() ? airbyte::configured_stream{} : out[0];
}

// A two's complement big-endian varint as decimal digits ("-128").
inline std::string decimal_text(std::vector<std::uint8_t> b) {
    if (b.empty()) return "<empty>";
    const bool negative = b[0] & 0x80;
    if (negative) {  // magnitude: invert and add one
        for (auto& x : b) x = static_cast<std::uint8_t>(~x);
        for (auto it = b.rbegin(); it != b.rend(); ++it)
            if (++*it != 0) break;
    }
    std::string digits;
    for (bool zero = false; !zero;) {
        unsigned rem = 0;
        zero = true;
        for (auto& x : b) {
            const unsigned cur = rem * 256 + x;
            x = static_cast<std::uint8_t>(cur / 10);
            rem = cur % 10;
            if (x) zero = false;
        }
        digits.insert(digits.begin(), static_cast<char>('0' + rem));
    }
    return (negative ? "-" : "") + digits;
}

}  // namespace typed_test
