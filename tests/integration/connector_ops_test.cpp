// The connector's cassandra_ops against the real node: a schema change whose agreement times out is
// waited for again within the retry window and logged, never silent. One node always agrees at once,
// so a schema_agreement_timeout of 0 (no round at all) stands in for nodes that lag.
#include <gtest/gtest.h>

#include <mutex>
#include <random>
#include <span>

#include "airbyte/cassandra_ops.hpp"
#include "client_fixture.hpp"

using namespace std::chrono_literals;

namespace {

std::string scratch_name() { return "it_ops_" + std::to_string(std::random_device{}() & 0xffffffu); }

TEST(ConnectorOps, SchemaAgreementTimeoutIsWaitedForAgainWithinTheRetryWindowAndLogged) {
    auto cfg = cql::test::env_config();
    cfg.schema_agreement_timeout = 0ms;
    airbyte::cassandra_ops db(cfg, 16, 1u << 20, 1500ms);
    std::vector<std::string> warnings;
    db.on_warning([&](const std::string& m) { warnings.push_back(m); });
    ASSERT_FALSE(db.connect());
    const std::string ks = scratch_name();
    auto e = db.run("creating keyspace " + ks,
                    "CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}");
    ASSERT_TRUE(e.has_value()) << "a schema change without agreement passed silently";
    EXPECT_EQ(e->ec, cql::client_errc::schema_agreement_timeout);
    EXPECT_NE(e->message.find("creating keyspace " + ks), std::string::npos) << e->message;
    EXPECT_NE(e->message.find("no schema agreement within 0 ms"), std::string::npos) << e->message;
    ASSERT_GE(warnings.size(), 2u) << "the first timeout and at least one more round are logged";
    EXPECT_NE(warnings[0].find("waiting again within the retry window"), std::string::npos) << warnings[0];
    EXPECT_GE(db.retried(), 1u);

    // Without a retry window the first timeout is final, and still logged.
    airbyte::cassandra_ops once(cfg, 16, 1u << 20);
    std::vector<std::string> once_warnings;
    once.on_warning([&](const std::string& m) { once_warnings.push_back(m); });
    ASSERT_FALSE(once.connect());
    auto e2 = once.run("dropping keyspace " + ks, "DROP KEYSPACE IF EXISTS " + ks);
    ASSERT_TRUE(e2.has_value());
    EXPECT_EQ(e2->ec, cql::client_errc::schema_agreement_timeout);
    EXPECT_EQ(once_warnings.size(), 1u);

    // With the default timeout the node agrees: no error, no warning.
    airbyte::cassandra_ops normal(cql::test::env_config(), 16, 1u << 20, 1500ms);
    std::vector<std::string> normal_warnings;
    normal.on_warning([&](const std::string& m) { normal_warnings.push_back(m); });
    ASSERT_FALSE(normal.connect());
    EXPECT_FALSE(normal.run("creating keyspace " + ks, "CREATE KEYSPACE IF NOT EXISTS " + ks +
                                                           " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"));
    EXPECT_FALSE(normal.run("dropping keyspace " + ks, "DROP KEYSPACE IF EXISTS " + ks));
    EXPECT_TRUE(normal_warnings.empty()) << normal_warnings.front();
}

// The hot path (issue 18): statements submitted from pooled slots, handed to the client in batches,
// come back to the sink exactly once each with their tags; drain waits for every one; the pool's
// slots are reused across drains; every row is in the table.
struct counting_sink final : airbyte::completion_sink {
    std::mutex m;
    std::vector<int> seen;
    std::size_t failures = 0;
    void completed(std::span<const airbyte::completion> batch) override {
        std::lock_guard lock(m);
        for (const auto& c : batch) {
            if (c.ec) ++failures;
            else if (c.tag.b < seen.size() && c.tag.a == 7) ++seen[c.tag.b];
        }
    }
};

TEST(ConnectorOps, PooledStatementsComeBackOnceEachWithTheirTags) {
    airbyte::cassandra_ops db(cql::test::env_config(), 64, 1u << 20);
    ASSERT_FALSE(db.connect());
    const std::string ks = scratch_name();
    ASSERT_FALSE(db.run("creating keyspace", "CREATE KEYSPACE IF NOT EXISTS " + ks +
                                                 " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"));
    ASSERT_FALSE(db.run("creating table", "CREATE TABLE IF NOT EXISTS " + ks + ".t (k int PRIMARY KEY, v text)"));
    cql::prepared_statement ins;
    ASSERT_FALSE(db.prepare("preparing", "INSERT INTO " + ks + ".t (k, v) VALUES (?, ?)", ins));
    constexpr int n = 3000;
    counting_sink sink;
    sink.seen.assign(n, 0);
    cql::bound_statement st;
    for (int i = 0; i < n; ++i) {
        st.prepared = ins;
        st.values.clear();  // an earlier statement of the slot comes back: its vector is reused
        st.values.emplace_back(static_cast<std::int32_t>(i));
        st.values.emplace_back(std::string("v") + std::to_string(i));
        st.options = {};
        st.options.idempotent = true;
        ASSERT_TRUE(db.submit(st, 16, sink, {7, static_cast<std::uint64_t>(i), 0, 0}));
        if (i == n / 2) {
            EXPECT_FALSE(db.drain());  // half-way: the slots go back to the pool
        }
    }
    EXPECT_FALSE(db.drain());
    EXPECT_EQ(db.in_flight(), 0u);
    {
        std::lock_guard lock(sink.m);
        EXPECT_EQ(sink.failures, 0u);
        int wrong = 0;
        for (int i = 0; i < n; ++i) wrong += sink.seen[i] != 1;
        EXPECT_EQ(wrong, 0) << "statements whose outcome did not come back exactly once";
    }
    cql::result r;
    ASSERT_FALSE(db.run("counting", "SELECT COUNT(*) FROM " + ks + ".t", &r));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.get_int64(0, 0).value_or(-1), n);
    EXPECT_FALSE(db.run("dropping keyspace", "DROP KEYSPACE IF EXISTS " + ks));
}

}  // namespace
