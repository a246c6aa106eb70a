#!/usr/bin/env python3
"""The PyPI side of the e2e suite: real Airbyte producers feeding destination-cassandra.

    faker_e2e.py faker     CONNECTOR   source-faker read | tee | CONNECTOR write   (append)
    faker_e2e.py dedup     CONNECTOR   two incremental syncs (the second with the first's state) into
                                       append_dedup: one row per id, the greatest cursor
    faker_e2e.py pyairbyte CONNECTOR   PyAirbyte, offline, default DuckDB cache and AUTO write strategy,
                                       writes faker data through the connector twice
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
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

VENV_BIN = Path(sys.executable).parent
SOURCE_FAKER = VENV_BIN / "source-faker"
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
    for i, (got, (want, count)) in enumerate(zip(states, expected.states)):
        if without_stats(got) != want:
            raise Failure(f"{what}: state {i} differs from the input's:\n  {without_stats(got)[:500]}\n  {want[:500]}")
        stats = got.get("destinationStats") or {}
        if stats.get("recordCount") != count:
            raise Failure(f"{what}: state {i} has destinationStats {stats}, expected recordCount {count}")
    return states


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


def step_pyairbyte(work: Work, node: Node) -> None:
    capture = work.dir / "pyairbyte-capture"
    capture.mkdir()
    wrapper = work.dir / "destination-cassandra"
    wrapper.write_text(WRAPPER.replace("@DIR@", str(capture)).replace("@CONNECTOR@", work.connector))
    wrapper.chmod(0o755)
    # Offline: no registry look-up, no telemetry; every file PyAirbyte makes goes under the work dir.
    os.environ.update({
        "AIRBYTE_OFFLINE_MODE": "1",
        "DO_NOT_TRACK": "1",
        "AIRBYTE_PROJECT_DIR": str(work.dir / "project"),
        "AIRBYTE_CACHE_ROOT": str(work.dir / "cache"),
        "AIRBYTE_LOGGING_ROOT": str(work.dir / "logs"),
        "AIRBYTE_TEMP_DIR": str(work.dir / "tmp"),
    })
    (work.dir / "tmp").mkdir()
    start = time.monotonic()
    import airbyte as ab  # after the environment: PyAirbyte reads it at import

    from importlib.metadata import version

    log(f"pyairbyte: PyAirbyte {version('airbyte')} imported in {time.monotonic() - start:.1f} s")
    ks = fresh_keyspace(node, "pyab")
    try:
        source = ab.get_source("source-faker", config={"count": 1000, "seed": 99, "parallelism": 1},
                               local_executable=str(SOURCE_FAKER), streams="*")
        destination = ab.get_destination("destination-cassandra", config=node.config(ks),
                                         local_executable=str(wrapper))
        destination.check()
        log("pyairbyte: destination.check() passed")
        for run, count in ((1, 1000), (2, 800)):
            # Write 2 reads 800 users anew; the DuckDB cache still holds write 1's other 200, and
            # PyAirbyte sends the cache's contents. Its catalog asks for a truncating refresh on
            # every write (generation_id == minimum_generation_id == 1): the tables hold write 2's rows.
            source.set_config({"count": count, "seed": 99, "parallelism": 1})
            t = time.monotonic()
            destination.write(source)  # the default DuckDB cache, write_strategy AUTO
            log(f"pyairbyte: write {run} ({count} users) finished in {time.monotonic() - t:.1f} s")
        writes = sorted(p.name.split(".")[0] for p in capture.glob("*.in.jsonl"))
        if len(writes) != 2:
            raise Failure(f"pyairbyte: expected 2 write invocations, saw {len(writes)}")
        dest = DestinationModel()
        for i, n in enumerate(writes, 1):
            catalog = json.loads((capture / f"{n}.catalog.json").read_text())
            modes = {cs["stream"]["name"]: cs["destination_sync_mode"] for cs in catalog["streams"]}
            if modes != {s: "append_dedup" for s in STREAMS}:
                raise Failure(f"pyairbyte: AUTO resolved to {modes}, expected append_dedup (faker streams have keys)")
            model = InputModel((capture / f"{n}.in.jsonl").read_text(encoding="utf-8").splitlines())
            per_stream = collections.Counter(r[0][1] for r in model.records)
            if set(per_stream) != set(STREAMS):
                raise Failure(f"pyairbyte: write {i} carried records of {dict(per_stream)}")
            states = check_output((capture / f"{n}.out.jsonl").read_text(encoding="utf-8").splitlines(), model,
                                  f"pyairbyte write {i}")
            log(f"pyairbyte: write {i}: {dict(per_stream)} records, {len(states)} states echoed with counts")
            dest.apply(catalog, model)
        expect_tables(node, ks, catalog, dest, "pyairbyte")
    finally:
        if os.environ.get("E2E_KEEP") != "1":
            node.drop(ks)


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("faker", "dedup", "pyairbyte", "all"):
        print(__doc__, file=sys.stderr)
        return 2
    step, connector = sys.argv[1], os.path.abspath(sys.argv[2])
    steps = ["faker", "dedup", "pyairbyte"] if step == "all" else [step]
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
                globals()[f"step_{s}"](work, node)
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
