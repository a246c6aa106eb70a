// compact_json::split_members, the typed tables' fast path: the members of compact JSON without a
// backslash, and a refusal for every other text; checked against RapidJSON on generated and mutated
// text (it must never accept what RapidJSON refuses, nor split differently).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>
#include <vector>

#include "airbyte/compact_json.hpp"

using airbyte::compact_json::kind;
using airbyte::compact_json::member;
using airbyte::compact_json::split_members;

namespace {

// The members' views point into text, which must outlive them.
std::vector<member> split(const std::string& text) {
    std::vector<member> out;
    EXPECT_TRUE(split_members(text, out)) << text;
    return out;
}

bool refused(const std::string& text) {
    std::vector<member> out;
    return !split_members(text, out);
}

TEST(CompactJson, SplitsTheTopLevelMembers) {
    const std::string text = R"({"id":-12.5e+3,"name":"Zoë","o":{"a":[1,{"b":null}],"c":"}"},"a":[],"t":true,"f":false,)"
                             R"("n":null,"":"","id":0})";
    const auto m = split(text);
    ASSERT_EQ(m.size(), 9u);
    EXPECT_EQ(m[0].key, "id");
    EXPECT_EQ(m[0].k, kind::number);
    EXPECT_EQ(m[0].value, "-12.5e+3");
    EXPECT_EQ(m[1].k, kind::string);
    EXPECT_EQ(m[1].value, "Zoë");
    EXPECT_EQ(m[2].k, kind::object);
    EXPECT_EQ(m[2].value, R"({"a":[1,{"b":null}],"c":"}"})");
    EXPECT_EQ(m[3].k, kind::array);
    EXPECT_EQ(m[3].value, "[]");
    EXPECT_EQ(m[4].k, kind::true_);
    EXPECT_EQ(m[5].k, kind::false_);
    EXPECT_EQ(m[6].k, kind::null);
    EXPECT_EQ(m[7].key, "");
    EXPECT_EQ(m[7].value, "");
    EXPECT_EQ(m[8].key, "id");  // a repeated key is repeated
    EXPECT_EQ(m[8].value, "0");
    EXPECT_TRUE(split("{}").empty());
    // Strings of every length around the eight-byte step, ending at the text's end or not.
    for (std::size_t n = 0; n < 20; ++n) {
        const std::string s(n, 'x'), one_text = R"({"k":")" + s + R"("})";
        const auto one = split(one_text);
        ASSERT_EQ(one.size(), 1u);
        EXPECT_EQ(one[0].value, s);
    }
}

TEST(CompactJson, RefusesEveryOtherForm) {
    for (const char* text : {
             "", " {}", "{} ", "{ }", R"({"a": 1})", "{\"a\":1\n}", "[]", "1", "\"s\"", R"({"a":1}x)",   // not compact, not an object
             R"({"a\"b":1})", R"({"a":"\n"})", R"({"a":"\u00e9"})",                                   // a backslash
             "{\"a\":\"\x01\"}", "{\"a\":\"\t\"}",                                                    // a control character
             R"({"a":01})", R"({"a":1.})", R"({"a":-})", R"({"a":1e})", R"({"a":.5})", R"({"a":+1})",  // numbers
             R"({"a":tru})", R"({"a":nul})", R"({"a":True})",                                         // literals
             R"({"a":1,})", R"({"a"})", R"({a:1})", R"({"a":[1,]})", R"({"a":[1})", R"({"a":{"b":1})", R"({"a":"x)",
             R"({"a":{"b"}})", R"({,"a":1})", R"({"a":1}})",
         })
        EXPECT_TRUE(refused(text)) << text;
    // Nesting: 64 levels below the top are read, 65 are left to the parser.
    auto nested = [](int levels) { return R"({"a":)" + std::string(levels, '[') + std::string(levels, ']') + "}"; };
    EXPECT_FALSE(refused(nested(63)));
    EXPECT_TRUE(refused(nested(64)));
}

// Random compact JSON (the generator writes with RapidJSON's Writer, so it is what the scanner
// hands over), then single-byte mutations of it: split_members agrees with RapidJSON's parse
// whenever it accepts, and accepts every unmutated text without a backslash.
struct generator {
    std::mt19937 rng{20261202};
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
    std::string word() {
        static const char* const words[] = {"a", "id", "Zoë", "}", "]", ",", ":", "x y", "\"q\"", "\\", "\n", ""};
        return words[pick(12)];
    }
    void value(rapidjson::Writer<rapidjson::StringBuffer>& w, int depth) {
        switch (depth > 3 ? pick(5) : pick(7)) {
            case 0: w.Null(); break;
            case 1: w.Bool(pick(2) == 1); break;
            case 2: w.Int64(static_cast<std::int64_t>(rng()) - (1ll << 31)); break;
            case 3: w.Double(std::uniform_real_distribution<double>(-1e6, 1e6)(rng)); break;
            case 4: w.String(word().c_str()); break;
            case 5:
                w.StartArray();
                for (int i = pick(4); i > 0; --i) value(w, depth + 1);
                w.EndArray();
                break;
            default:
                w.StartObject();
                for (int i = pick(4); i > 0; --i) {
                    w.Key(word().c_str());
                    value(w, depth + 1);
                }
                w.EndObject();
        }
    }
    std::string object() {
        rapidjson::StringBuffer b;
        rapidjson::Writer<rapidjson::StringBuffer> w(b);
        w.StartObject();
        for (int i = pick(6); i > 0; --i) {
            w.Key(word().c_str());
            value(w, 1);
        }
        w.EndObject();
        return {b.GetString(), b.GetSize()};
    }
};

kind kind_of(const rapidjson::Value& v) {
    if (v.IsNull()) return kind::null;
    if (v.IsTrue()) return kind::true_;
    if (v.IsFalse()) return kind::false_;
    if (v.IsString()) return kind::string;
    if (v.IsObject()) return kind::object;
    if (v.IsArray()) return kind::array;
    return kind::number;
}

std::string written(const rapidjson::Value& v) {
    rapidjson::StringBuffer b;
    rapidjson::Writer<rapidjson::StringBuffer> w(b);
    v.Accept(w);
    return {b.GetString(), b.GetSize()};
}

// What split_members gave, checked against RapidJSON's parse of the same text: kinds and nested
// values from a plain parse (deep equality), number texts from a parse that keeps them as written.
void agrees(const std::string& text, const std::vector<member>& got) {
    rapidjson::Document d, raw;
    d.Parse(text.data(), text.size());
    if (d.HasParseError() && d.GetParseError() == rapidjson::kParseErrorNumberTooBig) return;  // JSON, beyond a double
    ASSERT_FALSE(d.HasParseError()) << "accepted, but not JSON: " << text;
    ASSERT_TRUE(d.IsObject()) << text;
    raw.Parse<rapidjson::kParseNumbersAsStringsFlag>(text.data(), text.size());
    ASSERT_EQ(got.size(), d.MemberCount()) << text;
    for (std::size_t i = 0; i < got.size(); ++i) {
        const auto& g = got[i];
        const auto& m = d.GetObject().begin()[static_cast<rapidjson::SizeType>(i)];
        const auto& r = raw.GetObject().begin()[static_cast<rapidjson::SizeType>(i)];
        EXPECT_EQ(g.key, std::string_view(m.name.GetString(), m.name.GetStringLength())) << text;
        EXPECT_EQ(g.k, kind_of(m.value)) << text;
        if (m.value.IsString() || m.value.IsNumber()) {
            EXPECT_EQ(g.value, std::string_view(r.value.GetString(), r.value.GetStringLength())) << text;
        } else if (m.value.IsObject() || m.value.IsArray()) {
            rapidjson::Document n;
            n.Parse(g.value.data(), g.value.size());
            // Written out, not ==: RapidJSON's == finds members by name, which repeated keys defeat.
            EXPECT_TRUE(!n.HasParseError() && written(n) == written(m.value)) << text << " member " << i << ": " << g.value;
        } else {
            EXPECT_EQ(g.value, m.value.IsNull() ? "null" : m.value.IsTrue() ? "true" : "false") << text;
        }
    }
}

TEST(CompactJson, AgreesWithRapidJsonOnGeneratedAndMutatedText) {
    generator g;
    std::vector<member> out;
    const std::string alphabet = "{}[]\":,-.0123456789eE+tfnlrsua \\x\x01";
    std::size_t accepted = 0, mutated_accepted = 0;
    for (int round = 0; round < 3000; ++round) {
        const std::string text = g.object();
        const bool ok = split_members(text, out);
        EXPECT_EQ(ok, text.find('\\') == std::string::npos) << text;
        if (ok) {
            ++accepted;
            agrees(text, out);
        }
        for (int k = 0; k < 4 && !text.empty(); ++k) {
            std::string bad = text;
            const auto at = static_cast<std::size_t>(g.pick(static_cast<int>(bad.size())));
            switch (g.pick(3)) {
                case 0: bad[at] = alphabet[static_cast<std::size_t>(g.pick(static_cast<int>(alphabet.size())))]; break;
                case 1: bad.erase(at, 1); break;
                default: bad.insert(at, 1, alphabet[static_cast<std::size_t>(g.pick(static_cast<int>(alphabet.size())))]);
            }
            if (split_members(bad, out)) {
                ++mutated_accepted;
                agrees(bad, out);
            }
        }
    }
    // The generator and the mutations reach both sides of every decision.
    EXPECT_GT(accepted, 1000u);
    EXPECT_GT(mutated_accepted, 100u);
}

}  // namespace
