// The client's one retry decision (cql::classify): the action after a failed attempt, the failure
// kind a caller reports, and whether a later attempt may succeed, for every class of error. And the
// sans-I/O queue of metadata refreshes that server events ask for.
#include "cql/detail/refresh_queue.hpp"
#include "cql/error.hpp"
#include "cql/retry_policy.hpp"

#include <asio.hpp>
#include <gtest/gtest.h>

#include <cerrno>

namespace {

using cql::classify;
using cql::client_errc;
using cql::diagnostics;
using cql::failure_kind;
using cql::retry_action;
using cql::server_errc;

diagnostics write_timeout(const char* write_type) {
    diagnostics d;
    cql::protocol::error_response e;
    e.code = server_errc::write_timeout;
    cql::protocol::write_timeout_info wt;
    wt.write_type = write_type;
    e.details = wt;
    d.server_error = e;
    return d;
}

struct row {
    std::error_code ec;
    retry_action idempotent_action;
    bool backoff;
    failure_kind kind;
    bool retry_later;
};

TEST(RetryDecision, TableOfTheDefaultRules) {
    using enum retry_action;
    const failure_kind config = failure_kind::config, transient = failure_kind::transient, system = failure_kind::system;
    const row rows[] = {
        // A broken connection: the next node at once.
        {client_errc::connection_closed, next_host, false, transient, true},
        {client_errc::request_timeout, next_host, false, transient, true},
        {client_errc::too_many_orphans, next_host, false, transient, true},
        {client_errc::unknown_stream, next_host, false, system, false},
        {client_errc::protocol_violation, next_host, false, system, true},
        {asio::error::connection_reset, next_host, false, transient, true},  // Asio's own "asio.system"
        {asio::error::broken_pipe, next_host, false, transient, true},
        {asio::error::access_denied, next_host, false, system, false},
        // errno values in the standard categories: the same kinds (the client itself reports Asio's).
        {std::error_code(ECONNREFUSED, std::system_category()), fail, false, transient, true},
        {std::error_code(ENETUNREACH, std::generic_category()), fail, false, transient, true},
        {std::error_code(EACCES, std::system_category()), fail, false, system, false},
        {asio::error::eof, next_host, false, system, false},
        // The node is busy or short of replicas: the next node after a pause.
        {server_errc::overloaded, next_host, true, transient, true},
        {server_errc::is_bootstrapping, next_host, true, transient, true},
        {server_errc::unavailable, next_host, true, transient, true},
        // Transient, but not retried inside the client (a caller's retry window may).
        {server_errc::read_timeout, fail, false, transient, true},
        {server_errc::write_failure, fail, false, transient, true},
        {server_errc::truncate_error, fail, false, transient, true},
        {client_errc::no_host_available, fail, false, transient, true},
        {client_errc::connect_timeout, fail, false, transient, true},
        {client_errc::schema_agreement_timeout, fail, false, transient, true},
        {client_errc::tls_handshake_interrupted, fail, false, transient, true},
        {asio::error::host_not_found_try_again, fail, false, transient, true},
        // The configuration.
        {client_errc::authentication_failed, fail, false, config, false},
        {client_errc::tls_handshake_failed, fail, false, config, false},
        {client_errc::invalid_config, fail, false, config, false},
        {server_errc::bad_credentials, fail, false, config, false},
        {server_errc::unauthorized, fail, false, config, false},
        {server_errc::config_error, fail, false, config, false},
        {asio::error::host_not_found, fail, false, config, false},
        {asio::error::service_not_found, fail, false, config, false},
        // Anything else; a response that did not decode may go through on another connection.
        {server_errc::syntax_error, fail, false, system, false},
        {server_errc::invalid, fail, false, system, false},
        {server_errc::unprepared, fail, false, system, false},
        {client_errc::prepared_statement_missing, fail, false, system, false},
        {make_error_code(cql::protocol::errc::truncated), fail, false, system, true},
    };
    for (const auto& r : rows) {
        SCOPED_TRACE(r.ec.category().name() + std::string(" ") + r.ec.message());
        const auto d = classify(r.ec, {}, true);
        EXPECT_EQ(d.action, r.idempotent_action);
        EXPECT_EQ(d.backoff, r.backoff);
        EXPECT_EQ(d.kind, r.kind);
        EXPECT_EQ(d.retry_later, r.retry_later);
        // A statement that may not run twice is never sent again; its kind does not change.
        const auto once = classify(r.ec, {}, false);
        EXPECT_EQ(once.action, retry_action::fail);
        EXPECT_EQ(once.kind, r.kind);
        EXPECT_EQ(once.retry_later, r.retry_later);
    }
}

TEST(RetryDecision, WriteTimeoutIsRetriedOnlyForWritesThatAreSafeToReplay) {
    for (const char* safe : {"SIMPLE", "BATCH_LOG"}) {
        const auto d = classify(server_errc::write_timeout, write_timeout(safe), true);
        EXPECT_EQ(d.action, retry_action::next_host) << safe;
        EXPECT_TRUE(d.backoff) << safe;
    }
    for (const char* unsafe : {"CAS", "COUNTER", "UNLOGGED_BATCH", "BATCH", "VIEW", "SOMETHING_NEW"}) {
        const auto d = classify(server_errc::write_timeout, write_timeout(unsafe), true);
        EXPECT_EQ(d.action, retry_action::fail) << unsafe;
        EXPECT_EQ(d.kind, failure_kind::transient) << unsafe;
        EXPECT_TRUE(d.retry_later) << unsafe;  // the connector's writes are idempotent: its window retries
    }
    // Without the details (the kind of write is unknown): not retried inside the client.
    EXPECT_EQ(classify(server_errc::write_timeout, {}, true).action, retry_action::fail);
}

TEST(RetryDecision, TlsFailuresAreConfigOnlyWhenTheHandshakeRanToItsEnd) {
    EXPECT_EQ(classify(client_errc::tls_handshake_failed, {}, true).kind, failure_kind::config);
    EXPECT_EQ(classify(client_errc::tls_handshake_interrupted, {}, true).kind, failure_kind::transient);
}

TEST(RetryDecision, AReadFailureIsTransientOnlyWhenAReplicaLacksTheSchema) {
    // As Cassandra 5.0.9 words it when a node that was down has not pulled a table created meanwhile.
    diagnostics d;
    d.message = "Operation failed - received 1 responses and 1 failures: INCOMPATIBLE_SCHEMA from /127.0.0.3:7000";
    auto r = classify(make_error_code(server_errc::read_failure), d, true);
    EXPECT_EQ(r.kind, failure_kind::transient);
    EXPECT_TRUE(r.retry_later);
    d.message = "Operation failed - received 0 responses and 1 failures: READ_TOO_MANY_TOMBSTONES from /127.0.0.2:7000";
    r = classify(make_error_code(server_errc::read_failure), d, true);
    EXPECT_NE(r.kind, failure_kind::transient);
    EXPECT_FALSE(r.retry_later);
}

TEST(RetryDecision, KindNames) {
    EXPECT_STREQ(cql::failure_kind_name(failure_kind::config), "config");
    EXPECT_STREQ(cql::failure_kind_name(failure_kind::transient), "transient");
    EXPECT_STREQ(cql::failure_kind_name(failure_kind::system), "system");
}

using cql::detail::refresh_queue;

TEST(RefreshQueue, AnEventDuringARefreshRunsItsRefreshAfterwards) {
    refresh_queue q;
    EXPECT_TRUE(q.request(refresh_queue::kind::keyspaces));  // start a runner
    EXPECT_EQ(q.next(), refresh_queue::kind::keyspaces);      // the runner reads the keyspaces...
    // ...while a SCHEMA_CHANGE and a TOPOLOGY_CHANGE arrive: no second runner, nothing dropped.
    EXPECT_FALSE(q.request(refresh_queue::kind::keyspaces));
    EXPECT_FALSE(q.request(refresh_queue::kind::topology));
    EXPECT_TRUE(q.running());
    EXPECT_EQ(q.next(), refresh_queue::kind::topology);  // topology first: replicas depend on it
    EXPECT_EQ(q.next(), refresh_queue::kind::keyspaces);
    EXPECT_EQ(q.next(), std::nullopt);
    EXPECT_FALSE(q.running());
    // The next event starts a new runner.
    EXPECT_TRUE(q.request(refresh_queue::kind::topology));
}

TEST(RefreshQueue, RequestsMadeDuringOneRefreshCoalesce) {
    refresh_queue q;
    EXPECT_TRUE(q.request(refresh_queue::kind::topology));
    EXPECT_EQ(q.next(), refresh_queue::kind::topology);
    for (int i = 0; i < 5; ++i) EXPECT_FALSE(q.request(refresh_queue::kind::topology));
    EXPECT_EQ(q.next(), refresh_queue::kind::topology);  // once: it reads everything the five announced
    EXPECT_EQ(q.next(), std::nullopt);
}

TEST(RefreshQueue, AnEventDuringTheLastStepIsNotLost) {
    refresh_queue q;
    EXPECT_TRUE(q.request(refresh_queue::kind::topology));
    EXPECT_EQ(q.next(), refresh_queue::kind::topology);
    EXPECT_FALSE(q.request(refresh_queue::kind::topology));  // arrives before the runner asks again
    EXPECT_EQ(q.next(), refresh_queue::kind::topology);
    EXPECT_EQ(q.next(), std::nullopt);
}

}  // namespace
