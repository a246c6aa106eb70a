// The typed rows of the user guide's permission table (included by e2e_test.cpp after
// e2e_setup_cases.hpp, whose E2eSetup it uses): typed tables made by another role, then a sync whose
// schema gained a property (ALTER TABLE ... ADD) or, in overwrite, changed a column's type so that
// the commit rebuilds the table (DROP). The guide's grants suffice, and each of them is needed.
#pragma once

// One row: the tables are made with schema1 by the harness's role; a role of the test's own, with
// exactly `grants`, then syncs schema2.
struct typed_grant_case {
    const char* name;
    const char* mode;     // destination_sync_mode
    const char* schema2;  // the properties of the role's sync (schema1: id and n, both integers)
    std::vector<std::string> grants;
    // The grants left out in turn, and the statement each one's absence stops (a regex of its start).
    std::vector<std::string> left_out;
    std::vector<std::string> stopped;
};

class E2eTypedGrants : public E2eSetup, public ::testing::WithParamInterface<typed_grant_case> {
protected:
    std::string catalog(const char* properties) {
        const auto& c = GetParam();
        const bool keyed = std::string(c.mode) == "append_dedup";
        return file("typed-grants-" + std::to_string(++catalogs_) + ".catalog.json",
                    std::string(R"({"streams":[{"stream":{"name":"people","json_schema":{"type":"object","properties":)") + properties +
                        R"(},"supported_sync_modes":["full_refresh","incremental"]},"sync_mode":")" +
                        (keyed ? "incremental" : "full_refresh") + R"(","destination_sync_mode":")" + c.mode + "\"" +
                        (keyed ? R"(,"primary_key":[["id"]],"cursor_field":["n"])" : "") + "}]}");
    }
    std::string rows() {
        std::string out;
        for (int i = 1; i <= 3; ++i)
            out += R"({"type":"RECORD","record":{"stream":"people","data":{"id":)" + std::to_string(i) + R"(,"n":)" +
                   std::to_string(i * 10) + R"(,"email":"p)" + std::to_string(i) + R"(@example.com"},"emitted_at":)" +
                   std::to_string(1700000000000 + i) + "}}\n";
        return file("typed-grants-" + std::to_string(++catalogs_) + ".jsonl",
                    out + R"({"type":"STATE","state":{"type":"STREAM","stream":{"stream_descriptor":{"name":"people"},"stream_state":{"n":3}}}})" "\n");
    }
    static void typed(rapidjson::Document& d) { set(d, "table_format", std::string("typed")); }
    int catalogs_ = 0;
};

constexpr const char* typed_schema1 = R"({"id":{"type":"integer"},"n":{"type":"integer"}})";

TEST_P(E2eTypedGrants, TheGuidesGrantsSufficeAndEachIsNeeded) {
    const auto& c = GetParam();
    const auto cat1 = catalog(typed_schema1), cat2 = catalog(c.schema2), input = rows();
    auto made_by_admin = [&](const std::string& ks) {
        make_keyspace(ks);
        auto admin = config([&](rapidjson::Document& d) {
            set(d, "keyspace", ks);
            typed(d);
        });
        auto r = write(admin, cat1, input);
        ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    };
    {
        SCOPED_TRACE("typed tables made by another role: the guide's grants");
        ASSERT_NO_FATAL_FAILURE(made_by_admin(keyspace_));
        auto r = write(role_config(keyspace_, c.grants, {}, typed), cat2, input);
        expect_no_role_password(r);
        ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
        EXPECT_FALSE(r.states().empty()) << diagnostics(r);
    }
    for (std::size_t i = 0; i < c.left_out.size(); ++i) {
        const auto& missing = c.left_out[i];
        SCOPED_TRACE("without " + missing);
        const std::string ks = keyspace_ + "_" + std::to_string(i);
        ASSERT_NO_FATAL_FAILURE(made_by_admin(ks));
        std::vector<std::string> grants;
        for (const auto& g : c.grants)
            if (g != missing) grants.push_back(g);
        auto r = write(role_config(ks, grants, {}, typed), cat2, input);
        expect_no_role_password(r);
        auto text = expect_config_error(r);
        EXPECT_NE(text.find("the role lacks " + missing + " on "), std::string::npos) << text << diagnostics(r);
        EXPECT_TRUE(std::regex_search(text, std::regex("\\): " + c.stopped[i]))) << "the statement: " << c.stopped[i] << "\n" << text;
        EXPECT_TRUE(r.states().empty()) << "a STATE came out of a sync whose only stream failed: " << diagnostics(r);
    }
}

// schema2: a property new in the catalog (email: ALTER TABLE ... ADD), or n now a string (its bigint
// column cannot hold it: an overwrite rebuilds the table at its commit). A rebuild writes and reads
// only tables the role made (the staging table, the final table it drops and creates again), whose
// creator Cassandra gives every permission; but the role's permissions are cached on the node
// (permissions_validity), so the commit's INSERT into the table just created can still be refused
// without MODIFY on the keyspace (seen here): the guide's MODIFY and SELECT are given, and only
// CREATE and DROP are shown needed, since leaving out the others fails only when the cache is stale.
INSTANTIATE_TEST_SUITE_P(
    Modes, E2eTypedGrants,
    ::testing::Values(
        typed_grant_case{"append_new_property", "append", R"({"id":{"type":"integer"},"n":{"type":"integer"},"email":{"type":"string"}})",
                         {"MODIFY", "ALTER"}, {"MODIFY", "ALTER"}, {"INSERT INTO", "ALTER TABLE"}},
        typed_grant_case{"append_dedup_new_property", "append_dedup",
                         R"({"id":{"type":"integer"},"n":{"type":"integer"},"email":{"type":"string"}})", {"MODIFY", "ALTER"},
                         {"MODIFY", "ALTER"}, {"(DELETE FROM|INSERT INTO)", "ALTER TABLE"}},
        typed_grant_case{"overwrite_new_property", "overwrite",
                         R"({"id":{"type":"integer"},"n":{"type":"integer"},"email":{"type":"string"}})",
                         {"CREATE", "MODIFY", "SELECT", "ALTER"}, {"CREATE", "MODIFY", "SELECT", "ALTER"},
                         {"CREATE TABLE", "INSERT INTO", "SELECT", "ALTER TABLE"}},
        typed_grant_case{"overwrite_rebuild", "overwrite", R"({"id":{"type":"integer"},"n":{"type":"string"}})",
                         {"CREATE", "MODIFY", "SELECT", "DROP"}, {"CREATE", "DROP"}, {"CREATE TABLE", "DROP TABLE"}}),
    [](const auto& info) { return std::string(info.param.name); });
