// Decides when a STATE may be emitted: only once every record it covers has been acknowledged by
// Cassandra. A STREAM state covers the records of its stream read before it; a GLOBAL or LEGACY
// state (and a STREAM state of a stream not in the catalog) every record read before it. Records
// are numbered per stream as they are read; acknowledgements come back in any order. States of one
// stream come out in reading order, a GLOBAL state only after every state read before it, and a
// STREAM state never before a GLOBAL state read before it; but a STREAM state does not wait for
// another stream's records (one stream's slow or held writes do not hold back the others). Each
// comes out with the number of records it covers (per stream for STREAM states, all streams for
// GLOBAL and LEGACY) and, per stream, how many of that stream's records it vouches for. No I/O, no
// locking: the caller serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace airbyte {

struct ready_state {
    std::string json;  // the state object as read (without destinationStats)
    std::uint64_t record_count = 0;
    // (stream index, n): the stream's first n records (per-stream numbers 0..n-1) are covered.
    std::vector<std::pair<std::size_t, std::uint64_t>> covers;
};

// A record as the tracker numbers it: its stream's slot and its number within that stream.
struct record_ref {
    std::size_t slot = 0;
    std::uint64_t index = 0;
    bool operator==(const record_ref&) const = default;
};

class state_tracker {
public:
    static constexpr std::size_t no_stream = static_cast<std::size_t>(-1);

    explicit state_tracker(std::size_t stream_count);

    // A record of stream index s was read (no_stream or beyond the catalog: counted in a lane of
    // its own that only GLOBAL states wait for).
    record_ref add_record(std::size_t s);
    // Cassandra acknowledged the record. Unknown, not yet read and repeated acks are ignored.
    void ack(record_ref r);
    // A state was read. STREAM states pass the index of their stream (no_stream when it is not in
    // the catalog); GLOBAL and LEGACY states pass no_stream and global = true.
    void add_state(std::string json, std::size_t stream, bool global);
    // Every record read so far is acknowledged (the caller knows they all succeeded).
    void ack_all();
    // The states whose records are all acknowledged, in an order the rules above allow; removes them.
    std::vector<ready_state> take_ready();

    std::uint64_t records_read() const noexcept;
    std::uint64_t records_acked() const noexcept;
    std::uint64_t unacked() const noexcept { return records_read() - records_acked(); }
    std::size_t pending_states() const noexcept { return pending_; }

private:
    struct lane {
        std::uint64_t next = 0;   // next record number
        std::uint64_t base = 0;   // every number < base is acknowledged
        std::uint64_t acked = 0;
        std::deque<bool> done;    // numbers base .. next-1
        std::uint64_t since_state = 0;  // records since the lane's last STREAM state
    };
    struct pending {
        std::uint64_t order;                 // reading order among states
        std::vector<std::uint64_t> barrier;  // per lane (global) or one entry (stream): lane.next when read
        std::size_t slot;                    // the stream's lane; no_stream: waits for every lane
        ready_state state;
    };
    bool satisfied(const pending& p) const;
    std::size_t slot_of(std::size_t s) const noexcept { return s < lanes_.size() - 1 ? s : lanes_.size() - 1; }

    std::vector<lane> lanes_;                  // one per catalog stream, then one for the rest
    std::vector<std::deque<pending>> queues_;  // STREAM states per lane
    std::deque<pending> globals_;              // GLOBAL, LEGACY and unknown-stream states
    std::uint64_t order_ = 0;
    std::uint64_t since_global_ = 0;           // records since the last GLOBAL/LEGACY state
    std::size_t pending_ = 0;
};

}  // namespace airbyte
