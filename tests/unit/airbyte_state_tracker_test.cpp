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
using airbyte::record_ref;
using ::testing::IsEmpty;

namespace {

// The tracker, with records numbered in reading order across streams (as the tests below name
// them); an ack of a number not read yet is dropped here, as the tracker never sees one.
class state_tracker {
public:
    static constexpr std::size_t no_stream = airbyte::state_tracker::no_stream;
    explicit state_tracker(std::size_t n) : t_(n) {}
    std::uint64_t add_record(std::size_t s) {
        refs_.push_back(t_.add_record(s));
        return refs_.size() - 1;
    }
    void ack(std::uint64_t seq) {
        if (seq < refs_.size()) t_.ack(refs_[seq]);
    }
    void add_state(std::string j, std::size_t s, bool global) { t_.add_state(std::move(j), s, global); }
    void ack_all() { t_.ack_all(); }
    std::vector<ready_state> take_ready() { return t_.take_ready(); }
    std::uint64_t records_read() const { return t_.records_read(); }
    std::uint64_t records_acked() const { return t_.records_acked(); }
    std::uint64_t unacked() const { return t_.unacked(); }
    std::size_t pending_states() const { return t_.pending_states(); }
    const std::vector<record_ref>& refs() const { return refs_; }

private:
    airbyte::state_tracker t_;
    std::vector<record_ref> refs_;
};

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

TEST(StateTracker, StatesOfOneStreamKeepTheirOrderOthersDoNotWait) {
    state_tracker t(2);
    t.add_record(0);  // 0
    t.add_state("A", 0, false);
    t.add_record(1);  // 1
    t.add_state("B", 1, false);
    t.add_record(0);  // 2
    t.add_state("C", 0, false);
    t.ack(2);
    t.ack(1);
    // A (and so C, of the same stream) waits for record 0; B, of stream 1, does not.
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"B"}));
    EXPECT_EQ(t.pending_states(), 2u);
    t.ack(0);
    auto r = t.take_ready();
    EXPECT_EQ(jsons(r), (std::vector<std::string>{"A", "C"}));
    EXPECT_EQ(counts(r), (std::vector<std::uint64_t>{1, 1}));
}

TEST(StateTracker, HeldStreamDoesNotHoldBackAnotherStreamsStates) {
    // Stream 0's records are never acknowledged before the end (an overwrite held for its
    // commit); stream 1's states go out as its records are acknowledged.
    state_tracker t(2);
    std::vector<std::string> out;
    for (int i = 0; i < 50; ++i) {
        t.add_record(0);
        const auto s1 = t.add_record(1);
        t.add_state("a" + std::to_string(i), 0, false);
        t.add_state("b" + std::to_string(i), 1, false);
        t.ack(s1);
        for (auto& r : t.take_ready()) out.push_back(r.json);
    }
    ASSERT_EQ(out.size(), 50u);
    for (int i = 0; i < 50; ++i) EXPECT_EQ(out[static_cast<std::size_t>(i)], "b" + std::to_string(i));
    EXPECT_EQ(t.pending_states(), 50u);
    t.ack_all();
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 50u);
    EXPECT_EQ(r.front().json, "a0");
    EXPECT_EQ(r.back().json, "a49");
}

TEST(StateTracker, GlobalStateWaitsForEveryStreamAndEarlierStates) {
    state_tracker t(2);
    t.add_record(0);  // 0
    t.add_record(1);  // 1
    t.add_state("s1", 1, false);
    t.add_state("g", state_tracker::no_stream, true);
    t.add_record(1);  // 2
    t.add_state("s1b", 1, false);
    t.ack(1);
    t.ack(2);
    // s1 may go; g waits for record 0; s1b, read after g, waits for g.
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"s1"}));
    t.ack(0);
    EXPECT_EQ(jsons(t.take_ready()), (std::vector<std::string>{"g", "s1b"}));
}

TEST(StateTracker, CoversSaysWhichRecordsOfWhichStream) {
    state_tracker t(3);
    t.add_record(0);
    t.add_record(1);
    t.add_record(0);
    t.add_state("s0", 0, false);
    t.add_record(2);
    t.add_state("g", state_tracker::no_stream, true);
    t.add_state("x", state_tracker::no_stream, false);
    t.ack_all();
    auto r = t.take_ready();
    ASSERT_EQ(r.size(), 3u);
    using cov = std::vector<std::pair<std::size_t, std::uint64_t>>;
    EXPECT_EQ(r[0].covers, (cov{{0, 2}}));
    EXPECT_EQ(r[1].covers, (cov{{0, 2}, {1, 1}, {2, 1}}));
    EXPECT_EQ(r[2].covers, cov{});
    // Records are numbered per stream.
    EXPECT_EQ(t.refs()[2], (record_ref{0, 1}));
    EXPECT_EQ(t.refs()[3], (record_ref{2, 0}));
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

// The rules, stated the slow way: a STREAM state of stream s may go once every record of s read
// before it is acknowledged, no earlier state of s is pending and no earlier global state is
// pending; a global (or unknown-stream) state once every record read before it is acknowledged
// and no earlier state at all is pending. Among the states that may go, the earliest read goes
// first.
struct model {
    std::size_t streams;
    std::uint64_t next = 0;
    std::vector<std::size_t> stream_of;  // per record
    std::set<std::uint64_t> acked;
    struct st {
        std::string json;
        std::uint64_t barrier, count;
        std::size_t stream;  // streams: global or unknown
    };
    std::vector<st> states;  // pending, in reading order
    std::vector<std::uint64_t> per_stream;
    std::uint64_t since_global = 0;

    explicit model(std::size_t n) : streams(n), per_stream(n, 0) {}
    std::uint64_t add_record(std::size_t s) {
        if (s < streams) ++per_stream[s];
        ++since_global;
        stream_of.push_back(s < streams ? s : streams);
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
        states.push_back({std::move(j), next, c, global || s >= streams ? streams : s});
    }
    bool may_go(std::size_t i) const {
        const auto& x = states[i];
        for (std::uint64_t r = 0; r < x.barrier; ++r)
            if ((x.stream == streams || stream_of[r] == x.stream) && !acked.count(r)) return false;
        for (std::size_t j = 0; j < i; ++j)
            if (x.stream == streams || states[j].stream == streams || states[j].stream == x.stream) return false;
        return true;
    }
    std::vector<ready_state> take_ready() {
        std::vector<ready_state> out;
        for (bool again = true; again;) {
            again = false;
            for (std::size_t i = 0; i < states.size(); ++i) {
                if (!may_go(i)) continue;
                out.push_back({states[i].json, states[i].count, {}});
                states.erase(states.begin() + static_cast<std::ptrdiff_t>(i));
                again = true;
                break;
            }
        }
        return out;
    }
};

TEST(StateTracker, RandomInterleavingsMatchModel) {
    for (unsigned seed = 1; seed <= 200; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        std::mt19937 rng(seed);
        const std::size_t streams = 1 + rng() % 4;
        const unsigned global_share = rng() % 3 == 0 ? 100 : rng() % 2 ? 10 : 0;  // percent of states that are global
        state_tracker t(streams);
        model md(streams);
        std::vector<std::uint64_t> outstanding;  // read and not yet acknowledged
        int state_no = 0;
        std::set<std::string> released;
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
                if (rng() % 100 < global_share) {
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
                for (auto& r : a) ASSERT_TRUE(released.insert(r.json).second);
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
        // Acknowledge the rest: every state comes out.
        for (auto seq : outstanding) {
            t.ack(seq);
            md.ack(seq);
        }
        auto a = t.take_ready();
        auto b = md.take_ready();
        ASSERT_EQ(jsons(a), jsons(b));
        ASSERT_EQ(counts(a), counts(b));
        for (auto& r : a) ASSERT_TRUE(released.insert(r.json).second);
        ASSERT_EQ(t.pending_states(), 0u);
        ASSERT_EQ(released.size(), static_cast<std::size_t>(state_no));
    }
}

}  // namespace
