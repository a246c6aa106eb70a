// Reconnection of one host's pool as a sans-I/O state machine: the session feeds it what happened
// (the pool needs connections, an attempt succeeded or failed, a connection closed, the backoff timer
// fired) and it answers what to do (open so many connections, arm the timer for so long). Backoff:
// base * 2^failures, capped at max, with jitter in [50%, 100%] of that so clients do not reconnect
// in lockstep; one timer at a time; a success resets the failures.
#pragma once

#include <chrono>
#include <optional>

namespace cql::detail {

class reconnect_state {
public:
    using ms = std::chrono::milliseconds;
    struct settings {
        int wanted = 1;  // connections per host
        ms base{200};
        ms max{30000};
    };
    struct step {
        int open = 0;               // connection attempts to start now
        std::optional<ms> arm;      // arm the backoff timer for this long
    };

    explicit reconnect_state(settings s) : s_(s) {}

    // The pool should be full (start-up, or the host came back UP): attempts for the missing ones.
    step fill(int open_connections);
    // An attempt ended. jitter in [0, 1] picks the delay within the jitter range.
    step attempt_done(bool ok, int open_connections, double jitter);
    // An open connection closed (or broke).
    step connection_closed(int open_connections, double jitter);
    // The backoff timer fired.
    step timer_fired(int open_connections);
    // Something needs the host and finds no connection: retry after the backoff (unless a timer is
    // already armed).
    step retry_later(double jitter);
    // Gossip says the host is UP again: start the backoff from scratch.
    void reset_failures() noexcept { failures_ = 0; }
    // The caller did not carry out st (the host left the cluster or the session closed).
    void abandon(const step& st) noexcept;
    // The session closed: no more attempts or timers.
    void stop() noexcept { stopped_ = true; }

    bool up() const noexcept { return up_; }
    int failures() const noexcept { return failures_; }
    int connecting() const noexcept { return connecting_; }
    bool timer_armed() const noexcept { return timer_armed_; }
    // The delay for the current failure count at jitter j in [0, 1].
    ms backoff(double j) const noexcept;

private:
    settings s_;
    int connecting_ = 0;
    int failures_ = 0;
    bool up_ = false;
    bool timer_armed_ = false;
    bool stopped_ = false;
};

}  // namespace cql::detail
