// state_tracker: states released only once every earlier record is acknowledged.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "airbyte/state_tracker.hpp"

using airbyte::ready_state;
using airbyte::state_tracker;
using ::testing::IsEmpty;

namespace {

std::vector<std::string> jsons(const std::vector<ready_state>& v) {
    std::vector<std::string> out;
    for (const auto& r : v) out.push_back(r.json);
    return out;
}
std::vector<std::uint64_t> counts(const std::vector<ready_state>& v) {
    std::vector<std::uint64_t> out;
    for (const auto& r : v) out.push_back(r.record_count);
    return out;
}

TEST(StateTracker, StateWithNoRecordsIsReadyAtOnce) {
    state_tracker t(1);
    t.add_state("s0", 0, false);
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].json, "s0");
    EXPECT_EQ(r[0].record_count, 0u);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    EXPECT_EQ(t.pending_states(), 0u);
}

TEST(StateTracker, SequenceNumbersAndCounters) {
    state_tracker t(2);
    EXPECT_EQ(t.add_record(0), 0u);
    EXPECT_EQ(t.add_record(1), 1u);
    EXPECT_EQ(t.add_record(0), 2u);
    EXPECT_EQ(t.records_read(), 3u);
    EXPECT_EQ(t.records_acked(), 0u);
    EXPECT_EQ(t.unacked(), 3u);
    t.ack(1);
    EXPECT_EQ(t.records_acked(), 1u);
    EXPECT_EQ(t.unacked(), 2u);
}

TEST(StateTracker, StateWaitsForAllEarlierRecordsAckedOutOfOrder) {
    state_tracker t(1);
    for (int i = 0; i < 4; ++i) t.add_record(0);
    t.add_state("A", 0, false);
    t.add_record(0);  // seq 4, after the state: does not hold it back
    t.ack(3);
    t.ack(1);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(2);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(0);
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].json, "A");
    EXPECT_EQ(r[0].record_count, 4u);
    EXPECT_EQ(t.unacked(), 1u);
}

TEST(StateTracker, LaterRecordAckedFirstDoesNotReleaseState) {
    state_tracker t(1);
    t.add_record(0);  // 0
    t.add_state("A", 0, false);
    t.add_record(0);  // 1
    t.ack(1);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(0);
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"A"}));
}

TEST(StateTracker, StatesKeepTheirOrder) {
    state_tracker t(2);
    t.add_record(0);  // 0
    t.add_state("A", 0, false);
    t.add_record(1);  // 1
    t.add_state("B", 1, false);
    t.add_record(0);  // 2
    t.add_state("C", 0, false);
    t.ack(2);
    t.ack(1);
    EXPECT_THAT(t.take_ready(), IsEmpty());  // A (and so B, C) waits for record 0
    EXPECT_EQ(t.pending_states(), 3u);
    t.ack(0);
    auto r = t.take_ready();
    EXPECT_EQ(jsons(r), (std::vector<std::string>{"A", "B", "C"}));
    EXPECT_EQ(counts(r), (std::vector<std::uint64_t>{1, 1, 1}));
}

TEST(StateTracker, PartialRelease) {
    state_tracker t(1);
    t.add_record(0);  // 0
    t.add_state("A", 0, false);
    t.add_record(0);  // 1
    t.add_state("B", 0, false);
    t.ack(0);
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"A"}));
    EXPECT_EQ(t.pending_states(), 1u);
    t.ack(1);
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"B"}));
}

TEST(StateTracker, PerStreamCountsForStreamStates) {
    state_tracker t(3);
    t.add_record(0);
    t.add_record(1);
    t.add_record(0);
    t.add_record(2);
    t.add_record(0);
    t.add_state("s0", 0, false);  // 3 records of stream 0
    t.add_record(1);
    t.add_state("s1", 1, false);  // 2 records of stream 1
    t.add_state("s0b", 0, false); // none since the last state of stream 0
    t.add_record(2);
    t.add_state("s2", 2, false);  // 2 records of stream 2
    t.ack_all();
    auto r = t.take_ready();
    EXPECT_EQ(jsons(r), (std::vector<std::string>{"s0", "s1", "s0b", "s2"}));
    EXPECT_EQ(counts(r), (std::vector<std::uint64_t>{3, 2, 0, 2}));
}

TEST(StateTracker, AllStreamCountsForGlobalStates) {
    state_tracker t(2);
    t.add_record(0);
    t.add_record(1);
    t.add_record(state_tracker::no_stream);  // a record of a stream not in the catalog still counts
    t.add_state("g1", state_tracker::no_stream, true);
    t.add_record(1);
    t.add_state("g2", state_tracker::no_stream, true);
    t.add_state("g3", state_tracker::no_stream, true);
    t.ack_all();
    auto r = t.take_ready();
    EXPECT_EQ(jsons(r), (std::vector<std::string>{"g1", "g2", "g3"}));
    EXPECT_EQ(counts(r), (std::vector<std::uint64_t>{3, 1, 0}));
}

TEST(StateTracker, UnknownStreamStateCountsZeroButStillWaits) {
    state_tracker t(1);
    t.add_record(0);
    t.add_state("x", state_tracker::no_stream, false);
    EXPECT_THAT(t.take_ready(), IsEmpty());  // it still follows record 0
    t.ack(0);
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].record_count, 0u);
    // An index beyond the catalog is no stream either.
    t.add_record(0);
    t.add_state("y", 7, false);
    t.ack(1);
    r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].record_count, 0u);
    // And stream 0's count was not consumed by those states.
    t.add_state("z", 0, false);
    r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].record_count, 2u);
}

TEST(StateTracker, AckAllReleasesEverything) {
    state_tracker t(1);
    for (int i = 0; i < 10; ++i) {
        t.add_record(0);
        t.add_state("s" + std::to_string(i), 0, false);
    }
    t.ack(5);
    t.ack_all();
    EXPECT_EQ(t.records_acked(), 10u);
    EXPECT_EQ(t.unacked(), 0u);
    EXPECT_EQ(t.take_ready().size(), 10u);
    // Acks of records acknowledged by ack_all are ignored.
    t.ack(3);
    t.ack(5);
    EXPECT_EQ(t.records_acked(), 10u);
    // The tracker goes on after ack_all.
    EXPECT_EQ(t.add_record(0), 10u);
    t.add_state("after", 0, false);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(10);
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0].record_count, 1u);
}

TEST(StateTracker, DuplicateAndUnknownAcksIgnored) {
    state_tracker t(1);
    t.add_record(0);  // 0
    t.add_record(0);  // 1
    t.add_state("A", 0, false);
    t.ack(1);
    t.ack(1);
    t.ack(1);
    EXPECT_EQ(t.records_acked(), 1u);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(2);        // not read yet
    t.ack(1000000);  // never
    t.ack(~std::uint64_t{0});
    EXPECT_EQ(t.records_acked(), 1u);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    t.ack(0);
    EXPECT_EQ(t.records_acked(), 2u);
    t.ack(0);
    EXPECT_EQ(t.records_acked(), 2u);
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"A"}));
    // An ack for seq 2 before it was read must not count once seq 2 exists.
    t.add_record(0);  // 2
    t.add_state("B", 0, false);
    EXPECT_THAT(t.take_ready(), IsEmpty());
    EXPECT_EQ(t.unacked(), 1u);
}

TEST(StateTracker, JsonPassedThrough) {
    state_tracker t(1);
    const std::string j = R"({"type":"STREAM","stream":{"stream_descriptor":{"name":"a"}}})";
    t.add_state(j, 0, false);
    EXPECT_EQ(t.take_ready().at(0).json, j);
}

// ---------------------------------------------------------------- randomized against a model

struct model {
    std::size_t streams;
    std::uint64_t next = 0;
    std::set<std::uint64_t> acked;
    struct st {
        std::string json;
        std::uint64_t barrier, count;
    };
    std::deque<st> states;
    std::vector<std::uint64_t> per_stream;
    std::uint64_t since_global = 0;

    explicit model(std::size_t n) : streams(n), per_stream(n, 0) {}
    std::uint64_t add_record(std::size_t s) {
        if (s < streams) ++per_stream[s];
        ++since_global;
        return next++;
    }
    void ack(std::uint64_t seq) {
        if (seq < next) acked.insert(seq);
    }
    void ack_all() {
        for (std::uint64_t i = 0; i < next; ++i) acked.insert(i);
    }
    void add_state(std::string j, std::size_t s, bool global) {
        std::uint64_t c = 0;
        if (global) c = std::exchange(since_global, 0);
        else if (s < streams) c = std::exchange(per_stream[s], 0);
        states.push_back({std::move(j), next, c});
    }
    bool all_acked_below(std::uint64_t b) const {
        for (std::uint64_t i = 0; i < b; ++i)
            if (!acked.count(i)) return false;
        return true;
    }
    std::vector<ready_state> take_ready() {
        std::vector<ready_state> out;
        while (!states.empty() && all_acked_below(states.front().barrier)) {
            out.push_back({states.front().json, states.front().count});
            states.pop_front();
        }
        return out;
    }
};

TEST(StateTracker, RandomInterleavingsMatchModel) {
    for (unsigned seed = 1; seed <= 200; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        const std::size_t streams = 1 + rng() % 4;
        const bool global_mode = rng() % 3 == 0;  // a sync uses either STREAM or GLOBAL/LEGACY states
        state_tracker t(streams);
        model md(streams);
        std::vector<std::uint64_t> outstanding;  // read and not yet acknowledged
        int state_no = 0;
        std::vector<std::string> released_t, released_m;
        for (int step = 0; step < 400; ++step) {
            const unsigned op = rng() % 100;
            if (op < 40) {
                // a record; sometimes of a stream not in the catalog
                const std::size_t s = rng() % 10 == 0 ? state_tracker::no_stream : rng() % streams;
                const auto a = t.add_record(s);
                const auto b = md.add_record(s);
                ASSERT_EQ(a, b);
                outstanding.push_back(a);
            } else if (op < 70) {
                if (outstanding.empty()) continue;
                const std::size_t i = rng() % outstanding.size();
                const auto seq = outstanding[i];
                outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(i));
                t.ack(seq);
                md.ack(seq);
                if (rng() % 5 == 0) t.ack(seq);  // duplicate
            } else if (op < 85) {
                const std::string j = "state" + std::to_string(state_no++);
                if (global_mode) {
                    t.add_state(j, state_tracker::no_stream, true);
                    md.add_state(j, state_tracker::no_stream, true);
                } else {
                    const std::size_t s = rng() % 8 == 0 ? state_tracker::no_stream : rng() % streams;
                    t.add_state(j, s, false);
                    md.add_state(j, s, false);
                }
            } else if (op < 98) {
                auto a = t.take_ready();
                auto b = md.take_ready();
                ASSERT_EQ(jsons(a), jsons(b));
                ASSERT_EQ(counts(a), counts(b));
                for (auto& r : a) released_t.push_back(r.json);
            } else if (op < 99) {
                t.ack(md.next + rng() % 5);  // not read yet: ignored
            } else {
                t.ack_all();
                md.ack_all();
                outstanding.clear();
            }
            ASSERT_EQ(t.records_read(), md.next);
            ASSERT_EQ(t.records_acked(), md.acked.size());
            ASSERT_EQ(t.unacked(), md.next - md.acked.size());
            ASSERT_EQ(t.pending_states(), md.states.size());
        }
        // Acknowledge the rest: every state comes out, in order.
        for (auto seq : outstanding) {
            t.ack(seq);
            md.ack(seq);
        }
        auto a = t.take_ready();
        auto b = md.take_ready();
        ASSERT_EQ(jsons(a), jsons(b));
        ASSERT_EQ(counts(a), counts(b));
        for (auto& r : a) released_t.push_back(r.json);
        ASSERT_EQ(t.pending_states(), 0u);
        ASSERT_EQ(released_t.size(), static_cast<std::size_t>(state_no));
        for (int i = 0; i < state_no; ++i) ASSERT_EQ(released_t[static_cast<std::size_t>(i)], "state" + std::to_string(i));
    }
}

}  // namespace
