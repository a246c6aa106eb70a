// Write queue: FIFO of waiting requests, batch building with stream ids patched at write time.
#include "cql/detail/write_queue.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

#include "cql/error.hpp"
#include "protocol/frame.hpp"
#include "protocol/segment.hpp"

namespace cql::detail {

void write_queue::push(std::unique_ptr<request> r) {
    assert(r && "push needs a request");
    if (r->frame.size() < protocol::frame_header_size) {
        r->complete(make_error_code(client_errc::protocol_violation), protocol::frame{});
        return;
    }
    waiting_.push_back(std::move(r));
}

std::span<const std::uint8_t> write_queue::prepare_write(stream_table& streams, std::size_t max_bytes, std::size_t max_requests) {
    if (written_ < batch_.size()) return std::span<const std::uint8_t>(batch_).subspan(written_);
    // clear() keeps the capacity: once warmed up, building a batch allocates nothing.
    batch_.clear();
    written_ = 0;
    // v5: the frames are gathered apart and become segments at the end.
    auto& frames = segments_ ? frames_ : batch_;
    frames.clear();
    for (std::size_t taken = 0; !waiting_.empty() && taken < max_requests; ++taken) {
        auto& next = waiting_.front();
        if (!frames.empty() && frames.size() + next->frame.size() > max_bytes) break;
        request* r = next.get();  // the table owns it after acquire; it lives until its response
        const auto id = streams.acquire(std::move(next));
        if (!id) break;
        waiting_.pop_front();
        protocol::patch_stream_id(r->frame.data(), *id);
        frames.insert(frames.end(), r->frame.begin(), r->frame.end());
        // The batch holds the bytes now; while the request waits for its answer, its own copy
        // would only double the memory of every frame in flight (big values: megabytes). A small
        // frame keeps its buffer: its owner may encode the next request into it (no allocation).
        if (r->frame.capacity() > keep_frame_capacity) std::vector<std::uint8_t>().swap(r->frame);
        else r->frame.clear();
    }
    // Whole frames of our own encoding: encode_segments cannot refuse them.
    if (segments_ && !frames.empty()) (void)protocol::encode_segments(frames, batch_, lz4_);
    if (segments_ && frames.capacity() > 4 * default_max_batch) std::vector<std::uint8_t>().swap(frames);
    return batch_;
}

void write_queue::commit_write(std::size_t n) noexcept { written_ += std::min(n, batch_.size() - written_); }

std::size_t write_queue::expire_waiting(request::clock::time_point now) {
    // Pull the expired ones out first: a completion may push() a retry into this queue.
    std::vector<std::unique_ptr<request>> expired;
    std::size_t kept = 0;
    for (std::size_t i = 0; i < waiting_.size(); ++i) {
        if (waiting_[i]->deadline <= now) expired.push_back(std::move(waiting_[i]));
        else if (kept++ != i) waiting_[kept - 1] = std::move(waiting_[i]);
    }
    waiting_.resize(kept);
    for (auto& r : expired) r->complete(make_error_code(client_errc::request_timeout), protocol::frame{});
    return expired.size();
}

void write_queue::fail_all(std::error_code ec) {
    std::vector<std::unique_ptr<request>> failed;
    failed.reserve(waiting_.size());
    for (std::size_t i = 0; i < waiting_.size(); ++i) failed.push_back(std::move(waiting_[i]));
    waiting_.clear();
    batch_.clear();
    written_ = 0;
    for (auto& r : failed) r->complete(ec, protocol::frame{});
}

}  // namespace cql::detail
