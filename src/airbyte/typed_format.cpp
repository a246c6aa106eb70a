// The typed format: one column per top-level property (see table_format.hpp, typed_table.hpp,
// docs/typed-tables.md). Values come from typed_coercer in one SAX pass over the record's data.
#include <rapidjson/document.h>

#include "airbyte/dedup.hpp"
#include "airbyte/json.hpp"
#include "airbyte/names.hpp"
#include "airbyte/table_format.hpp"
#include "airbyte/typed_coerce.hpp"

namespace airbyte {

std::unique_ptr<stream_format> make_raw_format(const configured_stream& s);

namespace {

constexpr const char* cdc_field = "_ab_cdc_deleted_at";

class typed_format final : public stream_format {
public:
    typed_format(const connector_config& cfg, const configured_stream& s, table_layout layout)
        : s_(s), cdc_soft_(cfg.cdc_soft), unset_absent_(cfg.protocol_version >= 4), coercer_(layout, s.sync_id, {}, unset_absent_) {
        use(std::move(layout));
    }

    const staging::column_list& columns() const override { return cols_; }
    std::string create_table(const std::string& ks, const std::string& table) const override {
        return typed_create_table(coercer_.layout(), ks, table);
    }

    std::optional<std::string> reconcile(const std::vector<schema_column>& rows, const std::string& ks,
                                         const std::string& table, std::vector<std::string>& alters) override {
        std::map<std::string, existing_column> existing;
        for (const auto& c : rows) existing[c.name] = {c.type, c.kind, c.position};
        table_layout l = coercer_.layout();  // evolved only when the table can be used
        if (auto e = plan_typed_evolution(l, existing, ks, table, alters)) return e;
        use(std::move(l));
        return std::nullopt;
    }
    bool rebuilds_at_commit() const override { return true; }

    std::string delete_older_query(const std::string& ks, const std::string& table) const override {
        return typed_delete_older_query(coercer_.layout(), ks, table);
    }
    std::string cdc_delete_query(const std::string& ks, const std::string& table) const override {
        return typed_cdc_delete_query(coercer_.layout(), ks, table);
    }

    std::optional<std::string> bind(const scanned_message& m, const cql::uuid_bytes& raw_id, record_values& out) override {
        typed_record_input in;
        in.data_json = m.data_json;
        in.data_split = m.data_split;
        in.data_members = m.data_members;
        in.meta_json = m.meta_json;
        in.raw_id = raw_id;
        in.emitted_at_ms = m.emitted_at_ms;
        in.generation_id = s_.generation_id.value_or(0);
        if (auto e = coercer_.coerce(in, rec_)) return e;
        // Swapped, not moved: both sides keep their vectors' capacity from record to record.
        std::swap(out.columns, rec_.values);
        std::swap(out.delete_values, rec_.delete_values);
        out.cdc_delete = rec_.cdc_deleted && coercer_.layout().dedup() && !cdc_soft_;
        return std::nullopt;
    }

    void row_delete_values(const std::vector<cql::cql_value>& row, std::vector<cql::cql_value>& out) const override {
        const auto& l = coercer_.layout();
        out.emplace_back(dedup_write_timestamp);
        for (auto i : l.key) out.push_back(row[first_data_ + i]);
        out.push_back(row[first_data_ - 1]);  // the order, just before the data columns
    }

    bool row_is_cdc_delete(const std::vector<cql::cql_value>& row) const override {
        if (!coercer_.layout().dedup() || cdc_soft_) return false;
        if (cdc_column_) return !row[*cdc_column_].is_null() && !row[*cdc_column_].is_unset();
        // Undeclared: among the additional properties (column 4).
        const auto* text = std::get_if<std::string>(&row[4].v);
        if (!text || text->find(cdc_field) == std::string::npos) return false;
        rapidjson::Document d;
        if (parse_json_lenient_numbers(*text, d) || !d.IsObject()) return false;
        const rapidjson::Value& obj = d;  // const iterators: clang -std=c++20 finds != ambiguous otherwise
        auto it = obj.FindMember(cdc_field);
        return it != obj.MemberEnd() && !it->value.IsNull();
    }

    std::vector<std::string> row_key() const override {
        const auto& l = coercer_.layout();
        if (!l.keyed()) return {"_airbyte_raw_id"};
        std::vector<std::string> out;
        for (auto i : l.key) out.push_back(l.columns[i].name);
        out.emplace_back("_airbyte_extracted_at");
        out.emplace_back("_airbyte_raw_id");
        return out;
    }
    std::string written_column() const override { return "_airbyte_meta"; }

private:
    void use(table_layout l) {
        coercer_ = typed_coercer(l, s_.sync_id, {}, unset_absent_);
        cols_ = typed_columns(l);
        first_data_ = cols_.size() - l.columns.size();
        cdc_column_.reset();
        for (std::size_t i = 0; i < l.columns.size(); ++i)
            if (l.columns[i].path.empty() && l.columns[i].field == cdc_field) cdc_column_ = first_data_ + i;
    }

    configured_stream s_;
    bool cdc_soft_, unset_absent_;
    typed_coercer coercer_;
    coerced_record rec_;
    staging::column_list cols_;
    std::size_t first_data_ = 0;
    std::optional<std::size_t> cdc_column_;
};

}  // namespace

std::unique_ptr<stream_format> make_stream_format(const connector_config& cfg, const configured_stream& s, std::string& error) {
    if (cfg.format == table_format::raw) return make_raw_format(s);
    table_layout l;
    if (auto e = make_typed_layout(s, l)) {
        error = "stream " + s.name + ": " + *e;
        return nullptr;
    }
    return std::make_unique<typed_format>(cfg, s, std::move(l));
}

}  // namespace airbyte
