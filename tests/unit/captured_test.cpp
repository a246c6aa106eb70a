// Frames captured from a real Cassandra 5.0 node (tests/data/captured_frames.txt, written by
// tools/capture/capture_vectors) decode to what the node said; cut or padded, they are refused.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "hex.hpp"
#include "protocol/responses.hpp"
#include "protocol/value.hpp"

using namespace cql::protocol;

namespace {

struct captured {
    std::string name;
    frame f;
};

std::vector<captured> load() {
    std::ifstream in(CQL_TEST_DATA_DIR "/captured_frames.txt");
    std::vector<captured> out;
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream fields(line);
        std::string name, version, hex;
        fields >> name >> version >> hex;
        auto bytes = cql::test::from_hex(hex);
        frame_reader r;
        r.feed(bytes);
        captured c{name, {}};
        std::error_code ec;
        EXPECT_TRUE(r.next(c.f, ec)) << name << ": " << ec.message();
        EXPECT_EQ(r.buffered(), 0u) << name;
        out.push_back(std::move(c));
    }
    return out;
}

const captured& find(const std::vector<captured>& all, const std::string& name) {
    for (const auto& c : all)
        if (c.name == name) return c;
    throw std::runtime_error("no captured frame named " + name);
}

response decode(const captured& c) {
    response r;
    EXPECT_FALSE(decode_response(c.f, r)) << c.name;
    return r;
}

const result& result_of(const response& r) { return std::get<result>(r.body); }

}  // namespace

TEST(Captured, EveryFrameDecodesAndRefusesCutOrPaddedBodies) {
    auto all = load();
    ASSERT_GE(all.size(), 20u);
    for (const auto& c : all) {
        response r;
        ASSERT_FALSE(decode_response(c.f, r)) << c.name;
        if (c.f.body.empty()) continue;
        frame shorter = c.f;
        shorter.body.pop_back();
        shorter.header.length -= 1;
        EXPECT_TRUE(decode_response(shorter, r)) << c.name << " one byte short";
        frame longer = c.f;
        longer.body.push_back(0);
        longer.header.length += 1;
        EXPECT_EQ(decode_response(longer, r), errc::trailing_bytes) << c.name << " one byte extra";
    }
}

TEST(Captured, HandshakeMessages) {
    auto all = load();
    auto sup = std::get<supported_response>(decode(find(all, "supported")).body);
    ASSERT_NE(sup.find("PROTOCOL_VERSIONS"), nullptr);
    ASSERT_NE(sup.find("CQL_VERSION"), nullptr);
    auto auth = std::get<authenticate_response>(decode(find(all, "authenticate")).body);
    EXPECT_NE(auth.authenticator.find("PasswordAuthenticator"), std::string::npos);
    EXPECT_TRUE(std::holds_alternative<auth_success_response>(decode(find(all, "auth_success")).body));
    EXPECT_TRUE(std::holds_alternative<auth_success_response>(decode(find(all, "v3_auth_success")).body));
}

TEST(Captured, Errors) {
    auto all = load();
    EXPECT_EQ(std::get<error_response>(decode(find(all, "error_syntax")).body).code, server_errc::syntax_error);
    EXPECT_EQ(std::get<error_response>(decode(find(all, "v3_error_syntax")).body).code, server_errc::syntax_error);
    auto inv = std::get<error_response>(decode(find(all, "error_invalid_unknown_keyspace")).body);
    EXPECT_EQ(inv.code, server_errc::invalid);
    EXPECT_NE(inv.message.find("no_such_keyspace"), std::string::npos);
    auto exists = std::get<error_response>(decode(find(all, "error_already_exists")).body);
    ASSERT_EQ(exists.code, server_errc::already_exists);
    EXPECT_EQ(std::get<already_exists_info>(exists.details).keyspace, "capture_vectors");
    auto unprep = std::get<error_response>(decode(find(all, "error_unprepared")).body);
    ASSERT_EQ(unprep.code, server_errc::unprepared);
    EXPECT_EQ(cql::test::to_hex(std::get<unprepared_info>(unprep.details).id), "0102030405060708090a0b0c0d0e0f10");
}

TEST(Captured, SchemaChangesVoidAndSetKeyspace) {
    auto all = load();
    auto ks = std::get<schema_change_event>(result_of(decode(find(all, "schema_change_keyspace"))));
    EXPECT_EQ(ks.change_type, schema_change_type::created);
    EXPECT_EQ(ks.target, schema_change_target::keyspace);
    EXPECT_EQ(ks.keyspace, "capture_vectors");
    auto table = std::get<schema_change_event>(result_of(decode(find(all, "schema_change_table"))));
    EXPECT_EQ(table.target, schema_change_target::table);
    EXPECT_EQ(table.name, "all_types");
    auto type = std::get<schema_change_event>(result_of(decode(find(all, "schema_change_type"))));
    EXPECT_EQ(type.target, schema_change_target::type);
    auto drop = std::get<schema_change_event>(result_of(decode(find(all, "schema_change_drop"))));
    EXPECT_EQ(drop.change_type, schema_change_type::dropped);
    EXPECT_TRUE(std::holds_alternative<void_result>(result_of(decode(find(all, "void_insert")))));
    EXPECT_EQ(std::get<set_keyspace_result>(result_of(decode(find(all, "set_keyspace")))).keyspace, "capture_vectors");
}

TEST(Captured, RowsOfEveryTypeDecodeToTheInsertedValues) {
    auto all = load();
    auto rows = std::get<rows_result>(result_of(decode(find(all, "rows_all_types"))));
    ASSERT_EQ(rows.row_count, 1);
    std::map<std::string, cql_value> got;
    for (std::size_t c = 0; c < rows.column_count(); ++c) {
        cql_value v;
        auto cell = rows.cell(0, c);
        ASSERT_FALSE(cell.is_null()) << rows.metadata.columns[c].name;
        ASSERT_FALSE(decode_cell(cell.data, rows.metadata.columns[c].type, protocol_version::v4, v)) << rows.metadata.columns[c].name;
        got[rows.metadata.columns[c].name] = v;
    }
    EXPECT_EQ(got["c_text"], cql_value::text("Grüße"));
    EXPECT_EQ(got["c_bigint"], cql_value{std::int64_t{-42}});
    EXPECT_EQ(got["c_blob"], cql_value(std::vector<std::uint8_t>{0xca, 0xfe}));
    EXPECT_EQ(got["c_duration"], cql_value(duration_value{1, 2, 3LL * 3600 * 1000000000}));
    EXPECT_EQ(got["c_time"], cql_value(cql_time{((13LL * 60 + 14) * 60 + 15) * 1000000000 + 123456789}));
    EXPECT_EQ(got["c_timestamp"], cql_value{std::int64_t{1704164645678}});
    EXPECT_EQ(got["c_date"], cql_value(cql_date{(1u << 31) + 19782}));  // 2024-02-29
    EXPECT_EQ(got["c_decimal"], cql_value(decimal_value{{0x01, 0xe2, 0x40}, 3}));
    EXPECT_EQ(got["c_list"], cql_value(cql_list{cql_value{1}, cql_value{2}, cql_value{3}}));
    EXPECT_EQ(got["c_tuple"], cql_value(cql_list{cql_value{9}, cql_value::text("nine")}));
    EXPECT_EQ(got["c_udt"], cql_value(cql_list{cql_value{1}, cql_value{2}}));
    EXPECT_EQ(got["c_nested"], cql_value(cql_map{{cql_value::text("k"), cql_value(cql_list{cql_value{4}, cql_value{5}})}}));
}

TEST(Captured, SystemTablesPagingAndPrepared) {
    auto all = load();
    auto local = std::get<rows_result>(result_of(decode(find(all, "rows_system_local"))));
    EXPECT_EQ(local.row_count, 1);
    auto v3local = std::get<rows_result>(result_of(decode(find(all, "v3_rows_system_local"))));
    EXPECT_EQ(v3local.row_count, 1);
    auto paged = std::get<rows_result>(result_of(decode(find(all, "rows_paged"))));
    EXPECT_EQ(paged.row_count, 3);
    EXPECT_TRUE(paged.metadata.has_more_pages());
    auto ins = std::get<prepared_result>(result_of(decode(find(all, "prepared_insert"))));
    ASSERT_EQ(ins.metadata.columns.size(), 3u);
    EXPECT_EQ(ins.metadata.pk_indexes, std::vector<std::uint16_t>{0});
    EXPECT_EQ(ins.metadata.columns[2].type, data_type::list_of(data_type::of(type_id::int_)));
    auto sel = std::get<prepared_result>(result_of(decode(find(all, "prepared_select"))));
    EXPECT_GE(sel.result_metadata.columns.size(), 20u);
    auto v3 = std::get<prepared_result>(result_of(decode(find(all, "v3_prepared_select"))));
    EXPECT_TRUE(v3.metadata.pk_indexes.empty());
    EXPECT_EQ(v3.metadata.columns.size(), 1u);
}
