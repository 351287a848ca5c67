"""Target types against scripted coalitions (the Korea game's response models)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
from korea_vocab import c

from detente.scenario.game import GameSpec
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget, sample_draws
from detente.strategy.scripted import Scripted

N = 4000


def run(game: GameSpec, type_id: str, script: list[int], seed: int = 1) -> CoalitionGame:
    ids = [t.id for t in game.types]
    draws = sample_draws(game, np.random.default_rng(seed), N)
    g = CoalitionGame(game, draws, np.full(N, ids.index(type_id)), np.random.SeedSequence(seed))
    rng = np.random.default_rng(0)
    play(g, (Scripted(script), TypedTarget(g)), N, (rng, rng))
    return g


def talks12(g: CoalitionGame) -> float:
    return float(g.outcomes()["p_talks_12m"].mean())


def test_reciprocator_answers_relief_and_resents_pressure(korea_game: GameSpec) -> None:
    relief = talks12(run(korea_game, "reciprocator", c("relief") * 12))
    hold = talks12(run(korea_game, "reciprocator", c("hold") * 12))
    pressure = talks12(run(korea_game, "reciprocator", c("pressure") * 12))
    assert relief > hold + 0.05 > pressure + 0.1


def test_enmity_dependent_rejects_the_declaration(korea_game: GameSpec) -> None:
    # The Hill: a peace declaration attacks the regime's "civic religion of antagonism"
    declare = talks12(run(korea_game, "enmity_dependent", c("declare") * 12))
    hold = talks12(run(korea_game, "enmity_dependent", c("hold") * 12))
    assert declare < hold
    assert hold < 0.5


def test_sanctions_seeker_talks_for_relief_but_gives_less(korea_game: GameSpec) -> None:
    script = c("relief") * 12 + c("hold")
    seeker = run(korea_game, "sanctions_seeker", script).outcomes()
    recip = run(korea_game, "reciprocator", script).outcomes()
    hold = run(korea_game, "sanctions_seeker", c("hold")).outcomes()
    # Lankov (Cato): the goal is "to nudge the U.S. toward relieving sanctions"
    assert seeker["p_talks_12m"].mean() > hold["p_talks_12m"].mean() + 0.1
    assert seeker["p_step_2027"].mean() < recip["p_step_2027"].mean() - 0.1


def _deterministic(raw: dict[str, Any]) -> GameSpec:
    """A copy where the reciprocator moves up only when offered a costly declaration."""
    game = copy.deepcopy(raw["game"])
    game["noise"] = {"coalition_misreads": 0.0, "target_misreads": 0.0}
    game["declaration"]["cost"] = 1.0
    rec = game["types"][0]
    rec.update(
        p_talk=0.0,
        p_progress=0.0,
        p_test=0.0,
        reassurance=0.0,
        pre_election_lift=0.0,
        lift={"declare": 1000.0},
    )
    return GameSpec.model_validate(game)


def test_scripted_ladder_is_exact(korea_raw: dict[str, Any]) -> None:
    game = _deterministic(korea_raw)
    g = run(game, "reciprocator", c("hold", "declare", "hold", "declare", "declare", "hold"))
    # the hotline is open at the start (Cato), so the ladder is engage, freeze, step, step…
    # moves answer the previous month's declaration; holds leave the target stalling
    out = g.outcomes()
    assert np.all(out["p_talks_6m"] == 1.0)
    assert np.all(g.state["freeze"] == 1.0)
    # t0, t1 stall; t2 engage (answers t1); t3 stall; t4 freeze; t5 step; then stalls
    assert np.all(g.state["steps"] == 1.0)
    assert np.all(g.first_talks == 2)


def test_bayes_learns_the_type(korea_game: GameSpec) -> None:
    g = run(korea_game, "enmity_dependent", c("comms") * 75)
    k = [t.id for t in korea_game.types].index("enmity_dependent")
    assert g.belief[:, k].mean() > 0.8
    assert np.allclose(g.belief.sum(axis=1), 1.0)
