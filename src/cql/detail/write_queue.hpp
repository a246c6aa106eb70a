// Requests waiting to be written, and the batch being written: waiting frames get their stream id at
// write time and are coalesced into one contiguous buffer, one socket write for many requests.
// Sans-I/O: the caller does the writing and tells commit_write() how much went out. In protocol v5
// the batch of frames is wrapped in segments (optionally LZ4) before it is handed out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <vector>

#include "cql/detail/request.hpp"
#include "cql/detail/stream_table.hpp"

namespace cql::detail {

class write_queue {
public:
    static constexpr std::size_t default_max_batch = 256 * 1024;
    // A written request's frame buffer is freed beyond this capacity, else only emptied (reused).
    static constexpr std::size_t keep_frame_capacity = 8 * 1024;

    // Appends r to the FIFO. A frame shorter than a frame header cannot be patched: such a request
    // is completed at once with client_errc::protocol_violation.
    void push(std::unique_ptr<request> r);

    // The bytes to write next. While the previous batch is not fully committed, its unwritten rest.
    // Otherwise builds a new batch: takes waiting requests in order while the table has a free id
    // and the batch stays within max_bytes (but always at least one when an id is free), patches
    // their stream ids and copies their frames into one buffer. Empty: nothing can be written now.
    // The span stays valid until the next prepare_write() or fail_all(); push() does not touch it.
    // At most max_requests requests join a new batch (0: none, the batch is empty).
    std::span<const std::uint8_t> prepare_write(stream_table& streams, std::size_t max_bytes = default_max_batch,
                                                std::size_t max_requests = SIZE_MAX);
    // n bytes of the span from prepare_write() were written (a short write leaves the rest pending).
    void commit_write(std::size_t n) noexcept;
    // From the next batch on, frames go out in v5 segments (LZ4-compressed ones with lz4).
    void use_segments(bool on, bool lz4) noexcept {
        segments_ = on;
        lz4_ = lz4;
    }

    // Completes the waiting requests whose deadline is at or before now with
    // client_errc::request_timeout and drops them; they never took an id. Returns how many.
    std::size_t expire_waiting(request::clock::time_point now);
    // Completes every waiting request with ec and drops the unwritten batch (its requests are in the
    // stream table: fail them there). Requests pushed by a completion stay queued.
    void fail_all(std::error_code ec);

    std::size_t waiting() const noexcept { return waiting_.size(); }
    std::size_t unwritten() const noexcept { return batch_.size() - written_; }
    // Nothing waiting and nothing left to write.
    bool empty() const noexcept { return waiting_.empty() && unwritten() == 0; }

private:
    // A FIFO on one vector that keeps its capacity (std::deque frees and allocates a block every
    // few dozen requests): taken from the front by index, compacted once half of it is taken.
    class fifo {
    public:
        void push_back(std::unique_ptr<request> r) { items_.push_back(std::move(r)); }
        std::unique_ptr<request>& front() { return items_[head_]; }
        void pop_front() {
            if (++head_ == items_.size()) {
                items_.clear();
                head_ = 0;
            } else if (head_ >= 64 && head_ * 2 >= items_.size()) {
                items_.erase(items_.begin(), items_.begin() + static_cast<std::ptrdiff_t>(head_));
                head_ = 0;
            }
        }
        std::unique_ptr<request>& operator[](std::size_t i) { return items_[head_ + i]; }
        void resize(std::size_t n) { items_.resize(head_ + n); }
        bool empty() const noexcept { return head_ == items_.size(); }
        std::size_t size() const noexcept { return items_.size() - head_; }
        void clear() noexcept {
            items_.clear();
            head_ = 0;
        }

    private:
        std::vector<std::unique_ptr<request>> items_;
        std::size_t head_ = 0;
    };

    fifo waiting_;
    std::vector<std::uint8_t> batch_;  // reused: its capacity survives between batches
    std::vector<std::uint8_t> frames_;  // v5: the frames of the batch before they become segments
    std::size_t written_ = 0;
    bool segments_ = false;
    bool lz4_ = false;
};

}  // namespace cql::detail
