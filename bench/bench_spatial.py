"""Benchmark: the KTAB Spatial Model of Politics (``spatial``) on KTAB's CSV inputs.

Run: ``.venv/bin/python bench/bench_spatial.py [--draws 32] [--repeat 3] [--scale 125,250,1000]``

1. Wall time of one forecast per KTAB reference CSV (13 to 160 actors, 1 to 6 dimensions),
   states run and time per state (best of ``--repeat``).
2. Growth: time per state of random one-dimension problems with 20..160 actors and of
   40-actor problems with 1..6 dimensions, with the fitted exponent ``t ∝ n^a``.
3. Vectorisation: ``forecast_batch`` on ``--draws`` perturbed copies of SOE-Pol-Comp against the
   simple reference, ``forecast`` called in a Python loop over the draws; the ratio is the
   speed-up of the draw axis.
4. Scale: time per state (wall and CPU) and peak resident memory of random two-dimension
   problems with 125, 250, 500 and 1000 actors (KTAB's 250-actor limit lifted with
   ``max_actors``), each size in its own process, for the compiled engine (``detente[fast]``,
   numba; skipped with the reason when absent) and numpy (up to ``--numpy-max`` actors), with
   the growth exponent fitted to log time against log n. The target is n = 1000 in <= 5 s per
   state and <= 2 GiB; on a shared machine the CPU time per state is the steadier figure.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from detente.models.base import Problem
from detente.models.spatial import SpatialModel
from detente.scenario.ktab import read_ktab_csv

KTAB = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "ktab"


def best_time(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best = float("inf")
    out: object = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def random_problem(n: int, k: int, seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.05, 1.0, (n, k))
    sal = sal / np.maximum(sal.sum(axis=1, keepdims=True), 1.0)
    return Problem.single(
        [f"a{i}" for i in range(n)],
        [f"d{j}" for j in range(k)],
        rng.uniform(1, 100, n),
        np.round(rng.uniform(0, 100, (n, k)), 1),
        sal,
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
    )


def per_state(problem: Problem, repeat: int) -> tuple[float, int]:
    model = SpatialModel()
    t, fc = best_time(lambda: model.forecast(problem), repeat)
    states = len(fc.rounds)  # type: ignore[attr-defined]
    return t / max(states - 1, 1), states


def one_size(n: int, engine: str, steps: int) -> dict[str, float]:
    """Time ``steps`` steps of a random n-actor problem (after a warm-up); run in a child."""
    warm = SpatialModel(engine=engine, max_iterations=1)  # type: ignore[arg-type]
    warm.run(random_problem(10, 2, seed=1))  # numba: load (or compile) the kernels first
    model = SpatialModel(engine=engine, max_actors=n, max_iterations=steps)  # type: ignore[arg-type]
    problem = random_problem(n, 2, seed=n)
    t0, c0 = time.perf_counter(), time.process_time()
    run = model.run(problem)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    states = int(run.n_states[0]) - 1
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB -> MiB (Linux)
    return {"wall": wall / states, "cpu": cpu / states, "rss_mib": rss, "steps": states}


def scale(sizes: list[int], numpy_max: int, steps: int) -> None:
    print(f"\n4. Scale: random 2-dimension problems, {steps} steps each, one process per size")
    engines = ["numba", "numpy"]
    if importlib.util.find_spec("numba") is None:
        print("   numba engine skipped: numba is not installed (pip install 'detente[fast]')")
        engines = ["numpy"]
    for engine in engines:
        done: list[tuple[int, float, float]] = []
        for n in sizes:
            if engine == "numpy" and n > numpy_max:
                print(f"   {engine:5s} n={n:5d}  skipped (> --numpy-max {numpy_max})")
                continue
            cmd = [sys.executable, __file__, "--one", str(n), "--engine", engine]
            cmd += ["--steps", str(steps)]
            res = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
            done.append((n, res["wall"], res["cpu"]))
            print(
                f"   {engine:5s} n={n:5d}  wall s/state={res['wall']:8.3f}  "
                f"cpu s/state={res['cpu']:8.3f}  peak RSS={res['rss_mib']:7.0f} MiB"
            )
        if len(done) >= 2:
            ns = np.log([d[0] for d in done])
            a_wall = np.polyfit(ns, np.log([d[1] for d in done]), 1)[0]
            a_cpu = np.polyfit(ns, np.log([d[2] for d in done]), 1)[0]
            print(f"   {engine:5s} growth: wall ∝ n^{a_wall:.2f}, cpu ∝ n^{a_cpu:.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--draws", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scale", default="125,250,500,1000", help="sizes of section 4 ('' skips)")
    ap.add_argument("--numpy-max", type=int, default=250)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--only-scale", action="store_true", help="run section 4 alone")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="auto", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.engine, args.steps)))
        return
    sizes = [int(v) for v in args.scale.split(",") if v]
    if args.only_scale:
        scale(sizes, args.numpy_max, args.steps)
        return
    model = SpatialModel()

    print("1. KTAB reference inputs (one forecast, best of", args.repeat, ")")
    print(
        f"{'file':24s} {'actors':>6s} {'dims':>4s} {'states':>6s} {'total s':>8s} {'s/state':>8s}"
    )
    files = sorted(KTAB.glob("*.csv"), key=lambda p: len(read_ktab_csv(p).actors))
    if not files:
        print(f"   (no KTAB CSVs under {KTAB})")
    for path in files:
        sc = read_ktab_csv(path)
        problem = sc.to_problem()
        t, fc = best_time(lambda problem=problem: model.forecast(problem), args.repeat)
        states = len(fc.rounds)  # type: ignore[attr-defined]
        print(
            f"{path.name:24s} {len(sc.actors):6d} {len(sc.dimensions):4d} {states:6d} "
            f"{t:8.3f} {t / (states - 1):8.4f}"
        )

    print("\n2. Growth of time per state (random problems)")
    ns = [20, 40, 80, 160]
    times = []
    for n in ns:
        t, states = per_state(random_problem(n, 1, seed=n), args.repeat)
        times.append(t)
        print(f"   actors={n:4d} dims=1  states={states:3d}  s/state={t:.4f}")
    slope = np.polyfit(np.log(ns), np.log(times), 1)[0]
    print(f"   time per state grows like n^{slope:.2f} (the model is O(n^3) per state)")
    for k in [1, 2, 4, 6]:
        t, states = per_state(random_problem(40, k, seed=k), args.repeat)
        print(f"   actors=  40 dims={k}  states={states:3d}  s/state={t:.4f}")

    print(f"\n3. Draw axis: {args.draws} perturbed draws of SOE-Pol-Comp")
    base = read_ktab_csv(KTAB / "SOE-Pol-Comp.csv").to_problem()
    rng = np.random.default_rng(0)
    d = args.draws
    pos = np.clip(
        np.repeat(base.position, d, axis=0) + rng.normal(0, 5, (d, *base.position.shape[1:])),
        0,
        100,
    )
    batch = Problem(
        actors=base.actors,
        issues=base.issues,
        capability=np.repeat(base.capability, d, axis=0),
        position=pos,
        salience=np.repeat(base.salience, d, axis=0),
        scale_min=base.scale_min,
        scale_max=base.scale_max,
        status_quo=np.full((d, base.n_issues), np.nan),
    )
    t_batch, _ = best_time(lambda: model.forecast_batch(batch), args.repeat)
    t_loop, _ = best_time(
        lambda: [model.forecast(batch.draw(i)) for i in range(d)], max(1, args.repeat - 1)
    )
    print(f"   forecast_batch: {t_batch:.3f} s   loop of forecast: {t_loop:.3f} s")
    print(f"   ratio loop/batch = {t_loop / t_batch:.1f}x   ({d / t_batch:.0f} draws/s)")
    if sizes:
        scale(sizes, args.numpy_max, args.steps)


if __name__ == "__main__":
    main()
