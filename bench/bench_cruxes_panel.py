"""The Korea crux panel: wall and CPU time at its defaults, and the batched evaluator against
the naive one, side by side (issue 17).

The panel (:func:`detente.analysis.panel.crux_panel`, what the report's "Crux panel" section
computes): for each scorecard of the game, both readings' switch points over the judgments
engagement and skeptic dispute and the Shapley attribution of the gap between them, at the
panel's defaults (:data:`~detente.analysis.panel.EPISODES` episodes, a Shapley budget of
:data:`~detente.analysis.panel.MAX_EVALUATIONS` coalitions), on ``--workers`` (default 2).
Goal: under 60 s on 2 cores. CPU time is reported beside wall time (this process and its
worker processes), since the machine it runs on may be shared.

Side by side, on the same few coalitions of the Shapley game: the **naive** evaluation (each
coalition a scenario document: parse and validate it, date it by the worldview's ``as_of``,
build its episodes, play every strategy — what the swap crux finder did per subset before it
became a client of the batched evaluator; kept here as the reference it must agree with) against
the **batched** one (:class:`detente.analysis.decision.GameDecision`: the episodes' uniforms
drawn once, each coalition only swaps the draws of the paths it sets,
:data:`~detente.analysis.decision.CHUNK` coalitions per vectorised play). Both give the same
numbers (checked here, to 1e-12).

Usage::

    python bench/bench_cruxes_panel.py                     # workers 2, panel defaults
    python bench/bench_cruxes_panel.py --workers 1 --json out.json
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import time
from pathlib import Path

import numpy as np

from detente.analysis.cruxes import _without_worldviews
from detente.analysis.decision import Runner, readings
from detente.analysis.outputs import parse_output
from detente.analysis.panel import EPISODES, MAX_EVALUATIONS, crux_panel
from detente.scenario.load import dated, load_scenario, parse_document
from detente.scenario.paths import get_path, resolve_path, set_path
from detente.strategy.scorecards import scorecard_scores
from detente.strategy.simulate import build_episodes

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
GOAL_SECONDS = 60.0


def cpu() -> float:
    """CPU seconds of this process and its finished children (the worker pool)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


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
        sc = parse_document(doc, loaded.file, game_checks=loaded.game_checks).scenario
        sc = sc.model_copy(update={"worldviews": loaded.scenario.worldviews})
        game = dated(loaded, sc, "engagement").game
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


def panel(workers: int, episodes: int, max_evaluations: int) -> dict[str, object]:
    loaded = load_scenario(KOREA)
    c0, t0 = cpu(), time.perf_counter()
    with Runner(workers) as runner:
        p = crux_panel(
            loaded,
            "engagement",
            "skeptic",
            episodes=episodes,
            max_evaluations=max_evaluations,
            runner=runner,
        )
    t1 = time.perf_counter()
    return {
        "workers": workers,
        "episodes": episodes,
        "max_evaluations": max_evaluations,
        "evaluations": p.evaluations,
        "panel_s": t1 - t0,
        "panel_cpu_s": cpu() - c0,
        "sentences": [s.text for c in p.cards for s in c.statements],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--episodes", type=int, default=EPISODES)
    ap.add_argument("--max-evaluations", type=int, default=MAX_EVALUATIONS)
    ap.add_argument("--side-by-side", type=int, default=8, help="coalitions compared (0: none)")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    load = os.getloadavg()[0]
    sbs = side_by_side(args.episodes, args.side_by_side) if args.side_by_side else None
    if sbs is not None:
        print(
            f"{sbs['coalitions']} coalitions × {args.episodes} episodes: naive "
            f"{sbs['naive_s']:.1f} s, batched {sbs['batched_s']:.1f} s — ratio "
            f"{sbs['ratio']:.2f}× (same numbers, max |Δ| {sbs['max_abs_diff']:.1e})"
        )
    res = panel(args.workers, args.episodes, args.max_evaluations)
    wall = float(res["panel_s"])  # type: ignore[arg-type]
    verdict = "met" if wall < GOAL_SECONDS else "NOT met"
    print(
        f"Korea crux panel (engagement, skeptic; every scorecard) on {args.workers} worker(s), "
        f"{args.episodes} episodes: {res['evaluations']} evaluations, wall {wall:.1f} s, CPU "
        f"{res['panel_cpu_s']:.1f} s — goal < {GOAL_SECONDS:.0f} s wall {verdict} (load "
        f"average at start {load:.1f})"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"side_by_side": sbs, "panel": res, "load": load}, indent=2)
        )


if __name__ == "__main__":
    main()
