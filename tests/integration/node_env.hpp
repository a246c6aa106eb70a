// Where the Cassandra node started by tools/cassandra-local is: read from the environment that
// `tools/cassandra-local env` prints. A missing variable is a test failure, never a skip.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace cql::test {

inline std::string required_env(const char* name) {
    const char* v = std::getenv(name);
    if (!v || !*v)
        throw std::runtime_error(std::string(name) +
                                 " is not set: start a node with tools/cassandra-local start and eval \"$(tools/cassandra-local env)\"");
    return v;
}

struct node_env {
    std::string host;      // first contact point
    std::string hosts;     // comma-separated
    unsigned short port;
    std::string user, password, ca_pem;

    static node_env from_environment() {
        node_env e;
        e.hosts = required_env("CQL_HOSTS");
        e.host = e.hosts.substr(0, e.hosts.find(','));
        e.port = static_cast<unsigned short>(std::stoi(required_env("CQL_PORT")));
        e.user = required_env("CQL_USER");
        e.password = required_env("CQL_PASSWORD");
        e.ca_pem = required_env("CQL_CA_PEM");
        return e;
    }
};

}  // namespace cql::test
