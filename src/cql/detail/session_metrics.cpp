// Metrics: what the session records per attempt, and the snapshot session::metrics() returns.
#include "cql/detail/session_metrics.hpp"

#include <algorithm>
#include <limits>

#include "cql/detail/session_impl.hpp"

namespace cql::detail {

void live_histogram::record(std::chrono::nanoseconds latency) noexcept {
    const auto us = latency_histogram::to_us(latency);
    ++buckets_[latency_histogram::bucket_of(us)];
    sum_ += us;
    if (us > max_.load()) max_.set(us);
    const auto m = min_plus_one_.load();
    if (m == 0 || us + 1 < m) min_plus_one_.set(us + 1);
}

latency_histogram live_histogram::copy() const {
    latency_histogram h;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
        h.buckets_[i] = buckets_[i].load();
        h.count_ += h.buckets_[i];
    }
    if (h.count_ == 0) return h;
    h.sum_ = sum_.load();
    h.max_ = max_.load();
    const auto m = min_plus_one_.load();
    h.min_ = m ? m - 1 : 0;
    return h;
}

host_stats& metrics_state::host(std::size_t index, const std::string& address) {
    if (index < hosts_.size() && hosts_[index]) return *hosts_[index];
    std::lock_guard lock(hosts_mutex_);
    if (hosts_.size() <= index) hosts_.resize(index + 1);
    hosts_[index] = std::make_unique<host_stats>(address);
    return *hosts_[index];
}

metrics_snapshot metrics_state::snapshot(const session_counters& c) const {
    metrics_snapshot s;
    s.requests = c.requests;
    s.retries = c.retries;
    s.speculative_executions = c.speculative_executions;
    s.timeouts = c.timeouts;
    s.reprepares = c.reprepares;
    s.cancelled = c.cancelled;
    for (std::size_t i = 0; i < error_kind_count; ++i) s.errors[i] = errors_[i];
    s.orphaned_ids = connections_->orphaned_ids;
    s.connections_opened = connections_->connections_opened;
    s.reconnects = reconnects_;
    s.bytes_in = connections_->bytes_in;
    s.bytes_out = connections_->bytes_out;
    std::lock_guard lock(hosts_mutex_);
    for (const auto& h : hosts_) {
        if (!h) continue;
        s.hosts.push_back(host_metrics{h->address, h->attempts, h->errors, h->latency.copy()});
    }
    return s;
}

void session_impl::record_attempt(host& h, std::chrono::steady_clock::duration latency, std::error_code ec, const diagnostics& d) {
    auto& stats = metrics_.host(h.index, h.label);
    ++stats.attempts;
    stats.latency.record(std::chrono::duration_cast<std::chrono::nanoseconds>(latency));
    if (ec) {
        ++stats.errors;
        metrics_.count_error(ec);
    }
    if (cfg_.request_observer)
        cfg_.request_observer(attempt_info{h.label, std::chrono::duration_cast<std::chrono::nanoseconds>(latency), ec, d.attempts});
}

metrics_snapshot session_impl::metrics() const { return metrics_.snapshot(counters_); }

}  // namespace cql::detail
