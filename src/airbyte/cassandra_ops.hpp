// The connector's use of the CQL client: a blocking session for set-up and commits, plus a bounded
// window of asynchronous statements for the bulk of the writes. Only the client's public API.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <span>
#include <system_error>
#include <vector>

#include "cql/blocking.hpp"

namespace airbyte {

// A failed client call: the error and a sentence for users.
struct op_error {
    std::error_code ec;
    std::string message;
};

// The hot path's completions (issue 18): no callable per statement. The caller tags each
// statement with what it needs back (its own words: cassandra_ops only carries the tag) and gets
// the outcomes in batches, on the client's thread, with the window's lock released.
struct completion_tag {
    std::uint64_t a = 0, b = 0, c = 0, d = 0;
};
struct completion {
    completion_tag tag;
    std::error_code ec;
};
class completion_sink {
public:
    virtual void completed(std::span<const completion> batch) = 0;

protected:
    ~completion_sink() = default;
};

class cassandra_ops {
public:
    // retry_window: how long a statement whose write failed transiently (a lost connection, a
    // timeout, an unavailable or overloaded node) is sent again, with backoff, counted from its first
    // failure; zero: the first failure is final.
    cassandra_ops(cql::session_config cfg, std::size_t max_in_flight, std::size_t max_bytes_in_flight,
                  std::chrono::milliseconds retry_window = std::chrono::milliseconds(0));

    std::optional<op_error> connect();
    // Runs one statement and waits, retrying transient failures within the retry window (every
    // statement given here must be idempotent); `what` prefixes the error message.
    // table_is_ours: the statement reads a table this sync created, so a coordinator that says it does
    // not exist has not received the schema yet (e.g. a node back from down): retried in the window.
    std::optional<op_error> run(const std::string& what, cql::statement st, cql::result* out = nullptr, bool table_is_ours = false);
    std::optional<op_error> prepare(const std::string& what, const std::string& query, cql::prepared_statement& out);

    // Sends a statement without waiting once the window has room (counted in statements and bytes);
    // returns false without sending when an earlier statement failed. A transient failure is retried
    // within the retry window (the statement stays in the window meanwhile); done runs once, with
    // the final outcome, on the client's thread with the window's lock released. Retries are sent
    // from the thread that calls submit or drain.
    using done_fn = std::function<void(std::error_code, const cql::result&)>;
    bool submit(cql::bound_statement st, std::size_t bytes, done_fn done);
    // The same without waiting for room (it still counts in the window, and drain waits for it),
    // also after a failure: for the few writes the client's own thread must send (a watermark).
    void submit_now(cql::bound_statement st, std::size_t bytes, done_fn done);
    // The hot path: like submit, but st is sent from a pooled slot and st comes back holding an
    // earlier statement of that slot (clear its values and reuse their capacity); the outcome goes
    // to sink with tag. Statements are handed to the client in batches: call flush() before the
    // calling thread may block on something else (e.g. a read of the input). One thread only.
    bool submit(cql::bound_statement& st, std::size_t bytes, completion_sink& sink, const completion_tag& tag);
    void flush();
    // Waits until nothing is in flight; the first failure, if any.
    std::optional<op_error> drain();
    std::optional<op_error> first_failure();
    // Whether a statement failed for good; no lock (for a check per input line).
    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    std::size_t in_flight();
    // Sends the retries that are due; cheap when there are none. For a caller that is not blocked in
    // submit or drain (e.g. between two input lines).
    void pump_retries();
    // Statements sent again after a transient failure, and the last such failure.
    std::uint64_t retried();
    std::optional<op_error> last_retried_failure();
    // The client's counters and latencies so far (any thread).
    cql::metrics_snapshot metrics() const { return db_.metrics(); }

    // Writes statements for every row a SELECT returns: row_to_statements appends those for the
    // i-th row of a page (none: the row is skipped). Pages of 5000, writes pipelined, idempotent.
    using row_fn = std::function<void(const cql::result&, std::size_t, std::vector<cql::bound_statement>&)>;
    std::optional<op_error> copy(const std::string& what, const std::string& select, const row_fn& row_to_statements);

    cql::uuid_bytes random_uuid();

    // Where warnings go (the connector: LOG WARN lines): a schema agreement that timed out.
    void on_warning(std::function<void(const std::string&)> sink) { warn_ = std::move(sink); }

    // The sentence for a failed statement run here: a missing permission with the statement, a
    // TRUNCATE refused because a node is down (with the nodes the session sees down), else describe().
    std::string explain_failure(std::error_code ec, const cql::diagnostics& d, const std::string& query);

private:
    using clock = std::chrono::steady_clock;
    struct attempt;
    void send(std::shared_ptr<attempt> a);
    void on_done(const std::shared_ptr<attempt>& a, std::error_code ec, const cql::result& r);
    // The final outcome of a statement: its callback now, or (pooled) its completion in the batch
    // handed to the sink by flush_completions.
    void finish(const std::shared_ptr<attempt>& a, std::error_code ec, const cql::result& r);
    // With the lock held: the statement left the window (a failure is remembered).
    void leave_window(const attempt& a, std::error_code ec, const cql::result& r);
    void flush_completions();  // on the client's thread
    void record_failure(const attempt& a, std::error_code ec, const cql::result& r);  // lock held
    // With the lock held: wakes a thread waiting for room once the window is down to its low-water
    // mark (not on every completion), or for drain once it is empty, or on a failure.
    void wake_waiters();
    // With the lock held: sends the retries that are due (releasing the lock meanwhile) and waits
    // for a change or the next due retry.
    void wait_step(std::unique_lock<std::mutex>& lock);
    // After a schema change answered schema_agreement_timeout: waits for agreement again until the
    // retry window (counted from `first`) ends, logging each round; empty once the nodes agree.
    std::error_code await_schema_agreement(const std::string& what, clock::time_point first, cql::diagnostics& d);
    void warn(const std::string& message) {
        if (warn_) warn_(message);
    }
    std::function<void(const std::string&)> warn_;

    cql::blocking_session db_;
    std::size_t max_in_flight_, max_bytes_;
    std::chrono::milliseconds retry_window_;
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t in_flight_ = 0, bytes_ = 0;
    std::optional<op_error> failure_, last_retried_;
    std::size_t waiters_ = 0;     // threads in wait_step
    std::size_t wait_bytes_ = 0;  // what the waiting submitter needs room for
    std::atomic<bool> failed_{false};
    std::deque<std::shared_ptr<attempt>> retries_;  // in due order (backoffs grow: nearly FIFO)
    // The pool of the hot path's slots: free_ and batch_ belong to the submitting thread; done_
    // (under done_m_) collects finished ones until flush_completions hands them to their sinks on
    // the client's thread; returned_ (under m_) carries them back to the submitter.
    std::vector<std::shared_ptr<attempt>> free_, batch_, returned_;
    std::mutex done_m_;
    std::vector<std::shared_ptr<attempt>> done_, flushing_;
    std::vector<completion> done_items_;
    std::atomic<std::size_t> waiting_retries_{0};
    std::uint64_t retried_ = 0;
    std::mt19937_64 rng_;
};

}  // namespace airbyte
