// Response decoders against hand-written spec vectors: every message, every error code, rows and
// prepared metadata in v3 and v4, frame extras; each exact, one byte short and one byte extra.
#include "protocol/responses.hpp"

#include <gtest/gtest.h>

#include <cstdio>

#include "hex.hpp"

using namespace cql::protocol;
using cql::test::from_hex;

namespace {

constexpr auto v3 = protocol_version::v3;
constexpr auto v4 = protocol_version::v4;

// A vector of exactly the vector's bytes: no spare capacity hides an over-read from ASan.
std::vector<std::uint8_t> exact(std::span<const std::uint8_t> b) { return {b.begin(), b.end()}; }

std::error_code err(errc e) { return make_error_code(e); }

// Decodes the vector exactly, then checks that one byte short fails with short_error and one byte
// extra fails with trailing_bytes. Returns what the exact decode produced.
template <class Out>
Out decode_checked(std::error_code (*decode)(bytes_view, protocol_version, Out&), std::string_view hex,
                   protocol_version v = v4, errc short_error = errc::truncated) {
    const auto bytes = from_hex(hex);
    Out out{};
    EXPECT_EQ(decode(exact(bytes), v, out), std::error_code{}) << hex;
    if (!bytes.empty()) {
        Out shorter{};
        EXPECT_EQ(decode(exact(std::span(bytes).first(bytes.size() - 1)), v, shorter), err(short_error)) << hex;
    }
    auto longer = bytes;
    longer.push_back(0xab);
    Out extra{};
    EXPECT_EQ(decode(exact(longer), v, extra), err(errc::trailing_bytes)) << hex;
    return out;
}

template <class Out>
std::error_code decode_hex(std::error_code (*decode)(bytes_view, protocol_version, Out&), std::string_view hex,
                           protocol_version v = v4) {
    Out out{};
    return decode(exact(from_hex(hex)), v, out);
}

std::vector<std::uint8_t> bytes_of(std::string_view hex) { return from_hex(hex); }

std::string text(value_view v) { return {v.data.begin(), v.data.end()}; }

}  // namespace

// ---- ERROR -------------------------------------------------------------------------------------------

TEST(ErrorResponse, PlainCodesHaveOnlyAMessage) {
    for (std::int32_t code : {0x0000, 0x000A, 0x0100, 0x1001, 0x1002, 0x1003, 0x2000, 0x2100, 0x2200, 0x2300}) {
        char hex[64];
        std::snprintf(hex, sizeof hex, "%08x 0004 626f6f6d", static_cast<unsigned>(code));  // "boom"
        auto e = decode_checked(decode_error, hex);
        EXPECT_EQ(static_cast<std::int32_t>(e.code), code);
        EXPECT_EQ(e.message, "boom");
        EXPECT_TRUE(std::holds_alternative<std::monostate>(e.details));
        EXPECT_EQ(e.error_code().category(), server_category());
    }
}

TEST(ErrorResponse, Unavailable) {
    auto e = decode_checked(decode_error, "00001000 0001 78 0006 00000003 00000001");
    EXPECT_EQ(e.code, server_errc::unavailable);
    EXPECT_EQ(e.message, "x");
    EXPECT_EQ(std::get<unavailable_info>(e.details), (unavailable_info{consistency::local_quorum, 3, 1}));
    EXPECT_EQ(decode_hex(decode_error, "00001000 0001 78 000b 00000003 00000001"), err(errc::unknown_consistency));
}

TEST(ErrorResponse, WriteTimeoutKeepsTheWriteTypeString) {
    auto e = decode_checked(decode_error, "00001100 0001 78 0001 00000000 00000001 0006 53494d504c45");
    const auto& i = std::get<write_timeout_info>(e.details);
    EXPECT_EQ(i, (write_timeout_info{consistency::one, 0, 1, "SIMPLE"}));
    EXPECT_EQ(i.kind(), write_type_kind::simple);
    e = decode_checked(decode_error, "00001100 0001 78 0005 00000002 00000003 0009 42415443485f4c4f47");
    EXPECT_EQ(std::get<write_timeout_info>(e.details).kind(), write_type_kind::batch_log);
    e = decode_checked(decode_error, "00001100 0001 78 0005 00000002 00000003 0003 464f4f");  // "FOO"
    EXPECT_EQ(std::get<write_timeout_info>(e.details).write_type, "FOO");
    EXPECT_EQ(std::get<write_timeout_info>(e.details).kind(), write_type_kind::unknown);
}

TEST(ErrorResponse, WriteTypeNames) {
    EXPECT_EQ(parse_write_type("SIMPLE"), write_type_kind::simple);
    EXPECT_EQ(parse_write_type("BATCH"), write_type_kind::batch);
    EXPECT_EQ(parse_write_type("UNLOGGED_BATCH"), write_type_kind::unlogged_batch);
    EXPECT_EQ(parse_write_type("COUNTER"), write_type_kind::counter);
    EXPECT_EQ(parse_write_type("BATCH_LOG"), write_type_kind::batch_log);
    EXPECT_EQ(parse_write_type("CAS"), write_type_kind::cas);
    EXPECT_EQ(parse_write_type("VIEW"), write_type_kind::view);
    EXPECT_EQ(parse_write_type("CDC"), write_type_kind::cdc);
    EXPECT_EQ(parse_write_type("simple"), write_type_kind::unknown);
}

TEST(ErrorResponse, ReadTimeout) {
    auto e = decode_checked(decode_error, "00001200 0001 78 0004 00000001 00000002 00");
    EXPECT_EQ(std::get<read_timeout_info>(e.details), (read_timeout_info{consistency::quorum, 1, 2, false}));
    e = decode_checked(decode_error, "00001200 0001 78 0004 00000002 00000002 07", v3);
    EXPECT_TRUE(std::get<read_timeout_info>(e.details).data_present);
}

TEST(ErrorResponse, ReadFailure) {
    auto e = decode_checked(decode_error, "00001300 0001 78 0005 00000002 00000003 00000001 01");
    EXPECT_EQ(std::get<read_failure_info>(e.details), (read_failure_info{consistency::all, 2, 3, 1, true}));
}

TEST(ErrorResponse, FunctionFailure) {
    auto e = decode_checked(decode_error, "00001400 0001 78 0002 6b73 0001 66 0002 0003 696e74 0004 74657874");
    EXPECT_EQ(std::get<function_failure_info>(e.details),
              (function_failure_info{"ks", "f", {"int", "text"}}));
}

TEST(ErrorResponse, WriteFailure) {
    auto e = decode_checked(decode_error, "00001500 0001 78 000a 00000000 00000001 00000001 0007 434f554e544552");
    const auto& i = std::get<write_failure_info>(e.details);
    EXPECT_EQ(i, (write_failure_info{consistency::local_one, 0, 1, 1, "COUNTER"}));
    EXPECT_EQ(i.kind(), write_type_kind::counter);
}

TEST(ErrorResponse, AlreadyExistsTableAndKeyspace) {
    auto e = decode_checked(decode_error, "00002400 0001 78 0002 6b73 0002 7462");
    EXPECT_EQ(std::get<already_exists_info>(e.details), (already_exists_info{"ks", "tb"}));
    e = decode_checked(decode_error, "00002400 0001 78 0002 6b73 0000");
    EXPECT_EQ(std::get<already_exists_info>(e.details), (already_exists_info{"ks", ""}));
}

TEST(ErrorResponse, Unprepared) {
    auto e = decode_checked(decode_error, "00002500 0001 78 0004 deadbeef");
    EXPECT_EQ(std::get<unprepared_info>(e.details).id, bytes_of("deadbeef"));
}

TEST(ErrorResponse, UnknownAndLaterVersionCodesKeepCodeAndMessageAndSkipTheRest) {
    error_response e;
    // 0x7777 is in no spec; cas_write_unknown (with <cl><received><blockfor>) and cdc_write_failure are v5.
    for (const char* hex : {"00007777 0001 78", "00007777 0001 78 0102", "00001700 0001 78 0004 00000001 00000002",
                            "00001600 0001 78"}) {
        ASSERT_FALSE(decode_error(exact(from_hex(hex)), v4, e)) << hex;
        EXPECT_EQ(e.message, "x");
        EXPECT_TRUE(std::holds_alternative<std::monostate>(e.details));
    }
    EXPECT_EQ(e.code, server_errc::cdc_write_failure);
    // v3 has no read_failure: the v4 details are not read.
    ASSERT_FALSE(decode_error(exact(from_hex("00001300 0001 78 0005 00000002 00000003 00000001 01")), v3, e));
    EXPECT_EQ(e.code, server_errc::read_failure);
    EXPECT_TRUE(std::holds_alternative<std::monostate>(e.details));
    // The code and message themselves must be whole.
    EXPECT_EQ(decode_hex(decode_error, "00007777 0002 78"), err(errc::truncated));
    EXPECT_EQ(decode_hex(decode_error, "000077"), err(errc::truncated));
}

// ---- Handshake responses -------------------------------------------------------------------------

TEST(HandshakeResponses, Ready) {
    ready_response r;
    EXPECT_FALSE(decode_ready({}, v4, r));
    EXPECT_EQ(decode_hex(decode_ready, "00"), err(errc::trailing_bytes));
}

TEST(HandshakeResponses, Authenticate) {
    auto a = decode_checked(decode_authenticate,
                            "002f 6f72672e6170616368652e63617373616e6472612e617574682e50617373776f72644175"
                            "7468656e74696361746f72");
    EXPECT_EQ(a.authenticator, "org.apache.cassandra.auth.PasswordAuthenticator");
}

TEST(HandshakeResponses, Supported) {
    auto s = decode_checked(decode_supported,
                            "0002 000b 434f4d5052455353494f4e 0002 0003 6c7a34 0006 736e61707079"
                            "     000b 43514c5f56455253494f4e 0001 0005 332e302e30");
    ASSERT_EQ(s.options.size(), 2u);
    ASSERT_NE(s.find("COMPRESSION"), nullptr);
    EXPECT_EQ(*s.find("COMPRESSION"), (std::vector<std::string>{"lz4", "snappy"}));
    EXPECT_EQ(*s.find("CQL_VERSION"), (std::vector<std::string>{"3.0.0"}));
    EXPECT_EQ(s.find("PROTOCOL_VERSIONS"), nullptr);
}

TEST(HandshakeResponses, AuthChallengeAndSuccessTokens) {
    auto c = decode_checked(decode_auth_challenge, "00000003 010203");
    EXPECT_EQ(c.token, bytes_of("010203"));
    c = decode_checked(decode_auth_challenge, "ffffffff");
    EXPECT_FALSE(c.token.has_value());
    auto s = decode_checked(decode_auth_success, "00000000");
    ASSERT_TRUE(s.token.has_value());
    EXPECT_TRUE(s.token->empty());
    s = decode_checked(decode_auth_success, "ffffffff");
    EXPECT_FALSE(s.token.has_value());
}

// ---- EVENT ---------------------------------------------------------------------------------------

TEST(EventBody, TopologyChange) {
    const std::string tc = "000f 544f504f4c4f47595f4348414e4745 ";
    auto e = decode_checked(decode_event, tc + "0008 4e45575f4e4f4445 04 7f000001 00002352");
    const auto& t = std::get<topology_change_event>(e);
    EXPECT_EQ(t.change, topology_change::new_node);
    EXPECT_EQ(t.address.to_string(), "127.0.0.1");
    EXPECT_EQ(t.address.port, 9042);
    e = decode_checked(decode_event, tc + "000c 52454d4f5645445f4e4f4445 04 0a000002 00002352");
    EXPECT_EQ(std::get<topology_change_event>(e).change, topology_change::removed_node);
    e = decode_checked(decode_event, tc + "000a 4d4f5645445f4e4f4445 04 0a000002 00002352", v3);
    EXPECT_EQ(std::get<topology_change_event>(e).change, topology_change::moved_node);
}

TEST(EventBody, StatusChangeWithIpv6) {
    auto e = decode_checked(decode_event, "000d 5354415455535f4348414e4745 0004 444f574e"
                                          " 10 00000000000000000000000000000001 00002352");
    const auto& s = std::get<status_change_event>(e);
    EXPECT_EQ(s.change, status_change::down);
    EXPECT_EQ(s.address.size, 16);
    EXPECT_EQ(s.address.bytes[15], 1);
    e = decode_checked(decode_event, "000d 5354415455535f4348414e4745 0002 5550 04 7f000001 00002352");
    EXPECT_EQ(std::get<status_change_event>(e).change, status_change::up);
}

TEST(EventBody, SchemaChangeEveryTarget) {
    const std::string sc = "000d 534348454d415f4348414e4745 ";
    auto e = decode_checked(decode_event, sc + "0007 43524541544544 0008 4b45595350414345 0002 6b73");
    EXPECT_EQ(std::get<schema_change_event>(e),
              (schema_change_event{schema_change_type::created, schema_change_target::keyspace, "ks", "", {}}));
    e = decode_checked(decode_event, sc + "0007 55504441544544 0005 5441424c45 0002 6b73 0002 7462", v3);
    EXPECT_EQ(std::get<schema_change_event>(e),
              (schema_change_event{schema_change_type::updated, schema_change_target::table, "ks", "tb", {}}));
    e = decode_checked(decode_event, sc + "0007 44524f50504544 0004 54595045 0002 6b73 0001 75");
    EXPECT_EQ(std::get<schema_change_event>(e),
              (schema_change_event{schema_change_type::dropped, schema_change_target::type, "ks", "u", {}}));
    const std::string function = "0007 44524f50504544 0008 46554e4354494f4e 0002 6b73 0001 66 0001 0003 696e74";
    e = decode_checked(decode_event, sc + function);
    EXPECT_EQ(std::get<schema_change_event>(e),
              (schema_change_event{schema_change_type::dropped, schema_change_target::function, "ks", "f", {"int"}}));
    e = decode_checked(decode_event, sc + "0007 43524541544544 0009 414747524547415445 0002 6b73 0001 61 "
                                          "0002 0003 696e74 0004 74657874");
    EXPECT_EQ(std::get<schema_change_event>(e).target, schema_change_target::aggregate);
    EXPECT_EQ(std::get<schema_change_event>(e).arg_types, (std::vector<std::string>{"int", "text"}));
    // v3 has no functions or aggregates.
    EXPECT_EQ(decode_hex(decode_event, sc + function, v3), err(errc::unsupported_by_version));
}

TEST(EventBody, UnknownTypeChangeOrTargetIsRefused) {
    EXPECT_EQ(decode_hex(decode_event, "0003 464f4f"), err(errc::unknown_event));
    EXPECT_EQ(decode_hex(decode_event, "000d 5354415455535f4348414e4745 0008 5349444557415953 04 7f000001 00002352"),
              err(errc::unknown_event));
    EXPECT_EQ(decode_hex(decode_event, "000d 534348454d415f4348414e4745 0008 5349444557415953 0005 5441424c45"),
              err(errc::unknown_event));
    EXPECT_EQ(decode_hex(decode_event, "000d 534348454d415f4348414e4745 0007 43524541544544 0003 464f4f 0002 6b73"),
              err(errc::unknown_event));
}

// ---- RESULT: Void, Set_keyspace, Schema_change, kind ------------------------------------------------

TEST(ResultBody, VoidSetKeyspaceSchemaChange) {
    auto r = decode_checked(decode_result, "00000001");
    EXPECT_TRUE(std::holds_alternative<void_result>(r));
    r = decode_checked(decode_result, "00000003 0002 6b73");
    EXPECT_EQ(std::get<set_keyspace_result>(r).keyspace, "ks");
    r = decode_checked(decode_result, "00000005 0007 43524541544544 0005 5441424c45 0002 6b73 0002 7462");
    EXPECT_EQ(std::get<schema_change_event>(r),
              (schema_change_event{schema_change_type::created, schema_change_target::table, "ks", "tb", {}}));
    EXPECT_EQ(decode_hex(decode_result, "00000006"), err(errc::unknown_result_kind));
    EXPECT_EQ(decode_hex(decode_result, "00000000"), err(errc::unknown_result_kind));
}

// ---- RESULT: Rows --------------------------------------------------------------------------------

TEST(RowsResult, GlobalTableSpecWithNullCellAndOwnedStorage) {
    const char* hex =
        "00000002 00000001 00000002 0002 6b73 0002 7462"  // kind Rows, Global_tables_spec, 2 columns, ks.tb
        "  0002 6964 0009  0004 6e616d65 000d"            // id int, name varchar
        "00000002"                                        // 2 rows
        "  00000004 00000001  00000003 616263"            // 1, "abc"
        "  00000004 00000002  ffffffff";                  // 2, null
    auto r = decode_checked(decode_result, hex);
    auto rows = std::get<rows_result>(std::move(r));
    r = void_result{};  // the cells must not point into anything the decoder was given
    const auto& m = rows.metadata;
    EXPECT_EQ(m.flags, rows_flag::global_tables_spec);
    EXPECT_FALSE(m.no_metadata);
    EXPECT_FALSE(m.has_more_pages());
    ASSERT_EQ(m.columns.size(), 2u);
    EXPECT_EQ(m.columns[0], (column_spec{"ks", "tb", "id", data_type::of(type_id::int_)}));
    EXPECT_EQ(m.columns[1], (column_spec{"ks", "tb", "name", data_type::of(type_id::varchar)}));
    EXPECT_EQ(rows.row_count, 2);
    EXPECT_EQ(rows.column_count(), 2u);
    ASSERT_EQ(rows.cells.size(), 4u);
    const rows_result copy = rows;
    rows = rows_result{};
    EXPECT_EQ(copy.cell(0, 0), value_view::of(bytes_of("00000001")));
    EXPECT_EQ(text(copy.cell(0, 1)), "abc");
    EXPECT_EQ(copy.cell(1, 0), value_view::of(bytes_of("00000002")));
    EXPECT_TRUE(copy.cell(1, 1).is_null());
    EXPECT_TRUE(copy.cell(2, 0).is_null());  // out of range
    EXPECT_TRUE(copy.cell(0, 2).is_null());
}

TEST(RowsResult, PagingStatePerColumnSpecAndEmptyCell) {
    auto r = decode_checked(decode_result,
                            "00000002 00000002 00000001 00000004 cafebabe"  // Has_more_pages, 1 column, paging state
                            "  0002 6b73 0002 7462 0001 76 0003"            // ks.tb.v blob
                            "00000001 00000000");                           // 1 row: an empty (not null) blob
    const auto& rows = std::get<rows_result>(r);
    ASSERT_TRUE(rows.metadata.has_more_pages());
    EXPECT_EQ(*rows.metadata.paging_state, bytes_of("cafebabe"));
    EXPECT_EQ(rows.metadata.columns.at(0), (column_spec{"ks", "tb", "v", data_type::of(type_id::blob)}));
    const auto cell = rows.cell(0, 0);
    EXPECT_FALSE(cell.is_null());
    EXPECT_TRUE(cell.data.empty());
}

TEST(RowsResult, NoMetadataTakesTheColumnCountFromTheMetadata) {
    auto r = decode_checked(decode_result,
                            "00000002 00000006 00000003 00000002 0102"  // No_metadata | Has_more_pages, 3 columns
                            "00000001 00000001 05 ffffffff 00000000");  // 1 row of 3 cells
    const auto& rows = std::get<rows_result>(r);
    EXPECT_TRUE(rows.metadata.no_metadata);
    EXPECT_TRUE(rows.metadata.columns.empty());
    EXPECT_EQ(*rows.metadata.paging_state, bytes_of("0102"));
    ASSERT_EQ(rows.column_count(), 3u);
    EXPECT_EQ(rows.cell(0, 0), value_view::of(bytes_of("05")));
    EXPECT_TRUE(rows.cell(0, 1).is_null());
    EXPECT_EQ(rows.cell(0, 2), value_view::of(bytes_of("")));
}

TEST(RowsResult, NestedAndZeroRows) {
    // list<frozen<map<text, int>>> and a tuple<int, blob>, no rows.
    auto r = decode_checked(decode_result,
                            "00000002 00000001 00000002 0002 6b73 0002 7462"
                            "  0001 6c 0020 0021 000d 0009"
                            "  0001 74 0031 0002 0009 0003"
                            "00000000");
    const auto& rows = std::get<rows_result>(r);
    EXPECT_EQ(rows.metadata.columns.at(0).type,
              data_type::list_of(data_type::map_of(data_type::of(type_id::varchar), data_type::of(type_id::int_))));
    EXPECT_EQ(rows.metadata.columns.at(1).type.to_cql(), "tuple<int, blob>");
    EXPECT_EQ(rows.row_count, 0);
    EXPECT_TRUE(rows.cells.empty());
}

TEST(RowsResult, VersionIsPassedToTheTypeReader) {
    // date (0x0011) exists from v4 on.
    const char* hex = "00000002 00000001 00000001 0002 6b73 0002 7462 0001 64 0011 00000000";
    EXPECT_FALSE(decode_hex(decode_result, hex, v4));
    EXPECT_EQ(decode_hex(decode_result, hex, v3), err(errc::unsupported_by_version));
}

TEST(RowsResult, BadCountsAndFlags) {
    EXPECT_EQ(decode_hex(decode_result, "00000002 00000004 ffffffff 00000000"), err(errc::invalid_length));
    EXPECT_EQ(decode_hex(decode_result, "00000002 00000004 00000001 ffffffff"), err(errc::invalid_length));
    // Metadata_changed is v5: a new metadata id would follow that v3/v4 cannot place.
    EXPECT_EQ(decode_hex(decode_result, "00000002 0000000c 00000000 00000000"), err(errc::unsupported_by_version));
    // A cell length past the end.
    EXPECT_EQ(decode_hex(decode_result, "00000002 00000004 00000001 00000001 00000005 0102"), err(errc::truncated));
}

TEST(RowsResult, HugeDeclaredCountsAllocateNothing) {
    // 2^31-1 rows of 2^31-1 cells: refused from the remaining size before anything is reserved.
    EXPECT_EQ(decode_hex(decode_result, "00000002 00000004 7fffffff 7fffffff 00000000"), err(errc::truncated));
    // 2^31-1 column specs announced, one present.
    EXPECT_EQ(decode_hex(decode_result, "00000002 00000001 7fffffff 0002 6b73 0002 7462 0001 61 0009"),
              err(errc::truncated));
    // Zero-size elements are the only way a huge count can succeed: it must still allocate nothing.
    result r;
    ASSERT_FALSE(decode_result(exact(from_hex("00000002 00000004 00000000 7fffffff")), v4, r));
    EXPECT_EQ(std::get<rows_result>(r).row_count, 0x7fffffff);
    EXPECT_EQ(std::get<rows_result>(r).cells.capacity(), 0u);
    ASSERT_FALSE(decode_result(exact(from_hex("00000002 00000004 7fffffff 00000000")), v4, r));
    EXPECT_EQ(std::get<rows_result>(r).column_count(), 0x7fffffffu);
    EXPECT_EQ(std::get<rows_result>(r).metadata.columns.capacity(), 0u);
    EXPECT_EQ(std::get<rows_result>(r).cells.capacity(), 0u);
    EXPECT_TRUE(std::get<rows_result>(r).cell(0, 0).is_null());
    // The same through the metadata reader alone, with a reader that still has bytes.
    auto bytes = exact(from_hex("00000000 7fffffff 0002 6b73 0002 7462 0001 61 0009 0001 62"));
    byte_reader reader(bytes);
    auto m = read_rows_metadata(reader, v4);
    EXPECT_EQ(reader.error(), err(errc::truncated));
    EXPECT_TRUE(m.columns.empty());
}

// ---- RESULT: Prepared ----------------------------------------------------------------------------

TEST(PreparedResult, V4WithPartitionKeyIndexes) {
    auto r = decode_checked(decode_result,
                            "00000004 0002 abcd"                                      // id
                            "00000001 00000002 00000001 0000 0002 6b73 0002 7462"    // global, 2 markers, pk [0]
                            "  0002 6964 0009  0001 76 000d"                          // id int, v varchar
                            "00000004 00000000");                                     // result: No_metadata, 0 cols
    const auto& p = std::get<prepared_result>(r);
    EXPECT_EQ(p.id, bytes_of("abcd"));
    EXPECT_EQ(p.metadata.flags, rows_flag::global_tables_spec);
    EXPECT_EQ(p.metadata.column_count, 2);
    EXPECT_EQ(p.metadata.pk_indexes, (std::vector<std::uint16_t>{0}));
    ASSERT_EQ(p.metadata.columns.size(), 2u);
    EXPECT_EQ(p.metadata.columns[1], (column_spec{"ks", "tb", "v", data_type::of(type_id::varchar)}));
    EXPECT_TRUE(p.result_metadata.no_metadata);
    EXPECT_EQ(p.result_metadata.column_count, 0);
}

TEST(PreparedResult, V4CompositeKeyAndResultColumns) {
    auto r = decode_checked(decode_result,
                            "00000004 0001 01"
                            "00000000 00000002 00000002 0001 0000"           // no global, pk [1, 0]
                            "  0002 6b73 0002 7462 0001 61 0009"
                            "  0002 6b73 0002 7462 0001 62 0002"
                            "00000001 00000001 0002 6b73 0002 7462 0001 63 0004");  // result: c boolean
    const auto& p = std::get<prepared_result>(r);
    EXPECT_EQ(p.metadata.pk_indexes, (std::vector<std::uint16_t>{1, 0}));
    EXPECT_EQ(p.metadata.columns[1].type, data_type::of(type_id::bigint));
    EXPECT_EQ(p.result_metadata.columns.at(0), (column_spec{"ks", "tb", "c", data_type::of(type_id::boolean)}));
}

TEST(PreparedResult, V3HasNoPartitionKeyIndexes) {
    auto r = decode_checked(decode_result,
                            "00000004 0002 abcd"
                            "00000001 00000001 0002 6b73 0002 7462 0002 6964 0009"   // bind metadata, rows format
                            "00000001 00000001 0002 6b73 0002 7462 0001 76 000d",   // result metadata
                            v3);
    const auto& p = std::get<prepared_result>(r);
    EXPECT_TRUE(p.metadata.pk_indexes.empty());
    EXPECT_EQ(p.metadata.columns.at(0), (column_spec{"ks", "tb", "id", data_type::of(type_id::int_)}));
    EXPECT_EQ(p.result_metadata.columns.at(0), (column_spec{"ks", "tb", "v", data_type::of(type_id::varchar)}));
}

TEST(PreparedResult, BadPartitionKeyIndexes) {
    // pk index 2 with only 2 markers.
    EXPECT_EQ(decode_hex(decode_result, "00000004 0001 01 00000001 00000002 00000001 0002 0002 6b73 0002 7462"
                                        " 0001 61 0009 0001 62 0009 00000004 00000000"),
              err(errc::invalid_value));
    EXPECT_EQ(decode_hex(decode_result, "00000004 0001 01 00000001 00000002 ffffffff"), err(errc::invalid_length));
    EXPECT_EQ(decode_hex(decode_result, "00000004 0001 01 00000001 00000002 7fffffff 0000"), err(errc::truncated));
}

// ---- Whole frames --------------------------------------------------------------------------------

namespace {

frame make_frame(std::string_view header_hex, std::string_view body_hex) {
    frame f;
    const auto h = from_hex(header_hex);
    EXPECT_FALSE(decode_frame_header(h, f.header));
    f.body = exact(from_hex(body_hex));
    EXPECT_EQ(f.header.length, f.body.size());
    return f;
}

}  // namespace

TEST(ResponseFrame, TracingWarningsAndCustomPayloadTogether) {
    // flags 0x0e: tracing id, then warnings, then custom payload, then a Void RESULT.
    const char* body =
        "00112233445566778899aabbccddeeff"
        "0002 0004 7761726e 0001 78"
        "0002 0001 6b 00000002 0102 0001 6e ffffffff"
        "00000001";
    frame f = make_frame("84 0e 0005 08 00000031", body);
    response res;
    ASSERT_FALSE(decode_response(f, res));
    ASSERT_TRUE(res.extras.tracing_id.has_value());
    EXPECT_EQ((*res.extras.tracing_id)[0], 0x00);
    EXPECT_EQ((*res.extras.tracing_id)[15], 0xff);
    EXPECT_EQ(res.extras.warnings, (std::vector<std::string>{"warn", "x"}));
    ASSERT_EQ(res.extras.custom_payload.size(), 2u);
    EXPECT_EQ(res.extras.custom_payload[0].first, "k");
    EXPECT_EQ(res.extras.custom_payload[0].second, bytes_of("0102"));
    EXPECT_EQ(res.extras.custom_payload[1].first, "n");
    EXPECT_TRUE(std::holds_alternative<void_result>(std::get<result>(res.body)));

    f.body = exact(std::span(f.body).first(f.body.size() - 1));
    EXPECT_EQ(decode_response(f, res), err(errc::truncated));
    f.body = exact(from_hex(std::string(body) + "00"));
    EXPECT_EQ(decode_response(f, res), err(errc::trailing_bytes));
    f.body = exact(from_hex("0011223344"));  // the tracing id itself cut short
    EXPECT_EQ(decode_response(f, res), err(errc::truncated));
}

TEST(ResponseFrame, WarningsOnlyOnAnError) {
    frame f = make_frame("84 08 0001 00 00000012", "0001 0004 7761726e 00002200 0004 626f6f6d");
    response res;
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_FALSE(res.extras.tracing_id.has_value());
    EXPECT_EQ(res.extras.warnings, (std::vector<std::string>{"warn"}));
    const auto& e = std::get<error_response>(res.body);
    EXPECT_EQ(e.code, server_errc::invalid);
    EXPECT_EQ(e.message, "boom");
}

TEST(ResponseFrame, V3TracingOnlyAndRefusedV4Flags) {
    response res;
    frame f = make_frame("83 02 0000 02 00000010", "00112233445566778899aabbccddeeff");  // traced READY
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_TRUE(res.extras.tracing_id.has_value());
    EXPECT_TRUE(std::holds_alternative<ready_response>(res.body));
    f = make_frame("83 08 0000 02 00000005", "0001 0001 78");
    EXPECT_EQ(decode_response(f, res), err(errc::unsupported_by_version));
    f = make_frame("83 04 0000 02 00000002", "0000");
    EXPECT_EQ(decode_response(f, res), err(errc::unsupported_by_version));
}

TEST(ResponseFrame, EventSupportedAndAuthDispatch) {
    response res;
    frame f = make_frame("84 00 ffff 0c 0000001c", "000d 5354415455535f4348414e4745 0002 5550 04 7f000001 00002352");
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_EQ(std::get<status_change_event>(std::get<event>(res.body)).change, status_change::up);
    f = make_frame("84 00 0000 06 00000002", "0000");
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_TRUE(std::get<supported_response>(res.body).options.empty());
    f = make_frame("84 00 0000 03 00000003", "0001 61");
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_EQ(std::get<authenticate_response>(res.body).authenticator, "a");
    f = make_frame("84 00 0000 0e 00000005", "00000001 07");
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_EQ(std::get<auth_challenge_response>(res.body).token, bytes_of("07"));
    f = make_frame("84 00 0000 10 00000004", "ffffffff");
    ASSERT_FALSE(decode_response(f, res));
    EXPECT_FALSE(std::get<auth_success_response>(res.body).token.has_value());
}

TEST(ResponseFrame, RefusesRequestsCompressedBodiesAndRequestOpcodes) {
    response res;
    frame f = make_frame("04 00 0000 02 00000000", "");
    EXPECT_EQ(decode_response(f, res), err(errc::bad_direction));
    f = make_frame("84 01 0000 08 00000004", "00000001");
    EXPECT_EQ(decode_response(f, res), err(errc::bad_compression));
    for (const char* h : {"84 00 0000 07 00000000", "84 00 0000 01 00000000", "84 00 0000 05 00000000",
                          "84 00 0000 0f 00000000"}) {
        f = make_frame(h, "");
        EXPECT_EQ(decode_response(f, res), err(errc::unexpected_opcode)) << h;
    }
}
