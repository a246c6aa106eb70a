// Reads one Airbyte message line in a single SAX pass: the fields the connector needs (type,
// record stream/namespace/emitted_at, state type and stream descriptor) and, re-serialised
// compactly with numbers kept exactly as written, the record's data and the state object. The
// data of a line without a backslash is taken as its own bytes (whitespace between tokens dropped),
// which is what re-serialising would give, without a Writer.
// No DOM is built, and the buffers are reused from line to line. A RECORD line written compactly
// without a backslash (the usual one) is read without a parser (scan_compact_record, compact_json),
// its data a slice of the scanner's copy of the line.
#pragma once

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "airbyte/compact_json.hpp"

namespace airbyte {

enum class message_type { record, state, other_known, unknown };

// A record's emitted_at (a JSON number's text) as milliseconds: an integer, or a number rounded to
// one; false beyond +-9.2e18 or when it is not a number.
bool parse_emitted_at_ms(std::string_view s, std::int64_t& out);

// A number too large for RapidJSON, kept as written (see message_scanner::scan).
struct big_number {
    std::size_t end;   // offset just past its placeholder in the rewritten line
    std::string text;
};

struct scanned_message {
    message_type type = message_type::unknown;
    std::string type_name;  // as written

    // RECORD
    std::string stream;
    std::optional<std::string> ns;  // absent or null: nullopt
    bool has_emitted_at = false;
    std::int64_t emitted_at_ms = 0;
    bool has_data = false;        // "data" present and not null
    bool data_is_object = false;
    std::string_view data_json;   // valid until the next scan
    // The record's "meta" object (e.g. the source's "changes"), compact; "" when absent or not an
    // object. Valid until the next scan.
    std::string_view meta_json;
    // When the scanner was asked for them and read the line without a parser: the data's members
    // as compact_json::split_members(data_json) gives them (data_split true). Valid until the next scan.
    bool data_split = false;
    std::span<const compact_json::member> data_members;

    // STATE
    std::string state_type;  // "STREAM", "GLOBAL", "LEGACY" (absent: LEGACY)
    std::string state_stream;
    std::optional<std::string> state_ns;
    bool has_state = false;
    std::string_view state_json;  // the state object without any destinationStats; valid until the next scan

    // TRACE (type other_known): its type and, for STREAM_STATUS, the status and the stream.
    std::string trace_type;
    std::string stream_status;  // STARTED, RUNNING, COMPLETE, INCOMPLETE
    std::string status_stream;
    std::optional<std::string> status_ns;
};

class message_scanner {
public:
    // fast_path false: every line goes through RapidJSON (the tests compare both ways).
    // data_members: a line read without a parser also gives the data's members (typed tables).
    explicit message_scanner(bool fast_path = true, bool data_members = false)
        : fast_path_(fast_path), data_members_(data_members) {}

    // False with a message (no line number) when the line is not one well-formed JSON object, or
    // repeats a key the connector reads.
    bool scan(std::string_view line, scanned_message& out, std::string& error);

private:
    // The fast path: a RECORD line written compactly without a backslash, read with
    // compact_json (no parser, no copy). False, having set nothing the parser would not set, for any
    // other line or anything the parser must judge (a repeated key, a field of the wrong kind).
    bool scan_compact_record(std::string_view line, scanned_message& m);

    bool rescan(const std::string& line, const std::vector<big_number>& big, scanned_message& m, std::string& error);
    void compact_data(std::string_view raw, std::size_t canonical_size);

    const std::vector<big_number>* big_ = nullptr;  // during rescan: the numbers swapped out
    rapidjson::StringBuffer data_buf_, state_buf_, meta_buf_;
    rapidjson::Writer<rapidjson::StringBuffer> data_w_, state_w_, meta_w_;
    std::vector<std::string> keys_;
    std::string line_;  // a copy of the line being scanned, parsed in place
    std::string data_text_;  // the record's data when taken from the line (no Writer)
    bool fast_path_ = true, data_members_ = false;
    std::vector<compact_json::member> members_;  // the fast path's
};

}  // namespace airbyte
