#!/usr/bin/env python3
"""The minimal client of issue 18 (bench/minimal_client) against tools/null-sink and a scripted fake.

    test_minimal_client.py MINIMAL_CLIENT NULL_SINK

- against tools/null-sink, in both modes (full parse, --data-as-text), windows 1 and 64: every
  STATE of the input printed, in order, the sink saw every insert, the closing line counts them;
- a line that is not JSON: exit 1, the message names the line;
- a scripted fake server (for answers a real server does not give here): an ERROR to the 5th
  EXECUTE stops the client and no STATE after record 4 is printed; a response on a stream id with
  no request outstanding stops it too.
Python standard library only.
"""
import json
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CLIENT, SINK = sys.argv[1], sys.argv[2]
failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def messages(n, state_every, bad_line=None):
    lines = []
    for i in range(1, n + 1):
        data = {"id": i, "name": f"Zoë \"{i}\"", "nested": {"a": [1, 2.5, None, True], "b": "x\\y"}}
        lines.append(json.dumps({"type": "RECORD", "record": {"stream": "users", "data": data,
                                                              "emitted_at": 1700000000000 + i}},
                                separators=(",", ":"), ensure_ascii=False))
        if i % state_every == 0:
            lines.append(json.dumps({"type": "STATE", "state": {"type": "GLOBAL", "global": {
                "shared_state": {"position": i}}}}, separators=(",", ":")))
    if bad_line is not None:
        lines.insert(bad_line - 1, '{"type":"RECORD","record":')
    return ("\n".join(lines) + "\n").encode()


def positions(stdout):
    return [json.loads(line)["state"]["global"]["shared_state"]["position"] for line in stdout.decode().splitlines()]


def run_client(port, data, *extra):
    return subprocess.run([CLIENT, "--port", str(port), *extra], input=data, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, timeout=60)


def with_sink(fn):
    with tempfile.TemporaryDirectory() as d:
        port_file, stats_file = Path(d) / "port", Path(d) / "stats.json"
        sink = subprocess.Popen([SINK, "--port", "0", "--port-file", str(port_file), "--stats-file", str(stats_file),
                                 "--quiet"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(500):
                if port_file.exists() and port_file.read_text().strip():
                    break
                time.sleep(0.01)
            result = fn(int(port_file.read_text()))
        finally:
            sink.send_signal(signal.SIGTERM)
            sink.wait(timeout=10)
        return result, json.loads(stats_file.read_text())


# ---------------------------------------------------------------- against tools/null-sink

for mode in ([], ["--data-as-text"]):
    for window in ("1", "64"):
        what = f"null-sink, window {window}{' ' + mode[0] if mode else ''}"
        done, stats = with_sink(lambda port: run_client(port, messages(1000, 100), "--window", window, *mode))
        check(done.returncode == 0, f"{what}: exit 0 ({done.stderr.decode().strip()[-300:]})")
        check(positions(done.stdout) == list(range(100, 1001, 100)), f"{what}: every STATE, in order")
        check(stats.get("insert_executes") == 1000 and not stats.get("errors_sent"), f"{what}: the sink saw 1000 inserts")
        tail = json.loads(done.stderr.decode().strip().splitlines()[-1]) if done.returncode == 0 else {}
        check(tail.get("rows") == 1000 and tail.get("acked") == 1000, f"{what}: closing line counts 1000 rows acked")

done, _ = with_sink(lambda port: run_client(port, messages(10, 5, bad_line=4)))
check(done.returncode == 1 and b"line 4" in done.stderr,
      f"a line that is not JSON: exit 1 naming line 4 ({done.stderr.decode().strip()})")


# ---------------------------------------------------------------- a scripted fake server

def frame(stream, op, body=b""):
    return struct.pack(">BBhBi", 0x84, 0, stream, op, len(body)) + body


def string(s):
    b = s.encode()
    return struct.pack(">H", len(b)) + b


def prepared_body():
    cols = [("_airbyte_ab_id", 0x0C), ("_airbyte_data", 0x0D), ("_airbyte_emitted_at", 0x0B)]
    meta = struct.pack(">iiiH", 1, len(cols), 1, 0) + string("nullsink") + string("airbyte_raw_users")
    meta += b"".join(string(n) + struct.pack(">H", t) for n, t in cols)
    return struct.pack(">i", 4) + struct.pack(">H", 4) + b"fake" + meta + struct.pack(">ii", 4, 0)


def execute_values(body):
    """The bound values of an EXECUTE body (v4: id, consistency, flags, values)."""
    n = struct.unpack(">H", body[:2])[0]
    at = 2 + n + 3
    count = struct.unpack(">H", body[at:at + 2])[0]
    at += 2
    values = []
    for _ in range(count):
        size = struct.unpack(">i", body[at:at + 4])[0]
        values.append(body[at + 4:at + 4 + size])
        at += 4 + size
    return values


def fake_server(fault, seen=None):
    """Answers the set-up, then every EXECUTE with Void except the 5th: an ERROR ('error') or a
    Void on a stream id that has no request ('stream'); 'none': no fault. Each EXECUTE's values go
    to seen. Returns (port, thread)."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)

    def serve():
        conn, _ = srv.accept()
        buf, executes = b"", 0
        with conn:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
                out = b""
                while len(buf) >= 9:
                    _, _, stream, op, n = struct.unpack(">BBhBi", buf[:9])
                    if len(buf) < 9 + n:
                        break
                    body, buf = buf[9:9 + n], buf[9 + n:]
                    if op == 0x01:
                        out += frame(stream, 0x02)
                    elif op == 0x09:
                        out += frame(stream, 0x08, prepared_body())
                    elif op == 0x0A:
                        executes += 1
                        if seen is not None:
                            seen.append(execute_values(body))
                        if executes == 5 and fault == "error":
                            out += frame(stream, 0x00, struct.pack(">i", 0x0000) + string("fake server error"))
                        elif executes == 5 and fault == "stream":
                            out += frame(stream + 1000, 0x08, struct.pack(">i", 1))
                        else:
                            out += frame(stream, 0x08, struct.pack(">i", 1))
                    else:
                        out += frame(stream, 0x08, struct.pack(">i", 1))
                try:
                    conn.sendall(out)
                except OSError:
                    return
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    return srv.getsockname()[1], t


for mode in ([], ["--data-as-text"]):
    seen = []
    port, thread = fake_server("none", seen)
    done = run_client(port, messages(20, 10), "--window", "8", *mode)
    thread.join(10)
    want = [json.loads(line)["record"] for line in messages(20, 10).decode().splitlines() if '"RECORD"' in line]
    got_data = [v[1].decode() for v in seen]
    check(done.returncode == 0 and got_data == [json.dumps(r["data"], separators=(",", ":"), ensure_ascii=False)
                                                for r in want],
          f"the fake server got each record's data as compact JSON{' ' + mode[0] if mode else ''}")
    check([struct.unpack(">q", v[2])[0] for v in seen] == [r["emitted_at"] for r in want] and
          all(len(v[0]) == 16 and v[0][6] >> 4 == 4 for v in seen) and len({v[0] for v in seen}) == 20,
          "  emitted_at as the timestamp, a distinct version 4 uuid per record")

for mode in ([], ["--data-as-text"]):
    port, _ = fake_server("error")
    done = run_client(port, messages(10, 2), "--window", "1", *mode)
    check(done.returncode == 1 and b"fake server error" in done.stderr,
          f"an ERROR to the 5th EXECUTE{' ' + mode[0] if mode else ''}: exit 1 with the server's message")
    check(positions(done.stdout) == [2, 4],
          f"  and only the STATEs of records 1-4 printed (got {positions(done.stdout)})")
port, _ = fake_server("stream")
done = run_client(port, messages(10, 2), "--window", "1")
check(done.returncode == 1 and b"no request outstanding" in done.stderr,
      f"a response on a stream with no request: exit 1 ({done.stderr.decode().strip()})")

print(f"{'FAILED: ' + str(len(failures)) if failures else 'all passed'}")
sys.exit(1 if failures else 0)
