#!/usr/bin/env python3
"""The invariants of a sync run under faults (issue 8): a STATE the connector emitted means every
record before it is durably in Cassandra.

Given the messages fed to the connector, its stdout, stderr and exit status, and the rows of its
tables (read with cassandra-driver, an independent client), check() reports every violation of:

  1. stdout holds Airbyte messages only; the STATEs it emitted are the input's, in order, a prefix
     of them, each with destinationStats.recordCount equal to the records it covers;
  2. acknowledged means stored: every RECORD before the input STATE matching the last STATE emitted
     has exactly one row, keyed by the record's unique data.id, with equal data (compared as parsed
     JSON) and emitted_at (and, for append_dedup, key columns equal to the data's);
  3. never a wrong result: every row is one of the input's records, unchanged, at most once per id;
  4. the outcome is one the scenario allows: "ok" (exit 0, no TRACE ERROR, every input STATE
     emitted) or a failure_type (exit 1 after exactly one TRACE ERROR of that type); anything else
     (a crash, a hang killed at the time bound, exit 2) is a violation;
  5. the configured password appears in neither stdout nor stderr.

As a program (reads the tables itself; the password comes from an environment variable so that it is
not on a command line):

    invariants.py --messages M.jsonl --catalog C.json --stdout OUT --stderr ERR --exit-status N \\
        --keyspace K --allowed ok,transient_error --password-env FAULTS_PASSWORD

It needs CQL_HOSTS, CQL_PORT, CQL_USER, CQL_PASSWORD (eval "$(tools/cassandra-local env)") and the
venv's python (cassandra-driver). Exit 0 when every invariant holds, 1 otherwise.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import sys

MESSAGE_TYPES = {"RECORD", "STATE", "LOG", "SPEC", "CONNECTION_STATUS", "CATALOG", "TRACE", "CONTROL"}


def _norm(v):
    if isinstance(v, float) and v.is_integer() and abs(v) < 9.2e18:
        return int(v)
    if isinstance(v, list):
        return [_norm(x) for x in v]
    if isinstance(v, dict):
        return {k: _norm(x) for k, x in v.items()}
    return v


def canonical(v) -> str:
    """Parsed-equal JSON values have equal canonical text."""
    return json.dumps(_norm(v), sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def without_stats(state: dict) -> str:
    return canonical({k: v for k, v in state.items() if k != "destinationStats"})


class Input:
    """The records and states fed to the connector, in order."""

    def __init__(self, path: str):
        self.records = []  # (stream, id, canonical data, emitted_at)
        self.states = []   # (canonical state without stats, expected recordCount, records before it)
        self.by_key = {}   # (stream, canonical id) -> index into records
        per_stream, since_global = collections.Counter(), 0
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                m = json.loads(line)
                if m.get("type") == "RECORD":
                    r = m["record"]
                    stream = r["stream"]
                    key = (stream, canonical(r["data"].get("id")))
                    if key in self.by_key:
                        raise ValueError(f"{path}:{n}: data.id {key[1]} repeats in stream {stream}: ids must be unique")
                    self.by_key[key] = len(self.records)
                    self.records.append((stream, key[1], canonical(r["data"]), int(r["emitted_at"])))
                    per_stream[stream] += 1
                    since_global += 1
                elif m.get("type") == "STATE":
                    st = m["state"]
                    if (st.get("type") or "LEGACY") == "STREAM":
                        stream = st["stream"]["stream_descriptor"]["name"]
                        self.states.append((without_stats(st), per_stream[stream], len(self.records)))
                        per_stream[stream] = 0
                    else:
                        self.states.append((without_stats(st), since_global, len(self.records)))
                        since_global = 0

    def streams(self):
        return sorted({r[0] for r in self.records})


class Report:
    def __init__(self):
        self.problems: list[str] = []
        self.outcome = "?"
        self.sent = self.acked = self.present = self.states_emitted = 0
        self.trace_message = ""
        self.excused: list[str] = []  # acknowledged records missing where the server's durability allows it

    def fail(self, msg: str):
        self.problems.append(msg)

    def summary(self) -> str:
        return (f"outcome {self.outcome}; records sent {self.sent}, acknowledged {self.acked} "
                f"({self.states_emitted} states), present {self.present}"
                + (f"; {len(self.excused)} acknowledged records lost within the server's commitlog sync window"
                   if self.excused else ""))


def check_output(inp: Input, stdout: str, exit_status, allowed, rep: Report, timed_out=False):
    """Invariants 1 and 4; returns how many input records the emitted STATEs acknowledge."""
    states, traces = [], []
    for n, line in enumerate(stdout.splitlines(), 1):
        try:
            m = json.loads(line)
        except ValueError:
            rep.fail(f"stdout line {n} is not JSON: {line[:200]}")
            continue
        if not isinstance(m, dict) or m.get("type") not in MESSAGE_TYPES:
            rep.fail(f"stdout line {n} is not an Airbyte message: {line[:200]}")
        elif m["type"] == "STATE":
            states.append(m.get("state") or {})
        elif m["type"] == "TRACE" and (m.get("trace") or {}).get("type") == "ERROR":
            traces.append((m["trace"].get("error") or {}))
    rep.states_emitted = len(states)
    if len(states) > len(inp.states):
        rep.fail(f"{len(states)} states emitted, only {len(inp.states)} in the input")
    for i, (got, (want, count, _)) in enumerate(zip(states, inp.states)):
        if without_stats(got) != want:
            rep.fail(f"emitted state {i} is not the input's state {i}: {without_stats(got)[:300]} vs {want[:300]}")
            break
        got_count = (got.get("destinationStats") or {}).get("recordCount")
        if got_count != count:
            rep.fail(f"emitted state {i} has recordCount {got_count}, it covers {count} records")
    acked = inp.states[len(states) - 1][2] if 0 < len(states) <= len(inp.states) else 0

    if timed_out:
        rep.outcome = "hung"
    elif exit_status == 0 and not traces:
        rep.outcome = "ok"
        if len(states) != len(inp.states):
            rep.fail(f"exit 0 but only {len(states)} of the input's {len(inp.states)} states emitted")
    elif exit_status == 1 and len(traces) == 1:
        rep.outcome = str(traces[0].get("failure_type"))
        rep.trace_message = str(traces[0].get("message"))[:500]
    else:
        rep.outcome = f"exit {exit_status} with {len(traces)} TRACE errors"
    if rep.outcome not in allowed:
        rep.fail(f"outcome {rep.outcome!r} is not among the allowed {sorted(allowed)}"
                 + (f": {rep.trace_message}" if rep.trace_message else ""))
    return acked


def check_rows(inp: Input, acked: int, tables: dict, rep: Report, excusable=()):
    """Invariants 2 and 3. tables: stream -> [(ab_id, data text, emitted_at ms, {key column: value})].
    excusable: (start, end) index ranges of input records whose loss the server's own durability
    allows (acknowledged within a periodic commitlog's sync window before a crash): reported in
    rep.excused, not as violations."""
    seen = {}  # (stream, id) -> ab_id
    for stream in inp.streams():
        for ab_id, text, emitted_at, keys in tables.get(stream, []):
            try:
                data = json.loads(text)
            except (TypeError, ValueError):
                rep.fail(f"{stream}: row {ab_id} holds data that is not JSON: {str(text)[:200]}")
                continue
            key = (stream, canonical(data.get("id") if isinstance(data, dict) else None))
            idx = inp.by_key.get(key)
            if idx is None:
                rep.fail(f"{stream}: row {ab_id} is no input record (id {key[1]}): {text[:200]}")
                continue
            _, _, want, want_at = inp.records[idx]
            if canonical(data) != want or emitted_at != want_at:
                rep.fail(f"{stream}: the row of id {key[1]} differs from the record:\n    row    {emitted_at} {canonical(data)[:300]}"
                         f"\n    record {want_at} {want[:300]}")
            if key in seen:
                rep.fail(f"{stream}: id {key[1]} has two rows ({seen[key]} and {ab_id})")
            seen[key] = ab_id
            for col, value in (keys or {}).items():
                path = col.split(".")
                expect = data
                for p in path:
                    expect = expect.get(p) if isinstance(expect, dict) else None
                if value != expect:
                    rep.fail(f"{stream}: key column {col} of id {key[1]} holds {value!r}, the data {expect!r}")
    rep.sent = len(inp.records)
    rep.acked = acked
    rep.present = len(seen)
    missing, excused = [], []
    for i, r in enumerate(inp.records[:acked]):
        if (r[0], r[1]) not in seen:
            (excused if any(a <= i < b for a, b in excusable) else missing).append(r)
    rep.excused = [f"{s} id {i}" for s, i, _, _ in excused]
    if missing:
        rep.fail(f"{len(missing)} acknowledged records are not in Cassandra, e.g. "
                 + ", ".join(f"{s} id {i}" for s, i, _, _ in missing[:5]))


def check_secret(password: str, texts: dict, rep: Report):
    """Invariant 5 (texts: name -> str)."""
    if not password:
        rep.fail("no password to look for: the scan would mean nothing")
        return
    for name, text in texts.items():
        if password in text:
            rep.fail(f"the password appears in {name}")


def state_ranges(inp: Input, state_indices) -> list[tuple[int, int]]:
    """The input record index ranges that the given (0-based) input states cover."""
    return [(inp.states[i - 1][2] if i else 0, inp.states[i][2]) for i in state_indices if i < len(inp.states)]


def check(inp: Input, stdout: str, stderr: str, exit_status, allowed, password: str, tables: dict,
          timed_out=False, excusable=()) -> Report:
    rep = Report()
    acked = check_output(inp, stdout, exit_status, set(allowed), rep, timed_out)
    check_rows(inp, acked, tables, rep, excusable)
    check_secret(password, {"stdout": stdout, "stderr": stderr}, rep)
    return rep


def read_tables(session, keyspace: str, catalog: dict, consistency=None) -> dict:
    """stream -> rows of airbyte_raw_<stream> (names that need no mangling only, as the scenarios use)."""
    from cassandra import InvalidRequest
    from cassandra.query import SimpleStatement

    tables = {}
    for cs in catalog["streams"]:
        name = cs["stream"]["name"]
        keys = [".".join(p) for p in cs.get("primary_key") or []] if cs["destination_sync_mode"] == "append_dedup" else []
        cols = '"_airbyte_ab_id", "_airbyte_data", toUnixTimestamp("_airbyte_emitted_at")' + "".join(f', "{k}"' for k in keys)
        st = SimpleStatement(f'SELECT {cols} FROM "{keyspace}"."airbyte_raw_{name}"', fetch_size=5000)
        if consistency is not None:
            st.consistency_level = consistency
        try:
            result = session.execute(st, timeout=60)
        except InvalidRequest as e:  # a keyspace or table never created holds no rows
            if "unconfigured table" in str(e) or "does not exist" in str(e):
                tables[name] = []
                continue
            raise
        tables[name] = [(r[0], r[1], r[2], {k: r[3 + i] for i, k in enumerate(keys)}) for r in result]
    return tables


def connect(hosts=None):
    from cassandra.auth import PlainTextAuthProvider
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    env = os.environ
    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=60)
    cluster = Cluster((hosts or env["CQL_HOSTS"]).split(","), port=int(env.get("CQL_PORT", "9042")),
                      auth_provider=PlainTextAuthProvider(env["CQL_USER"], env["CQL_PASSWORD"]),
                      execution_profiles={EXEC_PROFILE_DEFAULT: profile}, connect_timeout=20)
    return cluster, cluster.connect()


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for flag in ("messages", "catalog", "stdout", "stderr", "keyspace", "password-env"):
        p.add_argument("--" + flag, required=True)
    p.add_argument("--exit-status", type=int, required=True)
    p.add_argument("--allowed", default="ok,transient_error")
    a = p.parse_args(argv)
    inp = Input(a.messages)
    with open(a.catalog, encoding="utf-8") as f:
        catalog = json.load(f)
    read = lambda path: open(path, encoding="utf-8", errors="replace").read()  # noqa: E731
    cluster, session = connect()
    try:
        tables = read_tables(session, a.keyspace.lower(), catalog)
    finally:
        cluster.shutdown()
    rep = check(inp, read(a.stdout), read(a.stderr), a.exit_status, a.allowed.split(","),
                os.environ.get(a.password_env, ""), tables)
    print(rep.summary())
    for problem in rep.problems:
        print("VIOLATION: " + problem)
    return 1 if rep.problems else 0


if __name__ == "__main__":
    sys.exit(main())
