// TCP / TLS byte stream and client TLS context.
#include "cql/detail/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cql/error.hpp"

namespace cql::detail {
namespace {

std::string openssl_error_text() {
    unsigned long e = ERR_get_error();
    if (e == 0) return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

// The handshake ended because the stream did: a reset, an EOF, or a record cut short. Certificate
// and protocol failures (no shared cipher or version, an alert from the peer) come as SSL errors.
bool handshake_cut(std::error_code ec) {
    if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) return true;
    if (ec.category() == asio::error::get_system_category())
        return ec == asio::error::connection_reset || ec == asio::error::connection_aborted || ec == asio::error::broken_pipe ||
               ec == asio::error::not_connected || ec == asio::error::timed_out;
    // OpenSSL 3 reports an EOF in the middle of a record as an SSL error of its own.
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
    if (ec.category() == asio::error::get_ssl_category() && ERR_GET_REASON(static_cast<unsigned long>(ec.value())) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
        return true;
#endif
    return false;
}

}  // namespace

std::shared_ptr<asio::ssl::context> make_tls_context(const tls_options& opts, std::error_code& ec, std::string& what) {
    auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
    auto fail = [&](std::string item) {
        ec = make_error_code(client_errc::invalid_config);
        what = std::move(item) + ": " + openssl_error_text();
        return nullptr;
    };
    if (!opts.ca_pem.empty()) {
        ctx->add_certificate_authority(asio::buffer(opts.ca_pem), ec);
        if (ec) return fail("TLS CA certificate (PEM text)");
    } else if (!opts.ca_file.empty()) {
        ctx->load_verify_file(opts.ca_file, ec);
        if (ec) return fail("TLS CA file " + opts.ca_file);
    } else {
        ctx->set_default_verify_paths(ec);
        if (ec) return fail("system TLS trust store");
    }
    if (!opts.cert_pem.empty()) {
        ctx->use_certificate_chain(asio::buffer(opts.cert_pem), ec);
        if (ec) return fail("TLS client certificate (PEM text)");
    } else if (!opts.cert_file.empty()) {
        ctx->use_certificate_chain_file(opts.cert_file, ec);
        if (ec) return fail("TLS client certificate file " + opts.cert_file);
    }
    if (!opts.key_pem.empty()) {
        ctx->use_private_key(asio::buffer(opts.key_pem), asio::ssl::context::pem, ec);
        if (ec) return fail("TLS client key (PEM text)");
    } else if (!opts.key_file.empty()) {
        ctx->use_private_key_file(opts.key_file, asio::ssl::context::pem, ec);
        if (ec) return fail("TLS client key file " + opts.key_file);
    }
    ctx->set_verify_mode(opts.verify_certificate ? asio::ssl::verify_peer : asio::ssl::verify_none);
    return ctx;
}

transport::transport(const asio::any_io_executor& ex, std::shared_ptr<asio::ssl::context> tls)
    : tls_ctx_(std::move(tls)), stream_(std::in_place_type<tcp::socket>, ex) {
    if (tls_ctx_) stream_.emplace<tls_stream>(ex, *tls_ctx_);
}

transport::tcp::socket& transport::lowest_layer() noexcept {
    if (auto* s = std::get_if<tcp::socket>(&stream_)) return *s;
    return std::get<tls_stream>(stream_).next_layer();
}

asio::awaitable<std::error_code> transport::connect(tcp::endpoint endpoint, std::string host, bool verify_host_name) {
    std::error_code ec;
    co_await lowest_layer().async_connect(endpoint, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return ec;
    lowest_layer().set_option(tcp::no_delay(true), ec);
    auto* tls = std::get_if<tls_stream>(&stream_);
    if (!tls) co_return std::error_code{};
    SSL* ssl = tls->native_handle();
    // SNI only for names; certificates for addresses are checked against their IP SANs.
    std::error_code addr_ec;
    asio::ip::make_address(host, addr_ec);
    if (addr_ec) SSL_set_tlsext_host_name(ssl, host.c_str());
    if (verify_host_name) {
        X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
        X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
        if (!addr_ec) X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
        else X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    co_await tls->async_handshake(asio::ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
        long verify = SSL_get_verify_result(ssl);
        if (verify == X509_V_OK && handshake_cut(ec)) {
            // The peer reset or closed the connection before the handshake was done (a node
            // restarting, a proxy or load balancer dropping it): the network, not the configuration.
            tls_failure_ = "the connection was cut during the TLS handshake: " + ec.message();
            co_return make_error_code(client_errc::tls_handshake_interrupted);
        }
        if (verify != X509_V_OK) {
            tls_failure_ = std::string("certificate verification failed: ") + X509_verify_cert_error_string(verify);
            if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
                tls_failure_ += " (the certificate does not name " + host + ")";
        } else {
            tls_failure_ = "TLS handshake failed: " + ec.message();
        }
        co_return make_error_code(client_errc::tls_handshake_failed);
    }
    co_return std::error_code{};
}

asio::awaitable<std::size_t> transport::read_some(asio::mutable_buffer buf, std::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (auto* s = std::get_if<tcp::socket>(&stream_)) co_return co_await s->async_read_some(buf, token);
    co_return co_await std::get<tls_stream>(stream_).async_read_some(buf, token);
}

asio::awaitable<std::size_t> transport::write_all(asio::const_buffer buf, std::error_code& ec) {
    auto token = asio::redirect_error(asio::use_awaitable, ec);
    if (auto* s = std::get_if<tcp::socket>(&stream_)) co_return co_await asio::async_write(*s, buf, token);
    co_return co_await asio::async_write(std::get<tls_stream>(stream_), buf, token);
}

void transport::close() noexcept {
    std::error_code ignored;
    lowest_layer().shutdown(tcp::socket::shutdown_both, ignored);
    lowest_layer().close(ignored);
}

bool transport::is_open() const noexcept {
    return std::visit([](const auto& s) {
        if constexpr (std::is_same_v<std::decay_t<decltype(s)>, tcp::socket>) return s.is_open();
        else return s.next_layer().is_open();
    }, stream_);
}

}  // namespace cql::detail
