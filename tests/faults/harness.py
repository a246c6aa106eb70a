"""The fault scenarios' harness: a role and keyspace of their own, generated input, the connector run
with a hard time bound while a fault thread acts on it, the fault proxy, and the invariant check.

Environment: CQL_HOSTS, CQL_PORT, CQL_USER, CQL_PASSWORD, CASSANDRA_RUN_DIR (eval "$(tools/cassandra-local
env)"); FAULTS_KEEP=1 keeps the work directory (it is kept anyway when a scenario fails).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import invariants

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "tools"


class Failure(Exception):
    pass


def log(msg: str) -> None:
    print(f"[faults {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def is_state(line: str) -> bool:
    try:
        return json.loads(line).get("type") == "STATE"
    except (ValueError, AttributeError):
        return False


def socket_peers(pid: int) -> list[tuple[str, int]]:
    """Remote (address, port) of the established TCP sockets of process pid (from /proc)."""
    try:
        inodes = {os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] for fd in os.listdir(f"/proc/{pid}/fd")}
    except OSError:
        return []
    inodes = {i for i in inodes if i.isdigit()}
    peers = []
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            f = line.split()
            if f[9] in inodes and f[3] == "01":  # ESTABLISHED
                addr, port = f[2].split(":")
                peers.append((addr, int(port, 16)))
    return peers


class ProxyControl:
    """A running tools/fault-proxy, steered over its unix control socket; its log file."""

    def __init__(self, ctl_path: Path, log_path: Path):
        self.ctl_path, self.log_path = ctl_path, log_path
        self.log_start = log_path.stat().st_size if log_path.exists() else 0

    def ctl(self, **cmd) -> dict:
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(10)
            s.connect(str(self.ctl_path))
            s.sendall((json.dumps(cmd) + "\n").encode())
            answer = json.loads(s.makefile().readline())
        if not answer.get("ok"):
            raise Failure(f"fault-proxy refused {cmd}: {answer}")
        return answer

    def lines(self, kind: str | None = None) -> list[str]:
        """The log lines written since this object was made (a cluster's proxies outlive a scenario)."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(self.log_start)
                text = f.read().decode(errors="replace")
        except OSError:
            text = ""
        return [ln for ln in text.splitlines() if kind is None or f" {kind} " in ln]


class Proxy(ProxyControl):
    """tools/fault-proxy on a free port of 127.0.0.1 in front of upstream, controlled over a unix socket."""

    def __init__(self, work: Path, upstream: str, *flags: str):
        super().__init__(work / "proxy.sock", work / "proxy.log")
        self.port = free_port()
        cmd = [sys.executable, str(TOOLS / "fault-proxy"), "--listen", f"127.0.0.1:{self.port}", "--upstream", upstream,
               "--control-unix", str(self.ctl_path), "--log", str(self.log_path), *flags]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stderr=open(work / "proxy.stderr", "wb"))
        deadline = time.monotonic() + 15
        while not self.ctl_path.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise Failure(f"fault-proxy did not start: {(work / 'proxy.stderr').read_text()[-2000:]}")
            time.sleep(0.05)
        log(f"fault-proxy on 127.0.0.1:{self.port} -> {upstream} {' '.join(flags)}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def clear_faults(proxies: list[ProxyControl]) -> None:
    """No fault left on any proxy: no plan, flip, stall or refusal, and no reset."""
    for proxy in proxies:
        proxy.ctl(cmd="clear")
        proxy.ctl(cmd="set", rst=False)


class Sync:
    """One connector run: what it printed, how it ended, and the fault thread's notes."""

    def __init__(self):
        self.stdout_lines: list[str] = []
        self.stderr = ""
        self.exit_status = None
        self.timed_out = False
        self.elapsed = 0.0
        self.states = 0
        self.state_times: list[float] = []  # time.monotonic() of each STATE line
        self.fed = 0  # input lines written to the connector's stdin
        self.cond = threading.Condition()
        self.proc = None
        self.notes: list[str] = []
        self.fault_error = None
        self.direct: set = set()

    @property
    def stdout(self) -> str:
        return "\n".join(self.stdout_lines)

    def running(self) -> bool:
        return self.proc.poll() is None

    def wait_states(self, n: int, timeout: float) -> None:
        """Waits until the connector emitted n STATEs; Failure if it ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while self.states < n:
                if self.exit_status is not None or not self.running():
                    raise Failure(f"the sync ended after {self.states} states, before the fault (at {n} states): "
                                  "the scenario tested nothing; give it more records")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure(f"no {n} states within {timeout} s (only {self.states})")
                self.cond.wait(min(left, 0.2))

    def wait_for(self, what: str, predicate, timeout: float) -> None:
        """Waits until predicate() holds while the connector runs; Failure if it ends or the time runs out first."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if not self.running():
                raise Failure(f"the sync ended before {what}: the scenario tested nothing; give it more records")
            if time.monotonic() > deadline:
                raise Failure(f"no {what} within {timeout} s")
            time.sleep(0.1)

    def note(self, msg: str) -> None:
        self.notes.append(msg)
        log(f"fault: {msg} (after {self.states} states)")

    def done_line(self) -> str:
        for line in reversed(self.stdout_lines):
            if '"message":"done:' in line or '"message": "done:' in line:
                return json.loads(line)["log"]["message"]
        return ""


class Harness:
    def __init__(self, name: str, connector: str):
        self.name, self.connector = name, connector
        token = secrets.token_hex(3)
        self.keyspace = f"faults_{name.replace('-', '_')}_{token}"
        self.role = f"faults_writer_{token}"
        self.password = f"Fault-Secret-{token}-{name}-pw"
        self.dir = Path(tempfile.mkdtemp(prefix=f"faults-{name}-"))
        self.hosts = os.environ.get("CQL_HOSTS", "127.0.0.1")
        self.port = int(os.environ.get("CQL_PORT", "9042"))
        self.failed = True
        self.proxy = None
        self.cleanups = []      # run before the keyspace and role are dropped
        self.after_drop = []    # run after
        self.cluster, self.session = invariants.connect()
        self.session.execute(f"CREATE ROLE IF NOT EXISTS {self.role} WITH PASSWORD = '{self.password}' "
                             "AND LOGIN = true AND SUPERUSER = true", timeout=60)
        log(f"scenario {name}: keyspace {self.keyspace}, role {self.role}, work dir {self.dir}")

    # ------------------------------------------------------------------------------ setup
    def cassandra_local(self, *args: str, timeout: float = 180) -> str:
        done = subprocess.run([sys.executable, str(TOOLS / "cassandra-local"), *args], capture_output=True, text=True,
                              timeout=timeout)
        if done.returncode != 0:
            raise Failure(f"tools/cassandra-local {' '.join(args)} failed ({done.returncode}): {done.stdout[-1500:]} {done.stderr[-1500:]}")
        return done.stdout

    def generate(self, count: int, state_every: int, streams: str = "users", mode: str = "append"):
        messages, catalog = self.dir / "messages.jsonl", self.dir / "catalog.json"
        with open(messages, "wb") as out:
            subprocess.run([sys.executable, str(TOOLS / "gen-records"), "--count", str(count), "--streams", streams,
                            "--state-every", str(state_every), "--mode", mode, "--catalog", str(catalog)],
                           stdout=out, check=True)
        return messages, catalog

    def config(self, via_proxy: bool = False, **fields) -> Path:
        cfg = {"keyspace": self.keyspace, "address": self.hosts, "port": self.port, "username": self.role,
               "password": self.password, "retry_window_seconds": 60}
        if via_proxy:
            # The proxy counts and flips CQL frames, which it cannot see inside v5 segments (it passes
            # those through raw): proxied scenarios speak v4 unless they ask for v5 (proxy-flip-v5).
            cfg.update(address="127.0.0.1", port=self.proxy.port, protocol_version=4)
        cfg.update(fields)
        path = self.dir / "config.json"
        path.write_text(json.dumps(cfg))
        return path

    def start_proxy(self, *flags: str) -> Proxy:
        upstream = f"{self.hosts.split(',')[0]}:{self.port}"
        self.proxy = Proxy(self.dir, upstream, *flags)
        return self.proxy

    def node_proxies(self) -> list[ProxyControl]:
        """The fault proxies of a cluster started with tools/cassandra-local start --proxied, one per node
        (node K's at $CASSANDRA_RUN_DIR/nodeK/proxy.sock); every fault on them is cleared at the end."""
        run_dir = Path(os.environ.get("CASSANDRA_RUN_DIR", ROOT / ".cache" / "run"))
        try:
            described = json.loads((run_dir / "cluster.json").read_text())
        except (OSError, ValueError):
            described = {}
        if not described.get("proxied") or described.get("nodes", 1) < 3:
            raise Failure(f"needs a proxied 3-node cluster (tools/cassandra-local start --nodes 3 --proxied); "
                          f"{run_dir}/cluster.json says {described}")
        proxies = [ProxyControl(run_dir / f"node{k}" / "proxy.sock", run_dir / f"node{k}" / "proxy.log")
                   for k in range(1, described["nodes"] + 1)]
        for proxy in proxies:
            proxy.ctl(cmd="stats")  # running and answering
        self.cleanups.append(lambda: clear_faults(proxies))
        return proxies

    def create_tables(self, config: Path, catalog: Path) -> None:
        """A sync of no records: the connector creates the keyspace and tables (the real sync reuses them)."""
        done = subprocess.run([self.connector, "write", "--config", str(config), "--catalog", str(catalog)],
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            raise Failure(f"the empty sync that creates the tables failed ({done.returncode}): {done.stdout[-1500:]}")

    # ------------------------------------------------------------------------------ the sync
    def sync(self, config: Path, catalog: Path, messages: Path, bound: float, during=None, rate: float | None = None,
             watch_direct: int | None = None) -> Sync:
        """Runs the connector (killed at bound seconds) while during(sync) injects faults in a thread.
        watch_direct: a port the connector must never be connected to (it must go through the proxy)."""
        s = Sync()
        cmd = [self.connector, "write", "--config", str(config), "--catalog", str(catalog)]
        began = time.monotonic()
        s.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        stop = threading.Event()

        def feed():
            try:
                with open(messages, "rb") as f:
                    sent, t0 = 0, time.monotonic()
                    for line in f:
                        s.proc.stdin.write(line)
                        sent += 1
                        s.fed = sent
                        if rate and sent % 50 == 0:
                            s.proc.stdin.flush()
                            ahead = sent / rate - (time.monotonic() - t0)
                            if ahead > 0:
                                time.sleep(ahead)
                            elif ahead < -0.2:  # the connector was not reading: no burst to catch up
                                t0 = time.monotonic() - sent / rate
                s.proc.stdin.close()
            except (BrokenPipeError, ValueError, OSError):
                pass

        def read_out():
            for raw in s.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                with s.cond:
                    s.stdout_lines.append(line)
                    if '"STATE"' in line and is_state(line):
                        s.states += 1
                        s.state_times.append(time.monotonic())
                    s.cond.notify_all()

        def read_err():
            s.stderr = s.proc.stderr.read().decode("utf-8", "replace")

        def watch():
            while not stop.is_set():
                for addr, port in socket_peers(s.proc.pid):
                    if port == watch_direct:
                        s.direct.add(f"{addr}:{port}")
                stop.wait(0.2)

        def fault():
            try:
                during(s)
            except BaseException as e:  # noqa: BLE001  (reported after the run)
                s.fault_error = e

        threads = [threading.Thread(target=t, daemon=True) for t in (feed, read_out, read_err)]
        if watch_direct:
            threads.append(threading.Thread(target=watch, daemon=True))
        fault_thread = threading.Thread(target=fault, daemon=True) if during else None
        for t in threads + ([fault_thread] if fault_thread else []):
            t.start()
        try:
            s.proc.wait(timeout=bound)
        except subprocess.TimeoutExpired:
            s.timed_out = True
            s.proc.kill()
            s.proc.wait()
        s.elapsed = time.monotonic() - began
        stop.set()
        for t in threads:
            t.join(30)
        with s.cond:
            s.exit_status = s.proc.returncode
            s.cond.notify_all()
        if fault_thread:
            fault_thread.join(240)
            if fault_thread.is_alive():
                raise Failure("the fault thread did not finish within 240 s after the sync")
        (self.dir / "stdout.txt").write_text(s.stdout)
        (self.dir / "stderr.txt").write_text(s.stderr)
        log(f"connector exit {s.exit_status}{' (killed at the time bound)' if s.timed_out else ''} after {s.elapsed:.1f} s, "
            f"{s.states} states; {s.done_line()[:300]}")
        if s.fault_error:
            raise Failure(f"injecting the fault failed: {s.fault_error}") from s.fault_error
        return s

    # ------------------------------------------------------------------------------ the check
    def read_tables(self, catalog: Path, consistency=None, patience: float = 90) -> dict:
        deadline = time.monotonic() + patience
        while True:
            try:
                return invariants.read_tables(self.session, self.keyspace, json.loads(catalog.read_text()), consistency)
            except Exception as e:  # noqa: BLE001  (a node still coming back)
                if time.monotonic() > deadline:
                    raise Failure(f"reading the tables back failed for {patience} s: {e}") from e
                log(f"reading the tables back: {type(e).__name__}: {str(e)[:200]}; retrying")
                time.sleep(3)

    def commitlog_window(self) -> float:
        """Seconds of acknowledged writes a crash of the node may lose: its periodic commitlog's sync
        period (the replay stops at the last sync marker), or 0 in batch and group modes."""
        settings = {r.name: r.value for r in self.session.execute(
            "SELECT name, value FROM system_views.settings WHERE name IN ('commitlog_sync', 'commitlog_sync_period')")}
        if settings.get("commitlog_sync") != "periodic":
            return 0.0
        period = settings.get("commitlog_sync_period", "10000ms")
        return float(period[:-2]) / 1000 if period.endswith("ms") else float(period.rstrip("s"))

    def check(self, s: Sync, messages: Path, catalog: Path, allowed, consistency=None, crash_window=None) -> invariants.Report:
        """crash_window: (from, to) in time.monotonic(): records whose STATE came out then may be lost."""
        tables = self.read_tables(catalog, consistency)
        inp = invariants.Input(str(messages))
        excusable = []
        if crash_window:
            within = [i for i, t in enumerate(s.state_times) if crash_window[0] <= t <= crash_window[1]]
            excusable = invariants.state_ranges(inp, within)
        rep = invariants.check(inp, s.stdout, s.stderr, s.exit_status, allowed, self.password, tables,
                               timed_out=s.timed_out, excusable=excusable)
        log(f"{self.name}: {rep.summary()} in {s.elapsed:.1f} s" + (f"; TRACE: {rep.trace_message}" if rep.trace_message else ""))
        if rep.excused:
            log(f"lost by the node's periodic commitlog (acknowledged less than its sync period before the kill, "
                f"not a connector fault): {len(rep.excused)} records, e.g. {rep.excused[:3]}")
        if s.direct:
            rep.fail(f"the connector connected to {sorted(s.direct)} directly, around the proxy")
        if rep.problems:
            raise Failure(f"{len(rep.problems)} invariant violations:\n  " + "\n  ".join(rep.problems[:20]))
        return rep

    def close(self):
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                log(f"cleanup failed: {e}")
        if self.proxy:
            self.proxy.stop()
        try:
            self.session.execute(f'DROP KEYSPACE IF EXISTS "{self.keyspace}"', timeout=120)
            self.session.execute(f"DROP ROLE IF EXISTS {self.role}", timeout=60)
        except Exception as e:  # noqa: BLE001
            log(f"dropping {self.keyspace} / {self.role} failed: {e}")
        self.cluster.shutdown()
        for fn in self.after_drop:
            try:
                fn()
            except Exception as e:  # noqa: BLE001
                log(f"cleanup failed: {e}")
                self.failed = True
        if self.failed or os.environ.get("FAULTS_KEEP") == "1":
            log(f"work directory kept: {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)
