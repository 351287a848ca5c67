"""Worldview comparison: per-path common random numbers make paired differences exact."""

# ruff: noqa: E501  (inline YAML scenarios)
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analysis.compare import compare
from detente.cli import app
from detente.models import get_model
from detente.scenario.load import load_scenario, with_worldview
from detente.uncertainty.sampling import sample_problem

SCENARIO = """
detente: 1
id: cmp
title: Compare test
issues:
  - {id: x, label: Issue X, scale: {min: 0, max: 100}}
  - {id: y, label: Issue Y, scale: {min: 0, max: 100}}
actors:
  - id: a
    name: Actor A
    capability: {value: 1, assumption: t}
    stances:
      x: {position: {dist: uniform, low: 0, high: 20, assumption: t}, salience: {value: 1, assumption: t}}
      y: {position: {dist: triangular, low: 0, mode: 10, high: 30, assumption: t}, salience: {value: 1, assumption: t}}
  - id: b
    name: Actor B
    capability: {value: 1, assumption: t}
    stances:
      x: {position: {value: 80, assumption: t}, salience: {value: 1, assumption: t}}
      y: {position: {dist: uniform, low: 70, high: 90, assumption: t}, salience: {value: 1, assumption: t}}
worldviews:
  - id: low
    label: Low
    assumption: t
    overrides: []
  - id: high
    label: High
    assumption: t
    overrides:
      - path: actors.b.stances.x.position
        value: {dist: uniform, low: 90, high: 100, assumption: b wants more}
"""


@pytest.fixture()
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "cmp.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def test_paired_differences(scenario_file: Path) -> None:
    loaded = load_scenario(scenario_file)
    res = compare(loaded, ["low", "high"], get_model("compromise"), draws=400, seed=5)
    fc = res.forecasts.set_index(["issue", "worldview"])
    # x: (a + b) / 2 with a ~ U(0, 20); b = 80 (low) or U(90, 100) (high)
    assert fc.at[("x", "low"), "point"] == pytest.approx(45.0)
    assert fc.at[("x", "high"), "point"] == pytest.approx(52.5)
    assert fc.at[("x", "low"), "p05"] == pytest.approx(40.5, abs=0.5)
    diff = res.forecast_differences.set_index("issue")
    # issue y is untouched by the worldviews: common random numbers make every draw equal
    assert diff.at["y", "p05"] == 0.0 and diff.at["y", "p95"] == 0.0
    # issue x: b's draws differ, a's do not, so the difference is (U(90,100) − 80) / 2
    assert 5.0 <= diff.at["x", "p05"] < diff.at["x", "p95"] <= 10.0
    assert diff.at["x", "mean"] == pytest.approx(7.5, abs=0.3)


def test_same_seed_same_draws_per_path(scenario_file: Path) -> None:
    loaded = load_scenario(scenario_file)
    p_low = sample_problem(with_worldview(loaded, "low"), 1, 0, 50)
    p_high = sample_problem(with_worldview(loaded, "high"), 1, 0, 50)
    # the high worldview adds a distribution; a's and b's other draws are unchanged
    np.testing.assert_array_equal(p_low.position[:, 0, :], p_high.position[:, 0, :])
    np.testing.assert_array_equal(p_low.position[:, 1, 1], p_high.position[:, 1, 1])


def test_cli(scenario_file: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "compare",
            str(scenario_file),
            "--worldviews",
            "low,high",
            "--draws",
            "200",
            "--format",
            "json",
            "--strategies",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {r["worldview"] for r in data["forecasts"]} == {"low", "high"}
    assert data["notes"] and "no `game:`" in data["notes"][0]
    table = runner.invoke(app, ["compare", str(scenario_file), "--worldviews", "low,high"])
    assert table.exit_code == 0 and "Issue X" in table.stdout
    for bad in (
        ["--worldviews", "low"],
        ["--worldviews", "low,nope"],
        ["--worldviews", "low,high", "--model", "nope"],
    ):
        out = runner.invoke(app, ["compare", str(scenario_file), *bad])
        assert out.exit_code == 2, out.output
        assert "Traceback" not in out.output


@pytest.mark.slow
def test_korea_strategies(korea_yaml: Path) -> None:
    loaded = load_scenario(korea_yaml)
    res = compare(loaded, ["engagement", "skeptic"], draws=300, strategies=True)
    sd = res.strategy_differences
    row = sd[(sd.strategy == "peace_first") & (sd.type == "mix") & (sd.metric == "p_talks_12m")]
    assert float(row["mean"].iloc[0]) < 0  # skeptic: fewer talks under peace first
