// The seam between execution and metrics: what execution counts, and the call it makes after every
// attempt. Execution (session_execute.cpp) only increments and calls record_attempt; what is kept
// per host, the latency histogram and the public snapshot live with the metrics.
#pragma once

#include <cstdint>

namespace cql::detail {

// Kept on the session's strand (one writer): plain integers.
struct session_counters {
    std::uint64_t requests = 0;                // statements executed (each counted once)
    std::uint64_t retries = 0;                 // attempts after the first, on the same or another host
    std::uint64_t speculative_executions = 0;  // extra attempts started while one was in flight
    std::uint64_t timeouts = 0;                // attempts that hit the client-side request timeout
    std::uint64_t reprepares = 0;              // UNPREPARED answered by preparing again
    std::uint64_t cancelled = 0;               // statements cancelled by their caller
};

}  // namespace cql::detail
