// Session: per-host connection pools and reconnection with exponential backoff and jitter.
#include <algorithm>

#include "cql/detail/session_impl.hpp"

namespace cql::detail {

connection_options session_impl::connection_opts() const {
    connection_options o;
    o.handshake.version = cfg_.max_protocol_version;
    o.handshake.want_compression = cfg_.compression;
    o.handshake.username = cfg_.username;
    o.handshake.password = cfg_.password;
    o.tls = tls_;
    o.verify_host_name = cfg_.tls.verify_host_name;
    o.host_name_override = cfg_.tls.host_name_override;
    o.connect_timeout = cfg_.connect_timeout;
    o.max_streams = std::clamp(cfg_.max_requests_per_connection, 1, 32768);
    o.max_orphans = std::max(1, cfg_.max_orphans_per_connection);
    o.heartbeat_interval = cfg_.heartbeat_interval;
    o.max_frame_size = cfg_.max_frame_size;
    return o;
}

void session_impl::fill_pool(host& h) {
    if (closed_ || !h.in_use || h.removed) return;
    std::erase_if(h.pool, [](const std::shared_ptr<connection>& c) { return !c->is_open(); });
    const int wanted = std::max(1, cfg_.connections_per_host) - static_cast<int>(h.pool.size()) - h.connecting;
    auto self = shared_from_this();
    for (int i = 0; i < wanted; ++i) {
        ++h.connecting;
        asio::co_spawn(strand_, [self, idx = h.index]() { return self->open_pool_connection(idx); }, asio::detached);
    }
}

asio::awaitable<void> session_impl::open_pool_connection(std::size_t host_index) {
    host& h = *hosts_[host_index];
    auto c = std::make_shared<connection>(strand_, h.endpoint, h.label, connection_opts());
    auto ec = co_await c->open();
    --h.connecting;
    if (closed_) {
        c->close({});
        co_return;
    }
    if (ec) {
        ++h.failed_attempts;
        if (h.open_connections() == 0) h.up = false;
        schedule_reconnect(h);
        co_return;
    }
    h.failed_attempts = 0;
    h.up = true;
    std::weak_ptr<session_impl> weak = shared_from_this();
    c->on_closed = [weak, host_index](std::error_code) {
        auto s = weak.lock();
        if (!s || s->closed_) return;
        s->schedule_reconnect(*s->hosts_[host_index]);
    };
    h.pool.push_back(std::move(c));
}

void session_impl::schedule_reconnect(host& h) {
    if (closed_ || h.removed || !h.in_use) return;
    if (!h.reconnect_timer) h.reconnect_timer = std::make_shared<asio::steady_timer>(strand_);
    if (h.reconnect_timer->expiry() > std::chrono::steady_clock::now()) return;  // one already pending
    // base * 2^failures, capped, with jitter in [50%, 100%] so clients do not reconnect in lockstep.
    auto delay = cfg_.reconnect_base_delay * (1LL << std::min(h.failed_attempts, 16));
    delay = std::min<std::chrono::milliseconds>(delay, cfg_.reconnect_max_delay);
    std::uniform_int_distribution<long long> jitter(delay.count() / 2, std::max<long long>(delay.count(), 1));
    h.reconnect_timer->expires_after(std::chrono::milliseconds(jitter(rng_)));
    std::weak_ptr<session_impl> weak = shared_from_this();
    h.reconnect_timer->async_wait([weak, idx = h.index](std::error_code ec) {
        auto s = weak.lock();
        if (ec || !s || s->closed_) return;
        s->fill_pool(*s->hosts_[idx]);
    });
}

}  // namespace cql::detail
