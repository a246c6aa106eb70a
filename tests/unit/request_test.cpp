// Request encoders: hand-written frames from the v3/v4 specs (section 4.1), round trips of every request
// and flag combination through the test decoders, refusals, and an allocation-free EXECUTE hot path.
#include "protocol/requests.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include "hex.hpp"
#include "request_decoders.hpp"

using namespace cql::protocol;
using cql::test::decode_body;
using cql::test::decode_request_frame;
using cql::test::decoded_request_frame;
using cql::test::from_hex;
using cql::test::own;
using cql::test::to_hex;

// ---- Counting global allocator: counts only while g_counting is set ------------------------------

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};

void* counted_alloc(std::size_t n) noexcept {
    if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n == 0 ? 1 : n);
}

// Out of line so that GCC, seeing free() inlined after operator new, does not warn of a mismatch.
[[gnu::noinline]] void counted_free(void* p) noexcept { std::free(p); }
}  // namespace

void* operator new(std::size_t n) {
    if (void* p = counted_alloc(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, std::size_t) noexcept { counted_free(p); }
void operator delete[](void* p, std::size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace {

constexpr auto v3 = protocol_version::v3;
constexpr auto v4 = protocol_version::v4;

bytes_view bv(std::string_view s) { return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()}; }

// Reused pieces of the vectors.
const std::uint8_t int_1[] = {0, 0, 0, 1};
const std::uint8_t int_2[] = {0, 0, 0, 2};
const std::uint8_t int_7[] = {0, 0, 0, 7};
const std::uint8_t id_1234[] = {0x12, 0x34};
const std::uint8_t cafe[] = {0xca, 0xfe};
const std::string_view names_ab[] = {"a", "b"};

// Encodes after one unrelated byte (frames are appended), compares with the hand-written frame, then
// decodes that exact-size vector's body, one byte short and one byte extra, and the whole frame.
template <class Req>
void expect_frame(const Req& req, protocol_version v, std::string_view hex, std::int16_t stream = 0,
                  std::uint8_t flags = 0) {
    const auto expected = from_hex(hex);
    std::vector<std::uint8_t> out{0xEE};
    std::size_t start = 99;
    ASSERT_FALSE(encode_request(out, v, stream, req, &start, flags));
    EXPECT_EQ(start, 1u);
    EXPECT_EQ(to_hex(bytes_view(out).subspan(1)), to_hex(expected));

    const std::vector<std::uint8_t> body(expected.begin() + frame_header_size, expected.end());
    decltype(own(req)) got;
    ASSERT_FALSE(decode_body(body, v, got));
    EXPECT_EQ(got, own(req));
    if (!body.empty()) {
        const std::vector<std::uint8_t> shorter(body.begin(), body.end() - 1);
        EXPECT_EQ(decode_body(shorter, v, got), errc::truncated);
    }
    auto longer = body;
    longer.push_back(0);
    EXPECT_EQ(decode_body(longer, v, got), errc::trailing_bytes);

    decoded_request_frame f;
    ASSERT_FALSE(decode_request_frame(expected, f));
    EXPECT_EQ(f.header.stream, stream);
    EXPECT_EQ(f.header.op, Req::op);
    EXPECT_EQ(std::get<decltype(own(req))>(f.request), own(req));
}

}  // namespace

// ---- Hand-written vectors ------------------------------------------------------------------------

TEST(RequestVectors, StartupAndOptions) {
    startup_request s{{{"CQL_VERSION", "3.0.0"}}};
    const char* body = "00000016 0001 000b 43514c5f56455253494f4e 0005 332e302e30";
    expect_frame(s, v4, std::string("04 00 0000 01 ") + body);
    expect_frame(s, v3, std::string("03 00 0000 01 ") + body);
    expect_frame(options_request{}, v4, "04 00 0001 05 00000000", 1);
    expect_frame(options_request{}, v3, "03 00 0001 05 00000000", 1);
}

TEST(RequestVectors, QueryEachFlagAlone) {
    const value_view int_and_null[] = {value_view::of(int_1), value_view::null_value()};
    const std::string head = "0000 07 ";
    const std::string q = " 00000008 53454c4543542031 0001 ";  // [long string] "SELECT 1", ONE
    for (auto v : {v3, v4}) {
        const std::string ver = v == v4 ? "04 00 " : "03 00 ";
        SCOPED_TRACE(ver);
        query_request r{"SELECT 1", {}};
        expect_frame(r, v, ver + head + "0000000f" + q + "00");
        expect_frame(r, v, (v == v4 ? "04 02 " : "03 02 ") + head + "0000000f" + q + "00", 0, frame_flag::tracing);
        r.params.values = int_and_null;
        expect_frame(r, v, ver + head + "0000001d" + q + "01 0002 00000004 00000001 ffffffff");
        r.params.names = names_ab;
        expect_frame(r, v, ver + head + "00000023" + q + "41 0002 0001 61 00000004 00000001 0001 62 ffffffff");
        r = {"SELECT 1", {}};
        r.params.skip_metadata = true;
        expect_frame(r, v, ver + head + "0000000f" + q + "02");
        r = {"SELECT 1", {}};
        r.params.page_size = 0;  // not positive: no page size
        expect_frame(r, v, ver + head + "0000000f" + q + "00");
        r.params.page_size = 100;
        expect_frame(r, v, ver + head + "00000013" + q + "04 00000064");
        r = {"SELECT 1", {}};
        r.params.paging_state = bytes_view(cafe);
        expect_frame(r, v, ver + head + "00000015" + q + "08 00000002 cafe");
        r = {"SELECT 1", {}};
        r.params.serial_consistency = consistency::local_serial;
        expect_frame(r, v, ver + head + "00000011" + q + "10 0009");
        r = {"SELECT 1", {}};
        r.params.default_timestamp = 0x0102030405060708;
        expect_frame(r, v, ver + head + "00000017" + q + "20 0102030405060708");
    }
}

TEST(RequestVectors, QueryAllFlagsTogether) {
    const value_view v4_values[] = {value_view::of(int_1), value_view::unset_value()};
    const value_view v3_values[] = {value_view::of(int_1), value_view::null_value()};
    query_request r{"SELECT 1", {consistency::quorum, v4_values, names_ab, true, 100, bytes_view(cafe),
                                 consistency::serial, 0x0102030405060708}};
    const std::string rest = " 00000037 00000008 53454c4543542031 0004 7f 0002 0001 61 00000004 00000001 0001 62 ";
    const std::string tail = " 00000064 00000002 cafe 0008 0102030405060708";
    expect_frame(r, v4, "04 00 0105 07" + rest + "fffffffe" + tail, 0x0105);
    r.params.values = v3_values;
    expect_frame(r, v3, "03 00 0105 07" + rest + "ffffffff" + tail, 0x0105);
}

TEST(RequestVectors, PrepareExecute) {
    expect_frame(prepare_request{"SELECT 1"}, v4, "04 00 0000 09 0000000c 00000008 53454c4543542031");
    expect_frame(prepare_request{"SELECT 1"}, v3, "03 00 0000 09 0000000c 00000008 53454c4543542031");
    const value_view v4_values[] = {value_view::of(int_7), value_view::unset_value()};
    const value_view v3_values[] = {value_view::of(int_7), value_view::null_value()};
    execute_request e{id_1234, {consistency::quorum, v4_values, {}, true, 5000, {}, {}, {}}};
    const std::string body = " 00000019 0002 1234 0004 07 0002 00000004 00000007 ";
    expect_frame(e, v4, "04 00 0000 0a" + body + "fffffffe 00001388");
    e.params.values = v3_values;
    expect_frame(e, v3, "03 00 0000 0a" + body + "ffffffff 00001388");
    // The same cells given back to back in one buffer (the client's encoded values): the same bytes.
    const std::vector<std::uint8_t> cells = {0, 0, 0, 4, 0, 0, 0, 7, 0xff, 0xff, 0xff, 0xfe};
    e.params.values = v4_values;
    e.params.values_cells = cells;
    expect_frame(e, v4, "04 00 0000 0a" + body + "fffffffe 00001388");
}

TEST(RequestVectors, BatchOfEachTypeWithStringAndPreparedChild) {
    const value_view first[] = {value_view::of(int_1)};
    const value_view second[] = {value_view::of(int_2), value_view::null_value()};
    const batch_statement children[] = {{false, "UPDATE t", {}, first}, {true, {}, id_1234, second}};
    const std::string kids = " 0002 00 00000008 5550444154452074 0001 00000004 00000001"
                             " 01 0002 1234 0002 00000004 00000002 ffffffff ";
    for (auto v : {v3, v4}) {
        const std::string ver = v == v4 ? "04" : "03";
        for (auto [type, byte] : {std::pair{batch_type::logged, "00"}, {batch_type::unlogged, "01"},
                                  {batch_type::counter, "02"}}) {
            SCOPED_TRACE(ver + byte);
            batch_request b{type, children, consistency::one, {}, {}};
            expect_frame(b, v, ver + " 00 0000 0d 00000030 " + byte + kids + "0001 00");
            b.serial_consistency = consistency::local_serial;
            b.default_timestamp = 0x0102030405060708;
            expect_frame(b, v, ver + " 00 0000 0d 0000003a " + byte + kids + "0001 30 0009 0102030405060708");
        }
    }
}

TEST(RequestVectors, RegisterAndAuthResponse) {
    const std::string_view events[] = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
    const std::string reg = " 00 0000 0b 00000031 0003 000f 544f504f4c4f47595f4348414e4745"
                            " 000d 5354415455535f4348414e4745 000d 534348454d415f4348414e4745";
    expect_frame(register_request{events}, v4, "04" + reg);
    expect_frame(register_request{events}, v3, "03" + reg);
    constexpr std::string_view plain("\0cassandra\0cassandra", 20);
    const std::string auth = " 00 0000 0f 00000018 00000014 00 63617373616e647261 00 63617373616e647261";
    expect_frame(auth_response_request{value_view::of(bv(plain))}, v4, "04" + auth);
    expect_frame(auth_response_request{value_view::of(bv(plain))}, v3, "03" + auth);
}

TEST(RequestVectors, CustomPayloadIsV4Only) {
    const std::pair<std::string_view, value_view> payload[] = {{"k", value_view::of(bv("v"))}};
    const auto expected = from_hex("04 04 0000 09 00000016 0001 0001 6b 00000001 76 00000008 53454c4543542031");
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(encode_request(out, v4, 0, prepare_request{"SELECT 1"}, nullptr, 0, payload));
    EXPECT_EQ(to_hex(out), to_hex(expected));
    decoded_request_frame f;
    ASSERT_FALSE(decode_request_frame(expected, f));
    ASSERT_EQ(f.custom_payload.size(), 1u);
    EXPECT_EQ(f.custom_payload[0].first, "k");
    EXPECT_EQ(f.custom_payload[0].second.data, std::vector<std::uint8_t>{0x76});
    EXPECT_EQ(std::get<cql::test::owned_prepare>(f.request).query, "SELECT 1");
    EXPECT_EQ(decode_request_frame(std::vector<std::uint8_t>(expected.begin(), expected.end() - 1), f),
              errc::truncated);
    out = {1, 2};
    EXPECT_EQ(encode_request(out, v3, 0, prepare_request{"SELECT 1"}, nullptr, 0, payload),
              errc::unsupported_by_version);
    EXPECT_EQ(encode_request(out, v4, 0, options_request{}, nullptr, 0, payload), errc::invalid_value);
    EXPECT_EQ(out, (std::vector<std::uint8_t>{1, 2}));
    // The flag alone sends an empty map.
    ASSERT_FALSE(encode_request(out, v4, 0, prepare_request{"SELECT 1"}, nullptr, frame_flag::custom_payload));
    EXPECT_EQ(to_hex(out), "0102" "04040000090000000e" "0000" "0000000853454c4543542031");
}

TEST(RequestVectors, QueryParametersBodyWriter) {
    const value_view values[] = {value_view::of(int_7)};
    std::vector<std::uint8_t> out;
    byte_writer w(out);
    ASSERT_FALSE(write_query_parameters(w, {consistency::local_one, values, {}, false, -1, {}, {}, {}}, v4));
    EXPECT_EQ(to_hex(out), "000a" "01" "0001" "00000004" "00000007");
    const value_view unset[] = {value_view::unset_value()};
    EXPECT_EQ(write_query_parameters(w, {consistency::one, unset, {}, false, -1, {}, {}, {}}, v3),
              errc::unsupported_by_version);
    EXPECT_EQ(out.size(), 13u);
}

// ---- Round trips of every flag combination --------------------------------------------------------

namespace {

query_parameters params_for(unsigned mask, std::span<const value_view> values) {
    query_parameters p;
    p.cl = consistency::local_quorum;
    if (mask & query_flag::values) p.values = values;
    if (mask & query_flag::with_names) p.names = names_ab;
    p.skip_metadata = (mask & query_flag::skip_metadata) != 0;
    if (mask & query_flag::page_size) p.page_size = 5000;
    if (mask & query_flag::with_paging_state) p.paging_state = bytes_view(cafe);
    if (mask & query_flag::with_serial_consistency) p.serial_consistency = consistency::serial;
    if (mask & query_flag::with_default_timestamp) p.default_timestamp = 1'700'000'000'000'000;
    return p;
}

template <class Req>
void round_trip(const Req& req, protocol_version v, std::size_t flags_at, std::uint8_t flags) {
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(encode_request(out, v, 7, req));
    ASSERT_GT(out.size(), flags_at);
    EXPECT_EQ(out[flags_at], flags);
    decoded_request_frame f;
    ASSERT_FALSE(decode_request_frame(out, f));
    EXPECT_EQ(f.header.version, v);
    EXPECT_EQ(std::get<decltype(own(req))>(f.request), own(req));
}

}  // namespace

TEST(RequestRoundTrip, QueryAndExecuteEveryFlagCombination) {
    const value_view v4_values[] = {value_view::of(int_1), value_view::unset_value()};
    const value_view v3_values[] = {value_view::of(int_1), value_view::null_value()};
    int combinations = 0;
    for (auto v : {v3, v4}) {
        for (unsigned mask = 0; mask < 0x80; ++mask) {
            if ((mask & query_flag::with_names) && !(mask & query_flag::values)) continue;
            SCOPED_TRACE(mask);
            auto p = params_for(mask, v == v4 ? std::span<const value_view>(v4_values) : v3_values);
            const auto flags = static_cast<std::uint8_t>(mask);
            round_trip(query_request{"SELECT 1", p}, v, frame_header_size + 4 + 8 + 2, flags);
            round_trip(execute_request{id_1234, p}, v, frame_header_size + 2 + 2 + 2, flags);
            ++combinations;
        }
    }
    EXPECT_EQ(combinations, 2 * 96);
}

TEST(RequestRoundTrip, BatchEveryTypeFlagAndChildMix) {
    const value_view values[] = {value_view::of(int_1), value_view::null_value()};
    const batch_statement kids[] = {{false, "UPDATE t", {}, values}, {true, {}, id_1234, {}},
                                    {true, {}, id_1234, values}};
    for (auto v : {v3, v4})
        for (auto type : {batch_type::logged, batch_type::unlogged, batch_type::counter})
            for (unsigned mask = 0; mask < 4; ++mask)
                for (std::size_t n = 0; n <= 3; ++n) {
                    batch_request b{type, std::span(kids).first(n), consistency::each_quorum, {}, {}};
                    if (mask & 1) b.serial_consistency = consistency::local_serial;
                    if (mask & 2) b.default_timestamp = -5;  // allowed for BATCH
                    std::vector<std::uint8_t> out;
                    ASSERT_FALSE(encode_request(out, v, 0, b));
                    EXPECT_EQ(out[frame_header_size], static_cast<std::uint8_t>(type));
                    decoded_request_frame f;
                    ASSERT_FALSE(decode_request_frame(out, f));
                    EXPECT_EQ(std::get<cql::test::owned_batch>(f.request), own(b));
                }
}

TEST(RequestRoundTrip, StartupWithEveryOptionAndNullToken) {
    startup_request s{{{"CQL_VERSION", "3.0.0"}, {"COMPRESSION", "lz4"}, {"DRIVER_NAME", "cql"},
                       {"DRIVER_VERSION", "0.1.0"}}};
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(encode_request(out, v4, 3, s));
    decoded_request_frame f;
    ASSERT_FALSE(decode_request_frame(out, f));
    EXPECT_EQ(std::get<cql::test::owned_startup>(f.request), own(s));
    out.clear();
    ASSERT_FALSE(encode_request(out, v3, 3, auth_response_request{value_view::null_value()}));
    EXPECT_EQ(to_hex(out), "030000030f00000004ffffffff");
    ASSERT_FALSE(decode_request_frame(out, f));
    EXPECT_TRUE(std::get<cql::test::owned_auth_response>(f.request).token.state == value_view::kind::null);
}

// ---- Refusals: an error and the buffer as it was --------------------------------------------------

namespace {

template <class Req>
std::error_code refused(const Req& req, protocol_version v = v4, std::int16_t stream = 0, std::uint8_t flags = 0) {
    std::vector<std::uint8_t> out{9, 8, 7};
    std::size_t start = 42;
    auto ec = encode_request(out, v, stream, req, &start, flags);
    EXPECT_EQ(out, (std::vector<std::uint8_t>{9, 8, 7}));
    EXPECT_EQ(start, 42u);
    return ec;
}

}  // namespace

TEST(RequestRefusals, LengthsAndCounts) {
    const std::string big(65536, 'x');
    const std::vector<std::uint8_t> big_id(65536, 1);
    EXPECT_EQ(refused(startup_request{{{"CQL_VERSION", big}}}), errc::invalid_length);
    EXPECT_EQ(refused(startup_request{{{big, "3.0.0"}, {"CQL_VERSION", "3.0.0"}}}), errc::invalid_length);
    EXPECT_EQ(refused(execute_request{big_id, {}}), errc::invalid_length);
    const std::vector<value_view> many(65536, value_view::null_value());
    EXPECT_EQ(refused(query_request{"q", {consistency::one, many, {}, false, -1, {}, {}, {}}}), errc::invalid_length);
    const value_view one[] = {value_view::null_value()};
    const std::string_view big_name[] = {big};
    EXPECT_EQ(refused(query_request{"q", {consistency::one, one, big_name, false, -1, {}, {}, {}}}),
              errc::invalid_length);
    const batch_statement prepared_big[] = {{true, {}, big_id, {}}};
    EXPECT_EQ(refused(batch_request{batch_type::logged, prepared_big, consistency::one, {}, {}}), errc::invalid_length);
    const batch_statement many_values[] = {{false, "q", {}, many}};
    EXPECT_EQ(refused(batch_request{batch_type::logged, many_values, consistency::one, {}, {}}), errc::invalid_length);
    const std::vector<batch_statement> many_kids(65536, batch_statement{false, "q", {}, {}});
    EXPECT_EQ(refused(batch_request{batch_type::logged, many_kids, consistency::one, {}, {}}), errc::invalid_length);
    // Exactly 65535 of each is fine.
    const std::vector<value_view> most(65535, value_view::null_value());
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(encode_request(out, v4, 0, query_request{"q", {consistency::one, most, {}, false, -1, {}, {}, {}}}));
    EXPECT_FALSE(encode_request(out, v4, 0, execute_request{bytes_view(big_id).first(65535), {}}));
}

TEST(RequestRefusals, ValuesCodesAndVersions) {
    const value_view two[] = {value_view::null_value(), value_view::null_value()};
    const value_view unset[] = {value_view::unset_value()};
    const std::string_view one_name[] = {"a"};
    auto q = [](query_parameters p) { return query_request{"q", p}; };
    EXPECT_EQ(refused(q({consistency::one, two, one_name, false, -1, {}, {}, {}})), errc::invalid_value);
    EXPECT_EQ(refused(q({consistency::one, {}, one_name, false, -1, {}, {}, {}})), errc::invalid_value);
    EXPECT_EQ(refused(q({static_cast<consistency>(0x0B), {}, {}, false, -1, {}, {}, {}})), errc::invalid_value);
    EXPECT_EQ(refused(q({consistency::one, {}, {}, false, -1, {}, consistency::quorum, {}})), errc::invalid_value);
    EXPECT_EQ(refused(q({consistency::one, unset, {}, false, -1, {}, {}, {}}), v3), errc::unsupported_by_version);
    EXPECT_EQ(refused(execute_request{id_1234, {consistency::one, unset, {}, false, -1, {}, {}, {}}}, v3),
              errc::unsupported_by_version);
    const batch_statement unset_kid[] = {{false, "q", {}, unset}};
    EXPECT_EQ(refused(batch_request{batch_type::logged, unset_kid, consistency::one, {}, {}}, v3),
              errc::unsupported_by_version);
    EXPECT_EQ(refused(batch_request{static_cast<batch_type>(3), {}, consistency::one, {}, {}}), errc::invalid_value);
    EXPECT_EQ(refused(batch_request{batch_type::logged, {}, static_cast<consistency>(0xFF), {}, {}}),
              errc::invalid_value);
    EXPECT_EQ(refused(batch_request{batch_type::logged, {}, consistency::one, consistency::one, {}}),
              errc::invalid_value);
    EXPECT_EQ(refused(batch_request{batch_type::logged, {}, consistency::one, {}, INT64_MIN}), errc::invalid_value);
    // Timestamps: v4 QUERY forbids negatives, v3 only INT64_MIN.
    EXPECT_EQ(refused(q({consistency::one, {}, {}, false, -1, {}, {}, -1})), errc::invalid_value);
    EXPECT_EQ(refused(q({consistency::one, {}, {}, false, -1, {}, {}, INT64_MIN}), v3), errc::invalid_value);
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(encode_request(out, v3, 0, q({consistency::one, {}, {}, false, -1, {}, {}, -1})));
    // Handshake requests.
    EXPECT_EQ(refused(startup_request{{{"COMPRESSION", "lz4"}}}), errc::invalid_value);
    const std::string_view bad_event[] = {"TOPOLOGY_CHANGE", "NODE_DOWN"};
    EXPECT_EQ(refused(register_request{bad_event}), errc::invalid_value);
    EXPECT_EQ(refused(auth_response_request{value_view::unset_value()}), errc::invalid_value);
}

TEST(RequestRefusals, FrameArguments) {
    EXPECT_EQ(refused(options_request{}, v4, -1), errc::invalid_value);
    EXPECT_EQ(refused(options_request{}, v4, 0, frame_flag::compression), errc::invalid_value);
    EXPECT_EQ(refused(options_request{}, v4, 0, frame_flag::warning), errc::invalid_value);
    EXPECT_EQ(refused(prepare_request{"q"}, v3, 0, frame_flag::custom_payload), errc::unsupported_by_version);
    EXPECT_EQ(refused(options_request{}, static_cast<protocol_version>(6)), errc::bad_version);
    const std::pair<std::string_view, value_view> unset_payload[] = {{"k", value_view::unset_value()}};
    std::vector<std::uint8_t> out;
    EXPECT_EQ(encode_request(out, v4, 0, prepare_request{"q"}, nullptr, 0, unset_payload), errc::invalid_value);
    EXPECT_TRUE(out.empty());
    EXPECT_FALSE(encode_request(out, v4, 32767, options_request{}, nullptr, frame_flag::tracing));
    EXPECT_EQ(to_hex(out), "04027fff0500000000");
}

// ---- Hot path ------------------------------------------------------------------------------------

TEST(RequestAllocation, ExecuteIntoReservedBufferAllocatesNothing) {
    const std::uint8_t id[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    const std::uint8_t text[] = {'h', 'e', 'l', 'l', 'o'};
    const value_view values[] = {value_view::of(int_7), value_view::of(text), value_view::null_value(),
                                 value_view::unset_value(), value_view::of(int_2)};
    const execute_request req{id, {consistency::local_quorum, values, {}, true, 1000, {}, {}, 1'700'000'000'000'000}};
    std::vector<std::uint8_t> out;
    out.reserve(1024);
    int failures = 0;
    std::size_t start = 0;

    g_allocations = 0;
    g_counting = true;
    for (int i = 0; i < 1000; ++i) {
        out.clear();
        if (encode_request(out, v4, static_cast<std::int16_t>(i), req, &start)) ++failures;
    }
    g_counting = false;
    EXPECT_EQ(g_allocations.load(), 0);
    EXPECT_EQ(failures, 0);
    // 9 header + 18 id + 2 cl + 1 flags + 2 n + 8+9+4+4+8 values + 4 page size + 8 timestamp
    EXPECT_EQ(out.size(), 77u);
    EXPECT_EQ(out[2], 0x03);  // stream 999
    EXPECT_EQ(out[3], 0xe7);

    // The counter does see the encoder's allocations when the buffer must grow.
    std::vector<std::uint8_t> fresh;
    g_allocations = 0;
    g_counting = true;
    const auto ec = encode_request(fresh, v4, 0, req);
    g_counting = false;
    EXPECT_FALSE(ec);
    EXPECT_GT(g_allocations.load(), 0);
}
