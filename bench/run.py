#!/usr/bin/env python3
"""The ingest benchmark of issue 7 (driven by tools/bench, which runs this in .cache/venv).

Four contenders read the same Airbyte messages file (tools/gen-records, stream `users`, a STATE
every 1000 records) and insert the same rows into the same table (`bench.airbyte_raw_users`:
"_airbyte_ab_id" uuid PRIMARY KEY, "_airbyte_data" text, "_airbyte_emitted_at" timestamp; RF 1;
append) with one prepared INSERT at LOCAL_QUORUM, no compression, and a bounded in-flight window:

  ours    build-bench/src/airbyte/destination-cassandra write (end to end, max_in_flight = window)
  java    bench/java: DataStax java-driver 4.x, executeAsync + Semaphore (the original connector)
  rust    bench/rust: the scylla Rust driver, tokio, FuturesUnordered bounded by the window
  python  bench/python: cassandra-driver's execute_concurrent_with_args(concurrency = window)

Before the measured rounds, a warm-up run of every contender (--warmup, not counted: a node's first
run is about 5x slower). Runs are alternated (round 1: every window, every contender; round 2: again
...), the contenders' order rotated every round (round r starts at contender r-1 mod n, so nobody
always runs first on a node that has just been written to), the table is truncated before each run, and each run is measured from outside: wall time, client CPU (user+sys)
and peak RSS from wait4() of the child, server CPU from /proc/<cassandra pid>/stat, machine CPU
from /proc/stat (what neither used is other load on the machine: noise). After each run the rows
are counted (and in --smoke mode compared, text for text, with the input).

Writes .cache/bench/result.json, docs/BENCHMARKS.md and docs/BENCHMARKS.png (a full run), or
.cache/bench/smoke/{result.json,testlog.json,testlog.junit.xml} (--smoke).
"""
import argparse
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
OUT = CACHE / "bench"
NODE_TOOL = ROOT / "tools" / "cassandra-local"
VENV_PY = CACHE / "venv" / "bin" / "python"
KEYSPACE = "bench"
TABLE = "airbyte_raw_users"
CONTENDERS = ["ours", "ours-v4", "java", "rust", "python"]
LABELS = {
    "ours": "ours (destination-cassandra write)",
    "ours-v4": "ours pinned to protocol v4 (\"protocol_version\": 4; ours negotiates v5)",
    "java": "java-driver 4.x executeAsync (original connector's approach)",
    "rust": "scylla Rust driver",
    "python": "Python cassandra-driver execute_concurrent",
}
CLK_TCK = os.sysconf("SC_CLK_TCK")
# The client's peak RSS comes from GNU time, which forks the contender itself: a child forked
# (or vforked) by this harness would report at least the harness's own peak RSS as its ru_maxrss
# (Linux carries the pre-exec memory's high-water mark into the new program's).
GNU_TIME = "/usr/bin/time"

OURS_BUILD = ROOT / "build-bench"
OURS_BIN = OURS_BUILD / "src" / "airbyte" / "destination-cassandra"
OURS_FALLBACK = ROOT / "build" / "src" / "airbyte" / "destination-cassandra"
JAVA_OUT = CACHE / "bench-java"
JAVA_JAR = JAVA_OUT / "target" / "bench-java-driver.jar"
RUST_TARGET = CACHE / "bench-target"
RUST_BIN = RUST_TARGET / "release" / "bench-scylla"
PY_SCRIPT = ROOT / "bench" / "python" / "bench_python.py"


def rotated(items, rnd):
    """The order of round rnd (1-based): round 1 starts at items[0], round 2 at items[1], ..."""
    k = (rnd - 1) % len(items) if items else 0
    return list(items[k:]) + list(items[:k])


def command_line():
    """How this run was started, as a tools/bench command line (for the generated docs)."""
    return shlex.join(["tools/bench", *sys.argv[1:]])


def log(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Failure(Exception):
    pass


# ---------------------------------------------------------------- builds

def timed(cmd, env=None, cwd=ROOT):
    t0 = time.monotonic()
    done = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if done.returncode != 0:
        raise Failure(f"{shlex.join(map(str, cmd))} failed:\n{done.stdout[-4000:]}")
    return round(time.monotonic() - t0, 1)


def build(contender, jobs):
    """Builds (incrementally) one contender; returns the build's wall seconds."""
    if contender == "ours-v4":
        return 0.0  # the same binary as ours
    if contender == "ours":
        secs = 0.0
        if not (OURS_BUILD / "build.ninja").exists():
            secs += timed(["meson", "setup", str(OURS_BUILD), "-Dbuildtype=release", "-Dtests=false",
                           "-Dserver_tests=false"])
        return secs + timed(["ninja", "-C", str(OURS_BUILD), f"-j{jobs}", "src/airbyte/destination-cassandra"])
    if contender == "java":
        return timed(["mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(ROOT / "bench/java/pom.xml"),
                      f"-Dmaven.repo.local={CACHE / 'm2'}", "package"])
    if contender == "rust":
        env = dict(os.environ, CARGO_TARGET_DIR=str(RUST_TARGET), CARGO_BUILD_JOBS=str(jobs))
        return timed(["cargo", "build", "--release", "--locked", "-q", "--manifest-path",
                      str(ROOT / "bench/rust/Cargo.toml")], env=env)
    if contender == "python":
        return 0.0  # the venv is tools/e2e-faker's (tools/bench makes sure it exists)
    raise ValueError(contender)


def ours_binary(args):
    if args.connector:
        return Path(args.connector).resolve()
    if OURS_BIN.exists():
        return OURS_BIN
    return OURS_FALLBACK


def is_built(contender, args):
    if contender in ("ours", "ours-v4"):
        return ours_binary(args).exists()
    if contender == "java":
        return JAVA_JAR.exists() and shutil.which("java") is not None
    if contender == "rust":
        return RUST_BIN.exists()
    if contender == "python":
        return VENV_PY.exists()
    return False


# ---------------------------------------------------------------- the node

def node_env(run_dir):
    return dict(os.environ, CASSANDRA_RUN_DIR=str(run_dir))


def node_status(run_dir):
    """[{node, pid, alive, ...}] from tools/cassandra-local status, or [] if it says nothing."""
    done = subprocess.run([str(NODE_TOOL), "status"], env=node_env(run_dir), stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
    nodes = []
    for line in done.stdout.splitlines():
        parts = line.split()
        if not parts or not parts[0].startswith("node"):
            continue
        d = {"node": parts[0]}
        d.update(p.split("=", 1) for p in parts[1:] if "=" in p)
        nodes.append(d)
    return nodes


def find_node(args):
    """Reuses a live single node (CASSANDRA_RUN_DIR, the test node, the demo node, ours), else
    starts .cache/bench-run. Returns (run_dir, pid, started_by_us)."""
    candidates = []
    if os.environ.get("CASSANDRA_RUN_DIR"):
        candidates.append(Path(os.environ["CASSANDRA_RUN_DIR"]).resolve())
    for d in (CACHE / "test-run", CACHE / "run", CACHE / "bench-run"):
        if d.resolve() not in candidates:
            candidates.append(d.resolve())
    for d in candidates:
        if not (d / "node1").exists():
            continue
        nodes = node_status(d)
        alive = [n for n in nodes if n.get("alive") == "yes"]
        if not alive:
            continue
        if len(nodes) != 1:
            raise Failure(f"the live Cassandra in {d} is a {len(nodes)}-node cluster; the benchmark wants one "
                          f"node. Wait until it is stopped (it holds 127.0.0.1:9042), then run again.")
        log(f"reusing the live node of {d} (pid {alive[0]['pid']})")
        return d, int(alive[0]["pid"]), False
    if args.no_start:
        raise Failure("no live Cassandra node, and --no-start was given")
    d = (CACHE / "bench-run").resolve()
    log(f"no live node: starting one in {d}")
    for step in (["start", "--fresh"], ["wait"]):
        done = subprocess.run([str(NODE_TOOL), *step], env=node_env(d))
        if done.returncode != 0:
            raise Failure(f"tools/cassandra-local {' '.join(step)} failed")
    alive = [n for n in node_status(d) if n.get("alive") == "yes"]
    if not alive:
        raise Failure("the node started but status does not show it alive")
    return d, int(alive[0]["pid"]), True


def cql_env(run_dir):
    done = subprocess.run([str(NODE_TOOL), "env"], env=node_env(run_dir), stdout=subprocess.PIPE, text=True,
                          check=True)
    env = {}
    for line in done.stdout.splitlines():
        m = re.match(r"export (\w+)=(.*)", line.strip())
        if m:
            env[m.group(1)] = shlex.split(m.group(2))[0] if m.group(2) else ""
    return env


def proc_cpu(pid):
    """user+sys CPU seconds of a process (all its threads), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu():
    """Busy CPU seconds of the whole machine (all cores) since boot."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    return (sum(v[:8]) - idle) / CLK_TCK


class Db:
    """A cassandra-driver session for the harness's own DDL, TRUNCATE and checks."""

    def __init__(self, cql):
        from cassandra.auth import PlainTextAuthProvider
        from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
        from cassandra.policies import DCAwareRoundRobinPolicy
        auth = PlainTextAuthProvider(cql["CQL_USER"], cql["CQL_PASSWORD"]) if cql.get("CQL_USER") else None
        profile = ExecutionProfile(load_balancing_policy=DCAwareRoundRobinPolicy(local_dc="datacenter1"),
                                   request_timeout=120)
        self.cluster = Cluster([h.strip() for h in cql["CQL_HOSTS"].split(",")], port=int(cql["CQL_PORT"]),
                               auth_provider=auth, compression=False, execution_profiles={EXEC_PROFILE_DEFAULT: profile})
        self.session = self.cluster.connect()

    def execute(self, q, timeout=120):
        return self.session.execute(q, timeout=timeout)

    def release_version(self):
        return self.execute("SELECT release_version FROM system.local").one()[0]

    def setup(self):
        # What the connector itself creates for an append stream in a new keyspace.
        self.execute(f"CREATE KEYSPACE IF NOT EXISTS \"{KEYSPACE}\" WITH replication = "
                     "{'class': 'NetworkTopologyStrategy', 'datacenter1': 1}")
        self.execute(f"CREATE TABLE IF NOT EXISTS \"{KEYSPACE}\".\"{TABLE}\" (\"_airbyte_ab_id\" uuid PRIMARY KEY, "
                     "\"_airbyte_data\" text, \"_airbyte_emitted_at\" timestamp)")
        self.cluster.control_connection.wait_for_schema_agreement()

    def truncate(self):
        self.execute(f"TRUNCATE \"{KEYSPACE}\".\"{TABLE}\"", timeout=120)

    def count(self):
        try:
            return self.execute(f"SELECT COUNT(*) FROM \"{KEYSPACE}\".\"{TABLE}\"", timeout=300).one()[0]
        except Exception as e:  # a server-side timeout on a big table: count page by page instead
            log(f"COUNT(*) failed ({type(e).__name__}); counting by paging")
            from cassandra.query import SimpleStatement
            st = SimpleStatement(f"SELECT \"_airbyte_ab_id\" FROM \"{KEYSPACE}\".\"{TABLE}\"", fetch_size=5000)
            return sum(1 for _ in self.session.execute(st, timeout=300))

    def rows(self):
        from cassandra.query import SimpleStatement
        st = SimpleStatement(f"SELECT \"_airbyte_data\", \"_airbyte_emitted_at\" FROM \"{KEYSPACE}\".\"{TABLE}\"",
                             fetch_size=5000)
        out = []
        for data, emitted in self.session.execute(st, timeout=300):
            ms = int((emitted.replace(tzinfo=dt.timezone.utc) - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc))
                     / dt.timedelta(milliseconds=1))
            out.append((data, ms))
        return out

    def drop(self):
        self.execute(f"DROP KEYSPACE IF EXISTS \"{KEYSPACE}\"", timeout=120)

    def close(self):
        self.cluster.shutdown()


# ---------------------------------------------------------------- input

def input_files(records):
    d = OUT / "data"
    d.mkdir(parents=True, exist_ok=True)
    messages, catalog = d / f"users-{records}.jsonl", d / f"users-{records}.catalog.json"
    if not messages.exists() or not catalog.exists():
        log(f"generating {records} records into {messages}")
        tmp = messages.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            subprocess.run([sys.executable, str(ROOT / "tools/gen-records"), "--count", str(records), "--streams", "users",
                            "--state-every", "1000", "--catalog", str(catalog)], stdout=f, check=True)
        tmp.rename(messages)
    return messages, catalog


def record_stats(path):
    """(RECORD lines, their bytes) of an input file."""
    lines = size = 0
    with open(path, "rb") as f:
        for line in f:
            if line.startswith(b'{"type":"RECORD"'):
                lines += 1
                size += len(line)
    return lines, size


def expected_rows(messages):
    rows = []
    with open(messages, encoding="utf-8") as f:
        for line in f:
            m = json.loads(line)
            if m.get("type") == "RECORD":
                r = m["record"]
                rows.append((json.dumps(r["data"], ensure_ascii=False, separators=(",", ":")), int(r["emitted_at"])))
    return rows


# ---------------------------------------------------------------- one run

def command(contender, window, ctx):
    cql = ctx["cql"]
    common = ["--hosts", cql["CQL_HOSTS"], "--port", cql["CQL_PORT"], "--user", cql.get("CQL_USER", ""),
              "--password", cql.get("CQL_PASSWORD", ""), "--keyspace", KEYSPACE, "--table", TABLE,
              "--window", str(window), "--input", str(ctx["messages"])]
    if contender in ("ours", "ours-v4"):
        # ours-v4: the same connector with the protocol pinned to v4 (issue 17: v5's segments and
        # checksums must not cost more than 5 % client CPU per row).
        cfg = ctx["work"] / f"config-{contender}-{window}.json"
        cfg.write_text(json.dumps({
            "keyspace": KEYSPACE, "address": cql["CQL_HOSTS"], "port": int(cql["CQL_PORT"]),
            "username": cql.get("CQL_USER", ""), "password": cql.get("CQL_PASSWORD", ""),
            "max_in_flight": window, "compression": "none", "consistency": "LOCAL_QUORUM",
            "protocol_version": 4 if contender == "ours-v4" else 5}))
        return [str(ctx["ours_bin"]), "write", "--config", str(cfg), "--catalog", str(ctx["catalog"])], ctx["messages"]
    if contender == "java":
        cp = f"{JAVA_JAR}:{JAVA_OUT / 'lib'}/*"
        return ["java", "-cp", cp, "bench.JavaDriverBench", *common], None
    if contender == "rust":
        return [str(RUST_BIN), *common], None
    if contender == "python":
        return [str(VENV_PY), str(PY_SCRIPT), *common], None
    raise ValueError(contender)


def check_ours_output(path, records, res):
    """The connector's stdout: its last STATE must cover every record; no TRACE ERROR. Its closing
    LOG line ("done: N records written in S s (R records/s, ...") gives the write phase's time."""
    last_state, error = None, None
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                m = json.loads(line)
            except ValueError:
                return f"not an Airbyte message on stdout: {line[:200]!r}"
            if m.get("type") == "STATE":
                last_state = m["state"]
            elif m.get("type") == "LOG":
                d = re.match(r"done: (\d+) records written in [\d.]+ s \((\d+) records/s", m["log"].get("message", ""))
                if d and int(d.group(2)) > 0:
                    res["reported"] = {"rows": int(d.group(1)), "insert_s": round(int(d.group(1)) / int(d.group(2)), 3)}
            elif m.get("type") == "TRACE" and m.get("trace", {}).get("type") == "ERROR":
                error = m["trace"]["error"].get("message")
    if error:
        return f"TRACE ERROR: {error}"
    pos = (last_state or {}).get("global", {}).get("shared_state", {}).get("position")
    if pos != records:
        return f"the last STATE covers position {pos}, not {records}"
    return None


def run_measured(cmd, stdin_path, out_path, err_path, time_path, timeout):
    """Runs cmd (under GNU time when there is one) in a session of its own, killed past timeout
    seconds. Returns (exit, wall s, user s, sys s, peak RSS KB or None, how it was measured, killed)."""
    use_time = os.access(GNU_TIME, os.X_OK)
    if use_time:
        cmd = [GNU_TIME, "-f", "%e %U %S %M", "-o", str(time_path), *cmd]
    with open(out_path, "wb") as out, open(err_path, "wb") as err, \
            (open(stdin_path, "rb") if stdin_path else open(os.devnull, "rb")) as stdin:
        t0 = time.monotonic()
        p = subprocess.Popen(cmd, stdin=stdin, stdout=out, stderr=err, cwd=ROOT, start_new_session=True)
        killed = []

        def kill():
            killed.append(1)
            try:
                os.killpg(p.pid, 9)  # GNU time and the program: they are this run's own session
            except ProcessLookupError:
                pass
        timer = threading.Timer(timeout, kill)
        timer.start()
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.monotonic() - t0
        timer.cancel()
    # CPU from wait4 (microseconds; GNU time's own, a few ms, included: it reports its waited-for
    # child's too), which GNU time would round to 10 ms; the peak RSS from GNU time (see GNU_TIME).
    user_s, sys_s, maxrss_kb = ru.ru_utime, ru.ru_stime, ru.ru_maxrss
    if use_time:
        try:  # the last line; a first "Command exited with non-zero status N" may precede it
            maxrss_kb = int(time_path.read_text().strip().splitlines()[-1].split()[3])
        except (OSError, ValueError, IndexError):
            maxrss_kb = None
    measured_by = "wait4 (CPU), GNU time (RSS)" if use_time else "wait4 (RSS floored by the harness's)"
    return os.waitstatus_to_exitcode(status), wall, user_s, sys_s, maxrss_kb, measured_by, bool(killed)


def run_one(contender, window, rnd, ctx):
    db, records, args = ctx["db"], ctx["records"], ctx["args"]
    tag = f"{contender}-w{window}-r{rnd}"
    res = {"round": rnd, "contender": contender, "window": window, "ok": False, "error": None}
    db.truncate()
    time.sleep(args.settle)
    cmd, stdin_path = command(contender, window, ctx)
    out_path, err_path = ctx["work"] / f"{tag}.out", ctx["work"] / f"{tag}.err"
    time_path = ctx["work"] / f"{tag}.time"
    spid = ctx["server_pid"]
    s0, m0 = proc_cpu(spid), machine_cpu()
    exit_code, wall, user_s, sys_s, maxrss_kb, measured_by, killed = run_measured(
        cmd, stdin_path, out_path, err_path, time_path, ctx["timeout"])
    s1, m1 = proc_cpu(spid), machine_cpu()
    client_cpu = user_s + sys_s
    res.update({
        "exit": exit_code, "wall_s": round(wall, 3),
        "client_user_s": round(user_s, 3), "client_sys_s": round(sys_s, 3),
        "client_cpu_s": round(client_cpu, 3),
        "peak_rss_mb": round(maxrss_kb / 1024, 1) if maxrss_kb is not None else None,
        "measured_by": measured_by,
        "server_cpu_s": round(s1 - s0, 2) if s0 is not None and s1 is not None else None,
        "machine_cpu_s": round(m1 - m0, 2),
    })
    if res["server_cpu_s"] is not None:
        res["other_cpu_s"] = round(max(0.0, res["machine_cpu_s"] - client_cpu - res["server_cpu_s"]), 2)
        res["other_load_pct"] = round(100 * res["other_cpu_s"] / (wall * (os.cpu_count() or 1)), 1)
    stderr_tail = err_path.read_text(errors="replace")[-1500:]
    if killed:
        res["error"] = f"timed out after {ctx['timeout']} s"
    elif s1 is None:
        res["error"] = "the Cassandra process went away during the run"
    elif exit_code != 0:
        res["error"] = f"exit {exit_code}: {stderr_tail.strip()[-600:] or out_path.read_text(errors='replace')[-600:]}"
    elif contender in ("ours", "ours-v4"):
        res["error"] = check_ours_output(out_path, records, res)
    else:
        try:
            res["reported"] = json.loads(out_path.read_text().strip().splitlines()[-1])
            if res["reported"].get("rows") != records:
                res["error"] = f"reported {res['reported'].get('rows')} rows, expected {records}"
        except (ValueError, IndexError):
            res["error"] = f"no result line on stdout; stderr: {stderr_tail[-600:]}"
    if res["error"] is None:
        try:
            n = db.count()
            res["rows"] = n
            if n != records:
                res["error"] = f"{n} rows in the table, expected {records}"
            elif ctx["expected"] is not None:
                got = sorted(db.rows())
                if got != ctx["expected"]:
                    bad = next((g, e) for g, e in zip(got, ctx["expected"]) if g != e)
                    res["error"] = f"rows differ from the input, e.g. got {bad[0]!r:.200} expected {bad[1]!r:.200}"
        except Exception as e:  # noqa: BLE001 (reported, the run goes on)
            res["error"] = f"checking the table failed: {type(e).__name__}: {e}"
    if res["error"] is None:
        res["ok"] = True
        mrows = records / 1e6
        res["rows_per_s"] = round(records / wall, 1)
        res["client_cpu_s_per_mrows"] = round(client_cpu / mrows, 2)
        if res["server_cpu_s"] is not None:
            res["server_cpu_s_per_mrows"] = round(res["server_cpu_s"] / mrows, 2)
        ins = (res.get("reported") or {}).get("insert_s")
        if ins:
            res["insert_rows_per_s"] = round(records / ins, 1)
    return res


# ---------------------------------------------------------------- summary and reports

METRICS = ["wall_s", "rows_per_s", "insert_rows_per_s", "client_cpu_s_per_mrows", "peak_rss_mb", "server_cpu_s_per_mrows",
           "other_cpu_s", "other_load_pct"]


def paired_ratio(runs, c, w, key):
    """Median over rounds of (c's figure / ours's figure) at window w in the same round: robust to load
    that drifts from round to round, since alternated neighbours see about the same machine."""
    ours = {r["round"]: r.get(key) for r in runs if r["contender"] == "ours" and r["window"] == w and r["ok"]}
    vals = [r[key] / ours[r["round"]] for r in runs if r["contender"] == c and r["window"] == w and r["ok"]
            and r.get(key) is not None and ours.get(r["round"])]
    return round(statistics.median(vals), 3) if vals else None


def ours_over_by_round(runs, c, w, key):
    """{round: ours's figure / c's figure} at window w, both from the same round (issue 18 states its
    goals as ours over the contender: rows/s >= 1.2, client CPU per row <= 0.6)."""
    fig = {(r["contender"], r["round"]): r[key] for r in runs
           if r["ok"] and r["window"] == w and r["contender"] in ("ours", c) and r.get(key)}
    return {rnd: round(fig[("ours", rnd)] / v, 3) for (cc, rnd), v in fig.items() if cc == c and ("ours", rnd) in fig}


def summarize(runs, contenders, windows):
    for r in runs:  # results of older harness versions lack it
        if r.get("other_cpu_s") is not None and r.get("wall_s") and "other_load_pct" not in r:
            r["other_load_pct"] = round(100 * r["other_cpu_s"] / (r["wall_s"] * (os.cpu_count() or 1)), 1)
    summary = {}
    for c in contenders:
        per_w = {}
        for w in windows:
            rs = [r for r in runs if r["contender"] == c and r["window"] == w]
            ok = [r for r in rs if r["ok"]]
            s = {"runs": len(rs), "ok": len(ok)}
            for k in METRICS:
                vals = [r[k] for r in ok if r.get(k) is not None]
                if vals:
                    s[k] = round(statistics.median(vals), 2)
                    s[k + "_min"], s[k + "_max"] = min(vals), max(vals)
            for k in ("rows_per_s", "client_cpu_s_per_mrows", "peak_rss_mb"):
                s[k + "_paired_vs_ours"] = paired_ratio(runs, c, w, k)
            if c != "ours":
                for k in ("rows_per_s", "client_cpu_s_per_mrows"):
                    by = ours_over_by_round(runs, c, w, k)
                    s[k + "_ours_over_by_round"] = {str(rnd): v for rnd, v in sorted(by.items())}
                    s[k + "_ours_over"] = round(statistics.median(by.values()), 3) if by else None
            per_w[str(w)] = s
        best = max((w for w in per_w if "rows_per_s" in per_w[w]), key=lambda w: per_w[w]["rows_per_s"], default=None)
        summary[c] = {"windows": per_w, "best_window": int(best) if best else None,
                      "best": per_w[best] if best else None}
    return summary


def ratio(a, b):
    return f"{a / b:.2f}×" if a is not None and b else "–"


def pratio(v):
    return f"{v:.2f}×" if v is not None else "–"


def fmt(v, nd=1):
    if v is None:
        return "–"
    if isinstance(v, (int, float)) and (v >= 1000 or nd == 0):
        return f"{v:,.0f}"
    return f"{v:.{nd}f}" if isinstance(v, float) else str(v)


def by_round(runs):
    out = {}
    for r in runs:
        if r.get("other_load_pct") is not None:
            out.setdefault(r["round"], []).append(r["other_load_pct"])
    return out


def markdown(result):
    meta, summary = result["meta"], result["summary"]
    contenders = [c for c in CONTENDERS if c in summary]
    ours = (summary.get("ours") or {}).get("best") or {}
    L = []
    L.append("# Ingest benchmark")
    L.append("")
    L.append("Generated by `tools/bench` (issue 7); the raw figures of every run are in `.cache/bench/result.json`.")
    L.append(f"Run of {meta['date']} at commit `{meta['commit']}`: {meta['records']:,} `users` records "
             f"({meta['input_mb']:.0f} MB of RECORD lines, {meta['bytes_per_record']:.0f} B each, a STATE every 1000), "
             f"{meta['rounds']} round{'s' if meta['rounds'] != 1 else ''} alternated over the contenders, windows {', '.join(map(str, meta['windows']))}.")
    if meta.get("command"):
        L.append("Reproduce with:")
        L.append("")
        L.append("```sh")
        L.append(meta["command"])
        L.append("```")
    L.append("")
    if "orders" in meta:
        L.append(f"Order: before the measured rounds, {meta.get('warmup', 0)} warm-up run(s) of every contender at window "
                 f"{meta['windows'][-1]} (not counted: a node's first run is several times slower); then in each round, "
                 "for each window, every contender once, the order rotated every round (round r starts at contender "
                 "r-1 mod n): " + "; ".join(f"round {k}: {', '.join(v)}" for k, v in meta["orders"].items()) + ". "
                 + ("The node was already running and shared with other sessions; it was not restarted."
                    if not meta.get("node_started_here") else "The node was started for this run."))
        L.append("")
        L.append("**The machine was shared with other work during this run**: read the paired ratios (same round, same "
                 "window, run back to back) rather than the absolute figures.")
        L.append("")
    L.append("Every contender reads the same file, parses every line's JSON, makes a random uuid per record and "
             "inserts `(uuid, data as compact JSON, emitted_at)` with one prepared INSERT at LOCAL_QUORUM, no "
             "compression, one connection, into the same table (RF 1, one local Cassandra "
             f"{meta['cassandra']} node), truncated before each run. Wall time is the whole process (start-up, "
             "connect, prepare, read, insert, exit); CPU and peak RSS are the client process's own (wait4), server "
             "CPU is the Cassandra JVM's during the run.")
    L.append("")
    L.append("## Each at its best window (medians)")
    L.append("")
    L.append("| contender | window | rows/s | × ours | × ours, paired | wall s | write-phase rows/s | client CPU s / M rows | × ours | peak RSS MB | × ours | server CPU s / M rows | other load | runs ok |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in contenders:
        s = summary[c]
        b = s["best"]
        if not b:
            L.append(f"| {LABELS[c]} | – | failed | | | | | | | | | | | 0 |")
            continue
        spread = f" ({fmt(b['rows_per_s_min'], 0)}–{fmt(b['rows_per_s_max'], 0)})" if b["ok"] > 1 else ""
        L.append(f"| {LABELS[c]} | {s['best_window']} | {fmt(b['rows_per_s'], 0)}{spread} | "
                 f"{ratio(b['rows_per_s'], ours.get('rows_per_s'))} | {pratio(b.get('rows_per_s_paired_vs_ours'))} | "
                 f"{fmt(b['wall_s'], 2)} | "
                 f"{fmt(b.get('insert_rows_per_s'), 0)} | {fmt(b.get('client_cpu_s_per_mrows'))} | {ratio(b.get('client_cpu_s_per_mrows'), ours.get('client_cpu_s_per_mrows'))} | "
                 f"{fmt(b.get('peak_rss_mb'))} | {ratio(b.get('peak_rss_mb'), ours.get('peak_rss_mb'))} | "
                 f"{fmt(b.get('server_cpu_s_per_mrows'))} | {fmt(b.get('other_load_pct'), 0)} % | {b['ok']}/{b['runs']} |")
    L.append("")
    L.append("rows/s is records / wall time of the whole process, the median and, in brackets, the slowest and "
             "fastest round; the best window is the one with the highest median. “× ours” divides the contender's "
             "figure by ours (each at its best window): above 1 is faster for rows/s, costlier for CPU and RSS; "
             "“paired” is the median over rounds of the contender's rows/s over ours in the same round at the same "
             "window, which load drifting between rounds disturbs less. “write-phase rows/s” is the "
             "program's own timing from the first line read to the last answer (JVM start-up, connecting, preparing "
             "and shutting down excluded; ours: the rate of its closing LOG line, whose clock starts before it "
             "connects, so ours includes connecting and its table checks there).")
    L.append("")
    paired_rows = [(c, w, s) for c in contenders if c != "ours" for w, s in summary[c]["windows"].items()
                   if s.get("rows_per_s_ours_over_by_round")]
    if paired_rows:
        L.append("## Ours over each contender, paired by round")
        L.append("")
        L.append("| contender | window | ours rows/s ÷ theirs, median | by round | ours client CPU/row ÷ theirs, median | by round |")
        L.append("|---|---:|---:|---|---:|---|")
        for c, w, s in paired_rows:
            by_r = ", ".join(f"r{k} {v:.2f}" for k, v in s["rows_per_s_ours_over_by_round"].items())
            by_c = ", ".join(f"r{k} {v:.2f}" for k, v in s.get("client_cpu_s_per_mrows_ours_over_by_round", {}).items())
            L.append(f"| {c} | {w} | {pratio(s.get('rows_per_s_ours_over'))} | {by_r} | "
                     f"{pratio(s.get('client_cpu_s_per_mrows_ours_over'))} | {by_c} |")
        L.append("")
        L.append("Each ratio divides ours by the contender's figure from the same round at the same window (issue 18's "
                 "goals: rows/s ≥ 1.2×, client CPU per row ≤ 0.6× against the Rust driver). The ours-v4 row is the "
                 "same connector pinned to protocol v4: its CPU ratio is what v5 costs over v4 (issue 17's goal: ≤ 1.05×).")
        L.append("")
    L.append("## Every window (medians)")
    L.append("")
    L.append("| contender | window | rows/s | rows/s × ours, paired | write-phase rows/s | wall s | client CPU s / M rows | peak RSS MB | server CPU s / M rows | other load | runs ok |")
    L.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c in contenders:
        for w, s in summary[c]["windows"].items():
            L.append(f"| {c} | {w} | {fmt(s.get('rows_per_s'), 0)} | {pratio(s.get('rows_per_s_paired_vs_ours'))} | "
                     f"{fmt(s.get('insert_rows_per_s'), 0)} | {fmt(s.get('wall_s'), 2)} | "
                     f"{fmt(s.get('client_cpu_s_per_mrows'))} | {fmt(s.get('peak_rss_mb'))} | "
                     f"{fmt(s.get('server_cpu_s_per_mrows'))} | {fmt(s.get('other_load_pct'), 0)} % | {s['ok']}/{s['runs']} |")
    L.append("")
    L.append("“other load” is the machine's busy CPU during the run less the client's and the server's, as a share "
             "of all its cores over the run's wall time: work of other programs, i.e. noise (median of the runs). "
             "Server CPU per M rows grows with a run's length too (the node's background work), so slow contenders "
             "pay some server CPU that is not theirs.")
    failed = [r for r in result["runs"] if not r["ok"]]
    if failed:
        L.append("")
        L.append("## Failed runs")
        L.append("")
        for r in failed:
            L.append(f"- {r['contender']} window {r['window']} round {r['round']}: {r['error']}")
    L.append("")
    L.append("![rows/s, client CPU, peak RSS and server CPU per contender and window](BENCHMARKS.png)")
    L.append("")
    L.append("## Setup")
    L.append("")
    L.append(f"- Machine: {meta['machine']}, {meta['cores']} cores, load average {meta['loadavg_before']} before "
             "the run. The machine was shared with other work; client and server share its cores. Other load by "
             "round (median of its runs): " + ", ".join(
                 f"round {k} {statistics.median(v):.0f} %" for k, v in sorted(by_round(result['runs']).items())) + ".")
    L.append(f"- Ours: `{meta['ours_binary']}` ({meta['ours_build']}).")
    L.append(f"- java: {meta['versions'].get('java')}; rust: {meta['versions'].get('rust')}; "
             f"python: {meta['versions'].get('python')}.")
    L.append("- JSON: ours re-serializes `data` compactly in its one SAX pass, numbers exactly as written; rust keeps it as a `serde_json` RawValue (parsed and "
             "validated, not re-serialized); java re-serializes Jackson's tree (as the original connector did); python "
             "re-serializes with `json.dumps`. All store the same text (checked by `tools/bench --smoke`).")
    L.append("- uuid: ours its own generator; java `UUID.randomUUID()`; rust `Uuid::new_v4()` (fast-rng); python `uuid.uuid4()`.")
    L.append("")
    L.append("## Running it")
    L.append("")
    L.append("```sh")
    L.append("tools/bench                                   # 1M records, 3 rounds, windows 64,256,1024 (builds first)")
    L.append("tools/bench --records 200000 --rounds 3       # smaller")
    L.append("tools/bench --smoke                           # 2000 records, 1 round, what is built; for the test command")
    L.append("tools/bench --all --records 200000            # this, then --null-sink, then --scaling: every table and chart")
    L.append("tools/bench --null-sink --formats raw,typed   # typed against raw tables, side by side (docs/BENCHMARKS-typed.md)")
    L.append("tools/bench --no-start --keyspace bench_$USER --contenders ours,rust   # on a node others use: never started or restarted")
    L.append("```")
    L.append("")
    L.append("The connector alone against a null CQL sink: [BENCHMARKS-ceiling.md](BENCHMARKS-ceiling.md) "
             "(`tools/bench --null-sink`); rows/s against window and record size, and memory against input length: "
             "[BENCHMARKS-scaling.md](BENCHMARKS-scaling.md) (`tools/bench --scaling`); typed against raw tables: "
             "[BENCHMARKS-typed.md](BENCHMARKS-typed.md) (`tools/bench --null-sink --formats raw,typed,raw-dedup,typed-dedup`).")
    L.append("")
    L.append("`tools/bench --help` lists the options. It reuses a live single Cassandra node (the test node in "
             "`.cache/test-run`, the demo node, or its own in `.cache/bench-run`), else starts one in `.cache/bench-run`. "
             "A warm-up run of every contender comes first (`--warmup N`, default 1, not counted), then the rounds, "
             "the order rotated every round.")
    L.append("")
    return "\n".join(L)


def ensure_matplotlib():
    try:
        import matplotlib  # noqa: F401
        return True
    except ImportError:
        pass
    log("installing matplotlib into .cache/venv")
    lock = CACHE / "venv.lock"
    done = subprocess.run(["flock", str(lock), sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                           "--no-input", "matplotlib==3.10.9"])
    if done.returncode != 0:
        return False
    import importlib
    importlib.invalidate_caches()
    try:
        import matplotlib  # noqa: F401,F811
        return True
    except ImportError:
        return False


def chart(result, path):
    if not ensure_matplotlib():
        log("no matplotlib: no chart")
        return False
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    summary, windows = result["summary"], result["meta"]["windows"]
    contenders = [c for c in CONTENDERS if c in summary]
    panels = [("rows_per_s", "rows/s, whole process (median, min-max)"),
              ("client_cpu_s_per_mrows", "client CPU s per M rows (lower is better)"),
              ("peak_rss_mb", "client peak RSS MB (lower is better)"),
              ("server_cpu_s_per_mrows", "server CPU s per M rows (lower is better)")]
    fig, axes = plt.subplots(1, len(panels), figsize=(19, 5))
    width = 0.8 / max(1, len(windows))
    colors = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860"]
    for ax, (key, title) in zip(axes, panels):
        for i, w in enumerate(windows):
            xs, ys, lo, hi = [], [], [], []
            for j, c in enumerate(contenders):
                s = summary[c]["windows"].get(str(w), {})
                if key in s:
                    xs.append(j + (i - (len(windows) - 1) / 2) * width)
                    ys.append(s[key])
                    lo.append(s[key] - s[key + "_min"])
                    hi.append(s[key + "_max"] - s[key])
            ax.bar(xs, ys, width, yerr=[lo, hi] if key == "rows_per_s" else None, capsize=2,
                   label=f"window {w}", color=colors[i % len(colors)])
        ax.set_xticks(range(len(contenders)))
        ax.set_xticklabels(contenders)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    m = result["meta"]
    fig.suptitle(f"Ingest of {m['records']:,} users records into one Cassandra {m['cassandra']} node, "
                 f"{m['rounds']} round(s) ({m['date'][:10]}, {m['cores']} cores, shared machine)", fontsize=11)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


def write_testlog(dirpath, runs, skipped):
    """A meson-like testlog.json + testlog.junit.xml, so tools/test-summary can count the smoke run."""
    dirpath.mkdir(parents=True, exist_ok=True)
    with open(dirpath / "testlog.json", "w") as f:
        for r in runs:
            f.write(json.dumps({"name": f"bench-smoke {r['contender']}", "result": "OK" if r["ok"] else "FAIL",
                                "duration": r.get("wall_s"), "stdout": r.get("error") or ""}) + "\n")
    cases = []
    for r in runs:
        body = "" if r["ok"] else f"<failure message={quoteattr(str(r['error'])[:500])}/>"
        cases.append(f'  <testcase classname="bench-smoke" name="{r["contender"]}" time="{r.get("wall_s") or 0}">{body}</testcase>')
    for c, why in skipped:
        cases.append(f'  <testcase classname="bench-smoke" name="{c}"><skipped message={quoteattr(why)}/></testcase>')
    failures = sum(1 for r in runs if not r["ok"])
    xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n<testsuite name="bench-smoke" '
           f'tests="{len(cases)}" failures="{failures}" skipped="{len(skipped)}">\n' + "\n".join(cases) +
           "\n</testsuite>\n</testsuites>\n")
    (dirpath / "testlog.junit.xml").write_text(xml)


# ---------------------------------------------------------------- main

def versions():
    v = {}
    try:
        lock = (ROOT / "bench/rust/Cargo.lock").read_text()
        m = re.search(r'name = "scylla"\nversion = "([^"]+)"', lock)
        rustc = subprocess.run(["rustc", "--version"], stdout=subprocess.PIPE, text=True).stdout.strip()
        v["rust"] = f"scylla {m.group(1) if m else '?'}, {rustc}"
    except OSError:
        pass
    try:
        pom = (ROOT / "bench/java/pom.xml").read_text()
        m = re.search(r"<java-driver.version>([^<]+)<", pom)
        jv = subprocess.run(["java", "-version"], stderr=subprocess.PIPE, text=True).stderr.splitlines()
        v["java"] = f"java-driver-core {m.group(1) if m else '?'}, {jv[0] if jv else 'java ?'}"
    except OSError:
        pass
    try:
        out = subprocess.run([str(VENV_PY), "-c", "import cassandra, sys; print(cassandra.__version__, sys.version.split()[0])"],
                             stdout=subprocess.PIPE, text=True).stdout.split()
        v["python"] = f"cassandra-driver {out[0]}, CPython {out[1]}" if len(out) == 2 else "?"
    except OSError:
        pass
    return v


def git_commit():
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, stdout=subprocess.PIPE, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True).stdout.strip()
        return rev + ("+dirty src" if dirty else "")
    except OSError:
        return "?"


def parse_args(argv):
    p = argparse.ArgumentParser(prog="tools/bench", description="Ingest benchmark (issue 7): ours against the "
                                "java-driver, the scylla Rust driver and the Python driver on one local Cassandra node.")
    p.add_argument("--records", "--count", type=int, default=None, help="records in the input (default 1000000; --smoke: 2000)")
    p.add_argument("--rounds", type=int, default=None, help="rounds, alternated over contenders (default 3; --smoke: 1)")
    p.add_argument("--windows", default=None, help="comma-separated in-flight windows (default 64,256,1024; --smoke: 256)")
    p.add_argument("--contenders", default=",".join(CONTENDERS), help="comma-separated subset of " + ",".join(CONTENDERS))
    p.add_argument("--smoke", action="store_true", help="tiny run of the harness for the test command: no builds, "
                   "what is built, rows compared with the input, results in .cache/bench/smoke")
    p.add_argument("--no-build", action="store_true", help="use what is built, build nothing")
    p.add_argument("--build-only", action="store_true", help="build the contenders and stop")
    p.add_argument("--jobs", type=int, default=2, help="parallel build jobs (default 2)")
    p.add_argument("--connector", help="our connector's binary (default build-bench/..., a release build)")
    p.add_argument("--settle", type=float, default=None, help="seconds of pause after each TRUNCATE (default 2; --smoke: 0.5)")
    p.add_argument("--timeout", type=float, default=None, help="seconds per run before it is killed (default 60 + records/400)")
    p.add_argument("--no-start", action="store_true", help="fail rather than start a node when none is live (an "
                   "already-running node is reused either way, never restarted)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up runs of every contender before the measured rounds, "
                   "not counted (default 1; --smoke: 0); on the node they run at the largest window")
    p.add_argument("--minimal-client", help="--null-sink: the minimal client's binary (default bench/minimal_client/"
                   "minimal-client beside the sink's build)")
    p.add_argument("--no-cores", action="store_true", help="--null-sink: skip the taskset 1-core vs 2-core runs")
    p.add_argument("--keyspace", default=KEYSPACE, help=f"the keyspace to create, use and drop (default {KEYSPACE}; "
                   "give a unique one on a node others use)")
    p.add_argument("--keep", action="store_true", help="keep the bench keyspace and the node this started")
    p.add_argument("--out", help="result directory (default .cache/bench, --smoke: .cache/bench/smoke)")
    p.add_argument("--no-docs", action="store_true", help="do not write docs/BENCHMARKS.md and .png")
    p.add_argument("--null-sink", action="store_true", help="our connector against tools/null-sink (answers every "
                   "request at once): the client's own ceiling; results in .cache/bench/null-sink (bench/null_sink.py)")
    p.add_argument("--sink", help="the null-sink binary (default build-bench/tools/null-sink/null-sink)")
    p.add_argument("--formats", help="--null-sink: instead of the ceiling contenders, the connector with these "
                   "table formats side by side (comma-separated: raw, typed, raw-dedup, typed-dedup); prints typed/raw "
                   "rows/s and CPU/row paired by round and writes docs/BENCHMARKS-typed.md (bench/null_sink.py)")
    p.add_argument("--scaling", action="store_true", help="our connector's scaling: rows/s against window (node and "
                   "null sink) and record size, peak RSS for 1M vs 10M records; writes docs/BENCHMARKS-scaling.md and "
                   ".png (bench/scaling.py); with --smoke, tiny")
    p.add_argument("--all", action="store_true", help="everything, one part after the other: the contenders, "
                   "then --null-sink, then --scaling (each writes its JSON result, its docs/BENCHMARKS*.md and chart)")
    p.add_argument("--scaling-windows", help="comma-separated windows of the window sweep (default 1,4,16,64,256,1024,4096)")
    p.add_argument("--scaling-records", type=int, help="records per run of the window sweep (default 50000)")
    p.add_argument("--report-only", metavar="RESULT_JSON", help="only rewrite docs/BENCHMARKS.md and .png from a result.json")
    a = p.parse_args(argv)
    a.records = a.records or (2000 if a.smoke else 1_000_000)
    a.rounds = a.rounds or (1 if a.smoke else 3)
    a.windows = [int(w) for w in (a.windows or ("256" if a.smoke else "64,256,1024")).split(",")]
    a.settle = a.settle if a.settle is not None else (0.5 if a.smoke else 2.0)
    a.warmup = a.warmup if a.warmup is not None else (0 if a.smoke else 1)
    a.timeout = a.timeout or (60 + a.records / 400)
    a.contenders = [c for c in a.contenders.split(",") if c]
    a.scaling_windows = [int(w) for w in a.scaling_windows.split(",")] if a.scaling_windows else None
    bad = [c for c in a.contenders if c not in CONTENDERS]
    if bad:
        p.error(f"unknown contenders {bad}")
    if any(w < 1 or w > 32768 for w in a.windows):
        p.error("windows must be 1..32768")
    return a


def write_docs(result, out_dir, to_docs):
    md = markdown(result)
    if to_docs:
        (ROOT / "docs" / "BENCHMARKS.md").write_text(md)
        log("wrote docs/BENCHMARKS.md")
        if chart(result, ROOT / "docs" / "BENCHMARKS.png"):
            shutil.copy(ROOT / "docs" / "BENCHMARKS.png", out_dir / "chart.png")
            log("wrote docs/BENCHMARKS.png")
    else:
        (out_dir / "BENCHMARKS.md").write_text(md)
        chart(result, out_dir / "chart.png")
    return md


def main(argv):
    global KEYSPACE
    args = parse_args(argv)
    KEYSPACE = args.keyspace
    if args.all and not args.smoke:
        common = ["--keyspace", args.keyspace] if args.keyspace != "bench" else []
        common += [f for f, on in (("--no-build", args.no_build), ("--no-start", args.no_start), ("--keep", args.keep),
                                  ("--no-docs", args.no_docs)) if on]
        common += ["--rounds", str(args.rounds), "--warmup", str(args.warmup)] + (
            ["--connector", args.connector] if args.connector else [])
        sized = ["--records", str(args.records), "--windows", ",".join(map(str, args.windows))]
        worst = 0
        for part in (sized + ["--contenders", ",".join(args.contenders)], ["--null-sink", *sized] +
                     (["--sink", args.sink] if args.sink else []) +
                     (["--minimal-client", args.minimal_client] if args.minimal_client else []) +
                     (["--no-cores"] if args.no_cores else []),
                     ["--scaling"] + (["--sink", args.sink] if args.sink else [])):
            log(f"--all: tools/bench {' '.join(part + common)}")
            worst = max(worst, main(part + common))
        return worst
    if args.null_sink:
        import null_sink
        return null_sink.main(sys.modules[__name__], args)
    if args.scaling:
        import scaling
        return scaling.main(sys.modules[__name__], args)
    if args.report_only:
        src = Path(args.report_only)
        result = json.loads(src.read_text())
        result["summary"] = summarize(result["runs"], result["meta"]["contenders"], result["meta"]["windows"])
        print(write_docs(result, src.parent, not args.no_docs).split("## Every window")[0])
        return 0
    t_start = time.monotonic()
    out_dir = Path(args.out) if args.out else (OUT / "smoke" if args.smoke else OUT)
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("testlog.json", "testlog.junit.xml"):
        (out_dir / stale).unlink(missing_ok=True)

    build_s = {}
    if not args.smoke and not args.no_build:
        for c in args.contenders:
            log(f"building {c}")
            try:
                build_s[c] = build(c, args.jobs)
            except Failure as e:
                log(f"build of {c} failed: {e}")
                build_s[c] = None
        if args.build_only:
            print(json.dumps({"build_s": build_s}))
            return 0 if all(v is not None for v in build_s.values()) else 1
    contenders, skipped = [], []
    for c in args.contenders:
        if is_built(c, args):
            contenders.append(c)
        else:
            skipped.append((c, "not built"))
            log(f"skipping {c}: not built")
    if not contenders:
        raise Failure("no contender is built (run tools/bench --build-only)")

    run_dir, server_pid, started = find_node(args)
    cql = cql_env(run_dir)
    messages, catalog = input_files(args.records)
    work = out_dir / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db = Db(cql)
    runs = []
    try:
        db.setup()
        record_lines, record_bytes = record_stats(messages)
        ours_bin = ours_binary(args)
        ours_build = "given with --connector" if args.connector else (
            "meson buildtype=release" if ours_bin == OURS_BIN else "build/ (debugoptimized, assertions on): build-bench/ was missing")
        meta = {
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "commit": git_commit(), "command": command_line(), "records": args.records, "rounds": args.rounds,
            "windows": args.windows, "warmup": args.warmup, "orders": {},
            "contenders": contenders, "skipped": [{"contender": c, "why": w} for c, w in skipped],
            "input": str(messages), "input_mb": record_bytes / 1e6, "bytes_per_record": record_bytes / max(1, record_lines),
            "cassandra": db.release_version(), "node_run_dir": str(run_dir), "node_started_here": started,
            "machine": f"{platform.system()} {platform.release()} {platform.machine()}", "cores": os.cpu_count(),
            "loadavg_before": " ".join(f"{x:.2f}" for x in os.getloadavg()),
            "ours_binary": str(ours_bin.relative_to(ROOT) if ours_bin.is_relative_to(ROOT) else ours_bin),
            "ours_build": ours_build, "versions": versions(), "build_s": build_s,
            "settings": {"consistency": "LOCAL_QUORUM", "compression": "none", "replication": 1,
                         "settle_s": args.settle, "timeout_s": args.timeout, "smoke": args.smoke},
        }
        ctx = {"db": db, "cql": cql, "records": args.records, "args": args, "messages": messages, "catalog": catalog,
               "work": work, "server_pid": server_pid, "ours_bin": ours_bin, "timeout": args.timeout,
               "expected": sorted(expected_rows(messages)) if args.smoke else None}
        for i in range(args.warmup):
            for c in contenders:  # not counted: a fresh node's first runs are several times slower
                r = run_one(c, args.windows[-1], 0, ctx)
                log(f"warm-up {i + 1} window {args.windows[-1]} {c} (not counted): " + (
                    f"{r['rows_per_s']:,.0f} rows/s" if r["ok"] else f"FAILED: {r['error']}"))
                if r["error"] and "went away" in r["error"]:
                    raise Failure("the Cassandra node is gone (stopped by its owner?): stopping the benchmark")
        total = args.rounds * len(args.windows) * len(contenders)
        for rnd in range(1, args.rounds + 1):
            order = rotated(contenders, rnd)
            meta["orders"][str(rnd)] = order
            for w in args.windows:
                for c in order:
                    r = run_one(c, w, rnd, ctx)
                    runs.append(r)
                    if r["ok"]:
                        log(f"[{len(runs)}/{total}] round {rnd} window {w} {c}: {r['rows_per_s']:,.0f} rows/s, "
                            f"{r['wall_s']:.2f} s, client CPU {r['client_cpu_s']:.2f} s, RSS {r['peak_rss_mb']} MB, "
                            f"server CPU {r['server_cpu_s']} s, other {r.get('other_cpu_s')} s")
                    else:
                        log(f"[{len(runs)}/{total}] round {rnd} window {w} {c}: FAILED: {r['error']}")
                    if r["error"] and "went away" in r["error"]:
                        raise Failure("the Cassandra node is gone (stopped by its owner?): stopping the benchmark")
    finally:
        try:
            if not args.keep:
                db.drop()
        except Exception as e:  # noqa: BLE001
            log(f"could not drop keyspace {KEYSPACE}: {e}")
        db.close()
        if started and not args.keep:
            subprocess.run([str(NODE_TOOL), "stop"], env=node_env(run_dir))

    meta["elapsed_s"] = round(time.monotonic() - t_start, 1)
    result = {"meta": meta, "summary": summarize(runs, contenders, args.windows), "runs": runs}
    (out_dir / "result.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    log(f"wrote {out_dir / 'result.json'}")
    failed = sum(1 for r in runs if not r["ok"])
    if args.smoke:
        write_testlog(out_dir, runs, skipped)
        for r in runs:
            state = "ok" if r["ok"] else f"FAILED: {r['error']}"
            print(f"bench-smoke {r['contender']:7s} {r.get('rows_per_s', 0):>10,.0f} rows/s  {state}")
        for c, why in skipped:
            print(f"bench-smoke {c:7s} skipped: {why}")
        print(f"bench-smoke: {len(runs) - failed} passed, {failed} failed" + (f", {len(skipped)} skipped" if skipped else ""))
    else:
        md = write_docs(result, out_dir, not args.no_docs)
        print(md.split("## Every window")[0])
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except Failure as e:
        log(str(e))
        a = parse_args(sys.argv[1:])
        if a.smoke:  # the test command counts this as one failed case, not as stale logs of a past run
            d = Path(a.out) if a.out else OUT / "smoke"
            write_testlog(d, [{"contender": "harness", "ok": False, "error": str(e)}], [])
            print("bench-smoke: 0 passed, 1 failed")
        sys.exit(1)
