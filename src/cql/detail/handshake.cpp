// Handshake state machine.
#include "cql/detail/handshake.hpp"

#include <algorithm>
#include <exception>
#include <optional>

#include "cql/error.hpp"
#include "protocol/compression.hpp"
#include "protocol/requests.hpp"
#include "protocol/responses.hpp"
#include "protocol/segment.hpp"

namespace cql::detail {

using namespace cql::protocol;

namespace {

bool mentions_version(std::string_view message) {
    // Cassandra: "Invalid or unsupported protocol version (4); supported versions are (3/v3, ...)";
    // Cassandra 3.x, where v5 is a beta: "Beta version of the protocol used (5/v5-beta), but USE_BETA
    // flag is unset".
    return message.find("protocol version") != std::string_view::npos ||
           message.find("Invalid or unsupported protocol") != std::string_view::npos ||
           message.find("USE_BETA") != std::string_view::npos;
}

}  // namespace

handshake::handshake(handshake_settings settings) : settings_(std::move(settings)) {}

handshake::~handshake() { wipe_out(); }

// The AUTH_RESPONSE frame holds the password: zero it as soon as it is no longer needed.
void handshake::wipe_out() noexcept {
    std::fill(out_.begin(), out_.end(), std::uint8_t{0});
    std::fill(envelope_.begin(), envelope_.end(), std::uint8_t{0});
}

handshake::action handshake::write_frame() { return {step::write, out_, {}}; }

handshake::action handshake::fail(std::error_code ec, std::string message) {
    wipe_out();
    state_ = state::finished;
    message_ = std::move(message);
    return {step::failed, {}, ec};
}

handshake::action handshake::start() {
    out_.clear();
    if (auto ec = encode_request(out_, settings_.version, 0, options_request{})) return fail(ec, "encoding OPTIONS");
    state_ = state::options_sent;
    return write_frame();
}

handshake::action handshake::on_written() {
    if (state_ == state::finished || state_ == state::initial) return fail(make_error_code(client_errc::protocol_violation), "handshake out of order");
    if (state_ == state::auth_sent) wipe_out();
    return {step::read, {}, {}};
}

handshake::action handshake::on_io_error(std::error_code ec) {
    return fail(ec, "connection lost during the handshake: " + ec.message());
}

handshake::action handshake::on_frame(frame&& f) {
    if (auto ec = decompress_frame(f, scratch_)) return fail(ec, "undecodable compressed frame during the handshake");
    if (state_ == state::initial || state_ == state::finished)
        return fail(make_error_code(client_errc::protocol_violation), "frame outside the handshake");
    if (!f.header.is_response) return fail(make_error_code(client_errc::protocol_violation), "the node sent a request frame");
    // Replies come on the request's stream; only a version refusal may come in another version.
    if (f.header.stream != 0 || (f.header.op != opcode::error && f.header.version != settings_.version))
        return fail(make_error_code(client_errc::protocol_violation), "reply on another stream or protocol version");
    if (f.header.op == opcode::error) return on_error_frame(f);
    switch (state_) {
    case state::options_sent: return on_supported(f);
    case state::startup_sent: return on_startup_reply(f);
    case state::auth_sent: return on_auth_reply(f);
    default: return fail(make_error_code(client_errc::protocol_violation), "frame after the handshake ended");
    }
}

handshake::action handshake::on_error_frame(const frame& f) {
    response r;
    if (auto ec = decode_response(f, r)) return fail(ec, "undecodable ERROR frame during the handshake");
    const auto& err = std::get<error_response>(r.body);
    if (err.code == server_errc::protocol_error && mentions_version(err.message) && state_ == state::options_sent &&
        settings_.version > protocol_version::v3) {
        wipe_out();
        state_ = state::finished;
        message_ = err.message;
        return {step::retry_lower_version, {}, make_error_code(client_errc::unsupported_protocol_version)};
    }
    if (err.code == server_errc::bad_credentials)
        return fail(make_error_code(client_errc::authentication_failed), err.message);
    return fail(err.error_code(), err.message);
}

handshake::action handshake::on_supported(const frame& f) {
    response r;
    if (f.header.op != opcode::supported || decode_response(f, r))
        return fail(make_error_code(client_errc::protocol_violation), "expected SUPPORTED in reply to OPTIONS");
    const auto& sup = std::get<supported_response>(r.body);
    if (const auto* versions = sup.find("CQL_VERSION"); versions && !versions->empty()) cql_version_ = versions->front();
    if (const auto* algos = sup.find("COMPRESSION"))
        compression_ = settings_.want_compression && std::find(algos->begin(), algos->end(), "lz4") != algos->end();
    std::vector<std::pair<std::string_view, std::string_view>> options{{"CQL_VERSION", cql_version_}};
    if (compression_) options.emplace_back("COMPRESSION", "lz4");
    options.emplace_back("DRIVER_NAME", settings_.driver_name);
    options.emplace_back("DRIVER_VERSION", settings_.driver_version);
    out_.clear();
    if (auto ec = encode_request(out_, settings_.version, 0, startup_request{options})) return fail(ec, "encoding STARTUP");
    state_ = state::startup_sent;
    return write_frame();
}

handshake::action handshake::on_startup_reply(const frame& f) {
    response ready;
    if (f.header.op == opcode::ready && !decode_response(f, ready)) {
        state_ = state::finished;
        framed_ = settings_.version >= protocol_version::v5;
        return {step::done, {}, {}};
    }
    response r;
    if (f.header.op != opcode::authenticate || decode_response(f, r))
        return fail(make_error_code(client_errc::protocol_violation), "expected READY or AUTHENTICATE in reply to STARTUP");
    framed_ = settings_.version >= protocol_version::v5;
    authenticator_ = std::get<authenticate_response>(r.body).authenticator;
    return on_authenticate();
}

// AUTHENTICATE: make the authenticator (the configured factory's, or PLAIN) and send its first token.
handshake::action handshake::on_authenticate() {
    if (settings_.make_authenticator) {
        try {
            auth_ = settings_.make_authenticator(settings_.host);
        } catch (const std::exception& e) {
            return fail(make_error_code(client_errc::authentication_failed),
                        "the authenticator factory failed for " + authenticator_ + ": " + e.what());
        }
        if (!auth_)
            return fail(make_error_code(client_errc::authentication_failed),
                        "the authenticator factory returned no authenticator for " + authenticator_);
    } else if (settings_.username.empty()) {
        return fail(make_error_code(client_errc::authentication_failed),
                    "the node requires authentication (" + authenticator_ + ") but no username is configured");
    } else {
        auth_ = std::make_unique<plain_authenticator>(settings_.username, settings_.password);
    }
    std::optional<std::vector<std::uint8_t>> token;
    try {
        token = auth_->initial_response(authenticator_);
    } catch (const std::exception& e) {
        return fail(make_error_code(client_errc::authentication_failed),
                    "the authenticator failed at " + round_name() + " for " + authenticator_ + ": " + e.what());
    }
    if (!token)
        return fail(make_error_code(client_errc::authentication_failed),
                    "the authenticator gave up at " + round_name() + " for " + authenticator_);
    return write_auth_response(*token);
}

handshake::action handshake::write_auth_response(std::vector<std::uint8_t>& token) {
    out_.clear();
    envelope_.clear();
    auto ec = encode_request(framed_ ? envelope_ : out_, settings_.version, 0, auth_response_request{value_view::of(token)});
    std::fill(token.begin(), token.end(), std::uint8_t{0});
    if (!ec && framed_) ec = encode_segments(envelope_, out_, compression_);
    if (ec) return fail(ec, "encoding AUTH_RESPONSE");
    state_ = state::auth_sent;
    return write_frame();
}

std::string handshake::round_name() const {
    return auth_round_ == 0 ? "the initial response" : "AUTH_CHALLENGE " + std::to_string(auth_round_);
}

handshake::action handshake::on_auth_reply(const frame& f) {
    // The frame holding the last token is no longer needed.
    wipe_out();
    if (f.header.op == opcode::auth_success) {
        response success;
        if (decode_response(f, success))
            return fail(make_error_code(client_errc::protocol_violation), "undecodable AUTH_SUCCESS");
        const auto& t = std::get<auth_success_response>(success.body).token;
        try {
            auth_->on_success(t ? std::span<const std::uint8_t>(*t) : std::span<const std::uint8_t>());
        } catch (const std::exception& e) {
            return fail(make_error_code(client_errc::authentication_failed),
                        "the authenticator refused AUTH_SUCCESS from " + authenticator_ + ": " + e.what());
        }
        state_ = state::finished;
        auth_.reset();
        return {step::done, {}, {}};
    }
    if (f.header.op == opcode::auth_challenge) return on_challenge(f);
    return fail(make_error_code(client_errc::protocol_violation),
                "expected AUTH_SUCCESS or AUTH_CHALLENGE in reply to AUTH_RESPONSE");
}

handshake::action handshake::on_challenge(const frame& f) {
    response r;
    if (decode_response(f, r)) return fail(make_error_code(client_errc::protocol_violation), "undecodable AUTH_CHALLENGE");
    if (++auth_round_ > max_auth_challenges)
        return fail(make_error_code(client_errc::authentication_failed),
                    "more than " + std::to_string(max_auth_challenges) + " AUTH_CHALLENGE rounds from " + authenticator_);
    auto& challenge = std::get<auth_challenge_response>(r.body).token;
    std::optional<std::vector<std::uint8_t>> token;
    try {
        token = auth_->evaluate_challenge(challenge ? std::span<const std::uint8_t>(*challenge)
                                                    : std::span<const std::uint8_t>());
    } catch (const std::exception& e) {
        if (challenge) std::fill(challenge->begin(), challenge->end(), std::uint8_t{0});
        return fail(make_error_code(client_errc::authentication_failed),
                    "the authenticator failed at " + round_name() + " from " + authenticator_ + ": " + e.what());
    }
    if (challenge) std::fill(challenge->begin(), challenge->end(), std::uint8_t{0});
    if (!token)
        return fail(make_error_code(client_errc::authentication_failed),
                    "the authenticator gave up at " + round_name() + " from " + authenticator_);
    return write_auth_response(*token);
}

}  // namespace cql::detail
