// The harness's node answers OPTIONS with SUPPORTED, over plain TCP and over TLS verified against the
// node's exported certificate. Uses our frame codec on a blocking Asio socket.
#include <asio.hpp>
#include <asio/ssl.hpp>
#include <gtest/gtest.h>

#include <algorithm>

#include "node_env.hpp"
#include "protocol/frame.hpp"
#include "protocol/requests.hpp"
#include "protocol/responses.hpp"

using namespace cql::protocol;

namespace {

template <class Stream>
supported_response options_roundtrip(Stream& s) {
    std::vector<std::uint8_t> out;
    EXPECT_FALSE(encode_request(out, protocol_version::v4, 7, options_request{}));
    asio::write(s, asio::buffer(out));
    frame_reader reader;
    frame f;
    std::error_code ec;
    while (!reader.next(f, ec)) {
        if (ec) throw std::system_error(ec);
        auto buf = reader.prepare(4096);
        reader.commit(s.read_some(asio::buffer(buf.data(), buf.size())));
    }
    EXPECT_EQ(f.header.stream, 7);
    EXPECT_EQ(f.header.op, opcode::supported);
    response r;
    EXPECT_FALSE(decode_response(f, r));
    return std::get<supported_response>(r.body);
}

void expect_cassandra_options(const supported_response& s) {
    auto find = [&](std::string_view key) -> const std::vector<std::string>* {
        for (const auto& [k, v] : s.options)
            if (k == key) return &v;
        return nullptr;
    };
    const auto* cql_version = find("CQL_VERSION");
    ASSERT_NE(cql_version, nullptr);
    ASSERT_FALSE(cql_version->empty());
    EXPECT_EQ(cql_version->front().substr(0, 2), "3.");
    const auto* versions = find("PROTOCOL_VERSIONS");
    ASSERT_NE(versions, nullptr);
    EXPECT_NE(std::find(versions->begin(), versions->end(), "4/v4"), versions->end());
    EXPECT_NE(std::find(versions->begin(), versions->end(), "3/v3"), versions->end());
    const auto* compression = find("COMPRESSION");
    ASSERT_NE(compression, nullptr);
    EXPECT_NE(std::find(compression->begin(), compression->end(), "lz4"), compression->end());
}

}  // namespace

TEST(Options, PlainTcpGetsSupported) {
    auto env = cql::test::node_env::from_environment();
    asio::io_context io;
    asio::ip::tcp::socket sock(io);
    sock.connect({asio::ip::make_address(env.host), env.port});
    expect_cassandra_options(options_roundtrip(sock));
}

// A TLS connection to the node that trusts its exported certificate and verifies expected_name.
struct tls_client {
    // The context is complete before the stream is made from it: OpenSSL copies its settings then.
    static asio::ssl::context trusting(const std::string& ca_pem) {
        asio::ssl::context c(asio::ssl::context::tls_client);
        c.load_verify_file(ca_pem);
        c.set_verify_mode(asio::ssl::verify_peer);
        return c;
    }
    explicit tls_client(const std::string& expected_name) {
        tls.set_verify_callback(asio::ssl::host_name_verification(expected_name));
        tls.next_layer().connect({asio::ip::make_address(env.host), env.port});
        tls.handshake(asio::ssl::stream_base::client, handshake_error);
    }
    cql::test::node_env env = cql::test::node_env::from_environment();
    asio::io_context io;
    asio::ssl::context ctx = trusting(env.ca_pem);
    asio::ssl::stream<asio::ip::tcp::socket> tls{io, ctx};
    std::error_code handshake_error;
};

TEST(Options, TlsVerifiedAgainstTheNodeCertificateGetsSupported) {
    tls_client c(cql::test::node_env::from_environment().host);
    ASSERT_FALSE(c.handshake_error) << c.handshake_error.message();
    expect_cassandra_options(options_roundtrip(c.tls));
}

TEST(Options, TlsWithTheWrongHostNameIsRefused) {
    tls_client c("not-this-node.example");
    std::error_code ec = c.handshake_error;
    EXPECT_TRUE(ec) << "a certificate for 127.0.0.1/localhost must not verify as another name";
}
