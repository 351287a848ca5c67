"""Monte Carlo throughput: Korea draws per second for every available model.

For each model registered and importable (models added to the registry later are picked up
automatically), three measurements on the same sampled draws:

* ``loop``: the reference — a Python loop calling the single-draw ``model.forecast`` per draw;
* ``1 proc``: ``detente.uncertainty.simulate`` in this process (blocks through
  ``forecast_batch``, sampling included);
* ``K workers``: the same through a warm spawn process pool of K workers (pool start-up, about a
  second per worker, is measured once and reported separately: it is paid once per command).

Usage::

    python bench/bench_montecarlo.py                  # every available model, ~4 s each
    python bench/bench_montecarlo.py --models expected-utility --seconds 10 --json out.json

Goal (issue 6): expected-utility >= 5,000 Korea draws/s on 2 cores and >= 20x the loop.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from detente.models import available_models, get_model
from detente.scenario.load import load_scenario
from detente.uncertainty.runner import Job, simulate, spawn_pool
from detente.uncertainty.sampling import BLOCK_SIZE, sample_problem

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
GOAL_RATE, GOAL_RATIO = 5_000.0, 20.0


def loop_rate(job: Job, seconds: float) -> tuple[float, int]:
    """Draws/s of the looping reference (single-draw ``forecast``), within a time budget."""
    problem = sample_problem(job.scenario, job.seed, 0, BLOCK_SIZE)
    model = get_model(job.model)
    model.forecast(problem.draw(0))  # warm caches / lazy imports
    n, start = 0, time.perf_counter()
    while n < problem.n_draws and (n < 3 or time.perf_counter() - start < seconds):
        model.forecast(problem.draw(n))
        n += 1
    return n / (time.perf_counter() - start), n


def batch_rate(job: Job, seconds: float, guess: float, **kwargs: Any) -> tuple[float, int]:
    """Draws/s of :func:`simulate`, with draws sized to take about ``seconds``."""
    blocks = max(2, round(guess * seconds / BLOCK_SIZE))
    draws = blocks * BLOCK_SIZE
    start = time.perf_counter()
    simulate(Job(job.scenario, job.model, job.seed, draws), **kwargs)
    return draws / (time.perf_counter() - start), draws


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=Path, default=KOREA)
    parser.add_argument("--models", default=None, help="comma-separated (default: all available)")
    parser.add_argument("--seconds", type=float, default=4.0, help="budget per measurement")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, default=None, help="also write results here")
    args = parser.parse_args(argv)

    scenario = load_scenario(args.scenario).scenario
    models = args.models.split(",") if args.models else available_models()
    started = time.perf_counter()
    pool = spawn_pool(args.workers)
    # start every worker (spawn + imports) before timing anything
    list(pool.map(time.sleep, [0.0] * args.workers))
    simulate(Job(scenario, "compromise", 0, args.workers * BLOCK_SIZE), executor=pool)
    pool_startup = time.perf_counter() - started

    rows: list[dict[str, Any]] = []
    header = f"{'model':<18}{'loop/s':>10}{'1 proc/s':>11}{'x loop':>8}"
    header += f"{f'{args.workers} workers/s':>15}{'x loop':>8}"
    print(f"{args.scenario.name}: draws per second (block {BLOCK_SIZE})", flush=True)
    print(header, flush=True)
    try:
        for name in models:
            job = Job(scenario, name, args.seed, BLOCK_SIZE)
            try:
                ref, n_ref = loop_rate(job, args.seconds / 2)
                single, n_single = batch_rate(job, args.seconds, max(ref, 1.0) * 2)
                multi, n_multi = batch_rate(job, args.seconds, single * args.workers, executor=pool)
            except Exception as exc:  # a model under construction: report and go on
                print(f"{name:<18}failed: {type(exc).__name__}: {exc}", flush=True)
                rows.append({"model": name, "error": f"{type(exc).__name__}: {exc}"})
                continue
            row = {
                "model": name,
                "loop_per_s": round(ref, 1),
                "loop_draws": n_ref,
                "single_per_s": round(single, 1),
                "single_draws": n_single,
                "single_ratio": round(single / ref, 1),
                "workers": args.workers,
                "workers_per_s": round(multi, 1),
                "workers_draws": n_multi,
                "workers_ratio": round(multi / ref, 1),
            }
            rows.append(row)
            print(
                f"{name:<18}{ref:>10,.0f}{single:>11,.0f}{single / ref:>8.1f}"
                f"{multi:>15,.0f}{multi / ref:>8.1f}",
                flush=True,
            )
    finally:
        pool.shutdown()
    print(f"pool start-up ({args.workers} spawned workers, not in the rates): {pool_startup:.1f} s")
    for row in rows:
        if row["model"] == "expected-utility" and "error" not in row:
            ok = row["workers_per_s"] >= GOAL_RATE and row["workers_ratio"] >= GOAL_RATIO
            print(
                f"goal expected-utility >= {GOAL_RATE:,.0f}/s and >= {GOAL_RATIO:.0f}x on "
                f"{args.workers} workers: {'met' if ok else 'NOT met'}"
            )
    if args.json is not None:
        args.json.write_text(
            json.dumps({"pool_startup_s": round(pool_startup, 2), "models": rows}, indent=2) + "\n"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
