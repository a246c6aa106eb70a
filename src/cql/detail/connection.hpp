// One pipelined connection to one node: handshake (with the v5 -> v4 -> v3 step-down), then one
// reader and one writer coroutine; in v5 both speak segments once the handshake has switched. Requests are encoded by the caller for version(); the writer assigns
// stream ids at write time and coalesces waiting frames into one socket write. Everything runs on
// the connection's strand: call send() and close() from it.
#pragma once

#include <asio.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include "cql/detail/handshake.hpp"
#include "cql/detail/request.hpp"
#include "cql/detail/strand_counter.hpp"
#include "cql/detail/stream_table.hpp"
#include "cql/detail/transport.hpp"
#include "cql/detail/write_queue.hpp"
#include "protocol/frame.hpp"
#include "protocol/responses.hpp"
#include "protocol/segment.hpp"

namespace cql::detail {

struct connection_options {
    handshake_settings handshake;
    std::shared_ptr<asio::ssl::context> tls;  // null: plain TCP
    bool verify_host_name = true;
    std::string host_name_override;
    std::chrono::milliseconds connect_timeout{5000};
    int max_streams = 2048;
    int max_orphans = 256;
    std::chrono::milliseconds heartbeat_interval{30000};
    std::size_t max_frame_size = protocol::default_max_frame_body;
    // The session's counters (bytes, orphans, opens); null: not counted. Written on the strand.
    std::shared_ptr<connection_counters> counters;
};

class connection : public std::enable_shared_from_this<connection> {
public:
    using strand = asio::strand<asio::any_io_executor>;

    connection(strand ex, asio::ip::tcp::endpoint endpoint, std::string host, connection_options opts);
    ~connection();

    // Connects, negotiates, starts the reader and writer. On failure, message() says why (the server's
    // words, or which TLS check failed); it never holds the password.
    asio::awaitable<std::error_code> open();

    // Queues an encoded request (a whole frame for version(); stream id patched at write time).
    // Compresses it when LZ4 was negotiated (v3/v4: its body; v5: the segments it is written in). After close(), completes it at once with the close reason.
    void send(std::unique_ptr<request> r);
    void close(std::error_code reason);
    // A response body its reader is done with: the connection reads a later response into it (no
    // allocation per response once warmed up). Kept only when small, and only so many.
    void recycle_body(std::vector<std::uint8_t>&& body) noexcept;

    bool is_open() const noexcept { return open_; }
    protocol::protocol_version version() const noexcept { return version_; }
    bool compression() const noexcept { return compression_; }
    // v5: frames travel in segments.
    bool framed() const noexcept { return segments_.has_value(); }
    const std::string& host() const noexcept { return host_; }
    const asio::ip::tcp::endpoint& endpoint() const noexcept { return endpoint_; }
    const std::string& message() const noexcept { return message_; }
    std::error_code close_reason() const noexcept { return close_reason_; }
    // Requests written and waiting for a response, plus requests waiting to be written.
    std::size_t load() const noexcept { return streams_.in_flight() + queue_.waiting(); }
    const strand& executor() const noexcept { return strand_; }

    // Server-pushed events (stream -1), for the control connection.
    std::function<void(protocol::event&&)> on_event;
    // Called once when the connection closes after having opened.
    std::function<void(std::error_code)> on_closed;
    // Called around the dispatch of the frames of one read: completions queued meanwhile can be
    // handled together at the end (per batch of responses, without a post per response).
    std::function<void()> on_dispatch_begin;
    std::function<void()> on_dispatch_end;

private:
    asio::awaitable<std::error_code> connect_once(protocol::protocol_version v);
    asio::awaitable<std::error_code> run_handshake(handshake& hs);
    asio::awaitable<void> reader();
    asio::awaitable<void> writer();
    asio::awaitable<void> sweeper();
    void dispatch(protocol::frame&& f);
    // Reads until a whole frame is there, through the segment reader once framing is on.
    bool next_frame(protocol::frame& f, std::error_code& ec);
    std::span<std::uint8_t> prepare_read(std::size_t n);
    void commit_read(std::size_t n);
    void push_heartbeat();

    strand strand_;
    asio::ip::tcp::endpoint endpoint_;
    std::string host_;
    connection_options opts_;
    std::unique_ptr<transport> transport_;
    protocol::frame_reader reader_;
    std::optional<protocol::segment_reader> segments_;  // v5 after the handshake switch
    stream_table streams_;
    write_queue queue_;
    // Slow start: a new connection writes at most window_ requests ahead of their answers, and each
    // answer widens it by one (doubling it per round trip) up to every stream id. A connection
    // opened after a failure thus does not put the whole backlog on the wire at once; when the
    // path breaks again (a reset every few hundred KB), what went first has been answered.
    static constexpr std::size_t initial_window = 64;
    std::size_t window_ = initial_window;
    asio::steady_timer wake_;   // the writer sleeps on it; cancel() wakes it
    asio::steady_timer sweep_;  // request deadlines
    std::vector<std::uint8_t> scratch_;
    std::vector<std::int16_t> expired_;
    static constexpr std::size_t max_spare_bodies = 1024;
    static constexpr std::size_t max_spare_body_bytes = 4 * 1024;
    std::vector<std::vector<std::uint8_t>> spare_bodies_;
    protocol::protocol_version version_ = protocol::protocol_version::v4;
    bool compression_ = false;
    bool open_ = false;
    bool closed_ = false;
    std::chrono::steady_clock::time_point last_write_{};
    std::string message_;
    std::error_code close_reason_;
};

}  // namespace cql::detail
