// The connector's cassandra_ops against the real node: a schema change whose agreement times out is
// waited for again within the retry window and logged, never silent. One node always agrees at once,
// so a schema_agreement_timeout of 0 (no round at all) stands in for nodes that lag.
#include <gtest/gtest.h>

#include <random>

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

}  // namespace
