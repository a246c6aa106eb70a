#include "cql/detail/load_balancing.hpp"

#include <algorithm>

namespace cql::detail {

std::vector<std::size_t> make_query_plan(std::span<const plan_host> hosts, std::span<const std::size_t> replicas,
                                         std::string_view local_dc, std::size_t start) {
    std::vector<std::size_t> plan;
    for (auto id : replicas)
        if (id < hosts.size() && hosts[id].usable && hosts[id].datacenter == local_dc &&
            std::find(plan.begin(), plan.end(), id) == plan.end())
            plan.push_back(id);
    std::stable_sort(plan.begin(), plan.end(), [&](std::size_t a, std::size_t b) { return hosts[a].load < hosts[b].load; });
    const std::size_t n = hosts.size();
    for (int pass = 0; pass < 2; ++pass)
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t id = (start + i) % n;
            const bool local = hosts[id].datacenter == local_dc;
            if (!hosts[id].usable || (pass == 0) != local) continue;
            if (std::find(plan.begin(), plan.end(), id) == plan.end()) plan.push_back(id);
        }
    return plan;
}

}  // namespace cql::detail
