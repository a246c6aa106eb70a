#include "airbyte/cassandra_ops.hpp"

#include "airbyte/output.hpp"
#include "airbyte/schema_setup.hpp"
#include "cql/retry_policy.hpp"

#include <algorithm>
#include <thread>

namespace airbyte {

namespace {

// Worth sending again (every statement here is idempotent): the client's decision says whether a
// later attempt may succeed (transient failures, and a response that did not decode).
bool retryable(std::error_code ec, const cql::diagnostics& d) { return cql::classify(ec, d, true).retry_later; }

// The sentence for a failure: a missing permission names the permission and the statement.
std::string explain(std::error_code ec, const cql::diagnostics& d, const std::string& query) {
    if (ec == cql::server_errc::unauthorized)
        return permission_message(d.server_error ? d.server_error->message : d.message, query) +
               (d.host.empty() ? "" : " (node " + d.host + ")");
    return describe(ec, d);
}

}  // namespace

// One statement in the window: kept for a retry only when there is a retry window.
struct cassandra_ops::attempt {
    cql::bound_statement st;
    std::size_t bytes;
    done_fn done;
    int failures = 0;
    clock::time_point first_failure{}, due{};
    completion_sink* sink = nullptr;  // pooled (the hot path): the outcome goes there, with tag
    completion_tag tag{};
    std::error_code ec{};  // pooled: the final outcome, until flush_completions hands it over
};

namespace {
// Statements handed to the client in one go, and the window's low-water mark (the waiting
// submitter is woken once a quarter of the window is free, not on every completion).
std::size_t batch_size(std::size_t window) { return std::clamp<std::size_t>(window / 8, 1, 64); }
std::size_t low_water(std::size_t window) { return window - std::max<std::size_t>(1, window / 4); }
}  // namespace

cassandra_ops::cassandra_ops(cql::session_config cfg, std::size_t max_in_flight, std::size_t max_bytes,
                             std::chrono::milliseconds retry_window)
    : db_(std::move(cfg)),
      max_in_flight_(std::max<std::size_t>(max_in_flight, 1)),
      max_bytes_(max_bytes),
      retry_window_(retry_window),
      rng_(std::random_device{}()) {}

std::optional<op_error> cassandra_ops::connect() {
    if (auto ec = db_.connect()) {
        auto d = db_.last_error();
        // For unreachable hosts the diagnostics already say, per host, what went wrong.
        if (ec == cql::client_errc::no_host_available || classify(ec) == failure_type::transient_error)
            return op_error{ec, "cannot reach Cassandra: " + (d.message.empty() ? ec.message() : d.message)};
        return op_error{ec, "cannot connect to Cassandra: " + describe(ec, d)};
    }
    return std::nullopt;
}

std::optional<op_error> cassandra_ops::run(const std::string& what, cql::statement st, cql::result* out, bool table_is_ours) {
    std::error_code ec;
    // Every statement the connector runs here is idempotent (IF NOT EXISTS, IF EXISTS, TRUNCATE,
    // SELECT, ALTER ... WITH comment), so each is retried within the window.
    const bool may_retry = retry_window_.count() > 0;
    const std::string query = st.query;
    auto r = db_.execute(may_retry ? cql::statement(st) : std::move(st), ec);
    const auto first = clock::now();
    if (ec == cql::client_errc::schema_agreement_timeout) ec = await_schema_agreement(what, first, r.diag);
    const auto lagging_schema = [&] {
        return table_is_ours && ec == cql::server_errc::invalid && r.diag.message.find("does not exist") != std::string::npos;
    };
    for (int failures = 1; ec && may_retry && (retryable(ec, r.diag) || lagging_schema()) && ec != cql::client_errc::schema_agreement_timeout &&
                           clock::now() - first < retry_window_;
         ++failures) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(failures - 1, 4)));
        {
            std::lock_guard lock(m_);
            ++retried_;
            last_retried_ = op_error{ec, describe(ec, r.diag)};
        }
        ec.clear();
        r = db_.execute(cql::statement(st), ec);
        if (ec == cql::client_errc::schema_agreement_timeout) ec = await_schema_agreement(what, first, r.diag);
    }
    if (ec) return op_error{ec, what + ": " + explain_failure(ec, r.diag, query)};
    if (out) *out = std::move(r);
    return std::nullopt;
}

std::error_code cassandra_ops::await_schema_agreement(const std::string& what, clock::time_point first, cql::diagnostics& d) {
    // The schema change is made, but not every node has it yet: a statement on it sent to such a
    // node would fail. Running the change again would not wait (it changes nothing the second
    // time), so the agreement itself is waited for again, within the retry window.
    std::error_code ec = make_error_code(cql::client_errc::schema_agreement_timeout);
    warn(what + ": " + d.message + (retry_window_.count() > 0 ? "; waiting again within the retry window" : ""));
    for (int failures = 1; ec && clock::now() - first < retry_window_; ++failures) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100 << std::min(failures - 1, 4)));
        {
            std::lock_guard lock(m_);
            ++retried_;
            last_retried_ = op_error{ec, d.message};
        }
        std::string why;
        ec = db_.wait_schema_agreement(&why);
        if (ec == cql::client_errc::schema_agreement_timeout) {
            d.message = why;
            warn(what + ": " + why);
        } else if (ec) {
            d.message = why;
        } else {
            warn(what + ": the nodes agree on the schema now");
        }
    }
    return ec;
}

std::optional<op_error> cassandra_ops::prepare(const std::string& what, const std::string& query, cql::prepared_statement& out) {
    std::error_code ec;
    out = db_.prepare(query, ec);
    if (ec) return op_error{ec, what + ": " + describe(ec, out.diag)};
    return std::nullopt;
}

bool cassandra_ops::submit(cql::bound_statement st, std::size_t bytes, done_fn done) {
    flush();
    {
        std::unique_lock lock(m_);
        wait_bytes_ = bytes;
        while (!(failure_ || in_flight_ == 0 || (in_flight_ < max_in_flight_ && bytes_ + bytes <= max_bytes_))) wait_step(lock);
        if (failure_) return false;
        ++in_flight_;
        bytes_ += bytes;
    }
    auto a = std::make_shared<attempt>(attempt{std::move(st), bytes, std::move(done)});
    send(std::move(a));
    return true;
}

void cassandra_ops::submit_now(cql::bound_statement st, std::size_t bytes, done_fn done) {
    {
        std::lock_guard lock(m_);
        ++in_flight_;
        bytes_ += bytes;
    }
    send(std::make_shared<attempt>(attempt{std::move(st), bytes, std::move(done)}));
}

bool cassandra_ops::submit(cql::bound_statement& st, std::size_t bytes, completion_sink& sink, const completion_tag& tag) {
    auto room = [&] { return failure_ || in_flight_ == 0 || (in_flight_ < max_in_flight_ && bytes_ + bytes <= max_bytes_); };
    std::unique_lock lock(m_);
    if (!room()) {
        // What is batched here goes out before this thread sleeps: it may be what frees the room.
        lock.unlock();
        flush();
        lock.lock();
        wait_bytes_ = bytes;
        while (!room()) wait_step(lock);
    }
    if (failure_) return false;
    ++in_flight_;
    bytes_ += bytes;
    if (free_.empty()) free_.swap(returned_);
    lock.unlock();
    std::shared_ptr<attempt> a;
    if (free_.empty()) {
        a = std::make_shared<attempt>();
    } else {
        a = std::move(free_.back());
        free_.pop_back();
    }
    std::swap(a->st, st);
    a->bytes = bytes;
    a->sink = &sink;
    a->tag = tag;
    a->failures = 0;
    a->ec.clear();
    batch_.push_back(std::move(a));
    if (batch_.size() >= batch_size(max_in_flight_)) flush();
    return true;
}

void cassandra_ops::flush() {
    if (batch_.empty()) return;
    // One hand-off to the client's thread for the whole batch.
    asio::post(db_.async().executor(), [this, batch = std::move(batch_)]() mutable {
        for (auto& a : batch) send(std::move(a));
    });
    batch_.clear();
}

void cassandra_ops::send(std::shared_ptr<attempt> a) {
    // The client reads the statement where it is (an aliasing pointer into the attempt, which a
    // retry sends again): no copy of its values, no allocation.
    std::shared_ptr<const cql::bound_statement> st(a, &a->st);
    db_.async().execute(std::move(st), [this, a = std::move(a)](std::error_code ec, cql::result r) { on_done(a, ec, r); });
}

void cassandra_ops::on_done(const std::shared_ptr<attempt>& a, std::error_code ec, const cql::result& r) {
    if (ec && retry_window_.count() > 0 && retryable(ec, r.diag)) {
        const auto now = clock::now();
        std::lock_guard lock(m_);
        if (a->failures++ == 0) a->first_failure = now;
        if (!failure_ && now - a->first_failure < retry_window_) {
            // 100 ms, doubling, then every 1.6 s.
            a->due = now + std::chrono::milliseconds(100 << std::min(a->failures - 1, 4));
            retries_.push_back(a);
            waiting_retries_ = retries_.size();
            ++retried_;
            last_retried_ = op_error{ec, describe(ec, r.diag)};
            cv_.notify_all();
            return;
        }
    }
    finish(a, ec, r);
}

void cassandra_ops::finish(const std::shared_ptr<attempt>& a, std::error_code ec, const cql::result& r) {
    if (!a->sink) {
        a->done(ec, r);
        std::lock_guard lock(m_);
        --in_flight_;
        bytes_ -= a->bytes;
        if (ec) record_failure(*a, ec, r);
        wake_waiters();
        return;
    }
    if (ec) {
        std::lock_guard lock(m_);
        record_failure(*a, ec, r);
    }
    // The client completes a read's responses one after the other; they reach the sink together.
    // (done_m_ is uncontended: only a client that completed a statement on the caller's thread
    // would make it do something.)
    a->ec = ec;
    bool first = false;
    {
        std::lock_guard lock(done_m_);
        done_.push_back(a);
        first = done_.size() == 1;
    }
    if (first) asio::post(db_.async().executor(), [this] { flush_completions(); });
}

void cassandra_ops::flush_completions() {
    {
        std::lock_guard lock(done_m_);
        flushing_.swap(done_);
    }
    done_items_.clear();
    std::size_t bytes = 0;
    for (const auto& a : flushing_) {
        done_items_.push_back({a->tag, a->ec});
        bytes += a->bytes;
    }
    for (std::size_t i = 0, j = 0; i < flushing_.size(); i = j) {  // runs of one sink
        for (j = i + 1; j < flushing_.size() && flushing_[j]->sink == flushing_[i]->sink;) ++j;
        flushing_[i]->sink->completed(std::span<const completion>(done_items_.data() + i, j - i));
    }
    std::lock_guard lock(m_);
    in_flight_ -= flushing_.size();
    bytes_ -= bytes;
    for (auto& a : flushing_) returned_.push_back(std::move(a));
    flushing_.clear();
    wake_waiters();
}

void cassandra_ops::record_failure(const attempt& a, std::error_code ec, const cql::result& r) {
    if (failure_) return;
    failure_ = op_error{ec, explain(ec, r.diag, a.st.prepared.valid() ? a.st.prepared.query() : std::string())};
    if (a.failures > 0 && retryable(ec, r.diag))
        failure_->message += " (still failing after " + std::to_string(a.failures) + " attempts in the " +
                             std::to_string(retry_window_.count() / 1000) + " s retry window)";
    else if (a.failures > 0)
        failure_->message += " (after " + std::to_string(a.failures) + " attempts that failed transiently)";
    failed_.store(true, std::memory_order_release);
}

void cassandra_ops::wake_waiters() {
    if (waiters_ == 0) return;
    const bool room = in_flight_ <= low_water(max_in_flight_) && bytes_ + wait_bytes_ <= max_bytes_;
    if (failure_ || in_flight_ == 0 || room) cv_.notify_all();
}

void cassandra_ops::wait_step(std::unique_lock<std::mutex>& lock) {
    if (retries_.empty()) {
        ++waiters_;
        cv_.wait(lock);
        --waiters_;
        return;
    }
    const auto now = clock::now();
    std::vector<std::shared_ptr<attempt>> due;
    auto next = clock::time_point::max();
    for (auto it = retries_.begin(); it != retries_.end();) {
        if ((*it)->due <= now || failure_) {
            due.push_back(std::move(*it));
            it = retries_.erase(it);
            waiting_retries_ = retries_.size();
        } else {
            next = std::min(next, (*it)->due);
            ++it;
        }
    }
    if (due.empty()) {
        ++waiters_;
        cv_.wait_until(lock, next);
        --waiters_;
        return;
    }
    lock.unlock();
    for (auto& a : due) {
        if (auto f = first_failure()) {
            // Another statement failed for good: this one is not sent again. A pooled one is
            // finished on the client's thread, which owns the batch of completions.
            if (a->sink)
                asio::post(db_.async().executor(), [this, a, ec = f->ec] { finish(a, ec, cql::result{}); });
            else
                finish(a, f->ec, cql::result{});
        } else {
            send(std::move(a));
        }
    }
    lock.lock();
}

void cassandra_ops::pump_retries() {
    if (waiting_retries_.load(std::memory_order_relaxed) == 0) return;
    std::unique_lock lock(m_);
    const auto now = clock::now();
    const bool any_due = std::any_of(retries_.begin(), retries_.end(), [&](const auto& a) { return a->due <= now; });
    if (any_due) wait_step(lock);
}

std::optional<op_error> cassandra_ops::drain() {
    flush();
    std::unique_lock lock(m_);
    while (in_flight_ != 0) wait_step(lock);
    return failure_;
}

std::uint64_t cassandra_ops::retried() {
    std::lock_guard lock(m_);
    return retried_;
}

std::optional<op_error> cassandra_ops::last_retried_failure() {
    std::lock_guard lock(m_);
    return last_retried_;
}

std::optional<op_error> cassandra_ops::first_failure() {
    std::lock_guard lock(m_);
    return failure_;
}

std::size_t cassandra_ops::in_flight() {
    std::lock_guard lock(m_);
    return in_flight_;
}

std::optional<op_error> cassandra_ops::copy(const std::string& what, const std::string& select, const row_fn& row_to_statements) {
    cql::statement sel(select);
    sel.options.page_size = 5000;
    sel.options.idempotent = true;
    for (;;) {
        cql::result page;
        if (auto e = run(what + " (reading)", sel, &page, true)) {
            drain();
            return e;
        }
        std::vector<cql::bound_statement> out;
        bool stopped = false;
        for (std::size_t i = 0; i < page.size() && !stopped; ++i) {
            out.clear();
            row_to_statements(page, i, out);
            for (auto& b : out) {
                b.options.idempotent = true;
                if (!submit(std::move(b), 256, [](std::error_code, const cql::result&) {})) {
                    stopped = true;
                    break;
                }
            }
        }
        if (auto f = first_failure()) {
            drain();
            return op_error{f->ec, what + ": " + f->message};
        }
        if (!page.paging_state()) break;
        sel.options.paging_state = page.paging_state();
    }
    if (auto f = drain()) return op_error{f->ec, what + ": " + f->message};
    return std::nullopt;
}

std::string cassandra_ops::explain_failure(std::error_code ec, const cql::diagnostics& d, const std::string& query) {
    // Cassandra runs TRUNCATE only with every node up and answers Unavailable (at ALL) otherwise.
    if (is_truncate(query) && (ec == cql::server_errc::unavailable || ec == cql::server_errc::truncate_error)) {
        int required = 0, alive = 0;
        if (d.server_error)
            if (const auto* u = std::get_if<cql::unavailable_info>(&d.server_error->details)) {
                required = u->required;
                alive = u->alive;
            }
        std::vector<std::string> down;
        for (const auto& h : db_.hosts())
            if (!h.up) down.push_back(h.address);
        if (ec == cql::server_errc::unavailable) return truncate_unavailable_message(required, alive, down, d.message) + ": " + query;
        // A replica did not confirm in time (Cassandra's TruncateException).
        return "TRUNCATE needs every node to answer: " + describe(ec, d) + ": " + query;
    }
    return explain(ec, d, query);
}

cql::uuid_bytes cassandra_ops::random_uuid() {
    cql::uuid_bytes u;
    std::uint64_t a = rng_(), b = rng_();
    for (int i = 0; i < 8; ++i) {
        u[i] = static_cast<std::uint8_t>(a >> (56 - 8 * i));
        u[8 + i] = static_cast<std::uint8_t>(b >> (56 - 8 * i));
    }
    u[6] = static_cast<std::uint8_t>((u[6] & 0x0F) | 0x40);  // version 4
    u[8] = static_cast<std::uint8_t>((u[8] & 0x3F) | 0x80);  // RFC 4122 variant
    return u;
}

}  // namespace airbyte
