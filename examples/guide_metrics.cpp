// docs/library.md, "Metrics": a request observer, then the session's counters, errors by kind and
// each node's latency percentiles from a snapshot.
// Usage: guide_metrics [host[:port]] [user] [password]
#include <cql/blocking.hpp>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>

int main(int argc, char** argv) {
    cql::session_config cfg;
    cfg.contact_points = {argc > 1 ? argv[1] : "127.0.0.1"};
    cfg.username = argc > 2 ? argv[2] : "cassandra";
    cfg.password = argc > 3 ? argv[3] : "cassandra";

    // [observer]
    // Called on the session's strand after every attempt: count, never block.
    auto slow = std::make_shared<std::atomic<int>>(0);
    cfg.request_observer = [slow](const cql::attempt_info& a) {
        if (a.latency > std::chrono::milliseconds(100) || a.error) slow->fetch_add(1, std::memory_order_relaxed);
    };
    // [observer]

    cql::blocking_session db(cfg);
    if (std::error_code ec = db.connect()) {
        std::cerr << "connect: " << ec.message() << ": " << db.last_error().message << "\n";
        return 1;
    }
    std::error_code ec;
    for (int i = 0; i < 100; ++i) db.execute(cql::statement("SELECT release_version FROM system.local"), ec);
    db.execute(cql::statement("SELEC oops"), ec);  // counted as invalid_query

    // [snapshot]
    const cql::metrics_snapshot m = db.metrics();  // any thread, any time
    std::cout << m.requests << " requests, " << m.retries << " retries, " << m.timeouts << " timeouts, "
              << m.bytes_out << " bytes out, " << m.bytes_in << " bytes in\n";
    for (std::size_t k = 0; k < cql::error_kind_count; ++k)
        if (m.errors[k]) std::cout << "  " << cql::error_kind_name(static_cast<cql::error_kind>(k)) << ": " << m.errors[k] << "\n";
    for (const cql::host_metrics& h : m.hosts) {
        const cql::latency_summary l = h.latency.summary();
        std::cout << h.address << ": " << h.attempts << " attempts, " << h.errors << " errors, p50 " << l.p50.count()
                  << " us, p99 " << l.p99.count() << " us, max " << l.max.count() << " us\n";
    }
    // [snapshot]
    std::cout << *slow << " attempts slower than 100 ms or failed\n";
    return m.errors_of(cql::error_kind::invalid_query) == 1 ? 0 : 1;
}
