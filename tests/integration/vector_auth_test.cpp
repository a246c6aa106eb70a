// Cassandra 5.0 vectors against the real node (typed values in both directions, an SAI index and
// an ANN query), and pluggable authenticators against its PasswordAuthenticator.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <span>
#include <thread>

#include "client_fixture.hpp"
#include "cql/auth.hpp"

using namespace cql;
using namespace cql::test;
using protocol::cql_value;

namespace {

// Keyspaces of this file only, so other tests on the shared node never see them.
constexpr const char* vec_ks = "it_vectorauth_vec";

cql_value floats(std::initializer_list<float> v) {
    cql_list l;
    for (float f : v) l.push_back(cql_value{f});
    return cql_value{std::move(l)};
}

cql_value texts(std::initializer_list<const char*> v) {
    cql_list l;
    for (const char* s : v) l.push_back(cql_value::text(s));
    return cql_value{std::move(l)};
}

// SAI builds its index asynchronously: an ANN query may be refused for a moment after CREATE INDEX.
result ann_query(blocking_session& db, statement st) {
    std::error_code ec;
    result r;
    for (int attempt = 0; attempt < 50; ++attempt) {
        r = db.execute(st, ec);
        if (!ec) return r;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    ADD_FAILURE() << st.query << ": " << ec.message() << ": " << r.diag.message;
    return r;
}

}  // namespace

TEST(Vectors, TypedValuesRoundTripAndAnAnnQueryOrdersByCosineSimilarity) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, vec_ks);
    const std::string t = std::string(vec_ks) + ".items";
    run(db, statement("CREATE TABLE " + t +
                      " (id int PRIMARY KEY, v vector<float, 3>, names vector<text, 2>, small vector<smallint, 2>)"));
    run(db, statement("CREATE INDEX items_v ON " + t + " (v) USING 'sai' WITH OPTIONS = {'similarity_function': 'cosine'}"));

    std::error_code ec;
    auto ins = db.prepare("INSERT INTO " + t + " (id, v, names, small) VALUES (?, ?, ?, ?)", ec);
    ASSERT_FALSE(ec) << ins.diag.message;
    // The node describes the columns with VectorType class names; they read as typed vectors.
    ASSERT_EQ(ins.variables().size(), 4u);
    EXPECT_EQ(ins.variables()[1].type.to_cql(), "vector<float, 3>");
    EXPECT_EQ(ins.variables()[2].type.to_cql(), "vector<text, 2>");
    EXPECT_EQ(ins.variables()[3].type.to_cql(), "vector<smallint, 2>");

    struct row_case {
        int id;
        cql_value v;
    };
    // Cosine similarity to [1, 0, 0]: 1 (id 1), 0.894 (id 2), 0.707 (id 3), 0 (id 4), -1 (id 5).
    const row_case rows[] = {{3, floats({1, 1, 0})}, {1, floats({2, 0, 0})}, {5, floats({-1, 0, 0})},
                             {4, floats({0, 0, 1})}, {2, floats({2, 1, 0})}};
    for (const auto& rc : rows) {
        const cql_value names = texts({"row", rc.id == 1 ? "Grüße 🚀" : ""});
        const cql_value small{cql_list{cql_value{std::int16_t{-32768}}, cql_value{static_cast<std::int16_t>(rc.id)}}};
        auto w = db.execute(bound_statement{ins, {cql_value{rc.id}, rc.v, names, small}, {}}, ec);
        ASSERT_FALSE(ec) << w.diag.message;
    }

    auto r = run(db, statement("SELECT id, v, names, small FROM " + t + " WHERE id = 1"));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.columns()[1].type.to_cql(), "vector<float, 3>");
    EXPECT_EQ(r.get_float_vector(0, 1), (std::vector<float>{2, 0, 0}));
    EXPECT_EQ(r.get_vector(0, 2), (cql_list{cql_value::text("row"), cql_value::text("Grüße 🚀")}));
    EXPECT_EQ(r.get_vector(0, 3), (cql_list{cql_value{std::int16_t{-32768}}, cql_value{std::int16_t{1}}}));
    EXPECT_FALSE(r.get_float_vector(0, 2).has_value()) << "a text vector is not a float vector";
    EXPECT_FALSE(r.get_vector(0, 0).has_value()) << "an int column is not a vector";

    // The two nearest rows, nearest first: literal query vector, then the same bound as a value.
    auto ann = ann_query(db, statement("SELECT id FROM " + t + " ORDER BY v ANN OF [1.0, 0.0, 0.0] LIMIT 2"));
    ASSERT_EQ(ann.size(), 2u);
    EXPECT_EQ(ann.get_int32(0, 0), 1);
    EXPECT_EQ(ann.get_int32(1, 0), 2);
    auto near = db.prepare("SELECT id, v FROM " + t + " ORDER BY v ANN OF ? LIMIT 3", ec);
    ASSERT_FALSE(ec) << near.diag.message;
    auto bound = db.execute(bound_statement{near, {floats({1, 0, 0})}, {}}, ec);
    ASSERT_FALSE(ec) << bound.diag.message;
    ASSERT_EQ(bound.size(), 3u);
    EXPECT_EQ(bound.get_int32(0, 0), 1);
    EXPECT_EQ(bound.get_int32(1, 0), 2);
    EXPECT_EQ(bound.get_int32(2, 0), 3);
    EXPECT_EQ(bound.get_float_vector(2, 1), (std::vector<float>{1, 1, 0}));

    // A value of the wrong dimension never reaches the node: the encoder refuses it.
    auto bad = db.execute(bound_statement{ins, {cql_value{9}, floats({1, 2}), cql_value{}, cql_value{}}, {}}, ec);
    EXPECT_EQ(ec, protocol::errc::vector_dimension) << ec.message() << ": " << bad.diag.message;
    EXPECT_EQ(run(db, statement("SELECT id FROM " + t + " WHERE id = 9")).size(), 0u);
}

TEST(Authenticators, AnExplicitPlainAuthenticatorConnectsLikeUsernameAndPassword) {
    auto cfg = env_config();
    const std::string user = cfg.username, password = cfg.password;
    cfg.username.clear();
    cfg.password.clear();
    cfg.make_authenticator = plain_authentication(user, password);
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    auto r = run(db, statement("SELECT release_version FROM system.local"));
    EXPECT_EQ(r.size(), 1u);
}

namespace {

// Counts what the node asks of an authenticator; PLAIN underneath.
struct auth_counts {
    std::atomic<int> made{0}, initial{0}, challenges{0}, successes{0};
    std::string server_class;
    std::mutex m;
};

class counting_authenticator final : public authenticator {
public:
    counting_authenticator(auth_counts& c, std::string user, std::string password, bool give_up)
        : c_(c), plain_(std::move(user), std::move(password)), give_up_(give_up) {}
    std::optional<auth_bytes> initial_response(const std::string& server_authenticator) override {
        ++c_.initial;
        std::lock_guard lock(c_.m);
        c_.server_class = server_authenticator;
        if (give_up_) return std::nullopt;
        return plain_.initial_response(server_authenticator);
    }
    std::optional<auth_bytes> evaluate_challenge(std::span<const std::uint8_t> challenge) override {
        ++c_.challenges;
        return plain_.evaluate_challenge(challenge);
    }
    void on_success(std::span<const std::uint8_t>) override { ++c_.successes; }

private:
    auth_counts& c_;
    plain_authenticator plain_;
    bool give_up_;
};

}  // namespace

TEST(Authenticators, ACustomAuthenticatorSeesOneRoundAndSuccessFromPasswordAuthenticator) {
    auto cfg = env_config();
    auth_counts counts;
    const std::string user = cfg.username, password = cfg.password;
    cfg.make_authenticator = [&](const std::string&) -> std::unique_ptr<authenticator> {
        ++counts.made;
        return std::make_unique<counting_authenticator>(counts, user, password, false);
    };
    {
        blocking_session db(cfg);
        ASSERT_FALSE(db.connect()) << db.last_error().message;
        run(db, statement("SELECT release_version FROM system.local"));
    }
    EXPECT_GE(counts.made.load(), 1);
    EXPECT_EQ(counts.initial.load(), counts.made.load());
    EXPECT_EQ(counts.successes.load(), counts.made.load()) << "every connection ends with AUTH_SUCCESS";
    EXPECT_EQ(counts.challenges.load(), 0) << "PasswordAuthenticator accepts PLAIN in one round";
    EXPECT_EQ(counts.server_class, "org.apache.cassandra.auth.PasswordAuthenticator");
}

TEST(Authenticators, AnAuthenticatorThatGivesUpFailsTheConnectionNamingTheRound) {
    auto cfg = env_config();
    auth_counts counts;
    cfg.make_authenticator = [&](const std::string&) -> std::unique_ptr<authenticator> {
        return std::make_unique<counting_authenticator>(counts, "", "", true);
    };
    blocking_session db(cfg);
    EXPECT_EQ(db.connect(), client_errc::authentication_failed);
    EXPECT_NE(db.last_error().message.find("initial response"), std::string::npos) << db.last_error().message;
    EXPECT_EQ(counts.successes.load(), 0);
}
