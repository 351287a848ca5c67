"""Scorecards (issue 15, item 9): the rule that turns a named point of view into a ranking.

The rule is checked twice: on numbers small enough to do by hand (``normalise`` and a score),
and on the synthetic game, where the frame's score must be the weighted sum of its own
normalised means and each normalised mean its share of the way from the worst strategy's mean
to the best's. No scorecard, no ranking: there is no default "best".
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.scorecards import (
    SCORE,
    normalise,
    scorecard_heading,
    scorecard_rows,
    scorecard_table,
    scorecard_tables,
)
from detente.strategy.simulate import build_episodes, simulate

STRATS = ["peace_first", "reciprocal_trade", "strategic_patience", "peace_first_no_declaration"]


def test_normalise_by_hand() -> None:
    values = np.array([[0.2, 0.4], [0.5, 0.5], [0.8, 0.6]])  # 3 strategies × 2 episodes
    means = [0.3, 0.5, 0.7]
    z, worst, best = normalise(values, means, "higher")
    assert (worst, best) == (0.3, 0.7)
    np.testing.assert_allclose(z, [[-0.25, 0.25], [0.5, 0.5], [1.25, 0.75]])
    z, worst, best = normalise(values, means, "lower")
    assert (worst, best) == (0.7, 0.3)
    np.testing.assert_allclose(z.mean(axis=1), [1.0, 0.5, 0.0], atol=1e-12)
    z, _, _ = normalise(values, [0.5, 0.5, 0.5], "higher")
    assert not z.any()  # no range: the metric separates no strategy


@pytest.fixture()
def frame(scorecard_game: GameSpec) -> pd.DataFrame:
    eps = build_episodes(scorecard_game, 4, 600)
    return scorecard_table(scorecard_game, eps, "hawk", strategies=STRATS)


def test_the_score_is_the_weighted_sum_of_range_normalised_means(
    frame: pd.DataFrame, scorecard_game: GameSpec
) -> None:
    metrics = frame[frame["metric"] != SCORE]
    scores = frame[frame["metric"] == SCORE].set_index("strategy")
    weights = {"steps_per_concession": 1, "unreciprocated": 1, "sanctions": 1}
    weights |= {"tests_per_year": 1, "exercises": 0.5, "p_unc_intact": 0.5, "p_talks_open": 0.5}
    total = sum(weights.values())
    for name, w in weights.items():
        rows = metrics[metrics["metric"] == name].set_index("strategy")
        assert rows["weight"].unique() == pytest.approx([w / total])
        means = rows["mean"]
        better = scorecard_game.scorecards[1].metrics[name].better or rows["better"].iloc[0]
        worst, best = (
            (means.min(), means.max()) if better == "higher" else (means.max(), means.min())
        )
        expect = (means - worst) / (best - worst) if best != worst else means * 0
        np.testing.assert_allclose(rows["normalised"], expect, atol=1e-12)
    for sid in STRATS:
        sub = metrics[metrics["strategy"] == sid]
        assert scores.at[sid, "mean"] == pytest.approx(
            float((sub["weight"] * sub["normalised"]).sum())
        )
        assert scores.at[sid, "lo"] < scores.at[sid, "mean"] < scores.at[sid, "hi"]


def test_the_ranking_follows_the_score_and_the_gaps_are_paired(
    frame: pd.DataFrame, scorecard_game: GameSpec
) -> None:
    scores = frame[frame["metric"] == SCORE]
    assert list(scores["rank"]) == [1, 2, 3, 4]
    assert list(scores["mean"]) == sorted(scores["mean"], reverse=True)
    gaps = scores["gap"].to_numpy()
    np.testing.assert_allclose(gaps[:-1], -np.diff(scores["mean"].to_numpy()), atol=1e-12)
    assert np.isnan(gaps[-1])
    # rows come rank by rank, each strategy's score first
    assert list(dict.fromkeys(frame["strategy"])) == list(scores["strategy"])


def test_per_metric_means_are_the_strategies_table_s(
    frame: pd.DataFrame, scorecard_game: GameSpec
) -> None:
    eps = build_episodes(scorecard_game, 4, 600)
    out = simulate(scorecard_game, eps, "peace_first")
    row = frame[(frame["strategy"] == "peace_first") & (frame["metric"] == "unreciprocated")]
    assert float(row["mean"].iloc[0]) == pytest.approx(float(out["unreciprocated"].mean()))


def test_two_views_can_disagree_and_a_direction_override_flips_a_metric(
    scorecard_game: GameSpec,
) -> None:
    eps = build_episodes(scorecard_game, 4, 600)
    tables = scorecard_tables(scorecard_game, eps)
    assert list(tables) == ["dove", "hawk"]
    top = {cid: t[t["metric"] == SCORE].iloc[0]["strategy"] for cid, t in tables.items()}
    assert top["dove"] != top["hawk"]  # no strategy wins by construction
    card = scorecard_game.scorecards[1]
    flipped = card.model_copy(
        update={
            "metrics": {
                **card.metrics,
                "sanctions": card.metrics["sanctions"].model_copy(update={"better": "lower"}),
            }
        }
    )
    game = scorecard_game.model_copy(update={"scorecards": [scorecard_game.scorecards[0], flipped]})
    a = tables["hawk"].set_index(["strategy", "metric"])["normalised"]
    b = scorecard_table(game, eps, "hawk").set_index(["strategy", "metric"])["normalised"]
    for sid in ("peace_first", "strategic_patience"):
        assert b[(sid, "sanctions")] == pytest.approx(1 - a[(sid, "sanctions")])
        assert b[(sid, "unreciprocated")] == pytest.approx(a[(sid, "unreciprocated")])


def test_no_scorecard_no_ranking(minimal_game: GameSpec, scorecard_game: GameSpec) -> None:
    eps = build_episodes(minimal_game, 1, 20)
    assert scorecard_tables(minimal_game, eps) == {}
    with pytest.raises(KeyError, match="unknown scorecard 'best'"):
        scorecard_table(scorecard_game, build_episodes(scorecard_game, 1, 20), "best")


def test_the_printed_rows(frame: pd.DataFrame, scorecard_game: GameSpec) -> None:
    header, rows = scorecard_rows(frame)
    assert header[:4] == ["rank", "strategy", "score", "gap to next"]
    assert header[4] == "steps per concession ↑ w=0.18"  # 1 / 5.5
    assert header[5] == "unreciprocated ↓ w=0.18"
    assert len(rows) == 4 and rows[0][0] == "1" and rows[-1][3] == "—"
    assert all(len(r) == len(header) for r in rows)
    assert scorecard_heading(scorecard_game.scorecards[0]) == (
        "scorecard dove: Talks first (assumption: invented: a view that values talks and the link)"
    )


def test_an_uncertain_weight_is_drawn_per_episode(scorecard_game: GameSpec) -> None:
    card = scorecard_game.scorecards[0]
    entry = card.metrics["p_link_open"].model_copy(
        update={
            "weight": card.metrics["p_link_open"].weight.model_validate(
                {"dist": "uniform", "low": 0.0, "high": 2.0, "assumption": "invented"}
            )
        }
    )
    game = scorecard_game.model_copy(
        update={
            "scorecards": [
                card.model_copy(update={"metrics": {**card.metrics, "p_link_open": entry}})
            ]
        }
    )
    eps = build_episodes(game, 4, 400)
    w = eps.draws["game.scorecards.dove.metrics.p_link_open.weight"]
    assert w.std() > 0.3
    t = scorecard_table(game, eps, "dove")
    assert set(t["strategy"]) == {s.id for s in game.strategies}
