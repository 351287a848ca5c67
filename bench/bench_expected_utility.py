"""Benchmark: the vectorised expected-utility model against the plain-loop reference.

Run: ``.venv/bin/python bench/bench_expected_utility.py [--draws 5000] [--max-actors 200]``

Reports wall time of one forecast (8 rounds) for the EC emission case and random one-issue
scenarios of 10, 50, 100 and 200 actors, the model against ``reference_expected_utility``
(the same equations, actor by actor), with the ratio; then draws/s of ``forecast_batch`` on a
batch of random 6-actor × 6-issue problems, against the reference looped over draws and issues,
and of 1,024 sampled draws of the Korea scenario (issue 6's case: 6 actors, 5 issues).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from detente.models.base import Problem
from detente.models.expected_utility import ExpectedUtility
from detente.scenario.load import load_scenario
from detente.uncertainty.sampling import BLOCK_SIZE, sample_problem

sys.path.insert(0, str(Path(__file__).resolve().parent))
from reference_expected_utility import run_issue

EMISSION = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "reference"
    / "bdm1994"
    / "emission-standards.csv"
)
KOREA = Path(__file__).resolve().parents[1] / "scenarios" / "korea-peace-declaration.yaml"


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def random_problem(rng: np.random.Generator, n: int, k: int, draws: int) -> Problem:
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=rng.uniform(0.05, 1.0, (draws, n)),
        position=rng.uniform(0.0, 100.0, (draws, n, k)),
        salience=rng.uniform(0.05, 1.0, (draws, n, k)),
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
        status_quo=np.full((draws, k), np.nan),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5000)
    parser.add_argument("--max-actors", type=int, default=200)
    args = parser.parse_args()
    model = ExpectedUtility(max_rounds=8)
    rng = np.random.default_rng(2011)

    cases: list[tuple[str, Problem]] = []
    if EMISSION.exists():
        df = pd.read_csv(EMISSION)
        cases.append(
            (
                "emission (10)",
                Problem.single(
                    list(df["Actor"]),
                    ["emission"],
                    df["Capability"].to_numpy(),
                    df["Position"].to_numpy()[:, None],
                    df["Salience"].to_numpy()[:, None],
                ),
            )
        )
    for n in (10, 50, 100, 200):
        if n <= args.max_actors:
            cases.append((f"random ({n})", random_problem(rng, n, 1, 1)))

    print(f"{'case':<16}{'model s':>12}{'reference s':>14}{'ratio':>10}")
    for label, problem in cases:
        t_model = timed(lambda problem=problem: model.forecast(problem))
        reps = 1 if problem.n_actors >= 100 else 3
        t_ref = timed(
            lambda problem=problem: run_issue(
                problem.capability[0],
                problem.salience[0, :, 0],
                problem.position[0, :, 0],
                max_rounds=8,
            ),
            repeat=reps,
        )
        print(f"{label:<16}{t_model:>12.4f}{t_ref:>14.4f}{t_ref / t_model:>9.1f}x")

    batch = random_problem(rng, 6, 6, args.draws)
    t_batch = timed(lambda: model.forecast_batch(batch), repeat=3)
    sample = min(200, args.draws)

    def loop_reference() -> None:
        for d in range(sample):
            for j in range(6):
                run_issue(
                    batch.capability[d],
                    batch.salience[d, :, j],
                    batch.position[d, :, j],
                    max_rounds=8,
                )

    t_loop = timed(loop_reference, repeat=1) * args.draws / sample
    print()
    print(f"batch of {args.draws} draws, 6 actors x 6 issues, 8 rounds:")
    print(f"  forecast_batch: {t_batch:.3f} s = {args.draws / t_batch:,.0f} draws/s")
    print(
        f"  loop reference: {t_loop:.3f} s = {args.draws / t_loop:,.0f} draws/s "
        f"(timed on {sample} draws)"
    )
    print(f"  ratio: {t_loop / t_batch:.1f}x")

    if KOREA.exists():
        korea = sample_problem(load_scenario(KOREA).scenario, 0, 0, BLOCK_SIZE)
        t_korea = timed(lambda: model.forecast_batch(korea), repeat=5)
        print()
        print(f"Korea scenario, {BLOCK_SIZE} sampled draws (6 actors x 5 issues, 8 rounds):")
        print(f"  forecast_batch: {t_korea:.3f} s = {BLOCK_SIZE / t_korea:,.0f} draws/s")


if __name__ == "__main__":
    main()
