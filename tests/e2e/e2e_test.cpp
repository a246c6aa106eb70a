// End-to-end: the destination-cassandra binary run as the Airbyte platform runs it (spec, check,
// write with messages on stdin) against the harness's node, and its tables read back through
// cql::blocking_session. Each test writes to a keyspace of its own, dropped at the end, as a role
// of its own whose password must never show on stdout or stderr.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <csignal>
#include <functional>
#include <random>
#include <thread>

#include "e2e_support.hpp"

#ifndef CONNECTOR_EXE
#error "CONNECTOR_EXE (the destination-cassandra binary) must be defined"
#endif
#ifndef E2E_DATA_DIR
#error "E2E_DATA_DIR must be defined"
#endif

using namespace e2e;
using namespace std::chrono_literals;

namespace {

const std::string connector = CONNECTOR_EXE;
const std::string data_dir = E2E_DATA_DIR;

// What the whole run shares: a token for unique names, the role the connector logs in as, and a
// session (as the harness's superuser) to read tables back.
struct shared_state {
    std::string token;
    std::string role, password;
    cql::test::node_env env;
    std::unique_ptr<cql::blocking_session> db;
};
shared_state* shared = nullptr;

class environment : public ::testing::Environment {
public:
    void SetUp() override {
        std::signal(SIGPIPE, SIG_IGN);  // a killed connector closes its stdin under our writer
        shared = new shared_state;
        std::random_device rd;
        char buf[16];
        std::snprintf(buf, sizeof buf, "%06x", static_cast<unsigned>(rd()) & 0xffffffu);
        shared->token = buf;
        shared->role = "e2e_writer_" + shared->token;
        shared->password = "E2e-Secret-" + shared->token + "-pw";
        shared->env = cql::test::node_env::from_environment();
        shared->db = std::make_unique<cql::blocking_session>(cql::test::env_config());
        if (auto ec = shared->db->connect()) throw std::runtime_error("connect: " + shared->db->last_error().message);
        cql::test::run(*shared->db, cql::statement("CREATE ROLE IF NOT EXISTS " + shared->role + " WITH PASSWORD = " +
                                                   cql_literal(shared->password) + " AND LOGIN = true AND SUPERUSER = true"));
    }
    void TearDown() override {
        if (!shared) return;
        if (shared->db) cql::test::run(*shared->db, cql::statement("DROP ROLE IF EXISTS " + shared->role));
        shared->db.reset();
        delete shared;
        shared = nullptr;
    }
};

[[maybe_unused]] const auto* registered = ::testing::AddGlobalTestEnvironment(new environment);

struct sync_result {
    run_result run;
    parsed_output out;
    std::vector<const output_message*> states() const { return out.of_type("STATE"); }
};

class E2e : public ::testing::Test {
protected:
    void SetUp() override {
        static int counter = 0;
        keyspace_ = "e2e_" + shared->token + "_" + std::to_string(++counter);
        keyspaces_before_ = list_keyspaces(db());
        drop_keyspace(keyspace_);
    }
    void TearDown() override {
        // The test's keyspace and every keyspace its syncs made (namespaces): all of them hold
        // the run's token, which keeps other users of the node out of harm's way.
        for (auto& ks : made_keyspaces()) drop_keyspace(ks);
    }

    cql::blocking_session& db() { return *shared->db; }
    // Keyspaces that did not exist when the test started and carry the run's token.
    std::vector<std::string> made_keyspaces() {
        std::vector<std::string> v;
        for (auto& ks : list_keyspaces(db()))
            if (!keyspaces_before_.count(ks) && ks.find(shared->token) != std::string::npos) v.push_back(ks);
        return v;
    }
    void drop_keyspace(const std::string& ks) { cql::test::run(db(), cql::statement("DROP KEYSPACE IF EXISTS " + cql_ident(ks))); }

    // A config for the harness's node with the test's role and keyspace; tweak edits it.
    std::string config(const std::function<void(rapidjson::Document&)>& tweak = {}) {
        rapidjson::Document d(rapidjson::kObjectType);
        auto& a = d.GetAllocator();
        auto str = [&](const std::string& s) { return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a); };
        d.AddMember("keyspace", str(keyspace_), a);
        d.AddMember("username", str(shared->role), a);
        d.AddMember("password", str(shared->password), a);
        d.AddMember("address", str(shared->env.hosts), a);
        d.AddMember("port", static_cast<int>(shared->env.port), a);
        if (tweak) tweak(d);
        return file("config-" + std::to_string(++files_) + ".json", to_json(d));
    }
    static void set(rapidjson::Document& d, const char* key, rapidjson::Value v) {
        d.RemoveMember(key);
        d.AddMember(rapidjson::Value(key, d.GetAllocator()), v, d.GetAllocator());
    }
    static void set(rapidjson::Document& d, const char* key, const std::string& s) {
        set(d, key, rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), d.GetAllocator()));
    }

    std::string file(const std::string& name, const std::string& content) {
        auto p = dir_.file(name);
        write_file(p, content);
        return p;
    }
    // A data file with its template expanded.
    std::string data(const std::string& name) { return expand_template(read_file(data_dir + "/" + name), shared->token); }
    std::string data_file(const std::string& name) { return file(std::to_string(++files_) + "-" + name, data(name)); }

    // Runs the connector and checks what every run must do: stdout holds Airbyte messages only,
    // neither stdout nor stderr shows the password, a TRACE ERROR is well formed.
    sync_result connector_run(const std::vector<std::string>& args, const std::string& stdin_path = "/dev/null") {
        std::vector<std::string> argv{connector};
        argv.insert(argv.end(), args.begin(), args.end());
        sync_result r;
        r.run = run(argv, stdin_path, 600s);
        r.out = parse_output(r.run.out);
        check_common(r.run.out, r.run.err, r.out);
        return r;
    }
    sync_result write(const std::string& config_path, const std::string& catalog_path, const std::string& input_path) {
        return connector_run({"write", "--config", config_path, "--catalog", catalog_path}, input_path);
    }
    static void check_common(const std::string& out, const std::string& err, const parsed_output& p) {
        for (auto& problem : p.problems) ADD_FAILURE() << problem;
        EXPECT_EQ(out.find(shared->password), std::string::npos) << "the password is on stdout";
        EXPECT_EQ(err.find(shared->password), std::string::npos) << "the password is on stderr";
        // A sanitizer's report (the connector built with ThreadSanitizer, say) fails the test even
        // where the connector was expected to fail anyway.
        EXPECT_EQ(err.find("Sanitizer"), std::string::npos) << shorten(err, 8000);
        for (auto* m : p.trace_errors()) {
            auto& t = (*m->doc)["trace"];
            EXPECT_TRUE(member(t, "emitted_at") && member(t, "emitted_at")->IsNumber()) << to_json(*m->doc);
            auto* e = member(t, "error");
            ASSERT_TRUE(e && e->IsObject()) << to_json(*m->doc);
            EXPECT_FALSE(string_member(*e, "message").empty()) << to_json(*m->doc);
            auto ft = string_member(*e, "failure_type");
            EXPECT_TRUE(ft == "config_error" || ft == "transient_error" || ft == "system_error") << to_json(*m->doc);
        }
    }
    static std::string diagnostics(const sync_result& r) {
        return "\n[status] " + r.run.status.describe() + "\n[stdout]\n" + shorten(r.run.out, 4000) + "\n[stderr]\n" +
               shorten(r.run.err, 4000);
    }
    static std::string failure_type(const sync_result& r) {
        auto errors = r.out.trace_errors();
        if (errors.empty()) return {};
        auto* e = member((*errors.back()->doc)["trace"], "error");
        return e ? string_member(*e, "failure_type") : std::string();
    }
    static std::string error_text(const sync_result& r) {
        std::string s;
        for (auto* m : r.out.trace_errors())
            if (auto* e = member((*m->doc)["trace"], "error"))
                s += string_member(*e, "message") + " | " + string_member(*e, "internal_message") + "\n";
        return s;
    }

    // The echoed states must be the expected ones, unchanged but for destinationStats, in an order
    // the connector may use: states of one stream in reading order, a GLOBAL or LEGACY state after
    // every state read before it, no STREAM state before a global one read before it (a STREAM
    // state need not wait for another stream's).
    static void expect_states(const sync_result& r, const std::vector<input_state>& expected) {
        auto got = r.states();
        ASSERT_EQ(got.size(), expected.size()) << "states echoed" << diagnostics(r);
        auto scope = [](const input_state& e) -> std::string {
            if (e.type != "STREAM") return {};  // global: orders against everything
            auto doc = parse_json(e.state);
            if (!doc) return {};
            auto* st = member(*doc, "stream");
            auto* sd = st ? member(*st, "stream_descriptor") : nullptr;
            return sd ? "stream " + canonical(*sd) : std::string();
        };
        std::vector<int> position(expected.size(), -1);  // where expected[i] came out
        for (std::size_t g = 0; g < got.size(); ++g) {
            auto& st = (*got[g]->doc)["state"];
            const std::string text = state_without_stats(st);
            std::size_t i = 0;
            while (i < expected.size() && (position[i] >= 0 || expected[i].state != text)) ++i;
            ASSERT_LT(i, expected.size()) << "state " << g << " was not expected (or came out too often): " << text
                                          << diagnostics(r);
            position[i] = static_cast<int>(g);
            auto* stats = member(st, "destinationStats");
            auto* count = stats ? member(*stats, "recordCount") : nullptr;
            ASSERT_TRUE(count && count->IsNumber()) << "state " << g << " has no destinationStats.recordCount: " << to_json(st);
            EXPECT_EQ(count->GetDouble(), expected[i].expected_count)
                << "recordCount of state " << g << " (input line " << expected[i].line << ", " << expected[i].type << ")";
        }
        for (std::size_t i = 0; i < expected.size(); ++i)
            for (std::size_t j = i + 1; j < expected.size(); ++j) {
                const auto a = scope(expected[i]), b = scope(expected[j]);
                if (a.empty() || b.empty() || a == b) {
                    EXPECT_LT(position[i], position[j]) << "the state of input line " << expected[j].line
                                                        << " came out before the one of line " << expected[i].line;
                }
            }
    }

    // The keyspace a stream lands in, when its name says which.
    std::optional<std::string> keyspace_of(const stream_id& s, bool namespaces = true) {
        if (s.ns.empty() || !namespaces) return keyspace_;
        static const std::regex plain("^[a-z0-9_]{1,48}$");
        if (std::regex_match(s.ns, plain)) return s.ns;
        return std::nullopt;  // sanitised: look for it among the new keyspaces
    }
    static bool plain_table(const std::string& name) {
        static const std::regex plain("^[a-z0-9_]+$");
        return std::regex_match(name, plain) && name.size() + 12 <= 48;
    }

    // Every stream of the model holds exactly the model's rows. Streams with a plain name are read
    // from airbyte_raw_<name>; the others are found among the tables of their keyspace (or of the
    // keyspaces the run made, for a sanitised namespace) by their contents.
    void expect_tables(destination_model& model, bool namespaces = true) {
        std::set<std::pair<std::string, std::string>> claimed;
        // Plain names first, so that their tables are not candidates for the others.
        std::vector<const configured_stream*> order;
        for (auto& c : model.catalog())
            if (plain_table(c.id.name) && keyspace_of(c.id, namespaces)) order.push_back(&c);
        for (auto& c : model.catalog())
            if (!(plain_table(c.id.name) && keyspace_of(c.id, namespaces))) order.push_back(&c);
        for (auto* c : order) {
            SCOPED_TRACE("stream " + c->id.describe());
            const auto& expected = model.rows(c->id);
            const configured_stream* dedup = c->mode == "append_dedup" ? c : nullptr;
            std::vector<std::pair<std::string, std::string>> candidates;
            std::vector<std::string> keyspaces;
            if (auto ks = keyspace_of(c->id, namespaces)) keyspaces.push_back(*ks);
            else keyspaces = made_keyspaces();
            if (plain_table(c->id.name)) {
                for (auto& ks : keyspaces) candidates.push_back({ks, "airbyte_raw_" + c->id.name});
            } else {
                for (auto& ks : keyspaces)
                    for (auto& t : list_tables(db(), ks))
                        if (t.rfind("airbyte_tmp_", 0) != 0 && !claimed.count({ks, t})) candidates.push_back({ks, t});
            }
            std::string report;
            bool found = false;
            for (auto& [ks, t] : candidates) {
                if (!plain_table(c->id.name) && list_tables(db(), ks).count(t) == 0) continue;
                auto contents = read_table(db(), ks, t, dedup);
                if (!contents.error.empty()) {
                    report += "\n" + ks + "." + t + ": " + contents.error;
                    continue;
                }
                auto diff = compare_bags(expected, contents.rows);
                if (diff.empty()) {
                    found = true;
                    claimed.insert({ks, t});
                    for (auto& p : contents.problems) ADD_FAILURE() << ks << "." << t << ": " << p;
                    expect_schema(ks, t, *c);
                    if (!plain_table(c->id.name)) {
                        static const std::regex hashed("^[a-z0-9_]*_[0-9a-f]{8}$");
                        EXPECT_TRUE(std::regex_match(t, hashed) && t.size() <= 48)
                            << "table " << t << " for stream " << c->id.describe() << " is not <sanitised>_<8 hex>";
                    }
                    break;
                }
                report += "\n" + ks + "." + t + ": " + diff;
            }
            if (!found)
                ADD_FAILURE() << "no table holds exactly the " << expected.size() << " expected rows of stream "
                              << c->id.describe() << " (" << candidates.size() << " candidate tables)" << report;
        }
    }

    void expect_schema(const std::string& ks, const std::string& table, const configured_stream& c) {
        auto cols = list_columns(db(), ks, table);
        EXPECT_EQ(cols["_airbyte_ab_id"].type, "uuid") << ks << "." << table;
        EXPECT_EQ(cols["_airbyte_data"].type, "text") << ks << "." << table;
        EXPECT_EQ(cols["_airbyte_emitted_at"].type, "timestamp") << ks << "." << table;
        if (c.mode == "append_dedup") {
            for (std::size_t k = 0; k < c.primary_key.size(); ++k) {
                std::string name;
                for (auto& p : c.primary_key[k]) name += (name.empty() ? "" : ".") + p;
                EXPECT_EQ(cols[name].type, c.pk_types[k]) << ks << "." << table << " key column " << name;
                EXPECT_EQ(cols[name].kind, "partition_key") << ks << "." << table << " key column " << name;
            }
        } else {
            EXPECT_EQ(cols["_airbyte_ab_id"].kind, "partition_key") << ks << "." << table;
        }
    }

    // One sync of a data set that must succeed: states, then tables.
    void sync_ok(destination_model& model, const std::string& config_path, const std::string& catalog_name,
                 const std::string& messages_name, bool namespaces = true) {
        auto input = data(messages_name);
        auto r = write(config_path, data_file(catalog_name), file(std::to_string(++files_) + "-" + messages_name, input));
        ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << "write " << messages_name << diagnostics(r);
        EXPECT_TRUE(r.out.trace_errors().empty()) << diagnostics(r);
        auto in = model_input(input);
        expect_states(r, in.states);
        model.apply(in, true);
        expect_tables(model, namespaces);
    }

    std::string keyspace_;
    std::set<std::string> keyspaces_before_;
    temp_dir dir_;
    int files_ = 0;
};

// -------------------------------------------------------------------------------------------------
// spec, check, usage

TEST_F(E2e, SpecListsTheThreeSyncModesAndTheConfig) {
    auto r = connector_run({"spec"});
    ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    auto specs = r.out.of_type("SPEC");
    ASSERT_EQ(specs.size(), 1u) << diagnostics(r);
    auto& spec = (*specs[0]->doc)["spec"];
    std::set<std::string> modes;
    if (auto* m = member(spec, "supported_destination_sync_modes"); m && m->IsArray())
        for (auto& e : m->GetArray()) modes.insert(e.GetString());
    EXPECT_EQ(modes, (std::set<std::string>{"overwrite", "append", "append_dedup"}));
    auto* cs = member(spec, "connectionSpecification");
    ASSERT_TRUE(cs && cs->IsObject()) << diagnostics(r);
    auto* props = member(*cs, "properties");
    ASSERT_TRUE(props && props->IsObject());
    for (auto* key : {"keyspace", "username", "password", "address", "port", "datacenter", "replication", "namespaces"})
        EXPECT_TRUE(member(*props, key)) << "connectionSpecification.properties has no " << key;
    if (auto* pw = member(*props, "password")) {
        auto* secret = member(*pw, "airbyte_secret");
        EXPECT_TRUE(secret && secret->IsBool() && secret->GetBool()) << "password is not marked airbyte_secret";
    }
}

TEST_F(E2e, UsageErrorsExitWithTwo) {
    auto good_config = config();
    auto catalog = data_file("append_two_streams.catalog.json");
    struct usage_case {
        std::string what;
        std::vector<std::string> args;
    };
    std::vector<usage_case> cases = {
        {"no command", {}},
        {"unknown command", {"frobnicate"}},
        {"check without --config", {"check"}},
        {"check with a missing config file", {"check", "--config", dir_.path() + "/no-such-config.json"}},
        {"write with a missing config file", {"write", "--config", dir_.path() + "/no-such-config.json", "--catalog", catalog}},
        {"write with a missing catalog file", {"write", "--config", good_config, "--catalog", dir_.path() + "/no-such-catalog.json"}},
        {"write without --catalog", {"write", "--config", good_config}},
    };
    for (auto& c : cases) {
        SCOPED_TRACE(c.what);
        auto r = connector_run(c.args);
        EXPECT_TRUE(r.run.status.exited && r.run.status.code == 2) << c.what << diagnostics(r);
        EXPECT_TRUE(r.out.of_type("STATE").empty());
    }
}

TEST_F(E2e, CheckSucceedsWithAGoodConfig) {
    auto r = connector_run({"check", "--config", config()});
    ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    auto st = r.out.of_type("CONNECTION_STATUS");
    ASSERT_EQ(st.size(), 1u) << diagnostics(r);
    EXPECT_EQ(string_member((*st[0]->doc)["connectionStatus"], "status"), "SUCCEEDED") << diagnostics(r);
}

// A failed check: CONNECTION_STATUS FAILED whose message says why; the exit status is 0 (Airbyte's
// convention for a check that ran) or 1 after a TRACE ERROR.
std::string failed_check_message(const sync_result& r) {
    auto st = r.out.of_type("CONNECTION_STATUS");
    EXPECT_EQ(st.size(), 1u) << "CONNECTION_STATUS messages";
    if (st.empty()) return {};
    auto& cs = (*st[0]->doc)["connectionStatus"];
    EXPECT_EQ(string_member(cs, "status"), "FAILED");
    EXPECT_TRUE(r.run.status.exited && (r.run.status.code == 0 || r.run.status.code == 1)) << r.run.status.describe();
    if (r.run.status.exited && r.run.status.code == 1) {
        EXPECT_FALSE(r.out.trace_errors().empty()) << "exit 1 without a TRACE ERROR";
    }
    return string_member(cs, "message");
}

TEST_F(E2e, CheckWithAWrongPasswordFailsAndSaysCredentials) {
    const std::string wrong = "Wrong-Secret-" + shared->token + "-x";
    auto r = connector_run({"check", "--config", config([&](auto& d) { set(d, "password", wrong); })});
    auto msg = failed_check_message(r);
    static const std::regex credentials("credential|password|username|authenticat", std::regex::icase);
    EXPECT_TRUE(std::regex_search(msg, credentials)) << "message: " << msg << diagnostics(r);
    EXPECT_EQ(r.run.out.find(wrong), std::string::npos) << "the wrong password is on stdout";
    EXPECT_EQ(r.run.err.find(wrong), std::string::npos) << "the wrong password is on stderr";
    if (!r.out.trace_errors().empty()) {
        EXPECT_EQ(failure_type(r), "config_error") << diagnostics(r);
    }
}

TEST_F(E2e, CheckWithAnUnreachablePortFailsAndNamesTheHost) {
    auto r = connector_run({"check", "--config", config([&](auto& d) {
                                set(d, "address", std::string("127.0.0.1"));
                                set(d, "port", rapidjson::Value(1));
                                set(d, "request_timeout_ms", rapidjson::Value(3000));
                            })});
    auto msg = failed_check_message(r);
    EXPECT_NE(msg.find("127.0.0.1"), std::string::npos) << "message: " << msg << diagnostics(r);
}

// A node that never answers: a loopback listener whose accept queue is full, so the kernel drops
// the SYN of every new connection (real TCP behaviour, no fake server): connecting hangs until the
// connector's connect timeout.
class blackhole {
public:
    blackhole() {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 0) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("blackhole listener: " + std::string(std::strerror(errno)));
        port_ = ntohs(a.sin_port);
        for (int i = 0; i < 3; ++i) {  // fill the accept queue (never accepted)
            int c = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            ::connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a);
            fillers_.push_back(c);
        }
        std::this_thread::sleep_for(200ms);
    }
    ~blackhole() {
        for (int c : fillers_) ::close(c);
        ::close(fd_);
    }
    int port() const { return port_; }

private:
    int fd_ = -1, port_ = 0;
    std::vector<int> fillers_;
};

TEST_F(E2e, ConnectTimeoutIsConfigurableAndATimeoutIsTransient) {
    blackhole hole;
    auto r = write(config([&](auto& d) {
                       set(d, "address", std::string("127.0.0.1"));
                       set(d, "port", rapidjson::Value(hole.port()));
                       set(d, "connect_timeout_ms", rapidjson::Value(1500));
                   }),
                   data_file("bad_line.catalog.json"), "/dev/null");
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    EXPECT_EQ(failure_type(r), "transient_error") << diagnostics(r);
    const std::string where = "127.0.0.1:" + std::to_string(hole.port());
    EXPECT_NE(error_text(r).find("no answer from " + where + " within 1500 ms"), std::string::npos) << error_text(r);
}

// Memory that runs out (a real allocation failure: the address space limited with ulimit -v, and
// a record too big for it) ends in a TRACE ERROR of type system_error and exit status 1, not an abort.
TEST_F(E2e, AllocationFailureIsASystemErrorTrace) {
    auto cfg = config([](auto& d) { set(d, "max_record_bytes", rapidjson::Value(256 << 20)); });
    auto catalog = data_file("bad_line.catalog.json");
    // A 200 MB line, made as the connector reads it (no file that size).
    const std::string script = "ulimit -v 400000; head -c 200000000 /dev/zero | tr '\\0' x | \"$0\" write --config \"$1\" --catalog \"$2\"";
    sync_result r;
    r.run = run({"/bin/sh", "-c", script, connector, cfg, catalog}, "/dev/null", 300s);
    r.out = parse_output(r.run.out);
    check_common(r.run.out, r.run.err, r.out);
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    ASSERT_EQ(r.out.trace_errors().size(), 1u) << diagnostics(r);
    EXPECT_EQ(failure_type(r), "system_error") << diagnostics(r);
    EXPECT_NE(error_text(r).find("out of memory"), std::string::npos) << error_text(r);
}

TEST_F(E2e, CheckOverTlsVerifiesTheNodeCertificate) {
    auto ca = read_file(shared->env.ca_pem);
    for (std::string mode : {"require", "verify-ca", "verify-full"}) {
        SCOPED_TRACE(mode);
        auto r = connector_run({"check", "--config", config([&](rapidjson::Document& d) {
                                    rapidjson::Value tls(rapidjson::kObjectType);
                                    tls.AddMember("mode", rapidjson::Value(mode.c_str(), d.GetAllocator()), d.GetAllocator());
                                    tls.AddMember("ca_certificate", rapidjson::Value(ca.c_str(), d.GetAllocator()), d.GetAllocator());
                                    set(d, "tls", std::move(tls));
                                })});
        ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
        auto st = r.out.of_type("CONNECTION_STATUS");
        ASSERT_EQ(st.size(), 1u) << diagnostics(r);
        EXPECT_EQ(string_member((*st[0]->doc)["connectionStatus"], "status"), "SUCCEEDED") << diagnostics(r);
    }
    // A CA that did not sign the node's certificate.
    auto unrelated = read_file(data_dir + "/../../data/unrelated-ca.pem");
    auto r = connector_run({"check", "--config", config([&](rapidjson::Document& d) {
                                rapidjson::Value tls(rapidjson::kObjectType);
                                tls.AddMember("mode", "verify-ca", d.GetAllocator());
                                tls.AddMember("ca_certificate", rapidjson::Value(unrelated.c_str(), d.GetAllocator()), d.GetAllocator());
                                set(d, "tls", std::move(tls));
                            })});
    auto msg = failed_check_message(r);
    static const std::regex cert("certificate|verif|tls|ssl", std::regex::icase);
    EXPECT_TRUE(std::regex_search(msg, cert)) << "message: " << msg << diagnostics(r);
}

// -------------------------------------------------------------------------------------------------
// write

TEST_F(E2e, AppendTwoStreams) {
    destination_model model(parse_catalog(data("append_two_streams.catalog.json")));
    sync_ok(model, config(), "append_two_streams.catalog.json", "append_two_streams.jsonl");
    // A second sync appends the same records again.
    sync_ok(model, config(), "append_two_streams.catalog.json", "append_two_streams.jsonl");
}

TEST_F(E2e, AppendOverTlsWithLz4AndProtocolV3) {
    auto ca = read_file(shared->env.ca_pem);
    auto cfg = config([&](rapidjson::Document& d) {
        rapidjson::Value tls(rapidjson::kObjectType);
        tls.AddMember("mode", "verify-full", d.GetAllocator());
        tls.AddMember("ca_certificate", rapidjson::Value(ca.c_str(), d.GetAllocator()), d.GetAllocator());
        set(d, "tls", std::move(tls));
        set(d, "compression", std::string("lz4"));
        set(d, "protocol_version", rapidjson::Value(3));
        set(d, "consistency", std::string("ONE"));
        set(d, "max_in_flight", rapidjson::Value(8));
    });
    destination_model model(parse_catalog(data("append_two_streams.catalog.json")));
    sync_ok(model, cfg, "append_two_streams.catalog.json", "append_two_streams.jsonl");
}

TEST_F(E2e, OverwriteTwiceKeepsOnlyTheSecondRunsRows) {
    destination_model model(parse_catalog(data("overwrite.catalog.json")));
    auto cfg = config();
    sync_ok(model, cfg, "overwrite.catalog.json", "overwrite_run1.jsonl");
    sync_ok(model, cfg, "overwrite.catalog.json", "overwrite_run2.jsonl");
    // A successful sync without records for the overwrite stream leaves its table empty.
    auto empty = file("empty.jsonl", "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":"
                                     "{\"name\":\"inventory\"},\"stream_state\":{\"run\":3}}}}\n");
    auto r = write(cfg, data_file("overwrite.catalog.json"), empty);
    ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    auto in = model_input(read_file(empty));
    expect_states(r, in.states);
    model.apply(in, true);
    expect_tables(model);
}

// Run 2 breaks (a malformed line after its first state): the overwrite stream keeps run 1's rows.
// Its states are held until the commit, so a failed sync echoes none of them (a state would let
// the platform resume a sync whose staged rows are thrown away).
TEST_F(E2e, OverwriteThatFailsKeepsThePreviousRows) {
    destination_model model(parse_catalog(data("overwrite.catalog.json")));
    auto cfg = config();
    sync_ok(model, cfg, "overwrite.catalog.json", "overwrite_run1.jsonl");
    auto lines = split_lines(data("overwrite_run2.jsonl"));
    std::string input;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        input += lines[i] + "\n";
        if (i == 3) input += "{\"type\":\"RECORD\",\"record\":{\"stream\":\"inventory\"\n";  // line 5
    }
    auto r = write(cfg, data_file("overwrite.catalog.json"), file("run2-broken.jsonl", input));
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    EXPECT_FALSE(r.out.trace_errors().empty()) << diagnostics(r);
    EXPECT_TRUE(r.states().empty()) << "a state of a staged overwrite stream came out of a failed sync" << diagnostics(r);
    model.apply(model_input(input, 5), false);
    auto contents = read_table(db(), keyspace_, "airbyte_raw_inventory");
    ASSERT_TRUE(contents.error.empty()) << contents.error;
    EXPECT_EQ(compare_bags(model.rows({"", "inventory"}), contents.rows), "");
}

// A source that reports stream statuses and ends a stream INCOMPLETE (it failed part way) does
// not get its overwrite committed: the table keeps the previous rows. COMPLETE replaces them.
TEST_F(E2e, OverwriteOfAStreamTheSourceReportsIncompleteKeepsThePreviousRows) {
    destination_model model(parse_catalog(data("overwrite.catalog.json")));
    auto cfg = config();
    sync_ok(model, cfg, "overwrite.catalog.json", "overwrite_run1.jsonl");
    auto status = [](const char* s) {
        return std::string("{\"type\":\"TRACE\",\"trace\":{\"type\":\"STREAM_STATUS\",\"emitted_at\":1,\"stream_status\":"
                           "{\"stream_descriptor\":{\"name\":\"inventory\"},\"status\":\"") + s + "\"}}}\n";
    };
    const std::string run2 = data("overwrite_run2.jsonl");
    auto r = write(cfg, data_file("overwrite.catalog.json"), file("run2-incomplete.jsonl", status("STARTED") + run2 + status("INCOMPLETE")));
    ASSERT_TRUE(r.run.status.exited && r.run.status.code == 0) << diagnostics(r);
    EXPECT_NE(r.run.out.find("not COMPLETE"), std::string::npos) << diagnostics(r);
    model.apply(model_input(run2), false);  // the append stream's rows land; inventory keeps run 1's
    expect_tables(model);

    auto done = write(cfg, data_file("overwrite.catalog.json"), file("run2-complete.jsonl", status("STARTED") + run2 + status("COMPLETE")));
    ASSERT_TRUE(done.run.status.exited && done.run.status.code == 0) << diagnostics(done);
    model.apply(model_input(run2), true);
    expect_tables(model);
}

// With a generation (resumable full refresh): states come out during the sync; a failed attempt
// leaves the previous rows readable, and the next attempt of the same generation keeps the rows
// its states covered and replaces the table at its end.
std::string generation_catalog(int generation) {
    return "{\"streams\":[{\"stream\":{\"name\":\"refreshed\",\"json_schema\":{\"type\":\"object\"},"
           "\"supported_sync_modes\":[\"full_refresh\"]},\"sync_mode\":\"full_refresh\",\"destination_sync_mode\":\"overwrite\","
           "\"generation_id\":" + std::to_string(generation) + ",\"minimum_generation_id\":" + std::to_string(generation) +
           ",\"sync_id\":" + std::to_string(100 + generation) + "}]}";
}

std::string rows_of(const std::string& stream, int from, int count, std::int64_t base) {
    std::string s;
    for (int i = from; i < from + count; ++i)
        s += "{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"data\":{\"i\":" + std::to_string(i) +
             "},\"emitted_at\":" + std::to_string(base + i) + "}}\n";
    return s;
}

std::string stream_state(const std::string& stream, int upto) {
    return "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"" + stream +
           "\"},\"stream_state\":{\"upto\":" + std::to_string(upto) + "}}}}\n";
}

TEST_F(E2e, OverwriteWithAGenerationResumesAfterAFailedAttempt) {
    auto cfg = config();
    auto gen1 = file("gen1.catalog.json", generation_catalog(1));
    auto gen2 = file("gen2.catalog.json", generation_catalog(2));
    destination_model model(parse_catalog(read_file(gen1)));
    // Generation 1 completes.
    auto run1 = rows_of("refreshed", 0, 20, 1700005000000) + stream_state("refreshed", 20);
    auto r1 = write(cfg, gen1, file("gen1.jsonl", run1));
    ASSERT_TRUE(r1.run.status.exited && r1.run.status.code == 0) << diagnostics(r1);
    expect_states(r1, model_input(run1).states);
    model.apply(model_input(run1), true);
    expect_tables(model);
    // Generation 2, attempt 1: 10 rows and a state, 5 more rows, then a malformed line.
    auto attempt1 = rows_of("refreshed", 0, 10, 1700006000000) + stream_state("refreshed", 10) +
                    rows_of("refreshed", 10, 5, 1700006000000) + "{not json\n";
    auto a1 = write(cfg, gen2, file("gen2-attempt1.jsonl", attempt1));
    EXPECT_TRUE(a1.run.status.exited && a1.run.status.code == 1) << diagnostics(a1);
    expect_states(a1, model_input(attempt1, 17).states);  // the state covering rows 0-9 came out
    expect_tables(model);                                  // generation 1's rows are still the table's
    // Attempt 2 resumes after the state: rows 10-29.
    auto attempt2 = rows_of("refreshed", 10, 20, 1700006000000) + stream_state("refreshed", 30);
    auto a2 = write(cfg, gen2, file("gen2-attempt2.jsonl", attempt2));
    ASSERT_TRUE(a2.run.status.exited && a2.run.status.code == 0) << diagnostics(a2);
    expect_states(a2, model_input(attempt2).states);
    // The table: rows 0-9 of attempt 1 (covered by its state) and rows 10-29 of attempt 2, none of
    // generation 1, each once: rows 10-14 of attempt 1 were written but no STATE covered them, so
    // the commit leaves them out (the source sent them again).
    auto contents = read_table(db(), keyspace_, "airbyte_raw_refreshed");
    ASSERT_TRUE(contents.error.empty()) << contents.error;
    std::map<std::int64_t, int> seen;
    for (auto& [d, t] : contents.rows) ++seen[t];
    for (int i = 0; i < 30; ++i) EXPECT_EQ(seen[1700006000000 + i], 1) << "row " << i;
    for (auto& [t, n] : seen) EXPECT_GE(t, 1700006000000) << "a row of generation 1 is left";
    EXPECT_EQ(contents.count, 30u);
}

TEST_F(E2e, AppendDedupKeepsTheGreatestCursorAndBreaksTiesByEmittedAt) {
    destination_model model(parse_catalog(data("dedup.catalog.json")));
    auto cfg = config();
    sync_ok(model, cfg, "dedup.catalog.json", "dedup_run1.jsonl");
    sync_ok(model, cfg, "dedup.catalog.json", "dedup_run2.jsonl");
    // Spelled out, for the record: the winners of accounts after both runs.
    auto contents = read_table(db(), keyspace_, "airbyte_raw_accounts", &model.stream({"", "accounts"}));
    std::set<std::string> winners;
    for (auto& [d, t] : contents.rows) {
        auto doc = parse_json(d);
        winners.insert(string_member(*doc, "v"));
    }
    EXPECT_EQ(winners, (std::set<std::string>{"1@7 wins run 1", "2@1 a: tie with run 1, later emitted_at: wins", "3@11 wins",
                                               "4@2 a: tie, later emitted_at though earlier in the file: wins", "max bigint key",
                                               "min bigint key", "5@1 new"}));
}

// Cursors that are long strings sharing a prefix, microsecond timestamps and fractional numbers:
// the greatest cursor wins although the smaller one comes later.
TEST_F(E2e, AppendDedupComparesWholeCursorValues) {
    destination_model model(parse_catalog(data("dedup_cursors.catalog.json")));
    sync_ok(model, config(), "dedup_cursors.catalog.json", "dedup_cursors.jsonl");
}

TEST_F(E2e, NamespacesLandInTheirOwnKeyspaces) {
    destination_model model(parse_catalog(data("namespaces.catalog.json")));
    sync_ok(model, config(), "namespaces.catalog.json", "namespaces.jsonl");
    auto ks = list_keyspaces(db());
    EXPECT_TRUE(ks.count("e2e_ns_a_" + shared->token));
    EXPECT_TRUE(ks.count("e2e_ns_b_" + shared->token));
}

TEST_F(E2e, NamespacesOffPutsEveryStreamInTheConfiguredKeyspace) {
    destination_model model(parse_catalog(data("namespaces_off.catalog.json")));
    sync_ok(model, config([](auto& d) { set(d, "namespaces", rapidjson::Value(false)); }), "namespaces_off.catalog.json",
            "namespaces_off.jsonl", /*namespaces=*/false);
    auto ks = list_keyspaces(db());
    EXPECT_FALSE(ks.count("e2e_off_a_" + shared->token)) << "a namespace keyspace was made with namespaces=false";
    EXPECT_FALSE(ks.count("e2e_off_b_" + shared->token)) << "a namespace keyspace was made with namespaces=false";
}

TEST_F(E2e, UnicodeStreamAndNamespaceNames) {
    destination_model model(parse_catalog(data("unicode.catalog.json")));
    sync_ok(model, config(), "unicode.catalog.json", "unicode.jsonl");
    // The Unicode namespace made one new keyspace besides the test's own.
    int made = 0;
    for (auto& ks : made_keyspaces())
        if (ks != keyspace_) {
            ++made;
            EXPECT_LE(ks.size(), 48u) << ks;
            EXPECT_TRUE(std::regex_match(ks, std::regex("^[a-z0-9_]+$"))) << ks;
        }
    EXPECT_EQ(made, 1);
}

TEST_F(E2e, NestedAndLargeRecords) {
    destination_model model(parse_catalog(data("nested.catalog.json")));
    sync_ok(model, config(), "nested.catalog.json", "nested.jsonl");
}

TEST_F(E2e, RecordLargerThanMaxRecordBytesIsRejectedWithItsLine) {
    auto cfg = config([](auto& d) { set(d, "max_record_bytes", rapidjson::Value(4096)); });
    std::string input;
    auto lines = split_lines(data("bad_line.jsonl"));
    for (int i = 0; i < 6; ++i) input += lines[static_cast<std::size_t>(i)] + "\n";
    input += "{\"type\":\"RECORD\",\"record\":{\"stream\":\"events\",\"data\":{\"big\":\"" + std::string(8192, 'x') +
             "\"},\"emitted_at\":1700000800005}}\n";  // line 7
    input += lines[7] + "\n" + lines[8] + "\n";
    auto r = write(cfg, data_file("bad_line.catalog.json"), file("too-big.jsonl", input));
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    ASSERT_FALSE(r.out.trace_errors().empty()) << diagnostics(r);
    EXPECT_TRUE(std::regex_search(error_text(r), std::regex("line\\D{0,3}7\\b", std::regex::icase))) << error_text(r);
    expect_states(r, model_input(input, 7).states);
}

TEST_F(E2e, AllStateTypesAreEchoedInOrderWithRecordCounts) {
    destination_model model(parse_catalog(data("states.catalog.json")));
    sync_ok(model, config(), "states.catalog.json", "states.jsonl");
}

TEST_F(E2e, PyAirbyteShapedMessagesWithNullsAndRepeatedKeys) {
    destination_model model(parse_catalog(data("pyairbyte_style.catalog.json")));
    sync_ok(model, config(), "pyairbyte_style.catalog.json", "pyairbyte_style.jsonl");
}

TEST_F(E2e, WriteWithAWrongPasswordIsAConfigError) {
    const std::string wrong = "Wrong-Secret-" + shared->token + "-y";
    auto r = write(config([&](auto& d) { set(d, "password", wrong); }), data_file("append_two_streams.catalog.json"),
                   data_file("append_two_streams.jsonl"));
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    EXPECT_EQ(failure_type(r), "config_error") << diagnostics(r);
    EXPECT_TRUE(r.states().empty());
    EXPECT_EQ(r.run.out.find(wrong), std::string::npos) << "the wrong password is on stdout";
    EXPECT_EQ(r.run.err.find(wrong), std::string::npos) << "the wrong password is on stderr";
}

// A bad line 7 in bad_line.jsonl, in each of its kinds: the states before it come out (with their
// counts), none after; a TRACE ERROR names line 7; exit 1; the records covered by those states are in.
struct bad_line_case {
    const char* name;
    const char* line;  // nullptr: the file's own malformed line
};

class E2eBadLine : public E2e, public ::testing::WithParamInterface<bad_line_case> {};

TEST_P(E2eBadLine, StatesBeforeComeOutNoneAfter) {
    auto lines = split_lines(data("bad_line.jsonl"));
    if (GetParam().line) lines[6] = GetParam().line;
    std::string input;
    for (auto& l : lines) input += l + "\n";
    auto r = write(config(), data_file("bad_line.catalog.json"), file("bad.jsonl", input));
    EXPECT_TRUE(r.run.status.exited && r.run.status.code == 1) << diagnostics(r);
    ASSERT_FALSE(r.out.trace_errors().empty()) << diagnostics(r);
    EXPECT_TRUE(std::regex_search(error_text(r), std::regex("line\\D{0,3}7\\b", std::regex::icase)))
        << "the error does not name line 7: " << error_text(r);
    auto before = model_input(input, 7);
    expect_states(r, before.states);
    // Records 1-3 are covered by the two states; record 4 may or may not be in; none after line 7.
    auto contents = read_table(db(), keyspace_, "airbyte_raw_events");
    ASSERT_TRUE(contents.error.empty()) << contents.error;
    std::set<std::int64_t> seen;
    for (auto& [d, t] : contents.rows) seen.insert(t);
    for (auto t : {1700000800001LL, 1700000800002LL, 1700000800003LL}) EXPECT_TRUE(seen.count(t)) << "record " << t << " is missing";
    for (auto t : {1700000800006LL, 1700000800007LL}) EXPECT_FALSE(seen.count(t)) << "record " << t << " after the bad line was written";
    std::printf("[ info ] %s: failure_type %s, message: %s", GetParam().name, failure_type(r).c_str(), error_text(r).c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, E2eBadLine,
    ::testing::Values(
        bad_line_case{"malformed_json", nullptr},
        bad_line_case{"not_an_object", "[1,2,3]"},
        bad_line_case{"stream_not_in_catalog", R"({"type":"RECORD","record":{"stream":"not_in_catalog","data":{"n":5},"emitted_at":1700000800005}})"},
        bad_line_case{"namespace_not_in_catalog", R"({"type":"RECORD","record":{"namespace":"elsewhere","stream":"events","data":{"n":5},"emitted_at":1700000800005}})"},
        bad_line_case{"data_not_an_object", R"({"type":"RECORD","record":{"stream":"events","data":[5],"emitted_at":1700000800005}})"},
        bad_line_case{"data_missing", R"({"type":"RECORD","record":{"stream":"events","emitted_at":1700000800005}})"},
        bad_line_case{"unknown_message_type", R"({"type":"BANANA","banana":{"n":5}})"}),
    [](const auto& info) { return std::string(info.param.name); });

// -------------------------------------------------------------------------------------------------
// SIGKILL in the middle of a sync

// Records of one stream, chunk by chunk, each chunk but the last followed by a STREAM state.
std::string chunk(const std::string& stream, int from, int count, std::int64_t base_ms) {
    std::string s;
    const std::string pad(120, 'p');
    for (int i = from; i < from + count; ++i)
        s += "{\"type\":\"RECORD\",\"record\":{\"stream\":\"" + stream + "\",\"data\":{\"i\":" + std::to_string(i) +
             ",\"pad\":\"" + pad + "\"},\"emitted_at\":" + std::to_string(base_ms + i) + "}}\n";
    return s;
}
std::string state_line(const std::string& stream, int upto) {
    return "{\"type\":\"STATE\",\"state\":{\"type\":\"STREAM\",\"stream\":{\"stream_descriptor\":{\"name\":\"" + stream +
           "\"},\"stream_state\":{\"upto\":" + std::to_string(upto) + "}}}}\n";
}

std::string one_stream_catalog(const std::string& stream, const std::string& mode) {
    return "{\"streams\":[{\"stream\":{\"name\":\"" + stream +
           "\",\"json_schema\":{\"type\":\"object\"},\"supported_sync_modes\":[\"full_refresh\"]},"
           "\"sync_mode\":\"full_refresh\",\"destination_sync_mode\":\"" + mode + "\"}]}";
}

// Feeds `chunks` chunks of `per_chunk` records with a state after each, then `tail` more records,
// keeps stdin open, and kills the connector (SIGKILL) once ready(states echoed so far) says so.
struct killed_sync {
    std::vector<std::string> states;
    exit_status status;
    std::string err;
};

killed_sync kill_mid_sync(const std::string& config_path, const std::string& catalog_path, const std::string& stream,
                          int chunks, int per_chunk, int tail, std::int64_t base_ms,
                          const std::function<bool(const std::vector<std::string>&)>& ready, int signal = SIGKILL,
                          int first = 0) {
    temp_dir dir;
    auto err_path = dir.file("stderr");
    killed_sync k;
    {
        child c({connector, "write", "--config", config_path, "--catalog", catalog_path}, "", err_path);
        std::atomic<bool> stop{false};
        std::thread writer([&] {
            int next = first;
            for (int i = 0; i < chunks && !stop; ++i) {
                if (!c.write_stdin(chunk(stream, next, per_chunk, base_ms))) return;
                next += per_chunk;
                if (!c.write_stdin(state_line(stream, next))) return;
            }
            for (int done = 0; done < tail && !stop; done += 1000)
                if (!c.write_stdin(chunk(stream, next + done, std::min(1000, tail - done), base_ms))) return;
            // stdin stays open: the connector is in the middle of a sync when it is killed
        });
        auto deadline = std::chrono::steady_clock::now() + 300s;
        while (!ready(k.states) && std::chrono::steady_clock::now() < deadline) {
            auto line = c.read_line(200ms);
            if (!line) {
                if (c.eof()) break;
                continue;
            }
            if (line->find("\"STATE\"") != std::string::npos) k.states.push_back(*line);
        }
        c.kill(signal);
        stop = true;
        k.status = c.wait(30s);
        writer.join();  // its writes fail (EPIPE) once the connector is gone
        c.close_stdin();
        // What it wrote before it died counts as emitted too.
        while (auto line = c.read_line(200ms))
            if (line->find("\"STATE\"") != std::string::npos) k.states.push_back(*line);
    }
    k.err = read_file(err_path);
    return k;
}

TEST_F(E2e, KilledAppendSyncKeepsEveryRecordCoveredByAState) {
    auto cfg = config();
    auto catalog = file("kill.catalog.json", one_stream_catalog("events", "append"));
    const int per_chunk = 3000, chunks = 4;
    const std::int64_t base = 1700001000000;
    auto k = kill_mid_sync(cfg, catalog, "events", chunks, per_chunk, 40000, base,
                           [](const std::vector<std::string>& states) { return states.size() >= 3; });
    // The kill lands after the third state; a fast connector may have acknowledged the fourth chunk
    // and echoed its state meanwhile. Whatever was echoed is checked below.
    ASSERT_GE(k.states.size(), 3u) << "the connector did not echo 3 states before the kill; stderr:\n" << shorten(k.err, 4000);
    ASSERT_LE(k.states.size(), static_cast<std::size_t>(chunks));
    EXPECT_EQ(k.status.signal, SIGKILL) << k.status.describe();
    EXPECT_EQ(k.err.find(shared->password), std::string::npos);
    EXPECT_EQ(k.err.find("Sanitizer"), std::string::npos) << shorten(k.err, 8000);
    // Each echoed state covers its chunk.
    for (std::size_t i = 0; i < k.states.size(); ++i) {
        auto doc = parse_json(k.states[i]);
        ASSERT_TRUE(doc);
        auto* stats = member((*doc)["state"], "destinationStats");
        ASSERT_TRUE(stats && member(*stats, "recordCount"));
        EXPECT_EQ(member(*stats, "recordCount")->GetDouble(), per_chunk) << k.states[i];
    }
    auto contents = read_table(db(), keyspace_, "airbyte_raw_events");
    ASSERT_TRUE(contents.error.empty()) << contents.error;
    std::map<std::int64_t, int> seen;
    for (auto& [d, t] : contents.rows) ++seen[t];
    const int covered = per_chunk * static_cast<int>(k.states.size());
    int missing = 0, repeated = 0, foreign = 0;
    for (int i = 0; i < covered; ++i) {
        auto it = seen.find(base + i);
        if (it == seen.end()) ++missing;
        else if (it->second != 1) ++repeated;
    }
    for (auto& [t, n] : seen)
        if (t < base || t >= base + per_chunk * chunks + 40000) ++foreign;
    EXPECT_EQ(missing, 0) << "records covered by an echoed state are missing";
    EXPECT_EQ(repeated, 0) << "records covered by an echoed state are there more than once";
    EXPECT_EQ(foreign, 0);
    std::printf("[ info ] killed after %zu states: %zu rows in the table (%d covered)\n", k.states.size(), contents.count, covered);
}

TEST_F(E2e, KilledOverwriteKeepsThePreviousSyncsRows) {
    auto cfg = config();
    auto catalog = file("kill-ow.catalog.json", one_stream_catalog("snapshot", "overwrite"));
    destination_model model(parse_catalog(read_file(catalog)));
    // Run 1 completes: 500 rows.
    auto run1 = chunk("snapshot", 0, 500, 1700002000000) + state_line("snapshot", 500);
    auto r1 = write(cfg, catalog, file("run1.jsonl", run1));
    ASSERT_TRUE(r1.run.status.exited && r1.run.status.code == 0) << diagnostics(r1);
    model.apply(model_input(run1), true);
    expect_tables(model);
    // Run 2 is killed once its staging table holds rows (its states wait for the commit).
    auto staged_rows = [&] {
        for (auto& t : list_tables(db(), keyspace_))
            if (t.rfind("airbyte_tmp_", 0) == 0) {
                std::string error;
                auto pages = select_all(db(), "SELECT COUNT(*) FROM " + cql_ident(keyspace_) + "." + cql_ident(t), error);
                if (error.empty() && !pages.empty() && pages[0].size()) return pages[0].get_int64(0, 0).value_or(0);
            }
        return std::int64_t{0};
    };
    std::int64_t staged = 0;
    auto k = kill_mid_sync(cfg, catalog, "snapshot", 3, 2000, 20000, 1700003000000, [&](const std::vector<std::string>&) {
        std::this_thread::sleep_for(100ms);
        return (staged = staged_rows()) > 0;
    });
    ASSERT_GT(staged, 0) << "the staging table never got rows; stderr:\n" << shorten(k.err, 4000);
    EXPECT_EQ(k.status.signal, SIGKILL) << k.status.describe();
    EXPECT_TRUE(k.states.empty()) << "a state of a staged overwrite stream came out before the commit";
    expect_tables(model);  // still run 1's rows
    // Run 3 completes and replaces them (nothing of run 2 leaks in).
    auto run3 = chunk("snapshot", 0, 50, 1700004000000) + state_line("snapshot", 50);
    auto r3 = write(cfg, catalog, file("run3.jsonl", run3));
    ASSERT_TRUE(r3.run.status.exited && r3.run.status.code == 0) << diagnostics(r3);
    model.apply(model_input(run3), true);
    expect_tables(model);
}

// An overwrite with a generation, killed at a point, then retried with the same generation from
// after the last STATE it emitted (from the start when none went out), as a resuming source does:
// the final table holds each of the source's records exactly once, and nothing older.
struct resume_case {
    const char* name;
    int signal;
    int states_before_kill;  // 0: once the staging table has rows; 6: after the last state
    bool typed = false;      // table_format typed: the same staging tables, a typed final table
};

class E2eResume : public E2e, public ::testing::WithParamInterface<resume_case> {};

TEST_P(E2eResume, RetriedGenerationHoldsEachRecordOnce) {
    const auto& pc = GetParam();
    auto cfg = pc.typed ? config([](rapidjson::Document& d) { set(d, "table_format", std::string("typed")); }) : config();
    const std::string stream = "resumed";
    const std::string schema = pc.typed ? R"({"type":"object","properties":{"i":{"type":"integer"},"pad":{"type":"string"}}})"
                                        : R"({"type":"object"})";
    auto catalog_text = [&](int gen) {
        return "{\"streams\":[{\"stream\":{\"name\":\"" + stream + "\",\"json_schema\":" + schema +
               ",\"supported_sync_modes\":[\"full_refresh\"]},"
               "\"sync_mode\":\"full_refresh\",\"destination_sync_mode\":\"overwrite\",\"generation_id\":" +
               std::to_string(gen) + ",\"minimum_generation_id\":" + std::to_string(gen) + ",\"sync_id\":" + std::to_string(gen) + "}]}";
    };
    // Generation 1 holds 300 older rows.
    auto gen1 = file("resume-gen1.catalog.json", catalog_text(1));
    auto old_rows = chunk(stream, 0, 300, 1600000000000) + state_line(stream, 300);
    auto r1 = write(cfg, gen1, file("resume-old.jsonl", old_rows));
    ASSERT_TRUE(r1.run.status.exited && r1.run.status.code == 0) << diagnostics(r1);
    // Generation 2: 6000 records, a STATE every 1000; killed at the point the case names.
    auto gen2 = file("resume-gen2.catalog.json", catalog_text(2));
    const int per_chunk = 1000, chunks = 6, total = per_chunk * chunks;
    const std::int64_t base = 1700007000000;
    const std::string table = "airbyte_tmp_" + stream;
    auto staged_rows = [&] {
        std::string error;
        auto pages = select_all(db(), "SELECT COUNT(*) FROM " + cql_ident(keyspace_) + "." + cql_ident(table), error);
        return error.empty() && !pages.empty() && pages[0].size() ? pages[0].get_int64(0, 0).value_or(0) : 0;
    };
    const int want = pc.states_before_kill;
    // Before the first state: records only (no state ever goes out). Between states: `want` chunks
    // with a state after each, then a chunk without one, staged but covered by no state. After the
    // last: every chunk and state. The input holds no state beyond the ones the kill waits for: a
    // watermark written for a later state while the process dies is the window the user guide
    // documents (those records are kept, and the source sends them again), which no order of
    // writes can close from the destination's side alone; this test checks everything else.
    auto k = kill_mid_sync(
        cfg, gen2, stream, want, per_chunk, want == 0 ? total : want == chunks ? 0 : per_chunk, base,
        [&](const std::vector<std::string>& states) {
            if (static_cast<int>(states.size()) < want) return false;
            if (want == chunks) return true;
            std::this_thread::sleep_for(50ms);
            return staged_rows() > want * per_chunk;  // the uncovered records are in the staging table
        },
        pc.signal);
    if (want == 0) {
        EXPECT_GT(staged_rows(), 0) << "the staging table never got rows; stderr:\n" << shorten(k.err, 4000);
    }
    // Where the source resumes: after the last STATE that went out.
    int resume_from = 0;
    for (auto& line : k.states) {
        auto doc = parse_json(line);
        ASSERT_TRUE(doc) << line;
        auto* st = member((*doc)["state"], "stream");
        ASSERT_TRUE(st);
        resume_from = (*member(*st, "stream_state"))["upto"].GetInt();
    }
    if (want > 0) {
        EXPECT_GE(resume_from, want * per_chunk);
    } else {
        EXPECT_TRUE(k.states.empty());
    }
    std::printf("[ info ] %s: killed after %zu states; the retry resumes from record %d\n", pc.name, k.states.size(), resume_from);
    // The retry, same generation.
    std::string retry;
    for (int from = resume_from; from < total; from += per_chunk)
        retry += chunk(stream, from, per_chunk, base) + state_line(stream, from + per_chunk);
    auto r2 = write(cfg, gen2, file("resume-retry.jsonl", retry));
    ASSERT_TRUE(r2.run.status.exited && r2.run.status.code == 0) << diagnostics(r2);
    std::map<std::int64_t, int> seen;
    std::size_t count = 0;
    if (pc.typed) {  // typed: extracted_at and the typed column i, which must agree
        std::string error;
        auto pages = select_all(db(), "SELECT \"_airbyte_extracted_at\", \"i\" FROM " + cql_ident(keyspace_) + "." + cql_ident(stream), error);
        ASSERT_TRUE(error.empty()) << error;
        for (auto& p : pages)
            for (std::size_t i = 0; i < p.size(); ++i, ++count) {
                const auto t = p.get_int64(i, 0).value_or(-1);
                EXPECT_EQ(p.get_int64(i, 1).value_or(-1), t - base) << "the typed column i of the row extracted at " << t;
                ++seen[t];
            }
    } else {
        auto contents = read_table(db(), keyspace_, "airbyte_raw_" + stream);
        ASSERT_TRUE(contents.error.empty()) << contents.error;
        for (auto& [d, t] : contents.rows) ++seen[t];
        count = contents.count;
    }
    int missing = 0, repeated = 0, foreign = 0;
    for (int i = 0; i < total; ++i) {
        auto it = seen.find(base + i);
        if (it == seen.end()) ++missing;
        else if (it->second != 1) ++repeated;
    }
    for (auto& [t, n] : seen)
        if (t < base || t >= base + total) foreign += n;
    EXPECT_EQ(missing, 0) << "records of the source are missing";
    EXPECT_EQ(repeated, 0) << "records are there more than once";
    EXPECT_EQ(foreign, 0) << "rows of the older generation are left";
    EXPECT_EQ(count, static_cast<std::size_t>(total));
    EXPECT_EQ(list_tables(db(), keyspace_).count(table), 0u) << "the staging table was not dropped";
}

INSTANTIATE_TEST_SUITE_P(
    KillPoints, E2eResume,
    ::testing::Values(resume_case{"sigterm_before_first_state", SIGTERM, 0}, resume_case{"sigkill_before_first_state", SIGKILL, 0},
                      resume_case{"sigterm_between_states", SIGTERM, 3}, resume_case{"sigkill_between_states", SIGKILL, 3},
                      resume_case{"sigterm_after_last_state", SIGTERM, 6}, resume_case{"sigkill_after_last_state", SIGKILL, 6},
                      resume_case{"typed_sigkill_before_first_state", SIGKILL, 0, true},
                      resume_case{"typed_sigkill_between_states", SIGKILL, 3, true}),
    [](const auto& info) { return std::string(info.param.name); });
#include "e2e_setup_cases.hpp"
#include "e2e_typed_grants.hpp"

}  // namespace
