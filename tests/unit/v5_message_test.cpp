// Protocol v5 message changes (native_protocol_v5.spec sections 4 and 9), hand-written vectors:
// [int] flags on QUERY / EXECUTE / BATCH, PREPARE flags and keyspace, EXECUTE's result_metadata_id,
// keyspace and now_in_seconds, the Prepared result_metadata_id, Rows metadata_changed with its new id,
// the v5 error bodies, and the native duration type id. v3/v4 stay as they were (their own tests).
#include <gtest/gtest.h>

#include "hex.hpp"
#include "protocol/requests.hpp"
#include "protocol/responses.hpp"

using namespace cql::protocol;
using cql::test::from_hex;
using cql::test::to_hex;

namespace {

constexpr auto v4 = protocol_version::v4;
constexpr auto v5 = protocol_version::v5;

const std::uint8_t id_1234[] = {0x12, 0x34};
const std::uint8_t meta_ab[] = {0xab};
const std::uint8_t int_1[] = {0, 0, 0, 1};

template <class Req>
std::string encoded(const Req& req, protocol_version v = v5) {
    std::vector<std::uint8_t> out;
    if (auto ec = encode_request(out, v, 0, req)) return "error: " + ec.message();
    return to_hex(out);
}

std::string hex(std::string_view h) { return to_hex(from_hex(h)); }

std::error_code err(errc e) { return make_error_code(e); }

}  // namespace

TEST(V5Requests, QueryFlagsAreAnInt) {
    query_request r{"SELECT 1", {}};
    EXPECT_EQ(encoded(r), hex("05 00 0000 07 00000012  00000008 53454c4543542031 0001 00000000"));
    r.params.page_size = 100;
    EXPECT_EQ(encoded(r), hex("05 00 0000 07 00000016  00000008 53454c4543542031 0001 00000004 00000064"));
}

TEST(V5Requests, QueryKeyspaceAndNowInSeconds) {
    query_request r{"SELECT 1", {}};
    r.params.default_timestamp = 1;
    r.params.keyspace = "ks";
    r.params.now_in_seconds = 0x01020304;
    // flags 0x1A0: timestamp, keyspace, now; then <timestamp><keyspace><now_in_seconds>
    EXPECT_EQ(encoded(r), hex("05 00 0000 07 00000022  00000008 53454c4543542031 0001 000001a0"
                              " 0000000000000001 0002 6b73 01020304"));
    EXPECT_EQ(encoded(r, v4), "error: " + err(errc::unsupported_by_version).message());
    r.params.keyspace = {};
    EXPECT_EQ(encoded(r, v4), "error: " + err(errc::unsupported_by_version).message());
}

TEST(V5Requests, ExecuteCarriesTheResultMetadataId) {
    const value_view one[] = {value_view::of(int_1)};
    execute_request e{id_1234, {}, meta_ab};
    e.params.values = one;
    e.params.skip_metadata = true;
    EXPECT_EQ(encoded(e), hex("05 00 0000 0a 00000017  0002 1234 0001 ab 0001 00000003 0001 00000004 00000001"));
    // In v4 there is no such field.
    EXPECT_EQ(encoded(e, v4), "error: " + err(errc::unsupported_by_version).message());
    e.result_metadata_id = {};
    EXPECT_EQ(encoded(e, v4), hex("04 00 0000 0a 00000011  0002 1234 0001 03 0001 00000004 00000001"));
}

TEST(V5Requests, PrepareHasFlagsAndAnOptionalKeyspace) {
    prepare_request p{"SELECT 1", {}};
    EXPECT_EQ(encoded(p), hex("05 00 0000 09 00000010  00000008 53454c4543542031 00000000"));
    p.keyspace = "ks";
    EXPECT_EQ(encoded(p), hex("05 00 0000 09 00000014  00000008 53454c4543542031 00000001 0002 6b73"));
    EXPECT_EQ(encoded(p, v4), "error: " + err(errc::unsupported_by_version).message());
    p.keyspace = {};
    EXPECT_EQ(encoded(p, v4), hex("04 00 0000 09 0000000c  00000008 53454c4543542031"));
}

TEST(V5Requests, BatchFlagsAreAnInt) {
    const batch_statement s[] = {{false, "X", {}, {}}};
    batch_request b{batch_type::unlogged, s, consistency::one, std::nullopt, 5, "ks", 7};
    EXPECT_EQ(encoded(b), hex("05 00 0000 0d 00000021  01 0001 00 00000001 58 0000 0001 000001a0"
                              " 0000000000000005 0002 6b73 00000007"));
    b.keyspace = {};
    b.now_in_seconds.reset();
    EXPECT_EQ(encoded(b, v4), hex("04 00 0000 0d 00000016  01 0001 00 00000001 58 0000 0001 20 0000000000000005"));
}

TEST(V5Responses, PreparedCarriesTheResultMetadataId) {
    // <id><result_metadata_id><flags 1 global><cols 1><pk 1><pk 0><ks><t><col k int><result flags 4: no meta><cols 1>
    const auto body = from_hex("00000004 0002 1234 0001 ab  00000001 00000001 00000001 0000 0002 6b73 0001 74"
                               " 0001 6b 0009  00000004 00000001");
    result r;
    ASSERT_FALSE(decode_result(body, v5, r));
    const auto& p = std::get<prepared_result>(r);
    EXPECT_EQ(p.id, std::vector<std::uint8_t>({0x12, 0x34}));
    EXPECT_EQ(p.result_metadata_id, std::vector<std::uint8_t>({0xab}));
    EXPECT_EQ(p.metadata.pk_indexes, std::vector<std::uint16_t>({0}));
    EXPECT_TRUE(p.result_metadata.no_metadata);
    // The same bytes are not a v4 Prepared (the metadata id would be read as the flags).
    EXPECT_TRUE(decode_result(body, v4, r));
}

TEST(V5Responses, RowsWithMetadataChangedCarryTheNewId) {
    // flags 0x9 (global spec, metadata changed), 1 column, new id [short bytes] "cd", ks.t k int, 1 row
    const auto body = from_hex("00000002 00000009 00000001 0001 cd 0002 6b73 0001 74 0001 6b 0009"
                               " 00000001 00000004 0000002a");
    result r;
    ASSERT_FALSE(decode_result(body, v5, r));
    const auto& rows = std::get<rows_result>(r);
    ASSERT_TRUE(rows.metadata.new_metadata_id);
    EXPECT_EQ(*rows.metadata.new_metadata_id, std::vector<std::uint8_t>({0xcd}));
    ASSERT_EQ(rows.metadata.columns.size(), 1u);
    EXPECT_EQ(rows.metadata.columns[0].name, "k");
    EXPECT_EQ(rows.cell(0, 0).data.size(), 4u);
    EXPECT_EQ(decode_result(body, v4, r), err(errc::unsupported_by_version));
    // Without the flag there is no id.
    const auto plain = from_hex("00000002 00000001 00000001 0002 6b73 0001 74 0001 6b 0009 00000000");
    ASSERT_FALSE(decode_result(plain, v5, r));
    EXPECT_FALSE(std::get<rows_result>(r).metadata.new_metadata_id);
}

TEST(V5Responses, ReadAndWriteFailureCarryAReasonMap) {
    // READ_FAILURE: <cl ONE><received 1><blockfor 2><reasonmap: 1 entry 127.0.0.2 -> 0x0001><data_present 1>
    const auto rf = from_hex("00001300 0001 78  0001 00000001 00000002 00000001 04 7f000002 0001 01");
    error_response e;
    ASSERT_FALSE(decode_error(rf, v5, e));
    const auto& r = std::get<read_failure_info>(e.details);
    EXPECT_EQ(r.num_failures, 1);
    ASSERT_EQ(r.reasons.size(), 1u);
    EXPECT_EQ(r.reasons[0].code, 1);
    EXPECT_EQ(r.reasons[0].endpoint.size, 4);
    EXPECT_TRUE(r.data_present);
    // WRITE_FAILURE: <cl><received><blockfor><reasonmap: 2 entries><writeType SIMPLE>
    const auto wf = from_hex("00001500 0000  0004 00000000 00000002 00000002 04 7f000002 0000 04 7f000003 0002"
                             " 0006 53494d504c45");
    ASSERT_FALSE(decode_error(wf, v5, e));
    const auto& w = std::get<write_failure_info>(e.details);
    EXPECT_EQ(w.num_failures, 2);
    ASSERT_EQ(w.reasons.size(), 2u);
    EXPECT_EQ(w.reasons[1].code, 2);
    EXPECT_EQ(w.kind(), write_type_kind::simple);
    // A negative count is refused; a cut map is truncated.
    EXPECT_EQ(decode_error(from_hex("00001300 0000 0001 00000001 00000002 ffffffff 01"), v5, e), err(errc::invalid_length));
    EXPECT_EQ(decode_error(std::span(rf).first(rf.size() - 3), v5, e), err(errc::truncated));
}

TEST(V5Responses, CasWriteUnknownCdcFailureAndCasContentions) {
    error_response e;
    ASSERT_FALSE(decode_error(from_hex("00001700 0000 0009 00000001 00000003"), v5, e));
    const auto& c = std::get<cas_write_unknown_info>(e.details);
    EXPECT_EQ(c.cl, consistency::local_serial);
    EXPECT_EQ(c.block_for, 3);
    ASSERT_FALSE(decode_error(from_hex("00001600 0002 6364"), v5, e));
    EXPECT_EQ(e.code, server_errc::cdc_write_failure);
    EXPECT_EQ(e.message, "cd");
    EXPECT_TRUE(std::holds_alternative<std::monostate>(e.details));
    // WRITE_TIMEOUT with write type CAS: a [short] of contentions follows in v5.
    ASSERT_FALSE(decode_error(from_hex("00001100 0000 0009 00000000 00000001 0003 434153 0002"), v5, e));
    EXPECT_EQ(std::get<write_timeout_info>(e.details).contentions, std::optional<std::uint16_t>(2));
    ASSERT_FALSE(decode_error(from_hex("00001100 0000 0009 00000000 00000001 0003 434153"), v4, e));
    EXPECT_FALSE(std::get<write_timeout_info>(e.details).contentions);
}

TEST(V5Types, DurationHasANativeIdInV5Only) {
    const auto opt = from_hex("0015");
    byte_reader r5(opt);
    EXPECT_TRUE(read_type(r5, v5).is_duration());
    EXPECT_TRUE(r5.ok());
    byte_reader r4(opt);
    (void)read_type(r4, v4);
    EXPECT_EQ(r4.error(), err(errc::unsupported_by_version));
}

TEST(V5Frames, HeaderVersionFiveIsAccepted) {
    frame_header h;
    ASSERT_FALSE(decode_frame_header(from_hex("850000010200000000"), h));
    EXPECT_EQ(h.version, v5);
    EXPECT_TRUE(h.is_response);
}
