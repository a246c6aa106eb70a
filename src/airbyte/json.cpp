#include "airbyte/json.hpp"

#include <rapidjson/error/en.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace airbyte {

std::optional<std::string> parse_json(std::string_view text, rapidjson::Document& doc) {
    doc.Parse<strict_parse_flags>(text.data(), text.size());
    if (!doc.HasParseError()) return std::nullopt;
    return std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " (at byte " +
           std::to_string(doc.GetErrorOffset()) + ")";
}

namespace {

// The JSON number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
bool valid_json_number(std::string_view t) {
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t from = i;
        while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
        return i > from;
    };
    if (i < t.size() && t[i] == '-') ++i;
    if (i < t.size() && t[i] == '0') ++i;
    else if (!digits()) return false;
    if (i < t.size() && t[i] == '.') {
        ++i;
        if (!digits()) return false;
    }
    if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
        ++i;
        if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == t.size();
}

}  // namespace

std::string rewrite_big_numbers(std::string_view line, const std::function<void(std::string_view, std::string&)>& replace) {
    std::string out;
    out.reserve(line.size());
    bool in_string = false;
    for (std::size_t i = 0; i < line.size();) {
        const char c = line[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < line.size()) out += line[++i];
            else if (c == '"') in_string = false;
            ++i;
            continue;
        }
        if (c == '"') {
            in_string = true;
            out += c;
            ++i;
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            std::size_t j = i;
            while (j < line.size() && (std::strchr("+-.eE", line[j]) || (line[j] >= '0' && line[j] <= '9'))) ++j;
            const std::string_view tok = line.substr(i, j - i);
            const auto e = tok.find_first_of("eE");
            std::size_t digits = 0;
            for (char d : tok.substr(0, e)) digits += d >= '0' && d <= '9';
            long exp = 0;
            if (e != std::string_view::npos) exp = std::strtol(std::string(tok.substr(e + 1)).c_str(), nullptr, 10);
            if (valid_json_number(tok) && (digits > 300 || exp > 300 || exp < -300)) {
                replace(tok, out);
            } else {
                out.append(tok);
            }
            i = j;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}


std::optional<std::string> parse_json_lenient_numbers(std::string_view text, rapidjson::Document& doc) {
    if (!parse_json(text, doc)) return std::nullopt;
    if (doc.GetParseError() != rapidjson::kParseErrorNumberTooBig) return parse_json(text, doc);
    const std::string rewritten = rewrite_big_numbers(text, [](std::string_view tok, std::string& out) {
        // The nearest double; beyond its range the largest one of that sign, and 0 below it.
        double x = std::strtod(std::string(tok).c_str(), nullptr);
        if (std::isinf(x)) x = std::copysign(std::numeric_limits<double>::max(), x);
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.17g", x);
        out += buf;
    });
    return parse_json(rewritten, doc);
}

std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
    return std::string(buf.GetString(), buf.GetSize());
}

std::string json_quote(std::string_view s) {
    rapidjson::StringBuffer buf;
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(buf.GetString(), buf.GetSize());
}

std::string join_path(const std::vector<std::string>& path, char sep) {
    std::string out;
    for (const auto& p : path) {
        if (!out.empty()) out += sep;
        out += p;
    }
    return out;
}

std::optional<std::string> find_repeated_key(const rapidjson::Value& root) {
    std::vector<std::pair<const rapidjson::Value*, std::string>> todo{{&root, ""}};
    std::vector<std::string_view> keys;
    while (!todo.empty()) {
        auto [v, path] = todo.back();
        todo.pop_back();
        if (v->IsArray()) {
            for (rapidjson::SizeType i = 0; i < v->Size(); ++i) todo.emplace_back(&(*v)[i], path + "[" + std::to_string(i) + "]");
            continue;
        }
        if (!v->IsObject()) continue;
        keys.clear();
        for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
            const std::string_view key(it->name.GetString(), it->name.GetStringLength());
            const std::string here = path.empty() ? std::string(key) : path + "." + std::string(key);
            if (std::find(keys.begin(), keys.end(), key) != keys.end()) return here;
            keys.push_back(key);
            todo.emplace_back(&it->value, here);
        }
    }
    return std::nullopt;
}

const rapidjson::Value* member(const rapidjson::Value& obj, std::string_view name) {
    if (!obj.IsObject()) return nullptr;
    // A repeated key: the last one counts, as in most JSON readers (Python's, JavaScript's).
    const rapidjson::Value* found = nullptr;
    for (auto it = obj.MemberBegin(); it != obj.MemberEnd(); ++it)
        if (std::string_view(it->name.GetString(), it->name.GetStringLength()) == name) found = &it->value;
    return found;
}

const rapidjson::Value* at_path(const rapidjson::Value& obj, const std::vector<std::string>& path) {
    const rapidjson::Value* v = &obj;
    for (const auto& step : path) {
        v = member(*v, step);
        if (!v) return nullptr;
    }
    return v;
}

namespace {

bool digits(std::string_view s, std::size_t at, std::size_t n, int& out) {
    if (at + n > s.size()) return false;
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
        if (s[i] < '0' || s[i] > '9') return false;
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

}  // namespace

std::optional<std::int64_t> parse_iso8601_millis(std::string_view s) {
    std::int32_t ignored = 0;
    return parse_iso8601_millis(s, ignored);
}

std::optional<std::int64_t> parse_iso8601_millis(std::string_view s, std::int32_t& sub_ms_nanos) {
    sub_ms_nanos = 0;
    int y, mo, d;
    if (!digits(s, 0, 4, y) || s.size() < 10 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d))
        return std::nullopt;
    static constexpr int month_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days[mo - 1] + (mo == 2 && leap ? 1 : 0)) return std::nullopt;
    std::int64_t ms = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86'400'000;
    if (s.size() == 10) return ms;
    if (s[10] != 'T' && s[10] != 't' && s[10] != ' ') return std::nullopt;
    int h, mi, sec = 0;
    if (!digits(s, 11, 2, h) || s.size() < 16 || s[13] != ':' || !digits(s, 14, 2, mi)) return std::nullopt;
    std::size_t at = 16;
    if (at < s.size() && s[at] == ':') {
        if (!digits(s, at + 1, 2, sec)) return std::nullopt;
        at += 3;
    }
    if (h > 23 || mi > 59 || sec > 60) return std::nullopt;
    ms += (h * 3600 + mi * 60 + sec) * std::int64_t{1000};
    if (at < s.size() && (s[at] == '.' || s[at] == ',')) {
        ++at;
        std::int64_t nanos = 0;
        int n = 0;
        while (at < s.size() && s[at] >= '0' && s[at] <= '9') {
            if (n < 9) nanos = nanos * 10 + (s[at] - '0');
            ++n, ++at;
        }
        if (n == 0 || n > 9) return std::nullopt;
        for (int i = n; i < 9; ++i) nanos *= 10;
        ms += nanos / 1'000'000;
        sub_ms_nanos = static_cast<std::int32_t>(nanos % 1'000'000);
    }
    if (at == s.size()) return ms;  // no zone: read as UTC
    if ((s[at] == 'Z' || s[at] == 'z') && at + 1 == s.size()) return ms;
    if (s[at] == '+' || s[at] == '-') {
        int oh, om = 0;
        if (!digits(s, at + 1, 2, oh)) return std::nullopt;
        std::size_t end = at + 3;
        const bool colon = end < s.size() && s[end] == ':';
        if (colon) ++end;
        if (end < s.size() || colon) {
            if (!digits(s, end, 2, om)) return std::nullopt;
            end += 2;
        }
        if (end != s.size() || oh > 23 || om > 59) return std::nullopt;
        const std::int64_t off = (oh * 60 + om) * std::int64_t{60'000};
        return s[at] == '+' ? ms - off : ms + off;
    }
    return std::nullopt;
}

}  // namespace airbyte
