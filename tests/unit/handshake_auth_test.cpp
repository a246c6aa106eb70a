// Pluggable authenticators in the sans-I/O handshake: multi-round AUTH_CHALLENGE exchanges driven
// by a scripted fake authenticator and a scripted node (a stock node's PasswordAuthenticator never
// challenges, so these rounds and the failures injected into them cannot come from a real server).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "cql/auth.hpp"
#include "cql/detail/handshake.hpp"
#include "cql/error.hpp"
#include "hex.hpp"
#include "protocol/segment.hpp"
#include "request_decoders.hpp"

namespace {

namespace proto = cql::protocol;
using cql::client_errc;
using cql::detail::handshake;
using cql::detail::handshake_settings;
using cql::test::to_hex;
using proto::opcode;
using proto::protocol_version;
using step = handshake::step;
using testing::ElementsAre;
using testing::HasSubstr;
using bytes = std::vector<std::uint8_t>;

constexpr std::string_view sasl_class = "com.example.ScramAuthenticator";

bytes text(std::string_view s) { return bytes(s.begin(), s.end()); }

// ---- The node, scripted --------------------------------------------------------------------------

bytes response(protocol_version v, opcode op, const bytes& body) {
    bytes out;
    proto::frame_header h;
    h.version = v;
    h.is_response = true;
    h.op = op;
    const auto at = proto::append_frame_header(out, h);
    out.insert(out.end(), body.begin(), body.end());
    proto::finish_frame(out, at);
    return out;
}

bytes supported(protocol_version v) {
    bytes body;
    const std::vector<std::pair<std::string_view, std::vector<std::string_view>>> options{
        {"COMPRESSION", {"lz4"}}, {"CQL_VERSION", {"3.4.7"}}};
    proto::byte_writer(body).string_multimap(options);
    return response(v, opcode::supported, body);
}

bytes authenticate(protocol_version v, std::string_view cls = sasl_class) {
    bytes body;
    proto::byte_writer(body).string(cls);
    return response(v, opcode::authenticate, body);
}

// AUTH_CHALLENGE or AUTH_SUCCESS with a [bytes] token.
bytes with_token(protocol_version v, opcode op, std::string_view token) {
    bytes body;
    proto::byte_writer(body).bytes(token);
    return response(v, op, body);
}

bytes bad_credentials(protocol_version v) {
    bytes body;
    proto::byte_writer w(body);
    w.i32(static_cast<std::int32_t>(proto::server_errc::bad_credentials));
    w.string("Authentication failed: bad proof");
    return response(v, opcode::error, body);
}

proto::frame to_frame(const bytes& wire) {
    proto::frame_reader reader;
    reader.feed(wire);
    proto::frame f;
    std::error_code ec;
    EXPECT_TRUE(reader.next(f, ec)) << ec.message();
    return f;
}

// The token of the AUTH_RESPONSE a write action carries (unframed, or one v5 segment).
std::string sent_token(const handshake::action& act, bool framed) {
    EXPECT_EQ(act.next, step::write);
    bytes frame(act.bytes.begin(), act.bytes.end());
    if (framed) {
        proto::segment_reader r(true);
        r.feed(act.bytes);
        proto::frame f;
        std::error_code ec;
        EXPECT_TRUE(r.next(f, ec)) << ec.message();
        frame.clear();
        proto::frame_header h = f.header;
        const auto at = proto::append_frame_header(frame, h);
        frame.insert(frame.end(), f.body.begin(), f.body.end());
        proto::finish_frame(frame, at);
    }
    cql::test::decoded_request_frame out;
    EXPECT_FALSE(cql::test::decode_request_frame(frame, out)) << to_hex(frame);
    EXPECT_EQ(out.header.op, opcode::auth_response);
    const auto* req = std::get_if<cql::test::owned_auth_response>(&out.request);
    if (!req) return "<not an AUTH_RESPONSE>";
    return std::string(req->token.data.begin(), req->token.data.end());
}

// ---- The scripted fake authenticator -------------------------------------------------------------

enum class fault { none, give_up, throw_error };

// What the fake saw, shared with the test (the handshake owns the authenticator).
struct fake_log {
    std::vector<std::string> hosts, server_classes, challenges, successes;
};

// Answers "hello" first, then "r1", "r2", ... to each challenge; at round fault_at (0 = the
// initial response) it gives up or throws instead.
class scripted_fake_authenticator final : public cql::authenticator {
public:
    scripted_fake_authenticator(std::shared_ptr<fake_log> log, int fault_at, fault how)
        : log_(std::move(log)), fault_at_(fault_at), how_(how) {}

    std::optional<cql::auth_bytes> initial_response(const std::string& server_authenticator) override {
        log_->server_classes.push_back(server_authenticator);
        return answer(0, "hello");
    }
    std::optional<cql::auth_bytes> evaluate_challenge(std::span<const std::uint8_t> challenge) override {
        log_->challenges.emplace_back(challenge.begin(), challenge.end());
        const int round = static_cast<int>(log_->challenges.size());
        return answer(round, "r" + std::to_string(round));
    }
    void on_success(std::span<const std::uint8_t> token) override { log_->successes.emplace_back(token.begin(), token.end()); }

private:
    std::optional<cql::auth_bytes> answer(int round, const std::string& token) {
        if (round == fault_at_ && how_ == fault::give_up) return std::nullopt;
        if (round == fault_at_ && how_ == fault::throw_error) throw std::runtime_error("token service unreachable");
        return text(token);
    }
    std::shared_ptr<fake_log> log_;
    int fault_at_;
    fault how_;
};

handshake_settings fake_settings(std::shared_ptr<fake_log> log, protocol_version v, int fault_at = -1,
                                 fault how = fault::none) {
    handshake_settings s;
    s.version = v;
    s.host = "10.0.0.7:9042";
    s.make_authenticator = [log, fault_at, how](const std::string& host) -> std::unique_ptr<cql::authenticator> {
        log->hosts.push_back(host);
        return std::make_unique<scripted_fake_authenticator>(log, fault_at, how);
    };
    return s;
}

// Start to the first AUTH_RESPONSE: returns its write action.
handshake::action to_first_response(handshake& hs, protocol_version v) {
    EXPECT_EQ(hs.start().next, step::write);
    EXPECT_EQ(hs.on_written().next, step::read);
    EXPECT_EQ(hs.on_frame(to_frame(supported(v))).next, step::write);
    EXPECT_EQ(hs.on_written().next, step::read);
    return hs.on_frame(to_frame(authenticate(v)));
}

}  // namespace

TEST(HandshakeAuth, ThreeChallengeRoundsThenSuccess) {
    for (auto v : {protocol_version::v4, protocol_version::v5}) {
        SCOPED_TRACE(v == protocol_version::v5 ? "v5, in segments" : "v4");
        const bool framed = v == protocol_version::v5;
        auto log = std::make_shared<fake_log>();
        handshake hs(fake_settings(log, v));
        auto act = to_first_response(hs, v);
        EXPECT_EQ(sent_token(act, framed), "hello");
        for (int round = 1; round <= 3; ++round) {
            EXPECT_EQ(hs.on_written().next, step::read);
            act = hs.on_frame(to_frame(with_token(v, opcode::auth_challenge, "c" + std::to_string(round))));
            EXPECT_EQ(sent_token(act, framed), "r" + std::to_string(round));
        }
        const auto last = act.bytes;
        EXPECT_EQ(hs.on_written().next, step::read);
        act = hs.on_frame(to_frame(with_token(v, opcode::auth_success, "server-final")));
        EXPECT_EQ(act.next, step::done);
        EXPECT_FALSE(act.ec);
        EXPECT_EQ(hs.authenticator(), sasl_class);
        EXPECT_THAT(log->hosts, ElementsAre("10.0.0.7:9042"));
        EXPECT_THAT(log->server_classes, ElementsAre(std::string(sasl_class)));
        EXPECT_THAT(log->challenges, ElementsAre("c1", "c2", "c3"));
        EXPECT_THAT(log->successes, ElementsAre("server-final"));
        EXPECT_EQ(to_hex(last), std::string(last.size() * 2, '0')) << "the last token is wiped once answered";
    }
}

TEST(HandshakeAuth, AFaultAtEveryRoundFailsNamingTheRound) {
    const char* rounds[] = {"the initial response", "AUTH_CHALLENGE 1", "AUTH_CHALLENGE 2", "AUTH_CHALLENGE 3"};
    int injected = 0;
    for (fault how : {fault::give_up, fault::throw_error}) {
        for (int at = 0; at <= 3; ++at) {
            SCOPED_TRACE(std::string(how == fault::give_up ? "gives up" : "throws") + " at " + rounds[at]);
            auto log = std::make_shared<fake_log>();
            handshake hs(fake_settings(log, protocol_version::v4, at, how));
            auto act = to_first_response(hs, protocol_version::v4);
            for (int round = 1; round <= at; ++round) {
                ASSERT_EQ(act.next, step::write);
                EXPECT_EQ(hs.on_written().next, step::read);
                act = hs.on_frame(to_frame(with_token(protocol_version::v4, opcode::auth_challenge, "c")));
            }
            ++injected;
            EXPECT_EQ(act.next, step::failed);
            EXPECT_EQ(act.ec, client_errc::authentication_failed);
            EXPECT_THAT(hs.message(), HasSubstr(rounds[at]));
            EXPECT_THAT(hs.message(), HasSubstr(std::string(sasl_class)));
            if (how == fault::throw_error) {
                EXPECT_THAT(hs.message(), HasSubstr("token service unreachable"));
            }
            EXPECT_TRUE(log->successes.empty());
            // Nothing revives a failed exchange.
            EXPECT_EQ(hs.on_frame(to_frame(with_token(protocol_version::v4, opcode::auth_success, ""))).next,
                      step::failed);
        }
    }
    EXPECT_EQ(injected, 8);
}

TEST(HandshakeAuth, TheNodeRefusingAtEveryRoundIsAnAuthenticationFailure) {
    for (int at = 0; at <= 3; ++at) {
        SCOPED_TRACE("ERROR after AUTH_RESPONSE " + std::to_string(at));
        auto log = std::make_shared<fake_log>();
        handshake hs(fake_settings(log, protocol_version::v4));
        auto act = to_first_response(hs, protocol_version::v4);
        for (int round = 1; round <= at; ++round) {
            EXPECT_EQ(hs.on_written().next, step::read);
            act = hs.on_frame(to_frame(with_token(protocol_version::v4, opcode::auth_challenge, "c")));
        }
        const auto sent = act.bytes;
        EXPECT_EQ(hs.on_written().next, step::read);
        act = hs.on_frame(to_frame(bad_credentials(protocol_version::v4)));
        EXPECT_EQ(act.next, step::failed);
        EXPECT_EQ(act.ec, client_errc::authentication_failed);
        EXPECT_EQ(hs.message(), "Authentication failed: bad proof");
        EXPECT_EQ(to_hex(sent), std::string(sent.size() * 2, '0'));
    }
}

TEST(HandshakeAuth, AnIoErrorAtEveryWaitOfAMultiRoundExchange) {
    const auto reset = std::make_error_code(std::errc::connection_reset);
    // Waits after start: write, SUPPORTED, write, AUTHENTICATE, (write, challenge) x 2, write, AUTH_SUCCESS.
    constexpr int waits = 10;
    for (int k = 0; k < waits; ++k) {
        SCOPED_TRACE("wait " + std::to_string(k));
        auto log = std::make_shared<fake_log>();
        handshake hs(fake_settings(log, protocol_version::v4));
        const auto v = protocol_version::v4;
        const bytes frames[] = {supported(v), authenticate(v), with_token(v, opcode::auth_challenge, "c1"),
                                with_token(v, opcode::auth_challenge, "c2"), with_token(v, opcode::auth_success, "")};
        auto act = hs.start();
        for (int i = 0; i < k; ++i) {
            ASSERT_EQ(act.next, i % 2 == 0 ? step::write : step::read);
            act = i % 2 == 0 ? hs.on_written() : hs.on_frame(to_frame(frames[i / 2]));
        }
        ASSERT_EQ(act.next, k % 2 == 0 ? step::write : step::read);
        act = hs.on_io_error(reset);
        EXPECT_EQ(act.next, step::failed);
        EXPECT_EQ(act.ec, reset);
        EXPECT_TRUE(log->successes.empty());
        EXPECT_EQ(hs.on_frame(to_frame(frames[4])).next, step::failed);
    }
}

TEST(HandshakeAuth, AFactoryWithoutAnAuthenticatorFails) {
    handshake_settings s;
    s.make_authenticator = [](const std::string&) -> std::unique_ptr<cql::authenticator> { return nullptr; };
    handshake hs(s);
    auto act = to_first_response(hs, protocol_version::v4);
    EXPECT_EQ(act.next, step::failed);
    EXPECT_EQ(act.ec, client_errc::authentication_failed);
    EXPECT_THAT(hs.message(), HasSubstr("no authenticator"));

    handshake_settings t;
    t.make_authenticator = [](const std::string&) -> std::unique_ptr<cql::authenticator> {
        throw std::runtime_error("no ticket");
    };
    handshake throwing(t);
    act = to_first_response(throwing, protocol_version::v4);
    EXPECT_EQ(act.ec, client_errc::authentication_failed);
    EXPECT_THAT(throwing.message(), HasSubstr("no ticket"));
}

TEST(HandshakeAuth, EndlessChallengesAreRefused) {
    auto log = std::make_shared<fake_log>();
    handshake hs(fake_settings(log, protocol_version::v4));
    auto act = to_first_response(hs, protocol_version::v4);
    int rounds = 0;
    while (act.next == step::write && rounds < 1000) {
        EXPECT_EQ(hs.on_written().next, step::read);
        act = hs.on_frame(to_frame(with_token(protocol_version::v4, opcode::auth_challenge, "again")));
        ++rounds;
    }
    EXPECT_EQ(act.next, step::failed);
    EXPECT_EQ(rounds, cql::detail::max_auth_challenges + 1);
    EXPECT_THAT(hs.message(), HasSubstr("AUTH_CHALLENGE rounds"));
}

TEST(HandshakeAuth, AnExplicitPlainAuthenticatorWritesWhatUsernameAndPasswordWrite) {
    handshake_settings by_fields;
    by_fields.username = "user";
    by_fields.password = "secret";
    handshake_settings by_object;
    by_object.make_authenticator = cql::plain_authentication("user", "secret");
    handshake a(by_fields), b(by_object);
    const auto act_a = to_first_response(a, protocol_version::v4);
    const bytes sent_a(act_a.bytes.begin(), act_a.bytes.end());
    const auto act_b = to_first_response(b, protocol_version::v4);
    EXPECT_EQ(to_hex(act_b.bytes), to_hex(sent_a));
    EXPECT_EQ(to_hex(sent_a), "040000000f00000010" "0000000c" "00" "75736572" "00" "736563726574");

    cql::plain_authenticator plain("u", "p");
    EXPECT_EQ(plain.initial_response("x"), text(std::string_view("\0u\0p", 4)));
    EXPECT_FALSE(plain.evaluate_challenge(text("challenge")).has_value()) << "PLAIN has one step";
}
