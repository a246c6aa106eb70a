// The execution state machine by script: feed answers, errors and timer expiries, expect the exact
// actions (send, re-prepare, wait, replan, finish). Every failure class is injected at each step:
// retries, host rotation, the one re-prepare, speculative execution, deadline, cancellation.
#include "cql/detail/execute_op.hpp"
#include "cql/error.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using cql::client_errc;
using cql::server_errc;
using cql::detail::answer_kind;
using cql::detail::execute_action;
using cql::detail::execute_op;
using cql::detail::execute_settings;
using cql::detail::finish_cause;
using cql::detail::timer_slot;

std::string name(std::error_code ec) {
    if (!ec) return "ok";
    if (ec == std::errc::operation_canceled) return "cancelled";
    static const std::pair<std::error_code, const char*> known[] = {
        {client_errc::request_timeout, "request_timeout"},   {client_errc::connection_closed, "connection_closed"},
        {client_errc::no_host_available, "no_host"},         {client_errc::too_many_requests, "too_many_requests"},
        {client_errc::protocol_violation, "protocol_violation"}, {client_errc::request_too_large, "request_too_large"},
        {server_errc::overloaded, "overloaded"},             {server_errc::unavailable, "unavailable"},
        {server_errc::read_timeout, "read_timeout"},         {server_errc::write_timeout, "write_timeout"},
        {server_errc::unprepared, "unprepared"},             {server_errc::syntax_error, "syntax_error"},
        {server_errc::invalid, "invalid"},
    };
    for (const auto& [code, n] : known)
        if (ec == code) return n;
    return ec.message();
}

const char* slot_name(timer_slot s) {
    switch (s) {
    case timer_slot::deadline: return "deadline";
    case timer_slot::backoff: return "backoff";
    case timer_slot::speculative: return "speculative";
    case timer_slot::connection: return "connection";
    }
    return "?";
}

// The actions queued so far, one line each.
std::vector<std::string> drain(execute_op& op) {
    std::vector<std::string> out;
    while (auto a = op.next()) {
        using k = execute_action::kind;
        switch (a.what) {
        case k::send:
            out.push_back("send a" + std::to_string(a.attempt) + " h" + std::to_string(a.host) + (a.retry ? " retry" : "") +
                          (a.speculative ? " spec" : ""));
            break;
        case k::reprepare: out.push_back("reprepare a" + std::to_string(a.attempt) + " h" + std::to_string(a.host)); break;
        case k::wait:
            out.push_back(std::string("wait ") + slot_name(a.slot) + " " + std::to_string(a.delay.count()) + "ms t" +
                          std::to_string(a.timer));
            break;
        case k::replan: out.push_back("replan"); break;
        case k::finish: out.push_back("finish " + name(a.ec) + " a" + std::to_string(a.attempt)); break;
        case k::none: break;
        }
    }
    return out;
}

using lines = std::vector<std::string>;

execute_settings idempotent(int attempts = 3) {
    execute_settings s;
    s.idempotent = true;
    s.max_attempts = attempts;
    s.timeout = 1000ms;
    s.connection_wait = 500ms;
    return s;
}

execute_settings not_idempotent() {
    execute_settings s;
    s.max_attempts = 3;  // ignored: never retried
    s.timeout = 1000ms;
    s.connection_wait = 500ms;
    return s;
}

cql::diagnostics write_timeout(const char* type) {
    cql::diagnostics d;
    cql::protocol::error_response e;
    e.code = server_errc::write_timeout;
    cql::protocol::write_timeout_info wt;
    wt.write_type = type;
    e.details = wt;
    d.server_error = e;
    return d;
}

TEST(ExecuteOp, FirstAnswerFinishes) {
    execute_op op;
    op.start(3, idempotent());
    EXPECT_EQ(drain(op), (lines{"wait deadline 1000ms t1", "send a1 h0"}));
    op.on_response(1, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a1"}));
    EXPECT_TRUE(op.done());
    op.on_timer(1);  // the deadline's expiry after the end changes nothing
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, EmptyPlanFailsAtOnce) {
    execute_op op;
    op.start(0, idempotent());
    EXPECT_EQ(drain(op), (lines{"wait deadline 1000ms t1", "finish no_host a0"}));
}

TEST(ExecuteOp, TransportErrorGoesToTheNextHostAtOnce) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.on_transport_error(1, client_errc::connection_closed);
    EXPECT_EQ(drain(op), (lines{"send a2 h1 retry"}));
    op.on_transport_error(2, make_error_code(client_errc::connection_closed));
    EXPECT_EQ(drain(op), (lines{"send a3 h2 retry"}));
    op.on_transport_error(3, make_error_code(client_errc::connection_closed));
    EXPECT_EQ(drain(op), (lines{"finish connection_closed a0"}));  // three attempts spent
}

TEST(ExecuteOp, NotIdempotentIsNeverRetried) {
    for (auto ec : {make_error_code(client_errc::connection_closed), make_error_code(server_errc::overloaded),
                    make_error_code(server_errc::unavailable)}) {
        execute_op op;
        op.start(3, not_idempotent());
        drain(op);
        if (ec.category() == cql::client_category()) op.on_transport_error(1, ec);
        else op.on_response(1, answer_kind::error, ec);
        EXPECT_EQ(drain(op), (lines{"finish " + name(ec) + " a0"})) << name(ec);
    }
}

TEST(ExecuteOp, BusyNodesAreLeftAfterABackoff) {
    for (auto code : {server_errc::overloaded, server_errc::unavailable}) {
        execute_op op;
        op.start(2, idempotent());
        drain(op);
        op.on_response(1, answer_kind::error, code);
        EXPECT_EQ(drain(op), (lines{"wait backoff 40ms t2"}));
        op.on_timer(2);
        EXPECT_EQ(drain(op), (lines{"send a2 h1 retry"}));
        op.on_response(2, answer_kind::error, code);
        EXPECT_EQ(drain(op), (lines{"wait backoff 80ms t3"}));
        op.on_timer(3);
        EXPECT_EQ(drain(op), (lines{"send a3 h0 retry"}));  // round the plan again
        op.on_response(3, answer_kind::result);
        EXPECT_EQ(drain(op), (lines{"finish ok a3"}));
    }
}

TEST(ExecuteOp, WriteTimeoutIsRetriedOnlyForSafeWriteTypes) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::write_timeout, write_timeout("SIMPLE"));
    EXPECT_EQ(drain(op), (lines{"wait backoff 40ms t2"}));
    op.on_timer(2);
    drain(op);
    op.on_response(2, answer_kind::error, server_errc::write_timeout, write_timeout("CAS"));
    EXPECT_EQ(drain(op), (lines{"finish write_timeout a0"}));
}

TEST(ExecuteOp, StatementErrorsAreFinal) {
    for (auto code : {server_errc::syntax_error, server_errc::invalid, server_errc::read_timeout}) {
        execute_op op;
        op.start(3, idempotent());
        drain(op);
        op.on_response(1, answer_kind::error, code);
        EXPECT_EQ(drain(op), (lines{"finish " + name(make_error_code(code)) + " a0"}));
    }
}

TEST(ExecuteOp, UndecodableAnswerMovesOnWithoutAskingThePolicy) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.on_response(1, answer_kind::undecodable, client_errc::protocol_violation);
    EXPECT_EQ(drain(op), (lines{"send a2 h1 retry"}));
    op.on_response(2, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a2"}));

    execute_op once;
    once.start(3, not_idempotent());
    drain(once);
    once.on_response(1, answer_kind::undecodable, client_errc::protocol_violation);
    EXPECT_EQ(drain(once), (lines{"finish protocol_violation a0"}));
}

TEST(ExecuteOp, UnpreparedIsPreparedAgainOnceOnTheSameNode) {
    auto s = not_idempotent();
    s.can_reprepare = true;
    execute_op op;
    op.start(3, s);
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::unprepared);
    EXPECT_EQ(drain(op), (lines{"reprepare a1 h0"}));
    op.on_reprepared({});
    EXPECT_EQ(drain(op), (lines{"send a2 h0"}));  // not a retry: no attempt spent
    op.on_response(2, answer_kind::error, server_errc::unprepared);
    EXPECT_EQ(drain(op), (lines{"finish unprepared a0"}));  // once only
}

TEST(ExecuteOp, FailedReprepareFinishes) {
    auto s = idempotent();
    s.can_reprepare = true;
    execute_op op;
    op.start(3, s);
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::unprepared);
    drain(op);
    op.on_reprepared(client_errc::connection_closed);
    EXPECT_EQ(drain(op), (lines{"finish connection_closed a0"}));
}

TEST(ExecuteOp, UnpreparedOfASimpleStatementIsAnError) {
    execute_op op;
    op.start(3, idempotent());  // can_reprepare false: a QUERY, not an EXECUTE
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::unprepared);
    EXPECT_EQ(drain(op), (lines{"finish unprepared a0"}));
}

TEST(ExecuteOp, NodesWithoutConnectionAreSkippedThenWaitedFor) {
    execute_op op;
    op.start(2, idempotent());
    drain(op);
    op.on_no_connection(1);
    EXPECT_EQ(drain(op), (lines{"send a2 h1"}));  // not counted, not a retry
    op.on_no_connection(2);
    EXPECT_EQ(drain(op), (lines{"wait connection 500ms t2"}));
    op.on_woken(2);  // a connection opened (or failed) somewhere
    EXPECT_EQ(drain(op), (lines{"replan"}));
    op.on_replanned(1);
    EXPECT_EQ(drain(op), (lines{"send a3 h0"}));
    op.on_response(3, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a3"}));
    EXPECT_EQ(op.sent(), 1);
}

TEST(ExecuteOp, NoConnectionUntilTheDeadlineIsNoHost) {
    execute_op op;
    op.start(1, idempotent());
    drain(op);
    op.on_no_connection(1);
    EXPECT_EQ(drain(op), (lines{"wait connection 500ms t2"}));
    op.on_timer(1);
    EXPECT_EQ(drain(op), (lines{"finish no_host a0"}));
    op.on_timer(2);
    op.on_woken(2);
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, NoConnectionWithinTheWaitIsNoHostOrTheLastError) {
    execute_op op;
    op.start(1, idempotent());
    drain(op);
    op.on_no_connection(1);
    drain(op);
    op.on_timer(2);  // expired, not woken
    EXPECT_EQ(drain(op), (lines{"finish no_host a0"}));

    execute_op retried;
    retried.start(1, idempotent());
    drain(retried);
    retried.on_transport_error(1, client_errc::connection_closed);
    EXPECT_EQ(drain(retried), (lines{"send a2 h0 retry"}));
    retried.on_no_connection(2);
    EXPECT_EQ(drain(retried), (lines{"wait connection 500ms t2"}));
    retried.on_woken(1);  // not the connection timer's id: ignored
    EXPECT_TRUE(drain(retried).empty());
    retried.on_timer(2);
    EXPECT_EQ(drain(retried), (lines{"finish connection_closed a0"}));
}

TEST(ExecuteOp, ReplanToNothingIsNoHost) {
    execute_op op;
    op.start(1, idempotent());
    drain(op);
    op.on_no_connection(1);
    drain(op);
    op.on_woken(2);
    EXPECT_EQ(drain(op), (lines{"replan"}));
    op.on_replanned(0);
    EXPECT_EQ(drain(op), (lines{"finish no_host a0"}));
}

TEST(ExecuteOp, FullQueuesEverywhereFailAtOnce) {
    execute_op op;
    op.start(2, idempotent());
    drain(op);
    op.on_no_connection(1, true);
    EXPECT_EQ(drain(op), (lines{"send a2 h1"}));
    op.on_no_connection(2, true);
    EXPECT_EQ(drain(op), (lines{"finish too_many_requests a0"}));
}

TEST(ExecuteOp, DeadlineEndsAnAttemptInFlightAndIgnoresItsLateAnswer) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.on_timer(1);
    EXPECT_EQ(drain(op), (lines{"finish request_timeout a0"}));
    op.on_response(1, answer_kind::result);
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, DeadlineDuringBackoffAndDuringReprepare) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::overloaded);
    drain(op);
    op.on_timer(1);
    EXPECT_EQ(drain(op), (lines{"finish request_timeout a0"}));
    op.on_timer(2);  // the backoff's expiry comes too late
    EXPECT_TRUE(drain(op).empty());

    auto s = idempotent();
    s.can_reprepare = true;
    execute_op rp;
    rp.start(3, s);
    drain(rp);
    rp.on_response(1, answer_kind::error, server_errc::unprepared);
    drain(rp);
    rp.on_timer(1);
    EXPECT_EQ(drain(rp), (lines{"finish request_timeout a0"}));
    rp.on_reprepared({});
    EXPECT_TRUE(drain(rp).empty());
}

TEST(ExecuteOp, CancelAtEachStep) {
    auto s = idempotent();
    s.can_reprepare = true;
    // In flight.
    execute_op a;
    a.start(3, s);
    drain(a);
    a.cancel();
    EXPECT_EQ(drain(a), (lines{"finish cancelled a0"}));
    a.on_response(1, answer_kind::result);
    a.cancel();
    EXPECT_TRUE(drain(a).empty());
    // In a backoff.
    execute_op b;
    b.start(3, s);
    drain(b);
    b.on_response(1, answer_kind::error, server_errc::overloaded);
    drain(b);
    b.cancel();
    EXPECT_EQ(drain(b), (lines{"finish cancelled a0"}));
    b.on_timer(2);
    EXPECT_TRUE(drain(b).empty());
    // Re-preparing.
    execute_op c;
    c.start(3, s);
    drain(c);
    c.on_response(1, answer_kind::error, server_errc::unprepared);
    drain(c);
    c.cancel();
    EXPECT_EQ(drain(c), (lines{"finish cancelled a0"}));
    c.on_reprepared({});
    EXPECT_TRUE(drain(c).empty());
    // Waiting for a connection.
    execute_op d;
    d.start(1, s);
    drain(d);
    d.on_no_connection(1);
    drain(d);
    d.cancel();
    EXPECT_EQ(drain(d), (lines{"finish cancelled a0"}));
    d.on_woken(2);
    d.on_replanned(1);
    EXPECT_TRUE(drain(d).empty());
}

execute_settings speculative(int max = 1) {
    auto s = idempotent();
    s.speculative_delay = 50ms;
    s.max_speculative = max;
    return s;
}

TEST(ExecuteOp, SpeculativeAttemptAfterTheDelayFirstAnswerWins) {
    execute_op op;
    op.start(3, speculative());
    EXPECT_EQ(drain(op), (lines{"wait deadline 1000ms t1", "send a1 h0", "wait speculative 50ms t2"}));
    op.on_timer(2);
    EXPECT_EQ(drain(op), (lines{"send a2 h1 spec"}));  // at most one: no further timer
    op.on_response(2, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a2"}));
    op.on_response(1, answer_kind::result);  // the loser's late answer
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, SpeculativeLoserAnswersFirstWithAnError) {
    execute_op op;
    op.start(3, speculative(2));
    drain(op);
    op.on_timer(2);
    EXPECT_EQ(drain(op), (lines{"send a2 h1 spec", "wait speculative 50ms t3"}));
    op.on_transport_error(1, client_errc::connection_closed);
    // The failed one retries on its next node, and the speculative delay starts again from there.
    EXPECT_EQ(drain(op), (lines{"send a3 h1 retry", "wait speculative 50ms t4"}));
    op.on_timer(3);  // re-armed: a stale expiry
    EXPECT_TRUE(drain(op).empty());
    op.on_timer(4);
    EXPECT_EQ(drain(op), (lines{"send a4 h2 spec"}));
    op.on_response(4, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a4"}));
    op.on_response(2, answer_kind::result);
    op.on_response(3, answer_kind::result);
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, FirstAnswerBeforeTheDelayLeavesNoSpeculation) {
    execute_op op;
    op.start(3, speculative());
    drain(op);
    op.on_response(1, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a1"}));
    op.on_timer(2);
    EXPECT_TRUE(drain(op).empty());
}

TEST(ExecuteOp, NoSpeculationForNonIdempotent) {
    auto s = speculative();
    s.idempotent = false;
    execute_op op;
    op.start(3, s);
    EXPECT_EQ(drain(op), (lines{"wait deadline 1000ms t1", "send a1 h0"}));
}

TEST(ExecuteOp, SpentAttemptsWaitForTheSpeculativeOne) {
    auto s = speculative();
    s.max_attempts = 1;
    execute_op op;
    op.start(3, s);
    drain(op);
    op.on_timer(2);
    drain(op);
    op.on_transport_error(1, client_errc::connection_closed);
    EXPECT_TRUE(drain(op).empty());  // no attempt left, but a2 is still out
    op.on_transport_error(2, client_errc::request_timeout);
    EXPECT_EQ(drain(op), (lines{"finish request_timeout a0"}));
}

TEST(ExecuteOp, SpeculativeAttemptWithoutConnectionIsDropped) {
    execute_op op;
    op.start(2, speculative());
    drain(op);
    op.on_timer(2);
    EXPECT_EQ(drain(op), (lines{"send a2 h1 spec"}));
    op.on_no_connection(2);
    EXPECT_TRUE(drain(op).empty());  // h0 has the first attempt: no wait, no second try there
    op.on_response(1, answer_kind::result);
    EXPECT_EQ(drain(op), (lines{"finish ok a1"}));
    EXPECT_EQ(op.sent(), 1);
}

TEST(ExecuteOp, FinalErrorOfOneAttemptEndsTheStatement) {
    execute_op op;
    op.start(3, speculative());
    drain(op);
    op.on_timer(2);
    drain(op);
    op.on_response(2, answer_kind::error, server_errc::invalid);
    EXPECT_EQ(drain(op), (lines{"finish invalid a0"}));
}

TEST(ExecuteOp, CustomPolicyDecides) {
    cql::retry_policy same = [](std::error_code, const cql::diagnostics&, bool) {
        cql::decision d;
        d.action = cql::retry_action::retry_same_host;
        return d;
    };
    auto s = idempotent(2);
    s.policy = &same;
    execute_op op;
    op.start(3, s);
    drain(op);
    op.on_response(1, answer_kind::error, server_errc::invalid);
    EXPECT_EQ(drain(op), (lines{"send a2 h0 retry"}));
    op.on_response(2, answer_kind::error, server_errc::invalid);
    EXPECT_EQ(drain(op), (lines{"finish invalid a0"}));
}

TEST(ExecuteOp, AbortFromTheDriver) {
    execute_op op;
    op.start(3, idempotent());
    drain(op);
    op.abort(client_errc::request_too_large);
    EXPECT_EQ(drain(op), (lines{"finish request_too_large a0"}));
}

}  // namespace
