"""Strategy-game throughput: episodes per second on the Korea game (issue 15).

Three variants of the Korea game under one worldview (default ``engagement``), each playing every
strategy against the type mix on the same episodes:

* ``off``: the shipped game with the coalition's belief on the episode's own parameters
  (``game.belief.parameters: episode``) — every issue-15 mechanism off, the engine as before;
* ``shipped``: the shipped game as it now runs (belief from the parameters' prior means);
* ``on``: a synthetic variant (built here, in memory; not a judgment about Korea) with every
  mechanism switched on: named costs and a signal on the declaration, a diminishing repeat,
  lasting, decaying and calendar response effects, state feedback, an institutional limit on
  relief, a third party with a member's veto, and a successor strategy at the election.

Usage::

    python bench/bench_game.py                       # 2,000 episodes, engagement
    python bench/bench_game.py --episodes 4000 --worldview skeptic --json out.json

Goal (issue 15): ``on`` costs at most 2× ``off`` (episodes per second, strategy-episodes).
"""

from __future__ import annotations

import argparse
import copy
import json
import time
from pathlib import Path
from typing import Any

import yaml

from detente.scenario.game import GameSpec
from detente.scenario.paths import apply_overrides
from detente.strategy.simulate import build_episodes, simulate

ROOT = Path(__file__).resolve().parents[1]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
GOAL_RATIO = 2.0


def q(x: float) -> dict[str, Any]:
    return {"value": x, "assumption": "benchmark only (not a judgment)"}


def korea(worldview: str) -> dict[str, Any]:
    raw = yaml.safe_load(KOREA.read_text(encoding="utf-8"))
    ids = [w["id"] for w in raw.get("worldviews", [])]
    if worldview != "base":
        doc, problems = apply_overrides(raw, ids.index(worldview))
        assert not problems, problems
        raw = doc
    game: dict[str, Any] = raw["game"]
    return game


def switched_on(game: dict[str, Any]) -> dict[str, Any]:
    g = copy.deepcopy(game)
    moves = {m["id"]: m for m in g["coalition_moves"]}
    declare = moves[g["declaration"]["move"]]
    declare["signal"] = q(0.5)
    declare["repeat_factor"] = q(0.5)
    declare["repeat_is_new_concession"] = True
    declare["costs"] = {"alliance": {"amount": q(0.02)}, "legal": {"amount": q(0.03), "once": True}}
    relief = g["roles"]["reward"]
    for k, t in enumerate(g["types"]):
        t["signal_weight"] = q(1.0 - k)
        t["state_lift"] = {"sanctions": q(-0.3), "exercises": q(-0.2), "talks": q(0.2)}
        t["effects"] = [
            {"id": "pocketed", "move": relief, "when": "unreciprocated", "shifts": "progress",
             "value": q(-0.2), "persistence": "lasting"},
            {"id": "warmth", "move": declare["id"], "shifts": "up", "value": q(0.3),
             "persistence": "decaying", "half_life": q(3.0)},
            {"id": "later", "month": g["election"]["month"], "shifts": "talk", "value": q(-0.3),
             "persistence": "lasting"},
        ]  # fmt: skip
    g["limits"] = [
        {"id": "congress", "actor": "congress", "move": relief, "state": "sanctions",
         "below": q(0.6), "p_refuse": q(0.5), "fallback_move": g["roles"]["hold"]},
    ]  # fmt: skip
    member = g["coalition"]["members"][0]
    g["third_parties"] = [
        {"id": "unsc", "label": "UNSC call", "trigger": {"after_move": declare["id"]},
         "probability": q(0.2),
         "effects": [{"id": "unc", "state": "unc_challenge", "op": "set", "value": q(1.0)}],
         "veto": {"member": member, "probability": q(0.5)}},
    ]  # fmt: skip
    g["election"]["successor_strategy"] = next(
        s["id"] for s in g["strategies"] if s["strategy"] == "ReciprocalTrade"
    )
    return g


def rate(game: GameSpec, episodes: int, seed: int) -> tuple[float, int]:
    """Strategy-episodes per second: every strategy against the mix on one batch."""
    start = time.perf_counter()
    eps = build_episodes(game, seed, episodes)
    for s in game.strategies:
        simulate(game, eps, s.id)
    played = episodes * len(game.strategies)
    return played / (time.perf_counter() - start), played


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--episodes", type=int, default=2000)
    ap.add_argument("--worldview", default="engagement")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    base = korea(args.worldview)
    off = copy.deepcopy(base)
    off["belief"] = {"parameters": "episode"}
    variants = {
        "off": GameSpec.model_validate(off),
        "shipped": GameSpec.model_validate(base),
        "on": GameSpec.model_validate(switched_on(base)),
    }
    # interleaved, best of ``repeat``: the machine's load shifts between runs
    rates: dict[str, float] = dict.fromkeys(variants, 0.0)
    for _ in range(args.repeat):
        for name, game in variants.items():
            rates[name] = max(rates[name], rate(game, args.episodes, args.seed)[0])
    for name, game in variants.items():
        best = rates[name]
        print(f"{name:8s} {best:10,.0f} episodes/s  ({args.episodes} episodes × "
              f"{len(game.strategies)} strategies, {args.worldview})")  # fmt: skip
    ratio = rates["off"] / rates["on"]
    print(f"slowdown with every mechanism on: {ratio:.2f}× (goal ≤ {GOAL_RATIO:.0f}×)")
    if args.json:
        args.json.write_text(json.dumps({**rates, "slowdown": ratio}, indent=1) + "\n")
    return 0 if ratio <= GOAL_RATIO else 1


if __name__ == "__main__":
    raise SystemExit(main())
