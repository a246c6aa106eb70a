#include "airbyte/typed_table.hpp"

#include <set>

#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/names.hpp"
#include "cql/text.hpp"

namespace airbyte {

const std::vector<std::string_view> reserved_columns = {
    "_airbyte_raw_id",        "_airbyte_extracted_at", "_airbyte_meta", "_airbyte_generation_id",
    "_airbyte_additional_properties", "_airbyte_cursor_order", "_airbyte_run", "_airbyte_bucket",
    "_airbyte_seq", "_airbyte_covered",
};

const char* column_kind_cql(column_kind k) noexcept {
    switch (k) {
        case column_kind::boolean: return "boolean";
        case column_kind::bigint: return "bigint";
        case column_kind::decimal: return "decimal";
        case column_kind::text:
        case column_kind::json: return "text";
        case column_kind::date: return "date";
        case column_kind::timestamp: return "timestamp";
        case column_kind::time: return "time";
        case column_kind::double_: return "double";
    }
    return "text";
}

column_kind kind_of(const schema_property& p) noexcept {
    if (!p.ref.empty()) {
        const std::string_view r = p.ref;
        const auto slash = r.rfind('/');
        const std::string_view t = slash == std::string_view::npos ? r : r.substr(slash + 1);
        if (t == "Integer") return column_kind::bigint;
        if (t == "Number") return column_kind::decimal;
        if (t == "String" || t == "BinaryData") return column_kind::text;
        if (t == "Boolean") return column_kind::boolean;
        if (t == "Date") return column_kind::date;
        if (t == "TimestampWithTimezone" || t == "TimestampWithoutTimezone") return column_kind::timestamp;
        if (t == "TimeWithTimezone" || t == "TimeWithoutTimezone") return column_kind::time;
        return column_kind::json;
    }
    if (p.any_of) return column_kind::json;
    std::string_view only;
    int n = 0;
    for (const auto& t : p.types)
        if (t != "null" && t != only) only = t, ++n;
    if (n != 1) return column_kind::json;
    const std::string_view at = p.airbyte_type, f = p.format;
    if (only == "boolean") return column_kind::boolean;
    if (only == "integer") return column_kind::bigint;
    if (only == "number") return at == "integer" ? column_kind::bigint : column_kind::decimal;
    if (only != "string") return column_kind::json;
    if (f == "date") return column_kind::date;
    if (f == "date-time" || at == "timestamp_with_timezone" || at == "timestamp_without_timezone") return column_kind::timestamp;
    if (f == "time" || at == "time_with_timezone" || at == "time_without_timezone") return column_kind::time;
    return column_kind::text;
}

namespace {

bool is_reserved(std::string_view name) {
    for (auto r : reserved_columns)
        if (r == name) return true;
    return false;
}

// Invalid UTF-8 bytes and NULs become '_'; an empty name "_".
std::string repair(std::string_view name) {
    std::string out(name);
    for (std::size_t at = 0; at < out.size();) {
        const std::size_t good = cql::valid_utf8_prefix(std::string_view(out).substr(at));
        at += good;
        if (at < out.size()) out[at++] = '_';
    }
    for (auto& c : out)
        if (c == '\0') c = '_';
    return out.empty() ? "_" : out;
}

// The renaming rule of the header.
class namer {
public:
    explicit namer(const std::vector<schema_property>& props) {
        for (const auto& p : props) originals_.insert(p.name);
    }
    std::string assign(std::string_view original) {
        const std::string base = repair(original);
        if (base == original && !is_reserved(base) && given_.insert(base).second) return base;
        for (int i = 1;; ++i) {
            std::string c = base + "_" + std::to_string(i);
            if (!is_reserved(c) && !originals_.count(c) && given_.insert(c).second) return c;
        }
    }

private:
    std::set<std::string, std::less<>> originals_, given_;
};

column_kind kind_of_key(key_type t) {
    switch (t) {
        case key_type::bigint: return column_kind::bigint;
        case key_type::double_: return column_kind::double_;
        case key_type::boolean: return column_kind::boolean;
        case key_type::text: return column_kind::text;
    }
    return column_kind::text;
}

std::string qualified(std::string_view ks, std::string_view table) { return quote_identifier(ks) + "." + quote_identifier(table); }

struct meta_column {
    const char* name;
    const char* type;
};
constexpr meta_column common_meta[] = {{"_airbyte_raw_id", "uuid"},
                                       {"_airbyte_extracted_at", "timestamp"},
                                       {"_airbyte_meta", "text"},
                                       {"_airbyte_generation_id", "bigint"},
                                       {"_airbyte_additional_properties", "text"}};

// Every column of the table, name and CQL type, in bind order.
std::vector<std::pair<std::string, std::string>> all_columns(const table_layout& l) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& m : common_meta) out.emplace_back(m.name, m.type);
    if (l.dedup()) out.emplace_back(order_column, "blob");
    for (const auto& c : l.columns) out.emplace_back(c.name, column_kind_cql(c.kind));
    return out;
}

// The partition key and clustering columns (name, descending) of the layout.
void key_columns(const table_layout& l, std::vector<std::string>& partition, std::vector<std::pair<std::string, bool>>& clustering) {
    partition.clear();
    clustering.clear();
    if (!l.keyed()) {
        partition.emplace_back("_airbyte_raw_id");
        return;
    }
    for (auto i : l.key) partition.push_back(l.columns[i].name);
    if (l.dedup()) {
        clustering.emplace_back(order_column, true);
    } else {
        clustering.emplace_back("_airbyte_extracted_at", true);
        clustering.emplace_back("_airbyte_raw_id", false);
    }
}

std::string key_text(const std::vector<std::string>& partition, const std::vector<std::pair<std::string, bool>>& clustering) {
    std::string out = "(";
    for (std::size_t i = 0; i < partition.size(); ++i) out += (i ? ", " : "") + quote_identifier(partition[i]);
    out += ")";
    for (const auto& c : clustering) out += ", " + quote_identifier(c.first);
    return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> typed_columns(const table_layout& l) { return all_columns(l); }

std::optional<std::string> make_typed_layout(const configured_stream& s, table_layout& out) {
    out = table_layout{};
    out.mode = s.mode;
    out.cursor = s.mode == write_mode::append_dedup ? s.cursor : std::vector<std::string>{};
    namer names(s.properties);
    for (const auto& p : s.properties) {
        typed_column c;
        c.field = p.name;
        c.name = names.assign(p.name);
        c.kind = kind_of(p);
        out.columns.push_back(std::move(c));
    }
    const auto& key = s.mode == write_mode::append_dedup ? s.primary_key : s.typed_key;
    for (const auto& k : key) {
        std::size_t at = out.columns.size();
        if (k.path.size() == 1) {
            for (std::size_t i = 0; i < out.columns.size(); ++i)
                if (out.columns[i].path.empty() && out.columns[i].field == k.path[0]) at = i;
        }
        if (at == out.columns.size()) {  // a nested path, or a field the schema does not declare
            typed_column c;
            c.field = k.path[0];
            if (k.path.size() > 1) c.path = k.path;
            c.name = names.assign(k.column);
            c.kind = k.path.size() > 1 ? kind_of_key(k.type) : column_kind::text;
            c.declared = false;
            out.columns.push_back(std::move(c));
        }
        auto& c = out.columns[at];
        if (c.key_index >= 0) return "primary key column " + json_quote(k.column) + " is repeated";
        if (c.kind == column_kind::json) c.kind = column_kind::text;  // keys hold strings as they are
        c.key_index = static_cast<int>(out.key.size());
        out.key.push_back(at);
    }
    if (out.dedup() && out.key.empty()) return std::string("append_dedup needs a primary_key");
    return std::nullopt;
}

std::string typed_create_table(const table_layout& l, std::string_view ks, std::string_view table) {
    std::string q = "CREATE TABLE IF NOT EXISTS " + qualified(ks, table) + " (";
    for (const auto& [name, type] : all_columns(l)) q += quote_identifier(name) + " " + type + ", ";
    std::vector<std::string> partition;
    std::vector<std::pair<std::string, bool>> clustering;
    key_columns(l, partition, clustering);
    q += "PRIMARY KEY (" + key_text(partition, clustering) + "))";
    if (!clustering.empty()) {
        q += " WITH CLUSTERING ORDER BY (";
        for (std::size_t i = 0; i < clustering.size(); ++i)
            q += (i ? ", " : "") + quote_identifier(clustering[i].first) + (clustering[i].second ? " DESC" : " ASC");
        q += ")";
    }
    return q;
}

std::string typed_column_list(const table_layout& l) {
    std::string out;
    for (const auto& c : all_columns(l)) out += (out.empty() ? "" : ", ") + quote_identifier(c.first);
    return out;
}

std::size_t typed_insert_bind_count(const table_layout& l, typed_write_options o) {
    return 5 + (l.dedup() ? 1 : 0) + l.columns.size() + (o.timestamp ? 1 : 0) + (o.ttl ? 1 : 0);
}

std::string typed_insert_query(const table_layout& l, std::string_view ks, std::string_view table, typed_write_options o) {
    const std::size_t n = typed_insert_bind_count(l, o) - (o.timestamp ? 1 : 0) - (o.ttl ? 1 : 0);
    std::string marks;
    for (std::size_t i = 0; i < n; ++i) marks += i ? ", ?" : "?";
    std::string q = "INSERT INTO " + qualified(ks, table) + " (" + typed_column_list(l) + ") VALUES (" + marks + ")";
    if (o.timestamp && o.ttl) q += " USING TIMESTAMP ? AND TTL ?";
    else if (o.timestamp) q += " USING TIMESTAMP ?";
    else if (o.ttl) q += " USING TTL ?";
    return q;
}

namespace {

std::string dedup_delete(const table_layout& l, std::string_view ks, std::string_view table, const char* op) {
    std::string where;
    for (auto i : l.key) where += quote_identifier(l.columns[i].name) + " = ? AND ";
    return "DELETE FROM " + qualified(ks, table) + " USING TIMESTAMP ? WHERE " + where + quote_identifier(order_column) + " " +
           op + " ?";
}

}  // namespace

std::string typed_delete_older_query(const table_layout& l, std::string_view ks, std::string_view table) {
    return dedup_delete(l, ks, table, "<");
}
std::string typed_cdc_delete_query(const table_layout& l, std::string_view ks, std::string_view table) {
    return dedup_delete(l, ks, table, "<=");
}

std::optional<std::string> plan_typed_evolution(table_layout& l, const std::map<std::string, existing_column>& existing,
                                                std::string_view ks, std::string_view table,
                                                std::vector<std::string>& alters) {
    const std::string label = ks.empty() ? std::string(table) : std::string(ks) + "." + std::string(table);
    const std::string rebuild = ": run a refresh (or an overwrite sync) of the stream to rebuild the table";
    // The primary key first: no ALTER changes it.
    std::vector<std::string> partition, had_partition;
    std::vector<std::pair<std::string, bool>> clustering, had_clustering;
    key_columns(l, partition, clustering);
    std::map<int, std::string> p, c;
    for (const auto& [name, col] : existing) {
        if (col.kind == "partition_key") p[col.position] = name;
        else if (col.kind == "clustering") c[col.position] = name;
    }
    for (auto& [_, name] : p) had_partition.push_back(name);
    for (auto& [_, name] : c) had_clustering.emplace_back(name, false);
    std::vector<std::pair<std::string, bool>> want_clustering;
    for (const auto& x : clustering) want_clustering.emplace_back(x.first, false);
    if (had_partition != partition || had_clustering != want_clustering)
        return "table " + label + " has the primary key (" + key_text(had_partition, had_clustering) +
               ") but the stream now needs (" + key_text(partition, clustering) + ")" + rebuild;

    auto check = [&](const std::string& name, const std::string& want, column_kind* kind,
                     std::vector<std::string>& adds) -> std::optional<std::string> {
        const auto it = existing.find(name);
        if (it == existing.end()) {
            adds.push_back("ALTER TABLE " + qualified(ks, table) + " ADD " + quote_identifier(name) + " " + want);
            return std::nullopt;
        }
        const std::string& had = it->second.type;
        if (had == want) return std::nullopt;
        const bool regular = it->second.kind == "regular";
        if (kind && regular && had == "decimal" && *kind == column_kind::bigint) {
            *kind = column_kind::decimal;  // integers are exact decimals
            return std::nullopt;
        }
        if (kind && regular && had == "text") {
            *kind = column_kind::text;  // anything has a text form
            return std::nullopt;
        }
        return "column " + json_quote(name) + " of table " + label + " is " + had + ", but the stream's schema now makes it " +
               want + ", which that column cannot hold" + rebuild + " with the new types";
    };
    const auto cols = all_columns(l);
    const std::size_t first_data = cols.size() - l.columns.size();
    std::vector<std::string> adds;
    for (std::size_t i = 0; i < cols.size(); ++i) {
        column_kind* kind = i >= first_data ? &l.columns[i - first_data].kind : nullptr;
        if (auto e = check(cols[i].first, cols[i].second, kind, adds)) return e;
    }
    alters.insert(alters.end(), adds.begin(), adds.end());
    return std::nullopt;
}

}  // namespace airbyte
