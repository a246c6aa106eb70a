// Statement encoding independent of connections (see encode_request.hpp).
#include "cql/detail/encode_request.hpp"

#include <algorithm>

#include "cql/detail/prepared_info.hpp"
#include "cql/detail/routing_key.hpp"

namespace cql::detail {

namespace {

// About how many bytes a value takes as a [value] cell: enough to size a buffer once.
std::size_t cell_size_hint(const protocol::cql_value& val) {
    if (const auto* s = std::get_if<std::string>(&val.v)) return 4 + s->size();
    if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&val.v)) return 4 + b->size();
    return 4 + 16;
}

// type_of(i) and value_of(i) give the n values to serialize.
template <class TypeOf, class ValueOf>
std::error_code serialize(std::size_t n, TypeOf type_of, ValueOf value_of, protocol::protocol_version v,
                          encoded_values& out, std::string& why) {
    std::size_t hint = 0;
    for (std::size_t i = 0; i < n; ++i) hint += cell_size_hint(value_of(i));
    out.buf.clear();
    reserve_reused(out.buf, hint);  // one allocation, not one per growth
    out.views.clear();
    protocol::byte_writer bw(out.buf);
    thread_local std::vector<std::size_t> starts;
    starts.clear();
    for (std::size_t i = 0; i < n; ++i) {
        starts.push_back(out.buf.size());
        const protocol::data_type& type = type_of(i);
        if (auto ec = protocol::encode_value(bw, type, value_of(i), v)) {
            why = "value " + std::to_string(i) + " does not fit its type " + type.to_cql();
            return ec;
        }
    }
    // Views only once every value is written: the buffer no longer moves.
    reserve_reused(out.views, n);
    for (auto at : starts) {  // each cell as encode_value wrote it: [int] length (-1 null, -2 unset), bytes
        const std::uint8_t* cell = out.buf.data() + at;
        const auto len = static_cast<std::int32_t>(protocol::load_be32(cell));
        if (len == -1) out.views.push_back(protocol::value_view::null_value());
        else if (len == -2) out.views.push_back(protocol::value_view::unset_value());
        else out.views.push_back(protocol::value_view::of({cell + 4, static_cast<std::size_t>(len)}));
    }
    return {};
}

}  // namespace

std::error_code serialize_values(const statement& st, protocol::protocol_version v, encoded_values& out,
                                 std::string& why) {
    return serialize(
        st.values.size(), [&](std::size_t i) -> const protocol::data_type& { return st.values[i].first; },
        [&](std::size_t i) -> const protocol::cql_value& { return st.values[i].second; }, v, out, why);
}

std::error_code serialize_values(const bound_statement& st, protocol::protocol_version v, encoded_values& out,
                                 std::string& why) {
    const auto& vars = st.prepared.variables();
    if (st.values.size() != vars.size()) {
        why = "the statement has " + std::to_string(vars.size()) + " bind markers but " +
              std::to_string(st.values.size()) + " values were given";
        return make_error_code(protocol::errc::invalid_value);
    }
    return serialize(
        vars.size(), [&](std::size_t i) -> const protocol::data_type& { return vars[i].type; },
        [&](std::size_t i) -> const protocol::cql_value& { return st.values[i]; }, v, out, why);
}

frame_extras extras_of(const statement_options& o) {
    frame_extras e;
    if (o.tracing) e.flags |= protocol::frame_flag::tracing;
    if (!o.custom_payload.empty()) {
        e.flags |= protocol::frame_flag::custom_payload;
        e.payload.reserve(o.custom_payload.size());
        for (const auto& [key, value] : o.custom_payload) e.payload.emplace_back(key, protocol::value_view::of(value));
    }
    return e;
}

std::error_code encode_batch(const batch& b, protocol::consistency default_cl, std::optional<std::int64_t> timestamp,
                             protocol::protocol_version v, batch_scratch& s, std::vector<std::uint8_t>& out,
                             std::string& why) {
    out.clear();
    if (b.entries.empty()) {
        why = "the batch has no statements";
        return make_error_code(protocol::errc::invalid_value);
    }
    if (s.encoded_for != v) {
        s.entries.resize(b.entries.size());
        s.value_bytes = 0;
        for (std::size_t i = 0; i < b.entries.size(); ++i) {
            std::error_code ec;
            if (const auto* bound = std::get_if<bound_statement>(&b.entries[i])) {
                if (!bound->prepared.valid()) {
                    why = "batch entry " + std::to_string(i) + ": the bound statement was not prepared";
                    return make_error_code(protocol::errc::invalid_value);
                }
                ec = serialize_values(*bound, v, s.entries[i], why);
            } else {
                ec = serialize_values(std::get<statement>(b.entries[i]), v, s.entries[i], why);
            }
            if (ec) {
                why = "batch entry " + std::to_string(i) + ": " + why;
                s.encoded_for.reset();
                return ec;
            }
            s.value_bytes += s.entries[i].buf.size();
        }
        s.encoded_for = v;
    }
    s.statements.clear();
    s.statements.reserve(b.entries.size());
    std::size_t text_bytes = 0;
    for (std::size_t i = 0; i < b.entries.size(); ++i) {
        protocol::batch_statement bs;
        if (const auto* bound = std::get_if<bound_statement>(&b.entries[i])) {
            bs.is_prepared = true;
            bs.id = bound->prepared.info()->id;
        } else {
            bs.query = std::get<statement>(b.entries[i]).query;
        }
        text_bytes += bs.query.size() + bs.id.size() + 8;
        bs.values = s.entries[i].views;
        s.statements.push_back(bs);
    }
    protocol::batch_request req;
    req.type = static_cast<protocol::batch_type>(b.type);
    req.statements = s.statements;
    req.cl = b.options.consistency.value_or(default_cl);
    req.serial_consistency = b.options.serial_consistency;
    req.default_timestamp = b.options.timestamp ? b.options.timestamp : timestamp;
    const auto extras = extras_of(b.options);
    out.reserve(s.value_bytes + text_bytes + 64);
    auto ec = protocol::encode_request(out, v, 0, req, nullptr, extras.flags, extras.payload);
    if (ec) why = "the batch cannot be encoded: " + ec.message();
    if (ec || s.value_bytes > 64 * 1024) {
        // Big values: the frame is enough of a copy while the batch is in flight; a retry encodes
        // them again.
        s = batch_scratch{};
    }
    return ec;
}

std::optional<std::int64_t> bound_routing_token(const bound_statement& st, protocol::protocol_version v) {
    if (!st.prepared.valid()) return std::nullopt;
    const auto& info = *st.prepared.info();
    if (info.pk_indexes.empty() || st.values.size() != info.variables.size()) return std::nullopt;
    // Scratch space of the calling thread, reused from call to call (no allocation per statement).
    thread_local std::vector<std::uint8_t> buf, scratch;
    thread_local std::vector<std::size_t> starts;
    thread_local std::vector<protocol::bytes_view> parts;
    buf.clear();
    starts.clear();
    parts.clear();
    protocol::byte_writer bw(buf);
    for (auto i : info.pk_indexes) {
        starts.push_back(buf.size());
        if (i >= info.variables.size() || protocol::encode_value(bw, info.variables[i].type, st.values[i], v))
            return std::nullopt;
    }
    for (auto at : starts) {
        protocol::byte_reader r({buf.data() + at, buf.size() - at});
        auto val = r.value();
        if (val.state != protocol::value_view::kind::present) return std::nullopt;
        parts.push_back(val.data);
    }
    std::int64_t token = 0;
    if (routing_token(parts, scratch, token)) return std::nullopt;
    return token;
}

batch_route route_of(const batch& b, protocol::protocol_version v) {
    for (const auto& e : b.entries) {
        const auto* bound = std::get_if<bound_statement>(&e);
        if (!bound || !bound->prepared.valid()) continue;
        batch_route r{bound->prepared.info()->keyspace, bound_routing_token(*bound, v)};
        if (r.token) return r;
    }
    return {};
}

std::vector<const prepared_info*> prepared_entries(const batch& b) {
    std::vector<const prepared_info*> out;
    for (const auto& e : b.entries) {
        const auto* bound = std::get_if<bound_statement>(&e);
        if (!bound || !bound->prepared.valid()) continue;
        const prepared_info* info = bound->prepared.info().get();
        if (std::find_if(out.begin(), out.end(), [&](const prepared_info* p) { return p->id == info->id; }) == out.end())
            out.push_back(info);
    }
    return out;
}

}  // namespace cql::detail
