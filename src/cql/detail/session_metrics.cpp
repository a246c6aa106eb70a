// Metrics: what the session records per attempt. (A first seam: per-host counts only; the latency
// histogram, errors by kind and the public snapshot build on it.)
#include "cql/detail/session_impl.hpp"

namespace cql::detail {

void session_impl::record_attempt(host& h, std::chrono::steady_clock::duration latency, std::error_code ec, const diagnostics& d) {
    (void)h;
    (void)latency;
    (void)ec;
    (void)d;
}

}  // namespace cql::detail
