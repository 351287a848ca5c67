"""Benchmark: Monte Carlo of the spatial model on KTAB's 80-actor case, on Ray, 1 and 2 workers.

Run: ``.venv/bin/python bench/bench_ray_spatial.py [--draws 8] [--repeat 3] [--workers 1,2]``

Each run is a whole ``detente simulate dummyData-a080.csv --model spatial --backend ray
--workers W --draws D --out DIR`` process: it starts a private local Ray with W CPUs, runs the
draws there and writes the Parquet files. A few draws are one block; the spatial model's draws
are separable (``Model.separable_draws``), so the Ray backend cuts the block into 2·W slices, one
task each (docs/montecarlo.md, "Running on several cores or a Ray cluster"). The worker counts
are interleaved run by run. Reported per worker count: the median draws/s of the Monte Carlo
itself (draws over ``run.json`` ``seconds``: Ray's start included, the command's own start-up
and the writing of the files not), the median whole-process wall time, and the speed-up over
one worker. The outputs of every run are checked to be byte-identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
A080 = ROOT.parent / "shared" / "reference" / "ktab" / "dummyData-a080.csv"
DETENTE = [str(Path(sys.executable).with_name("detente"))]


def run(draws: int, workers: int, out: Path) -> tuple[float, float, bytes]:
    cmd = [*DETENTE, "simulate", str(A080), "--model", "spatial", "--backend", "ray"]
    cmd += ["--workers", str(workers), "--draws", str(draws), "--seed", "1", "--out", str(out)]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    wall = time.perf_counter() - started
    rate = draws / float(json.loads((out / "run.json").read_text())["seconds"])
    return rate, wall, (out / "draws.parquet").read_bytes()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--draws", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", default="1,2")
    args = ap.parse_args()
    if not A080.exists():
        print(f"skipped: KTAB's 80-actor case is not at {A080}")
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        print("skipped: Ray is not installed (pip install 'detente[ray]')")
        return
    counts = [int(w) for w in args.workers.split(",")]
    rates: dict[int, list[float]] = {w: [] for w in counts}
    walls: dict[int, list[float]] = {w: [] for w in counts}
    outputs: set[bytes] = set()
    with tempfile.TemporaryDirectory(prefix="bench-ray-") as tmp:
        for r in range(args.repeat):
            for w in counts if r % 2 == 0 else counts[::-1]:
                rate, wall, draws = run(args.draws, w, Path(tmp) / f"r{r}w{w}")
                rates[w].append(rate)
                walls[w].append(wall)
                outputs.add(draws)
                print(f"  round {r + 1} workers {w}: {rate:.2f} draws/s, {wall:.1f} s", flush=True)
    assert len(outputs) == 1, "the runs' draws.parquet differ"
    base = statistics.median(rates[counts[0]])
    print(f"\n{A080.name}, spatial, {args.draws} draws, {args.repeat} interleaved rounds")
    print(f"{'workers':>7} {'draws/s (median)':>17} {'wall s (median)':>16} {'speed-up':>9}")
    for w in counts:
        med = statistics.median(rates[w])
        print(f"{w:7} {med:17.2f} {statistics.median(walls[w]):16.1f} {med / base:8.2f}x")
    print("outputs byte-identical across all runs")


if __name__ == "__main__":
    main()
