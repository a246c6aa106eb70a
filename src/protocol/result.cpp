// RESULT body decoding (spec section 4.2.5): Void, Rows (metadata and raw cells), Set_keyspace,
// Prepared (bind and result metadata) and Schema_change.
#include "protocol/response_detail.hpp"
#include "protocol/responses.hpp"

namespace cql::protocol {
namespace {

using detail::to_vector;

enum result_kind : std::int32_t { kind_void = 1, kind_rows = 2, kind_set_keyspace = 3, kind_prepared = 4,
                                  kind_schema_change = 5 };

// <global_table_spec>?<col_spec_1>...<col_spec_n>; the global keyspace and table are copied into
// every column so that callers never need to know which form was sent.
std::vector<column_spec> read_column_specs(byte_reader& r, protocol_version v, bool global, std::int32_t count) {
    std::vector<column_spec> out;
    std::string ks, table;
    if (global) {
        ks = std::string(r.string());
        table = std::string(r.string());
    }
    // A spec takes at least a name and a type id (2 + 2 bytes), plus 2 + 2 without the global spec.
    out.reserve(r.reserve_hint(static_cast<std::size_t>(count), global ? 4 : 8));
    for (std::int32_t i = 0; i < count && r.ok(); ++i) {
        column_spec c;
        if (global) {
            c.keyspace = ks;
            c.table = table;
        } else {
            c.keyspace = std::string(r.string());
            c.table = std::string(r.string());
        }
        c.name = std::string(r.string());
        c.type = read_type(r, v);
        out.push_back(std::move(c));
    }
    if (!r.ok()) out.clear();
    return out;
}

// <rows_count><rows_content>: every cell is kept as an offset into one owned copy of the content.
std::error_code read_rows_content(byte_reader& r, rows_result& out) {
    out.row_count = r.i32();
    if (!r.ok()) return r.error();
    if (out.row_count < 0) return make_error_code(errc::invalid_length);
    const std::uint64_t cell_count =
        static_cast<std::uint64_t>(out.row_count) * static_cast<std::uint64_t>(out.metadata.column_count);
    // Each cell takes at least its 4-byte length: refuse before reserving anything.
    if (cell_count > r.remaining() / 4) return make_error_code(errc::truncated);

    const bytes_view content = r.rest();
    byte_reader cr(content);
    out.cells.reserve(static_cast<std::size_t>(cell_count));
    for (std::uint64_t i = 0; i < cell_count && cr.ok(); ++i) {
        const std::size_t at = cr.position() + 4;
        const value_view val = cr.bytes();
        if (val.is_null()) out.cells.push_back({static_cast<std::int32_t>(at - 4), -1});
        else out.cells.push_back({static_cast<std::int32_t>(at), static_cast<std::int32_t>(val.data.size())});
    }
    if (auto ec = cr.finish()) return ec;
    out.storage.assign(content.begin(), content.end());
    return {};
}

// v3 sends the bind metadata in the rows metadata format; v4 (and v5) replace the optional paging state with
// the partition key indexes.
prepared_metadata read_prepared_metadata(byte_reader& r, protocol_version v) {
    prepared_metadata m;
    if (v == protocol_version::v3) {
        rows_metadata rm = read_rows_metadata(r, v);
        m.flags = rm.flags;
        m.column_count = rm.column_count;
        m.columns = std::move(rm.columns);
        return m;
    }
    m.flags = r.i32();
    m.column_count = r.i32();
    const std::int32_t pk_count = r.i32();
    if (!r.ok()) return {};
    if (m.column_count < 0 || pk_count < 0) {
        r.fail(errc::invalid_length);
        return {};
    }
    m.pk_indexes.reserve(r.reserve_hint(static_cast<std::size_t>(pk_count), 2));
    for (std::int32_t i = 0; i < pk_count && r.ok(); ++i) {
        const std::uint16_t idx = r.u16();
        // Routing indexes the bind values with it: an index past the markers would read out of bounds.
        if (r.ok() && idx >= m.column_count) r.fail(errc::invalid_value);
        m.pk_indexes.push_back(idx);
    }
    m.columns = read_column_specs(r, v, (m.flags & rows_flag::global_tables_spec) != 0, m.column_count);
    if (!r.ok()) return {};
    return m;
}

std::error_code read_prepared(byte_reader& r, protocol_version v, prepared_result& out) {
    out.id = to_vector(r.short_bytes());
    if (v >= protocol_version::v5) out.result_metadata_id = to_vector(r.short_bytes());
    out.metadata = read_prepared_metadata(r, v);
    out.result_metadata = read_rows_metadata(r, v);
    return r.error();
}

}  // namespace

rows_metadata read_rows_metadata(byte_reader& r, protocol_version v) {
    rows_metadata m;
    m.flags = r.i32();
    m.column_count = r.i32();
    if (!r.ok()) return {};
    if (m.column_count < 0) {
        r.fail(errc::invalid_length);
        return {};
    }
    if ((m.flags & rows_flag::metadata_changed) && v < protocol_version::v5) {
        r.fail(errc::unsupported_by_version);
        return {};
    }
    if (m.flags & rows_flag::has_more_pages) {
        // A null state cannot be sent back, so it is taken as "no further page", as other drivers do.
        const value_view state = r.bytes();
        if (!state.is_null()) m.paging_state = to_vector(state.data);
    }
    if (m.flags & rows_flag::metadata_changed) m.new_metadata_id = to_vector(r.short_bytes());
    m.no_metadata = (m.flags & rows_flag::no_metadata) != 0;
    if (!m.no_metadata)
        m.columns = read_column_specs(r, v, (m.flags & rows_flag::global_tables_spec) != 0, m.column_count);
    if (!r.ok()) return {};
    return m;
}

value_view rows_result::cell(std::size_t row, std::size_t col) const noexcept {
    const std::size_t n = column_count();
    if (col >= n || row_count < 0 || row >= static_cast<std::size_t>(row_count)) return value_view::null_value();
    const std::size_t idx = row * n + col;
    if (idx >= cells.size()) return value_view::null_value();
    const cell_ref& c = cells[idx];
    if (c.length < 0 || c.offset < 0) return value_view::null_value();
    const auto off = static_cast<std::size_t>(c.offset);
    const auto len = static_cast<std::size_t>(c.length);
    if (off > storage.size() || len > storage.size() - off) return value_view::null_value();
    return value_view::of(bytes_view(storage).subspan(off, len));
}

std::error_code decode_result(bytes_view body, protocol_version v, result& out) {
    byte_reader r(body);
    const std::int32_t kind = r.i32();
    if (!r.ok()) return r.error();
    result res;
    switch (kind) {
    case kind_void: res = void_result{}; break;
    case kind_rows: {
        rows_result rows;
        rows.metadata = read_rows_metadata(r, v);
        if (!r.ok()) return r.error();
        if (auto ec = read_rows_content(r, rows)) return ec;
        res = std::move(rows);
        break;
    }
    case kind_set_keyspace: res = set_keyspace_result{std::string(r.string())}; break;
    case kind_prepared: {
        prepared_result p;
        if (auto ec = read_prepared(r, v, p)) return ec;
        res = std::move(p);
        break;
    }
    case kind_schema_change: res = read_schema_change(r, v); break;
    default: return make_error_code(errc::unknown_result_kind);
    }
    if (auto ec = r.finish()) return ec;
    out = std::move(res);
    return {};
}

}  // namespace cql::protocol
