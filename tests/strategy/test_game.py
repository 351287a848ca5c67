"""The coalition game's mechanics, hand-computed on the synthetic minimal game: the ladder the
target climbs, the month a move answers, the coalition's Bayes update."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from detente.scenario.game import GameSpec
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.scripted import Scripted
from detente.strategy.simulate import build_episodes

N = 4000


def run(game: GameSpec, type_id: str, script: list[str], seed: int = 1) -> CoalitionGame:
    ids = [t.id for t in game.types]
    moves = [[m.id for m in game.coalition_moves].index(x) for x in script]
    draws = build_episodes(game, seed, N).draws
    g = CoalitionGame(game, draws, np.full(N, ids.index(type_id)), np.random.SeedSequence(seed))
    rng = np.random.default_rng(0)
    play(g, (Scripted(moves), TypedTarget(g)), N, (rng, rng))
    return g


def _deterministic(raw: dict[str, Any]) -> GameSpec:
    """A copy where the partner moves up only when offered a costly declaration."""
    game = copy.deepcopy(raw["game"])
    game["noise"] = {"coalition_misreads": 0.0, "target_misreads": 0.0}
    game["declaration"]["cost"] = 1.0
    partner = game["types"][0]
    partner.update(
        p_talk=0.0,
        p_progress=0.0,
        p_test=0.0,
        reassurance=0.0,
        pre_election_lift=0.0,
        lift={"declare": 1000.0},
    )
    return GameSpec.model_validate(game)


def test_scripted_ladder_is_exact(minimal_raw: dict[str, Any]) -> None:
    game = _deterministic(minimal_raw)
    g = run(game, "partner", ["wait", "declare", "wait", "declare", "declare", "wait"])
    # the ladder is meet, freeze, step, step…; a move answers the previous month's declaration,
    # a wait leaves the target stalling: t0, t1 stall; t2 meet (answers t1); t3 stall;
    # t4 freeze; t5 step; then stalls
    out = g.outcomes()
    assert np.all(out["p_talks_6m"] == 1.0)
    assert np.all(g.first_talks == 2)
    assert np.all(g.state["freeze"] == 1.0)
    assert np.all(g.state["steps"] == 1.0)
    assert np.all(out["p_step_2031"] == 1.0)


def test_bayes_learns_the_type(minimal_game: GameSpec) -> None:
    g = run(minimal_game, "spoiler", ["call"] * 24)
    k = [t.id for t in minimal_game.types].index("spoiler")
    assert g.belief[:, k].mean() > 0.8
    assert np.allclose(g.belief.sum(axis=1), 1.0)
