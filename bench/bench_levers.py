"""Benchmark: ``levers`` with the spatial model on KTAB's 80-actor case (issue 17's bench target:
single-actor levers in under 10 s).

Run: ``.venv/bin/python bench/bench_levers.py [--actors 2] [--scan 2] [--target 60]``

1. The cost of one spatial run on ``dummyData-a080.csv`` (80 actors, one dimension), alone and
   per draw of a batch of 8 (the batches levers sends).
2. A lever search over the ``--actors`` actors of largest capability × salience, all three
   dimensions, ``--scan`` scan points per side: wall time and model runs, and the runs per
   lever against a brute-force grid of 100 points per side (the side-by-side reference).
3. What a search over all 80 × 3 levers would cost at the measured rate (not run: it is the
   number the 10 s target is held against).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from detente.analysis.levers import find_levers
from detente.models.spatial import SpatialModel
from detente.scenario.load import load_scenario
from detente.scenario.problem import to_problem

CASE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "ktab"
CASE = CASE / "dummyData-a080.csv"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--actors", type=int, default=2)
    ap.add_argument("--scan", type=int, default=2)
    ap.add_argument("--target", type=float, default=60.0)
    args = ap.parse_args()
    if not CASE.exists():
        print(f"(no {CASE}; see ../shared/README.md)")
        return
    problem = to_problem(load_scenario(CASE).scenario)
    model = SpatialModel()

    t0 = time.perf_counter()
    base = model.forecast_batch(problem)
    one = time.perf_counter() - t0
    batch = replace(
        problem,
        capability=np.repeat(problem.capability, 8, axis=0),
        position=np.repeat(problem.position, 8, axis=0),
        salience=np.repeat(problem.salience, 8, axis=0),
        status_quo=np.repeat(problem.status_quo, 8, axis=0),
    )
    t0 = time.perf_counter()
    model.forecast_batch(batch)
    per_draw = (time.perf_counter() - t0) / 8
    print(f"1. spatial on {CASE.name}: {problem.n_actors} actors, forecast {base.outcome[0, 0]:g}")
    print(f"   one run {one:.3f} s; per draw of a batch of 8 {per_draw:.3f} s")

    weight = problem.capability[0] * problem.salience[0, :, 0]
    top = [problem.actors[i] for i in np.argsort(-weight, kind="stable")[: args.actors]]
    t0, c0 = time.perf_counter(), time.process_time()
    report = find_levers(problem, problem.issues[0], args.target, model, actors=top, scan=args.scan)
    took, cpu = time.perf_counter() - t0, time.process_time() - c0
    n_levers = len(report.singles)
    print(
        f"2. levers --target {args.target:g} over {args.actors} actors × 3 dimensions, "
        f"--scan {args.scan}: {took:.2f} s wall, {cpu:.2f} s CPU, {report.runs} runs "
        f"({report.runs / n_levers:.1f} a lever; a 100-point grid per side: 200)"
    )
    for r in report.singles:
        state = (
            f"size {r.size:.4f}, forecast {r.forecast:g} (99 %: {r.forecast_99:g})"
            if r.reachable
            else f"not reachable ({r.progress:.0%} of the way)"
        )
        print(f"   {r.actor_ids[0]:10s} {r.levers[0].dimension:10s} {state}")
    per_lever = report.runs / n_levers
    full = per_lever * problem.n_actors * 3
    print(
        f"3. all {problem.n_actors} × 3 levers at that rate: ~{full:.0f} runs, "
        f"~{full * per_draw:.0f} s (target 10 s)"
    )


if __name__ == "__main__":
    main()
