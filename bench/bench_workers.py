"""Benchmark: ``detente simulate --workers 1`` against ``--workers 2``, side by side.

Run: ``.venv/bin/python bench/bench_workers.py [--repeat 3] [--draws 1000,10000,100000]``

The EC emission-standards case (scenarios/ec-emission-standards-1994.yaml), models compromise
and expected-utility, at 1,000 / 10,000 / 100,000 draws. Each run is a whole ``detente
simulate … --out DIR`` process, as a user runs it (start-up, the pool if one is used, writing
the Parquet files); the two worker counts are interleaved run by run so that a change in the
machine's load hits both alike. Reported: the median wall time of each, the ratio
``workers 2 / workers 1`` (below 1: two workers are faster) and how many workers the run used
(``run.json`` ``workers_used``: the runner uses a pool only when the draws pay for it, see
docs/montecarlo.md, "Workers"). Target (issue 21): a ratio of at most 1 from 10,000 draws up.
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
EMISSION = ROOT / "scenarios" / "ec-emission-standards-1994.yaml"
DETENTE = [str(Path(sys.executable).with_name("detente"))]
MODELS = ("compromise", "expected-utility")
#: the ratio ``--workers 2`` / ``--workers 1`` may not exceed from 10,000 draws up (plus noise)
TARGET = 1.0


def run(model: str, draws: int, workers: int, out: Path) -> tuple[float, int]:
    """Wall seconds of one ``detente simulate`` process, and the workers it used."""
    cmd = [*DETENTE, "simulate", str(EMISSION), "--model", model, "--draws", str(draws)]
    cmd += ["--workers", str(workers), "--seed", "1", "--out", str(out), "--format", "json"]
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    seconds = time.perf_counter() - started
    # (-1: a detente from before run.json said how many workers were used)
    used = int(json.loads((out / "run.json").read_text()).get("workers_used", -1))
    return seconds, used


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs of each configuration")
    parser.add_argument("--draws", default="1000,10000,100000", help="comma-separated")
    args = parser.parse_args()
    sizes = [int(d) for d in args.draws.split(",")]
    print(f"{'model':<17} {'draws':>7} {'w1 s':>7} {'w2 s':>7} {'w2/w1':>6}  used  target")
    failed = False
    with tempfile.TemporaryDirectory() as tmp:
        for model in MODELS:
            for draws in sizes:
                times: dict[int, list[float]] = {1: [], 2: []}
                used: dict[int, int] = {}
                for _ in range(args.repeat):
                    for workers in (1, 2):
                        seconds, used[workers] = run(model, draws, workers, Path(tmp) / "out")
                        times[workers].append(seconds)
                t1, t2 = statistics.median(times[1]), statistics.median(times[2])
                ratio = t2 / t1
                applies = draws >= 10_000
                ok = ratio <= TARGET + 0.05 if applies else True  # 5 %: timing noise
                failed |= not ok
                verdict = ("ok" if ok else "SLOWER") if applies else "-"
                print(
                    f"{model:<17} {draws:>7} {t1:>7.2f} {t2:>7.2f} {ratio:>6.2f}  "
                    f"{used[1]}/{used[2]}   {verdict}",
                    flush=True,
                )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
