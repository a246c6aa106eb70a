// The order in which a statement tries hosts (sans-I/O, so it is unit-tested on its own):
// token-aware over DC-aware. First the replicas of the statement's partition that are in the local
// datacenter, least busy first (ties keep replica order); then every other usable local host, round
// robin from `start`; then usable hosts of other datacenters, round robin too. A host is usable when
// it is up, still in the cluster, and in use (remote datacenters are in use only when configured).
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace cql::detail {

struct plan_host {
    std::string_view datacenter;
    bool usable = false;
    std::size_t load = 0;  // requests in flight on its least busy connection (SIZE_MAX: no connection)
};

// hosts: every known host by index; replicas: the partition's replicas (host indexes, ring order),
// empty when the statement has no routing token. Returns host indexes.
std::vector<std::size_t> make_query_plan(std::span<const plan_host> hosts, std::span<const std::size_t> replicas,
                                         std::string_view local_dc, std::size_t start);
// The same into plan (cleared first): a caller that keeps plan allocates nothing once warmed up.
void make_query_plan(std::span<const plan_host> hosts, std::span<const std::size_t> replicas, std::string_view local_dc,
                     std::size_t start, std::vector<std::size_t>& plan);

}  // namespace cql::detail
