// Protocol v5 against the real node (Cassandra 5 offers it): negotiated by default, large values in
// segments that are not self-contained, with and without LZ4, many frames packed per segment, and the
// result metadata id following an ALTER TABLE. Each test asks for v5 itself, whatever the suite's
// CQL_TEST_PROTOCOL says.
#include <gtest/gtest.h>

#include <random>

#include "client_fixture.hpp"

using namespace cql;
using namespace cql::test;
using protocol::cql_value;

namespace {

session_config v5_config(bool compression) {
    auto cfg = env_config();
    cfg.max_protocol_version = protocol_version::v5;
    cfg.compression = compression;
    return cfg;
}

std::string unique_keyspace(std::string_view stem) {
    std::random_device rd;
    return std::string(stem) + "_" + std::to_string(rd() % 1000000000u);
}

}  // namespace

TEST(ProtocolV5, IsNegotiatedByDefaultAndStepsDownWhenCapped) {
    blocking_session db(env_config().max_protocol_version == protocol_version::v5 ? env_config() : v5_config(true));
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    EXPECT_EQ(db.async().protocol_version(), protocol_version::v5);
    ASSERT_EQ(db.hosts().size(), 1u);
    EXPECT_EQ(db.hosts()[0].protocol_version, 5);
    EXPECT_EQ(session_config{}.max_protocol_version, protocol_version::v5);

    auto cfg = env_config();
    cfg.max_protocol_version = protocol_version::v4;
    blocking_session v4(cfg);
    ASSERT_FALSE(v4.connect()) << v4.last_error().message;
    EXPECT_EQ(v4.async().protocol_version(), protocol_version::v4);
    EXPECT_EQ(v4.hosts()[0].protocol_version, 4);
}

TEST(ProtocolV5, LargeValuesTravelInSeveralSegmentsWithAndWithoutLz4) {
    const auto ks_name = unique_keyspace("it_v5_big");
    for (bool lz4 : {false, true}) {
        SCOPED_TRACE(lz4 ? "lz4" : "plain");
        blocking_session db(v5_config(lz4));
        ASSERT_FALSE(db.connect()) << db.last_error().message;
        EXPECT_EQ(db.hosts()[0].compression, lz4);
        scratch_keyspace ks(db, ks_name);
        run(db, statement("CREATE TABLE " + ks_name + ".t (k int PRIMARY KEY, b blob)"));
        std::error_code ec;
        auto ins = db.prepare("INSERT INTO " + ks_name + ".t (k, b) VALUES (?, ?)", ec);
        ASSERT_FALSE(ec) << ins.diag.message;
        std::mt19937 rng(lz4 ? 5 : 7);
        // 1 byte, just under and over one segment's payload, several segments, and 1 MiB of random bytes.
        const std::size_t sizes[] = {1, 131000, 131072, 300000, 1 << 20};
        for (std::size_t i = 0; i < std::size(sizes); ++i) {
            std::vector<std::uint8_t> blob(sizes[i]);
            for (auto& b : blob) b = static_cast<std::uint8_t>(rng());
            db.execute(bound_statement{ins, {cql_value{static_cast<std::int32_t>(i)}, cql_value{blob}}, {}}, ec);
            ASSERT_FALSE(ec) << sizes[i] << ": " << ec.message();
            auto r = run(db, statement("SELECT b FROM " + ks_name + ".t WHERE k = " + std::to_string(i)));
            ASSERT_EQ(r.size(), 1u);
            const auto cell = r.cell(0, 0).data;
            EXPECT_EQ(std::vector<std::uint8_t>(cell.begin(), cell.end()), blob) << sizes[i];
        }
    }
}

TEST(ProtocolV5, ManyPipelinedStatementsShareSegments) {
    const auto ks_name = unique_keyspace("it_v5_many");
    blocking_session db(v5_config(true));
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, ks_name);
    run(db, statement("CREATE TABLE " + ks_name + ".t (k int PRIMARY KEY, v text)"));
    std::error_code ec;
    auto ins = db.prepare("INSERT INTO " + ks_name + ".t (k, v) VALUES (?, ?)", ec);
    ASSERT_FALSE(ec);
    inflight_window window(512);
    const int n = 20000;
    for (int i = 0; i < n; ++i) {
        window.acquire();
        db.async().async_execute(bound_statement{ins, {cql_value{i}, cql_value{std::string("v") + std::to_string(i)}}, {}},
                                 [&window](std::error_code e, result) { window.release(e); });
    }
    window.drain();
    EXPECT_EQ(window.failed(), 0u);
    auto r = run(db, statement("SELECT COUNT(*) FROM " + ks_name + ".t"));
    EXPECT_EQ(r.get_int64(0, 0), n);
}

TEST(ProtocolV5, ResultMetadataIdFollowsAnAlterTable) {
    const auto ks_name = unique_keyspace("it_v5_meta");
    blocking_session db(v5_config(true));
    ASSERT_FALSE(db.connect()) << db.last_error().message;
    scratch_keyspace ks(db, ks_name);
    run(db, statement("CREATE TABLE " + ks_name + ".t (k int PRIMARY KEY, a text)"));
    run(db, statement("INSERT INTO " + ks_name + ".t (k, a) VALUES (1, 'one')"));
    std::error_code ec;
    auto sel = db.prepare("SELECT * FROM " + ks_name + ".t WHERE k = ?", ec);
    ASSERT_FALSE(ec) << sel.diag.message;
    // Twice: the second answer comes without metadata (the id matches) and is read with the prepared one.
    for (int i = 0; i < 2; ++i) {
        auto r = db.execute(bound_statement{sel, {cql_value{1}}, {}}, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        ASSERT_EQ(r.column_count(), 2u);
        EXPECT_EQ(r.get_text(0, 1), "one");
    }
    run(db, statement("ALTER TABLE " + ks_name + ".t ADD b int"));
    run(db, statement("UPDATE " + ks_name + ".t SET b = 42 WHERE k = 1"));
    // The node says the metadata changed and sends the new id; later answers use it.
    for (int i = 0; i < 3; ++i) {
        auto r = db.execute(bound_statement{sel, {cql_value{1}}, {}}, ec);
        ASSERT_FALSE(ec) << r.diag.message;
        ASSERT_EQ(r.column_count(), 3u) << i;
        ASSERT_EQ(r.columns()[1].name, "a");
        ASSERT_EQ(r.columns()[2].name, "b");
        EXPECT_EQ(r.get_text(0, 1), "one");
        EXPECT_EQ(r.get_int32(0, 2), 42);
    }
}
