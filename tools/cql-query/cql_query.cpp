// cql-query: runs CQL statements against a cluster and prints the rows, one per line, columns
// separated by " | " (values in CQL literal style). For the demo and for poking at a node.
//   cql-query [--hosts H1,H2] [--port P] [--user U] [--password-env VAR] "SELECT ..." ...
// Defaults come from the harness's environment (CQL_HOSTS, CQL_PORT, CQL_USER, CQL_PASSWORD).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cql/blocking.hpp"

int main(int argc, char** argv) {
    auto env = [](const char* n, const char* d) {
        const char* v = std::getenv(n);
        return std::string(v && *v ? v : d);
    };
    cql::session_config cfg;
    std::string hosts = env("CQL_HOSTS", "127.0.0.1");
    cfg.default_port = static_cast<std::uint16_t>(std::stoi(env("CQL_PORT", "9042")));
    cfg.username = env("CQL_USER", "");
    cfg.password = env("CQL_PASSWORD", "");
    std::vector<std::string> queries;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--hosts" && i + 1 < argc) hosts = argv[++i];
        else if (a == "--port" && i + 1 < argc) cfg.default_port = static_cast<std::uint16_t>(std::stoi(argv[++i]));
        else if (a == "--user" && i + 1 < argc) cfg.username = argv[++i];
        else if (a == "--password-env" && i + 1 < argc) cfg.password = env(argv[++i], "");
        else queries.push_back(a);
    }
    cfg.contact_points.clear();
    for (std::size_t at = 0; at <= hosts.size();) {
        auto comma = hosts.find(',', at);
        if (comma == std::string::npos) comma = hosts.size();
        cfg.contact_points.push_back(hosts.substr(at, comma - at));
        at = comma + 1;
    }
    cql::blocking_session db(cfg);
    if (auto ec = db.connect()) {
        std::fprintf(stderr, "cql-query: cannot connect: %s: %s\n", ec.message().c_str(), db.last_error().message.c_str());
        return 1;
    }
    int status = 0;
    for (const auto& q : queries) {
        cql::statement st(q);
        for (;;) {
            std::error_code ec;
            auto r = db.execute(st, ec);
            if (ec) {
                std::fprintf(stderr, "cql-query: %s: %s: %s\n", q.c_str(), ec.message().c_str(), r.diag.message.c_str());
                status = 1;
                break;
            }
            for (std::size_t row = 0; row < r.size(); ++row) {
                std::string line;
                for (std::size_t c = 0; c < r.column_count(); ++c) {
                    std::error_code vec;
                    auto v = r.value(row, c, vec);
                    line += (c ? " | " : "") + (vec ? std::string("<undecodable>") : cql::protocol::to_string(r.columns()[c].type, v));
                }
                std::printf("%s\n", line.c_str());
            }
            if (!r.paging_state()) break;
            st.options.paging_state = r.paging_state();
        }
    }
    return status;
}
