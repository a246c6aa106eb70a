#include "airbyte/compact_json.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace airbyte::compact_json {

namespace {

constexpr int max_depth = 64;

// Eight bytes at a time: a word's bytes that are '"', '\\' or below 0x20 have their top bit set in
// the mask (the lowest such byte exactly; bytes above it may be flagged falsely, never below).
constexpr std::uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
constexpr std::uint64_t zero_bytes(std::uint64_t v) { return (v - ones) & ~v & highs; }
constexpr std::uint64_t special_bytes(std::uint64_t x) {
    return ((x - ones * 0x20) & ~x & highs) | zero_bytes(x ^ (ones * '"')) | zero_bytes(x ^ (ones * '\\'));
}

struct reader {
    const char* p;
    const char* e;

    // At the opening quote: past the closing one; s is the characters between.
    bool string(std::string_view& s) {
        const char* start = ++p;
#if defined(__SSE2__)
        // Sixteen bytes at a time: '"', '\\' and bytes up to 0x1F flagged by a compare each.
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), control = _mm_set1_epi8(0x1F);
        while (e - p >= 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                             _mm_cmpeq_epi8(_mm_max_epu8(x, control), control));
            if (const int m = _mm_movemask_epi8(hit)) {
                p += __builtin_ctz(static_cast<unsigned>(m));
                return close_string(start, s);
            }
            p += 16;
        }
#endif
        while (std::endian::native == std::endian::little && e - p >= 8) {  // (the mask's order)
            std::uint64_t w;
            std::memcpy(&w, p, 8);
            if (const std::uint64_t m = special_bytes(w)) {
                p += __builtin_ctzll(m) / 8;
                return close_string(start, s);
            }
            p += 8;
        }
        while (p < e && *p != '"' && *p != '\\' && static_cast<unsigned char>(*p) >= 0x20) ++p;
        return close_string(start, s);
    }
    bool close_string(const char* start, std::string_view& s) {
        if (p == e || *p != '"') return false;  // a backslash, a control character or the end
        s = std::string_view(start, static_cast<std::size_t>(p - start));
        ++p;
        return true;
    }

    bool digits() {
        const char* start = p;
        while (p < e && *p >= '0' && *p <= '9') ++p;
        return p != start;
    }
    bool number() {
        if (p < e && *p == '-') ++p;
        if (p == e) return false;
        if (*p == '0') ++p;
        else if (!digits()) return false;
        if (p < e && *p == '.') {
            ++p;
            if (!digits()) return false;
        }
        if (p < e && (*p == 'e' || *p == 'E')) {
            ++p;
            if (p < e && (*p == '+' || *p == '-')) ++p;
            if (!digits()) return false;
        }
        return true;
    }
    bool literal(const char* word, std::size_t n) {
        if (static_cast<std::size_t>(e - p) < n || std::memcmp(p, word, n) != 0) return false;
        p += n;
        return true;
    }
    bool eat(char c) {
        if (p == e || *p != c) return false;
        ++p;
        return true;
    }

    // One value, its kind and text; an object's members go to members (when given) as children
    // of parent, levels deep.
    bool value(int depth, kind& k, std::string_view& text, std::vector<member>* members = nullptr, int levels = 0,
               int parent = -1) {
        if (p == e) return false;
        const char* start = p;
        bool ok = false;
        switch (*p) {
            case '"': k = kind::string; return string(text);
            case '{': k = kind::object; ok = container(depth + 1, '}', members, levels, parent); break;
            case '[': k = kind::array; ok = container(depth + 1, ']'); break;
            case 't': k = kind::true_; ok = literal("true", 4); break;
            case 'f': k = kind::false_; ok = literal("false", 5); break;
            case 'n': k = kind::null; ok = literal("null", 4); break;
            default: k = kind::number; ok = number(); break;
        }
        text = std::string_view(start, static_cast<std::size_t>(p - start));
        return ok;
    }
    // At '{' or '[': past its closing bracket. An object's members go to members (when given and
    // levels > 0), each as a child of parent; deeper ones are validated, not kept.
    bool container(int depth, char close, std::vector<member>* members = nullptr, int levels = 0, int parent = -1) {
        if (depth > max_depth) return false;
        ++p;
        if (eat(close)) return true;
        if (close == ']' || levels <= 0) members = nullptr;
        for (;;) {
            std::string_view key;
            if (close == '}' && (p == e || *p != '"' || !string(key) || !eat(':'))) return false;
            kind k = kind::null;
            std::string_view text;
            if (!members) {
                if (!value(depth, k, text)) return false;
            } else {
                const auto at = static_cast<int>(members->size());
                members->push_back({key, kind::null, {}, parent});
                if (!value(depth, k, text, members, levels - 1, at)) return false;
                (*members)[static_cast<std::size_t>(at)].k = k;
                (*members)[static_cast<std::size_t>(at)].value = text;
            }
            if (eat(close)) return true;
            if (!eat(',')) return false;
        }
    }
};

}  // namespace

bool split_members(std::string_view text, std::vector<member>& out, int levels) {
    out.clear();
    reader r{text.data(), text.data() + text.size()};
    if (text.empty() || text[0] != '{') return false;
    return r.container(1, '}', &out, levels) && r.p == r.e;
}

}  // namespace airbyte::compact_json
