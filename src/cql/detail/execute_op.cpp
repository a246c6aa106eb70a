// The execution state machine (see execute_op.hpp). The rules of what happens after a failure are
// cql::classify's (or the configured policy's); this file only carries them out: which node next,
// how many attempts, when to wait, when to give up.
#include "cql/detail/execute_op.hpp"

#include <algorithm>

#include "cql/error.hpp"

namespace cql::detail {

using namespace std::chrono_literals;

void execute_op::start(std::size_t plan_size, const execute_settings& s) {
    *this = execute_op{};
    s_ = s;
    s_.max_attempts = s_.idempotent ? std::max(1, s_.max_attempts) : 1;
    // Speculation sends the statement twice on purpose: only an idempotent one may be.
    if (!s_.idempotent || s_.speculative_delay <= 0ms) s_.max_speculative = 0;
    s_.max_speculative = std::clamp(s_.max_speculative, 0, static_cast<int>(max_in_flight) - 1);
    plan_size_ = plan_size;
    if (s_.timeout > 0ms) arm(timer_slot::deadline, s_.timeout);
    if (plan_size_ == 0) return finish(make_error_code(client_errc::no_host_available), 0, finish_cause::no_host);
    launch(true, false, false);
}

bool execute_op::speculation_left() const noexcept {
    return speculative_ < s_.max_speculative && inflight_count_ < max_in_flight;
}

void execute_op::launch(bool counted, bool speculative, bool retry) {
    attempt_state a;
    a.id = ++next_id_;
    a.pos = next_pos_ % plan_size_;
    a.counted = counted;
    a.speculative = speculative;
    a.retry = retry;
    if (counted) ++attempts_;
    if (speculative) ++speculative_;
    ++sent_;
    inflight_[inflight_count_++] = a;
    next_pos_ = (a.pos + 1) % plan_size_;
    execute_action act;
    act.what = execute_action::kind::send;
    act.attempt = a.id;
    act.host = a.pos;
    act.retry = retry;
    act.speculative = speculative;
    push(act);
    if (speculation_left()) arm(timer_slot::speculative, s_.speculative_delay);
}

void execute_op::fresh_launch(bool counted, bool speculative, bool retry) {
    no_conn_round_ = 0;
    full_round_ = 0;
    launch(counted, speculative, retry);
}

void execute_op::on_response(std::uint32_t attempt, answer_kind k, std::error_code ec, const diagnostics& d) {
    attempt_state a;
    if (done_ || !take(attempt, a)) return;  // a loser's late answer, or one after the end
    switch (k) {
    case answer_kind::result: return finish({}, attempt, finish_cause::answered);
    case answer_kind::undecodable:
        // Its connection is dropped (the driver closes it): the statement did not necessarily fail,
        // so an idempotent one goes to the next node without asking the policy, like a broken connection.
        last_ = ec;
        if (!s_.idempotent) return finish(ec, 0, finish_cause::failed);
        next_pos_ = (a.pos + 1) % plan_size_;
        if (attempts_ < s_.max_attempts) return fresh_launch(true, false, true);
        return settle();
    case answer_kind::error:
        if (ec == server_errc::unprepared && s_.can_reprepare && !reprepared_) {
            // The node lost the statement (e.g. it restarted): prepare it there again, then send it
            // there once more, without spending an attempt. Once per statement, so a node that keeps
            // forgetting cannot loop.
            reprepared_ = true;
            repreparing_ = true;
            reprepare_pos_ = a.pos;
            if (a.counted) --attempts_;
            execute_action act;
            act.what = execute_action::kind::reprepare;
            act.attempt = attempt;
            act.host = a.pos;
            return push(act);
        }
        return failed(ec, d, a.pos);
    }
}

void execute_op::on_transport_error(std::uint32_t attempt, std::error_code ec, const diagnostics& d) {
    attempt_state a;
    if (done_ || !take(attempt, a)) return;
    failed(ec, d, a.pos);
}

void execute_op::failed(std::error_code ec, const diagnostics& d, std::size_t pos) {
    last_ = ec;
    const decision dec = s_.policy && *s_.policy ? (*s_.policy)(ec, d, s_.idempotent) : classify(ec, d, s_.idempotent);
    if (dec.action == retry_action::fail) return finish(ec, 0, finish_cause::failed);
    next_pos_ = dec.action == retry_action::retry_same_host ? pos : (pos + 1) % plan_size_;
    if (attempts_ >= s_.max_attempts) return settle();
    if (dec.backoff) {
        // The node is busy or short of replicas: give it time. One pending retry at a time.
        if (!retry_pending_) {
            retry_pending_ = true;
            arm(timer_slot::backoff, std::chrono::milliseconds(20 << std::min(attempts_, 6)));
        }
        return;
    }
    fresh_launch(true, false, true);
}

void execute_op::on_no_connection(std::uint32_t attempt, bool queue_full) {
    attempt_state a;
    if (done_ || !take(attempt, a)) return;
    // Not sent: it does not count.
    --sent_;
    if (a.counted) --attempts_;
    if (a.speculative) --speculative_;
    ++no_conn_round_;
    if (queue_full) ++full_round_;
    std::size_t pos = (a.pos + 1) % plan_size_;
    if (a.speculative) {
        // A speculative attempt goes to a node no other attempt is waiting on, or nowhere.
        while (no_conn_round_ < plan_size_ && busy(pos)) {
            ++no_conn_round_;
            pos = (pos + 1) % plan_size_;
        }
    }
    if (no_conn_round_ < plan_size_) {
        next_pos_ = pos;
        return launch(a.counted, a.speculative, a.retry);
    }
    const bool all_full = full_round_ == plan_size_;
    no_conn_round_ = 0;
    full_round_ = 0;
    if (a.speculative || inflight_count_ > 0 || retry_pending_ || repreparing_) return;  // another attempt is on its way
    if (all_full) return finish(make_error_code(client_errc::too_many_requests), 0, finish_cause::queue_full);
    // Every node of the plan is between connections (one just broke and is being reopened): wait
    // for a connection rather than fail at once, which would spend a caller's retry on a gap of a
    // few hundred ms. A node whose reconnection fails is marked down: the next plan leaves it out.
    waiting_connection_ = true;
    pending_counted_ = a.counted;
    pending_retry_ = a.retry;
    arm(timer_slot::connection, s_.connection_wait);
}

void execute_op::on_replanned(std::size_t plan_size) {
    if (done_ || !waiting_connection_) return;
    waiting_connection_ = false;
    plan_size_ = plan_size;
    if (plan_size_ == 0) {
        if (sent_ == 0) return finish(make_error_code(client_errc::no_host_available), 0, finish_cause::no_host);
        return settle();
    }
    next_pos_ = 0;
    fresh_launch(pending_counted_, false, pending_retry_);
}

void execute_op::on_reprepared(std::error_code ec) {
    if (done_ || !repreparing_) return;
    repreparing_ = false;
    if (ec) {
        last_ = ec;
        return settle();
    }
    next_pos_ = reprepare_pos_;
    fresh_launch(true, false, false);
}

void execute_op::on_timer(std::uint32_t timer) {
    if (done_ || timer == 0) return;
    std::size_t slot = 0;
    while (slot < timer_slot_count && armed_[slot] != timer) ++slot;
    if (slot == timer_slot_count) return;  // re-armed or disarmed meanwhile: a stale expiry
    armed_[slot] = 0;
    switch (static_cast<timer_slot>(slot)) {
    case timer_slot::deadline:
        if (sent_ == 0) return finish(make_error_code(client_errc::no_host_available), 0, finish_cause::no_host);
        return finish(make_error_code(client_errc::request_timeout), 0, finish_cause::deadline);
    case timer_slot::backoff:
        retry_pending_ = false;
        if (attempts_ < s_.max_attempts) return fresh_launch(true, false, true);
        return settle();
    case timer_slot::speculative:
        // Only while an attempt is still out: a statement waiting for a backoff is not sped up.
        if (inflight_count_ == 0 || !speculation_left()) return;
        for (std::size_t k = 0; k < plan_size_; ++k, next_pos_ = (next_pos_ + 1) % plan_size_)
            if (!busy(next_pos_ % plan_size_)) return fresh_launch(false, true, false);
        return;  // every node of the plan already has the statement
    case timer_slot::connection:
        // No connection came: the statement fails as if the plan had been empty.
        waiting_connection_ = false;
        if (sent_ == 0) return finish(make_error_code(client_errc::no_host_available), 0, finish_cause::no_host);
        return settle();
    }
}

void execute_op::on_woken(std::uint32_t timer) {
    const auto slot = static_cast<std::size_t>(timer_slot::connection);
    if (done_ || timer == 0 || armed_[slot] != timer) return;
    armed_[slot] = 0;
    execute_action act;
    act.what = execute_action::kind::replan;
    push(act);
}

void execute_op::cancel() {
    if (!done_) finish(make_error_code(std::errc::operation_canceled), 0, finish_cause::cancelled);
}

void execute_op::abort(std::error_code ec, finish_cause why) {
    if (!done_) finish(ec, 0, why);
}

void execute_op::settle() {
    if (inflight_count_ > 0 || retry_pending_ || repreparing_ || waiting_connection_) return;
    finish(last_ ? last_ : make_error_code(client_errc::no_host_available), 0, finish_cause::failed);
}

void execute_op::arm(timer_slot s, std::chrono::milliseconds d) {
    const auto id = ++next_timer_;
    armed_[static_cast<std::size_t>(s)] = id;
    execute_action act;
    act.what = execute_action::kind::wait;
    act.slot = s;
    act.timer = id;
    act.delay = d;
    push(act);
}

void execute_op::finish(std::error_code ec, std::uint32_t winner, finish_cause why) {
    done_ = true;
    armed_ = {};
    inflight_count_ = 0;  // the driver abandons what is still out; late answers are ignored
    execute_action act;
    act.what = execute_action::kind::finish;
    act.attempt = winner;
    act.ec = ec;
    act.cause = why;
    push(act);
}

bool execute_op::busy(std::size_t pos) const noexcept {
    for (std::size_t i = 0; i < inflight_count_; ++i)
        if (inflight_[i].pos == pos) return true;
    return false;
}

bool execute_op::take(std::uint32_t id, attempt_state& out) {
    for (std::size_t i = 0; i < inflight_count_; ++i) {
        if (inflight_[i].id != id) continue;
        out = inflight_[i];
        inflight_[i] = inflight_[--inflight_count_];
        return true;
    }
    return false;
}

void execute_op::push(const execute_action& a) {
    // At most a wait, a send and a wait come of one input: the ring cannot overflow.
    queue_[(head_ + count_) % max_queued] = a;
    ++count_;
}

execute_action execute_op::next() noexcept {
    if (count_ == 0) return {};
    auto a = queue_[head_];
    head_ = (head_ + 1) % max_queued;
    --count_;
    return a;
}

}  // namespace cql::detail
