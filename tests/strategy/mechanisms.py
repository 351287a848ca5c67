"""Helpers for the issue-15 mechanism tests: small edits of the synthetic minimal game, a
scripted run, a month-by-month driver, and bit-for-bit comparison of outcomes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from detente.scenario.game import GameSpec
from detente.strategy.engine import FloatArray, IntArray, Record, play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.scripted import Scripted
from detente.strategy.simulate import build_episodes, simulate

Raw = dict[str, Any]


def q(x: float) -> dict[str, Any]:
    """A fixed Quantity (an invented test number)."""
    return {"value": x, "assumption": "invented for a test"}


def edit(raw: Raw, change: Callable[[Raw], None]) -> GameSpec:
    """The minimal game's ``game:`` section after ``change`` (on a deep copy)."""
    game = copy.deepcopy(raw["game"])
    change(game)
    return GameSpec.model_validate(game)


def quiet(game: Raw) -> None:
    """No noise, no election, a fixed costly declaration, nothing unreciprocated costs."""
    game["noise"] = {"coalition_misreads": q(0.0), "target_misreads": q(0.0)}
    game.pop("election", None)
    game["declaration"]["cost"] = q(1.0)
    game["cohesion_cost_unreciprocated"] = q(0.0)


def typ(game: Raw, type_id: str) -> Raw:
    t: Raw = next(t for t in game["types"] if t["id"] == type_id)
    return t


def cmove(game: Raw, move_id: str) -> Raw:
    m: Raw = next(m for m in game["coalition_moves"] if m["id"] == move_id)
    return m


def run(
    spec: GameSpec, type_id: str, script: Sequence[str], n: int = 400, seed: int = 1
) -> tuple[CoalitionGame, Record]:
    """Play a scripted coalition against one type; the game (state, metrics) and its record."""
    ids = [t.id for t in spec.types]
    moves = [[m.id for m in spec.coalition_moves].index(x) for x in script]
    draws = build_episodes(spec, seed, n).draws
    g = CoalitionGame(spec, draws, np.full(n, ids.index(type_id)), np.random.SeedSequence(seed))
    rng = np.random.default_rng(0)
    rec = play(g, (Scripted(moves), TypedTarget(g)), n, (rng, rng))
    return g, rec


def drive(g: CoalitionGame, a: Sequence[int], b: Sequence[int]) -> None:
    """Step ``g`` through months with the moves given (both sides, every episode alike)."""
    g.reset(g.n)
    for t, (x, y) in enumerate(zip(a, b, strict=True)):
        ax: IntArray = np.full(g.n, x, dtype=np.int64)
        by: IntArray = np.full(g.n, y, dtype=np.int64)
        g.step(t, ax, by, ax, by)


def outcomes(
    spec: GameSpec, strategy: str, type_id: str = "mix", n: int = 600, seed: int = 2
) -> dict[str, FloatArray]:
    return simulate(spec, build_episodes(spec, seed, n), strategy, type_id)


def same_bits(a: dict[str, FloatArray], b: dict[str, FloatArray]) -> bool:
    """Every metric identical, episode by episode, bit for bit."""
    return a.keys() == b.keys() and all(
        np.array_equal(a[k].view(np.uint64), b[k].view(np.uint64)) for k in a
    )


def p_up(g: CoalitionGame, t: int, c: int, k: int) -> FloatArray:
    """P(the type ``k`` target moves up) in month ``t`` after perceiving ``c``."""
    probs = g.response(t, np.full(g.n, c, dtype=np.int64))
    return np.asarray(1.0 - probs[:, k, g.test_move] - probs[:, k, g.idle_move])


def sigmoid(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def logit(p: float) -> float:
    return float(np.log(p) - np.log1p(-p))


STRATEGIES = ("peace_first", "reciprocal_trade", "grit", "bayesian_reassurance")
