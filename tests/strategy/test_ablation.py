"""Ablation (issue 15, item 10): each rule of a rule table against its neutral counterpart.

"Declaring early buys X" is PeaceFirst minus the strategy identical to it but for its opening
(a hold), on the same episodes: checked against a scenario strategy written that way, and by
hand on a target that tests every month.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.ablation import ablate, ablation_rows, ablations, rule_table
from detente.strategy.simulate import build_episodes, simulate
from detente.strategy.strategies import COMPOSITIONS

from .scorecard_game import ASSUMED


def test_peace_first_s_rules_and_their_neutral_counterparts(scorecard_game: GameSpec) -> None:
    rules = rule_table(scorecard_game, "peace_first")
    assert rules == COMPOSITIONS["PeaceFirst"]
    assert [(r, role) for r, role, _ in ablations(rules)] == [
        ("opening", "declare"),
        ("cooperation", "reward"),
        ("stall", "cooperate"),
        ("provocation", "defect"),
    ]
    trade = ablations(COMPOSITIONS["ReciprocalTrade"])
    assert [r for r, _, _ in trade] == ["progress", "provocation", "after_declaration.progress"]
    assert trade[2][2].after_declaration is not None
    assert trade[2][2].after_declaration.progress == "hold"
    with pytest.raises(ValueError, match="not a rule table"):
        rule_table(scorecard_game, "grit")


def test_the_opening_row_is_peace_first_minus_peace_first_without_its_declaration(
    scorecard_game: GameSpec,
) -> None:
    df = ablate(scorecard_game, "peace_first", 5, 500)
    eps = build_episodes(scorecard_game, 5, 500)
    with_ = simulate(scorecard_game, eps, "peace_first")
    without = simulate(scorecard_game, eps, "peace_first_no_declaration")
    rows = df[df["rule"] == "opening"].set_index("metric")
    for name in ("p_talks_6m", "unreciprocated", "cohesion", "p_step_2031", "tests_per_year"):
        assert rows.at[name, "with_rule"] == pytest.approx(float(with_[name].mean()))
        assert rows.at[name, "without_rule"] == pytest.approx(float(without[name].mean()))
        d = with_[name] - without[name]
        assert rows.at[name, "effect"] == pytest.approx(float(d.mean()))
        assert rows.at[name, "lo"] <= rows.at[name, "effect"] <= rows.at[name, "hi"]
    # the paired interval is narrower than either mean's own spread would allow unpaired
    half = rows.at["p_talks_12m", "hi"] - rows.at["p_talks_12m", "effect"]
    unpaired = 1.96 * np.sqrt(
        (with_["p_talks_12m"].var(ddof=1) + without["p_talks_12m"].var(ddof=1)) / 500
    )
    assert half < unpaired
    assert set(df["rule"]) == {"opening", "cooperation", "stall", "provocation"}


def test_by_hand_on_a_target_that_tests_every_month(minimal_raw: dict[str, Any]) -> None:
    game = copy.deepcopy(minimal_raw["game"])
    q = {"value": 0.0, "assumption": ASSUMED}
    game["noise"] = {"coalition_misreads": q, "target_misreads": q}
    game["election"] = None
    for t in game["types"]:
        t.update(p_talk=q, p_progress=q, p_test={"value": 1.0, "assumption": ASSUMED}, lift={})
        t.update(reassurance=q, pre_election_lift=q)
    spec = GameSpec.model_validate(game)
    df = ablate(spec, "peace_first", 1, 40).set_index(["rule", "metric"])
    # PeaceFirst declares (one concession, answered by a test: unreciprocated), then presses
    # every month; opening with a hold instead concedes nothing
    assert df.at[("opening", "unreciprocated"), "with_rule"] == 1.0
    assert df.at[("opening", "unreciprocated"), "without_rule"] == 0.0
    assert df.at[("opening", "unreciprocated"), "effect"] == 1.0
    assert df.at[("opening", "unreciprocated"), "lo"] == df.at[("opening", "unreciprocated"), "hi"]
    # a test every month whatever the coalition does: the provocation rule changes nothing
    # but what it costs in cohesion (pressure has no cohesion effect here: nothing at all)
    prov = df.xs("provocation")
    assert (prov["effect"] == 0.0).all()


def test_the_printed_rows(scorecard_game: GameSpec) -> None:
    df = ablate(scorecard_game, "peace_first", 5, 200, metrics=["p_talks_6m", "unreciprocated"])
    header, rows = ablation_rows(df)
    assert header == ["rule", "P(talks ≤6 mo)", "unreciprocated"]
    assert rows[0][0] == "opening: declare → hold"
    assert rows[0][1].startswith("+") and " [" in rows[0][1]
    assert len(rows) == 4
