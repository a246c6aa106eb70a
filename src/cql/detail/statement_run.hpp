// One statement in execution (the driver of execute_op: connections, timers, decoding, completion),
// and the pool that recycles these objects so that a statement allocates nothing on the steady
// path (issue 18). Included only by session_execute.cpp and session_statement_run.cpp.
#pragma once

#include <array>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cql/detail/block_cache.hpp"
#include "cql/detail/encode_request.hpp"
#include "cql/detail/execute_op.hpp"
#include "cql/detail/session_impl.hpp"

namespace cql::detail {

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

inline std::shared_ptr<const prepared_info::result_shape> shape_of(std::vector<std::uint8_t> id, protocol::rows_metadata m) {
    m.paging_state.reset();
    m.new_metadata_id.reset();
    return std::make_shared<const prepared_info::result_shape>(prepared_info::result_shape{std::move(id), std::move(m)});
}

// One statement in execution: its work (values, encoding), the state machine, the timers it may arm
// and the attempts it has out. The machine decides, this carries out: connections, timers, decoding,
// completion. Everything runs on the session's strand. Made by the session's run_pool, which hands
// it out again once its last shared_ptr is gone (its buffers keep their capacity).
struct session_impl::statement_run final : work {
    using clock = std::chrono::steady_clock;
    // A request frame or value buffer up to this size is kept for the next statement (beyond: freed,
    // so that a big statement does not pin its memory in an idle run).
    static constexpr std::size_t keep_buffer_bytes = 8 * 1024;

    // An attempt (or the PREPARE of a re-prepare) on its way through a connection. It completes into
    // the run through the strand, never inline in the connection. Its memory is recycled per thread.
    class attempt_request final : public request {
    public:
        attempt_request(std::shared_ptr<statement_run> run, std::uint32_t id) : run_(std::move(run)), id_(id) {}
        ~attempt_request() override {
            if (run_) run_->forget(this);  // destroyed uncompleted: the run must not touch it
        }
        void complete(std::error_code ec, protocol::frame&& response) override;

        // From a per-thread block cache (block_cache.hpp): made and freed once per attempt.
        static void* operator new(std::size_t n);
        static void operator delete(void* p, std::size_t n) noexcept;

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

    explicit statement_run(const session_impl& s)
        : timers{asio::steady_timer(s.timer_executor_), asio::steady_timer(s.timer_executor_),
                 asio::steady_timer(s.timer_executor_), asio::steady_timer(s.timer_executor_)} {}

    void begin();
    void cancel();
    // An attempt's answer or failure (from session_impl::drain_completions, on the strand).
    void on_answer(std::uint32_t id, std::error_code ec, protocol::frame&& f);
    void pump(protocol::response* answer = nullptr, const std::shared_ptr<connection>* from = nullptr);
    void complete(std::error_code ec, result r) {
        finished = true;
        r.diag = std::move(diag);
        auto done = std::move(cb);
        done(ec, std::move(r));
    }
    // The run's own shared_ptr (like shared_from_this(); set by the pool for each statement).
    std::shared_ptr<statement_run> self() const { return self_.lock(); }

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
    // The buffer of the last request frame, back from the connection: the next attempt encodes into it.
    std::vector<std::uint8_t> spare_frame;

private:
    friend class run_pool;
    // Back to a fresh statement's state, keeping the capacity of small buffers.
    void recycle();

    void forget(attempt_request* r) {
        for (auto& o : out)
            if (o.req == r) o.req = nullptr;
    }
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

    std::weak_ptr<statement_run> self_;
};

// The session's statement_run objects, recycled. A run is handed out as a shared_ptr whose deleter
// brings it back here (reset, buffers kept) and whose control block comes from a free list of its
// own: once warmed up, a statement allocates neither. Why a shared_ptr with a recycling deleter and
// not an intrusive count: the run's many holders (attempts, timer handlers, waiters, a cancellation
// slot's weak_ptr) keep std::shared_ptr / std::weak_ptr semantics unchanged, a late weak_ptr sees an
// expired statement, never the next one. A mutex, because execute() runs on the caller's thread
// and the last reference may drop on any thread; uncontended, it costs two atomic operations.
class session_impl::run_pool : public std::enable_shared_from_this<run_pool> {
public:
    // At most this many idle runs and control blocks are kept (beyond, freed): memory after a burst.
    static constexpr std::size_t max_idle = 1024;

    ~run_pool();
    std::shared_ptr<statement_run> acquire(std::shared_ptr<session_impl> s);
    // The session is gone: idle runs are freed now (their timers need the io_context), and runs
    // released later are freed, not kept.
    void close();

private:
    struct recycler {
        std::shared_ptr<run_pool> pool;
        void operator()(statement_run* r) const noexcept { pool->release(r); }
    };
    template <class T>
    struct block_allocator {
        using value_type = T;
        std::shared_ptr<run_pool> pool;
        explicit block_allocator(std::shared_ptr<run_pool> p) noexcept : pool(std::move(p)) {}
        template <class U>
        block_allocator(const block_allocator<U>& o) noexcept : pool(o.pool) {}  // NOLINT: rebinding
        T* allocate(std::size_t n) { return static_cast<T*>(pool->allocate_block(n * sizeof(T))); }
        void deallocate(T* p, std::size_t n) noexcept { pool->deallocate_block(p, n * sizeof(T)); }
        template <class U>
        bool operator==(const block_allocator<U>& o) const noexcept { return pool == o.pool; }
    };

    void release(statement_run* r) noexcept;
    void* allocate_block(std::size_t n);
    void deallocate_block(void* p, std::size_t n) noexcept;

    std::mutex m_;
    bool closed_ = false;
    std::vector<statement_run*> idle_;
    std::vector<void*> blocks_;  // free control blocks, all of block_size_ bytes
    std::size_t block_size_ = 0;
};

}  // namespace cql::detail
