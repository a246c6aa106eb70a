// Session: connecting, the control connection, topology and schema metadata, server events.
#include <algorithm>
#include <charconv>
#include <set>

#include "cql/detail/session_impl.hpp"
#include "protocol/requests.hpp"

namespace cql::detail {

using namespace std::chrono_literals;
using asio::ip::tcp;

namespace {

// "host", "host:port", "[v6]" or "[v6]:port".
bool split_contact_point(const std::string& cp, std::uint16_t default_port, std::string& host, std::uint16_t& port) {
    std::string s = cp;
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t") + 1);
    if (s.empty()) return false;
    port = default_port;
    std::string port_text;
    if (s.front() == '[') {
        auto close = s.find(']');
        if (close == std::string::npos) return false;
        host = s.substr(1, close - 1);
        if (close + 1 < s.size()) {
            if (s[close + 1] != ':') return false;
            port_text = s.substr(close + 2);
        }
    } else if (std::count(s.begin(), s.end(), ':') == 1) {
        host = s.substr(0, s.find(':'));
        port_text = s.substr(s.find(':') + 1);
    } else {
        host = s;
    }
    if (!port_text.empty()) {
        unsigned v = 0;
        auto [p, e] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), v);
        if (e != std::errc{} || p != port_text.data() + port_text.size() || v == 0 || v > 65535) return false;
        port = static_cast<std::uint16_t>(v);
    }
    return !host.empty();
}

std::string text_or(const result& r, std::size_t row, const char* column, std::string fallback = {}) {
    int c = r.column_index(column);
    if (c < 0) return fallback;
    return r.get_text(row, static_cast<std::size_t>(c)).value_or(fallback);
}

std::optional<asio::ip::address> to_address(const protocol::inet_address& a) {
    if (a.size == 4) return asio::ip::address_v4({a.bytes[0], a.bytes[1], a.bytes[2], a.bytes[3]});
    if (a.size != 16) return std::nullopt;
    asio::ip::address_v6::bytes_type b;
    std::copy_n(a.bytes.begin(), 16, b.begin());
    return asio::ip::address_v6(b);
}

std::optional<asio::ip::address> inet_of(const result& r, std::size_t row, const char* column) {
    int c = r.column_index(column);
    if (c < 0) return std::nullopt;
    std::error_code ec;
    auto v = r.value(row, static_cast<std::size_t>(c), ec);
    const auto* a = v.get_if<protocol::inet_address>();
    if (ec || !a) return std::nullopt;
    return to_address(*a);
}

std::vector<std::int64_t> tokens_of(const result& r, std::size_t row) {
    std::vector<std::int64_t> out;
    int c = r.column_index("tokens");
    if (c < 0) return out;
    std::error_code ec;
    auto v = r.value(row, static_cast<std::size_t>(c), ec);
    if (const auto* list = v.get_if<protocol::cql_list>()) {
        for (const auto& t : *list)
            if (const auto* s = t.get_if<std::string>()) {
                std::int64_t tok = 0;
                if (std::from_chars(s->data(), s->data() + s->size(), tok).ec == std::errc{}) out.push_back(tok);
            }
    }
    return out;
}

}  // namespace

asio::awaitable<std::error_code> session_impl::do_connect() {
    std::vector<tcp::endpoint> candidates;
    tcp::resolver resolver(strand_);
    std::string bad;
    std::error_code resolve_error;
    for (const auto& cp : cfg_.contact_points) {
        std::string name;
        std::uint16_t port = 0;
        if (!split_contact_point(cp, cfg_.default_port, name, port)) {
            bad += (bad.empty() ? "" : ", ") + ("'" + cp + "'");
            continue;
        }
        std::error_code ec;
        const std::string service = std::to_string(port);
        auto token = asio::redirect_error(asio::use_awaitable, ec);
        auto found = co_await resolver.async_resolve(name, service, token);
        if (ec) {
            last_error_.message += "cannot resolve " + name + ": " + ec.message() + "; ";
            resolve_error = ec;
            continue;
        }
        for (const auto& e : found) candidates.push_back(e.endpoint());
    }
    if (!bad.empty()) {
        last_error_.message = "invalid contact point " + bad + " (expected host or host:port)";
        co_return make_error_code(client_errc::invalid_config);
    }
    if (candidates.empty()) {
        if (last_error_.message.empty()) last_error_.message = "no contact point configured";
        if (last_error_.message.ends_with("; ")) last_error_.message.resize(last_error_.message.size() - 2);
        // No contact point resolves: the resolver's error (a wrong name), not a host that is down.
        co_return resolve_error ? resolve_error : make_error_code(client_errc::no_host_available);
    }
    if (auto ec = co_await open_control(candidates)) co_return ec;
    if (auto ec = co_await refresh_topology()) co_return ec;
    if (auto ec = co_await refresh_keyspaces()) co_return ec;
    for (auto& h : hosts_) fill_pool(*h);
    // Wait until every pool has its first connection or has given up on it.
    asio::steady_timer pause(strand_);
    const auto deadline = std::chrono::steady_clock::now() + cfg_.connect_timeout + 1s;
    auto pending = [&] {
        return std::any_of(hosts_.begin(), hosts_.end(), [](const auto& h) { return h->reconnect.connecting() > 0 && h->pool.empty(); });
    };
    while (pending() && std::chrono::steady_clock::now() < deadline) {
        pause.expires_after(5ms);
        std::error_code ignored;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (std::none_of(hosts_.begin(), hosts_.end(), [](const auto& h) { return h->open_connections() > 0; })) {
        last_error_.message = "the control connection works, but no connection of the pool could be opened";
        co_return make_error_code(client_errc::no_host_available);
    }
    connected_ = true;
    co_return std::error_code{};
}

asio::awaitable<std::error_code> session_impl::open_control(const std::vector<tcp::endpoint>& candidates) {
    std::error_code last = make_error_code(client_errc::no_host_available);
    std::string why;
    for (const auto& ep : candidates) {
        auto label = ep.address().to_string() + ":" + std::to_string(ep.port());
        auto c = std::make_shared<connection>(strand_, ep, label, connection_opts());
        auto ec = co_await c->open();
        if (ec) {
            why += label + ": " + c->message() + "; ";
            last = ec;
            // Wrong credentials or TLS trust are the same on every node: no point going on.
            if (ec == client_errc::authentication_failed || ec == client_errc::tls_handshake_failed) break;
            continue;
        }
        version_ = c->version();
        std::weak_ptr<session_impl> weak = shared_from_this();
        c->on_event = [weak](protocol::event&& e) {
            if (auto s = weak.lock()) s->on_event(std::move(e));
        };
        c->on_closed = [weak](std::error_code) {
            if (auto s = weak.lock()) s->on_control_closed();
        };
        control_ = c;
        upsert_host(ep);
        control_host_ = upsert_host(ep).index;
        // Register for the events that change routing and metadata.
        std::vector<std::uint8_t> frame;
        std::string_view events[] = {"TOPOLOGY_CHANGE", "STATUS_CHANGE", "SCHEMA_CHANGE"};
        if (!protocol::encode_request(frame, version(), 0, protocol::register_request{events})) {
            auto out = co_await send(control_, std::move(frame));
            if (out.ec || out.response.header.op != protocol::opcode::ready) {
                why = label + ": REGISTER for events failed";
                last = out.ec ? out.ec : make_error_code(client_errc::protocol_violation);
                control_->close(last);
                control_.reset();
                continue;
            }
        }
        last_error_.clear();
        co_return std::error_code{};
    }
    last_error_.message = why.empty() ? "no host could be reached" : why.substr(0, why.size() - 2);
    co_return last;
}

host& session_impl::upsert_host(const tcp::endpoint& ep) {
    for (auto& h : hosts_)
        if (h->endpoint == ep) return *h;
    auto h = std::make_unique<host>();
    h->index = hosts_.size();
    h->reconnect = reconnect_state({cfg_.connections_per_host, cfg_.reconnect_base_delay, cfg_.reconnect_max_delay});
    h->endpoint = ep;
    h->label = ep.address().to_string() + ":" + std::to_string(ep.port());
    hosts_.push_back(std::move(h));
    return *hosts_.back();
}

asio::awaitable<std::error_code> session_impl::control_query(std::string_view cql, result& out) {
    co_return co_await query_on(control_, cql, out);
}

asio::awaitable<std::error_code> session_impl::query_on(std::shared_ptr<connection> c, std::string_view cql, result& out) {
    if (!c || !c->is_open()) co_return make_error_code(client_errc::connection_closed);
    std::vector<std::uint8_t> frame;
    protocol::query_request q{cql, {}};
    q.params.cl = protocol::consistency::one;
    if (auto ec = protocol::encode_request(frame, c->version(), 0, q)) co_return ec;
    auto got = co_await send(c, std::move(frame));
    if (got.ec) co_return got.ec;
    protocol::response r;
    if (auto ec = protocol::decode_response(got.response, r)) co_return ec;
    if (auto* err = std::get_if<protocol::error_response>(&r.body)) {
        out.diag.message = err->message;
        out.diag.server_error = *err;
        co_return err->error_code();
    }
    auto* res = std::get_if<protocol::result>(&r.body);
    if (!res) co_return make_error_code(client_errc::protocol_violation);
    if (auto* rows = std::get_if<protocol::rows_result>(res)) out = result(std::move(*rows), c->version());
    co_return std::error_code{};
}

asio::awaitable<std::error_code> session_impl::refresh_topology() {
    result local;
    if (auto ec = co_await control_query("SELECT * FROM system.local WHERE key='local'", local)) {
        last_error_.message = "reading system.local: " + local.diag.message;
        co_return ec;
    }
    result peers;
    std::error_code ec;
    if (use_peers_v2_) {
        ec = co_await control_query("SELECT * FROM system.peers_v2", peers);
        if (ec == protocol::server_errc::invalid) use_peers_v2_ = false;  // before Cassandra 4.0
    }
    if (!use_peers_v2_) ec = co_await control_query("SELECT * FROM system.peers", peers);
    if (ec) {
        last_error_.message = "reading system.peers: " + peers.diag.message;
        co_return ec;
    }
    std::vector<bool> seen(hosts_.size(), false);
    if (local.size() == 1) {
        // The control node is known by the address we connected to, whatever rpc_address says.
        host& h = *hosts_[control_host_];
        h.datacenter = text_or(local, 0, "data_center");
        h.rack = text_or(local, 0, "rack");
        h.release_version = text_or(local, 0, "release_version");
        h.tokens = tokens_of(local, 0);
        h.up = true;
        seen[control_host_] = true;
    }
    for (std::size_t row = 0; row < peers.size(); ++row) {
        auto peer = inet_of(peers, row, "peer");
        auto rpc = inet_of(peers, row, use_peers_v2_ ? "native_address" : "rpc_address");
        if (!rpc || rpc->is_unspecified()) rpc = peer;  // rpc_address 0.0.0.0: the node listens everywhere
        if (!rpc) continue;
        std::uint16_t port = cfg_.default_port;
        if (use_peers_v2_) {
            int c = peers.column_index("native_port");
            if (c >= 0)
                if (auto p = peers.get_int32(row, static_cast<std::size_t>(c)); p && *p > 0) port = static_cast<std::uint16_t>(*p);
        }
        host& h = upsert_host(tcp::endpoint(*rpc, port));
        if (h.index >= seen.size()) seen.resize(h.index + 1, false);
        seen[h.index] = true;
        h.removed = false;
        h.datacenter = text_or(peers, row, "data_center");
        h.rack = text_or(peers, row, "rack");
        h.release_version = text_or(peers, row, "release_version");
        h.tokens = tokens_of(peers, row);
    }
    for (auto& h : hosts_)
        if (h->index < seen.size() && !seen[h->index]) h->removed = true;
    if (local_dc_.empty()) local_dc_ = cfg_.local_datacenter.empty() ? hosts_[control_host_]->datacenter : cfg_.local_datacenter;
    bool dc_known = false;
    for (auto& h : hosts_) {
        h->in_use = !h->removed && (h->datacenter == local_dc_ || cfg_.allow_remote_datacenters);
        dc_known = dc_known || (!h->removed && h->datacenter == local_dc_);
    }
    if (!dc_known) {
        std::string dcs;
        for (auto& h : hosts_)
            if (!h->removed && dcs.find(h->datacenter) == std::string::npos) dcs += (dcs.empty() ? "" : ", ") + h->datacenter;
        last_error_.message = "no node in datacenter '" + local_dc_ + "'; the cluster has: " + dcs;
        co_return make_error_code(client_errc::invalid_config);
    }
    rebuild_ring();
    co_return std::error_code{};
}

void session_impl::rebuild_ring() {
    std::vector<host_location> locations;
    std::vector<std::pair<std::int64_t, host_id>> owners;
    for (auto& h : hosts_) {
        locations.push_back({h->datacenter, h->rack});
        if (h->removed) continue;
        for (auto t : h->tokens) owners.emplace_back(t, h->index);
    }
    ring_ = token_ring(std::move(locations), std::move(owners));
    replica_cache_.clear();
}

asio::awaitable<std::error_code> session_impl::refresh_keyspaces() {
    result rows;
    if (auto ec = co_await control_query("SELECT keyspace_name, replication FROM system_schema.keyspaces", rows)) {
        last_error_.message = "reading system_schema.keyspaces: " + rows.diag.message;
        co_return ec;
    }
    keyspaces_.clear();
    for (std::size_t row = 0; row < rows.size(); ++row) {
        auto name = rows.get_text(row, 0);
        std::error_code ec;
        auto v = rows.value(row, 1, ec);
        const auto* m = v.get_if<protocol::cql_map>();
        if (!name || ec || !m) continue;
        std::map<std::string, std::string> options;
        for (const auto& [k, val] : *m)
            if (k.get_if<std::string>() && val.get_if<std::string>()) options[*k.get_if<std::string>()] = *val.get_if<std::string>();
        keyspaces_[*name] = parse_replication(options);
    }
    replica_cache_.clear();
    co_return std::error_code{};
}

const replica_map* session_impl::replicas_for(const std::string& keyspace) {
    auto it = replica_cache_.find(keyspace);
    if (it != replica_cache_.end()) return &it->second;
    auto ks = keyspaces_.find(keyspace);
    if (ks == keyspaces_.end() || ring_.empty()) return nullptr;
    return &replica_cache_.emplace(keyspace, replica_map(ring_, ks->second)).first->second;
}

asio::awaitable<std::error_code> session_impl::wait_schema_agreement(std::shared_ptr<connection> coordinator, std::string& why) {
    // The node that ran the DDL has the new schema version; the others agree when they report the
    // same one. Comparing only what the control node sees could agree on the old version, because
    // its system.peers learns of the change late.
    const auto deadline = std::chrono::steady_clock::now() + cfg_.schema_agreement_timeout;
    asio::steady_timer pause(strand_);
    const std::string_view local_query = "SELECT schema_version FROM system.local WHERE key='local'";
    const std::string_view peers_query = use_peers_v2_ ? "SELECT native_address, schema_version FROM system.peers_v2"
                                                       : "SELECT rpc_address, schema_version FROM system.peers";
    why = "no answer about schema versions";
    while (std::chrono::steady_clock::now() < deadline && !closed_) {
        result theirs, local, peers;
        // Read again each round: another client's DDL may move the coordinator past the version
        // this statement produced, and the cluster then agrees on the newer one.
        std::optional<protocol::uuid_bytes> target;
        std::error_code ec;
        if (coordinator) ec = co_await query_on(coordinator, local_query, theirs);
        else ec = co_await control_query(local_query, theirs);
        if (!ec) target = theirs.get_uuid(0, 0);
        if (!ec) ec = co_await control_query(local_query, local);
        if (!ec) ec = co_await control_query(peers_query, peers);
        if (ec) why = "reading schema versions failed: " + ec.message();
        if (!ec && target) {
            std::string differ;
            if (local.get_uuid(0, 0) != target) differ = "the control node";
            for (std::size_t row = 0; row < peers.size(); ++row) {
                auto addr = inet_of(peers, row, use_peers_v2_ ? "native_address" : "rpc_address");
                bool up = true;
                for (auto& h : hosts_)
                    if (addr && h->endpoint.address() == *addr) up = h->up && !h->removed;
                if (up && peers.get_uuid(row, 1) != target)
                    differ += (differ.empty() ? "" : ", ") + (addr ? addr->to_string() : std::string("a peer"));
            }
            if (differ.empty()) co_return std::error_code{};
            why = "nodes still on another schema version: " + differ;
        }
        pause.expires_after(100ms);
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    if (closed_) co_return make_error_code(client_errc::connection_closed);
    why = "no schema agreement within " + std::to_string(cfg_.schema_agreement_timeout.count()) + " ms (" + why + ")";
    co_return make_error_code(client_errc::schema_agreement_timeout);
}

void session_impl::wait_schema_agreement(result_callback cb) {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, cb = std::move(cb)]() mutable {
        asio::co_spawn(self->strand_, [self, cb = std::move(cb)]() mutable -> asio::awaitable<void> {
            result r;
            std::error_code ec;
            if (!self->connected_ || self->closed_) {
                ec = make_error_code(self->closed_ ? client_errc::connection_closed : client_errc::no_host_available);
            } else {
                std::string why;
                ec = co_await self->wait_schema_agreement(nullptr, why);
                if (ec) r.diag.message = why;
            }
            cb(ec, std::move(r));
        }, asio::detached);
    });
}

void session_impl::on_event(protocol::event&& ev) {
    if (closed_) return;
    if (auto* st = std::get_if<protocol::status_change_event>(&ev)) {
        auto addr = to_address(st->address);
        bool known = false;
        for (auto& h : hosts_) {
            if (!addr || h->endpoint.address() != *addr) continue;
            known = true;
            h->up = st->change == protocol::status_change::up;
            if (h->up) {
                h->reconnect.reset_failures();
                fill_pool(*h);
            }
        }
        if (known) wake_connection_waiters();  // a statement waiting for this node sees it down
        // A node we do not know yet (its NEW_NODE may have come first): the topology has it.
        if (known || !addr || st->change != protocol::status_change::up) return;
        if (refreshes_.request(refresh_queue::kind::topology)) start_refreshes();
        return;
    }
    const bool schema = std::holds_alternative<protocol::schema_change_event>(ev);
    if (schema && std::get<protocol::schema_change_event>(ev).target != protocol::schema_change_target::keyspace) return;
    if (refreshes_.request(schema ? refresh_queue::kind::keyspaces : refresh_queue::kind::topology)) start_refreshes();
}

void session_impl::start_refreshes() {
    // One runner at a time; events that come while it runs queue their refresh in refreshes_.
    auto self = shared_from_this();
    asio::co_spawn(strand_, [self]() -> asio::awaitable<void> {
        while (auto k = self->refreshes_.next()) {
            if (self->closed_) continue;  // drains the queue: the runner stops
            if (*k == refresh_queue::kind::keyspaces) co_await self->refresh_keyspaces();
            else if (!co_await self->refresh_topology())
                for (auto& h : self->hosts_) self->fill_pool(*h);
        }
    }, asio::detached);
}

void session_impl::on_control_closed() {
    if (closed_) return;
    auto self = shared_from_this();
    asio::co_spawn(strand_, [self]() { return self->reconnect_control(); }, asio::detached);
}

asio::awaitable<void> session_impl::reconnect_control() {
    asio::steady_timer pause(strand_);
    auto delay = cfg_.reconnect_base_delay;
    while (!closed_) {
        std::vector<tcp::endpoint> candidates;
        for (auto& h : hosts_)
            if (!h->removed && h->in_use && h->index != control_host_) candidates.push_back(h->endpoint);
        candidates.push_back(hosts_[control_host_]->endpoint);
        if (!co_await open_control(candidates)) {
            ++metrics_.reconnects();
            if (!co_await refresh_topology()) co_await refresh_keyspaces();
            co_return;
        }
        pause.expires_after(delay);
        std::error_code ec;
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        delay = std::min(delay * 2, cfg_.reconnect_max_delay);
    }
}

}  // namespace cql::detail
