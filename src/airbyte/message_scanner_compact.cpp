// message_scanner's fast path (see message_scanner.hpp): a RECORD line written compactly without a
// backslash, read with compact_json instead of the parser.
#include "airbyte/message_scanner.hpp"

namespace airbyte {

bool message_scanner::scan_compact_record(std::string_view line, scanned_message& m) {
    using compact_json::kind;
    // The message's members, the record's, and with data_members_ the data's (levels 3).
    if (!compact_json::split_members(line, members_, data_members_ ? 3 : 2)) return false;
    // The top level: "type" and "record" once each and nothing else (another member, such as a
    // "state" or "trace", is read by the parser).
    int type = -1, record = -1;
    for (std::size_t i = 0; i < members_.size(); ++i) {
        const auto& t = members_[i];
        if (t.parent != -1) continue;
        int* seen = t.key == "type" ? &type : t.key == "record" ? &record : nullptr;
        if (!seen || *seen != -1) return false;
        *seen = static_cast<int>(i);
    }
    if (type < 0 || record < 0) return false;
    const auto& t = members_[static_cast<std::size_t>(type)];
    if (t.k != kind::string || t.value != "RECORD" || members_[static_cast<std::size_t>(record)].k != kind::object) return false;
    // The record: stream, namespace, emitted_at and data at most once each, of their kinds; the
    // last "meta" counts, and only when it is an object.
    const compact_json::member *stream = nullptr, *ns = nullptr, *emitted = nullptr, *data = nullptr, *meta = nullptr;
    for (const auto& r : members_) {
        if (r.parent != record) continue;
        const compact_json::member** slot = r.key == "stream"       ? &stream
                                            : r.key == "namespace"  ? &ns
                                            : r.key == "emitted_at" ? &emitted
                                            : r.key == "data"       ? &data
                                                                    : nullptr;
        if (slot) {
            if (*slot) return false;
            *slot = &r;
        } else if (r.key == "meta") {
            meta = r.k == kind::object ? &r : nullptr;
        }
    }
    if (!stream || stream->k != kind::string || (ns && ns->k != kind::string && ns->k != kind::null) || !emitted ||
        emitted->k != kind::number || !data || data->k != kind::object)
        return false;
    std::int64_t ms = 0;
    if (!parse_emitted_at_ms(emitted->value, ms)) return false;
    m.type_name.assign("RECORD");
    m.type = message_type::record;
    m.stream.assign(stream->value);
    if (ns && ns->k == kind::string) m.ns.emplace(ns->value);
    m.has_emitted_at = true;
    m.emitted_at_ms = ms;
    m.has_data = m.data_is_object = true;
    m.data_json = data->value;  // compact already: what the Writer would write
    if (meta) m.meta_json = meta->value;
    if (data_members_) {  // the data's members follow its own entry (split_members' order)
        const auto at = static_cast<std::size_t>(data - members_.data());
        std::size_t n = 0;
        while (at + 1 + n < members_.size() && members_[at + 1 + n].parent == static_cast<int>(at)) ++n;
        m.data_split = true;
        m.data_members = std::span<const compact_json::member>(members_.data() + at + 1, n);
    }
    return true;
}

}  // namespace airbyte
