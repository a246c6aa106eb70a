#include "airbyte/state_tracker.hpp"

#include <limits>

namespace airbyte {

state_tracker::state_tracker(std::size_t stream_count) : lanes_(stream_count + 1), queues_(stream_count + 1) {}

record_ref state_tracker::add_record(std::size_t s) {
    auto& l = lanes_[slot_of(s)];
    ++l.since_state;
    ++since_global_;
    l.done.push_back(false);
    return {slot_of(s), l.next++};
}

void state_tracker::ack(record_ref r) {
    if (r.slot >= lanes_.size()) return;
    auto& l = lanes_[r.slot];
    if (r.index < l.base || r.index >= l.next || l.done[r.index - l.base]) return;
    l.done[r.index - l.base] = true;
    ++l.acked;
    while (!l.done.empty() && l.done.front()) {
        l.done.pop_front();
        ++l.base;
    }
}

void state_tracker::ack_all() {
    for (auto& l : lanes_) {
        l.acked = l.next;
        l.base = l.next;
        l.done.clear();
    }
}

void state_tracker::add_state(std::string json, std::size_t stream, bool global) {
    const std::size_t catalog = lanes_.size() - 1;
    pending p{order_++, {}, no_stream, {std::move(json), 0, {}}};
    if (!global && stream < catalog) {
        auto& l = lanes_[stream];
        p.slot = stream;
        p.barrier = {l.next};
        p.state.record_count = l.since_state;
        p.state.covers = {{stream, l.next}};
        l.since_state = 0;
        queues_[stream].push_back(std::move(p));
    } else {
        for (const auto& l : lanes_) p.barrier.push_back(l.next);
        if (global) {
            p.state.record_count = since_global_;
            since_global_ = 0;
            for (std::size_t i = 0; i < catalog; ++i) p.state.covers.emplace_back(i, lanes_[i].next);
        }
        globals_.push_back(std::move(p));
    }
    ++pending_;
}

bool state_tracker::satisfied(const pending& p) const {
    if (p.slot != no_stream) return lanes_[p.slot].base >= p.barrier[0];
    for (std::size_t i = 0; i < lanes_.size(); ++i)
        if (lanes_[i].base < p.barrier[i]) return false;
    return true;
}

std::vector<ready_state> state_tracker::take_ready() {
    std::vector<ready_state> out;
    constexpr auto none = std::numeric_limits<std::uint64_t>::max();
    for (;;) {
        // The earliest-read state that may go now: the front of a stream's queue that is
        // satisfied and read before the first pending global state, or that global state when
        // nothing read before it is pending.
        const std::uint64_t global_order = globals_.empty() ? none : globals_.front().order;
        std::deque<pending>* pick = nullptr;
        std::uint64_t earliest_pending = none;
        for (auto& q : queues_) {
            if (q.empty()) continue;
            const auto& f = q.front();
            earliest_pending = std::min(earliest_pending, f.order);
            if (f.order < global_order && satisfied(f) && (!pick || f.order < pick->front().order)) pick = &q;
        }
        if (!pick && global_order < earliest_pending && satisfied(globals_.front())) pick = &globals_;
        if (!pick) break;
        out.push_back(std::move(pick->front().state));
        pick->pop_front();
        --pending_;
    }
    return out;
}

std::uint64_t state_tracker::records_read() const noexcept {
    std::uint64_t n = 0;
    for (const auto& l : lanes_) n += l.next;
    return n;
}

std::uint64_t state_tracker::records_acked() const noexcept {
    std::uint64_t n = 0;
    for (const auto& l : lanes_) n += l.acked;
    return n;
}

}  // namespace airbyte
