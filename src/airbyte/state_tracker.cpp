#include "airbyte/state_tracker.hpp"

namespace airbyte {

std::uint64_t state_tracker::add_record(std::size_t s) {
    if (s < per_stream_.size()) ++per_stream_[s];
    ++since_global_;
    done_.push_back(false);
    return next_++;
}

void state_tracker::ack(std::uint64_t seq) {
    if (seq < base_ || seq >= next_ || done_[seq - base_]) return;  // unknown or already acknowledged
    done_[seq - base_] = true;
    ++acked_;
    while (!done_.empty() && done_.front()) {
        done_.pop_front();
        ++base_;
    }
}

void state_tracker::ack_all() {
    acked_ = next_;
    base_ = next_;
    done_.clear();
}

void state_tracker::add_state(std::string json, std::size_t stream, bool global) {
    std::uint64_t count = 0;
    if (global) {
        count = since_global_;
        since_global_ = 0;
    } else if (stream < per_stream_.size()) {
        count = per_stream_[stream];
        per_stream_[stream] = 0;
    }
    states_.push_back({next_, {std::move(json), count}});
}

std::vector<ready_state> state_tracker::take_ready() {
    std::vector<ready_state> out;
    while (!states_.empty() && states_.front().barrier <= base_) {
        out.push_back(std::move(states_.front().state));
        states_.pop_front();
    }
    return out;
}

}  // namespace airbyte
