// Metrics against the real node: what a session counts matches what was sent (requests, an error
// in its kind, bytes both ways, one histogram entry per attempt) and the observer sees every attempt.
#include <gtest/gtest.h>

#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "client_fixture.hpp"
#include "cql/metrics.hpp"

namespace cql::test {
namespace {

struct seen_attempts {
    std::mutex m;
    std::vector<attempt_info> all;
    std::vector<std::string> hosts;  // attempt_info::host is valid only during the call
};

TEST(Metrics, SnapshotMatchesWhatWasSent) {
    auto seen = std::make_shared<seen_attempts>();
    auto cfg = env_config();
    cfg.request_observer = [seen](const attempt_info& a) {
        std::lock_guard lock(seen->m);  // the test reads it from another thread
        seen->all.push_back(a);
        seen->hosts.emplace_back(a.host);
    };
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    const auto before = db.metrics();
    EXPECT_GE(before.connections_opened, 1u);  // the control connection and the pool
    EXPECT_GT(before.bytes_in, 0u);            // the handshake and the schema read
    {
        char suffix[8];
        std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(std::random_device{}()) & 0xffffffu);
        scratch_keyspace ks(db, std::string("it_metrics_") + suffix);
        run(db, statement("CREATE TABLE " + ks.name() + ".t (k int PRIMARY KEY, v text)"));
        constexpr int n = 20;
        for (int i = 0; i < n; ++i)
            run(db, statement("INSERT INTO " + ks.name() + ".t (k, v) VALUES (" + std::to_string(i) + ", 'x')"));
        std::error_code ec;
        auto r = db.execute(statement("SELEC nothing FROM nowhere"), ec);
        EXPECT_EQ(ec, protocol::server_errc::syntax_error) << ec.message();

        const auto s = db.metrics();
        // keyspace drop + create, table, n inserts, the bad one.
        EXPECT_GE(s.requests - before.requests, static_cast<std::uint64_t>(n + 4));
        EXPECT_EQ(s.errors_of(error_kind::invalid_query) - before.errors_of(error_kind::invalid_query), 1u);
        EXPECT_GE(s.total_errors(), 1u);
        EXPECT_GT(s.bytes_out, before.bytes_out);
        EXPECT_GT(s.bytes_in, before.bytes_in);
        EXPECT_EQ(s.timeouts, 0u);
        ASSERT_FALSE(s.hosts.empty());
        std::uint64_t attempts = 0, errors = 0;
        for (const auto& h : s.hosts) {
            SCOPED_TRACE(h.address);
            EXPECT_FALSE(h.address.empty());
            attempts += h.attempts;
            errors += h.errors;
            const auto sum = h.latency.summary();
            EXPECT_EQ(sum.count, h.attempts);
            if (sum.count == 0) continue;
            EXPECT_LE(sum.min, sum.p50);
            EXPECT_LE(sum.p50, sum.p99);
            EXPECT_LE(sum.p99, sum.max);
            EXPECT_GT(sum.max.count(), 0);
        }
        EXPECT_GE(attempts, s.requests - s.cancelled);  // each statement ran at least once
        EXPECT_EQ(errors, s.total_errors());
        {
            std::lock_guard lock(seen->m);
            EXPECT_EQ(seen->all.size(), attempts);  // one call per attempt, none missed
            std::size_t bad = 0;
            for (std::size_t i = 0; i < seen->all.size(); ++i) {
                EXPECT_GE(seen->all[i].attempt, 1);
                EXPECT_FALSE(seen->hosts[i].empty());
                if (seen->all[i].error == protocol::server_errc::syntax_error) ++bad;
            }
            EXPECT_EQ(bad, 1u);
        }
    }
}

}  // namespace
}  // namespace cql::test
