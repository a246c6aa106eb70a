// Set-up cases of the e2e suite, included by e2e_test.cpp inside its namespace (they use its E2e
// fixture): least privilege (the user guide's permission table, each grant of it shown necessary),
// a consistency the keyspace can never meet, a table with the right columns but another key.
#pragma once

// Roles of the test's own, never superusers, with exactly the grants given, on keyspaces of the
// test's own (made here by the harness's superuser, as a DBA would).
class E2eSetup : public E2e {
protected:
    void TearDown() override {
        for (auto& r : roles_) execute_quietly("DROP ROLE IF EXISTS " + r);
        E2e::TearDown();
    }
    // Runs a statement as the harness's superuser; on failure, says so without the statement's
    // literal values (a CREATE ROLE holds a password).
    void execute_quietly(const std::string& query, const std::string& label = {}) {
        std::error_code ec;
        auto r = db().execute(cql::statement(query), ec);
        EXPECT_FALSE(ec) << (label.empty() ? query : label) << ": " << ec.message() << ": " << r.diag.message;
    }
    void make_keyspace(const std::string& ks, const std::string& replication = "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}") {
        execute_quietly("CREATE KEYSPACE IF NOT EXISTS " + cql_ident(ks) + " WITH replication = " + replication);
    }
    // A config that logs in as a new role holding exactly `grants` (e.g. "MODIFY") on keyspace ks.
    // target: the keyspace the config names (default: ks); tweak edits the config further.
    std::string role_config(const std::string& ks, const std::vector<std::string>& grants, const std::string& target = {},
                            const std::function<void(rapidjson::Document&)>& tweak = {}) {
        const std::string n = std::to_string(roles_.size() + 1);
        const std::string role = "e2e_lp_" + shared->token + "_" + n;
        const std::string password = "E2e-Secret-" + shared->token + "-lp" + n;
        execute_quietly("CREATE ROLE IF NOT EXISTS " + role + " WITH PASSWORD = " + cql_literal(password) +
                            " AND LOGIN = true AND SUPERUSER = false",
                        "CREATE ROLE " + role);
        roles_.push_back(role);
        passwords_.push_back(password);
        for (const auto& g : grants) execute_quietly("GRANT " + g + " ON KEYSPACE " + cql_ident(ks) + " TO " + role);
        return config([&](rapidjson::Document& d) {
            set(d, "keyspace", target.empty() ? ks : target);
            set(d, "username", role);
            set(d, "password", password);
            if (tweak) tweak(d);
        });
    }
    sync_result write_as(const std::string& cfg, const std::string& catalog, const std::string& messages) {
        auto r = write(cfg, data_file(catalog), data_file(messages));
        expect_no_role_password(r);
        return r;
    }
    void expect_no_role_password(const sync_result& r) {
        for (const auto& pw : passwords_) {
            EXPECT_EQ(r.run.out.find(pw), std::string::npos) << "a role's password is on stdout";
            EXPECT_EQ(r.run.err.find(pw), std::string::npos) << "a role's password is on stderr";
        }
    }
    // A write that must fail at set-up or on its first statements with a config_error.
    std::string expect_config_error(const sync_result& r) {
        EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
        EXPECT_EQ(failure_type(r), "config_error") << diagnostics(r);
        return error_text(r);
    }

    std::vector<std::string> roles_, passwords_;
};

// One mode of the guide's permission table: the catalog and two runs of it, and the grants a role
// needs on the keyspace when the tables exist, made by another role (a first sync, which creates
// them, needs CREATE alone: Cassandra gives the creator of a table every permission on it).
struct grant_case {
    const char* name;
    const char* catalog;
    const char* run1;
    const char* run2;
    std::vector<std::string> existing;
    // The statement each grant's absence stops (a regex of its start), per grant (same order).
    std::vector<std::string> stopped;
};

class E2eGrants : public E2eSetup, public ::testing::WithParamInterface<grant_case> {};

TEST_P(E2eGrants, TheGuidesGrantsSufficeAndEachIsNeeded) {
    const auto& c = GetParam();
    destination_model model(parse_catalog(data(c.catalog)));
    make_keyspace(keyspace_);
    {
        SCOPED_TRACE("first syncs: CREATE on the keyspace only");
        auto cfg = role_config(keyspace_, {"CREATE"});
        sync_ok(model, cfg, c.catalog, c.run1);
        sync_ok(model, cfg, c.catalog, c.run2);
    }
    {
        SCOPED_TRACE("tables made by another role: the guide's grants for existing tables");
        auto cfg = role_config(keyspace_, c.existing);
        sync_ok(model, cfg, c.catalog, c.run1);
    }
    for (std::size_t i = 0; i < c.existing.size(); ++i) {
        const auto& missing = c.existing[i];
        SCOPED_TRACE("without " + missing);
        // A keyspace of its own whose tables the harness's role made with run 1.
        const std::string ks = keyspace_ + "_" + std::to_string(i);
        make_keyspace(ks);
        auto admin = config([&](rapidjson::Document& d) { set(d, "keyspace", ks); });
        auto r1 = write(admin, data_file(c.catalog), data_file(c.run1));
        ASSERT_TRUE(r1.run.status.exited && r1.run.status.code == 0) << diagnostics(r1);
        std::vector<std::string> grants;
        for (const auto& g : c.existing)
            if (g != missing) grants.push_back(g);
        auto r = write_as(role_config(ks, grants), c.catalog, c.run2);
        auto text = expect_config_error(r);
        EXPECT_NE(text.find("the role lacks " + missing + " on "), std::string::npos) << text << diagnostics(r);
        EXPECT_TRUE(std::regex_search(text, std::regex("\\): " + c.stopped[i]))) << "the statement: " << c.stopped[i] << "\n" << text;
        // No STATE of the stream whose statement was refused; another stream's STREAM states may
        // go out (their records are in: a STREAM state does not wait for another stream).
        for (const auto* st : r.states()) {
            const auto& state = (*st->doc)["state"];
            const auto* stream = member(state, "stream");
            ASSERT_TRUE(stream) << "a global state came out of a failed sync: " << to_json(state);
            const std::string name = string_member(*member(*stream, "stream_descriptor"), "name");
            EXPECT_EQ(text.find("airbyte_raw_" + name), std::string::npos) << "a STATE of the failed stream: " << to_json(state);
            EXPECT_EQ(text.find("airbyte_tmp_" + name), std::string::npos) << "a STATE of the failed stream: " << to_json(state);
        }
    }
}

INSTANTIATE_TEST_SUITE_P(
    Modes, E2eGrants,
    ::testing::Values(grant_case{"append", "append_two_streams.catalog.json", "append_two_streams.jsonl", "append_two_streams.jsonl",
                                 {"MODIFY"}, {"INSERT INTO"}},
                      grant_case{"overwrite", "overwrite.catalog.json", "overwrite_run1.jsonl", "overwrite_run2.jsonl",
                                 {"CREATE", "MODIFY", "SELECT"}, {"CREATE TABLE", "INSERT INTO", "SELECT"}},
                      grant_case{"append_dedup", "dedup.catalog.json", "dedup_run1.jsonl", "dedup_run2.jsonl", {"MODIFY"},
                                 {"(DELETE FROM|INSERT INTO)"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(E2eSetup, CheckNeedsCreateOnAnExistingKeyspace) {
    make_keyspace(keyspace_);
    auto r = connector_run({"check", "--config", role_config(keyspace_, {"CREATE"})});
    expect_no_role_password(r);
    ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    auto st = r.out.of_type("CONNECTION_STATUS");
    ASSERT_EQ(st.size(), 1u) << diagnostics(r);
    EXPECT_EQ(string_member((*st[0]->doc)["connectionStatus"], "status"), "SUCCEEDED") << diagnostics(r);

    auto bare = connector_run({"check", "--config", role_config(keyspace_, {})});
    expect_no_role_password(bare);
    auto msg = failed_check_message(bare);
    EXPECT_NE(msg.find("the role lacks CREATE on all tables in " + keyspace_), std::string::npos) << msg;
    EXPECT_NE(msg.find(": CREATE TABLE IF NOT EXISTS"), std::string::npos) << msg;
}

TEST_F(E2eSetup, AMissingKeyspaceNeedsCreateOnAllKeyspaces) {
    // The role may create tables in some keyspace, not keyspaces: the target does not exist.
    make_keyspace(keyspace_);
    const std::string absent = keyspace_ + "_absent";
    auto r = write_as(role_config(keyspace_, {"CREATE", "MODIFY"}, absent), "append_two_streams.catalog.json", "append_two_streams.jsonl");
    auto text = expect_config_error(r);
    EXPECT_NE(text.find("the role lacks CREATE on all keyspaces"), std::string::npos) << text;
    EXPECT_NE(text.find(": CREATE KEYSPACE IF NOT EXISTS \"" + absent + "\""), std::string::npos) << text;
    EXPECT_FALSE(list_keyspaces(db()).count(absent));
}

TEST_F(E2eSetup, AConsistencyTheReplicationCannotMeetIsAConfigError) {
    make_keyspace(keyspace_, "{'class': 'SimpleStrategy', 'replication_factor': 1}");
    // A window long enough that retrying would hit the suite's timeout: the refusal comes first.
    auto cfg = config([](rapidjson::Document& d) {
        set(d, "consistency", std::string("THREE"));
        set(d, "retry_window_seconds", rapidjson::Value(3000));
    });
    auto r = write(cfg, data_file("append_two_streams.catalog.json"), data_file("append_two_streams.jsonl"));
    auto text = expect_config_error(r);
    EXPECT_NE(text.find("consistency THREE can never be met"), std::string::npos) << text;
    EXPECT_NE(text.find("SimpleStrategy with replication_factor 1"), std::string::npos) << text;
    EXPECT_TRUE(list_tables(db(), keyspace_).empty()) << "set-up went on to create tables";
    auto msg = failed_check_message(connector_run({"check", "--config", cfg}));
    EXPECT_NE(msg.find("consistency THREE can never be met"), std::string::npos) << msg;
}

TEST_F(E2eSetup, ATableWithTheRightColumnsButAnotherKeyIsRefused) {
    make_keyspace(keyspace_);
    // accounts (append_dedup, key id) with its cursor order ascending instead of descending.
    execute_quietly("CREATE TABLE " + cql_ident(keyspace_) +
                    ".airbyte_raw_accounts (id bigint, \"_airbyte_cursor_order\" blob, \"_airbyte_ab_id\" uuid, "
                    "\"_airbyte_data\" text, \"_airbyte_emitted_at\" timestamp, PRIMARY KEY ((id), \"_airbyte_cursor_order\"))");
    auto r = write(config(), data_file("dedup.catalog.json"), data_file("dedup_run1.jsonl"));
    auto text = expect_config_error(r);
    EXPECT_NE(text.find("table " + keyspace_ + ".airbyte_raw_accounts exists but does not fit stream accounts"), std::string::npos)
        << text;
    EXPECT_NE(text.find(R"(its primary key is (("id"), "_airbyte_cursor_order" ASC), the stream needs (("id"), "_airbyte_cursor_order" DESC))"),
              std::string::npos)
        << text;
}
