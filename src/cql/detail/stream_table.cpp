// Stream id bookkeeping: a slot per id and a FIFO ring of free ids.
//
// Why FIFO and not LIFO reuse: a freed id waits behind every other free id before it is handed out
// again, so a stray or duplicated answer (a server bug, or a bug of ours) most likely lands on an
// unused id and is reported as unknown_stream, instead of being delivered as the rows of the next
// query that happened to grab the same id. Both are O(1) and allocation-free.
#include "cql/detail/stream_table.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace cql::detail {

stream_table::stream_table(std::size_t capacity)
    : slots_(std::clamp<std::size_t>(capacity, 1, max_capacity)), free_(slots_.size()) {
    reset();
}

stream_table::~stream_table() = default;

void stream_table::reset() noexcept {
    for (auto& s : slots_) {
        s.req.reset();
        s.st = state::free;
    }
    // Ids start in ascending order, so the first requests of a connection get 0, 1, 2, ...
    for (std::size_t i = 0; i < free_.size(); ++i) free_[i] = static_cast<std::int16_t>(i);
    free_head_ = 0;
    free_count_ = free_.size();
    in_flight_ = 0;
    orphans_ = 0;
}

void stream_table::release(std::int16_t id) noexcept {
    slots_[static_cast<std::size_t>(id)].st = state::free;
    free_[(free_head_ + free_count_) % free_.size()] = id;
    ++free_count_;
}

std::optional<std::int16_t> stream_table::acquire(std::unique_ptr<request>&& r) noexcept {
    assert(r && "acquire needs a request");
    if (free_count_ == 0) return std::nullopt;
    const std::int16_t id = free_[free_head_];
    free_head_ = (free_head_ + 1) % free_.size();
    --free_count_;
    auto& s = slots_[static_cast<std::size_t>(id)];
    r->stream = id;
    s.req = std::move(r);
    s.st = state::busy;
    ++in_flight_;
    return id;
}

stream_table::lookup stream_table::on_response(std::int16_t id) noexcept {
    if (!valid(id)) return {};
    auto& s = slots_[static_cast<std::size_t>(id)];
    switch (s.st) {
    case state::free: return {};
    case state::orphan:
        --orphans_;
        release(id);
        return {lookup_kind::orphan, nullptr};
    case state::busy: break;
    }
    --in_flight_;
    release(id);
    return {lookup_kind::found, std::move(s.req)};
}

std::unique_ptr<request> stream_table::orphan(std::int16_t id) noexcept {
    if (!valid(id)) return nullptr;
    auto& s = slots_[static_cast<std::size_t>(id)];
    if (s.st != state::busy) return nullptr;
    s.st = state::orphan;
    --in_flight_;
    ++orphans_;
    return std::move(s.req);
}

void stream_table::expired(request::clock::time_point now, std::vector<std::int16_t>& out) const {
    for (std::size_t i = 0; i < slots_.size(); ++i) {
        const auto& s = slots_[i];
        if (s.st == state::busy && s.req->deadline <= now) out.push_back(static_cast<std::int16_t>(i));
    }
}

void stream_table::fail_all(std::error_code ec) {
    std::vector<std::unique_ptr<request>> live;
    live.reserve(in_flight_);
    for (auto& s : slots_)
        if (s.st == state::busy) live.push_back(std::move(s.req));
    reset();
    for (auto& r : live) r->complete(ec, protocol::frame{});
}

}  // namespace cql::detail
