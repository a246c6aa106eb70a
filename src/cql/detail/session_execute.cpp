// Session: query plans (token-aware over DC-aware), execution with retries of idempotent
// statements, transparent re-prepare, schema agreement after DDL, and PREPARE.
#include <algorithm>

#include "cql/detail/encode_request.hpp"
#include "cql/detail/load_balancing.hpp"
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

asio::awaitable<std::error_code> session_impl::reprepare(const std::shared_ptr<connection>& c, work& w) {
    // A batch: every prepared statement among its entries (a node that restarted forgot them all).
    const auto infos = w.is_batch ? prepared_entries(w.batched)
                                  : std::vector<const prepared_info*>{w.bound().prepared.info().get()};
    for (const prepared_info* info : infos) {
        std::vector<std::uint8_t> bytes;
        if (auto ec = protocol::encode_request(bytes, c->version(), 0, protocol::prepare_request{info->query}))
            co_return ec;
        auto got = co_await send(c, std::move(bytes));
        if (got.ec) co_return got.ec;
        protocol::response r;
        if (auto ec = protocol::decode_response(got.response, r)) co_return ec;
        if (auto* err = std::get_if<protocol::error_response>(&r.body)) {
            w.diag.message = err->message;
            w.diag.server_error = *err;
            co_return err->error_code();
        }
        // v5: the statement may come back with another result metadata id (the table changed meanwhile).
        auto* res = std::get_if<protocol::result>(&r.body);
        if (auto* prep = res ? std::get_if<protocol::prepared_result>(res) : nullptr;
            prep && c->version() >= protocol::protocol_version::v5)
            info->result = shape_of(std::move(prep->result_metadata_id), std::move(prep->result_metadata));
    }
    co_return std::error_code{};
}

decision session_impl::decide(std::error_code ec, const diagnostics& d, bool idempotent) const {
    return cfg_.retry ? cfg_.retry(ec, d, idempotent) : classify(ec, d, idempotent);
}

asio::awaitable<void> session_impl::backoff(asio::steady_timer& pause, int attempt) {
    pause.expires_after(std::chrono::milliseconds(20 << std::min(attempt, 6)));
    std::error_code ignored;
    co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

asio::awaitable<void> session_impl::wait_for_connection(std::chrono::steady_clock::time_point deadline) {
    auto t = std::make_shared<asio::steady_timer>(strand_, deadline);
    connection_waiters_.push_back(t);
    std::error_code ignored;
    co_await t->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

void session_impl::wake_connection_waiters() {
    auto waiters = std::move(connection_waiters_);
    connection_waiters_.clear();
    for (auto& t : waiters) t->cancel();
}

asio::awaitable<void> session_impl::run(std::shared_ptr<work> w) {
    auto finish = [&](std::error_code ec, result r) {
        r.diag = std::move(w->diag);
        auto cb = std::move(w->cb);
        cb(ec, std::move(r));
    };
    if (!connected_ || closed_) {
        w->diag.message = closed_ ? "the session is closed" : "the session is not connected";
        finish(make_error_code(closed_ ? client_errc::connection_closed : client_errc::no_host_available), {});
        co_return;
    }
    ++counters_.requests;
    auto plan = query_plan(w->token, w->keyspace);
    const bool idempotent = w->options().idempotent;
    const int max_attempts = idempotent ? std::max(1, cfg_.max_attempts) : 1;
    std::error_code last = make_error_code(client_errc::no_host_available);
    bool reprepared = false;
    asio::steady_timer pause(strand_);
    std::size_t next = 0;
    const auto wait_until = std::chrono::steady_clock::now() + cfg_.request_timeout;
    for (int attempt = 0; attempt < max_attempts && !plan.empty();) {
        // Hosts without an open connection are skipped (and reconnected), not counted as attempts.
        std::shared_ptr<connection> conn;
        host* h = nullptr;
        for (std::size_t k = 0; k < plan.size() && !conn; ++k) {
            h = plan[(next + k) % plan.size()];
            conn = h->least_busy();
            if (!conn) schedule_reconnect(*h);
            else next = (next + k) % plan.size();
        }
        if (!conn) {
            // Every node of the plan is up but between connections (one just broke and is being
            // reopened): wait for a connection rather than fail at once. Failing would spend an
            // attempt (and a caller's retry) on a gap of a few hundred ms, and under repeated resets
            // most statements would fail that way. A node whose reconnection fails is marked down
            // (and wakes us): then the plan is empty and the statement fails as before.
            if (closed_ || std::chrono::steady_clock::now() >= wait_until) break;
            co_await wait_for_connection(wait_until);
            plan = query_plan(w->token, w->keyspace);
            next = 0;
            continue;
        }
        std::vector<std::uint8_t> bytes;
        if (auto ec = encode(*w, *conn, bytes)) {
            finish(ec, {});
            co_return;
        }
        ++h->requests_sent;
        ++attempt;
        w->diag.attempts = attempt;
        w->diag.host = h->label;
        if (attempt > 1) ++counters_.retries;
        const auto sent_at = std::chrono::steady_clock::now();
        auto got = co_await send(conn, std::move(bytes));
        const auto latency = std::chrono::steady_clock::now() - sent_at;
        if (got.ec) {
            if (got.ec == client_errc::request_timeout) ++counters_.timeouts;
            record_attempt(*h, latency, got.ec, w->diag);
            last = got.ec;
            w->diag.message = h->label + ": " + (conn->message().empty() ? got.ec.message() : conn->message());
            const auto d = decide(got.ec, w->diag, idempotent);
            if (d.action == retry_action::fail) break;
            if (d.action == retry_action::next_host) next = (next + 1) % plan.size();
            if (d.backoff) co_await backoff(pause, attempt);
            continue;
        }
        protocol::response resp;
        auto bad = protocol::decode_response(got.response, resp);
        if (!bad && !std::holds_alternative<protocol::error_response>(resp.body) &&
            !std::holds_alternative<protocol::result>(resp.body))
            bad = make_error_code(client_errc::protocol_violation);  // e.g. READY or an EVENT on a request's stream
        const auto* server_err = bad ? nullptr : std::get_if<protocol::error_response>(&resp.body);
        record_attempt(*h, latency, bad ? bad : server_err ? server_err->error_code() : std::error_code{}, w->diag);
        if (bad) {
            // A corrupted connection (CQL v4 frames carry no checksum), not an answer: it is closed, and
            // an idempotent statement goes to the next host like one whose connection broke.
            last = bad;
            w->diag.message = h->label + " sent an undecodable response: " + bad.message();
            conn->close(bad);
            if (!idempotent) break;
            next = (next + 1) % plan.size();
            continue;
        }
        if (auto* err = std::get_if<protocol::error_response>(&resp.body)) {
            last = err->error_code();
            w->diag.message = err->message;
            w->diag.server_error = *err;
            if (err->code == protocol::server_errc::unprepared && (w->is_bound || w->is_batch) && !reprepared) {
                // The node lost the statement (e.g. it restarted): prepare it there again, then retry once.
                reprepared = true;
                ++counters_.reprepares;
                --attempt;
                if (auto ec = co_await reprepare(conn, *w)) {
                    last = ec;
                    break;
                }
                continue;
            }
            const auto d = decide(last, w->diag, idempotent);
            if (d.action == retry_action::fail) break;
            if (d.action == retry_action::next_host) next = (next + 1) % plan.size();
            if (d.backoff) co_await backoff(pause, attempt);
            continue;
        }
        result out;
        auto* res = std::get_if<protocol::result>(&resp.body);
        if (auto* rows = std::get_if<protocol::rows_result>(res)) {
            if (w->is_bound) adopt_result_shape(*w->bound().prepared.info(), w->sent_shape, *rows);
            out = result(std::move(*rows), conn->version());
        }
        out.set_extras(std::move(resp.extras));  // warnings, tracing id, custom payload
        if (auto* sc = std::get_if<protocol::schema_change_event>(res)) {
            out.set_schema_change(*sc);
            std::string why;
            auto agreement = co_await wait_schema_agreement(conn, why);
            co_await refresh_keyspaces();
            if (agreement) {
                // The change is made; the nodes have not all taken it yet.
                w->diag.message = why;
                finish(agreement, std::move(out));
                co_return;
            }
        }
        w->diag.message.clear();
        finish({}, std::move(out));
        co_return;
    }
    if (w->diag.attempts == 0) {
        std::string dc = local_dc_.empty() ? "" : " in datacenter " + local_dc_;
        w->diag.message = "no node" + dc + " has an open connection";
        last = make_error_code(client_errc::no_host_available);
    }
    finish(last, {});
}

void session_impl::execute(statement st, result_callback cb) {
    auto w = std::make_shared<work>();
    w->simple = std::move(st);
    w->cb = std::move(cb);
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, w]() { asio::co_spawn(self->strand_, self->run(w), asio::detached); });
}

void session_impl::execute(bound_statement st, result_callback cb) {
    auto w = std::make_shared<work>();
    w->owned = std::move(st);
    execute_bound(std::move(w), std::move(cb));
}

void session_impl::execute(std::shared_ptr<const bound_statement> st, result_callback cb) {
    auto w = std::make_shared<work>();
    w->shared = std::move(st);
    if (w->shared) w->bound_ptr = w->shared.get();  // null: the empty owned one, "not prepared"
    execute_bound(std::move(w), std::move(cb));
}

void session_impl::execute_bound(std::shared_ptr<work> w, result_callback cb) {
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
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, w]() { asio::co_spawn(self->strand_, self->run(w), asio::detached); });
}

void session_impl::execute(batch b, result_callback cb) {
    auto w = std::make_shared<work>();
    w->is_batch = true;
    // Routed as its first bound entry with a known partition (the replicas that own it coordinate).
    auto route = route_of(b, version());
    w->keyspace = std::move(route.keyspace);
    w->token = route.token;
    w->batched = std::move(b);
    w->cb = std::move(cb);
    auto self = shared_from_this();
    asio::dispatch(strand_, [self, w]() { asio::co_spawn(self->strand_, self->run(w), asio::detached); });
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
