"""`tools/bench --null-sink`: our client's own ceiling (issues 7 and 18).

Runs destination-cassandra write against tools/null-sink (a CQL endpoint that answers every request
at once and stores nothing) on the benchmark's input (tools/gen-records, stream `users`, a STATE
every 1000 records), with the main benchmark's settings (LOCAL_QUORUM, no compression, one
connection, max_in_flight = window); beside it, in the same run, the minimal client
(bench/minimal_client: the same frames from one thread with a full JSON parse, and with `data` taken
as text), so the connector's distance to the limit is a ratio on the page; and the connector pinned
to one core and to two (taskset), since it should use every core. A warm-up run of each first (not
counted); then, each round, the contenders alternated in an order rotated every round. A fresh sink
per run, on a free port. Measured as the main benchmark measures its contenders: wall time, client
CPU (user+sys, wait4) and peak RSS (GNU time), the sink's CPU from /proc, the machine's busy CPU from
/proc/stat (what neither used is other load).

Writes DIR/result.json (default .cache/bench/null-sink/), docs/BENCHMARKS-ceiling.md and prints a
short table. Used by bench/run.py with the harness module as `h`, for its helpers (input files,
output check, builds, CPU readings); bench/scaling.py uses run_one for its null-sink sweep.
"""
import json
import os
import platform
import shutil
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
    """The connector, the sink and the minimal client in build-bench/ (release), incrementally."""
    secs = h.build("ours", args.jobs)
    return secs + h.timed(["ninja", "-C", str(h.OURS_BUILD), f"-j{args.jobs}", "tools/null-sink/null-sink",
                           "bench/minimal_client/minimal-client"])


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


CONTENDERS = ["ours", "minimal", "minimal-text"]
CORES = ["ours-1core", "ours-2cores"]
# --formats: the connector with table_format raw and typed (issue 16) on the same input; the bench
# catalog's stream (append, primary key id) makes a keyed typed table; -dedup: the same stream in
# append_dedup (cursor updated_at).
FORMATS = ["raw", "typed", "raw-dedup", "typed-dedup"]
LABELS = {
    "ours": "connector (destination-cassandra write)",
    "minimal": "minimal client, full parse (Document + Writer)",
    "minimal-text": "minimal client, data as text (no parse)",
    "ours-1core": "connector, taskset -c 0",
    "ours-2cores": "connector, taskset -c 0,1",
    "raw": "connector, table_format raw, append",
    "typed": "connector, table_format typed, append (keyed)",
    "raw-dedup": "connector, table_format raw, append_dedup",
    "typed-dedup": "connector, table_format typed, append_dedup",
}


def dedup_catalog(catalog, work):
    """The bench catalog with its stream in append_dedup (key id, cursor updated_at)."""
    cat = json.loads(Path(catalog).read_text())
    for s in cat["streams"]:
        s["destination_sync_mode"] = "append_dedup"
        s["sync_mode"] = "incremental"
        s["cursor_field"] = ["updated_at"]
    out = work / "dedup.catalog.json"
    out.write_text(json.dumps(cat))
    return out


def minimal_binary(h, args, sink_bin):
    """bench/minimal_client/minimal-client of the sink's build directory (or build-bench/, build/)."""
    if getattr(args, "minimal_client", None):
        return Path(args.minimal_client).resolve()
    rel = Path("bench") / "minimal_client" / "minimal-client"
    for build in (sink_bin.parents[2], h.OURS_BUILD, h.ROOT / "build"):
        if (build / rel).exists():
            return build / rel
    return h.OURS_BUILD / rel


def command(contender, window, port, ctx):
    """The command line of one run; stdin is the messages file for all."""
    if contender.startswith("minimal"):
        cmd = [str(ctx["minimal_bin"]), "--port", str(port), "--window", str(window), "--keyspace", KEYSPACE]
        return cmd + (["--data-as-text"] if contender == "minimal-text" else [])
    # tools/null-sink speaks v4 only (as the minimal client): pinned, so the connector does not count
    # the v5 -> v4 step-down (an error answer) against the sink.
    cfg = ctx["work"] / f"config-{window}-{port}.json"
    fmt = contender.split("-")[0] if contender in FORMATS else "raw"
    cfg.write_text(json.dumps({"keyspace": KEYSPACE, "address": "127.0.0.1", "port": port, "max_in_flight": window,
                               "compression": "none", "consistency": "LOCAL_QUORUM",
                               "protocol_version": 4, "table_format": fmt}))
    pin = {"ours-1core": ["taskset", "-c", "0"], "ours-2cores": ["taskset", "-c", "0,1"]}.get(contender, [])
    catalog = ctx["dedup_catalog"] if contender.endswith("-dedup") else ctx["catalog"]
    return pin + [str(ctx["ours_bin"]), "write", "--config", str(cfg), "--catalog", str(catalog)]


def check_minimal(err_path, records):
    """The minimal client's closing JSON line on stderr: every record sent and acknowledged."""
    try:
        last = json.loads(err_path.read_text(errors="replace").strip().splitlines()[-1])
    except (ValueError, IndexError):
        return f"no result line on stderr: {err_path.read_text(errors='replace')[-400:]}"
    if last.get("rows") != records or last.get("acked") != records:
        return f"the minimal client sent {last.get('rows')} rows and saw {last.get('acked')} acknowledged, expected {records}"
    return None


def run_one(h, window, rnd, ctx, contender="ours"):
    tag = f"null-{contender}-w{window}-r{rnd}"
    work, records = ctx["work"], ctx["records"]
    res = {"round": rnd, "contender": contender, "window": window, "ok": False, "error": None}
    sink, port, stats_file = start_sink(ctx["sink_bin"], work, tag)
    cmd = command(contender, window, port, ctx)
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
    else:  # every run's stdout: STATE lines (and the connector's LOG/TRACE), the last covering every record
        res["error"] = h.check_ours_output(out_path, records, res)
        if res["error"] is None and contender.startswith("minimal"):
            res["error"] = check_minimal(err_path, records)
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
        res["client_cpu_us_per_row"] = round(client_cpu / records * 1e6, 3)
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
           "client_cpu_us_per_row", "rows_per_client_cpu_s",
           "client_user_s", "client_sys_s", "peak_rss_mb", "sink_cpu_s_per_mrows", "other_load_pct"]


def stats_of(runs):
    ok = [r for r in runs if r["ok"]]
    s = {"runs": len(runs), "ok": len(ok)}
    for k in METRICS:
        vals = [r[k] for r in ok if r.get(k) is not None]
        if vals:
            s[k] = round(statistics.median(vals), 3)
            s[k + "_min"], s[k + "_max"] = min(vals), max(vals)
    return s


def paired(runs, a, b, w, key):
    """{round: a's figure / b's figure} at window w, both from the same round (neighbours in time)."""
    fig = {}
    for r in runs:
        if r["ok"] and r["window"] == w and r["contender"] in (a, b) and r.get(key):
            fig[(r["contender"], r["round"])] = r[key]
    return {rnd: round(fig[(a, rnd)] / fig[(b, rnd)], 3) for (c, rnd) in fig if c == a and (b, rnd) in fig}


def ratio_summary(by_round):
    return {"by_round": by_round, "median": round(statistics.median(by_round.values()), 3) if by_round else None}


def summarize(runs, windows, cores_window=None):
    """Per contender and window: medians; per window: the connector's client CPU per row over each
    minimal client's, and rows/s, paired by round; the cores ratio (rows/s on 2 cores / on 1)."""
    contenders = [c for c in CONTENDERS + CORES + FORMATS if any(r["contender"] == c for r in runs)]
    out = {"contenders": {}, "ceiling": {}, "cores": None, "formats": {}}
    for c in contenders:
        out["contenders"][c] = {str(w): stats_of([r for r in runs if r["contender"] == c and r["window"] == w])
                                for w in windows if any(r["contender"] == c and r["window"] == w for r in runs)}
    for w in windows:
        for m in ("minimal", "minimal-text"):
            if m in contenders:
                out["ceiling"][f"{w} {m}"] = {
                    "cpu_per_row_ours_over_minimal": ratio_summary(paired(runs, "ours", m, w, "client_cpu_s_per_mrows")),
                    "rows_per_s_minimal_over_ours": ratio_summary(paired(runs, m, "ours", w, "rows_per_s")),
                }
    for w in windows:  # typed over raw, the same mode, paired by round
        for typed, raw in (("typed", "raw"), ("typed-dedup", "raw-dedup")):
            if typed in contenders and raw in contenders:
                out["formats"][f"{w} {typed}"] = {
                    "rows_per_s_typed_over_raw": ratio_summary(paired(runs, typed, raw, w, "rows_per_s")),
                    "cpu_per_row_typed_over_raw": ratio_summary(paired(runs, typed, raw, w, "client_cpu_s_per_mrows")),
                }
    if cores_window is not None and all(c in contenders for c in CORES):
        out["cores"] = {"window": cores_window,
                        "rows_per_s_2_over_1": ratio_summary(paired(runs, "ours-2cores", "ours-1core", cores_window, "rows_per_s")),
                        "cpu_per_row_2_over_1": ratio_summary(paired(runs, "ours-2cores", "ours-1core", cores_window,
                                                                     "client_cpu_s_per_mrows"))}
    return out


def fx(v, nd=2):
    return "-" if v is None else f"{v:.{nd}f}x"


def rounds_text(rs):
    return ", ".join(f"r{k} {v:.2f}" for k, v in sorted(rs["by_round"].items()))


def table(result):
    m, s = result["meta"], result["summary"]
    L = [f"null sink: {m['records']:,} users records ({m['input_mb']:.0f} MB of input, {m['bytes_per_record']:.0f} B "
         f"per RECORD line), {m['rounds']} round(s) after {m.get('warmup', 0)} warm-up run(s) of each, {m['cores']} cores, "
         f"load average {m['loadavg_before']} before (shared machine)",
         f"connector: {m['ours_binary']} ({m['ours_build']}); minimal client: {m.get('minimal_binary')}",
         "",
         f"{'contender':<13} {'window':>6} {'rows/s':>9} {'MB/s in':>8} {'wall s':>7} {'CPU us/row':>10} "
         f"{'user s':>7} {'sys s':>6} {'peak RSS MB':>11} {'sink CPU s/M':>12} {'other load':>10} {'ok':>4}"]
    for c, per_w in s["contenders"].items():
        for w, x in per_w.items():
            def f(k, nd=0):
                v = x.get(k)
                return "-" if v is None else (f"{v:,.{nd}f}")
            L.append(f"{c:<13} {w:>6} {f('rows_per_s'):>9} {f('input_mb_per_s', 1):>8} {f('wall_s', 2):>7} "
                     f"{f('client_cpu_us_per_row', 2):>10} {f('client_user_s', 2):>7} {f('client_sys_s', 2):>6} "
                     f"{f('peak_rss_mb', 1):>11} {f('sink_cpu_s_per_mrows', 2):>12} {f('other_load_pct', 0) + ' %':>10} "
                     f"{x['ok']}/{x['runs']:<2}")
    L.append("")
    L.append("medians over rounds; rows/s and MB/s: records (input bytes) / wall time of the whole process; CPU us/row:")
    L.append("client user+sys (wait4) / records; other load: machine CPU used by neither client nor sink (noise).")
    if s["ceiling"]:
        L.append("")
        L.append("ceiling ratios, paired by round (same round, same window):")
    for key, x in s["ceiling"].items():
        w, mname = key.split(" ", 1)
        cpu, rows = x["cpu_per_row_ours_over_minimal"], x["rows_per_s_minimal_over_ours"]
        L.append(f"  window {w:>5}: connector CPU/row / {mname} CPU/row = {fx(cpu['median'])} ({rounds_text(cpu)}); "
                 f"{mname} rows/s / connector rows/s = {fx(rows['median'])}")
    if s.get("formats"):
        L.append("")
        L.append("typed over raw, paired by round (same round, same window; issue 16 asks rows/s >= 0.90x, CPU/row <= 1.30x):")
        for key, x in s["formats"].items():
            w, typed = key.split(" ", 1)
            rows, cpu = x["rows_per_s_typed_over_raw"], x["cpu_per_row_typed_over_raw"]
            L.append(f"  window {w:>5} {typed:<11}: rows/s {fx(rows['median'])} ({rounds_text(rows)}); "
                     f"client CPU/row {fx(cpu['median'])} ({rounds_text(cpu)})")
    if s.get("cores"):
        c = s["cores"]
        L.append("")
        L.append(f"cores (window {c['window']}): connector rows/s with taskset -c 0,1 / with taskset -c 0 = "
                 f"{fx(c['rows_per_s_2_over_1']['median'])} ({rounds_text(c['rows_per_s_2_over_1'])}); "
                 f"CPU/row 2 cores / 1 core = {fx(c['cpu_per_row_2_over_1']['median'])}")
    for r in result["runs"]:
        if not r["ok"]:
            L.append(f"FAILED {r['contender']} window {r['window']} round {r['round']}: {r['error']}")
    return "\n".join(L)


def write_doc(path, result):
    """docs/BENCHMARKS-ceiling.md: the table of one null-sink run (tools/bench --null-sink)."""
    m, s = result["meta"], result["summary"]
    orders = "; ".join(f"round {k}: {', '.join(v)}" for k, v in m.get("orders", {}).items())
    lines = [
        "# The connector's own ceiling: against a null CQL sink",
        "",
        f"Generated by `tools/bench --null-sink` (issues 7 and 18) at commit `{m.get('commit')}`, {m.get('date')}; "
        "the figures of every run are in `.cache/bench/null-sink/result.json`. Reproduce with:",
        "",
        "```sh",
        m.get("command", "tools/bench --null-sink"),
        "```",
        "",
        "`tools/null-sink` answers every request at once and stores nothing, so this is what a client alone costs on "
        "this machine: reading and checking the input, encoding, the socket, acknowledging STATEs. Against a real node "
        "see [BENCHMARKS.md](BENCHMARKS.md).",
        "",
        "Beside the connector runs the **minimal client** (`bench/minimal_client/minimal_client.cpp`, issue 18): one "
        "thread, a non-blocking socket and poll(), our codec for the frames. It reads the same file from stdin, parses "
        "each line with a RapidJSON Document (UTF-8 validated) and re-serialises each RECORD's `data` with a Writer, "
        "sends the connector's EXECUTE (the raw table's INSERT: uuid, data, emitted_at; LOCAL_QUORUM; a client "
        "timestamp) with at most `window` requests outstanding on one connection, checks that every response is "
        "RESULT Void on a stream id with a request outstanding, and prints each STATE once every record before it is "
        "acknowledged. `minimal-text` takes `data` as its raw text (no parse). So the ratio *connector CPU per row / "
        "minimal client CPU per row* is the connector's distance to the limit (issue 18 asks for <= 2 against the full "
        "parse).",
        "",
        f"Order: before the measured rounds, {m.get('warmup', 0)} warm-up run(s) of every contender (not counted: the "
        "first runs after a build pay for the page cache and the binaries' first loads); then in each round, for each "
        "window, the contenders run one after the other, the order rotated every round (round r starts at contender "
        f"r-1 mod n): {orders}. A fresh sink per run. The cores measurement runs the connector under `taskset -c 0` "
        "and `taskset -c 0,1` (the sink is not pinned, so with one core for the connector the sink mostly has the "
        "other), alternated the same way.",
        "",
        "**The machine was shared with other work (builds of other sessions) during this run**: absolute rows/s and "
        "seconds move with that load, so read the ratios, which are paired by round (both figures from the same round "
        "and window, run back to back), and CPU per row, which load disturbs much less than wall time.",
        "",
        "```",
        table(result),
        "```",
        "",
    ]
    write_keeping_hand_written(path, lines)


# What follows this marker in a generated page was written by hand (measurements the command does
# not make): a new run keeps it.
HAND_WRITTEN = "<!-- kept by tools/bench: written by hand below -->"


def write_keeping_hand_written(path, lines):
    old = path.read_text() if path.exists() else ""
    kept = old[old.index(HAND_WRITTEN):] if HAND_WRITTEN in old else HAND_WRITTEN + "\n"
    path.write_text("\n".join(lines) + "\n" + kept)


def write_formats_doc(path, result):
    """docs/BENCHMARKS-typed.md: typed against raw tables (tools/bench --null-sink --formats ...)."""
    m = result["meta"]
    orders = "; ".join(f"round {k}: {', '.join(v)}" for k, v in m.get("orders", {}).items())
    lines = [
        "# Typed against raw tables: the connector's cost per row",
        "",
        f"Generated by `tools/bench --null-sink --formats` (issue 16) at commit `{m.get('commit')}`, {m.get('date')}; "
        "the figures of every run are in `.cache/bench/null-sink/result.json` (or the `--out` directory). Reproduce with:",
        "",
        "```sh",
        m.get("command", "tools/bench --null-sink --formats raw,typed"),
        "```",
        "",
        "The same input (tools/gen-records, stream `users`: 17 properties, one a nested object) written by the same "
        "binary with `table_format: raw` (the JSON text in one column) and `typed` (one column per property, "
        "`_airbyte_meta`, a keyed table: the catalog's stream is append with primary key `id`), against "
        "`tools/null-sink` (answers every request at once), so the difference is the connector's own work per row: "
        "each of the data's members converted to its column's type (the scanner has split them already), and 22 values encoded instead of 3. `-dedup`: the "
        "same stream in append_dedup (cursor `updated_at`), an INSERT and a range DELETE per record.",
        "",
        f"Order: {m.get('warmup', 0)} warm-up run(s) of every format first (not counted), then each round the formats "
        f"one after the other, the order rotated every round: {orders}. A fresh sink per run.",
        "",
        "**The machine was shared with other work (builds and tests of other sessions) during this run**: absolute "
        "rows/s move with that load; read the ratios, paired by round (both figures from the same round, run back to "
        "back), and CPU per row, which load disturbs much less than wall time.",
        "",
        "```",
        table(result),
        "```",
        "",
    ]
    write_keeping_hand_written(path, lines)


def main(h, args):
    t_start = time.monotonic()
    out_dir = Path(args.out) if args.out else h.OUT / "null-sink"
    out_dir.mkdir(parents=True, exist_ok=True)
    build_s = None
    if not args.no_build:
        h.log("building the connector, tools/null-sink and the minimal client in build-bench/")
        build_s = build(h, args)
        if args.build_only:
            print(json.dumps({"build_s": {"ours+null-sink+minimal-client": build_s}}))
            return 0
    ours_bin, sink_bin = h.ours_binary(args), sink_binary(h, args)
    minimal_bin = minimal_binary(h, args, sink_bin)
    for what, p in (("connector", ours_bin), ("null-sink", sink_bin)):
        if not p.exists():
            raise h.Failure(f"no {what} binary at {p} (build it, or give --connector / --sink)")
    formats = [f for f in (getattr(args, "formats", None) or "").split(",") if f]
    if any(f not in FORMATS for f in formats):
        raise h.Failure(f"--formats: unknown format in {args.formats} (known: {', '.join(FORMATS)})")
    contenders = ["ours"]
    if formats:
        contenders = formats
    elif minimal_bin.exists():
        contenders += ["minimal", "minimal-text"]
    else:
        h.log(f"no minimal client at {minimal_bin}: the connector alone (build it, or give --minimal-client)")
    cores = shutil.which("taskset") is not None and (os.cpu_count() or 1) >= 2 and not args.no_cores and not formats
    if not cores:
        h.log("no cores measurement (needs taskset and 2 cores; or --no-cores)")
    cores_window = 256 if 256 in args.windows else args.windows[0]
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
    warmup = args.warmup if args.warmup is not None else 1
    meta = {
        "date": h.dt.datetime.now(h.dt.timezone.utc).isoformat(timespec="seconds"), "commit": h.git_commit(),
        "command": h.command_line(), "records": args.records, "rounds": args.rounds, "windows": args.windows,
        "warmup": warmup, "contenders": contenders, "input": str(messages),
        "input_mb": input_bytes / 1e6, "record_mb": record_bytes / 1e6, "bytes_per_record": record_bytes / max(1, record_lines),
        "server": "tools/null-sink (answers every request at once, stores nothing)",
        "machine": f"{platform.system()} {platform.release()} {platform.machine()}", "cores": os.cpu_count(),
        "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "ours_binary": rel(ours_bin), "ours_build": ours_build, "sink_binary": rel(sink_bin),
        "minimal_binary": rel(minimal_bin) if "minimal" in contenders else None, "build_s": build_s,
        "cores_window": cores_window if cores else None, "orders": {},
        "settings": {"consistency": "LOCAL_QUORUM", "compression": "none", "keyspace": KEYSPACE, "timeout_s": args.timeout},
    }
    ctx = {"records": args.records, "messages": messages, "catalog": catalog, "dedup_catalog": dedup_catalog(catalog, work),
           "work": work, "ours_bin": ours_bin,
           "sink_bin": sink_bin, "minimal_bin": minimal_bin, "timeout": args.timeout, "input_bytes": input_bytes}
    runs = []

    def logged(r, what):
        if r["ok"]:
            h.log(f"{what}: {r['rows_per_s']:,.0f} rows/s, {r['wall_s']:.2f} s, client CPU {r['client_cpu_s']:.2f} s "
                  f"({r['client_cpu_us_per_row']:.2f} us/row), RSS {r['peak_rss_mb']} MB, sink CPU {r['sink_cpu_s']} s, "
                  f"other load {r.get('other_load_pct')} %")
        else:
            h.log(f"{what}: FAILED: {r['error']}")

    for i in range(warmup):
        for c in contenders:
            r = run_one(h, args.windows[0], 0, ctx, c)
            logged(r, f"warm-up {i + 1} window {args.windows[0]} {c} (not counted)")
    total = args.rounds * (len(args.windows) * len(contenders) + (2 if cores else 0))
    for rnd in range(1, args.rounds + 1):
        order = h.rotated(contenders, rnd)
        meta["orders"][str(rnd)] = order
        for w in args.windows:
            for c in order:
                r = run_one(h, w, rnd, ctx, c)
                runs.append(r)
                logged(r, f"[{len(runs)}/{total}] round {rnd} window {w} {c}")
        if cores:
            for c in h.rotated(CORES, rnd):
                r = run_one(h, cores_window, rnd, ctx, c)
                runs.append(r)
                logged(r, f"[{len(runs)}/{total}] round {rnd} window {cores_window} {c}")
    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    result = {"meta": meta, "summary": summarize(runs, args.windows, cores_window if cores else None), "runs": runs}
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    h.log(f"wrote {out_dir / 'result.json'}")
    print(table(result))
    h.write_testlog(out_dir, runs, [])  # so tools/test-summary counts it
    if not args.no_docs and not args.smoke and formats:
        write_formats_doc(h.ROOT / "docs" / "BENCHMARKS-typed.md", result)
        h.log("wrote docs/BENCHMARKS-typed.md")
    elif not args.no_docs and not args.smoke:
        write_doc(h.ROOT / "docs" / "BENCHMARKS-ceiling.md", result)
        h.log("wrote docs/BENCHMARKS-ceiling.md")
    return 1 if any(not r["ok"] for r in runs) else 0
