// Staging tables: their statements, which rows a resumed commit keeps, and when states may go out
// (after the watermarks they need).
#include <gtest/gtest.h>

#include <random>

#include "airbyte/staging.hpp"
#include "airbyte/state_tracker.hpp"

namespace st = airbyte::staging;
using covers_t = std::vector<std::pair<std::size_t, std::uint64_t>>;

namespace {

cql::uuid_bytes run(std::uint8_t n) {
    cql::uuid_bytes u{};
    u[15] = n;
    return u;
}

const st::column_list raw_cols{{"_airbyte_ab_id", "uuid"}, {"_airbyte_data", "text"}, {"_airbyte_emitted_at", "timestamp"}};

TEST(Staging, Statements) {
    EXPECT_EQ(st::create_table(R"("ks"."t")", raw_cols),
              R"(CREATE TABLE IF NOT EXISTS "ks"."t" ("_airbyte_run" uuid, "_airbyte_bucket" bigint, "_airbyte_seq" bigint, )"
              R"("_airbyte_covered" bigint static, "_airbyte_ab_id" uuid, "_airbyte_data" text, "_airbyte_emitted_at" timestamp, )"
              R"(PRIMARY KEY (("_airbyte_run", "_airbyte_bucket"), "_airbyte_seq")))");
    EXPECT_EQ(st::insert(R"("ks"."t")", raw_cols, false),
              R"(INSERT INTO "ks"."t" ("_airbyte_run", "_airbyte_bucket", "_airbyte_seq", "_airbyte_ab_id", "_airbyte_data", )"
              R"("_airbyte_emitted_at") VALUES (?, ?, ?, ?, ?, ?))");
    EXPECT_EQ(st::insert(R"("ks"."t")", raw_cols, true).substr(st::insert(R"("ks"."t")", raw_cols, false).size()), " USING TIMESTAMP ?");
    EXPECT_EQ(st::write_watermark(R"("ks"."t")"),
              R"(INSERT INTO "ks"."t" ("_airbyte_run", "_airbyte_bucket", "_airbyte_covered") VALUES (?, 0, ?) USING TIMESTAMP ?)");
    EXPECT_EQ(st::read_rows(R"("ks"."t")", raw_cols),
              R"(SELECT "_airbyte_run", "_airbyte_seq", "_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at" FROM "ks"."t")");
    const auto cols = st::expected_columns(raw_cols);
    EXPECT_EQ(cols.size(), 7u);
    EXPECT_EQ(cols.at("_airbyte_covered"), "bigint");
    EXPECT_EQ(cols.at("_airbyte_run"), "uuid");
    // A column name with a quote stays one identifier.
    EXPECT_NE(st::create_table("t", {{"a\"b", "text"}}).find(R"("a""b" text)"), std::string::npos);
}

TEST(Staging, Buckets) {
    EXPECT_EQ(st::bucket_of(0), 0);
    EXPECT_EQ(st::bucket_of(st::bucket_rows - 1), 0);
    EXPECT_EQ(st::bucket_of(st::bucket_rows), 1);
}

TEST(Staging, ResumeFilterKeepsCurrentAndCoveredRowsOnly) {
    st::resume_filter f(run(9));
    f.add_watermark(run(1), std::int64_t{3000});  // bucket 0 of attempt 1: 3000 covered
    f.add_watermark(run(1), std::nullopt);        // another bucket of attempt 1
    f.add_watermark(run(2), std::nullopt);        // attempt 2 emitted no STATE
    f.add_watermark(run(9), std::int64_t{5});     // the current attempt: everything kept anyway
    EXPECT_EQ(f.earlier_runs(), 2u);
    EXPECT_TRUE(f.keep(run(1), 0));
    EXPECT_TRUE(f.keep(run(1), 2999));
    EXPECT_FALSE(f.keep(run(1), 3000));
    EXPECT_FALSE(f.keep(run(1), 99999));
    EXPECT_FALSE(f.keep(run(2), 0));
    EXPECT_FALSE(f.keep(run(3), 0));  // an attempt whose partitions were not listed
    EXPECT_TRUE(f.keep(run(9), 0));
    EXPECT_TRUE(f.keep(run(9), 1'000'000));
    EXPECT_FALSE(f.keep(run(1), -1));
    // A watermark seen twice (or a lower one) keeps the highest.
    f.add_watermark(run(1), std::int64_t{10});
    EXPECT_TRUE(f.keep(run(1), 2999));
}

TEST(Staging, StatesOfNonResumableStreamsGoAtOnce) {
    st::watermark_plan p(2);
    p.add_waiting({{0, 10}});
    p.add_waiting({{1, 4}});
    EXPECT_EQ(p.ready(), 2u);
    EXPECT_TRUE(p.start_round().empty());
    p.take(2);
    EXPECT_EQ(p.ready(), 0u);
}

TEST(Staging, ResumableStateWaitsForItsWatermarkInOrder) {
    st::watermark_plan p(2);
    p.set_resumable(0, true);
    p.add_waiting({{1, 3}});   // not resumable: may go
    p.add_waiting({{0, 10}});  // needs watermark 10 on stream 0
    p.add_waiting({{1, 5}});   // needs nothing, but comes after
    EXPECT_EQ(p.ready(), 1u);
    p.take(1);
    auto round = p.start_round();
    EXPECT_EQ(round, (covers_t{{0, 10}}));
    EXPECT_TRUE(p.in_flight());
    EXPECT_EQ(p.ready(), 0u);
    EXPECT_TRUE(p.start_round().empty());  // one round at a time
    p.add_waiting({{0, 20}});              // arrives while the round is in flight
    p.add_waiting({{1, 6}});
    p.finish_round();
    EXPECT_EQ(p.ready(), 2u);  // the two the round covered
    p.take(2);
    EXPECT_EQ(p.start_round(), (covers_t{{0, 20}}));
    p.finish_round();
    EXPECT_EQ(p.ready(), 2u);
    p.take(2);
    // A state covering no more than what is written goes at once.
    p.add_waiting({{0, 20}});
    EXPECT_EQ(p.ready(), 1u);
}

TEST(Staging, GlobalStateNeedsEveryResumableStreamsWatermark) {
    st::watermark_plan p(3);
    p.set_resumable(0, true);
    p.set_resumable(2, true);
    p.add_waiting({{0, 7}, {1, 9}, {2, 0}});
    EXPECT_EQ(p.start_round(), (covers_t{{0, 7}}));  // stream 2 has nothing to cover yet
    p.finish_round();
    p.take(p.ready());
    p.add_waiting({{0, 7}, {1, 12}, {2, 4}});
    EXPECT_EQ(p.start_round(), (covers_t{{2, 4}}));
    p.finish_round();
    EXPECT_EQ(p.ready(), 1u);
}

// With the state tracker: whatever the interleaving, a state covering records of a resumable
// stream goes out only after a watermark at least that high was written, and states go out in an
// order the tracker allows (here: one stream, so reading order).
TEST(Staging, NoStateBeforeItsWatermarkRandomized) {
    for (unsigned seed = 1; seed <= 100; ++seed) {
        SCOPED_TRACE(seed);
        std::mt19937 rng(seed);
        airbyte::state_tracker t(2);
        st::watermark_plan p(2);
        p.set_resumable(0, true);
        std::deque<airbyte::ready_state> waiting;
        std::vector<airbyte::record_ref> outstanding;
        std::uint64_t written0 = 0;
        covers_t round;
        int states = 0, emitted = 0;
        auto pump = [&] {
            for (auto& s : t.take_ready()) {
                p.add_waiting(s.covers);
                waiting.push_back(std::move(s));
            }
            for (;;) {
                const auto n = p.ready();
                for (std::size_t i = 0; i < n; ++i) {
                    for (auto [s, c] : waiting.front().covers)
                        if (s == 0) {
                            ASSERT_LE(c, written0);
                        }
                    EXPECT_EQ(waiting.front().json, std::to_string(emitted));
                    ++emitted;
                    waiting.pop_front();
                }
                p.take(n);
                if (p.in_flight() || waiting.empty()) return;
                round = p.start_round();
                if (!round.empty()) return;
            }
        };
        for (int step = 0; step < 300; ++step) {
            const auto op = rng() % 10;
            if (op < 4) {
                outstanding.push_back(t.add_record(rng() % 2));
            } else if (op < 7 && !outstanding.empty()) {
                const auto i = rng() % outstanding.size();
                t.ack(outstanding[i]);
                outstanding.erase(outstanding.begin() + static_cast<std::ptrdiff_t>(i));
            } else if (op < 8) {
                t.add_state(std::to_string(states++), airbyte::state_tracker::no_stream, true);
            } else if (p.in_flight()) {
                for (auto [s, c] : round)
                    if (s == 0) written0 = std::max(written0, c);
                p.finish_round();
            }
            pump();
        }
        for (auto r : outstanding) t.ack(r);
        for (int i = 0; i < 1000 && emitted < states; ++i) {
            if (p.in_flight()) {
                for (auto [s, c] : round)
                    if (s == 0) written0 = std::max(written0, c);
                p.finish_round();
            }
            pump();
        }
        EXPECT_EQ(emitted, states);
    }
}

}  // namespace
