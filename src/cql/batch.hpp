// BATCH: several modifications sent as one request. Logged: applied all or none (through the batch
// log); unlogged: one round trip, no such guarantee; counter: counter updates only.
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "cql/statement.hpp"

namespace cql {

enum class batch_type : std::uint8_t { logged = 0, unlogged = 1, counter = 2 };  // the wire's <type>

struct batch {
    // A statement sent as text (its values typed as in cql::statement) or a bound prepared statement.
    using entry = std::variant<statement, bound_statement>;

    batch_type type = batch_type::logged;
    std::vector<entry> entries;
    // Options of the whole batch: consistency, serial_consistency, timestamp, idempotent, tracing and
    // custom_payload. page_size and paging_state do not apply to a batch, and the options of the
    // entries are not sent (the protocol has one set per BATCH).
    statement_options options;

    batch() = default;
    explicit batch(batch_type t) : type(t) {}
    batch& add(statement s) {
        entries.emplace_back(std::move(s));
        return *this;
    }
    batch& add(bound_statement s) {
        entries.emplace_back(std::move(s));
        return *this;
    }
};

}  // namespace cql
