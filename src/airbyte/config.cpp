#include "airbyte/config.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "airbyte/json.hpp"

namespace airbyte {

std::string connection_specification() {
    // Pretty-printed here for reading; printed compact by `spec`.
    static const char* text = R"spec({
  "$schema": "http://json-schema.org/draft-07/schema#",
  "title": "Cassandra Destination Spec",
  "type": "object",
  "required": [
    "keyspace",
    "address"
  ],
  "additionalProperties": true,
  "properties": {
    "keyspace": {
      "title": "Keyspace",
      "description": "Default keyspace: streams without a namespace land here. Letters, digits and underscores, at most 48 (used lower-cased).",
      "type": "string",
      "order": 0
    },
    "username": {
      "title": "Username",
      "description": "Username to use to access Cassandra (empty: no authentication).",
      "type": "string",
      "order": 1
    },
    "password": {
      "title": "Password",
      "description": "Password associated with Cassandra.",
      "type": "string",
      "airbyte_secret": true,
      "order": 2
    },
    "address": {
      "title": "Address",
      "description": "Comma-separated contact points, each a host or IP with an optional :port.",
      "type": "string",
      "examples": [
        "localhost,127.0.0.1"
      ],
      "order": 3
    },
    "port": {
      "title": "Port",
      "description": "Port of the contact points that give none.",
      "type": "integer",
      "minimum": 1,
      "maximum": 65535,
      "default": 9042,
      "order": 4
    },
    "namespaces": {
      "title": "Namespaces",
      "description": "Write each stream into the keyspace named by its namespace (false: always the default keyspace).",
      "type": "boolean",
      "default": true,
      "order": 5
    },
    "datacenter": {
      "title": "Datacenter",
      "description": "Local datacenter: requests go to its nodes and new keyspaces are replicated there.",
      "type": "string",
      "default": "datacenter1",
      "order": 6
    },
    "replication": {
      "title": "Replication factor",
      "description": "Replication factor of keyspaces the connector creates.",
      "type": "integer",
      "minimum": 1,
      "maximum": 100,
      "default": 1,
      "order": 7
    },
    "tls": {
      "title": "TLS",
      "type": "object",
      "order": 8,
      "properties": {
        "mode": {
          "title": "Mode",
          "description": "disabled; require (encrypt, no verification); verify-ca (check the chain); verify-full (also the host name or IP).",
          "type": "string",
          "enum": [
            "disabled",
            "require",
            "verify-ca",
            "verify-full"
          ],
          "default": "disabled"
        },
        "ca_certificate": {
          "title": "CA certificate (PEM)",
          "type": "string",
          "multiline": true
        },
        "client_certificate": {
          "title": "Client certificate (PEM)",
          "type": "string",
          "multiline": true
        },
        "client_key": {
          "title": "Client key (PEM)",
          "type": "string",
          "multiline": true,
          "airbyte_secret": true
        }
      }
    },
    "consistency": {
      "title": "Write consistency",
      "type": "string",
      "enum": [
        "ONE",
        "TWO",
        "THREE",
        "QUORUM",
        "ALL",
        "LOCAL_QUORUM",
        "EACH_QUORUM",
        "LOCAL_ONE"
      ],
      "default": "LOCAL_QUORUM",
      "order": 9
    },
    "compression": {
      "title": "Compression",
      "type": "string",
      "enum": [
        "lz4",
        "none"
      ],
      "default": "lz4",
      "order": 10
    },
    "protocol_version": {
      "title": "Highest protocol version",
      "type": "integer",
      "enum": [
        3,
        4,
        5
      ],
      "default": 5,
      "order": 11
    },
    "max_in_flight": {
      "title": "Max requests in flight",
      "type": "integer",
      "minimum": 1,
      "maximum": 32768,
      "default": 1024,
      "order": 12
    },
    "request_timeout_ms": {
      "title": "Request timeout (ms)",
      "type": "integer",
      "minimum": 100,
      "maximum": 3600000,
      "default": 12000,
      "order": 13
    },
    "max_record_bytes": {
      "title": "Max record size (bytes)",
      "description": "Larger records fail the sync.",
      "type": "integer",
      "minimum": 1024,
      "maximum": 268435456,
      "default": 16777216,
      "order": 14
    },
    "retry_window_seconds": {
      "title": "Retry window (s)",
      "description": "How long a write that failed transiently (a lost connection, a timeout, an unavailable or overloaded node) is retried, with backoff, before the sync fails. 0: no retries beyond the driver's own.",
      "type": "integer",
      "minimum": 0,
      "maximum": 86400,
      "default": 60,
      "order": 15
    },
    "connect_timeout_ms": {
      "title": "Connect timeout (ms)",
      "description": "How long opening a connection to a node (TCP, TLS and the CQL handshake) may take before the node counts as unreachable.",
      "type": "integer",
      "minimum": 100,
      "maximum": 600000,
      "default": 5000,
      "order": 16
    },
    "table_format": {
      "title": "Table format",
      "description": "raw: one table per stream holding each record as JSON text (airbyte_raw_<stream>, the original connector's tables). typed: one table per stream named after it, one CQL column per top-level property of the stream's JSON schema plus Airbyte's metadata columns (see docs/typed-tables.md).",
      "type": "string",
      "enum": [
        "raw",
        "typed"
      ],
      "default": "raw",
      "order": 20
    },
    "ttl_seconds": {
      "title": "Row TTL (s)",
      "description": "Every row written expires after this many seconds (USING TTL), in both formats. 0: rows never expire.",
      "type": "integer",
      "minimum": 0,
      "maximum": 630720000,
      "default": 0,
      "order": 21
    },
    "cdc_deletion_mode": {
      "title": "CDC deletion mode",
      "description": "Typed append_dedup tables, records whose _ab_cdc_deleted_at is not null: hard deletes the key's row when the record is its newest version; soft writes the record like any other version.",
      "type": "string",
      "enum": [
        "hard",
        "soft"
      ],
      "default": "hard",
      "order": 22
    }
  }
})spec";
    rapidjson::Document d;
    d.Parse(text);
    return to_json(d);
}

std::string spec_json() {
    return R"({"documentationUrl":"https://docs.airbyte.com/integrations/destinations/cassandra","supportsIncremental":true,)"
           R"("supportsNormalization":false,"supportsDBT":false,"supported_destination_sync_modes":["overwrite","append","append_dedup"],)"
           R"("connectionSpecification":)" +
           connection_specification() + "}";
}

namespace {

struct reader {
    const rapidjson::Value& obj;
    std::string& error;
    std::string prefix;

    bool fail(std::string_view field, std::string_view what) {
        error = "config field '" + prefix + std::string(field) + "' " + std::string(what);
        return false;
    }
    bool string(const char* field, std::string& out, bool required = false) {
        const auto* v = member(obj, field);
        if (!v || v->IsNull()) return required ? fail(field, "is required") : true;
        if (!v->IsString()) return fail(field, "must be a string");
        out.assign(v->GetString(), v->GetStringLength());
        return true;
    }
    bool integer(const char* field, std::int64_t lo, std::int64_t hi, auto& out) {
        const auto* v = member(obj, field);
        if (!v || v->IsNull()) return true;
        std::int64_t x = 0;
        if (v->IsInt64()) x = v->GetInt64();
        else if (v->IsString()) {  // the original accepted "9042"
            std::string s(v->GetString(), v->GetStringLength());
            char* end = nullptr;
            errno = 0;
            x = std::strtoll(s.c_str(), &end, 10);
            if (s.empty() || *end || errno || !(std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-'))
                return fail(field, "must be an integer");
        } else if (v->IsDouble() && std::fabs(v->GetDouble()) < 9e15 && v->GetDouble() == std::trunc(v->GetDouble()))
            x = static_cast<std::int64_t>(v->GetDouble());
        else
            return fail(field, "must be an integer");
        if (x < lo || x > hi)
            return fail(field, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + " (got " + std::to_string(x) + ")");
        out = static_cast<std::remove_reference_t<decltype(out)>>(x);
        return true;
    }
    bool boolean(const char* field, bool& out) {
        const auto* v = member(obj, field);
        if (!v || v->IsNull()) return true;
        if (!v->IsBool()) return fail(field, "must be true or false");
        out = v->GetBool();
        return true;
    }
};

std::string trim(std::string s) {
    auto not_space = [](unsigned char c) { return !std::isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
}

}  // namespace

bool parse_config(std::string_view json, connector_config& c, std::string& error) {
    rapidjson::Document doc;
    if (auto e = parse_json(json, doc)) {
        error = "the config is not valid JSON: " + *e;
        return false;
    }
    if (!doc.IsObject()) {
        error = "the config must be a JSON object";
        return false;
    }
    if (auto key = find_repeated_key(doc)) {
        error = "config key \"" + *key + "\" appears twice: which one is meant is ambiguous";
        return false;
    }
    reader r{doc, error, ""};
    std::string address;
    if (!r.string("keyspace", c.keyspace, true) || !r.string("username", c.username) || !r.string("password", c.password) ||
        !r.string("address", address, true) || !r.integer("port", 1, 65535, c.port) ||
        !r.string("datacenter", c.datacenter) || !r.integer("replication", 1, 100, c.replication) ||
        !r.boolean("namespaces", c.namespaces) || !r.integer("protocol_version", 3, 5, c.protocol_version) ||
        !r.integer("max_in_flight", 1, 32768, c.max_in_flight) ||
        !r.integer("request_timeout_ms", 100, 3'600'000, c.request_timeout_ms) ||
        !r.integer("max_record_bytes", 1024, std::int64_t{256} << 20, c.max_record_bytes) ||
        !r.integer("retry_window_seconds", 0, 86400, c.retry_window_seconds) ||
        !r.integer("connect_timeout_ms", 100, 600'000, c.connect_timeout_ms))
        return false;

    const bool keyspace_ok = !c.keyspace.empty() && c.keyspace.size() <= 48 &&
                             std::all_of(c.keyspace.begin(), c.keyspace.end(), [](unsigned char ch) { return std::isalnum(ch) || ch == '_'; });
    if (!keyspace_ok) return r.fail("keyspace", "must be 1 to 48 letters, digits or underscores (got " + json_quote(c.keyspace) + ")");
    std::transform(c.keyspace.begin(), c.keyspace.end(), c.keyspace.begin(), [](unsigned char ch) { return std::tolower(ch); });

    c.contact_points.clear();
    for (std::size_t at = 0; at <= address.size();) {
        auto comma = address.find(',', at);
        if (comma == std::string::npos) comma = address.size();
        auto host = trim(address.substr(at, comma - at));
        if (!host.empty()) c.contact_points.push_back(host);
        at = comma + 1;
    }
    if (c.contact_points.empty()) return r.fail("address", "must name at least one host");
    if (c.datacenter.empty()) c.datacenter = "datacenter1";

    std::string cl;
    if (!r.string("consistency", cl)) return false;
    if (!cl.empty() && !cql::parse_consistency(cl, c.consistency))
        return r.fail("consistency", "is not a consistency level: " + json_quote(cl));
    if (c.consistency == cql::consistency::serial || c.consistency == cql::consistency::local_serial)
        return r.fail("consistency", "cannot be SERIAL or LOCAL_SERIAL for writes");
    // ANY acknowledges a write kept only as a hint on the coordinator: a STATE must mean the
    // records are on a replica. Cassandra also refuses reads at ANY, which the connector makes.
    if (c.consistency == cql::consistency::any)
        return r.fail("consistency", "cannot be ANY: a write acknowledged at ANY may be on no replica yet (use ONE or stronger)");
    std::string compression;
    if (!r.string("compression", compression)) return false;
    if (compression == "none") c.compression = false;
    else if (compression.empty() || compression == "lz4") c.compression = true;
    else return r.fail("compression", "must be \"lz4\" or \"none\"");

    std::string format, cdc;
    if (!r.string("table_format", format) || !r.string("cdc_deletion_mode", cdc) ||
        !r.integer("ttl_seconds", 0, 630'720'000, c.ttl_seconds))
        return false;
    if (format == "typed") c.format = table_format::typed;
    else if (format.empty() || format == "raw") c.format = table_format::raw;
    else return r.fail("table_format", "must be \"raw\" or \"typed\" (got " + json_quote(format) + ")");
    if (cdc == "soft") c.cdc_soft = true;
    else if (cdc.empty() || cdc == "hard") c.cdc_soft = false;
    else return r.fail("cdc_deletion_mode", "must be \"hard\" or \"soft\" (got " + json_quote(cdc) + ")");

    if (const auto* tls = member(doc, "tls"); tls && !tls->IsNull()) {
        if (!tls->IsObject()) return r.fail("tls", "must be an object");
        reader t{*tls, error, "tls."};
        std::string mode;
        if (!t.string("mode", mode) || !t.string("ca_certificate", c.ca_certificate) ||
            !t.string("client_certificate", c.client_certificate) || !t.string("client_key", c.client_key))
            return false;
        if (mode.empty() || mode == "disabled") c.tls = tls_mode::disabled;
        else if (mode == "require") c.tls = tls_mode::require;
        else if (mode == "verify-ca") c.tls = tls_mode::verify_ca;
        else if (mode == "verify-full") c.tls = tls_mode::verify_full;
        else return t.fail("mode", "must be disabled, require, verify-ca or verify-full (got " + json_quote(mode) + ")");
        if (c.client_certificate.empty() != c.client_key.empty())
            return t.fail(c.client_key.empty() ? "client_key" : "client_certificate", "is required with the other client field");
    }
    return true;
}

std::vector<std::string> config_secrets(std::string_view config_text) {
    std::vector<std::string> out;
    rapidjson::Document doc;
    if (parse_json(config_text, doc)) return out;
    std::vector<const rapidjson::Value*> todo{&doc};
    while (!todo.empty()) {
        const auto* v = todo.back();
        todo.pop_back();
        if (v->IsArray())
            for (const auto& e : v->GetArray()) todo.push_back(&e);
        if (!v->IsObject()) continue;
        for (auto it = v->MemberBegin(); it != v->MemberEnd(); ++it) {
            const std::string_view key(it->name.GetString(), it->name.GetStringLength());
            if ((key == "password" || key == "client_key") && it->value.IsString() && it->value.GetStringLength() > 0)
                out.emplace_back(it->value.GetString(), it->value.GetStringLength());
            todo.push_back(&it->value);
        }
    }
    return out;
}

cql::session_config connector_config::session() const {
    cql::session_config s;
    s.contact_points = contact_points;
    s.default_port = port;
    s.local_datacenter = datacenter;
    s.username = username;
    s.password = password;
    s.tls.enabled = tls != tls_mode::disabled;
    s.tls.verify_certificate = tls == tls_mode::verify_ca || tls == tls_mode::verify_full;
    s.tls.verify_host_name = tls == tls_mode::verify_full;
    s.tls.ca_pem = ca_certificate;
    s.tls.cert_pem = client_certificate;
    s.tls.key_pem = client_key;
    s.compression = compression;
    s.max_protocol_version = static_cast<cql::protocol_version>(protocol_version);  // 3..5, checked when parsed
    s.default_consistency = consistency;
    s.request_timeout = std::chrono::milliseconds(request_timeout_ms);
    s.connect_timeout = std::chrono::milliseconds(connect_timeout_ms);
    s.max_requests_per_connection = std::max(max_in_flight, 1);
    // A node that comes back is found again within 2 s: the retry window is counted in seconds.
    s.reconnect_max_delay = std::chrono::milliseconds(2000);
    return s;
}

}  // namespace airbyte
