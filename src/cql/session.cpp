// cql::session facade and the parts of session_impl that are neither metadata, pools nor execution.
#include "cql/session.hpp"

#include "cql/detail/session_impl.hpp"

namespace cql {

namespace detail {

session_impl::session_impl(asio::any_io_executor ex, session_config cfg)
    : strand_(asio::make_strand(ex)), cfg_(std::move(cfg)) {}

void session_impl::connect(done_callback cb) {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, cb = std::move(cb)]() mutable {
        asio::co_spawn(self->strand_, [self, cb = std::move(cb)]() mutable -> asio::awaitable<void> {
            if (self->cfg_.tls.enabled && !self->tls_) {
                std::error_code ec;
                std::string what;
                self->tls_ = make_tls_context(self->cfg_.tls, ec, what);
                if (ec) {
                    self->last_error_.message = what;
                    cb(ec);
                    co_return;
                }
            }
            auto ec = co_await self->do_connect();
            cb(ec);
        }, asio::detached);
    });
}

void session_impl::close() {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self]() {
        if (self->closed_) return;
        self->closed_ = true;
        if (self->control_) self->control_->close(make_error_code(client_errc::connection_closed));
        for (auto& h : self->hosts_) {
            if (h->reconnect_timer) h->reconnect_timer->cancel();
            for (auto& c : h->pool) c->close(make_error_code(client_errc::connection_closed));
        }
        self->wake_connection_waiters();
    });
}

std::vector<host_info> session_impl::snapshot() const {
    std::vector<host_info> out;
    for (const auto& h : hosts_) {
        if (h->removed) continue;
        host_info info{h->label, h->datacenter, h->rack, h->release_version, h->up, h->open_connections(), h->requests_sent};
        if (auto c = h->least_busy()) {
            info.compression = c->compression();
            info.protocol_version = static_cast<int>(c->version());
        }
        out.push_back(std::move(info));
    }
    return out;
}

std::vector<std::string> session_impl::replica_labels(const std::string& keyspace, std::int64_t token) {
    std::vector<std::string> out;
    if (const auto* rm = replicas_for(keyspace))
        for (auto id : rm->replicas(token))
            if (id < hosts_.size()) out.push_back(hosts_[id]->label);
    return out;
}

}  // namespace detail

session::session(asio::any_io_executor ex, session_config config)
    : impl_(std::make_shared<detail::session_impl>(std::move(ex), std::move(config))) {}

session::~session() { impl_->close(); }

void session::close() { impl_->close(); }
asio::any_io_executor session::executor() const noexcept { return impl_->executor(); }
const session_config& session::config() const noexcept { return impl_->config(); }
diagnostics session::last_error() const { return impl_->last_error(); }
std::vector<host_info> session::hosts() const { return impl_->snapshot(); }
protocol::protocol_version session::protocol_version() const noexcept { return impl_->version(); }
metrics_snapshot session::metrics() const { return impl_->metrics(); }
std::vector<std::string> session::replicas(const std::string& keyspace, std::int64_t token) const {
    return impl_->replica_labels(keyspace, token);
}

void session::connect(done_handler cb) { impl_->connect(std::move(cb)); }
void session::execute(statement st, result_handler cb, asio::cancellation_slot slot) {
    impl_->execute(std::move(st), std::move(cb), slot);
}
void session::execute(bound_statement st, result_handler cb, asio::cancellation_slot slot) {
    impl_->execute(std::move(st), std::move(cb), slot);
}
void session::execute(std::shared_ptr<const bound_statement> st, result_handler cb, asio::cancellation_slot slot) {
    impl_->execute(std::move(st), std::move(cb), slot);
}
void session::execute(batch b, result_handler cb, asio::cancellation_slot slot) {
    impl_->execute(std::move(b), std::move(cb), slot);
}
void session::prepare(std::string query, prepared_handler cb) { impl_->prepare(std::move(query), std::move(cb)); }
void session::wait_schema_agreement(result_handler cb) { impl_->wait_schema_agreement(std::move(cb)); }

}  // namespace cql
