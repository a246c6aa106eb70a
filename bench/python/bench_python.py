#!/usr/bin/env python3
"""Ingest benchmark contender 4: the Python driver (cassandra-driver) with execute_concurrent.

Reads Airbyte messages (one JSON object per line) from --input, parses each with json.loads, and
for each RECORD inserts (uuid4, compact JSON of data, emitted_at) with one prepared INSERT through
execute_concurrent_with_args, at most --window in flight. Prints one JSON line with the counts.
Runs in the venv of tools/e2e-faker (.cache/venv), where cassandra-driver is pinned.
"""
import argparse
import json
import sys
import time
import uuid

from cassandra import ConsistencyLevel
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
from cassandra.concurrent import execute_concurrent_with_args
from cassandra.policies import DCAwareRoundRobinPolicy, TokenAwarePolicy


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--hosts", default="127.0.0.1")
    p.add_argument("--port", type=int, default=9042)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--keyspace", default="bench")
    p.add_argument("--table", default="airbyte_raw_users")
    p.add_argument("--window", type=int, default=1024)
    p.add_argument("--input", required=True)
    a = p.parse_args()

    t0 = time.monotonic()
    profile = ExecutionProfile(
        load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc="datacenter1")),
        consistency_level=ConsistencyLevel.LOCAL_QUORUM, request_timeout=12)
    auth = PlainTextAuthProvider(a.user, a.password) if a.user else None
    cluster = Cluster([h.strip() for h in a.hosts.split(",")], port=a.port, auth_provider=auth,
                      compression=False, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
    session = cluster.connect()
    insert = session.prepare(
        f'INSERT INTO "{a.keyspace}"."{a.table}" ("_airbyte_ab_id", "_airbyte_data", "_airbyte_emitted_at") '
        "VALUES (?, ?, ?)")
    insert.is_idempotent = True
    connect_s = time.monotonic() - t0

    counts = {"rows": 0, "other": 0}

    def params(f):
        loads, dumps, uuid4 = json.loads, json.dumps, uuid.uuid4
        for line in f:
            msg = loads(line)
            if msg.get("type") != "RECORD":
                counts["other"] += 1
                continue
            rec = msg["record"]
            counts["rows"] += 1
            # timestamp columns take integers as milliseconds since the epoch
            yield (uuid4(), dumps(rec["data"], ensure_ascii=False, separators=(",", ":")), int(rec["emitted_at"]))

    t1 = time.monotonic()
    with open(a.input, encoding="utf-8") as f:
        # results_generator=True: results are consumed as they come, memory stays flat.
        for ok, result in execute_concurrent_with_args(session, insert, params(f), concurrency=a.window,
                                                       raise_on_first_error=True, results_generator=True):
            if not ok:
                raise result
    insert_s = time.monotonic() - t1
    cluster.shutdown()
    print(json.dumps({"contender": "python", "rows": counts["rows"], "other_lines": counts["other"],
                      "connect_s": round(connect_s, 3), "insert_s": round(insert_s, 3)}))


if __name__ == "__main__":
    sys.exit(main())
