// The members of a JSON object written compactly, read without a parser: the typed tables' fast
// path (typed_coerce.cpp) over the scanner's data_json, which is exactly such text whenever the
// record has no backslash (message_scanner.hpp).
//
// split_members accepts only text that is one JSON object with no whitespace between tokens, no
// backslash anywhere and no control character in a string, nested at most 64 deep; it validates
// the whole of it (the JSON grammar, numbers included) and returns false for anything else, which
// the caller then reads with a real parser (valid JSON of another form, or an error to report).
// Strings need no unescaping in such text, so every key and string value is a slice of it.
#pragma once

#include <string_view>
#include <vector>

namespace airbyte::compact_json {

enum class kind { null, true_, false_, number, string, object, array };

struct member {
    std::string_view key;   // without its quotes
    kind k = kind::null;
    // string: its characters without the quotes; number: as written; object or array: its whole
    // text, brackets included (compact JSON itself); null, true, false: the literal.
    std::string_view value;
    int parent = -1;  // levels 2: the index in out of the object member it belongs to; -1: top level
};

// The members of the object in order (repeated keys repeated), into out (cleared first); with
// levels 2, also the members of each top-level member that is an object, each right after its
// parent (whose own entry comes first). False, out in an unspecified state, when text is not of
// the form above.
bool split_members(std::string_view text, std::vector<member>& out, int levels = 1);

}  // namespace airbyte::compact_json
