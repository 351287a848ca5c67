"""The crux panel against the methods it reports: on the synthetic minimal game with two
scorecards (every number invented), its choices, margins and switch points are
:func:`switch_points`' and its shares :func:`shapley`'s, run directly; every path a statement
names is a disputed judgment of the scenario, with both readings' bases; and a Korea smoke run."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.strategy.scorecard_game import with_scorecards

from detente.analysis.cruxes import worldview_differences
from detente.analysis.decision import readings
from detente.analysis.outputs import parse_output
from detente.analysis.panel import Panel, crux_panel, num, share_text, short_label
from detente.analysis.shapley import shapley
from detente.analysis.switchpoints import switch_points
from detente.scenario.load import LoadedScenario, load_scenario, parse_document, worldview_document
from detente.scenario.paths import get_path, resolve_path
from detente.scenario.quantity import Quantity

TESTS = Path(__file__).resolve().parents[1]
MINIMAL = TESTS / "strategy" / "data" / "minimal-game.yaml"
KOREA = TESTS.parent / "scenarios" / "korea-peace-declaration.yaml"
EPISODES = 40


@pytest.fixture(scope="module")
def game() -> LoadedScenario:
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    return parse_document(doc, "scorecard-game.yaml")


@pytest.fixture(scope="module")
def panel(game: LoadedScenario) -> Panel:
    return crux_panel(game, "hopeful", "wary", ["hawk"], seed=3, episodes=EPISODES)


def test_numbers_are_rounded_to_two_significant_digits() -> None:
    assert num(-0.08941) == "−0.089"
    assert num(0.5612) == "0.56"
    assert num(0.04, signed=True) == "+0.040"
    assert num(12.34) == "12"
    assert num(-1e-9, places=2) == "0.00"
    assert share_text(-0.08941, 0.0021) == "−0.089 ± 0.002"
    assert share_text(-0.043, 0.0) == "−0.043"
    assert share_text(0.1003, 0.0007) == "+0.10 ± <0.01"
    assert short_label("Skeptic (The Hill, 2023)") == "Skeptic"


def test_choices_and_switch_points_are_switch_points_own(
    game: LoadedScenario, panel: Panel
) -> None:
    spec = parse_output("scorecard:hawk", game.scenario)
    rd = readings(game, "hopeful", "wary", spec, seed=3, episodes=2)
    paths = [p for g in rd.groups for p in g.paths]
    (card,) = panel.cards
    assert card.scorecard == "hawk" and card.label == "Nothing for free"
    switched = 0
    for reading, wv in zip(card.readings, ("hopeful", "wary"), strict=True):
        direct = switch_points(game, wv, spec, paths=paths, seed=3, episodes=EPISODES)
        assert (reading.worldview, reading.choice, reading.margin) == (
            wv,
            direct.choice,
            direct.margin,
        )
        expected = []
        for sp in direct.points:
            span = sp.judgment.high - sp.judgment.low
            sides = [(s, sw) for s, sw in (("below", sp.below), ("above", sp.above)) if sw]
            if not sides:
                assert sp.judgment.path in reading.steady
                continue
            side, sw = min(sides, key=lambda t: abs(t[1].distance))
            expected.append((abs(sw.distance) / span, sp.judgment.path, side, sw.at, sw.to))
        expected.sort(key=lambda t: (t[0], t[1]))
        got = [(s.relative, s.path, s.side, s.at, s.to) for s in reading.switches]
        assert got == expected
        switched += len(got)
        for s in reading.switches:  # the sentence says the switch point and what follows
            text = next(
                st.text for st in card.statements if st.paths == (s.path,) and st.worldview == wv
            )
            assert f"{'below' if s.side == 'below' else 'above'} " in text and s.to in text
            assert ("falls below" if s.side == "below" else "rises above") in text
    assert switched > 0  # the synthetic game switches within its ranges


def test_shares_are_shapley_s_and_add_up(game: LoadedScenario, panel: Panel) -> None:
    spec = parse_output("scorecard:hawk", game.scenario)
    sh = shapley(game, "hopeful", "wary", spec, seed=3, episodes=EPISODES, max_evaluations=64)
    (card,) = panel.cards
    att = sh.attribution
    assert card.estimator == att.method == "exact"
    assert (card.value_a, card.value_b) == (att.v_empty, att.v_full)
    assert card.pair == sh.pair
    by_group = {s.group: s.share for s in card.shares}
    for g, share in zip(sh.groups, att.shares, strict=True):
        assert by_group[g.name] == float(share)
    assert math.isclose(math.fsum(by_group.values()), card.gap, abs_tol=1e-12)
    assert [abs(s.share) for s in card.shares] == sorted(
        (abs(s.share) for s in card.shares), reverse=True
    )
    text = next(st.text for st in card.statements if st.kind == "shares")
    assert num(card.gap, signed=True) in text
    assert card.shares[0].label in text and share_text(card.shares[0].share, 0.0) in text


def test_every_named_path_is_a_disputed_judgment_with_both_bases(
    game: LoadedScenario, panel: Panel
) -> None:
    diffs = {d.path: d for d in worldview_differences(game, "hopeful", "wary")}
    docs = {wv: worldview_document(game, wv) for wv in ("hopeful", "wary")}
    (card,) = panel.cards
    assert [st.kind for st in card.statements].count("shares") == 1
    named = 0
    for st in card.statements:
        assert [b.path for b in st.bases] == list(st.paths)
        for b in st.bases:
            named += 1
            assert b.path in diffs
            for wv, value, basis in (
                ("hopeful", b.value_a, b.basis_a),
                ("wary", b.value_b, b.basis_b),
            ):
                doc = docs[wv]
                q = Quantity.model_validate(get_path(doc, resolve_path(doc, b.path)))
                assert (value, basis) == (q.describe(), q.basis_text())
                assert basis != "(no basis given)"
    assert named > 0
    for st in card.statements:  # the words use labels, not ids
        if st.worldview:
            assert "Hopeful" in st.text or "Wary" in st.text or st.kind == "switch"
        assert "hawk" not in st.text


def test_to_dict_is_json_and_the_run_is_deterministic(game: LoadedScenario, panel: Panel) -> None:
    import json

    data: dict[str, Any] = panel.to_dict()
    again = crux_panel(game, "hopeful", "wary", ["hawk"], seed=3, episodes=EPISODES).to_dict()
    assert json.dumps(data, sort_keys=True) == json.dumps(again, sort_keys=True)
    assert data["worldviews"] == ["hopeful", "wary"] and data["episodes"] == EPISODES
    assert data["scorecards"][0]["statements"][0]["text"] == panel.cards[0].statements[0].text


def test_bad_requests_are_refused(game: LoadedScenario) -> None:
    with pytest.raises(ValueError, match="unknown scorecard 'nope'"):
        crux_panel(game, "hopeful", "wary", ["nope"], episodes=4)
    with pytest.raises(ValueError, match="two different worldviews"):
        crux_panel(game, "hopeful", "hopeful", episodes=4)
    no_cards = load_scenario(MINIMAL)
    with pytest.raises(ValueError, match="needs a game with scorecards"):
        crux_panel(no_cards, "hopeful", "wary", episodes=4)


@pytest.mark.slow
def test_korea_panel_smoke() -> None:
    loaded = load_scenario(KOREA)
    p = crux_panel(loaded, "engagement", "skeptic", ["hill"], episodes=8, max_evaluations=8)
    (card,) = p.cards
    assert card.label == "The Hill (Holmes, 2023)"
    assert card.estimator == "permutation"
    assert math.isclose(math.fsum(s.share for s in card.shares), card.gap, abs_tol=1e-9)
    texts = [st.text for st in card.statements]
    assert texts[0].startswith("Under the reading “Engagement” (engagement, as of 2021-10)")
    assert any(t.startswith("Under the reading “Skeptic” (skeptic, as of 2023-03)") for t in texts)
    for st in card.statements:
        for b in st.bases:
            assert b.basis_a and b.basis_b
