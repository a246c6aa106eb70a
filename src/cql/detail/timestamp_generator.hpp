// Client-side write timestamps: microseconds since the epoch, strictly increasing per session (as the
// Java and C++ drivers make them), so the writes of one session keep the order the client issued them
// in even when the clock stands still within a microsecond or is stepped back.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <utility>

namespace cql::detail {

class monotonic_timestamp_generator {
public:
    using clock_fn = std::function<std::int64_t()>;

    static std::int64_t system_micros() noexcept {
        using namespace std::chrono;
        return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
    }

    monotonic_timestamp_generator() : now_(&system_micros) {}
    // For tests: a clock that stands still or steps back on command.
    explicit monotonic_timestamp_generator(clock_fn now) : now_(std::move(now)) {}

    // The clock's microsecond, or one past the last value handed out when the clock has not moved
    // past it. Safe from any thread: a compare-and-swap loop, no lock. After a backward step, or
    // with more than one call per microsecond, the values run ahead of the clock by one per call
    // until it catches up.
    std::int64_t next() {
        std::int64_t last = last_.load(std::memory_order_relaxed);
        for (;;) {
            const std::int64_t now = now_();
            const std::int64_t candidate = now > last ? now : last + 1;
            if (last_.compare_exchange_weak(last, candidate, std::memory_order_relaxed)) return candidate;
        }
    }

private:
    clock_fn now_;
    std::atomic<std::int64_t> last_{0};
};

}  // namespace cql::detail
