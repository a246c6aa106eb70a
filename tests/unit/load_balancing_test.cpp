// The query plan (cql/detail/load_balancing.hpp): token-aware over DC-aware, checked host by host.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "cql/detail/load_balancing.hpp"

namespace {

using cql::detail::make_query_plan;
using cql::detail::plan_host;
using ::testing::ElementsAre;

plan_host local(std::size_t load = 0) { return {"dc1", true, load}; }
plan_host remote(std::size_t load = 0) { return {"dc2", true, load}; }
plan_host down(const char* dc = "dc1") { return {dc, false, 0}; }

TEST(QueryPlan, WithoutTokenLocalHostsRoundRobinThenRemote) {
    std::vector<plan_host> hosts{local(), remote(), local(), local(), remote()};
    EXPECT_THAT(make_query_plan(hosts, {}, "dc1", 0), ElementsAre(0, 2, 3, 1, 4));
    EXPECT_THAT(make_query_plan(hosts, {}, "dc1", 1), ElementsAre(2, 3, 0, 1, 4));
    EXPECT_THAT(make_query_plan(hosts, {}, "dc1", 3), ElementsAre(3, 0, 2, 4, 1));
    // start wraps around the host count
    EXPECT_EQ(make_query_plan(hosts, {}, "dc1", 8), make_query_plan(hosts, {}, "dc1", 3));
}

TEST(QueryPlan, LocalReplicasFirstLeastBusyFirst) {
    std::vector<plan_host> hosts{local(5), local(1), local(3), local(0)};
    const std::vector<std::size_t> replicas{0, 1, 2};
    // replicas sorted by load (1, 3, 5), then the remaining local host
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 0), ElementsAre(1, 2, 0, 3));
}

TEST(QueryPlan, EqualLoadKeepsReplicaOrder) {
    std::vector<plan_host> hosts{local(2), local(2), local(2)};
    const std::vector<std::size_t> replicas{2, 0, 1};
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 1), ElementsAre(2, 0, 1));
}

TEST(QueryPlan, RemoteReplicasAreNotPreferred) {
    std::vector<plan_host> hosts{remote(), local(), local(), remote()};
    const std::vector<std::size_t> replicas{0, 3, 2};
    // only the local replica (2) jumps the queue; remote replicas wait with the other remote hosts
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 0), ElementsAre(2, 1, 0, 3));
}

TEST(QueryPlan, UnusableHostsAreLeftOut) {
    std::vector<plan_host> hosts{down(), local(), down("dc2"), local()};
    const std::vector<std::size_t> replicas{0, 1};
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 0), ElementsAre(1, 3));
}

TEST(QueryPlan, RemoteDatacentersOnlyWhenInUse) {
    // A remote host that is not in use (remote datacenters not allowed) is not usable.
    std::vector<plan_host> hosts{local(), {"dc2", false, 0}};
    EXPECT_THAT(make_query_plan(hosts, {}, "dc1", 0), ElementsAre(0));
}

TEST(QueryPlan, NoConnectionSortsLast) {
    std::vector<plan_host> hosts{local(SIZE_MAX), local(7)};
    const std::vector<std::size_t> replicas{0, 1};
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 0), ElementsAre(1, 0));
}

TEST(QueryPlan, BadOrRepeatedReplicaIndexesAreIgnored) {
    std::vector<plan_host> hosts{local(), local()};
    const std::vector<std::size_t> replicas{1, 1, 9};
    EXPECT_THAT(make_query_plan(hosts, replicas, "dc1", 0), ElementsAre(1, 0));
}

TEST(QueryPlan, EveryUsableHostExactlyOnce) {
    std::vector<plan_host> hosts;
    for (int i = 0; i < 12; ++i) hosts.push_back(i % 3 == 0 ? remote(i) : i % 5 == 0 ? down() : local(12 - i));
    const std::vector<std::size_t> replicas{4, 0, 7, 10};
    for (std::size_t start = 0; start < 24; ++start) {
        auto plan = make_query_plan(hosts, replicas, "dc1", start);
        std::vector<int> seen(hosts.size(), 0);
        for (auto id : plan) ++seen[id];
        for (std::size_t i = 0; i < hosts.size(); ++i) EXPECT_EQ(seen[i], hosts[i].usable ? 1 : 0) << "host " << i;
        // local before remote
        bool remote_seen = false;
        for (auto id : plan) {
            if (hosts[id].datacenter != "dc1") remote_seen = true;
            else EXPECT_FALSE(remote_seen) << "local host " << id << " after a remote one";
        }
    }
}

}  // namespace
