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

TEST(Options, TlsVerifiedAgainstTheNodeCertificateGetsSupported) {
    auto env = cql::test::node_env::from_environment();
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(env.ca_pem);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> tls(io, ctx);
    tls.set_verify_callback(asio::ssl::host_name_verification(env.host));
    tls.next_layer().connect({asio::ip::make_address(env.host), env.port});
    tls.handshake(asio::ssl::stream_base::client);
    expect_cassandra_options(options_roundtrip(tls));
}

TEST(Options, TlsWithTheWrongHostNameIsRefused) {
    auto env = cql::test::node_env::from_environment();
    asio::io_context io;
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.load_verify_file(env.ca_pem);
    ctx.set_verify_mode(asio::ssl::verify_peer);
    asio::ssl::stream<asio::ip::tcp::socket> tls(io, ctx);
    tls.set_verify_callback(asio::ssl::host_name_verification("not-this-node.example"));
    tls.next_layer().connect({asio::ip::make_address(env.host), env.port});
    std::error_code ec;
    tls.handshake(asio::ssl::stream_base::client, ec);
    EXPECT_TRUE(ec) << "a certificate for 127.0.0.1/localhost must not verify as another name";
}
