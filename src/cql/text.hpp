// Text checks the client applies to every text value it sends, for callers that check input
// before it reaches the client (and want to say where it went wrong).
#pragma once

#include "protocol/value.hpp"

namespace cql {

// Strict RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF.
using protocol::is_valid_utf8;
// How many bytes at the start of a string are valid UTF-8: where its first bad sequence begins.
using protocol::valid_utf8_prefix;

}  // namespace cql
