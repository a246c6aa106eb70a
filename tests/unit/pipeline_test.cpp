// The sans-I/O pipelining core: stream id table (acquire, responses, orphans, sweeps) and the write
// queue (ids patched at write time, coalescing, short writes, back-pressure, failure, expiry).
#include "cql/detail/stream_table.hpp"
#include "cql/detail/write_queue.hpp"
#include "cql/error.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <new>
#include <string>

#include "hex.hpp"

// ---- allocation counter: begin ----
// Replaces the global operator new/delete of this test executable, so a test can count the
// allocations made between two points. Counting is off unless a test turns it on.
namespace {
bool g_count_allocations = false;
std::size_t g_allocations = 0;
}  // namespace

// Out of line, so g++ does not inline delete into callers and then flag free() on new's pointer.
[[gnu::noinline]] void* operator new(std::size_t n) {
    if (g_count_allocations) ++g_allocations;
    if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
    throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) { return ::operator new(n); }
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
// ---- allocation counter: end ----

namespace {

using namespace cql::detail;
using cql::client_errc;
using cql::test::from_hex;
using cql::test::to_hex;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

struct completion {
    int tag;
    std::error_code ec;
    std::int16_t response_stream;  // header stream of the response frame (0 for an empty frame)
};

// A request that records its completions (every one of them, to catch double completion).
class test_request final : public request {
public:
    test_request(int tag, std::vector<completion>* log) : tag_(tag), log_(log) {}
    void complete(std::error_code ec, cql::protocol::frame&& response) override {
        log_->push_back({tag_, ec, response.header.stream});
        if (on_complete) on_complete();
    }
    std::function<void()> on_complete;

private:
    int tag_;
    std::vector<completion>* log_;
};

// An encoded request frame with stream id 0, as the encoder leaves it: v4, opcode op, body bytes.
std::vector<std::uint8_t> make_frame(cql::protocol::opcode op, std::size_t body_size, std::uint8_t fill) {
    std::vector<std::uint8_t> out;
    cql::protocol::frame_header h;
    h.op = op;
    const auto at = cql::protocol::append_frame_header(out, h);
    out.insert(out.end(), body_size, fill);
    cql::protocol::finish_frame(out, at);
    return out;
}

std::unique_ptr<test_request> make_request(int tag, std::vector<completion>& log, std::vector<std::uint8_t> frame,
                                           clock_type::time_point deadline = clock_type::time_point::max()) {
    auto r = std::make_unique<test_request>(tag, &log);
    r->frame = std::move(frame);
    r->deadline = deadline;
    return r;
}

std::unique_ptr<test_request> options_request(int tag, std::vector<completion>& log,
                                              clock_type::time_point deadline = clock_type::time_point::max()) {
    return make_request(tag, log, from_hex("04 00 0000 05 00000000"), deadline);
}

cql::protocol::frame response_on(std::int16_t stream) {
    cql::protocol::frame f;
    f.header.is_response = true;
    f.header.stream = stream;
    f.header.op = cql::protocol::opcode::result;
    return f;
}

// Delivers a response on id, the way the connection's reader does. Returns the lookup kind.
stream_table::lookup_kind respond(stream_table& t, std::int16_t id) {
    auto found = t.on_response(id);
    if (found.kind == stream_table::lookup_kind::found) found.req->complete({}, response_on(id));
    return found.kind;
}

std::vector<std::uint8_t> copy(std::span<const std::uint8_t> s) { return {s.begin(), s.end()}; }

// ---------------------------------------------------------------- errors

TEST(ClientError, CategoryNameMessagesAndComparison) {
    std::error_code ec = client_errc::request_timeout;
    EXPECT_STREQ(ec.category().name(), "cql.client");
    EXPECT_EQ(ec, client_errc::request_timeout);
    EXPECT_NE(ec, client_errc::connect_timeout);
    EXPECT_EQ(ec.message(), "request timed out waiting for a response");
    std::vector<std::string> seen;
    for (int v = static_cast<int>(client_errc::connection_closed); v <= static_cast<int>(client_errc::server_error); ++v) {
        auto m = make_error_code(static_cast<client_errc>(v)).message();
        EXPECT_EQ(m.find("unknown cql.client error"), std::string::npos) << v;
        for (const auto& s : seen) EXPECT_NE(s, m) << v;
        seen.push_back(m);
    }
    EXPECT_EQ(seen.size(), 15u);
    EXPECT_EQ(make_error_code(static_cast<client_errc>(99)).message(), "unknown cql.client error 99");
}

// ---------------------------------------------------------------- stream_table

TEST(StreamTable, CapacityIsClampedToTheProtocolRange) {
    EXPECT_EQ(stream_table(0).capacity(), 1u);
    EXPECT_EQ(stream_table(1).capacity(), 1u);
    EXPECT_EQ(stream_table(2048).capacity(), 2048u);
    EXPECT_EQ(stream_table(32768).capacity(), 32768u);
    EXPECT_EQ(stream_table(40000).capacity(), 32768u);
}

TEST(StreamTable, AcquireHandsOutAscendingIdsThenRefusesAndKeepsTheRequest) {
    std::vector<completion> log;
    stream_table t(3);
    for (int i = 0; i < 3; ++i) {
        std::unique_ptr<request> r = options_request(i, log);
        auto* raw = r.get();
        auto id = t.acquire(std::move(r));
        ASSERT_TRUE(id);
        EXPECT_EQ(*id, i);
        EXPECT_EQ(raw->stream, i);
        EXPECT_EQ(r, nullptr);
    }
    std::unique_ptr<request> extra = options_request(3, log);
    EXPECT_FALSE(t.acquire(std::move(extra)));
    ASSERT_NE(extra, nullptr);  // back-pressure: the caller still owns it
    EXPECT_EQ(extra->stream, -1);
    EXPECT_EQ(t.in_flight(), 3u);
    EXPECT_EQ(t.free_count(), 0u);
    EXPECT_TRUE(log.empty());
}

TEST(StreamTable, LargestCapacityUsesEveryNonNegativeShort) {
    std::vector<completion> log;
    stream_table t(stream_table::max_capacity);
    std::int16_t last = -1;
    for (std::size_t i = 0; i < stream_table::max_capacity; ++i) {
        auto id = t.acquire(options_request(0, log));
        ASSERT_TRUE(id);
        last = *id;
    }
    EXPECT_EQ(last, 32767);
    EXPECT_FALSE(t.acquire(options_request(0, log)));
}

TEST(StreamTable, FreedIdsAreReusedInFifoOrder) {
    std::vector<completion> log;
    stream_table t(4);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.acquire(options_request(i, log)));
    EXPECT_EQ(respond(t, 2), stream_table::lookup_kind::found);
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    EXPECT_EQ(t.acquire(options_request(10, log)), std::optional<std::int16_t>(2));
    EXPECT_EQ(respond(t, 3), stream_table::lookup_kind::found);
    EXPECT_EQ(t.acquire(options_request(11, log)), std::optional<std::int16_t>(0));
    EXPECT_EQ(t.acquire(options_request(12, log)), std::optional<std::int16_t>(3));
    // The freshly freed id goes to the back: 1 first, although 2 was freed later.
    EXPECT_EQ(respond(t, 1), stream_table::lookup_kind::found);
    EXPECT_EQ(respond(t, 2), stream_table::lookup_kind::found);
    EXPECT_EQ(t.acquire(options_request(13, log)), std::optional<std::int16_t>(1));
    EXPECT_EQ(t.acquire(options_request(14, log)), std::optional<std::int16_t>(2));
}

TEST(StreamTable, ResponseReturnsTheRequestOnceAndFreesTheId) {
    std::vector<completion> log;
    stream_table t(2);
    ASSERT_TRUE(t.acquire(options_request(7, log)));
    auto found = t.on_response(0);
    ASSERT_EQ(found.kind, stream_table::lookup_kind::found);
    ASSERT_NE(found.req, nullptr);
    EXPECT_EQ(found.req->stream, 0);
    found.req->complete({}, response_on(0));
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].tag, 7);
    EXPECT_FALSE(log[0].ec);
    EXPECT_EQ(t.in_flight(), 0u);
    EXPECT_EQ(t.free_count(), 2u);
    // A second answer on the same id is a desynchronised stream.
    auto again = t.on_response(0);
    EXPECT_EQ(again.kind, stream_table::lookup_kind::unknown);
    EXPECT_EQ(again.req, nullptr);
}

TEST(StreamTable, UnknownIdsAreReported) {
    std::vector<completion> log;
    stream_table t(4);
    ASSERT_TRUE(t.acquire(options_request(0, log)));
    EXPECT_EQ(t.on_response(1).kind, stream_table::lookup_kind::unknown);      // never used
    EXPECT_EQ(t.on_response(4).kind, stream_table::lookup_kind::unknown);      // beyond capacity
    EXPECT_EQ(t.on_response(32767).kind, stream_table::lookup_kind::unknown);  // far beyond
    EXPECT_EQ(t.on_response(-1).kind, stream_table::lookup_kind::unknown);     // server event id
    EXPECT_EQ(t.on_response(-32768).kind, stream_table::lookup_kind::unknown);
    EXPECT_EQ(t.in_flight(), 1u);  // the unknown answers disturbed nothing
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::found);
}

TEST(StreamTable, OrphanKeepsTheIdTakenUntilItsLateResponse) {
    std::vector<completion> log;
    stream_table t(1);
    ASSERT_EQ(t.acquire(options_request(1, log)), std::optional<std::int16_t>(0));
    auto timed_out = t.orphan(0);
    ASSERT_NE(timed_out, nullptr);
    timed_out->complete(client_errc::request_timeout, {});
    EXPECT_EQ(t.orphan_count(), 1u);
    EXPECT_EQ(t.in_flight(), 0u);
    EXPECT_EQ(t.free_count(), 0u);
    EXPECT_EQ(t.orphan(0), nullptr);  // already orphaned
    std::unique_ptr<request> next = options_request(2, log);
    EXPECT_FALSE(t.acquire(std::move(next)));  // id 0 must not be reused yet
    auto late = t.on_response(0);
    EXPECT_EQ(late.kind, stream_table::lookup_kind::orphan);
    EXPECT_EQ(late.req, nullptr);
    EXPECT_EQ(t.orphan_count(), 0u);
    EXPECT_EQ(t.acquire(std::move(next)), std::optional<std::int16_t>(0));
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].tag, 1);
    EXPECT_EQ(log[0].ec, client_errc::request_timeout);
    EXPECT_EQ(log[1].tag, 2);  // the late rows of 1 never reached 2
    EXPECT_FALSE(log[1].ec);
}

TEST(StreamTable, OrphanOfAFreeOrOutOfRangeIdIsNull) {
    stream_table t(2);
    EXPECT_EQ(t.orphan(0), nullptr);
    EXPECT_EQ(t.orphan(2), nullptr);
    EXPECT_EQ(t.orphan(-1), nullptr);
    EXPECT_EQ(t.orphan_count(), 0u);
    EXPECT_EQ(t.free_count(), 2u);
}

TEST(StreamTable, ExpiredCollectsLiveRequestsPastTheirDeadlineAndAppends) {
    std::vector<completion> log;
    const auto now = clock_type::now();
    stream_table t(8);
    ASSERT_TRUE(t.acquire(options_request(0, log, now - 1s)));  // 0: expired
    ASSERT_TRUE(t.acquire(options_request(1, log, now + 1s)));  // 1: not yet
    ASSERT_TRUE(t.acquire(options_request(2, log, now)));       // 2: exactly now counts
    ASSERT_TRUE(t.acquire(options_request(3, log)));            // 3: no deadline
    ASSERT_TRUE(t.acquire(options_request(4, log, now - 1s)));  // 4: expired, then orphaned
    ASSERT_NE(t.orphan(4), nullptr);
    std::vector<std::int16_t> out{99};
    t.expired(now, out);
    EXPECT_EQ(out, (std::vector<std::int16_t>{99, 0, 2}));
}

TEST(StreamTable, FailAllCompletesEveryLiveRequestOnceAndResets) {
    std::vector<completion> log;
    stream_table t(4);
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(t.acquire(options_request(i, log)));
    ASSERT_NE(t.orphan(1), nullptr);  // completed by its owner, not by fail_all
    t.fail_all(client_errc::connection_closed);
    ASSERT_EQ(log.size(), 3u);
    EXPECT_EQ(log[0].tag, 0);
    EXPECT_EQ(log[1].tag, 2);
    EXPECT_EQ(log[2].tag, 3);
    for (const auto& c : log) EXPECT_EQ(c.ec, client_errc::connection_closed);
    EXPECT_EQ(t.in_flight(), 0u);
    EXPECT_EQ(t.orphan_count(), 0u);
    EXPECT_EQ(t.free_count(), 4u);
    t.fail_all(client_errc::connection_closed);
    EXPECT_EQ(log.size(), 3u);
    EXPECT_EQ(t.acquire(options_request(9, log)), std::optional<std::int16_t>(0));
}

TEST(StreamTable, FailAllLetsACompletionUseTheTableAgain) {
    std::vector<completion> log;
    stream_table t(1);
    auto r = options_request(0, log);
    r->on_complete = [&] { EXPECT_EQ(t.acquire(options_request(1, log)), std::optional<std::int16_t>(0)); };
    ASSERT_TRUE(t.acquire(std::move(r)));
    t.fail_all(client_errc::connection_closed);
    EXPECT_EQ(t.in_flight(), 1u);
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[1].tag, 1);
}

// ---------------------------------------------------------------- write_queue

TEST(WriteQueue, AssignsIdsInWriteOrderAndPatchesBytes2And3) {
    std::vector<completion> log;
    stream_table t(8);
    write_queue q;
    q.push(options_request(0, log));
    q.push(make_request(1, log, from_hex("04 00 0000 07 00000003 aabbcc")));
    q.push(options_request(2, log));
    EXPECT_EQ(q.waiting(), 3u);
    auto bytes = q.prepare_write(t);
    EXPECT_EQ(to_hex(copy(bytes)), "040000000500000000"
                                   "0400000107000000" "03aabbcc"
                                   "040000020500000000");
    EXPECT_EQ(q.waiting(), 0u);
    EXPECT_EQ(t.in_flight(), 3u);
    q.commit_write(bytes.size());
    EXPECT_TRUE(q.empty());
    EXPECT_TRUE(q.prepare_write(t).empty());
    // The next batch continues with id 3; the patch writes the whole big-endian [short].
    stream_table big(300);
    write_queue q2;
    for (int i = 0; i < 257; ++i) q2.push(options_request(i, log));
    auto all = copy(q2.prepare_write(big));
    ASSERT_EQ(all.size(), 257u * 9);
    EXPECT_EQ(to_hex(std::vector<std::uint8_t>(all.begin() + 256 * 9, all.end())), "040001000500000000");
    EXPECT_EQ(to_hex(std::vector<std::uint8_t>(all.begin() + 255 * 9, all.begin() + 256 * 9)), "040000ff0500000000");
}

TEST(WriteQueue, CoalescesAHundredFramesIntoOneBuffer) {
    std::vector<completion> log;
    stream_table t(128);
    write_queue q;
    std::vector<std::uint8_t> expected;
    for (int i = 0; i < 100; ++i) {
        auto f = make_frame(cql::protocol::opcode::query, 3, static_cast<std::uint8_t>(i));
        auto e = f;
        e[2] = 0;
        e[3] = static_cast<std::uint8_t>(i);
        expected.insert(expected.end(), e.begin(), e.end());
        q.push(make_request(i, log, std::move(f)));
    }
    auto bytes = q.prepare_write(t);
    EXPECT_EQ(bytes.size(), 100u * 12);
    EXPECT_EQ(copy(bytes), expected);
    EXPECT_EQ(t.in_flight(), 100u);
    // Until committed, the same batch comes back, at the same place.
    EXPECT_EQ(q.prepare_write(t).data(), bytes.data());
    q.commit_write(bytes.size());
    EXPECT_TRUE(q.prepare_write(t).empty());
}

TEST(WriteQueue, ShortWritesOfOneByteGiveTheSameStream) {
    std::vector<completion> log;
    auto fill = [&](write_queue& q) {
        for (int i = 0; i < 10; ++i)
            q.push(make_request(i, log, make_frame(cql::protocol::opcode::query, static_cast<std::size_t>(i), 0x5a)));
    };
    stream_table ta(16), tb(16);
    write_queue whole, bytewise;
    fill(whole);
    fill(bytewise);
    auto expected = copy(whole.prepare_write(ta));
    std::vector<std::uint8_t> got;
    int rounds = 0;
    for (auto s = bytewise.prepare_write(tb); !s.empty(); s = bytewise.prepare_write(tb), ++rounds) {
        got.push_back(s[0]);
        // A push while a batch is half written neither changes nor extends the batch.
        if (rounds == 20) bytewise.push(options_request(99, log));
        bytewise.commit_write(1);
        if (got.size() == expected.size()) break;
    }
    EXPECT_EQ(got, expected);
    EXPECT_EQ(bytewise.unwritten(), 0u);
    EXPECT_EQ(bytewise.waiting(), 1u);
    EXPECT_EQ(to_hex(copy(bytewise.prepare_write(tb))), "040000" "0a" "0500000000");
}

TEST(WriteQueue, CommitBeyondTheBatchIsClamped) {
    std::vector<completion> log;
    stream_table t(2);
    write_queue q;
    q.push(options_request(0, log));
    auto s = q.prepare_write(t);
    q.commit_write(4);
    EXPECT_EQ(q.unwritten(), 5u);
    EXPECT_EQ(q.prepare_write(t).size(), 5u);
    EXPECT_EQ(q.prepare_write(t).data(), s.data() + 4);
    q.commit_write(1000);
    EXPECT_EQ(q.unwritten(), 0u);
    EXPECT_TRUE(q.empty());
}

TEST(WriteQueue, BatchStopsAtMaxBytesButTakesAtLeastOne) {
    std::vector<completion> log;
    stream_table t(16);
    write_queue q;
    q.push(make_request(0, log, make_frame(cql::protocol::opcode::query, 91, 1)));   // 100 bytes
    q.push(make_request(1, log, make_frame(cql::protocol::opcode::query, 91, 2)));   // 100 bytes
    q.push(make_request(2, log, make_frame(cql::protocol::opcode::query, 491, 3)));  // 500 bytes
    q.push(make_request(3, log, make_frame(cql::protocol::opcode::query, 0, 4)));    // 9 bytes
    auto first = q.prepare_write(t, 250);
    EXPECT_EQ(first.size(), 200u);
    q.commit_write(first.size());
    auto second = q.prepare_write(t, 250);  // larger than max_bytes on its own: goes alone
    EXPECT_EQ(second.size(), 500u);
    EXPECT_EQ(second[3], 2);
    q.commit_write(second.size());
    auto third = q.prepare_write(t, 250);
    EXPECT_EQ(to_hex(copy(third)), "040000030700000000");
}

TEST(WriteQueue, BackPressureWaitsForFreeIdsInFifoOrder) {
    std::vector<completion> log;
    stream_table t(2);
    write_queue q;
    for (int i = 0; i < 5; ++i) q.push(options_request(i, log));
    auto first = q.prepare_write(t);
    EXPECT_EQ(to_hex(copy(first)), "040000000500000000" "040000010500000000");
    q.commit_write(first.size());
    EXPECT_EQ(q.waiting(), 3u);
    EXPECT_TRUE(q.prepare_write(t).empty());  // no id free: nothing to write, nobody failed
    EXPECT_TRUE(log.empty());

    // Each freed id takes the oldest waiting request.
    const std::int16_t answer_order[] = {1, 0, 1, 0, 1};
    std::vector<std::string> writes;
    for (auto id : answer_order) {
        ASSERT_EQ(respond(t, id), stream_table::lookup_kind::found);
        auto s = q.prepare_write(t);
        writes.push_back(to_hex(copy(s)));
        q.commit_write(s.size());
    }
    EXPECT_EQ(writes, (std::vector<std::string>{"040000010500000000", "040000000500000000", "040000010500000000", "", ""}));
    ASSERT_EQ(log.size(), 5u);
    // Requests 0..4 answered in the order their ids came back: 1, 0, then 2, 3, 4 as written.
    const int expected_tags[] = {1, 0, 2, 3, 4};
    const std::int16_t expected_streams[] = {1, 0, 1, 0, 1};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(log[i].tag, expected_tags[i]) << i;
        EXPECT_EQ(log[i].response_stream, expected_streams[i]) << i;
        EXPECT_FALSE(log[i].ec);
    }
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(t.in_flight(), 0u);
}

TEST(WriteQueue, TimedOutIdIsNotReusedUntilItsLateResponse) {
    std::vector<completion> log;
    const auto now = clock_type::now();
    stream_table t(1);
    write_queue q;
    q.push(options_request(0, log, now - 1ms));
    q.push(options_request(1, log));
    q.commit_write(q.prepare_write(t).size());
    std::vector<std::int16_t> expired;
    t.expired(now, expired);
    ASSERT_EQ(expired, std::vector<std::int16_t>{0});
    for (auto id : expired)
        if (auto r = t.orphan(id)) r->complete(client_errc::request_timeout, {});
    EXPECT_TRUE(q.prepare_write(t).empty());  // id 0 still taken by the orphan
    EXPECT_EQ(q.waiting(), 1u);
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::orphan);
    EXPECT_EQ(to_hex(copy(q.prepare_write(t))), "040000000500000000");
    EXPECT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].tag, 0);
    EXPECT_EQ(log[0].ec, client_errc::request_timeout);
    EXPECT_EQ(log[1].tag, 1);
    EXPECT_FALSE(log[1].ec);
}

// The connection's slow start passes how many more requests may go out: a batch holds no more.
TEST(WriteQueue, PrepareWriteTakesAtMostMaxRequests) {
    std::vector<completion> log;
    stream_table t(8);
    write_queue q;
    for (int i = 0; i < 5; ++i) q.push(options_request(i, log));
    EXPECT_TRUE(q.prepare_write(t, write_queue::default_max_batch, 0).empty());
    EXPECT_EQ(q.waiting(), 5u);
    auto bytes = q.prepare_write(t, write_queue::default_max_batch, 2);
    EXPECT_EQ(bytes.size(), 2u * 9);
    EXPECT_EQ(t.in_flight(), 2u);
    EXPECT_EQ(q.waiting(), 3u);
    q.commit_write(bytes.size());
    EXPECT_EQ(q.prepare_write(t).size(), 3u * 9);  // no limit: the rest
    EXPECT_EQ(t.in_flight(), 5u);
}

TEST(WriteQueue, FailAllCompletesEveryoneExactlyOnce) {
    std::vector<completion> log;
    stream_table t(2);
    write_queue q;
    for (int i = 0; i < 5; ++i) q.push(options_request(i, log));
    auto s = q.prepare_write(t);
    q.commit_write(s.size() - 3);  // the connection breaks mid-write
    t.fail_all(client_errc::connection_closed);
    q.fail_all(client_errc::connection_closed);
    t.fail_all(client_errc::connection_closed);
    q.fail_all(client_errc::connection_closed);
    ASSERT_EQ(log.size(), 5u);
    std::vector<int> count(5);
    for (const auto& c : log) {
        ++count[static_cast<std::size_t>(c.tag)];
        EXPECT_EQ(c.ec, client_errc::connection_closed);
    }
    EXPECT_EQ(count, (std::vector<int>{1, 1, 1, 1, 1}));
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.unwritten(), 0u);
    EXPECT_EQ(t.in_flight(), 0u);
}

TEST(WriteQueue, FailAllKeepsRequestsPushedByACompletion) {
    std::vector<completion> log;
    write_queue q;
    auto r = options_request(0, log);
    r->on_complete = [&] { q.push(options_request(1, log)); };
    q.push(std::move(r));
    q.fail_all(client_errc::connection_closed);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(q.waiting(), 1u);
}

TEST(WriteQueue, ExpireWaitingCompletesTimedOutRequestsWithoutTakingIds) {
    std::vector<completion> log;
    const auto now = clock_type::now();
    stream_table t(1);
    write_queue q;
    q.push(options_request(0, log));             // written, holds the only id
    q.commit_write(q.prepare_write(t).size());
    q.push(options_request(1, log, now - 1s));  // waits, expires
    q.push(options_request(2, log, now + 1h));  // waits, stays
    q.push(options_request(3, log, now));       // waits, expires (deadline reached)
    q.push(options_request(4, log));            // waits, no deadline
    EXPECT_EQ(q.expire_waiting(now), 2u);
    ASSERT_EQ(log.size(), 2u);
    EXPECT_EQ(log[0].tag, 1);
    EXPECT_EQ(log[1].tag, 3);
    for (const auto& c : log) EXPECT_EQ(c.ec, client_errc::request_timeout);
    EXPECT_EQ(q.waiting(), 2u);
    EXPECT_EQ(t.in_flight(), 1u);
    EXPECT_EQ(t.free_count(), 0u);
    EXPECT_EQ(q.expire_waiting(now), 0u);
    // The survivors keep their order.
    ASSERT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    q.commit_write(q.prepare_write(t).size());
    ASSERT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    q.commit_write(q.prepare_write(t).size());
    ASSERT_EQ(respond(t, 0), stream_table::lookup_kind::found);
    ASSERT_EQ(log.size(), 5u);
    EXPECT_EQ(log[3].tag, 2);
    EXPECT_EQ(log[4].tag, 4);
}

TEST(WriteQueue, RefusesAFrameShorterThanAHeader) {
    std::vector<completion> log;
    write_queue q;
    q.push(make_request(0, log, from_hex("04 00 0000 05 000000")));
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0].ec, client_errc::protocol_violation);
    EXPECT_TRUE(q.empty());
}

TEST(WriteQueue, PrepareWriteAllocatesNothingOnceWarmedUp) {
    std::vector<completion> log;
    stream_table t(50);  // every id is freed each round, so FIFO hands out 0..49 again
    write_queue q;
    auto round = [&](bool count) {
        for (int i = 0; i < 50; ++i)
            q.push(make_request(i, log, make_frame(cql::protocol::opcode::query, 40, static_cast<std::uint8_t>(i))));
        g_allocations = 0;
        g_count_allocations = count;
        auto s = q.prepare_write(t);
        const auto more = q.prepare_write(t);  // the same batch again
        q.commit_write(s.size());
        const auto none = q.prepare_write(t);  // nothing waiting: empty
        g_count_allocations = false;
        EXPECT_EQ(s.size(), 50u * 49);
        EXPECT_EQ(more.size(), s.size());
        EXPECT_TRUE(none.empty());
        for (std::int16_t id = 0; id < 50; ++id) EXPECT_EQ(respond(t, id), stream_table::lookup_kind::found);
        return g_allocations;
    };
    round(false);  // warm-up: the batch buffer grows to size
    EXPECT_EQ(round(true), 0u);
    EXPECT_EQ(round(true), 0u);
    // The counter itself works: an allocation between the markers is seen.
    g_allocations = 0;
    g_count_allocations = true;
    auto probe = std::make_unique<int>(1);
    g_count_allocations = false;
    EXPECT_EQ(g_allocations, 1u);
}

}  // namespace
