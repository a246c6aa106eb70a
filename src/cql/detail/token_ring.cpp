// Token ring, replication options and Cassandra's SimpleStrategy / NetworkTopologyStrategy placement.
#include "cql/detail/token_ring.hpp"

#include <algorithm>
#include <charconv>
#include <string_view>

namespace cql::detail {

token_ring::token_ring(std::vector<host_location> hosts, std::vector<std::pair<std::int64_t, host_id>> token_owners)
    : hosts_(std::move(hosts)) {
    std::erase_if(token_owners, [&](const auto& p) { return p.second >= hosts_.size(); });
    // Stable, so that of two claims on one token the first one given wins.
    std::stable_sort(token_owners.begin(), token_owners.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    tokens_.reserve(token_owners.size());
    owners_.reserve(token_owners.size());
    for (const auto& [token, host] : token_owners) {
        if (!tokens_.empty() && tokens_.back() == token) continue;
        tokens_.push_back(token);
        owners_.push_back(host);
    }
    index_topology();
}

void token_ring::index_topology() {
    std::map<std::string_view, std::size_t> dc_index;
    std::map<std::pair<std::string_view, std::string_view>, std::size_t> rack_index;
    dc_of_.resize(hosts_.size());
    rack_of_.resize(hosts_.size());
    for (host_id h = 0; h < hosts_.size(); ++h) {
        const auto& loc = hosts_[h];
        auto [dc, dc_new] = dc_index.try_emplace(loc.datacenter, dc_names_.size());
        if (dc_new) dc_names_.push_back(loc.datacenter);
        auto [rack, rack_new] = rack_index.try_emplace({loc.datacenter, loc.rack}, rack_total_);
        if (rack_new) ++rack_total_;
        dc_of_[h] = dc->second;
        rack_of_[h] = rack->second;
    }
    std::vector<bool> host_on_ring(hosts_.size());
    for (host_id h : owners_) host_on_ring[h] = true;
    std::vector<bool> rack_on_ring(rack_total_);
    dc_hosts_.assign(dc_names_.size(), 0);
    dc_racks_.assign(dc_names_.size(), 0);
    for (host_id h = 0; h < hosts_.size(); ++h) {
        if (!host_on_ring[h]) continue;
        ++dc_hosts_[dc_of_[h]];
        if (!rack_on_ring[rack_of_[h]]) {
            rack_on_ring[rack_of_[h]] = true;
            ++dc_racks_[dc_of_[h]];
        }
    }
}

std::size_t token_ring::owner_index(std::int64_t token) const noexcept {
    auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token);
    return it == tokens_.end() ? 0 : static_cast<std::size_t>(it - tokens_.begin());
}

std::optional<host_id> token_ring::owner(std::int64_t token) const noexcept {
    if (tokens_.empty()) return std::nullopt;
    return owners_[owner_index(token)];
}

namespace {

// "3" or "3/1" (all replicas / transient ones): the number of all replicas, or -1.
int parse_factor(std::string_view text) noexcept {
    text = text.substr(0, text.find('/'));
    int value = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value < 0) return -1;
    return value;
}

replication_class class_of(std::string_view name) noexcept {
    auto dot = name.rfind('.');
    if (dot != std::string_view::npos) name.remove_prefix(dot + 1);
    if (name == "SimpleStrategy") return replication_class::simple;
    if (name == "NetworkTopologyStrategy") return replication_class::network_topology;
    if (name == "LocalStrategy") return replication_class::local;
    if (name == "EverywhereStrategy") return replication_class::everywhere;
    return replication_class::unknown;
}

}  // namespace

replication_strategy parse_replication(const std::map<std::string, std::string>& replication) {
    replication_strategy s;
    auto cls = replication.find("class");
    if (cls == replication.end()) return s;
    s.kind = class_of(cls->second);
    if (s.kind == replication_class::simple) {
        auto rf = replication.find("replication_factor");
        s.replication_factor = rf == replication.end() ? -1 : parse_factor(rf->second);
        if (s.replication_factor < 0) s = {};
    } else if (s.kind == replication_class::network_topology) {
        for (const auto& [key, value] : replication) {
            // Servers expand "replication_factor" into per-datacenter entries; a leftover one names no datacenter.
            if (key == "class" || key == "replication_factor") continue;
            int rf = parse_factor(value);
            if (rf < 0) return {};
            s.datacenter_factors.emplace(key, rf);
        }
    }
    return s;
}

namespace {

// Cassandra's placement walk, with its bookkeeping allocated once and reused for every ring range.
class placement {
public:
    placement(const token_ring& ring, const replication_strategy& strategy)
        : ring_(ring), kind_(strategy.kind), chosen_(ring.hosts().size()), rack_seen_(ring.rack_count()) {
        for (std::size_t dc = 0; dc < ring.datacenter_count(); ++dc) ring_hosts_ += ring.hosts_in_datacenter(dc);
        if (kind_ == replication_class::simple)
            limit_ = std::min(ring_hosts_, static_cast<std::size_t>(std::max(strategy.replication_factor, 0)));
        if (kind_ == replication_class::everywhere) limit_ = ring_hosts_;
        dc_rf_.resize(ring.datacenter_count());
        dcs_.resize(ring.datacenter_count());
        for (std::size_t dc = 0; dc < dc_rf_.size(); ++dc) {
            auto it = strategy.datacenter_factors.find(ring.datacenter_name(dc));
            dc_rf_[dc] = it == strategy.datacenter_factors.end() ? 0 : it->second;
        }
    }

    // Appends to out the replicas of the range ending at ring index start, primary first.
    void replicas_from(std::size_t start, std::vector<host_id>& out) {
        const std::size_t first = out.size();
        if (ring_.empty()) return;
        if (kind_ == replication_class::simple || kind_ == replication_class::everywhere) walk_distinct(start, out);
        if (kind_ == replication_class::network_topology) walk_network_topology(start, out);
        for (std::size_t i = first; i < out.size(); ++i) {
            chosen_[out[i]] = false;
            rack_seen_[ring_.rack_of(out[i])] = false;
        }
    }

private:
    void choose(host_id h, std::vector<host_id>& out) {
        chosen_[h] = true;
        rack_seen_[ring_.rack_of(h)] = true;
        out.push_back(h);
    }

    // SimpleStrategy.calculateNaturalReplicas: distinct hosts clockwise until the factor is met.
    void walk_distinct(std::size_t start, std::vector<host_id>& out) {
        std::size_t found = 0;
        for (std::size_t step = 0; step < ring_.size() && found < limit_; ++step) {
            host_id h = ring_.host_at((start + step) % ring_.size());
            if (chosen_[h]) continue;
            choose(h, out);
            ++found;
        }
    }

    struct dc_fill {
        std::size_t rf_left = 0;                // replicas still wanted here, at most the hosts it has
        std::ptrdiff_t acceptable_repeats = 0;  // hosts allowed in an already used rack (RF - racks)
    };

    // NetworkTopologyStrategy.calculateNaturalReplicas (Cassandra 4.x): one walk serving every
    // datacenter. A host in a rack not yet used in its datacenter is always taken; a host in a used
    // rack only while RF exceeds the datacenter's rack count, and only as many such as that excess.
    void walk_network_topology(std::size_t start, std::vector<host_id>& out) {
        std::size_t to_fill = 0;
        for (std::size_t dc = 0; dc < dcs_.size(); ++dc) {
            const std::size_t hosts = ring_.hosts_in_datacenter(dc);
            if (dc_rf_[dc] <= 0 || hosts == 0) {
                dcs_[dc] = {};
                continue;
            }
            dcs_[dc].rf_left = std::min(hosts, static_cast<std::size_t>(dc_rf_[dc]));
            dcs_[dc].acceptable_repeats =
                static_cast<std::ptrdiff_t>(dc_rf_[dc]) - static_cast<std::ptrdiff_t>(ring_.racks_in_datacenter(dc));
            ++to_fill;
        }
        for (std::size_t step = 0; step < ring_.size() && to_fill > 0; ++step) {
            host_id h = ring_.host_at((start + step) % ring_.size());
            dc_fill& d = dcs_[ring_.datacenter_of(h)];
            if (d.rf_left == 0 || chosen_[h]) continue;
            if (rack_seen_[ring_.rack_of(h)]) {
                if (d.acceptable_repeats <= 0) continue;
                --d.acceptable_repeats;
            }
            choose(h, out);
            if (--d.rf_left == 0) --to_fill;
        }
    }

    const token_ring& ring_;
    replication_class kind_;
    std::size_t ring_hosts_ = 0;
    std::size_t limit_ = 0;
    std::vector<bool> chosen_;
    std::vector<bool> rack_seen_;
    std::vector<int> dc_rf_;
    std::vector<dc_fill> dcs_;
};

}  // namespace

std::vector<host_id> compute_replicas(const token_ring& ring, const replication_strategy& strategy,
                                      std::int64_t token) {
    std::vector<host_id> out;
    placement(ring, strategy).replicas_from(ring.owner_index(token), out);
    return out;
}

replica_map::replica_map(const token_ring& ring, const replication_strategy& strategy) {
    if (ring.empty()) return;
    placement p(ring, strategy);
    tokens_.assign(ring.tokens().begin(), ring.tokens().end());
    offsets_.reserve(tokens_.size() + 1);
    offsets_.push_back(0);
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
        p.replicas_from(i, hosts_);
        offsets_.push_back(hosts_.size());
    }
}

std::span<const host_id> replica_map::replicas(std::int64_t token) const noexcept {
    if (tokens_.empty()) return {};
    auto it = std::lower_bound(tokens_.begin(), tokens_.end(), token);
    std::size_t i = it == tokens_.end() ? 0 : static_cast<std::size_t>(it - tokens_.begin());
    return std::span<const host_id>(hosts_).subspan(offsets_[i], offsets_[i + 1] - offsets_[i]);
}

}  // namespace cql::detail
