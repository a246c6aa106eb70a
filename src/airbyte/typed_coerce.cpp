#include "airbyte/typed_coerce.hpp"

#include <rapidjson/document.h>

#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/typed_coerce_state.hpp"

namespace airbyte {

using cql::cql_value;
using typed::fit;

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
