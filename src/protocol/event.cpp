// EVENT body decoding (spec section 4.2.6) and the schema change body it shares with RESULT Schema_change.
#include "protocol/response_detail.hpp"
#include "protocol/responses.hpp"

namespace cql::protocol {
namespace {

template <class Enum>
struct name_entry {
    std::string_view name;
    Enum value;
};

// Looks a wire string up; an unknown one fails the reader with unknown_event.
template <class Enum, std::size_t N>
Enum lookup(byte_reader& r, std::string_view s, const name_entry<Enum> (&table)[N]) noexcept {
    for (const auto& e : table)
        if (e.name == s) return e.value;
    if (r.ok()) r.fail(errc::unknown_event);
    return table[0].value;
}

constexpr name_entry<schema_change_type> change_types[] = {
    {"CREATED", schema_change_type::created},
    {"UPDATED", schema_change_type::updated},
    {"DROPPED", schema_change_type::dropped},
};

constexpr name_entry<schema_change_target> targets[] = {
    {"KEYSPACE", schema_change_target::keyspace}, {"TABLE", schema_change_target::table},
    {"TYPE", schema_change_target::type},         {"FUNCTION", schema_change_target::function},
    {"AGGREGATE", schema_change_target::aggregate},
};

constexpr name_entry<topology_change> topology_changes[] = {
    {"NEW_NODE", topology_change::new_node},
    {"REMOVED_NODE", topology_change::removed_node},
    {"MOVED_NODE", topology_change::moved_node},
};

constexpr name_entry<status_change> status_changes[] = {
    {"UP", status_change::up},
    {"DOWN", status_change::down},
};

}  // namespace

schema_change_event read_schema_change(byte_reader& r, protocol_version v) {
    schema_change_event e;
    e.change_type = lookup(r, r.string(), change_types);
    e.target = lookup(r, r.string(), targets);
    if (!r.ok()) return {};
    const bool is_function = e.target == schema_change_target::function || e.target == schema_change_target::aggregate;
    if (is_function && v == protocol_version::v3) {
        r.fail(errc::unsupported_by_version);
        return {};
    }
    e.keyspace = std::string(r.string());
    if (e.target != schema_change_target::keyspace) e.name = std::string(r.string());
    if (is_function) e.arg_types = detail::to_strings(r.string_list());
    if (!r.ok()) return {};
    return e;
}

std::error_code decode_event(bytes_view body, protocol_version v, event& out) {
    byte_reader r(body);
    const auto type = r.string();
    event ev;
    if (type == "TOPOLOGY_CHANGE") {
        topology_change_event t;
        t.change = lookup(r, r.string(), topology_changes);
        t.address = r.inet();
        ev = t;
    } else if (type == "STATUS_CHANGE") {
        status_change_event s;
        s.change = lookup(r, r.string(), status_changes);
        s.address = r.inet();
        ev = s;
    } else if (type == "SCHEMA_CHANGE") {
        ev = read_schema_change(r, v);
    } else if (r.ok()) {
        r.fail(errc::unknown_event);
    }
    if (auto ec = r.finish()) return ec;
    out = std::move(ev);
    return {};
}

}  // namespace cql::protocol
