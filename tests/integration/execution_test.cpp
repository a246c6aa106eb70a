// Execution against the real node: a statement's own timeout, cancellation through Asio's
// cancellation slot, and the session staying usable after both (the abandoned stream ids' late
// answers are dropped by the connection).
#include <gtest/gtest.h>

#include "client_fixture.hpp"

using namespace cql;
using namespace cql::test;

namespace {

// A session driven by the test's thread alone, so the order of what runs is the order of the calls.
struct single_thread_session {
    asio::io_context io;
    session s{io.get_executor(), env_config()};

    std::error_code connect() {
        std::optional<std::error_code> got;
        s.async_connect([&](std::error_code ec) { got = ec; });
        while (!got) io.run_one();
        return *got;
    }
    template <class Token>
    std::pair<std::error_code, result> execute(statement st, Token&& wrap) {
        std::optional<std::pair<std::error_code, result>> got;
        s.async_execute(std::move(st), wrap([&](std::error_code ec, result r) { got.emplace(ec, std::move(r)); }));
        while (!got) io.run_one();
        return std::move(*got);
    }
    std::pair<std::error_code, result> execute(statement st) {
        return execute(std::move(st), [](auto h) { return h; });
    }
};

// Reads every row of a large system table in one page: slow enough for a 1 ms deadline.
statement slow_read() {
    statement st("SELECT * FROM system_schema.columns");
    st.options.page_size = 0;
    st.options.idempotent = true;
    return st;
}

}  // namespace

TEST(Execution, CancelledStatementCompletesWithOperationAbortedAndTheSessionGoesOn) {
    single_thread_session t;
    ASSERT_FALSE(t.connect()) << t.s.last_error().message;
    asio::cancellation_signal signal;
    std::optional<std::pair<std::error_code, result>> got;
    t.s.async_execute(slow_read(), asio::bind_cancellation_slot(signal.slot(), [&](std::error_code ec, result r) {
                          got.emplace(ec, std::move(r));
                      }));
    // Emitted before the io_context ran anything: the statement starts, sends, and is cancelled
    // before its answer can be read.
    signal.emit(asio::cancellation_type::terminal);
    while (!got) t.io.run_one();
    EXPECT_EQ(got->first, asio::error::operation_aborted) << got->first.message();
    EXPECT_NE(got->second.diag.message.find("cancelled"), std::string::npos) << got->second.diag.message;
    // The abandoned request's late answer does not reach the next statement.
    for (int i = 0; i < 3; ++i) {
        auto [ec, r] = t.execute(statement("SELECT release_version FROM system.local"));
        ASSERT_FALSE(ec) << ec.message() << ": " << r.diag.message;
        EXPECT_EQ(r.size(), 1u);
        EXPECT_EQ(r.column_count(), 1u);
    }
}

TEST(Execution, PartialCancellationCancelsTooButTotalDoesNot) {
    single_thread_session t;
    ASSERT_FALSE(t.connect()) << t.s.last_error().message;
    asio::cancellation_signal signal;
    auto bind = [&](auto h) { return asio::bind_cancellation_slot(signal.slot(), std::move(h)); };
    std::optional<std::error_code> partial;
    t.s.async_execute(slow_read(), bind([&](std::error_code ec, result) { partial = ec; }));
    signal.emit(asio::cancellation_type::partial);
    while (!partial) t.io.run_one();
    EXPECT_EQ(*partial, asio::error::operation_aborted);
    // Total cancellation promises no side effect: a statement already sent cannot keep it.
    std::optional<std::error_code> total;
    t.s.async_execute(statement("SELECT release_version FROM system.local"), bind([&](std::error_code ec, result) { total = ec; }));
    signal.emit(asio::cancellation_type::total);
    while (!total) t.io.run_one();
    EXPECT_FALSE(*total) << total->message();
}

TEST(Execution, StatementTimeoutOverridesTheSessionsAndEndsASlowStatement) {
    single_thread_session t;
    ASSERT_FALSE(t.connect()) << t.s.last_error().message;
    // 1 ms for the whole read of a large table: it times out (a fast machine might answer once in a
    // while, so a few tries), and completes with the timeout rather than waiting for the session's 20 s.
    int timeouts = 0;
    for (int i = 0; i < 10 && timeouts == 0; ++i) {
        auto st = slow_read();
        st.options.timeout = std::chrono::milliseconds(1);
        auto [ec, r] = t.execute(std::move(st));
        if (ec) {
            EXPECT_EQ(ec, client_errc::request_timeout) << ec.message() << ": " << r.diag.message;
            EXPECT_NE(r.diag.message.find("no answer within 1 ms"), std::string::npos) << r.diag.message;
            ++timeouts;
        }
    }
    EXPECT_EQ(timeouts, 1);
    // The same read with a generous timeout of its own succeeds, and the session is still in sync.
    auto st = slow_read();
    st.options.timeout = std::chrono::seconds(30);
    auto [ec, r] = t.execute(std::move(st));
    ASSERT_FALSE(ec) << ec.message() << ": " << r.diag.message;
    EXPECT_GT(r.size(), 10u);
}

TEST(Execution, AFullWaitQueueFailsAtOnceWithTooManyRequests) {
    auto cfg = env_config();
    cfg.connections_per_host = 1;
    cfg.max_requests_per_connection = 1;
    cfg.max_waiting_requests = 1;  // one in flight and one waiting: the third is refused
    asio::io_context io;
    session s(io.get_executor(), cfg);
    std::optional<std::error_code> connected;
    s.async_connect([&](std::error_code ec) { connected = ec; });
    while (!connected) io.run_one();
    ASSERT_FALSE(*connected) << s.last_error().message;
    // Started together before the io_context runs: they reach the connection in this order.
    std::vector<std::optional<std::pair<std::error_code, std::string>>> got(4);
    for (auto& g : got)
        s.async_execute(statement("SELECT release_version FROM system.local"),
                        [&g](std::error_code ec, result r) { g.emplace(ec, r.diag.message); });
    auto all_done = [&] {
        for (auto& g : got)
            if (!g) return false;
        return true;
    };
    while (!all_done()) io.run_one();
    EXPECT_FALSE(got[0]->first) << got[0]->second;
    EXPECT_FALSE(got[1]->first) << got[1]->second;
    for (std::size_t i = 2; i < got.size(); ++i) {
        EXPECT_EQ(got[i]->first, client_errc::too_many_requests) << i << ": " << got[i]->first.message();
        EXPECT_NE(got[i]->second.find("request queue full"), std::string::npos) << got[i]->second;
    }
    // Once the queue drains, statements go through again.
    std::optional<std::error_code> later;
    s.async_execute(statement("SELECT release_version FROM system.local"), [&](std::error_code ec, result) { later = ec; });
    while (!later) io.run_one();
    EXPECT_FALSE(*later) << later->message();
}
