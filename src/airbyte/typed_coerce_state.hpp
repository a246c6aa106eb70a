// typed_coercer's state (typed_coerce.cpp: set-up and the values; typed_coerce_read.cpp: reading
// one record's data). Private to those two files.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "airbyte/compact_json.hpp"
#include "airbyte/typed_coerce.hpp"
#include "airbyte/typed_values.hpp"

namespace airbyte {

namespace coerce_detail {

struct string_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// What a top-level field of the data feeds.
struct field_info {
    int column = -1;   // its top-level column; -1: undeclared (to the additional properties)
    int capture = -1;  // its text is kept for a nested key or the cursor
    bool cdc = false;  // _ab_cdc_deleted_at
};

struct slot {
    cql::cql_value value;
    typed::fit status = typed::fit::ok;
    bool present = false;
};

using writer = rapidjson::Writer<rapidjson::StringBuffer>;

}  // namespace coerce_detail

struct typed_coercer::state {
    using field_info = coerce_detail::field_info;
    using slot = coerce_detail::slot;
    using writer = coerce_detail::writer;
    table_layout layout;
    std::optional<std::int64_t> sync_id;
    typed_write_options options;
    bool unset_absent = true;

    using field_map = std::unordered_map<std::string, field_info, coerce_detail::string_hash, std::equal_to<>>;
    field_map fields;
    // The previous record's top-level keys in order (nullptr: undeclared): records of one stream
    // mostly repeat their keys' order, so a key is first compared with the one at its place.
    std::vector<const field_map::value_type*> key_order;
    std::string plain_meta;  // _airbyte_meta without changes (the common case), made once
    std::vector<std::string> capture_fields;  // capture index -> top-level field
    std::vector<std::size_t> nested_keys;     // columns read from captures

    // Per record.
    std::vector<slot> slots;
    std::vector<rapidjson::StringBuffer> capture_bufs;
    std::vector<bool> captured;
    rapidjson::StringBuffer col_buf, extra_buf, meta_buf;
    writer col_w, extra_w, meta_w, cap_w;
    bool has_extra = false;
    bool cdc_deleted = false;
    std::string line;  // the data, parsed in place
    std::string nested_copy;  // a nested value's text re-read when it is not written as a Writer writes it
    std::string key_error;
    std::vector<compact_json::member> members;  // the fast path's (see read_compact)

    cql::cql_value absent() const { return unset_absent ? cql::cql_value::unset() : cql::cql_value::null(); }
    std::optional<std::string> run(const typed_record_input& in, coerced_record& out);
    void reset_record();
    bool read_compact(std::string_view data);
    void read_members(std::span<const compact_json::member> data);
    std::optional<std::string> finish(const typed_record_input& in, coerced_record& out);
    std::string_view write_meta(std::string_view source_meta, bool nulled);
};

}  // namespace airbyte
