"""Benchmark: ``levers`` with the spatial model on KTAB's 80-actor case (issue 17's bench target:
single-actor levers in under 10 s on 2 cores).

Run: ``.venv/bin/python bench/bench_levers.py [--workers 2] [--actors 2] [--scan 2] [--target 60]``

1. The cost of one spatial run on ``dummyData-a080.csv`` (80 actors, one dimension) per draw
   of a batch of 8: numpy, and the compiled engine on one thread (what levers runs).
2. The measured run: every lever (80 actors × 3 dimensions) with the screen (``--scan 0``),
   on ``--workers`` processes: wall time, CPU time (this process and its workers), model runs;
   the same as ``detente levers dummyData-a080.csv --issue xyz --target 60 --model spatial
   --scan 0 --workers 2``.
3. Side by side on the ``--actors`` actors of largest capability × salience: the scan
   (``--scan``) against the screen — runs, time and answers per lever.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from detente.analysis.decision import Runner
from detente.analysis.levers import LeverReport, _one_thread, find_levers
from detente.models.base import Problem
from detente.models.spatial import SpatialModel
from detente.scenario.load import load_scenario
from detente.scenario.problem import to_problem

CASE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "ktab"
CASE = CASE / "dummyData-a080.csv"


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _per_draw(model: SpatialModel, problem: Problem, draws: int = 8) -> float:
    batch = replace(
        problem,
        capability=np.repeat(problem.capability, draws, axis=0),
        position=np.repeat(problem.position, draws, axis=0),
        salience=np.repeat(problem.salience, draws, axis=0),
        status_quo=np.repeat(problem.status_quo, draws, axis=0),
    )
    with _one_thread(model):
        model.forecast_batch(batch)  # warm (numba's cache, numpy's buffers)
        t0 = time.perf_counter()
        model.forecast_batch(batch)
    return (time.perf_counter() - t0) / draws


def _line(report: LeverReport, k: int) -> str:
    r = report.singles[k]
    if r.reachable:
        return f"size {r.size:.4f}, forecast {r.forecast:g} (99 %: {r.forecast_99:g})"
    return f"not reachable ({r.progress:.0%} of the way)"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--actors", type=int, default=2)
    ap.add_argument("--scan", type=int, default=2)
    ap.add_argument("--target", type=float, default=60.0)
    args = ap.parse_args()
    if not CASE.exists():
        print(f"(no {CASE}; see ../shared/README.md)")
        return
    problem = to_problem(load_scenario(CASE).scenario)
    issue = problem.issues[0]
    base = SpatialModel().forecast_batch(problem).outcome[0, 0]
    print(f"1. spatial on {CASE.name}: {problem.n_actors} actors, forecast {base:g}")
    numpy_cost = _per_draw(SpatialModel(engine="numpy"), problem)
    try:
        numba_cost = _per_draw(SpatialModel(engine="numba"), problem)
        print(f"   per draw of a batch of 8: numpy {numpy_cost:.3f} s, compiled {numba_cost:.3f} s")
    except Exception as exc:  # report, not fail, without the fast extra
        print(f"   per draw of a batch of 8: numpy {numpy_cost:.3f} s (compiled: {exc})")

    t0, c0 = time.perf_counter(), _cpu()
    with Runner(args.workers) as runner:
        full = find_levers(problem, issue, args.target, "spatial", scan=0, runner=runner)
    took, cpu = time.perf_counter() - t0, _cpu() - c0
    found = sum(r.reachable for r in full.singles)
    print(
        f"2. levers --target {args.target:g}, all {len(full.singles)} levers, --scan 0, "
        f"--workers {args.workers}: {took:.2f} s wall, {cpu:.2f} s CPU, {full.runs} runs, "
        f"{found} reachable (target 10 s wall)"
    )
    for k, r in enumerate(full.singles[:5]):
        print(f"   {r.actor_ids[0]:10s} {r.levers[0].dimension:10s} {_line(full, k)}")

    weight = problem.capability[0] * problem.salience[0, :, 0]
    top = [problem.actors[i] for i in np.argsort(-weight, kind="stable")[: args.actors]]
    runs: dict[str, LeverReport] = {}
    for label, scan in ((f"--scan {args.scan}", args.scan), ("--scan 0", 0)):
        t0, c0 = time.perf_counter(), _cpu()
        with Runner(args.workers) as runner:
            runs[label] = find_levers(
                problem, issue, args.target, "spatial", actors=top, scan=scan, runner=runner
            )
        took, cpu = time.perf_counter() - t0, _cpu() - c0
        print(
            f"3. {label} over {args.actors} actors × 3: {took:.2f} s wall, {cpu:.2f} s CPU, "
            f"{runs[label].runs} runs"
        )
    scanned, screened = runs[f"--scan {args.scan}"], runs["--scan 0"]
    by_lever = {r.levers: k for k, r in enumerate(screened.singles)}
    for k, r in enumerate(scanned.singles):
        other = by_lever[r.levers]
        print(f"   {r.actor_ids[0]:10s} {r.levers[0].dimension:10s} scan: {_line(scanned, k)}")
        print(f"   {'':21s} screen: {_line(screened, other)}")


if __name__ == "__main__":
    main()
