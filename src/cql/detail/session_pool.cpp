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
    o.handshake.make_authenticator = cfg_.make_authenticator;
    o.tls = tls_;
    o.verify_host_name = cfg_.tls.verify_host_name;
    o.host_name_override = cfg_.tls.host_name_override;
    o.connect_timeout = cfg_.connect_timeout;
    o.max_streams = std::clamp(cfg_.max_requests_per_connection, 1, 32768);
    o.max_orphans = std::max(1, cfg_.max_orphans_per_connection);
    o.heartbeat_interval = cfg_.heartbeat_interval;
    o.max_frame_size = cfg_.max_frame_size;
    o.counters = metrics_.connections();
    return o;
}

void session_impl::fill_pool(host& h) {
    if (closed_ || !h.in_use || h.removed) return;
    std::erase_if(h.pool, [](const std::shared_ptr<connection>& c) { return !c->is_open(); });
    apply_reconnect(h, h.reconnect.fill(h.open_connections()));
}

double session_impl::jitter() {
    std::uniform_real_distribution<double> d(0.0, 1.0);
    return d(rng_);
}

// Carries out what the host's reconnect_state asked for: connection attempts, or the backoff timer.
void session_impl::apply_reconnect(host& h, reconnect_state::step st) {
    if (closed_ || h.removed || !h.in_use) {
        h.reconnect.abandon(st);
        return;
    }
    auto self = shared_from_this();
    for (int i = 0; i < st.open; ++i)
        asio::co_spawn(strand_, [self, idx = h.index]() { return self->open_pool_connection(idx); }, asio::detached);
    if (st.arm) {
        if (!h.reconnect_timer) h.reconnect_timer = std::make_shared<asio::steady_timer>(strand_);
        h.reconnect_timer->expires_after(*st.arm);
        std::weak_ptr<session_impl> weak = self;
        h.reconnect_timer->async_wait([weak, idx = h.index](std::error_code ec) {
            auto s = weak.lock();
            if (ec || !s || s->closed_) return;
            host& hh = *s->hosts_[idx];
            std::erase_if(hh.pool, [](const std::shared_ptr<connection>& c) { return !c->is_open(); });
            s->apply_reconnect(hh, hh.reconnect.timer_fired(hh.open_connections()));
        });
    }
}

asio::awaitable<void> session_impl::open_pool_connection(std::size_t host_index) {
    host& h = *hosts_[host_index];
    auto c = std::make_shared<connection>(strand_, h.endpoint, h.label, connection_opts());
    auto ec = co_await c->open();
    if (closed_) {
        c->close({});
        co_return;
    }
    if (ec) {
        const auto st = h.reconnect.attempt_done(false, h.open_connections(), jitter());
        if (h.open_connections() == 0) h.up = false;
        apply_reconnect(h, st);
        wake_connection_waiters();  // they see the host down now, or another one's connection
        co_return;
    }
    h.reconnect.attempt_done(true, h.open_connections() + 1, 0);
    if (auto& stats = metrics_.host(h.index, h.label); stats.lost > 0) {
        --stats.lost;
        ++metrics_.reconnects();
    }
    h.up = true;
    std::weak_ptr<session_impl> weak = shared_from_this();
    c->on_closed = [weak, host_index](std::error_code) {
        auto s = weak.lock();
        if (!s || s->closed_) return;
        host& hh = *s->hosts_[host_index];
        ++s->metrics_.host(host_index, hh.label).lost;
        s->apply_reconnect(hh, hh.reconnect.connection_closed(hh.open_connections(), s->jitter()));
    };
    // Its answers complete their statements per read, at the end of it (see drain_completions).
    c->on_dispatch_begin = [weak] {
        if (auto s = weak.lock()) ++s->reading_;
    };
    c->on_dispatch_end = [weak] {
        if (auto s = weak.lock(); s && --s->reading_ == 0) s->drain_completions();
    };
    h.pool.push_back(std::move(c));
    wake_connection_waiters();
}

void session_impl::schedule_reconnect(host& h) { apply_reconnect(h, h.reconnect.retry_later(jitter())); }

}  // namespace cql::detail
