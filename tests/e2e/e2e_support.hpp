// What the end-to-end tests need besides running a process: JSON (RapidJSON) helpers, the data
// files' templates, a model of what a sync must produce (rows per stream, echoed states with their
// record counts) and reading the connector's tables back through cql::blocking_session.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "integration/client_fixture.hpp"
#include "process.hpp"

namespace e2e {

constexpr unsigned json_flags = rapidjson::kParseFullPrecisionFlag;

// ---------------------------------------------------------------------------------------------
// JSON

inline std::optional<rapidjson::Document> parse_json(std::string_view text, std::string* error = nullptr) {
    rapidjson::Document d;
    d.Parse<json_flags>(text.data(), text.size());
    if (d.HasParseError()) {
        if (error)
            *error = std::string(rapidjson::GetParseError_En(d.GetParseError())) + " at offset " +
                     std::to_string(d.GetErrorOffset());
        return std::nullopt;
    }
    return d;
}

inline std::string to_json(const rapidjson::Value& v) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    v.Accept(w);
    return std::string(sb.GetString(), sb.GetSize());
}

inline std::string json_string(std::string_view s) {
    rapidjson::StringBuffer sb;
    rapidjson::Writer<rapidjson::StringBuffer> w(sb);
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
    return std::string(sb.GetString(), sb.GetSize());
}

// A text form in which two parsed-equal JSON values are equal: object keys sorted (a repeated key:
// the last one counts, as most parsers do), integral numbers written as integers (1.0 == 1),
// other numbers with 17 significant digits, strings escaped by RapidJSON.
inline void canonical_into(const rapidjson::Value& v, std::string& out) {
    switch (v.GetType()) {
    case rapidjson::kNullType: out += "null"; break;
    case rapidjson::kFalseType: out += "false"; break;
    case rapidjson::kTrueType: out += "true"; break;
    case rapidjson::kStringType: out += json_string(std::string_view(v.GetString(), v.GetStringLength())); break;
    case rapidjson::kNumberType:
        if (v.IsUint64()) {
            out += std::to_string(v.GetUint64());
        } else if (v.IsInt64()) {
            out += std::to_string(v.GetInt64());
        } else {
            double d = v.GetDouble();
            if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) {
                out += std::to_string(static_cast<std::int64_t>(d));
            } else {
                char buf[40];
                std::snprintf(buf, sizeof buf, "%.17g", d);
                out += buf;
            }
        }
        break;
    case rapidjson::kArrayType: {
        out += '[';
        bool first = true;
        for (auto& e : v.GetArray()) {
            if (!first) out += ',';
            first = false;
            canonical_into(e, out);
        }
        out += ']';
        break;
    }
    case rapidjson::kObjectType: {
        std::map<std::string, const rapidjson::Value*> members;
        for (auto& m : v.GetObject()) members[std::string(m.name.GetString(), m.name.GetStringLength())] = &m.value;
        out += '{';
        bool first = true;
        for (auto& [k, val] : members) {
            if (!first) out += ',';
            first = false;
            out += json_string(k);
            out += ':';
            canonical_into(*val, out);
        }
        out += '}';
        break;
    }
    }
}

inline std::string canonical(const rapidjson::Value& v) {
    std::string s;
    canonical_into(v, s);
    return s;
}

inline const rapidjson::Value* member(const rapidjson::Value& v, const char* name) {
    if (!v.IsObject()) return nullptr;
    const rapidjson::Value* found = nullptr;
    for (auto& m : v.GetObject())  // the last of repeated keys, as canonical() does
        if (std::string_view(m.name.GetString(), m.name.GetStringLength()) == name) found = &m.value;
    return found;
}

inline std::string string_member(const rapidjson::Value& v, const char* name) {
    auto* m = member(v, name);
    return m && m->IsString() ? std::string(m->GetString(), m->GetStringLength()) : std::string();
}

inline const rapidjson::Value* at_path(const rapidjson::Value& v, const std::vector<std::string>& path) {
    const rapidjson::Value* cur = &v;
    for (auto& p : path) {
        cur = member(*cur, p.c_str());
        if (!cur) return nullptr;
    }
    return cur;
}

inline std::string shorten(std::string s, std::size_t max = 300) {
    if (s.size() > max) s = s.substr(0, max) + "...(" + std::to_string(s.size()) + " bytes)";
    return s;
}

// ---------------------------------------------------------------------------------------------
// Data files: tests/e2e/data/*.jsonl and *.json are templates.
//   {{run}}      a token unique to this test process (so namespaces name fresh keyspaces)
//   {{blob:N}}   inside a JSON string: N bytes of text (ASCII, escapes, multi-byte UTF-8), escaped

inline std::string blob_text(std::size_t bytes) {
    static const std::string pattern =
        "Lorem ipsum dolor sit amet, \"quoted\" back\\slash tab\t newline\n straße 日本語 🎉 0123456789 ";
    std::string s;
    s.reserve(bytes + 8);
    std::size_t i = 0;
    while (s.size() < bytes) {
        unsigned char c = static_cast<unsigned char>(pattern[i % pattern.size()]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : 4;
        if (s.size() + len > bytes) {  // keep code points whole: pad with ASCII
            s.append(bytes - s.size(), '.');
            break;
        }
        s.append(pattern, i % pattern.size(), len);
        i += len;
    }
    return s;
}

inline std::string expand_template(std::string text, const std::string& run_token) {
    for (std::size_t at; (at = text.find("{{run}}")) != std::string::npos;) text.replace(at, 7, run_token);
    static const std::regex blob(R"(\{\{blob:(\d+)\}\})");
    std::smatch m;
    while (std::regex_search(text, m, blob)) {
        auto escaped = json_string(blob_text(std::stoul(m[1].str())));
        text.replace(static_cast<std::size_t>(m.position(0)), static_cast<std::size_t>(m.length(0)),
                     escaped.substr(1, escaped.size() - 2));
    }
    return text;
}

// ---------------------------------------------------------------------------------------------
// The catalog and the input messages, and what they must produce.

struct stream_id {
    std::string ns;  // "" when the stream has no namespace (absent or null)
    std::string name;
    auto operator<=>(const stream_id&) const = default;
    std::string describe() const { return ns.empty() ? name : ns + "." + name; }
};

inline stream_id stream_of(const rapidjson::Value& holder, const char* name_key = "name") {
    return {string_member(holder, "namespace"), string_member(holder, name_key)};
}

struct configured_stream {
    stream_id id;
    std::string mode;  // append | overwrite | append_dedup
    std::vector<std::vector<std::string>> primary_key;
    std::vector<std::string> cursor;
    std::vector<std::string> pk_types;  // bigint | double | boolean | text, per primary key path
    // The sync replaces the stream's rows at its successful end: overwrite, or a refresh that keeps
    // no older generation (minimum_generation_id == generation_id > 0, as PyAirbyte always sends).
    bool truncate = false;
};

inline std::vector<configured_stream> parse_catalog(const std::string& text) {
    auto doc = parse_json(text);
    if (!doc) throw std::runtime_error("catalog does not parse");
    std::vector<configured_stream> out;
    for (auto& s : (*doc)["streams"].GetArray()) {
        configured_stream c;
        c.id = stream_of(s["stream"]);
        c.mode = string_member(s, "destination_sync_mode");
        if (auto* pk = member(s, "primary_key"); pk && pk->IsArray())
            for (auto& path : pk->GetArray()) {
                std::vector<std::string> p;
                for (auto& e : path.GetArray()) p.emplace_back(e.GetString(), e.GetStringLength());
                c.primary_key.push_back(std::move(p));
            }
        auto* gen = member(s, "generation_id");
        auto* min_gen = member(s, "minimum_generation_id");
        c.truncate = c.mode == "overwrite" || (gen && min_gen && gen->IsInt64() && min_gen->IsInt64() &&
                                               gen->GetInt64() > 0 && gen->GetInt64() == min_gen->GetInt64());
        if (auto* cf = member(s, "cursor_field"); cf && cf->IsArray())
            for (auto& e : cf->GetArray()) c.cursor.emplace_back(e.GetString(), e.GetStringLength());
        for (auto& path : c.primary_key) {
            // The JSON schema's type of the key: properties.a.properties.b.type ("integer" or ["null","integer"]).
            const rapidjson::Value* node = member(s["stream"], "json_schema");
            for (auto& p : path) {
                auto* props = node ? member(*node, "properties") : nullptr;
                node = props ? member(*props, p.c_str()) : nullptr;
            }
            std::string t = "text";
            if (auto* type = node ? member(*node, "type") : nullptr) {
                std::vector<std::string> names;
                if (type->IsString()) names.emplace_back(type->GetString());
                if (type->IsArray())
                    for (auto& e : type->GetArray())
                        if (e.IsString() && std::string_view(e.GetString()) != "null") names.emplace_back(e.GetString());
                if (names.size() == 1) {
                    if (names[0] == "integer") t = "bigint";
                    if (names[0] == "number") t = "double";
                    if (names[0] == "boolean") t = "boolean";
                }
            }
            c.pk_types.push_back(t);
        }
        out.push_back(std::move(c));
    }
    return out;
}

struct input_record {
    stream_id stream;
    std::string data;  // canonical JSON of record.data
    std::int64_t emitted_at = 0;
    int line = 0;
    std::shared_ptr<rapidjson::Document> doc;  // the whole message, for primary keys and cursors
    const rapidjson::Value& data_value() const { return (*doc)["record"]["data"]; }
};

struct input_state {
    int line = 0;
    std::string type;     // STREAM | GLOBAL | LEGACY
    std::string state;    // canonical JSON of the state object without destinationStats
    double expected_count = 0;
};

struct input_model {
    std::vector<input_record> records;
    std::vector<input_state> states;
};

inline std::string state_without_stats(const rapidjson::Value& state) {
    rapidjson::Document copy;
    copy.CopyFrom(state, copy.GetAllocator());
    if (copy.IsObject())
        while (copy.RemoveMember("destinationStats")) {
        }
    return canonical(copy);
}

// The records and states of an input (lines numbered from 1), up to but excluding line stop_before
// (0: all). Lines that are not records or states are skipped, as the connector must skip them.
// Each state's expected recordCount: STREAM: that stream's records since its previous STREAM
// state; GLOBAL and LEGACY: all records since the previous GLOBAL or LEGACY state.
inline input_model model_input(const std::string& text, int stop_before = 0) {
    input_model m;
    std::map<stream_id, double> per_stream;
    double since_global = 0;
    int line_no = 0;
    for (auto& line : split_lines(text)) {
        ++line_no;
        if (stop_before && line_no >= stop_before) break;
        if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
        auto doc = std::make_shared<rapidjson::Document>();
        doc->Parse<json_flags>(line.data(), line.size());
        if (doc->HasParseError() || !doc->IsObject()) continue;
        auto type = string_member(*doc, "type");
        if (type == "RECORD") {
            auto& rec = (*doc)["record"];
            input_record r;
            r.stream = stream_of(rec, "stream");
            r.data = canonical(rec["data"]);
            r.emitted_at = rec["emitted_at"].IsInt64() ? rec["emitted_at"].GetInt64()
                                                       : static_cast<std::int64_t>(rec["emitted_at"].GetDouble());
            r.line = line_no;
            r.doc = doc;
            per_stream[r.stream] += 1;
            since_global += 1;
            m.records.push_back(std::move(r));
        } else if (type == "STATE") {
            auto& st = (*doc)["state"];
            input_state s;
            s.line = line_no;
            s.type = string_member(st, "type");
            if (s.type.empty()) s.type = "LEGACY";
            s.state = state_without_stats(st);
            if (s.type == "STREAM") {
                auto id = stream_of(st["stream"]["stream_descriptor"]);
                s.expected_count = per_stream[id];
                per_stream[id] = 0;
            } else {
                s.expected_count = since_global;
                since_global = 0;
            }
            m.states.push_back(std::move(s));
        }
    }
    return m;
}

// A bag of rows: (canonical data, emitted_at).
using row_bag = std::multiset<std::pair<std::string, std::int64_t>>;

inline std::string compare_bags(const row_bag& expected, const row_bag& actual) {
    if (expected == actual) return {};
    std::string out = "expected " + std::to_string(expected.size()) + " rows, found " + std::to_string(actual.size());
    row_bag missing, unexpected;
    std::set_difference(expected.begin(), expected.end(), actual.begin(), actual.end(),
                        std::inserter(missing, missing.end()));
    std::set_difference(actual.begin(), actual.end(), expected.begin(), expected.end(),
                        std::inserter(unexpected, unexpected.end()));
    int shown = 0;
    for (auto& [d, t] : missing) {
        if (shown++ == 5) break;
        out += "\n  missing:    emitted_at " + std::to_string(t) + " data " + shorten(d);
    }
    shown = 0;
    for (auto& [d, t] : unexpected) {
        if (shown++ == 5) break;
        out += "\n  unexpected: emitted_at " + std::to_string(t) + " data " + shorten(d);
    }
    out += "\n  (" + std::to_string(missing.size()) + " missing, " + std::to_string(unexpected.size()) + " unexpected)";
    return out;
}

// What the destination must hold after a series of syncs, per stream.
class destination_model {
public:
    explicit destination_model(std::vector<configured_stream> catalog) : catalog_(std::move(catalog)) {}

    // A sync that read these records. Streams that replace their rows (overwrite, truncating
    // refreshes) change only when the sync succeeded.
    void apply(const input_model& in, bool succeeded) {
        std::map<stream_id, std::vector<const input_record*>> by_stream;
        for (auto& r : in.records) by_stream[r.stream].push_back(&r);
        for (auto& c : catalog_) {
            auto& recs = by_stream[c.id];
            if (c.truncate && !succeeded) continue;
            if (c.truncate) {
                rows_[c.id].clear();
                dedup_[c.id].clear();
            }
            if (c.mode == "append_dedup") {
                auto& keyed = dedup_[c.id];
                for (auto* r : recs) {
                    std::string key;
                    for (auto& path : c.primary_key) {
                        auto* v = at_path(r->data_value(), path);
                        key += (v ? canonical(*v) : "null") + "\x1f";
                    }
                    auto it = keyed.find(key);
                    if (it == keyed.end() || wins(c, *r, it->second)) keyed[key] = *r;
                }
                rows_[c.id].clear();
                for (auto& [k, r] : keyed) rows_[c.id].insert({r.data, r.emitted_at});
            } else {
                for (auto* r : recs) rows_[c.id].insert({r->data, r->emitted_at});
            }
        }
    }
    const row_bag& rows(const stream_id& s) { return rows_[s]; }
    const std::vector<configured_stream>& catalog() const { return catalog_; }
    const configured_stream& stream(const stream_id& s) const {
        for (auto& c : catalog_)
            if (c.id == s) return c;
        throw std::runtime_error("no stream " + s.describe());
    }

private:
    // Greatest cursor wins; equal cursors: the later emitted_at (then the later line).
    static bool wins(const configured_stream& c, const input_record& challenger, const input_record& holder) {
        auto* a = at_path(challenger.data_value(), c.cursor);
        auto* b = at_path(holder.data_value(), c.cursor);
        int cmp = 0;
        if (a && b && a->IsNumber() && b->IsNumber()) {
            double x = a->GetDouble(), y = b->GetDouble();
            cmp = x < y ? -1 : x > y ? 1 : 0;
        } else if (a && b && a->IsString() && b->IsString()) {
            int r = std::string_view(a->GetString(), a->GetStringLength()).compare(
                std::string_view(b->GetString(), b->GetStringLength()));
            cmp = r < 0 ? -1 : r > 0 ? 1 : 0;
        } else {
            cmp = (a != nullptr) - (b != nullptr);
        }
        if (cmp != 0) return cmp > 0;
        return challenger.emitted_at >= holder.emitted_at;
    }

    std::vector<configured_stream> catalog_;
    std::map<stream_id, row_bag> rows_;
    std::map<stream_id, std::map<std::string, input_record>> dedup_;
};

// ---------------------------------------------------------------------------------------------
// The connector's output.

struct output_message {
    int line = 0;
    std::string type;
    std::shared_ptr<rapidjson::Document> doc;
};

struct parsed_output {
    std::vector<output_message> messages;
    std::vector<std::string> problems;  // lines that are not Airbyte messages
    std::vector<const output_message*> of_type(const std::string& t) const {
        std::vector<const output_message*> v;
        for (auto& m : messages)
            if (m.type == t) v.push_back(&m);
        return v;
    }
    std::vector<const output_message*> trace_errors() const {
        std::vector<const output_message*> v;
        for (auto* m : of_type("TRACE"))
            if (auto* t = member(*m->doc, "trace"); t && string_member(*t, "type") == "ERROR") v.push_back(m);
        return v;
    }
};

// stdout must hold Airbyte messages only, one JSON object per line.
inline parsed_output parse_output(const std::string& out) {
    static const std::set<std::string> types = {"RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS",
                                                "CATALOG", "TRACE", "CONTROL"};
    parsed_output p;
    int n = 0;
    for (auto& line : split_lines(out)) {
        ++n;
        auto doc = std::make_shared<rapidjson::Document>();
        doc->Parse<json_flags>(line.data(), line.size());
        if (doc->HasParseError() || !doc->IsObject()) {
            p.problems.push_back("stdout line " + std::to_string(n) + " is not a JSON object: " + shorten(line, 200));
            continue;
        }
        auto type = string_member(*doc, "type");
        if (!types.count(type)) {
            p.problems.push_back("stdout line " + std::to_string(n) + " has no Airbyte message type: " + shorten(line, 200));
            continue;
        }
        p.messages.push_back({n, type, doc});
    }
    return p;
}

// ---------------------------------------------------------------------------------------------
// Cassandra

inline std::string cql_ident(const std::string& name) {
    std::string q = "\"";
    for (char c : name) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

inline std::string cql_literal(const std::string& s) {
    std::string q = "'";
    for (char c : s) {
        if (c == '\'') q += '\'';
        q += c;
    }
    return q + "'";
}

// Every page of a SELECT; error set when a page fails.
inline std::vector<cql::result> select_all(cql::blocking_session& db, const std::string& query, std::string& error) {
    std::vector<cql::result> pages;
    cql::statement st(query);
    st.options.page_size = 2000;
    for (;;) {
        std::error_code ec;
        auto r = db.execute(st, ec);
        if (ec) {
            error = query + ": " + ec.message() + ": " + r.diag.message;
            break;
        }
        auto more = r.paging_state();
        pages.push_back(std::move(r));
        if (!more) break;
        st.options.paging_state = *more;
    }
    return pages;
}

inline std::set<std::string> list_keyspaces(cql::blocking_session& db) {
    std::string error;
    std::set<std::string> out;
    for (auto& p : select_all(db, "SELECT keyspace_name FROM system_schema.keyspaces", error))
        for (std::size_t i = 0; i < p.size(); ++i) out.insert(p.get_text(i, 0).value_or(""));
    if (!error.empty()) throw std::runtime_error(error);
    return out;
}

inline std::set<std::string> list_tables(cql::blocking_session& db, const std::string& keyspace) {
    std::string error;
    std::set<std::string> out;
    for (auto& p : select_all(db, "SELECT table_name FROM system_schema.tables WHERE keyspace_name = " + cql_literal(keyspace), error))
        for (std::size_t i = 0; i < p.size(); ++i) out.insert(p.get_text(i, 0).value_or(""));
    if (!error.empty()) throw std::runtime_error(error);
    return out;
}

struct column_info {
    std::string type, kind;
};

inline std::map<std::string, column_info> list_columns(cql::blocking_session& db, const std::string& ks, const std::string& table) {
    std::string error;
    std::map<std::string, column_info> out;
    for (auto& p : select_all(db, "SELECT column_name, type, kind FROM system_schema.columns WHERE keyspace_name = " +
                                      cql_literal(ks) + " AND table_name = " + cql_literal(table), error))
        for (std::size_t i = 0; i < p.size(); ++i)
            out[p.get_text(i, 0).value_or("")] = {p.get_text(i, 1).value_or(""), p.get_text(i, 2).value_or("")};
    if (!error.empty()) throw std::runtime_error(error);
    return out;
}

struct table_contents {
    std::string error;  // empty when read
    row_bag rows;
    std::size_t count = 0;
    std::vector<std::string> problems;  // null/duplicate ids, key columns that differ from the data
};

// Reads a connector table: the three _airbyte_ columns, and for a dedup stream its key columns,
// which must equal the values at the key paths in the data.
inline table_contents read_table(cql::blocking_session& db, const std::string& ks, const std::string& table,
                                 const configured_stream* dedup = nullptr) {
    table_contents t;
    std::string cols = "\"_airbyte_ab_id\", \"_airbyte_data\", \"_airbyte_emitted_at\"";
    if (dedup)
        for (auto& path : dedup->primary_key) {
            std::string name;
            for (auto& p : path) name += (name.empty() ? "" : ".") + p;
            cols += ", " + cql_ident(name);
        }
    auto pages = select_all(db, "SELECT " + cols + " FROM " + cql_ident(ks) + "." + cql_ident(table), t.error);
    if (!t.error.empty()) return t;
    std::set<cql::protocol::uuid_bytes> ids;
    for (auto& p : pages)
        for (std::size_t i = 0; i < p.size(); ++i) {
            ++t.count;
            auto id = p.get_uuid(i, 0);
            if (!id)
                t.problems.push_back("a row with a null _airbyte_ab_id");
            else if (!ids.insert(*id).second)
                t.problems.push_back("a repeated _airbyte_ab_id");
            auto text = p.get_text(i, 1);
            auto at = p.get_int64(i, 2);
            if (!text || !at) {
                t.problems.push_back("a row with a null _airbyte_data or _airbyte_emitted_at");
                continue;
            }
            std::string perr;
            auto doc = parse_json(*text, &perr);
            if (!doc) {
                t.problems.push_back("_airbyte_data is not JSON (" + perr + "): " + shorten(*text, 200));
                continue;
            }
            if (!doc->IsObject()) t.problems.push_back("_airbyte_data is not an object: " + shorten(*text, 200));
            t.rows.insert({canonical(*doc), *at});
            if (dedup)
                for (std::size_t k = 0; k < dedup->primary_key.size(); ++k) {
                    auto* v = at_path(*doc, dedup->primary_key[k]);
                    std::string want = v ? canonical(*v) : "null", got;
                    auto col = 3 + k;
                    auto& type = dedup->pk_types[k];
                    if (p.is_null(i, col)) got = "null";
                    else if (type == "bigint") got = std::to_string(p.get_int64(i, col).value_or(0));
                    else if (type == "boolean") got = p.get_bool(i, col).value_or(false) ? "true" : "false";
                    else if (type == "double") {
                        rapidjson::Value d(p.get_double(i, col).value_or(0));
                        got = canonical(d);
                    } else got = json_string(p.get_text(i, col).value_or(""));
                    if (got != want && !(type == "text" && v && !v->IsString()))
                        t.problems.push_back("key column " + std::to_string(k) + " holds " + got + " but the data has " + want);
                }
        }
    return t;
}

}  // namespace e2e
