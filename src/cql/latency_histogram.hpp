// A latency histogram with log-linear buckets (HdrHistogram-like): exact to the microsecond below
// 128 µs, then 64 buckets per power of two (each at most 1.6 % wide) up to 2^27 µs (about 134 s);
// longer latencies land in the last bucket (max() stays exact). Percentiles are read from the buckets.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace cql {

namespace detail {
class live_histogram;
}

// The summary an application usually logs.
struct latency_summary {
    std::uint64_t count = 0;
    std::chrono::microseconds min{0}, max{0}, mean{0};
    std::chrono::microseconds p50{0}, p90{0}, p99{0}, p999{0};
};

class latency_histogram {
public:
    static constexpr std::uint64_t linear_limit = 128;  // values below are their own bucket
    static constexpr int sub_bits = 6;                  // 64 buckets per power of two above it
    static constexpr int top_exponent = 26;             // the last power of two with buckets: [2^26, 2^27) µs
    static constexpr std::size_t bucket_count =
        linear_limit + static_cast<std::size_t>(top_exponent - 6) * (std::size_t{1} << sub_bits);

    // The bucket a latency of `us` microseconds falls in, and the smallest and largest values of a bucket.
    static std::size_t bucket_of(std::uint64_t us) noexcept;
    static std::uint64_t bucket_lower(std::size_t index) noexcept;
    static std::uint64_t bucket_upper(std::size_t index) noexcept;

    void record(std::chrono::nanoseconds latency) noexcept { record_us(to_us(latency)); }
    void record_us(std::uint64_t us) noexcept;
    // Adds another histogram's counts (e.g. every host's, for the whole session).
    void merge(const latency_histogram& other) noexcept;

    std::uint64_t count() const noexcept { return count_; }
    std::chrono::microseconds min() const noexcept { return std::chrono::microseconds(count_ ? min_ : 0); }
    std::chrono::microseconds max() const noexcept { return std::chrono::microseconds(max_); }
    std::chrono::microseconds mean() const noexcept;
    // The smallest recorded latency that q (0..1) of the latencies do not exceed, as the upper
    // edge of its bucket (so at most 1.6 % high), kept within [min, max]. 0 when empty.
    std::chrono::microseconds percentile(double q) const noexcept;
    latency_summary summary() const noexcept;
    std::uint64_t bucket(std::size_t index) const noexcept { return index < bucket_count ? buckets_[index] : 0; }

    static std::uint64_t to_us(std::chrono::nanoseconds d) noexcept {
        return d.count() <= 0 ? 0 : static_cast<std::uint64_t>(d.count()) / 1000;
    }

private:
    friend class detail::live_histogram;  // fills a snapshot from the session's live counters

    std::array<std::uint64_t, bucket_count> buckets_{};
    std::uint64_t count_ = 0;
    std::uint64_t sum_ = 0;
    std::uint64_t min_ = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t max_ = 0;
};

}  // namespace cql
