// Session: query plans (token-aware over DC-aware), execution with retries of idempotent
// statements, transparent re-prepare, schema agreement after DDL, and PREPARE.
#include <algorithm>

#include "cql/detail/encode_request.hpp"
#include "cql/detail/load_balancing.hpp"
#include "cql/detail/statement_run.hpp"
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
    reserve_reused(out, w.values.buf.size() + 64 + (o.paging_state ? o.paging_state->size() : 0) +
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

void session_impl::query_plan(const std::optional<std::int64_t>& token, const std::string& keyspace, std::vector<host*>& plan) {
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
    make_query_plan(view, replicas, local_dc_, start, plan_ids_);
    plan.clear();
    for (auto id : plan_ids_) plan.push_back(hosts_[id].get());
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
    auto w = runs_->acquire(shared_from_this());
    w->simple = std::move(st);
    w->cb = std::move(cb);
    start(std::move(w), slot);
}

void session_impl::execute(bound_statement st, result_callback cb, asio::cancellation_slot slot) {
    auto w = runs_->acquire(shared_from_this());
    w->owned = std::move(st);
    execute_bound(std::move(w), std::move(cb), slot);
}

void session_impl::execute(std::shared_ptr<const bound_statement> st, result_callback cb, asio::cancellation_slot slot) {
    auto w = runs_->acquire(shared_from_this());
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
    // Already on the strand (a callback sending the next statement): begin now, as dispatch would,
    // without the executor's type-erased query (an allocation in Asio 1.22).
    if (strand_.running_in_this_thread()) return w->begin();
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
    auto w = runs_->acquire(shared_from_this());
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
        std::vector<host*> plan;
        query_plan(std::nullopt, {}, plan);
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
