// The one decision about a failed attempt: what the session does next with the statement (send it
// again to the same node, to the next node of its plan, or give up) and what kind of failure it is
// when it is final (the configuration, a transient state of the cluster or network, or anything
// else). The session's execution uses it, and so does a caller that retries on its own (e.g. a
// connector with a retry window): no caller needs to compare error categories.
#pragma once

#include <functional>
#include <system_error>

#include "cql/result.hpp"

namespace cql {

enum class retry_action {
    fail,             // final: the statement completes with this error
    retry_same_host,  // send it again to the node that failed it
    next_host,        // send it again to the next node of its query plan
};

enum class failure_kind {
    config,     // the configuration cannot work: credentials, TLS trust, a permission, an address
    transient,  // the cluster or the network, for now: the same statement may succeed later
    system,     // anything else: a statement the node refuses, a protocol error, a bug
};

struct decision {
    retry_action action = retry_action::fail;
    failure_kind kind = failure_kind::system;
    // Wait before the retry (the node answered that it is busy or short of replicas), rather than
    // moving on at once (a broken connection).
    bool backoff = false;
    // An idempotent statement sent again later (after the session gave up on it) may succeed: the
    // transient failures, and a response that did not decode (its connection was dropped).
    bool retry_later = false;
};

// The default rules. idempotent: whether the statement may be sent more than once (a broken
// connection may have run it already); a non-idempotent statement is never retried.
// d.server_error gives the details some server errors need (the write type of a WriteTimeout).
decision classify(std::error_code ec, const diagnostics& d, bool idempotent) noexcept;

// "config", "transient", "system".
const char* failure_kind_name(failure_kind k) noexcept;

// A replacement for classify in session_config::retry_policy (empty: classify). The session still
// bounds the attempts by max_attempts.
using retry_policy = std::function<decision(std::error_code ec, const diagnostics& d, bool idempotent)>;

}  // namespace cql
