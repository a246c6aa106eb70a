// Formatting of the end-of-sync client metrics line.
#include "airbyte/metrics_log.hpp"

#include <chrono>
#include <cstdio>

namespace airbyte {

namespace {

std::string ms(std::chrono::microseconds us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f ms", static_cast<double>(us.count()) / 1000.0);
    return buf;
}

std::string count(std::uint64_t n, const char* what) { return std::to_string(n) + " " + what; }

}  // namespace

std::string describe_client_metrics(const cql::metrics_snapshot& s) {
    std::string out = "client metrics: " + count(s.requests, "requests") + ", " + count(s.retries, "retries") + ", " +
                      count(s.timeouts, "timeouts") + ", " + count(s.reprepares, "re-prepares") + ", " +
                      count(s.reconnects, "reconnects") + ", " + count(s.connections_opened, "connections opened") + ", " +
                      count(s.orphaned_ids, "orphaned stream ids") + ", " + count(s.bytes_out, "bytes sent") + ", " +
                      count(s.bytes_in, "bytes received") + "; errors:";
    bool any = false;
    for (std::size_t i = 0; i < cql::error_kind_count; ++i) {
        if (!s.errors[i]) continue;
        out += std::string(any ? ", " : " ") + std::string(cql::error_kind_name(static_cast<cql::error_kind>(i))) + " " +
               std::to_string(s.errors[i]);
        any = true;
    }
    if (!any) out += " none";
    for (const auto& h : s.hosts) {
        if (!h.attempts) continue;
        const auto l = h.latency.summary();
        out += "; " + h.address + ": " + count(h.attempts, "attempts") + ", p50 " + ms(l.p50) + ", p99 " + ms(l.p99) + ", max " +
               ms(l.max);
    }
    return out;
}

}  // namespace airbyte
