// The public statement types encoded as requests (no socket): BATCH byte-exact in v4 and v5
// (native_protocol_v4.spec / v5.spec section 4.1.7), the tracing flag and custom payload (section
// 2.2), a batch's routing, and the client-side monotonic timestamp generator with an injected clock.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <thread>

#include "cql/batch.hpp"
#include "cql/detail/encode_request.hpp"
#include "cql/detail/prepared_info.hpp"
#include "cql/detail/timestamp_generator.hpp"
#include "hex.hpp"

using cql::test::from_hex;
using cql::test::to_hex;
namespace proto = cql::protocol;

namespace {

constexpr auto v3 = proto::protocol_version::v3;
constexpr auto v4 = proto::protocol_version::v4;
constexpr auto v5 = proto::protocol_version::v5;

const auto int_type = cql::data_type::of(cql::type_id::int_);

// A statement prepared as "id 12 34" with one int marker, the partition key when pk is true.
cql::prepared_statement prepared_int(bool pk, std::string keyspace = "ks") {
    auto info = std::make_shared<cql::detail::prepared_info>();
    info->query = "INSERT INTO ks.t (k) VALUES (?)";
    info->id = {0x12, 0x34};
    info->variables.push_back({keyspace, "t", "k", int_type});
    if (pk) info->pk_indexes = {0};
    info->keyspace = std::move(keyspace);
    return cql::prepared_statement(std::move(info));
}

cql::statement simple_int(std::string q, std::int32_t v) {
    cql::statement st(std::move(q));
    st.values.push_back({int_type, cql::cql_value{v}});
    return st;
}

// "Q" with int 1 as text, then the prepared statement with int 2; QUORUM, LOCAL_SERIAL, timestamp 5.
cql::batch two_entry_batch() {
    cql::batch b(cql::batch_type::logged);
    b.add(simple_int("Q", 1));
    b.add(cql::bound_statement{prepared_int(true), {cql::cql_value{std::int32_t{2}}}, {}});
    b.options.consistency = proto::consistency::quorum;
    b.options.serial_consistency = proto::consistency::local_serial;
    b.options.timestamp = 5;
    return b;
}

std::string encoded(const cql::batch& b, proto::protocol_version v, std::optional<std::int64_t> ts = std::nullopt,
                    std::string* why = nullptr) {
    cql::detail::batch_scratch scratch;
    std::vector<std::uint8_t> out;
    std::string reason;
    if (auto ec = cql::detail::encode_batch(b, proto::consistency::one, ts, v, scratch, out, reason)) {
        if (why) *why = reason;
        return "error: " + ec.message();
    }
    return to_hex(out);
}

std::string hex(std::string_view h) { return to_hex(from_hex(h)); }

// The two entries as the spec lays them out: <kind><string_or_id><n><value_i>...
constexpr std::string_view entries =
    " 00 0002"                          // <type> logged, <n> 2
    " 00 00000001 51 0001 00000004 00000001"  // kind 0, [long string] "Q", 1 value: int 1
    " 01 0002 1234 0001 00000004 00000002";   // kind 1, [short bytes] id, 1 value: int 2

}  // namespace

TEST(BatchEncoding, V4ByteExact) {
    // <consistency> QUORUM, <flags> [byte] 0x30 (serial consistency, timestamp), LOCAL_SERIAL, 5.
    EXPECT_EQ(encoded(two_entry_batch(), v4),
              hex(std::string("04 00 0000 0d 0000002f") + std::string(entries) + " 0004 30 0009 0000000000000005"));
}

TEST(BatchEncoding, V5ByteExact) {
    // The same with <flags> an [int].
    EXPECT_EQ(encoded(two_entry_batch(), v5),
              hex(std::string("05 00 0000 0d 00000032") + std::string(entries) +
                  " 0004 00000030 0009 0000000000000005"));
}

TEST(BatchEncoding, TypesAndDefaults) {
    cql::batch b(cql::batch_type::counter);
    b.add(cql::statement("C"));
    // No consistency: the default given (ONE); no timestamp anywhere: flags 0.
    EXPECT_EQ(encoded(b, v4), hex("04 00 0000 0d 0000000e  02 0001 00 00000001 43 0000 0001 00"));
    b.type = cql::batch_type::unlogged;
    EXPECT_EQ(encoded(b, v4), hex("04 00 0000 0d 0000000e  01 0001 00 00000001 43 0000 0001 00"));
    // The client-side timestamp fills the default timestamp; the batch's own wins over it.
    EXPECT_EQ(encoded(b, v4, 77), hex("04 00 0000 0d 00000016  01 0001 00 00000001 43 0000 0001 20 000000000000004d"));
    b.options.timestamp = 9;
    EXPECT_EQ(encoded(b, v5, 77),
              hex("05 00 0000 0d 00000019  01 0001 00 00000001 43 0000 0001 00000020 0000000000000009"));
}

TEST(BatchEncoding, TracingAndCustomPayloadInTheHeader) {
    cql::batch b(cql::batch_type::unlogged);
    b.add(cql::statement("C"));
    b.options.tracing = true;
    b.options.custom_payload["k"] = {0x01};
    // Header flags 0x06; the [bytes map] precedes the body (section 2.2).
    EXPECT_EQ(encoded(b, v4), hex("04 06 0000 0d 00000018  0001 0001 6b 00000001 01"
                                  "  01 0001 00 00000001 43 0000 0001 00"));
    std::string why;
    EXPECT_EQ(encoded(b, v3, std::nullopt, &why),
              "error: " + make_error_code(proto::errc::unsupported_by_version).message());
    EXPECT_NE(why.find("cannot be encoded"), std::string::npos) << why;
}

TEST(BatchEncoding, ScratchFollowsTheVersion) {
    // A retry on a connection of another version encodes the values again, not the old views.
    const auto b = two_entry_batch();
    cql::detail::batch_scratch scratch;
    std::vector<std::uint8_t> out4, out5;
    std::string why;
    ASSERT_FALSE(cql::detail::encode_batch(b, proto::consistency::one, std::nullopt, v4, scratch, out4, why));
    ASSERT_FALSE(cql::detail::encode_batch(b, proto::consistency::one, std::nullopt, v5, scratch, out5, why));
    EXPECT_EQ(to_hex(out4), encoded(b, v4));
    EXPECT_EQ(to_hex(out5), encoded(b, v5));
    ASSERT_FALSE(cql::detail::encode_batch(b, proto::consistency::one, std::nullopt, v5, scratch, out5, why));
    EXPECT_EQ(to_hex(out5), encoded(b, v5));
}

TEST(BatchEncoding, BadEntriesSayWhich) {
    std::string why;
    const auto invalid = "error: " + make_error_code(proto::errc::invalid_value).message();
    EXPECT_EQ(encoded(cql::batch{}, v4, std::nullopt, &why), invalid);
    EXPECT_EQ(why, "the batch has no statements");

    cql::batch b;
    b.add(cql::statement("A"));
    b.add(cql::bound_statement{prepared_int(true), {}, {}});  // no value for its marker
    EXPECT_EQ(encoded(b, v4, std::nullopt, &why), invalid);
    EXPECT_EQ(why, "batch entry 1: the statement has 1 bind markers but 0 values were given");

    b.entries[1] = cql::bound_statement{};  // never prepared
    EXPECT_EQ(encoded(b, v4, std::nullopt, &why), invalid);
    EXPECT_EQ(why, "batch entry 1: the bound statement was not prepared");

    cql::statement text("B");
    text.values.push_back({int_type, cql::cql_value::text("not an int")});
    b.entries[1] = text;
    EXPECT_NE(encoded(b, v4, std::nullopt, &why).find("error: "), std::string::npos);
    EXPECT_EQ(why, "batch entry 1: value 0 does not fit its type int");
}

TEST(BatchRouting, FirstBoundEntryWithAPartition) {
    cql::batch b;
    b.add(simple_int("Q", 1));
    b.add(cql::bound_statement{prepared_int(false, "other"), {cql::cql_value{std::int32_t{1}}}, {}});  // no key
    EXPECT_FALSE(cql::detail::route_of(b, v4).token);
    const cql::bound_statement keyed{prepared_int(true, "ks"), {cql::cql_value{std::int32_t{42}}}, {}};
    b.add(keyed);
    b.add(cql::bound_statement{prepared_int(true, "later"), {cql::cql_value{std::int32_t{7}}}, {}});
    const auto r = cql::detail::route_of(b, v4);
    EXPECT_EQ(r.keyspace, "ks");
    ASSERT_TRUE(r.token);
    EXPECT_EQ(r.token, cql::detail::bound_routing_token(keyed, v4));
    // A null key value has no token.
    EXPECT_FALSE(cql::detail::bound_routing_token(
        cql::bound_statement{prepared_int(true), {cql::cql_value{}}, {}}, v4));
}

TEST(FrameExtras, TracingFlagAndPayloadViews) {
    cql::statement_options o;
    EXPECT_EQ(cql::detail::extras_of(o).flags, 0);
    o.tracing = true;
    EXPECT_EQ(cql::detail::extras_of(o).flags, proto::frame_flag::tracing);
    o.custom_payload["a"] = {1, 2};
    o.custom_payload["b"] = {};
    const auto e = cql::detail::extras_of(o);
    EXPECT_EQ(e.flags, proto::frame_flag::tracing | proto::frame_flag::custom_payload);
    ASSERT_EQ(e.payload.size(), 2u);
    EXPECT_EQ(e.payload[0].first, "a");
    EXPECT_EQ(e.payload[0].second.data.size(), 2u);
    EXPECT_EQ(e.payload[1].second.state, proto::value_view::kind::present);  // empty, not null
}

TEST(TimestampGenerator, FollowsTheClockWhenItAdvances) {
    std::int64_t now = 1000;
    cql::detail::monotonic_timestamp_generator g([&] { return now; });
    EXPECT_EQ(g.next(), 1000);
    now = 1500;
    EXPECT_EQ(g.next(), 1500);
}

TEST(TimestampGenerator, SameMicrosecondStillIncreases) {
    std::int64_t now = 1000;
    cql::detail::monotonic_timestamp_generator g([&] { return now; });
    EXPECT_EQ(g.next(), 1000);
    EXPECT_EQ(g.next(), 1001);
    EXPECT_EQ(g.next(), 1002);
    now = 1002;  // the clock catches up with what was handed out: still one more
    EXPECT_EQ(g.next(), 1003);
    now = 2000;
    EXPECT_EQ(g.next(), 2000);
}

TEST(TimestampGenerator, ClockSteppedBackKeepsIncreasing) {
    std::int64_t now = 5000;
    cql::detail::monotonic_timestamp_generator g([&] { return now; });
    EXPECT_EQ(g.next(), 5000);
    now = 3000;  // e.g. NTP stepped the clock back 2 ms
    EXPECT_EQ(g.next(), 5001);
    EXPECT_EQ(g.next(), 5002);
    now = 5001;
    EXPECT_EQ(g.next(), 5003);
    now = 6000;
    EXPECT_EQ(g.next(), 6000);
}

TEST(TimestampGenerator, UniqueAcrossThreadsWithAStoppedClock) {
    // Every thread sees a clock that never moves: all values must still be distinct, and each
    // thread's own sequence increasing.
    cql::detail::monotonic_timestamp_generator g([] { return std::int64_t{100}; });
    constexpr int threads = 4, per_thread = 20000;
    std::vector<std::vector<std::int64_t>> got(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) got[t].push_back(g.next());
        });
    for (auto& w : workers) w.join();
    std::set<std::int64_t> all;
    for (const auto& seq : got) {
        EXPECT_TRUE(std::is_sorted(seq.begin(), seq.end()));
        EXPECT_EQ(std::adjacent_find(seq.begin(), seq.end()), seq.end());
        all.insert(seq.begin(), seq.end());
    }
    EXPECT_EQ(all.size(), std::size_t{threads * per_thread});
    EXPECT_EQ(*all.begin(), 100);
    EXPECT_EQ(*all.rbegin(), 100 + threads * per_thread - 1);
}

TEST(TimestampGenerator, SystemClockIsMicroseconds) {
    cql::detail::monotonic_timestamp_generator g;
    const auto a = g.next();
    // 2020-01-01 in microseconds < a < 2100-01-01: not milliseconds, not nanoseconds.
    EXPECT_GT(a, 1'577'836'800'000'000LL);
    EXPECT_LT(a, 4'102'444'800'000'000LL);
    EXPECT_GT(g.next(), a);
}

TEST(BatchReprepare, EachPreparedEntryOnce) {
    const auto first = prepared_int(true);
    auto other_info = std::make_shared<cql::detail::prepared_info>(*first.info());
    other_info->id = {0x56};
    const cql::prepared_statement other(other_info);
    cql::batch b;
    b.add(simple_int("Q", 1));
    b.add(cql::bound_statement{first, {cql::cql_value{std::int32_t{1}}}, {}});
    b.add(cql::bound_statement{other, {cql::cql_value{std::int32_t{2}}}, {}});
    b.add(cql::bound_statement{first, {cql::cql_value{std::int32_t{3}}}, {}});
    const auto infos = cql::detail::prepared_entries(b);
    ASSERT_EQ(infos.size(), 2u);
    EXPECT_EQ(infos[0], first.info().get());
    EXPECT_EQ(infos[1], other_info.get());
    EXPECT_TRUE(cql::detail::prepared_entries(cql::batch{}).empty());
}
