// Type option codec and consistency names.
#include "protocol/types.hpp"

#include <cctype>

namespace cql::protocol {
namespace {

struct consistency_entry {
    consistency value;
    const char* name;
};

constexpr consistency_entry consistency_names[] = {
    {consistency::any, "ANY"},       {consistency::one, "ONE"},
    {consistency::two, "TWO"},       {consistency::three, "THREE"},
    {consistency::quorum, "QUORUM"}, {consistency::all, "ALL"},
    {consistency::local_quorum, "LOCAL_QUORUM"}, {consistency::each_quorum, "EACH_QUORUM"},
    {consistency::serial, "SERIAL"}, {consistency::local_serial, "LOCAL_SERIAL"},
    {consistency::local_one, "LOCAL_ONE"},
};

bool is_primitive(std::uint16_t id) noexcept {
    return (id >= 0x0001 && id <= 0x0015 && id != 0x000A);
}

data_type read_type_at(byte_reader& r, protocol_version v, int depth) {
    data_type t;
    if (depth > max_type_depth) {
        r.fail(errc::nesting_too_deep);
        return t;
    }
    const std::uint16_t id = r.u16();
    if (!r.ok()) return t;
    t.id = static_cast<type_id>(id);
    if (id == 0x0000) {
        const std::string_view name = r.string();
        // A vector travels as a custom type; its class name says the element type and dimension.
        if (r.ok() && name.starts_with(vector_class_name) && name.size() > vector_class_name.size() &&
            name[vector_class_name.size()] == '(') {
            if (auto ec = parse_class_name(name, t)) r.fail(ec);
            return t;
        }
        t.class_name = std::string(name);
        return t;
    }
    if (is_primitive(id)) {
        // duration has no native id before v5: Cassandra sends it as a custom type there.
        if ((id == 0x0015 && v < protocol_version::v5) || (v == protocol_version::v3 && id >= 0x0011))
            r.fail(errc::unsupported_by_version);
        return t;
    }
    switch (t.id) {
    case type_id::list:
    case type_id::set: t.children.push_back(read_type_at(r, v, depth + 1)); break;
    case type_id::map:
        t.children.push_back(read_type_at(r, v, depth + 1));
        t.children.push_back(read_type_at(r, v, depth + 1));
        break;
    case type_id::udt: {
        t.keyspace = std::string(r.string());
        t.udt_name = std::string(r.string());
        std::size_t n = r.u16();
        t.children.reserve(r.reserve_hint(n, 4));
        t.field_names.reserve(r.reserve_hint(n, 4));
        for (std::size_t i = 0; i < n && r.ok(); ++i) {
            t.field_names.emplace_back(r.string());
            t.children.push_back(read_type_at(r, v, depth + 1));
        }
        break;
    }
    case type_id::tuple: {
        std::size_t n = r.u16();
        t.children.reserve(r.reserve_hint(n, 2));
        for (std::size_t i = 0; i < n && r.ok(); ++i) t.children.push_back(read_type_at(r, v, depth + 1));
        break;
    }
    default: r.fail(errc::unknown_type);
    }
    return t;
}

const char* primitive_cql_name(type_id id) noexcept {
    switch (id) {
    case type_id::ascii: return "ascii";
    case type_id::bigint: return "bigint";
    case type_id::blob: return "blob";
    case type_id::boolean: return "boolean";
    case type_id::counter: return "counter";
    case type_id::decimal: return "decimal";
    case type_id::double_: return "double";
    case type_id::float_: return "float";
    case type_id::int_: return "int";
    case type_id::timestamp: return "timestamp";
    case type_id::uuid: return "uuid";
    case type_id::varchar: return "text";
    case type_id::varint: return "varint";
    case type_id::timeuuid: return "timeuuid";
    case type_id::inet: return "inet";
    case type_id::date: return "date";
    case type_id::time: return "time";
    case type_id::smallint: return "smallint";
    case type_id::tinyint: return "tinyint";
    case type_id::duration: return "duration";
    default: return nullptr;
    }
}

}  // namespace

bool is_known_consistency(std::uint16_t v) noexcept { return v <= 0x000A; }

const char* consistency_name(consistency c) noexcept {
    for (const auto& e : consistency_names)
        if (e.value == c) return e.name;
    return "UNKNOWN";
}

bool parse_consistency(std::string_view name, consistency& out) noexcept {
    for (const auto& e : consistency_names) {
        std::string_view n = e.name;
        if (n.size() != name.size()) continue;
        bool same = true;
        for (std::size_t i = 0; i < n.size() && same; ++i)
            same = std::toupper(static_cast<unsigned char>(name[i])) == n[i];
        if (same) {
            out = e.value;
            return true;
        }
    }
    return false;
}

data_type data_type::list_of(data_type elem) {
    data_type t = of(type_id::list);
    t.children.push_back(std::move(elem));
    return t;
}

data_type data_type::set_of(data_type elem) {
    data_type t = of(type_id::set);
    t.children.push_back(std::move(elem));
    return t;
}

data_type data_type::map_of(data_type key, data_type value) {
    data_type t = of(type_id::map);
    t.children.push_back(std::move(key));
    t.children.push_back(std::move(value));
    return t;
}

data_type data_type::tuple_of(std::vector<data_type> elems) {
    data_type t = of(type_id::tuple);
    t.children = std::move(elems);
    return t;
}

data_type data_type::custom(std::string class_name) {
    data_type t = of(type_id::custom);
    t.class_name = std::move(class_name);
    return t;
}

bool data_type::is_duration() const noexcept {
    return id == type_id::duration || (id == type_id::custom && class_name == duration_class_name);
}

std::string data_type::to_cql() const {
    if (is_duration()) return "duration";
    if (const char* n = primitive_cql_name(id)) return n;
    auto frozen = [](const data_type& c) {
        bool complex = c.id == type_id::list || c.id == type_id::set || c.id == type_id::map || c.id == type_id::udt ||
                       c.id == type_id::tuple;
        return complex ? "frozen<" + c.to_cql() + ">" : c.to_cql();
    };
    switch (id) {
    case type_id::list: return "list<" + frozen(children.at(0)) + ">";
    case type_id::set: return "set<" + frozen(children.at(0)) + ">";
    case type_id::map: return "map<" + frozen(children.at(0)) + ", " + frozen(children.at(1)) + ">";
    case type_id::tuple: {
        std::string s = "tuple<";
        for (std::size_t i = 0; i < children.size(); ++i) s += (i ? ", " : "") + frozen(children[i]);
        return s + ">";
    }
    case type_id::udt: return keyspace + "." + udt_name;
    case type_id::vector:
        return "vector<" + (children.empty() ? std::string("unknown") : frozen(children[0])) + ", " +
               std::to_string(dimension) + ">";
    case type_id::custom: return "'" + class_name + "'";
    default: return "unknown";
    }
}

data_type read_type(byte_reader& r, protocol_version v) { return read_type_at(r, v, 0); }

void write_type(byte_writer& w, const data_type& t) {
    if (t.id == type_id::vector) {
        w.u16(static_cast<std::uint16_t>(type_id::custom));
        w.string(class_name_of(t));
        return;
    }
    w.u16(static_cast<std::uint16_t>(t.id));
    switch (t.id) {
    case type_id::custom: w.string(t.class_name); break;
    case type_id::list:
    case type_id::set:
    case type_id::map:
    case type_id::tuple:
        if (t.id == type_id::tuple) w.u16(static_cast<std::uint16_t>(t.children.size()));
        for (const auto& c : t.children) write_type(w, c);
        break;
    case type_id::udt:
        w.string(t.keyspace);
        w.string(t.udt_name);
        w.u16(static_cast<std::uint16_t>(t.children.size()));
        for (std::size_t i = 0; i < t.children.size(); ++i) {
            w.string(i < t.field_names.size() ? std::string_view(t.field_names[i]) : std::string_view());
            write_type(w, t.children[i]);
        }
        break;
    default: break;
    }
}

}  // namespace cql::protocol
