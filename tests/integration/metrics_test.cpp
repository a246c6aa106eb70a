// Metrics against the real node: what a session counts matches what was sent (requests, an error
// in its kind, bytes both ways, one histogram entry per attempt) and the observer sees every attempt.
#include <gtest/gtest.h>

#include <csignal>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "client_fixture.hpp"
#include "cql/metrics.hpp"
#include "e2e/process.hpp"

#ifndef TOOLS_DIR
#error "TOOLS_DIR (the repository's tools/) must be defined"
#endif

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

bool accepts(std::uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    std::error_code ec;
    sock.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

int proxy_ctl(e2e::temp_dir& dir, std::uint16_t control, const std::string& command) {
    e2e::child c({TOOLS_DIR "/fault-proxy", "ctl", "127.0.0.1:" + std::to_string(control), command}, "/dev/null",
                 dir.file("ctl.err"));
    auto st = c.wait(std::chrono::seconds(30));
    return st.exited ? st.code : -1;
}

// Faults a real node does not make, from tools/fault-proxy between the session and the node: answers
// held back (a timeout, its stream id orphaned until the late answer) and every connection reset
// (the pool and the control connection reopened).
TEST(Metrics, TimeoutsOrphansAndReconnectsThroughTheFaultProxy) {
    auto env = node_env::from_environment();
    e2e::temp_dir dir;
    std::mt19937 rng(std::random_device{}());
    const auto port = static_cast<std::uint16_t>(20000 + rng() % 20000);
    const auto control = static_cast<std::uint16_t>(port + 1);
    e2e::child proxy({TOOLS_DIR "/fault-proxy", "--listen", "127.0.0.1:" + std::to_string(port), "--upstream",
                      env.host + ":" + std::to_string(env.port), "--control", "127.0.0.1:" + std::to_string(control)},
                     "/dev/null", dir.file("proxy.err"));
    for (int i = 0; i < 100 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(accepts(port)) << "tools/fault-proxy does not listen on " << port;

    auto cfg = env_config();
    cfg.contact_points = {"127.0.0.1:" + std::to_string(port)};
    cfg.request_timeout = std::chrono::milliseconds(500);
    cfg.reconnect_base_delay = std::chrono::milliseconds(20);
    cfg.reconnect_max_delay = std::chrono::milliseconds(200);
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    const statement probe("SELECT release_version FROM system.local");
    run(db, probe);
    const auto before = db.metrics();

    // No answer comes back while the proxy holds them: the statement times out, its id is orphaned.
    ASSERT_EQ(proxy_ctl(dir, control, R"({"cmd": "stall", "seconds": null, "dir": "s2c"})"), 0);
    std::error_code ec;
    db.execute(probe, ec);
    EXPECT_EQ(ec, client_errc::request_timeout) << ec.message();
    ASSERT_EQ(proxy_ctl(dir, control, R"({"cmd": "unstall"})"), 0);
    const auto stalled = db.metrics();
    EXPECT_GE(stalled.timeouts - before.timeouts, 1u);
    EXPECT_GE(stalled.errors_of(error_kind::request_timeout) - before.errors_of(error_kind::request_timeout), 1u);
    EXPECT_GE(stalled.orphaned_ids - before.orphaned_ids, 1u);

    // Every connection reset: statements work again once the pool has reconnected.
    ASSERT_EQ(proxy_ctl(dir, control, R"({"cmd": "reset"})"), 0);
    bool ok = false;
    for (int i = 0; i < 200 && !ok; ++i) {
        db.execute(probe, ec);
        ok = !ec;
        if (!ok) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(ok) << ec.message();
    // The control connection reopens on its own schedule: wait for it (or for the pool's) to count.
    auto after = db.metrics();
    for (int i = 0; i < 200 && after.reconnects == before.reconnects; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        after = db.metrics();
    }
    EXPECT_GE(after.reconnects - before.reconnects, 1u);
    EXPECT_GE(after.connections_opened - before.connections_opened, after.reconnects - before.reconnects);
    EXPECT_GT(after.bytes_in, stalled.bytes_in);
    proxy.kill(SIGTERM);
    proxy.wait(std::chrono::seconds(10));
}

}  // namespace
}  // namespace cql::test
