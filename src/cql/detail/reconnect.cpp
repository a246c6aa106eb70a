#include "cql/detail/reconnect.hpp"

#include <algorithm>

namespace cql::detail {

reconnect_state::ms reconnect_state::backoff(double j) const noexcept {
    const long long base = std::max<long long>(s_.base.count(), 1);
    long long delay = base << std::min(failures_, 16);
    delay = std::min<long long>(delay, std::max<long long>(s_.max.count(), 1));
    j = std::clamp(j, 0.0, 1.0);
    return ms(delay / 2 + static_cast<long long>(static_cast<double>(delay - delay / 2) * j));
}

reconnect_state::step reconnect_state::fill(int open) {
    step out;
    if (stopped_) return out;
    out.open = std::max(0, std::max(1, s_.wanted) - open - connecting_);
    connecting_ += out.open;
    return out;
}

reconnect_state::step reconnect_state::retry_later(double jitter) {
    step out;
    if (stopped_ || timer_armed_) return out;  // one timer at a time
    timer_armed_ = true;
    out.arm = backoff(jitter);
    return out;
}

reconnect_state::step reconnect_state::attempt_done(bool ok, int open, double jitter) {
    if (connecting_ > 0) --connecting_;
    if (ok) {
        failures_ = 0;
        up_ = true;
        return {};
    }
    ++failures_;
    if (open == 0) up_ = false;
    return retry_later(jitter);
}

reconnect_state::step reconnect_state::connection_closed(int open, double jitter) {
    if (open == 0 && connecting_ == 0) up_ = false;
    return retry_later(jitter);
}

void reconnect_state::abandon(const step& st) noexcept {
    connecting_ = std::max(0, connecting_ - st.open);
    if (st.arm) timer_armed_ = false;
}

reconnect_state::step reconnect_state::timer_fired(int open) {
    timer_armed_ = false;
    return fill(open);
}

}  // namespace cql::detail
