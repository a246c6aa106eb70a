// Value encoding (spec sections 6 and 7): type-checked [value] cells, the hot-path cell writers,
// and the small codecs shared with decoding (UTF-8 check, vint, varint <-> int64).
#include "protocol/value.hpp"

#include <bit>
#include <climits>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cql::protocol {
namespace {

std::error_code fail(errc e) noexcept { return make_error_code(e); }

std::error_code encode_element(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                               int depth);

std::error_code encode_duration(byte_writer& w, const cql_value& v) {
    const auto* d = v.get_if<duration_value>();
    if (!d || !d->same_signs()) return fail(errc::invalid_value);
    write_vint(w, d->months);
    write_vint(w, d->days);
    write_vint(w, d->nanoseconds);
    return {};
}

// Writes the bytes of one alternative when the value holds it; false when it does not.
template <class T, class Check, class Put>
bool put_if(const cql_value& v, Check check, Put put) {
    const T* x = v.get_if<T>();
    if (!x || !check(*x)) return false;
    put(*x);
    return true;
}

constexpr auto always = [](const auto&) { return true; };

bool encode_fixed(byte_writer& w, type_id id, const cql_value& v) {
    switch (id) {
    case type_id::boolean: return put_if<bool>(v, always, [&](bool b) { w.u8(b ? 1 : 0); });
    case type_id::tinyint: return put_if<std::int8_t>(v, always, [&](std::int8_t x) { w.i8(x); });
    case type_id::smallint: return put_if<std::int16_t>(v, always, [&](std::int16_t x) { w.i16(x); });
    case type_id::int_: return put_if<std::int32_t>(v, always, [&](std::int32_t x) { w.i32(x); });
    case type_id::bigint:
    case type_id::counter:
    case type_id::timestamp: return put_if<std::int64_t>(v, always, [&](std::int64_t x) { w.i64(x); });
    case type_id::float_: return put_if<float>(v, always, [&](float x) { w.u32(std::bit_cast<std::uint32_t>(x)); });
    case type_id::double_:
        return put_if<double>(v, always, [&](double x) { w.u64(std::bit_cast<std::uint64_t>(x)); });
    case type_id::uuid: return put_if<uuid_bytes>(v, always, [&](const uuid_bytes& u) { w.uuid(u); });
    case type_id::timeuuid:
        // Cassandra refuses anything but a version 1 UUID here; say so before the round trip.
        return put_if<uuid_bytes>(v, [](const uuid_bytes& u) { return (u[6] >> 4) == 1; },
                                  [&](const uuid_bytes& u) { w.uuid(u); });
    case type_id::date: return put_if<cql_date>(v, always, [&](cql_date d) { w.u32(d.days); });
    case type_id::time:
        return put_if<cql_time>(v, [](cql_time t) { return t.nanos >= 0 && t.nanos <= cql_time::max; },
                                [&](cql_time t) { w.i64(t.nanos); });
    default: return false;
    }
}

bool encode_variable(byte_writer& w, type_id id, const cql_value& v) {
    using blob = std::vector<std::uint8_t>;
    switch (id) {
    case type_id::ascii:
        return put_if<std::string>(v, [](const std::string& s) { return is_ascii(s); },
                                   [&](const std::string& s) { w.raw(s); });
    case type_id::varchar:
        return put_if<std::string>(v, [](const std::string& s) { return is_valid_utf8(s); },
                                   [&](const std::string& s) { w.raw(s); });
    case type_id::blob:
    case type_id::custom: return put_if<blob>(v, always, [&](const blob& b) { w.raw(bytes_view(b)); });
    case type_id::inet:
        // A cell holds the address only: the port of inet_address is not part of it.
        return put_if<inet_address>(v, [](const inet_address& a) { return a.size == 4 || a.size == 16; },
                                    [&](const inet_address& a) { w.raw(bytes_view(a.bytes.data(), a.size)); });
    case type_id::varint:
        return put_if<varint_value>(v, [](const varint_value& x) { return !x.bytes.empty(); },
                                    [&](const varint_value& x) { w.raw(bytes_view(x.bytes)); });
    case type_id::decimal:
        return put_if<decimal_value>(v, [](const decimal_value& x) { return !x.unscaled.empty(); },
                                     [&](const decimal_value& x) {
                                         w.i32(x.scale);
                                         w.raw(bytes_view(x.unscaled));
                                     });
    default: return encode_fixed(w, id, v);
    }
}

// list and set: [int] n, then n non-null [bytes].
std::error_code encode_collection(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                                  int depth) {
    const auto* l = v.get_if<cql_list>();
    if (!l || t.children.size() != 1) return fail(errc::invalid_value);
    if (l->size() > INT32_MAX) return fail(errc::invalid_length);
    w.i32(static_cast<std::int32_t>(l->size()));
    for (const auto& e : *l) {
        // Cassandra refuses null (and unset) inside a collection.
        if (e.is_null() || e.is_unset()) return fail(errc::invalid_value);
        if (auto ec = encode_element(w, t.children[0], e, ver, depth + 1)) return ec;
    }
    return {};
}

std::error_code encode_map(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver, int depth) {
    const auto* m = v.get_if<cql_map>();
    if (!m || t.children.size() != 2) return fail(errc::invalid_value);
    if (m->size() > INT32_MAX) return fail(errc::invalid_length);
    w.i32(static_cast<std::int32_t>(m->size()));
    for (const auto& [k, e] : *m) {
        if (k.is_null() || k.is_unset() || e.is_null() || e.is_unset()) return fail(errc::invalid_value);
        if (auto ec = encode_element(w, t.children[0], k, ver, depth + 1)) return ec;
        if (auto ec = encode_element(w, t.children[1], e, ver, depth + 1)) return ec;
    }
    return {};
}

// tuple and udt: one [bytes] per field, null allowed. A udt may stop early (spec section 7);
// a tuple has exactly its type's arity.
std::error_code encode_fields(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                              int depth) {
    const auto* l = v.get_if<cql_list>();
    if (!l || l->size() > t.children.size()) return fail(errc::invalid_value);
    if (t.id == type_id::tuple && l->size() != t.children.size()) return fail(errc::invalid_value);
    for (std::size_t i = 0; i < l->size(); ++i) {
        const cql_value& e = (*l)[i];
        if (e.is_unset()) return fail(errc::invalid_value);
        if (e.is_null()) {
            w.null_bytes();
            continue;
        }
        if (auto ec = encode_element(w, t.children[i], e, ver, depth + 1)) return ec;
    }
    return {};
}

std::error_code encode_content(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                               int depth);

// vector<T, n> (Cassandra 5.0 VectorType): exactly n non-null elements, no count. Fixed-width
// element types are concatenated; the others each get an [unsigned vint] length first.
std::error_code encode_vector(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                              int depth) {
    const auto* l = v.get_if<cql_list>();
    if (!l || t.children.size() != 1) return fail(errc::invalid_value);
    if (l->size() != t.dimension) return fail(errc::vector_dimension);
    const data_type& et = t.children[0];
    const std::size_t fixed = vector_fixed_size(et);
    std::vector<std::uint8_t> scratch;
    for (const auto& e : *l) {
        if (e.is_null() || e.is_unset()) return fail(errc::invalid_value);  // Cassandra: "Element at index i is null"
        if (fixed != 0) {
            const std::size_t at = w.size();
            if (auto ec = encode_content(w, et, e, ver, depth + 1)) return ec;
            if (w.size() - at != fixed) return fail(errc::invalid_value);
            continue;
        }
        scratch.clear();
        byte_writer sw(scratch);
        if (auto ec = encode_content(sw, et, e, ver, depth + 1)) return ec;
        write_unsigned_vint(w, scratch.size());
        w.raw(bytes_view(scratch));
    }
    return {};
}

bool needs_v4(type_id id) noexcept {
    return id == type_id::date || id == type_id::time || id == type_id::smallint || id == type_id::tinyint;
}

std::error_code encode_content(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                               int depth) {
    if (depth > max_type_depth) return fail(errc::nesting_too_deep);
    if (t.is_duration()) return encode_duration(w, v);
    if (ver == protocol_version::v3 && needs_v4(t.id)) return fail(errc::unsupported_by_version);
    switch (t.id) {
    case type_id::list:
    case type_id::set: return encode_collection(w, t, v, ver, depth);
    case type_id::map: return encode_map(w, t, v, ver, depth);
    case type_id::tuple:
    case type_id::udt: return encode_fields(w, t, v, ver, depth);
    case type_id::vector: return encode_vector(w, t, v, ver, depth);
    default: return encode_variable(w, t.id, v) ? std::error_code{} : fail(errc::invalid_value);
    }
}

// A present [bytes]: the length is patched once the content is written.
std::error_code encode_element(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver,
                               int depth) {
    const std::size_t at = w.begin_length();
    if (auto ec = encode_content(w, t, v, ver, depth)) return ec;
    if (w.size() - at - 4 > static_cast<std::size_t>(INT32_MAX)) return fail(errc::invalid_length);
    w.end_length(at);
    return {};
}

template <class T>
bool same_bits(const T& a, const T& b) noexcept {
    if constexpr (std::is_same_v<T, float>) return std::bit_cast<std::uint32_t>(a) == std::bit_cast<std::uint32_t>(b);
    else if constexpr (std::is_same_v<T, double>)
        return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
    else return a == b;
}

}  // namespace

bool cql_value::operator==(const cql_value& o) const noexcept {
    if (v.index() != o.v.index()) return false;
    return std::visit(
        [&](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            return same_bits(a, *std::get_if<T>(&o.v));
        },
        v);
}

namespace {

// The cells most statements bind (text, bigint, timestamp, uuid, boolean, int, double), written
// without the general path's dispatch; false for every other type or value (then that path runs,
// with the same result).
bool encode_common(byte_writer& w, const data_type& t, const cql_value& v) {
    switch (t.id) {
    case type_id::varchar:
        if (const auto* s = v.get_if<std::string>(); s && s->size() <= static_cast<std::size_t>(INT32_MAX) && is_valid_utf8(*s)) {
            w.bytes(*s);
            return true;
        }
        return false;
    case type_id::bigint:
    case type_id::timestamp:
        if (const auto* x = v.get_if<std::int64_t>()) {
            write_bigint_cell(w, *x);
            return true;
        }
        return false;
    case type_id::uuid:
        if (const auto* u = v.get_if<uuid_bytes>()) {
            write_uuid_cell(w, *u);
            return true;
        }
        return false;
    case type_id::boolean:
        if (const auto* b = v.get_if<bool>()) {
            write_boolean_cell(w, *b);
            return true;
        }
        return false;
    case type_id::int_:
        if (const auto* x = v.get_if<std::int32_t>()) {
            write_int_cell(w, *x);
            return true;
        }
        return false;
    case type_id::double_:
        if (const auto* d = v.get_if<double>()) {
            write_double_cell(w, *d);
            return true;
        }
        return false;
    default: return false;
    }
}

}  // namespace

std::error_code encode_value(byte_writer& w, const data_type& t, const cql_value& v, protocol_version ver) {
    if (encode_common(w, t, v)) return {};
    if (v.is_unset()) {
        if (ver == protocol_version::v3) return fail(errc::unsupported_by_version);
        w.unset_value();
        return {};
    }
    if (v.is_null()) {
        w.null_bytes();
        return {};
    }
    const std::size_t start = w.size();
    auto ec = encode_element(w, t, v, ver, 0);
    if (ec) w.buffer().resize(start);  // all or nothing: the caller may go on with the frame
    return ec;
}

void write_boolean_cell(byte_writer& w, bool v) {
    w.i32(1);
    w.u8(v ? 1 : 0);
}
void write_int_cell(byte_writer& w, std::int32_t v) {
    w.i32(4);
    w.i32(v);
}
void write_bigint_cell(byte_writer& w, std::int64_t v) {
    std::uint8_t cell[12];  // one append for the length and the value
    store_be32(cell, 8);
    store_be64(cell + 4, static_cast<std::uint64_t>(v));
    w.raw(bytes_view(cell, sizeof cell));
}
void write_double_cell(byte_writer& w, double v) {
    w.i32(8);
    w.u64(std::bit_cast<std::uint64_t>(v));
}
void write_text_cell(byte_writer& w, std::string_view v) { w.bytes(v); }
void write_uuid_cell(byte_writer& w, const uuid_bytes& v) {
    w.i32(16);
    w.uuid(v);
}
void write_blob_cell(byte_writer& w, bytes_view v) { w.bytes(v); }

bool is_ascii(std::string_view s) noexcept {
    for (char c : s)
        if (static_cast<unsigned char>(c) >= 0x80) return false;
    return true;
}

std::size_t valid_utf8_prefix(std::string_view s) noexcept {
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    while (i < n) {
        // ASCII runs, sixteen or eight bytes at a time (most JSON is ASCII), up to the first byte
        // that is not.
#if defined(__SSE2__)
        while (n - i >= 16) {
            const int high = _mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + i)));
            if (high != 0) {
                i += static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(high)));
                break;
            }
            i += 16;
        }
#endif
        while (n - i >= 8) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            if (const std::uint64_t high = word & 0x8080808080808080ULL) {
                if constexpr (std::endian::native == std::endian::little) i += static_cast<std::size_t>(std::countr_zero(high) / 8);
                break;
            }
            i += 8;
        }
        if (i == n) break;
        const unsigned char b = at(i);
        if (b < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        unsigned char lo = 0x80, hi = 0xBF;  // allowed range of the second byte
        if (b >= 0xC2 && b <= 0xDF) len = 2;
        else if (b >= 0xE0 && b <= 0xEF) {
            len = 3;
            if (b == 0xE0) lo = 0xA0;       // overlong
            else if (b == 0xED) hi = 0x9F;  // surrogates
        } else if (b >= 0xF0 && b <= 0xF4) {
            len = 4;
            if (b == 0xF0) lo = 0x90;       // overlong
            else if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else return i;
        if (n - i < len) return i;
        if (at(i + 1) < lo || at(i + 1) > hi) return i;
        for (std::size_t k = 2; k < len; ++k)
            if ((at(i + k) & 0xC0) != 0x80) return i;
        i += len;
    }
    return n;
}

bool is_valid_utf8(std::string_view s) noexcept { return valid_utf8_prefix(s) == s.size(); }

void write_unsigned_vint(byte_writer& w, std::uint64_t v) {
    const int bits = std::bit_width(v | 1);
    const int size = bits > 56 ? 9 : (bits + 6) / 7;  // 7 value bits per byte, 9 bytes hold 64 bits
    const int extra = size - 1;
    if (extra == 0) {
        w.u8(static_cast<std::uint8_t>(v));
        return;
    }
    // The first byte starts with one 1 bit per extra byte, then the top bits of the value.
    const auto marker = static_cast<std::uint8_t>(0xFF << (8 - extra));
    const auto top = extra == 8 ? 0u : static_cast<unsigned>(v >> (8 * extra));
    w.u8(static_cast<std::uint8_t>(marker | top));
    for (int i = extra - 1; i >= 0; --i) w.u8(static_cast<std::uint8_t>(v >> (8 * i)));
}

void write_vint(byte_writer& w, std::int64_t v) {
    const auto u = static_cast<std::uint64_t>(v);
    write_unsigned_vint(w, (u << 1) ^ static_cast<std::uint64_t>(v >> 63));
}

std::uint64_t read_unsigned_vint(byte_reader& r) noexcept {
    const std::uint8_t first = r.u8();
    const int extra = std::countl_one(first);
    std::uint64_t v = extra == 8 ? 0 : (first & (0xFFu >> extra));
    const bytes_view rest = r.raw(static_cast<std::size_t>(extra));
    if (!r.ok()) return 0;
    for (std::uint8_t b : rest) v = (v << 8) | b;
    return v;
}

std::int64_t read_vint(byte_reader& r) noexcept {
    const std::uint64_t u = read_unsigned_vint(r);
    return static_cast<std::int64_t>((u >> 1) ^ (0 - (u & 1)));
}

varint_value varint_value::from_int64(std::int64_t v) {
    std::uint8_t b[8];
    store_be64(b, static_cast<std::uint64_t>(v));
    std::size_t skip = 0;
    // A leading byte is redundant when it only repeats the sign bit of the next one.
    while (skip < 7 && ((b[skip] == 0x00 && b[skip + 1] < 0x80) || (b[skip] == 0xFF && b[skip + 1] >= 0x80))) ++skip;
    return varint_value{std::vector<std::uint8_t>(b + skip, b + 8)};
}

bool varint_value::to_int64(std::int64_t& out) const noexcept {
    if (bytes.empty()) return false;
    const std::size_t n = bytes.size();
    const std::size_t from = n > 8 ? n - 8 : 0;
    const std::uint8_t sign = (bytes[from] & 0x80) ? 0xFF : 0x00;
    for (std::size_t i = 0; i < from; ++i)
        if (bytes[i] != sign) return false;
    std::uint64_t u = (bytes[0] & 0x80) ? ~std::uint64_t{0} : 0;
    for (std::size_t i = from; i < n; ++i) u = (u << 8) | bytes[i];
    out = static_cast<std::int64_t>(u);
    return true;
}

}  // namespace cql::protocol
