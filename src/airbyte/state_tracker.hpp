// Decides when a STATE may be emitted: only once every record read before it has been
// acknowledged by Cassandra. Records get sequence numbers as they are read; acknowledgements come
// back in any order; states come out in the order they were read, each with the number of records
// it covers (per stream for STREAM states, all streams for GLOBAL and LEGACY). No I/O, no locking:
// the caller serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace airbyte {

struct ready_state {
    std::string json;  // the state object as read (without destinationStats)
    std::uint64_t record_count = 0;
};

class state_tracker {
public:
    static constexpr std::size_t no_stream = static_cast<std::size_t>(-1);

    explicit state_tracker(std::size_t stream_count) : per_stream_(stream_count, 0) {}

    // A record of stream index s was read; returns its sequence number.
    std::uint64_t add_record(std::size_t s);
    // Cassandra acknowledged the record with this sequence number.
    void ack(std::uint64_t seq);
    // A state was read. STREAM states pass the index of their stream (no_stream when it is not in
    // the catalog); GLOBAL and LEGACY states pass no_stream and global = true.
    void add_state(std::string json, std::size_t stream, bool global);
    // Every record read so far is acknowledged (the caller knows they all succeeded).
    void ack_all();
    // The states whose records are all acknowledged, in reading order; removes them.
    std::vector<ready_state> take_ready();

    std::uint64_t records_read() const noexcept { return next_; }
    std::uint64_t records_acked() const noexcept { return acked_; }
    std::uint64_t unacked() const noexcept { return next_ - acked_; }
    std::size_t pending_states() const noexcept { return states_.size(); }

private:
    struct pending {
        std::uint64_t barrier;  // every record with seq < barrier must be acknowledged
        ready_state state;
    };
    std::uint64_t next_ = 0;       // next sequence number
    std::uint64_t base_ = 0;       // every seq < base_ is acknowledged
    std::uint64_t acked_ = 0;
    std::deque<bool> done_;        // seqs base_ .. next_-1
    std::deque<pending> states_;
    std::vector<std::uint64_t> per_stream_;  // records since the stream's last STREAM state
    std::uint64_t since_global_ = 0;         // records since the last GLOBAL/LEGACY state
};

}  // namespace airbyte
