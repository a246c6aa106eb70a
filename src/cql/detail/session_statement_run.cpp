// The driver of one statement (session_impl::statement_run, see statement_run.hpp): it carries out
// what execute_op decides (sends, re-prepares, timers, plans) and completes the caller; the queue of
// completions handled per read. The pool that recycles the runs is in session_run_pool.cpp.
#include <algorithm>

#include "cql/detail/statement_run.hpp"
#include "protocol/requests.hpp"

namespace cql::detail {

namespace {

// v5 rows of an EXECUTE: a new shape replaces the statement's; rows sent without metadata take the
// columns of the shape their EXECUTE named.
void adopt_result_shape(const prepared_info& info, const std::shared_ptr<const prepared_info::result_shape>& sent,
                        protocol::rows_result& rows) {
    if (rows.metadata.new_metadata_id) {
        info.result = shape_of(*rows.metadata.new_metadata_id, rows.metadata);
    } else if (rows.metadata.no_metadata && sent &&
               static_cast<std::size_t>(rows.metadata.column_count) == sent->metadata.columns.size()) {
        rows.metadata.columns = sent->metadata.columns;
        rows.metadata.no_metadata = false;
    }
}

}  // namespace

// At most 4096 attempt blocks are kept per thread: as many as stream ids in flight, roughly.
void* session_impl::statement_run::attempt_request::operator new(std::size_t n) {
    return block_cache<sizeof(attempt_request), 4096>::allocate(n);
}
void session_impl::statement_run::attempt_request::operator delete(void* p, std::size_t n) noexcept {
    block_cache<sizeof(attempt_request), 4096>::deallocate(p, n);
}

void session_impl::statement_run::attempt_request::complete(std::error_code ec, protocol::frame&& response) {
    auto& run = *run_;
    run.forget(this);
    // The frame went out (the write queue kept its capacity): the run's next attempt encodes into it.
    if (run.spare_frame.capacity() == 0 && frame.capacity() <= keep_buffer_bytes) {
        frame.clear();
        run.spare_frame = std::move(frame);
    }
    auto& s = *run.session;
    s.queue_completion(std::move(run_), id_, ec, std::move(response));
}

void session_impl::queue_completion(std::shared_ptr<statement_run> run, std::uint32_t id, std::error_code ec, protocol::frame&& f) {
    completed_.push_back(completed_attempt{std::move(run), id, ec, std::move(f)});
    if (reading_ > 0 || drain_posted_) return;  // the end of the read, or the drain posted, handles it
    drain_posted_ = true;
    // The queue's runs hold the session: if the io_context is destroyed before the drain runs, the
    // guard empties the queue (as destroying a posted handler per completion used to), or the
    // session and its runs would keep each other alive.
    struct drain_guard {
        std::shared_ptr<session_impl> s;
        explicit drain_guard(std::shared_ptr<session_impl> p) noexcept : s(std::move(p)) {}
        drain_guard(drain_guard&& o) noexcept : s(std::move(o.s)) {}
        drain_guard(const drain_guard&) = delete;
        ~drain_guard() {
            if (!s) return;
            s->drain_posted_ = false;
            auto dropped = std::move(s->completed_);
            s->completed_.clear();
        }
    };
    asio::post(strand_, [g = drain_guard(shared_from_this())]() mutable {
        auto self = std::move(g.s);  // ran: the guard has nothing left to do
        self->drain_posted_ = false;
        self->drain_completions();
    });
}

void session_impl::drain_completions() {
    if (draining_now_) return;  // the loop below takes what a completion queues meanwhile
    draining_now_ = true;
    while (!completed_.empty()) {
        draining_.swap(completed_);
        for (auto& c : draining_) {
            c.run->on_answer(c.id, c.ec, std::move(c.response));
            c.run.reset();  // a finished run goes back to the pool now, for the next statement
        }
        draining_.clear();
    }
    draining_now_ = false;
}

void session_impl::statement_run::begin() {
    if (finished) return;  // cancelled before it started
    auto& s = *session;
    if (!s.connected_ || s.closed_) {
        diag.message = s.closed_ ? "the session is closed" : "the session is not connected";
        return complete(make_error_code(s.closed_ ? client_errc::connection_closed : client_errc::no_host_available), {});
    }
    ++s.counters_.requests;
    s.query_plan(token, keyspace, plan);
    execute_settings es;
    es.idempotent = options().idempotent;
    es.max_attempts = s.cfg_.max_attempts;
    es.can_reprepare = is_bound || is_batch;
    // A statement's own timeout bounds all of it; else request_timeout bounds each attempt (at the
    // connection) and a wait for a connection.
    es.timeout = options().timeout.value_or(std::chrono::milliseconds(0));
    es.connection_wait = s.cfg_.request_timeout;
    if (s.cfg_.speculative_execution.enabled) {
        es.speculative_delay = std::max(s.cfg_.speculative_execution.delay, std::chrono::milliseconds(1));
        es.max_speculative = s.cfg_.speculative_execution.max_executions;
    }
    es.policy = &s.cfg_.retry;
    op.start(plan.size(), es);
    pump();
}

void session_impl::statement_run::cancel() {
    if (finished) return;
    op.cancel();
    pump();
}

void session_impl::statement_run::pump(protocol::response* answer, const std::shared_ptr<connection>* from) {
    while (auto a = op.next()) {
        switch (a.what) {
        case execute_action::kind::send: send(a); break;
        case execute_action::kind::reprepare: reprepare(a); break;
        case execute_action::kind::wait: arm(a); break;
        case execute_action::kind::replan:
            session->query_plan(token, keyspace, plan);
            op.on_replanned(plan.size());
            break;
        case execute_action::kind::finish: return finish(a, answer, from);
        case execute_action::kind::none: break;
        }
    }
}

session_impl::statement_run::attempt_out* session_impl::statement_run::launch(const execute_action& a, bool prepare, host& h,
                                                                              std::shared_ptr<connection> conn,
                                                                              std::vector<std::uint8_t> bytes) {
    auto* o = find(0);
    if (!o) return nullptr;
    auto r = std::make_unique<attempt_request>(self(), a.attempt);
    r->frame = std::move(bytes);
    // With a timeout of its own the statement's deadline ends the attempt (and abandons it, see
    // finish()); without, request_timeout bounds each attempt from the moment it is queued.
    const auto per_attempt = session->cfg_.request_timeout;
    if (!options().timeout && per_attempt.count() > 0) r->deadline = clock::now() + per_attempt;
    *o = attempt_out{a.attempt, prepare, r.get(), &h, conn, clock::now()};
    conn->send(std::move(r));  // may complete at once (closed meanwhile): forget() runs first
    return o;
}

void session_impl::statement_run::send(const execute_action& a) {
    auto& s = *session;
    if (s.closed_) return op.abort(make_error_code(client_errc::connection_closed), finish_cause::failed);
    host& h = *plan[a.host];
    auto conn = h.least_busy();
    if (!conn) {
        s.schedule_reconnect(h);
        return op.on_no_connection(a.attempt);
    }
    // Back-pressure: beyond every stream id in use, this many may wait on a connection.
    const auto bound = static_cast<std::size_t>(std::max(1, s.cfg_.max_requests_per_connection)) +
                       static_cast<std::size_t>(std::max(0, s.cfg_.max_waiting_requests));
    if (conn->load() >= bound) return op.on_no_connection(a.attempt, true);
    auto bytes = std::move(spare_frame);  // the last frame's buffer: no allocation once warmed up
    if (auto ec = s.encode(*this, *conn, bytes)) return op.abort(ec);
    ++h.requests_sent;
    ++diag.attempts;
    diag.host = h.label;
    if (a.retry) ++s.counters_.retries;
    if (a.speculative) ++s.counters_.speculative_executions;
    if (!launch(a, false, h, std::move(conn), std::move(bytes))) op.abort(make_error_code(client_errc::too_many_requests));
}

void session_impl::statement_run::reprepare(const execute_action& a) {
    // A batch: every prepared statement among its entries (a node that restarted forgot them all),
    // one PREPARE after another on that node; the machine hears once, when all are done.
    reprepare_infos = is_batch ? prepared_entries(batched) : std::vector<const prepared_info*>{bound().prepared.info().get()};
    reprepare_next = 0;
    reprepare_action = a;
    ++session->counters_.reprepares;
    prepare_next();
}

void session_impl::statement_run::prepare_next() {
    if (reprepare_next >= reprepare_infos.size()) return op.on_reprepared({});
    host& h = *plan[reprepare_action.host];
    auto conn = h.least_busy();
    if (!conn) return op.on_reprepared(make_error_code(client_errc::connection_closed));
    std::vector<std::uint8_t> bytes;
    const auto& info = *reprepare_infos[reprepare_next];
    if (auto ec = protocol::encode_request(bytes, conn->version(), 0, protocol::prepare_request{info.query}))
        return op.on_reprepared(ec);
    if (!launch(reprepare_action, true, h, std::move(conn), std::move(bytes)))
        op.on_reprepared(make_error_code(client_errc::too_many_requests));
}

void session_impl::statement_run::arm(const execute_action& a) {
    auto& t = timers[static_cast<std::size_t>(a.slot)];
    t.expires_after(a.delay);
    const bool connection_wait = a.slot == timer_slot::connection;
    if (connection_wait) {
        auto& waiters = session->connection_waiters_;
        if (waiters.size() >= static_cast<std::size_t>(std::max(0, session->cfg_.max_waiting_requests)))
            return op.abort(make_error_code(client_errc::too_many_requests), finish_cause::queue_full);
        // A pool event cancels it: the wait is over either way.
        waiters.push_back(std::shared_ptr<asio::steady_timer>(self(), &t));
        waits_for_connection = true;
    }
    t.async_wait([run = self(), id = a.timer, connection_wait](std::error_code ec) {
        if (!ec) run->op.on_timer(id);
        else if (connection_wait) run->op.on_woken(id);  // a pool event (or the end: then ignored)
        else return;                                     // re-armed, or the statement finished
        run->pump();
    });
}

void session_impl::statement_run::on_answer(std::uint32_t id, std::error_code ec, protocol::frame&& f) {
    auto* o = find(id);
    if (!o || finished) return;  // abandoned: a speculative loser, or after the deadline or a cancel
    if (o->prepare) return on_prepared(*o, ec, std::move(f));
    auto& s = *session;
    const auto latency = clock::now() - o->sent_at;
    host& h = *o->h;
    const auto conn = std::move(o->conn);
    *o = {};
    if (ec) {
        if (ec == client_errc::request_timeout) ++s.counters_.timeouts;
        s.record_attempt(h, latency, ec, diag);
        diag.message = h.label + ": " + (conn->message().empty() ? ec.message() : conn->message());
        op.on_transport_error(id, ec, diag);
        return pump();
    }
    protocol::response resp;
    auto bad = protocol::decode_response(f, resp);
    if (!bad && !std::holds_alternative<protocol::error_response>(resp.body) && !std::holds_alternative<protocol::result>(resp.body))
        bad = make_error_code(client_errc::protocol_violation);  // e.g. READY or an EVENT on a request's stream
    const auto* server_err = bad ? nullptr : std::get_if<protocol::error_response>(&resp.body);
    s.record_attempt(h, latency, bad ? bad : server_err ? server_err->error_code() : std::error_code{}, diag);
    if (bad) {
        // A corrupted connection (CQL v4 frames carry no checksum), not an answer: it is closed, and
        // an idempotent statement goes to the next host like one whose connection broke.
        diag.message = h.label + " sent an undecodable response: " + bad.message();
        conn->close(bad);
        op.on_response(id, answer_kind::undecodable, bad, diag);
        return pump();
    }
    if (server_err) {
        diag.message = server_err->message;
        diag.server_error = *server_err;
        op.on_response(id, answer_kind::error, server_err->error_code(), diag);
        pump();
        conn->recycle_body(std::move(f.body));
        return;
    }
    op.on_response(id, answer_kind::result);
    pump(&resp, &conn);
    conn->recycle_body(std::move(f.body));  // decoded and done with: the connection reads into it again
}

void session_impl::statement_run::on_prepared(attempt_out& o, std::error_code ec, protocol::frame&& f) {
    const auto conn = std::move(o.conn);
    o = {};
    protocol::response r;
    if (!ec) ec = protocol::decode_response(f, r);
    if (!ec) {
        if (auto* err = std::get_if<protocol::error_response>(&r.body)) {
            diag.message = err->message;
            diag.server_error = *err;
            ec = err->error_code();
        } else if (auto* res = std::get_if<protocol::result>(&r.body)) {
            // v5: the statement may come back with another result metadata id (the table changed meanwhile).
            auto* prep = std::get_if<protocol::prepared_result>(res);
            if (prep && conn->version() >= protocol::protocol_version::v5)
                reprepare_infos[reprepare_next]->result = shape_of(std::move(prep->result_metadata_id), std::move(prep->result_metadata));
        }
    }
    if (!ec && ++reprepare_next < reprepare_infos.size()) {
        prepare_next();  // the batch's next prepared entry
    } else {
        op.on_reprepared(ec);
    }
    pump();
}

void session_impl::statement_run::finish(const execute_action& a, protocol::response* answer,
                                         const std::shared_ptr<connection>* from) {
    auto& s = *session;
    for (auto& t : timers) t.cancel();
    if (waits_for_connection) {
        auto* mine = &timers[static_cast<std::size_t>(timer_slot::connection)];
        std::erase_if(s.connection_waiters_, [mine](const auto& t) { return t.get() == mine; });
    }
    std::error_code ec = a.ec;
    if (a.cause == finish_cause::cancelled) ec = asio::error::operation_aborted;
    // For the metrics, an attempt that lost to another's answer was abandoned, not answered.
    const std::error_code abandoned = ec ? ec : std::error_code(asio::error::operation_aborted);
    // What is still out is abandoned: its stream id becomes an orphan at the connection's next
    // sweep and stays taken until the late answer, which nobody reads.
    for (auto& o : out) {
        if (o.id == 0) continue;
        if (o.req) o.req->deadline = clock::time_point::min();
        if (!o.prepare) {
            if (a.cause == finish_cause::deadline) ++s.counters_.timeouts;
            s.record_attempt(*o.h, clock::now() - o.sent_at, abandoned, diag);
        }
        o = {};
    }
    const auto ms = [](std::chrono::milliseconds d) { return std::to_string(d.count()) + " ms"; };
    switch (a.cause) {
    case finish_cause::answered: break;
    case finish_cause::cancelled:
        ++s.counters_.cancelled;
        diag.message = "the statement was cancelled by its caller";
        break;
    case finish_cause::deadline:
        diag.message = "no answer within " + ms(options().timeout.value_or(s.cfg_.request_timeout)) +
                       (diag.host.empty() ? "" : " (last sent to " + diag.host + ")");
        break;
    case finish_cause::no_host:
        diag.message = "no node" + (s.local_dc_.empty() ? std::string() : " in datacenter " + s.local_dc_) + " has an open connection";
        break;
    case finish_cause::queue_full:
        diag.message = "request queue full: every node of the plan has " + std::to_string(s.cfg_.max_waiting_requests) +
                       " requests waiting (session_config::max_waiting_requests)";
        break;
    case finish_cause::failed:
    case finish_cause::aborted: break;
    }
    if (ec || !answer || !from) return complete(ec, {});
    result res;
    auto resp = std::move(*answer);
    auto* body = std::get_if<protocol::result>(&resp.body);
    if (auto* rows = std::get_if<protocol::rows_result>(body)) {
        if (is_bound) adopt_result_shape(*bound().prepared.info(), sent_shape, *rows);
        res = result(std::move(*rows), (*from)->version());
    }
    res.set_extras(std::move(resp.extras));
    if (auto* sc = std::get_if<protocol::schema_change_event>(body)) {
        res.set_schema_change(*sc);
        finished = true;
        asio::co_spawn(s.strand_, s.after_schema_change(self(), *from, std::move(res)), asio::detached);
        return;
    }
    diag.message.clear();
    complete({}, std::move(res));
}

}  // namespace cql::detail
