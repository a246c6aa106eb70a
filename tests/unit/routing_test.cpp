// Routing math: Murmur3 tokens, routing keys, the token ring and Cassandra's replica placement.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "cql/detail/murmur3.hpp"
#include "cql/detail/routing_key.hpp"
#include "cql/detail/token_ring.hpp"
#include "hex.hpp"
#include "protocol/error.hpp"

using namespace cql::detail;
using cql::test::from_hex;
using cql::test::to_hex;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

namespace {

constexpr std::int64_t min_token = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t max_token = std::numeric_limits<std::int64_t>::max();

std::vector<std::uint8_t> bytes_of(std::string_view s) { return {s.begin(), s.end()}; }

std::int64_t token_of(std::string_view s) { return murmur3_token(bytes_of(s)); }

// A second MurmurHash3_x64_128 written the way the Java source reads: signed 64-bit lanes fed one
// byte at a time, tail bytes through a signed char, the Java switch spelled out case by case.
std::int64_t reference_token(const std::vector<std::uint8_t>& key) {
    if (key.empty()) return min_token;
    auto rotl = [](std::uint64_t v, int n) { return (v << n) | (v >> (64 - n)); };
    auto fmix = [](std::uint64_t k) {
        k ^= k >> 33;
        k *= 0xff51afd7ed558ccdULL;
        k ^= k >> 33;
        k *= 0xc4ceb9fe1a85ec53ULL;
        return k ^ (k >> 33);
    };
    const std::uint64_t c1 = 0x87c37b91114253d5ULL, c2 = 0x4cf5ad432745937fULL;
    std::uint64_t h1 = 0, h2 = 0;
    std::size_t i = 0;
    for (; i + 16 <= key.size(); i += 16) {
        std::uint64_t k1 = 0, k2 = 0;
        for (std::size_t b = 0; b < 8; ++b) k1 |= std::uint64_t{key[i + b]} << (8 * b);
        for (std::size_t b = 0; b < 8; ++b) k2 |= std::uint64_t{key[i + 8 + b]} << (8 * b);
        h1 ^= rotl(k1 * c1, 31) * c2;
        h1 = (rotl(h1, 27) + h2) * 5 + 0x52dce729;
        h2 ^= rotl(k2 * c2, 33) * c1;
        h2 = (rotl(h2, 31) + h1) * 5 + 0x38495ab5;
    }
    auto sx = [&](std::size_t at) {
        return static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<signed char>(key[i + at])));
    };
    std::uint64_t k1 = 0, k2 = 0;
    switch (key.size() - i) {
        case 15: k2 ^= sx(14) << 48; [[fallthrough]];
        case 14: k2 ^= sx(13) << 40; [[fallthrough]];
        case 13: k2 ^= sx(12) << 32; [[fallthrough]];
        case 12: k2 ^= sx(11) << 24; [[fallthrough]];
        case 11: k2 ^= sx(10) << 16; [[fallthrough]];
        case 10: k2 ^= sx(9) << 8; [[fallthrough]];
        case 9: k2 ^= sx(8); h2 ^= rotl(k2 * c2, 33) * c1; [[fallthrough]];
        case 8: k1 ^= sx(7) << 56; [[fallthrough]];
        case 7: k1 ^= sx(6) << 48; [[fallthrough]];
        case 6: k1 ^= sx(5) << 40; [[fallthrough]];
        case 5: k1 ^= sx(4) << 32; [[fallthrough]];
        case 4: k1 ^= sx(3) << 24; [[fallthrough]];
        case 3: k1 ^= sx(2) << 16; [[fallthrough]];
        case 2: k1 ^= sx(1) << 8; [[fallthrough]];
        case 1: k1 ^= sx(0); h1 ^= rotl(k1 * c1, 31) * c2; break;
        default: break;
    }
    h1 ^= key.size();
    h2 ^= key.size();
    h1 += h2;
    h2 += h1;
    h1 = fmix(h1);
    h2 = fmix(h2);
    auto t = static_cast<std::int64_t>(h1 + h2);
    return t == min_token ? max_token : t;
}

}  // namespace

// Vectors from Cassandra's and the drivers' partitioner tests.
TEST(Murmur3, MatchesCassandraTokens) {
    EXPECT_EQ(token_of("123"), -7468325962851647638);
    EXPECT_EQ(token_of("test"), -6017608668500074083);
    EXPECT_EQ(murmur3_token(from_hex("fefefefefefefefe")), -8927430733708461935);
    EXPECT_EQ(murmur3_token(from_hex("1010101010101010")), 1446172840243228796);
    std::vector<std::uint8_t> fifty;
    for (int i = 0; i < 10; ++i) for (auto b : from_hex("00ff10fa99")) fifty.push_back(b);
    ASSERT_EQ(fifty.size(), 50u);
    EXPECT_EQ(murmur3_token(fifty), 5837342703291459765);
    // "kremówki": 0xc3 0xb3 sit in a 9-byte tail, so this and fe x8 fail without sign extension.
    EXPECT_EQ(token_of("krem\xc3\xb3wki"), 4354931215268080151);
    EXPECT_EQ(murmur3_token(from_hex("00104327529fb645dd00b883ec39ae448bb800000400066a6b00")),
              -9223371632693506265);
}

TEST(Murmur3, EmptyKeyIsTheMinimumToken) {
    std::vector<std::uint8_t> empty;
    EXPECT_EQ(murmur3_token(empty), min_token);
}

// Every block/tail split from 0 to 40 bytes, with bytes >= 0x80 in every tail position.
TEST(Murmur3, AgreesWithByteByByteReferenceAtEveryLength) {
    std::mt19937 rng(42);
    for (std::size_t len = 0; len <= 40; ++len) {
        for (int round = 0; round < 8; ++round) {
            std::vector<std::uint8_t> key(len);
            for (auto& b : key) b = static_cast<std::uint8_t>(rng());
            if (round == 0) std::fill(key.begin(), key.end(), 0xff);
            if (round == 1) std::fill(key.begin(), key.end(), 0x7f);
            ASSERT_EQ(murmur3_token(key), reference_token(key)) << "length " << len << " key " << to_hex(key);
        }
    }
}

TEST(RoutingKey, SingleComponentIsTheValueItself) {
    auto v = from_hex("0000002a");
    std::vector<bytes_view> parts{v};
    std::vector<std::uint8_t> out{9, 9};  // previous contents are replaced
    ASSERT_FALSE(build_routing_key(parts, out));
    EXPECT_EQ(to_hex(out), "0000002a");
    auto empty = from_hex("");
    std::vector<bytes_view> empty_part{empty};
    ASSERT_FALSE(build_routing_key(empty_part, out));
    EXPECT_THAT(out, IsEmpty());
}

TEST(RoutingKey, CompositeComponentsAreLengthPrefixedAndTerminated) {
    auto a = from_hex("00000001");
    auto b = bytes_of("ab");
    auto c = from_hex("");
    std::vector<bytes_view> parts{a, b, c};
    std::vector<std::uint8_t> out;
    ASSERT_FALSE(build_routing_key(parts, out));
    EXPECT_EQ(to_hex(out), "0004" "00000001" "00" "0002" "6162" "00" "0000" "00");
}

// The last Cassandra vector is a composite (uuid, int) key: rebuild it from its components.
TEST(RoutingKey, CompositeUuidIntKeyHasCassandrasToken) {
    auto uuid = from_hex("4327529fb645dd00b883ec39ae448bb8");
    auto id = from_hex("00066a6b");
    std::vector<bytes_view> parts{uuid, id};
    std::vector<std::uint8_t> scratch;
    std::int64_t token = 0;
    ASSERT_FALSE(routing_token(parts, scratch, token));
    EXPECT_EQ(to_hex(scratch), "00104327529fb645dd00b883ec39ae448bb800000400066a6b00");
    EXPECT_EQ(token, -9223371632693506265);
}

TEST(RoutingKey, ComponentLengthLimits) {
    std::vector<std::uint8_t> longest(0xffff, 0xab), too_long(0x10000, 0xab), small{1};
    std::vector<std::uint8_t> out;
    std::vector<bytes_view> ok{longest, small};
    ASSERT_FALSE(build_routing_key(ok, out));
    ASSERT_EQ(out.size(), 0xffffu + 3 + 4);
    EXPECT_EQ(to_hex(std::span(out).first(3)), "ffffab");
    EXPECT_EQ(to_hex(std::span(out).last(6)), "ab00" "0001" "01" "00");
    std::vector<bytes_view> bad{small, too_long};
    EXPECT_EQ(build_routing_key(bad, out), cql::protocol::errc::invalid_length);
    EXPECT_THAT(out, IsEmpty());
    std::int64_t token = 7;
    std::vector<std::uint8_t> scratch;
    EXPECT_EQ(routing_token(bad, scratch, token), cql::protocol::errc::invalid_length);
    EXPECT_EQ(token, 7);
    // A lone component has no length prefix, so no 16-bit limit either.
    std::vector<bytes_view> alone{too_long};
    ASSERT_FALSE(build_routing_key(alone, out));
    EXPECT_EQ(out.size(), 0x10000u);
    std::vector<bytes_view> none;
    EXPECT_EQ(build_routing_key(none, out), cql::protocol::errc::invalid_length);
}

namespace {

// Hosts named by letter: A=0, B=1, ...; locations given as "dc/rack".
std::vector<host_location> hosts_at(std::initializer_list<const char*> locations) {
    std::vector<host_location> out;
    for (std::string loc : locations) {
        auto slash = loc.find('/');
        out.push_back({loc.substr(0, slash), loc.substr(slash + 1)});
    }
    return out;
}

constexpr host_id A = 0, B = 1, C = 2, D = 3, E = 4, F = 5, G = 6;

replication_strategy simple(int rf) {
    return parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", std::to_string(rf)}});
}

replication_strategy nts(std::map<std::string, std::string> factors) {
    factors["class"] = "org.apache.cassandra.locator.NetworkTopologyStrategy";
    return parse_replication(factors);
}

// Every interesting probe of a ring: its tokens, their neighbours, and both ends of the token space.
std::vector<std::int64_t> probes(const token_ring& ring) {
    std::vector<std::int64_t> out{min_token, min_token + 1, max_token - 1, max_token, 0};
    for (auto t : ring.tokens()) {
        out.push_back(t);
        if (t != min_token) out.push_back(t - 1);
        if (t != max_token) out.push_back(t + 1);
    }
    return out;
}

// replica_map must answer exactly as the direct computation for every probe.
void expect_map_matches(const token_ring& ring, const replication_strategy& s) {
    replica_map map(ring, s);
    for (auto t : probes(ring)) {
        auto got = map.replicas(t);
        EXPECT_EQ(std::vector<host_id>(got.begin(), got.end()), compute_replicas(ring, s, t)) << "token " << t;
    }
}

}  // namespace

TEST(TokenRing, OwnerIsFirstTokenAtOrAfterAndWraps) {
    token_ring ring(hosts_at({"dc1/r1", "dc1/r1", "dc1/r1"}), {{100, C}, {-100, A}, {0, B}});
    EXPECT_THAT(std::vector<std::int64_t>(ring.tokens().begin(), ring.tokens().end()), ElementsAre(-100, 0, 100));
    EXPECT_EQ(ring.owner(-100), A);  // exactly on a token: that token's owner
    EXPECT_EQ(ring.owner(-101), A);
    EXPECT_EQ(ring.owner(-99), B);
    EXPECT_EQ(ring.owner(0), B);
    EXPECT_EQ(ring.owner(1), C);
    EXPECT_EQ(ring.owner(100), C);
    EXPECT_EQ(ring.owner(101), A);  // past the last token: wraps to the first
    EXPECT_EQ(ring.owner(min_token), A);
    EXPECT_EQ(ring.owner(max_token), A);
    EXPECT_EQ(ring.owner_index(101), 0u);
    EXPECT_EQ(ring.owner_index(50), 2u);
}

TEST(TokenRing, ExtremeTokensOnTheRing) {
    token_ring ring(hosts_at({"dc1/r1", "dc1/r1"}), {{max_token, B}, {min_token, A}});
    EXPECT_EQ(ring.owner(min_token), A);
    EXPECT_EQ(ring.owner(min_token + 1), B);
    EXPECT_EQ(ring.owner(max_token), B);
    EXPECT_EQ(ring.owner(0), B);
}

TEST(TokenRing, DropsUnknownHostsAndKeepsFirstClaimOfAToken) {
    token_ring ring(hosts_at({"dc1/r1", "dc1/r1"}), {{5, B}, {5, A}, {7, 9}, {1, A}});
    ASSERT_EQ(ring.size(), 2u);
    EXPECT_EQ(ring.host_at(0), A);
    EXPECT_EQ(ring.host_at(1), B);
    EXPECT_EQ(ring.owner(3), B);
    EXPECT_EQ(ring.owner(7), A);
}

TEST(TokenRing, EmptyRingHasNoOwnerAndNoReplicas) {
    token_ring ring(hosts_at({"dc1/r1"}), {});
    EXPECT_TRUE(ring.empty());
    EXPECT_EQ(ring.owner(0), std::nullopt);
    EXPECT_EQ(ring.owner_index(0), 0u);
    EXPECT_THAT(compute_replicas(ring, simple(3), 0), IsEmpty());
    replica_map map(ring, simple(3));
    EXPECT_TRUE(map.empty());
    EXPECT_THAT(map.replicas(0), IsEmpty());
    EXPECT_THAT(replica_map().replicas(42), IsEmpty());
}

TEST(TokenRing, TopologyCountsOnlyHostsOwningTokens) {
    // C owns no token: it neither counts as a dc1 host nor brings rack r3 into dc1.
    token_ring ring(hosts_at({"dc1/r1", "dc1/r1", "dc1/r3", "dc2/r1"}), {{0, A}, {10, B}, {20, D}});
    ASSERT_EQ(ring.datacenter_count(), 2u);
    EXPECT_EQ(ring.datacenter_name(ring.datacenter_of(A)), "dc1");
    EXPECT_EQ(ring.datacenter_name(ring.datacenter_of(D)), "dc2");
    EXPECT_EQ(ring.hosts_in_datacenter(ring.datacenter_of(A)), 2u);
    EXPECT_EQ(ring.racks_in_datacenter(ring.datacenter_of(A)), 1u);
    EXPECT_EQ(ring.hosts_in_datacenter(ring.datacenter_of(D)), 1u);
    // Same rack name in two datacenters: two racks.
    EXPECT_NE(ring.rack_of(A), ring.rack_of(D));
    EXPECT_EQ(ring.rack_of(A), ring.rack_of(B));
    // With C's rack counted, RF 2 over 2 racks would allow no repeat and B would be skipped.
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "2"}}), 0), ElementsAre(A, B));
}

TEST(Replication, ParsesSimpleStrategy) {
    auto s = parse_replication({{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "3"}});
    EXPECT_EQ(s.kind, replication_class::simple);
    EXPECT_EQ(s.replication_factor, 3);
    s = parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", "2"}});
    EXPECT_EQ(s.kind, replication_class::simple);
    EXPECT_EQ(s.replication_factor, 2);
    s = parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", "3/1"}});
    EXPECT_EQ(s.kind, replication_class::simple);
    EXPECT_EQ(s.replication_factor, 3);
}

TEST(Replication, ParsesNetworkTopologyStrategy) {
    auto s = parse_replication(
        {{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"}, {"dc1", "3"}, {"dc2", "2/1"}, {"dc3", "0"}});
    EXPECT_EQ(s.kind, replication_class::network_topology);
    EXPECT_EQ(s.datacenter_factors, (std::map<std::string, int>{{"dc1", 3}, {"dc2", 2}, {"dc3", 0}}));
    s = parse_replication({{"class", "NetworkTopologyStrategy"}, {"DC1", "1"}});
    EXPECT_EQ(s.kind, replication_class::network_topology);
    EXPECT_EQ(s.datacenter_factors, (std::map<std::string, int>{{"DC1", 1}}));
}

TEST(Replication, OtherClassesAndBadOptions) {
    EXPECT_EQ(parse_replication({{"class", "org.apache.cassandra.locator.LocalStrategy"}}).kind,
              replication_class::local);
    EXPECT_EQ(parse_replication({{"class", "org.apache.cassandra.locator.EverywhereStrategy"}}).kind,
              replication_class::everywhere);
    EXPECT_EQ(parse_replication({{"class", "com.datastax.bdp.cassandra.replication.EverywhereStrategy"}}).kind,
              replication_class::everywhere);
    EXPECT_EQ(parse_replication({{"class", "org.apache.cassandra.locator.OldNetworkTopologyStrategy"},
                                 {"replication_factor", "3"}})
                  .kind,
              replication_class::unknown);
    EXPECT_EQ(parse_replication({{"replication_factor", "3"}}).kind, replication_class::unknown);
    for (const char* bad : {"", "x", "-1", "3x", "/1", "99999999999"}) {
        EXPECT_EQ(parse_replication({{"class", "SimpleStrategy"}, {"replication_factor", bad}}).kind,
                  replication_class::unknown)
            << bad;
        EXPECT_EQ(parse_replication({{"class", "NetworkTopologyStrategy"}, {"dc1", "3"}, {"dc2", bad}}).kind,
                  replication_class::unknown)
            << bad;
    }
    EXPECT_EQ(parse_replication({{"class", "SimpleStrategy"}}).kind, replication_class::unknown);
}

namespace {

// A vnode ring: A, B and C own tokens 0..40, A and B twice.
token_ring vnode_ring() {
    return token_ring(hosts_at({"dc1/r1", "dc1/r1", "dc1/r1"}), {{0, A}, {10, B}, {20, A}, {30, C}, {40, B}});
}

}  // namespace

TEST(SimpleStrategy, WalksDistinctHostsClockwise) {
    auto ring = vnode_ring();
    EXPECT_THAT(compute_replicas(ring, simple(1), 25), ElementsAre(C));
    EXPECT_THAT(compute_replicas(ring, simple(1), 41), ElementsAre(A));  // wraps
    EXPECT_THAT(compute_replicas(ring, simple(2), 25), ElementsAre(C, B));
    EXPECT_THAT(compute_replicas(ring, simple(2), 30), ElementsAre(C, B));
    EXPECT_THAT(compute_replicas(ring, simple(2), 31), ElementsAre(B, A));  // 40:B then wraps to 0:A
    EXPECT_THAT(compute_replicas(ring, simple(3), 35), ElementsAre(B, A, C));  // skips B at 10 and A at 20
    EXPECT_THAT(compute_replicas(ring, simple(2), 1), ElementsAre(B, A));
    EXPECT_THAT(compute_replicas(ring, simple(3), min_token), ElementsAre(A, B, C));
    EXPECT_THAT(compute_replicas(ring, simple(2), max_token), ElementsAre(A, B));
}

TEST(SimpleStrategy, FactorAboveHostCountGivesEveryHostOnce) {
    auto ring = vnode_ring();
    EXPECT_THAT(compute_replicas(ring, simple(5), 15), ElementsAre(A, C, B));
    EXPECT_THAT(compute_replicas(ring, simple(0), 15), IsEmpty());
    for (int rf = 0; rf <= 5; ++rf) expect_map_matches(ring, simple(rf));
}

TEST(OtherStrategies, LocalUnknownAndEverywhere) {
    // D has no token: it holds no data, even for EverywhereStrategy.
    token_ring ring(hosts_at({"dc1/r1", "dc1/r1", "dc2/r1", "dc2/r1"}), {{0, A}, {10, B}, {20, C}, {30, A}});
    auto local = parse_replication({{"class", "LocalStrategy"}});
    auto everywhere = parse_replication({{"class", "EverywhereStrategy"}});
    EXPECT_THAT(compute_replicas(ring, local, 5), IsEmpty());
    EXPECT_THAT(compute_replicas(ring, replication_strategy{}, 5), IsEmpty());
    EXPECT_THAT(replica_map(ring, local).replicas(5), IsEmpty());
    EXPECT_THAT(compute_replicas(ring, everywhere, 5), ElementsAre(B, C, A));
    EXPECT_THAT(compute_replicas(ring, everywhere, 25), ElementsAre(A, B, C));
    expect_map_matches(ring, everywhere);
}

namespace {

// Two datacenters, interleaved on the ring:
//   0:A dc1/r1  10:B dc1/r1  15:E dc2/rA  20:C dc1/r2  25:F dc2/rA  30:D dc1/r2  35:G dc2/rB
token_ring two_dc_ring() {
    return token_ring(hosts_at({"dc1/r1", "dc1/r1", "dc1/r2", "dc1/r2", "dc2/rA", "dc2/rA", "dc2/rB"}),
                      {{0, A}, {10, B}, {15, E}, {20, C}, {25, F}, {30, D}, {35, G}});
}

}  // namespace

TEST(NetworkTopologyStrategy, RackAwarenessBeatsTheNaiveWalk) {
    auto ring = two_dc_ring();
    // A naive per-DC walk from 0 would give dc1 {A, B} and dc2 {E, F}; racks push B and F out.
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "2"}, {"dc2", "2"}}), 0), ElementsAre(A, E, C, G));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "2"}, {"dc2", "2"}}), 21), ElementsAre(F, D, G, A));
    // Wrapping: from 36 the walk restarts at 0.
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "1"}, {"dc2", "1"}}), 36), ElementsAre(A, E));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "1"}, {"dc2", "1"}}), max_token), ElementsAre(A, E));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "1"}, {"dc2", "1"}}), 35), ElementsAre(G, A));
}

TEST(NetworkTopologyStrategy, RackRepeatsFillTheExcessOverRackCountInWalkOrder) {
    auto ring = two_dc_ring();
    // dc1 RF 3 over 2 racks allows one rack repeat: the first one met (B), as Cassandra 3.x/4.x does.
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "3"}}), 0), ElementsAre(A, B, C));
    // From 11 C (r2) comes first, then D (r2 repeat, taken), then A (r1).
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "3"}}), 11), ElementsAre(C, D, A));
    // dc2 RF 2 with racks rA, rB and no repeat allowed: E, then F skipped, then G.
    EXPECT_THAT(compute_replicas(ring, nts({{"dc2", "2"}}), 11), ElementsAre(E, G));
}

TEST(NetworkTopologyStrategy, FactorAboveDatacenterSizeTakesAllItsHosts) {
    auto ring = two_dc_ring();
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "3"}, {"dc2", "5"}}), 16), ElementsAre(C, F, D, G, A, E));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "9"}}), 16), ElementsAre(C, D, A, B));
}

TEST(NetworkTopologyStrategy, UnknownAndEmptyDatacentersAreIgnored) {
    auto ring = two_dc_ring();
    EXPECT_THAT(compute_replicas(ring, nts({{"dc3", "3"}, {"dc2", "1"}}), 0), ElementsAre(E));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "0"}, {"dc2", "1"}}), 0), ElementsAre(E));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc3", "3"}}), 0), IsEmpty());
}

TEST(NetworkTopologyStrategy, RackNamesAreScopedToTheirDatacenter) {
    // B in dc2/r1 is a new rack for dc2 even though dc1 already used a rack named r1.
    token_ring ring(hosts_at({"dc1/r1", "dc2/r1", "dc2/r1", "dc2/r2"}), {{0, A}, {10, B}, {20, C}, {30, D}});
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "1"}, {"dc2", "2"}}), 0), ElementsAre(A, B, D));
}

TEST(NetworkTopologyStrategy, SingleRackIsAPlainDistinctWalk) {
    auto ring = vnode_ring();
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "2"}}), 35), ElementsAre(B, A));
    EXPECT_THAT(compute_replicas(ring, nts({{"dc1", "3"}}), 35), ElementsAre(B, A, C));
}

TEST(ReplicaMap, MatchesDirectComputationEverywhere) {
    auto ring = two_dc_ring();
    expect_map_matches(ring, nts({{"dc1", "2"}, {"dc2", "2"}}));
    expect_map_matches(ring, nts({{"dc1", "3"}, {"dc2", "1"}}));
    expect_map_matches(ring, simple(3));
    replica_map map(ring, nts({{"dc1", "2"}, {"dc2", "2"}}));
    EXPECT_THAT(map.replicas(0), ElementsAre(A, E, C, G));
    EXPECT_THAT(map.replicas(-5), ElementsAre(A, E, C, G));
    EXPECT_THAT(map.replicas(36), ElementsAre(A, E, C, G));
    EXPECT_THAT(map.replicas(21), ElementsAre(F, D, G, A));
}

namespace {

// Cassandra 2.x's formulation (what the brief describes): per DC, skip hosts of used racks and append
// the skipped ones once every rack has been seen. It picks the same hosts as the 3.x+ rule in
// another order, so it checks the set.
std::set<host_id> skipped_list_replicas(const token_ring& ring, const std::map<std::string, int>& rf,
                                        std::int64_t token) {
    std::map<std::string, std::set<host_id>> dc_hosts, chosen;
    std::map<std::string, std::set<std::string>> dc_racks, seen;
    std::map<std::string, std::vector<host_id>> skipped;
    for (std::size_t i = 0; i < ring.size(); ++i) {
        const auto& loc = ring.hosts()[ring.host_at(i)];
        dc_hosts[loc.datacenter].insert(ring.host_at(i));
        dc_racks[loc.datacenter].insert(loc.rack);
    }
    auto enough = [&](const std::string& dc) {
        auto it = rf.find(dc);
        std::size_t want = it == rf.end() ? 0 : static_cast<std::size_t>(it->second);
        return chosen[dc].size() >= std::min(want, dc_hosts[dc].size());
    };
    std::size_t start = ring.owner_index(token);
    for (std::size_t step = 0; step < ring.size(); ++step) {
        host_id h = ring.host_at((start + step) % ring.size());
        const auto& [dc, rack] = ring.hosts()[h];
        if (!rf.count(dc) || enough(dc)) continue;
        if (seen[dc].size() == dc_racks[dc].size()) {
            chosen[dc].insert(h);
        } else if (seen[dc].count(rack)) {
            if (std::find(skipped[dc].begin(), skipped[dc].end(), h) == skipped[dc].end()) skipped[dc].push_back(h);
        } else {
            chosen[dc].insert(h);
            seen[dc].insert(rack);
            if (seen[dc].size() == dc_racks[dc].size())
                for (auto s : skipped[dc]) if (!enough(dc)) chosen[dc].insert(s);
        }
    }
    std::set<host_id> all;
    for (const auto& [dc, hosts] : chosen) all.insert(hosts.begin(), hosts.end());
    return all;
}

}  // namespace

TEST(NetworkTopologyStrategy, PicksTheSameHostsAsTheSkippedListFormulation) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        std::vector<host_location> hosts;
        const std::size_t host_count = 2 + rng() % 10;
        for (std::size_t h = 0; h < host_count; ++h)
            hosts.push_back({"dc" + std::to_string(rng() % 2), "r" + std::to_string(rng() % 3)});
        std::vector<std::pair<std::int64_t, host_id>> tokens;
        for (int t = 0; t < 24; ++t)
            tokens.emplace_back(static_cast<std::int64_t>(rng() % 1000) - 500, rng() % host_count);
        token_ring ring(hosts, tokens);
        std::map<std::string, int> rf{{"dc0", static_cast<int>(rng() % 5)}, {"dc1", static_cast<int>(rng() % 5)}};
        replication_strategy s;
        s.kind = replication_class::network_topology;
        s.datacenter_factors = rf;
        for (auto t : probes(ring)) {
            auto got = compute_replicas(ring, s, t);
            std::set<host_id> got_set(got.begin(), got.end());
            ASSERT_EQ(got_set.size(), got.size()) << "a host was listed twice";
            ASSERT_EQ(got_set, skipped_list_replicas(ring, rf, t)) << "round " << round << " token " << t;
        }
        expect_map_matches(ring, s);
    }
}
