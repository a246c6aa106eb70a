// The client against one real node: authentication, TLS checks, LZ4, protocol v3, paging,
// pipelining, one session used from several threads at once, and every CQL type through a table.
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <future>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "client_fixture.hpp"
#include "cql/retry_policy.hpp"

using namespace cql;
using namespace cql::test;
using protocol::cql_value;
using protocol::data_type;
using protocol::type_id;

namespace {

std::size_t count_rows(blocking_session& db, const std::string& table) {
    auto r = run(db, statement("SELECT COUNT(*) FROM " + table));
    return r.size() == 1 ? static_cast<std::size_t>(r.get_int64(0, 0).value_or(-1)) : 0;
}

}  // namespace

TEST(Client, ConnectsAuthenticatesAndSeesTheNode) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    auto hosts = db.hosts();
    ASSERT_EQ(hosts.size(), 1u);
    EXPECT_TRUE(hosts[0].up);
    EXPECT_EQ(hosts[0].datacenter, "datacenter1");
    EXPECT_EQ(hosts[0].release_version.substr(0, 2), "5.");
    auto r = run(db, statement("SELECT release_version FROM system.local"));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.get_text(0, 0), hosts[0].release_version);
}

TEST(Client, WrongPasswordIsAnAuthenticationErrorThatNamesNoSecret) {
    auto cfg = env_config();
    cfg.password = "Client-Secret-wrong-7f3a9";
    blocking_session db(cfg);
    auto ec = db.connect();
    EXPECT_EQ(ec, client_errc::authentication_failed);
    auto diag = db.last_error();
    EXPECT_NE(diag.message.find("incorrect"), std::string::npos) << diag.message;
    EXPECT_EQ(diag.message.find("Client-Secret-wrong-7f3a9"), std::string::npos) << diag.message;
    EXPECT_EQ(ec.message().find("Client-Secret-wrong-7f3a9"), std::string::npos);
}

TEST(Client, NoCredentialsAgainstPasswordAuthenticatorSaysSo) {
    auto cfg = env_config();
    cfg.username.clear();
    cfg.password.clear();
    blocking_session db(cfg);
    EXPECT_EQ(db.connect(), client_errc::authentication_failed);
    EXPECT_NE(db.last_error().message.find("PasswordAuthenticator"), std::string::npos) << db.last_error().message;
}

TEST(Client, ARetryPolicyInTheConfigDecidesInsteadOfTheDefaultRules) {
    auto cfg = env_config();
    std::vector<std::error_code> seen;
    // Retries a syntax error on the same node, which the default rules never do.
    cfg.retry = [&seen](std::error_code ec, const diagnostics& d, bool idempotent) {
        seen.push_back(ec);
        auto out = classify(ec, d, idempotent);
        if (ec == server_errc::syntax_error) out.action = retry_action::retry_same_host;
        return out;
    };
    cfg.max_attempts = 3;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    statement bad("SELEKT * FROM system.local");
    bad.options.idempotent = true;
    std::error_code ec;
    auto r = db.execute(bad, ec);
    EXPECT_EQ(ec, server_errc::syntax_error);
    EXPECT_EQ(r.diag.attempts, 3);
    EXPECT_EQ(seen.size(), 3u);
    // The default rules: one attempt.
    blocking_session plain(env_config());
    ASSERT_FALSE(plain.connect()) << plain.last_error().message;
    r = plain.execute(bad, ec);
    EXPECT_EQ(ec, server_errc::syntax_error);
    EXPECT_EQ(r.diag.attempts, 1);
}

TEST(Client, UnreachableHostIsNamed) {
    auto cfg = env_config();
    cfg.contact_points = {"127.0.0.1:1"};
    cfg.connect_timeout = std::chrono::milliseconds(2000);
    blocking_session db(cfg);
    EXPECT_TRUE(db.connect());
    EXPECT_NE(db.last_error().message.find("127.0.0.1:1"), std::string::npos) << db.last_error().message;
}

TEST(Client, TlsVerifiedAgainstTheNodeCertificate) {
    auto cfg = env_config();
    cfg.tls.enabled = true;
    cfg.tls.ca_file = node_env::from_environment().ca_pem;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    auto r = run(db, statement("SELECT cluster_name FROM system.local"));
    EXPECT_EQ(r.size(), 1u);
}

TEST(Client, TlsWithAnUnrelatedCaFailsAndSaysWhichCheck) {
    auto cfg = env_config();
    cfg.tls.enabled = true;
    cfg.tls.ca_file = CQL_TEST_DATA_DIR "/unrelated-ca.pem";
    blocking_session db(cfg);
    auto ec = db.connect();
    EXPECT_EQ(ec, client_errc::tls_handshake_failed);
    EXPECT_EQ(classify(ec, db.last_error(), true).kind, failure_kind::config);
    EXPECT_NE(db.last_error().message.find("certificate verification failed"), std::string::npos) << db.last_error().message;
}

namespace {

// A scripted fake, for a fault a real node cannot be made to produce on cue: a loopback listener
// that accepts a TLS client, reads its ClientHello, and cuts the connection mid-handshake.
class handshake_cutter {
public:
    enum class how { reset, close, short_record };
    explicit handshake_cutter(how h) : how_(h) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof a;
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 8) != 0 ||
            ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0)
            throw std::runtime_error("listener: " + std::string(std::strerror(errno)));
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { serve(); });
    }
    ~handshake_cutter() {
        ::shutdown(fd_, SHUT_RDWR);  // ends accept()
        thread_.join();
        ::close(fd_);
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    int cut() const { return cut_.load(); }

private:
    void serve() {
        for (;;) {
            int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            char hello[512];
            ::recv(c, hello, sizeof hello, 0);  // the start of the ClientHello
            if (how_ == how::reset) {
                linger l{1, 0};  // close with RST
                ::setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
            } else if (how_ == how::short_record) {
                const unsigned char part[] = {0x16, 0x03, 0x03, 0x00, 0x40, 0x02};  // a handshake record cut short
                ::send(c, part, sizeof part, MSG_NOSIGNAL);
            }
            ::close(c);
            ++cut_;
        }
    }
    how how_;
    int fd_ = -1, port_ = 0;
    std::atomic<int> cut_{0};
    std::thread thread_;
};

}  // namespace

TEST(Client, TlsHandshakeCutByThePeerIsTransientNotConfig) {
    for (auto how : {handshake_cutter::how::reset, handshake_cutter::how::close, handshake_cutter::how::short_record}) {
        handshake_cutter fake(how);
        auto cfg = env_config();
        cfg.contact_points = {fake.address()};
        cfg.tls.enabled = true;
        cfg.tls.ca_file = node_env::from_environment().ca_pem;
        cfg.connect_timeout = std::chrono::milliseconds(5000);
        blocking_session db(cfg);
        auto ec = db.connect();
        SCOPED_TRACE("cut " + std::to_string(static_cast<int>(how)) + ": " + ec.message() + ": " + db.last_error().message);
        EXPECT_GE(fake.cut(), 1);
        EXPECT_EQ(ec, client_errc::tls_handshake_interrupted);
        EXPECT_EQ(classify(ec, db.last_error(), true).kind, failure_kind::transient);
        EXPECT_NE(db.last_error().message.find(fake.address()), std::string::npos);
        EXPECT_NE(db.last_error().message.find("cut during the TLS handshake"), std::string::npos);
    }
}

TEST(Client, TlsWithTheWrongHostNameFailsAndSaysWhichCheck) {
    auto cfg = env_config();
    cfg.tls.enabled = true;
    cfg.tls.ca_file = node_env::from_environment().ca_pem;
    cfg.tls.host_name_override = "wrong.example";
    blocking_session db(cfg);
    EXPECT_EQ(db.connect(), client_errc::tls_handshake_failed);
    EXPECT_NE(db.last_error().message.find("wrong.example"), std::string::npos) << db.last_error().message;
}

TEST(Client, Lz4IsNegotiatedAndCarriesLargeValues) {
    auto cfg = env_config();
    cfg.compression = true;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    auto hosts = db.hosts();
    ASSERT_EQ(hosts.size(), 1u);
    EXPECT_TRUE(hosts[0].compression);
    scratch_keyspace ks(db, "it_lz4");
    run(db, statement("CREATE TABLE it_lz4.t (k int PRIMARY KEY, v text)"));
    std::string big(200000, 'x');
    for (std::size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>('a' + i % 26);
    statement ins("INSERT INTO it_lz4.t (k, v) VALUES (?, ?)");
    ins.values = {{data_type::of(type_id::int_), cql_value{1}}, {data_type::of(type_id::varchar), cql_value{big}}};
    run(db, ins);
    auto r = run(db, statement("SELECT v FROM it_lz4.t WHERE k = 1"));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.get_text(0, 0), big);

    cfg.compression = false;
    blocking_session plain(cfg);
    ASSERT_FALSE(plain.connect());
    EXPECT_FALSE(plain.hosts()[0].compression);
    auto r2 = run(plain, statement("SELECT v FROM it_lz4.t WHERE k = 1"));
    EXPECT_EQ(r2.get_text(0, 0), big);
}

TEST(Client, ProtocolV3ForcedWorks) {
    auto cfg = env_config();
    cfg.max_protocol_version = protocol::protocol_version::v3;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    EXPECT_EQ(db.hosts()[0].protocol_version, 3);
    scratch_keyspace ks(db, "it_v3");
    run(db, statement("CREATE TABLE it_v3.t (k int PRIMARY KEY, v bigint)"));
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO it_v3.t (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec) << ins.diag.message;
    EXPECT_TRUE(ins.partition_key_indexes().empty());  // v3 Prepared has no pk indexes
    db.execute(bound_statement{ins, {cql_value{7}, cql_value{std::int64_t{-5}}}, {}}, ec);
    ASSERT_FALSE(ec);
    auto r = run(db, statement("SELECT v FROM it_v3.t WHERE k = 7"));
    EXPECT_EQ(r.get_int64(0, 0), -5);
}

TEST(Client, ServerErrorsKeepTheServersMessage) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect());
    std::error_code ec;
    auto r = db.execute(statement("SELEKT * FROM nowhere"), ec);
    EXPECT_EQ(ec, protocol::server_errc::syntax_error);
    EXPECT_FALSE(r.diag.message.empty());
    EXPECT_EQ(r.diag.host.substr(0, 9), "127.0.0.1");
    r = db.execute(statement("SELECT * FROM no_such_keyspace_xyz.t"), ec);
    EXPECT_EQ(ec, protocol::server_errc::invalid);
    EXPECT_NE(r.diag.message.find("no_such_keyspace_xyz"), std::string::npos) << r.diag.message;
}

// A schema change whose agreement times out completes with schema_agreement_timeout (the change is
// made: the result carries it), never silently; wait_schema_agreement waits for it again. One node
// always agrees at once, so a timeout of 0 (no round at all) stands in for nodes that lag.
TEST(Client, SchemaAgreementTimeoutIsReportedAndCanBeWaitedForAgain) {
    auto cfg = env_config();
    cfg.schema_agreement_timeout = std::chrono::milliseconds(0);
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect());
    const std::string ks = "it_agree_" + std::to_string(std::random_device{}() & 0xffffffu);
    std::error_code ec;
    auto r = db.execute(statement("CREATE KEYSPACE " + ks + " WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 1}"), ec);
    EXPECT_EQ(ec, client_errc::schema_agreement_timeout);
    EXPECT_NE(r.diag.message.find("no schema agreement within 0 ms"), std::string::npos) << r.diag.message;
    EXPECT_TRUE(r.schema_change().has_value()) << "the change was made and is reported";
    std::string why;
    EXPECT_EQ(db.wait_schema_agreement(&why), client_errc::schema_agreement_timeout);
    EXPECT_FALSE(why.empty());

    blocking_session normal(env_config());
    ASSERT_FALSE(normal.connect());
    EXPECT_FALSE(normal.wait_schema_agreement(&why)) << why;
    auto rows = run(normal, statement("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = '" + ks + "'"));
    EXPECT_EQ(rows.size(), 1u);
    run(normal, statement("DROP KEYSPACE IF EXISTS " + ks));
}

TEST(Client, PagingOver50kRows) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect());
    scratch_keyspace ks(db, "it_paging");
    run(db, statement("CREATE TABLE it_paging.t (p int, c int, PRIMARY KEY (p, c))"));
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO it_paging.t (p, c) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec);
    inflight_window window(256);
    constexpr int rows = 50000;
    for (int i = 0; i < rows; ++i) {
        window.acquire();
        db.async().execute(bound_statement{ins, {cql_value{i % 10}, cql_value{i}}, {}},
                                [&](std::error_code e, result) { window.release(e); });
    }
    window.drain();
    ASSERT_EQ(window.failed(), 0u) << window.last_error().message();
    statement sel("SELECT c FROM it_paging.t");
    sel.options.page_size = 1000;
    std::set<int> seen;
    int pages = 0;
    for (;;) {
        auto r = db.execute(sel, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        ++pages;
        EXPECT_LE(r.size(), 1000u);
        for (std::size_t i = 0; i < r.size(); ++i) seen.insert(*r.get_int32(i, 0));
        if (!r.paging_state()) break;
        sel.options.paging_state = *r.paging_state();
    }
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(rows));
    EXPECT_GE(pages, 50);
}

TEST(Client, HundredThousandPipelinedInsertsOnOneConnectionAllAcknowledged) {
    auto cfg = env_config();
    cfg.connections_per_host = 1;
    cfg.max_requests_per_connection = 1024;
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect());
    scratch_keyspace ks(db, "it_pipeline");
    run(db, statement("CREATE TABLE it_pipeline.t (k int PRIMARY KEY, v text)"));
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO it_pipeline.t (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec);
    inflight_window window(4096);  // more than the stream cap: the excess waits in the queue
    constexpr int rows = 100000;
    for (int i = 0; i < rows; ++i) {
        window.acquire();
        db.async().execute(bound_statement{ins, {cql_value{i}, cql_value::text("row " + std::to_string(i))}, {}},
                                [&](std::error_code e, result) { window.release(e); });
    }
    window.drain();
    EXPECT_EQ(window.acked(), static_cast<std::size_t>(rows));
    EXPECT_EQ(window.failed(), 0u) << window.last_error().message();
    EXPECT_EQ(db.hosts()[0].open_connections, 1);
    EXPECT_EQ(count_rows(db, "it_pipeline.t"), static_cast<std::size_t>(rows));
}

TEST(Client, AsyncApiWorksWithCallbacksFuturesAndCoroutines) {
    asio::io_context io;
    auto guard = asio::make_work_guard(io);
    std::thread runner([&] { io.run(); });
    {
        session s(io.get_executor(), env_config());
        ASSERT_NO_THROW(s.async_connect(asio::use_future).get());  // a failure would throw system_error
        // Future: a statement with typed values.
        statement st("SELECT release_version FROM system.local WHERE key = ?");
        st.values = {{data_type::of(type_id::varchar), cql_value::text("local")}};
        auto r = s.async_execute(std::move(st), asio::use_future).get();
        EXPECT_EQ(r.size(), 1u);
        // Coroutine: prepare then execute a bound statement.
        auto done = asio::co_spawn(io, [&s]() -> asio::awaitable<std::size_t> {
            // Named locals, not temporaries, in co_await operands (GCC 12 coroutine bugs).
            std::string q = "SELECT cluster_name FROM system.local WHERE key = ?";
            auto p = co_await s.async_prepare(q, asio::use_awaitable);
            bound_statement b{p, {cql_value::text("local")}, {}};
            auto rows = co_await s.async_execute(std::move(b), asio::use_awaitable);
            co_return rows.size();
        }, asio::use_future);
        EXPECT_EQ(done.get(), 1u);
        // Callback: an error reaches the handler with the server's message.
        std::promise<std::pair<std::error_code, std::string>> got;
        s.async_execute(statement("SELEKT"), [&](std::error_code ec, result res) { got.set_value({ec, res.diag.message}); });
        auto [ec, message] = got.get_future().get();
        EXPECT_EQ(ec, protocol::server_errc::syntax_error);
        EXPECT_FALSE(message.empty());
        s.close();
    }
    guard.reset();
    io.stop();
    runner.join();
}

// A shared bound statement is read where it is: the same one sent many times writes each time, its
// values are still there after completion, and a null pointer is refused with a clear error.
TEST(Client, SharedBoundStatementIsSentWithoutACopy) {
    blocking_session db(env_config());
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, "it_shared");
    run(db, statement("CREATE TABLE it_shared.t (k int PRIMARY KEY, c counter)"));
    std::error_code ec;
    auto ins = db.prepare("UPDATE it_shared.t SET c = c + ? WHERE k = 1", ec);
    ASSERT_FALSE(ec) << ins.diag.message;
    auto st = std::make_shared<const bound_statement>(bound_statement{ins, {cql_value{std::int64_t{5}}}, {}});
    for (int i = 0; i < 3; ++i) {
        std::promise<std::error_code> done;
        db.async().async_execute(st, [&](std::error_code e, result) { done.set_value(e); });
        ASSERT_FALSE(done.get_future().get());
    }
    EXPECT_EQ(std::get<std::int64_t>(st->values[0].v), 5);  // untouched by the sends
    auto r = run(db, statement("SELECT c FROM it_shared.t WHERE k = 1"));
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r.get_int64(0, 0), 15);  // added three times: sent three times
    std::promise<std::pair<std::error_code, std::string>> refused;
    db.async().async_execute(std::shared_ptr<const bound_statement>(),
                             [&](std::error_code e, result res) { refused.set_value({e, res.diag.message}); });
    auto [e, message] = refused.get_future().get();
    EXPECT_EQ(e, client_errc::prepared_statement_missing);
    EXPECT_NE(message.find("not prepared"), std::string::npos) << message;
}

// One session shared by several threads at once (run under ThreadSanitizer by the test command):
// each thread prepares the same statement (one cache entry, filled concurrently), keeps a window of
// bound and simple statements in flight over a pool of two connections with few stream ids (so
// statements queue), and reads rows back while the others write. Every row must hold its value.
TEST(Client, ConcurrentExecuteFromSeveralThreadsOnOneSession) {
    auto cfg = env_config();
    cfg.connections_per_host = 2;
    cfg.max_requests_per_connection = 32;  // fewer ids than the threads' windows: the excess queues
    blocking_session db(cfg);
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    char suffix[16];
    std::snprintf(suffix, sizeof suffix, "%06x", static_cast<unsigned>(std::random_device{}()) & 0xffffffu);
    scratch_keyspace ks(db, std::string("it_threads_") + suffix);
    const std::string table = ks.name() + ".t";
    run(db, statement("CREATE TABLE " + table + " (k int PRIMARY KEY, v text)"));
    const std::string insert = "INSERT INTO " + table + " (k, v) VALUES (?, ?)";
    auto value_of = [](int k) { return "row " + std::to_string(k) + " of thread " + std::to_string(k / 2000); };

    constexpr int threads = 4, per_thread = 2000;
    struct outcome {
        std::error_code prepare_error;
        std::size_t acked = 0, failed = 0, reads_wrong = 0;
        std::error_code last_error;
    };
    std::vector<outcome> outcomes(threads);
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            auto& o = outcomes[t];
            auto ins = db.prepare(insert, o.prepare_error);
            if (o.prepare_error) return;
            inflight_window window(64);
            for (int i = 0; i < per_thread; ++i) {
                const int k = t * per_thread + i;
                window.acquire();
                auto done = [&](std::error_code e, result) { window.release(e); };
                if (i % 4 == 3) {  // a simple statement with typed values (no routing token)
                    statement st(insert);
                    st.values = {{data_type::of(type_id::int_), cql_value{k}},
                                 {data_type::of(type_id::varchar), cql_value::text(value_of(k))}};
                    db.async().execute(std::move(st), done);
                } else {
                    db.async().execute(bound_statement{ins, {cql_value{k}, cql_value::text(value_of(k))}, {}}, done);
                }
                if (i % 500 == 499) {  // read back one acknowledged row while the other threads write
                    window.drain();
                    statement sel("SELECT v FROM " + table + " WHERE k = ?");
                    sel.values = {{data_type::of(type_id::int_), cql_value{k - 1}}};
                    std::error_code ec;
                    auto r = db.execute(std::move(sel), ec);
                    if (ec || r.size() != 1 || r.get_text(0, 0) != value_of(k - 1)) ++o.reads_wrong;
                }
            }
            window.drain();
            o.acked = window.acked();
            o.failed = window.failed();
            o.last_error = window.last_error();
        });
    }
    for (auto& w : workers) w.join();
    for (int t = 0; t < threads; ++t) {
        const auto& o = outcomes[t];
        ASSERT_FALSE(o.prepare_error) << "thread " << t << ": " << o.prepare_error.message();
        EXPECT_EQ(o.acked, static_cast<std::size_t>(per_thread)) << "thread " << t;
        EXPECT_EQ(o.failed, 0u) << "thread " << t << ": " << o.last_error.message();
        EXPECT_EQ(o.reads_wrong, 0u) << "thread " << t;
    }
    EXPECT_EQ(db.hosts()[0].open_connections, 2);

    // Every row, read back page by page, holds exactly the value its thread wrote.
    statement sel("SELECT k, v FROM " + table);
    sel.options.page_size = 1000;
    std::map<int, std::string> rows;
    std::error_code ec;
    for (;;) {
        auto r = db.execute(sel, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        for (std::size_t i = 0; i < r.size(); ++i) rows[*r.get_int32(i, 0)] = r.get_text(i, 1).value_or("<null>");
        if (!r.paging_state()) break;
        sel.options.paging_state = *r.paging_state();
    }
    ASSERT_EQ(rows.size(), static_cast<std::size_t>(threads * per_thread));
    std::size_t wrong = 0;
    for (const auto& [k, v] : rows)
        if (v != value_of(k)) ++wrong;
    EXPECT_EQ(wrong, 0u);
    EXPECT_EQ(rows.begin()->first, 0);
    EXPECT_EQ(rows.rbegin()->first, threads * per_thread - 1);
}
