// The connector's use of the CQL client: a blocking session for set-up and commits, plus a bounded
// window of asynchronous statements for the bulk of the writes. Only the client's public API.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <system_error>

#include "cql/blocking.hpp"

namespace airbyte {

// A failed client call: the error and a sentence for users.
struct op_error {
    std::error_code ec;
    std::string message;
};

class cassandra_ops {
public:
    cassandra_ops(cql::session_config cfg, std::size_t max_in_flight, std::size_t max_bytes_in_flight);

    std::optional<op_error> connect();
    // Runs one statement and waits; `what` prefixes the error message.
    std::optional<op_error> run(const std::string& what, cql::statement st, cql::result* out = nullptr);
    std::optional<op_error> prepare(const std::string& what, const std::string& query, cql::prepared_statement& out);

    // Sends a statement without waiting once the window has room (counted in statements and bytes);
    // returns false without sending when an earlier statement failed. done runs on the client's
    // thread with the window's lock released.
    using done_fn = std::function<void(std::error_code, const cql::result&)>;
    bool submit(cql::bound_statement st, std::size_t bytes, done_fn done);
    // Waits until nothing is in flight; the first failure, if any.
    std::optional<op_error> drain();
    std::optional<op_error> first_failure();
    std::size_t in_flight();

    // Copies every row a SELECT returns through a prepared statement: row_to_values turns the i-th
    // row of a page into bound values (false: skip the row). Pages of 5000, writes pipelined.
    std::optional<op_error> copy(const std::string& what, const std::string& select, const cql::prepared_statement& insert,
                                 const std::function<bool(const cql::result&, std::size_t, std::vector<cql::cql_value>&)>& row_to_values);

    cql::uuid_bytes random_uuid();

private:
    cql::blocking_session db_;
    std::size_t max_in_flight_, max_bytes_;
    std::mutex m_;
    std::condition_variable cv_;
    std::size_t in_flight_ = 0, bytes_ = 0;
    std::optional<op_error> failure_;
    std::mt19937_64 rng_;
};

}  // namespace airbyte
