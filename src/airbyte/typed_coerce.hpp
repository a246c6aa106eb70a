// The hot path of typed tables: one record's data (the scanner's compact text, numbers exactly as
// written) to the bound values of its INSERT (typed_table.hpp), in one SAX pass without a DOM.
//
// Per column (see the type table in typed_table.hpp):
//   boolean   true/false; anything else NULLED
//   bigint    an integral number ("7", "7.0", "7e2"); a fraction or a string NULLED
//             (DESTINATION_SERIALIZATION_ERROR), beyond int64 NULLED (DESTINATION_FIELD_SIZE_LIMITATION)
//   decimal   a number, exact from its text (1e400, 12345678901234567890.5); a string NULLED
//   text      a string as it is; another value as its compact JSON
//   json      (text) the value's compact JSON, a string with its quotes
//   date      "2024-01-31" (a date-time's date as written); timestamp: an ISO-8601 date-time with
//             or without zone and fraction, to UTC ms; time: "hh:mm[:ss[.f]]" with an optional zone,
//             to ns since midnight UTC. Unparsable: SERIALIZATION_ERROR; a year outside 1..9999:
//             FIELD_SIZE_LIMITATION
// A NULLED value adds {"field":<property>,"change":"NULLED","reason":...} to _airbyte_meta.changes,
// after the changes the source reported in the record's meta.changes. A field the data lacks, or
// null, is bound unset (no tombstone is written; null when unset_absent is false).
// Top-level fields the schema does not declare go, as one compact JSON object, to
// _airbyte_additional_properties (unset/null when there are none).
// Primary key columns never become null: a key missing, null or not fitting its column fails the
// record with the raw tables' messages (a bigint key also takes an integer written as a string;
// a decimal key is canonical, so 1.50 and 1.5 are the same key). Nested key paths and the cursor
// are read exactly as the raw dedup tables read them (key_value, order_key).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "airbyte/compact_json.hpp"
#include "airbyte/typed_table.hpp"
#include "cql/result.hpp"

namespace airbyte {

struct typed_record_input {
    std::string_view data_json;  // scanned_message::data_json
    // scanned_message::data_split and data_members: the members of data_json already split (then
    // read from here, not split again).
    bool data_split = false;
    std::span<const compact_json::member> data_members;
    std::string_view meta_json;  // scanned_message::meta_json: the record's "meta" object, "" for none
    cql::uuid_bytes raw_id{};
    std::int64_t emitted_at_ms = 0;
    std::int64_t generation_id = 0;
    std::int64_t write_timestamp = 0;   // bound with typed_write_options::timestamp
    std::int32_t ttl_seconds = 0;       // bound with typed_write_options::ttl
};

struct coerced_record {
    std::vector<cql::cql_value> values;         // the INSERT's, in its bind order
    std::vector<cql::cql_value> delete_values;  // dedup: dedup_write_timestamp, the key values, the order
    bool cdc_deleted = false;                   // data._ab_cdc_deleted_at is present and not null
    std::size_t nulled = 0;                     // values this record lost (changes added to the meta)
};

class typed_coercer {
public:
    typed_coercer(table_layout layout, std::optional<std::int64_t> sync_id, typed_write_options options = {},
                  bool unset_absent = true);
    ~typed_coercer();
    typed_coercer(typed_coercer&&) noexcept;
    typed_coercer& operator=(typed_coercer&&) noexcept;

    // An error message when the data is not a JSON object or a key cannot be written.
    std::optional<std::string> coerce(const typed_record_input& in, coerced_record& out);
    const table_layout& layout() const noexcept;

    struct state;  // the implementation, in typed_coerce.cpp

private:
    std::unique_ptr<state> s_;
};

}  // namespace airbyte
