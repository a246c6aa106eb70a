#include "airbyte/catalog.hpp"

#include <set>

#include "airbyte/json.hpp"

namespace airbyte {

const char* write_mode_name(write_mode m) noexcept {
    switch (m) {
        case write_mode::append: return "append";
        case write_mode::overwrite: return "overwrite";
        case write_mode::append_dedup: return "append_dedup";
    }
    return "?";
}

const char* key_type_cql(key_type t) noexcept {
    switch (t) {
        case key_type::bigint: return "bigint";
        case key_type::double_: return "double";
        case key_type::boolean: return "boolean";
        case key_type::text: return "text";
    }
    return "text";
}

namespace {

// The schema of the property at path, through "properties" objects.
const rapidjson::Value* property_schema(const rapidjson::Value* schema, const std::vector<std::string>& path) {
    for (const auto& step : path) {
        if (!schema) return nullptr;
        const auto* props = member(*schema, "properties");
        schema = props ? member(*props, step) : nullptr;
    }
    return schema;
}

key_type type_of(const rapidjson::Value* schema) {
    if (!schema) return key_type::text;
    const auto* t = member(*schema, "type");
    std::string only;
    int n = 0;
    auto see = [&](const rapidjson::Value& v) {
        if (!v.IsString()) return;
        std::string_view s(v.GetString(), v.GetStringLength());
        if (s == "null") return;
        only = s;
        ++n;
    };
    if (t && t->IsString()) see(*t);
    else if (t && t->IsArray())
        for (const auto& v : t->GetArray()) see(v);
    if (n != 1) return key_type::text;
    if (only == "integer") return key_type::bigint;
    if (only == "number") {
        // Airbyte marks integers as {"type":"number","airbyte_type":"integer"}.
        const auto* at = member(*schema, "airbyte_type");
        if (at && at->IsString() && std::string_view(at->GetString()) == "integer") return key_type::bigint;
        return key_type::double_;
    }
    if (only == "boolean") return key_type::boolean;
    return key_type::text;
}

bool string_path(const rapidjson::Value& v, std::vector<std::string>& out) {
    if (!v.IsArray() || v.Empty()) return false;
    out.clear();
    for (const auto& s : v.GetArray()) {
        if (!s.IsString()) return false;
        out.emplace_back(s.GetString(), s.GetStringLength());
    }
    return true;
}

void read_properties(const rapidjson::Value* schema, std::vector<schema_property>& out) {
    const auto* props = schema ? member(*schema, "properties") : nullptr;
    if (!props || !props->IsObject()) return;
    for (auto it = props->MemberBegin(); it != props->MemberEnd(); ++it) {
        schema_property p;
        p.name.assign(it->name.GetString(), it->name.GetStringLength());
        const auto& v = it->value;
        auto str = [&](const char* key, std::string& to) {
            if (const auto* f = member(v, key); f && f->IsString()) to.assign(f->GetString(), f->GetStringLength());
        };
        if (const auto* t = member(v, "type")) {
            if (t->IsString()) p.types.emplace_back(t->GetString(), t->GetStringLength());
            else if (t->IsArray())
                for (const auto& e : t->GetArray())
                    if (e.IsString()) p.types.emplace_back(e.GetString(), e.GetStringLength());
        }
        str("format", p.format);
        str("airbyte_type", p.airbyte_type);
        str("$ref", p.ref);
        p.any_of = member(v, "oneOf") || member(v, "anyOf") || member(v, "allOf");
        out.push_back(std::move(p));
    }
}

}  // namespace

bool has_cdc_deleted_at(const configured_stream& s) noexcept {
    for (const auto& p : s.properties)
        if (p.name == cdc_deleted_at_field) return true;
    return false;
}

bool parse_catalog(std::string_view json, std::vector<configured_stream>& out, std::string& error) {
    rapidjson::Document doc;
    if (auto e = parse_json(json, doc)) {
        error = "the catalog is not valid JSON: " + *e;
        return false;
    }
    if (auto key = find_repeated_key(doc)) {
        error = "catalog key \"" + *key + "\" appears twice: which one is meant is ambiguous";
        return false;
    }
    const auto* streams = member(doc, "streams");
    if (!streams || !streams->IsArray()) {
        error = "the catalog has no \"streams\" array";
        return false;
    }
    out.clear();
    std::set<std::pair<std::string, std::string>> seen;
    std::size_t index = 0;
    for (const auto& cs : streams->GetArray()) {
        const std::string where = "catalog stream #" + std::to_string(index++);
        auto fail = [&](const std::string& what) {
            error = where + ": " + what;
            return false;
        };
        const auto* s = member(cs, "stream");
        const auto* name = s ? member(*s, "name") : nullptr;
        if (!name || !name->IsString() || name->GetStringLength() == 0) return fail("stream.name is missing");
        configured_stream st;
        st.name.assign(name->GetString(), name->GetStringLength());
        const std::string label = where + " (" + json_quote(st.name) + ")";
        auto fail_named = [&](const std::string& what) {
            error = label + ": " + what;
            return false;
        };
        if (const auto* ns = member(*s, "namespace"); ns && ns->IsString()) st.ns.emplace(ns->GetString(), ns->GetStringLength());
        else if (ns && !ns->IsNull()) return fail_named("stream.namespace must be a string");
        if (!seen.insert({st.ns.value_or(""), st.name}).second) return fail_named("appears twice in the catalog");

        const auto* mode = member(cs, "destination_sync_mode");
        std::string_view m = mode && mode->IsString() ? std::string_view(mode->GetString(), mode->GetStringLength()) : "";
        if (m == "append") st.mode = write_mode::append;
        else if (m == "overwrite") st.mode = write_mode::overwrite;
        else if (m == "append_dedup") st.mode = write_mode::append_dedup;
        else if (m.empty()) return fail_named("destination_sync_mode is missing");
        else return fail_named("destination_sync_mode \"" + std::string(m) + "\" is not supported (overwrite, append, append_dedup)");

        for (const char* f : {"generation_id", "minimum_generation_id"}) {
            const auto* g = member(cs, f);
            if (!g || g->IsNull()) continue;
            if (!g->IsInt64()) return fail_named(std::string(f) + " must be an integer");
            (std::string_view(f) == "generation_id" ? st.generation_id : st.minimum_generation_id) = g->GetInt64();
        }
        st.truncate = st.mode == write_mode::overwrite ||
                      (st.minimum_generation_id && st.generation_id && *st.minimum_generation_id > 0 &&
                       *st.minimum_generation_id == *st.generation_id);

        if (const auto* cursor = member(cs, "cursor_field"); cursor && cursor->IsArray() && !cursor->Empty()) {
            if (!string_path(*cursor, st.cursor)) return fail_named("cursor_field must be a list of strings");
        }
        if (const auto* sid = member(cs, "sync_id"); sid && sid->IsInt64()) st.sync_id = sid->GetInt64();
        read_properties(s ? member(*s, "json_schema") : nullptr, st.properties);
        {
            const auto* pk = member(cs, "primary_key");
            if ((!pk || !pk->IsArray() || pk->Empty()) && s) pk = member(*s, "source_defined_primary_key");
            const auto* schema = s ? member(*s, "json_schema") : nullptr;
            std::set<std::string> columns;
            if (pk && pk->IsArray())
                for (const auto& p : pk->GetArray()) {
                    key_column k;
                    if (!string_path(p, k.path)) {
                        st.typed_key.clear();
                        break;
                    }
                    k.column = join_path(k.path);
                    k.type = type_of(property_schema(schema, k.path));
                    if (columns.insert(k.column).second) st.typed_key.push_back(std::move(k));
                }
        }
        if (st.mode == write_mode::append_dedup) {
            const auto* pk = member(cs, "primary_key");
            if ((!pk || !pk->IsArray() || pk->Empty()) && s) pk = member(*s, "source_defined_primary_key");
            if (!pk || !pk->IsArray() || pk->Empty()) return fail_named("append_dedup needs a primary_key");
            const auto* schema = member(*s, "json_schema");
            std::set<std::string> columns;
            for (const auto& p : pk->GetArray()) {
                key_column k;
                if (!string_path(p, k.path)) return fail_named("primary_key must be a list of lists of strings");
                k.column = join_path(k.path);
                if (k.column.rfind("_airbyte_", 0) == 0) return fail_named("primary key column " + json_quote(k.column) + " clashes with the connector's columns");
                if (!columns.insert(k.column).second) return fail_named("primary key column " + json_quote(k.column) + " is repeated");
                k.type = type_of(property_schema(schema, k.path));
                st.primary_key.push_back(std::move(k));
            }
        }
        out.push_back(std::move(st));
    }
    return true;
}

}  // namespace airbyte
