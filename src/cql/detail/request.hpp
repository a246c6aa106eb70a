// One request on its way through a connection: its encoded frame, the stream id it was given, its
// deadline, and a virtual completion the connection layer overrides (resume a coroutine, call a handler).
#pragma once

#include <chrono>
#include <cstdint>
#include <system_error>
#include <vector>

#include "protocol/frame.hpp"

namespace cql::detail {

struct request {
    using clock = std::chrono::steady_clock;

    request() = default;
    request(const request&) = delete;
    request& operator=(const request&) = delete;
    virtual ~request() = default;

    // Called exactly once: with an empty error and the response frame, or with an error (timeout,
    // connection closed) and an empty frame. May re-enter the connection (e.g. send a retry).
    virtual void complete(std::error_code ec, protocol::frame&& response) = 0;

    // A whole encoded frame; its stream id (bytes 2-3) is 0 until the write queue patches it, because
    // the id is only known at write time.
    std::vector<std::uint8_t> frame;
    std::int16_t stream = -1;  // -1 until written
    // When the caller stops waiting; max() never times out.
    clock::time_point deadline = clock::time_point::max();
    bool is_heartbeat = false;  // the connection's idle probe, not a caller's request
};

}  // namespace cql::detail
