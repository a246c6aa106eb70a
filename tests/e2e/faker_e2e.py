#!/usr/bin/env python3
"""The PyPI side of the e2e suite: real Airbyte producers feeding destination-cassandra.

    faker_e2e.py faker     CONNECTOR   source-faker read | tee | CONNECTOR write   (append)
    faker_e2e.py dedup     CONNECTOR   two incremental syncs (the second with the first's state) into
                                       append_dedup: one row per id, the greatest cursor
    faker_e2e.py pyairbyte CONNECTOR   PyAirbyte, offline, default DuckDB cache and AUTO write strategy,
                                       writes faker data through the connector twice
    faker_e2e.py pyairbyte-nokeys CONNECTOR
                                       the same with streams that declare no primary key and no cursor:
                                       PyAirbyte replaces the tables (overwrite) on each write
    faker_e2e.py pyairbyte-resume CONNECTOR
                                       a keyless write interrupted by Ctrl-C after about 1300 records,
                                       before any STATE, then a write again: the table holds the
                                       source's records exactly
    faker_e2e.py all       CONNECTOR

Run it with the venv's python (tools/e2e-faker does). It needs the node's CQL_HOSTS, CQL_PORT,
CQL_USER and CQL_PASSWORD (eval "$(tools/cassandra-local env)"). Every step checks what the
connector printed (only Airbyte messages; every input STATE echoed in order with
destinationStats.recordCount) and reads every table back with cassandra-driver (an independent
client): the rows must equal the input exactly (data compared as parsed JSON, emitted_at equal).
"""
from __future__ import annotations

import collections
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

# source-faker lives in a venv of its own (tools/e2e-faker says where): it needs airbyte-cdk 6,
# PyAirbyte airbyte-cdk 7.
SOURCE_FAKER = Path(os.environ.get("E2E_SOURCE_FAKER") or Path(sys.executable).parent / "source-faker")
MESSAGE_TYPES = {"RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL"}
STREAMS = ("users", "products", "purchases")


class Failure(Exception):
    pass


def log(msg: str) -> None:
    print(f"[faker-e2e] {msg}", flush=True)


def require_env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise Failure(f"{name} is not set: start a node with tools/cassandra-local start and "
                      f'eval "$(tools/cassandra-local env)"')
    return value


# ------------------------------------------------------------------------------------------------
# JSON as the C++ suite compares it: parsed-equal values have equal canonical text (sorted keys,
# the last of repeated keys, integral numbers as integers).

def _norm(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 9.2e18:
        return int(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def canonical(v) -> str:
    return json.dumps(_norm(v), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def stream_id(holder: dict, name_key: str = "name") -> tuple[str, str]:
    return (holder.get("namespace") or "", holder.get(name_key) or "")


def without_stats(state: dict) -> str:
    return canonical({k: v for k, v in state.items() if k != "destinationStats"})


class InputModel:
    """Records and states of an input; each state's expected recordCount (STREAM: that stream's
    records since its previous STREAM state; GLOBAL/LEGACY: all records since the previous one)."""

    def __init__(self, lines: list[str]):
        self.records: list[tuple[tuple[str, str], dict, str, int]] = []  # stream, data, canonical data, emitted_at
        self.states: list[tuple[str, float]] = []
        per_stream: dict = collections.Counter()
        since_global = 0
        for line in lines:
            if not line.strip():
                continue
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if not isinstance(m, dict):
                continue
            if m.get("type") == "RECORD":
                r = m["record"]
                sid = stream_id(r, "stream")
                self.records.append((sid, r["data"], canonical(r["data"]), int(r["emitted_at"])))
                per_stream[sid] += 1
                since_global += 1
            elif m.get("type") == "STATE":
                st = m["state"]
                if (st.get("type") or "LEGACY") == "STREAM":
                    sid = stream_id(st["stream"]["stream_descriptor"])
                    self.states.append((without_stats(st), per_stream[sid]))
                    per_stream[sid] = 0
                else:
                    self.states.append((without_stats(st), since_global))
                    since_global = 0


class DestinationModel:
    """What the tables must hold after a series of syncs."""

    def __init__(self):
        self.rows: dict = collections.defaultdict(collections.Counter)
        self.dedup: dict = collections.defaultdict(dict)

    def apply(self, catalog: dict, model: InputModel) -> None:
        """A successful sync. Overwrite streams, and refreshes that keep no older generation
        (minimum_generation_id == generation_id > 0, which PyAirbyte sends on every write), replace
        their rows."""
        for cs in catalog["streams"]:
            sid = stream_id(cs["stream"])
            mode = cs["destination_sync_mode"]
            recs = [r for r in model.records if r[0] == sid]
            gen, min_gen = cs.get("generation_id"), cs.get("minimum_generation_id")
            if mode == "overwrite" or (isinstance(gen, int) and gen > 0 and gen == min_gen):
                self.rows[sid] = collections.Counter()
                self.dedup[sid] = {}
            if mode == "append_dedup":
                pk = cs["primary_key"]
                cursor = cs["cursor_field"]
                keyed = self.dedup[sid]
                for rec in recs:
                    key = tuple(canonical(dig(rec[1], path)) for path in pk)
                    held = keyed.get(key)
                    if held is None or wins(rec, held, cursor):
                        keyed[key] = rec
                self.rows[sid] = collections.Counter((c, t) for _, _, c, t in keyed.values())
            else:
                self.rows[sid].update((c, t) for _, _, c, t in recs)


def dig(obj, path):
    for p in path:
        if not isinstance(obj, dict) or p not in obj:
            return None
        obj = obj[p]
    return obj


def wins(challenger, holder, cursor) -> bool:
    a, b = dig(challenger[1], cursor), dig(holder[1], cursor)
    if a != b and a is not None and b is not None and type(a) == type(b):
        return a > b
    if a != b and (a is None or b is None):
        return b is None
    return challenger[3] >= holder[3]


def check_output(out_lines: list[str], expected: InputModel, what: str) -> list[dict]:
    """stdout holds Airbyte messages only; the states are the input's, in order, with counts."""
    states = []
    for n, line in enumerate(out_lines, 1):
        try:
            m = json.loads(line)
        except ValueError:
            raise Failure(f"{what}: stdout line {n} is not JSON: {line[:200]}")
        if not isinstance(m, dict) or m.get("type") not in MESSAGE_TYPES:
            raise Failure(f"{what}: stdout line {n} is not an Airbyte message: {line[:200]}")
        if m["type"] == "TRACE" and m["trace"].get("type") == "ERROR":
            raise Failure(f"{what}: TRACE ERROR: {line[:1000]}")
        if m["type"] == "STATE":
            states.append(m["state"])
    if len(states) != len(expected.states):
        raise Failure(f"{what}: {len(states)} states echoed, {len(expected.states)} in the input")
    # The connector keeps the order of each stream's STREAM states, and of GLOBAL/LEGACY states
    # against every other state; a STREAM state need not wait for another stream's.
    def scope(state_text: str):
        st = json.loads(state_text)
        if st.get("type", "LEGACY") != "STREAM":
            return None
        sd = (st.get("stream") or {}).get("stream_descriptor") or {}
        return (sd.get("namespace"), sd.get("name"))
    position = [None] * len(expected.states)
    for g, got in enumerate(states):
        text = without_stats(got)
        i = next((i for i, (want, _) in enumerate(expected.states) if position[i] is None and want == text), None)
        if i is None:
            raise Failure(f"{what}: echoed state {g} is not one of the input's (or came out twice):\n  {text[:500]}")
        position[i] = g
        stats = got.get("destinationStats") or {}
        if stats.get("recordCount") != expected.states[i][1]:
            raise Failure(f"{what}: state {g} has destinationStats {stats}, expected recordCount {expected.states[i][1]}")
    scopes = [scope(want) for want, _ in expected.states]
    for i in range(len(scopes)):
        for j in range(i + 1, len(scopes)):
            if (scopes[i] is None or scopes[j] is None or scopes[i] == scopes[j]) and position[i] > position[j]:
                raise Failure(f"{what}: input state {j} came out before input state {i}, which it may not overtake")
    return states


def check_client_metrics(out_lines: list[str], records: int, what: str) -> None:
    """The end-of-sync LOG INFO line with the client's metrics: one, with at least a request per record
    (each record is one INSERT), bytes both ways, no error, and a latency for the node."""
    lines = []
    for line in out_lines:
        m = json.loads(line)
        if m.get("type") == "LOG" and m["log"]["message"].startswith("client metrics: "):
            lines.append(m["log"])
    if len(lines) != 1 or lines[0]["level"] != "INFO":
        raise Failure(f"{what}: expected one LOG INFO 'client metrics: ...' line, got {lines}")
    text = lines[0]["message"]
    found = re.match(r"client metrics: (\d+) requests, (\d+) retries, .* (\d+) bytes sent, (\d+) bytes received; errors: (.*?);", text)
    if not found:
        raise Failure(f"{what}: the client metrics line does not read as expected: {text}")
    requests, retries, sent, received = (int(found.group(i)) for i in range(1, 5))
    if requests < records or sent == 0 or received == 0:
        raise Failure(f"{what}: implausible client metrics for {records} records: {text}")
    if found.group(5) != "none" or not re.search(r": \d+ attempts, p50 [0-9.]+ ms, p99 [0-9.]+ ms", text):
        raise Failure(f"{what}: client metrics with errors or without a node's latencies: {text}")
    log(f"{what}: {text}")


# ------------------------------------------------------------------------------------------------
# Cassandra, through cassandra-driver.

class Node:
    def __init__(self):
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import RoundRobinPolicy

        self.hosts = require_env("CQL_HOSTS")
        self.port = int(require_env("CQL_PORT"))
        self.user = require_env("CQL_USER")
        self.password = require_env("CQL_PASSWORD")
        profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=60)
        self.cluster = Cluster(self.hosts.split(","), port=self.port,
                               auth_provider=PlainTextAuthProvider(self.user, self.password),
                               execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        self.session = self.cluster.connect()

    def close(self):
        self.cluster.shutdown()

    def config(self, keyspace: str) -> dict:
        return {"keyspace": keyspace, "username": self.user, "password": self.password,
                "address": self.hosts, "port": self.port}

    def drop(self, keyspace: str) -> None:
        self.session.execute(f'DROP KEYSPACE IF EXISTS "{keyspace}"', timeout=120)

    def read_table(self, keyspace: str, table: str, pk: list | None = None):
        from cassandra.query import SimpleStatement

        cols = '"_airbyte_ab_id", "_airbyte_data", toUnixTimestamp("_airbyte_emitted_at")'
        key_cols = [".".join(path) for path in (pk or [])]
        for k in key_cols:
            cols += f', "{k}"'
        st = SimpleStatement(f'SELECT {cols} FROM "{keyspace}"."{table}"', fetch_size=5000)
        rows = collections.Counter()
        ids = set()
        for row in self.session.execute(st, timeout=120):
            if row[0] is None or row[0] in ids:
                raise Failure(f"{keyspace}.{table}: a null or repeated _airbyte_ab_id")
            ids.add(row[0])
            data = json.loads(row[1])
            rows[(canonical(data), row[2])] += 1
            for i, path in enumerate(pk or []):
                if row[3 + i] != dig(data, path):
                    raise Failure(f"{keyspace}.{table}: key column {key_cols[i]} holds {row[3 + i]!r}, "
                                  f"the data {dig(data, path)!r}")
        return rows


def compare(expected: collections.Counter, actual: collections.Counter, what: str) -> None:
    if expected == actual:
        return
    missing = expected - actual
    unexpected = actual - expected
    lines = [f"{what}: expected {sum(expected.values())} rows, found {sum(actual.values())} "
             f"({sum(missing.values())} missing, {sum(unexpected.values())} unexpected)"]
    for (d, t) in list(missing)[:3]:
        lines.append(f"  missing:    emitted_at {t} data {d[:300]}")
    for (d, t) in list(unexpected)[:3]:
        lines.append(f"  unexpected: emitted_at {t} data {d[:300]}")
    raise Failure("\n".join(lines))


def expect_tables(node: Node, keyspace: str, catalog: dict, model: DestinationModel, what: str) -> None:
    for cs in catalog["streams"]:
        sid = stream_id(cs["stream"])
        pk = cs.get("primary_key") if cs["destination_sync_mode"] == "append_dedup" else None
        actual = node.read_table(keyspace, "airbyte_raw_" + sid[1], pk)
        compare(model.rows[sid], actual, f"{what}: {keyspace}.airbyte_raw_{sid[1]}")
        log(f"{what}: {keyspace}.airbyte_raw_{sid[1]} holds exactly the {sum(actual.values())} expected rows")


# ------------------------------------------------------------------------------------------------
# Running source-faker and the connector.

class Work:
    def __init__(self, connector: str):
        self.connector = connector
        self.dir = Path(tempfile.mkdtemp(prefix="faker-e2e-"))
        self.n = 0

    def file(self, name: str, content) -> Path:
        self.n += 1
        p = self.dir / f"{self.n:02d}-{name}"
        p.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return p

    def cleanup(self):
        if os.environ.get("E2E_KEEP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            log(f"kept {self.dir}")


def faker_catalog(work: Work, faker_config: Path, mode: str) -> dict:
    out = subprocess.run([str(SOURCE_FAKER), "discover", "--config", str(faker_config)],
                         capture_output=True, text=True, check=True, timeout=300)
    catalog = next(json.loads(l)["catalog"] for l in out.stdout.splitlines() if '"CATALOG"' in l)
    streams = []
    for s in catalog["streams"]:
        if s["name"] not in STREAMS:
            continue
        streams.append({"stream": s, "sync_mode": "incremental", "cursor_field": s["default_cursor_field"],
                        "destination_sync_mode": mode, "primary_key": s["source_defined_primary_key"]})
    return {"streams": streams}


def pipe_sync(work: Work, faker_config: dict, catalog: dict, config: dict, state: list | None, what: str):
    """source-faker read | (copy kept) | CONNECTOR write. Returns (input lines, output lines)."""
    fcfg = work.file("faker-config.json", faker_config)
    cat = work.file("catalog.json", catalog)
    cfg = work.file("config.json", config)
    src_cmd = [str(SOURCE_FAKER), "read", "--config", str(fcfg), "--catalog", str(cat)]
    if state is not None:
        src_cmd += ["--state", str(work.file("state.json", state))]
    copy = work.dir / f"{what}.input.jsonl"
    out = work.dir / f"{what}.output.jsonl"
    src_err = work.dir / f"{what}.source.stderr"
    dst_err = work.dir / f"{what}.connector.stderr"
    start = time.monotonic()
    with open(src_err, "wb") as se, open(dst_err, "wb") as de, open(out, "wb") as o, open(copy, "wb") as c:
        src = subprocess.Popen(src_cmd, stdout=subprocess.PIPE, stderr=se)
        dst = subprocess.Popen([work.connector, "write", "--config", str(cfg), "--catalog", str(cat)],
                               stdin=subprocess.PIPE, stdout=o, stderr=de)
        broken = False
        for chunk in iter(lambda: src.stdout.read(1 << 16), b""):
            c.write(chunk)
            if not broken:
                try:
                    dst.stdin.write(chunk)
                except BrokenPipeError:
                    broken = True
        try:
            dst.stdin.close()
        except BrokenPipeError:
            pass
        src_rc = src.wait(timeout=600)
        dst_rc = dst.wait(timeout=600)
    elapsed = time.monotonic() - start
    in_lines = copy.read_text(encoding="utf-8").splitlines()
    out_lines = out.read_text(encoding="utf-8").splitlines()
    records = sum(1 for l in in_lines if l.startswith('{"type":"RECORD"'))
    log(f"{what}: source-faker exit {src_rc}, connector exit {dst_rc}, {records} records in {elapsed:.1f} s")
    if src_rc != 0:
        raise Failure(f"{what}: source-faker failed: {src_err.read_text()[-2000:]}")
    if dst_rc != 0:
        raise Failure(f"{what}: connector exit {dst_rc}:\n{out.read_text()[-3000:]}\n{dst_err.read_text()[-3000:]}")
    password = config["password"]
    if len(password) >= 12 and (password in out.read_text() or password in dst_err.read_text()):
        raise Failure(f"{what}: the password is in the connector's output")
    return in_lines, out_lines


def fresh_keyspace(node: Node, label: str) -> str:
    ks = f"e2e_{label}_{random.randrange(16 ** 6):06x}"
    node.drop(ks)
    return ks


def step_faker(work: Work, node: Node) -> None:
    count = int(os.environ.get("E2E_FAKER_COUNT", "10000"))
    ks = fresh_keyspace(node, "faker")
    try:
        fcfg = {"count": count, "seed": 4242, "parallelism": 1}
        catalog = faker_catalog(work, work.file("discover-config.json", fcfg), "append")
        in_lines, out_lines = pipe_sync(work, fcfg, catalog, node.config(ks), None, "faker-append")
        model = InputModel(in_lines)
        states = check_output(out_lines, model, "faker-append")
        log(f"faker-append: {len(states)} states echoed in order with their record counts")
        check_client_metrics(out_lines, len(model.records), "faker-append")
        per_stream = collections.Counter(r[0][1] for r in model.records)
        if per_stream["users"] != count or per_stream["products"] == 0 or per_stream["purchases"] == 0:
            raise Failure(f"faker-append: unexpected source output {dict(per_stream)}")
        dest = DestinationModel()
        dest.apply(catalog, model)
        expect_tables(node, ks, catalog, dest, "faker-append")
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            node.drop(ks)


def step_dedup(work: Work, node: Node) -> None:
    count = int(os.environ.get("E2E_FAKER_COUNT", "10000"))
    ks = fresh_keyspace(node, "dedup")
    try:
        fcfg = {"count": count, "seed": 777, "parallelism": 1}
        catalog = faker_catalog(work, work.file("discover-config.json", fcfg), "append_dedup")
        dest = DestinationModel()
        in1, out1 = pipe_sync(work, fcfg, catalog, node.config(ks), None, "dedup-run1")
        m1 = InputModel(in1)
        states = check_output(out1, m1, "dedup-run1")
        dest.apply(catalog, m1)
        expect_tables(node, ks, catalog, dest, "dedup-run1")
        # Run 2: incremental from the states the destination confirmed (the last per stream), and
        # more users, so that it both updates every id and adds new ones.
        last = {}
        for st in states:
            if st.get("type") == "STREAM":
                last[stream_id(st["stream"]["stream_descriptor"])] = {k: v for k, v in st.items() if k != "destinationStats"}
        fcfg2 = dict(fcfg, count=count + count // 5)
        time.sleep(1.1)  # a later updated_at (second resolution) than run 1's
        in2, out2 = pipe_sync(work, fcfg2, catalog, node.config(ks), list(last.values()), "dedup-run2")
        m2 = InputModel(in2)
        check_output(out2, m2, "dedup-run2")
        dest.apply(catalog, m2)
        expect_tables(node, ks, catalog, dest, "dedup-run2")
        # Spelled out: one row per id, the union of both runs' ids, and run 2's versions won.
        for name in STREAMS:
            ids = {r[1]["id"] for m in (m1, m2) for r in m.records if r[0][1] == name}
            rows = node.session.execute(f'SELECT COUNT(*) FROM "{ks}"."airbyte_raw_{name}"', timeout=120).one()[0]
            if rows != len(ids):
                raise Failure(f"dedup: {name} has {rows} rows for {len(ids)} ids")
            log(f"dedup: {name}: {rows} rows, one per id (run 1 {sum(1 for r in m1.records if r[0][1] == name)} "
                f"records, run 2 {sum(1 for r in m2.records if r[0][1] == name)})")
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            node.drop(ks)


WRAPPER = """#!/usr/bin/env bash
# PyAirbyte's local_executable: the connector, with what PyAirbyte sends and gets kept.
set -o pipefail
if [ "${1:-}" = write ]; then
  n=$(date +%s%N)
  args=("$@")
  for ((i = 0; i < ${#args[@]}; i++)); do
    if [ "${args[i]}" = --catalog ]; then cp "${args[i+1]}" "@DIR@/$n.catalog.json"; fi
  done
  tee "@DIR@/$n.in.jsonl" | "@CONNECTOR@" "$@" | tee "@DIR@/$n.out.jsonl"
  exit
fi
exec "@CONNECTOR@" "$@"
"""

# source-faker whose streams declare no primary key and no cursor (the discovered catalog edited, the
# records as source-faker makes them): PyAirbyte's AUTO strategy replaces such streams on each write.
NOKEYS_SOURCE = """#!/usr/bin/env bash
set -o pipefail
if [ "${1:-}" = discover ]; then
  "@FAKER@" "$@" | "@PYTHON@" -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        m = None
    if isinstance(m, dict) and m.get("type") == "CATALOG":
        for s in m["catalog"]["streams"]:
            s.pop("source_defined_primary_key", None)
            s.pop("default_cursor_field", None)
            s["source_defined_cursor"] = False
        line = json.dumps(m) + "\\n"
    sys.stdout.write(line)
'
  exit
fi
exec "@FAKER@" "$@"
"""

PYAIRBYTE_DIRS = {"AIRBYTE_PROJECT_DIR": "project", "AIRBYTE_CACHE_ROOT": "cache", "AIRBYTE_LOGGING_ROOT": "logs",
                  "AIRBYTE_TEMP_DIR": "tmp"}


def pyairbyte_setup(work: Work) -> tuple[Path, Path, Path]:
    """The environment PyAirbyte runs in (offline: no registry look-up, no telemetry; every file it
    makes under the work dir) and the two wrappers. Returns (capture dir, destination, keyless source)."""
    os.environ.update({"AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1"})
    for var, d in PYAIRBYTE_DIRS.items():
        (work.dir / d).mkdir(exist_ok=True)
        os.environ[var] = str(work.dir / d)
    capture = work.dir / "pyairbyte-capture"
    capture.mkdir(exist_ok=True)
    wrapper = work.dir / "destination-cassandra"
    wrapper.write_text(WRAPPER.replace("@DIR@", str(capture)).replace("@CONNECTOR@", work.connector))
    wrapper.chmod(0o755)
    nokeys = work.dir / "source-faker-nokeys"
    nokeys.write_text(NOKEYS_SOURCE.replace("@FAKER@", str(SOURCE_FAKER))
                      .replace("@PYTHON@", str(SOURCE_FAKER.parent / "python")))
    nokeys.chmod(0o755)
    return capture, wrapper, nokeys


def pyairbyte_write(spec: dict) -> None:
    """One destination.write(source) as a user writes it: the default DuckDB cache, write strategy
    AUTO. state_cache=False works around PyAirbyte 0.71.3, whose second write into the same cache
    fails with a duplicate key in its own _airbyte_destination_state table."""
    import airbyte as ab  # after pyairbyte_setup: PyAirbyte reads the environment at import

    source = ab.get_source("source-faker", config=spec["faker_config"], local_executable=spec["source"],
                           streams=spec["streams"])
    destination = ab.get_destination("destination-cassandra", config=spec["config"],
                                      local_executable=spec["destination"])
    if spec.get("check"):
        destination.check()
        log(f"{spec.get('label', 'pyairbyte')}: destination.check() passed")
    destination.write(source, state_cache=False)


def pyairbyte_write_child(spec: dict) -> int:
    """The interrupted write runs in a child, as a user's script would: Ctrl-C reaches it there."""
    pyairbyte_write(spec)
    return 0


def captured_writes(capture: Path) -> list[tuple[dict, list[str], list[str]]]:
    """Every write invocation the wrapper saw, oldest first: (catalog, stdin lines, stdout lines)."""
    out = []
    for n in sorted(p.name.split(".")[0] for p in capture.glob("*.in.jsonl")):
        catalog = json.loads((capture / f"{n}.catalog.json").read_text())
        in_lines = (capture / f"{n}.in.jsonl").read_text(encoding="utf-8").splitlines()
        out_file = capture / f"{n}.out.jsonl"
        out_lines = out_file.read_text(encoding="utf-8").splitlines() if out_file.exists() else []
        out.append((catalog, in_lines, out_lines))
    return out


def check_pyairbyte_input(catalog: dict, model: InputModel, mode: str, what: str) -> None:
    """What PyAirbyte sends, as the user guide states it: the AUTO strategy's mode, generation_id ==
    minimum_generation_id == 1 and sync_id 1 on every write, emitted_at in seconds (from its cache's
    _airbyte_extracted_at), and the cache's own columns inside each record's data."""
    for cs in catalog["streams"]:
        got = (cs["destination_sync_mode"], cs.get("generation_id"), cs.get("minimum_generation_id"), cs.get("sync_id"))
        if got != (mode, 1, 1, 1):
            raise Failure(f"{what}: stream {cs['stream']['name']}: (mode, generation_id, minimum_generation_id, "
                          f"sync_id) = {got}, expected {(mode, 1, 1, 1)}")
    now = time.time()
    for sid, data, _, emitted_at in model.records:
        if abs(emitted_at - now) > 86400:
            raise Failure(f"{what}: {sid[1]} record emitted_at {emitted_at}, not seconds since the epoch of today")
        missing = {"_airbyte_raw_id", "_airbyte_extracted_at", "_airbyte_meta"} - set(data)
        if missing:
            raise Failure(f"{what}: {sid[1]} record data without PyAirbyte's cache columns {sorted(missing)}")


def pyairbyte_writes(work: Work, node: Node, label: str, source_kind: str, mode: str) -> None:
    """Two writes (1000 users, then 800) of every faker stream; the tables must hold exactly what the
    second write sent (every write is a truncating refresh: generation_id == minimum_generation_id)."""
    capture, wrapper, nokeys = pyairbyte_setup(work)
    for old in capture.iterdir():
        old.unlink()
    source = str(SOURCE_FAKER if source_kind == "keys" else nokeys)
    ks = fresh_keyspace(node, label.replace("-", "_"))
    try:
        start = time.monotonic()
        import airbyte  # noqa: F401  (timed apart from the writes)
        from importlib.metadata import version

        log(f"{label}: PyAirbyte {version('airbyte')} imported in {time.monotonic() - start:.1f} s")
        for run, count in ((1, 1000), (2, 800)):
            t = time.monotonic()
            pyairbyte_write({"faker_config": {"count": count, "seed": 99, "parallelism": 1}, "source": source,
                             "streams": "*", "config": node.config(ks), "destination": str(wrapper),
                             "check": run == 1, "label": label})
            log(f"{label}: write {run} ({count} users) finished in {time.monotonic() - t:.1f} s")
        writes = captured_writes(capture)
        if len(writes) != 2:
            raise Failure(f"{label}: expected 2 write invocations, saw {len(writes)}")
        dest = DestinationModel()
        for i, (catalog, in_lines, out_lines) in enumerate(writes, 1):
            model = InputModel(in_lines)
            check_pyairbyte_input(catalog, model, mode, f"{label} write {i}")
            per_stream = collections.Counter(r[0][1] for r in model.records)
            if set(per_stream) != set(STREAMS):
                raise Failure(f"{label}: write {i} carried records of {dict(per_stream)}")
            states = check_output(out_lines, model, f"{label} write {i}")
            log(f"{label}: write {i}: {mode}, {dict(per_stream)} records, {len(states)} states echoed with counts")
            dest.apply(catalog, model)
        expect_tables(node, ks, catalog, dest, label)
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            node.drop(ks)


def step_pyairbyte(work: Work, node: Node) -> None:
    # faker streams have primary keys: AUTO resolves to append_dedup.
    pyairbyte_writes(work, node, "pyairbyte", "keys", "append_dedup")


def step_pyairbyte_nokeys(work: Work, node: Node) -> None:
    # No primary key and no cursor: AUTO resolves to overwrite (PyAirbyte's REPLACE).
    pyairbyte_writes(work, node, "pyairbyte-nokeys", "nokeys", "overwrite")


def count_records(capture: Path) -> int:
    return sum(p.read_bytes().count(b'{"type":"RECORD"') for p in capture.glob("*.in.jsonl"))


def step_pyairbyte_resume(work: Work, node: Node) -> None:
    """A user's Ctrl-C during a write, then the same write again (the issue-15 scenario): the first
    write is interrupted once about 1300 records went to the connector (before any STATE: PyAirbyte
    sends a stream's STATE after all its records), then a second write sends everything again under
    the same generation (1). Only what an emitted STATE covered may survive from the first: none."""
    count = int(os.environ.get("E2E_RESUME_COUNT", "5000"))
    cut = 1300
    capture, wrapper, nokeys = pyairbyte_setup(work)
    for old in capture.iterdir():
        old.unlink()
    label = "pyairbyte-resume"
    ks = fresh_keyspace(node, "pyres")
    spec = {"faker_config": {"count": count, "seed": 31, "parallelism": 1}, "source": str(nokeys),
            "streams": ["users"], "config": node.config(ks), "destination": str(wrapper)}
    try:
        # Write 1 in a child of its own session; Ctrl-C is SIGINT to the terminal's foreground
        # process group: PyAirbyte, the wrapper, tee and the connector.
        t = time.monotonic()
        child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "_pyairbyte-write", json.dumps(spec)],
                                 start_new_session=True, stdout=subprocess.DEVNULL,
                                 stderr=open(work.dir / "resume-write1.stderr", "wb"))
        seen = 0
        while child.poll() is None and seen < cut:
            time.sleep(0.02)
            seen = count_records(capture)
        if child.poll() is not None:
            raise Failure(f"{label}: write 1 ended (exit {child.returncode}) after {seen} records, before the cut at "
                          f"{cut}: {(work.dir / 'resume-write1.stderr').read_text()[-2000:]}")
        os.killpg(child.pid, signal.SIGINT)
        try:
            rc = child.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
            raise Failure(f"{label}: write 1 did not end within 120 s of Ctrl-C")
        time.sleep(1)  # the connector, in the same group, ends on its own signal
        sent = count_records(capture)
        writes = captured_writes(capture)
        if len(writes) != 1:
            raise Failure(f"{label}: expected 1 write invocation before the interruption, saw {len(writes)}")
        if any('"type":"STATE"' in l.replace(" ", "") for l in writes[0][2]):
            raise Failure(f"{label}: a STATE went out before the interruption: the scenario needs none")
        staged = 0
        if node.session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s AND "
                                "table_name = 'airbyte_tmp_users'", (ks,)).one():
            staged = node.session.execute(f'SELECT COUNT(*) FROM "{ks}"."airbyte_tmp_users"', timeout=120).one()[0]
        final = 0
        if node.session.execute("SELECT table_name FROM system_schema.tables WHERE keyspace_name = %s AND "
                                "table_name = 'airbyte_raw_users'", (ks,)).one():
            final = node.session.execute(f'SELECT COUNT(*) FROM "{ks}"."airbyte_raw_users"', timeout=120).one()[0]
        log(f"{label}: write 1 interrupted by Ctrl-C after {seen} records (PyAirbyte exit {rc}, {sent} records "
            f"sent in all, no STATE out, {staged} rows staged, {final} in the final table) in {time.monotonic() - t:.1f} s")
        # Write 2: the same write again; PyAirbyte reads the source anew and sends all its records.
        t = time.monotonic()
        pyairbyte_write(spec)
        log(f"{label}: write 2 ({count} users) finished in {time.monotonic() - t:.1f} s")
        writes = captured_writes(capture)
        if len(writes) != 2:
            raise Failure(f"{label}: expected 2 write invocations, saw {len(writes)}")
        catalog, in_lines, out_lines = writes[1]
        model = InputModel(in_lines)
        check_pyairbyte_input(catalog, model, "overwrite", f"{label} write 2")
        check_output(out_lines, model, f"{label} write 2")
        ids = sorted(r[1]["id"] for r in model.records)
        if ids != list(range(1, count + 1)):
            raise Failure(f"{label}: write 2 sent {len(ids)} users, not ids 1..{count} once each")
        rows = node.session.execute(f'SELECT COUNT(*) FROM "{ks}"."airbyte_raw_users"', timeout=120).one()[0]
        table_ids = collections.Counter(json.loads(r[0])["id"] for r in node.session.execute(
            f'SELECT "_airbyte_data" FROM "{ks}"."airbyte_raw_users"', timeout=120))
        if rows != count or set(table_ids) != set(ids) or max(table_ids.values()) != 1:
            dup = sum(n - 1 for n in table_ids.values())
            raise Failure(f"{label}: airbyte_raw_users holds {rows} rows for the source's {count} records "
                          f"({dup} ids twice or more, {len(set(ids) - set(table_ids))} ids missing): the rows "
                          f"write 1 staged without a STATE survived the retry")
        dest = DestinationModel()
        dest.apply(catalog, model)
        expect_tables(node, ks, catalog, dest, label)
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            node.drop(ks)


STEPS = ("faker", "dedup", "pyairbyte", "pyairbyte-nokeys", "pyairbyte-resume")


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "_pyairbyte-write":
        return pyairbyte_write_child(json.loads(sys.argv[2]))
    if len(sys.argv) != 3 or sys.argv[1] not in STEPS + ("all",):
        print(__doc__, file=sys.stderr)
        return 2
    step, connector = sys.argv[1], os.path.abspath(sys.argv[2])
    steps = list(STEPS) if step == "all" else [step]
    work = Work(connector)
    failed = 0
    node = None
    try:
        try:
            node = Node()
        except Failure as e:
            log(f"FAILED: {e}")
            print(f"0 passed, {len(steps)} failed")
            return 1
        for s in steps:
            t = time.monotonic()
            try:
                globals()[f"step_{s.replace('-', '_')}"](work, node)
                log(f"{s}: PASSED in {time.monotonic() - t:.1f} s")
            except Failure as e:
                failed += 1
                log(f"{s}: FAILED: {e}")
    finally:
        if node:
            node.close()
        work.cleanup()
    print(f"{len(steps) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
