// Reading one record's data for typed_coercer (see typed_coerce.hpp): the fast path over compact
// text without a backslash (compact_json), else RapidJSON's reader, both into the same handler.
#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>

#include "airbyte/json.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/typed_coerce_state.hpp"

namespace airbyte {

using cql::cql_value;
using typed::fit;
using coerce_detail::field_info;
using coerce_detail::slot;
using coerce_detail::writer;

namespace {

// The same reading as the scanner's (message_scanner.cpp): numbers as their text, in place.
constexpr unsigned coerce_flags = (strict_parse_flags & ~unsigned(rapidjson::kParseValidateEncodingFlag)) |
                                  rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;

// The iterative reader calls StartObject/StartArray before it takes the '{' or '[' and
// EndObject/EndArray before the '}' or ']': the slice of a nested value relies on it.
static_assert(coerce_flags & rapidjson::kParseIterativeFlag);

// Whether valid JSON text is byte for byte what a RapidJSON Writer writes for it: no whitespace
// outside strings, and in strings only the escapes it writes (\" \\ \b \f \n \r \t; a \u
// is taken as not, though the Writer writes it for other control characters: rare, and then the
// text is only written again).
bool writer_canonical(std::string_view t) {
    bool in_string = false;
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (in_string) {
            if (c == '"') {
                in_string = false;
            } else if (c == '\\') {
                const char e = i + 1 < t.size() ? t[++i] : 'u';
                if (e == 'u' || e == '/') return false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
    }
    return true;
}

// Reader events to a Writer, numbers as their text (Writer::RawNumber would quote them).
struct rewrite {
    writer& w;
    bool Null() { return w.Null(); }
    bool Bool(bool b) { return w.Bool(b); }
    bool Int(int) { return false; }  // not called: numbers arrive as RawNumber
    bool Uint(unsigned) { return false; }
    bool Int64(std::int64_t) { return false; }
    bool Uint64(std::uint64_t) { return false; }
    bool Double(double) { return false; }
    bool RawNumber(const char* p, rapidjson::SizeType n, bool) { return w.RawValue(p, n, rapidjson::kNumberType); }
    bool String(const char* p, rapidjson::SizeType n, bool) { return w.String(p, n, true); }
    bool Key(const char* p, rapidjson::SizeType n, bool) { return w.Key(p, n, true); }
    bool StartObject() { return w.StartObject(); }
    bool EndObject(rapidjson::SizeType) { return w.EndObject(); }
    bool StartArray() { return w.StartArray(); }
    bool EndArray(rapidjson::SizeType) { return w.EndArray(); }
};


}  // namespace

namespace {

// Holds typed_coercer::state's per-record parts while RapidJSON reads one data object.
struct handler {
    explicit handler(typed_coercer::state& st) : s(st) {}
    typed_coercer::state& s;
    const std::vector<big_number>* big = nullptr;  // during a rescan: the numbers swapped out
    const char* line_start = nullptr;
    // The data as given, when the parse reads it unchanged (no big-number rewrite): a nested
    // value of a text column is its slice there, not written again (see nested_text).
    std::string_view source;
    rapidjson::InsituStringStream* stream = nullptr;
    std::size_t nested_start = 0;
    std::size_t key_pos = 0;  // the index of the current top-level key (state::key_order)
    std::size_t next_big = 0;
    std::size_t depth = 0;
    field_info cur;  // the top-level field being read
    std::string_view cur_key;
    writer* sinks[3] = {};
    int nsinks = 0;
    bool col_nested = false;  // the current column's value is an object or array

    const typed_column* column() const { return cur.column >= 0 ? &s.layout.columns[static_cast<std::size_t>(cur.column)] : nullptr; }
    slot& cur_slot() { return s.slots[static_cast<std::size_t>(cur.column)]; }

    // A top-level value for the current field: the column gets value (or a failure), a key
    // column's failure becomes the record's error.
    void set(cql_value&& v, fit f, std::string_view json_text) {
        if (!column()) return;
        auto& sl = cur_slot();
        sl.present = true;
        sl.status = f;
        if (f == fit::ok) sl.value = std::move(v);
        else sl.value = s.absent();
        if (f != fit::ok && column()->key_index >= 0 && s.key_error.empty()) {
            const auto& c = *column();
            s.key_error = "primary key field " + json_quote(c.field) + " does not fit its " + column_kind_cql(c.kind) +
                          " column: " + std::string(json_text.substr(0, 200));
        }
    }
    // A text column's value, made in its slot (no temporary).
    void set_text(std::string_view text) {
        if (!column()) return;
        auto& sl = cur_slot();
        sl.present = true;
        sl.status = fit::ok;
        sl.value.v.emplace<std::string>(text);
    }
    void set_null() {
        if (!column()) return;
        auto& sl = cur_slot();
        sl.present = false;
        sl.status = fit::ok;
        sl.value = s.absent();
    }
    // A string as JSON text (json columns, error texts): a Writer, so only where it is needed.
    std::string_view json_of_string(std::string_view str) {
        s.col_buf.Clear();
        s.col_w.Reset(s.col_buf);
        s.col_w.String(str.data(), static_cast<rapidjson::SizeType>(str.size()));
        return {s.col_buf.GetString(), s.col_buf.GetSize()};
    }

    void top_string(std::string_view str) {
        const auto* c = column();
        if (!c) return;
        using k = column_kind;
        switch (c->kind) {
            case k::text: return set_text(str);
            case k::json: return set_text(json_of_string(str));
            case k::date: {
                cql::cql_date d;
                const fit f = typed::string_to_date(str, d);
                return set(cql_value{d}, f, f == fit::ok ? std::string_view{} : json_of_string(str));
            }
            case k::timestamp: {
                std::int64_t ms = 0;
                const fit f = typed::string_to_timestamp(str, ms);
                return set(cql_value{ms}, f, f == fit::ok ? std::string_view{} : json_of_string(str));
            }
            case k::time: {
                cql::cql_time t;
                const fit f = typed::string_to_time(str, t);
                return set(cql_value{t}, f, f == fit::ok ? std::string_view{} : json_of_string(str));
            }
            case k::bigint:
                if (c->key_index >= 0) {  // integers sent as strings, as the raw tables' keys take them
                    std::int64_t x = 0;
                    auto r = std::from_chars(str.data(), str.data() + str.size(), x);
                    if (!str.empty() && r.ec == std::errc() && r.ptr == str.data() + str.size())
                        return set(cql_value{x}, fit::ok, {});
                }
                [[fallthrough]];
            default: return set({}, fit::serialization_error, json_of_string(str));
        }
    }
    void top_number(std::string_view num) {
        const auto* c = column();
        if (!c) return;
        switch (c->kind) {
            case column_kind::text:
            case column_kind::json: return set_text(num);
            case column_kind::bigint: {
                std::int64_t x = 0;
                const fit f = typed::number_to_bigint(num, x);
                return set(cql_value{x}, f, num);
            }
            case column_kind::decimal: {
                cql::decimal_value d;
                const fit f = typed::number_to_decimal(num, c->key_index >= 0, d);
                return set(cql_value{std::move(d)}, f, num);
            }
            default: return set({}, fit::serialization_error, num);
        }
    }
    void top_bool(bool b) {
        const auto* c = column();
        if (!c) return;
        if (c->kind == column_kind::boolean) return set(cql_value{b}, fit::ok, {});
        if (c->kind == column_kind::text || c->kind == column_kind::json) return set_text(b ? "true" : "false");
        set({}, fit::serialization_error, b ? "true" : "false");
    }

    // Every writer the current top-level value goes to.
    void begin_value(bool nested) {
        nsinks = 0;
        if (cur.column < 0) {
            if (!s.has_extra) {
                s.extra_w.StartObject();
                s.has_extra = true;
            }
            s.extra_w.Key(cur_key.data(), static_cast<rapidjson::SizeType>(cur_key.size()), true);
            sinks[nsinks++] = &s.extra_w;
        }
        if (cur.capture >= 0) {
            auto& b = s.capture_bufs[static_cast<std::size_t>(cur.capture)];
            b.Clear();
            s.cap_w.Reset(b);
            s.captured[static_cast<std::size_t>(cur.capture)] = true;
            sinks[nsinks++] = &s.cap_w;
        }
        col_nested = nested && column();
        if (col_nested && !source.empty()) {
            nested_start = stream->Tell();  // at the '{' or '[' (see the static_assert below)
        } else if (col_nested) {
            s.col_buf.Clear();
            s.col_w.Reset(s.col_buf);
            sinks[nsinks++] = &s.col_w;
        }
        if (cur.cdc) s.cdc_deleted = true;
    }
    template <class F>
    void each(F&& f) {
        for (int i = 0; i < nsinks; ++i) f(*sinks[i]);
    }

    bool Null() {
        if (depth == 1) {
            cur.cdc = false;  // null: not deleted
            begin_value(false);
            set_null();
        }
        each([](writer& w) { w.Null(); });
        return true;
    }
    bool Bool(bool b) {
        if (depth == 1) {
            begin_value(false);
            top_bool(b);
        }
        each([b](writer& w) { w.Bool(b); });
        return true;
    }
    bool Int(int) { return true; }  // not called: numbers arrive as RawNumber
    bool Uint(unsigned) { return true; }
    bool Int64(std::int64_t) { return true; }
    bool Uint64(std::uint64_t) { return true; }
    bool Double(double) { return true; }
    bool RawNumber(const char* p, rapidjson::SizeType len, bool) {
        if (depth == 1) {
            begin_value(false);
            top_number(std::string_view(p, len));
        }
        each([&](writer& w) { w.RawValue(p, len, rapidjson::kNumberType); });
        return true;
    }
    bool String(const char* p, rapidjson::SizeType len, bool) {
        if (big && next_big < big->size() && len == 1 && static_cast<std::size_t>(p - line_start) + 2 == (*big)[next_big].end) {
            const auto& raw = (*big)[next_big++].text;
            return RawNumber(raw.data(), static_cast<rapidjson::SizeType>(raw.size()), true);
        }
        if (depth == 1) {
            begin_value(false);
            top_string(std::string_view(p, len));
        }
        each([&](writer& w) { w.String(p, len, true); });
        return true;
    }
    bool Key(const char* p, rapidjson::SizeType len, bool) {
        if (depth == 1) {
            cur_key = std::string_view(p, len);
            auto& order = s.key_order;
            const std::size_t at = key_pos++;
            if (at < order.size() && order[at] && order[at]->first == cur_key) {
                cur = order[at]->second;
                return true;
            }
            const auto it = s.fields.find(cur_key);
            cur = it == s.fields.end() ? field_info{} : it->second;
            if (at < order.size()) order[at] = it == s.fields.end() ? nullptr : &*it;
            else if (at == order.size() && at < 1024) order.push_back(it == s.fields.end() ? nullptr : &*it);
            return true;
        }
        each([&](writer& w) { w.Key(p, len, true); });
        return true;
    }
    bool open(bool object) {
        if (depth == 0 && !object) return false;
        if (depth == 1) begin_value(true);
        if (depth >= 1) each([object](writer& w) { object ? w.StartObject() : w.StartArray(); });
        ++depth;
        return true;
    }
    bool close(bool object) {
        --depth;
        if (depth >= 1) each([object](writer& w) { object ? w.EndObject() : w.EndArray(); });
        if (depth == 1 && col_nested) {
            const std::string_view text = nested_text();
            const auto k = column()->kind;
            if (k == column_kind::text || k == column_kind::json) set_text(text);
            else set({}, fit::serialization_error, text);
        }
        if (depth == 1) nsinks = 0;
        return true;
    }
    // The fast path's nested top-level value, given as its compact text (see read_compact).
    void nested_value(std::string_view text, bool object) {
        begin_value(false);  // the extras and captures; a column takes the text itself
        each([&](writer& w) {
            w.RawValue(text.data(), text.size(), object ? rapidjson::kObjectType : rapidjson::kArrayType);
        });
        if (const auto* c = column()) {
            if (c->kind == column_kind::text || c->kind == column_kind::json) set_text(text);
            else set({}, fit::serialization_error, text);
        }
        nsinks = 0;
    }
    // The compact JSON of the nested value just closed: its slice of the source when that is
    // already what a Writer writes (the scanner's data_json always is), else written again.
    std::string_view nested_text() {
        if (source.empty()) return {s.col_buf.GetString(), s.col_buf.GetSize()};
        const std::string_view slice = source.substr(nested_start, stream->Tell() + 1 - nested_start);  // and its '}' or ']'
        if (writer_canonical(slice)) return slice;
        s.nested_copy.assign(slice);
        s.col_buf.Clear();
        s.col_w.Reset(s.col_buf);
        rapidjson::Reader reader;
        rapidjson::StringStream is(s.nested_copy.c_str());
        rewrite r{s.col_w};
        reader.Parse<coerce_flags & ~unsigned(rapidjson::kParseInsituFlag)>(is, r);  // parsed once already
        return {s.col_buf.GetString(), s.col_buf.GetSize()};
    }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool EndObject(rapidjson::SizeType) { return close(true); }
    bool EndArray(rapidjson::SizeType) { return close(false); }
};

}  // namespace

void typed_coercer::state::reset_record() {
    for (auto& sl : slots) sl = slot{absent(), fit::ok, false};
    std::fill(captured.begin(), captured.end(), false);
    extra_buf.Clear();
    extra_w.Reset(extra_buf);
    has_extra = cdc_deleted = false;
    key_error.clear();
}

// The fast path: data written compactly without a backslash (what the scanner gives for a record
// without one) is split into its members without a parser, each fed to the handler as the reader
// would feed it. False, with nothing read, for other text.
bool typed_coercer::state::read_compact(std::string_view data) {
    if (!compact_json::split_members(data, members)) return false;
    read_members(members);
    return true;
}

void typed_coercer::state::read_members(std::span<const compact_json::member> data) {
    reset_record();
    handler h(*this);
    h.depth = 1;
    using k = compact_json::kind;
    for (const auto& m : data) {
        h.Key(m.key.data(), static_cast<rapidjson::SizeType>(m.key.size()), false);
        const auto n = static_cast<rapidjson::SizeType>(m.value.size());
        switch (m.k) {
            case k::null: h.Null(); break;
            case k::true_: h.Bool(true); break;
            case k::false_: h.Bool(false); break;
            case k::number: h.RawNumber(m.value.data(), n, false); break;
            case k::string: h.String(m.value.data(), n, false); break;
            case k::object:
            case k::array: h.nested_value(m.value, m.k == k::object); break;
        }
    }
}

std::optional<std::string> typed_coercer::state::run(const typed_record_input& in, coerced_record& out) {
    if (in.data_split) {
        read_members(in.data_members);
        return finish(in, out);
    }
    if (read_compact(in.data_json)) return finish(in, out);
    auto parse = [&](const std::vector<big_number>* big) {
        reset_record();
        rapidjson::Reader reader;
        rapidjson::InsituStringStream is(line.data());
        handler h(*this);
        h.big = big;
        h.line_start = line.data();
        h.stream = &is;
        if (!big) h.source = in.data_json;
        return reader.Parse<coerce_flags>(is, h);
    };
    line.assign(in.data_json);
    auto res = parse(nullptr);
    if (res.IsError() && res.Code() == rapidjson::kParseErrorNumberTooBig) {
        // Numbers beyond RapidJSON's range: swapped for placeholder strings and read again, as
        // the scanner does.
        std::vector<big_number> big;
        line = rewrite_big_numbers(in.data_json, [&](std::string_view tok, std::string& o) {
            o += "\"#\"";
            big.push_back({o.size(), std::string(tok)});
        });
        res = parse(&big);
    }
    if (res.IsError()) return "record data is not a JSON object (at byte " + std::to_string(res.Offset()) + ")";
    return finish(in, out);
}


}  // namespace airbyte
