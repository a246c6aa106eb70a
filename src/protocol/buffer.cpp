// Bounds-checked notation reader and appending writer.
#include "protocol/buffer.hpp"

#include <algorithm>
#include <cstdio>
#include <limits>

namespace cql::protocol {

std::string inet_address::to_string() const {
    char buf[64];
    if (size == 4) {
        std::snprintf(buf, sizeof buf, "%u.%u.%u.%u", bytes[0], bytes[1], bytes[2], bytes[3]);
        return buf;
    }
    std::string s;
    for (int i = 0; i < 16; i += 2) {
        std::snprintf(buf, sizeof buf, "%s%x", i ? ":" : "", (bytes[i] << 8) | bytes[i + 1]);
        s += buf;
    }
    return s;
}

void byte_reader::fail(std::error_code ec) noexcept {
    if (!ec_) ec_ = ec;
    pos_ = data_.size();
}

std::error_code byte_reader::finish() const noexcept {
    if (ec_) return ec_;
    if (!at_end()) return make_error_code(errc::trailing_bytes);
    return {};
}

bool byte_reader::need(std::size_t n) noexcept {
    if (ec_) return false;
    if (remaining() < n) {
        fail(errc::truncated);
        return false;
    }
    return true;
}

std::uint8_t byte_reader::u8() noexcept {
    if (!need(1)) return 0;
    return data_[pos_++];
}

std::uint16_t byte_reader::u16() noexcept {
    if (!need(2)) return 0;
    auto v = load_be16(data_.data() + pos_);
    pos_ += 2;
    return v;
}

std::uint32_t byte_reader::u32() noexcept {
    if (!need(4)) return 0;
    auto v = load_be32(data_.data() + pos_);
    pos_ += 4;
    return v;
}

std::uint64_t byte_reader::u64() noexcept {
    if (!need(8)) return 0;
    auto v = load_be64(data_.data() + pos_);
    pos_ += 8;
    return v;
}

bytes_view byte_reader::raw(std::size_t n) noexcept {
    if (!need(n)) return {};
    auto v = data_.subspan(pos_, n);
    pos_ += n;
    return v;
}

bytes_view byte_reader::rest() noexcept { return raw(remaining()); }

static std::string_view as_chars(bytes_view b) noexcept {
    return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string_view byte_reader::string() noexcept { return as_chars(raw(u16())); }

std::string_view byte_reader::long_string() noexcept {
    auto n = i32();
    if (n < 0) {
        if (ok()) fail(errc::invalid_length);
        return {};
    }
    return as_chars(raw(static_cast<std::size_t>(n)));
}

value_view byte_reader::bytes() noexcept {
    auto n = i32();
    if (!ok()) return {};
    if (n < 0) return value_view::null_value();
    return value_view::of(raw(static_cast<std::size_t>(n)));
}

value_view byte_reader::value() noexcept {
    auto n = i32();
    if (!ok()) return {};
    if (n == -1) return value_view::null_value();
    if (n == -2) return value_view::unset_value();
    if (n < 0) {
        fail(errc::invalid_length);
        return {};
    }
    return value_view::of(raw(static_cast<std::size_t>(n)));
}

bytes_view byte_reader::short_bytes() noexcept { return raw(u16()); }

uuid_bytes byte_reader::uuid() noexcept {
    uuid_bytes u{};
    auto b = raw(16);
    if (ok()) std::copy(b.begin(), b.end(), u.begin());
    return u;
}

inet_address byte_reader::inetaddr() noexcept {
    inet_address a;
    auto n = u8();
    if (!ok()) return a;
    if (n != 4 && n != 16) {
        fail(errc::invalid_length);
        return a;
    }
    auto b = raw(n);
    if (!ok()) return a;
    a.size = n;
    std::copy(b.begin(), b.end(), a.bytes.begin());
    return a;
}

inet_address byte_reader::inet() noexcept {
    auto a = inetaddr();
    a.port = i32();
    return a;
}

std::size_t byte_reader::reserve_hint(std::size_t count, std::size_t min_element_size) const noexcept {
    if (min_element_size == 0) min_element_size = 1;
    return std::min(count, remaining() / min_element_size);
}

std::vector<std::string_view> byte_reader::string_list() noexcept {
    std::vector<std::string_view> out;
    std::size_t n = u16();
    out.reserve(reserve_hint(n, 2));
    for (std::size_t i = 0; i < n && ok(); ++i) out.push_back(string());
    return out;
}

std::vector<std::pair<std::string_view, std::string_view>> byte_reader::string_map() noexcept {
    std::vector<std::pair<std::string_view, std::string_view>> out;
    std::size_t n = u16();
    out.reserve(reserve_hint(n, 4));
    for (std::size_t i = 0; i < n && ok(); ++i) {
        auto k = string();
        auto v = string();
        out.emplace_back(k, v);
    }
    return out;
}

std::vector<std::pair<std::string_view, std::vector<std::string_view>>> byte_reader::string_multimap() noexcept {
    std::vector<std::pair<std::string_view, std::vector<std::string_view>>> out;
    std::size_t n = u16();
    out.reserve(reserve_hint(n, 4));
    for (std::size_t i = 0; i < n && ok(); ++i) {
        auto k = string();
        auto v = string_list();
        out.emplace_back(k, std::move(v));
    }
    return out;
}

std::vector<std::pair<std::string_view, value_view>> byte_reader::bytes_map() noexcept {
    std::vector<std::pair<std::string_view, value_view>> out;
    std::size_t n = u16();
    out.reserve(reserve_hint(n, 6));
    for (std::size_t i = 0; i < n && ok(); ++i) {
        auto k = string();
        auto v = bytes();
        out.emplace_back(k, v);
    }
    return out;
}

// Each from a local copy by one insert (cheaper than resize and a write in place: resize zeroes
// the new bytes first, out of line).
void byte_writer::u16(std::uint16_t v) {
    std::uint8_t b[2];
    store_be16(b, v);
    out_->insert(out_->end(), b, b + 2);
}

void byte_writer::u32(std::uint32_t v) {
    std::uint8_t b[4];
    store_be32(b, v);
    out_->insert(out_->end(), b, b + 4);
}

void byte_writer::u64(std::uint64_t v) {
    std::uint8_t b[8];
    store_be64(b, v);
    out_->insert(out_->end(), b, b + 8);
}

void byte_writer::string(std::string_view s) {
    u16(static_cast<std::uint16_t>(s.size()));
    raw(s);
}

void byte_writer::long_string(std::string_view s) {
    i32(static_cast<std::int32_t>(s.size()));
    raw(s);
}

void byte_writer::bytes(bytes_view b) {
    u32(static_cast<std::uint32_t>(b.size()));
    raw(b);
}

void byte_writer::value(const value_view& v) {
    switch (v.state) {
    case value_view::kind::present: bytes(v.data); break;
    case value_view::kind::null: null_bytes(); break;
    case value_view::kind::unset: unset_value(); break;
    }
}

void byte_writer::short_bytes(bytes_view b) {
    u16(static_cast<std::uint16_t>(b.size()));
    raw(b);
}

void byte_writer::inet(const inet_address& a) {
    u8(a.size);
    raw(bytes_view(a.bytes.data(), a.size));
    i32(a.port);
}

void byte_writer::string_list(std::span<const std::string_view> list) {
    u16(static_cast<std::uint16_t>(list.size()));
    for (auto s : list) string(s);
}

void byte_writer::string_map(std::span<const std::pair<std::string_view, std::string_view>> map) {
    u16(static_cast<std::uint16_t>(map.size()));
    for (const auto& [k, v] : map) {
        string(k);
        string(v);
    }
}

void byte_writer::string_multimap(std::span<const std::pair<std::string_view, std::vector<std::string_view>>> map) {
    u16(static_cast<std::uint16_t>(map.size()));
    for (const auto& [k, v] : map) {
        string(k);
        string_list(v);
    }
}

void byte_writer::bytes_map(std::span<const std::pair<std::string_view, value_view>> map) {
    u16(static_cast<std::uint16_t>(map.size()));
    for (const auto& [k, v] : map) {
        string(k);
        value(v);
    }
}

void byte_writer::end_length(std::size_t at) {
    patch_u32(at, static_cast<std::uint32_t>(size() - at - 4));
}

void byte_writer::patch_u16(std::size_t at, std::uint16_t v) { store_be16(out_->data() + at, v); }
void byte_writer::patch_u32(std::size_t at, std::uint32_t v) { store_be32(out_->data() + at, v); }

}  // namespace cql::protocol
