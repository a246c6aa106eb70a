// Value decoding (spec sections 6 and 7): one exact-size cell against its data_type, with the
// same checks as encoding, bounded recursion, and no allocation driven by an unchecked count.
#include <bit>
#include <cstring>

#include "protocol/value.hpp"

namespace cql::protocol {
namespace {

std::error_code fail(errc e) noexcept { return make_error_code(e); }

std::error_code decode_at(bytes_view cell, const data_type& t, protocol_version ver, cql_value& out, int depth);

std::error_code decode_duration(bytes_view cell, cql_value& out) {
    byte_reader r(cell);
    const std::int64_t months = read_vint(r);
    const std::int64_t days = read_vint(r);
    const std::int64_t nanos = read_vint(r);
    if (auto ec = r.finish()) return ec;
    if (months < INT32_MIN || months > INT32_MAX || days < INT32_MIN || days > INT32_MAX)
        return fail(errc::invalid_value);
    duration_value d{static_cast<std::int32_t>(months), static_cast<std::int32_t>(days), nanos};
    if (!d.same_signs()) return fail(errc::invalid_value);
    out = cql_value{d};
    return {};
}

std::size_t fixed_size(type_id id) noexcept {
    switch (id) {
    case type_id::boolean:
    case type_id::tinyint: return 1;
    case type_id::smallint: return 2;
    case type_id::int_:
    case type_id::float_:
    case type_id::date: return 4;
    case type_id::bigint:
    case type_id::counter:
    case type_id::timestamp:
    case type_id::double_:
    case type_id::time: return 8;
    case type_id::uuid:
    case type_id::timeuuid: return 16;
    default: return 0;
    }
}

// Types of a known width: the cell must be exactly that wide.
std::error_code decode_fixed(bytes_view c, type_id id, cql_value& out) {
    if (c.size() != fixed_size(id)) return fail(errc::invalid_value);
    const std::uint8_t* p = c.data();
    switch (id) {
    case type_id::boolean: out = cql_value{p[0] != 0}; break;
    case type_id::tinyint: out = cql_value{static_cast<std::int8_t>(p[0])}; break;
    case type_id::smallint: out = cql_value{static_cast<std::int16_t>(load_be16(p))}; break;
    case type_id::int_: out = cql_value{static_cast<std::int32_t>(load_be32(p))}; break;
    case type_id::float_: out = cql_value{std::bit_cast<float>(load_be32(p))}; break;
    case type_id::date: out = cql_value{cql_date{load_be32(p)}}; break;
    case type_id::double_: out = cql_value{std::bit_cast<double>(load_be64(p))}; break;
    case type_id::time: {
        const auto nanos = static_cast<std::int64_t>(load_be64(p));
        if (nanos < 0 || nanos > cql_time::max) return fail(errc::invalid_value);
        out = cql_value{cql_time{nanos}};
        break;
    }
    case type_id::uuid:
    case type_id::timeuuid: {
        // Any UUID version is accepted for timeuuid: the server validated it when it was written.
        uuid_bytes u;
        std::memcpy(u.data(), p, u.size());
        out = cql_value{u};
        break;
    }
    default: out = cql_value{static_cast<std::int64_t>(load_be64(p))}; break;  // bigint, counter, timestamp
    }
    return {};
}

std::error_code decode_scalar(bytes_view c, type_id id, cql_value& out) {
    switch (id) {
    case type_id::inet: {
        if (c.size() != 4 && c.size() != 16) return fail(errc::invalid_value);
        inet_address a;
        a.size = static_cast<std::uint8_t>(c.size());
        std::memcpy(a.bytes.data(), c.data(), c.size());
        out = cql_value{a};
        return {};
    }
    case type_id::varint:  // non-empty here: empty cells were handled by the caller
        out = cql_value{varint_value{std::vector<std::uint8_t>(c.begin(), c.end())}};
        return {};
    case type_id::decimal: {
        byte_reader r(c);
        const std::int32_t scale = r.i32();
        if (!r.ok()) return r.error();
        if (r.at_end()) return fail(errc::invalid_value);  // the unscaled varint needs a byte
        const bytes_view unscaled = r.rest();
        out = cql_value{decimal_value{std::vector<std::uint8_t>(unscaled.begin(), unscaled.end()), scale}};
        return {};
    }
    default:
        if (fixed_size(id) == 0) return fail(errc::unknown_type);
        return decode_fixed(c, id, out);
    }
}

// One element of a collection, tuple or udt: a [bytes] from r. Null only where allowed.
bool read_element(byte_reader& r, const data_type& t, protocol_version ver, int depth, bool null_ok,
                  cql_value& out) {
    const value_view e = r.bytes();
    if (!r.ok()) return false;
    if (e.is_null()) {
        if (!null_ok) r.fail(errc::invalid_value);  // Cassandra: "null value read when not allowed"
        out = cql_value{};
        return r.ok();
    }
    if (auto ec = decode_at(e.data, t, ver, out, depth + 1)) r.fail(ec);
    return r.ok();
}

// [int] element count of a list, set or map; a negative count is malformed.
std::size_t read_count(byte_reader& r) noexcept {
    const std::int32_t n = r.i32();
    if (r.ok() && n < 0) r.fail(errc::invalid_length);
    return r.ok() ? static_cast<std::size_t>(n) : 0;
}

std::error_code decode_list(bytes_view c, const data_type& t, protocol_version ver, int depth, cql_value& out) {
    if (t.children.size() != 1) return fail(errc::invalid_value);
    cql_list l;
    byte_reader r(c);
    if (!c.empty()) {  // an empty cell is the legacy form of an empty collection
        const std::size_t n = read_count(r);
        l.reserve(r.reserve_hint(n, 4));
        for (std::size_t i = 0; i < n && read_element(r, t.children[0], ver, depth, false, l.emplace_back()); ++i) {
        }
    }
    if (auto ec = r.finish()) return ec;
    out = cql_value{std::move(l)};
    return {};
}

std::error_code decode_map(bytes_view c, const data_type& t, protocol_version ver, int depth, cql_value& out) {
    if (t.children.size() != 2) return fail(errc::invalid_value);
    cql_map m;
    byte_reader r(c);
    if (!c.empty()) {
        const std::size_t n = read_count(r);
        m.reserve(r.reserve_hint(n, 8));
        for (std::size_t i = 0; i < n && r.ok(); ++i) {
            auto& [k, v] = m.emplace_back();
            if (read_element(r, t.children[0], ver, depth, false, k)) read_element(r, t.children[1], ver, depth, false, v);
        }
    }
    if (auto ec = r.finish()) return ec;
    out = cql_value{std::move(m)};
    return {};
}

// tuple and udt: fields in type order; the value may stop early (missing trailing fields are
// null, spec section 7, and Cassandra's TupleType splits tuples the same way); extra bytes are an error.
std::error_code decode_fields(bytes_view c, const data_type& t, protocol_version ver, int depth, cql_value& out) {
    cql_list l;
    l.reserve(t.children.size());
    byte_reader r(c);
    for (std::size_t i = 0; i < t.children.size() && !r.at_end(); ++i)
        if (!read_element(r, t.children[i], ver, depth, true, l.emplace_back())) break;
    if (auto ec = r.finish()) return ec;
    l.resize(t.children.size());
    out = cql_value{std::move(l)};
    return {};
}

// vector<T, n>: n elements, concatenated when T has a fixed width (so the cell is exactly n times
// that wide), else each behind an [unsigned vint] length. No element is null; nothing may follow.
std::error_code decode_vector(bytes_view c, const data_type& t, protocol_version ver, int depth, cql_value& out) {
    if (t.children.size() != 1 || t.dimension == 0 || t.dimension > max_vector_dimension)
        return fail(errc::invalid_value);
    const data_type& et = t.children[0];
    const std::size_t fixed = vector_fixed_size(et);
    if (fixed != 0 && c.size() != fixed * t.dimension) return fail(errc::vector_dimension);
    cql_list l;
    byte_reader r(c);
    l.reserve(r.reserve_hint(t.dimension, fixed != 0 ? fixed : 1));
    for (std::uint32_t i = 0; i < t.dimension && r.ok(); ++i) {
        std::size_t size = fixed;
        if (fixed == 0) {
            const std::uint64_t n = read_unsigned_vint(r);
            if (!r.ok()) break;
            if (n > r.remaining()) {
                r.fail(errc::truncated);
                break;
            }
            size = static_cast<std::size_t>(n);
        }
        const bytes_view e = r.raw(size);
        if (!r.ok()) break;
        cql_value& ev = l.emplace_back();
        if (auto ec = decode_at(e, et, ver, ev, depth + 1)) return ec;
        // An empty element of a non-string type decodes as the legacy null, which a vector never holds.
        if (ev.is_null()) return fail(errc::invalid_value);
    }
    if (auto ec = r.finish()) return ec;
    out = cql_value{std::move(l)};
    return {};
}

bool needs_v4(type_id id) noexcept {
    return id == type_id::date || id == type_id::time || id == type_id::smallint || id == type_id::tinyint;
}

std::error_code decode_at(bytes_view c, const data_type& t, protocol_version ver, cql_value& out, int depth) {
    if (depth > max_type_depth) return fail(errc::nesting_too_deep);
    if (ver == protocol_version::v3 && needs_v4(t.id)) return fail(errc::unsupported_by_version);
    const std::string_view text(reinterpret_cast<const char*>(c.data()), c.size());
    switch (t.id) {
    case type_id::ascii:
        if (!is_ascii(text)) return fail(errc::invalid_value);
        out = cql_value{std::string(text)};
        return {};
    case type_id::varchar:
        if (!is_valid_utf8(text)) return fail(errc::invalid_value);
        out = cql_value{std::string(text)};
        return {};
    case type_id::list:
    case type_id::set: return decode_list(c, t, ver, depth, out);
    case type_id::map: return decode_map(c, t, ver, depth, out);
    case type_id::tuple:
    case type_id::udt: return decode_fields(c, t, ver, depth, out);
    default: break;
    }
    if (t.id == type_id::blob || (t.id == type_id::custom && !t.is_duration())) {
        out = cql_value{std::vector<std::uint8_t>(c.begin(), c.end())};
        return {};
    }
    if (c.empty()) {  // spec section 6: the legacy "empty" value of a non-string type
        out = cql_value{};
        return {};
    }
    if (t.is_duration()) return decode_duration(c, out);
    if (t.id == type_id::vector) return decode_vector(c, t, ver, depth, out);
    return decode_scalar(c, t.id, out);
}

}  // namespace

std::error_code decode_cell(bytes_view cell, const data_type& t, protocol_version ver, cql_value& out) {
    cql_value v;
    if (auto ec = decode_at(cell, t, ver, v, 0)) return ec;
    out = std::move(v);
    return {};
}

cql_value read_value(byte_reader& r, const data_type& t, protocol_version ver) {
    const value_view cell = r.bytes();
    cql_value v;
    if (!r.ok() || cell.is_null()) return v;
    if (auto ec = decode_at(cell.data, t, ver, v, 0)) {
        r.fail(ec);
        return cql_value{};
    }
    return v;
}

}  // namespace cql::protocol
