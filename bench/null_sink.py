"""`tools/bench --null-sink`: our client's own ceiling (issue 7).

Runs destination-cassandra write against tools/null-sink (a CQL endpoint that answers every request
at once and stores nothing) on the benchmark's input (tools/gen-records, stream `users`, a STATE
every 1000 records), with the main benchmark's settings (LOCAL_QUORUM, no compression, one
connection, max_in_flight = window). A fresh sink per run, on a free port. Measured as the main
benchmark measures its contenders: wall time, client CPU (user+sys) and peak RSS by GNU time, the
sink's CPU from /proc, the machine's busy CPU from /proc/stat (what neither used is other load).

Writes DIR/result.json (default .cache/bench/null-sink/) and prints a short table. Used by bench/run.py
with the harness module as `h`, for its helpers (input files, output check, builds, CPU readings).
"""
import json
import os
import platform
import signal
import statistics
import subprocess
import time
from pathlib import Path

KEYSPACE = "nullsink"


def sink_binary(h, args):
    if args.sink:
        return Path(args.sink).resolve()
    for build in (h.OURS_BUILD, h.ROOT / "build"):
        p = build / "tools" / "null-sink" / "null-sink"
        if p.exists():
            return p
    return h.OURS_BUILD / "tools" / "null-sink" / "null-sink"


def build(h, args):
    """The connector and the sink in build-bench/ (release), incrementally."""
    secs = h.build("ours", args.jobs)
    return secs + h.timed(["ninja", "-C", str(h.OURS_BUILD), f"-j{args.jobs}", "tools/null-sink/null-sink"])


def start_sink(binary, work, tag):
    port_file, stats_file = work / f"{tag}.sink-port", work / f"{tag}.sink-stats.json"
    for f in (port_file, stats_file):
        f.unlink(missing_ok=True)
    err = open(work / f"{tag}.sink-err", "wb")
    p = subprocess.Popen([str(binary), "--port", "0", "--port-file", str(port_file), "--stats-file", str(stats_file)],
                         stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
    err.close()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if port_file.exists():
            return p, int(port_file.read_text().strip()), stats_file
        if p.poll() is not None:
            break
        time.sleep(0.02)
    p.kill()
    p.wait()
    raise RuntimeError(f"null-sink did not start: {(work / f'{tag}.sink-err').read_text(errors='replace')[-500:]}")


def stop_sink(p, stats_file):
    """SIGTERM: the sink writes its stats and exits. Returns the stats (or {})."""
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    try:
        return json.loads(stats_file.read_text())
    except (OSError, ValueError):
        return {}


def run_one(h, window, rnd, ctx):
    tag = f"null-w{window}-r{rnd}"
    work, records = ctx["work"], ctx["records"]
    res = {"round": rnd, "contender": "ours-null-sink", "window": window, "ok": False, "error": None}
    sink, port, stats_file = start_sink(ctx["sink_bin"], work, tag)
    cfg = work / f"config-{window}.json"
    cfg.write_text(json.dumps({"keyspace": KEYSPACE, "address": "127.0.0.1", "port": port, "max_in_flight": window,
                               "compression": "none", "consistency": "LOCAL_QUORUM"}))
    cmd = [str(ctx["ours_bin"]), "write", "--config", str(cfg), "--catalog", str(ctx["catalog"])]
    out_path, err_path, time_path = work / f"{tag}.out", work / f"{tag}.err", work / f"{tag}.time"
    s0, m0 = h.proc_cpu(sink.pid), h.machine_cpu()
    try:
        exit_code, wall, user_s, sys_s, maxrss_kb, measured_by, killed = h.run_measured(
            cmd, ctx["messages"], out_path, err_path, time_path, ctx["timeout"])
        s1, m1 = h.proc_cpu(sink.pid), h.machine_cpu()
    finally:
        sink_stats = stop_sink(sink, stats_file)
    client_cpu = user_s + sys_s
    res.update({
        "exit": exit_code, "wall_s": round(wall, 3), "client_user_s": round(user_s, 3), "client_sys_s": round(sys_s, 3),
        "client_cpu_s": round(client_cpu, 3), "peak_rss_mb": round(maxrss_kb / 1024, 1) if maxrss_kb is not None else None,
        "measured_by": measured_by,
        "sink_cpu_s": round(s1 - s0, 2) if s0 is not None and s1 is not None else None,
        "machine_cpu_s": round(m1 - m0, 2),
        "sink": {k: sink_stats.get(k) for k in ("connections", "frames", "executes", "insert_executes", "bytes_in", "bytes_out",
                                                 "socket_reads", "socket_writes", "errors_sent", "requests")},
    })
    if res["sink_cpu_s"] is not None:
        res["other_cpu_s"] = round(max(0.0, res["machine_cpu_s"] - client_cpu - res["sink_cpu_s"]), 2)
        res["other_load_pct"] = round(100 * res["other_cpu_s"] / (wall * (os.cpu_count() or 1)), 1)
    if killed:
        res["error"] = f"timed out after {ctx['timeout']} s"
    elif exit_code != 0:
        res["error"] = f"exit {exit_code}: {err_path.read_text(errors='replace')[-600:] or out_path.read_text(errors='replace')[-600:]}"
    else:
        res["error"] = h.check_ours_output(out_path, records, res)
    if res["error"] is None and sink_stats.get("insert_executes") != records:
        res["error"] = f"the sink saw {sink_stats.get('insert_executes')} inserts, expected {records}"
    if res["error"] is None and sink_stats.get("errors_sent"):
        res["error"] = f"the sink answered {sink_stats['errors_sent']} requests with an error"
    if res["error"] is None:
        res["ok"] = True
        mrows = records / 1e6
        res["rows_per_s"] = round(records / wall, 1)
        res["input_mb_per_s"] = round(ctx["input_bytes"] / 1e6 / wall, 2)
        res["client_cpu_s_per_mrows"] = round(client_cpu / mrows, 2)
        # Load-insensitive: what one busy core of client CPU gets through (the client runs two threads).
        res["rows_per_client_cpu_s"] = round(records / client_cpu, 1) if client_cpu > 0 else None
        if res["sink_cpu_s"] is not None:
            res["sink_cpu_s_per_mrows"] = round(res["sink_cpu_s"] / mrows, 2)
        ins = (res.get("reported") or {}).get("insert_s")
        if ins:
            res["insert_rows_per_s"] = round(records / ins, 1)
            res["insert_mb_per_s"] = round(ctx["input_bytes"] / 1e6 / ins, 2)
    return res


METRICS = ["wall_s", "rows_per_s", "input_mb_per_s", "insert_rows_per_s", "insert_mb_per_s", "client_cpu_s_per_mrows",
           "rows_per_client_cpu_s",
           "client_user_s", "client_sys_s", "peak_rss_mb", "sink_cpu_s_per_mrows", "other_load_pct"]


def summarize(runs, windows):
    per_w = {}
    for w in windows:
        rs = [r for r in runs if r["window"] == w]
        ok = [r for r in rs if r["ok"]]
        s = {"runs": len(rs), "ok": len(ok)}
        for k in METRICS:
            vals = [r[k] for r in ok if r.get(k) is not None]
            if vals:
                s[k] = round(statistics.median(vals), 2)
                s[k + "_min"], s[k + "_max"] = min(vals), max(vals)
        per_w[str(w)] = s
    best = max((w for w in per_w if "rows_per_s" in per_w[w]), key=lambda w: per_w[w]["rows_per_s"], default=None)
    return {"windows": per_w, "best_window": int(best) if best else None, "best": per_w[best] if best else None}


def table(result):
    m, s = result["meta"], result["summary"]
    L = [f"null-sink ceiling: {m['records']:,} users records ({m['input_mb']:.0f} MB of input, {m['bytes_per_record']:.0f} B "
         f"per RECORD line), {m['rounds']} round(s), {m['cores']} cores, load average {m['loadavg_before']} before (shared machine)",
         f"connector: {m['ours_binary']} ({m['ours_build']})",
         "",
         f"{'window':>6} {'rows/s':>9} {'MB/s in':>8} {'write-phase rows/s':>18} {'wall s':>7} {'client CPU s/M':>14} "
         f"{'rows/client CPU s':>17} {'peak RSS MB':>11} {'sink CPU s/M':>12} {'other load':>10} {'ok':>4}"]
    for w, x in s["windows"].items():
        def f(k, nd=0):
            v = x.get(k)
            return "-" if v is None else (f"{v:,.{nd}f}")
        L.append(f"{w:>6} {f('rows_per_s'):>9} {f('input_mb_per_s', 1):>8} {f('insert_rows_per_s'):>18} {f('wall_s', 2):>7} "
                 f"{f('client_cpu_s_per_mrows', 2):>14} {f('rows_per_client_cpu_s'):>17} {f('peak_rss_mb', 1):>11} {f('sink_cpu_s_per_mrows', 2):>12} "
                 f"{f('other_load_pct', 0) + ' %':>10} {x['ok']}/{x['runs']:<2}")
    L.append("")
    L.append("medians over rounds; rows/s and MB/s are records (input bytes) / wall time of the whole process; "
             "write-phase is the connector's own closing LOG line; rows/client CPU s = records / (client user+sys), which\n"
             "load on the machine disturbs least; other load = machine CPU not used by client or sink (noise).")
    for r in result["runs"]:
        if not r["ok"]:
            L.append(f"FAILED window {r['window']} round {r['round']}: {r['error']}")
    return "\n".join(L)


def write_doc(path, result):
    """docs/BENCHMARKS-ceiling.md: the table of one null-sink run (tools/bench --null-sink)."""
    m = result["meta"]
    path.write_text(
        "# The connector's own ceiling: against a null CQL sink\n\n"
        "Generated by `tools/bench --null-sink` (issue 7) at commit `" + str(m.get("commit")) + "`, " + str(m.get("date")) +
        ". `tools/null-sink` answers every request at once and stores nothing, so this is what the connector alone can do "
        "on this machine: reading and checking the input, encoding, the socket, acknowledging STATEs. Against a real node "
        "see [BENCHMARKS.md](BENCHMARKS.md). The machine is shared: rows/s moves with the other load, rows per client CPU "
        "second much less.\n\n```\n" + table(result) + "\n```\n")


def main(h, args):
    t_start = time.monotonic()
    out_dir = Path(args.out) if args.out else h.OUT / "null-sink"
    out_dir.mkdir(parents=True, exist_ok=True)
    build_s = None
    if not args.no_build:
        h.log("building the connector and tools/null-sink in build-bench/")
        build_s = build(h, args)
        if args.build_only:
            print(json.dumps({"build_s": {"ours+null-sink": build_s}}))
            return 0
    ours_bin, sink_bin = h.ours_binary(args), sink_binary(h, args)
    for what, p in (("connector", ours_bin), ("null-sink", sink_bin)):
        if not p.exists():
            raise h.Failure(f"no {what} binary at {p} (build it, or give --connector / --sink)")
    messages, catalog = h.input_files(args.records)
    input_bytes = messages.stat().st_size
    record_lines, record_bytes = h.record_stats(messages)
    work = out_dir / "work"
    work.mkdir(parents=True, exist_ok=True)
    for old in work.iterdir():
        old.unlink()
    ours_build = "given with --connector" if args.connector else (
        "meson buildtype=release" if ours_bin == h.OURS_BIN else "build/ (debugoptimized, assertions on): build-bench/ was missing")
    rel = lambda p: str(p.relative_to(h.ROOT) if p.is_relative_to(h.ROOT) else p)  # noqa: E731
    meta = {
        "date": h.dt.datetime.now(h.dt.timezone.utc).isoformat(timespec="seconds"), "commit": h.git_commit(),
        "records": args.records, "rounds": args.rounds, "windows": args.windows, "input": str(messages),
        "input_mb": input_bytes / 1e6, "record_mb": record_bytes / 1e6, "bytes_per_record": record_bytes / max(1, record_lines),
        "server": "tools/null-sink (answers every request at once, stores nothing)",
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}", "cores": os.cpu_count(),
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "ours_binary": rel(ours_bin), "ours_build": ours_build, "sink_binary": rel(sink_bin), "build_s": build_s,
        "settings": {"consistency": "LOCAL_QUORUM", "compression": "none", "keyspace": KEYSPACE, "timeout_s": args.timeout},
    }
    ctx = {"records": args.records, "messages": messages, "catalog": catalog, "work": work, "ours_bin": ours_bin,
           "sink_bin": sink_bin, "timeout": args.timeout, "input_bytes": input_bytes}
    runs = []
    total = args.rounds * len(args.windows)
    for rnd in range(1, args.rounds + 1):
        for w in args.windows:
            r = run_one(h, w, rnd, ctx)
            runs.append(r)
            if r["ok"]:
                h.log(f"[{len(runs)}/{total}] round {rnd} window {w} null-sink: {r['rows_per_s']:,.0f} rows/s, "
                      f"{r['input_mb_per_s']:.1f} MB/s, {r['wall_s']:.2f} s, client CPU {r['client_cpu_s']:.2f} s, "
                      f"RSS {r['peak_rss_mb']} MB, sink CPU {r['sink_cpu_s']} s, other load {r.get('other_load_pct')} %")
            else:
                h.log(f"[{len(runs)}/{total}] round {rnd} window {w} null-sink: FAILED: {r['error']}")
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    result = {"meta": meta, "summary": summarize(runs, args.windows), "runs": runs}
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    h.log(f"wrote {out_dir / 'result.json'}")
    print(table(result))
    h.write_testlog(out_dir, runs, [])  # so tools/test-summary counts it (contender "ours-null-sink")
    if not args.no_docs and not args.smoke:
        write_doc(h.ROOT / "docs" / "BENCHMARKS-ceiling.md", result)
        h.log("wrote docs/BENCHMARKS-ceiling.md")
    return 1 if any(not r["ok"] for r in runs) else 0
