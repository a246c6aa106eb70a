// One byte stream to a node: plain TCP or TLS over TCP, behind the same awaitable read/write calls,
// and the OpenSSL client context built from tls_options.
#pragma once

#include <asio.hpp>
#include <asio/ssl.hpp>

#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <variant>

#include "cql/config.hpp"

namespace cql::detail {

// Builds the client TLS context: CA (file or PEM text, else the system store), optional client
// certificate and key, peer verification unless disabled. Errors name the file or item that failed.
std::shared_ptr<asio::ssl::context> make_tls_context(const tls_options& opts, std::error_code& ec, std::string& what);

class transport {
public:
    using tcp = asio::ip::tcp;
    using tls_stream = asio::ssl::stream<tcp::socket>;

    transport(const asio::any_io_executor& ex, std::shared_ptr<asio::ssl::context> tls);

    // Connects to endpoint and, with TLS, performs the handshake verifying host_for_verification.
    // On a TLS failure, tls_failure() says which check failed.
    asio::awaitable<std::error_code> connect(tcp::endpoint endpoint, std::string host_for_verification,
                                             bool verify_host_name);

    asio::awaitable<std::size_t> read_some(asio::mutable_buffer buf, std::error_code& ec);
    asio::awaitable<std::size_t> write_all(asio::const_buffer buf, std::error_code& ec);
    void close() noexcept;
    bool is_open() const noexcept;
    const std::string& tls_failure() const noexcept { return tls_failure_; }

private:
    tcp::socket& lowest_layer() noexcept;

    std::shared_ptr<asio::ssl::context> tls_ctx_;
    std::variant<tcp::socket, tls_stream> stream_;
    std::string tls_failure_;
};

}  // namespace cql::detail
