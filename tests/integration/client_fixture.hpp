// Shared set-up for client tests against the harness's node: a config from the environment, and a
// keyspace of the test's own, dropped at the end.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <string>

#include "cql/blocking.hpp"
#include "node_env.hpp"

namespace cql::test {

inline session_config env_config() {
    auto env = node_env::from_environment();
    session_config cfg;
    cfg.contact_points.clear();
    for (std::size_t at = 0; at <= env.hosts.size();) {
        auto comma = env.hosts.find(',', at);
        if (comma == std::string::npos) comma = env.hosts.size();
        cfg.contact_points.push_back(env.hosts.substr(at, comma - at));
        at = comma + 1;
    }
    cfg.default_port = env.port;
    cfg.username = env.user;
    cfg.password = env.password;
    cfg.request_timeout = std::chrono::milliseconds(20000);
    // The suite runs once per protocol version (meson: client in the default v5, client_v4).
    if (const char* v = std::getenv("CQL_TEST_PROTOCOL"); v && *v)
        cfg.max_protocol_version = static_cast<protocol_version>(std::atoi(v));
    return cfg;
}

// Runs a statement and fails the test with the server's message if it fails.
inline result run(blocking_session& db, statement st) {
    std::error_code ec;
    auto q = st.query;
    auto r = db.execute(std::move(st), ec);
    EXPECT_FALSE(ec) << q << ": " << ec.message() << ": " << r.diag.message;
    return r;
}

// A unique keyspace per test, created with RF given, dropped by the destructor.
class scratch_keyspace {
public:
    scratch_keyspace(blocking_session& db, std::string name, int rf = 1) : db_(db), name_(std::move(name)) {
        run(db_, statement("DROP KEYSPACE IF EXISTS " + name_));
        run(db_, statement("CREATE KEYSPACE " + name_ + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': " +
                           std::to_string(rf) + "}"));
    }
    ~scratch_keyspace() { run(db_, statement("DROP KEYSPACE IF EXISTS " + name_)); }
    const std::string& name() const { return name_; }

private:
    blocking_session& db_;
    std::string name_;
};

// Counts asynchronous completions so a test can keep a bounded window of statements in flight.
class inflight_window {
public:
    explicit inflight_window(std::size_t limit) : limit_(limit) {}
    void acquire() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return inflight_ < limit_; });
        ++inflight_;
    }
    void release(std::error_code ec) {
        std::lock_guard lock(m_);
        --inflight_;
        if (ec) {
            ++failed_;
            last_error_ = ec;
        } else {
            ++acked_;
        }
        cv_.notify_all();
    }
    void drain() {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return inflight_ == 0; });
    }
    std::size_t acked() const { return acked_; }
    std::size_t failed() const { return failed_; }
    std::error_code last_error() const { return last_error_; }

private:
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t limit_, inflight_ = 0, acked_ = 0, failed_ = 0;
    std::error_code last_error_;
};

}  // namespace cql::test
