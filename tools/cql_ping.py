#!/usr/bin/env python3
"""CQL smoke check: is a Cassandra node answering the native protocol (v4)?

Opens TCP (or TLS with --tls --ca PEM) to HOST:PORT, sends an OPTIONS frame, decodes the SUPPORTED
string multimap, prints it, and exits 0 if it holds CQL_VERSION and PROTOCOL_VERSIONS. With --user
(and --password) it also logs in (STARTUP, then SASL PLAIN through AUTH_RESPONSE) and fails unless the
node answers AUTH_SUCCESS (or READY when authentication is off).

Stdlib only; tools/cassandra-local imports it (options(), login(), query()) for its readiness checks
and to make the tests' role.

    tools/cql_ping.py 127.0.0.1 9042
    tools/cql_ping.py 127.0.0.1 9042 --tls --ca .cache/run/tls/node.pem --user cassandra --password cassandra
"""
import argparse
import socket
import ssl
import struct
import sys

VERSION = 0x04
OP_ERROR, OP_STARTUP, OP_READY, OP_AUTHENTICATE = 0x00, 0x01, 0x02, 0x03
OP_OPTIONS, OP_SUPPORTED, OP_QUERY, OP_RESULT = 0x05, 0x06, 0x07, 0x08
CONSISTENCY_ONE = 0x0001
OP_AUTH_CHALLENGE, OP_AUTH_RESPONSE, OP_AUTH_SUCCESS = 0x0E, 0x0F, 0x10
HEADER = struct.Struct(">BBhBi")  # version, flags, stream, opcode, body length
MAX_BODY = 256 * 1024 * 1024


class CqlError(Exception):
    """The node answered with something other than what the request expects."""


def connect(host, port, timeout=5.0, tls=False, ca=None):
    """Returns a connected socket, wrapped in TLS (verifying the certificate against ca) if asked."""
    sock = socket.create_connection((host, port), timeout=timeout)
    if not tls:
        return sock
    context = ssl.create_default_context(cafile=ca)
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except BaseException:
        sock.close()
        raise


def _recv_exact(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise CqlError(f"connection closed after {len(data)} of {n} bytes")
        data += chunk
    return bytes(data)


def request(sock, opcode, body=b"", stream=0):
    """Sends one frame and returns (opcode, body) of the response on the same stream."""
    sock.sendall(HEADER.pack(VERSION, 0, stream, opcode, len(body)) + body)
    version, _flags, got_stream, got_opcode, length = HEADER.unpack(_recv_exact(sock, HEADER.size))
    if version != (0x80 | VERSION):
        raise CqlError(f"unexpected response version byte 0x{version:02x}")
    if got_stream != stream:
        raise CqlError(f"response on stream {got_stream}, expected {stream}")
    if not 0 <= length <= MAX_BODY:
        raise CqlError(f"bad body length {length}")
    return got_opcode, _recv_exact(sock, length)


class Reader:
    """Decodes the [short], [int], [string], [bytes] notations of the protocol spec."""

    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, n):
        if self.pos + n > len(self.data):
            raise CqlError("body too short")
        chunk = self.data[self.pos:self.pos + n]
        self.pos += n
        return chunk

    def short(self):
        return struct.unpack(">H", self.take(2))[0]

    def int(self):
        return struct.unpack(">i", self.take(4))[0]

    def string(self):
        return self.take(self.short()).decode("utf-8")

    def string_multimap(self):
        return {self.string(): [self.string() for _ in range(self.short())] for _ in range(self.short())}


def _string(text):
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def _string_map(mapping):
    return struct.pack(">H", len(mapping)) + b"".join(_string(k) + _string(v) for k, v in mapping.items())


def _error_text(body):
    reader = Reader(body)
    code = reader.int()
    return f"error 0x{code:04x}: {reader.string()}"


def _expect(opcode, body, wanted, what):
    if opcode == OP_ERROR:
        raise CqlError(f"{what}: {_error_text(body)}")
    if opcode not in wanted:
        raise CqlError(f"{what}: unexpected opcode 0x{opcode:02x}")


def options(sock):
    """OPTIONS -> SUPPORTED: returns the string multimap, e.g. {'CQL_VERSION': ['3.4.7'], ...}."""
    opcode, body = request(sock, OP_OPTIONS)
    _expect(opcode, body, (OP_SUPPORTED,), "OPTIONS")
    return Reader(body).string_multimap()


def login(sock, user, password, cql_version="3.0.0"):
    """STARTUP, then (if the node asks) SASL PLAIN credentials. Raises CqlError unless accepted."""
    opcode, body = request(sock, OP_STARTUP, _string_map({"CQL_VERSION": cql_version}), stream=1)
    _expect(opcode, body, (OP_READY, OP_AUTHENTICATE), "STARTUP")
    if opcode == OP_READY:
        return
    token = b"\0" + user.encode("utf-8") + b"\0" + password.encode("utf-8")
    opcode, body = request(sock, OP_AUTH_RESPONSE, struct.pack(">i", len(token)) + token, stream=2)
    _expect(opcode, body, (OP_AUTH_SUCCESS,), "AUTH_RESPONSE")


def query(sock, cql, stream=3):
    """QUERY at consistency ONE, no values: for statements whose RESULT carries nothing wanted
    (Void or Schema_change). Raises CqlError on an ERROR."""
    text = cql.encode("utf-8")
    body = struct.pack(">i", len(text)) + text + struct.pack(">HB", CONSISTENCY_ONE, 0)
    opcode, answer = request(sock, OP_QUERY, body, stream=stream)
    _expect(opcode, answer, (OP_RESULT,), "QUERY")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("host", nargs="?", default="127.0.0.1")
    parser.add_argument("port", nargs="?", type=int, default=9042)
    parser.add_argument("--tls", action="store_true", help="connect with TLS")
    parser.add_argument("--ca", help="PEM file of the CA (here: the node certificate) to verify against")
    parser.add_argument("--user", help="also log in as this user")
    parser.add_argument("--password", default="", help="password for --user")
    parser.add_argument("--timeout", type=float, default=5.0, help="socket timeout in seconds")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    try:
        with connect(args.host, args.port, args.timeout, args.tls, args.ca) as sock:
            supported = options(sock)
            for key, values in sorted(supported.items()):
                print(f"{key}: {', '.join(values)}")
            if args.user:
                login(sock, args.user, args.password)
                print(f"login as {args.user}: ok")
    except (OSError, CqlError) as exc:
        print(f"cql_ping: {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    missing = [k for k in ("CQL_VERSION", "PROTOCOL_VERSIONS") if k not in supported]
    if missing:
        print(f"cql_ping: SUPPORTED lacks {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
