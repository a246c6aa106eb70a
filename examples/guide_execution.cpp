// docs/library.md, "Retries, timeouts and idempotence": speculative execution, a statement's own
// timeout, and cancelling a statement through Asio's cancellation slot.
// Usage: guide_execution [host[:port]] [user] [password]
#include <cql/session.hpp>

#include <future>
#include <iostream>
#include <string>
#include <thread>

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";
    // [speculative]
    cfg.speculative_execution.enabled = true;                         // idempotent statements only
    cfg.speculative_execution.delay = std::chrono::milliseconds(50);  // near the p99 latency
    cfg.speculative_execution.max_executions = 1;                     // extra attempts, 1..7
    // [speculative]
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    int status = 0;
    {
        cql::session s(io.get_executor(), cfg);
        std::promise<std::error_code> connected;
        s.async_connect([&](std::error_code ec) { connected.set_value(ec); });
        if (auto ec = connected.get_future().get()) {
            std::cerr << "connect: " << ec.message() << ": " << s.last_error().message << "\n";
            status = 1;
        } else {
            // [timeout]
            cql::statement st("SELECT * FROM system_schema.columns");
            st.options.idempotent = true;
            st.options.timeout = std::chrono::milliseconds(500);  // all of it, retries included
            // [timeout]
            std::promise<std::error_code> read;
            s.async_execute(st, [&](std::error_code ec, cql::result) { read.set_value(ec); });
            const std::error_code read_ec = read.get_future().get();
            std::cout << "read with a 500 ms deadline: " << (read_ec ? read_ec.message() : "ok") << "\n";
            // [cancel]
            asio::cancellation_signal stop;
            std::promise<std::error_code> cancelled;
            auto handler = [&](std::error_code ec, cql::result) { cancelled.set_value(ec); };
            s.async_execute(st, asio::bind_cancellation_slot(stop.slot(), handler));
            // Emitted on the session's executor, as Asio wants; the handler gets operation_aborted
            // (or the answer, if it came first).
            asio::post(s.executor(), [&stop] { stop.emit(asio::cancellation_type::terminal); });
            // [cancel]
            std::cout << "cancelled: " << cancelled.get_future().get().message() << "\n";
        }
        s.close();
    }
    guard.reset();
    runner.join();
    return status;
}
