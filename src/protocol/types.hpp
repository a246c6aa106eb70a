// CQL type descriptors ([option] in the spec, section 4.2.5.2) and consistency levels.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/frame.hpp"

namespace cql::protocol {

enum class consistency : std::uint16_t {
    any = 0x0000,
    one = 0x0001,
    two = 0x0002,
    three = 0x0003,
    quorum = 0x0004,
    all = 0x0005,
    local_quorum = 0x0006,
    each_quorum = 0x0007,
    serial = 0x0008,
    local_serial = 0x0009,
    local_one = 0x000A,
};

bool is_known_consistency(std::uint16_t v) noexcept;
const char* consistency_name(consistency c) noexcept;  // "LOCAL_QUORUM" ...
// Parses a name such as "local_quorum" or "LOCAL_QUORUM"; false if unknown.
bool parse_consistency(std::string_view name, consistency& out) noexcept;

// Type option ids.
enum class type_id : std::uint16_t {
    custom = 0x0000,
    ascii = 0x0001,
    bigint = 0x0002,
    blob = 0x0003,
    boolean = 0x0004,
    counter = 0x0005,
    decimal = 0x0006,
    double_ = 0x0007,
    float_ = 0x0008,
    int_ = 0x0009,
    timestamp = 0x000B,
    uuid = 0x000C,
    varchar = 0x000D,
    varint = 0x000E,
    timeuuid = 0x000F,
    inet = 0x0010,
    date = 0x0011,     // v4
    time = 0x0012,     // v4
    smallint = 0x0013, // v4
    tinyint = 0x0014,  // v4
    duration = 0x0015, // v5 id; Cassandra 4+/5 sends duration as custom DurationType in v4
    list = 0x0020,
    map = 0x0021,
    set = 0x0022,
    udt = 0x0030,
    tuple = 0x0031,
    // Not a wire id: Cassandra 5.0 sends vector<T, n> as custom type
    // "org.apache.cassandra.db.marshal.VectorType(<element class>, n)"; read_type turns that name
    // into this id (children[0] = element type, dimension = n) and write_type writes it back.
    vector = 0xFF00,
};

// Java class name Cassandra uses for duration when it sends it as a custom type in v3/v4.
inline constexpr std::string_view duration_class_name = "org.apache.cassandra.db.marshal.DurationType";

// A CQL type: a primitive id, or a collection / UDT / tuple with children.
// list and set: one child; map: key then value; tuple: its element types; udt: field types with
// field_names alongside. custom: class_name. vector: one child (the element type) and dimension.
struct data_type {
    type_id id = type_id::blob;
    std::vector<data_type> children;
    std::string class_name;                // custom
    std::string keyspace, udt_name;        // udt
    std::vector<std::string> field_names;  // udt
    std::uint32_t dimension = 0;           // vector: element count, 1 .. max_vector_dimension

    bool operator==(const data_type&) const = default;

    static data_type of(type_id id) { return data_type{id, {}, {}, {}, {}, {}}; }
    static data_type list_of(data_type elem);
    static data_type set_of(data_type elem);
    static data_type map_of(data_type key, data_type value);
    static data_type tuple_of(std::vector<data_type> elems);
    static data_type custom(std::string class_name);
    static data_type vector_of(data_type elem, std::uint32_t dimension);

    // True for custom DurationType as well as the native duration id.
    bool is_duration() const noexcept;
    // CQL spelling, e.g. "map<text, frozen<list<int>>>" or "vector<float, 3>"; used in messages and tests.
    std::string to_cql() const;
};

// Maximum nesting accepted when decoding a type option; deeper input is refused (nesting_too_deep).
inline constexpr int max_type_depth = 32;

// Cassandra refuses a dimension <= 0; Java ints bound it above. We refuse more than this.
inline constexpr std::uint32_t max_vector_dimension = 1u << 20;
inline constexpr std::string_view vector_class_name = "org.apache.cassandra.db.marshal.VectorType";

// Cassandra's marshal class names (what a custom type option carries). parse_class_name reads a
// VectorType(...) name and the element types a vector holds (the primitive *Type classes,
// ListType, SetType, MapType, TupleType, FrozenType, nested VectorType; not UserType):
// bad_type_name when the name is malformed or names a type we do not know.
[[nodiscard]] std::error_code parse_class_name(std::string_view name, data_type& out);
// The marshal class name of t as Cassandra spells it, e.g. "org.apache.cassandra.db.marshal.VectorType(
// org.apache.cassandra.db.marshal.FloatType , 3)" (one line, a space before the comma); "" for udt.
std::string class_name_of(const data_type& t);

// The width of a value of t when Cassandra's VectorType writes it without a length prefix (its
// valueLengthIfFixed: boolean 1, int and float 4, bigint, counter, double and timestamp 8, uuid and
// timeuuid 16, a vector of those dimension times as many); 0 for the variable-size types, whose
// elements each get an [unsigned vint] length. date, time, smallint and tinyint are variable in
// Cassandra 5.0, whatever their real width.
std::size_t vector_fixed_size(const data_type& t) noexcept;

// Reads an [option] type. Types the version does not have (date, time, smallint, tinyint in v3)
// are refused with unsupported_by_version. Errors go to the reader (sticky).
data_type read_type(byte_reader& r, protocol_version v);
void write_type(byte_writer& w, const data_type& t);

}  // namespace cql::protocol
