#!/usr/bin/env python3
"""Throughput under repeated connection resets (issue 15): the connector's rows/s through
tools/fault-proxy with every proxied connection reset (RST) after N bytes client->server, against the
same proxy without faults, on the node of tools/cassandra-local (the faults suite's harness: a role
and keyspace of its own, dropped afterwards). A benchmark, not a test: it prints the numbers.

    eval "$(tools/cassandra-local env)"
    .cache/venv/bin/python bench/resets.py CONNECTOR [--count 30000] [--reset-bytes 400000] [--runs 1]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "faults"))
from harness import Harness, log  # noqa: E402


def one_run(connector: str, count: int, flags: list[str]) -> tuple[float, int]:
    h = Harness("bench-resets", connector)
    try:
        messages, catalog = h.generate(count=count, state_every=1000)
        proxy = h.start_proxy(*flags)
        config = h.config(via_proxy=True)
        h.create_tables(config, catalog)  # the set-up is not timed
        s = h.sync(config, catalog, messages, bound=900)
        if s.exit_status != 0:
            raise SystemExit(f"the sync failed ({s.exit_status}): {s.stdout[-1500:]}")
        faults = len(proxy.lines("FAULT"))
        h.failed = False
        return count / s.elapsed, faults
    finally:
        h.close()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("connector")
    ap.add_argument("--count", type=int, default=30000)
    ap.add_argument("--reset-bytes", type=int, default=400000)
    ap.add_argument("--runs", type=int, default=1)
    a = ap.parse_args()
    connector = os.path.abspath(a.connector)
    clean, reset, resets = [], [], []
    for _ in range(a.runs):
        rate, _ = one_run(connector, a.count, [])
        clean.append(rate)
        rate, n = one_run(connector, a.count, ["--close-after-bytes", f"c2s:{a.reset_bytes}", "--rst"])
        reset.append(rate)
        resets.append(n)
    c, r = statistics.median(clean), statistics.median(reset)
    log(f"no faults: {c:.0f} rows/s {[round(x) for x in clean]}")
    log(f"reset every {a.reset_bytes} B: {r:.0f} rows/s {[round(x) for x in reset]}, resets {resets}")
    print(f"ratio reset/clean: {r / c:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
