#include "airbyte/typed_coerce.hpp"

#include <rapidjson/reader.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/message_scanner.hpp"
#include "airbyte/typed_values.hpp"

namespace airbyte {

using cql::cql_value;
using typed::fit;

namespace {

// The same reading as the scanner's (message_scanner.cpp): numbers as their text, in place.
constexpr unsigned coerce_flags = (strict_parse_flags & ~unsigned(rapidjson::kParseValidateEncodingFlag)) |
                                  rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// What a top-level field of the data feeds.
struct field_info {
    int column = -1;   // its top-level column; -1: undeclared (to the additional properties)
    int capture = -1;  // its text is kept for a nested key or the cursor
    bool cdc = false;  // _ab_cdc_deleted_at
};

struct slot {
    cql_value value;
    fit status = fit::ok;
    bool present = false;
};

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

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

struct typed_coercer::state {
    table_layout layout;
    std::optional<std::int64_t> sync_id;
    typed_write_options options;
    bool unset_absent = true;

    using field_map = std::unordered_map<std::string, field_info, string_hash, std::equal_to<>>;
    field_map fields;
    // The previous record's top-level keys in order (nullptr: undeclared): records of one stream
    // mostly repeat their keys' order, so a key is first compared with the one at its place.
    std::vector<const field_map::value_type*> key_order;
    std::string plain_meta;  // _airbyte_meta without changes (the common case), made once
    std::vector<std::string> capture_fields;  // capture index -> top-level field
    std::vector<std::size_t> nested_keys;     // columns read from captures

    // Per record.
    std::vector<slot> slots;
    std::vector<rapidjson::StringBuffer> capture_bufs;
    std::vector<bool> captured;
    rapidjson::StringBuffer col_buf, extra_buf, meta_buf;
    writer col_w, extra_w, meta_w, cap_w;
    bool has_extra = false;
    bool cdc_deleted = false;
    std::string line;  // the data, parsed in place
    std::string nested_copy;  // a nested value's text re-read when it is not written as a Writer writes it
    std::string key_error;

    cql_value absent() const { return unset_absent ? cql_value::unset() : cql_value::null(); }
    std::optional<std::string> run(const typed_record_input& in, coerced_record& out);
    std::optional<std::string> finish(const typed_record_input& in, coerced_record& out);
    std::string_view write_meta(std::string_view source_meta, bool nulled);
};

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
    void set(cql_value v, fit f, std::string_view json_text) {
        if (!column()) return;
        auto& sl = cur_slot();
        sl.present = true;
        sl.status = f;
        sl.value = f == fit::ok ? std::move(v) : s.absent();
        if (f != fit::ok && column()->key_index >= 0 && s.key_error.empty()) {
            const auto& c = *column();
            s.key_error = "primary key field " + json_quote(c.field) + " does not fit its " + column_kind_cql(c.kind) +
                          " column: " + std::string(json_text.substr(0, 200));
        }
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
            case k::text: return set(cql_value{std::string(str)}, fit::ok, {});
            case k::json: return set(cql_value{std::string(json_of_string(str))}, fit::ok, {});
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
            case column_kind::json: return set(cql_value{std::string(num)}, fit::ok, {});
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
        if (c->kind == column_kind::text || c->kind == column_kind::json) return set(cql_value{std::string(b ? "true" : "false")}, fit::ok, {});
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
            if (k == column_kind::text || k == column_kind::json) set(cql_value{std::string(text)}, fit::ok, {});
            else set({}, fit::serialization_error, text);
        }
        if (depth == 1) nsinks = 0;
        return true;
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

typed_coercer::typed_coercer(table_layout layout, std::optional<std::int64_t> sync_id, typed_write_options options,
                             bool unset_absent)
    : s_(std::make_unique<state>()) {
    auto& s = *s_;
    s.layout = std::move(layout);
    s.sync_id = sync_id;
    s.options = options;
    s.unset_absent = unset_absent;
    const auto& cols = s.layout.columns;
    auto capture = [&](const std::string& field) {
        auto& f = s.fields[field];
        if (f.capture < 0) {
            f.capture = static_cast<int>(s.capture_fields.size());
            s.capture_fields.push_back(field);
        }
    };
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (!cols[i].path.empty()) {
            s.nested_keys.push_back(i);
            capture(cols[i].field);
        } else {
            s.fields[cols[i].field].column = static_cast<int>(i);
        }
    }
    if (!s.layout.cursor.empty()) capture(s.layout.cursor[0]);
    s.fields[cdc_deleted_at_field].cdc = true;
    s.slots.resize(cols.size());
    s.capture_bufs.resize(s.capture_fields.size());
    s.captured.resize(s.capture_fields.size());
    s.plain_meta = std::string(s.write_meta({}, false));
}

typed_coercer::~typed_coercer() = default;
typed_coercer::typed_coercer(typed_coercer&&) noexcept = default;
typed_coercer& typed_coercer::operator=(typed_coercer&&) noexcept = default;

const table_layout& typed_coercer::layout() const noexcept { return s_->layout; }

std::optional<std::string> typed_coercer::coerce(const typed_record_input& in, coerced_record& out) {
    return s_->run(in, out);
}

std::optional<std::string> typed_coercer::state::run(const typed_record_input& in, coerced_record& out) {
    auto parse = [&](const std::vector<big_number>* big) {
        for (auto& sl : slots) sl = slot{absent(), fit::ok, false};
        std::fill(captured.begin(), captured.end(), false);
        extra_buf.Clear();
        extra_w.Reset(extra_buf);
        has_extra = cdc_deleted = false;
        key_error.clear();
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

std::optional<std::string> typed_coercer::state::finish(const typed_record_input& in, coerced_record& out) {
    const auto& cols = layout.columns;
    for (auto i : layout.key)
        if (cols[i].path.empty() && !slots[i].present)
            return "primary key field " + json_quote(cols[i].field) + " is missing or null";
    if (!key_error.empty()) return key_error;
    // Nested keys and the cursor, from their top-level field's text, as the raw tables read them.
    std::vector<rapidjson::Document> docs(capture_fields.size());
    for (std::size_t c = 0; c < docs.size(); ++c) {
        if (!captured[c]) continue;
        const std::string_view text(capture_bufs[c].GetString(), capture_bufs[c].GetSize());
        if (auto e = parse_json_lenient_numbers(text, docs[c])) return "record data: " + *e;
    }
    auto head = [&](const std::string& field) -> const rapidjson::Value* {
        for (std::size_t c = 0; c < capture_fields.size(); ++c)
            if (capture_fields[c] == field) return captured[c] ? &docs[c] : nullptr;
        return nullptr;
    };
    for (auto i : nested_keys) {
        const auto& col = cols[i];
        key_column k{std::vector<std::string>(col.path.begin() + 1, col.path.end()), join_path(col.path), key_type::text};
        switch (col.kind) {
            case column_kind::bigint: k.type = key_type::bigint; break;
            case column_kind::double_: k.type = key_type::double_; break;
            case column_kind::boolean: k.type = key_type::boolean; break;
            default: break;
        }
        const auto* h = head(col.field);
        if (!h || h->IsNull()) return "primary key field " + json_quote(k.column) + " is missing or null";
        if (auto e = key_value(*h, k, slots[i].value)) return e;
        slots[i].present = true;
    }

    out.values.clear();
    out.delete_values.clear();
    out.cdc_deleted = cdc_deleted;
    out.nulled = 0;
    for (const auto& sl : slots) out.nulled += sl.status != fit::ok;
    const std::string_view meta = write_meta(in.meta_json, out.nulled > 0);
    out.values.reserve(typed_insert_bind_count(layout, options));
    out.values.emplace_back(in.raw_id);
    out.values.emplace_back(in.emitted_at_ms);
    out.values.emplace_back(std::string(meta));
    out.values.emplace_back(in.generation_id);
    if (has_extra) {
        extra_w.EndObject();
        out.values.emplace_back(std::string(extra_buf.GetString(), extra_buf.GetSize()));
    } else {
        out.values.push_back(absent());
    }
    if (layout.dedup()) {
        const rapidjson::Value* cursor = nullptr;
        if (!layout.cursor.empty())
            if (const auto* h = head(layout.cursor[0]))
                cursor = at_path(*h, std::vector<std::string>(layout.cursor.begin() + 1, layout.cursor.end()));
        auto order = order_key(cursor, in.emitted_at_ms);
        out.delete_values.reserve(layout.key.size() + 2);
        out.delete_values.emplace_back(dedup_write_timestamp);
        for (auto i : layout.key) out.delete_values.push_back(slots[i].value);
        out.delete_values.emplace_back(order);
        out.values.emplace_back(std::move(order));
    }
    for (auto& sl : slots) out.values.push_back(std::move(sl.value));
    if (options.timestamp) out.values.emplace_back(in.write_timestamp);
    if (options.ttl) out.values.emplace_back(in.ttl_seconds);
    return std::nullopt;
}

std::string_view typed_coercer::state::write_meta(std::string_view source_meta, bool nulled) {
    if (source_meta.empty() && !nulled && !plain_meta.empty()) return plain_meta;
    meta_buf.Clear();
    meta_w.Reset(meta_buf);
    meta_w.StartObject();
    meta_w.Key("sync_id");
    if (sync_id) meta_w.Int64(*sync_id);
    else meta_w.Null();
    meta_w.Key("changes");
    meta_w.StartArray();
    if (!source_meta.empty()) {
        rapidjson::Document doc;
        if (!parse_json_lenient_numbers(source_meta, doc))
            if (const auto* changes = member(doc, "changes"); changes && changes->IsArray())
                for (const auto& c : changes->GetArray()) c.Accept(meta_w);
    }
    const auto& cols = layout.columns;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (slots[i].status == fit::ok) continue;
        meta_w.StartObject();
        meta_w.Key("field");
        meta_w.String(cols[i].field.data(), static_cast<rapidjson::SizeType>(cols[i].field.size()));
        meta_w.Key("change");
        meta_w.String("NULLED");
        meta_w.Key("reason");
        meta_w.String(typed::fit_reason(slots[i].status));
        meta_w.EndObject();
    }
    meta_w.EndArray();
    meta_w.EndObject();
    return {meta_buf.GetString(), meta_buf.GetSize()};
}

}  // namespace airbyte
