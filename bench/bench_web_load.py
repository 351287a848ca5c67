"""Benchmark: the web explorer under a bounded loopback load (issue 21, item 5).

Run: ``.venv/bin/python bench/bench_web_load.py [--seconds 2.5] [--json OUT]``

It starts its own server (``python -m detente serve`` on a free loopback port, in a
subprocess, on a copy of ``scenarios/``), waits for ``/api/health``, and drives it with a small
asyncio HTTP/1.1 keep-alive client (no dependency beyond the standard library; one connection
per worker, each sending its next request when the previous answer arrived) for each endpoint
at 1, 4 and 16 connections:

- ``listing``: ``GET /api/scenarios``;
- ``forecast``: ``POST /api/forecast`` of the Korea scenario with the compromise model;
- ``what-if``: ``POST /api/edit`` of the Korea scenario: a random actor or issue value (a number
  inside its range, with an assumption), in the base case or one of the three worldviews in
  turn (seeded, so every run sends the same requests).

For each it reports requests/s, p50 and p99 latency, and errors (a transport error, a timeout of
10 s or a status other than 200). Then it sends 1,000 what-ifs at 16 connections and reports the
server's resident memory (``/proc/PID/status``) before and after. Side by side, in the same run,
it times one what-if in-process the former way (set the value in the data, dump the whole
document to YAML, read and validate it again, then the view) and the current way (the value's
text rewritten in place, incremental validation against the cached document, the view).

Bounds: loopback only, at most 64 connections, at most 60 s in all (phases that would pass the
deadline are skipped and say so); the server is stopped by its process id at the end, whatever
happens. Target (docs/web.md): what-ifs >= 50/s at 16 connections with p99 < 1 s and 0 errors;
server memory growth < 10 % over the 1,000 what-ifs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KOREA = "korea-peace-declaration"
HOST = "127.0.0.1"
MAX_CONNECTIONS = 64
DEADLINE_S = 60.0
TIMEOUT_S = 10.0
CONNECTIONS = (1, 4, 16)

Request = tuple[str, str, bytes]  # method, path, body


@dataclass
class Run:
    name: str
    connections: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    skipped: bool = False
    cpu_s: float = 0.0  #: the server's CPU time (user + system) during the run

    @property
    def done(self) -> int:
        return len(self.latencies)

    def row(self) -> dict[str, Any]:
        lat = sorted(self.latencies)

        def pct(q: float) -> float:
            return lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else float("nan")

        return {
            "endpoint": self.name,
            "connections": self.connections,
            "requests": self.done,
            "errors": self.errors,
            "req_per_s": self.done / self.seconds if self.seconds else float("nan"),
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "server_cpu_ms_per_req": 1000 * self.cpu_s / self.done if self.done else float("nan"),
            "skipped": self.skipped,
        }


# -------------------------------------------------------------------------------- the client


class Connection:
    """One keep-alive HTTP/1.1 connection to the server."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode("ascii") + body)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None


async def drive(
    port: int, run: Run, make: Callable[[int], Request], seconds: float, count: int | None
) -> None:
    """``run.connections`` workers send requests for ``seconds`` (or ``count`` in all)."""
    stop = time.perf_counter() + seconds
    sent = 0

    async def worker() -> None:
        nonlocal sent
        conn = Connection(port)
        try:
            while time.perf_counter() < stop and (count is None or sent < count):
                k = sent
                sent += 1
                method, path, body = make(k)
                t0 = time.perf_counter()
                try:
                    status = await asyncio.wait_for(
                        conn.request(method, path, body), timeout=TIMEOUT_S
                    )
                except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                    run.errors += 1
                    conn.close()
                    continue
                run.latencies.append(time.perf_counter() - t0)
                if status != 200:
                    run.errors += 1
        finally:
            conn.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(run.connections)))
    run.seconds = time.perf_counter() - t0


# -------------------------------------------------------------------------------- requests


def what_if_maker(view: dict[str, Any], seed: int) -> Callable[[int], Request]:
    """Seeded what-ifs: a random actor or issue value inside its range, in turn in the base
    case and each worldview."""
    scales = {i["id"]: (i["scale"]["min"], i["scale"]["max"]) for i in view["issues"]}
    cells: list[tuple[str, float, float]] = []
    for issue in view["issues"]:
        if issue["status_quo"] is not None:
            cells.append((issue["status_quo"]["path"], *scales[issue["id"]]))
    for actor in view["actors"]:
        cells.append((actor["capability"]["path"], 1.0, 100.0))
        for issue, stance in actor["stances"].items():
            cells.append((stance["position"]["path"], *scales[issue]))
            cells.append((stance["salience"]["path"], 0.0, 1.0))
    worldviews: list[str | None] = [None, *(w["id"] for w in view["worldviews"])]
    rng = random.Random(seed)
    plan = []
    for k in range(4096):
        path, lo, hi = rng.choice(cells)
        plan.append((path, round(rng.uniform(lo, hi), 3), worldviews[k % len(worldviews)]))

    def make(k: int) -> Request:
        path, value, worldview = plan[k % len(plan)]
        body = {
            "scenario": KOREA,
            "worldview": worldview,
            "edits": [{"path": path, "value": {"value": value, "assumption": "bench what-if"}}],
        }
        return "POST", "/api/edit", json.dumps(body).encode()

    return make


def listing(_: int) -> Request:
    return "GET", "/api/scenarios", b""


FORECAST = json.dumps({"scenario": KOREA, "models": ["compromise"]}).encode()


def forecast(_: int) -> Request:
    return "POST", "/api/forecast", FORECAST


# -------------------------------------------------------------------------------- the server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` so far."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited with status {proc.returncode}")
        conn = Connection(port)
        try:
            if await conn.request("GET", "/api/health", b"") == 200:
                return
        except OSError:
            await asyncio.sleep(0.1)
        finally:
            conn.close()
    raise SystemExit("the server did not answer /api/health in time")


async def get_json(port: int, path: str) -> Any:
    reader, writer = await asyncio.open_connection(HOST, port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode())
    data = await reader.read()
    writer.close()
    return json.loads(data.split(b"\r\n\r\n", 1)[1])


# -------------------------------------------------------------------------------- in-process


def in_process_what_if(repeat: int, budget: float) -> dict[str, float]:
    """Median ms of one what-if, the former way and the current way, timed alternately
    (fewer rounds when the time ``budget`` runs out; at least one)."""
    from detente.strategy.checks import check_strategies
    from detente.web import service, whatif

    text = (ROOT / "scenarios" / f"{KOREA}.yaml").read_text(encoding="utf-8")
    name = f"{KOREA}.yaml"
    base = whatif.check_text(text, name, (check_strategies,))
    edit = [("actors.dprk.capability", {"value": 42.0, "assumption": "bench"})]
    former: list[float] = []
    current: list[float] = []
    stop = time.perf_counter() + budget
    for k in range(repeat):
        if time.perf_counter() + 2 * (statistics.mean(former) if former else 1.5) > stop:
            break
        worldview = ("skeptic", None)[k % 2]
        t0 = time.perf_counter()
        old = whatif._apply_by_dump(base, edit, worldview)  # the former endpoint's path
        assert old.loaded is not None
        service.scenario_view(old.loaded, worldview)
        former.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        new = whatif.apply_edits(base, edit, worldview, service.MAX_EDITS)
        assert new.loaded is not None
        service.scenario_view(new.loaded, worldview, new.scenario(worldview))
        current.append(time.perf_counter() - t0)
    if not former:
        return {"former_ms": float("nan"), "current_ms": float("nan"), "speedup": float("nan"),
                "rounds": 0}  # fmt: skip
    f, c = statistics.median(former) * 1000, statistics.median(current) * 1000
    return {"former_ms": f, "current_ms": c, "speedup": f / c, "rounds": len(former)}


# -------------------------------------------------------------------------------- main


async def main_async(
    args: argparse.Namespace, port: int, proc: subprocess.Popen[bytes], start: float
) -> Any:
    await wait_ready(port, proc, 30)
    rss_start = rss_mb(proc.pid)
    doc = await get_json(port, f"/api/scenarios/{KOREA}")
    make_what_if = what_if_maker(doc["view"], seed=11)
    endpoints: list[tuple[str, Callable[[int], Request]]] = [
        ("listing", listing),
        ("forecast", forecast),
        ("what-if", make_what_if),
    ]
    # warm-up: each endpoint once per worldview (caches filled as a user's first clicks do)
    warm = Run("warm-up", 4)
    await drive(port, warm, make_what_if, 30, 40)
    await drive(port, Run("warm-up", 1), forecast, 30, 5)
    runs: list[Run] = []
    for name, make in endpoints:
        for c in CONNECTIONS:
            run = Run(name, c)
            if time.perf_counter() - start + args.seconds > DEADLINE_S - 20:
                run.skipped = True
            else:
                cpu0 = cpu_seconds(proc.pid)
                await drive(port, run, make, args.seconds, None)
                run.cpu_s = cpu_seconds(proc.pid) - cpu0
            runs.append(run)
    rss_before = rss_mb(proc.pid)
    mem = Run("what-if x1000", 16)
    left = DEADLINE_S - 10 - (time.perf_counter() - start)  # kept: stop + in-process timing
    cpu0 = cpu_seconds(proc.pid)
    await drive(port, mem, make_what_if, max(0.0, left), 1000)
    mem.cpu_s = cpu_seconds(proc.pid) - cpu0
    rss_after = rss_mb(proc.pid)
    return {
        "runs": [r.row() for r in runs],
        "memory": {
            "rss_start_mb": rss_start,
            "rss_before_mb": rss_before,
            "rss_after_mb": rss_after,
            "what_ifs": mem.done,
            "errors": mem.errors,
            "growth_pct": 100 * (rss_after - rss_before) / rss_before,
            "req_per_s": mem.done / mem.seconds if mem.seconds else float("nan"),
            "p99_ms": mem.row()["p99_ms"],
            "server_cpu_ms_per_req": mem.row()["server_cpu_ms_per_req"],
        },
        "seconds": time.perf_counter() - start,
        "load_average": Path("/proc/loadavg").read_text().split()[:3],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="per endpoint and concurrency")
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    ap.add_argument("--repeat", type=int, default=4, help="in-process what-ifs timed each way")
    args = ap.parse_args()
    assert max(CONNECTIONS) <= MAX_CONNECTIONS
    start = time.perf_counter()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "scenarios"
        folder.mkdir()
        for p in (ROOT / "scenarios").glob("*.yaml"):
            shutil.copy(p, folder / p.name)
        cmd = [sys.executable, "-m", "detente", "serve", "--host", HOST, "--port", str(port)]
        cmd += ["--scenarios", str(folder)]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            out = asyncio.run(main_async(args, port, proc, start))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    left = DEADLINE_S - 1 - (time.perf_counter() - start)
    compare = in_process_what_if(args.repeat, budget=left)
    out["in_process"] = compare
    out["seconds"] = time.perf_counter() - start
    print(
        f"web explorer load, loopback, {args.seconds:g} s per row ({out['seconds']:.1f} s in "
        f"all; load average {' '.join(out['load_average'])})"
    )
    print(
        f"{'endpoint':10s} {'conn':>4s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} errors"
        "  server CPU ms/req"
    )
    for r in out["runs"]:
        if r["skipped"]:
            print(f"{r['endpoint']:10s} {r['connections']:4d}  skipped (60 s deadline)")
            continue
        print(
            f"{r['endpoint']:10s} {r['connections']:4d} {r['req_per_s']:8.1f} "
            f"{r['p50_ms']:8.1f} {r['p99_ms']:8.1f} {r['errors']:6d}"
            f"  {r['server_cpu_ms_per_req']:8.1f}"
        )
    m = out["memory"]
    print(
        f"server RSS: {m['rss_start_mb']:.0f} MB at start; {m['rss_before_mb']:.1f} MB before "
        f"and {m['rss_after_mb']:.1f} MB after {m['what_ifs']} what-ifs at 16 connections "
        f"({m['growth_pct']:+.1f} %; {m['req_per_s']:.1f} req/s, p99 {m['p99_ms']:.0f} ms, "
        f"{m['errors']} errors, server CPU {m['server_cpu_ms_per_req']:.1f} ms/req)"
    )
    print(
        f"one what-if in-process (Korea, median of {compare['rounds']}): former way (dump + "
        f"read again + full validation) {compare['former_ms']:.1f} ms, in place + incremental "
        f"{compare['current_ms']:.1f} ms: {compare['speedup']:.1f}x"
    )
    wi = next(r for r in out["runs"] if r["endpoint"] == "what-if" and r["connections"] == 16)
    ok = (
        not wi["skipped"]
        and wi["req_per_s"] >= 50
        and wi["p99_ms"] < 1000
        and wi["errors"] == 0
        and m["growth_pct"] < 10
        and m["errors"] == 0
    )
    verdict = "met" if ok else "NOT met"
    print(f"target (what-ifs >= 50/s at 16, p99 < 1 s, 0 errors, memory < +10 %): {verdict}")
    if args.json is not None:
        args.json.write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
