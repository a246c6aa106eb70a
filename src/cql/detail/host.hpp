// A node of the cluster and its pool of connections, as the session keeps them.
#pragma once

#include <asio.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cql/detail/connection.hpp"
#include "cql/detail/reconnect.hpp"

namespace cql::detail {

struct host {
    std::size_t index = 0;  // position in session_impl::hosts_ and host_id in the token ring
    asio::ip::tcp::endpoint endpoint;
    std::string label;      // "ip:port"
    std::string datacenter, rack, release_version, schema_version;
    std::vector<std::int64_t> tokens;
    bool up = true;          // as gossip (events) says
    bool in_use = false;     // the load balancing may send to it (local DC, or remote when allowed)
    bool removed = false;
    std::vector<std::shared_ptr<connection>> pool;
    reconnect_state reconnect{{}};  // attempts in progress, failures, the backoff timer's state
    std::uint64_t requests_sent = 0;
    std::shared_ptr<asio::steady_timer> reconnect_timer;

    int open_connections() const {
        int n = 0;
        for (const auto& c : pool) n += c->is_open() ? 1 : 0;
        return n;
    }
    // The open connection with the fewest requests in flight or waiting.
    std::shared_ptr<connection> least_busy() const {
        std::shared_ptr<connection> best;
        for (const auto& c : pool)
            if (c->is_open() && (!best || c->load() < best->load())) best = c;
        return best;
    }
};

}  // namespace cql::detail
