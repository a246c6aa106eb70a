#!/usr/bin/env python3
"""Tests of the fault suite's own tools, no Cassandra needed (stdlib only):

  * tools/fault-proxy between a client and a fake CQL server (answers every request frame with a
    RESULT Void on the same stream, optionally one byte per write so that frames straddle reads):
    pass-through, close after N bytes / N frames, half-close, flips by frame and by stream offset,
    stall, delay, refuse, reset, all over the control channel too;
  * tests/faults/invariants.py on synthetic runs: a correct run passes, and each kind of violation
    (a lost acknowledged record, a changed row, a row that is no record, a duplicate, a wrong
    recordCount, a state never sent, an outcome not allowed, a leaked password, a hang) is reported.

    python3 tests/faults/proxy_selftest.py     exit 0 when every check holds
"""
import asyncio
import json
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROXY = HERE.parent.parent / "tools" / "fault-proxy"
sys.dont_write_bytecode = True
sys.path.insert(0, str(HERE))
import invariants  # noqa: E402

failures = []


def expect(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        failures.append(what)


def frame(opcode, stream, body=b"", version=0x04):
    return struct.pack(">BBhBI", version, 0, stream, opcode, len(body)) + body


def void(stream):
    return frame(0x08, stream, struct.pack(">i", 1), version=0x84)


class FakeNode:
    """Answers each request frame with RESULT Void; records what each connection received."""

    def __init__(self, one_byte_writes=False):
        self.received = []
        self.one_byte = one_byte_writes
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()
        threading.Thread(target=self.run, args=(ready,), daemon=True).start()
        ready.wait()

    def run(self, ready):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self.serve, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()

    async def serve(self, reader, writer):
        got = bytearray()
        self.received.append(got)
        try:
            while True:
                hdr = await reader.readexactly(9)
                body = await reader.readexactly(struct.unpack(">I", hdr[5:9])[0])
                got += hdr + body
                answer = void(struct.unpack(">h", hdr[2:4])[0])
                for i in range(len(answer)) if self.one_byte else [None]:
                    writer.write(answer if i is None else answer[i:i + 1])
                    await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()


class Proxy:
    def __init__(self, node, *flags):
        self.dir = tempfile.TemporaryDirectory()
        self.ctl_path = Path(self.dir.name) / "ctl"
        self.log = Path(self.dir.name) / "log"
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        self.port = s.getsockname()[1]
        s.close()
        self.proc = subprocess.Popen([sys.executable, str(PROXY), "--listen", f"127.0.0.1:{self.port}",
                                      "--upstream", f"127.0.0.1:{node.port}", "--control-unix", str(self.ctl_path),
                                      "--log", str(self.log), *flags])
        while not self.ctl_path.exists():
            time.sleep(0.02)

    def ctl(self, **cmd):
        out = subprocess.run([sys.executable, str(PROXY), "ctl", str(self.ctl_path), json.dumps(cmd)],
                             capture_output=True, text=True).stdout
        return json.loads(out)

    def faults(self):
        return [ln for ln in self.log.read_text().splitlines() if " FAULT " in ln]

    def connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self.proc.terminate()
        self.proc.wait()
        self.dir.cleanup()


def read_all(sock, limit=1 << 20):
    data = bytearray()
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                return bytes(data), "eof"
            data += chunk
    except socket.timeout:
        return bytes(data), "timeout"
    except ConnectionResetError:
        return bytes(data), "reset"
    return bytes(data), "limit"


def exchange(sock, n, start=1):
    for i in range(n):
        sock.sendall(frame(0x07, start + i, b"q" * 20))


def proxy_tests():
    for one_byte in (False, True):
        node = FakeNode(one_byte_writes=one_byte)
        tag = " (responses one byte per write)" if one_byte else ""
        with Proxy(node) as p, p.connect() as c:
            exchange(c, 5)
            c.settimeout(1.5)
            data, _ = read_all(c, 5 * 13)
            expect(data == b"".join(void(i) for i in range(1, 6)), "pass-through: 5 answers intact" + tag)
            stats = p.ctl(cmd="stats")
            expect(stats["frames"] == {"c2s": 5, "s2c": 5}, f"5 frames counted each way{tag}: {stats['frames']}")
        with Proxy(node, "--close-after-frames", "s2c:2") as p, p.connect() as c:
            exchange(c, 5)
            data, how = read_all(c)
            expect(data == void(1) + void(2) and how in ("eof", "reset"), f"close after 2 s2c frames{tag}: {len(data)} bytes, {how}")
        with Proxy(node, "--flip-frame", "2:4:0x01:8") as p, p.connect() as c:
            exchange(c, 3)
            c.settimeout(1.5)
            data, _ = read_all(c, 39)
            want = bytearray(void(1) + void(2) + void(3))
            want[13 + 4] ^= 0x01
            expect(data == bytes(want), f"flip byte 4 (opcode) of RESULT frame 2 only{tag}")
            expect(len(p.faults()) == 1 and "0x08 -> 0x09" in p.faults()[0], f"one flip logged{tag}")
        with Proxy(node, "--flip-byte", "30:0x80") as p, p.connect() as c:
            exchange(c, 3)
            c.settimeout(1.5)
            data, _ = read_all(c, 39)
            want = bytearray(void(1) + void(2) + void(3))
            want[30] ^= 0x80
            expect(data == bytes(want), f"flip s2c stream byte 30{tag}")
    node = FakeNode()
    with Proxy(node, "--close-after-bytes", "c2s:40", "--rst") as p, p.connect() as c:
        exchange(c, 3)  # 3 x 29 bytes
        time.sleep(0.5)
        expect(len(node.received[-1]) == 29, f"close after 40 c2s bytes: the node got the first whole frame only "
                                             f"({len(node.received[-1])} bytes; the cut frame is not complete)")
        _, how = read_all(c)
        expect(how in ("reset", "eof"), f"client sees the connection end ({how})")
    with Proxy(node, "--half-close-after-frames", "s2c:1") as p, p.connect() as c:
        exchange(c, 1)
        data, how = read_all(c)
        expect(data == void(1) and how == "eof", f"half-close after 1 s2c frame: client reads 1 frame then EOF ({how})")
        exchange(c, 2, start=2)
        time.sleep(0.5)
        expect(len(node.received[-1]) == 3 * 29, "half-closed: client->server still flows")
    with Proxy(node, "--delay-ms", "s2c:300") as p, p.connect() as c:
        t = time.monotonic()
        exchange(c, 1)
        c.settimeout(3)
        c.recv(100)
        expect(time.monotonic() - t >= 0.28, f"delay 300 ms ({time.monotonic() - t:.2f} s)")
    with Proxy(node, "--stall-after-bytes", "s2c:13:1") as p, p.connect() as c:
        exchange(c, 2)
        c.settimeout(3)
        t = time.monotonic()
        data = c.recv(100)
        data += c.recv(100)
        expect(data == void(1) + void(2) and time.monotonic() - t >= 0.9,
               f"stall s2c after 13 bytes for 1 s: the 2nd answer comes {time.monotonic() - t:.2f} s later")
    with Proxy(node, "--refuse", "1") as p:
        try:
            socket.create_connection(("127.0.0.1", p.port), timeout=1).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        expect(refused, "--refuse 1: refused at first")
        time.sleep(1.3)
        with p.connect() as c:
            exchange(c, 1)
            c.settimeout(2)
            expect(c.recv(100) == void(1), "--refuse 1: accepted after a second")
    with Proxy(node) as p:
        with p.connect() as c:
            p.ctl(cmd="stall", seconds=1.0)
            t = time.monotonic()
            exchange(c, 1)
            c.settimeout(3)
            got = c.recv(100)
            expect(got == void(1) and time.monotonic() - t >= 0.9, f"stall 1 s ({time.monotonic() - t:.2f} s)")
            p.ctl(cmd="stall", seconds=None, conns="open")
            exchange(c, 1, start=2)
            c.settimeout(1.0)
            data, how = read_all(c)
            expect(data == b"" and how == "timeout", "stall forever of the open connection: no answer")
            with p.connect() as c2:
                exchange(c2, 1)
                c2.settimeout(2)
                expect(c2.recv(100) == void(1), "a new connection flows while the old one stalls")
            p.ctl(cmd="reset")
            _, how = read_all(c)
            expect(how in ("reset", "eof"), f"reset all: the stalled connection ends ({how})")
        p.ctl(cmd="refuse", seconds=1.0)
        try:
            socket.create_connection(("127.0.0.1", p.port), timeout=1).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        expect(refused, "refuse: new connections are refused")
        time.sleep(1.3)
        with p.connect() as c:
            exchange(c, 1)
            c.settimeout(2)
            expect(c.recv(100) == void(1), "after the refusal, connections are accepted again")
        p.ctl(cmd="set", s2c={"close_after_frames": 1})
        with p.connect() as c:
            exchange(c, 3)
            data, how = read_all(c)
            expect(data == void(1), f"set over the control channel: close after 1 frame ({len(data)} bytes, {how})")
        expect(p.ctl(cmd="bogus").get("ok") is False, "an unknown command is refused")


def invariants_tests():
    d = Path(tempfile.mkdtemp(prefix="faults-selftest-"))
    msgs = d / "m.jsonl"
    lines, rows = [], []
    for i in range(1, 7):
        data = {"id": i, "name": f"n{i}", "x": {"y": [i, 1.5]}}
        lines.append(json.dumps({"type": "RECORD", "record": {"stream": "users", "data": data, "emitted_at": 1000 + i}}))
        rows.append((f"uuid{i}", json.dumps(data), 1000 + i, {}))
        if i % 2 == 0:
            lines.append(json.dumps({"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"p": i}}}}))
    msgs.write_text("\n".join(lines) + "\n")
    inp = invariants.Input(str(msgs))

    def out(n_states, trace=None):
        o = [json.dumps({"type": "LOG", "log": {"level": "INFO", "message": "hello"}})]
        for k in range(n_states):
            o.append(json.dumps({"type": "STATE", "state": {"type": "GLOBAL", "global": {"shared_state": {"p": 2 * (k + 1)}},
                                                            "destinationStats": {"recordCount": 2.0}}}))
        if trace:
            o.append(json.dumps({"type": "TRACE", "trace": {"type": "ERROR", "error": {"message": "x", "failure_type": trace}}}))
        return "\n".join(o)

    def run(stdout, status, table, allowed=("ok", "transient_error"), stderr="", timed_out=False):
        return invariants.check(inp, stdout, stderr, status, allowed, "Pw-123", {"users": table}, timed_out).problems

    expect(run(out(3), 0, rows) == [], "invariants: a complete run passes")
    expect(run(out(2, "transient_error"), 1, rows[:4]) == [], "invariants: transient failure after 2 states, 4 rows, passes")
    cases = {
        "an acknowledged record missing": (out(2, "transient_error"), 1, rows[:3]),
        "a changed row": (out(3), 0, rows[:5] + [(rows[5][0], json.dumps({"id": 6, "name": "zz"}), 1006, {})]),
        "a changed emitted_at": (out(3), 0, rows[:5] + [(rows[5][0], rows[5][1], 999, {})]),
        "a row that is no record": (out(3), 0, rows + [("u9", json.dumps({"id": 99}), 1, {})]),
        "a duplicate row": (out(3), 0, rows + [("dup", rows[0][1], rows[0][2], {})]),
        "exit 0 without every state": (out(2), 0, rows),
        "a failure_type not allowed": (out(1, "system_error"), 1, rows),
        "exit 1 without a TRACE": (out(1), 1, rows),
        "a crash (signal)": (out(1), -11, rows),
        "a wrong recordCount": (out(3).replace('"recordCount": 2.0}', '"recordCount": 3.0}', 1), 0, rows),
        "a state not in the input": (out(3).replace('"p": 4', '"p": 5'), 0, rows),
        "not JSON on stdout": (out(3) + "\nplain text", 0, rows),
    }
    for name, (stdout, status, table) in cases.items():
        problems = run(stdout, status, table)
        expect(bool(problems), f"invariants: {name} is reported: {problems[:1]}")
    r = invariants.check(inp, out(2, "transient_error"), "", 1, ("transient_error",), "Pw-123", {"users": rows[:2]},
                         excusable=invariants.state_ranges(inp, [1]))
    expect(r.problems == [] and len(r.excused) == 2, "invariants: a loss within an excused state's records is counted, "
                                                     f"not reported ({r.excused})")
    r = invariants.check(inp, out(2, "transient_error"), "", 1, ("transient_error",), "Pw-123", {"users": rows[2:4]},
                         excusable=invariants.state_ranges(inp, [1]))
    expect(bool(r.problems), "invariants: a loss outside the excused states is reported")
    expect(bool(run(out(3), 0, rows, stderr="password Pw-123")), "invariants: the password in stderr is reported")
    expect(bool(run(out(3) + "Pw-123", 0, rows)), "invariants: the password in stdout is reported")
    expect(bool(run(out(1), None, rows, timed_out=True)), "invariants: a hang is reported")


def main():
    proxy_tests()
    invariants_tests()
    print(f"{'FAILED: ' + str(len(failures)) if failures else 'all passed'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
