#!/usr/bin/env python3
"""Captures protocol v5 segments from a running Cassandra node into tests/data/captured_segments.txt.

Usage: capture_v5.py HOST PORT USER PASSWORD OUT_FILE

Speaks v5 by hand with its own CRCs (zlib's CRC32, a bit-by-bit CRC24 written from the spec), so the
C++ segment codec is checked against bytes it did not produce. Two connections: one with plain
segments, one with LZ4 segments (our requests go raw inside LZ4 headers, which the spec allows; the
node compresses its answers). Each output line: NAME lz4|plain HEX-OF-THE-SEGMENTS, the raw bytes the
node sent after the handshake switch for one request (one or more segments).
The keyspace it creates is dropped at the end.
"""
import os
import socket
import struct
import sys
import zlib


def crc24(bits, n):
    crc = 0x875060
    for _ in range(n):
        crc ^= (bits & 0xFF) << 16
        bits >>= 8
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1974F0B
    return crc & 0xFFFFFF


def crc32(payload):
    return zlib.crc32(payload, zlib.crc32(bytes([0xFA, 0x2D, 0x55, 0xCA])))


def segment(payload, self_contained, lz4):
    if lz4:
        h = len(payload) | (0 << 17) | ((1 if self_contained else 0) << 34)
        head = h.to_bytes(5, "little") + crc24(h, 5).to_bytes(3, "little")
    else:
        h = len(payload) | ((1 if self_contained else 0) << 17)
        head = h.to_bytes(3, "little") + crc24(h, 3).to_bytes(3, "little")
    return head + payload + crc32(payload).to_bytes(4, "little")


def segments(frame, lz4):
    limit = (1 << 17) - 1
    if len(frame) <= limit:
        return segment(frame, True, lz4)
    return b"".join(segment(frame[i:i + limit], False, lz4) for i in range(0, len(frame), limit))


def frame(opcode, body, stream=1):
    return struct.pack(">BBhBI", 5, 0, stream, opcode, len(body)) + body


def string_map(pairs):
    out = struct.pack(">H", len(pairs))
    for k, v in pairs:
        out += struct.pack(">H", len(k)) + k.encode() + struct.pack(">H", len(v)) + v.encode()
    return out


def query_body(cql):
    # <query><consistency ONE><flags [int] 0>
    return struct.pack(">I", len(cql)) + cql.encode() + struct.pack(">HI", 1, 0)


class Conn:
    def __init__(self, host, port, lz4):
        self.sock = socket.create_connection((host, port), timeout=10)
        self.lz4 = lz4

    def recv_exact(self, n):
        out = b""
        while len(out) < n:
            got = self.sock.recv(n - len(out))
            if not got:
                raise RuntimeError("connection closed")
            out += got
        return out

    def unframed(self, opcode, body):
        self.sock.sendall(frame(opcode, body))
        head = self.recv_exact(9)
        return head, self.recv_exact(struct.unpack(">I", head[5:9])[0])

    def framed(self, opcode, body):
        """Sends one framed request; returns the raw segment bytes of the whole answer."""
        self.sock.sendall(segments(frame(opcode, body), self.lz4))
        raw = b""
        want = None
        got = 0
        while want is None or got < want:
            hsize = 8 if self.lz4 else 6
            head = self.recv_exact(hsize)
            bits = int.from_bytes(head[:hsize - 3], "little")
            length = bits & 0x1FFFF
            payload = self.recv_exact(length)
            trailer = self.recv_exact(4)
            assert crc24(bits, hsize - 3) == int.from_bytes(head[hsize - 3:], "little"), "header CRC"
            assert crc32(payload) == int.from_bytes(trailer, "little"), "payload CRC"
            raw += head + payload + trailer
            if self.lz4 and (bits >> 17) & 0x1FFFF:
                size = None  # compressed: the envelope length is only known after LZ4; one segment here
                return raw
            if want is None:
                want = 9 + struct.unpack(">I", payload[5:9])[0]
            got += length
        return raw

    def open(self, user, password):
        head, _ = self.unframed(0x05, b"")
        assert head[4] == 0x06, head
        opts = [("CQL_VERSION", "3.0.0")] + ([("COMPRESSION", "lz4")] if self.lz4 else [])
        head, body = self.unframed(0x01, string_map(opts))
        assert head[0] == 0x85 and head[4] == 0x03, head  # AUTHENTICATE, unframed
        token = b"\0" + user.encode() + b"\0" + password.encode()
        return self.framed(0x0F, struct.pack(">I", len(token)) + token)


def main():
    host, port, user, password, out_file = sys.argv[1:6]
    ks = "capture_v5_%d" % os.getpid()
    lines = []
    for lz4 in (False, True):
        tag = "lz4" if lz4 else "plain"
        c = Conn(host, int(port), lz4)
        lines.append(("auth_success", tag, c.open(user, password)))
        lines.append(("rows_release_version", tag, c.framed(0x07, query_body(
            "SELECT release_version FROM system.local WHERE key='local'"))))
        lines.append(("error_syntax", tag, c.framed(0x07, query_body("SELEKT 1"))))
        if not lz4:
            c.framed(0x07, query_body("CREATE KEYSPACE %s WITH replication = {'class': 'SimpleStrategy', "
                                      "'replication_factor': 1}" % ks))
            c.framed(0x07, query_body("CREATE TABLE %s.big (k int PRIMARY KEY, b blob)" % ks))
            blob = bytes((i * 7 + 3) & 0xFF for i in range(140 * 1024)).hex()
            c.framed(0x07, query_body("INSERT INTO %s.big (k, b) VALUES (1, 0x%s)" % (ks, blob)))
            lines.append(("rows_big_blob", tag, c.framed(0x07, query_body("SELECT b FROM %s.big WHERE k = 1" % ks))))
            c.framed(0x07, query_body("DROP KEYSPACE %s" % ks))
        c.sock.close()
    with open(out_file, "w") as out:
        out.write("# v5 segments captured from a real Cassandra node by tools/capture/capture_v5.py.\n")
        out.write("# Each line: NAME lz4|plain HEX: the node's whole answer to one request, as segments.\n")
        for name, tag, raw in lines:
            out.write("%s %s %s\n" % (name, tag, raw.hex()))


if __name__ == "__main__":
    main()
