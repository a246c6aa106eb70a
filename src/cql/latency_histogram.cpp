// Bucketing and percentiles of cql::latency_histogram.
#include "cql/latency_histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace cql {

namespace {
constexpr std::uint64_t sub_count = std::uint64_t{1} << latency_histogram::sub_bits;
constexpr int first_exponent = 7;  // log2(linear_limit)
}  // namespace

std::size_t latency_histogram::bucket_of(std::uint64_t us) noexcept {
    if (us < linear_limit) return static_cast<std::size_t>(us);
    const int e = std::bit_width(us) - 1;
    if (e > top_exponent) return bucket_count - 1;
    const auto sub = (us >> (e - sub_bits)) - sub_count;
    return static_cast<std::size_t>(linear_limit + static_cast<std::uint64_t>(e - first_exponent) * sub_count + sub);
}

std::uint64_t latency_histogram::bucket_lower(std::size_t index) noexcept {
    if (index < linear_limit) return index;
    const auto j = static_cast<std::uint64_t>(index) - linear_limit;
    const int e = first_exponent + static_cast<int>(j / sub_count);
    return (sub_count + j % sub_count) << (e - sub_bits);
}

std::uint64_t latency_histogram::bucket_upper(std::size_t index) noexcept {
    if (index < linear_limit) return index;
    const auto j = static_cast<std::uint64_t>(index) - linear_limit;
    const int e = first_exponent + static_cast<int>(j / sub_count);
    return bucket_lower(index) + (std::uint64_t{1} << (e - sub_bits)) - 1;
}

void latency_histogram::record_us(std::uint64_t us) noexcept {
    ++buckets_[bucket_of(us)];
    ++count_;
    sum_ += us;
    min_ = std::min(min_, us);
    max_ = std::max(max_, us);
}

void latency_histogram::merge(const latency_histogram& other) noexcept {
    for (std::size_t i = 0; i < bucket_count; ++i) buckets_[i] += other.buckets_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
}

std::chrono::microseconds latency_histogram::mean() const noexcept {
    return std::chrono::microseconds(count_ ? sum_ / count_ : 0);
}

std::chrono::microseconds latency_histogram::percentile(double q) const noexcept {
    if (count_ == 0) return std::chrono::microseconds(0);
    q = std::clamp(q, 0.0, 1.0);
    // The rank of the wanted value among the sorted latencies (1-based), as HdrHistogram counts it.
    const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    std::size_t i = 0;
    for (; i < bucket_count; ++i) {
        seen += buckets_[i];
        if (seen >= rank) break;
    }
    const auto v = i < bucket_count ? bucket_upper(i) : max_;
    return std::chrono::microseconds(std::clamp(v, min_, max_));
}

latency_summary latency_histogram::summary() const noexcept {
    latency_summary s;
    s.count = count_;
    s.min = min();
    s.max = max();
    s.mean = mean();
    s.p50 = percentile(0.50);
    s.p90 = percentile(0.90);
    s.p99 = percentile(0.99);
    s.p999 = percentile(0.999);
    return s;
}

}  // namespace cql
