// config: parse_config defaults and errors, session mapping, spec_json.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "airbyte/config.hpp"

using namespace airbyte;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

const std::string minimal = R"({"keyspace":"ks","address":"127.0.0.1"})";

// The minimal config with one more member (raw JSON value).
std::string with(const std::string& key, const std::string& value) {
    return R"({"keyspace":"ks","address":"127.0.0.1",")" + key + "\":" + value + "}";
}

struct config_test : ::testing::Test {
    connector_config c;
    std::string error;
    bool parse(const std::string& json) {
        c = connector_config{};
        error.clear();
        return parse_config(json, c, error);
    }
    void expect_error(const std::string& json, const std::string& field) {
        SCOPED_TRACE(json);
        EXPECT_FALSE(parse(json));
        EXPECT_THAT(error, HasSubstr(field));
    }
};

TEST_F(config_test, DefaultsWhenKeysAbsent) {
    ASSERT_TRUE(parse(minimal)) << error;
    EXPECT_EQ(c.keyspace, "ks");
    EXPECT_THAT(c.contact_points, ElementsAre("127.0.0.1"));
    EXPECT_EQ(c.port, 9042);
    EXPECT_EQ(c.datacenter, "datacenter1");
    EXPECT_EQ(c.replication, 1);
    EXPECT_TRUE(c.namespaces);
    EXPECT_EQ(c.username, "");
    EXPECT_EQ(c.password, "");
    EXPECT_EQ(c.tls, tls_mode::disabled);
    EXPECT_EQ(c.consistency, cql::consistency::local_quorum);
    EXPECT_TRUE(c.compression);
    EXPECT_EQ(c.protocol_version, 5);
    EXPECT_EQ(c.max_in_flight, 1024);
    EXPECT_EQ(c.request_timeout_ms, 12000);
    EXPECT_EQ(c.max_record_bytes, 16u << 20);
    EXPECT_EQ(c.retry_window_seconds, 60);
}

TEST_F(config_test, NullMeansDefault) {
    ASSERT_TRUE(parse(R"({"keyspace":"ks","address":"h","port":null,"datacenter":null,"replication":null,)"
                      R"("namespaces":null,"username":null,"tls":null,"consistency":null,"compression":null})"))
        << error;
    EXPECT_EQ(c.port, 9042);
    EXPECT_EQ(c.datacenter, "datacenter1");
    EXPECT_EQ(c.replication, 1);
    EXPECT_TRUE(c.namespaces);
    EXPECT_EQ(c.consistency, cql::consistency::local_quorum);
    EXPECT_TRUE(c.compression);
}

TEST_F(config_test, AllFieldsSet) {
    ASSERT_TRUE(parse(R"({"keyspace":"Airbyte_KS","username":"u","password":"p","address":"h1","port":9142,)"
                      R"("datacenter":"dc2","replication":3,"namespaces":false,"consistency":"one","compression":"none",)"
                      R"("protocol_version":3,"max_in_flight":64,"request_timeout_ms":5000,"max_record_bytes":2048})"))
        << error;
    EXPECT_EQ(c.keyspace, "airbyte_ks");
    EXPECT_EQ(c.username, "u");
    EXPECT_EQ(c.password, "p");
    EXPECT_EQ(c.port, 9142);
    EXPECT_EQ(c.datacenter, "dc2");
    EXPECT_EQ(c.replication, 3);
    EXPECT_FALSE(c.namespaces);
    EXPECT_EQ(c.consistency, cql::consistency::one);
    EXPECT_FALSE(c.compression);
    EXPECT_EQ(c.protocol_version, 3);
    EXPECT_EQ(c.max_in_flight, 64);
    EXPECT_EQ(c.request_timeout_ms, 5000);
    EXPECT_EQ(c.max_record_bytes, 2048u);

    const auto s = c.session();
    EXPECT_THAT(s.contact_points, ElementsAre("h1"));
    EXPECT_EQ(s.default_port, 9142);
    EXPECT_EQ(s.local_datacenter, "dc2");
    EXPECT_EQ(s.username, "u");
    EXPECT_EQ(s.password, "p");
    EXPECT_FALSE(s.compression);
    EXPECT_EQ(s.max_protocol_version, cql::protocol_version::v3);
    EXPECT_EQ(s.default_consistency, cql::consistency::one);
    EXPECT_EQ(s.request_timeout.count(), 5000);
    EXPECT_EQ(s.max_requests_per_connection, 64);
    EXPECT_FALSE(s.tls.enabled);
}

TEST_F(config_test, RequiredFieldsNamed) {
    expect_error(R"({"address":"h"})", "keyspace");
    expect_error(R"({"keyspace":null,"address":"h"})", "keyspace");
    expect_error(R"({"keyspace":"ks"})", "address");
    expect_error(R"({"keyspace":"ks","address":null})", "address");
    expect_error(R"({})", "keyspace");
}

TEST_F(config_test, NotJsonOrNotObject) {
    EXPECT_FALSE(parse("not json"));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(parse(R"(["keyspace"])"));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(parse(minimal + "x"));
    EXPECT_FALSE(parse(""));
}

TEST_F(config_test, PortTypesAndRange) {
    expect_error(with("port", "0"), "port");
    expect_error(with("port", "70000"), "port");
    expect_error(with("port", "65536"), "port");
    expect_error(with("port", "-1"), "port");
    expect_error(with("port", "\"abc\""), "port");
    expect_error(with("port", "\"\""), "port");
    expect_error(with("port", "\"90a\""), "port");
    expect_error(with("port", "1.5"), "port");
    expect_error(with("port", "true"), "port");
    expect_error(with("port", "[9042]"), "port");
    expect_error(with("port", "1e300"), "port");
    expect_error(with("port", "99999999999999999999"), "port");
    ASSERT_TRUE(parse(with("port", "\"9043\""))) << error;  // the original connector accepted strings
    EXPECT_EQ(c.port, 9043);
    ASSERT_TRUE(parse(with("port", "9044.0"))) << error;
    EXPECT_EQ(c.port, 9044);
    ASSERT_TRUE(parse(with("port", "1"))) << error;
    EXPECT_EQ(c.port, 1);
    ASSERT_TRUE(parse(with("port", "65535"))) << error;
    EXPECT_EQ(c.port, 65535);
}

TEST_F(config_test, OtherIntegerRanges) {
    expect_error(with("replication", "0"), "replication");
    expect_error(with("replication", "\"three\""), "replication");
    expect_error(with("protocol_version", "6"), "protocol_version");
    expect_error(with("protocol_version", "2"), "protocol_version");
    expect_error(with("max_in_flight", "0"), "max_in_flight");
    expect_error(with("max_in_flight", "32769"), "max_in_flight");
    expect_error(with("request_timeout_ms", "99"), "request_timeout_ms");
    expect_error(with("max_record_bytes", "1023"), "max_record_bytes");
    expect_error(with("retry_window_seconds", "-1"), "retry_window_seconds");
    expect_error(with("retry_window_seconds", "86401"), "retry_window_seconds");
    ASSERT_TRUE(parse(with("retry_window_seconds", "0"))) << error;
    EXPECT_EQ(c.retry_window_seconds, 0);
    ASSERT_TRUE(parse(with("max_in_flight", "32768"))) << error;
    EXPECT_EQ(c.max_in_flight, 32768);
}

TEST_F(config_test, ConnectTimeoutReachesTheSession) {
    ASSERT_TRUE(parse(minimal)) << error;
    EXPECT_EQ(c.connect_timeout_ms, 5000);
    EXPECT_EQ(c.session().connect_timeout.count(), 5000);
    ASSERT_TRUE(parse(with("connect_timeout_ms", "1500"))) << error;
    EXPECT_EQ(c.session().connect_timeout.count(), 1500);
    ASSERT_TRUE(parse(with("connect_timeout_ms", "\"600000\""))) << error;
    EXPECT_EQ(c.session().connect_timeout.count(), 600000);
    expect_error(with("connect_timeout_ms", "99"), "connect_timeout_ms");
    expect_error(with("connect_timeout_ms", "600001"), "connect_timeout_ms");
    expect_error(with("connect_timeout_ms", "\"soon\""), "connect_timeout_ms");
}

TEST_F(config_test, OtherBadTypes) {
    expect_error(with("namespaces", "\"true\""), "namespaces");
    expect_error(with("namespaces", "1"), "namespaces");
    expect_error(with("username", "5"), "username");
    expect_error(with("password", "{}"), "password");
    expect_error(with("datacenter", "[]"), "datacenter");
    expect_error(R"({"keyspace":5,"address":"h"})", "keyspace");
    expect_error(R"({"keyspace":"ks","address":["h1","h2"]})", "address");
    expect_error(with("tls", "\"verify-full\""), "tls");
    expect_error(with("consistency", "1"), "consistency");
    expect_error(with("compression", "true"), "compression");
}

TEST_F(config_test, KeyspaceValidationAndLowerCasing) {
    ASSERT_TRUE(parse(R"({"keyspace":"MyKeyspace_01","address":"h"})")) << error;
    EXPECT_EQ(c.keyspace, "mykeyspace_01");
    ASSERT_TRUE(parse(R"({"keyspace":"_x","address":"h"})")) << error;
    ASSERT_TRUE(parse(R"({"keyspace":")" + std::string(48, 'k') + R"(","address":"h"})")) << error;
    expect_error(R"({"keyspace":")" + std::string(49, 'k') + R"(","address":"h"})", "keyspace");
    for (const char* bad : {"", "my-ks", "my ks", "ks;", "ks\\\"", "k.s", "caf\\u00e9", "日本", "ks\\n"}) {
        expect_error(std::string(R"({"keyspace":")") + bad + R"(","address":"h"})", "keyspace");
    }
    expect_error(R"({"keyspace":"a\"; DROP KEYSPACE x; --","address":"h"})", "keyspace");
}

TEST_F(config_test, AddressLists) {
    ASSERT_TRUE(parse(R"({"keyspace":"ks","address":"h1, h2:9043 ,10.0.0.1:9044,,  [::1]:9045 ,"})")) << error;
    EXPECT_THAT(c.contact_points, ElementsAre("h1", "h2:9043", "10.0.0.1:9044", "[::1]:9045"));
    EXPECT_THAT(c.session().contact_points, ElementsAre("h1", "h2:9043", "10.0.0.1:9044", "[::1]:9045"));
    ASSERT_TRUE(parse(R"({"keyspace":"ks","address":"  localhost\t"})")) << error;
    EXPECT_THAT(c.contact_points, ElementsAre("localhost"));
    expect_error(R"({"keyspace":"ks","address":""})", "address");
    expect_error(R"({"keyspace":"ks","address":" , ,"})", "address");
}

TEST_F(config_test, EmptyDatacenterMeansDefault) {
    ASSERT_TRUE(parse(with("datacenter", "\"\""))) << error;
    EXPECT_EQ(c.datacenter, "datacenter1");
}

TEST_F(config_test, TlsModes) {
    struct mode_case {
        const char* json;
        tls_mode mode;
        bool enabled, verify_cert, verify_host;
    };
    for (const auto& m : std::vector<mode_case>{
             {R"({"mode":"disabled"})", tls_mode::disabled, false, false, false},
             {R"({})", tls_mode::disabled, false, false, false},
             {R"({"mode":"require"})", tls_mode::require, true, false, false},
             {R"({"mode":"verify-ca"})", tls_mode::verify_ca, true, true, false},
             {R"({"mode":"verify-full"})", tls_mode::verify_full, true, true, true},
         }) {
        SCOPED_TRACE(m.json);
        ASSERT_TRUE(parse(with("tls", m.json))) << error;
        EXPECT_EQ(c.tls, m.mode);
        const auto s = c.session();
        EXPECT_EQ(s.tls.enabled, m.enabled);
        if (m.enabled) {
            EXPECT_EQ(s.tls.verify_certificate, m.verify_cert);
            EXPECT_EQ(s.tls.verify_host_name, m.verify_host);
        }
    }
    // Without a tls object, TLS is off.
    ASSERT_TRUE(parse(minimal));
    EXPECT_FALSE(c.session().tls.enabled);
}

TEST_F(config_test, TlsCertificatesAndErrors) {
    ASSERT_TRUE(parse(with("tls", R"({"mode":"verify-full","ca_certificate":"CA","client_certificate":"CERT","client_key":"KEY"})")))
        << error;
    EXPECT_EQ(c.ca_certificate, "CA");
    EXPECT_EQ(c.client_certificate, "CERT");
    EXPECT_EQ(c.client_key, "KEY");
    const auto s = c.session();
    EXPECT_EQ(s.tls.ca_pem, "CA");
    EXPECT_EQ(s.tls.cert_pem, "CERT");
    EXPECT_EQ(s.tls.key_pem, "KEY");
    expect_error(with("tls", R"({"mode":"verify"})"), "tls.mode");
    expect_error(with("tls", R"({"mode":"VERIFY-FULL"})"), "tls.mode");
    expect_error(with("tls", R"({"mode":"require","client_certificate":"CERT"})"), "tls.client_key");
    expect_error(with("tls", R"({"mode":"require","client_key":"KEY"})"), "tls.client_certificate");
    expect_error(with("tls", R"({"mode":5})"), "tls.mode");
    expect_error(with("tls", R"({"ca_certificate":[]})"), "tls.ca_certificate");
}

TEST_F(config_test, ConsistencyAnyIsRefused) {
    // A write acknowledged at ANY may be on no replica: no STATE could vouch for it.
    expect_error(with("consistency", "\"ANY\""), "consistency");
    expect_error(with("consistency", "\"any\""), "consistency");
}

TEST_F(config_test, ConsistencyNames) {
    const std::pair<const char*, cql::consistency> ok[] = {
        {"ONE", cql::consistency::one},
        {"TWO", cql::consistency::two},         {"THREE", cql::consistency::three},
        {"QUORUM", cql::consistency::quorum},   {"ALL", cql::consistency::all},
        {"LOCAL_QUORUM", cql::consistency::local_quorum}, {"EACH_QUORUM", cql::consistency::each_quorum},
        {"LOCAL_ONE", cql::consistency::local_one},       {"local_one", cql::consistency::local_one},
        {"", cql::consistency::local_quorum},
    };
    for (const auto& [name, cl] : ok) {
        SCOPED_TRACE(name);
        ASSERT_TRUE(parse(with("consistency", std::string("\"") + name + "\""))) << error;
        EXPECT_EQ(c.consistency, cl);
        EXPECT_EQ(c.session().default_consistency, cl);
    }
    expect_error(with("consistency", "\"SERIAL\""), "consistency");
    expect_error(with("consistency", "\"LOCAL_SERIAL\""), "consistency");
    expect_error(with("consistency", "\"MOST\""), "consistency");
}

TEST_F(config_test, Compression) {
    ASSERT_TRUE(parse(with("compression", "\"lz4\""))) << error;
    EXPECT_TRUE(c.compression);
    EXPECT_TRUE(c.session().compression);
    ASSERT_TRUE(parse(with("compression", "\"none\""))) << error;
    EXPECT_FALSE(c.compression);
    expect_error(with("compression", "\"snappy\""), "compression");
}

TEST_F(config_test, TableFormatTtlAndCdcMode) {
    ASSERT_TRUE(parse(minimal)) << error;
    EXPECT_EQ(c.format, table_format::raw);
    EXPECT_EQ(c.ttl_seconds, 0);
    EXPECT_FALSE(c.cdc_soft);
    ASSERT_TRUE(parse(R"({"keyspace":"ks","address":"h","table_format":"typed","ttl_seconds":"3600","cdc_deletion_mode":"soft"})"))
        << error;
    EXPECT_EQ(c.format, table_format::typed);
    EXPECT_EQ(c.ttl_seconds, 3600);
    EXPECT_TRUE(c.cdc_soft);
    ASSERT_TRUE(parse(with("table_format", "\"raw\""))) << error;
    EXPECT_EQ(c.format, table_format::raw);
    expect_error(with("table_format", "\"columns\""), "table_format");
    expect_error(with("cdc_deletion_mode", "\"tombstone\""), "cdc_deletion_mode");
    expect_error(with("ttl_seconds", "-1"), "ttl_seconds");
    expect_error(with("ttl_seconds", "630720001"), "ttl_seconds");  // Cassandra's maximum TTL is 20 years
}

TEST_F(config_test, UnknownKeysIgnored) {
    ASSERT_TRUE(parse(with("something_else", R"({"x":[1,2]})"))) << error;
}

// ---------------------------------------------------------------- spec

TEST(ConfigSpec, SpecJsonIsValidAndComplete) {
    const std::string spec = spec_json();
    rapidjson::Document d;
    d.Parse(spec.c_str(), spec.size());
    ASSERT_FALSE(d.HasParseError()) << spec;
    ASSERT_TRUE(d.IsObject());
    ASSERT_TRUE(d.HasMember("supported_destination_sync_modes"));
    std::vector<std::string> modes;
    for (const auto& m : d["supported_destination_sync_modes"].GetArray()) modes.emplace_back(m.GetString());
    EXPECT_THAT(modes, ::testing::UnorderedElementsAre("overwrite", "append", "append_dedup"));
    EXPECT_TRUE(d["supportsIncremental"].GetBool());
    ASSERT_TRUE(d.HasMember("connectionSpecification"));
    const auto& cs = d["connectionSpecification"];
    std::vector<std::string> required;
    for (const auto& r : cs["required"].GetArray()) required.emplace_back(r.GetString());
    EXPECT_THAT(required, ::testing::UnorderedElementsAre("keyspace", "address"));
    const auto& props = cs["properties"];
    ASSERT_TRUE(props.HasMember("password"));
    ASSERT_TRUE(props["password"].HasMember("airbyte_secret"));
    EXPECT_TRUE(props["password"]["airbyte_secret"].GetBool());
    EXPECT_TRUE(props["tls"]["properties"]["client_key"]["airbyte_secret"].GetBool());
    EXPECT_FALSE(props["username"].HasMember("airbyte_secret"));
    // connection_specification() is the same object.
    rapidjson::Document only;
    const auto text = connection_specification();
    only.Parse(text.c_str(), text.size());
    ASSERT_FALSE(only.HasParseError());
    EXPECT_TRUE(only == cs);
}

// The defaults the spec announces are the ones parse_config applies.
TEST(ConfigSpec, SpecDefaultsMatchParseDefaults) {
    const std::string text = connection_specification();
    rapidjson::Document d;
    d.Parse(text.c_str(), text.size());
    ASSERT_FALSE(d.HasParseError());
    const auto& p = d["properties"];
    connector_config c;
    std::string error;
    ASSERT_TRUE(parse_config(minimal, c, error)) << error;
    EXPECT_EQ(p["port"]["default"].GetInt(), c.port);
    EXPECT_EQ(p["namespaces"]["default"].GetBool(), c.namespaces);
    EXPECT_EQ(std::string(p["datacenter"]["default"].GetString()), c.datacenter);
    EXPECT_EQ(p["replication"]["default"].GetInt(), c.replication);
    EXPECT_EQ(std::string(p["consistency"]["default"].GetString()), "LOCAL_QUORUM");
    EXPECT_EQ(std::string(p["compression"]["default"].GetString()), "lz4");
    EXPECT_EQ(p["protocol_version"]["default"].GetInt(), c.protocol_version);
    EXPECT_EQ(p["max_in_flight"]["default"].GetInt(), c.max_in_flight);
    EXPECT_EQ(p["request_timeout_ms"]["default"].GetInt(), c.request_timeout_ms);
    EXPECT_EQ(p["max_record_bytes"]["default"].GetUint64(), c.max_record_bytes);
    EXPECT_EQ(p["retry_window_seconds"]["default"].GetInt(), c.retry_window_seconds);
    EXPECT_EQ(p["connect_timeout_ms"]["default"].GetInt(), c.connect_timeout_ms);
    EXPECT_EQ(std::string(p["tls"]["properties"]["mode"]["default"].GetString()), "disabled");
    EXPECT_EQ(std::string(p["table_format"]["default"].GetString()), "raw");
    EXPECT_EQ(p["ttl_seconds"]["default"].GetInt(), c.ttl_seconds);
    EXPECT_EQ(std::string(p["cdc_deletion_mode"]["default"].GetString()), "hard");
}

}  // namespace
