"""`tools/bench --scaling`: how our connector scales (issue 7).

Three sweeps, each run as the main benchmark runs its contenders (bench/run.py: GNU time for wall
time, client CPU and peak RSS; the rows checked afterwards):

- window: rows/s against max_in_flight 1 .. 4096, on the benchmark's `users` input, against the
  local Cassandra node (table truncated before each run, rows counted after) and against
  tools/null-sink (the client alone: bench/null_sink.py);
- record size: RECORD lines of 100 B, 1 KB, 10 KB and 100 KB (a `users` record padded with a
  deterministic string), against the node at one window, in rows/s and MB/s of input;
- memory: peak RSS for the 1M-record input and for it ten times over (10M records, piped through
  `cat`), against tools/null-sink, so the node's speed does not matter: it should stay flat.

Writes DIR/result.json (default .cache/bench/scaling/), docs/BENCHMARKS-scaling.md and
docs/BENCHMARKS-scaling.png; `--smoke` is a tiny run of all three (for the test command) that
writes only DIR/ and a testlog that tools/test-summary counts. Used by bench/run.py with the
harness module as `h`.
"""
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import null_sink as ns

WINDOWS = [1, 4, 16, 64, 256, 1024, 4096]
SIZES = [100, 1_000, 10_000, 100_000]
SIZE_BYTES = 60e6   # input per size-sweep run, within the record bounds below
SIZE_RECORDS = (1_000, 100_000)
WORDS = ("alpha bravo charlie delta echo foxtrot golf hotel india juliett kilo lima mike november oscar papa "
         "quebec romeo sierra tango uniform victor whiskey xray yankee zulu").split()


def size_input(h, size, count):
    """RECORD lines of exactly `size` bytes (plus the newline) where the shape allows, a STATE every
    1000 and at the end; deterministic. Returns (messages, catalog, input bytes)."""
    d = h.OUT / "data"
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"sized-{size}-{count}.jsonl"
    _, catalog = h.input_files(2000)  # the users catalog (append); only the stream name matters
    if not path.exists():
        rng = random.Random(size * 7919 + count)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for i in range(1, count + 1):
                head = {"type": "RECORD", "record": {"stream": "users", "data": {"id": i, "pad": ""},
                                                      "emitted_at": 1700000000000 + i}}
                bare = len(json.dumps(head, separators=(",", ":")))
                words, n = [], 0
                while n < size - bare:
                    w = rng.choice(WORDS)
                    words.append(w)
                    n += len(w) + 1
                head["record"]["data"]["pad"] = (" ".join(words) + "x" * size)[:max(0, size - bare)]
                f.write(json.dumps(head, separators=(",", ":")) + "\n")
                if i % 1000 == 0 or i == count:
                    f.write(json.dumps({"type": "STATE", "state": {"type": "GLOBAL", "global": {
                        "shared_state": {"position": i}}}}, separators=(",", ":")) + "\n")
        tmp.rename(path)
    return path, catalog, path.stat().st_size


def run_memory(h, copies, ctx):
    """The connector against a fresh null sink, the input piped `copies` times (so 10M records need
    no 6 GB file). GNU time measures the shell, whose peak RSS is its biggest child's: the connector."""
    tag = f"rss-x{copies}"
    work, base = ctx["work"], ctx["records"]
    total = base * copies
    res = {"sweep": "memory", "copies": copies, "records": total, "contender": f"memory {total:,} records", "ok": False,
           "error": None}
    sink, port, stats_file = ns.start_sink(ctx["sink_bin"], work, tag)
    cfg = work / f"config-{tag}.json"
    cfg.write_text(json.dumps({"keyspace": ns.KEYSPACE, "address": "127.0.0.1", "port": port,
                               "max_in_flight": ctx["window"], "compression": "none", "consistency": "LOCAL_QUORUM",
                               "protocol_version": 4}))
    script = 'n=$1; f=$2; shift 2; i=0; while [ "$i" -lt "$n" ]; do cat "$f"; i=$((i+1)); done | "$@"'
    cmd = ["sh", "-c", script, "sh", str(copies), str(ctx["messages"]), str(ctx["ours_bin"]), "write",
           "--config", str(cfg), "--catalog", str(ctx["catalog"])]
    out_path, err_path, time_path = work / f"{tag}.out", work / f"{tag}.err", work / f"{tag}.time"
    try:
        exit_code, wall, user_s, sys_s, maxrss_kb, measured_by, killed = h.run_measured(
            cmd, None, out_path, err_path, time_path, ctx["timeout"] * copies)
    finally:
        stats = ns.stop_sink(sink, stats_file)
    res.update({"exit": exit_code, "wall_s": round(wall, 2), "client_cpu_s": round(user_s + sys_s, 2),
                "peak_rss_mb": round(maxrss_kb / 1024, 1) if maxrss_kb else None, "measured_by": measured_by})
    if killed:
        res["error"] = "timed out"
    elif exit_code != 0:
        res["error"] = f"exit {exit_code}: {err_path.read_text(errors='replace')[-400:]}"
    else:
        res["error"] = h.check_ours_output(out_path, base, res)  # the last STATE is the file's last one
    if res["error"] is None and (res.get("reported") or {}).get("rows") != total:
        res["error"] = f"the closing LOG line counts {(res.get('reported') or {}).get('rows')} records, expected {total}"
    if res["error"] is None and stats.get("insert_executes") != total:
        res["error"] = f"the sink saw {stats.get('insert_executes')} inserts, expected {total}"
    if res["error"] is None:
        res["ok"] = True
        res["rows_per_s"] = round(total / wall, 1)
    return res


def med(runs, key):
    vals = [r[key] for r in runs if r.get("ok") and r.get(key) is not None]
    return round(statistics.median(vals), 2) if vals else None


def summarize(runs):
    out = {"window": {}, "size": {}, "memory": {}}
    for r in runs:
        kind = r["sweep"]
        key = str(r.get("window") if kind == "window" else r.get("size") if kind == "size" else r.get("records"))
        if kind == "window":
            key += " " + r["target"]
        out[kind].setdefault(key, []).append(r)
    summary = {}
    for kind, groups in out.items():
        summary[kind] = {}
        for key, rs in groups.items():
            s = {"runs": len(rs), "ok": sum(1 for r in rs if r["ok"])}
            for m in ("rows_per_s", "input_mb_per_s", "client_cpu_s_per_mrows", "peak_rss_mb", "server_cpu_s_per_mrows",
                      "sink_cpu_s_per_mrows", "wall_s", "other_load_pct", "client_cpu_s"):
                v = med(rs, m)
                if v is not None:
                    s[m] = v
            summary[kind][key] = s
    return summary


def fmt(v, nd=0):
    return "-" if v is None else f"{v:,.{nd}f}"


def markdown(result):
    m, s = result["meta"], result["summary"]
    L = ["# How the connector scales", "",
         f"Generated by `tools/bench --scaling` (issue 7) at commit `{m['commit']}`, {m['date']}: {m['rounds']} round(s), "
         f"medians; {m['cores']} cores shared by client and server, load average {m['loadavg_before']} before the run "
         f"(a shared machine: rows/s moves with other load). Raw figures: `.cache/bench/scaling/result.json`. "
         f"Against the other drivers see [BENCHMARKS.md](BENCHMARKS.md); the client alone, "
         f"[BENCHMARKS-ceiling.md](BENCHMARKS-ceiling.md).", "",
         "## In-flight window (max_in_flight)", "",
         f"{m['window_records']:,} `users` records ({m['window_bytes_per_record']:.0f} B per RECORD line), one connection, "
         "LOCAL_QUORUM, no compression. *node*: the local Cassandra node (RF 1), rows counted after each run; "
         "*null sink*: `tools/null-sink`, which answers every request at once.", "",
         "| window | node rows/s | node client CPU s / M rows | node server CPU s / M rows | node peak RSS MB | "
         "null sink rows/s | null sink client CPU s / M rows | null sink peak RSS MB |",
         "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for w in m["windows"]:
        a, b = s["window"].get(f"{w} node", {}), s["window"].get(f"{w} null sink", {})
        L.append(f"| {w} | {fmt(a.get('rows_per_s'))} | {fmt(a.get('client_cpu_s_per_mrows'), 1)} | "
                 f"{fmt(a.get('server_cpu_s_per_mrows'), 1)} | {fmt(a.get('peak_rss_mb'), 1)} | {fmt(b.get('rows_per_s'))} | "
                 f"{fmt(b.get('client_cpu_s_per_mrows'), 1)} | {fmt(b.get('peak_rss_mb'), 1)} |")
    L += ["", "## Record size", "",
          f"RECORD lines of the given size (a `users` record with a padding string), against the node at window "
          f"{m['size_window']}; as many records as make about {SIZE_BYTES / 1e6:.0f} MB, between "
          f"{SIZE_RECORDS[0]:,} and {SIZE_RECORDS[1]:,}. The connector's 64 MiB byte cap on the window is far off here.", "",
          "| RECORD line | records | rows/s | MB/s of input | client CPU s / M rows | server CPU s / M rows | peak RSS MB |",
          "|---:|---:|---:|---:|---:|---:|---:|"]
    for size in m["sizes"]:
        x = s["size"].get(str(size), {})
        L.append(f"| {size:,} B | {m['size_records'][str(size)]:,} | {fmt(x.get('rows_per_s'))} | {fmt(x.get('input_mb_per_s'), 1)} | "
                 f"{fmt(x.get('client_cpu_s_per_mrows'), 1)} | {fmt(x.get('server_cpu_s_per_mrows'), 1)} | "
                 f"{fmt(x.get('peak_rss_mb'), 1)} |")
    L += ["", "## Memory against input length", "",
          f"The {m['memory_base']:,}-record `users` input once and piped {m['memory_copies']} times over, against "
          f"`tools/null-sink` at window {m['memory_window']} (the node's speed does not matter for the client's memory). "
          "Peak RSS is GNU time's for the `sh` that pipes `cat` into the connector: its biggest child's, the connector's; "
          "CPU includes `cat`.", "",
          "| records | peak RSS MB | rows/s | wall s |", "|---:|---:|---:|---:|"]
    for key, x in sorted(s["memory"].items(), key=lambda kv: int(kv[0])):
        L.append(f"| {int(key):,} | {fmt(x.get('peak_rss_mb'), 1)} | {fmt(x.get('rows_per_s'))} | {fmt(x.get('wall_s'), 1)} |")
    L += ["", "![rows/s against window and record size, peak RSS against input length](BENCHMARKS-scaling.png)", "",
          "## Running it", "", "```sh",
          "tools/bench --scaling                 # the three sweeps, 3 rounds (about 15 minutes here)",
          "tools/bench --scaling --rounds 1      # one round",
          "tools/bench --scaling --smoke         # tiny, for the test command", "```", ""]
    failed = [r for r in result["runs"] if not r["ok"]]
    if failed:
        L += ["## Failed runs", ""] + [f"- {r['contender']} round {r.get('round')}: {r['error']}" for r in failed] + [""]
    return "\n".join(L)


def chart(h, result, path):
    if not h.ensure_matplotlib():
        h.log("no matplotlib: no chart")
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    m, s = result["meta"], result["summary"]
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.8))
    ax = axes[0]
    for target, color in (("node", "#4c72b0"), ("null sink", "#dd8452")):
        pts = [(w, s["window"].get(f"{w} {target}", {}).get("rows_per_s")) for w in m["windows"]]
        pts = [(w, v) for w, v in pts if v]
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "o-", color=color, label=target)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("max_in_flight")
    ax.set_title("rows/s against the in-flight window", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ax = axes[1]
    pts = [(size, s["size"].get(str(size), {})) for size in m["sizes"]]
    pts = [(size, x) for size, x in pts if x.get("rows_per_s")]
    ax.plot([p[0] for p in pts], [p[1]["rows_per_s"] for p in pts], "o-", color="#4c72b0", label="rows/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("RECORD line bytes")
    ax.set_ylabel("rows/s")
    ax2 = ax.twinx()
    ax2.plot([p[0] for p in pts], [p[1].get("input_mb_per_s") or 0 for p in pts], "s--", color="#55a868", label="MB/s")
    ax2.set_ylabel("MB/s of input")
    ax.set_title(f"record size (node, window {m['size_window']})", fontsize=10)
    ax.grid(alpha=0.3)
    ax = axes[2]
    mem = sorted(s["memory"].items(), key=lambda kv: int(kv[0]))
    ax.bar([f"{int(k):,}" for k, _ in mem], [x.get("peak_rss_mb") or 0 for _, x in mem], color="#c44e52")
    ax.set_title("client peak RSS MB against records (null sink)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    fig.suptitle(f"destination-cassandra scaling ({m['date'][:10]}, {m['cores']} cores, shared machine)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def main(h, args):
    t_start = time.monotonic()
    smoke = args.smoke
    out_dir = Path(args.out) if args.out else h.OUT / ("scaling-smoke" if smoke else "scaling")
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("testlog.json", "testlog.junit.xml"):
        (out_dir / stale).unlink(missing_ok=True)
    if not args.no_build and not smoke:
        h.log("building the connector and tools/null-sink in build-bench/")
        ns.build(h, args)
    ours_bin, sink_bin = h.ours_binary(args), ns.sink_binary(h, args)
    for what, p in (("connector", ours_bin), ("null-sink", sink_bin)):
        if not p.exists():
            raise h.Failure(f"no {what} binary at {p} (build it, or give --connector / --sink)")
    windows = args.scaling_windows or ([1, 64] if smoke else WINDOWS)
    sizes = [100, 10_000] if smoke else SIZES
    window_records = args.scaling_records or (500 if smoke else 50_000)
    memory_base = 2000 if smoke else 1_000_000
    memory_copies = 10
    size_window, memory_window = 256, 256
    rounds = args.rounds

    work = out_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    run_dir, server_pid, started = h.find_node(args)
    cql = h.cql_env(run_dir)
    db = h.Db(cql)
    runs = []
    messages, catalog = h.input_files(window_records)
    win_lines, win_bytes = h.record_stats(messages)
    sized = {}
    for size in sizes:
        count = SIZE_RECORDS[0] if smoke else int(min(SIZE_RECORDS[1], max(SIZE_RECORDS[0], SIZE_BYTES // size)))
        if smoke:
            count = 200
        sized[size] = size_input(h, size, count)
    mem_messages, mem_catalog = h.input_files(memory_base)
    timeout = 120 + window_records / 100

    def node_ctx(msgs, cat, records, run_timeout):
        return {"db": db, "cql": cql, "records": records, "args": args, "messages": msgs, "catalog": cat, "work": work,
                "server_pid": server_pid, "ours_bin": ours_bin, "timeout": run_timeout, "expected": None}

    def logged(r, what):
        runs.append(r)
        if r["ok"]:
            h.log(f"[{len(runs)}] {what}: {r['rows_per_s']:,.0f} rows/s, {r['wall_s']:.2f} s, "
                  f"client CPU {r.get('client_cpu_s')} s, RSS {r.get('peak_rss_mb')} MB")
        else:
            h.log(f"[{len(runs)}] {what}: FAILED: {r['error']}")

    try:
        db.setup()
        for rnd in range(1, rounds + 1):
            for w in windows:
                r = h.run_one("ours", w, rnd, node_ctx(messages, catalog, window_records, timeout))
                r.update({"sweep": "window", "target": "node", "contender": f"window {w} node"})
                logged(r, f"round {rnd} window {w} node")
                if r["error"] and "went away" in r["error"]:
                    raise h.Failure("the Cassandra node is gone: stopping")
                r = ns.run_one(h, w, rnd, {"records": window_records, "messages": messages, "catalog": catalog,
                                           "work": work, "ours_bin": ours_bin, "sink_bin": sink_bin, "timeout": timeout,
                                           "input_bytes": messages.stat().st_size})
                r.update({"sweep": "window", "target": "null sink", "contender": f"window {w} null sink"})
                logged(r, f"round {rnd} window {w} null sink")
            for size in sizes:
                msgs, cat, nbytes = sized[size]
                count = h.record_stats(msgs)[0]
                r = h.run_one("ours", size_window, rnd, node_ctx(msgs, cat, count, 120 + nbytes / 2e5))
                r.update({"sweep": "size", "size": size, "records": count, "contender": f"record size {size} B"})
                if r["ok"]:
                    r["input_mb_per_s"] = round(nbytes / 1e6 / r["wall_s"], 2)
                logged(r, f"round {rnd} record size {size} B ({count:,} records)")
        mem_ctx = {"work": work, "records": memory_base, "messages": mem_messages, "catalog": mem_catalog,
                   "sink_bin": sink_bin, "ours_bin": ours_bin, "window": memory_window, "timeout": 120 + memory_base / 2000}
        for copies in (1, memory_copies):
            r = run_memory(h, copies, mem_ctx)
            r["round"] = 1
            logged(r, f"memory, {memory_base * copies:,} records")
    finally:
        try:
            if not args.keep:
                db.drop()
        except Exception as e:  # noqa: BLE001
            h.log(f"could not drop keyspace {h.KEYSPACE}: {e}")
        db.close()
        if started and not args.keep:
            subprocess.run([str(h.NODE_TOOL), "stop"], env=h.node_env(run_dir))

    meta = {
        "date": h.dt.datetime.now(h.dt.timezone.utc).isoformat(timespec="seconds"), "commit": h.git_commit(),
        "rounds": rounds, "windows": windows, "sizes": sizes, "window_records": window_records,
        "window_bytes_per_record": win_bytes / max(1, win_lines),
        "size_records": {str(size): h.record_stats(sized[size][0])[0] for size in sizes}, "size_window": size_window,
        "memory_base": memory_base, "memory_copies": memory_copies, "memory_window": memory_window,
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}", "cores": os.cpu_count(),
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "ours_binary": str(ours_bin), "smoke": smoke, "elapsed_s": round(time.monotonic() - t_start, 1),
    }
    result = {"meta": meta, "summary": summarize(runs), "runs": runs}
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    h.log(f"wrote {out_dir / 'result.json'}")
    md = markdown(result)
    if smoke or args.no_docs:
        (out_dir / "BENCHMARKS-scaling.md").write_text(md)
    else:
        (h.ROOT / "docs" / "BENCHMARKS-scaling.md").write_text(md)
        h.log("wrote docs/BENCHMARKS-scaling.md")
        if chart(h, result, h.ROOT / "docs" / "BENCHMARKS-scaling.png"):
            h.log("wrote docs/BENCHMARKS-scaling.png")
    h.write_testlog(out_dir, runs, [])
    failed = sum(1 for r in runs if not r["ok"])
    print(f"scaling: {len(runs) - failed} runs ok, {failed} failed ({meta['elapsed_s']:.0f} s)")
    return 1 if failed else 0
