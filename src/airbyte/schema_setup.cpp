#include "airbyte/schema_setup.hpp"

#include <algorithm>
#include <cctype>

#include "airbyte/dedup.hpp"
#include "airbyte/names.hpp"

namespace airbyte {

namespace {

using cql::consistency;

std::string short_class(const replication_map& r) {
    auto it = r.find("class");
    std::string c = it == r.end() ? "" : it->second;
    if (auto dot = c.rfind('.'); dot != std::string::npos) c = c.substr(dot + 1);
    return c;
}

// "3" or, with transient replicas, "3/1": the leading number; -1 when not a number.
int factor(const std::string& v) {
    int n = 0;
    std::size_t i = 0;
    for (; i < v.size() && std::isdigit(static_cast<unsigned char>(v[i])); ++i) n = n * 10 + (v[i] - '0');
    return i == 0 ? -1 : n;
}

}  // namespace

std::string describe_replication(const replication_map& r) {
    const std::string cls = short_class(r);
    std::string out = cls.empty() ? "an unknown strategy" : cls;
    std::string opts;
    for (const auto& [k, v] : r) {
        if (k == "class") continue;
        opts += (opts.empty() ? "" : ", ") + k + (cls == "SimpleStrategy" ? " " : ": ") + v;
    }
    return opts.empty() ? out : out + " with " + opts;
}

std::optional<std::string> unreachable_consistency(consistency level, const replication_map& r, const std::string& local_dc) {
    const std::string cls = short_class(r);
    const bool nts = cls == "NetworkTopologyStrategy";
    if (!nts && cls != "SimpleStrategy") return std::nullopt;  // LocalStrategy, EverywhereStrategy, custom ones
    int total = 0, local = 0;
    if (nts) {
        for (const auto& [k, v] : r)
            if (k != "class" && k != "replication_factor" && factor(v) > 0) {
                total += factor(v);
                if (k == local_dc) local = factor(v);
            }
    } else {
        auto it = r.find("replication_factor");
        total = it == r.end() ? -1 : factor(it->second);
        if (total < 0) return std::nullopt;
        // SimpleStrategy counts every replica as local: Cassandra 5.0 accepts LOCAL_* and EACH_QUORUM
        // there (as QUORUM of the replication factor; tried on a node).
        local = total;
    }
    const std::string name = cql::consistency_name(level);
    const std::string repl = "the keyspace's replication is " + describe_replication(r);
    if (total == 0) return "consistency " + name + " can never be met: " + repl + ", which places no replica";
    int needed = 1;
    switch (level) {
        case consistency::two: needed = 2; break;
        case consistency::three: needed = 3; break;
        case consistency::local_one:
        case consistency::local_quorum:
            if (nts && local == 0)
                return "consistency " + name + " can never be met: " + repl + ", which places no replica in datacenter " + local_dc +
                       " (the config's datacenter)";
            break;
        default: break;
    }
    if (needed > total)
        return "consistency " + name + " can never be met: it needs " + std::to_string(needed) + " replicas and " + repl +
               " (" + std::to_string(total) + " replica" + (total == 1 ? "" : "s") + ")";
    return std::nullopt;
}

table_key expected_key(const configured_stream& s) {
    table_key k;
    if (s.mode != write_mode::append_dedup) {
        k.partition = {"_airbyte_ab_id"};
        return k;
    }
    for (const auto& c : s.primary_key) k.partition.push_back(c.column);
    k.clustering.emplace_back(order_column, "desc");
    return k;
}

std::string describe_key(const table_key& k) {
    std::string p;
    for (const auto& c : k.partition) p += (p.empty() ? "" : ", ") + quote_identifier(c);
    std::string out = "((" + p + ")";
    for (const auto& [c, order] : k.clustering) {
        std::string o = order;
        std::transform(o.begin(), o.end(), o.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
        out += ", " + quote_identifier(c) + " " + o;
    }
    return out + ")";
}

std::optional<std::string> table_mismatch(const std::map<std::string, std::string>& columns, const table_key& key,
                                          const std::vector<schema_column>& have) {
    std::map<std::string, const schema_column*> by_name;
    for (const auto& c : have) by_name[c.name] = &c;
    for (const auto& [name, type] : columns) {
        auto it = by_name.find(name);
        if (it == by_name.end()) return "it has no column " + quote_identifier(name) + " (" + type + ")";
        if (it->second->type != type)
            return "column " + quote_identifier(name) + " is " + it->second->type + ", the stream needs " + type;
    }
    table_key actual;
    std::vector<std::pair<int, std::string>> part;
    std::vector<std::pair<int, std::pair<std::string, std::string>>> clust;
    for (const auto& c : have) {
        if (c.kind == "partition_key") part.emplace_back(c.position, c.name);
        else if (c.kind == "clustering") clust.emplace_back(c.position, std::pair{c.name, c.clustering_order});
    }
    std::sort(part.begin(), part.end());
    std::sort(clust.begin(), clust.end());
    for (auto& p : part) actual.partition.push_back(p.second);
    for (auto& c : clust) actual.clustering.push_back(c.second);
    if (actual.partition != key.partition || actual.clustering != key.clustering)
        return "its primary key is " + describe_key(actual) + ", the stream needs " + describe_key(key);
    return std::nullopt;
}

std::string permission_message(std::string_view server_message, std::string_view statement) {
    // Cassandra: "User r has no MODIFY permission on <table k.t> or any of its parents".
    const std::string_view has_no = " has no ", perm_on = " permission on <";
    const auto a = server_message.find(has_no);
    const auto b = a == std::string_view::npos ? a : server_message.find(perm_on, a);
    const auto c = b == std::string_view::npos ? b : server_message.find('>', b);
    std::string out;
    if (c != std::string_view::npos) {
        const auto permission = server_message.substr(a + has_no.size(), b - a - has_no.size());
        const auto resource = server_message.substr(b + perm_on.size(), c - b - perm_on.size());
        out = "the role lacks " + std::string(permission) + " on " + std::string(resource) + " (" + std::string(server_message) + ")";
    } else {
        out = "the role lacks a permission: " + std::string(server_message);
    }
    return out + ": " + std::string(statement);
}

bool is_truncate(std::string_view statement) {
    const auto start = statement.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos || statement.size() - start < 9) return false;
    std::string word(statement.substr(start, 9));
    std::transform(word.begin(), word.end(), word.begin(), [](unsigned char ch) { return static_cast<char>(std::toupper(ch)); });
    return word == "TRUNCATE " || word == "TRUNCATE\t";
}

std::string truncate_unavailable_message(int required, int alive, const std::vector<std::string>& down, std::string_view server_message) {
    std::string out = "TRUNCATE needs every node up: ";
    if (!down.empty()) {
        std::string list;
        for (const auto& d : down) list += (list.empty() ? "" : ", ") + d;
        out += (down.size() == 1 ? "node " + list + " is" : "nodes " + list + " are") + " down, ";
    }
    out += std::to_string(alive) + " of " + std::to_string(required) + " nodes alive";
    if (!server_message.empty()) out += " (" + std::string(server_message) + ")";
    return out;
}

}  // namespace airbyte
