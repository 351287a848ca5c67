"""The Korea crux panel's decision methods: wall time, and the batched evaluator against the
naive one, side by side (issue 17).

The panel: Shapley attribution of the engagement/skeptic gap on ``scorecard:hill`` and both
readings' switch points over the judgments they dispute, at the command's defaults
(:data:`detente.cli.decision.DEFAULT_EPISODES` episodes, ``--max-evaluations 128``), on
``--workers`` (default 2) — what ``detente cruxes --method shapley`` and ``--method switch``
run. Goal: under 60 s on 2 cores.

Side by side, on the same few coalitions of the Shapley game: the **naive** evaluation (each
coalition a scenario document: parse and validate it, build its episodes, play every strategy —
what the swap crux finder does per subset) against the **batched** one
(:class:`detente.analysis.decision.GameDecision`: the episodes' uniforms drawn once, each
coalition only swaps the draws of the paths it sets, :data:`~detente.analysis.decision.CHUNK`
coalitions per vectorised play). Both give the same numbers (checked here, to 1e-12).

Usage::

    python bench/bench_cruxes_panel.py                     # workers 2, default episodes
    python bench/bench_cruxes_panel.py --workers 1 --json out.json
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import time
from pathlib import Path

import numpy as np

from detente.analysis.cruxes import _without_worldviews
from detente.analysis.decision import Runner, readings
from detente.analysis.outputs import parse_output
from detente.analysis.shapley import shapley
from detente.analysis.switchpoints import switch_points
from detente.cli.decision import DEFAULT_EPISODES
from detente.scenario.load import load_scenario, parse_document
from detente.scenario.paths import get_path, resolve_path, set_path
from detente.strategy.scorecards import scorecard_scores
from detente.strategy.simulate import build_episodes

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
GOAL_SECONDS = 60.0


def side_by_side(episodes: int, n: int) -> dict[str, float]:
    loaded = load_scenario(KOREA)
    spec = parse_output("scorecard:hill", loaded.scenario)
    rd = readings(loaded, "engagement", "skeptic", spec, seed=0, episodes=episodes)
    rng = np.random.default_rng(0)
    coalitions = [
        sorted(int(g) for g in np.flatnonzero(rng.random(len(rd.groups)) < 0.5)) for _ in range(n)
    ]
    t = time.perf_counter()
    batched = rd.decision.table([rd.setting(c) for c in coalitions])
    t_batched = time.perf_counter() - t
    doc_a, doc_b = (_without_worldviews(loaded, w) for w in ("engagement", "skeptic"))
    t = time.perf_counter()
    naive = []
    for c in coalitions:
        doc = copy.deepcopy(doc_a)
        for g in c:
            for path in rd.groups[g].paths:
                set_path(doc, resolve_path(doc, path), get_path(doc_b, resolve_path(doc_b, path)))
        game = parse_document(doc, loaded.file, game_checks=loaded.game_checks).scenario.game
        assert game is not None
        ids, scores = scorecard_scores(game, build_episodes(game, 0, episodes), "hill")
        naive.append([scores[ids.index(o)].mean() for o in rd.decision.options])
    t_naive = time.perf_counter() - t
    err = float(np.abs(np.array(naive) - batched).max())
    assert err <= 1e-12, err
    return {
        "coalitions": n,
        "naive_s": t_naive,
        "batched_s": t_batched,
        "ratio": t_naive / t_batched,
        "max_abs_diff": err,
    }


def panel(workers: int, episodes: int) -> dict[str, float]:
    loaded = load_scenario(KOREA)
    spec = parse_output("scorecard:hill", loaded.scenario)
    t0 = time.perf_counter()
    with Runner(workers) as runner:
        sh = shapley(loaded, "engagement", "skeptic", spec, episodes=episodes, runner=runner)
        t1 = time.perf_counter()
        rd = readings(loaded, "engagement", "skeptic", spec, seed=0, episodes=2)
        paths = [p for g in rd.groups for p in g.paths]
        evals = 0
        for wv in ("engagement", "skeptic"):
            evals += switch_points(
                loaded, wv, spec, paths=paths, episodes=episodes, runner=runner
            ).evaluations
    t2 = time.perf_counter()
    return {
        "workers": workers,
        "episodes": episodes,
        "shapley_s": t1 - t0,
        "shapley_evaluations": sh.attribution.evaluations,
        "switch_s": t2 - t1,
        "switch_evaluations": evals,
        "panel_s": t2 - t0,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--episodes", type=int, default=DEFAULT_EPISODES)
    ap.add_argument("--side-by-side", type=int, default=8, help="coalitions compared")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    sbs = side_by_side(args.episodes, args.side_by_side)
    print(
        f"{sbs['coalitions']} coalitions × {args.episodes} episodes: naive {sbs['naive_s']:.1f} s, "
        f"batched {sbs['batched_s']:.1f} s — ratio {sbs['ratio']:.2f}× (same numbers, max |Δ| "
        f"{sbs['max_abs_diff']:.1e})"
    )
    res = panel(args.workers, args.episodes)
    verdict = "met" if res["panel_s"] < GOAL_SECONDS else "NOT met"
    print(
        f"panel on {args.workers} worker(s): Shapley {res['shapley_s']:.1f} s "
        f"({res['shapley_evaluations']} evaluations) + switch points {res['switch_s']:.1f} s "
        f"({res['switch_evaluations']} evaluations) = {res['panel_s']:.1f} s — goal "
        f"< {GOAL_SECONDS:.0f} s {verdict} (load average at start {load:.1f})"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"side_by_side": sbs, "panel": res, "load": load}, indent=2)
        )


if __name__ == "__main__":
    main()
