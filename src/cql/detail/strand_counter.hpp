// A counter with one writer (the session's strand) and readers on any thread: the writer's
// increment is a relaxed load and store (plain moves on x86, no locked instruction), and a reader
// never sees a torn value. The strand orders the writes, so none is lost.
#pragma once

#include <atomic>
#include <cstdint>

namespace cql::detail {

class strand_counter {
public:
    strand_counter() = default;
    strand_counter(const strand_counter&) = delete;
    strand_counter& operator=(const strand_counter&) = delete;

    void add(std::uint64_t n) noexcept { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
    void set(std::uint64_t n) noexcept { v_.store(n, std::memory_order_relaxed); }
    strand_counter& operator++() noexcept {
        add(1);
        return *this;
    }
    void operator++(int) noexcept { add(1); }
    strand_counter& operator+=(std::uint64_t n) noexcept {
        add(n);
        return *this;
    }
    std::uint64_t load() const noexcept { return v_.load(std::memory_order_relaxed); }
    operator std::uint64_t() const noexcept { return load(); }

private:
    std::atomic<std::uint64_t> v_{0};
};

// What a connection counts for its session (every connection of a session runs on its strand).
struct connection_counters {
    strand_counter bytes_in, bytes_out;  // as read from and written to the transport (before TLS)
    strand_counter orphaned_ids;         // requests that timed out while their stream id was in use
    strand_counter connections_opened;   // handshakes completed
};

}  // namespace cql::detail
