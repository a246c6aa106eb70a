#!/usr/bin/env python3
"""The bad-input corpus (issue 8): every case of tests/badinput/cases/*.json run against the connector.

    run_corpus.py CONNECTOR [--cql-query PATH] [--only REGEX] [--jobs N] [--strict] [-v] [--keep] [--list]

Needs a node: CQL_HOSTS, CQL_PORT, CQL_USER, CQL_PASSWORD, CQL_CA_PEM (eval "$(tools/cassandra-local env)").
It reads tables back with cassandra-driver when it can import it (re-running itself with the venv of
tools/e2e-faker, .cache/venv, when that exists), else with build/tools/cql-query (--cql-query PATH).

For each case (format: tests/badinput/README.md) it runs `check` or `write` with a hard timeout and
checks: the exit status; stdout holds only valid JSON Airbyte messages (UTF-8, one object a line);
the TRACE ERROR's failure_type and message (check: the CONNECTION_STATUS and its message); which
input STATEs came back, in order, unchanged but for destinationStats.recordCount, which must count
the records they cover; every record before the last STATE echoed is in Cassandra (append_dedup rows
also keyed by the record's own key); the configured password (a role made for the run, with a
distinctive password) and the wrong passwords of the cases are on neither stdout nor stderr; the
system keyspaces and the run's role survived (the injection cases). Each case writes to keyspaces of
its own (bi_<token>_<n>...), dropped in the background once the case is checked; the role is
dropped at the end.

One line per case (PASS, FAIL, XFAIL: a case marked known_failure that fails, XPASS: one that
passes), then a summary. Exit status 1 on any FAIL (and, with --strict, on any XFAIL or XPASS).
"""
from __future__ import annotations

import argparse
import base64
import concurrent.futures
import decimal
import json
import os
import queue
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
VENV_PYTHON = REPO / ".cache" / "venv" / "bin" / "python"
CATEGORIES = ("messages", "catalogs", "configs")
AIRBYTE_TYPES = {"RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL"}
FAILURE_TYPES = {"config_error", "system_error", "transient_error"}

if hasattr(sys, "set_int_max_str_digits"):
    sys.set_int_max_str_digits(0)
sys.setrecursionlimit(4000)  # deeper data is compared as text (json.loads recursion is C stack)


def have_driver() -> bool:
    try:
        import cassandra.cluster  # noqa: F401
        return True
    except Exception:
        return False


# ------------------------------------------------------------------------------------------------
# Reading Cassandra: cassandra-driver, or the project's cql-query. Both answer SELECT JSON, so rows
# come back as dicts either way.

class DriverDB:
    name = "cassandra-driver"

    def __init__(self, hosts, port, user, password):
        import logging
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.cluster import Cluster, ExecutionProfile, EXEC_PROFILE_DEFAULT
        from cassandra.policies import RoundRobinPolicy
        logging.getLogger("cassandra").setLevel(logging.ERROR)
        profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=60)
        self.cluster = Cluster(hosts, port=port, auth_provider=PlainTextAuthProvider(user, password),
                               execution_profiles={EXEC_PROFILE_DEFAULT: profile}, protocol_version=4,
                               connect_timeout=10)
        self.session = self.cluster.connect()

    def execute(self, cql: str) -> None:
        self.session.execute(cql)

    def json_rows(self, select: str) -> list[dict]:
        assert select.startswith("SELECT ")
        return [json.loads(r[0]) for r in self.session.execute("SELECT JSON " + select[len("SELECT "):])]

    def close(self):
        self.cluster.shutdown()


class CqlQueryDB:
    name = "cql-query"

    def __init__(self, exe, hosts, port, user, password):
        self.exe = exe
        self.env = dict(os.environ, CQL_HOSTS=",".join(hosts), CQL_PORT=str(port), CQL_USER=user,
                        BADINPUT_DB_PASSWORD=password)

    def _run(self, cql: str) -> str:
        r = subprocess.run([self.exe, "--password-env", "BADINPUT_DB_PASSWORD", cql], env=self.env,
                           capture_output=True, timeout=120)
        if r.returncode != 0:
            raise RuntimeError(f"cql-query {cql!r}: {r.stderr.decode(errors='replace').strip()}")
        return r.stdout.decode("utf-8")

    def execute(self, cql: str) -> None:
        self._run(cql)

    def json_rows(self, select: str) -> list[dict]:
        assert select.startswith("SELECT ")
        out = []
        for line in self._run("SELECT JSON " + select[len("SELECT "):]).split("\n"):  # not splitlines(): U+2028
            if not line:
                continue
            if not (line.startswith("'") and line.endswith("'")):
                raise RuntimeError(f"cql-query printed an unexpected row: {line[:200]!r}")
            out.append(json.loads(line[1:-1].replace("''", "'")))
        return out

    def close(self):
        pass


def cql_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def cql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ------------------------------------------------------------------------------------------------
# Names as docs/user-guide.md describes them (src/airbyte/names.cpp): a name of [a-z0-9_]{1,max} is
# kept; any other is lower-cased, other characters become '_', plus '_' and 8 hex digits of a hash
# (FNV-1a 32 of the UTF-8 bytes).

def fnv1a32(data: bytes) -> int:
    h = 2166136261
    for c in data:
        h ^= c
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def sanitize_name(name: str, max_length: int = 48) -> str:
    if name and re.fullmatch(r"[a-z0-9_]+", name) and len(name) <= max_length:
        return name
    raw = name.encode("utf-8", "surrogatepass")
    readable = ""
    for c in raw:
        if c & 0xC0 == 0x80:
            continue
        ch = chr(c)
        out = ch.lower() if ("A" <= ch <= "Z" or "a" <= ch <= "z" or "0" <= ch <= "9") else "_"
        if out == "_" and readable.endswith("_"):
            continue
        readable += out
    room = max_length - 9 if max_length > 9 else 0
    readable = readable[:room].rstrip("_")
    return f"{readable}_{fnv1a32(raw):08x}"


# ------------------------------------------------------------------------------------------------
# The input as the runner understands it (independently of the connector): which lines are records
# and states, so that acknowledged states can be checked against the tables.

class NotModelled(Exception):
    pass


def _no_constants(name):
    raise NotModelled(f"JSON constant {name}")


def _pairs(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise NotModelled("duplicate key")
    return dict(pairs)


def _parse_int(s):
    return int(s) if len(s) < 4000 else decimal.Decimal(s)


def strict_json(text: str):
    v = json.loads(text, object_pairs_hook=_pairs, parse_float=decimal.Decimal, parse_int=_parse_int,
                   parse_constant=_no_constants)
    _check_surrogates(v)
    return v


class _Repeated(dict):
    """An object that repeated a key (the last one kept, as the connector reads record data)."""


def _pairs_marked(pairs):
    keys = [k for k, _ in pairs]
    return (_Repeated if len(keys) != len(set(keys)) else dict)(pairs)


def _repeats_outside_data(m) -> bool:
    """Repeated keys are accepted inside record.data only (where the last one counts)."""
    record = m.get("record") if isinstance(m, dict) else None
    data = record.get("data") if isinstance(record, dict) else None
    stack = [m]
    while stack:
        x = stack.pop()
        if x is data:
            continue
        if isinstance(x, _Repeated):
            return True
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, list):
            stack.extend(x)
    return False


def message_json(text: str):
    """A message as the connector reads it: strict, but record data may repeat a key."""
    try:
        return strict_json(text)
    except NotModelled:
        v = json.loads(text, object_pairs_hook=_pairs_marked, parse_float=decimal.Decimal, parse_int=_parse_int,
                       parse_constant=_no_constants)
        if _repeats_outside_data(v):
            raise
        _check_surrogates(v)
        return v


def _check_surrogates(v):
    stack = [v]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if re.search("[\ud800-\udfff]", x):
                raise NotModelled("lone surrogate")
        elif isinstance(x, dict):
            for k, y in x.items():
                stack.append(k)
                stack.append(y)
        elif isinstance(x, list):
            stack.extend(x)


def lenient_json(text: str):
    """For reading back rows: repeated keys allowed (the last wins, as most readers do)."""
    return json.loads(text, parse_float=decimal.Decimal, parse_int=_parse_int)


class Line:
    """One input line: kind is record, state, skip (blank or another message type) or bad."""

    def __init__(self, kind, **kw):
        self.kind = kind
        self.stream = kw.get("stream")
        self.ns = kw.get("ns")
        self.data = kw.get("data")            # parsed, or None when only data_text is known
        self.data_text = kw.get("data_text")  # compact text, when a generator made the line
        self.emitted_at = kw.get("emitted_at")
        self.state = kw.get("state")


def model_line(raw: bytes) -> Line:
    body = raw[:-1] if raw.endswith(b"\r") else raw
    if not body.strip(b" \t"):
        return Line("skip")
    try:
        text = body.decode("utf-8")
        if "\x00" in text:
            return Line("bad")
        m = message_json(text)
    except (UnicodeDecodeError, ValueError, NotModelled, RecursionError):
        return Line("bad")
    if not isinstance(m, dict) or not isinstance(m.get("type"), str):
        return Line("bad")
    t = m["type"]
    if t == "RECORD":
        r = m.get("record")
        if (isinstance(r, dict) and isinstance(r.get("stream"), str) and isinstance(r.get("data"), dict)
                and isinstance(r.get("emitted_at"), (int, decimal.Decimal))
                and (r.get("namespace") is None or isinstance(r.get("namespace"), str))):
            e = r["emitted_at"]
            ms = int(e) if isinstance(e, int) else int(e.to_integral_value(rounding=decimal.ROUND_HALF_UP))
            return Line("record", stream=r["stream"], ns=r.get("namespace"), data=r["data"], emitted_at=ms)
        return Line("bad")
    if t == "STATE":
        s = m.get("state")
        return Line("state", state=s) if isinstance(s, dict) else Line("bad")
    if t in AIRBYTE_TYPES:
        return Line("skip")
    return Line("bad")


def canonical(v) -> str:
    def norm(x):
        if isinstance(x, bool) or x is None or isinstance(x, str):
            return x
        if isinstance(x, (int, decimal.Decimal, float)):
            return {"#n": number_key(decimal.Decimal(x))}
        if isinstance(x, list):
            return [norm(y) for y in x]
        if isinstance(x, dict):
            return {k: norm(y) for k, y in x.items()}
        return x
    return json.dumps(norm(v), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def number_key(d: decimal.Decimal) -> str:
    """An exact text for a number's value: 1.50, 15E-1 and 1.5 give the same (no context rounding)."""
    if not d.is_finite():
        return str(d)
    sign, digits, exp = d.as_tuple()
    text = "".join(map(str, digits)).lstrip("0")
    if not text:
        return "0"
    stripped = text.rstrip("0")
    return f"{'-' if sign else ''}{stripped}e{exp + len(text) - len(stripped)}"


def without_stats(state: dict) -> str:
    return canonical({k: v for k, v in state.items() if k != "destinationStats"})


# ------------------------------------------------------------------------------------------------
# Cases.

BASE_SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": "string"},
                                                "updated_at": {"type": "string", "format": "date-time"}}}


def base_catalog(kind: str) -> dict:
    stream = {"name": "users", "json_schema": BASE_SCHEMA, "supported_sync_modes": ["full_refresh", "incremental"]}
    cs = {"stream": stream, "sync_mode": "incremental", "destination_sync_mode": "append"}
    if kind == "append":
        pass
    elif kind == "dedup":
        cs.update(destination_sync_mode="append_dedup", primary_key=[["id"]], cursor_field=["updated_at"])
    elif kind == "overwrite":
        cs.update(sync_mode="full_refresh", destination_sync_mode="overwrite")
    elif kind == "overwrite_gen":
        cs.update(sync_mode="full_refresh", destination_sync_mode="overwrite", generation_id=7, minimum_generation_id=7)
    else:
        raise ValueError(f"unknown catalog_base {kind!r}")
    return {"streams": [cs]}


def record_msg(rid: int, stream: str = "users", **data) -> dict:
    return {"type": "RECORD", "record": {"stream": stream, "emitted_at": 1700000000000 + rid,
                                         "data": {"id": rid, "name": f"user {rid}",
                                                  "updated_at": f"2024-01-01T00:00:{rid % 60:02d}Z", **data}}}


def state_msg(cursor: int, stream: str = "users") -> dict:
    return {"type": "STATE", "state": {"type": "STREAM", "stream": {"stream_descriptor": {"name": stream},
                                                                   "stream_state": {"cursor": cursor}}}}


MACROS = {
    # Lines 1-3 of most cases: two good records and the state that covers them.
    "@good": [record_msg(1), record_msg(2), state_msg(2)],
    # After the bad line: a record and a state that must never come back.
    "@after": [record_msg(1001), state_msg(1001)],
}


def compact(v) -> str:
    return json.dumps(v, ensure_ascii=False, separators=(",", ":"))


def generate(item: dict) -> tuple[bytes, Line | None]:
    g = item["gen"]
    rid = item.get("id", 900)
    if g == "record_bytes":  # a valid RECORD line of exactly `bytes` bytes
        n = item["bytes"]
        head = f'{{"type":"RECORD","record":{{"stream":"users","emitted_at":{1700000000000 + rid},"data":{{"id":{rid},"pad":"'
        tail = '"}}}'
        pad = n - len(head) - len(tail)
        if pad < 0:
            raise ValueError("record_bytes: too small")
        text = head + "x" * pad + tail
        return text.encode(), None
    if g == "junk":  # `bytes` bytes of one character, no JSON at all
        return item.get("char", "x").encode() * item["bytes"], None
    if g == "deep":  # a record whose data nests `depth` arrays
        d = item["depth"]
        data_text = f'{{"id":{rid},"deep":' + "[" * d + "]" * d + "}"
        line = f'{{"type":"RECORD","record":{{"stream":"users","emitted_at":{1700000000000 + rid},"data":{data_text}}}}}'
        return line.encode(), Line("record", stream="users", ns=None, data=None, data_text=data_text,
                                   emitted_at=1700000000000 + rid)
    if g == "big_int":  # a record holding an integer of `digits` digits
        digits = "9" + "0123456789" * (item["digits"] // 10)
        digits = digits[:item["digits"]]
        data_text = f'{{"id":{rid},"n":{digits}}}'
        line = f'{{"type":"RECORD","record":{{"stream":"users","emitted_at":{1700000000000 + rid},"data":{data_text}}}}}'
        return line.encode(), Line("record", stream="users", ns=None, data=None, data_text=data_text,
                                   emitted_at=1700000000000 + rid)
    raise ValueError(f"unknown generator {g!r}")


class Run:
    """What the whole run shares."""

    def __init__(self, args):
        self.args = args
        self.token = "%06x" % random.randrange(1 << 24)
        self.user = f"bi_{self.token}"
        self.password = f"Bad1nput-Secret-{self.token}-pw"
        self.wrong_password = f"Wr0ng-Secret-{self.token}-xx"
        self.hosts = [h.strip() for h in require_env("CQL_HOSTS").split(",") if h.strip()]
        self.port = int(require_env("CQL_PORT"))
        self.admin_user = require_env("CQL_USER")
        self.admin_password = require_env("CQL_PASSWORD")
        self.ca_pem = Path(require_env("CQL_CA_PEM")).read_text()
        self.unrelated_ca_pem = (REPO / "tests" / "data" / "unrelated-ca.pem").read_text()
        self.closed_port = closed_port()
        self.http_port = serve_fake("http")
        self.silent_port = serve_fake("silent")
        self.secrets = [self.password, self.wrong_password]
        self.work = Path(tempfile.mkdtemp(prefix="badinput-"))
        self.dropper: Dropper | None = None

    def placeholders(self, ks: str) -> dict:
        return {"ks": ks, "KS": ks.upper(), "token": self.token, "user": self.user, "password": self.password,
                "wrong_password": self.wrong_password, "host": self.hosts[0], "hosts": ",".join(self.hosts),
                "port": str(self.port), "closed_port": str(self.closed_port), "http_port": str(self.http_port),
                "silent_port": str(self.silent_port), "ca_pem": self.ca_pem, "unrelated_ca_pem": self.unrelated_ca_pem}


def require_env(name: str) -> str:
    v = os.environ.get(name)
    if not v:
        sys.exit(f"run_corpus: {name} is not set: start a node (tools/cassandra-local start) and "
                 f'eval "$(tools/cassandra-local env)"')
    return v


def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def serve_fake(kind: str) -> int:
    """A loopback server that is not Cassandra: 'http' answers any bytes with an HTTP 400 and closes;
    'silent' accepts and never says anything."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []

    def handle(c):
        try:
            if kind == "http":
                c.settimeout(10)
                c.recv(4096)
                c.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                c.close()
            else:
                held.append(c)
        except OSError:
            pass

    def serve():
        while True:
            try:
                c, _ = srv.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(c,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    return srv.getsockname()[1]


PLACEHOLDER = re.compile(r"\{(ks|KS|token|user|password|wrong_password|host|hosts|port|closed_port|http_port|"
                         r"silent_port|ca_pem|unrelated_ca_pem)\}")


def expand(v, ph: dict):
    if isinstance(v, str):
        return PLACEHOLDER.sub(lambda m: ph[m.group(1)], v)
    if isinstance(v, list):
        return [expand(x, ph) for x in v]
    if isinstance(v, dict):
        return {expand(k, ph): expand(x, ph) for k, x in v.items()}
    return v


def deep_set(d: dict, key: str, value):
    parts = key.split(".")
    for p in parts[:-1]:
        if not isinstance(d.get(p), dict):
            d[p] = {}
        d = d[p]
    d[parts[-1]] = value


def deep_remove(d: dict, key: str):
    parts = key.split(".")
    for p in parts[:-1]:
        d = d.get(p, {})
    if isinstance(d, dict):
        d.pop(parts[-1], None)


class Prepared:
    def __init__(self):
        self.argv: list[str] = []
        self.stdin = b""
        self.lines: list[Line] = []
        self.catalog: dict | None = None   # as given to the connector, when it is JSON
        self.config: dict | None = None


def prepare(run: Run, case: dict, ks: str, d: Path) -> Prepared:
    ph = run.placeholders(ks)
    p = Prepared()
    # The config.
    base = {"keyspace": ks, "address": ",".join(run.hosts), "port": run.port, "username": run.user,
            "password": run.password}
    if "config_file" in case:
        config_path = case["config_file"]
    else:
        config_path = str(d / "config.json")
        if "config_text" in case:
            Path(config_path).write_bytes(expand(case["config_text"], ph).encode())
        elif "config_hex" in case:
            Path(config_path).write_bytes(bytes.fromhex(case["config_hex"]))
        else:
            cfg = base
            spec = case.get("config", {})
            for k in spec.get("remove", []):
                deep_remove(cfg, k)
            for k, v in spec.get("set", {}).items():
                deep_set(cfg, k, expand(v, ph))
            p.config = cfg
            Path(config_path).write_text(json.dumps(cfg, ensure_ascii=False))
    command = case.get("command", "write")
    p.argv = [run.args.connector, command, "--config", config_path]
    if command == "write":
        cat_path = str(d / "catalog.json")
        if "catalog_text" in case:
            Path(cat_path).write_bytes(expand(case["catalog_text"], ph).encode())
        elif "catalog_hex" in case:
            Path(cat_path).write_bytes(bytes.fromhex(case["catalog_hex"]))
        else:
            cat = expand(case.get("catalog", base_catalog(case.get("catalog_base", "append"))), ph)
            p.catalog = cat
            Path(cat_path).write_text(json.dumps(cat, ensure_ascii=False))
        p.argv += ["--catalog", cat_path]
    # stdin.
    chunks = []
    generated: dict[bytes, Line] = {}
    items = []
    for it in case.get("stdin", []):
        if isinstance(it, str) and it in MACROS:
            items += [{"msg": m} for m in MACROS[it]]
        else:
            items.append(it)
    for it in items:
        if isinstance(it, str):
            raise ValueError(f"stdin item {it!r}: unknown macro")
        eol = it.get("eol", "\n").encode()
        model = None
        if "msg" in it:
            raw = compact(expand(it["msg"], ph)).encode()
        elif "text" in it:
            raw = expand(it["text"], ph).encode("utf-8")
        elif "hex" in it:
            raw = bytes.fromhex(it["hex"].replace(" ", ""))
        elif "b64" in it:
            raw = base64.b64decode(it["b64"])
        elif "gen" in it:
            raw, model = generate(it)
        else:
            raise ValueError(f"stdin item without msg/text/hex/b64/gen: {it!r}")
        chunks.append(raw + eol)
        if model is not None:
            generated[raw] = model
    p.stdin = b"".join(chunks)
    # Lines as the connector splits them: on '\n' only (a last line may lack it).
    pieces = p.stdin.split(b"\n")
    if pieces and pieces[-1] == b"":
        pieces.pop()
    for piece in pieces:
        body = piece[:-1] if piece.endswith(b"\r") else piece
        p.lines.append(generated[body] if body in generated else model_line(piece))
    return p


# ------------------------------------------------------------------------------------------------
# Running the connector.

class Result:
    def __init__(self):
        self.status = None
        self.timed_out = False
        self.out = b""
        self.err = b""
        self.seconds = 0.0
        self.maxrss_mb = 0.0


def run_connector(argv, stdin: bytes, timeout: float) -> Result:
    r = Result()
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    out, err = [], []

    def pump(src, dst):
        while True:
            b = src.read(65536)
            if not b:
                return
            dst.append(b)

    def feed():
        try:
            view = memoryview(stdin)
            for i in range(0, len(view), 1 << 20):
                proc.stdin.write(view[i:i + (1 << 20)])
            proc.stdin.close()
        except (BrokenPipeError, OSError):
            pass  # the connector stopped reading (it failed): fine

    threads = [threading.Thread(target=pump, args=(proc.stdout, out), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, err), daemon=True),
               threading.Thread(target=feed, daemon=True)]
    for t in threads:
        t.start()

    def kill():
        r.timed_out = True
        try:
            os.killpg(proc.pid, 9)
        except ProcessLookupError:
            pass

    timer = threading.Timer(timeout, kill)
    timer.start()
    # Peak memory: VmHWM of the connector itself, polled (ru_maxrss would count the runner's memory,
    # which a forked child carries until exec).
    peak = [0]
    done = threading.Event()

    def watch():
        exe = os.path.realpath(argv[0])
        while not done.is_set():
            try:
                if os.readlink(f"/proc/{proc.pid}/exe") == exe:
                    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
                        if line.startswith("VmHWM:"):
                            peak[0] = max(peak[0], int(line.split()[1]))
            except (OSError, ValueError):
                pass
            done.wait(0.01)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, status, _ = os.wait4(proc.pid, 0)
    done.set()
    timer.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    for t in threads[:2]:
        t.join(10)
    r.status = proc.returncode
    r.out, r.err = b"".join(out), b"".join(err)
    r.seconds = time.monotonic() - start
    r.maxrss_mb = peak[0] / 1024.0
    return r


def parse_stdout(out: bytes, problems: list) -> list[dict]:
    msgs = []
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError as e:
        problems.append(f"stdout is not valid UTF-8 ({e})")
        text = out.decode("utf-8", "replace")
    if text and not text.endswith("\n"):
        problems.append("stdout does not end with a newline")
    lines = text.split("\n")  # not splitlines(): a JSON string may hold a raw U+2028
    if lines and lines[-1] == "":
        lines.pop()
    for n, line in enumerate(lines, 1):
        if "\r" in line:
            problems.append(f"stdout line {n} holds a carriage return")
        try:
            m = json.loads(line, object_pairs_hook=_pairs, parse_constant=_no_constants)
        except (ValueError, NotModelled) as e:
            problems.append(f"stdout line {n} is not a JSON object: {e}: {line[:200]!r}")
            continue
        if not isinstance(m, dict) or m.get("type") not in AIRBYTE_TYPES:
            problems.append(f"stdout line {n} is not an Airbyte message: {line[:200]!r}")
            continue
        t = m["type"]
        body = {"LOG": "log", "TRACE": "trace", "STATE": "state", "CONNECTION_STATUS": "connectionStatus",
                "SPEC": "spec", "RECORD": "record", "CATALOG": "catalog", "CONTROL": "control"}[t]
        if not isinstance(m.get(body), dict):
            problems.append(f"stdout line {n}: {t} without a {body} object")
            continue
        if t == "LOG" and not (isinstance(m["log"].get("message"), str) and
                               m["log"].get("level") in ("FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE")):
            problems.append(f"stdout line {n}: malformed LOG {line[:200]!r}")
        if t == "TRACE" and m["trace"].get("type") == "ERROR":
            e = m["trace"].get("error")
            if not (isinstance(e, dict) and isinstance(e.get("message"), str) and e["message"]
                    and e.get("failure_type") in FAILURE_TYPES and isinstance(m["trace"].get("emitted_at"), (int, float))):
                problems.append(f"stdout line {n}: malformed TRACE ERROR {line[:300]!r}")
        if t == "CONNECTION_STATUS" and m["connectionStatus"].get("status") not in ("SUCCEEDED", "FAILED"):
            problems.append(f"stdout line {n}: malformed CONNECTION_STATUS {line[:200]!r}")
        if t not in ("LOG", "TRACE", "STATE", "CONNECTION_STATUS"):
            problems.append(f"stdout line {n}: a destination does not emit {t}")
        msgs.append(m)
    return msgs


# ------------------------------------------------------------------------------------------------
# Checking a case.

def find_stream(streams: list[dict], ns, name):
    """src/airbyte/destination.cpp find_stream: exact (namespace, name), else the only stream of that
    name when the message gives no namespace."""
    by_name, named = None, 0
    for i, s in enumerate(streams):
        if s["name"] != name:
            continue
        if s["ns"] == ns:
            return i
        by_name, named = i, named + 1
    if named == 1 and not ns:
        return by_name
    return None


def catalog_streams(catalog: dict, cfg: dict) -> list[dict]:
    out = []
    for cs in catalog.get("streams", []):
        s = cs["stream"]
        ns = s.get("namespace")
        own = cfg.get("namespaces", True) is not False and ns
        ks = sanitize_name(ns) if own else str(cfg["keyspace"]).lower()
        base = sanitize_name(s["name"], 36)
        mode = cs.get("destination_sync_mode")
        gen, mingen = cs.get("generation_id"), cs.get("minimum_generation_id")
        truncate = mode == "overwrite" or (gen is not None and mingen is not None and mingen > 0 and mingen == gen)
        pk = cs.get("primary_key") or s.get("source_defined_primary_key") or []
        out.append({"name": s["name"], "ns": ns, "ks": ks, "final": "airbyte_raw_" + base,
                    "staging": "airbyte_tmp_" + base, "mode": mode, "truncate": truncate,
                    "pk": pk if mode == "append_dedup" else []})
    return out


def read_rows(db, ks, table, pk) -> list[dict] | None:
    keys = "".join(f", {cql_ident('.'.join(path))} AS k{i}" for i, path in enumerate(pk))
    try:
        return db.json_rows(f'SELECT "_airbyte_data" AS d, toUnixTimestamp("_airbyte_emitted_at") AS e{keys} '
                            f"FROM {cql_ident(ks)}.{cql_ident(table)}")
    except Exception as e:  # noqa: BLE001 - a missing table reads as no rows
        if "unconfigured table" in str(e) or "does not exist" in str(e) or "Keyspace" in str(e):
            return None
        raise


def check_case(run: Run, db, case: dict, prep: Prepared, res: Result, expect: dict) -> list[str]:
    why: list[str] = []
    command = case.get("command", "write")
    if res.timed_out:
        return [f"killed after the {case.get('timeout', 30)} s timeout"]
    for secret in run.secrets + [s for s in expect.get("secrets", [])]:
        forms = {secret, json.dumps(secret)[1:-1]}
        for where, blob in (("stdout", res.out), ("stderr", res.err)):
            for f in forms:
                if f.encode() in blob:
                    which = "the configured password" if secret == run.password else "a wrong password"
                    why.append(f"{which} is on {where}")
    msgs = parse_stdout(res.out, why)
    want_exit = expect.get("exit", 0 if command == "check" else 1)
    if res.status != want_exit:
        why.append(f"exit status {res.status}, expected {want_exit}")
    if "stderr" in expect and not re.search(expect["stderr"], res.err.decode("utf-8", "replace")):
        why.append(f"stderr {res.err.decode('utf-8', 'replace')[:300]!r} does not match /{expect['stderr']}/")
    if "max_rss_mb" in expect and res.maxrss_mb > expect["max_rss_mb"]:
        why.append(f"peak RSS {res.maxrss_mb:.0f} MB, more than {expect['max_rss_mb']} MB")
    traces = [m for m in msgs if m["type"] == "TRACE" and m["trace"].get("type") == "ERROR"]
    statuses = [m for m in msgs if m["type"] == "CONNECTION_STATUS"]
    if want_exit == 2:
        if msgs:
            why.append(f"a usage error printed {len(msgs)} messages on stdout")
        return why
    if command == "check":
        if len(statuses) != 1:
            why.append(f"{len(statuses)} CONNECTION_STATUS messages, expected 1")
        else:
            cs = statuses[0]["connectionStatus"]
            if cs["status"] != expect.get("status", "FAILED"):
                why.append(f"status {cs['status']}, expected {expect.get('status', 'FAILED')} (message: {cs.get('message')!r})")
            if "message" in expect and not re.search(expect["message"], cs.get("message") or ""):
                why.append(f"message {cs.get('message')!r} does not match /{expect['message']}/")
        if traces:
            why.append("check printed a TRACE ERROR")
        return why
    # write
    if statuses:
        why.append("write printed a CONNECTION_STATUS")
    if want_exit == 0 and traces:
        why.append(f"TRACE ERROR on success: {traces[0]['trace']['error'].get('message')!r}")
    if want_exit == 1:
        if len(traces) != 1:
            why.append(f"{len(traces)} TRACE ERRORs, expected 1")
        if traces:
            e = traces[0]["trace"]["error"]
            if "failure_type" in expect and e.get("failure_type") != expect["failure_type"]:
                why.append(f"failure_type {e.get('failure_type')}, expected {expect['failure_type']} "
                           f"(message: {e.get('message')!r})")
            if "message" in expect and not re.search(expect["message"], e.get("message", "")):
                why.append(f"message {e.get('message')!r} does not match /{expect['message']}/")
            after = msgs[msgs.index(traces[0]) + 1:]
            if any(m["type"] == "STATE" for m in after):
                why.append("a STATE came after the TRACE ERROR")
    # States: exactly the expected input states, in order, with their record counts.
    input_states = [(i, l) for i, l in enumerate(prep.lines) if l.kind == "state"]
    default = list(range(len(input_states))) if want_exit == 0 else []
    want = expect.get("states", default)
    got = [m["state"] for m in msgs if m["type"] == "STATE"]
    got_ids = []
    for g in got:
        match = [k for k, (_, l) in enumerate(input_states) if without_stats(l.state) == without_stats(g)
                 and k not in got_ids]
        got_ids.append(match[0] if match else "?")
    if got_ids != want:
        why.append(f"states echoed {got_ids} (indices of input STATEs), expected {want}")
    if prep.catalog is None or prep.config is None:
        return why
    try:
        streams = catalog_streams(prep.catalog, prep.config)
    except (KeyError, TypeError, AttributeError):
        return why  # a catalog the connector refuses: nothing can have been written
    counts = count_records(prep.lines, streams)
    for g, k in zip(got, got_ids):
        if k == "?":
            continue
        rc = (g.get("destinationStats") or {}).get("recordCount")
        if rc != counts[k]:
            why.append(f"state {k} has destinationStats.recordCount {rc}, expected {counts[k]}")
    # Every record before the last echoed state is in Cassandra.
    if got_ids and got_ids[-1] != "?":
        last_line = input_states[got_ids[-1]][0]
        required = [l for l in prep.lines[:last_line] if l.kind == "record"]
        why += check_rows(db, streams, required)
    for c in expect.get("data_contains", []):
        s = next((s for s in streams if s["name"] == c.get("stream", "users")), None)
        rows = (read_rows(db, s["ks"], s["final"], []) or []) if s else []
        if not any(c["text"] in r["d"] for r in rows):
            why.append(f"no row of stream {c.get('stream', 'users')} holds the text {c['text'][:80]!r}")
    for name, n in expect.get("rows", {}).items():
        s = next((s for s in streams if s["name"] == name), None)
        rows = (read_rows(db, s["ks"], s["final"], s["pk"]) or []) if s else []
        if len(rows) != n:
            why.append(f"stream {name}: {len(rows)} rows, expected {n}")
    return why


def count_records(lines: list[Line], streams: list[dict]) -> list[int]:
    """destinationStats.recordCount of each input state, as docs/user-guide.md defines it."""
    per_stream = [0] * len(streams)
    since_global = 0
    out = []
    for l in lines:
        if l.kind == "record":
            i = find_stream(streams, l.ns, l.stream)
            if i is not None:
                per_stream[i] += 1
            since_global += 1
        elif l.kind == "state":
            t = l.state.get("type") if isinstance(l.state.get("type"), str) else "LEGACY"
            if t == "STREAM":
                desc = (l.state.get("stream") or {}).get("stream_descriptor") or {}
                i = find_stream(streams, desc.get("namespace"), desc.get("name"))
                out.append(per_stream[i] if i is not None else 0)
                if i is not None:
                    per_stream[i] = 0
            else:
                out.append(since_global)
                since_global = 0
    return out


def check_rows(db, streams: list[dict], required: list[Line]) -> list[str]:
    why = []
    cache = {}
    for r in required:
        i = find_stream(streams, r.ns, r.stream)
        if i is None:
            why.append(f"a record of stream {r.stream!r} before an echoed state is not in the catalog")
            continue
        s = streams[i]
        if i not in cache:
            rows = []
            tables = [s["final"]] + ([s["staging"]] if s["truncate"] else [])
            for t in tables:
                got = read_rows(db, s["ks"], t, s["pk"])
                for row in got or []:
                    row["table"] = t
                    rows.append(row)
            for row in rows:
                try:
                    row["parsed"] = canonical(lenient_json(row["d"]))
                except (ValueError, RecursionError):
                    row["parsed"] = None
                for k, path in enumerate(s["pk"]):  # a dedup row is keyed by its own data
                    want = key_of(row["d"], path)
                    if want is not None and str(row.get(f"k{k}")) != want:
                        why.append(f"{s['ks']}.{row['table']}: the row keyed {row.get(f'k{k}')!r} holds the data "
                                   f"{row['d'][:120]!r}, whose {'.'.join(path)} is {want}")
            cache[i] = rows
        rows = cache[i]
        want_text = r.data_text
        want_parsed = canonical(r.data) if r.data is not None else None
        hit = None
        for row in rows:
            if row.get("used") or row["e"] != r.emitted_at:
                continue
            if (want_text is not None and row["d"] == want_text) or (want_parsed is not None and row["parsed"] == want_parsed):
                hit = row
                break
        if hit is None:
            shown = r.data_text if r.data_text is not None else compact_any(r.data)
            why.append(f"acknowledged record lost: {s['ks']}.{s['final']} has no row {shown[:160]} "
                       f"(emitted_at {r.emitted_at}); the table holds {len(rows)} rows")
        else:
            hit["used"] = True
    return why


def compact_any(v) -> str:
    def conv(x):
        if isinstance(x, decimal.Decimal):
            return float(x) if x.is_finite() and abs(x) < decimal.Decimal("1e300") else str(x)
        if isinstance(x, list):
            return [conv(y) for y in x]
        if isinstance(x, dict):
            return {k: conv(y) for k, y in x.items()}
        return x
    return compact(conv(v))


def key_of(data_text: str, path: list[str]) -> str | None:
    """The key value a dedup row should carry, as text, from its stored data (the last of repeated keys,
    as most readers take it)."""
    try:
        v = lenient_json(data_text)
    except (ValueError, RecursionError):
        return None
    for p in path:
        if not isinstance(v, dict) or p not in v:
            return None
        v = v[p]
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, (int, str)):
        return str(v)
    return None


# ------------------------------------------------------------------------------------------------

def load_cases(cases_dir: Path) -> list[dict]:
    cases = []
    names = set()
    for cat in CATEGORIES:
        path = cases_dir / f"{cat}.json"
        for c in json.loads(path.read_text()):
            c["category"] = cat
            for k in ("name", "what", "expect"):
                if k not in c:
                    raise ValueError(f"{path}: a case without {k!r}: {c.get('name')}")
            if c["name"] in names:
                raise ValueError(f"{path}: case {c['name']} appears twice")
            names.add(c["name"])
            cases.append(c)
    return cases


class Dropper:
    """Drops the keyspaces of finished cases in the background while later cases run (a DROP KEYSPACE
    costs the node about a second)."""

    def __init__(self, db, enabled: bool):
        self.db = db
        self.enabled = enabled
        self.queue: queue.Queue = queue.Queue()
        self.errors: list[str] = []
        self.thread = threading.Thread(target=self._loop, daemon=True)
        if enabled:
            self.thread.start()

    def case_done(self, ks: str) -> None:
        if self.enabled:
            self.queue.put(ks)

    def _loop(self) -> None:
        while (ks := self.queue.get()) is not None:
            try:
                for name in sorted(list_keyspaces(self.db)):
                    if name == ks or name.startswith(ks + "_"):  # the case's keyspace and its namespaces
                        self.db.execute(f"DROP KEYSPACE IF EXISTS {cql_ident(name)}")
            except Exception as e:  # noqa: BLE001 - the final sweep retries
                self.errors.append(f"{ks}: {e}")

    def finish(self) -> None:
        if self.enabled:
            self.queue.put(None)
            self.thread.join()


def list_keyspaces(db) -> set[str]:
    return {r["keyspace_name"] for r in db.json_rows("SELECT keyspace_name FROM system_schema.keyspaces")}


def run_case(run: Run, db, case: dict, n: int, before: set[str]) -> tuple[str, list[str], Result | None]:
    ks = f"bi_{run.token}_{n:03d}"
    d = run.work / f"{n:03d}-{case['name']}"
    d.mkdir(parents=True, exist_ok=True)
    ph = run.placeholders(ks)
    for stmt in case.get("setup_cql", []):
        db.execute(expand(stmt, ph))
    prep = prepare(run, case, ks, d)
    if len(prep.stdin) <= 1 << 20:  # kept for --keep; the absurd ones are not worth the disk
        (d / "stdin").write_bytes(prep.stdin)
    res = run_connector(prep.argv, prep.stdin, case.get("timeout", 30))
    (d / "stdout").write_bytes(res.out)
    (d / "stderr").write_bytes(res.err)
    expect = expand(case["expect"], ph)
    why = check_case(run, db, case, prep, res, expect)
    if why:
        for alt in expect.get("also_ok", []):
            e2 = dict(expect)
            e2.pop("also_ok", None)
            e2.update(alt)
            if not check_case(run, db, case, prep, res, e2):
                why = []
                break
    gone = before - list_keyspaces(db)
    if gone:
        why.append(f"system keyspaces are gone: {sorted(gone)}")
    if not db.json_rows(f"SELECT role FROM system_auth.roles WHERE role = {cql_literal(run.user)}"):
        why.append(f"the role {run.user} is gone from system_auth.roles")
    run.dropper.case_done(ks)
    if case.get("known_failure"):
        verdict = "XFAIL" if why else "XPASS"
    else:
        verdict = "FAIL" if why else "PASS"
    return verdict, why, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("connector")
    ap.add_argument("--cql-query", help="cql-query binary, used when cassandra-driver cannot be imported")
    ap.add_argument("--cases", default=str(HERE / "cases"))
    ap.add_argument("--only", help="run the cases whose name matches this regex")
    ap.add_argument("--jobs", type=int, default=3, help="cases run at once (default 3)")
    ap.add_argument("--strict", action="store_true", help="known failures (XFAIL) and XPASS fail the run too")
    ap.add_argument("--no-driver", action="store_true", help="read tables with cql-query even if cassandra-driver is there")
    ap.add_argument("--keep", action="store_true", help="keep the keyspaces, the role and the work directory")
    ap.add_argument("--drop-at-end", action="store_true", help="drop the keyspaces after the last case, not while cases run")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("-v", "--verbose", action="store_true", help="show stdout and stderr of cases that do not pass")
    args = ap.parse_args()
    args.connector = str(Path(args.connector).resolve())
    if args.cql_query:
        args.cql_query = str(Path(args.cql_query).resolve())

    cases = load_cases(Path(args.cases))
    if args.only:
        cases = [c for c in cases if re.search(args.only, c["name"])]
    if args.list:
        for c in cases:
            print(f"{c['category']:9} {c['name']:45} {c['what']}")
        return 0
    if not os.access(args.connector, os.X_OK):
        print(f"run_corpus: {args.connector} is not an executable", file=sys.stderr)
        return 2

    started = time.monotonic()
    run = Run(args)
    if have_driver() and not args.no_driver:
        db = DriverDB(run.hosts, run.port, run.admin_user, run.admin_password)
    else:
        exe = args.cql_query or str(Path(args.connector).parent.parent.parent / "tools" / "cql-query" / "cql-query")
        if not os.access(exe, os.X_OK):
            print("run_corpus: neither cassandra-driver nor cql-query (--cql-query) is available", file=sys.stderr)
            return 2
        db = CqlQueryDB(exe, run.hosts, run.port, run.admin_user, run.admin_password)
    print(f"bad-input corpus: {len(cases)} cases, connector {args.connector}, tables read with {db.name}, "
          f"token {run.token}, work dir {run.work}", flush=True)
    db.execute(f"CREATE ROLE IF NOT EXISTS {run.user} WITH PASSWORD = {cql_literal(run.password)} "
               f"AND LOGIN = true AND SUPERUSER = true")
    before = {ks for ks in list_keyspaces(db) if ks.startswith("system")}
    run.dropper = Dropper(db, not args.keep and not args.drop_at_end)
    results = []
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            futures = [pool.submit(run_case, run, db, c, n, before) for n, c in enumerate(cases, 1)]
            for c, f in zip(cases, futures):
                try:
                    verdict, why, res = f.result()
                except Exception as e:  # noqa: BLE001 - a harness error fails the case, not the run
                    verdict, why, res = "FAIL", [f"harness error: {type(e).__name__}: {e}"], None
                results.append((c, verdict, why))
                took = f"{res.seconds:.1f} s" if res else "-"
                line = f"{verdict:5} {c['category']:9} {c['name']:45} {took:>7}"
                if why:
                    line += "  " + "; ".join(why)
                if c.get("known_failure"):
                    line += f"  [known failure: {c['known_failure']}]"
                print(line, flush=True)
                if why and args.verbose and res:
                    print("      stdout: " + res.out.decode("utf-8", "replace")[:3000].replace("\n", "\n              "))
                    print("      stderr: " + res.err.decode("utf-8", "replace")[:1000])
    finally:
        if not args.keep:
            t = time.monotonic()
            run.dropper.finish()
            cleanup(run, db)
            print(f"cleanup (keyspaces and role dropped) took {time.monotonic() - t:.1f} s", flush=True)
        db.close()

    by = {}
    for c, v, _ in results:
        by.setdefault(c["category"], {}).setdefault(v, 0)
        by[c["category"]][v] += 1
    counts = {v: sum(1 for _, x, _ in results if x == v) for v in ("PASS", "FAIL", "XFAIL", "XPASS")}
    print("by category: " + "; ".join(f"{cat} {sum(d.values())} (" + ", ".join(f"{k} {n}" for k, n in sorted(d.items())) + ")"
                                      for cat, d in by.items()))
    print(f"{len(results)} cases in {time.monotonic() - started:.1f} s: {counts['PASS']} passed, {counts['FAIL']} failed, "
          f"{counts['XFAIL']} known failures, {counts['XPASS']} known failures that passed")
    for c, v, _ in results:
        if v == "XPASS":
            print(f"  {c['name']}: passes now; remove its known_failure marker")
    bad = counts["FAIL"] + ((counts["XFAIL"] + counts["XPASS"]) if args.strict else 0)
    return 1 if bad else 0


def cleanup(run: Run, db) -> None:
    try:
        for ks in sorted(list_keyspaces(db)):
            if run.token in ks:
                db.execute(f"DROP KEYSPACE IF EXISTS {cql_ident(ks)}")
        db.execute(f"DROP ROLE IF EXISTS {run.user}")
    except Exception as e:  # noqa: BLE001
        print(f"run_corpus: cleanup failed: {e}", file=sys.stderr)
    shutil.rmtree(run.work, ignore_errors=True)


if __name__ == "__main__":
    if not have_driver() and "--no-driver" not in sys.argv and VENV_PYTHON.exists() and not os.environ.get("BADINPUT_REEXEC"):
        os.environ["BADINPUT_REEXEC"] = "1"
        os.execv(str(VENV_PYTHON), [str(VENV_PYTHON), __file__, *sys.argv[1:]])
    sys.exit(main())
