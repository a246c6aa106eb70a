// The raw format: the original connector's tables, byte for byte (see table_format.hpp).
//   append, overwrite:  "_airbyte_ab_id" uuid PRIMARY KEY, "_airbyte_data" text, "_airbyte_emitted_at" timestamp
//   append_dedup:       the key columns, "_airbyte_cursor_order" blob, then the same three columns,
//                       PRIMARY KEY ((keys), order) with the order descending (dedup.hpp)
#include <rapidjson/document.h>

#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/names.hpp"
#include "airbyte/table_format.hpp"

namespace airbyte {

namespace {

std::string qualified(const std::string& ks, const std::string& table) { return quote_identifier(ks) + "." + quote_identifier(table); }

class raw_format final : public stream_format {
public:
    explicit raw_format(const configured_stream& s) : s_(s) {
        for (const auto& k : s.primary_key)
            if (dedup()) cols_.emplace_back(k.column, key_type_cql(k.type));
        if (dedup()) cols_.emplace_back(order_column, "blob");
        cols_.insert(cols_.end(), {{"_airbyte_ab_id", "uuid"}, {"_airbyte_data", "text"}, {"_airbyte_emitted_at", "timestamp"}});
    }

    const staging::column_list& columns() const override { return cols_; }

    std::string create_table(const std::string& ks, const std::string& table) const override {
        std::string q = "CREATE TABLE IF NOT EXISTS " + qualified(ks, table) + " (";
        if (!dedup()) return q + R"("_airbyte_ab_id" uuid PRIMARY KEY, "_airbyte_data" text, "_airbyte_emitted_at" timestamp))";
        std::string key;
        for (const auto& k : s_.primary_key) {
            q += quote_identifier(k.column) + " " + key_type_cql(k.type) + ", ";
            key += (key.empty() ? "" : ", ") + quote_identifier(k.column);
        }
        const std::string order = quote_identifier(order_column);
        return q + order + R"( blob, "_airbyte_ab_id" uuid, "_airbyte_data" text, "_airbyte_emitted_at" timestamp, PRIMARY KEY (()" +
               key + "), " + order + ")) WITH CLUSTERING ORDER BY (" + order + " DESC)";
    }

    // The columns and the primary key (partition, clustering and its order) must be the stream's.
    std::optional<std::string> reconcile(const std::vector<schema_column>& existing, const std::string& ks,
                                         const std::string& table, std::vector<std::string>&) override {
        if (auto why = table_mismatch({cols_.begin(), cols_.end()}, expected_key(s_), existing))
            return "table " + ks + "." + table + " exists but does not fit stream " + (s_.ns ? *s_.ns + "." : "") + s_.name +
                   " in mode " + write_mode_name(s_.mode) + ": " + *why + "; the connector never alters a table: drop it or rename it";
        return std::nullopt;
    }
    bool rebuilds_at_commit() const override { return false; }

    std::string delete_older_query(const std::string& ks, const std::string& table) const override { return dedup_delete(ks, table, "<"); }
    std::string cdc_delete_query(const std::string& ks, const std::string& table) const override { return dedup_delete(ks, table, "<="); }

    std::optional<std::string> bind(const scanned_message& m, const cql::uuid_bytes& raw_id, record_values& out) override {
        out.columns.clear();
        out.delete_values.clear();
        out.cdc_delete = false;
        out.columns.reserve(cols_.size() + 2);
        if (dedup()) {
            // The first 64 KiB of the parsed data: a Document reused from record to record would
            // grow its pool forever (RapidJSON never frees it), so each record gets a pool of its
            // own that starts in this buffer.
            rapidjson::MemoryPoolAllocator<> pool(buffer_.data(), buffer_.size());
            rapidjson::Document doc(&pool);
            if (auto e = parse_json_lenient_numbers(m.data_json, doc)) return "record data: " + *e;
            out.delete_values.emplace_back(dedup_write_timestamp);
            for (const auto& k : s_.primary_key) {
                cql::cql_value v;
                if (auto e = key_value(doc, k, v)) return *e;
                out.columns.push_back(v);
                out.delete_values.push_back(std::move(v));
            }
            const auto* cursor = s_.cursor.empty() ? nullptr : at_path(doc, s_.cursor);
            auto order = order_key(cursor, m.emitted_at_ms);
            out.columns.emplace_back(order);
            out.delete_values.emplace_back(std::move(order));
        }
        out.columns.emplace_back(raw_id);
        out.columns.emplace_back(std::string(m.data_json));
        out.columns.emplace_back(m.emitted_at_ms);
        return std::nullopt;
    }

    void row_delete_values(const std::vector<cql::cql_value>& row, std::vector<cql::cql_value>& out) const override {
        out.emplace_back(dedup_write_timestamp);
        for (std::size_t k = 0; k <= s_.primary_key.size(); ++k) out.push_back(row[k]);  // keys, order
    }
    bool row_is_cdc_delete(const std::vector<cql::cql_value>&) const override { return false; }
    std::vector<std::string> row_key() const override { return {"_airbyte_ab_id"}; }
    std::string written_column() const override { return "_airbyte_data"; }

private:
    bool dedup() const { return s_.mode == write_mode::append_dedup; }
    std::string dedup_delete(const std::string& ks, const std::string& table, const char* op) const {
        std::string where;
        for (const auto& k : s_.primary_key) where += quote_identifier(k.column) + " = ? AND ";
        return "DELETE FROM " + qualified(ks, table) + " USING TIMESTAMP ? WHERE " + where + quote_identifier(order_column) + " " +
               op + " ?";
    }

    configured_stream s_;
    staging::column_list cols_;
    std::vector<char> buffer_ = std::vector<char>(64u << 10);
};

}  // namespace

std::unique_ptr<stream_format> make_raw_format(const configured_stream& s) { return std::make_unique<raw_format>(s); }

std::string stream_format::insert_query(const std::string& ks, const std::string& table, bool with_timestamp, int ttl_seconds) const {
    std::string names, marks;
    for (const auto& [name, type] : columns()) {
        names += (names.empty() ? "" : ", ") + quote_identifier(name);
        marks += marks.empty() ? "?" : ", ?";
    }
    std::string q = "INSERT INTO " + qualified(ks, table) + " (" + names + ") VALUES (" + marks + ")";
    if (with_timestamp && ttl_seconds > 0) q += " USING TIMESTAMP ? AND TTL ?";
    else if (with_timestamp) q += " USING TIMESTAMP ?";
    else if (ttl_seconds > 0) q += " USING TTL ?";
    return q;
}

}  // namespace airbyte
