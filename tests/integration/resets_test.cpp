// One session used by several threads while its connections are reset under it: the pool and the
// control connection reconnect (run under ThreadSanitizer by the test command). tools/fault-proxy
// stands between the session and the real node, since a real node does not reset connections.
#include <gtest/gtest.h>

#include <csignal>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "client_fixture.hpp"
#include "e2e/process.hpp"

#ifndef TOOLS_DIR
#error "TOOLS_DIR (the repository's tools/) must be defined"
#endif

using namespace cql;
using namespace cql::test;
using protocol::cql_value;
using protocol::data_type;
using protocol::type_id;

namespace {

bool accepts(std::uint16_t port) {
    asio::io_context io;
    asio::ip::tcp::socket s(io);
    std::error_code ec;
    s.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

// Runs `tools/fault-proxy ctl` once and returns its exit code.
int proxy_ctl(e2e::temp_dir& dir, std::uint16_t control, const std::string& command) {
    e2e::child c({TOOLS_DIR "/fault-proxy", "ctl", "127.0.0.1:" + std::to_string(control), command}, "/dev/null",
                 dir.file("ctl.err"));
    auto st = c.wait(std::chrono::seconds(30));
    return st.exited ? st.code : -1;
}

}  // namespace

TEST(Resets, ConcurrentExecuteFromSeveralThreadsThroughConnectionResets) {
    auto env = node_env::from_environment();
    e2e::temp_dir dir;
    std::mt19937 rng(std::random_device{}());
    const auto port = static_cast<std::uint16_t>(20000 + rng() % 20000);
    const auto control = static_cast<std::uint16_t>(port + 1);
    const auto log = dir.file("proxy.log");
    // Every proxied connection is reset after 120 KB from the client.
    e2e::child proxy({TOOLS_DIR "/fault-proxy", "--listen", "127.0.0.1:" + std::to_string(port), "--upstream",
                      env.host + ":" + std::to_string(env.port), "--close-after-bytes", "c2s:120000", "--rst", "--control",
                      "127.0.0.1:" + std::to_string(control), "--log", log},
                     "/dev/null", dir.file("proxy.err"));
    for (int i = 0; i < 100 && !accepts(port); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(accepts(port)) << "tools/fault-proxy does not listen on " << port;

    blocking_session admin(env_config());  // DDL and the final read, directly to the node
    ASSERT_FALSE(admin.connect()) << admin.last_error().message;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(rng()) & 0xffffffu);
    scratch_keyspace ks(admin, std::string("it_resets_") + suffix);
    const std::string table = ks.name() + ".t";
    run(admin, statement("CREATE TABLE " + table + " (k int PRIMARY KEY, v text)"));

    auto cfg = env_config();
    cfg.contact_points = {"127.0.0.1:" + std::to_string(port)};
    cfg.connections_per_host = 2;
    cfg.max_requests_per_connection = 32;
    cfg.reconnect_base_delay = std::chrono::milliseconds(20);
    cfg.reconnect_max_delay = std::chrono::milliseconds(200);
    cfg.max_attempts = 5;
    // The proxy resets a connection after so many bytes of CQL frames, which it cannot see inside
    // v5 segments (it passes those through uncounted): v4 here, in both runs of the suite.
    cfg.max_protocol_version = cql::protocol_version::v4;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO " + table + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << ins.diag.message;

    auto value_of = [](int k) { return "row " + std::to_string(k) + " written through resets"; };
    constexpr int threads = 4, per_thread = 1500;
    std::atomic<int> acked{0};
    std::vector<std::size_t> unacknowledged(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            // A statement that fails (no open connection at that moment, attempts used up) is sent
            // again, as the connector does, until every one is acknowledged or 100 rounds passed.
            std::vector<int> todo;
            for (int i = 0; i < per_thread; ++i) todo.push_back(t * per_thread + i);
            for (int round = 0; round < 100 && !todo.empty(); ++round) {
                if (round) std::this_thread::sleep_for(std::chrono::milliseconds(100));
                std::mutex m;
                std::vector<int> failed;
                inflight_window window(64);
                for (int k : todo) {
                    window.acquire();
                    bound_statement b{ins, {cql_value{k}, cql_value::text(value_of(k))}, {}};
                    b.options.idempotent = true;
                    db.async().execute(std::move(b), [&, k](std::error_code e, result) {
                        if (e) {
                            std::lock_guard lock(m);
                            failed.push_back(k);
                        } else {
                            ++acked;
                        }
                        window.release(e);
                    });
                }
                window.drain();
                std::lock_guard lock(m);
                todo = std::move(failed);
            }
            unacknowledged[t] = todo.size();
        });
    }
    // Once a third is in, every open connection (the control connection too) is reset at once.
    while (acked < threads * per_thread / 3) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(proxy_ctl(dir, control, R"({"cmd": "reset"})"), 0);
    for (auto& w : workers) w.join();
    for (int t = 0; t < threads; ++t) EXPECT_EQ(unacknowledged[t], 0u) << "thread " << t;
    EXPECT_EQ(acked.load(), threads * per_thread);

    proxy.kill(SIGTERM);
    proxy.wait(std::chrono::seconds(10));
    auto faults = 0;
    std::istringstream lines(e2e::read_file(log));
    for (std::string line; std::getline(lines, line);) faults += line.find("FAULT") != std::string::npos;
    EXPECT_GE(faults, 3) << "the connections were not reset: the test did not test resets";

    // Every row holds exactly the value its thread wrote.
    statement sel("SELECT k, v FROM " + table);
    sel.options.page_size = 1000;
    std::map<int, std::string> rows;
    for (;;) {
        auto r = admin.execute(sel, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        for (std::size_t i = 0; i < r.size(); ++i) rows[*r.get_int32(i, 0)] = r.get_text(i, 1).value_or("<null>");
        if (!r.paging_state()) break;
        sel.options.paging_state = *r.paging_state();
    }
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(threads * per_thread));
    std::size_t wrong = 0;
    for (const auto& [k, v] : rows) wrong += v != value_of(k);
    EXPECT_EQ(wrong, 0u);
}
