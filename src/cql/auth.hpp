// Pluggable authentication: the SASL-style exchange a node starts with AUTHENTICATE. The client
// sends the authenticator's initial response, answers every AUTH_CHALLENGE with it, and hands it
// the AUTH_SUCCESS token. plain_authenticator (SASL PLAIN, Cassandra's PasswordAuthenticator) is
// what session_config::username / password build when no factory is set.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cql {

using auth_bytes = std::vector<std::uint8_t>;

// One exchange on one connection: a fresh object per connection attempt, used from one thread.
// Returning nullopt gives up: the handshake fails (client_errc::authentication_failed) with a
// message naming the round. A thrown exception fails it the same way, with what() in the message.
// Tokens may hold secrets: the client zeroes its copies once they are written.
class authenticator {
public:
    virtual ~authenticator() = default;
    // The token of the first AUTH_RESPONSE; server_authenticator is the class the node named in
    // AUTHENTICATE (e.g. "org.apache.cassandra.auth.PasswordAuthenticator").
    virtual std::optional<auth_bytes> initial_response(const std::string& server_authenticator) = 0;
    // The answer to one AUTH_CHALLENGE (round 1, 2, ...); challenge is empty when the node sent null.
    virtual std::optional<auth_bytes> evaluate_challenge(std::span<const std::uint8_t> challenge) = 0;
    // AUTH_SUCCESS ends the exchange; token is its final token (empty when null).
    virtual void on_success(std::span<const std::uint8_t> token) { (void)token; }
};

// Makes the authenticator of one connection attempt to host ("address:port"). Called from the
// session's I/O threads, possibly from several at once (one per connection being opened).
using authenticator_factory = std::function<std::unique_ptr<authenticator>(const std::string& host)>;

// SASL PLAIN: one response, "\0username\0password"; a challenge is refused (nullopt).
class plain_authenticator final : public authenticator {
public:
    plain_authenticator(std::string username, std::string password);
    ~plain_authenticator() override;  // zeroes the password
    plain_authenticator(const plain_authenticator&) = delete;
    plain_authenticator& operator=(const plain_authenticator&) = delete;

    std::optional<auth_bytes> initial_response(const std::string& server_authenticator) override;
    std::optional<auth_bytes> evaluate_challenge(std::span<const std::uint8_t> challenge) override;

private:
    std::string username_;
    std::string password_;
};

// A factory for plain_authenticator with these credentials.
authenticator_factory plain_authentication(std::string username, std::string password);

}  // namespace cql
