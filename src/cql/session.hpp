// cql::session: a connection to a whole Cassandra cluster. It discovers the nodes, keeps a pool of
// pipelined connections per node, routes each statement to a replica of its partition (token-aware
// over DC-aware), prepares and re-prepares statements, pages, and retries idempotent statements.
//
// Asynchronous in Asio's style: every async_* takes a completion token, so callbacks, futures
// (asio::use_future) and coroutines (asio::use_awaitable) all work. The session's work runs on a
// strand of the executor it is given. See blocking.hpp for a blocking wrapper.
#pragma once

#include <asio.hpp>

#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "cql/batch.hpp"
#include "cql/config.hpp"
#include "cql/unique_function.hpp"
#include "cql/error.hpp"
#include "cql/metrics.hpp"
#include "cql/result.hpp"
#include "cql/statement.hpp"

namespace cql {

// The callbacks of the session's callback flavour (connect, execute, prepare below).
using result_handler = unique_function<void(std::error_code, result)>;
using prepared_handler = unique_function<void(std::error_code, prepared_statement)>;
using done_handler = unique_function<void(std::error_code)>;

namespace detail {
class session_impl;
using result_callback = result_handler;
using prepared_callback = prepared_handler;
using done_callback = done_handler;

// Completes an Asio handler on its associated executor (or the session's), never inline.
template <class Handler, class... Args>
void complete_later(const asio::any_io_executor& fallback, Handler&& h, Args&&... args) {
    auto ex = asio::get_associated_executor(h, fallback);
    asio::post(ex, [h = std::forward<Handler>(h), ... a = std::forward<Args>(args)]() mutable { h(std::move(a)...); });
}
}  // namespace detail

// A node as the session sees it.
struct host_info {
    std::string address;  // "ip:port" used to connect
    std::string datacenter, rack, release_version;
    bool up = false;
    int open_connections = 0;
    std::uint64_t requests_sent = 0;  // statement attempts sent to this node
    bool compression = false;         // LZ4 negotiated on its connections
    int protocol_version = 0;         // negotiated on its connections (0: none open)
};

class session {
public:
    session(asio::any_io_executor ex, session_config config);
    ~session();
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    // Connects to a contact point, reads the topology and schema, opens the pools. On failure,
    // last_error() tells which hosts were tried and why.
    template <class Token>
    auto async_connect(Token&& token) {
        return asio::async_initiate<Token, void(std::error_code)>(
            [this](auto handler) {
                auto ex = executor();
                connect([h = std::move(handler), ex](std::error_code ec) mutable {
                    detail::complete_later(ex, std::move(h), ec);
                });
            },
            token);
    }

    // Runs a cql::statement, a cql::bound_statement or a cql::batch; completes with (error_code,
    // result). A shared_ptr<const bound_statement> is read in place, never copied: for a caller that
    // keeps the statement to send it again (e.g. retries of its own); it must not change until
    // completion. A batch goes to a replica of its first bound entry's partition (when known) and is
    // retried like a statement when its options say idempotent.
    // Cancellation: the token's cancellation slot (asio::bind_cancellation_slot, asio::cancel_after,
    // awaitable operators), terminal or partial, ends the statement with
    // asio::error::operation_aborted; an attempt in flight is abandoned (it may still run on the node).
    template <class Statement, class Token>
        requires(std::same_as<Statement, statement> || std::same_as<Statement, bound_statement> ||
                 std::same_as<Statement, std::shared_ptr<const bound_statement>> || std::same_as<Statement, batch>)
    auto async_execute(Statement st, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, result)>(
            [this](auto handler, Statement st) {
                auto ex = executor();
                auto slot = asio::get_associated_cancellation_slot(handler);
                execute(
                    std::move(st),
                    [h = std::move(handler), ex, slot](std::error_code ec, result r) mutable {
                        auto hex = asio::get_associated_executor(h, ex);
                        // The slot is cleared on the handler's executor, where its signal is emitted.
                        asio::post(hex, [h = std::move(h), slot, ec, r = std::move(r)]() mutable {
                            if (slot.is_connected()) slot.clear();
                            std::move(h)(ec, std::move(r));
                        });
                    },
                    slot);
            },
            token, std::move(st));
    }

    // Prepares once per query text (cached); the statement is re-prepared on a node that lost it.
    template <class Token>
    auto async_prepare(std::string query, Token&& token) {
        return asio::async_initiate<Token, void(std::error_code, prepared_statement)>(
            [this](auto handler, std::string q) {
                auto ex = executor();
                prepare(std::move(q), [h = std::move(handler), ex](std::error_code ec, prepared_statement p) mutable {
                    detail::complete_later(ex, std::move(h), ec, std::move(p));
                });
            },
            token, std::move(query));
    }

    // Closes every connection; pending statements fail with connection_closed.
    void close();

    asio::any_io_executor executor() const noexcept;
    const session_config& config() const noexcept;
    // Why the last connect failed.
    diagnostics last_error() const;
    // A snapshot of the nodes (call from the session's executor, or when it is idle).
    std::vector<host_info> hosts() const;
    protocol::protocol_version protocol_version() const noexcept;
    // Counters, errors by kind and each node's latency histogram (metrics.hpp). Safe from any
    // thread, at any time: the session writes them on its strand without locking, and this reads
    // them (relaxed atomics), so a snapshot taken while statements run may be a few attempts behind
    // in one field compared with another.
    metrics_snapshot metrics() const;
    // The nodes ("ip:port") that hold the partition with this token in keyspace, as the session
    // computed them from the ring and the keyspace's replication; empty if unknown. For diagnostics
    // and tests; call from the session's executor.
    std::vector<std::string> replicas(const std::string& keyspace, std::int64_t token) const;

    // The callback flavour: what the async_* templates above are built on, for a caller that wants
    // no completion token (and no extra hop through an executor). The callback runs on the session's
    // strand, as soon as the operation ends; when it is refused at once (e.g. a bound statement that
    // was never prepared) it may run before the call returns. It must not block.
    void connect(done_handler cb);
    // slot: connected, it cancels the statement (see async_execute).
    void execute(statement st, result_handler cb, asio::cancellation_slot slot = {});
    void execute(bound_statement st, result_handler cb, asio::cancellation_slot slot = {});
    void execute(std::shared_ptr<const bound_statement> st, result_handler cb, asio::cancellation_slot slot = {});
    void execute(batch b, result_handler cb, asio::cancellation_slot slot = {});
    void prepare(std::string query, prepared_handler cb);
    // Waits until every node the session believes up reports the control node's schema version, for
    // at most schema_agreement_timeout: for a caller whose schema change completed with
    // schema_agreement_timeout. The result holds no rows; its diag.message says which nodes differ.
    void wait_schema_agreement(result_handler cb);

private:
    std::shared_ptr<detail::session_impl> impl_;
};

}  // namespace cql
