#include "airbyte/typed_values.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "airbyte/json.hpp"

namespace airbyte::typed {

const char* fit_reason(fit f) noexcept {
    return f == fit::size_limitation ? "DESTINATION_FIELD_SIZE_LIMITATION" : "DESTINATION_SERIALIZATION_ERROR";
}

namespace {

// value = digits * 10^exp10; digits without leading zeros (empty: zero).
struct parsed_number {
    bool negative = false;
    std::string digits;
    std::int64_t exp10 = 0;
    bool huge_exponent = false;  // |exponent| beyond 10^15: no column holds it
};

void parse_number(std::string_view t, parsed_number& p) {
    std::size_t i = 0;
    p.negative = i < t.size() && t[i] == '-';
    if (p.negative) ++i;
    p.digits.clear();
    p.exp10 = 0;
    p.huge_exponent = false;
    auto take = [&](char c) {
        if (!p.digits.empty() || c != '0') p.digits += c;
    };
    for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) take(t[i]);
    if (i < t.size() && t[i] == '.')
        for (++i; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
            take(t[i]);
            --p.exp10;
        }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        const bool neg = i < t.size() && t[i] == '-';
        if (i < t.size() && (t[i] == '-' || t[i] == '+')) ++i;
        std::int64_t e = 0;
        for (; i < t.size() && t[i] >= '0' && t[i] <= '9'; ++i) {
            if (e > 1'000'000'000'000'000) p.huge_exponent = true;
            else e = e * 10 + (t[i] - '0');
        }
        p.exp10 += neg ? -e : e;
    }
}

// Drops trailing zeros of the digits into the exponent.
void strip_trailing_zeros(parsed_number& p) {
    std::size_t n = p.digits.size();
    while (n > 0 && p.digits[n - 1] == '0') --n;
    p.exp10 += static_cast<std::int64_t>(p.digits.size() - n);
    p.digits.resize(n);
}

}  // namespace

std::vector<std::uint8_t> varint_from_digits(std::string_view digits, bool negative) {
    // Little-endian base-2^32 limbs, nine decimal digits at a time.
    std::vector<std::uint32_t> limbs;
    static constexpr std::uint32_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};
    for (std::size_t at = 0; at < digits.size();) {
        const std::size_t n = std::min<std::size_t>(9, digits.size() - at);
        std::uint64_t carry = 0;
        for (std::size_t k = 0; k < n; ++k) carry = carry * 10 + static_cast<std::uint64_t>(digits[at + k] - '0');
        at += n;
        for (auto& l : limbs) {
            const std::uint64_t x = std::uint64_t{l} * pow10[n] + carry;
            l = static_cast<std::uint32_t>(x);
            carry = x >> 32;
        }
        if (carry) limbs.push_back(static_cast<std::uint32_t>(carry));
    }
    std::vector<std::uint8_t> mag;
    mag.reserve(limbs.size() * 4 + 1);
    mag.push_back(0);  // room for the sign bit
    for (auto it = limbs.rbegin(); it != limbs.rend(); ++it)
        for (int s = 24; s >= 0; s -= 8) mag.push_back(static_cast<std::uint8_t>(*it >> s));
    if (negative) {  // two's complement: invert and add one
        for (auto& b : mag) b = static_cast<std::uint8_t>(~b);
        for (auto it = mag.rbegin(); it != mag.rend(); ++it)
            if (++*it != 0) break;
    }
    // Minimal form: drop a leading byte that only repeats the sign of the next one.
    const std::uint8_t pad = negative && limbs.size() ? 0xFF : 0x00;
    std::size_t drop = 0;
    while (drop + 1 < mag.size() && mag[drop] == pad && ((mag[drop + 1] & 0x80) != 0) == (pad == 0xFF)) ++drop;
    mag.erase(mag.begin(), mag.begin() + static_cast<std::ptrdiff_t>(drop));
    return mag;
}

fit number_to_decimal(std::string_view number, bool canonical, cql::decimal_value& out) {
    thread_local parsed_number p;
    parse_number(number, p);
    if (p.digits.empty()) {  // zero: keep the scale written when it is sane
        out.unscaled.assign(1, 0);
        out.scale = !canonical && !p.huge_exponent && p.exp10 <= 0 && p.exp10 > -1000 ? static_cast<std::int32_t>(-p.exp10) : 0;
        return fit::ok;
    }
    if (p.huge_exponent || p.digits.size() > max_decimal_digits) return fit::size_limitation;
    if (canonical) {
        if (p.exp10 < 0) {
            strip_trailing_zeros(p);
            if (p.exp10 > 0) {  // "100.0": the zeros go back as integer digits
                p.digits.append(static_cast<std::size_t>(p.exp10), '0');
                p.exp10 = 0;
            }
        } else if (p.exp10 > 0) {
            if (p.digits.size() + static_cast<std::uint64_t>(p.exp10) > max_decimal_digits) return fit::size_limitation;
            p.digits.append(static_cast<std::size_t>(p.exp10), '0');
            p.exp10 = 0;
        }
    }
    // Cassandra's scale is an int32.
    if (p.exp10 > 2147483647LL || -p.exp10 > 2147483647LL) return fit::size_limitation;
    out.scale = static_cast<std::int32_t>(-p.exp10);
    out.unscaled = varint_from_digits(p.digits, p.negative);
    return fit::ok;
}

fit number_to_bigint(std::string_view number, std::int64_t& out) {
    thread_local parsed_number p;
    parse_number(number, p);
    if (p.digits.empty()) {
        out = 0;
        return fit::ok;
    }
    if (p.exp10 < 0) strip_trailing_zeros(p);
    if (p.exp10 < 0) return fit::serialization_error;  // a fraction
    if (p.huge_exponent || p.digits.size() + static_cast<std::uint64_t>(p.exp10) > 19) return fit::size_limitation;
    std::uint64_t v = 0;
    for (char c : p.digits) v = v * 10 + static_cast<std::uint64_t>(c - '0');
    for (std::int64_t i = 0; i < p.exp10; ++i) {
        if (v > 1'844'674'407'370'955'161ULL) return fit::size_limitation;
        v *= 10;
    }
    const std::uint64_t limit = p.negative ? (1ULL << 63) : (1ULL << 63) - 1;
    if (v > limit) return fit::size_limitation;
    out = p.negative ? static_cast<std::int64_t>(0 - v) : static_cast<std::int64_t>(v);
    return fit::ok;
}

namespace {

// A well-formed date or date-time whose year has a sign or more than four digits ("+10000-01-01",
// "-0001-12-31T10:00Z"): out of every column's range rather than malformed.
bool expanded_year(std::string_view s) {
    std::size_t i = !s.empty() && (s[0] == '+' || s[0] == '-') ? 1 : 0;
    std::size_t n = 0;
    while (i + n < s.size() && s[i + n] >= '0' && s[i + n] <= '9') ++n;
    if (n < 4 || (i == 0 && n == 4) || n > 40) return false;
    std::string normal = "2000";  // a leap year: 02-29 stays valid
    normal.append(s.substr(i + n));
    return parse_iso8601_millis(normal).has_value();
}

constexpr std::int64_t ms_per_day = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

fit string_to_timestamp(std::string_view s, std::int64_t& ms) {
    const auto v = parse_iso8601_millis(s);
    if (!v) return expanded_year(s) ? fit::size_limitation : fit::serialization_error;
    if (*v < min_timestamp_ms || *v > max_timestamp_ms) return fit::size_limitation;
    ms = *v;
    return fit::ok;
}

fit string_to_date(std::string_view s, cql::cql_date& out) {
    if (!parse_iso8601_millis(s) || s.size() < 10) return expanded_year(s) ? fit::size_limitation : fit::serialization_error;
    const auto day = parse_iso8601_millis(s.substr(0, 10));  // the date as written, before any zone
    if (!day || *day < min_timestamp_ms || *day > max_timestamp_ms) return fit::size_limitation;
    out = cql::cql_date::from_days_since_epoch(static_cast<std::int32_t>(*day / ms_per_day));
    return fit::ok;
}

fit string_to_time(std::string_view s, cql::cql_time& out) {
    // Read as the time of 1970-01-02 (so an offset never leaves the representable range).
    char buf[64] = "1970-01-02T";
    constexpr std::size_t prefix = 11;
    if (s.size() < 5 || s.size() + prefix >= sizeof buf || s[2] != ':') return fit::serialization_error;
    std::memcpy(buf + prefix, s.data(), s.size());
    std::int32_t sub_ms = 0;
    const auto ms = parse_iso8601_millis(std::string_view(buf, prefix + s.size()), sub_ms);
    if (!ms) return fit::serialization_error;
    const std::int64_t of_day = *ms - floor_div(*ms, ms_per_day) * ms_per_day;
    out.nanos = of_day * 1'000'000 + sub_ms;
    return fit::ok;
}

}  // namespace airbyte::typed
