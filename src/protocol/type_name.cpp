// Cassandra marshal class names <-> data_type, for the custom type option: Cassandra 5.0 sends a
// vector column as "org.apache.cassandra.db.marshal.VectorType(<element class>, <n>)".
#include <array>
#include <charconv>

#include "protocol/types.hpp"

namespace cql::protocol {
namespace {

constexpr std::string_view marshal_package = "org.apache.cassandra.db.marshal.";

struct class_entry {
    std::string_view name;  // without the package
    type_id id;
};

// The primitive marshal classes. DateType is the pre-2.0 name of timestamp; both parse to it.
constexpr std::array<class_entry, 21> primitive_classes{{
    {"AsciiType", type_id::ascii},        {"LongType", type_id::bigint},
    {"BytesType", type_id::blob},         {"BooleanType", type_id::boolean},
    {"CounterColumnType", type_id::counter}, {"DecimalType", type_id::decimal},
    {"DoubleType", type_id::double_},     {"FloatType", type_id::float_},
    {"Int32Type", type_id::int_},         {"TimestampType", type_id::timestamp},
    {"UUIDType", type_id::uuid},          {"UTF8Type", type_id::varchar},
    {"IntegerType", type_id::varint},     {"TimeUUIDType", type_id::timeuuid},
    {"InetAddressType", type_id::inet},   {"SimpleDateType", type_id::date},
    {"TimeType", type_id::time},          {"ShortType", type_id::smallint},
    {"ByteType", type_id::tinyint},       {"DurationType", type_id::duration},
    {"DateType", type_id::timestamp},
}};

// Recursive descent over Cassandra's TypeParser grammar: name [ '(' param {',' param} ')' ].
class name_parser {
public:
    explicit name_parser(std::string_view s) noexcept : s_(s) {}

    bool parse_type(data_type& out, int depth) {
        if (depth > max_type_depth) return false;
        std::string_view name = identifier();
        if (name.starts_with(marshal_package)) name.remove_prefix(marshal_package.size());
        if (name.empty()) return false;
        for (const auto& e : primitive_classes)
            if (e.name == name) {
                out = data_type::of(e.id);
                return true;
            }
        if (name == "FrozenType") return open() && parse_type(out, depth + 1) && close();
        if (name == "ListType" || name == "SetType") {
            data_type elem;
            if (!open() || !parse_type(elem, depth + 1) || !close()) return false;
            out = name == "ListType" ? data_type::list_of(std::move(elem)) : data_type::set_of(std::move(elem));
            return true;
        }
        if (name == "MapType") {
            data_type k, v;
            if (!open() || !parse_type(k, depth + 1) || !comma() || !parse_type(v, depth + 1) || !close()) return false;
            out = data_type::map_of(std::move(k), std::move(v));
            return true;
        }
        if (name == "TupleType") {
            std::vector<data_type> elems;
            if (!open()) return false;
            do {
                if (!parse_type(elems.emplace_back(), depth + 1)) return false;
            } while (comma());
            if (!close()) return false;
            out = data_type::tuple_of(std::move(elems));
            return true;
        }
        if (name == "VectorType") {
            data_type elem;
            std::uint32_t n = 0;
            if (!open() || !parse_type(elem, depth + 1) || !comma() || !dimension(n) || !close()) return false;
            out = data_type::vector_of(std::move(elem), n);
            return true;
        }
        return false;  // UserType and anything else: not something a vector of ours holds
    }

    bool at_end() {
        skip_space();
        return pos_ == s_.size();
    }

private:
    void skip_space() noexcept {
        while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n')) ++pos_;
    }
    bool punct(char c) {
        skip_space();
        if (pos_ < s_.size() && s_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool open() { return punct('('); }
    bool close() { return punct(')'); }
    bool comma() { return punct(','); }

    std::string_view identifier() {
        skip_space();
        const std::size_t from = pos_;
        auto ok = [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                   c == '_' || c == '$';
        };
        while (pos_ < s_.size() && ok(s_[pos_])) ++pos_;
        return s_.substr(from, pos_ - from);
    }

    bool dimension(std::uint32_t& n) {
        skip_space();
        const char* first = s_.data() + pos_;
        const char* last = s_.data() + s_.size();
        std::uint32_t v = 0;
        auto [end, ec] = std::from_chars(first, last, v);
        if (ec != std::errc{} || v == 0 || v > max_vector_dimension) return false;
        pos_ += static_cast<std::size_t>(end - first);
        n = v;
        return true;
    }

    std::string_view s_;
    std::size_t pos_ = 0;
};

std::string marshal_name(const data_type& t) {
    if (t.id == type_id::custom) return t.class_name;
    for (const auto& e : primitive_classes)
        if (e.id == t.id) return std::string(marshal_package) + std::string(e.name);
    auto inner = [](const data_type& c) {
        // Cassandra freezes what a vector, a collection or a tuple holds; collections say so in the name.
        const bool collection = c.id == type_id::list || c.id == type_id::set || c.id == type_id::map;
        return collection ? std::string(marshal_package) + "FrozenType(" + marshal_name(c) + ")" : marshal_name(c);
    };
    std::string s = std::string(marshal_package);
    switch (t.id) {
    case type_id::list: return s + "ListType(" + inner(t.children.at(0)) + ")";
    case type_id::set: return s + "SetType(" + inner(t.children.at(0)) + ")";
    case type_id::map: return s + "MapType(" + inner(t.children.at(0)) + "," + inner(t.children.at(1)) + ")";
    case type_id::tuple:
        s += "TupleType(";
        for (std::size_t i = 0; i < t.children.size(); ++i) {
            if (i) s += ',';  // not (i ? "," : "") + ...: GCC 12 -O3 warns falsely (-Wrestrict) on that
            s += inner(t.children[i]);
        }
        return s + ")";
    case type_id::vector:
        // Cassandra's TypeParser.stringifyVectorParameters puts a space on both sides of the comma.
        return s + "VectorType(" + inner(t.children.at(0)) + " , " + std::to_string(t.dimension) + ")";
    default: return {};
    }
}

}  // namespace

std::error_code parse_class_name(std::string_view name, data_type& out) {
    name_parser p(name);
    data_type t;
    if (!p.parse_type(t, 0) || !p.at_end()) return make_error_code(errc::bad_type_name);
    out = std::move(t);
    return {};
}

std::string class_name_of(const data_type& t) { return marshal_name(t); }

std::size_t vector_fixed_size(const data_type& t) noexcept {
    switch (t.id) {
    case type_id::boolean: return 1;
    case type_id::int_:
    case type_id::float_: return 4;
    case type_id::bigint:
    case type_id::counter:
    case type_id::double_:
    case type_id::timestamp: return 8;
    case type_id::uuid:
    case type_id::timeuuid: return 16;
    case type_id::vector:
        // Nested fixed vectors multiply; a width above 2 GiB cannot be a cell, and reports 0 (no overflow).
        if (t.children.size() != 1 || t.dimension == 0 || t.dimension > max_vector_dimension) return 0;
        if (const std::size_t e = vector_fixed_size(t.children[0]); e != 0 && e <= (std::size_t{1} << 31) / t.dimension)
            return e * t.dimension;
        return 0;
    default: return 0;
    }
}

data_type data_type::vector_of(data_type elem, std::uint32_t dimension) {
    data_type t = of(type_id::vector);
    t.children.push_back(std::move(elem));
    t.dimension = dimension;
    return t;
}

}  // namespace cql::protocol
