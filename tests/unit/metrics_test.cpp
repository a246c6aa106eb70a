// The latency histogram (bucketing, percentiles against a known distribution, merge, the live
// copy a snapshot reads) and the mapping of errors to the kinds metrics count them by.
#include <gtest/gtest.h>

#include <asio.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "cql/detail/session_metrics.hpp"
#include "cql/error.hpp"
#include "cql/metrics.hpp"

namespace {

using namespace std::chrono_literals;
using cql::latency_histogram;

TEST(LatencyHistogram, BucketsAreExactBelow128usThenLogLinear) {
    for (std::uint64_t v = 0; v < 128; ++v) {
        EXPECT_EQ(latency_histogram::bucket_of(v), v);
        EXPECT_EQ(latency_histogram::bucket_lower(v), v);
        EXPECT_EQ(latency_histogram::bucket_upper(v), v);
    }
    EXPECT_EQ(latency_histogram::bucket_of(128), 128u);
    EXPECT_EQ(latency_histogram::bucket_of(129), 128u);  // 2 µs wide in [128, 256)
    EXPECT_EQ(latency_histogram::bucket_of(130), 129u);
    EXPECT_EQ(latency_histogram::bucket_of(255), 191u);
    EXPECT_EQ(latency_histogram::bucket_of(256), 192u);
    // Every bucket's edges map back to it, the buckets tile the range, each at most 1/64 of its value wide.
    for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i) {
        const auto lo = latency_histogram::bucket_lower(i), hi = latency_histogram::bucket_upper(i);
        ASSERT_EQ(latency_histogram::bucket_of(lo), i);
        ASSERT_EQ(latency_histogram::bucket_of(hi), i);
        if (i + 1 < latency_histogram::bucket_count) {
            ASSERT_EQ(latency_histogram::bucket_lower(i + 1), hi + 1);
        }
        if (lo >= 128) {
            ASSERT_LE(static_cast<double>(hi - lo + 1) / static_cast<double>(lo), 1.0 / 64 + 1e-12);
        }
    }
    // 60 s is inside the range; beyond 2^27 µs everything shares the last bucket.
    EXPECT_LT(latency_histogram::bucket_of(60'000'000), latency_histogram::bucket_count - 1);
    EXPECT_EQ(latency_histogram::bucket_of(std::uint64_t{1} << 40), latency_histogram::bucket_count - 1);
}

TEST(LatencyHistogram, EmptyReadsAsZero) {
    latency_histogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min(), 0us);
    EXPECT_EQ(h.max(), 0us);
    EXPECT_EQ(h.mean(), 0us);
    EXPECT_EQ(h.percentile(0.99), 0us);
}

TEST(LatencyHistogram, PercentilesOfAUniformDistributionWithinOneBucket) {
    // 1..100000 µs once each: the q-th percentile is q * 100000.
    latency_histogram h;
    for (std::uint64_t v = 1; v <= 100'000; ++v) h.record(std::chrono::microseconds(v));
    EXPECT_EQ(h.count(), 100'000u);
    EXPECT_EQ(h.min(), 1us);
    EXPECT_EQ(h.max(), 100'000us);
    EXPECT_EQ(h.mean(), 50'000us);  // (1 + 100000) / 2, rounded down
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const double want = q * 100'000;
        const double got = static_cast<double>(h.percentile(q).count());
        EXPECT_GE(got, want) << q;  // the bucket's upper edge: never low
        EXPECT_LE(got, want * (1 + 1.0 / 64)) << q;
    }
    EXPECT_EQ(h.percentile(1.0), 100'000us);
    EXPECT_EQ(h.percentile(0.0), 1us);
}

TEST(LatencyHistogram, PercentilesOfARandomSampleMatchTheSortedSample) {
    std::mt19937_64 rng(17);
    std::lognormal_distribution<double> d(std::log(2000.0), 1.0);  // median 2 ms, a long tail
    std::vector<std::uint64_t> sample;
    latency_histogram h;
    for (int i = 0; i < 20'000; ++i) {
        auto v = static_cast<std::uint64_t>(d(rng));
        sample.push_back(v);
        h.record_us(v);
    }
    std::sort(sample.begin(), sample.end());
    for (double q : {0.5, 0.9, 0.99, 0.999}) {
        const auto rank = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sample.size())));
        const auto exact = static_cast<double>(sample[rank - 1]);
        const auto got = static_cast<double>(h.percentile(q).count());
        EXPECT_GE(got, exact) << q;
        EXPECT_LE(got, exact * (1 + 1.0 / 64) + 1) << q;
    }
    const auto s = h.summary();
    EXPECT_EQ(s.count, 20'000u);
    EXPECT_EQ(static_cast<std::uint64_t>(s.min.count()), sample.front());
    EXPECT_EQ(static_cast<std::uint64_t>(s.max.count()), sample.back());
    EXPECT_LE(s.p50, s.p90);
    EXPECT_LE(s.p90, s.p99);
    EXPECT_LE(s.p99, s.p999);
    EXPECT_LE(s.p999, s.max);
}

TEST(LatencyHistogram, PercentileStaysWithinMinAndMax) {
    latency_histogram h;
    h.record_us(1000);  // bucket [1000, 1007]: its upper edge is above the only value
    EXPECT_EQ(h.percentile(0.5), 1000us);
    EXPECT_EQ(h.percentile(0.999), 1000us);
    h.record(90s);  // beyond the last bucket: max stays exact
    EXPECT_EQ(h.max(), std::chrono::microseconds(90'000'000));
    EXPECT_EQ(h.percentile(1.0), std::chrono::microseconds(90'000'000));
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
    latency_histogram a, b, both;
    for (std::uint64_t v = 10; v < 5000; v += 7) {
        a.record_us(v);
        both.record_us(v);
    }
    for (std::uint64_t v = 300; v < 90'000; v += 131) {
        b.record_us(v);
        both.record_us(v);
    }
    a.merge(b);
    EXPECT_EQ(a.count(), both.count());
    EXPECT_EQ(a.min(), both.min());
    EXPECT_EQ(a.max(), both.max());
    EXPECT_EQ(a.mean(), both.mean());
    for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i) ASSERT_EQ(a.bucket(i), both.bucket(i)) << i;
    latency_histogram empty;
    a.merge(empty);
    EXPECT_EQ(a.min(), both.min());
}

TEST(LatencyHistogram, LiveCopyEqualsAPlainHistogram) {
    cql::detail::live_histogram live;
    EXPECT_EQ(live.copy().count(), 0u);
    EXPECT_EQ(live.copy().min(), 0us);
    latency_histogram plain;
    for (std::uint64_t v : {0ull, 5ull, 127ull, 128ull, 4000ull, 33'333ull, 1'000'000ull, 70'000'000ull}) {
        live.record(std::chrono::microseconds(v));
        plain.record(std::chrono::microseconds(v));
    }
    live.record(1500ns);  // sub-microsecond part dropped, as in the plain one
    plain.record(1500ns);
    const auto c = live.copy();
    EXPECT_EQ(c.count(), plain.count());
    EXPECT_EQ(c.min(), plain.min());
    EXPECT_EQ(c.max(), plain.max());
    EXPECT_EQ(c.mean(), plain.mean());
    EXPECT_EQ(c.percentile(0.5), plain.percentile(0.5));
    for (std::size_t i = 0; i < latency_histogram::bucket_count; ++i) ASSERT_EQ(c.bucket(i), plain.bucket(i)) << i;
}

TEST(ErrorKind, ServerErrorsByClass) {
    using cql::error_kind;
    using cql::error_kind_of;
    using cql::protocol::server_errc;
    EXPECT_EQ(error_kind_of(server_errc::overloaded), error_kind::overloaded);
    EXPECT_EQ(error_kind_of(server_errc::is_bootstrapping), error_kind::overloaded);
    EXPECT_EQ(error_kind_of(server_errc::unavailable), error_kind::unavailable);
    EXPECT_EQ(error_kind_of(server_errc::read_timeout), error_kind::read_timeout);
    EXPECT_EQ(error_kind_of(server_errc::write_timeout), error_kind::write_timeout);
    EXPECT_EQ(error_kind_of(server_errc::unprepared), error_kind::unprepared);
    for (auto e : {server_errc::syntax_error, server_errc::invalid, server_errc::unauthorized, server_errc::already_exists,
                   server_errc::config_error})
        EXPECT_EQ(error_kind_of(e), error_kind::invalid_query) << static_cast<int>(e);
    for (auto e : {server_errc::server_error, server_errc::protocol_error, server_errc::read_failure, server_errc::write_failure,
                   server_errc::function_failure, server_errc::truncate_error, server_errc::cas_write_unknown})
        EXPECT_EQ(error_kind_of(e), error_kind::other_server) << static_cast<int>(e);
}

TEST(ErrorKind, ClientErrorsAndOtherCategories) {
    using cql::client_errc;
    using cql::error_kind;
    using cql::error_kind_of;
    EXPECT_EQ(error_kind_of(client_errc::request_timeout), error_kind::request_timeout);
    for (auto e : {client_errc::connection_closed, client_errc::connect_timeout, client_errc::too_many_orphans,
                   client_errc::unknown_stream, client_errc::no_host_available, client_errc::tls_handshake_failed})
        EXPECT_EQ(error_kind_of(e), error_kind::connection) << static_cast<int>(e);
    EXPECT_EQ(error_kind_of(client_errc::protocol_violation), error_kind::other_client);
    EXPECT_EQ(error_kind_of(client_errc::request_too_large), error_kind::other_client);
    EXPECT_EQ(error_kind_of(cql::protocol::errc::truncated), error_kind::other_client);
    EXPECT_EQ(error_kind_of(cql::protocol::errc::bad_payload_checksum), error_kind::other_client);
    // The socket's own errors (system, asio categories) are connection errors.
    EXPECT_EQ(error_kind_of(std::make_error_code(std::errc::connection_reset)), error_kind::connection);
    EXPECT_EQ(error_kind_of(asio::error::make_error_code(asio::error::eof)), error_kind::connection);
}

TEST(ErrorKind, NamesAreDistinct) {
    std::vector<std::string_view> names;
    for (std::size_t i = 0; i < cql::error_kind_count; ++i) names.push_back(cql::error_kind_name(static_cast<cql::error_kind>(i)));
    EXPECT_EQ(names.front(), "overloaded");
    EXPECT_EQ(names.back(), "other_client");
    std::sort(names.begin(), names.end());
    EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
    EXPECT_EQ(std::find(names.begin(), names.end(), "unknown"), names.end());
}

TEST(MetricsSnapshot, TotalsAndMergedLatency) {
    cql::metrics_snapshot s;
    s.errors[static_cast<std::size_t>(cql::error_kind::invalid_query)] = 2;
    s.errors[static_cast<std::size_t>(cql::error_kind::request_timeout)] = 3;
    EXPECT_EQ(s.total_errors(), 5u);
    EXPECT_EQ(s.errors_of(cql::error_kind::request_timeout), 3u);
    s.hosts.resize(2);
    s.hosts[0].latency.record_us(100);
    s.hosts[1].latency.record_us(900);
    s.hosts[1].latency.record_us(50);
    const auto all = s.latency();
    EXPECT_EQ(all.count(), 3u);
    EXPECT_EQ(all.min(), 50us);
    EXPECT_EQ(all.max(), 900us);
}

}  // namespace
