// The connector's end-of-sync client metrics line.
#include <gtest/gtest.h>

#include "airbyte/metrics_log.hpp"

namespace {

TEST(MetricsLog, CountsErrorsByKindAndLatencyPerHost) {
    cql::metrics_snapshot s;
    s.requests = 120;
    s.retries = 2;
    s.timeouts = 1;
    s.reprepares = 0;
    s.reconnects = 1;
    s.connections_opened = 3;
    s.bytes_out = 4096;
    s.bytes_in = 2048;
    s.errors[static_cast<std::size_t>(cql::error_kind::request_timeout)] = 1;
    s.errors[static_cast<std::size_t>(cql::error_kind::overloaded)] = 2;
    s.hosts.resize(2);
    s.hosts[0].address = "127.0.0.1:9042";
    s.hosts[0].attempts = 3;
    s.hosts[0].latency.record_us(400);
    s.hosts[0].latency.record_us(410);
    s.hosts[0].latency.record_us(2100);
    s.hosts[1].address = "127.0.0.2:9042";  // no attempt: left out
    const auto line = airbyte::describe_client_metrics(s);
    EXPECT_EQ(line.rfind("client metrics: 120 requests, 2 retries, 1 timeouts, 0 re-prepares, 1 reconnects, 3 connections opened, ", 0), 0u)
        << line;
    EXPECT_NE(line.find("4096 bytes sent, 2048 bytes received; errors: overloaded 2, request_timeout 1;"), std::string::npos) << line;
    EXPECT_NE(line.find("127.0.0.1:9042: 3 attempts, p50 0.41 ms, p99 2.10 ms, max 2.10 ms"), std::string::npos) << line;
    EXPECT_EQ(line.find("127.0.0.2"), std::string::npos) << line;
}

TEST(MetricsLog, NoErrorsSaysNone) {
    cql::metrics_snapshot s;
    s.requests = 1;
    EXPECT_NE(airbyte::describe_client_metrics(s).find("; errors: none"), std::string::npos);
}

}  // namespace
