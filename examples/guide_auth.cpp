// docs/library.md, "Authentication": SASL PLAIN from username / password, the same as an explicit
// authenticator, and a custom authenticator answering the node's AUTH_CHALLENGE rounds.
// Usage: guide_auth [host[:port]] [user] [password]
#include <cql/auth.hpp>
#include <cql/blocking.hpp>

#include <iostream>
#include <string>

// [custom]
// A token scheme: the first response names the user, each challenge (a nonce) is answered with a
// proof. The node's IAuthenticator decides how many rounds there are; AUTH_SUCCESS ends them.
class token_authenticator final : public cql::authenticator {
public:
    token_authenticator(std::string user, std::string secret) : user_(std::move(user)), secret_(std::move(secret)) {}

    std::optional<cql::auth_bytes> initial_response(const std::string& server_authenticator) override {
        if (server_authenticator.find("PasswordAuthenticator") != std::string::npos)  // this node speaks PLAIN
            return cql::plain_authenticator(user_, secret_).initial_response(server_authenticator);
        return cql::auth_bytes(user_.begin(), user_.end());
    }
    std::optional<cql::auth_bytes> evaluate_challenge(std::span<const std::uint8_t> nonce) override {
        if (nonce.empty()) return std::nullopt;  // give up: connect fails naming this round
        cql::auth_bytes proof(nonce.begin(), nonce.end());
        for (std::size_t i = 0; i < proof.size(); ++i) proof[i] ^= static_cast<std::uint8_t>(secret_[i % secret_.size()]);
        return proof;
    }
    void on_success(std::span<const std::uint8_t> final_token) override { (void)final_token; }

private:
    std::string user_, secret_;
};
// [end]

int main(int argc, char** argv) {
    const std::string host = argc > 1 ? argv[1] : "127.0.0.1";
    const std::string user = argc > 2 ? argv[2] : "cassandra";
    const std::string password = argc > 3 ? argv[3] : "cassandra";

    // [plain]
    cql::session_config cfg;
    cfg.contact_points = {host};
    cfg.username = user;  // SASL PLAIN, what PasswordAuthenticator expects
    cfg.password = password;
    // The same, as an object: a factory makes one authenticator per connection attempt.
    cfg.make_authenticator = cql::plain_authentication(user, password);
    // [end]
    {
        cql::blocking_session db(cfg);
        if (auto ec = db.connect()) return std::cerr << "plain: " << db.last_error().message << "\n", 1;
    }

    // [factory]
    cfg.make_authenticator = [user, password](const std::string& node) -> std::unique_ptr<cql::authenticator> {
        (void)node;  // "address:port" of the node being connected to
        return std::make_unique<token_authenticator>(user, password);
    };
    cql::blocking_session db(cfg);
    if (auto ec = db.connect())  // client_errc::authentication_failed, the round in the message
        return std::cerr << "token: " << db.last_error().message << "\n", 1;
    // [end]
    std::cout << "authenticated twice\n";
    return 0;
}
