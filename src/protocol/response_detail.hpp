// Small reading helpers shared by the response decoders (responses.cpp, error_response.cpp, result.cpp,
// event.cpp); internal to the codec.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/buffer.hpp"
#include "protocol/types.hpp"

namespace cql::protocol::detail {

// A [consistency]; a code outside the spec's table is refused rather than cast into the enum.
inline consistency read_consistency(byte_reader& r) noexcept {
    const std::uint16_t c = r.u16();
    if (r.ok() && !is_known_consistency(c)) {
        r.fail(errc::unknown_consistency);
        return consistency::any;
    }
    return static_cast<consistency>(c);
}

inline std::vector<std::uint8_t> to_vector(bytes_view b) { return {b.begin(), b.end()}; }

inline std::vector<std::string> to_strings(const std::vector<std::string_view>& list) {
    return {list.begin(), list.end()};
}

}  // namespace cql::protocol::detail
