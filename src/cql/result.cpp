// Rows with typed access; prepared statement accessors.
#include "cql/result.hpp"

#include "cql/detail/prepared_info.hpp"
#include "cql/statement.hpp"

namespace cql {

result::result(protocol::rows_result rows, protocol::protocol_version v)
    : rows_(std::move(rows)), version_(v), has_rows_(true) {}

int result::column_index(std::string_view name) const noexcept {
    const auto& cols = rows_.metadata.columns;
    for (std::size_t i = 0; i < cols.size(); ++i)
        if (cols[i].name == name) return static_cast<int>(i);
    return -1;
}

cql_value result::value(std::size_t row, std::size_t col, std::error_code& ec) const {
    ec.clear();
    cql_value out;
    if (row >= size() || col >= rows_.metadata.columns.size()) {
        ec = make_error_code(protocol::errc::invalid_value);
        return out;
    }
    auto cell = rows_.cell(row, col);
    if (cell.is_null()) return out;
    ec = protocol::decode_cell(cell.data, rows_.metadata.columns[col].type, version_, out);
    return out;
}

namespace {

template <class T>
std::optional<T> typed(const result& r, std::size_t row, std::size_t col) {
    std::error_code ec;
    auto v = r.value(row, col, ec);
    if (ec) return std::nullopt;
    if (const auto* p = v.get_if<T>()) return *p;
    return std::nullopt;
}

}  // namespace

std::optional<std::string> result::get_text(std::size_t row, std::size_t col) const { return typed<std::string>(*this, row, col); }
std::optional<std::int32_t> result::get_int32(std::size_t row, std::size_t col) const { return typed<std::int32_t>(*this, row, col); }
std::optional<bool> result::get_bool(std::size_t row, std::size_t col) const { return typed<bool>(*this, row, col); }
std::optional<double> result::get_double(std::size_t row, std::size_t col) const { return typed<double>(*this, row, col); }
std::optional<protocol::uuid_bytes> result::get_uuid(std::size_t row, std::size_t col) const {
    return typed<protocol::uuid_bytes>(*this, row, col);
}
std::optional<std::int64_t> result::get_int64(std::size_t row, std::size_t col) const {
    std::error_code ec;
    auto v = value(row, col, ec);
    if (ec) return std::nullopt;
    if (const auto* p = v.get_if<std::int64_t>()) return *p;
    if (const auto* t = v.get_if<protocol::cql_time>()) return t->nanos;
    return std::nullopt;
}

std::optional<cql_list> result::get_vector(std::size_t row, std::size_t col) const {
    if (col >= rows_.metadata.columns.size() || rows_.metadata.columns[col].type.id != type_id::vector) return std::nullopt;
    return typed<cql_list>(*this, row, col);
}

std::optional<std::vector<float>> result::get_float_vector(std::size_t row, std::size_t col) const {
    if (col >= rows_.metadata.columns.size()) return std::nullopt;
    const data_type& t = rows_.metadata.columns[col].type;
    if (t.id != type_id::vector || t.children.size() != 1 || t.children[0].id != type_id::float_) return std::nullopt;
    auto elems = get_vector(row, col);
    if (!elems) return std::nullopt;
    std::vector<float> out;
    out.reserve(elems->size());
    for (const auto& e : *elems) {
        const float* f = e.get_if<float>();
        if (!f) return std::nullopt;
        out.push_back(*f);
    }
    return out;
}

const std::string& prepared_statement::query() const { return info_->query; }
const std::vector<protocol::column_spec>& prepared_statement::variables() const { return info_->variables; }
const std::vector<std::uint16_t>& prepared_statement::partition_key_indexes() const { return info_->pk_indexes; }

}  // namespace cql
