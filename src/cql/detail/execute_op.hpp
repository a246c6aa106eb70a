// Executing one statement, as a sans-I/O state machine: attempts, host rotation, the one re-prepare,
// backoff, speculative execution, the statement's deadline and cancellation. No sockets, no timers,
// no clock: the driver (session_execute.cpp) feeds it answers, errors and timer expiries and carries
// out the actions it asks for, so every path can be tested by script (tests/unit/execute_op_test.cpp).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>

#include "cql/retry_policy.hpp"

namespace cql::detail {

struct execute_settings {
    bool idempotent = false;
    // Attempts of the statement (the first one included) after failures; 1 when not idempotent.
    int max_attempts = 1;
    // A bound statement: UNPREPARED is answered by preparing it again on that node, once.
    bool can_reprepare = false;
    // The statement's whole time, retries and speculative attempts included; <= 0: no deadline.
    std::chrono::milliseconds timeout{0};
    // How long to wait for a connection when no node of the plan has one open, before failing.
    std::chrono::milliseconds connection_wait{12000};
    // > 0 (and idempotent): while an attempt is in flight this long, another one starts on the next
    // node, at most max_speculative times. The first answer wins.
    std::chrono::milliseconds speculative_delay{0};
    int max_speculative = 0;
    // The retry decision; null or empty: cql::classify.
    const retry_policy* policy = nullptr;
};

// The timers a statement may have armed at once, one of each.
enum class timer_slot : std::uint8_t { deadline, backoff, speculative, connection };
inline constexpr std::size_t timer_slot_count = 4;

// How an attempt's answer looked to the driver.
enum class answer_kind : std::uint8_t { result, error, undecodable };

// Why the statement finished.
enum class finish_cause : std::uint8_t {
    answered,     // a result (ec empty)
    failed,       // an error the decision does not retry, or the attempts are spent
    deadline,     // the statement's timeout passed
    cancelled,    // cancel()
    no_host,      // nothing could be sent: no node of the plan has an open connection
    queue_full,   // every node of the plan has too many requests waiting
    aborted,      // abort(ec) from the driver (e.g. the statement could not be encoded)
};

struct execute_action {
    enum class kind : std::uint8_t {
        none,       // nothing more to do until the next input
        send,       // send attempt `attempt` to plan position `host`
        reprepare,  // PREPARE the statement on plan position `host`, then on_reprepared()
        wait,       // arm timer `slot` for `delay`; on expiry on_timer(timer) (connection: on_woken when woken)
        replan,     // compute the query plan again, then on_replanned(size)
        finish,     // done: complete with ec; attempt names the winning answer (0: none)
    };
    kind what = kind::none;
    std::uint32_t attempt = 0;
    std::size_t host = 0;
    bool retry = false;        // send: an attempt after a failed one
    bool speculative = false;  // send: started while another attempt is in flight
    timer_slot slot = timer_slot::deadline;
    std::uint32_t timer = 0;
    std::chrono::milliseconds delay{0};
    std::error_code ec;
    finish_cause cause = finish_cause::answered;

    explicit operator bool() const noexcept { return what != kind::none; }
};

class execute_op {
public:
    // The plan is plan_size nodes, named by position 0..plan_size-1.
    void start(std::size_t plan_size, const execute_settings& s);

    // Inputs. Each may queue actions; take them with next() until it returns none.
    // An answer of attempt id: a result, a server error (ec, d: its diagnostics) or an undecodable one.
    void on_response(std::uint32_t attempt, answer_kind k, std::error_code ec = {}, const diagnostics& d = {});
    // The attempt's connection failed (closed, reset, timed out) before its answer.
    void on_transport_error(std::uint32_t attempt, std::error_code ec, const diagnostics& d = {});
    // The node of a send had no usable connection (queue_full: it has one, but too many requests
    // wait on it); the attempt was not sent and is not counted.
    void on_no_connection(std::uint32_t attempt, bool queue_full = false);
    void on_reprepared(std::error_code ec);
    void on_timer(std::uint32_t timer);
    // The wait for a connection ended early: a pool connection opened or failed somewhere.
    void on_woken(std::uint32_t timer);
    void on_replanned(std::size_t plan_size);
    // Finishes at once with operation_aborted; in-flight attempts are abandoned.
    void cancel();
    // Finishes at once with ec (a failure of the driver's, e.g. encoding).
    void abort(std::error_code ec, finish_cause why = finish_cause::aborted);

    execute_action next() noexcept;

    bool done() const noexcept { return done_; }
    // Attempts sent (speculative ones and the one after a re-prepare included).
    int sent() const noexcept { return sent_; }
    std::size_t in_flight() const noexcept { return inflight_count_; }

private:
    struct attempt_state {
        std::uint32_t id = 0;
        std::size_t pos = 0;
        bool counted = false;      // spends one of max_attempts
        bool speculative = false;
        bool retry = false;
    };
    static constexpr std::size_t max_in_flight = 8;
    static constexpr std::size_t max_queued = 8;

    void launch(bool counted, bool speculative, bool retry);
    void fresh_launch(bool counted, bool speculative, bool retry);  // a new round of the plan
    void failed(std::error_code ec, const diagnostics& d, std::size_t pos);
    void settle();  // finish with the last error when nothing is in flight or planned
    void arm(timer_slot s, std::chrono::milliseconds d);
    void finish(std::error_code ec, std::uint32_t winner, finish_cause why);
    bool take(std::uint32_t id, attempt_state& out);
    void push(const execute_action& a);
    bool speculation_left() const noexcept;
    bool busy(std::size_t pos) const noexcept;  // an attempt in flight there

    execute_settings s_;
    std::size_t plan_size_ = 0;
    std::size_t next_pos_ = 0;
    int attempts_ = 0;       // counted attempts
    int speculative_ = 0;    // speculative attempts started
    int sent_ = 0;
    std::uint32_t next_id_ = 0;
    std::size_t no_conn_round_ = 0;  // consecutive nodes found without a connection
    std::size_t full_round_ = 0;     // of which with a full queue
    bool reprepared_ = false;
    bool repreparing_ = false;
    std::size_t reprepare_pos_ = 0;
    bool retry_pending_ = false;  // a backoff timer will launch the next attempt
    bool waiting_connection_ = false;
    bool pending_counted_ = false;  // the attempt the connection wait holds back
    bool pending_retry_ = false;
    bool done_ = false;
    std::error_code last_;
    std::array<attempt_state, max_in_flight> inflight_{};
    std::size_t inflight_count_ = 0;
    std::array<std::uint32_t, timer_slot_count> armed_{};  // timer id per slot, 0: not armed
    std::uint32_t next_timer_ = 0;
    std::array<execute_action, max_queued> queue_{};
    std::size_t head_ = 0, count_ = 0;
};

}  // namespace cql::detail
