// schema_setup: the consistency a keyspace's replication can meet, whether an existing table fits
// a stream (columns and primary key), and the sentences for missing permissions and a TRUNCATE
// with a node down.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "airbyte/dedup.hpp"
#include "airbyte/schema_setup.hpp"

using namespace airbyte;
using cql::protocol::consistency;
using ::testing::HasSubstr;

namespace {

const replication_map simple1{{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "1"}};
const replication_map simple3{{"class", "org.apache.cassandra.locator.SimpleStrategy"}, {"replication_factor", "3"}};
const replication_map nts_dc1_1{{"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"}, {"datacenter1", "1"}};
const replication_map nts_two_dcs{
    {"class", "org.apache.cassandra.locator.NetworkTopologyStrategy"}, {"dc1", "3"}, {"dc2", "2"}};

std::optional<std::string> refuse(consistency c, const replication_map& r, const std::string& dc = "datacenter1") {
    return unreachable_consistency(c, r, dc);
}

TEST(ConsistencyTest, LevelsNeedingMoreReplicasThanTheFactorAreRefused) {
    auto why = refuse(consistency::three, simple1);
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr("THREE"));
    EXPECT_THAT(*why, HasSubstr("SimpleStrategy with replication_factor 1"));
    EXPECT_THAT(*why, HasSubstr("needs 3 replicas"));
    EXPECT_TRUE(refuse(consistency::two, simple1));
    EXPECT_TRUE(refuse(consistency::three, nts_dc1_1));
    EXPECT_FALSE(refuse(consistency::three, simple3));
    EXPECT_FALSE(refuse(consistency::two, simple3));
    // Replicas in every datacenter count for TWO and THREE.
    EXPECT_FALSE(refuse(consistency::three, nts_two_dcs, "dc1"));
}

TEST(ConsistencyTest, LevelsEveryReplicationMeetsArePassed) {
    for (auto c : {consistency::one, consistency::quorum, consistency::all, consistency::local_quorum, consistency::local_one}) {
        EXPECT_FALSE(refuse(c, simple1)) << cql::protocol::consistency_name(c);
        EXPECT_FALSE(refuse(c, nts_dc1_1)) << cql::protocol::consistency_name(c);
    }
    EXPECT_FALSE(refuse(consistency::each_quorum, nts_dc1_1));
    EXPECT_FALSE(refuse(consistency::each_quorum, nts_two_dcs, "dc2"));
}

TEST(ConsistencyTest, EachQuorumAndLocalLevelsWithSimpleStrategyArePassed) {
    // Cassandra 5.0 writes and reads at EACH_QUORUM, LOCAL_QUORUM and LOCAL_ONE in a SimpleStrategy
    // keyspace (as QUORUM or ONE of its replication factor): tried against a node.
    EXPECT_FALSE(refuse(consistency::each_quorum, simple3));
    EXPECT_FALSE(refuse(consistency::each_quorum, simple1));
    EXPECT_FALSE(refuse(consistency::local_quorum, simple1, "elsewhere"));
}

TEST(ConsistencyTest, LocalLevelsNeedReplicasInTheLocalDatacenter) {
    auto why = refuse(consistency::local_quorum, nts_two_dcs, "dc3");
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr("LOCAL_QUORUM"));
    EXPECT_THAT(*why, HasSubstr("no replica in datacenter dc3"));
    EXPECT_THAT(*why, HasSubstr("NetworkTopologyStrategy with dc1: 3, dc2: 2"));
    EXPECT_TRUE(refuse(consistency::local_one, nts_two_dcs, "dc3"));
    EXPECT_FALSE(refuse(consistency::local_one, nts_two_dcs, "dc2"));
    // A datacenter listed with 0 replicas places none.
    EXPECT_TRUE(refuse(consistency::local_one, {{"class", "NetworkTopologyStrategy"}, {"dc1", "3"}, {"dc2", "0"}}, "dc2"));
}

TEST(ConsistencyTest, NoReplicaAtAllAndUnknownStrategies) {
    EXPECT_THAT(refuse(consistency::one, {{"class", "NetworkTopologyStrategy"}}).value_or(""), HasSubstr("places no replica"));
    // Transient replication writes "3/1": three replicas.
    EXPECT_FALSE(refuse(consistency::three, {{"class", "NetworkTopologyStrategy"}, {"datacenter1", "3/1"}}));
    EXPECT_FALSE(refuse(consistency::three, {{"class", "org.apache.cassandra.locator.LocalStrategy"}}));
    EXPECT_FALSE(refuse(consistency::three, {{"class", "com.example.CustomStrategy"}, {"replication_factor", "1"}}));
}

configured_stream dedup_stream() {
    configured_stream s;
    s.name = "users";
    s.mode = write_mode::append_dedup;
    s.primary_key = {{{"id"}, "id", key_type::text}, {{"region"}, "region", key_type::text}};
    return s;
}

std::vector<schema_column> dedup_table_rows(const std::string& first = "id", const std::string& second = "region",
                                            const std::string& order = "desc") {
    return {
        {first, "text", "partition_key", 0, "none"},
        {second, "text", "partition_key", 1, "none"},
        {order_column, "blob", "clustering", 0, order},
        {"_airbyte_ab_id", "uuid", "regular", -1, "none"},
        {"_airbyte_data", "text", "regular", -1, "none"},
        {"_airbyte_emitted_at", "timestamp", "regular", -1, "none"},
    };
}

const std::map<std::string, std::string> dedup_columns{{"id", "text"},
                                                       {"region", "text"},
                                                       {order_column, "blob"},
                                                       {"_airbyte_ab_id", "uuid"},
                                                       {"_airbyte_data", "text"},
                                                       {"_airbyte_emitted_at", "timestamp"}};

TEST(TableFitTest, TheTableTheConnectorCreatesFits) {
    EXPECT_EQ(table_mismatch(dedup_columns, expected_key(dedup_stream()), dedup_table_rows()), std::nullopt);
    configured_stream append;
    append.name = "a";
    const std::vector<schema_column> rows{{"_airbyte_ab_id", "uuid", "partition_key", 0, "none"},
                                          {"_airbyte_data", "text", "regular", -1, "none"},
                                          {"_airbyte_emitted_at", "timestamp", "regular", -1, "none"},
                                          {"extra", "int", "regular", -1, "none"}};
    EXPECT_EQ(table_mismatch({{"_airbyte_ab_id", "uuid"}, {"_airbyte_data", "text"}, {"_airbyte_emitted_at", "timestamp"}},
                             expected_key(append), rows),
              std::nullopt);
}

TEST(TableFitTest, SameColumnsAnotherPartitionKeyOrderIsRefused) {
    auto why = table_mismatch(dedup_columns, expected_key(dedup_stream()), dedup_table_rows("region", "id"));
    ASSERT_TRUE(why);
    EXPECT_EQ(*why, R"(its primary key is (("region", "id"), "_airbyte_cursor_order" DESC), the stream needs (("id", "region"), "_airbyte_cursor_order" DESC))");
}

TEST(TableFitTest, AnotherClusteringOrderIsRefused) {
    auto why = table_mismatch(dedup_columns, expected_key(dedup_stream()), dedup_table_rows("id", "region", "asc"));
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr(R"("_airbyte_cursor_order" ASC)"));
}

TEST(TableFitTest, AKeyColumnThatIsRegularOrClusteringIsRefused) {
    auto rows = dedup_table_rows();
    rows[1] = {"region", "text", "clustering", 0, "asc"};
    rows[2] = {order_column, "blob", "clustering", 1, "desc"};
    auto why = table_mismatch(dedup_columns, expected_key(dedup_stream()), rows);
    ASSERT_TRUE(why);
    EXPECT_THAT(*why, HasSubstr(R"(its primary key is (("id"), "region" ASC, "_airbyte_cursor_order" DESC))"));

    configured_stream append;
    append.name = "a";
    const std::vector<schema_column> keyed_by_data{{"_airbyte_ab_id", "uuid", "regular", -1, "none"},
                                                   {"_airbyte_data", "text", "partition_key", 0, "none"},
                                                   {"_airbyte_emitted_at", "timestamp", "regular", -1, "none"}};
    EXPECT_THAT(table_mismatch({{"_airbyte_ab_id", "uuid"}, {"_airbyte_data", "text"}, {"_airbyte_emitted_at", "timestamp"}},
                               expected_key(append), keyed_by_data)
                    .value_or(""),
                HasSubstr(R"(its primary key is (("_airbyte_data")), the stream needs (("_airbyte_ab_id")))"));
}

TEST(TableFitTest, MissingColumnsAndOtherTypesAreNamed) {
    auto rows = dedup_table_rows();
    rows[4].type = "blob";
    EXPECT_EQ(table_mismatch(dedup_columns, expected_key(dedup_stream()), rows), R"(column "_airbyte_data" is blob, the stream needs text)");
    rows.erase(rows.begin() + 4);
    EXPECT_EQ(table_mismatch(dedup_columns, expected_key(dedup_stream()), rows), R"(it has no column "_airbyte_data" (text))");
}

TEST(PermissionMessageTest, NamesThePermissionTheResourceAndTheStatement) {
    const std::string server = "User writer_ab12 has no MODIFY permission on <table ks_x.users> or any of its parents";
    EXPECT_EQ(permission_message(server, "INSERT INTO \"ks_x\".\"users\" (a) VALUES (?)"),
              "the role lacks MODIFY on table ks_x.users (" + server + "): INSERT INTO \"ks_x\".\"users\" (a) VALUES (?)");
    EXPECT_EQ(permission_message("User w has no CREATE permission on <all keyspaces> or any of its parents", "CREATE KEYSPACE k"),
              "the role lacks CREATE on all keyspaces (User w has no CREATE permission on <all keyspaces> or any of its parents): "
              "CREATE KEYSPACE k");
    EXPECT_EQ(permission_message("Only superusers may do that", "LIST ROLES"), "the role lacks a permission: Only superusers may do that: LIST ROLES");
}

TEST(TruncateTest, RecognisesTruncateStatements) {
    EXPECT_TRUE(is_truncate("TRUNCATE \"ks\".\"t\""));
    EXPECT_TRUE(is_truncate("  truncate ks.t"));
    EXPECT_FALSE(is_truncate("TRUNCATED"));
    EXPECT_FALSE(is_truncate("SELECT 'TRUNCATE x' FROM t"));
    EXPECT_FALSE(is_truncate(""));
}

TEST(TruncateTest, UnavailableNamesTheDownNodes) {
    EXPECT_EQ(truncate_unavailable_message(3, 2, {"127.0.0.2:9042"}, "Cannot achieve consistency level ALL"),
              "TRUNCATE needs every node up: node 127.0.0.2:9042 is down, 2 of 3 nodes alive (Cannot achieve consistency level ALL)");
    EXPECT_EQ(truncate_unavailable_message(3, 1, {"a", "b"}, ""), "TRUNCATE needs every node up: nodes a, b are down, 1 of 3 nodes alive");
    EXPECT_EQ(truncate_unavailable_message(3, 2, {}, ""), "TRUNCATE needs every node up: 2 of 3 nodes alive");
}

}  // namespace
