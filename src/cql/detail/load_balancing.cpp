#include "cql/detail/load_balancing.hpp"

#include <algorithm>

namespace cql::detail {

std::vector<std::size_t> make_query_plan(std::span<const plan_host> hosts, std::span<const std::size_t> replicas,
                                         std::string_view local_dc, std::size_t start) {
    std::vector<std::size_t> plan;
    make_query_plan(hosts, replicas, local_dc, start, plan);
    return plan;
}

void make_query_plan(std::span<const plan_host> hosts, std::span<const std::size_t> replicas, std::string_view local_dc,
                     std::size_t start, std::vector<std::size_t>& plan) {
    plan.clear();
    for (auto id : replicas)
        if (id < hosts.size() && hosts[id].usable && hosts[id].datacenter == local_dc &&
            std::find(plan.begin(), plan.end(), id) == plan.end())
            plan.push_back(id);
    // Least busy first, ties in replica order: an insertion sort (stable, and unlike std::stable_sort
    // it needs no temporary buffer; a partition has a handful of replicas).
    for (std::size_t i = 1; i < plan.size(); ++i)
        for (std::size_t j = i; j > 0 && hosts[plan[j]].load < hosts[plan[j - 1]].load; --j) std::swap(plan[j], plan[j - 1]);
    const std::size_t n = hosts.size();
    for (int pass = 0; pass < 2; ++pass)
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t id = (start + i) % n;
            const bool local = hosts[id].datacenter == local_dc;
            if (!hosts[id].usable || (pass == 0) != local) continue;
            if (std::find(plan.begin(), plan.end(), id) == plan.end()) plan.push_back(id);
        }
}

}  // namespace cql::detail
