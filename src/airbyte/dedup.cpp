#include "airbyte/dedup.hpp"

#include <algorithm>
#include <cmath>

#include "airbyte/json.hpp"

namespace airbyte {

namespace {
std::int64_t clamp_rank(std::int64_t v) noexcept { return std::clamp(v, -cursor_rank_limit, cursor_rank_limit - 1); }
std::int64_t clamp_rank(double v) noexcept {
    if (std::isnan(v)) return -cursor_rank_limit;
    v = std::floor(v);
    if (v <= static_cast<double>(-cursor_rank_limit)) return -cursor_rank_limit;
    if (v >= static_cast<double>(cursor_rank_limit - 1)) return cursor_rank_limit - 1;
    return static_cast<std::int64_t>(v);
}
}  // namespace

std::int64_t cursor_rank(const rapidjson::Value* c) noexcept {
    if (!c || c->IsNull()) return -cursor_rank_limit;
    if (c->IsBool()) return c->GetBool() ? 1 : 0;
    if (c->IsInt64()) return clamp_rank(c->GetInt64());
    if (c->IsUint64()) return cursor_rank_limit - 1;
    if (c->IsNumber()) return clamp_rank(c->GetDouble());
    if (c->IsString()) {
        std::string_view s(c->GetString(), c->GetStringLength());
        if (auto ms = parse_iso8601_millis(s)) return clamp_rank(*ms);
        std::int64_t v = 0;
        for (std::size_t i = 0; i < 5; ++i) v = (v << 8) | (i < s.size() ? static_cast<unsigned char>(s[i]) : 0);
        return v;  // < 2^40
    }
    return -cursor_rank_limit;  // objects and arrays do not order
}

std::int64_t dedup_timestamp(const rapidjson::Value* cursor, bool has_cursor, std::int64_t emitted_at_ms) noexcept {
    if (!has_cursor) return std::clamp<std::int64_t>(emitted_at_ms, 0, std::int64_t{1} << 50) * 1000;
    const std::int64_t hours = std::clamp<std::int64_t>(emitted_at_ms / 3'600'000, 0, (1 << 20) - 1);
    return cursor_rank(cursor) * (std::int64_t{1} << 20) + hours;
}

std::optional<std::string> key_value(const rapidjson::Value& data, const key_column& k, cql::protocol::cql_value& out) {
    const auto* v = at_path(data, k.path);
    if (!v || v->IsNull()) return "primary key field " + json_quote(k.column) + " is missing or null";
    switch (k.type) {
        case key_type::bigint:
            if (v->IsInt64()) {
                out = cql::protocol::cql_value{v->GetInt64()};
                return std::nullopt;
            }
            if (v->IsString()) {  // integers sent as strings
                std::string s(v->GetString(), v->GetStringLength());
                char* end = nullptr;
                errno = 0;
                long long x = std::strtoll(s.c_str(), &end, 10);
                if (!s.empty() && !*end && !errno) {
                    out = cql::protocol::cql_value{static_cast<std::int64_t>(x)};
                    return std::nullopt;
                }
            }
            return "primary key field " + json_quote(k.column) + " is not a 64-bit integer: " + to_json(*v);
        case key_type::double_:
            if (v->IsNumber()) {
                out = cql::protocol::cql_value{v->GetDouble()};
                return std::nullopt;
            }
            return "primary key field " + json_quote(k.column) + " is not a number: " + to_json(*v);
        case key_type::boolean:
            if (v->IsBool()) {
                out = cql::protocol::cql_value{v->GetBool()};
                return std::nullopt;
            }
            return "primary key field " + json_quote(k.column) + " is not a boolean: " + to_json(*v);
        case key_type::text:
            if (v->IsString()) out = cql::protocol::cql_value{std::string(v->GetString(), v->GetStringLength())};
            else out = cql::protocol::cql_value{to_json(*v)};  // numbers, objects: their JSON text
            return std::nullopt;
    }
    return "unknown key type";
}

}  // namespace airbyte
