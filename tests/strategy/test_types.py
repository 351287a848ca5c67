"""Target types against scripted coalitions: the Korea game's response models (its judgments).

The engine's exact ladder and its Bayes update are tested on the synthetic game (test_game.py).
"""

from __future__ import annotations

import numpy as np

from detente.scenario.game import GameSpec
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.scripted import Scripted
from detente.strategy.simulate import build_episodes

from .korea_vocab import c

N = 4000


def run(game: GameSpec, type_id: str, script: list[int], seed: int = 1) -> CoalitionGame:
    ids = [t.id for t in game.types]
    draws = build_episodes(game, seed, N).draws
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
