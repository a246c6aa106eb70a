// The token ring and Cassandra's replica placement over it: which hosts hold the data of a token.
// Pure data: the hosts are opaque ids, the caller maps them to connections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace cql::detail {

// Index of a host in the list the ring was built from.
using host_id = std::size_t;

struct host_location {
    std::string datacenter;
    std::string rack;
};

// The sorted tokens of the cluster, each with the host owning the range that ends at it.
class token_ring {
public:
    token_ring() = default;

    // hosts[id] locates host id; token_owners pairs tokens with their owners, in any order.
    // A pair naming an id outside hosts is dropped; a token listed twice keeps its first owner.
    token_ring(std::vector<host_location> hosts, std::vector<std::pair<std::int64_t, host_id>> token_owners);

    bool empty() const noexcept { return tokens_.empty(); }
    std::size_t size() const noexcept { return tokens_.size(); }
    std::span<const std::int64_t> tokens() const noexcept { return tokens_; }
    host_id host_at(std::size_t index) const noexcept { return owners_[index]; }
    const std::vector<host_location>& hosts() const noexcept { return hosts_; }

    // Index of the first ring token >= token, wrapping to 0 past the last one (0 on an empty ring).
    std::size_t owner_index(std::int64_t token) const noexcept;
    // The host whose range contains token; nullopt on an empty ring.
    std::optional<host_id> owner(std::int64_t token) const noexcept;

    // Datacenters and racks as dense indexes; a rack index names a (datacenter, rack) pair.
    std::size_t datacenter_count() const noexcept { return dc_names_.size(); }
    const std::string& datacenter_name(std::size_t dc) const noexcept { return dc_names_[dc]; }
    std::size_t datacenter_of(host_id h) const noexcept { return dc_of_[h]; }
    std::size_t rack_of(host_id h) const noexcept { return rack_of_[h]; }
    std::size_t rack_count() const noexcept { return rack_total_; }
    // Counted over the hosts that own tokens, the only ones Cassandra's topology holds.
    std::size_t hosts_in_datacenter(std::size_t dc) const noexcept { return dc_hosts_[dc]; }
    std::size_t racks_in_datacenter(std::size_t dc) const noexcept { return dc_racks_[dc]; }

private:
    void index_topology();

    std::vector<host_location> hosts_;
    std::vector<std::int64_t> tokens_;
    std::vector<host_id> owners_;
    std::vector<std::string> dc_names_;
    std::vector<std::size_t> dc_of_;
    std::vector<std::size_t> rack_of_;
    std::vector<std::size_t> dc_hosts_;
    std::vector<std::size_t> dc_racks_;
    std::size_t rack_total_ = 0;
};

enum class replication_class {
    simple,            // SimpleStrategy: the next replication_factor distinct hosts clockwise
    network_topology,  // NetworkTopologyStrategy: per datacenter, rack-aware
    local,             // LocalStrategy: data lives on whichever node is asked (system keyspaces)
    everywhere,        // EverywhereStrategy: every host holds everything
    unknown,           // another class, or options we could not read: no replica is known
};

struct replication_strategy {
    replication_class kind = replication_class::unknown;
    int replication_factor = 0;                  // simple
    std::map<std::string, int> datacenter_factors;  // network_topology
};

// Reads the replication map of system_schema.keyspaces. Class names may be qualified or short;
// a factor "3/1" (Cassandra 4.0 transient replicas) counts all 3 replicas. Unreadable factors
// give replication_class::unknown.
replication_strategy parse_replication(const std::map<std::string, std::string>& replication);

// The replicas of the range containing token, primary first, exactly as Cassandra places them.
// Empty for local and unknown strategies and on an empty ring: the caller routes as it would without
// token awareness.
std::vector<host_id> compute_replicas(const token_ring& ring, const replication_strategy& strategy, std::int64_t token);

// compute_replicas for every ring range, computed once per keyspace and ring: a lookup is a binary search.
class replica_map {
public:
    replica_map() = default;
    replica_map(const token_ring& ring, const replication_strategy& strategy);

    std::span<const host_id> replicas(std::int64_t token) const noexcept;
    bool empty() const noexcept { return tokens_.empty(); }

private:
    std::vector<std::int64_t> tokens_;
    std::vector<std::size_t> offsets_;  // replicas of tokens_[i] are hosts_[offsets_[i], offsets_[i + 1])
    std::vector<host_id> hosts_;
};

}  // namespace cql::detail
