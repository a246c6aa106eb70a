#include "airbyte/output.hpp"

#include <chrono>

#include "airbyte/json.hpp"
#include "cql/error.hpp"
#include "cql/result.hpp"
#include "cql/retry_policy.hpp"

namespace airbyte {

const char* failure_type_name(failure_type t) noexcept {
    switch (t) {
        case failure_type::config_error: return "config_error";
        case failure_type::transient_error: return "transient_error";
        case failure_type::system_error: return "system_error";
    }
    return "system_error";
}

failure_type classify(std::error_code ec) noexcept {
    switch (cql::classify(ec, cql::diagnostics{}, true).kind) {
        case cql::failure_kind::config: return failure_type::config_error;
        case cql::failure_kind::transient: return failure_type::transient_error;
        case cql::failure_kind::system: return failure_type::system_error;
    }
    return failure_type::system_error;
}

std::string describe(std::error_code ec, const cql::diagnostics& d) {
    std::string out = ec.message();
    if (!d.message.empty() && d.message != out) out += ": " + d.message;
    if (!d.host.empty() && out.find(d.host) == std::string::npos) out += " (node " + d.host + ")";
    return out;
}

void output::add_secret(std::string secret) {
    if (secret.empty()) return;
    // Messages may quote a value as JSON: its escaped form is masked too.
    std::string quoted = json_quote(secret);
    quoted = quoted.substr(1, quoted.size() - 2);
    if (quoted != secret) secrets_.push_back(std::move(quoted));
    secrets_.push_back(std::move(secret));
}

std::string output::mask(std::string_view text) const {
    std::string s(text);
    for (const auto& secret : secrets_)
        for (auto at = s.find(secret); at != std::string::npos; at = s.find(secret, at + 4)) s.replace(at, secret.size(), "****");
    return s;
}

void output::line(const std::string& json) {
    std::lock_guard lock(m_);
    std::fwrite(json.data(), 1, json.size(), out_);
    std::fputc('\n', out_);
    std::fflush(out_);
}

void output::log(std::string_view level, std::string_view message) {
    line(R"({"type":"LOG","log":{"level":")" + std::string(level) + R"(","message":)" + json_quote(mask(message)) + "}}");
}

void output::trace_error(failure_type type, std::string_view message, std::string_view internal) {
    const auto now = std::chrono::duration<double, std::milli>(std::chrono::system_clock::now().time_since_epoch()).count();
    std::string j = R"({"type":"TRACE","trace":{"type":"ERROR","emitted_at":)" + std::to_string(static_cast<std::int64_t>(now)) +
                    R"(,"error":{"message":)" + json_quote(mask(message));
    if (!internal.empty()) j += R"(,"internal_message":)" + json_quote(mask(internal));
    j += R"(,"failure_type":")" + std::string(failure_type_name(type)) + "\"}}}";
    line(j);
}

void output::connection_status(bool ok, std::string_view message) {
    std::string j = R"({"type":"CONNECTION_STATUS","connectionStatus":{"status":")" + std::string(ok ? "SUCCEEDED" : "FAILED") + "\"";
    if (!message.empty()) j += R"(,"message":)" + json_quote(mask(message));
    line(j + "}}");
}

void output::spec(std::string_view spec_json) { line(R"({"type":"SPEC","spec":)" + std::string(spec_json) + "}"); }

void output::state(std::string_view state_json, std::uint64_t count) {
    // state_json is a compact object: insert the stats before its closing brace.
    std::string j = R"({"type":"STATE","state":)";
    j.append(state_json.substr(0, state_json.size() - 1));
    if (state_json.size() > 2) j += ',';
    j += R"("destinationStats":{"recordCount":)" + std::to_string(count) + ".0}}}";
    line(j);
}

}  // namespace airbyte
