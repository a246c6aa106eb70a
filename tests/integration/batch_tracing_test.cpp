// BATCH of each kind, custom payloads, request tracing and client-side timestamps against the real
// node (run in v5 and, by the client_v4 test, in v4). Each test has its own keyspace.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "client_fixture.hpp"

using namespace cql;
using namespace cql::test;

namespace {

const auto int_t = data_type::of(type_id::int_);
const auto text_t = data_type::of(type_id::varchar);

std::string keyspace_name(const std::string& what) { return "embed_" + what + "_" + std::to_string(::getpid()); }

statement insert_text(const std::string& table, std::int32_t k, std::string v) {
    statement st("INSERT INTO " + table + " (k, v) VALUES (?, ?)");
    st.values = {{int_t, cql_value{k}}, {text_t, cql_value::text(v)}};
    return st;
}

std::optional<std::string> text_at(blocking_session& db, const std::string& table, std::int32_t k) {
    statement st("SELECT v FROM " + table + " WHERE k = ?");
    st.values = {{int_t, cql_value{k}}};
    auto r = run(db, std::move(st));
    return r.size() == 1 ? r.get_text(0, 0) : std::nullopt;
}

std::optional<std::int64_t> writetime_at(blocking_session& db, const std::string& table, std::int32_t k) {
    statement st("SELECT WRITETIME(v) FROM " + table + " WHERE k = ?");
    st.values = {{int_t, cql_value{k}}};
    auto r = run(db, std::move(st));
    return r.size() == 1 ? r.get_int64(0, 0) : std::nullopt;
}

std::int64_t now_micros() {
    using namespace std::chrono;
    return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

result execute_ok(blocking_session& db, batch b) {
    std::error_code ec;
    auto r = db.execute(std::move(b), ec);
    EXPECT_FALSE(ec) << ec.message() << ": " << r.diag.message;
    return r;
}

}  // namespace

TEST(Batch, LoggedIntoTwoTablesWithABoundAndASimpleEntry) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("logged"));
    const auto a = ks.name() + ".a", b = ks.name() + ".b";
    run(db, statement("CREATE TABLE " + a + " (k int PRIMARY KEY, v text)"));
    run(db, statement("CREATE TABLE " + b + " (k int PRIMARY KEY, v text)"));
    std::error_code ec;
    auto insert_b = db.prepare("INSERT INTO " + b + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << insert_b.diag.message;

    batch logged(batch_type::logged);
    logged.add(insert_text(a, 1, "a1"));
    logged.add(bound_statement{insert_b, {cql_value{std::int32_t{1}}, cql_value::text("b1")}, {}});
    logged.add(insert_text(a, 2, "a2"));
    logged.options.idempotent = true;
    logged.options.consistency = consistency::one;
    auto r = execute_ok(db, std::move(logged));
    EXPECT_FALSE(r.has_rows());
    EXPECT_EQ(text_at(db, a, 1), "a1");
    EXPECT_EQ(text_at(db, a, 2), "a2");
    EXPECT_EQ(text_at(db, b, 1), "b1");
}

TEST(Batch, UnloggedOfOnePartition) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("unlogged"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (p int, c int, v text, PRIMARY KEY (p, c))"));
    std::error_code ec;
    auto insert = db.prepare("INSERT INTO " + t + " (p, c, v) VALUES (?, ?, ?)", ec);
    ASSERT_FALSE(ec) << insert.diag.message;
    batch unlogged(batch_type::unlogged);
    for (std::int32_t c = 0; c < 20; ++c)
        unlogged.add(bound_statement{insert, {cql_value{std::int32_t{7}}, cql_value{c}, cql_value::text("x")}, {}});
    execute_ok(db, std::move(unlogged));
    statement count("SELECT COUNT(*) FROM " + t + " WHERE p = 7");
    auto r = run(db, std::move(count));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.get_int64(0, 0), 20);
}

TEST(Batch, CounterIncrementsAddUp) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("counter"));
    const auto t = ks.name() + ".c";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, n counter)"));
    std::error_code ec;
    auto add = db.prepare("UPDATE " + t + " SET n = n + ? WHERE k = ?", ec);
    ASSERT_FALSE(ec) << add.diag.message;
    for (int round = 0; round < 2; ++round) {
        batch counters(batch_type::counter);
        counters.add(bound_statement{add, {cql_value{std::int64_t{5}}, cql_value{std::int32_t{1}}}, {}});
        counters.add(bound_statement{add, {cql_value{std::int64_t{-2}}, cql_value{std::int32_t{2}}}, {}});
        counters.add(statement("UPDATE " + t + " SET n = n + 10 WHERE k = 1"));
        execute_ok(db, std::move(counters));  // counter updates are not idempotent: sent once
    }
    auto r = run(db, statement("SELECT k, n FROM " + t));
    ASSERT_EQ(r.size(), 2u);
    std::map<std::int32_t, std::int64_t> got;
    for (std::size_t i = 0; i < r.size(); ++i) got[r.get_int32(i, 0).value_or(-1)] = r.get_int64(i, 1).value_or(0);
    EXPECT_EQ(got, (std::map<std::int32_t, std::int64_t>{{1, 30}, {2, -4}}));
}

TEST(Batch, APreparedEntryTheNodeForgotIsPreparedAgain) {
    // Dropping a table makes the node forget the statements prepared on it; the session still holds
    // their ids, so the next batch meets UNPREPARED and must prepare them again, then resend.
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("reprep"));
    const auto t = ks.name() + ".t", u = ks.name() + ".u";
    const auto create_t = "CREATE TABLE " + t + " (k int PRIMARY KEY, v text)";
    const auto create_u = "CREATE TABLE " + u + " (k int PRIMARY KEY, v text)";
    run(db, statement(create_t));
    run(db, statement(create_u));
    std::error_code ec;
    auto insert_t = db.prepare("INSERT INTO " + t + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << insert_t.diag.message;
    auto insert_u = db.prepare("INSERT INTO " + u + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << insert_u.diag.message;
    auto both = [&](std::int32_t k) {
        batch b(batch_type::logged);
        b.add(bound_statement{insert_t, {cql_value{k}, cql_value::text("t")}, {}});
        b.add(bound_statement{insert_u, {cql_value{k}, cql_value::text("u")}, {}});
        return b;
    };
    execute_ok(db, both(1));
    run(db, statement("DROP TABLE " + t));
    run(db, statement("DROP TABLE " + u));
    run(db, statement(create_t));
    run(db, statement(create_u));
    execute_ok(db, both(2));
    EXPECT_EQ(text_at(db, t, 2), "t");
    EXPECT_EQ(text_at(db, u, 2), "u");
}

TEST(Batch, ABoundStatementTheNodeForgotIsPreparedAgainToo) {
    // The same re-prepare path for a single bound statement (shared with batches).
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("reprep1"));
    const auto t = ks.name() + ".t";
    const auto create_t = "CREATE TABLE " + t + " (k int PRIMARY KEY, v text)";
    run(db, statement(create_t));
    std::error_code ec;
    auto insert = db.prepare("INSERT INTO " + t + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << insert.diag.message;
    run(db, statement("DROP TABLE " + t));
    run(db, statement(create_t));
    auto r = db.execute(bound_statement{insert, {cql_value{std::int32_t{3}}, cql_value::text("again")}, {}}, ec);
    ASSERT_FALSE(ec) << r.diag.message;
    EXPECT_EQ(text_at(db, t, 3), "again");
}

TEST(Batch, AConditionalBatchAnswersApplied) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("cas"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (p int, c int, v text, PRIMARY KEY (p, c))"));
    auto conditional = [&](std::string v) {
        batch b(batch_type::logged);  // one partition, as Cassandra requires of a conditional batch
        b.add(statement("INSERT INTO " + t + " (p, c, v) VALUES (1, 1, '" + v + "') IF NOT EXISTS"));
        b.add(statement("INSERT INTO " + t + " (p, c, v) VALUES (1, 2, '" + v + "')"));
        b.options.serial_consistency = consistency::local_serial;
        return b;
    };
    auto first = execute_ok(db, conditional("a"));
    ASSERT_GE(first.size(), 1u);
    EXPECT_EQ(first.get_bool(0, 0), true);
    auto second = execute_ok(db, conditional("b"));
    ASSERT_GE(second.size(), 1u);
    EXPECT_EQ(second.get_bool(0, 0), false);  // not applied: the row exists
    EXPECT_EQ(second.get_text(0, static_cast<std::size_t>(second.column_index("v"))), "a");
}

TEST(Batch, ACounterUpdateInALoggedBatchIsTheServersError) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("mixed"));
    const auto t = ks.name() + ".c";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, n counter)"));
    batch wrong(batch_type::logged);
    wrong.add(statement("UPDATE " + t + " SET n = n + 1 WHERE k = 1"));
    std::error_code ec;
    auto r = db.execute(std::move(wrong), ec);
    EXPECT_EQ(ec, protocol::server_errc::invalid);
    EXPECT_NE(r.diag.message.find("ounter"), std::string::npos) << r.diag.message;
}

TEST(CustomPayload, AStockNodeAcceptsAndIgnoresIt) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    statement st("SELECT release_version FROM system.local");
    st.options.custom_payload["embed.test"] = {0x01, 0x02};
    st.options.custom_payload["empty"] = {};
    auto r = run(db, std::move(st));
    EXPECT_EQ(r.size(), 1u);
    EXPECT_TRUE(r.custom_payload().empty());  // a stock Cassandra sends none back

    scratch_keyspace ks(db, keyspace_name("payload"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, v text)"));
    batch b(batch_type::unlogged);
    b.add(insert_text(t, 1, "p"));
    b.options.custom_payload["embed.test"] = {0x03};
    execute_ok(db, std::move(b));
    EXPECT_EQ(text_at(db, t, 1), "p");
}

TEST(Tracing, TheTraceIdNamesRowsInSystemTraces) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    auto untraced = run(db, statement("SELECT release_version FROM system.local"));
    EXPECT_FALSE(untraced.tracing_id());

    statement st("SELECT release_version FROM system.local");
    st.options.tracing = true;
    auto r = run(db, std::move(st));
    ASSERT_EQ(r.size(), 1u);
    ASSERT_TRUE(r.tracing_id());
    const auto id = *r.tracing_id();

    // The node writes the trace asynchronously after answering: poll for up to ~5 s.
    std::size_t sessions = 0, events = 0;
    std::optional<std::string> request;
    for (int i = 0; i < 25 && (sessions == 0 || events == 0); ++i) {
        if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(200));
        statement s("SELECT request FROM system_traces.sessions WHERE session_id = ?");
        s.values = {{data_type::of(type_id::uuid), cql_value{id}}};
        s.options.consistency = consistency::one;
        auto got = run(db, std::move(s));
        sessions = got.size();
        if (sessions == 1) request = got.get_text(0, 0);
        statement e("SELECT activity FROM system_traces.events WHERE session_id = ?");
        e.values = {{data_type::of(type_id::uuid), cql_value{id}}};
        e.options.consistency = consistency::one;
        events = run(db, std::move(e)).size();
    }
    EXPECT_EQ(sessions, 1u);
    EXPECT_GT(events, 0u);
    EXPECT_EQ(request, "Execute CQL3 query");
}

TEST(Tracing, ABatchIsTracedToo) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("tracebatch"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, v text)"));
    batch b(batch_type::logged);
    b.add(insert_text(t, 1, "x"));
    b.options.tracing = true;
    auto r = execute_ok(db, std::move(b));
    EXPECT_TRUE(r.tracing_id());
    batch plain(batch_type::logged);
    plain.add(insert_text(t, 2, "y"));
    EXPECT_FALSE(execute_ok(db, std::move(plain)).tracing_id());
}

TEST(ClientTimestamps, TheGeneratedTimestampIsTheWriteTime) {
    // A generator of our own, so the exact value sent is known.
    std::mutex m;
    std::vector<std::int64_t> handed_out;
    std::int64_t next = now_micros();
    auto cfg = env_config();
    cfg.timestamp_generator = [&] {
        std::lock_guard lock(m);
        handed_out.push_back(next++);
        return handed_out.back();
    };
    auto last = [&] {
        std::lock_guard lock(m);
        return handed_out.empty() ? std::int64_t{-1} : handed_out.back();
    };
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, keyspace_name("clientts"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, v text)"));

    run(db, insert_text(t, 1, "first"));
    EXPECT_EQ(writetime_at(db, t, 1), last());  // the SELECT's own timestamp comes later
    std::error_code ec;
    auto insert = db.prepare("INSERT INTO " + t + " (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << insert.diag.message;
    db.execute(bound_statement{insert, {cql_value{std::int32_t{2}}, cql_value::text("bound")}, {}}, ec);
    ASSERT_FALSE(ec);
    EXPECT_EQ(writetime_at(db, t, 2), last());
    batch b(batch_type::unlogged);
    b.add(insert_text(t, 3, "batched"));
    execute_ok(db, std::move(b));
    EXPECT_EQ(writetime_at(db, t, 3), last());

    // A statement's own timestamp wins, and none is taken for it.
    const auto before = handed_out.size();
    auto own = insert_text(t, 4, "own");
    own.options.timestamp = 1'234'567;
    run(db, std::move(own));
    EXPECT_EQ(handed_out.size(), before);
    EXPECT_EQ(writetime_at(db, t, 4), 1'234'567);
}

TEST(ClientTimestamps, OnByDefaultAndTwoQuickWritesKeepTheirOrder) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    ASSERT_TRUE(db.async().config().client_timestamps);
    scratch_keyspace ks(db, keyspace_name("defaultts"));
    const auto t = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + t + " (k int PRIMARY KEY, v text)"));
    const auto before = now_micros();
    run(db, insert_text(t, 1, "one"));
    const auto first = writetime_at(db, t, 1);
    run(db, insert_text(t, 1, "two"));
    const auto after = now_micros();
    const auto second = writetime_at(db, t, 1);
    ASSERT_TRUE(first && second);
    // Client clock (this machine's), in microseconds, strictly increasing.
    EXPECT_GE(*first, before);
    EXPECT_LT(*first, *second);
    EXPECT_LE(*second, after);
    EXPECT_EQ(text_at(db, t, 1), "two");
    // A conditional write (Paxos picks its own timestamp) is accepted with the default timestamp set.
    auto lwt = run(db, statement("INSERT INTO " + t + " (k, v) VALUES (9, 'lwt') IF NOT EXISTS"));
    ASSERT_EQ(lwt.size(), 1u);
    EXPECT_EQ(lwt.get_bool(0, 0), true);
    EXPECT_EQ(text_at(db, t, 9), "lwt");

    // Off: the statement carries no timestamp and the node's clock decides (the same machine here).
    auto cfg = env_config();
    cfg.client_timestamps = false;
    cfg.timestamp_generator = [] { return std::int64_t{1}; };  // not called when off
    blocking_session off(cfg);
    ASSERT_FALSE(off.connect()) << off.last_error().message;
    const auto t0 = now_micros();
    run(off, insert_text(t, 5, "server"));
    const auto wt = writetime_at(off, t, 5);
    ASSERT_TRUE(wt);
    EXPECT_GE(*wt, t0 - 1'000'000);  // within a second of our clock: not the generator's 1
}
