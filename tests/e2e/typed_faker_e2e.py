#!/usr/bin/env python3
"""source-faker and PyAirbyte into typed tables (issue 16), read back with cassandra-driver.

    typed_faker_e2e.py CONNECTOR [faker|pyairbyte ...]     (default: both)

faker: source-faker users/products/purchases read | CONNECTOR write (table_format: typed,
append_dedup); every table read back and compared, field by field and typed, with the newest
version of each record (greatest updated_at, then the later emitted_at) converted from its JSON
schema; then SELECT ... WHERE id = ? returns a record's typed fields.
pyairbyte: PyAirbyte (offline, DuckDB cache, AUTO) writes faker data with table_format: typed.

Runs under the e2e venv (re-executes itself there, after tools/e2e-faker setup). Needs CQL_HOSTS,
CQL_PORT, CQL_USER, CQL_PASSWORD. Keyspaces are unique to the run and dropped at the end.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VENV_PY = ROOT / ".cache" / "venv" / "bin" / "python"

try:
    import cassandra  # noqa: F401
except ImportError:
    if Path(sys.executable) != VENV_PY and os.environ.get("TYPED_E2E_REEXEC") != "1":
        subprocess.run([str(ROOT / "tools" / "e2e-faker"), "setup"], check=True)
        os.environ["TYPED_E2E_REEXEC"] = "1"
        os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])
    raise

from cassandra.auth import PlainTextAuthProvider  # noqa: E402
from cassandra.cluster import Cluster  # noqa: E402
from cassandra.query import dict_factory  # noqa: E402

# source-faker has a venv of its own (tools/e2e-faker: its airbyte-cdk major differs from PyAirbyte's).
SOURCE_FAKER = Path(os.environ.get("E2E_SOURCE_FAKER") or ROOT / ".cache" / "venv-faker" / "bin" / "source-faker")
STREAMS = ("users", "products", "purchases")
RUN = uuid.uuid4().hex[:8]
failures: list[str] = []


def log(msg: str) -> None:
    print(f"[typed-faker-e2e] {msg}", flush=True)


def check(cond: bool, what: str) -> None:
    if not cond:
        failures.append(what)
        log("FAIL: " + what)


def parse_ts(text: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return t.replace(microsecond=t.microsecond // 1000 * 1000)  # Cassandra keeps milliseconds


def expected_value(prop: dict, value):
    """The value a typed column holds for a JSON value (docs/typed-tables.md)."""
    if value is None:
        return None
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else [t for t in types if t != "null"]
    if len(types) != 1:
        return ("json", value)
    t, fmt, ab = types[0], prop.get("format"), prop.get("airbyte_type", "")
    if t == "boolean":
        return value
    if t == "integer" or (t == "number" and ab == "integer"):
        return int(value)
    if t == "number":
        return Decimal(str(value)) if not isinstance(value, Decimal) else value
    if t == "string":
        if fmt == "date":
            return dt.date.fromisoformat(value[:10])
        if fmt == "date-time" or ab.startswith("timestamp"):
            return parse_ts(value)
        return value if isinstance(value, str) else ("json", value)
    return ("json", value)


def same(want, got) -> bool:
    if isinstance(want, tuple) and want[0] == "json":
        return got is not None and json.loads(got, parse_float=Decimal) == want[1]
    if isinstance(want, Decimal):
        return isinstance(got, Decimal) and got == want
    return want == got


class Node:
    def __init__(self):
        self.hosts, self.port = os.environ["CQL_HOSTS"], int(os.environ["CQL_PORT"])
        self.user, self.password = os.environ["CQL_USER"], os.environ["CQL_PASSWORD"]
        self.cluster = Cluster(self.hosts.split(","), port=self.port,
                               auth_provider=PlainTextAuthProvider(self.user, self.password))
        self.session = self.cluster.connect()
        self.session.row_factory = dict_factory  # column names as they are (_airbyte_...)
        self.keyspaces: list[str] = []

    def config(self, ks: str) -> dict:
        self.keyspaces.append(ks)
        return {"keyspace": ks, "username": self.user, "password": self.password, "address": self.hosts,
                "port": self.port, "table_format": "typed"}

    def rows(self, query: str, *args):
        return list(self.session.execute(query, args, timeout=120))

    def close(self):
        for ks in self.keyspaces:
            self.session.execute(f'DROP KEYSPACE IF EXISTS "{ks}"', timeout=120)
        self.cluster.shutdown()


def faker_catalog(faker_config: Path) -> dict:
    out = subprocess.run([str(SOURCE_FAKER), "discover", "--config", str(faker_config)],
                         capture_output=True, text=True, check=True, timeout=300)
    catalog = next(json.loads(x)["catalog"] for x in out.stdout.splitlines() if '"CATALOG"' in x)
    return {"streams": [{"stream": s, "sync_mode": "incremental", "cursor_field": s["default_cursor_field"],
                         "destination_sync_mode": "append_dedup", "primary_key": s["source_defined_primary_key"]}
                        for s in catalog["streams"] if s["name"] in STREAMS]}


def compare_table(node: Node, ks: str, stream: dict, records: list[tuple[int, dict]]):
    name = stream["stream"]["name"]
    props = stream["stream"]["json_schema"]["properties"]
    newest: dict = {}
    for emitted, data in records:
        cur = newest.get(data["id"])
        order = (parse_ts(data["updated_at"]), emitted)
        if cur is None or order > cur[0]:
            newest[data["id"]] = (order, emitted, data)
    rows = {r["id"]: r for r in node.rows(f'SELECT * FROM "{ks}"."{name}"')}
    check(set(rows) == set(newest), f"faker {name}: one row per id ({len(rows)} rows, {len(newest)} ids)")
    bad = 0
    for key, (_, emitted, data) in newest.items():
        r = rows.get(key)
        if r is None:
            continue
        for field, prop in props.items():
            want, got = expected_value(prop, data.get(field)), r.get(field)
            if not same(want, got):
                bad += 1
                if bad <= 5:
                    check(False, f"faker {name} id {key} field {field}: want {want!r}, got {got!r}")
        extra = {k: v for k, v in data.items() if k not in props}
        got_extra = r["_airbyte_additional_properties"]
        if (json.loads(got_extra, parse_float=Decimal) if got_extra else {}) != extra:
            bad += 1
            check(False, f"faker {name} id {key}: additional properties {got_extra!r} vs {extra!r}")
        if json.loads(r["_airbyte_meta"])["changes"] != [] or r["_airbyte_extracted_at"] != dt.datetime.fromtimestamp(
                emitted / 1000, dt.timezone.utc).replace(tzinfo=None):
            bad += 1
            check(False, f"faker {name} id {key}: meta {r['_airbyte_meta']} extracted_at {r['_airbyte_extracted_at']}")
    check(bad == 0, f"faker {name}: {bad} values differ")
    log(f"faker {name}: {len(rows)} rows compared field by field ({len(props)} columns)")
    return newest


def step_faker(node: Node, connector: str):
    ks = f"typed_faker_{RUN}"
    with tempfile.TemporaryDirectory() as d:
        fcfg = Path(d) / "faker.json"
        fcfg.write_text(json.dumps({"count": 500, "seed": 16, "parallelism": 1}))
        catalog = faker_catalog(fcfg)
        (Path(d) / "catalog.json").write_text(json.dumps(catalog))
        (Path(d) / "config.json").write_text(json.dumps(node.config(ks)))
        src = subprocess.run([str(SOURCE_FAKER), "read", "--config", str(fcfg), "--catalog", f"{d}/catalog.json"],
                             capture_output=True, text=True, check=True, timeout=600)
        out = subprocess.run([connector, "write", "--config", f"{d}/config.json", "--catalog", f"{d}/catalog.json"],
                             input=src.stdout, capture_output=True, text=True, timeout=600)
    check(out.returncode == 0, f"faker: connector exit {out.returncode}: {out.stdout[-2000:]}")
    records: dict[str, list] = {s: [] for s in STREAMS}
    states = 0
    for line in src.stdout.splitlines():
        try:
            m = json.loads(line, parse_float=Decimal)
        except ValueError:
            continue
        if m.get("type") == "RECORD" and m["record"]["stream"] in records:
            records[m["record"]["stream"]].append((m["record"]["emitted_at"], m["record"]["data"]))
        states += m.get("type") == "STATE"
    echoed = sum(1 for x in out.stdout.splitlines() if '"STATE"' in x)
    check(echoed == states, f"faker: every state echoed ({echoed} of {states})")
    newest = {}
    for s in catalog["streams"]:
        newest[s["stream"]["name"]] = compare_table(node, ks, s, records[s["stream"]["name"]])
    # A query by key returns the record's fields typed.
    _, _, user = newest["users"][42]
    rows = node.rows(f'SELECT id, name, email, age, created_at, address FROM "{ks}".users WHERE id = %s', 42)
    check(len(rows) == 1, "faker: SELECT ... WHERE id = 42 returns one row")
    if rows:
        r = rows[0]
        check(r["name"] == user["name"] and r["email"] == user["email"] and r["age"] == user["age"]
              and isinstance(r["age"], int), f"faker: typed text and bigint by key ({r})")
        check(r["created_at"] == parse_ts(user["created_at"]), f"faker: timestamp by key ({r['created_at']})")
        check(json.loads(r["address"]) == user["address"], "faker: the address object as JSON")
    log(f"faker: SELECT by key: {rows[0] if rows else None}")


WRAPPER = """#!/bin/sh
exec @CONNECTOR@ "$@"
"""


def step_pyairbyte(node: Node, connector: str):
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        os.environ.update({"AIRBYTE_OFFLINE_MODE": "1", "DO_NOT_TRACK": "1",
                           "AIRBYTE_PROJECT_DIR": str(work / "project"), "AIRBYTE_CACHE_ROOT": str(work / "cache"),
                           "AIRBYTE_LOGGING_ROOT": str(work / "logs"), "AIRBYTE_TEMP_DIR": str(work / "tmp")})
        (work / "tmp").mkdir()
        wrapper = work / "destination-cassandra"
        wrapper.write_text(WRAPPER.replace("@CONNECTOR@", connector))
        wrapper.chmod(0o755)
        import airbyte as ab  # after the environment: PyAirbyte reads it at import

        ks = f"typed_pyab_{RUN}"
        source = ab.get_source("source-faker", config={"count": 300, "seed": 7, "parallelism": 1},
                               local_executable=str(SOURCE_FAKER), streams="*")
        destination = ab.get_destination("destination-cassandra", config=node.config(ks), local_executable=str(wrapper))
        destination.check()
        destination.write(source)
    for name in STREAMS:
        n = node.rows(f'SELECT COUNT(*) AS n FROM "{ks}"."{name}"')[0]["n"]
        check(n > 0, f"pyairbyte: {name} has rows ({n})")
    users = node.rows(f'SELECT COUNT(*) AS n FROM "{ks}".users')[0]["n"]
    check(users == 300, f"pyairbyte: 300 users, one row per id ({users})")
    rows = node.rows(f'SELECT id, age, created_at, "_airbyte_generation_id" AS g FROM "{ks}".users WHERE id = %s', 7)
    check(len(rows) == 1 and isinstance(rows[0]["age"], int) and isinstance(rows[0]["created_at"], dt.datetime),
          f"pyairbyte: users WHERE id = 7 typed ({rows})")
    log(f"pyairbyte: {users} users; by key: {rows}")


STEPS = {"faker": step_faker, "pyairbyte": step_pyairbyte}


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    connector = os.path.abspath(sys.argv[1])
    node = Node()
    try:
        for name in sys.argv[2:] or list(STEPS):
            log(f"step {name}")
            try:
                STEPS[name](node, connector)
            except Exception as e:  # a crashed step is a failure; the others still run
                check(False, f"{name}: {type(e).__name__}: {e}")
    finally:
        node.close()
    log(f"{len(failures)} failures" if failures else "all steps passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
