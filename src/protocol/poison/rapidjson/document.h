#error "src/protocol is sans-I/O: bytes in, messages out. Sockets, TLS and JSON belong in src/cql or src/airbyte."
