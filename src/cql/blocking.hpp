// A blocking convenience over cql::session for tools and scripts: it owns an io_context running
// on a background thread, and each call waits for its result.
#pragma once

#include <asio.hpp>

#include <future>
#include <string>
#include <thread>

#include "cql/session.hpp"

namespace cql {

class blocking_session {
public:
    explicit blocking_session(session_config config)
        : work_(asio::make_work_guard(io_)), session_(io_.get_executor(), std::move(config)), thread_([this] { io_.run(); }) {}
    ~blocking_session() {
        session_.close();
        work_.reset();
        io_.stop();
        thread_.join();
    }
    blocking_session(const blocking_session&) = delete;
    blocking_session& operator=(const blocking_session&) = delete;

    // On failure, last_error() says which hosts were tried and why.
    std::error_code connect() {
        std::promise<std::error_code> p;
        auto f = p.get_future();
        session_.connect([&p](std::error_code ec) { p.set_value(ec); });
        return f.get();
    }
    // Runs a statement (cql::statement, cql::bound_statement or cql::batch) and waits for its result.
    template <class Statement>
    result execute(Statement st, std::error_code& ec) {
        std::promise<std::pair<std::error_code, result>> p;
        auto f = p.get_future();
        session_.execute(std::move(st), [&p](std::error_code e, result r) { p.set_value({e, std::move(r)}); });
        auto [e, r] = f.get();
        ec = e;
        return std::move(r);
    }
    prepared_statement prepare(std::string query, std::error_code& ec) {
        std::promise<std::pair<std::error_code, prepared_statement>> p;
        auto f = p.get_future();
        session_.prepare(std::move(query), [&p](std::error_code e, prepared_statement s) { p.set_value({e, std::move(s)}); });
        auto [e, s] = f.get();
        ec = e;
        return std::move(s);
    }
    // Waits for the nodes to agree on the schema (see session::wait_schema_agreement); on
    // failure, `why` says which nodes differ.
    std::error_code wait_schema_agreement(std::string* why = nullptr) {
        std::promise<std::pair<std::error_code, result>> p;
        auto f = p.get_future();
        session_.wait_schema_agreement([&p](std::error_code e, result r) { p.set_value({e, std::move(r)}); });
        auto [e, r] = f.get();
        if (why) *why = r.diag.message;
        return e;
    }
    // A snapshot of the nodes, taken on the session's strand.
    std::vector<host_info> hosts() {
        return asio::post(session_.executor(), asio::use_future([this] { return session_.hosts(); })).get();
    }
    std::vector<std::string> replicas(const std::string& keyspace, std::int64_t token) {
        return asio::post(session_.executor(), asio::use_future([&] { return session_.replicas(keyspace, token); })).get();
    }
    // Any thread (see session::metrics()).
    metrics_snapshot metrics() const { return session_.metrics(); }
    diagnostics last_error() { return asio::post(session_.executor(), asio::use_future([this] { return session_.last_error(); })).get(); }
    session& async() noexcept { return session_; }

private:
    asio::io_context io_;
    asio::executor_work_guard<asio::io_context::executor_type> work_;
    session session_;
    std::thread thread_;
};

}  // namespace cql
