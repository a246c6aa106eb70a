// SASL PLAIN, the authenticator the client uses when it is given a username and password.
#include "cql/auth.hpp"

#include <algorithm>

namespace cql {

plain_authenticator::plain_authenticator(std::string username, std::string password)
    : username_(std::move(username)), password_(std::move(password)) {}

plain_authenticator::~plain_authenticator() { std::fill(password_.begin(), password_.end(), '\0'); }

std::optional<auth_bytes> plain_authenticator::initial_response(const std::string&) {
    // RFC 4616: authzid (empty) NUL authcid NUL password.
    auth_bytes token;
    token.reserve(username_.size() + password_.size() + 2);
    token.push_back(0);
    token.insert(token.end(), username_.begin(), username_.end());
    token.push_back(0);
    token.insert(token.end(), password_.begin(), password_.end());
    return token;
}

std::optional<auth_bytes> plain_authenticator::evaluate_challenge(std::span<const std::uint8_t>) {
    return std::nullopt;  // PLAIN has a single step; a challenge means the node wants another mechanism
}

authenticator_factory plain_authentication(std::string username, std::string password) {
    // The credentials live in the factory (shared by the session's connections) until it is destroyed.
    auto creds = std::make_shared<std::pair<std::string, std::string>>(std::move(username), std::move(password));
    return [creds](const std::string&) -> std::unique_ptr<authenticator> {
        return std::make_unique<plain_authenticator>(creds->first, creds->second);
    };
}

}  // namespace cql
