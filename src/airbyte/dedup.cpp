#include "airbyte/dedup.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>

#include "airbyte/json.hpp"

namespace airbyte {

namespace {

void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
    for (int i = 7; i >= 0; --i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}
void put_i64(std::vector<std::uint8_t>& out, std::int64_t v) { put_u64(out, static_cast<std::uint64_t>(v) ^ (1ull << 63)); }
void put_double(std::vector<std::uint8_t>& out, double d) {
    if (d == 0) d = 0;  // -0 == 0
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    // Negative: flip every bit; positive: flip the sign bit. Then unsigned order is numeric order.
    put_u64(out, (bits >> 63) ? ~bits : bits ^ (1ull << 63));
}
void put_escaped(std::vector<std::uint8_t>& out, std::string_view s) {
    for (unsigned char c : s) {
        out.push_back(c);
        if (c == 0) out.push_back(0xFF);
    }
    out.push_back(0);
    out.push_back(0);
}

enum tag : std::uint8_t { missing = 0, false_ = 1, true_ = 2, number = 3, date_time = 4, string = 5, composite = 6 };

}  // namespace

std::vector<std::uint8_t> order_key(const rapidjson::Value* c, std::int64_t emitted_at_ms) {
    std::vector<std::uint8_t> out;
    out.reserve(32);
    if (!c || c->IsNull()) {
        out.push_back(missing);
    } else if (c->IsBool()) {
        out.push_back(c->GetBool() ? true_ : false_);
    } else if (c->IsNumber()) {
        out.push_back(number);
        put_double(out, c->GetDouble());
        // Then the exact integer, so integers beyond 2^53 (where doubles round) still compare
        // exactly: a sign byte and the value. A double with an integral value gets the same suffix
        // as the equal integer (1.0 and 1 tie); other doubles differ from every integer already.
        const double d = c->GetDouble();
        if (c->IsInt64() && c->GetInt64() < 0) {
            out.push_back(0);
            put_i64(out, c->GetInt64());
        } else if (c->IsUint64()) {
            out.push_back(1);
            put_u64(out, c->GetUint64());
        } else if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 0) {
            out.push_back(0);
            put_i64(out, static_cast<std::int64_t>(d));
        } else if (std::trunc(d) == d && d >= 0 && d < 18446744073709551616.0) {
            out.push_back(1);
            put_u64(out, static_cast<std::uint64_t>(d));
        } else {
            out.push_back(2);  // fractional, or beyond 64 bits
        }
    } else if (c->IsString()) {
        std::string_view s(c->GetString(), c->GetStringLength());
        std::int32_t nanos = 0;
        if (auto ms = parse_iso8601_millis(s, nanos)) {
            out.push_back(date_time);
            put_i64(out, *ms);
            put_i64(out, nanos);
        } else {
            out.push_back(string);
            put_escaped(out, s);
        }
    } else {
        out.push_back(composite);
        put_escaped(out, to_json(*c));
    }
    put_i64(out, emitted_at_ms);
    return out;
}

std::optional<std::string> key_value(const rapidjson::Value& data, const key_column& k, cql::cql_value& out) {
    const auto* v = at_path(data, k.path);
    if (!v || v->IsNull()) return "primary key field " + json_quote(k.column) + " is missing or null";
    switch (k.type) {
        case key_type::bigint:
            if (v->IsInt64()) {
                out = cql::cql_value{v->GetInt64()};
                return std::nullopt;
            }
            if (v->IsString()) {  // integers sent as strings
                std::string s(v->GetString(), v->GetStringLength());
                char* end = nullptr;
                errno = 0;
                long long x = std::strtoll(s.c_str(), &end, 10);
                if (!s.empty() && !*end && !errno && (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-')) {
                    out = cql::cql_value{static_cast<std::int64_t>(x)};
                    return std::nullopt;
                }
            }
            return "primary key field " + json_quote(k.column) + " is not a 64-bit integer: " + to_json(*v);
        case key_type::double_:
            if (v->IsNumber()) {
                out = cql::cql_value{v->GetDouble()};
                return std::nullopt;
            }
            return "primary key field " + json_quote(k.column) + " is not a number: " + to_json(*v);
        case key_type::boolean:
            if (v->IsBool()) {
                out = cql::cql_value{v->GetBool()};
                return std::nullopt;
            }
            return "primary key field " + json_quote(k.column) + " is not a boolean: " + to_json(*v);
        case key_type::text:
            if (v->IsString()) out = cql::cql_value{std::string(v->GetString(), v->GetStringLength())};
            else out = cql::cql_value{to_json(*v)};  // numbers, objects: their JSON text
            return std::nullopt;
    }
    return "unknown key type";
}

}  // namespace airbyte
