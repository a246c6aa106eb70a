// The session's live metrics: written on its strand without a lock (strand_counter), read by
// session::metrics() from any thread. Only adding a node's entry takes the mutex (once per node).
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "cql/detail/session_counters.hpp"
#include "cql/detail/strand_counter.hpp"
#include "cql/metrics.hpp"

namespace cql::detail {

// latency_histogram's buckets as strand counters; copy() reads them into a latency_histogram.
class live_histogram {
public:
    void record(std::chrono::nanoseconds latency) noexcept;
    // A reader racing the writer may see a latency in a bucket before it is in sum/max (or the
    // reverse); count is the buckets' sum, so percentiles always agree with it.
    latency_histogram copy() const;

private:
    std::array<strand_counter, latency_histogram::bucket_count> buckets_;
    strand_counter sum_, max_;
    strand_counter min_plus_one_;  // 0: nothing recorded yet
};

struct host_stats {
    explicit host_stats(std::string a) : address(std::move(a)) {}
    const std::string address;
    strand_counter attempts, errors;
    live_histogram latency;
    int lost = 0;  // pool connections closed and not yet replaced (strand only)
};

class metrics_state {
public:
    metrics_state() : connections_(std::make_shared<connection_counters>()) {}

    // The node's entry, created on first use (strand only).
    host_stats& host(std::size_t index, const std::string& address);
    void count_error(std::error_code ec) noexcept { ++errors_[static_cast<std::size_t>(error_kind_of(ec))]; }
    strand_counter& reconnects() noexcept { return reconnects_; }
    // Handed to every connection the session opens (connection_options::counters).
    const std::shared_ptr<connection_counters>& connections() const noexcept { return connections_; }

    // Any thread.
    metrics_snapshot snapshot(const session_counters& c) const;

private:
    std::shared_ptr<connection_counters> connections_;
    std::array<strand_counter, error_kind_count> errors_;
    strand_counter reconnects_;
    mutable std::mutex hosts_mutex_;                   // guards the vector, not the entries' counters
    std::vector<std::unique_ptr<host_stats>> hosts_;  // by host index
};

}  // namespace cql::detail
