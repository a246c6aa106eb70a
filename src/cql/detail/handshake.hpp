// Sans-I/O connection handshake: OPTIONS -> SUPPORTED -> STARTUP -> READY, or AUTHENTICATE ->
// AUTH_RESPONSE -> (AUTH_CHALLENGE -> AUTH_RESPONSE)* -> AUTH_SUCCESS, the tokens coming from a
// cql::authenticator (SASL PLAIN from username / password when none is configured). Tells its driver what to do next (write these bytes,
// read a frame, done, failed, reconnect with a lower protocol version); it never touches a socket.
// In v5 the node's READY or AUTHENTICATE is the last unframed message: from then on both sides use
// segments (protocol/segment.hpp), so AUTH_RESPONSE is written as segments and framed() tells the
// driver to read the rest through a segment reader.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include "cql/auth.hpp"
#include "protocol/frame.hpp"

namespace cql::detail {

struct handshake_settings {
    protocol::protocol_version version = protocol::protocol_version::v4;
    bool want_compression = true;
    std::string username;  // empty: no credentials
    std::string password;
    // When set, makes the authenticator instead of SASL PLAIN from username / password.
    authenticator_factory make_authenticator;
    std::string host;  // passed to make_authenticator
    std::string driver_name = "destination-cassandra-cql";
    std::string driver_version = "0.1.0";
};

class handshake {
public:
    enum class step { write, read, done, failed, retry_lower_version };
    struct action {
        step next = step::failed;
        std::span<const std::uint8_t> bytes{};  // for write
        std::error_code ec{};                   // for failed
    };

    explicit handshake(handshake_settings settings);
    ~handshake();
    handshake(const handshake&) = delete;
    handshake& operator=(const handshake&) = delete;

    action start();
    action on_written();
    // Feeds the next whole frame read from the node (compressed or not).
    action on_frame(protocol::frame&& f);
    action on_io_error(std::error_code ec);

    protocol::protocol_version version() const noexcept { return settings_.version; }
    bool compression() const noexcept { return compression_; }
    // v5 after READY or AUTHENTICATE: bytes are segments from here on, both ways.
    bool framed() const noexcept { return framed_; }
    const std::string& authenticator() const noexcept { return authenticator_; }
    // The server's message or our explanation when failed; never contains the password.
    const std::string& message() const noexcept { return message_; }

private:
    enum class state { initial, options_sent, startup_sent, auth_sent, finished };

    action write_frame();
    void wipe_out() noexcept;
    action fail(std::error_code ec, std::string message);
    action on_supported(const protocol::frame& f);
    action on_startup_reply(const protocol::frame& f);
    action on_authenticate();
    action on_auth_reply(const protocol::frame& f);
    action on_challenge(const protocol::frame& f);
    // Writes one AUTH_RESPONSE with token (zeroed afterwards), in segments once framed.
    action write_auth_response(std::vector<std::uint8_t>& token);
    // "the initial response" or "AUTH_CHALLENGE 2": where an exchange stopped, for messages.
    std::string round_name() const;
    // A frame that is an ERROR: a version refusal asks for a lower version, others fail.
    action on_error_frame(const protocol::frame& f);

    handshake_settings settings_;
    state state_ = state::initial;
    bool compression_ = false;
    bool framed_ = false;
    std::string cql_version_ = "3.0.0";
    std::string authenticator_;
    std::unique_ptr<cql::authenticator> auth_;
    int auth_round_ = 0;  // AUTH_CHALLENGEs answered so far
    std::string message_;
    std::vector<std::uint8_t> out_;
    std::vector<std::uint8_t> scratch_;
    std::vector<std::uint8_t> envelope_;  // AUTH_RESPONSE before it goes into segments (wiped too)
};

// A node that keeps challenging is not an exchange that ends: refuse after this many rounds.
inline constexpr int max_auth_challenges = 64;

}  // namespace cql::detail
