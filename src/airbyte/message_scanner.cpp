#include "airbyte/message_scanner.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/reader.h>

#include <charconv>
#include <cstring>
#include <cmath>

#include "airbyte/json.hpp"
#include "cql/text.hpp"

namespace airbyte {

// Declared in message_scanner.hpp.
bool parse_emitted_at_ms(std::string_view s, std::int64_t& out) {
    auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
    double d = 0;
    auto rd = std::from_chars(s.data(), s.data() + s.size(), d);
    if (rd.ec != std::errc() || rd.ptr != s.data() + s.size() || !std::isfinite(d) || std::fabs(d) > 9.2e18) return false;
    out = std::llround(d);
    return true;
}

namespace {

// UTF-8 is checked before parsing, over the whole line (cql::valid_utf8_prefix, eight bytes at a
// time): RapidJSON's own check goes byte by byte and turns off its SIMD string scanning.
constexpr unsigned scan_flags = (strict_parse_flags & ~unsigned(rapidjson::kParseValidateEncodingFlag)) |
                                rapidjson::kParseNumbersAsStringsFlag | rapidjson::kParseInsituFlag;

// A UTF-16 surrogate (U+D800..U+DFFF) encoded as UTF-8 (ED A0..BF xx): what RapidJSON makes of a
// lone "\\udXXX" escape. It is not valid UTF-8, so Cassandra's text could not hold it faithfully.
bool has_surrogate(const char* s, std::size_t len) {
    const char* end = s + len;
    for (const char* p = s; (p = static_cast<const char*>(std::memchr(p, '\xED', static_cast<std::size_t>(end - p))));) {
        if (p + 1 < end && static_cast<unsigned char>(p[1]) >= 0xA0) return true;
        ++p;
    }
    return false;
}

// The SAX handler. depth_ counts open containers; keys[i] is the key being read in container i
// (arrays use "#"). A value at depth d sits at path keys[0..d-1].
struct handler {
    scanned_message& m;
    std::vector<std::string>& keys;
    rapidjson::Writer<rapidjson::StringBuffer>& data_w;
    rapidjson::Writer<rapidjson::StringBuffer>& state_w;
    rapidjson::Writer<rapidjson::StringBuffer>& meta_w;
    std::string& error;
    // During a rescan (see scan()): the numbers RapidJSON cannot hold, each with the offset just
    // past the placeholder string that stands for it, and where the line being parsed starts.
    const std::vector<big_number>* big_numbers = nullptr;
    const char* line_start = nullptr;
    std::size_t next_big = 0;
    std::size_t depth = 0;
    unsigned seen_top = 0, seen_record = 0, seen_state = 0;
    bool root_object = false;
    // What keys[0] and keys[1] are, kept as they change: the tests every value makes.
    bool top_record = false, top_state = false, second_data = false, second_stats = false, second_meta = false;
    bool has_meta = false;
    // False when the line has no "\u" escape: then no string can decode to a surrogate (the line
    // is valid UTF-8, which has none), and no string needs looking at for one.
    bool may_have_surrogates = true;
    rapidjson::StringBuffer* meta_buf = nullptr;
    // The record's data is not re-serialised on the first pass (data_text false): the handler
    // counts the bytes the Writer would write (canon) and notes where the object stands in the
    // line; scan() takes those bytes as they are when they are exactly what the Writer would write.
    bool data_text = true;
    rapidjson::InsituStringStream* in = nullptr;
    std::size_t canon = 0, data_begin = 0, data_end = 0;

    bool k(std::size_t i, const char* s) const { return keys[i] == s; }
    void set_key(std::size_t i, std::string_view key) {
        // "" (an object's first key is not read yet) and "#" (array) without assign(const char*):
        // GCC 12 warns falsely (-Wrestrict) on that when inlined here.
        if (key.empty()) keys[i].clear();
        else if (key == "#") keys[i].assign(1, '#');
        else keys[i].assign(key);
        if (i == 0) {
            top_record = key == "record";
            top_state = key == "state";
        } else if (i == 1) {
            second_data = key == "data";
            second_stats = key == "destinationStats";
            second_meta = key == "meta";
            if (second_meta && top_record) has_meta = false;  // set again if this one is an object
        }
    }
    bool surrogate(const char* s, std::size_t len) const { return may_have_surrogates && has_surrogate(s, len); }
    // Parsed in place, a string's text starts where it stood in the line: the placeholder "#" that
    // ends at big.end has its one character at big.end - 2.
    bool is_placeholder(const char* s, std::size_t len) const {
        return big_numbers && next_big < big_numbers->size() && len == 1 &&
               static_cast<std::size_t>(s - line_start) + 2 == (*big_numbers)[next_big].end;
    }
    bool in_data(std::size_t len) const { return len >= 2 && top_record && second_data; }
    bool in_state(std::size_t len) const { return len >= 1 && top_state && !(len >= 2 && second_stats); }
    bool in_meta(std::size_t len) const { return len >= 2 && top_record && second_meta && has_meta; }

    template <class F>
    void forward(std::size_t len, F&& f) {
        if (in_data(len)) {
            if (data_text) f(data_w);
        }
        else if (in_state(len)) f(state_w);
        else if (in_meta(len)) f(meta_w);
    }

    bool fail(std::string msg) {
        error = std::move(msg);
        return false;
    }

    // A value of the wrong kind (what: "a number", ...) where the connector reads a string, or a
    // string where it reads a number: refused, naming the field.
    bool wrong_kind(const char* what) {
        const std::size_t d = depth;
        if (d == 0 || d > 2) return true;  // every field checked here sits at depth 1 or 2
        const std::string_view kind = what;
        const std::string got = std::string(", not ") + what;
        if (kind != "a string") {
            if (d == 1 && k(0, "type")) return fail("\"type\" must be a string" + got);
            if (d == 2 && k(0, "state") && k(1, "type")) return fail("state.type must be a string" + got);
            if (d == 2 && k(0, "record") && (k(1, "stream") || k(1, "namespace")))
                return fail("record." + keys[1] + " must be a string" + got);
        }
        if (kind != "a number" && d == 2 && k(0, "record") && k(1, "emitted_at"))
            return fail("record.emitted_at must be a number of milliseconds" + got);
        return true;
    }

    // A scalar value at the current depth.
    bool scalar_string(std::string_view s) {
        const std::size_t d = depth;
        if (d > 4 || (d > 2 && top_record)) return true;  // e.g. inside a record's data: nothing read there
        if (!wrong_kind("a string")) return false;
        if (d == 1 && k(0, "type")) m.type_name.assign(s);
        else if (d == 2 && k(0, "record") && k(1, "stream")) m.stream.assign(s);
        else if (d == 2 && k(0, "record") && k(1, "namespace")) m.ns.emplace(s);
        else if (d == 2 && k(0, "record") && k(1, "data")) m.has_data = true;
        else if (d == 2 && k(0, "state") && k(1, "type")) m.state_type.assign(s);
        else if (d == 4 && k(0, "state") && k(1, "stream") && k(2, "stream_descriptor") && k(3, "name")) m.state_stream.assign(s);
        else if (d == 4 && k(0, "state") && k(1, "stream") && k(2, "stream_descriptor") && k(3, "namespace")) m.state_ns.emplace(s);
        else if (d == 2 && k(0, "trace") && k(1, "type")) m.trace_type.assign(s);
        else if (d == 3 && k(0, "trace") && k(1, "stream_status") && k(2, "status")) m.stream_status.assign(s);
        else if (d == 4 && k(0, "trace") && k(1, "stream_status") && k(2, "stream_descriptor") && k(3, "name")) m.status_stream.assign(s);
        else if (d == 4 && k(0, "trace") && k(1, "stream_status") && k(2, "stream_descriptor") && k(3, "namespace"))
            m.status_ns.emplace(s);
        return true;
    }
    void scalar_other() {
        if (depth == 2 && top_record && second_data) m.has_data = true;
    }

    void count(std::size_t len, std::size_t bytes) {
        if (!data_text && in_data(len)) canon += bytes;
    }

    bool Null() {
        count(depth, 4);
        forward(depth, [](auto& w) { w.Null(); });
        return true;
    }
    bool Bool(bool b) {
        if (!wrong_kind("a boolean")) return false;
        scalar_other();
        count(depth, b ? 4 : 5);
        forward(depth, [b](auto& w) { w.Bool(b); });
        return true;
    }
    bool Int(int) { return true; }  // not called: numbers arrive as RawNumber
    bool Uint(unsigned) { return true; }
    bool Int64(std::int64_t) { return true; }
    bool Uint64(std::uint64_t) { return true; }
    bool Double(double) { return true; }
    bool RawNumber(const char* s, rapidjson::SizeType len, bool) {
        if (!wrong_kind("a number")) return false;
        if (depth == 2 && k(0, "record") && k(1, "emitted_at")) {
            if (!parse_emitted_at_ms(std::string_view(s, len), m.emitted_at_ms))
                return fail("record.emitted_at is not a number of milliseconds: " + std::string(s, len));
            m.has_emitted_at = true;
        }
        scalar_other();
        count(depth, len);
        // RawValue, not RawNumber: RapidJSON 1.1 writes a RawNumber as a string.
        forward(depth, [&](auto& w) { w.RawValue(s, len, rapidjson::kNumberType); });
        return true;
    }
    bool String(const char* s, rapidjson::SizeType len, bool) {
        // A placeholder is recognised by where it ends, never by its text: a source's string
        // that looks the same stays a string.
        if (is_placeholder(s, len)) {
            const auto& raw = (*big_numbers)[next_big++].text;
            return RawNumber(raw.data(), static_cast<rapidjson::SizeType>(raw.size()), true);
        }
        if (surrogate(s, len)) return fail("a string holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair)");
        if (!scalar_string(std::string_view(s, len))) return false;
        count(depth, len + 2);
        forward(depth, [&](auto& w) { w.String(s, len, true); });
        return true;
    }
    bool open(bool object) {
        const std::size_t d = depth;
        if (!wrong_kind(object ? "an object" : "an array")) return false;
        if (d == 2 && k(0, "record") && k(1, "data")) {
            m.has_data = true;
            m.data_is_object = object;
            canon = 0;  // a repeated "data" is refused, but count from its start anyway
            // The iterative parser takes a bracket after its handler call: Tell() is at it.
            if (in) data_begin = in->Tell();
        }
        count(d, 1);
        if (d == 1 && k(0, "state") && object) m.has_state = true;
        if (d == 2 && k(0, "record") && k(1, "meta") && object) {
            has_meta = true;  // a repeated "meta": the last one counts
            meta_w.Reset(*meta_buf);
            meta_buf->Clear();
        }
        if (d == 0 && !object) return fail("a message must be a JSON object, not an array");
        if (d == 0) root_object = true;
        forward(d, [object](auto& w) { object ? w.StartObject() : w.StartArray(); });
        ++depth;
        if (keys.size() < depth) keys.resize(depth);
        if (depth <= 2 || !top_record) set_key(depth - 1, object ? "" : "#");  // (see Key)
        return true;
    }
    bool StartObject() { return open(true); }
    bool StartArray() { return open(false); }
    bool Key(const char* s, rapidjson::SizeType len, bool) {
        if (is_placeholder(s, len))
            return fail("malformed JSON: a number where an object key must be");
        std::string_view key(s, len);
        if (surrogate(s, len)) return fail("a key holds a lone UTF-16 surrogate escape (\\ud800-\\udfff without its pair)");
        // Below a record's second level no key is ever read (see scalar_string, open, wrong_kind):
        // the data's keys, most of a line's, are not copied.
        if (depth <= 2 || !top_record) set_key(depth - 1, key);
        // Repeated keys that the connector reads would make the message ambiguous.
        auto once = [&](unsigned& seen, std::initializer_list<const char*> names, const char* where) {
            unsigned bit = 1;
            for (const char* n : names) {
                if (key == n) {
                    if (seen & bit) return fail(std::string("duplicate key \"") + n + "\"" + where);
                    seen |= bit;
                }
                bit <<= 1;
            }
            return true;
        };
        if (depth == 1 && !once(seen_top, {"type", "record", "state"}, "")) return false;
        if (depth == 2 && k(0, "record") && !once(seen_record, {"stream", "namespace", "emitted_at", "data"}, " in record"))
            return false;
        if (depth == 2 && k(0, "state") && !once(seen_state, {"type", "stream", "global", "data"}, " in state")) return false;
        // The key belongs to the container at path keys[0..depth-2]; inside the state object, a
        // destinationStats member is dropped (in_state(depth) is false for it).
        if (in_data(depth - 1)) {
            if (data_text) data_w.Key(s, len, true);
            else canon += len + 3;  // the quotes and the colon
        }
        else if (in_state(depth - 1) && in_state(depth)) state_w.Key(s, len, true);
        else if (in_meta(depth - 1)) meta_w.Key(s, len, true);
        return true;
    }
    bool close(bool object, std::size_t members) {
        count(depth - 1, 1 + (members ? members - 1 : 0));  // the bracket and the commas
        if (depth == 3 && top_record && second_data && in) data_end = in->Tell() + 1;  // just past the '}'
        forward(depth - 1, [object](auto& w) { object ? w.EndObject() : w.EndArray(); });
        --depth;
        return true;
    }
    bool EndObject(rapidjson::SizeType n) { return close(true, n); }
    bool EndArray(rapidjson::SizeType n) { return close(false, n); }
};

}  // namespace

namespace {

// Copies line, replacing every number token RapidJSON refuses (see rewrite_big_numbers) by the
// string "#" and keeping the token and where that string ends in big.
std::string replace_big_numbers(std::string_view line, std::vector<big_number>& big) {
    return rewrite_big_numbers(line, [&](std::string_view tok, std::string& out) {
        out += "\"#\"";
        big.push_back({out.size(), std::string(tok)});
    });
}

}  // namespace

bool message_scanner::rescan(const std::string& line, const std::vector<big_number>& big, scanned_message& m,
                             std::string& error) {
    big_ = &big;
    const bool ok = scan(line, m, error);
    big_ = nullptr;
    return ok;
}

bool message_scanner::scan(std::string_view line, scanned_message& m, std::string& error) {
    m.type = message_type::unknown;
    m.type_name.clear();
    m.stream.clear();
    m.ns.reset();
    m.has_emitted_at = false;
    m.emitted_at_ms = 0;
    m.has_data = m.data_is_object = false;
    m.data_json = {};
    m.state_type.clear();
    m.state_stream.clear();
    m.state_ns.reset();
    m.has_state = false;
    m.state_json = {};
    m.trace_type.clear();
    m.stream_status.clear();
    m.status_stream.clear();
    m.status_ns.reset();
    data_buf_.Clear();
    state_buf_.Clear();
    data_w_.Reset(data_buf_);
    state_w_.Reset(state_buf_);
    m.meta_json = {};
    m.data_split = false;
    m.data_members = {};
    meta_buf_.Clear();
    meta_w_.Reset(meta_buf_);

    if (!big_) {  // a rescan's line is made from one that passed these checks
        if (const void* nul = line.empty() ? nullptr : std::memchr(line.data(), '\0', line.size())) {
            error = "a NUL byte (at byte " + std::to_string(static_cast<const char*>(nul) - line.data()) + ")";
            return false;
        }
        if (const std::size_t good = cql::valid_utf8_prefix(line); good != line.size()) {
            error = "malformed JSON: invalid UTF-8 (at byte " + std::to_string(good) + ")";
            return false;
        }
    }
    // (find, not memchr: an empty line's data() may be null, which memchr must not get.)
    const bool has_backslash = line.find('\\') != std::string_view::npos;
    // Both ways read a copy, so what they give points into the scanner's own buffers (valid until
    // the next scan), never into the caller's line. Parsed in place (strings are unescaped where
    // they stand), from a copy that ends in a NUL (it holds no other): the stream RapidJSON scans
    // 16 bytes at a time.
    line_.assign(line);
    if (fast_path_ && !big_ && !has_backslash && scan_compact_record(line_, m)) return true;
    rapidjson::Reader reader;
    rapidjson::InsituStringStream ms(line_.data());
    handler h{m, keys_, data_w_, state_w_, meta_w_, error, big_, line_.data()};
    h.meta_buf = &meta_buf_;
    // Without a backslash no string needs unescaping or escaping again: the data's own bytes, less
    // any whitespace between tokens, are what the Writer would write (see compact_data).
    h.may_have_surrogates = has_backslash && line.find("\\u") != std::string_view::npos;
    h.data_text = big_ || has_backslash;
    h.in = &ms;
    auto res = reader.Parse<scan_flags>(ms, h);
    if (res.IsError() && res.Code() == rapidjson::kParseErrorNumberTooBig && !big_) {
        // JSON puts no bound on numbers, RapidJSON does (a double's range). Such numbers are
        // swapped for placeholder strings, parsed again, and written back exactly as they came.
        std::vector<big_number> big;
        std::string rewritten = replace_big_numbers(line, big);
        return rescan(rewritten, big, m, error);
    }
    if (res.IsError()) {
        if (res.Code() != rapidjson::kParseErrorTermination)
            error = std::string("malformed JSON: ") + rapidjson::GetParseError_En(res.Code()) + " (at byte " +
                    std::to_string(res.Offset()) + ")";
        return false;
    }
    if (big_ && h.next_big != big_->size()) {
        error = "malformed JSON: a number where it cannot be";
        return false;
    }
    if (!h.root_object) {
        error = "a message must be a JSON object";
        return false;
    }
    if (m.type_name == "RECORD") m.type = message_type::record;
    else if (m.type_name == "STATE") m.type = message_type::state;
    else if (m.type_name == "LOG" || m.type_name == "TRACE" || m.type_name == "CONTROL" || m.type_name == "SPEC" ||
             m.type_name == "CONNECTION_STATUS" || m.type_name == "CATALOG")
        m.type = message_type::other_known;
    if (m.data_is_object && !h.data_text) {
        compact_data(line.substr(h.data_begin, h.data_end - h.data_begin), h.canon);
        m.data_json = data_text_;
    } else if (m.data_is_object) {
        m.data_json = std::string_view(data_buf_.GetString(), data_buf_.GetSize());
    }
    if (h.has_meta) m.meta_json = std::string_view(meta_buf_.GetString(), meta_buf_.GetSize());
    if (m.has_state) m.state_json = std::string_view(state_buf_.GetString(), state_buf_.GetSize());
    if (m.has_state && m.state_type.empty()) m.state_type = "LEGACY";
    return true;
}

// The data object's text (valid UTF-8, no backslash) as the Writer writes it: as it stands when it
// has no whitespace between tokens (its length is then the one the handler counted), else with that
// whitespace dropped (with no backslash, every '"' opens or closes a string).
void message_scanner::compact_data(std::string_view raw, std::size_t canonical_size) {
    if (raw.size() == canonical_size) {
        data_text_.assign(raw);
        return;
    }
    data_text_.clear();
    bool in_string = false;
    for (char c : raw) {
        if (c == '"') in_string = !in_string;
        else if (!in_string && (c == ' ' || c == '\t' || c == '\n' || c == '\r')) continue;
        data_text_.push_back(c);
    }
}

}  // namespace airbyte
