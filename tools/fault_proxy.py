"""The engine of tools/fault-proxy (see its docstring for the faults, the flags and the control
commands): Proxy holds the plan and the open connections, Conn pumps one proxied connection, Direction
counts the bytes and CQL frames of one direction and decides where faults cut or flip it. Stdlib only."""
import asyncio
import json
import math
import socket
import struct
import time

DIRS = ("c2s", "s2c")
HEADER = 9
KIND_END = 13  # header plus the 4-byte RESULT kind
MAX_BODY = 256 << 20
CLOSE_KEYS = ("close_after_bytes", "close_after_frames", "half_close_after_bytes", "half_close_after_frames")


class Proxy:
    def __init__(self, listen, upstream, log):
        self.listen, self.upstream, self.logf = listen, upstream, log
        self.t0 = time.monotonic()
        self.plan = {d: {} for d in DIRS}
        self.rst = False
        self.fault_conns = None
        self.flips = []                      # rules: dicts with counters
        self.stall_until = {d: 0.0 for d in DIRS}
        self.refuse_until = 0.0
        self.server = None
        self.conns = {}
        self.next_id = 0
        self.stats = {"connections": 0, "refused_periods": 0, "faults": 0,
                      "bytes": {d: 0 for d in DIRS}, "frames": {d: 0 for d in DIRS}}

    def log(self, kind, msg):
        self.logf.write(f"{time.monotonic() - self.t0:9.3f} {kind} {msg}\n")
        self.logf.flush()

    def fault(self, conn, msg):
        self.stats["faults"] += 1
        self.log("FAULT", f"conn={conn.id if conn else '-'} {msg}")

    # ------------------------------------------------------------------------ listening, refusing
    async def open_listener(self):
        self.server = await asyncio.start_server(self.accepted, self.listen[0], self.listen[1], reuse_address=True)

    async def refuse(self, seconds):
        self.refuse_until = math.inf if seconds is None else time.monotonic() + seconds
        self.stats["refused_periods"] += 1
        self.fault(None, f"refuse new connections for {'ever' if seconds is None else seconds} s")
        if self.server:
            self.server.close()
            self.server = None
        if seconds is not None:
            asyncio.get_running_loop().call_later(seconds, lambda: asyncio.ensure_future(self.maybe_accept()))

    async def maybe_accept(self, force=False):
        if force:
            self.refuse_until = 0.0
        if self.server is None and time.monotonic() >= self.refuse_until - 0.01:
            await self.open_listener()
            self.log("FAULT", f"conn=- accepting connections again on {self.listen[0]}:{self.listen[1]}")

    async def accepted(self, c_reader, c_writer):
        self.next_id += 1
        conn = Conn(self, self.next_id, c_reader, c_writer)
        self.stats["connections"] += 1
        self.conns[conn.id] = conn
        try:
            await conn.run()
        finally:
            self.conns.pop(conn.id, None)

    # ------------------------------------------------------------------------ plan
    def set_plan(self, cmd):
        for d in DIRS:
            for key, value in (cmd.get(d) or {}).items():
                if value is None:
                    self.plan[d].pop(key, None)
                else:
                    self.plan[d][key] = value
        if "rst" in cmd:
            self.rst = bool(cmd["rst"])
        if "fault_conns" in cmd:
            self.fault_conns = cmd["fault_conns"]

    def add_flip(self, rule):
        rule = {"dir": "s2c", "xor": 0xFF, "times": 1, "opcode": None, **rule, "fired": 0,
                "base": {c.id: c.dirs[rule.get("dir", "s2c")].matching(rule.get("opcode")) for c in self.conns.values()}}
        self.flips.append(rule)
        for c in self.conns.values():
            c.dirs[rule["dir"]].arm_byte_flip(rule)

    def stalled(self, d):
        return time.monotonic() < self.stall_until[d]

    async def control(self, reader, writer):
        while line := await reader.readline():
            try:
                answer = await self.command(json.loads(line))
            except Exception as e:  # noqa: BLE001  (answer every line)
                answer = {"ok": False, "error": f"{type(e).__name__}: {e}"}
            writer.write((json.dumps(answer) + "\n").encode())
            await writer.drain()
        writer.close()

    async def command(self, cmd):
        name = cmd.get("cmd")
        if name == "stats":
            return {"ok": True, **self.stats, "active": len(self.conns), "refusing": self.server is None}
        if name == "plan":
            return {"ok": True, "c2s": self.plan["c2s"], "s2c": self.plan["s2c"], "rst": self.rst,
                    "fault_conns": self.fault_conns, "flips": [{k: v for k, v in f.items() if k != "base"} for f in self.flips]}
        if name == "set":
            self.set_plan(cmd)
        elif name == "clear":
            self.plan, self.flips, self.fault_conns = {d: {} for d in DIRS}, [], None
            self.stall_until = {d: 0.0 for d in DIRS}
            await self.maybe_accept(force=True)
        elif name == "reset":
            conns = list(self.conns.values())
            self.fault(None, f"{'close' if cmd.get('fin') else 'reset'} all {len(conns)} open connections")
            for c in conns:
                c.close(rst=not cmd.get("fin"), why="control")
        elif name == "refuse":
            await self.refuse(cmd.get("seconds"))
        elif name == "accept":
            await self.maybe_accept(force=True)
        elif name in ("stall", "unstall"):
            seconds = cmd.get("seconds") if name == "stall" else 0
            until = math.inf if seconds is None else time.monotonic() + seconds
            dirs = DIRS if cmd.get("dir", "both") == "both" else (cmd["dir"],)
            only_open = cmd.get("conns") == "open"
            for d in dirs:
                for holder in [c.stall_until for c in self.conns.values()] if only_open else [self.stall_until]:
                    holder[d] = until
            self.fault(None, f"{name} {'/'.join(dirs)}" + (f" of the {len(self.conns)} open connections" if only_open else "")
                       + (f" for {'ever' if seconds is None else seconds} s" if name == "stall" else ""))
        elif name == "flip":
            self.add_flip({k: v for k, v in cmd.items() if k != "cmd"})
        else:
            return {"ok": False, "error": f"unknown cmd {name!r}"}
        return {"ok": True}


class Direction:
    """One direction of a connection: counts bytes and frames, places flips, cuts the stream."""

    def __init__(self, conn, name):
        self.conn, self.name, self.proxy = conn, name, conn.proxy
        self.off = 0               # stream offset of the next byte to forward
        self.parsed_to = 0         # stream offset of the next frame header
        self.frames = 0            # frames whose first KIND_END bytes were seen
        self.frame_ends = []       # stream offset after each frame
        self.by_opcode = {}        # opcode -> frames seen
        self.raw = False
        self.flip_at = {}          # stream offset -> (xor, description)
        self.stall_done = False
        for rule in self.proxy.flips:
            self.arm_byte_flip(rule)

    def matching(self, opcode):
        return self.frames if opcode is None else self.by_opcode.get(opcode, 0)

    def arm_byte_flip(self, rule):
        if rule["dir"] == self.name and rule.get("byte") is not None and rule["byte"] >= self.off:
            self.flip_at[rule["byte"]] = (rule, f"byte {rule['byte']} of {self.name}")

    def parse(self, buf, base):
        """Parses the frame headers in buf (stream offset base); returns the offset up to which it can go."""
        end = base + len(buf)
        while not self.raw and self.parsed_to < end:
            fs = self.parsed_to
            if end < fs + HEADER:
                return fs
            hdr = buf[fs - base: fs - base + HEADER]
            version, flags, _stream, opcode, length = struct.unpack(">BBhBI", hdr)
            if (version & 0x7F) not in (3, 4, 5) or length > MAX_BODY:
                self.raw = True
                self.proxy.log("INFO", f"conn={self.conn.id} {self.name} is not CQL framing at {fs} (byte 0x{version:02x}): raw")
                break
            if end < fs + min(HEADER + length, KIND_END):
                return fs
            self.frames += 1
            self.proxy.stats["frames"][self.name] += 1
            self.by_opcode[opcode] = self.by_opcode.get(opcode, 0) + 1
            self.frame_ends.append(fs + HEADER + length)
            self.parsed_to = fs + HEADER + length
            for rule in self.proxy.flips:
                if rule["dir"] != self.name or rule.get("frame") is None or rule["fired"] >= rule["times"]:
                    continue
                if rule["opcode"] is not None and rule["opcode"] != opcode:
                    continue
                seen = self.matching(rule["opcode"]) - rule["base"].get(self.conn.id, 0)
                if seen == rule["frame"] and rule["offset"] < HEADER + length:
                    kind = ""
                    if opcode == 0x08 and length >= 4 and not flags & 0x01:  # RESULT, not compressed
                        kind = f" kind {struct.unpack('>i', buf[fs - base + HEADER: fs - base + KIND_END])[0]}"
                    self.flip_at[fs + rule["offset"]] = (rule, f"frame {seen} (opcode 0x{opcode:02x} flags 0x{flags:02x} "
                                                               f"length {length}{kind}) byte {rule['offset']}")
        return end

    def cut(self, plan, key_bytes, key_frames):
        """Stream offset where a close fault of this kind cuts, or None."""
        limits = []
        if plan.get(key_bytes) is not None:
            limits.append(plan[key_bytes])
        n = plan.get(key_frames)
        if n is not None and len(self.frame_ends) >= n:
            limits.append(self.frame_ends[n - 1] if n > 0 else 0)
        return min(limits) if limits else None

    def apply_flips(self, chunk, base):
        for at in [a for a in self.flip_at if base <= a < base + len(chunk)]:
            rule, what = self.flip_at.pop(at)
            if rule["fired"] >= rule["times"]:
                continue
            rule["fired"] += 1
            old = chunk[at - base]
            chunk[at - base] ^= rule["xor"]
            self.proxy.fault(self.conn, f"flip {self.name} {what}: stream offset {at} 0x{old:02x} -> 0x{chunk[at - base]:02x}")


class Conn:
    def __init__(self, proxy, cid, c_reader, c_writer):
        self.proxy, self.id = proxy, cid
        self.c_reader, self.c_writer = c_reader, c_writer
        self.s_writer = None
        self.dirs = {d: Direction(self, d) for d in DIRS}
        self.closed = False
        self.tasks = []
        self.stall_until = {d: 0.0 for d in DIRS}

    def may_fault(self):
        return self.proxy.fault_conns is None or self.id <= self.proxy.fault_conns

    async def run(self):
        peer = self.c_writer.get_extra_info("peername")
        try:
            s_reader, self.s_writer = await asyncio.open_connection(*self.proxy.upstream)
        except OSError as e:
            self.proxy.log("CONN", f"conn={self.id} from {peer}: upstream {self.proxy.upstream} failed: {e}")
            self.close(rst=True, why="upstream")
            return
        self.proxy.log("CONN", f"conn={self.id} open from {peer[0]}:{peer[1]}")
        self.tasks = [asyncio.ensure_future(self.pump("c2s", self.c_reader, self.s_writer)),
                      asyncio.ensure_future(self.pump("s2c", s_reader, self.c_writer))]
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.close(rst=False, why="done")

    def close(self, rst, why):
        if self.closed:
            return
        self.closed = True
        for w in (self.c_writer, self.s_writer):
            if w is None:
                continue
            if rst:
                sock = w.get_extra_info("socket")
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass
                w.transport.abort()
            else:
                w.close()
        for t in self.tasks:
            t.cancel()
        c, s = self.dirs["c2s"], self.dirs["s2c"]
        self.proxy.log("CONN", f"conn={self.id} closed ({why}{', reset' if rst else ''}): c2s {c.off} bytes {c.frames} frames, "
                               f"s2c {s.off} bytes {s.frames} frames")

    async def pump(self, name, reader, writer):
        d, plan = self.dirs[name], self.proxy.plan
        pending = bytearray()
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    if not self.closed and writer.can_write_eof():
                        writer.write_eof()
                    return
                pending += data
                base = d.off
                ready = d.parse(pending, base) - base
                chunk, pending = pending[:ready], pending[ready:]
                while chunk:
                    chunk = await self.forward(d, plan[name], chunk, writer)
                    if chunk is None:
                        return
        except (ConnectionError, OSError) as e:
            self.close(rst=True, why=f"{name}: {type(e).__name__}: {e}")

    async def forward(self, d, plan, chunk, writer):
        """Forwards a prefix of chunk (all of it unless a fault cuts it); returns what is left, None to stop."""
        base = d.off
        while (self.proxy.stalled(d.name) or time.monotonic() < self.stall_until[d.name]) and not self.closed:
            await asyncio.sleep(0.05)
        stall = plan.get("stall_after_bytes")
        if stall and not d.stall_done and base + len(chunk) > stall[0]:
            if base < stall[0]:  # forward up to the stall point first
                return await self.send(d, chunk, stall[0] - base, writer)
            d.stall_done = True
            seconds = math.inf if stall[1] in (None, "inf") else float(stall[1])
            self.proxy.fault(self, f"stall {d.name} at {base} for {seconds} s")
            until = time.monotonic() + seconds
            while time.monotonic() < until and not self.closed:
                await asyncio.sleep(0.05)
        if plan.get("delay_ms"):
            await asyncio.sleep(plan["delay_ms"] / 1000)
        if self.closed:
            return None
        for half in (False, True):
            keys = CLOSE_KEYS[2:] if half else CLOSE_KEYS[:2]
            at = d.cut(plan, *keys) if self.may_fault() else None
            if at is not None and at <= base + len(chunk):
                n = max(at - base, 0)
                if n:
                    await self.send(d, chunk, n, writer)
                kind = "half-close" if half else "close"
                self.proxy.fault(self, f"{kind} {d.name} after {d.off} bytes, {sum(e <= d.off for e in d.frame_ends)} frames"
                                       f"{'' if half else (' (reset)' if self.proxy.rst else ' (fin)')}")
                if half:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return None
                self.close(rst=self.proxy.rst, why=f"close-after {d.name}")
                return None
        return await self.send(d, chunk, len(chunk), writer)

    async def send(self, d, chunk, n, writer):
        piece = bytearray(chunk[:n])
        d.apply_flips(piece, d.off)
        writer.write(bytes(piece))
        d.off += n
        self.proxy.stats["bytes"][d.name] += n
        await writer.drain()
        return chunk[n:]
