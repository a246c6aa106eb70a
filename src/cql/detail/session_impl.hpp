// The machinery behind cql::session: control connection and cluster metadata, pools, query plans,
// execution with retries and re-prepare, schema agreement. Everything runs on one strand.
#pragma once

#include <asio.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "cql/config.hpp"
#include "cql/detail/connection.hpp"
#include "cql/detail/host.hpp"
#include "cql/detail/load_balancing.hpp"
#include "cql/detail/prepared_info.hpp"
#include "cql/detail/refresh_queue.hpp"
#include "cql/detail/session_counters.hpp"
#include "cql/detail/session_metrics.hpp"
#include "cql/detail/timestamp_generator.hpp"
#include "cql/detail/token_ring.hpp"
#include "cql/retry_policy.hpp"
#include "cql/session.hpp"

namespace cql::detail {

// What one attempt produced: a response frame, or an error with its diagnostics.
struct attempt_outcome {
    std::error_code ec;
    protocol::frame response;
};

class session_impl : public std::enable_shared_from_this<session_impl> {
public:
    using strand = asio::strand<asio::any_io_executor>;

    session_impl(asio::any_io_executor ex, session_config cfg);
    ~session_impl();

    const strand& executor() const noexcept { return strand_; }
    const session_config& config() const noexcept { return cfg_; }
    diagnostics last_error() const { return last_error_; }
    std::vector<host_info> snapshot() const;
    // Any thread (see session_metrics.hpp).
    metrics_snapshot metrics() const;
    std::vector<std::string> replica_labels(const std::string& keyspace, std::int64_t token);
    // Read by execute() on the caller's thread (to route a bound statement) while the strand may set it.
    protocol::protocol_version version() const noexcept { return version_.load(std::memory_order_relaxed); }

    void connect(done_callback cb);
    void execute(statement st, result_callback cb, asio::cancellation_slot slot = {});
    void execute(bound_statement st, result_callback cb, asio::cancellation_slot slot = {});
    void execute(std::shared_ptr<const bound_statement> st, result_callback cb, asio::cancellation_slot slot = {});
    void execute(batch b, result_callback cb, asio::cancellation_slot slot = {});
    void prepare(std::string query, prepared_callback cb);
    void wait_schema_agreement(result_callback cb);
    void close();

private:
    struct work;           // one statement being executed: what is sent
    struct statement_run;  // and its execution (execute_op driven by real I/O); statement_run.hpp
    class run_pool;        // recycles statement runs (session_run_pool.cpp)
    static std::shared_ptr<run_pool> make_run_pool();

    // Connecting and metadata (session_metadata.cpp).
    asio::awaitable<std::error_code> do_connect();
    asio::awaitable<std::error_code> open_control(const std::vector<asio::ip::tcp::endpoint>& candidates);
    asio::awaitable<std::error_code> refresh_topology();
    asio::awaitable<std::error_code> refresh_keyspaces();
    // Empty when the nodes the session believes up report the coordinator's schema version (no
    // coordinator: the control node's) within schema_agreement_timeout; else schema_agreement_timeout
    // with `why` saying which nodes differ.
    asio::awaitable<std::error_code> wait_schema_agreement(std::shared_ptr<connection> coordinator, std::string& why);
    asio::awaitable<std::error_code> control_query(std::string_view cql, result& out);
    asio::awaitable<std::error_code> query_on(std::shared_ptr<connection> c, std::string_view cql, result& out);
    void on_event(protocol::event&& ev);
    void start_refreshes();
    void on_control_closed();
    asio::awaitable<void> reconnect_control();
    host& upsert_host(const asio::ip::tcp::endpoint& ep);
    void rebuild_ring();
    const replica_map* replicas_for(const std::string& keyspace);

    // Pools (session_pool.cpp).
    connection_options connection_opts() const;
    void fill_pool(host& h);
    asio::awaitable<void> open_pool_connection(std::size_t host_index);
    void schedule_reconnect(host& h);
    void apply_reconnect(host& h, reconnect_state::step st);
    double jitter();

    // Execution (session_execute.cpp).
    // Into plan (cleared first), so that a caller keeping it allocates nothing.
    void query_plan(const std::optional<std::int64_t>& token, const std::string& keyspace, std::vector<host*>& plan);
    void execute_bound(std::shared_ptr<statement_run> w, result_callback cb, asio::cancellation_slot slot);
    void start(std::shared_ptr<statement_run> w, asio::cancellation_slot slot);
    asio::awaitable<void> after_schema_change(std::shared_ptr<statement_run> run, std::shared_ptr<connection> c, result out);
    decision decide(std::error_code ec, const diagnostics& d, bool idempotent) const;
    // Statements waiting for a connection are woken when a pool connection opens or fails.
    void wake_connection_waiters();
    // An attempt's answer (or failure), from its connection: queued, and handled on the strand
    // with the others of its batch: at the end of the read that brought it (reading_ > 0), else
    // by one posted drain.
    void queue_completion(std::shared_ptr<statement_run> run, std::uint32_t id, std::error_code ec, protocol::frame&& f);
    void drain_completions();
    asio::awaitable<attempt_outcome> send(std::shared_ptr<connection> c, std::vector<std::uint8_t> frame);
    asio::awaitable<void> run_prepare(std::string query, prepared_callback cb);
    std::error_code encode(work& w, const connection& c, std::vector<std::uint8_t>& out);
    // The default timestamp of a statement that sets none (session_config::client_timestamps).
    std::optional<std::int64_t> client_timestamp();

    // Metrics (session_metrics.cpp): called once per attempt when it ends (answer, error or timeout).
    void record_attempt(host& h, std::chrono::steady_clock::duration latency, std::error_code ec, const diagnostics& d);

    strand strand_;
    // The strand as the timers' executor type, converted once: each conversion allocates.
    asio::any_io_executor timer_executor_{strand_};
    std::shared_ptr<run_pool> runs_ = make_run_pool();
    session_config cfg_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::vector<std::unique_ptr<host>> hosts_;
    std::shared_ptr<connection> control_;
    std::size_t control_host_ = 0;
    std::string local_dc_;
    token_ring ring_;
    std::map<std::string, replication_strategy> keyspaces_;
    std::map<std::string, replica_map> replica_cache_;
    std::map<std::string, std::shared_ptr<const prepared_info>> prepared_;
    // Written on the strand when the control connection opens (again); read by execute() on the
    // caller's thread to encode the routing key: atomic, or that read races a reconnect.
    std::atomic<protocol::protocol_version> version_{protocol::protocol_version::v4};
    bool use_peers_v2_ = true;
    bool connected_ = false;
    bool closed_ = false;
    std::vector<std::shared_ptr<asio::steady_timer>> connection_waiters_;  // statements waiting for a connection
    refresh_queue refreshes_;  // metadata refreshes asked for by events, one at a time
    std::size_t round_robin_ = 0;
    std::vector<plan_host> plan_view_;       // query_plan's scratch, reused
    std::vector<std::size_t> plan_replicas_;
    std::vector<std::size_t> plan_ids_;
    struct completed_attempt {
        std::shared_ptr<statement_run> run;
        std::uint32_t id = 0;
        std::error_code ec;
        protocol::frame response;
    };
    std::vector<completed_attempt> completed_;  // queued, in order
    std::vector<completed_attempt> draining_;   // being handled (capacity kept: no allocation)
    int reading_ = 0;                           // pool connections dispatching a read right now
    bool drain_posted_ = false;
    bool draining_now_ = false;
    std::minstd_rand rng_{std::random_device{}()};
    diagnostics last_error_;
    session_counters counters_;
    metrics_state metrics_;
    monotonic_timestamp_generator timestamps_;  // client-side timestamps (encode)
};

}  // namespace cql::detail
