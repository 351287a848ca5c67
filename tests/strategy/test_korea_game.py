"""The Korea game's judgments at work: its table, Kydd's separation, the declaration's price.

These test what the Korea scenario's numbers say (and so may need revisiting when an analyst
revises a Korea judgment); the engine's own properties are tested on the synthetic minimal game
(``test_simulate.py``, ``test_engine.py``, ``test_game.py``).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from detente.scenario.game import GameSpec
from detente.strategy.metrics import MIX
from detente.strategy.simulate import build_episodes, metric_values, run_strategies, simulate


def test_korea_table_has_its_types_and_its_2027_metrics(korea_game: GameSpec) -> None:
    df = run_strategies(korea_game, seed=1, episodes=300, strategies=["peace_first"])
    assert set(df["type"]) == {MIX, "reciprocator", "sanctions_seeker", "enmity_dependent"}
    assert {
        "p_talks_6m",
        "p_talks_12m",
        "p_freeze_2027",
        "p_step_2027",
        "arsenal_2027",
        "unreciprocated",
        "cohesion",
        "vetoes",
    } <= set(df["metric"])


def _with_cost(raw: dict[str, Any], cost: float) -> GameSpec:
    game = copy.deepcopy(raw["game"])
    game["declaration"]["cost"] = {"value": cost, "assumption": "test"}
    return GameSpec.model_validate(game)


def test_kydd_costly_declaration_separates_types(korea_raw: dict[str, Any]) -> None:
    """Kydd (2005): a cheap declaration moves the types alike; a costly one moves the
    security-seeking reciprocator far more than the others."""

    def gap(cost: float) -> float:
        game = _with_cost(korea_raw, cost)
        eps = build_episodes(game, 7, 3000)
        r = simulate(game, eps, "peace_first", "reciprocator")["p_step_2027"].mean()
        e = simulate(game, eps, "peace_first", "enmity_dependent")["p_step_2027"].mean()
        return float(r - e)

    assert gap(1.0) > gap(0.0) + 0.05


def test_costly_declaration_costs_cohesion(korea_raw: dict[str, Any]) -> None:
    # Issue 16: the UN Command challenge hangs on the treaty (a third party with the US veto),
    # not on the declaration, whatever its cost; the declaration's alliance cost is in `costs`.
    cheap, costly = _with_cost(korea_raw, 0.0), _with_cost(korea_raw, 1.0)
    for game in (cheap, costly):
        eps = build_episodes(game, 1, 500)
        assert metric_values(game, eps, "p_unc_challenge", "peace_first").mean() == 0.0
        with_decl = metric_values(game, eps, "cohesion", "peace_first").mean()
        without = metric_values(game, eps, "cohesion", "peace_first_no_declaration").mean()
        assert np.isfinite(with_decl) and with_decl < without
    assert korea_raw["game"]["third_parties"][0]["trigger"] == {"after_move": "treaty"}


def test_the_scripted_vocabulary_is_the_korea_games(korea_game: GameSpec) -> None:
    """tests/strategy/korea_vocab.py scripts Korea's moves by index: it must follow the game."""
    from .korea_vocab import COALITION, TARGET

    assert [m.id for m in korea_game.coalition_moves] == COALITION
    assert [m.id for m in korea_game.target_moves] == TARGET
