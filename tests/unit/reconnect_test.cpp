// The reconnection state machine (cql/detail/reconnect.hpp) scripted step by step, with a failed
// connection attempt (an I/O error) injected at each step of a reconnection.
#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "cql/detail/reconnect.hpp"

namespace {

using cql::detail::reconnect_state;
using ms = std::chrono::milliseconds;

reconnect_state make(int wanted = 2, int base = 100, int max = 1000) { return reconnect_state({wanted, ms(base), ms(max)}); }

TEST(Reconnect, FillOpensTheMissingConnectionsOnce) {
    auto r = make(3);
    EXPECT_EQ(r.fill(0).open, 3);
    EXPECT_EQ(r.connecting(), 3);
    EXPECT_EQ(r.fill(0).open, 0) << "attempts in progress count as coming";
    r.attempt_done(true, 1, 0.5);
    EXPECT_TRUE(r.up());
    EXPECT_EQ(r.connecting(), 2);
    EXPECT_EQ(r.fill(1).open, 0);
    EXPECT_EQ(r.fill(3).open, 0);
}

TEST(Reconnect, BackoffDoublesWithJitterAndCaps) {
    auto r = make(1, 100, 1000);
    std::vector<ms> lows, highs;
    r.fill(0);
    for (int i = 0; i < 6; ++i) {
        auto st = r.attempt_done(false, 0, 0.0);
        ASSERT_TRUE(st.arm.has_value()) << "failure " << i;
        lows.push_back(*st.arm);
        highs.push_back(r.backoff(1.0));
        EXPECT_EQ(r.timer_fired(0).open, 1);
    }
    // base * 2^failures, jitter [50%, 100%], capped at max
    EXPECT_EQ(lows, (std::vector<ms>{ms(100), ms(200), ms(400), ms(500), ms(500), ms(500)}));
    EXPECT_EQ(highs, (std::vector<ms>{ms(200), ms(400), ms(800), ms(1000), ms(1000), ms(1000)}));
    EXPECT_EQ(r.failures(), 6);
    EXPECT_FALSE(r.up());
}

TEST(Reconnect, OneTimerAtATime) {
    auto r = make(2);
    r.fill(0);
    auto a = r.attempt_done(false, 0, 0.5);
    auto b = r.attempt_done(false, 0, 0.5);
    EXPECT_TRUE(a.arm.has_value());
    EXPECT_FALSE(b.arm.has_value()) << "a second failure while the timer is armed arms nothing";
    EXPECT_FALSE(r.retry_later(0.5).arm.has_value());
    EXPECT_TRUE(r.timer_armed());
    auto t = r.timer_fired(0);
    EXPECT_FALSE(r.timer_armed());
    EXPECT_EQ(t.open, 2);
}

TEST(Reconnect, SuccessResetsTheBackoff) {
    auto r = make(1);
    r.fill(0);
    r.attempt_done(false, 0, 0);
    r.timer_fired(0);
    r.attempt_done(false, 0, 0);
    EXPECT_EQ(r.failures(), 2);
    r.timer_fired(0);
    r.attempt_done(true, 1, 0);
    EXPECT_EQ(r.failures(), 0);
    EXPECT_TRUE(r.up());
    // The connection breaks later: the first retry waits the base delay again.
    auto st = r.connection_closed(0, 0.0);
    ASSERT_TRUE(st.arm.has_value());
    EXPECT_EQ(*st.arm, ms(50));
    EXPECT_FALSE(r.up());
}

TEST(Reconnect, ClosedConnectionWithOthersOpenStaysUp) {
    auto r = make(2);
    r.fill(0);
    r.attempt_done(true, 1, 0);
    r.attempt_done(true, 2, 0);
    auto st = r.connection_closed(1, 0.5);
    EXPECT_TRUE(r.up());
    ASSERT_TRUE(st.arm.has_value()) << "the missing connection is reopened after the backoff";
    EXPECT_EQ(r.timer_fired(1).open, 1);
}

TEST(Reconnect, GossipUpResetsFailures) {
    auto r = make(1, 100, 100000);
    r.fill(0);
    for (int i = 0; i < 5; ++i) {
        r.attempt_done(false, 0, 0);
        r.timer_fired(0);
    }
    EXPECT_EQ(r.backoff(0), ms(100 * 32 / 2));
    r.reset_failures();
    EXPECT_EQ(r.backoff(0), ms(50));
}

TEST(Reconnect, AbandonedStepsLeaveNoTrace) {
    auto r = make(2);
    auto st = r.fill(0);
    r.abandon(st);
    EXPECT_EQ(r.connecting(), 0);
    EXPECT_EQ(r.fill(0).open, 2) << "abandoned attempts are not counted as coming";
    auto t = r.attempt_done(false, 0, 0);
    r.abandon(t);
    EXPECT_FALSE(r.timer_armed());
    EXPECT_TRUE(r.retry_later(0).arm.has_value());
}

TEST(Reconnect, StoppedDoesNothing) {
    auto r = make(2);
    r.stop();
    EXPECT_EQ(r.fill(0).open, 0);
    EXPECT_FALSE(r.attempt_done(false, 0, 0).arm.has_value());
    EXPECT_FALSE(r.retry_later(0).arm.has_value());
}

// A reconnection in steps (fill -> attempts -> all up); an I/O error injected at each step k.
// Whatever step fails, the machine ends with the pool full after enough timer rounds, never more
// than `wanted` attempts in flight, and one timer at most.
TEST(Reconnect, ErrorInjectedAtEachStepStillConverges) {
    const int wanted = 3;
    for (int fail_at = 0; fail_at < 6; ++fail_at) {
        SCOPED_TRACE("I/O error at step " + std::to_string(fail_at));
        auto r = make(wanted, 10, 80);
        int open = 0, step = 0, timers = 0, in_flight = 0;
        auto st = r.fill(open);
        in_flight += st.open;
        for (int round = 0; round < 20 && (open < wanted || in_flight > 0); ++round) {
            // Complete the attempts in flight one by one.
            while (in_flight > 0) {
                EXPECT_LE(in_flight, wanted);
                --in_flight;
                const bool ok = step++ != fail_at;
                if (ok) ++open;
                auto s = r.attempt_done(ok, open, 0.5);
                EXPECT_EQ(s.open, 0);
                if (s.arm) {
                    EXPECT_FALSE(timers > 0) << "a second timer while one is armed";
                    ++timers;
                    EXPECT_GE(*s.arm, ms(5));
                    EXPECT_LE(*s.arm, ms(80));
                }
            }
            if (timers > 0) {
                --timers;
                auto s = r.timer_fired(open);
                in_flight += s.open;
                EXPECT_EQ(s.open, wanted - open);
            }
        }
        EXPECT_EQ(open, wanted);
        EXPECT_EQ(r.connecting(), 0);
        EXPECT_TRUE(r.up());
        EXPECT_EQ(r.failures(), 0) << "a success after the failure resets the count";
    }
}

}  // namespace
