// destination-cassandra: the Airbyte destination for Apache Cassandra.
//   destination-cassandra spec
//   destination-cassandra check --config CONFIG.json
//   destination-cassandra write --config CONFIG.json --catalog CATALOG.json < messages
// stdout carries Airbyte messages only. Exit status: 0 success (and check reporting a FAILED
// connection status), 1 failure (after a TRACE ERROR), 2 usage error.
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <new>
#include <sstream>
#include <string>

#include "airbyte/catalog.hpp"
#include "airbyte/config.hpp"
#include "airbyte/destination.hpp"
#include "airbyte/output.hpp"

namespace {

constexpr const char* usage_text =
    "usage: destination-cassandra spec\n"
    "       destination-cassandra check --config CONFIG.json\n"
    "       destination-cassandra write --config CONFIG.json --catalog CATALOG.json < messages.jsonl\n";

int usage(const std::string& problem) {
    std::fprintf(stderr, "destination-cassandra: %s\n%s", problem.c_str(), usage_text);
    return 2;
}

bool read_file(const std::string& path, std::string& out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return false;
    std::ostringstream ss;
    ss << f.rdbuf();
    out = ss.str();
    return !f.bad();
}

// ---- the last resort: whatever nothing else caught ends as a TRACE ERROR (system_error), status 1 ----
// An exception out of main or out of a thread, a noexcept violated, or memory that ran out: the
// platform gets a message it can show, never a bare abort. Written with no allocation (the heap
// may be exhausted) and with write(2) (another thread may hold stdout's lock).
airbyte::output* g_out = nullptr;  // masks secrets in the message, when memory allows
char* g_reserve = nullptr;         // released when memory runs out, so the TRACE can still be made

void write_all(const char* p, std::size_t n) noexcept {
    while (n > 0) {
        const auto w = ::write(STDOUT_FILENO, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

[[noreturn]] void last_resort(const char* what) noexcept {
    char message[512];
    std::size_t m = 0;
    // Only characters that need no JSON escaping (the message is ours or an exception's what()).
    for (const char* p = what; *p && m + 1 < sizeof message; ++p)
        message[m++] = (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\') ? *p : ' ';
    message[m] = '\0';
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
    char line[1024];
    const int n = std::snprintf(line, sizeof line,
                                "{\"type\":\"TRACE\",\"trace\":{\"type\":\"ERROR\",\"emitted_at\":%lld,\"error\":{\"message\":"
                                "\"the connector failed unexpectedly: %s\",\"failure_type\":\"system_error\"}}}\n",
                                static_cast<long long>(now), message);
    if (n > 0) write_all(line, std::min<std::size_t>(static_cast<std::size_t>(n), sizeof line - 1));
    std::_Exit(1);
}

// The exception's text, masked; "what" alone when even that cannot be done.
[[noreturn]] void fail_with(const char* what, const char* detail) noexcept {
    try {
        std::string text = std::string(what) + (detail && *detail ? std::string(": ") + detail : std::string());
        if (g_out) text = g_out->mask(text);
        last_resort(text.c_str());
    } catch (...) {
        last_resort(what);
    }
}

[[noreturn]] void fail_with_current_exception() noexcept {
    try {
        throw;
    } catch (const std::bad_alloc&) {
        last_resort("out of memory");
    } catch (const std::exception& e) {
        fail_with("uncaught exception", e.what());
    } catch (...) {
        last_resort("uncaught exception of an unknown type");
    }
}

void on_terminate() noexcept {
    std::fflush(stdout);  // lines already written whole (output flushes each one)
    if (std::current_exception()) fail_with_current_exception();
    last_resort("std::terminate called");
}

void on_out_of_memory() {
    // First time: give the reserve back, so the handlers up the stack can still work; the next
    // failure throws std::bad_alloc, which ends in the TRACE.
    if (g_reserve) {
        delete[] g_reserve;
        g_reserve = nullptr;
        return;
    }
    std::set_new_handler(nullptr);
    throw std::bad_alloc();
}

int run(int argc, char** argv, airbyte::output& out);

}  // namespace

int main(int argc, char** argv) {
    g_reserve = new char[1 << 20];
    std::set_new_handler(on_out_of_memory);
    std::set_terminate(on_terminate);
    airbyte::output out(stdout);
    g_out = &out;
    try {
        return run(argc, argv, out);
    } catch (...) {
        fail_with_current_exception();
    }
}

namespace {

int run(int argc, char** argv, airbyte::output& out) {
    std::signal(SIGPIPE, SIG_IGN);
    if (argc < 2) return usage("no command given");
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(usage_text, stdout);
        return 0;
    }
    std::map<std::string, std::string> opts;
    for (int i = 2; i < argc; ++i) {
        std::string a = argv[i];
        if ((a == "--config" || a == "--catalog" || a == "--state") && i + 1 < argc) opts[a] = argv[++i];
        else return usage("unexpected argument '" + a + "'");
    }
    if (command == "spec") {
        out.spec(airbyte::spec_json());
        return 0;
    }
    if (command != "check" && command != "write") return usage("unknown command '" + command + "'");
    if (!opts.count("--config")) return usage(command + " needs --config FILE");
    if (command == "write" && !opts.count("--catalog")) return usage("write needs --catalog FILE");
    std::string config_text, catalog_text;
    if (!read_file(opts["--config"], config_text)) return usage("cannot read config file '" + opts["--config"] + "'");
    if (command == "write" && !read_file(opts["--catalog"], catalog_text))
        return usage("cannot read catalog file '" + opts["--catalog"] + "'");

    // Before anything reads the config: an error about any of its fields must not show a secret.
    for (const auto& secret : airbyte::config_secrets(config_text)) out.add_secret(secret);
    airbyte::connector_config cfg;
    std::string error;
    if (!airbyte::parse_config(config_text, cfg, error)) {
        if (command == "check") {
            out.connection_status(false, error);
            return 0;
        }
        out.trace_error(airbyte::failure_type::config_error, error);
        return 1;
    }
    if (command == "check") return airbyte::run_check(cfg, out);

    std::vector<airbyte::configured_stream> streams;
    if (!airbyte::parse_catalog(catalog_text, streams, error)) {
        out.trace_error(airbyte::failure_type::config_error, error);
        return 1;
    }
    return airbyte::run_write(cfg, streams, STDIN_FILENO, out);
}

}  // namespace
