#include "airbyte/names.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>
#include <numeric>
#include <tuple>

namespace airbyte {

std::uint32_t fnv1a32(std::string_view s) noexcept {
    std::uint32_t h = 2166136261u;
    for (unsigned char c : s) {
        h ^= c;
        h *= 16777619u;
    }
    return h;
}

namespace {
bool plain(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}
}  // namespace

std::string sanitize_name(std::string_view name, std::size_t max_length) {
    if (plain(name) && name.size() <= max_length) return std::string(name);
    std::string readable;
    for (unsigned char c : name) {
        if ((c & 0xC0) == 0x80) continue;  // UTF-8 continuation byte: its code point is already mapped
        char out = '_';
        if (c >= 'A' && c <= 'Z') out = static_cast<char>(c - 'A' + 'a');
        else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) out = static_cast<char>(c);
        if (out == '_' && !readable.empty() && readable.back() == '_') continue;
        readable += out;
    }
    char hash[10];
    std::snprintf(hash, sizeof hash, "_%08x", fnv1a32(name));
    const std::size_t room = max_length > 9 ? max_length - 9 : 0;
    if (readable.size() > room) readable.resize(room);
    while (!readable.empty() && readable.back() == '_') readable.pop_back();
    return readable + hash;
}

std::string quote_identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + '"';
}

std::string quote_literal(std::string_view text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') out += '\'';
        out += c;
    }
    return out + '\'';
}

std::vector<table_names> assign_tables(const std::vector<stream_key>& streams, const std::vector<std::string>& keyspaces,
                                       bool typed) {
    std::vector<std::size_t> order(streams.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        return std::tie(streams[a].ns, streams[a].name) < std::tie(streams[b].ns, streams[b].name);
    });
    std::vector<table_names> out(streams.size());
    std::set<std::pair<std::string, std::string>> used;  // (keyspace, table) already given out
    const std::size_t room = max_name_length - 12;
    auto names_of = [&](const std::string& base) {
        return std::pair<std::string, std::string>{(typed ? "" : "airbyte_raw_") + base, "airbyte_tmp_" + base};
    };
    for (std::size_t i : order) {
        const std::string natural = sanitize_name(streams[i].name, room);
        std::string base = natural;
        auto taken = [&] {
            const auto [fin, stg] = names_of(base);
            return used.count({keyspaces[i], fin}) || used.count({keyspaces[i], stg});
        };
        // Taken (two streams in one keyspace with the same name, a name like "a_2", or in typed
        // tables a stream named like another's staging table): the first free "_2", "_3", ...,
        // the readable part cut to make room.
        for (int n = 2; taken(); ++n) {
            // Appended, not `"_" + std::to_string(n)`: gcc 12 -O3 inlines that operator+ into an
            // insert() and reports a false -Wrestrict on it (the release -Werror build failed).
            std::string suffix(1, '_');
            suffix += std::to_string(n);
            base = natural.substr(0, std::min(natural.size(), room - suffix.size())) + suffix;
        }
        const auto [fin, stg] = names_of(base);
        used.insert({keyspaces[i], fin});
        used.insert({keyspaces[i], stg});
        out[i] = {keyspaces[i], fin, stg};
    }
    return out;
}

}  // namespace airbyte
