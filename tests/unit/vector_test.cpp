// Cassandra 5.0 vector<T, n>: the custom type option carrying VectorType(<element>, n), its class
// name grammar, and the cell codec (fixed-width elements concatenated, the others each behind an
// [unsigned vint] length), as byte-exact vectors written by hand from VectorType.java's rules.
#include <gtest/gtest.h>

#include <string>

#include "hex.hpp"
#include "protocol/value.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

namespace {

constexpr auto v4 = protocol_version::v4;
const std::string pkg = "org.apache.cassandra.db.marshal.";

data_type of(type_id id) { return data_type::of(id); }
data_type vec(data_type e, std::uint32_t n) { return data_type::vector_of(std::move(e), n); }

std::vector<std::uint8_t> custom_option(std::string_view class_name) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    w.u16(0x0000);
    w.string(class_name);
    return out;
}

std::error_code parse_error(std::string_view name) {
    data_type t = of(type_id::blob);
    auto ec = parse_class_name(name, t);
    if (ec) {
        EXPECT_EQ(t, of(type_id::blob)) << "out untouched on error";
    }
    return ec;
}

data_type parsed(std::string_view name) {
    data_type t;
    EXPECT_FALSE(parse_class_name(name, t)) << name;
    return t;
}

std::string encoded_hex(const data_type& t, const cql_value& v) {
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    EXPECT_FALSE(encode_value(w, t, v, v4)) << t.to_cql();
    return to_hex(out);
}

std::error_code encode_error(const data_type& t, const cql_value& v) {
    std::vector<std::uint8_t> out{0xAA};
    byte_writer w(out);
    auto ec = encode_value(w, t, v, v4);
    EXPECT_EQ(to_hex(out), "aa") << "nothing appended on failure";
    return ec;
}

std::error_code decode_error(const data_type& t, std::string_view hex) {
    const auto in = from_hex(hex);
    cql_value out = cql_value::text("untouched");
    auto ec = decode_cell(in, t, v4, out);
    if (ec) {
        EXPECT_EQ(out, cql_value::text("untouched"));
    }
    return ec;
}

// Encodes to [int] length + content, decodes the exact-size content back, and checks the
// one-byte-short and one-byte-extra cells fail with the given errors.
void expect_cell(const data_type& t, const cql_value& v, std::string_view content_hex, errc short_err,
                 errc extra_err) {
    SCOPED_TRACE(t.to_cql() + " = " + std::string(content_hex));
    const auto content = from_hex(content_hex);
    char len[16];
    std::snprintf(len, sizeof len, "%08zx", content.size());
    EXPECT_EQ(encoded_hex(t, v), len + to_hex(content));
    cql_value got;
    ASSERT_FALSE(decode_cell(content, t, v4, got));
    EXPECT_EQ(got, v) << to_string(t, got);
    EXPECT_EQ(decode_error(t, to_hex(std::vector<std::uint8_t>(content.begin(), content.end() - 1))), short_err);
    EXPECT_EQ(decode_error(t, to_hex(content) + "00"), extra_err);
}

cql_value list(cql_list l) { return cql_value{std::move(l)}; }

}  // namespace

TEST(VectorType, TheOptionCassandraSendsReadsAsAVectorAndWritesBackTheSameBytes) {
    const std::string name = pkg + "VectorType(" + pkg + "FloatType , 3)";
    const auto option = custom_option(name);
    byte_reader r(option);
    const data_type t = read_type(r, v4);
    ASSERT_FALSE(r.finish());
    EXPECT_EQ(t, vec(of(type_id::float_), 3));
    EXPECT_EQ(t.to_cql(), "vector<float, 3>");
    EXPECT_EQ(class_name_of(t), name);

    std::vector<std::uint8_t> back;
    byte_writer w(back);
    write_type(w, t);
    EXPECT_EQ(to_hex(back), to_hex(option));
}

TEST(VectorType, ClassNamesCapturedFromACassandra50NodeRoundTripExactly) {
    // What the 5.0.x node sent in a PREPARED result's metadata (captured through the python driver).
    for (const char* name :
         {"org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FloatType , 3)",
          "org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType("
          "org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)) , 2)"}) {
        const data_type t = parsed(name);
        EXPECT_EQ(t.id, type_id::vector) << name;
        EXPECT_EQ(class_name_of(t), name);
    }
    EXPECT_EQ(parsed("org.apache.cassandra.db.marshal.VectorType(org.apache.cassandra.db.marshal.FrozenType("
                     "org.apache.cassandra.db.marshal.ListType(org.apache.cassandra.db.marshal.Int32Type)) , 2)")
                  .to_cql(),
              "vector<frozen<list<int>>, 2>");
}

TEST(VectorType, ClassNameGrammar) {
    EXPECT_EQ(parsed(pkg + "VectorType(" + pkg + "FloatType, 3)"), vec(of(type_id::float_), 3));
    EXPECT_EQ(parsed("VectorType( UTF8Type ,2 )"), vec(of(type_id::varchar), 2));  // TypeParser allows short names
    EXPECT_EQ(parsed(pkg + "VectorType(" + pkg + "FrozenType(" + pkg + "ListType(" + pkg + "Int32Type)) , 2)"),
              vec(data_type::list_of(of(type_id::int_)), 2));
    EXPECT_EQ(parsed("VectorType(MapType(UTF8Type,LongType),1)"),
              vec(data_type::map_of(of(type_id::varchar), of(type_id::bigint)), 1));
    EXPECT_EQ(parsed("VectorType(TupleType(Int32Type,BooleanType),4)"),
              vec(data_type::tuple_of({of(type_id::int_), of(type_id::boolean)}), 4));
    EXPECT_EQ(parsed("VectorType(VectorType(DoubleType , 2) , 8)"), vec(vec(of(type_id::double_), 2), 8));
    EXPECT_EQ(parsed("VectorType(DateType,1)"), vec(of(type_id::timestamp), 1));  // the pre-2.0 name of timestamp
    EXPECT_EQ(vec(data_type::list_of(of(type_id::int_)), 2).to_cql(), "vector<frozen<list<int>>, 2>");
    EXPECT_EQ(vec(vec(of(type_id::double_), 2), 8).to_cql(), "vector<vector<double, 2>, 8>");

    // What the class name of each type writes parses back to it.
    for (const data_type& t : {vec(data_type::map_of(of(type_id::varchar), data_type::set_of(of(type_id::uuid))), 2),
                               vec(data_type::tuple_of({of(type_id::date), of(type_id::time)}), 3),
                               vec(vec(of(type_id::smallint), 2), 2), vec(of(type_id::duration), 1)})
        EXPECT_EQ(parsed(class_name_of(t)), t) << class_name_of(t);
}

TEST(VectorType, MalformedOrUnknownClassNamesAreRefused) {
    for (const std::string name :
         {"VectorType(FloatType, 0)", "VectorType(FloatType, -1)", "VectorType(FloatType)", "VectorType(FloatType, 3",
          "VectorType(FloatType, 3))", "VectorType(FloatType, 3) x", "VectorType(FloatType 3)",
          "VectorType(FloatType, 99999999999)", "VectorType(FloatType, 1048577)", "VectorType(org.foo.Bar, 2)",
          "VectorType(UserType(ks,61,6631:Int32Type), 2)", "VectorType(, 2)", "VectorType(MapType(Int32Type), 2)", ""})
        EXPECT_EQ(parse_error(name), errc::bad_type_name) << name;

    std::string deep = "VectorType(";
    for (int i = 0; i < 40; ++i) deep += "ListType(";
    deep += "Int32Type";
    for (int i = 0; i < 40; ++i) deep += ")";
    EXPECT_EQ(parse_error(deep + ", 1)"), errc::bad_type_name);

    // Through the type option: the reader fails with the same error.
    const auto option = custom_option(pkg + "VectorType(" + pkg + "FloatType, 0)");
    byte_reader r(option);
    (void)read_type(r, v4);
    EXPECT_EQ(r.error(), errc::bad_type_name);
}

TEST(VectorType, OtherCustomTypesStayCustom) {
    for (const std::string& name : {pkg + "VectorTypeX", pkg + "VectorType", std::string("com.example.VectorType(FloatType, 2)")}) {
        const auto option = custom_option(name);
        byte_reader r(option);
        EXPECT_EQ(read_type(r, v4), data_type::custom(name));
        EXPECT_FALSE(r.finish());
    }
}

TEST(VectorCells, FixedWidthElementsAreConcatenated) {
    expect_cell(vec(of(type_id::float_), 3), list({1.0f, 0.5f, -2.0f}), "3f800000 3f000000 c0000000",
                errc::vector_dimension, errc::vector_dimension);
    expect_cell(vec(of(type_id::double_), 1), list({1.0}), "3ff0000000000000", errc::vector_dimension,
                errc::vector_dimension);
    expect_cell(vec(of(type_id::bigint), 2), list({std::int64_t{1}, std::int64_t{-1}}),
                "0000000000000001 ffffffffffffffff", errc::vector_dimension, errc::vector_dimension);
    expect_cell(vec(of(type_id::int_), 2), list({1, 2}), "00000001 00000002", errc::vector_dimension,
                errc::vector_dimension);
    expect_cell(vec(of(type_id::boolean), 2), list({true, false}), "01 00", errc::vector_dimension,
                errc::vector_dimension);
    expect_cell(vec(of(type_id::timestamp), 1), list({std::int64_t{1700000000000}}), "0000018bcfe56800",
                errc::vector_dimension, errc::vector_dimension);
    uuid_bytes u{};
    for (std::size_t i = 0; i < u.size(); ++i) u[i] = static_cast<std::uint8_t>(i);
    expect_cell(vec(of(type_id::uuid), 1), list({u}), "000102030405060708090a0b0c0d0e0f", errc::vector_dimension,
                errc::vector_dimension);
    // A vector of fixed-width vectors is itself fixed-width: 2 x 2 floats, 16 bytes, no lengths.
    expect_cell(vec(vec(of(type_id::float_), 2), 2), list({list({1.0f, 2.0f}), list({3.0f, 4.0f})}),
                "3f800000 40000000 40400000 40800000", errc::vector_dimension, errc::vector_dimension);
}

TEST(VectorCells, VariableWidthElementsEachHaveAnUnsignedVintLength) {
    expect_cell(vec(of(type_id::varchar), 2), list({cql_value::text("a"), cql_value::text("")}), "01 61 00",
                errc::truncated, errc::trailing_bytes);
    // smallint, tinyint, date and time are variable-width in Cassandra 5.0's VectorType.
    expect_cell(vec(of(type_id::smallint), 2), list({std::int16_t{1}, std::int16_t{-2}}), "02 0001 02 fffe",
                errc::truncated, errc::trailing_bytes);
    expect_cell(vec(of(type_id::varint), 2), list({varint_value{{0x01}}, varint_value{{0x00, 0x80}}}),
                "01 01 02 0080", errc::truncated, errc::trailing_bytes);
    // A frozen list inside: its usual cell (count, [bytes] element) behind a vint length of 12.
    expect_cell(vec(data_type::list_of(of(type_id::int_)), 1), list({list({7})}), "0c 00000001 00000004 00000007",
                errc::truncated, errc::trailing_bytes);
    // A 200-byte element: the length takes two vint bytes (0x80 marker | high bits, then the low byte).
    const std::string long_text(200, 'x');
    expect_cell(vec(of(type_id::ascii), 1), list({cql_value::text(long_text)}),
                "80c8" + to_hex(std::vector<std::uint8_t>(long_text.begin(), long_text.end())), errc::truncated,
                errc::trailing_bytes);
}

TEST(VectorCells, WrongDimensionOrElementTypeIsRefusedWhenEncoding) {
    const data_type f3 = vec(of(type_id::float_), 3);
    EXPECT_EQ(encode_error(f3, list({1.0f, 2.0f})), errc::vector_dimension);
    EXPECT_EQ(encode_error(f3, list({1.0f, 2.0f, 3.0f, 4.0f})), errc::vector_dimension);
    EXPECT_EQ(encode_error(f3, list({})), errc::vector_dimension);
    EXPECT_EQ(encode_error(f3, list({1.0f, 2.0, 3.0f})), errc::invalid_value);  // a double among floats
    EXPECT_EQ(encode_error(f3, list({1, 2, 3})), errc::invalid_value);
    EXPECT_EQ(encode_error(f3, list({1.0f, cql_value::null(), 3.0f})), errc::invalid_value);
    EXPECT_EQ(encode_error(f3, list({1.0f, cql_value::unset(), 3.0f})), errc::invalid_value);
    EXPECT_EQ(encode_error(f3, cql_value{1.0f}), errc::invalid_value);
    EXPECT_EQ(encode_error(vec(of(type_id::varchar), 1), list({cql_value::text("\xff")})), errc::invalid_value);
    EXPECT_EQ(encode_error(vec(of(type_id::varchar), 2), list({cql_value::text("a")})), errc::vector_dimension);
    // The whole value null is a null cell, as for any type.
    EXPECT_EQ(encoded_hex(f3, cql_value::null()), "ffffffff");
}

TEST(VectorCells, DecodingErrorsAndNull) {
    const data_type f3 = vec(of(type_id::float_), 3);
    cql_value out = cql_value::text("x");
    ASSERT_FALSE(decode_cell({}, f3, v4, out));
    EXPECT_TRUE(out.is_null()) << "an empty cell is null, as Cassandra's isNull says";
    EXPECT_EQ(decode_error(f3, "3f800000 3f000000"), errc::vector_dimension);  // 2 of 3 floats
    EXPECT_EQ(decode_error(vec(of(type_id::smallint), 1), "00"), errc::invalid_value);  // an empty (null) element
    EXPECT_EQ(decode_error(vec(of(type_id::varchar), 1), "01 ff"), errc::invalid_value);  // not UTF-8
    EXPECT_EQ(decode_error(vec(of(type_id::varchar), 1), "05 6162"), errc::truncated);  // length past the end
    EXPECT_EQ(decode_error(vec(of(type_id::varchar), 1), "ff"), errc::truncated);        // a cut vint
    EXPECT_EQ(decode_error(vec(of(type_id::varchar), 2), "01 61"), errc::truncated);     // the second is missing
}

TEST(VectorCells, RenderAsAList) {
    EXPECT_EQ(to_string(vec(of(type_id::varchar), 2), list({cql_value::text("a"), cql_value::text("b")})),
              "['a', 'b']");
    EXPECT_EQ(to_string(vec(of(type_id::int_), 2), list({1, 2})), "[1, 2]");
}
