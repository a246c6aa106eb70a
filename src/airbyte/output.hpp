// Everything the connector prints: Airbyte messages, one JSON object per line on stdout, each line
// written whole and flushed. Safe to call from several threads. Secrets registered here are masked
// in every LOG, TRACE and CONNECTION_STATUS text (states and records are echoed untouched).
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace cql {
struct diagnostics;
}

namespace airbyte {

enum class failure_type { system_error, config_error, transient_error };
const char* failure_type_name(failure_type t) noexcept;

// How a client error should be reported: the failure kind of the client's one decision
// (cql::classify): bad credentials, TLS trust, an unknown datacenter or a missing permission are
// config errors; an unreachable, overloaded or timing-out cluster is transient; anything else is a
// system error.
failure_type classify(std::error_code ec) noexcept;
// A one-line explanation for users: the error, the server's message and the host.
std::string describe(std::error_code ec, const cql::diagnostics& d);

class output {
public:
    explicit output(std::FILE* out) : out_(out) {}
    void add_secret(std::string secret);

    void log(std::string_view level, std::string_view message);
    void trace_error(failure_type type, std::string_view message, std::string_view internal = {});
    void connection_status(bool succeeded, std::string_view message);
    void spec(std::string_view spec_json);
    // The state object as read (without destinationStats), with destinationStats.recordCount added.
    void state(std::string_view state_json, std::uint64_t record_count);
    std::string mask(std::string_view text) const;

private:
    void line(const std::string& json);
    std::mutex m_;
    std::FILE* out_;
    std::vector<std::string> secrets_;
};

}  // namespace airbyte
