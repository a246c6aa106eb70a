#include "airbyte/cassandra_ops.hpp"

#include "airbyte/output.hpp"

namespace airbyte {

cassandra_ops::cassandra_ops(cql::session_config cfg, std::size_t max_in_flight, std::size_t max_bytes)
    : db_(std::move(cfg)), max_in_flight_(std::max<std::size_t>(max_in_flight, 1)), max_bytes_(max_bytes), rng_(std::random_device{}()) {}

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

std::optional<op_error> cassandra_ops::run(const std::string& what, cql::statement st, cql::result* out) {
    std::error_code ec;
    auto r = db_.execute(std::move(st), ec);
    if (ec) return op_error{ec, what + ": " + describe(ec, r.diag)};
    if (out) *out = std::move(r);
    return std::nullopt;
}

std::optional<op_error> cassandra_ops::prepare(const std::string& what, const std::string& query, cql::prepared_statement& out) {
    std::error_code ec;
    out = db_.prepare(query, ec);
    if (ec) return op_error{ec, what + ": " + describe(ec, out.diag)};
    return std::nullopt;
}

bool cassandra_ops::submit(cql::bound_statement st, std::size_t bytes, done_fn done) {
    {
        std::unique_lock lock(m_);
        cv_.wait(lock, [&] { return failure_ || in_flight_ == 0 || (in_flight_ < max_in_flight_ && bytes_ + bytes <= max_bytes_); });
        if (failure_) return false;
        ++in_flight_;
        bytes_ += bytes;
    }
    db_.async().execute_impl(std::move(st), [this, bytes, done = std::move(done)](std::error_code ec, cql::result r) {
        done(ec, r);
        std::lock_guard lock(m_);
        --in_flight_;
        bytes_ -= bytes;
        if (ec && !failure_) failure_ = op_error{ec, describe(ec, r.diag)};
        cv_.notify_all();
    });
    return true;
}

std::optional<op_error> cassandra_ops::drain() {
    std::unique_lock lock(m_);
    cv_.wait(lock, [&] { return in_flight_ == 0; });
    return failure_;
}

std::optional<op_error> cassandra_ops::first_failure() {
    std::lock_guard lock(m_);
    return failure_;
}

std::size_t cassandra_ops::in_flight() {
    std::lock_guard lock(m_);
    return in_flight_;
}

std::optional<op_error> cassandra_ops::copy(const std::string& what, const std::string& select, const cql::prepared_statement& insert,
                                            const std::function<bool(const cql::result&, std::size_t, std::vector<cql::cql_value>&)>& row_to_values) {
    cql::statement sel(select);
    sel.options.page_size = 5000;
    sel.options.idempotent = true;
    for (;;) {
        cql::result page;
        if (auto e = run(what + " (reading)", sel, &page)) {
            drain();
            return e;
        }
        for (std::size_t i = 0; i < page.size(); ++i) {
            cql::bound_statement b{insert, {}, {}};
            b.options.idempotent = true;
            if (!row_to_values(page, i, b.values)) continue;
            if (!submit(std::move(b), 256, [](std::error_code, const cql::result&) {})) break;
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
