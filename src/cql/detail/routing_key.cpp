// Routing key encoding (CompositeType for multi-column partition keys) and its token.
#include "cql/detail/routing_key.hpp"

#include "cql/detail/murmur3.hpp"
#include "protocol/error.hpp"

namespace cql::detail {

std::error_code build_routing_key(std::span<const bytes_view> components, std::vector<std::uint8_t>& out) {
    out.clear();
    if (components.empty()) return make_error_code(protocol::errc::invalid_length);
    if (components.size() == 1) {
        out.assign(components[0].begin(), components[0].end());
        return {};
    }
    std::size_t total = 0;
    for (auto c : components) {
        if (c.size() > max_routing_component) return make_error_code(protocol::errc::invalid_length);
        total += 3 + c.size();
    }
    out.reserve(total);
    for (auto c : components) {
        out.push_back(static_cast<std::uint8_t>(c.size() >> 8));
        out.push_back(static_cast<std::uint8_t>(c.size()));
        out.insert(out.end(), c.begin(), c.end());
        out.push_back(0);  // end-of-component byte: 0 means an exact value, not a slice bound
    }
    return {};
}

std::error_code routing_token(std::span<const bytes_view> components, std::vector<std::uint8_t>& scratch,
                              std::int64_t& token) {
    if (auto ec = build_routing_key(components, scratch)) return ec;
    token = murmur3_token(scratch);
    return {};
}

}  // namespace cql::detail
