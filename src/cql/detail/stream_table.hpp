// Stream ids of one connection: which request owns which id, and which ids are held by timed-out
// requests whose late answer has not come yet. Sans-I/O: no sockets, no timers, single-threaded.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <system_error>
#include <vector>

#include "cql/detail/request.hpp"

namespace cql::detail {

class stream_table {
public:
    // The protocol's non-negative [short] ids (spec section 2.3); negative ids are the server's events.
    static constexpr std::size_t max_capacity = 32768;

    enum class lookup_kind : std::uint8_t {
        found,    // the id's request: complete it with the response
        orphan,   // the late answer of a timed-out request: drop it (the id is free again)
        unknown,  // no request uses this id: the stream is out of sync, break the connection
    };
    struct lookup {
        lookup_kind kind = lookup_kind::unknown;
        std::unique_ptr<request> req;  // set only when kind == found
    };

    // Ids 0..capacity-1; capacity is clamped to 1..max_capacity. All memory is allocated here.
    explicit stream_table(std::size_t capacity);
    stream_table(const stream_table&) = delete;
    stream_table& operator=(const stream_table&) = delete;
    // Requests still held are destroyed without being completed: call fail_all() first.
    ~stream_table();

    // Gives r a free id (also stored in r->stream) and takes ownership. When no id is free returns
    // nullopt and leaves r untouched: the caller keeps it waiting (back-pressure, not a failure).
    std::optional<std::int16_t> acquire(std::unique_ptr<request>&& r) noexcept;

    // A response arrived on id. found: returns the request and frees the id; orphan: frees the id;
    // unknown: id out of range or not in use.
    lookup on_response(std::int16_t id) noexcept;

    // The request on id timed out: returns it (to be completed with a timeout) but keeps the id taken
    // until its late response arrives, so that answer can never reach a later request. Returns null
    // when id holds no live request.
    std::unique_ptr<request> orphan(std::int16_t id) noexcept;

    // Appends to out the ids of live requests whose deadline is at or before now.
    void expired(request::clock::time_point now, std::vector<std::int16_t>& out) const;

    // Completes every live request with ec (orphans are just forgotten) and frees every id. The table
    // is reset before the first completion, so a completion may use it again.
    void fail_all(std::error_code ec);

    std::size_t capacity() const noexcept { return slots_.size(); }
    std::size_t in_flight() const noexcept { return in_flight_; }  // live requests, orphans excluded
    std::size_t orphan_count() const noexcept { return orphans_; }
    std::size_t free_count() const noexcept { return free_count_; }

private:
    enum class state : std::uint8_t { free, busy, orphan };
    struct slot {
        std::unique_ptr<request> req;
        state st = state::free;
    };

    bool valid(std::int16_t id) const noexcept { return id >= 0 && static_cast<std::size_t>(id) < slots_.size(); }
    void release(std::int16_t id) noexcept;
    void reset() noexcept;

    std::vector<slot> slots_;
    // Free ids as a FIFO ring: a freed id goes to the back of the line.
    std::vector<std::int16_t> free_;
    std::size_t free_head_ = 0;
    std::size_t free_count_ = 0;
    std::size_t in_flight_ = 0;
    std::size_t orphans_ = 0;
};

}  // namespace cql::detail
