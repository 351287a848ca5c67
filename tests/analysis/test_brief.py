"""The brief (:mod:`detente.analysis.brief`): what it names exists, its numbers are the other
commands' numbers, and it works without a game."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.analysis.brief import BriefOptions, brief, steps
from detente.scenario.load import LoadedScenario, load_scenario
from detente.scenario.paths import get_path, resolve_path

OPTS = BriefOptions(draws=20, episodes=24, seed=3)


@pytest.fixture(scope="module")
def korea(korea_yaml: Path) -> LoadedScenario:
    return load_scenario(korea_yaml)


@pytest.fixture(scope="module")
def korea_brief(korea: LoadedScenario) -> object:
    ticks: list[str] = []
    result = brief(korea, OPTS, ticks.append)
    return result, ticks


def test_best_strategy_per_scorecard_and_worldview(korea: LoadedScenario, korea_brief) -> None:
    b, _ = korea_brief
    game = korea.scenario.game
    assert game is not None
    views = ["base", *(w.id for w in korea.scenario.worldviews)]
    assert [w["id"] for w in b.worldviews] == views
    pairs = {(a.scorecard, a.worldview) for a in b.answers}
    assert pairs == {(c.id, v) for c in game.scorecards for v in views}
    strategy_ids = {s.id for s in game.strategies}
    for a in b.answers:
        assert a.best in strategy_ids and a.runner_up in strategy_ids
        assert a.ranking[0] == (a.best, a.score)
        assert a.margin is not None and a.margin.mean >= 0  # the best beats the runner-up
        assert a.margin.mean == pytest.approx(a.ranking[0][1] - a.ranking[1][1], abs=1e-12)


def test_scores_equal_compare_scorecards(korea: LoadedScenario, korea_brief) -> None:
    """The same seed and episodes give the numbers `detente compare --strategies` prints."""
    from detente.analysis.compare import compare_scorecards
    from detente.scenario.load import with_worldview

    b, _ = korea_brief
    scenarios = {w: with_worldview(korea, w) for w in ("engagement", "skeptic")}
    frame, _ = compare_scorecards(scenarios, ["engagement", "skeptic"], OPTS.seed, OPTS.episodes)
    for a in b.answers:
        if a.worldview not in scenarios:
            continue
        rows = frame[(frame.scorecard == a.scorecard) & (frame.worldview == a.worldview)]
        means = dict(zip(rows.strategy, rows["mean"], strict=True))
        for sid, score in a.ranking:
            assert score == pytest.approx(means[sid], abs=1e-12)


def test_every_named_judgment_exists_with_its_basis(korea: LoadedScenario, korea_brief) -> None:
    from detente.scenario.load import worldview_document

    b, _ = korea_brief
    assert b.cruxes, "the flagship has two worldviews and scorecards: cruxes expected"
    for summary in b.cruxes:
        assert summary.a == "engagement" and summary.b == "skeptic"
        assert 0 < len(summary.cruxes) <= OPTS.cruxes
        effects = [abs(c.effect) for c in summary.cruxes]
        assert effects == sorted(effects, reverse=True)
        for c in summary.cruxes:
            for path in c.path.split(", "):
                for wv in (summary.a, summary.b):
                    doc = worldview_document(korea, wv)
                    value = get_path(doc, resolve_path(doc, path))  # raises if absent
                    assert isinstance(value, dict)
                    assert {"source", "assumption", "data"} & set(value)
            assert c.basis_a and c.basis_b
            assert "(no basis given)" not in c.basis_a + c.basis_b


def test_crux_effects_are_the_crux_finder_scores(korea: LoadedScenario, korea_brief) -> None:
    """A single swap's effect is the score change `detente cruxes --output scorecard:ID`
    computes for the same swap (common random numbers: the same seed and episodes)."""
    from detente.analysis.cruxes import find_cruxes
    from detente.analysis.outputs import parse_output

    b, _ = korea_brief
    summary = b.cruxes[0]
    result = find_cruxes(
        korea,
        summary.a,
        summary.b,
        parse_output(f"scorecard:{summary.scorecard}", korea.scenario),
        seed=OPTS.seed,
        episodes=OPTS.episodes,
        max_size=1,
    )
    assert result.conclusion_a == summary.conclusion_a
    for c in summary.cruxes:
        first = c.path.split(", ")[0]
        assert result.effects[first] == pytest.approx(c.effect, abs=1e-12)


def test_record_and_progress(korea: LoadedScenario, korea_brief) -> None:
    b, ticks = korea_brief
    assert b.record is not None and b.record.months > 0
    post = [f.posterior for f in b.record.fits]
    assert sum(post) == pytest.approx(1.0)
    assert all(0.0 <= f.p_no_talks <= 1.0 for f in b.record.fits)
    assert len(ticks) == steps(korea, OPTS)


def test_json_is_finite_and_deterministic(korea: LoadedScenario, korea_brief) -> None:
    import json

    b, _ = korea_brief
    json.dumps(b.to_dict(), allow_nan=False)  # no NaN or infinity survives
    two = BriefOptions(worldviews=["engagement", "skeptic"], draws=8, episodes=8, seed=5)
    first = json.dumps(brief(korea, two).to_dict(), allow_nan=False)
    assert json.dumps(brief(korea, two).to_dict(), allow_nan=False) == first


def test_a_scenario_without_a_game(emission_yaml: Path) -> None:
    loaded = load_scenario(emission_yaml)
    assert loaded.scenario.game is None
    b = brief(loaded, BriefOptions(draws=16, seed=1))
    assert b.answers == [] and b.cruxes == [] and b.record is None
    issues = {i.id for i in loaded.scenario.issues}
    assert {f.issue for f in b.forecasts} == issues
    for f in b.forecasts:
        assert f.mc_p05 <= f.mc_p95
        assert np.isfinite(f.point)
        # the DEU-calibrated interval of `detente forecast`, around the point, within the scale
        assert f.deu80 is not None
        assert 4.0 <= f.deu80[0] <= f.point <= f.deu80[1] <= 10.0
    assert any("report" in s for s in b.next_steps)
    # the levers: toward the next anchor down (7 years) the compromise model's smallest
    # changes, each re-run by the lever search to land on the target
    assert b.levers and {x.issue for x in b.levers} == issues
    for x in b.levers:
        assert x.model == "compromise" and x.anchor is not None
        assert x.forecast == pytest.approx(x.target, abs=1e-6)
    sizes = [x.size for x in b.levers if x.target == b.levers[0].target]
    assert sizes == sorted(sizes)


def test_lever_targets_are_the_next_anchors() -> None:
    from types import SimpleNamespace

    from detente.analysis.brief import lever_targets

    issue = SimpleNamespace(scale=SimpleNamespace(min=0.0, max=100.0, anchors={0: "a", 50: "b"}))
    assert lever_targets(issue, 50.4) == [
        (60.4, None),
        (0.0, "a"),
    ]
    assert lever_targets(issue, 20.0) == [(50.0, "b"), (0.0, "a")]
    assert lever_targets(issue, 95.0) == [(50.0, "b")]  # 95 + 10 is off the scale


def test_bad_options(korea: LoadedScenario) -> None:
    from detente.scenario.errors import InputError

    with pytest.raises(ValueError, match="at least 2"):
        brief(korea, BriefOptions(draws=1))
    with pytest.raises(InputError):
        brief(korea, BriefOptions(worldviews=["nope"], draws=4, episodes=4))
