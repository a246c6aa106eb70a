// The client against a real 3-node cluster: its tokens equal the server's token(), its replicas
// equal nodetool getendpoints, statements go to replicas, and a node stopped and restarted is
// routed around, then reconnected (with transparent re-prepare on the restarted node).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "../integration/client_fixture.hpp"
#include "cql/detail/murmur3.hpp"

using namespace cql;
using namespace cql::test;
using protocol::cql_value;

namespace {

std::string harness(const std::string& args) {
    std::string cmd = std::string(CQL_SOURCE_ROOT "/tools/cassandra-local ") + args + " 2>&1";
    std::string out;
    FILE* p = popen(cmd.c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf;
    while (auto n = fread(buf.data(), 1, buf.size(), p)) out.append(buf.data(), n);
    EXPECT_EQ(pclose(p), 0) << cmd << "\n" << out;
    return out;
}

std::int64_t token_of(const std::string& key) {
    return detail::murmur3_token({reinterpret_cast<const std::uint8_t*>(key.data()), key.size()});
}

std::set<std::string> ips(const std::vector<std::string>& labels) {
    std::set<std::string> out;
    for (const auto& l : labels) out.insert(l.substr(0, l.rfind(':')));
    return out;
}

void insert_keys(blocking_session& db, const prepared_statement& ins, int n, const std::string& prefix) {
    inflight_window window(512);
    for (int i = 0; i < n; ++i) {
        window.acquire();
        bound_statement st{ins, {cql_value::text(prefix + std::to_string(i))}, {}};
        st.options.idempotent = true;
        db.async().execute(std::move(st), [&](std::error_code e, result) { window.release(e); });
    }
    window.drain();
    EXPECT_EQ(window.failed(), 0u) << window.last_error().message();
}

std::map<std::string, std::uint64_t> sent_per_host(blocking_session& db) {
    std::map<std::string, std::uint64_t> out;
    for (const auto& h : db.hosts()) out[h.address] = h.requests_sent;
    return out;
}

class Cluster : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_FALSE(db_.connect()) << db_.last_error().message;
        ASSERT_EQ(db_.hosts().size(), 3u);
    }
    blocking_session db_{env_config()};
};

}  // namespace

TEST_F(Cluster, TokensEqualTheServersTokenFunction) {
    scratch_keyspace ks(db_, "cl_tokens", 3);
    run(db_, statement("CREATE TABLE cl_tokens.t (k text PRIMARY KEY)"));
    std::error_code ec;
    auto ins = db_.prepare("INSERT INTO cl_tokens.t (k) VALUES (?)", ec);
    ASSERT_FALSE(ec) << ins.diag.message;
    ASSERT_EQ(ins.partition_key_indexes().size(), 1u);
    insert_keys(db_, ins, 10000, "key-");
    statement sel("SELECT token(k), k FROM cl_tokens.t");
    sel.options.page_size = 2000;
    std::size_t checked = 0;
    for (;;) {
        auto r = db_.execute(sel, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        for (std::size_t i = 0; i < r.size(); ++i, ++checked) {
            auto key = *r.get_text(i, 1);
            ASSERT_EQ(*r.get_int64(i, 0), token_of(key)) << key;
        }
        if (!r.paging_state()) break;
        sel.options.paging_state = *r.paging_state();
    }
    EXPECT_EQ(checked, 10000u);
}

TEST_F(Cluster, ReplicasEqualNodetoolGetendpoints) {
    scratch_keyspace ks(db_, "cl_replicas", 2);
    run(db_, statement("CREATE TABLE cl_replicas.t (k text PRIMARY KEY)"));
    for (std::string key : {"alpha", "bravo", "charlie"}) {
        auto ours = ips(db_.replicas("cl_replicas", token_of(key)));
        ASSERT_EQ(ours.size(), 2u) << key;
        auto out = harness("nodetool getendpoints cl_replicas t " + key);
        std::set<std::string> theirs;
        for (std::size_t at = 0; (at = out.find("127.0.0.", at)) != std::string::npos;) {
            auto end = out.find_first_not_of("0123456789.", at);
            theirs.insert(out.substr(at, end - at));
            at = end;
        }
        EXPECT_EQ(ours, theirs) << key << "\n" << out;
    }
}

TEST_F(Cluster, StatementsGoToTheReplicaOfTheirPartition) {
    scratch_keyspace ks(db_, "cl_routing", 1);
    run(db_, statement("CREATE TABLE cl_routing.t (k text PRIMARY KEY)"));
    std::error_code ec;
    auto ins = db_.prepare("INSERT INTO cl_routing.t (k) VALUES (?)", ec);
    ASSERT_FALSE(ec);
    std::map<std::string, std::uint64_t> expected;
    const int n = 3000;
    for (int i = 0; i < n; ++i) {
        auto reps = db_.replicas("cl_routing", token_of("r" + std::to_string(i)));
        ASSERT_EQ(reps.size(), 1u);
        ++expected[reps[0]];
    }
    EXPECT_EQ(expected.size(), 3u) << "keys should spread over the three nodes";
    auto before = sent_per_host(db_);
    insert_keys(db_, ins, n, "r");
    auto after = sent_per_host(db_);
    for (const auto& [host, count] : expected) EXPECT_EQ(after[host] - before[host], count) << host;
}

TEST_F(Cluster, NodeStoppedIsRoutedAroundAndReconnectedWithRepreparedStatements) {
    scratch_keyspace ks(db_, "cl_failover", 3);
    run(db_, statement("CREATE TABLE cl_failover.t (k text PRIMARY KEY)"));
    // A keyspace with one replica, so some statements must go to node 3 after its restart.
    scratch_keyspace one(db_, "cl_single", 1);
    run(db_, statement("CREATE TABLE cl_single.t (k text PRIMARY KEY)"));
    std::error_code ec;
    auto ins = db_.prepare("INSERT INTO cl_failover.t (k) VALUES (?)", ec);
    ASSERT_FALSE(ec);
    auto single = db_.prepare("INSERT INTO cl_single.t (k) VALUES (?)", ec);
    ASSERT_FALSE(ec);
    insert_keys(db_, single, 300, "s");

    harness("stop-node 3");
    insert_keys(db_, ins, 2000, "during-");  // LOCAL_QUORUM of 3 with one node down still works
    auto hosts = db_.hosts();
    for (const auto& h : hosts) {
        if (h.address.rfind("127.0.0.3", 0) == 0) {
            EXPECT_EQ(h.open_connections, 0);
        }
    }

    harness("start-node 3");
    bool back = false;
    for (int i = 0; i < 120 && !back; ++i) {
        for (const auto& h : db_.hosts())
            if (h.address.rfind("127.0.0.3", 0) == 0 && h.open_connections > 0) back = true;
        if (!back) std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    ASSERT_TRUE(back) << "the pool did not reconnect to the restarted node";
    // Node 3 forgot its prepared statements: the first EXECUTE there gets UNPREPARED, is re-prepared
    // and retried, and the caller sees success.
    auto before = sent_per_host(db_);
    insert_keys(db_, single, 300, "after-");
    auto after = sent_per_host(db_);
    std::string node3;
    for (const auto& [h, c] : after)
        if (h.rfind("127.0.0.3", 0) == 0) node3 = h;
    EXPECT_GT(after[node3] - before[node3], 0u);
    auto r = run(db_, statement("SELECT COUNT(*) FROM cl_single.t"));
    EXPECT_EQ(r.get_int64(0, 0), 600);
    auto r2 = run(db_, statement("SELECT COUNT(*) FROM cl_failover.t"));
    EXPECT_EQ(r2.get_int64(0, 0), 2000);
}
