// The seam between execution and metrics: what execution counts, and the call it makes after every
// attempt. Execution (session_execute.cpp) only increments and calls record_attempt; what is kept
// per host, the latency histogram and the public snapshot live with the metrics.
#pragma once

#include <cstdint>

#include "cql/detail/strand_counter.hpp"

namespace cql::detail {

// Written on the session's strand (one writer), read by session::metrics() from any thread.
struct session_counters {
    strand_counter requests;                // statements executed (each counted once)
    strand_counter retries;                 // attempts after the first, on the same or another host
    strand_counter speculative_executions;  // extra attempts started while one was in flight
    strand_counter timeouts;                // attempts that hit the client-side request timeout
    strand_counter reprepares;              // UNPREPARED answered by preparing again
    strand_counter cancelled;               // statements cancelled by their caller
};

}  // namespace cql::detail
