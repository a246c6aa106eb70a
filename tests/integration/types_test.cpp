// Every CQL type round-trips through a real table: written with a prepared INSERT (types from the
// server's metadata), read back with SELECT and compared value by value; nulls too.
#include <gtest/gtest.h>

#include <cmath>

#include "client_fixture.hpp"

using namespace cql;
using namespace cql::test;
using namespace cql::protocol;

namespace {

struct column_case {
    const char* name;
    const char* cql_type;
    cql_value value;
};

std::vector<column_case> every_type() {
    uuid_bytes u{0x55, 0x0e, 0x84, 0x00, 0xe2, 0x9b, 0x41, 0xd4, 0xa7, 0x16, 0x44, 0x66, 0x55, 0x44, 0x00, 0x00};
    uuid_bytes tu{0x8e, 0x2f, 0x00, 0x60, 0x1d, 0x11, 0x11, 0xef, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01};
    inet_address v4;
    v4.size = 4;
    v4.bytes = {10, 1, 2, 3};
    inet_address v6;
    v6.size = 16;
    v6.bytes = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    return {
        {"c_ascii", "ascii", cql_value::text("plain ascii")},
        {"c_bigint", "bigint", cql_value{std::int64_t{-9223372036854775807LL - 1}}},
        {"c_blob", "blob", cql_value{std::vector<std::uint8_t>{0, 1, 0xfe, 0xff}}},
        {"c_boolean", "boolean", cql_value{true}},
        {"c_date", "date", cql_value{cql_date{(1u << 31) + 19000}}},
        {"c_decimal", "decimal", cql_value{decimal_value{{0x01, 0xe2, 0x40}, 3}}},  // 123.456
        {"c_double", "double", cql_value{-1.5e300}},
        {"c_duration", "duration", cql_value{duration_value{14, 3, 1234567890}}},
        {"c_float", "float", cql_value{3.25f}},
        {"c_inet4", "inet", cql_value{v4}},
        {"c_inet6", "inet", cql_value{v6}},
        {"c_int", "int", cql_value{std::int32_t{-2147483647 - 1}}},
        {"c_smallint", "smallint", cql_value{std::int16_t{-32768}}},
        {"c_text", "text", cql_value::text("Grüße, 世界 🚀")},
        {"c_time", "time", cql_value{cql_time{86399999999999}}},
        {"c_timestamp", "timestamp", cql_value{std::int64_t{1700000000123}}},
        {"c_timeuuid", "timeuuid", cql_value{tu}},
        {"c_tinyint", "tinyint", cql_value{std::int8_t{-128}}},
        {"c_uuid", "uuid", cql_value{u}},
        {"c_varint", "varint", cql_value{varint_value{{0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}}},  // 2^64 - 1
        {"c_list", "list<int>", cql_value{cql_list{cql_value{1}, cql_value{2}, cql_value{2}}}},
        {"c_set", "set<text>", cql_value{cql_list{cql_value::text("a"), cql_value::text("b")}}},
        {"c_map", "map<text, bigint>", cql_value{cql_map{{cql_value::text("x"), cql_value{std::int64_t{1}}},
                                                          {cql_value::text("y"), cql_value{std::int64_t{-1}}}}}},
        {"c_tuple", "tuple<int, text, frozen<list<int>>>",
         cql_value{cql_list{cql_value{5}, cql_value{}, cql_value{cql_list{cql_value{9}}}}}},
        {"c_udt", "frozen<address>", cql_value{cql_list{cql_value::text("Main St"), cql_value{12}, cql_value{}}}},
        {"c_nested", "map<text, frozen<list<frozen<map<int, text>>>>>",
         cql_value{cql_map{{cql_value::text("k"),
                            cql_value{cql_list{cql_value{cql_map{{cql_value{1}, cql_value::text("one")}}}, cql_value{cql_map{}}}}}}}},
    };
}

}  // namespace

TEST(Types, EveryTypeRoundTripsThroughATable) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, "it_types");
    run(db, statement("CREATE TYPE it_types.address (street text, number int, note text)"));
    auto cases = every_type();
    std::string ddl = "CREATE TABLE it_types.t (k int PRIMARY KEY";
    std::string cols = "k", marks = "?";
    for (const auto& c : cases) {
        ddl += std::string(", ") + c.name + " " + c.cql_type;
        cols += std::string(", ") + c.name;
        marks += ", ?";
    }
    run(db, statement(ddl + ")"));
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO it_types.t (" + cols + ") VALUES (" + marks + ")", ec);
    ASSERT_FALSE(ec) << ins.diag.message;
    std::vector<cql_value> values{cql_value{1}};
    for (const auto& c : cases) values.push_back(c.value);
    auto w = db.execute(bound_statement{ins, values, {}}, ec);
    ASSERT_FALSE(ec) << w.diag.message;
    std::vector<cql_value> nulls{cql_value{2}};
    for (std::size_t i = 0; i < cases.size(); ++i) nulls.push_back(cql_value::null());
    db.execute(bound_statement{ins, nulls, {}}, ec);
    ASSERT_FALSE(ec);

    auto r = run(db, statement("SELECT " + cols + " FROM it_types.t WHERE k = 1"));
    ASSERT_EQ(r.size(), 1u);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        auto got = r.value(0, i + 1, ec);
        ASSERT_FALSE(ec) << cases[i].name << ": " << ec.message();
        EXPECT_EQ(got, cases[i].value) << cases[i].name << " (" << cases[i].cql_type << "): got "
                                       << to_string(r.columns()[i + 1].type, got);
    }
    auto n = run(db, statement("SELECT " + cols + " FROM it_types.t WHERE k = 2"));
    ASSERT_EQ(n.size(), 1u);
    for (std::size_t i = 0; i < cases.size(); ++i) EXPECT_TRUE(n.is_null(0, i + 1)) << cases[i].name;
}
