// names: Cassandra names for Airbyte streams and namespaces, and CQL quoting.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "airbyte/names.hpp"

using namespace airbyte;
using ::testing::MatchesRegex;

namespace {

bool cassandra_safe(const std::string& s) {
    return !s.empty() && s.size() <= max_name_length &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

std::string hash_suffix(std::string_view s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "_%08x", fnv1a32(s));
    return buf;
}

// ---------------------------------------------------------------- fnv1a32

TEST(Names, Fnv1aKnownValues) {
    EXPECT_EQ(fnv1a32(""), 0x811c9dc5u);
    EXPECT_EQ(fnv1a32("a"), 0xe40c292cu);
    EXPECT_EQ(fnv1a32("foobar"), 0xbf9cf968u);
}

// ---------------------------------------------------------------- sanitize_name

TEST(Names, PlainNamesKept) {
    for (const char* n : {"users", "a", "_", "stream_1", "0abc", "a__b", "_x_", "x_2024"}) EXPECT_EQ(sanitize_name(n), n);
    const std::string max48(48, 'a');
    EXPECT_EQ(sanitize_name(max48), max48);
}

TEST(Names, UpperCaseGetsLoweredAndHashed) {
    EXPECT_EQ(sanitize_name("Users"), "users" + hash_suffix("Users"));
    EXPECT_EQ(sanitize_name("MyStream"), "mystream" + hash_suffix("MyStream"));
    EXPECT_NE(sanitize_name("Users"), sanitize_name("users"));
    EXPECT_NE(sanitize_name("Users"), sanitize_name("USERS"));
    EXPECT_NE(sanitize_name("Users"), sanitize_name("uSers"));
}

TEST(Names, OtherCharactersBecomeUnderscoresCollapsed) {
    EXPECT_EQ(sanitize_name("a-b"), "a_b" + hash_suffix("a-b"));
    EXPECT_EQ(sanitize_name("a -- b"), "a_b" + hash_suffix("a -- b"));
    EXPECT_EQ(sanitize_name("public.users"), "public_users" + hash_suffix("public.users"));
    EXPECT_EQ(sanitize_name("a__-b"), "a_b" + hash_suffix("a__-b"));
    EXPECT_EQ(sanitize_name("order-"), "order" + hash_suffix("order-"));  // no "__" before the hash
    EXPECT_EQ(sanitize_name(""), hash_suffix(""));
    EXPECT_NE(sanitize_name("a-b"), sanitize_name("a b"));
    EXPECT_NE(sanitize_name("a-b"), sanitize_name("a_b"));
}

TEST(Names, UnicodeOneUnderscorePerCodePoint) {
    EXPECT_EQ(sanitize_name("café"), "caf" + hash_suffix("café"));
    EXPECT_EQ(sanitize_name("日本"), hash_suffix("日本"));
    EXPECT_EQ(sanitize_name("x日本y"), "x_y" + hash_suffix("x日本y"));
    EXPECT_EQ(sanitize_name("a😀b"), "a_b" + hash_suffix("a😀b"));
    EXPECT_NE(sanitize_name("日本"), sanitize_name("中国"));
    EXPECT_TRUE(cassandra_safe(sanitize_name("日本")));
}

TEST(Names, LongNamesFit) {
    const std::string long_plain(100, 'a');
    const std::string s = sanitize_name(long_plain);
    EXPECT_EQ(s.size(), 48u);
    EXPECT_EQ(s, std::string(39, 'a') + hash_suffix(long_plain));
    EXPECT_NE(sanitize_name(long_plain), sanitize_name(long_plain + "b"));
    EXPECT_NE(sanitize_name(std::string(49, 'a')), sanitize_name(std::string(50, 'a')));
    // The cut does not leave a trailing '_' before the hash.
    const std::string cut = std::string(38, 'a') + "-bbbbbbbbbb";
    EXPECT_EQ(sanitize_name(cut), std::string(38, 'a') + hash_suffix(cut));
    // A smaller limit.
    EXPECT_EQ(sanitize_name("abcdefghijklmnopqrstuvwxyz", 20), "abcdefghijk" + hash_suffix("abcdefghijklmnopqrstuvwxyz"));
    EXPECT_EQ(sanitize_name("short", 20), "short");
    std::string very_long;
    for (int i = 0; i < 200; ++i) very_long += "日本-Ab";
    EXPECT_TRUE(cassandra_safe(sanitize_name(very_long)));
    EXPECT_LE(sanitize_name(very_long, 36).size(), 36u);
}

TEST(Names, AlwaysSafeDistinctAndDeterministic) {
    std::mt19937 rng(42);
    const std::string alphabet = "aZ_-. 0\xC3\xA9";  // includes a 2-byte é
    std::set<std::string> inputs;
    for (int i = 0; i < 5000; ++i) {
        std::string s;
        const std::size_t n = rng() % 60;
        for (std::size_t j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
        inputs.insert(s);
    }
    std::set<std::string> outputs;
    for (const auto& in : inputs) {
        const auto out = sanitize_name(in);
        EXPECT_EQ(out, sanitize_name(in));
        if (!in.empty()) {
            EXPECT_LE(out.size(), max_name_length) << in;
            EXPECT_TRUE(std::all_of(out.begin(), out.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
            })) << in;
        }
        outputs.insert(out);
    }
    EXPECT_EQ(outputs.size(), inputs.size());
}

// ---------------------------------------------------------------- quoting

TEST(Names, QuoteIdentifier) {
    EXPECT_EQ(quote_identifier("users"), "\"users\"");
    EXPECT_EQ(quote_identifier(""), "\"\"");
    EXPECT_EQ(quote_identifier("Mixed Case"), "\"Mixed Case\"");
    EXPECT_EQ(quote_identifier("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(quote_identifier("\""), "\"\"\"\"");
    EXPECT_EQ(quote_identifier("a\"; DROP KEYSPACE x; --"), "\"a\"\"; DROP KEYSPACE x; --\"");
    EXPECT_EQ(quote_identifier("it's"), "\"it's\"");  // single quotes need nothing in an identifier
    EXPECT_EQ(quote_identifier("日本"), "\"日本\"");
}

TEST(Names, QuoteLiteral) {
    EXPECT_EQ(quote_literal("abc"), "'abc'");
    EXPECT_EQ(quote_literal(""), "''");
    EXPECT_EQ(quote_literal("it's"), "'it''s'");
    EXPECT_EQ(quote_literal("''"), "''''''");
    EXPECT_EQ(quote_literal("x'); DROP KEYSPACE ks; --"), "'x''); DROP KEYSPACE ks; --'");
    EXPECT_EQ(quote_literal("a\"b"), "'a\"b'");
}

// Undoes the quoting the way CQL's lexer reads it: the quoted text must be one token that ends
// exactly at the closing quote, whatever the input.
std::string unquote(const std::string& q, char quote, std::size_t& consumed) {
    std::string out;
    std::size_t i = 1;
    for (; i < q.size(); ++i) {
        if (q[i] == quote) {
            if (i + 1 < q.size() && q[i + 1] == quote) {
                out += quote;
                ++i;
            } else {
                break;
            }
        } else {
            out += q[i];
        }
    }
    consumed = i + 1;
    return out;
}

TEST(Names, QuotingRoundTripsForAnyString) {
    std::mt19937 rng(7);
    const std::string alphabet = "a\"';-- ()\\\n";
    for (int i = 0; i < 2000; ++i) {
        std::string s;
        const std::size_t n = rng() % 20;
        for (std::size_t j = 0; j < n; ++j) s += alphabet[rng() % alphabet.size()];
        std::size_t used = 0;
        const auto qi = quote_identifier(s);
        EXPECT_EQ(unquote(qi, '"', used), s);
        EXPECT_EQ(used, qi.size()) << qi;  // the identifier does not end early
        const auto ql = quote_literal(s);
        EXPECT_EQ(unquote(ql, '\'', used), s);
        EXPECT_EQ(used, ql.size()) << ql;
    }
}

// ---------------------------------------------------------------- assign_tables

void expect_valid_and_distinct(const std::vector<table_names>& t) {
    std::set<std::pair<std::string, std::string>> finals, stagings;
    for (const auto& n : t) {
        EXPECT_LE(n.final_table.size(), max_name_length) << n.final_table;
        EXPECT_LE(n.staging_table.size(), max_name_length) << n.staging_table;
        EXPECT_THAT(n.final_table, MatchesRegex("airbyte_raw_[a-z0-9_]+"));
        EXPECT_THAT(n.staging_table, MatchesRegex("airbyte_tmp_[a-z0-9_]+"));
        EXPECT_EQ(n.final_table.substr(12), n.staging_table.substr(12));
        EXPECT_TRUE(finals.insert({n.keyspace, n.final_table}).second) << "duplicate " << n.keyspace << "." << n.final_table;
        EXPECT_TRUE(stagings.insert({n.keyspace, n.staging_table}).second) << "duplicate " << n.keyspace << "." << n.staging_table;
    }
}

TEST(Names, AssignTablesSimple) {
    auto t = assign_tables({{"", "users"}, {"sales", "Orders"}}, {"ks", "sales"});
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t[0].keyspace, "ks");
    EXPECT_EQ(t[0].final_table, "airbyte_raw_users");
    EXPECT_EQ(t[0].staging_table, "airbyte_tmp_users");
    EXPECT_EQ(t[1].keyspace, "sales");
    EXPECT_EQ(t[1].final_table, "airbyte_raw_" + sanitize_name("Orders", 36));
    EXPECT_TRUE(assign_tables({}, {}).empty());
}

TEST(Names, AssignTablesTyped) {
    // Typed tables drop the airbyte_raw_ prefix; a stream named like another's staging table gets
    // a suffix (in (namespace, name) order: "airbyte_tmp_x" is assigned before "x").
    auto t = assign_tables({{"", "users"}, {"", "Orders"}, {"", "x"}, {"", "airbyte_tmp_x"}}, {"ks", "ks", "ks", "ks"}, true);
    EXPECT_EQ(t[0].final_table, "users");
    EXPECT_EQ(t[0].staging_table, "airbyte_tmp_users");
    EXPECT_EQ(t[1].final_table, sanitize_name("Orders", 36));
    EXPECT_EQ(t[3].final_table, "airbyte_tmp_x");
    EXPECT_EQ(t[2].final_table, "x_2");
    EXPECT_EQ(t[2].staging_table, "airbyte_tmp_x_2");
    std::set<std::string> all;
    for (const auto& n : t) {
        EXPECT_TRUE(all.insert(n.final_table).second) << n.final_table;
        EXPECT_TRUE(all.insert(n.staging_table).second) << n.staging_table;
    }
    // Raw names are unchanged by the new rule.
    auto r = assign_tables({{"", "x"}, {"", "airbyte_tmp_x"}}, {"ks", "ks"});
    EXPECT_EQ(r[0].final_table, "airbyte_raw_x");
    EXPECT_EQ(r[1].final_table, "airbyte_raw_airbyte_tmp_x");
}

TEST(Names, AssignTablesSameNameDifferentKeyspacesNoSuffix) {
    auto t = assign_tables({{"a", "users"}, {"b", "users"}}, {"a", "b"});
    EXPECT_EQ(t[0].final_table, "airbyte_raw_users");
    EXPECT_EQ(t[1].final_table, "airbyte_raw_users");
}

TEST(Names, AssignTablesCollisionsGetSuffixInNamespaceOrder) {
    // Three namespaces landing in one keyspace (namespaces off).
    const std::vector<stream_key> s = {{"zeta", "users"}, {"alpha", "users"}, {"mid", "users"}};
    auto t = assign_tables(s, {"ks", "ks", "ks"});
    EXPECT_EQ(t[1].final_table, "airbyte_raw_users");    // alpha
    EXPECT_EQ(t[2].final_table, "airbyte_raw_users_2");  // mid
    EXPECT_EQ(t[0].final_table, "airbyte_raw_users_3");  // zeta
    expect_valid_and_distinct(t);
}

TEST(Names, AssignTablesDeterministicRegardlessOfInputOrder) {
    std::vector<stream_key> s = {{"", "users"}, {"x", "users"}, {"y", "users"}, {"", "Users"}, {"x", "orders"},
                                 {"", std::string(60, 'q')}, {"z", std::string(60, 'q')}, {"", "日本"}, {"x", "日本"}};
    std::vector<std::string> ks(s.size(), "ks");
    const auto base = assign_tables(s, ks);
    expect_valid_and_distinct(base);
    std::vector<std::size_t> perm(s.size());
    for (std::size_t i = 0; i < perm.size(); ++i) perm[i] = i;
    std::mt19937 rng(3);
    for (int round = 0; round < 50; ++round) {
        std::shuffle(perm.begin(), perm.end(), rng);
        std::vector<stream_key> s2;
        for (auto i : perm) s2.push_back(s[i]);
        auto t = assign_tables(s2, ks);
        for (std::size_t j = 0; j < perm.size(); ++j) {
            EXPECT_EQ(t[j].final_table, base[perm[j]].final_table);
            EXPECT_EQ(t[j].staging_table, base[perm[j]].staging_table);
        }
    }
}

TEST(Names, AssignTablesLongCollidingNamesStayWithin48) {
    std::vector<stream_key> s;
    std::vector<std::string> ks;
    for (int i = 0; i < 12; ++i) {
        s.push_back({"ns" + std::to_string(i), std::string(36, 'a')});  // plain, exactly 36: kept, then suffixed
        ks.push_back("ks");
        s.push_back({"ns" + std::to_string(i), std::string(70, 'B')});
        ks.push_back("ks");
    }
    auto t = assign_tables(s, ks);
    expect_valid_and_distinct(t);
}

// A stream whose own name looks like a suffixed one must not share a table with a suffixed stream.
TEST(Names, AssignTablesSuffixDoesNotCollideWithExistingName) {
    const std::vector<stream_key> s = {{"", "a"}, {"", "a_2"}, {"n2", "a"}};
    auto t = assign_tables(s, {"ks", "ks", "ks"});
    expect_valid_and_distinct(t);
}

// Two different 36-character bases that differ only in their last characters, each appearing twice:
// cutting them to make room for "_2" must not make them equal.
TEST(Names, AssignTablesTruncatedSuffixesStayDistinct) {
    const std::string a = std::string(34, 'a') + "01", b = std::string(34, 'a') + "02";
    const std::vector<stream_key> s = {{"n1", a}, {"n2", a}, {"n1", b}, {"n2", b}};
    auto t = assign_tables(s, {"ks", "ks", "ks", "ks"});
    expect_valid_and_distinct(t);
}

}  // namespace
