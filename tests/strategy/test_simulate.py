"""Monte Carlo: determinism, common random numbers, Kydd's separation, the scalar API."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from detente.scenario.game import GameSpec
from detente.strategy.simulate import (
    MIX,
    metric_difference,
    metric_value,
    prepare,
    run_strategies,
    simulate,
)


def test_same_seed_identical_table(korea_game: GameSpec) -> None:
    pick = ["peace_first", "grit", "generous_tit_for_tat"]
    a = run_strategies(korea_game, seed=4, episodes=300, strategies=pick)
    b = run_strategies(korea_game, seed=4, episodes=300, strategies=pick)
    pd.testing.assert_frame_equal(a, b)
    c = run_strategies(korea_game, seed=5, episodes=300, strategies=pick)
    assert not a["mean"].equals(c["mean"])


def test_tidy_shape_and_intervals(korea_game: GameSpec) -> None:
    df = run_strategies(korea_game, seed=1, episodes=300, strategies=["peace_first"])
    assert list(df.columns[:6]) == ["strategy", "type", "metric", "mean", "lo", "hi"]
    assert set(df["type"]) == {MIX, "reciprocator", "sanctions_seeker", "enmity_dependent"}
    assert {
        "p_talks_6m",
        "p_talks_12m",
        "p_freeze_2027",
        "p_step_2027",
        "arsenal_2027",
        "unreciprocated",
        "cohesion",
    } <= set(df["metric"])
    assert (df["lo"] <= df["mean"] + 1e-12).all() and (df["mean"] <= df["hi"] + 1e-12).all()
    p = df[df["metric"].str.startswith("p_")]
    assert ((p["lo"] >= 0) & (p["hi"] <= 1)).all()


def test_mix_is_between_types(korea_game: GameSpec) -> None:
    df = run_strategies(korea_game, seed=2, episodes=2000, strategies=["tit_for_tat"])
    t = df[df.metric == "p_talks_12m"].set_index("type")["mean"]
    assert t["enmity_dependent"] < t[MIX] < t["reciprocator"]


def test_common_random_numbers(korea_game: GameSpec) -> None:
    eps = prepare(korea_game, 3, 500)
    # TitForTat and GenerousTitForTat coincide until the first provocation, so month-0 moves of
    # the target (which answer no coalition move) are identical across strategies
    a = simulate(korea_game, eps, "tit_for_tat")
    b = simulate(korea_game, eps, "strategic_patience")
    assert a.keys() == b.keys()
    # Cooperative-only strategies never concede: unreciprocated stays 0 in both
    assert a["unreciprocated"].sum() == 0 == b["unreciprocated"].sum()


def test_metric_difference_is_antisymmetric(korea_game: GameSpec) -> None:
    d1 = metric_difference(
        korea_game, "p_talks_12m", "peace_first", "reciprocal_trade", seed=1, episodes=400
    )
    d2 = metric_difference(
        korea_game, "p_talks_12m", "reciprocal_trade", "peace_first", seed=1, episodes=400
    )
    assert d1 == -d2
    v = metric_value(korea_game, "p_talks_12m", "peace_first", seed=1, episodes=400)
    w = metric_value(korea_game, "p_talks_12m", "reciprocal_trade", seed=1, episodes=400)
    assert abs((v - w) - d1) < 1e-12


def _with_cost(raw: dict[str, Any], cost: float) -> GameSpec:
    game = copy.deepcopy(raw["game"])
    game["declaration"]["cost"] = {"value": cost, "assumption": "test"}
    return GameSpec.model_validate(game)


def test_kydd_costly_declaration_separates_types(korea_raw: dict[str, Any]) -> None:
    """Kydd (2005): a cheap declaration moves the types alike; a costly one moves the
    security-seeking reciprocator far more than the others."""

    def gap(cost: float) -> float:
        game = _with_cost(korea_raw, cost)
        eps = prepare(game, 7, 3000)
        r = simulate(game, eps, "peace_first", "reciprocator")["p_step_2027"].mean()
        e = simulate(game, eps, "peace_first", "enmity_dependent")["p_step_2027"].mean()
        return float(r - e)

    assert gap(1.0) > gap(0.0) + 0.05


def test_costly_declaration_costs_cohesion(korea_raw: dict[str, Any]) -> None:
    cheap, costly = _with_cost(korea_raw, 0.0), _with_cost(korea_raw, 1.0)
    c0 = metric_value(cheap, "p_unc_challenge", "peace_first", seed=1, episodes=500)
    c1 = metric_value(costly, "p_unc_challenge", "peace_first", seed=1, episodes=500)
    assert c0 == 0.0 < c1
    assert np.isfinite(c1)
