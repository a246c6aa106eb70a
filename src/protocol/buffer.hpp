// Bounds-checked reading and appending of the protocol's notations ([int], [string], [bytes] ...),
// native_protocol_v4.spec section 3. All integers are big-endian.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/error.hpp"

namespace cql::protocol {

using bytes_view = std::span<const std::uint8_t>;
using uuid_bytes = std::array<std::uint8_t, 16>;

// A [value] / [bytes] as it sits on the wire: present (with its bytes), null or unset.
struct value_view {
    enum class kind : std::uint8_t { present, null, unset };
    kind state = kind::null;
    bytes_view data{};

    static value_view of(bytes_view b) noexcept { return {kind::present, b}; }
    static value_view null_value() noexcept { return {kind::null, {}}; }
    static value_view unset_value() noexcept { return {kind::unset, {}}; }
    bool is_null() const noexcept { return state == kind::null; }
    bool is_unset() const noexcept { return state == kind::unset; }
    bool operator==(const value_view& o) const noexcept {
        return state == o.state && std::equal(data.begin(), data.end(), o.data.begin(), o.data.end());
    }
};

// An [inet]: 4 or 16 address bytes and a port.
struct inet_address {
    std::array<std::uint8_t, 16> bytes{};
    std::uint8_t size = 0;  // 4 or 16
    std::int32_t port = 0;
    bool operator==(const inet_address&) const = default;
    std::string to_string() const;  // "1.2.3.4" or a full IPv6 form, without the port
};

// Reads notations from a byte span. The first failure is sticky: later reads return empty
// values and the error stays in error(), so a decoder reads everything and checks once.
// Views returned point into the input span, which must outlive them.
class byte_reader {
public:
    explicit byte_reader(bytes_view data) noexcept : data_(data) {}

    bool ok() const noexcept { return !ec_; }
    std::error_code error() const noexcept { return ec_; }
    std::size_t remaining() const noexcept { return data_.size() - pos_; }
    std::size_t position() const noexcept { return pos_; }
    bool at_end() const noexcept { return pos_ == data_.size(); }
    // Records an error (the first one wins) and stops further reads.
    void fail(std::error_code ec) noexcept;
    void fail(errc e) noexcept { fail(make_error_code(e)); }
    // The error if any, else trailing_bytes when input remains, else success.
    std::error_code finish() const noexcept;

    std::uint8_t u8() noexcept;
    std::int8_t i8() noexcept { return static_cast<std::int8_t>(u8()); }
    std::uint16_t u16() noexcept;  // [short]
    std::int16_t i16() noexcept { return static_cast<std::int16_t>(u16()); }
    std::uint32_t u32() noexcept;
    std::int32_t i32() noexcept { return static_cast<std::int32_t>(u32()); }  // [int]
    std::uint64_t u64() noexcept;
    std::int64_t i64() noexcept { return static_cast<std::int64_t>(u64()); }  // [long]
    bytes_view raw(std::size_t n) noexcept;  // exactly n bytes
    bytes_view rest() noexcept;              // everything that remains

    std::string_view string() noexcept;       // [string]: [short] n, n bytes
    std::string_view long_string() noexcept;  // [long string]: [int] n, n bytes
    value_view bytes() noexcept;              // [bytes]: [int] n, n bytes; n < 0 is null
    value_view value() noexcept;              // [value]: like [bytes], -2 is unset, < -2 invalid
    bytes_view short_bytes() noexcept;        // [short bytes]
    uuid_bytes uuid() noexcept;               // [uuid]: 16 bytes
    inet_address inet() noexcept;             // [inet]: [byte] n, n bytes, [int] port
    inet_address inetaddr() noexcept;         // [inetaddr]: [byte] n, n bytes
    std::vector<std::string_view> string_list() noexcept;  // [string list]
    std::vector<std::pair<std::string_view, std::string_view>> string_map() noexcept;
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> string_multimap() noexcept;
    std::vector<std::pair<std::string_view, value_view>> bytes_map() noexcept;

    // A count read from the wire, capped for reserve() by what could possibly remain when each
    // element takes at least min_element_size bytes: a huge declared count allocates nothing.
    std::size_t reserve_hint(std::size_t count, std::size_t min_element_size) const noexcept;

private:
    bool need(std::size_t n) noexcept;

    bytes_view data_;
    std::size_t pos_ = 0;
    std::error_code ec_;
};

// Appends notations to a caller-owned buffer, so a connection can reuse one buffer per frame.
class byte_writer {
public:
    explicit byte_writer(std::vector<std::uint8_t>& out) noexcept : out_(&out) {}

    std::vector<std::uint8_t>& buffer() noexcept { return *out_; }
    std::size_t size() const noexcept { return out_->size(); }

    void u8(std::uint8_t v) { out_->push_back(v); }
    void i8(std::int8_t v) { u8(static_cast<std::uint8_t>(v)); }
    void u16(std::uint16_t v);
    void i16(std::int16_t v) { u16(static_cast<std::uint16_t>(v)); }
    void u32(std::uint32_t v);
    void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
    void u64(std::uint64_t v);
    void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
    void raw(bytes_view b) { out_->insert(out_->end(), b.begin(), b.end()); }
    void raw(std::string_view s) { raw(bytes_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }

    void string(std::string_view s);       // [string]
    void long_string(std::string_view s);  // [long string]
    void bytes(bytes_view b);              // [bytes] present
    void bytes(std::string_view s) { bytes(bytes_view(reinterpret_cast<const std::uint8_t*>(s.data()), s.size())); }
    void null_bytes() { i32(-1); }
    void unset_value() { i32(-2); }
    void value(const value_view& v);  // [value]: present, null (-1) or unset (-2)
    void short_bytes(bytes_view b);
    void uuid(const uuid_bytes& u) { raw(bytes_view(u)); }
    void inet(const inet_address& a);
    void string_list(std::span<const std::string_view> list);
    void string_map(std::span<const std::pair<std::string_view, std::string_view>> map);
    void string_multimap(std::span<const std::pair<std::string_view, std::vector<std::string_view>>> map);
    void bytes_map(std::span<const std::pair<std::string_view, value_view>> map);

    // An [int] length written later: reserve 4 bytes now, then patch with the bytes written since.
    std::size_t begin_length() { auto at = size(); i32(0); return at; }
    void end_length(std::size_t at);
    void patch_u16(std::size_t at, std::uint16_t v);
    void patch_u32(std::size_t at, std::uint32_t v);

private:
    std::vector<std::uint8_t>* out_;
};

// Big-endian loads and stores on raw memory, shared by the reader, the writer and the value codec.
inline std::uint16_t load_be16(const std::uint8_t* p) noexcept {
    return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}
inline std::uint32_t load_be32(const std::uint8_t* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}
inline std::uint64_t load_be64(const std::uint8_t* p) noexcept {
    return (std::uint64_t{load_be32(p)} << 32) | load_be32(p + 4);
}
inline void store_be16(std::uint8_t* p, std::uint16_t v) noexcept {
    p[0] = static_cast<std::uint8_t>(v >> 8);
    p[1] = static_cast<std::uint8_t>(v);
}
inline void store_be32(std::uint8_t* p, std::uint32_t v) noexcept {
    for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}
inline void store_be64(std::uint8_t* p, std::uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<std::uint8_t>(v);
}

}  // namespace cql::protocol
