// docs/library.md, "The asynchronous API": one cql::session on an io_context, driven three ways:
// completion callbacks, std::future (asio::use_future) and C++20 coroutines (asio::use_awaitable);
// then many pipelined writes with a bounded window.
// Usage: guide_async [host[:port]] [user] [password]
#include <cql/session.hpp>

#include <condition_variable>
#include <cstdint>
#include <future>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>

namespace {

// [coroutine]
// Prepares, then writes `count` rows one after another. redirect_error turns a failure into an
// error_code instead of an exception. Every co_await operand is built from named locals: GCC 12
// mishandles temporaries there.
asio::awaitable<std::error_code> write_rows(cql::session& s, int count) {
    std::error_code ec;
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    std::string query = "INSERT INTO guide_async.kv (k, v) VALUES (?, ?)";
    cql::prepared_statement insert = co_await s.async_prepare(query, token);
    if (ec) co_return ec;
    for (int i = 0; i < count; ++i) {
        cql::bound_statement b{insert, {cql::cql_value::text("co" + std::to_string(i)), cql::cql_value{std::int64_t{i}}}, {}};
        cql::result r = co_await s.async_execute(std::move(b), token);
        if (ec) {
            std::cerr << "coroutine insert: " << r.diag.message << "\n";
            co_return ec;
        }
    }
    co_return ec;
}
// [coroutine]

// [window]
// At most `limit` statements in flight: the producer waits in acquire() while the window is full.
class window {
public:
    explicit window(std::size_t limit) : limit_(limit) {}
    void acquire() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return in_flight_ < limit_; });
        ++in_flight_;
    }
    void release(std::error_code ec) {
        std::lock_guard lock(m_);
        --in_flight_;
        if (ec && !first_error_) first_error_ = ec;
        cv_.notify_all();
    }
    std::error_code drain() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return in_flight_ == 0; });
        return first_error_;
    }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t limit_, in_flight_ = 0;
    std::error_code first_error_;
};
// [window]

}  // namespace

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";

    // [setup]
    asio::io_context io;
    auto work = asio::make_work_guard(io);  // keeps run() going while the session is idle
    std::thread runner([&] { io.run(); });
    int status = 0;
    {
        cql::session s(io.get_executor(), cfg);
        // [setup]

        // [callback]
        std::promise<std::error_code> connected;
        s.async_connect([&](std::error_code ec) { connected.set_value(ec); });  // runs on the session's strand
        if (auto ec = connected.get_future().get()) {
            // last_error() must be read on the session's strand: post there and wait.
            auto why = asio::post(s.executor(), asio::use_future([&] { return s.last_error(); })).get();
            std::cerr << "connect: " << ec.message() << ": " << why.message << "\n";
            status = 1;
        }
        // [callback]

        if (status == 0) {
            // [future]
            // With use_future, a failure is thrown as std::system_error when get() is called.
            try {
                cql::statement ks("CREATE KEYSPACE IF NOT EXISTS guide_async WITH replication = "
                                  "{'class': 'SimpleStrategy', 'replication_factor': 1}");
                s.async_execute(std::move(ks), asio::use_future).get();
                cql::statement table("CREATE TABLE IF NOT EXISTS guide_async.kv (k text PRIMARY KEY, v bigint)");
                s.async_execute(std::move(table), asio::use_future).get();
            } catch (const std::system_error& e) {
                std::cerr << "schema: " << e.what() << "\n";
                status = 1;
            }
            // [future]
        }

        if (status == 0) {
            // [spawn]
            std::future<std::error_code> done = asio::co_spawn(io, write_rows(s, 100), asio::use_future);
            if (auto ec = done.get()) {
                std::cerr << "coroutine: " << ec.message() << "\n";
                status = 1;
            }
            // [spawn]
        }

        if (status == 0) {
            // [pipelined]
            std::error_code ec;
            std::promise<std::pair<std::error_code, cql::prepared_statement>> prepared;
            s.async_prepare("INSERT INTO guide_async.kv (k, v) VALUES (?, ?)",
                            [&](std::error_code e, cql::prepared_statement p) { prepared.set_value({e, std::move(p)}); });
            auto [prep_ec, insert] = prepared.get_future().get();
            if (prep_ec) std::cerr << "prepare: " << insert.diag.message << "\n";

            window w(512);  // statements in flight at once, across all connections
            for (int i = 0; i < 100000 && !prep_ec; ++i) {
                w.acquire();
                cql::bound_statement b{insert, {cql::cql_value::text("k" + std::to_string(i)), cql::cql_value{std::int64_t{i}}}, {}};
                b.options.idempotent = true;
                // The handler runs on the session's strand: keep it short and never block in it.
                s.async_execute(std::move(b), [&w](std::error_code e, cql::result) { w.release(e); });
            }
            if ((ec = w.drain()) || prep_ec) {
                if (ec) std::cerr << "pipelined inserts: " << ec.message() << "\n";
                status = 1;
            }
            // [pipelined]
        }

        if (status == 0) {
            cql::statement drop("DROP KEYSPACE guide_async");
            std::promise<std::error_code> dropped;
            s.async_execute(std::move(drop), [&](std::error_code e, cql::result) { dropped.set_value(e); });
            if (dropped.get_future().get()) status = 1;
        }
        // [teardown]
        s.close();  // statements still pending complete with client_errc::connection_closed
    }  // ~session
    work.reset();
    io.stop();
    runner.join();
    // [teardown]
    return status;
}
