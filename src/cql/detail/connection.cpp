// Pipelined connection: handshake driver, reader, writer, deadline sweeper.
#include "cql/detail/connection.hpp"

#include "cql/error.hpp"
#include "protocol/compression.hpp"
#include "protocol/requests.hpp"

namespace cql::detail {

using namespace std::chrono_literals;
using protocol::frame;
using protocol::opcode;
using protocol::protocol_version;

namespace {

constexpr auto sweep_interval = 100ms;

// The idle-connection OPTIONS probe: a missing answer closes the connection.
class heartbeat_request final : public request {
public:
    explicit heartbeat_request(std::weak_ptr<connection> conn) : conn_(std::move(conn)) { is_heartbeat = true; }
    void complete(std::error_code ec, protocol::frame&& response) override {
        if (!ec && response.header.op == opcode::supported) return;
        if (auto c = conn_.lock(); c && c->is_open())
            c->close(ec ? ec : make_error_code(client_errc::protocol_violation));
    }

private:
    std::weak_ptr<connection> conn_;
};

}  // namespace

connection::connection(strand ex, asio::ip::tcp::endpoint endpoint, std::string host, connection_options opts)
    : strand_(std::move(ex)),
      endpoint_(endpoint),
      host_(std::move(host)),
      opts_(std::move(opts)),
      reader_(opts_.max_frame_size),
      streams_(opts_.max_streams),
      wake_(strand_),
      sweep_(strand_) {}

connection::~connection() = default;

asio::awaitable<std::error_code> connection::open() {
    // A node that refuses a version is asked again one version lower: v5, then v4, then v3.
    auto v = opts_.handshake.version;
    auto ec = co_await connect_once(v);
    while (ec == client_errc::unsupported_protocol_version && v > protocol_version::v3) {
        v = static_cast<protocol_version>(static_cast<int>(v) - 1);
        ec = co_await connect_once(v);
    }
    if (ec) {
        closed_ = true;
        co_return ec;
    }
    open_ = true;
    if (opts_.counters) ++opts_.counters->connections_opened;
    last_write_ = std::chrono::steady_clock::now();
    auto self = shared_from_this();
    asio::co_spawn(strand_, [self]() { return self->reader(); }, asio::detached);
    asio::co_spawn(strand_, [self]() { return self->writer(); }, asio::detached);
    asio::co_spawn(strand_, [self]() { return self->sweeper(); }, asio::detached);
    co_return std::error_code{};
}

asio::awaitable<std::error_code> connection::connect_once(protocol_version v) {
    transport_ = std::make_unique<transport>(strand_, opts_.tls);
    reader_ = protocol::frame_reader(opts_.max_frame_size);
    segments_.reset();
    queue_.use_segments(false, false);
    // The deadline closes the socket, which ends whichever operation is pending.
    // Shared with the timer's handler, which may run after this coroutine has returned.
    auto timed_out = std::make_shared<bool>(false);
    asio::steady_timer deadline(strand_);
    deadline.expires_after(opts_.connect_timeout);
    deadline.async_wait([timed_out, conn = weak_from_this(), t = transport_.get()](std::error_code e) {
        auto self = conn.lock();
        if (e || *timed_out || !self || self->transport_.get() != t) return;
        *timed_out = true;
        t->close();
    });
    // A named local, not a temporary: GCC 12 destroys temporaries in a co_await operand twice.
    std::string verify_name = opts_.host_name_override.empty() ? endpoint_.address().to_string() : opts_.host_name_override;
    auto ec = co_await transport_->connect(endpoint_, verify_name, opts_.verify_host_name);
    if (ec == client_errc::tls_handshake_failed || ec == client_errc::tls_handshake_interrupted) message_ = transport_->tls_failure();
    if (!ec) {
        auto settings = opts_.handshake;
        settings.version = v;
        settings.host = host_;
        handshake hs(settings);
        ec = co_await run_handshake(hs);
        version_ = hs.version();
        compression_ = hs.compression();
        if (ec) message_ = hs.message();
    }
    const bool expired = *timed_out;
    *timed_out = true;  // a late timer handler must not close a socket that is now in use
    deadline.cancel();
    if (expired) {
        message_ = "no answer from " + host_ + " within " + std::to_string(opts_.connect_timeout.count()) + " ms";
        ec = make_error_code(client_errc::connect_timeout);
    } else if (ec && message_.empty()) {
        message_ = "cannot connect to " + host_ + ": " + ec.message();
    }
    if (ec) transport_->close();
    co_return ec;
}

asio::awaitable<std::error_code> connection::run_handshake(handshake& hs) {
    auto act = hs.start();
    for (;;) {
        std::error_code ec;
        switch (act.next) {
        case handshake::step::write:
            co_await transport_->write_all(asio::buffer(act.bytes.data(), act.bytes.size()), ec);
            if (!ec && opts_.counters) opts_.counters->bytes_out += act.bytes.size();
            act = ec ? hs.on_io_error(ec) : hs.on_written();
            break;
        case handshake::step::read: {
            if (hs.framed() && !segments_) {
                // The switch to v5 segments (after READY or AUTHENTICATE); bytes already read move over.
                segments_.emplace(hs.compression(), opts_.max_frame_size);
                segments_->feed(reader_.unread());
                reader_ = protocol::frame_reader(opts_.max_frame_size);
            }
            frame f;
            while (!next_frame(f, ec) && !ec) {
                auto buf = prepare_read(4096);
                auto n = co_await transport_->read_some(asio::buffer(buf.data(), buf.size()), ec);
                if (ec) break;
                commit_read(n);
            }
            act = ec ? hs.on_io_error(ec) : hs.on_frame(std::move(f));
            break;
        }
        case handshake::step::done:
            if (hs.framed() && !segments_) {
                segments_.emplace(hs.compression(), opts_.max_frame_size);
                segments_->feed(reader_.unread());
                reader_ = protocol::frame_reader(opts_.max_frame_size);
            }
            if (segments_) queue_.use_segments(true, hs.compression());
            co_return std::error_code{};
        case handshake::step::failed:
        case handshake::step::retry_lower_version: co_return act.ec;
        }
    }
}

void connection::send(std::unique_ptr<request> r) {
    if (closed_) {
        auto reason = close_reason_ ? close_reason_ : make_error_code(client_errc::connection_closed);
        r->complete(reason, frame{});
        return;
    }
    if (compression_ && !segments_) protocol::compress_frame(r->frame, 0, scratch_);
    queue_.push(std::move(r));
    wake_.cancel();
}

void connection::close(std::error_code reason) {
    if (closed_) return;
    closed_ = true;
    const bool was_open = open_;
    open_ = false;
    close_reason_ = reason ? reason : make_error_code(client_errc::connection_closed);
    if (transport_) transport_->close();
    wake_.cancel();
    sweep_.cancel();
    streams_.fail_all(close_reason_);
    queue_.fail_all(close_reason_);
    if (was_open && on_closed) on_closed(close_reason_);
}

asio::awaitable<void> connection::reader() {
    while (!closed_) {
        std::error_code ec;
        auto buf = prepare_read(64 * 1024);
        auto n = co_await transport_->read_some(asio::buffer(buf.data(), buf.size()), ec);
        if (closed_) break;
        if (ec) {
            close(ec == asio::error::eof ? make_error_code(client_errc::connection_closed) : ec);
            break;
        }
        commit_read(n);
        if (on_dispatch_begin) on_dispatch_begin();
        for (;;) {
            frame f;
            if (!spare_bodies_.empty()) {
                f.body = std::move(spare_bodies_.back());
                spare_bodies_.pop_back();
            }
            if (closed_ || !next_frame(f, ec)) {
                recycle_body(std::move(f.body));
                break;
            }
            dispatch(std::move(f));
        }
        if (on_dispatch_end) on_dispatch_end();
        if (ec) close(ec);
    }
}

bool connection::next_frame(frame& f, std::error_code& ec) {
    return segments_ ? segments_->next(f, ec) : reader_.next(f, ec);
}

std::span<std::uint8_t> connection::prepare_read(std::size_t n) {
    return segments_ ? segments_->prepare(n) : reader_.prepare(n);
}

void connection::commit_read(std::size_t n) {
    if (opts_.counters) opts_.counters->bytes_in += n;
    if (segments_) segments_->commit(n);
    else reader_.commit(n);
}

void connection::recycle_body(std::vector<std::uint8_t>&& body) noexcept {
    if (body.capacity() == 0 || body.capacity() > max_spare_body_bytes || spare_bodies_.size() >= max_spare_bodies) return;
    if (spare_bodies_.capacity() < max_spare_bodies) {
        try {
            spare_bodies_.reserve(max_spare_bodies);  // once: no growth later
        } catch (...) {
            return;
        }
    }
    body.clear();
    spare_bodies_.push_back(std::move(body));
}

void connection::dispatch(frame&& f) {
    if (auto ec = protocol::decompress_frame(f, scratch_, opts_.max_frame_size)) return close(ec);
    if (!f.header.is_response) return close(make_error_code(client_errc::protocol_violation));
    if (f.header.stream < 0) {
        protocol::response r;
        if (f.header.op == opcode::event && !protocol::decode_response(f, r) && on_event)
            if (auto* ev = std::get_if<protocol::event>(&r.body)) on_event(std::move(*ev));
        return;
    }
    auto found = streams_.on_response(f.header.stream);
    if (found.kind != stream_table::lookup_kind::unknown && window_ < streams_.capacity()) ++window_;
    switch (found.kind) {
    case stream_table::lookup_kind::found:
        found.req->complete({}, std::move(f));
        break;
    case stream_table::lookup_kind::orphan: break;
    case stream_table::lookup_kind::unknown:
        message_ = "response on stream " + std::to_string(f.header.stream) + ", which no request uses";
        return close(make_error_code(client_errc::unknown_stream));
    }
    if (queue_.waiting() > 0) wake_.cancel();
}

void connection::push_heartbeat() {
    std::vector<std::uint8_t> bytes;
    if (protocol::encode_request(bytes, version_, 0, protocol::options_request{})) return;
    auto hb = std::make_unique<heartbeat_request>(weak_from_this());
    hb->frame = std::move(bytes);
    hb->deadline = std::chrono::steady_clock::now() + opts_.connect_timeout;
    send(std::move(hb));
}

asio::awaitable<void> connection::writer() {
    while (!closed_) {
        const std::size_t room = window_ > streams_.in_flight() ? window_ - streams_.in_flight() : 0;
        auto bytes = queue_.prepare_write(streams_, write_queue::default_max_batch, room);
        if (!bytes.empty()) {
            std::error_code ec;
            auto n = co_await transport_->write_all(asio::buffer(bytes.data(), bytes.size()), ec);
            if (closed_) break;
            if (ec) {
                close(ec);
                break;
            }
            queue_.commit_write(n);
            if (opts_.counters) opts_.counters->bytes_out += n;
            last_write_ = std::chrono::steady_clock::now();
            continue;
        }
        const auto heartbeat_at = last_write_ + opts_.heartbeat_interval;
        wake_.expires_at(heartbeat_at);
        std::error_code ec;
        co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (closed_) break;
        if (!ec && queue_.empty() && std::chrono::steady_clock::now() >= heartbeat_at) push_heartbeat();
    }
}

asio::awaitable<void> connection::sweeper() {
    while (!closed_) {
        sweep_.expires_after(sweep_interval);
        std::error_code ec;
        co_await sweep_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
        if (closed_) break;
        const auto now = std::chrono::steady_clock::now();
        queue_.expire_waiting(now);
        expired_.clear();
        streams_.expired(now, expired_);
        for (auto id : expired_)
            if (auto r = streams_.orphan(id)) {
                if (opts_.counters) ++opts_.counters->orphaned_ids;
                r->complete(make_error_code(client_errc::request_timeout), frame{});
            }
        if (static_cast<int>(streams_.orphan_count()) > opts_.max_orphans) {
            message_ = std::to_string(streams_.orphan_count()) + " requests timed out without an answer";
            close(make_error_code(client_errc::too_many_orphans));
        }
    }
}

}  // namespace cql::detail
