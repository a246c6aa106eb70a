// The session's pool of statement runs (statement_run.hpp): a run back to a fresh statement's state,
// idle runs and shared_ptr control blocks kept for the next statements.
#include "cql/detail/statement_run.hpp"

namespace cql::detail {

void session_impl::statement_run::recycle() {
    is_bound = false;
    is_batch = false;
    simple = statement{};
    owned = bound_statement{};
    shared.reset();
    bound_ptr = &owned;
    batched = batch{};
    cb = result_callback{};
    keyspace.clear();
    token.reset();
    values.buf.clear();
    values.views.clear();
    if (values.buf.capacity() > keep_buffer_bytes) values = encoded_values{};
    batch_enc = batch_scratch{};
    encoded_for.reset();
    client_timestamp.reset();
    sent_shape.reset();
    diag = diagnostics{};
    op = execute_op{};
    plan.clear();
    for (auto& o : out) o = attempt_out{};
    waits_for_connection = false;
    finished = false;
    reprepare_infos.clear();
    reprepare_next = 0;
    reprepare_action = execute_action{};
    if (spare_frame.capacity() > keep_buffer_bytes) spare_frame = std::vector<std::uint8_t>{};
    session.reset();
}

std::shared_ptr<session_impl::run_pool> session_impl::make_run_pool() { return std::make_shared<run_pool>(); }

session_impl::~session_impl() { runs_->close(); }

session_impl::run_pool::~run_pool() {
    for (auto* r : idle_) delete r;
    for (void* b : blocks_) ::operator delete(b);
}

std::shared_ptr<session_impl::statement_run> session_impl::run_pool::acquire(std::shared_ptr<session_impl> s) {
    statement_run* r = nullptr;
    {
        std::lock_guard lock(m_);
        if (!idle_.empty()) {
            r = idle_.back();
            idle_.pop_back();
        }
    }
    if (!r) r = new statement_run(*s);
    r->session = std::move(s);
    auto self = shared_from_this();
    std::shared_ptr<statement_run> run(r, recycler{self}, block_allocator<statement_run>(self));
    r->self_ = run;
    return run;
}

void session_impl::run_pool::release(statement_run* r) noexcept {
    r->recycle();
    r->self_.reset();
    {
        std::lock_guard lock(m_);
        if (!closed_ && idle_.size() < max_idle) {
            if (idle_.capacity() < max_idle) {
                try {
                    idle_.reserve(max_idle);  // once: no growth later
                } catch (...) {
                }
            }
            if (idle_.capacity() >= max_idle) {
                idle_.push_back(r);
                return;
            }
        }
    }
    delete r;
}

void session_impl::run_pool::close() {
    std::vector<statement_run*> idle;
    {
        std::lock_guard lock(m_);
        closed_ = true;
        idle.swap(idle_);
    }
    for (auto* r : idle) delete r;
}

void* session_impl::run_pool::allocate_block(std::size_t n) {
    {
        std::lock_guard lock(m_);
        if (block_size_ == 0) block_size_ = n;
        if (n == block_size_ && !blocks_.empty()) {
            void* p = blocks_.back();
            blocks_.pop_back();
            return p;
        }
    }
    return ::operator new(n);
}

void session_impl::run_pool::deallocate_block(void* p, std::size_t n) noexcept {
    {
        std::lock_guard lock(m_);
        if (n == block_size_ && blocks_.size() < max_idle) {
            if (blocks_.capacity() < max_idle) {
                try {
                    blocks_.reserve(max_idle);
                } catch (...) {
                }
            }
            if (blocks_.capacity() >= max_idle) {
                blocks_.push_back(p);
                return;
            }
        }
    }
    ::operator delete(p);
}

}  // namespace cql::detail
