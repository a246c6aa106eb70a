// message_scanner's fast path (compact RECORD lines without a backslash, read with compact_json)
// against its parser path: on generated lines of every shape the connector meets or refuses, and on
// single-byte mutations of them, both give the same result field by field, the same error, and the
// fast path is taken where it should be.
#include <gtest/gtest.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <random>
#include <string>
#include <vector>

#include "airbyte/message_scanner.hpp"

using airbyte::message_scanner;
using airbyte::scanned_message;

namespace {

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

struct line_maker {
    std::mt19937 rng{1202};
    int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng); }
    bool chance(int percent) { return pick(100) < percent; }

    void text(writer& w) {
        static const char* const words[] = {"users", "Zoë", "a b", "", "RECORD", "x\"y", "back\\slash", "}{", "2024-01-01"};
        w.String(words[pick(chance(85) ? 5 : 9)]);
    }
    void scalar(writer& w) {
        switch (pick(6)) {
            case 0: w.Null(); break;
            case 1: w.Bool(chance(50)); break;
            case 2: w.Int64(static_cast<std::int64_t>(rng()) - 7); break;
            case 3: w.RawValue("12345678901234567890123", 23, rapidjson::kNumberType); break;
            case 4: w.Double(1.5 + pick(100)); break;
            default: text(w);
        }
    }
    void object(writer& w, int depth) {
        w.StartObject();
        for (int i = pick(5); i > 0; --i) {
            static const char* const keys[] = {"id", "name", "nested", "stream", "data", "type"};
            w.Key(keys[pick(6)]);
            if (depth < 3 && chance(25)) object(w, depth + 1);
            else if (depth < 3 && chance(15)) {
                w.StartArray();
                for (int k = pick(3); k > 0; --k) scalar(w);
                w.EndArray();
            } else {
                scalar(w);
            }
        }
        w.EndObject();
    }
    // A record member: mostly of its kind, sometimes another kind, absent or repeated.
    void member(writer& w, const char* key, int kind_percent, void (line_maker::*good)(writer&)) {
        const int copies = chance(92) ? 1 : pick(3);  // absent or repeated now and then
        for (int i = 0; i < copies; ++i) {
            w.Key(key);
            if (chance(kind_percent)) (this->*good)(w);
            else scalar(w);
        }
    }
    void stream(writer& w) { text(w); }
    void ns(writer& w) { chance(50) ? w.Null() : (text(w), true); }
    void emitted(writer& w) {
        if (chance(90)) w.Int64(1'700'000'000'000 + pick(1000));
        else w.RawValue("1.7e12", 6, rapidjson::kNumberType);
    }
    void data(writer& w) { object(w, 1); }
    void meta(writer& w) {
        w.StartObject();
        w.Key("changes");
        w.StartArray();
        if (chance(50)) object(w, 2);
        w.EndArray();
        w.EndObject();
    }

    std::string line() {
        rapidjson::StringBuffer b;
        writer w(b);
        w.StartObject();
        auto type = [&] {
            w.Key("type");
            if (chance(95)) w.String(chance(95) ? "RECORD" : "STATE");
            else scalar(w);
        };
        auto record = [&] {
            w.Key("record");
            w.StartObject();
            void (line_maker::*order[])(writer&) = {&line_maker::stream, &line_maker::ns, &line_maker::emitted,
                                                    &line_maker::data, &line_maker::meta};
            const char* names[] = {"stream", "namespace", "emitted_at", "data", "meta"};
            const int percent[] = {95, 90, 95, 90, 80};
            const int first = pick(5);
            for (int i = 0; i < 5; ++i) {
                const int k = (first + i) % 5;
                if (k == 1 && chance(40)) continue;  // no namespace
                if (k == 4 && chance(60)) continue;  // no meta
                member(w, names[k], percent[k], order[k]);
            }
            if (chance(10)) {
                w.Key("extra");
                scalar(w);
            }
            w.EndObject();
        };
        if (chance(50)) {
            type();
            record();
        } else {
            record();
            type();
        }
        if (chance(5)) {
            static const char* const extra[] = {"state", "trace", "x"};
            w.Key(extra[pick(3)]);
            object(w, 2);
        }
        if (chance(3)) type();  // repeated
        w.EndObject();
        std::string s(b.GetString(), b.GetSize());
        if (chance(5)) s.insert(s.find(':') + 1, " ");  // not compact
        return s;
    }
};

std::string describe(bool ok, const std::string& error, const scanned_message& m) {
    if (!ok) return "error: " + error;
    return "type " + std::to_string(static_cast<int>(m.type)) + " " + m.type_name + " stream " + m.stream + " ns " +
           (m.ns ? "[" + *m.ns + "]" : "-") + " emitted " + (m.has_emitted_at ? std::to_string(m.emitted_at_ms) : "-") +
           " data " + std::to_string(m.has_data) + std::to_string(m.data_is_object) + " " + std::string(m.data_json) +
           " meta " + std::string(m.meta_json) + " state " + m.state_type + "/" + m.state_stream + "/" +
           (m.state_ns ? *m.state_ns : "-") + std::to_string(m.has_state) + std::string(m.state_json) + " trace " +
           m.trace_type + "/" + m.stream_status + "/" + m.status_stream + "/" + (m.status_ns ? *m.status_ns : "-");
}

TEST(ScannerFastPath, AgreesWithTheParserOnGeneratedAndMutatedLines) {
    line_maker g;
    message_scanner fast(true, true), slow(false);  // the fast one also splits the data (typed tables)
    std::vector<airbyte::compact_json::member> split;
    scanned_message a, b;
    std::string ea, eb;
    std::size_t taken = 0, records = 0, refused = 0;
    const std::string alphabet = "{}[]\":,0123456789-.eE tfnul\\\x01";
    auto compare = [&](const std::string& line) {
        ea.clear();
        eb.clear();
        const bool oka = fast.scan(line, a, ea);
        const bool okb = slow.scan(line, b, eb);
        ASSERT_EQ(describe(oka, ea, a), describe(okb, eb, b)) << line;
        // Taken that way (the only way data_split is set), the data's members come with it, as
        // split_members gives them.
        const bool fast_taken = oka && a.data_split;
        taken += fast_taken;
        if (fast_taken) {
            ASSERT_TRUE(airbyte::compact_json::split_members(a.data_json, split)) << line;
            ASSERT_EQ(a.data_members.size(), split.size()) << line;
            for (std::size_t i = 0; i < split.size(); ++i) {
                EXPECT_EQ(a.data_members[i].key, split[i].key) << line;
                EXPECT_EQ(a.data_members[i].k, split[i].k) << line;
                EXPECT_EQ(a.data_members[i].value, split[i].value) << line;
            }
        }
        records += oka && a.type == airbyte::message_type::record;
        refused += !oka;
    };
    for (int round = 0; round < 4000; ++round) {
        const std::string line = g.line();
        compare(line);
        for (int k = 0; k < 3; ++k) {
            std::string bad = line;
            const auto at = static_cast<std::size_t>(g.pick(static_cast<int>(bad.size())));
            switch (g.pick(3)) {
                case 0: bad[at] = alphabet[static_cast<std::size_t>(g.pick(static_cast<int>(alphabet.size())))]; break;
                case 1: bad.erase(at, 1); break;
                default: bad.insert(at, 1, alphabet[static_cast<std::size_t>(g.pick(static_cast<int>(alphabet.size())))]);
            }
            compare(bad);
        }
    }
    // Every side of the decision is reached: most good records go the fast way.
    EXPECT_GT(taken, 2000u);
    EXPECT_GT(records, taken + 200);  // records read by the parser (whitespace, escapes, big numbers ...)
    EXPECT_GT(refused, 2000u);
}

TEST(ScannerFastPath, TakesTheCommonRecordAndLeavesTheRest) {
    message_scanner s(true, true);
    scanned_message m;
    std::string e;
    const std::string line =
        R"({"type":"RECORD","record":{"namespace":"ns","stream":"users","emitted_at":1700000000000,"data":{"id":1,"n":{"a":[1]}},"meta":{"changes":[]}}})";
    ASSERT_TRUE(s.scan(line, m, e)) << e;
    EXPECT_EQ(m.type, airbyte::message_type::record);
    EXPECT_EQ(m.stream, "users");
    EXPECT_EQ(*m.ns, "ns");
    EXPECT_EQ(m.emitted_at_ms, 1700000000000);
    EXPECT_EQ(m.data_json, R"({"id":1,"n":{"a":[1]}})");
    EXPECT_TRUE(m.data_split);  // read without the parser
    ASSERT_EQ(m.data_members.size(), 2u);
    EXPECT_EQ(m.data_members[1].value, R"({"a":[1]})");
    EXPECT_EQ(m.meta_json, R"({"changes":[]})");
    // A repeated stream is the parser's to refuse, with its message.
    EXPECT_FALSE(s.scan(R"({"type":"RECORD","record":{"stream":"a","stream":"b","emitted_at":1,"data":{}}})", m, e));
    EXPECT_EQ(e, R"(duplicate key "stream" in record)");
}

}  // namespace
