"""The report's scorecard and hindcast sections: present when the scenario has them, with the
library's numbers, and absent otherwise (synthetic scenarios; every number invented)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tests.strategy.scorecard_game import with_scorecards

from detente.analysis.compare import compare_scorecards
from detente.analysis.hindcast import hindcast, load_mapped, worldview_posterior
from detente.models import get_model
from detente.report.data import ReportOptions, report_data
from detente.report.html import render_report
from detente.scenario.load import load_scenario, parse_document, with_worldview
from detente.strategy.checks import check_strategies

TESTS = Path(__file__).resolve().parents[1]
MINIMAL = TESTS / "strategy" / "data" / "minimal-game.yaml"
HINDCAST = TESTS / "analysis" / "data" / "hindcast-game.yaml"


def _opts(worldviews: list[str], crux: str) -> ReportOptions:
    return ReportOptions(
        worldviews=worldviews,
        models=[get_model("compromise")],
        draws=20,
        episodes=60,
        sensitivity_n=8,
        game_sensitivity_n=0,
        crux_output=crux,
    )


def test_a_section_per_scorecard_with_the_library_s_scores(tmp_path: Path) -> None:
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    loaded = parse_document(doc, str(tmp_path / "scorecard-game.yaml"))
    opts = _opts(["hopeful", "wary"], "strategies")
    data = report_data(loaded, opts)
    assert [b.id for b in data.scorecards] == ["dove", "hawk"]
    html = render_report(data)
    assert '<section id="scorecards">' in html and 'href="#scorecards"' in html
    scenarios = {wv: with_worldview(loaded, wv) for wv in ("hopeful", "wary")}
    frame, diffs = compare_scorecards(scenarios, ["hopeful", "wary"], opts.seed, opts.episodes)
    hawk = frame[frame.scorecard == "hawk"]
    block = data.scorecards[1]
    assert "scorecard hawk: Nothing for free" in block.heading and block.heading in html
    first = hawk[hawk.worldview == "hopeful"].sort_values("rank", kind="stable")
    assert block.strategies == list(first.strategy)
    for r in hawk.itertuples():
        assert block.cell(r.strategy, r.worldview) == (r.rank, r.mean, r.lo, r.hi)
        assert f"{r.mean:.3f} [{r.lo:.3f}, {r.hi:.3f}]" in html
    for r in diffs[diffs.scorecard == "hawk"].itertuples():
        assert block.difference(r.strategy, "wary") == (r.mean, r.lo, r.hi)
        assert f"{r.mean:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]" in html
    assert data.hindcast is None and '<section id="hindcast">' not in html


def test_no_scorecard_no_hindcast_no_section() -> None:
    loaded = load_scenario(MINIMAL)
    data = report_data(loaded, _opts(["hopeful", "wary"], "strategies"))
    html = render_report(data)
    assert data.scorecards == [] and data.hindcast is None
    assert "scorecards" not in html and 'id="hindcast"' not in html


def test_the_hindcast_section_has_the_library_s_numbers() -> None:
    loaded = load_scenario(HINDCAST, game_checks=(check_strategies,))
    assert loaded.scenario.record is not None
    views = ["noisy", "closed"]
    opts = _opts(views, "strategies")
    data = report_data(loaded, opts)
    assert data.hindcast is not None
    html = render_report(data)
    assert '<section id="hindcast">' in html and 'href="#hindcast"' in html
    mapped = load_mapped(loaded.scenario.record, loaded.file, loaded.lines)
    expected = []
    for wv in views:
        game = with_worldview(loaded, wv).game
        assert game is not None
        expected.append(hindcast(game, mapped, opts.seed, opts.episodes, wv))
    assert data.hindcast.results == expected
    post = worldview_posterior(expected)
    assert data.hindcast.posterior == post
    for r in expected:
        assert (
            f"<td>{r.worldview}</td><td class='num'>{r.log_likelihood:.2f}</td>"
            f"<td class='num'>{r.mc_se:.3f}</td><td class='num'>{r.p_no_talks:.3f}</td>"
            f"<td class='num'>{post[r.worldview or 'base']:.3f}</td>"
        ) in html
        for t in r.types:
            assert f"<td>{t.type}</td><td class='num'>{t.prior:.3f}</td>" in html
        for m in r.surprising():
            assert f"<td>{m.month}</td><td>{m.coalition}</td><td>{m.target}</td>" in html
    assert sum(post.values()) == pytest.approx(1.0)


def test_the_default_report_runs_on_a_two_actor_game_with_its_default_crux() -> None:
    """Regressions: the default crux output (the first issue's forecast) reads none of the
    judgments the worldviews differ on (every effect None), and the default models leave out
    those whose ``min_actors`` tag the scenario does not meet (spatial needs 3)."""
    from detente.report.data import default_models

    loaded = load_scenario(MINIMAL)
    assert len(loaded.scenario.actors) == 2
    assert "spatial" not in {m.name for m in default_models(2)}
    assert "spatial" in {m.name for m in default_models(3)}
    opts = ReportOptions(
        worldviews=["hopeful", "wary"], draws=20, episodes=40, sensitivity_n=8,
        game_sensitivity_n=0,
    )  # fmt: skip
    html = render_report(report_data(loaded, opts))
    assert "hopeful" in html and "wary" in html
