// The client metrics line the connector logs at the end of a sync (LOG INFO), from the public
// cql::metrics_snapshot only.
#pragma once

#include <string>

#include "cql/metrics.hpp"

namespace airbyte {

// "client metrics: 120 requests, 0 retries, ...; errors: none; 127.0.0.1:9042: 120 attempts,
// p50 0.41 ms, p99 2.10 ms, max 3.02 ms". Error kinds with no error and hosts with no attempt are left out.
std::string describe_client_metrics(const cql::metrics_snapshot& s);

}  // namespace airbyte
