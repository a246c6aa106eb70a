// destination-cassandra: the Airbyte destination for Apache Cassandra.
//   destination-cassandra spec
//   destination-cassandra check --config CONFIG.json
//   destination-cassandra write --config CONFIG.json --catalog CATALOG.json < messages
// stdout carries Airbyte messages only. Exit status: 0 success (and check reporting a FAILED
// connection status), 1 failure (after a TRACE ERROR), 2 usage error.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <map>
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

}  // namespace

int main(int argc, char** argv) {
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
    airbyte::output out(stdout);
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
