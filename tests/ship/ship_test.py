#!/usr/bin/env python3
"""What ships: the connector image's rules, the staged install, and the client library.

  ship_test.py image SRC CONNECTOR       Dockerfile and metadata.yaml invariants (no server)
  ship_test.py stage SRC BUILD           tools/image-build into a staging dir; the staged binary's
                                         runtime libraries are what the image installs; spec, check
                                         and a short write from the staging dir, as a non-root user
  ship_test.py library SRC BUILD         the installed libcqlclient through pkg-config: an example
                                         built against it runs against the node
  ship_test.py subproject SRC            a meson project that takes the client with dependency()
                                         from this one as a subproject, built and run

stage, library and subproject need the node of tools/cassandra-local (its env: CQL_HOSTS, ...).
No Docker engine runs here: the image is checked by its Dockerfile and by running its install steps.
"""
import json
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

FAILURES = []


def check(cond, what):
    print(("ok    " if cond else "FAIL  ") + what, flush=True)
    if not cond:
        FAILURES.append(what)
    return cond


def clean_env(**extra):
    """The environment without LD_LIBRARY_PATH (meson test points it at the build tree's libraries):
    what runs here must find the installed ones."""
    env = {k: v for k, v in os.environ.items() if k != "LD_LIBRARY_PATH"}
    env.update(extra)
    return env


def run(cmd, timeout=300, **kw):
    kw.setdefault("env", clean_env())
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


# ---- Dockerfile -----------------------------------------------------------------------------------

def dockerfile_stages(text):
    """[(base, name, [(INSTRUCTION, args)])]: continuation lines joined, comments dropped."""
    logical, cur = [], ""
    for line in text.splitlines():
        if not cur and line.strip().startswith("#"):
            continue
        cur += line.rstrip("\\").strip() + " " if line.rstrip().endswith("\\") else line.strip()
        if not line.rstrip().endswith("\\"):
            if cur.strip():
                logical.append(cur.strip())
            cur = ""
    stages = []
    for entry in logical:
        instr, _, args = entry.partition(" ")
        instr = instr.upper()
        if instr == "FROM":
            parts = args.split()
            name = parts[2] if len(parts) >= 3 and parts[1].upper() == "AS" else None
            stages.append((parts[0], name, []))
        elif stages:
            stages[-1][2].append((instr, args.strip()))
    return stages


def kv_pairs(args):
    """KEY=VALUE pairs of ENV and LABEL, quotes removed."""
    return dict(tok.split("=", 1) for tok in shlex.split(args) if "=" in tok)


def apt_packages(instructions):
    pkgs = set()
    for instr, args in instructions:
        if instr == "RUN" and "apt-get install" in args:
            for part in args.split("&&"):
                if "apt-get install" in part:
                    pkgs |= {t for t in shlex.split(part.split("apt-get install", 1)[1]) if not t.startswith("-")}
    return pkgs


def meson_version(src):
    m = re.search(r"version\s*:\s*'([^']+)'", (src / "meson.build").read_text())
    return m.group(1) if m else None


def test_image(src, connector):
    stages = dockerfile_stages((src / "Dockerfile").read_text())
    check(len(stages) >= 2, "Dockerfile is multi-stage")
    build, final = stages[0], stages[-1]
    check(build[1] is not None, "the build stage is named")
    check(any(i == "RUN" and "tools/image-build" in a for i, a in build[2]),
          "the build stage runs tools/image-build (the install steps the stage test runs)")
    check(re.fullmatch(r"debian:(12|bookworm)-slim", final[0]) is not None, f"the runtime is a slim Debian 12 ({final[0]})")
    instr = final[2]
    copies = [a for i, a in instr if i == "COPY"]
    check(len(copies) == 1 and copies[0].startswith(f"--from={build[1]} ") and
          copies[0].split()[-2].endswith("/bin/destination-cassandra"),
          "the runtime copies only the binary from the build stage")
    users = [a for i, a in instr if i == "USER"]
    check(users and users[-1] not in ("root", "0") and users[-1].split(":")[0] == "airbyte", "the image runs as user airbyte")
    runs = " ".join(a for i, a in instr if i == "RUN")
    check(re.search(r"useradd\b[^&]*\bairbyte\b", runs) is not None, "the user airbyte is created")
    check(re.search(r"mkdir[^&]*\s/airbyte\b", runs) is not None and
          re.search(r"chown\s+(-R\s+)?airbyte(:airbyte)?\s+/airbyte\b", runs) is not None, "/airbyte exists and airbyte owns it")
    env = {}
    for i, a in instr:
        if i == "ENV":
            env.update(kv_pairs(a))
    entry = [a for i, a in instr if i == "ENTRYPOINT"]
    entry_argv = json.loads(entry[-1]) if entry and entry[-1].startswith("[") else None
    check(entry_argv is not None and entry_argv[0].startswith("/"), "ENTRYPOINT is exec form with an absolute path")
    check(entry_argv is not None and env.get("AIRBYTE_ENTRYPOINT") == " ".join(entry_argv),
          f"AIRBYTE_ENTRYPOINT ({env.get('AIRBYTE_ENTRYPOINT')}) equals ENTRYPOINT ({entry_argv})")
    labels = {}
    for i, a in instr:
        if i == "LABEL":
            labels.update(kv_pairs(a))

    meta = yaml.safe_load((src / "metadata.yaml").read_text())
    data = meta.get("data", {})
    check(meta.get("metadataSpecVersion") == "1.0", "metadataSpecVersion 1.0")
    for key, want in (("connectorType", "destination"), ("connectorSubtype", "database"), ("releaseStage", "alpha"),
                      ("supportLevel", "community"), ("supportsRefreshes", True)):
        check(data.get(key) == want, f"metadata {key} is {want!r} (got {data.get(key)!r})")
    for key in ("definitionId", "dockerRepository", "dockerImageTag", "name", "documentationUrl", "license"):
        check(bool(data.get(key)), f"metadata has {key}")
    check(re.fullmatch(r"[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}", str(data.get("definitionId"))) is not None,
          "definitionId is a UUID")
    version = meson_version(src)
    check(labels.get("io.airbyte.name") == data.get("dockerRepository"),
          f"label io.airbyte.name ({labels.get('io.airbyte.name')}) is the dockerRepository")
    check(labels.get("io.airbyte.version") == str(data.get("dockerImageTag")) == version,
          f"label io.airbyte.version, dockerImageTag and meson's version agree "
          f"({labels.get('io.airbyte.version')}, {data.get('dockerImageTag')}, {version})")

    spec = json.loads(run([connector, "spec"]).stdout.splitlines()[0])["spec"]
    check(spec.get("documentationUrl") == data.get("documentationUrl"), "spec and metadata name the same documentationUrl")
    modes = set(spec.get("supported_destination_sync_modes", []))
    check({"overwrite", "append", "append_dedup"} <= modes, f"spec supports the three sync modes ({sorted(modes)})")
    changelog = (src / "CHANGELOG.md").read_text() if (src / "CHANGELOG.md").exists() else ""
    check(re.search(rf"^## \[?{re.escape(version or '?')}\]?", changelog, re.M) is not None,
          f"CHANGELOG.md has an entry for {version}")
    return build, final


# ---- staged install --------------------------------------------------------------------------------

def package_of(path):
    """The Debian package owning a shared library (dpkg knows /usr/lib paths on a merged /usr)."""
    real = os.path.realpath(path)
    for candidate in {path, real, re.sub(r"^/lib", "/usr/lib", path), re.sub(r"^/lib", "/usr/lib", real)}:
        r = run(["dpkg", "-S", candidate])
        if r.returncode == 0:
            return r.stdout.split(":")[0].strip()
    return None


def env_node():
    host = os.environ.get("CQL_HOSTS", "127.0.0.1").split(",")[0]
    port = int(os.environ.get("CQL_PORT", "9042"))
    return host, port


class Role:
    """A role of this test's own, with a password nothing else uses: finding it in an output is a leak."""

    def __init__(self, build):
        self.cql = str(build / "tools" / "cql-query" / "cql-query")
        self.name = "ship_" + secrets.token_hex(4)
        self.password = "Ship-Secret-" + secrets.token_hex(8) + "-pw"

    def query(self, *statements):
        return run([self.cql, *statements], timeout=120)

    def __enter__(self):
        r = self.query(f"CREATE ROLE {self.name} WITH PASSWORD = '{self.password}' AND LOGIN = true AND SUPERUSER = true")
        if r.returncode != 0:
            raise SystemExit(f"cannot create a role: {r.stderr}")
        return self

    def __exit__(self, *exc):
        self.query(f"DROP ROLE IF EXISTS {self.name}")


def as_nobody():
    """Runs as a non-root user when we are root (the image runs as airbyte)."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        return []
    return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_stage(src, build):
    stage = Path(tempfile.mkdtemp(prefix="ship-stage-"))
    work = Path(tempfile.mkdtemp(prefix="ship-work-"))
    try:
        r = run([str(src / "tools" / "image-build"), str(stage), str(build)], timeout=900)
        if not check(r.returncode == 0, "tools/image-build installs into the staging dir"):
            print(r.stdout, r.stderr)
            return
        binary = stage / "usr/local/bin/destination-cassandra"
        check(binary.is_file() and os.access(binary, os.X_OK), "the staged binary is there")

        # The runtime stage must provide every shared library the binary links against.
        _, final = dockerfile_stages((src / "Dockerfile").read_text())[0], dockerfile_stages((src / "Dockerfile").read_text())[-1]
        provided = apt_packages(final[2]) | {"libc6", "libgcc-s1"}  # libc6 and libgcc-s1 are in every Debian image
        for line in run(["ldd", str(binary)]).stdout.splitlines():
            if "=>" not in line:
                continue  # the vDSO and the dynamic loader (libc6)
            m = re.search(r"=>\s+(\S+)", line)
            if not check(m is not None and "not found" not in line, f"ldd resolves {line.strip()}"):
                continue
            if "libcqlclient" in m.group(1):
                check(False, "the connector does not need libcqlclient.so (the runtime image has only the binary)")
                continue
            pkg = package_of(m.group(1))
            check(pkg is not None and pkg.split(":")[0] in provided,
                  f"{Path(m.group(1)).name} comes from {pkg}, which the runtime stage installs")

        os.chmod(stage, 0o755)
        os.chmod(work, 0o755)
        user = as_nobody()
        spec = run(user + [str(binary), "spec"], cwd=work)
        check(spec.returncode == 0 and json.loads(spec.stdout.splitlines()[0])["type"] == "SPEC", "staged spec prints a SPEC")

        host, port = env_node()
        with Role(build) as role:
            keyspace = "ship_" + secrets.token_hex(4)
            config = {"keyspace": keyspace, "username": role.name, "password": role.password, "address": host, "port": port}
            (work / "config.json").write_text(json.dumps(config))
            r = run(user + [str(binary), "check", "--config", "config.json"], cwd=work, timeout=120)
            statuses = [json.loads(l) for l in r.stdout.splitlines() if '"CONNECTION_STATUS"' in l]
            check(r.returncode == 0 and statuses and statuses[0]["connectionStatus"]["status"] == "SUCCEEDED",
                  "staged check succeeds against the node")
            gen = run([sys.executable, str(src / "tools" / "gen-records"), "--count", "300", "--streams", "users", "--state-every", "50",
                       "--catalog", str(work / "catalog.json")])
            (work / "messages.jsonl").write_text(gen.stdout)
            with open(work / "messages.jsonl") as stdin:
                w = subprocess.run(user + [str(binary), "write", "--config", "config.json", "--catalog", "catalog.json"],
                                   cwd=work, stdin=stdin, capture_output=True, text=True, timeout=300, env=clean_env())
            states = [l for l in w.stdout.splitlines() if '"type":"STATE"' in l.replace(" ", "")]
            check(w.returncode == 0, f"staged write exits 0 (got {w.returncode}: {w.stderr[-400:]})")
            check(len(states) == gen.stdout.count('"STATE"'), f"every STATE comes back ({len(states)})")
            count = role.query(f"SELECT COUNT(*) FROM {keyspace}.airbyte_raw_users")
            check(count.stdout.strip() == "300", f"the 300 records are in Cassandra (count: {count.stdout.strip()!r})")
            for out in (spec, r, w):
                check(role.password not in out.stdout + out.stderr, "the password is in no output")
            role.query(f"DROP KEYSPACE IF EXISTS {keyspace}")
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


# ---- the library -------------------------------------------------------------------------------------

def run_example(binary, what):
    host, port = env_node()
    r = run([str(binary), f"{host}:{port}", os.environ.get("CQL_USER", "cassandra"), os.environ.get("CQL_PASSWORD", "cassandra")],
            timeout=120)
    check(r.returncode == 0 and r.stdout.strip() == "answer = 42", f"{what} runs against the node ({r.stdout.strip()!r} {r.stderr.strip()[-300:]})")


def test_library(src, build):
    stage = Path(tempfile.mkdtemp(prefix="ship-lib-"))
    try:
        r = run(["meson", "install", "-C", str(build), "--destdir", str(stage), "--no-rebuild", "--quiet"], timeout=600)
        if not check(r.returncode == 0, "meson install into a staging dir"):
            print(r.stdout, r.stderr)
            return
        prefix = stage / "usr/local"
        pcs = list(prefix.glob("lib/**/pkgconfig/cqlclient.pc"))
        check(len(pcs) == 1, "cqlclient.pc is installed")
        libs = list(prefix.glob("lib/**/libcqlclient.so*"))
        check(any(p.name.startswith("libcqlclient.so.") for p in libs), "libcqlclient.so is installed with a version")
        for h in ("cql/session.hpp", "cql/blocking.hpp", "cql/statement.hpp", "cql/result.hpp", "cql/error.hpp", "cql/config.hpp"):
            check((prefix / "include/cqlclient" / h).is_file(), f"include/cqlclient/{h} is installed")
        check((prefix / "bin/destination-cassandra").is_file(), "the connector is installed")
        if not pcs:
            return
        env = clean_env(PKG_CONFIG_PATH=str(pcs[0].parent), PKG_CONFIG_SYSROOT_DIR=str(stage))
        flags = run(["pkg-config", "--cflags", "--libs", "cqlclient"], env=env)
        check(flags.returncode == 0 and "-lcqlclient" in flags.stdout, f"pkg-config knows cqlclient ({flags.stdout.strip()})")
        # Only the installed headers: nothing from the source tree is on the include path.
        out = stage / "cql_example"
        cc = run(["g++", "-std=c++20", "-O1", str(src / "examples" / "cql_example.cpp"), "-o", str(out),
                  *shlex.split(flags.stdout), f"-Wl,-rpath,{pcs[0].parent.parent}"], timeout=600)
        if check(cc.returncode == 0, "examples/cql_example.cpp builds against the installed library"):
            deps = run(["ldd", str(out)]).stdout
            check(str(stage) in deps and "libcqlclient.so" in deps, "the example links the installed libcqlclient.so")
            run_example(out, "the example built through pkg-config")
        else:
            print(cc.stderr[-3000:])
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def test_subproject(src):
    work = Path(tempfile.mkdtemp(prefix="ship-sub-"))
    try:
        (work / "subprojects").mkdir()
        os.symlink(src, work / "subprojects" / "destination-cassandra")
        shutil.copy(src / "examples" / "cql_example.cpp", work / "main.cpp")
        (work / "meson.build").write_text(
            "project('consumer', 'cpp', default_options : ['cpp_std=c++20'])\n"
            "cql = dependency('cqlclient', fallback : ['destination-cassandra'],\n"
            "  default_options : ['tests=false', 'server_tests=false', 'buildtype=plain'])\n"
            "executable('consumer', 'main.cpp', dependencies : cql)\n")
        setup = run(["meson", "setup", str(work / "b"), str(work), "--force-fallback-for=cqlclient", "-Dbuildtype=plain"],
                    timeout=300)
        if not check(setup.returncode == 0, "a meson project takes cqlclient from this one as a subproject"):
            print(setup.stdout[-3000:], setup.stderr[-3000:])
            return
        b = run(["ninja", "-C", str(work / "b"), "consumer"], timeout=1200)
        if check(b.returncode == 0, "the consumer builds"):
            run_example(work / "b" / "consumer", "the consumer")
        else:
            print(b.stdout[-3000:])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    what, src = sys.argv[1], Path(sys.argv[2]).resolve()
    if what == "image":
        test_image(src, sys.argv[3])
    elif what == "stage":
        test_stage(src, Path(sys.argv[3]).resolve())
    elif what == "library":
        test_library(src, Path(sys.argv[3]).resolve())
    elif what == "subproject":
        test_subproject(src)
    else:
        raise SystemExit(__doc__)
    print(f"{what}: {len(FAILURES)} failed" + ("".join(f"\n  {f}" for f in FAILURES)))
    sys.exit(1 if FAILURES else 0)


if __name__ == "__main__":
    main()
