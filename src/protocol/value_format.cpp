// Human-readable rendering of values for diagnostics and test failures, close to CQL literals.
#include <charconv>
#include <cmath>
#include <cstdio>

#include "protocol/value.hpp"

namespace cql::protocol {
namespace {

// Decimal digits of a two's complement big-endian integer of any length (schoolbook division).
std::string varint_digits(const std::vector<std::uint8_t>& bytes) {
    if (bytes.empty()) return "<invalid>";
    const bool negative = bytes[0] & 0x80;
    std::vector<std::uint8_t> mag(bytes);
    if (negative) {  // magnitude = two's complement negation
        bool carry = true;
        for (auto it = mag.rbegin(); it != mag.rend(); ++it) {
            *it = static_cast<std::uint8_t>(~*it + (carry ? 1 : 0));
            carry = carry && *it == 0;
        }
    }
    std::string digits;
    bool nonzero = true;
    while (nonzero) {
        unsigned rem = 0;
        nonzero = false;
        for (auto& b : mag) {
            const unsigned cur = (rem << 8) | b;
            b = static_cast<std::uint8_t>(cur / 10);
            rem = cur % 10;
            nonzero = nonzero || b != 0;
        }
        digits.insert(digits.begin(), static_cast<char>('0' + rem));
    }
    return negative ? "-" + digits : digits;
}

std::string decimal_text(const decimal_value& d) {
    std::string digits = varint_digits(d.unscaled);
    const bool negative = !digits.empty() && digits[0] == '-';
    if (negative) digits.erase(0, 1);
    const std::string sign = negative ? "-" : "";
    // A plain point only for modest scales: a huge scale would print megabytes of zeros.
    if (d.scale == 0) return sign + digits;
    if (d.scale < 0 || d.scale > 64) {
        const std::int64_t exponent = -std::int64_t{d.scale};
        return sign + digits + "E" + (exponent > 0 ? "+" : "") + std::to_string(exponent);
    }
    const auto scale = static_cast<std::size_t>(d.scale);
    if (digits.size() <= scale) digits.insert(0, scale - digits.size() + 1, '0');
    digits.insert(digits.size() - scale, 1, '.');
    return sign + digits;
}

template <class F>
std::string float_text(F x) {
    if (std::isnan(x)) return "NaN";
    if (std::isinf(x)) return x < 0 ? "-Infinity" : "Infinity";
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, x);
    return std::string(buf, res.ptr);
}

// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
std::string civil_date(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const std::int64_t doe = z - era * 146097;
    const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const std::int64_t mp = (5 * doy + 2) / 153;
    const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld", static_cast<long long>(y), static_cast<long long>(m),
                  static_cast<long long>(d));
    return buf;
}

std::string time_of_day(std::int64_t nanos, int fraction_digits) {
    const std::int64_t secs = nanos / 1'000'000'000;
    char buf[96];
    std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
    std::string s = buf;
    if (fraction_digits == 9) std::snprintf(buf, sizeof buf, ".%09lld", static_cast<long long>(nanos % 1'000'000'000));
    else std::snprintf(buf, sizeof buf, ".%03lld", static_cast<long long>(nanos % 1'000'000'000 / 1'000'000));
    return s + buf;
}

std::string timestamp_text(std::int64_t ms) {
    const std::int64_t day_ms = 86'400'000;
    std::int64_t days = ms / day_ms, rest = ms % day_ms;
    if (rest < 0) {
        rest += day_ms;
        --days;
    }
    return civil_date(days) + "T" + time_of_day(rest * 1'000'000, 3) + "Z";
}

std::string duration_text(const duration_value& d) {
    const bool negative = d.months < 0 || d.days < 0 || d.nanoseconds < 0;
    auto mag = [](std::int64_t x) { return x < 0 ? 0 - static_cast<std::uint64_t>(x) : static_cast<std::uint64_t>(x); };
    std::string s = negative ? "-" : "";
    auto part = [&](std::uint64_t n, const char* unit) {
        if (n) s += std::to_string(n) + unit;
    };
    part(mag(d.months) / 12, "y");
    part(mag(d.months) % 12, "mo");
    part(mag(d.days), "d");
    const std::uint64_t ns = mag(d.nanoseconds);
    part(ns / 3'600'000'000'000, "h");
    part(ns / 60'000'000'000 % 60, "m");
    part(ns / 1'000'000'000 % 60, "s");
    part(ns / 1'000'000 % 1000, "ms");
    part(ns / 1000 % 1000, "us");
    part(ns % 1000, "ns");
    return s == "" || s == "-" ? "0s" : s;
}

std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
    return out + "'";
}

std::string hex_of(bytes_view b) {
    static const char* digits = "0123456789abcdef";
    std::string s = "0x";
    for (auto x : b) {
        s += digits[x >> 4];
        s += digits[x & 15];
    }
    return s;
}

std::string uuid_text(const uuid_bytes& u) {
    std::string h = hex_of(u).substr(2);
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

std::string render(const data_type& t, const cql_value& v, int depth);

std::string render_composite(const data_type& t, const cql_value& v, int depth) {
    if (const auto* m = v.get_if<cql_map>()) {
        if (t.children.size() != 2) return "<invalid>";
        std::string s = "{";
        for (std::size_t i = 0; i < m->size(); ++i)
            s += (i ? ", " : "") + render(t.children[0], (*m)[i].first, depth + 1) + ": " +
                 render(t.children[1], (*m)[i].second, depth + 1);
        return s + "}";
    }
    const auto* l = v.get_if<cql_list>();
    if (!l) return "<invalid>";
    const bool is_udt = t.id == type_id::udt, is_fields = is_udt || t.id == type_id::tuple;
    if ((is_fields && l->size() > t.children.size()) || (!is_fields && t.children.size() != 1)) return "<invalid>";
    const bool square = t.id == type_id::list || t.id == type_id::vector;
    std::string s = square ? "[" : is_udt || t.id == type_id::set ? "{" : "(";
    for (std::size_t i = 0; i < l->size(); ++i) {
        const data_type& et = is_fields ? t.children[i] : t.children[0];
        std::string name = is_udt && i < t.field_names.size() ? t.field_names[i] + ": " : "";
        s += (i ? ", " : "") + name + render(et, (*l)[i], depth + 1);
    }
    return s + (square ? "]" : is_udt || t.id == type_id::set ? "}" : ")");
}

std::string render_scalar(const cql_value& v) {
    return std::visit(
        [](const auto& x) -> std::string {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, bool>) return x ? "true" : "false";
            else if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) return float_text(x);
            else if constexpr (std::is_integral_v<T>) return std::to_string(x);
            else if constexpr (std::is_same_v<T, std::string>) return quoted(x);
            else if constexpr (std::is_same_v<T, std::vector<std::uint8_t>>) return hex_of(x);
            else if constexpr (std::is_same_v<T, uuid_bytes>) return uuid_text(x);
            else if constexpr (std::is_same_v<T, inet_address>) return x.to_string();
            else if constexpr (std::is_same_v<T, varint_value>) return varint_digits(x.bytes);
            else if constexpr (std::is_same_v<T, decimal_value>) return decimal_text(x);
            else if constexpr (std::is_same_v<T, duration_value>) return duration_text(x);
            else if constexpr (std::is_same_v<T, cql_date>) return civil_date(std::int64_t{x.days} - cql_date::epoch);
            else if constexpr (std::is_same_v<T, cql_time>) return time_of_day(x.nanos, 9);
            else return "<invalid>";
        },
        v.v);
}

std::string render(const data_type& t, const cql_value& v, int depth) {
    if (v.is_null()) return "null";
    if (v.is_unset()) return "unset";
    if (depth > max_type_depth) return "...";
    switch (t.id) {
    case type_id::list:
    case type_id::set:
    case type_id::map:
    case type_id::tuple:
    case type_id::udt:
    case type_id::vector: return render_composite(t, v, depth);
    case type_id::timestamp:
        if (const auto* ms = v.get_if<std::int64_t>()) return timestamp_text(*ms);
        return "<invalid>";
    default: return render_scalar(v);
    }
}

}  // namespace

std::string to_string(const data_type& t, const cql_value& v) { return render(t, v, 0); }

}  // namespace cql::protocol
