"""Scorecard outputs (``scorecard:ID[:A[-B]]``): parsing, per-episode scores, cruxes, sensitivity.

On the synthetic scorecard game (tests/strategy/scorecard_game.py; every number invented).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from tests.strategy.scorecard_game import with_scorecards

from detente.analysis.cruxes import find_cruxes
from detente.analysis.outputs import OutputSpec, parse_output
from detente.analysis.sensitivity import game_output_values
from detente.scenario.load import LoadedScenario, parse_document, with_worldview
from detente.strategy.scorecards import SCORE, scorecard_scores, scorecard_table
from detente.strategy.simulate import build_episodes

MINIMAL = Path(__file__).resolve().parents[1] / "strategy" / "data" / "minimal-game.yaml"
WEIGHT = "game.scorecards.hawk.metrics.p_talks_open.weight"


def _doc() -> dict[str, Any]:
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    # the wary view also cares much more for talks being open on the hawk's card
    doc["worldviews"][1]["overrides"].append(
        {"path": WEIGHT, "value": {"value": 10.0, "assumption": "invented for testing"}}
    )
    return doc


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return parse_document(_doc(), "scorecard-game.yaml")


def test_parse_scorecard_outputs(loaded: LoadedScenario) -> None:
    sc = loaded.scenario
    assert parse_output("scorecard:hawk", sc) == OutputSpec("ranking", scorecard="hawk")
    spec = parse_output("scorecard:dove:peace_first-grit@spoiler", sc)
    assert spec == OutputSpec(
        "strategy", scorecard="dove", strategy_a="peace_first", strategy_b="grit", type_id="spoiler"
    )
    assert parse_output("scorecard:dove:grit", sc).strategy_b is None
    assert "scorecard dove" in spec.describe() and spec.measure == "scorecard dove"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("scorecard:nope", "unknown scorecard 'nope' (known: dove, hawk)"),
        ("scorecard:", "unknown scorecard ''"),
        ("scorecard:hawk:nope-grit", "unknown strategy 'nope'"),
        ("scorecard:hawk:grit-nope", "unknown strategy 'nope'"),
        ("scorecard:hawk@nope", "unknown target type 'nope'"),
        ("scorecards:hawk", "scorecard:ID[:A[-B]][@TYPE]"),
    ],
)
def test_parse_scorecard_output_errors(loaded: LoadedScenario, text: str, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_output(text, loaded.scenario)


def test_a_game_without_scorecards_has_no_scorecard_output() -> None:
    plain = parse_document(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")), "minimal.yaml")
    with pytest.raises(ValueError, match="names no scorecards"):
        parse_output("scorecard:hawk", plain.scenario)


def test_scores_are_the_table_s_and_a_difference_uses_the_full_strategy_set(
    loaded: LoadedScenario,
) -> None:
    game = loaded.scenario.game
    assert game is not None
    eps = build_episodes(game, 3, 200)
    ids, scores = scorecard_scores(game, eps, "hawk")
    table = scorecard_table(game, eps, "hawk")
    means = table[table["metric"] == SCORE].set_index("strategy")["mean"]
    assert ids == [s.id for s in game.strategies]
    np.testing.assert_allclose(scores.mean(axis=1), [means[i] for i in ids], atol=1e-12)
    spec = parse_output("scorecard:hawk:reciprocal_trade-peace_first", loaded.scenario)
    y = game_output_values(game, spec, eps)
    assert y.mean() == pytest.approx(means["reciprocal_trade"] - means["peace_first"], abs=1e-12)
    # a two-strategy table normalises differently: the documented choice is the full set
    two = scorecard_table(game, eps, "hawk", strategies=["reciprocal_trade", "peace_first"])
    pair = two[two["metric"] == SCORE].set_index("strategy")["mean"]
    assert abs(pair["reciprocal_trade"] - pair["peace_first"] - y.mean()) > 1e-3


def test_a_sensitivity_batch_normalises_each_design_row_on_its_own(
    loaded: LoadedScenario,
) -> None:
    game = loaded.scenario.game
    assert game is not None
    single = build_episodes(game, 3, 100)
    _, one = scorecard_scores(game, single, "dove")
    fixed = {"game.declaration.cost": np.array([0.1, 0.9])}
    batch = build_episodes(game, 3, 100, fixed=fixed, repeat=2)
    _, two = scorecard_scores(game, batch, "dove")
    row = build_episodes(game, 3, 100, fixed={"game.declaration.cost": np.array([0.9])})
    _, alone = scorecard_scores(game, row, "dove")
    np.testing.assert_allclose(two[:, 100:], alone, atol=1e-12)
    assert one.shape == (len(game.strategies), 100)


def test_cruxes_of_a_scorecard_ranking(loaded: LoadedScenario) -> None:
    spec = parse_output("scorecard:hawk", loaded.scenario)
    r = find_cruxes(loaded, "hopeful", "wary", spec, episodes=300)
    assert r.flips
    assert r.conclusion_a.startswith("generous_tit_for_tat ranks first")
    assert [c.paths for c in r.cruxes] == [(WEIGHT,)]
    assert r.notes[0].startswith("hopeful's ranking: generous_tit_for_tat")
    assert r.notes[1].startswith("wary's ranking: peace_first")
    # the ranking is the library's: wary's scores on wary's scenario
    wary = with_worldview(loaded, "wary").game
    assert wary is not None
    ids, scores = scorecard_scores(wary, build_episodes(wary, 0, 300), "hawk")
    best = ids[int(np.argmax(scores.mean(axis=1)))]
    assert best in ("peace_first", "peace_first_rules")
    assert f"{best} {scores.mean(axis=1).max():.3f}" in r.notes[1]


def test_cruxes_of_a_scorecard_difference(loaded: LoadedScenario) -> None:
    spec = parse_output("scorecard:hawk:reciprocal_trade-peace_first", loaded.scenario)
    r = find_cruxes(loaded, "hopeful", "wary", spec, episodes=300)
    assert r.score_a < 0 and r.score_b < 0 and not r.flips
    assert ("game.declaration.cost",) in [c.paths for c in r.cruxes]
    frame = r.differences_frame().set_index("path")
    assert frame.at[WEIGHT, "role"] == "moves, does not flip"
    hopeful = with_worldview(loaded, "hopeful").game
    assert hopeful is not None
    y = game_output_values(hopeful, spec, build_episodes(hopeful, 0, 300))
    assert r.score_a == pytest.approx(float(y.mean()), abs=1e-12)


def test_compare_scores_every_scorecard_per_worldview(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    path = tmp_path / "scorecard-game.yaml"
    path.write_text(yaml.safe_dump(_doc(), sort_keys=False), encoding="utf-8")
    args = ["compare", str(path), "--worldviews", "hopeful,wary", "--strategies", "-n", "120"]
    res = CliRunner().invoke(app, [*args, "-f", "json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    rows = {(r["scorecard"], r["strategy"], r["worldview"]): r for r in data["scorecards"]}
    diffs = {(r["scorecard"], r["strategy"]): r for r in data["scorecard_differences"]}
    loaded = parse_document(_doc(), str(path))
    for wv in ("hopeful", "wary"):
        game = with_worldview(loaded, wv).game
        assert game is not None
        table = scorecard_table(game, build_episodes(game, 0, 120), "hawk")
        for r in table[table["metric"] == SCORE].itertuples():
            got = rows[("hawk", r.strategy, wv)]
            assert got["mean"] == pytest.approx(r.mean, abs=1e-12)
            assert got["rank"] == r.rank
    for key, d in diffs.items():
        assert d["a"] == "hopeful" and d["b"] == "wary"
        expected = rows[(*key, "wary")]["mean"] - rows[(*key, "hopeful")]["mean"]
        assert d["mean"] == pytest.approx(expected, abs=1e-12)
    assert len(diffs) == 2 * 9
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0
    assert "scorecard hawk (type mix)" in text.stdout and "scorecard dove" in text.stdout


def test_compare_without_scorecards_has_no_scorecard_key() -> None:
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    args = ["compare", str(MINIMAL), "--worldviews", "hopeful,wary", "--strategies", "-n", "50"]
    res = CliRunner().invoke(app, [*args, "-f", "json"])
    assert res.exit_code == 0
    data = json.loads(res.stdout)
    assert "scorecards" not in data and "scorecard_differences" not in data
    assert list(data)[-1] == "notes"
