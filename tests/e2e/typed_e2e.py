#!/usr/bin/env python3
"""Typed tables (issue 16) end to end: destination-cassandra with table_format: typed, every table
read back with cassandra-driver (an independent client) and compared typed, field by field.

    typed_e2e.py CONNECTOR [SCENARIO...]     scenarios: raw_ttl types evolution cdc overwrite key (default: all)

Runs under the e2e venv (.cache/venv, made by tools/e2e-faker setup: it re-executes itself there
when cassandra-driver is missing). Needs CQL_HOSTS, CQL_PORT, CQL_USER, CQL_PASSWORD
(eval "$(tools/cassandra-local env)"). Every keyspace is unique to the run and dropped at the end.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import random
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

RUN = uuid.uuid4().hex[:8]
failures: list[str] = []


def log(msg: str) -> None:
    print(f"[typed-e2e] {msg}", flush=True)


def check(cond: bool, what: str) -> None:
    if not cond:
        failures.append(what)
        log("FAIL: " + what)


class Node:
    def __init__(self):
        self.hosts = os.environ["CQL_HOSTS"]
        self.port = int(os.environ["CQL_PORT"])
        self.user = os.environ["CQL_USER"]
        self.password = os.environ["CQL_PASSWORD"]
        self.cluster = Cluster(self.hosts.split(","), port=self.port,
                               auth_provider=PlainTextAuthProvider(self.user, self.password))
        self.session = self.cluster.connect()
        self.keyspaces: list[str] = []

    def config(self, keyspace: str, **extra) -> dict:
        self.keyspaces.append(keyspace)
        return {"keyspace": keyspace, "username": self.user, "password": self.password,
                "address": self.hosts, "port": self.port, "table_format": "typed", **extra}

    def rows(self, query: str, *args):
        return list(self.session.execute(query, args, timeout=60))

    def column_types(self, ks: str, table: str) -> dict:
        return {r.column_name: r.type for r in self.rows(
            "SELECT column_name, type FROM system_schema.columns WHERE keyspace_name=%s AND table_name=%s", ks, table)}

    def close(self):
        for ks in self.keyspaces:
            self.session.execute(f'DROP KEYSPACE IF EXISTS "{ks}"', timeout=120)
        self.cluster.shutdown()


def stream(name, props, mode="append", pk=None, cursor=None, gen=None):
    s = {"stream": {"name": name, "json_schema": {"type": "object", "properties": props},
                    "supported_sync_modes": ["full_refresh", "incremental"]},
         "sync_mode": "incremental" if mode != "overwrite" else "full_refresh",
         "destination_sync_mode": mode}
    if pk:
        s["primary_key"] = pk
    if cursor:
        s["cursor_field"] = cursor
    if gen is not None:
        s.update({"generation_id": gen, "minimum_generation_id": gen, "sync_id": 100 + gen})
    return s


def record(name, data, emitted_at, meta=None) -> str:
    r = {"stream": name, "emitted_at": emitted_at, "data": data}
    if meta is not None:
        r["meta"] = meta
    return json.dumps({"type": "RECORD", "record": r}, ensure_ascii=False)


def state(name, n) -> str:
    return json.dumps({"type": "STATE", "state": {"type": "STREAM", "stream": {
        "stream_descriptor": {"name": name}, "stream_state": {"n": n}}}})


def sync(connector, config, streams, lines, expect_ok=True):
    """Runs one write; returns (exit code, output messages)."""
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "config.json").write_text(json.dumps(config))
        (Path(d) / "catalog.json").write_text(json.dumps({"streams": streams}))
        out = subprocess.run([connector, "write", "--config", f"{d}/config.json", "--catalog", f"{d}/catalog.json"],
                             input="\n".join(lines) + "\n", capture_output=True, text=True, timeout=600)
    msgs = [json.loads(x) for x in out.stdout.splitlines() if x.strip()]
    if expect_ok and out.returncode != 0:
        errors = [m["trace"]["error"]["message"] for m in msgs if m["type"] == "TRACE" and "error" in m["trace"]]
        raise RuntimeError(f"sync failed ({out.returncode}): {errors} {out.stderr[-2000:]}")
    return out.returncode, msgs


def error_of(msgs):
    for m in msgs:
        if m["type"] == "TRACE" and m["trace"].get("type") == "ERROR":
            return m["trace"]["error"]
    return None


def states_of(msgs):
    return [m for m in msgs if m["type"] == "STATE"]


def utc(y, mo, d, h=0, mi=0, s=0, ms=0):
    # cassandra-driver returns naive UTC datetimes
    return dt.datetime(y, mo, d, h, mi, s, ms * 1000)


# ------------------------------------------------------------------------------------------------

ALL_TYPES = {
    "id": {"type": "integer"},
    "b": {"type": "boolean"},
    "i": {"type": ["null", "integer"]},
    "n": {"type": "number"},
    "s": {"type": "string"},
    "d": {"type": "string", "format": "date"},
    "ts": {"type": "string", "format": "date-time"},
    "tsl": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_without_timezone"},
    "t": {"type": "string", "format": "time"},
    "o": {"type": "object"},
    "a": {"type": "array"},
    "u": {"type": ["string", "integer"]},
    "x": {},
    "名前": {"type": "string"},
    "_airbyte_meta": {"type": "string"},
}


def scenario_types(node: Node, connector: str):
    ks = f"typed_e2e_types_{RUN}"
    cfg = node.config(ks)
    s = stream("all_types", ALL_TYPES, pk=[["id"]])
    big = "123456789012345678901234567890.123456789"
    lines = [
        # 1: every type fits
        '{"type":"RECORD","record":{"stream":"all_types","emitted_at":1700000000001,"data":'
        '{"id":1,"b":true,"i":-9223372036854775808,"n":1.50,"s":"h\\u00e9llo \\"q\\"\\n\\t\\\\ 日本 😀",'
        '"d":"2024-02-29","ts":"2024-01-31T10:00:00.123+02:00","tsl":"2024-01-31T10:00:00.5","t":"23:59:58.25",'
        '"o":{"k":[1,2.50,{"z":null}],"e":"\\u00e9"},"a":[1,"two",null,{"3":true}],"u":7,"x":"str",'
        '"名前":"名","_airbyte_meta":"mine"}}}',
        # 2: numbers beyond int64 and beyond a double, undeclared fields, nulls and absent fields
        '{"type":"RECORD","record":{"stream":"all_types","emitted_at":1700000000002,"data":'
        f'{{"id":2,"i":null,"n":{big},"extra":{{"deep":[1e400]}},"more":"m"}}}}}}',
        '{"type":"RECORD","record":{"stream":"all_types","emitted_at":1700000000003,"data":'
        '{"id":3,"i":9223372036854775808,"n":1e400,"s":5,"ts":"2024-06-01T00:00:00Z"}}}',
        # 4: every coercion failure, with a change the source reported
        '{"type":"RECORD","record":{"stream":"all_types","emitted_at":1700000000004,'
        '"meta":{"changes":[{"field":"s","change":"TRUNCATED","reason":"SOURCE_FIELD_SIZE_LIMITATION"}]},"data":'
        '{"id":4,"b":"true","i":1.5,"n":"1.5","d":"2024-02-30","ts":"0000-01-01T00:00:00Z","t":"25:00","s":{"o":1}}}}',
        '{"type":"RECORD","record":{"stream":"all_types","emitted_at":1700000000005,"data":'
        '{"id":5,"i":"12","d":"10000-01-01","ts":"+20000-01-01T00:00:00Z","b":{"x":1}}}}',
        state("all_types", 5),
    ]
    _, msgs = sync(connector, cfg, [s], lines)
    check(len(states_of(msgs)) == 1, "types: the state is echoed")
    types = node.column_types(ks, "all_types")
    want_types = {"id": "bigint", "b": "boolean", "i": "bigint", "n": "decimal", "s": "text", "d": "date",
                  "ts": "timestamp", "tsl": "timestamp", "t": "time", "o": "text", "a": "text", "u": "text",
                  "x": "text", "名前": "text", "_airbyte_meta_1": "text", "_airbyte_raw_id": "uuid",
                  "_airbyte_extracted_at": "timestamp", "_airbyte_meta": "text", "_airbyte_generation_id": "bigint",
                  "_airbyte_additional_properties": "text"}
    for c, t in want_types.items():
        check(types.get(c) == t, f"types: column {c} is {t} (got {types.get(c)})")
    rows = {r.id: r for r in node.rows(
        'SELECT id, b, i, n, s, d, ts, tsl, t, o, a, u, x, "名前" AS jp, "_airbyte_meta_1" AS meta_1, '
        '"_airbyte_meta" AS meta, "_airbyte_extracted_at" AS extracted_at, "_airbyte_raw_id" AS raw_id, '
        f'"_airbyte_additional_properties" AS additional FROM "{ks}".all_types')}
    check(sorted(rows) == [1, 2, 3, 4, 5], f"types: rows 1-5 (got {sorted(rows)})")
    if sorted(rows) != [1, 2, 3, 4, 5]:
        return
    r = rows[1]
    check(r.b is True, "types: boolean")
    check(r.i == -9223372036854775808, f"types: bigint min ({r.i})")
    check(r.n == Decimal("1.50") and str(r.n) == "1.50", f"types: decimal exact 1.50 ({r.n})")
    check(r.s == 'h\u00e9llo "q"\n\t\\ 日本 😀', f"types: text with escapes and Unicode ({r.s!r})")
    check(r.d is not None and str(r.d) == "2024-02-29", f"types: date ({r.d})")
    check(r.ts == utc(2024, 1, 31, 8, 0, 0, 123), f"types: timestamp with zone to UTC ({r.ts})")
    check(r.tsl == utc(2024, 1, 31, 10, 0, 0, 500), f"types: timestamp without zone ({r.tsl})")
    check(r.t is not None and r.t.nanosecond_time == (23 * 3600 + 59 * 60 + 58) * 10**9 + 250_000_000,
          f"types: time ({r.t})")
    check(r.o == '{"k":[1,2.50,{"z":null}],"e":"\u00e9"}' or json.loads(r.o) == {"k": [1, 2.5, {"z": None}], "e": "é"},
          f"types: object as JSON ({r.o})")
    check(json.loads(r.a) == [1, "two", None, {"3": True}], f"types: array as JSON ({r.a})")
    check(r.u == "7", f"types: union as JSON ({r.u})")
    check(r.x == '"str"', f"types: untyped string keeps its quotes ({r.x})")
    check(r.jp == "名", "types: Unicode column name")
    check(r.meta_1 == "mine", f"types: a property named _airbyte_meta is renamed ({r.meta_1})")
    meta = json.loads(r.meta)
    check(meta == {"sync_id": None, "changes": []}, f"types: meta of a clean record ({meta})")
    check(r.extracted_at == dt.datetime(2023, 11, 14, 22, 13, 20, 1000), f"types: extracted_at ({r.extracted_at})")
    check(r.additional is None, "types: no additional properties")
    check(isinstance(r.raw_id, uuid.UUID), "types: raw id is a uuid")

    r = rows[2]
    check(r.n == Decimal(big) and str(r.n) == big, f"types: decimal beyond a double, exact ({r.n})")
    check(r.i is None and r.b is None and r.s is None, "types: null and absent fields read as null")
    check(json.loads(r.additional.replace("1e400", "0")) == {"extra": {"deep": [0]}, "more": "m"}
          and "1e400" in r.additional, f"types: undeclared fields kept ({r.additional})")
    r = rows[3]
    check(r.i is None, "types: bigint beyond int64 nulled")
    check(r.n == Decimal("1e400"), f"types: 1e400 exact in decimal ({r.n})")
    check(r.s == "5", f"types: a number in a string column keeps its JSON ({r.s})")
    check(json.loads(r.meta)["changes"] == [
        {"field": "i", "change": "NULLED", "reason": "DESTINATION_FIELD_SIZE_LIMITATION"}], f"types: meta of 3 ({r.meta})")
    r = rows[4]
    changes = json.loads(r.meta)["changes"]
    check(changes[0] == {"field": "s", "change": "TRUNCATED", "reason": "SOURCE_FIELD_SIZE_LIMITATION"},
          f"types: the source's change comes first ({changes})")
    nulled = {c["field"]: c["reason"] for c in changes[1:]}
    want = {f: "DESTINATION_SERIALIZATION_ERROR" for f in ("b", "i", "n", "d", "t")}
    want["ts"] = "DESTINATION_FIELD_SIZE_LIMITATION"
    check(nulled == want, f"types: each coercion failure in meta ({nulled})")
    check(all(getattr(r, f) is None for f in ("b", "i", "n", "d", "ts", "t")), "types: failed values written as null")
    check(r.s == '{"o":1}', f"types: an object in a string column ({r.s})")
    r = rows[5]
    nulled = {c["field"]: c["reason"] for c in json.loads(r.meta)["changes"]}
    check(nulled == {"i": "DESTINATION_SERIALIZATION_ERROR", "d": "DESTINATION_FIELD_SIZE_LIMITATION",
                     "ts": "DESTINATION_FIELD_SIZE_LIMITATION", "b": "DESTINATION_SERIALIZATION_ERROR"},
          f"types: a string integer, out-of-range dates ({nulled})")
    log("types: done")


def scenario_evolution(node: Node, connector: str):
    ks = f"typed_e2e_evo_{RUN}"
    cfg = node.config(ks)
    s1 = stream("evo", {"id": {"type": "integer"}, "a": {"type": "string"}}, pk=[["id"]])
    sync(connector, cfg, [s1], [record("evo", {"id": 1, "a": "one"}, 1000), state("evo", 1)])
    # 2: b appears, a disappears
    s2 = stream("evo", {"id": {"type": "integer"}, "b": {"type": "number"}}, pk=[["id"]])
    _, msgs = sync(connector, cfg, [s2], [record("evo", {"id": 2, "b": 2.25, "a": "undeclared now"}, 2000), state("evo", 2)])
    types = node.column_types(ks, "evo")
    check(types.get("a") == "text" and types.get("b") == "decimal", f"evolution: b added, a kept ({types})")
    rows = {r.id: r for r in node.rows(f'SELECT id, a, b, "_airbyte_additional_properties" AS ap FROM "{ks}".evo')}
    check(rows.get(1) is not None and rows[1].a == "one" and rows[1].b is None, "evolution: the first row unchanged")
    check(rows.get(2) is not None and rows[2].a is None and rows[2].b == Decimal("2.25")
          and json.loads(rows[2].ap) == {"a": "undeclared now"}, "evolution: the second row: a null, b typed, a kept aside")
    # 3: b becomes a boolean: config_error naming the column and both types
    s3 = stream("evo", {"id": {"type": "integer"}, "b": {"type": "boolean"}}, pk=[["id"]])
    code, msgs = sync(connector, cfg, [s3], [record("evo", {"id": 3, "b": True}, 3000), state("evo", 3)], expect_ok=False)
    err = error_of(msgs) or {}
    m = err.get("message", "")
    check(code == 1 and err.get("failure_type") == "config_error", f"evolution: config_error ({err})")
    check('"b"' in m or " b " in m or "b:" in m, f"evolution: the message names the column ({m})")
    check("decimal" in m and "boolean" in m and "refresh" in m, f"evolution: both types and what to do ({m})")
    check(not states_of(msgs), "evolution: no state after the failure")
    check(len(node.rows(f'SELECT id FROM "{ks}".evo')) == 2, "evolution: the table kept its two rows")
    # 4: an overwrite rebuilds it with the new types
    s4 = stream("evo", {"id": {"type": "integer"}, "b": {"type": "boolean"}}, mode="overwrite", pk=[["id"]])
    sync(connector, cfg, [s4], [record("evo", {"id": 4, "b": True}, 4000), state("evo", 4)])
    types = node.column_types(ks, "evo")
    check(types.get("b") == "boolean" and "a" not in types, f"evolution: overwrite rebuilt the table ({types})")
    rows = node.rows(f'SELECT id, b FROM "{ks}".evo')
    check([(r.id, r.b) for r in rows] == [(4, True)], f"evolution: only the overwrite's row ({rows})")
    log("evolution: done")


def scenario_cdc(node: Node, connector: str):
    rnd = random.Random(16)
    props = {"id": {"type": "integer"}, "v": {"type": "integer"}, "cur": {"type": "integer"},
             "_ab_cdc_deleted_at": {"type": ["null", "string"]}}
    # hard/soft: two syncs into the table; refresh: one truncate refresh (staged, deduplicated and
    # CDC-deleted at the commit) over a table that held other keys.
    for mode in ("hard", "soft", "refresh"):
        ks = f"typed_e2e_cdc_{mode}_{RUN}"
        cfg = node.config(ks, cdc_deletion_mode="soft" if mode == "soft" else "hard")
        s = stream("cdc", props, mode="append_dedup", pk=[["id"]], cursor=["cur"], gen=1 if mode == "refresh" else None)
        if mode == "refresh":
            sync(connector, cfg, [stream("cdc", props, mode="append_dedup", pk=[["id"]], cursor=["cur"])],
                 [record("cdc", {"id": 1000 + i, "v": i, "cur": 1}, 1000) for i in range(5)] + [state("cdc", -1)])
        versions = []
        for key in range(1, 41):
            for n in range(rnd.randint(1, 5)):
                deleted = rnd.random() < 0.35
                versions.append({"id": key, "v": rnd.randint(0, 10**6), "cur": rnd.randint(1, 4),
                                 "_ab_cdc_deleted_at": "2024-01-01T00:00:00Z" if deleted else None})
        for i, v in enumerate(versions):
            v["_emitted"] = 1_700_000_000_000 + rnd.randint(0, 5) * 1000 + i  # distinct, unordered
        rnd.shuffle(versions)
        half = len(versions) // 2 if mode != "refresh" else len(versions)
        for part, chunk in enumerate((versions[:half], versions[half:])):
            if not chunk:
                continue  # two syncs: across syncs too
            lines = [record("cdc", {k: x for k, x in v.items() if k != "_emitted"}, v["_emitted"]) for v in chunk]
            sync(connector, cfg, [s], lines + [state("cdc", part)])
        oracle = {}
        for v in versions:
            cur = oracle.get(v["id"])
            if cur is None or (v["cur"], v["_emitted"]) > (cur["cur"], cur["_emitted"]):
                oracle[v["id"]] = v
        if mode != "soft":
            want = {k: v for k, v in oracle.items() if v["_ab_cdc_deleted_at"] is None}
        else:
            want = oracle
        rows = node.rows(f'SELECT id, v, cur, "_ab_cdc_deleted_at" AS deleted FROM "{ks}".cdc')
        got = {r.id: (r.v, r.cur, r.deleted) for r in rows}
        check(len(rows) == len(got), f"cdc {mode}: one row per key")
        expect = {k: (v["v"], v["cur"], v["_ab_cdc_deleted_at"]) for k, v in want.items()}
        check(got == expect, f"cdc {mode}: rows equal the oracle ({len(got)} vs {len(expect)} keys; "
                             f"differ: {sorted(k for k in set(got) | set(expect) if got.get(k) != expect.get(k))[:10]})")
        log(f"cdc {mode}: {len(versions)} versions of 40 keys -> {len(got)} rows")


def scenario_overwrite(node: Node, connector: str):
    ks = f"typed_e2e_ow_{RUN}"
    cfg = node.config(ks, ttl_seconds=86400)
    props = {"id": {"type": "integer"}, "name": {"type": "string"}}
    s = stream("ow", props, mode="overwrite", gen=1)
    sync(connector, cfg, [s], [record("ow", {"id": i, "name": f"old{i}"}, 1000 + i) for i in range(5)] + [state("ow", 1)])
    check(sorted(r.id for r in node.rows(f'SELECT id FROM "{ks}".ow')) == list(range(5)), "overwrite: first sync's rows")
    ttls = [r.t for r in node.rows(f'SELECT TTL(name) AS t FROM "{ks}".ow')]
    check(all(t is not None and 0 < t <= 86400 for t in ttls), f"overwrite: rows written with the TTL ({ttls[:3]})")
    # Generation 2, attempt 1: 60 records, a state after 40, then a line the connector refuses.
    s2 = stream("ow", props, mode="overwrite", gen=2)
    lines = [record("ow", {"id": 100 + i, "name": f"new{i}"}, 2000 + i) for i in range(40)] + [state("ow", 40)]
    lines += [record("ow", {"id": 100 + i, "name": f"new{i}"}, 2000 + i) for i in range(40, 60)] + ["{not json"]
    code, msgs = sync(connector, cfg, [s2], lines, expect_ok=False)
    check(code == 1 and len(states_of(msgs)) == 1, f"overwrite: attempt 1 fails after its state ({code})")
    check(sorted(r.id for r in node.rows(f'SELECT id FROM "{ks}".ow')) == list(range(5)),
          "overwrite: a failed attempt leaves the previous rows")
    # Attempt 2 of the same generation, from the last emitted state: records 40..99.
    lines = [record("ow", {"id": 100 + i, "name": f"new{i}"}, 3000 + i) for i in range(40, 100)] + [state("ow", 100)]
    sync(connector, cfg, [s2], lines)
    rows = node.rows(f'SELECT id, name, "_airbyte_generation_id" AS g, TTL(name) AS t FROM "{ks}".ow')
    ids = sorted(r.id for r in rows)
    check(ids == [100 + i for i in range(100)], f"overwrite: exactly the generation's 100 records once ({len(ids)} rows)")
    check(all(r.g == 2 and r.name == f"new{r.id - 100}" for r in rows), "overwrite: typed values and generation 2")
    check(all(r.t is not None and r.t <= 86400 for r in rows), "overwrite: commit copies carry the TTL")
    # With a key (PRIMARY KEY ((id), extracted_at, raw_id)): the previous rows go by their full key.
    sk = stream("owk", props, mode="overwrite", pk=[["id"]])
    sync(connector, cfg, [sk], [record("owk", {"id": i % 3, "name": f"a{i}"}, 1000 + i) for i in range(6)] + [state("owk", 1)])
    check(len(node.rows(f'SELECT id FROM "{ks}".owk')) == 6, "overwrite keyed: every version of a key is a row")
    sync(connector, cfg, [sk], [record("owk", {"id": i % 2, "name": f"b{i}"}, 2000 + i) for i in range(4)] + [state("owk", 2)])
    rows = node.rows(f'SELECT id, name FROM "{ks}".owk WHERE id = %s', 1)
    check([r.name for r in rows] == ["b3", "b1"], f"overwrite keyed: a key's versions, newest first, of this sync only ({rows})")
    check(sorted(r.name for r in node.rows(f'SELECT name FROM "{ks}".owk')) == ["b0", "b1", "b2", "b3"],
          "overwrite keyed: only the second sync's rows")
    log("overwrite: done")


def scenario_key(node: Node, connector: str):
    ks = f"typed_e2e_key_{RUN}"
    cfg = node.config(ks)
    props = {"id": {"type": "integer"}, "name": {"type": ["null", "string"]}, "email": {"type": "string"},
             "age": {"type": "integer"}, "height": {"type": "number"},
             "created_at": {"type": "string", "format": "date-time", "airbyte_type": "timestamp_with_timezone"},
             "address": {"type": "object", "properties": {"city": {"type": "string"}}}}
    s = stream("users", props, mode="append_dedup", pk=[["id"]], cursor=["created_at"])
    users = [{"id": i, "name": f"user {i}", "email": f"u{i}@example.com", "age": 20 + i, "height": f"1.{70 + i}",
              "created_at": f"2024-03-{1 + i:02d}T12:00:00+00:00", "address": {"city": "Zürich"}} for i in range(1, 21)]
    lines = [record("users", {**u, "height": float(u["height"])}, 1000 + u["id"]) for u in users]
    sync(connector, cfg, [s], lines + [state("users", 1)])
    rows = node.rows(f'SELECT * FROM "{ks}".users WHERE id = %s', 7)
    check(len(rows) == 1, f"key: one row for id 7 ({len(rows)})")
    if rows:
        r = rows[0]
        check((r.name, r.email, r.age) == ("user 7", "u7@example.com", 27), f"key: typed text and bigint ({r})")
        check(r.height == Decimal("1.77"), f"key: decimal ({r.height})")
        check(r.created_at == utc(2024, 3, 8, 12), f"key: timestamp ({r.created_at})")
        check(json.loads(r.address) == {"city": "Zürich"}, f"key: object ({r.address})")
    log("key: done")


def scenario_raw_ttl(node: Node, connector: str):
    # ttl_seconds applies to the raw tables too (append, append_dedup, and an overwrite's commit copies).
    ks = f"typed_e2e_rawttl_{RUN}"
    cfg = {**node.config(ks, ttl_seconds=1000), "table_format": "raw"}
    schema = {"id": {"type": "integer"}}
    streams = [stream("a", schema, pk=[["id"]]), stream("d", schema, mode="append_dedup", pk=[["id"]]),
               stream("o", schema, mode="overwrite", gen=1)]
    lines = [record(n, {"id": i % 2}, 1000 + i) for n in ("a", "d", "o") for i in range(4)]
    sync(connector, cfg, streams, lines + [state("a", 1)])
    for table, n in (("airbyte_raw_a", 4), ("airbyte_raw_d", 2), ("airbyte_raw_o", 4)):
        ttls = [r.t for r in node.rows(f'SELECT TTL("_airbyte_data") AS t FROM "{ks}"."{table}"')]
        check(len(ttls) == n and all(t is not None and 900 < t <= 1000 for t in ttls), f"raw ttl: {table} ({ttls})")
    log("raw ttl: done")


SCENARIOS = {"raw_ttl": scenario_raw_ttl, "types": scenario_types, "evolution": scenario_evolution, "cdc": scenario_cdc,
             "overwrite": scenario_overwrite, "key": scenario_key}


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    connector = os.path.abspath(sys.argv[1])
    names = sys.argv[2:] or list(SCENARIOS)
    node = Node()
    try:
        for name in names:
            log(f"scenario {name}")
            try:
                SCENARIOS[name](node, connector)
            except Exception as e:  # a scenario that crashed is a failure; the others still run
                check(False, f"{name}: {type(e).__name__}: {e}")
    finally:
        node.close()
    log(f"{len(failures)} failures" if failures else "all scenarios passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
