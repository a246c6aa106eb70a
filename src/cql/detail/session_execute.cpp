// Session: query plans (token-aware over DC-aware), execution with retries of idempotent
// statements, transparent re-prepare, schema agreement after DDL, and PREPARE.
#include <algorithm>

#include "cql/detail/encode_request.hpp"
#include "cql/detail/load_balancing.hpp"
#include "cql/detail/execute_op.hpp"
#include "cql/detail/session_impl.hpp"
#include "cql/retry_policy.hpp"
#include "protocol/requests.hpp"

namespace cql::detail {

using namespace std::chrono_literals;
using protocol::frame;

namespace {

// Completes a coroutine waiting on a request, through the strand (never inline in the connection).
template <class Handler>
class handler_request final : public request {
public:
    handler_request(Handler h, asio::any_io_executor ex) : handler_(std::move(h)), ex_(std::move(ex)) {}
    void complete(std::error_code ec, protocol::frame&& response) override {
        asio::post(ex_, [h = std::move(handler_), ec, f = std::move(response)]() mutable { h(ec, std::move(f)); });
    }

private:
    Handler handler_;
    asio::any_io_executor ex_;
};

}  // namespace

struct session_impl::work {
    bool is_bound = false;
    bool is_batch = false;
    statement simple;
    bound_statement owned;                           // a bound statement given by value
    std::shared_ptr<const bound_statement> shared;   // or one the caller keeps (to send again)
    const bound_statement* bound_ptr = &owned;
    batch batched;                                   // or a batch (is_batch)
    result_callback cb;
    std::string keyspace;
    std::optional<std::int64_t> token;
    // Serialized values, for the version they were encoded for (a batch: per entry, in batch_enc).
    encoded_values values;
    batch_scratch batch_enc;
    std::optional<protocol::protocol_version> encoded_for;
    // The client-side timestamp, taken at the first attempt: a retry sends the same one.
    std::optional<std::int64_t> client_timestamp;
    // v5: the result shape whose id the last EXECUTE carried (its rows may come without metadata).
    std::shared_ptr<const prepared_info::result_shape> sent_shape;
    diagnostics diag;

    const bound_statement& bound() const { return *bound_ptr; }
    const statement_options& options() const {
        return is_batch ? batched.options : is_bound ? bound().options : simple.options;
    }
};

std::optional<std::int64_t> session_impl::client_timestamp() {
    if (!cfg_.client_timestamps) return std::nullopt;
    return cfg_.timestamp_generator ? cfg_.timestamp_generator() : timestamps_.next();
}

std::error_code session_impl::encode(work& w, const connection& c, std::vector<std::uint8_t>& out) {
    const auto v = c.version();
    const auto& o = w.options();
    if (!o.timestamp && !w.client_timestamp) w.client_timestamp = client_timestamp();
    if (w.is_batch)
        return encode_batch(w.batched, cfg_.default_consistency, w.client_timestamp, v, w.batch_enc, out, w.diag.message);
    if (w.encoded_for != v) {
        if (auto ec = w.is_bound ? serialize_values(w.bound(), v, w.values, w.diag.message)
                                 : serialize_values(w.simple, v, w.values, w.diag.message))
            return ec;
        w.encoded_for = v;
    }
    protocol::query_parameters p;
    p.cl = o.consistency.value_or(cfg_.default_consistency);
    p.values = w.values.views;
    p.values_cells = w.values.buf;  // the views' cells, back to back (serialize_values)
    p.page_size = o.page_size > 0 ? o.page_size : -1;
    if (o.paging_state) p.paging_state = protocol::bytes_view(*o.paging_state);
    p.serial_consistency = o.serial_consistency;
    p.default_timestamp = o.timestamp ? o.timestamp : w.client_timestamp;
    const auto extras = extras_of(o);  // tracing flag, custom payload
    out.clear();
    // The frame: header, id or query, parameters (consistency, flags, paging, timestamps) and values.
    out.reserve(w.values.buf.size() + 64 + (o.paging_state ? o.paging_state->size() : 0) +
                (w.is_bound ? w.bound().prepared.info()->id.size() : w.simple.query.size()));
    std::error_code ec;
    if (w.is_bound) {
        const auto& info = *w.bound().prepared.info();
        protocol::execute_request req{info.id, p};
        w.sent_shape.reset();
        if (v >= protocol::protocol_version::v5 && info.result) {
            // The node leaves the metadata out while this id is current: the rows are read with it.
            w.sent_shape = info.result;
            req.result_metadata_id = w.sent_shape->id;
            req.params.skip_metadata = true;
        }
        ec = protocol::encode_request(out, v, 0, req, nullptr, extras.flags, extras.payload);
    } else {
        ec = protocol::encode_request(out, v, 0, protocol::query_request{w.simple.query, p}, nullptr, extras.flags,
                                      extras.payload);
    }
    if (ec) w.diag.message = "the statement cannot be encoded: " + ec.message();
    if (w.values.buf.size() > 64 * 1024) {
        // Big values: the frame is enough of a copy while the statement is in flight; a retry
        // encodes them again.
        w.values = encoded_values{};
        w.encoded_for.reset();
    }
    return ec;
}

std::vector<host*> session_impl::query_plan(const std::optional<std::int64_t>& token, const std::string& keyspace) {
    auto& view = plan_view_;  // members reused from plan to plan: query_plan runs on the strand
    view.resize(hosts_.size());
    for (std::size_t i = 0; i < hosts_.size(); ++i) {
        const host& h = *hosts_[i];
        auto c = h.least_busy();
        view[i] = {h.datacenter, h.in_use && !h.removed && h.up, c ? c->load() : SIZE_MAX};
    }
    auto& replicas = plan_replicas_;
    replicas.clear();
    if (token && !keyspace.empty())
        if (const auto* rm = replicas_for(keyspace))
            for (auto id : rm->replicas(*token)) replicas.push_back(id);
    const std::size_t start = hosts_.empty() ? 0 : round_robin_++ % hosts_.size();
    std::vector<host*> plan;
    for (auto id : make_query_plan(view, replicas, local_dc_, start)) plan.push_back(hosts_[id].get());
    return plan;
}

asio::awaitable<attempt_outcome> session_impl::send(std::shared_ptr<connection> c, std::vector<std::uint8_t> bytes) {
    attempt_outcome out;
    // Every object of the co_await operand is a named local: GCC 12 mishandles temporaries there
    // (it destroys some twice).
    auto token = asio::redirect_error(asio::use_awaitable, out.ec);
    const auto deadline = std::chrono::steady_clock::now() + cfg_.request_timeout;
    asio::any_io_executor ex = strand_;
    auto initiation = [&c, &bytes, &ex, deadline](auto handler) {
        auto r = std::make_unique<handler_request<decltype(handler)>>(std::move(handler), ex);
        r->frame = std::move(bytes);
        r->deadline = deadline;
        c->send(std::move(r));
    };
    out.response = co_await asio::async_initiate<decltype(token), void(std::error_code, frame)>(initiation, token);
    co_return out;
}

namespace {

std::shared_ptr<const prepared_info::result_shape> shape_of(std::vector<std::uint8_t> id, protocol::rows_metadata m) {
    m.paging_state.reset();
    m.new_metadata_id.reset();
    return std::make_shared<const prepared_info::result_shape>(prepared_info::result_shape{std::move(id), std::move(m)});
}

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

// One statement in execution: its work (values, encoding), the state machine, the timers it may arm
// and the attempts it has out; one allocation per statement. The machine decides, this carries out:
// connections, timers, decoding, completion. Everything runs on the session's strand.
struct session_impl::statement_run final : work, std::enable_shared_from_this<statement_run> {
    using clock = std::chrono::steady_clock;

    // An attempt (or the PREPARE of a re-prepare) on its way through a connection. It completes into
    // the run through the strand, never inline in the connection.
    class attempt_request final : public request {
    public:
        attempt_request(std::shared_ptr<statement_run> run, std::uint32_t id) : run_(std::move(run)), id_(id) {}
        ~attempt_request() override {
            if (run_) run_->forget(this);  // destroyed uncompleted: the run must not touch it
        }
        void complete(std::error_code ec, protocol::frame&& response) override {
            run_->forget(this);
            auto ex = run_->session->strand_;
            asio::post(ex, [run = std::move(run_), id = id_, ec, f = std::move(response)]() mutable {
                run->on_answer(id, ec, std::move(f));
            });
        }

    private:
        std::shared_ptr<statement_run> run_;
        std::uint32_t id_;
    };

    struct attempt_out {
        std::uint32_t id = 0;  // 0: a free entry
        bool prepare = false;
        attempt_request* req = nullptr;  // while the connection holds it
        host* h = nullptr;
        std::shared_ptr<connection> conn;
        clock::time_point sent_at{};
    };

    explicit statement_run(std::shared_ptr<session_impl> s)
        : session(std::move(s)),
          timers{asio::steady_timer(session->strand_), asio::steady_timer(session->strand_),
                 asio::steady_timer(session->strand_), asio::steady_timer(session->strand_)} {}

    void begin();
    void cancel();
    void pump(protocol::response* answer = nullptr, const std::shared_ptr<connection>* from = nullptr);
    void complete(std::error_code ec, result r) {
        finished = true;
        r.diag = std::move(diag);
        auto done = std::move(cb);
        done(ec, std::move(r));
    }

    std::shared_ptr<session_impl> session;
    execute_op op;
    std::vector<host*> plan;
    std::array<asio::steady_timer, timer_slot_count> timers;
    std::array<attempt_out, 10> out;  // the machine keeps at most 8 attempts out, plus a PREPARE
    bool waits_for_connection = false;
    bool finished = false;
    // A re-prepare in progress: the statements to prepare again, the next one, the machine's action.
    std::vector<const prepared_info*> reprepare_infos;
    std::size_t reprepare_next = 0;
    execute_action reprepare_action{};

private:
    void forget(attempt_request* r) {
        for (auto& o : out)
            if (o.req == r) o.req = nullptr;
    }
    void on_answer(std::uint32_t id, std::error_code ec, protocol::frame&& f);
    void on_prepared(attempt_out& o, std::error_code ec, protocol::frame&& f);
    void send(const execute_action& a);
    void reprepare(const execute_action& a);
    void prepare_next();
    void arm(const execute_action& a);
    void finish(const execute_action& a, protocol::response* answer, const std::shared_ptr<connection>* from);
    attempt_out* launch(const execute_action& a, bool prepare, host& h, std::shared_ptr<connection> conn, std::vector<std::uint8_t> bytes);
    attempt_out* find(std::uint32_t id) {  // 0: a free entry
        for (auto& o : out)
            if (o.id == id) return &o;
        return nullptr;
    }
};

void session_impl::statement_run::begin() {
    if (finished) return;  // cancelled before it started
    auto& s = *session;
    if (!s.connected_ || s.closed_) {
        diag.message = s.closed_ ? "the session is closed" : "the session is not connected";
        return complete(make_error_code(s.closed_ ? client_errc::connection_closed : client_errc::no_host_available), {});
    }
    ++s.counters_.requests;
    plan = s.query_plan(token, keyspace);
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
            plan = session->query_plan(token, keyspace);
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
    auto r = std::make_unique<attempt_request>(shared_from_this(), a.attempt);
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
    std::vector<std::uint8_t> bytes;
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
        waiters.push_back(std::shared_ptr<asio::steady_timer>(shared_from_this(), &t));
        waits_for_connection = true;
    }
    t.async_wait([self = shared_from_this(), id = a.timer, connection_wait](std::error_code ec) {
        if (!ec) self->op.on_timer(id);
        else if (connection_wait) self->op.on_woken(id);  // a pool event (or the end: then ignored)
        else return;                                      // re-armed, or the statement finished
        self->pump();
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
        return pump();
    }
    op.on_response(id, answer_kind::result);
    pump(&resp, &conn);
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
        asio::co_spawn(s.strand_, s.after_schema_change(shared_from_this(), *from, std::move(res)), asio::detached);
        return;
    }
    diag.message.clear();
    complete({}, std::move(res));
}

// DDL only: wait until the nodes agree on the schema, refresh the keyspaces, then complete.
asio::awaitable<void> session_impl::after_schema_change(std::shared_ptr<statement_run> run, std::shared_ptr<connection> c, result out) {
    std::string why;
    auto agreement = co_await wait_schema_agreement(c, why);
    co_await refresh_keyspaces();
    // The change is made even when the nodes have not all taken it yet.
    run->diag.message = agreement ? why : std::string();
    run->complete(agreement, std::move(out));
}

decision session_impl::decide(std::error_code ec, const diagnostics& d, bool idempotent) const {
    return cfg_.retry ? cfg_.retry(ec, d, idempotent) : classify(ec, d, idempotent);
}

void session_impl::wake_connection_waiters() {
    auto waiters = std::move(connection_waiters_);
    connection_waiters_.clear();
    for (auto& t : waiters) t->cancel();
}

void session_impl::execute(statement st, result_callback cb, asio::cancellation_slot slot) {
    auto w = std::make_shared<statement_run>(shared_from_this());
    w->simple = std::move(st);
    w->cb = std::move(cb);
    start(std::move(w), slot);
}

void session_impl::execute(bound_statement st, result_callback cb, asio::cancellation_slot slot) {
    auto w = std::make_shared<statement_run>(shared_from_this());
    w->owned = std::move(st);
    execute_bound(std::move(w), std::move(cb), slot);
}

void session_impl::execute(std::shared_ptr<const bound_statement> st, result_callback cb, asio::cancellation_slot slot) {
    auto w = std::make_shared<statement_run>(shared_from_this());
    w->shared = std::move(st);
    if (w->shared) w->bound_ptr = w->shared.get();  // null: the empty owned one, "not prepared"
    execute_bound(std::move(w), std::move(cb), slot);
}

void session_impl::start(std::shared_ptr<statement_run> w, asio::cancellation_slot slot) {
    if (slot.is_connected()) {
        // Asio's per-operation cancellation: the signal may come from any thread; the run is
        // cancelled on the strand. Terminal and partial: the statement may have run already.
        slot.assign([weak = std::weak_ptr<statement_run>(w), ex = strand_](asio::cancellation_type t) {
            if ((t & (asio::cancellation_type::terminal | asio::cancellation_type::partial)) == asio::cancellation_type::none) return;
            asio::post(ex, [weak] {
                if (auto r = weak.lock()) r->cancel();
            });
        });
    }
    asio::dispatch(strand_, [w = std::move(w)]() { w->begin(); });
}

void session_impl::execute_bound(std::shared_ptr<statement_run> w, result_callback cb, asio::cancellation_slot slot) {
    w->is_bound = true;
    w->cb = std::move(cb);
    if (!w->bound().prepared.valid()) {
        w->diag.message = "the bound statement was not prepared";
        result r;
        r.diag = std::move(w->diag);
        w->cb(make_error_code(client_errc::prepared_statement_missing), std::move(r));
        return;
    }
    const auto& info = *w->bound().prepared.info();
    w->keyspace = info.keyspace;
    // Routing: the partition key components, serialized, hashed as Cassandra does.
    w->token = bound_routing_token(w->bound(), version());
    start(std::move(w), slot);
}

void session_impl::execute(batch b, result_callback cb, asio::cancellation_slot slot) {
    auto w = std::make_shared<statement_run>(shared_from_this());
    w->is_batch = true;
    // Routed as its first bound entry with a known partition (the replicas that own it coordinate).
    auto route = route_of(b, version());
    w->keyspace = std::move(route.keyspace);
    w->token = route.token;
    w->batched = std::move(b);
    w->cb = std::move(cb);
    start(std::move(w), slot);
}

void session_impl::prepare(std::string query, prepared_callback cb) {
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, q = std::move(query), cb = std::move(cb)]() mutable {
        asio::co_spawn(self->strand_, self->run_prepare(std::move(q), std::move(cb)), asio::detached);
    });
}

asio::awaitable<void> session_impl::run_prepare(std::string query, prepared_callback cb) {
    if (auto it = prepared_.find(query); it != prepared_.end()) {
        cb({}, prepared_statement(it->second));
        co_return;
    }
    prepared_statement failed;
    std::error_code last = make_error_code(client_errc::no_host_available);
    failed.diag.message = "no node has an open connection";
    if (connected_ && !closed_) {
        const auto plan = query_plan(std::nullopt, {});
        for (host* h : plan) {
            auto conn = h->least_busy();
            if (!conn) continue;
            std::vector<std::uint8_t> bytes;
            if (auto ec = protocol::encode_request(bytes, conn->version(), 0, protocol::prepare_request{query})) {
                cb(ec, std::move(failed));
                co_return;
            }
            failed.diag.host = h->label;
            ++failed.diag.attempts;
            auto got = co_await send(conn, std::move(bytes));
            if (got.ec) {
                last = got.ec;
                failed.diag.message = h->label + ": " + got.ec.message();
                if (decide(got.ec, failed.diag, true).action != retry_action::fail) continue;  // preparing is idempotent
                break;
            }
            protocol::response resp;
            if (auto ec = protocol::decode_response(got.response, resp)) {
                last = ec;
                break;
            }
            if (auto* err = std::get_if<protocol::error_response>(&resp.body)) {
                last = err->error_code();
                failed.diag.message = err->message;
                failed.diag.server_error = *err;
                break;
            }
            auto* res = std::get_if<protocol::result>(&resp.body);
            auto* prep = res ? std::get_if<protocol::prepared_result>(res) : nullptr;
            if (!prep) {
                last = make_error_code(client_errc::protocol_violation);
                break;
            }
            auto info = std::make_shared<prepared_info>();
            info->query = query;
            info->id = std::move(prep->id);
            info->variables = std::move(prep->metadata.columns);
            info->pk_indexes = std::move(prep->metadata.pk_indexes);
            info->result = shape_of(std::move(prep->result_metadata_id), std::move(prep->result_metadata));
            if (!info->variables.empty()) info->keyspace = info->variables.front().keyspace;
            prepared_[query] = info;
            // Prepare it on the other nodes too, so the first statements routed there do not all
            // meet UNPREPARED at once. A failure here is harmless: UNPREPARED re-prepares later.
            for (host* other : plan) {
                auto oc = other == h ? nullptr : other->least_busy();
                std::vector<std::uint8_t> again;
                if (!oc || protocol::encode_request(again, oc->version(), 0, protocol::prepare_request{query})) continue;
                co_await send(oc, std::move(again));
            }
            cb({}, prepared_statement(std::move(info)));
            co_return;
        }
    }
    cb(last, std::move(failed));
}

}  // namespace cql::detail
