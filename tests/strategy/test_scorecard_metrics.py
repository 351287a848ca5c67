"""The metrics the scorecards added (issue 15, item 9), hand-computed on the minimal game.

A deterministic copy of the synthetic game: no noise, and a target that (up to the engine's
1e-9 clip) either climbs every month (meet, freeze, then a step a month) or tests every month.
The coalition plays a script, so every metric has a value one can count by hand.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.metrics import METRICS, game_metrics, metric, metric_names
from detente.strategy.scripted import Scripted
from detente.strategy.simulate import build_episodes, episode_types, play_strategy

from .scorecard_game import ASSUMED, with_scorecards

N = 50
SCORECARD_ONLY = {m.name for m in METRICS if not m.always}


def _q(x: float) -> dict[str, Any]:
    return {"value": x, "assumption": ASSUMED}


def _game(minimal_raw: dict[str, Any], climbs: bool) -> GameSpec:
    doc = with_scorecards(minimal_raw)
    game = copy.deepcopy(doc["game"])
    game["noise"] = {"coalition_misreads": _q(0.0), "target_misreads": _q(0.0)}
    game["election"] = None
    for t in game["types"]:
        t.update(
            p_talk=_q(1.0 if climbs else 0.0),
            p_progress=_q(1.0 if climbs else 0.0),
            p_test=_q(0.0 if climbs else 1.0),
            lift={},
            reassurance=_q(0.0),
            pre_election_lift=_q(0.0),
        )
    return GameSpec.model_validate(game)


def _outcomes(game: GameSpec, script: list[str]) -> dict[str, np.ndarray]:
    ids = [m.id for m in game.coalition_moves]
    eps = build_episodes(game, 1, N)
    return play_strategy(
        game, eps, Scripted([ids.index(m) for m in script]), episode_types(game, eps)
    )


def test_a_target_that_climbs_against_three_concessions(minimal_raw: dict[str, Any]) -> None:
    game = _game(minimal_raw, climbs=True)
    # months 0..23 (2030-01..2031-12, the checkpoint is the end): declare (one-off effect:
    # counted once), aid twice (repeatable: counted each time), a call, pressure, then wait
    out = _outcomes(game, ["declare", "aid", "aid", "call", "press", "wait"])
    # the target meets (month 0), freezes (month 1), then steps every month: 22 steps
    assert np.all(out["steps_per_concession"] == pytest.approx(22 / 3))
    assert np.all(out["tests_per_year"] == 0.0)
    # sanctions 1 - 0.25 - 0.25 + 0.1; no move changes exercises; the call opened the link
    assert np.all(out["sanctions"] == pytest.approx(0.6))
    assert np.all(out["exercises"] == 1.0)
    assert np.all(out["p_link_open"] == 1.0)
    assert np.all(out["p_talks_open"] == 1.0)
    assert np.all(out["p_unc_intact"] == 1.0)


def test_a_target_that_tests_every_month(minimal_raw: dict[str, Any]) -> None:
    game = _game(minimal_raw, climbs=False)
    out = _outcomes(game, ["aid", "aid", "aid", "aid", "aid", "wait"])
    # 24 tests in 24 months; no step, five concessions; sanctions relieved to 0 (clipped)
    assert np.all(out["tests_per_year"] == 12.0)
    assert np.all(out["steps_per_concession"] == 0.0)
    assert np.all(out["sanctions"] == 0.0)
    assert np.all(out["p_link_open"] == 0.0) and np.all(out["p_talks_open"] == 0.0)
    assert np.all(out["unreciprocated"] == 5.0)


def test_no_concession_counts_as_one(minimal_raw: dict[str, Any]) -> None:
    out = _outcomes(_game(minimal_raw, climbs=True), ["wait"])
    assert np.all(out["steps_per_concession"] == 22.0)


def test_scorecard_metrics_are_reported_only_where_a_scorecard_names_them(
    minimal_game: GameSpec, scorecard_game: GameSpec, korea_game: GameSpec
) -> None:
    # Korea's scorecards (cato, hill) name some of them: it reports exactly those
    named = {name for card in korea_game.scorecards for name in card.metrics}
    assert SCORECARD_ONLY & set(metric_names(korea_game)) == SCORECARD_ONLY & named
    assert {
        "steps_per_concession",
        "tests_per_year",
        "p_unc_intact",
        "exercises",
        "p_link_open",
        "p_talks_open",
        "sanctions",
    } == SCORECARD_ONLY
    assert not SCORECARD_ONLY & set(metric_names(minimal_game))
    names = metric_names(scorecard_game)
    assert set(names) >= SCORECARD_ONLY
    assert names[: len(metric_names(minimal_game))] == metric_names(minimal_game)
    assert [m.name for m in game_metrics(scorecard_game)] == names


def test_entries_say_how_to_read_them() -> None:
    assert metric("tests_per_year").lower_is_better
    assert not metric("steps_per_concession").lower_is_better
    assert metric("p_unc_intact").binary and metric("p_link_open").binary
    assert metric("sanctions").unit == "share" and metric("exercises").kind == "level"


def test_counting_metrics_read_the_moves_the_game_recorded(scorecard_game: GameSpec) -> None:
    """A bare ``play`` (not through ``simulate``) gives the same counts as ``simulate``."""
    from detente.strategy.engine import play
    from detente.strategy.game import CoalitionGame, TypedTarget
    from detente.strategy.strategies import PeaceFirst

    eps = build_episodes(scorecard_game, 1, 8)
    g = CoalitionGame(scorecard_game, eps.draws, eps.mix_types, eps.game_seed)
    rng = np.random.default_rng(0)
    rec = play(g, (PeaceFirst(), TypedTarget(g)), 8, (rng, rng))
    assert np.array_equal(g.played[0], rec.moves[0]) and np.array_equal(g.played[1], rec.moves[1])
    tests = (rec.moves[1][:, : g.checkpoint + 1] == g.test_move).sum(axis=1)
    months = g.checkpoint + 1
    assert np.array_equal(g.outcomes()["tests_per_year"], tests * 12.0 / months)
