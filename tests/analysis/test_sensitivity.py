"""Sobol and Morris through detente's path-named parameters, on functions with known indices."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from typer.testing import CliRunner

from detente.analysis.sensitivity import (
    analyze,
    forecast_evaluator,
    sample,
    scenario_parameters,
)
from detente.cli import app
from detente.models import get_model
from detente.models.base import FloatArray
from detente.scenario.load import load_scenario
from detente.scenario.quantity import Quantity
from detente.uncertainty.sampling import Parameter


def _uniform(path: str, lo: float, hi: float) -> Parameter:
    q = Quantity(dist="uniform", low=lo, high=hi, assumption="test")
    return Parameter.of(path, f"label of {path}", q)


def _ishigami(x: FloatArray, a: float = 7.0, b: float = 0.1) -> FloatArray:
    return np.asarray(
        np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])
    )


def test_ishigami_sobol_indices() -> None:
    # Ishigami & Homma (1990), a = 7, b = 0.1: S1 = .314, .442, 0; ST = .558, .442, .244
    params = [_uniform(f"actors.x{i}.capability", -math.pi, math.pi) for i in (1, 2, 3)]
    design = sample(params, "sobol", n=4096, seed=3)
    assert design.values.shape == (4096 * 5, 3)
    table = analyze(design, _ishigami(design.values)).set_index("path")
    s1 = table.loc[[p.path for p in params], "S1"].to_numpy()
    st = table.loc[[p.path for p in params], "ST"].to_numpy()
    np.testing.assert_allclose(s1, [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(st, [0.558, 0.442, 0.244], atol=0.03)
    assert (table["S1_conf"] > 0).all() and (table["S1_conf"] < 0.1).all()
    assert table.loc["actors.x2.capability", "label"] == "label of actors.x2.capability"
    assert list(table.index[:1]) == ["actors.x1.capability"]  # largest ST first


def test_additive_linear_variance_shares() -> None:
    # y = 1·x1 + 2·x2 + 3·x3, xi ~ U(0, 1): shares 1/14, 4/14, 9/14; additive, so S1 = ST
    params = [_uniform(f"p{i}", 0.0, 1.0) for i in (1, 2, 3)]
    design = sample(params, "sobol", n=2048, seed=0)
    y = design.values @ np.array([1.0, 2.0, 3.0])
    table = analyze(design, y).set_index("path")
    expected = np.array([1, 4, 9]) / 14
    np.testing.assert_allclose(table.loc[["p1", "p2", "p3"], "S1"], expected, atol=0.02)
    np.testing.assert_allclose(table.loc[["p1", "p2", "p3"], "ST"], expected, atol=0.02)


def test_morris_ranks_parameters() -> None:
    params = [_uniform(f"p{i}", 0.0, 1.0) for i in (1, 2, 3)]
    design = sample(params, "morris", n=20, seed=1)
    y = design.values @ np.array([1.0, 2.0, 0.0])
    table = analyze(design, y)
    assert list(table["path"]) == ["p2", "p1", "p3"]
    # mu_star on the unit (quantile) scale: exactly the coefficient of a linear function
    np.testing.assert_allclose(
        table.set_index("path").loc[["p2", "p1", "p3"], "mu_star"], [2.0, 1.0, 0.0], atol=1e-9
    )


def test_inverse_cdf_mapping_matches_the_distribution() -> None:
    u = (np.arange(2000) + 0.5) / 2000
    tri = Quantity(dist="triangular", low=0, mode=10, high=40, assumption="t")
    x = tri.ppf(u)
    assert x.min() >= 0 and x.max() <= 40
    assert x.mean() == pytest.approx(tri.point(), abs=0.05)
    assert stats.kstest(x, stats.triang(0.25, loc=0, scale=40).cdf).statistic < 0.01
    tn = Quantity(dist="truncnormal", mean=0.5, sd=0.3, low=0, high=1, assumption="t")
    assert tn.ppf(u).mean() == pytest.approx(tn.point(), abs=0.01)
    beta = Quantity(dist="beta", a=2, b=5, low=10, high=20, assumption="t")
    assert beta.ppf(u).mean() == pytest.approx(beta.point(), abs=0.01)
    assert np.all(Quantity(value=3.0).ppf(u) == 3.0)


SCENARIO = """
detente: 1
id: two-actor
title: Two actors
issues:
  - id: deal
    label: The deal
    scale: {min: 0, max: 100}
actors:
  - id: a
    name: Actor A
    capability: {value: 1, assumption: t}
    stances:
      deal:
        position: {dist: uniform, low: 0, high: 40, assumption: t}
        salience: {value: 1, assumption: t}
  - id: b
    name: Actor B
    capability: {value: 1, assumption: t}
    stances:
      deal:
        position: {dist: uniform, low: 60, high: 100, assumption: t}
        salience: {value: 1, assumption: t}
  - id: c
    name: Actor C
    capability: {value: 2, assumption: t}
    stances:
      deal:
        position: {dist: uniform, low: 40, high: 60, assumption: t}
        salience: {value: 1, assumption: t}
"""


def test_forecast_through_scenario_paths(tmp_path: Path) -> None:
    # compromise = (xa + xb + 2 xc) / 4; Var ∝ 40², 40², (2·20)²: equal thirds
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    sc = load_scenario(path).scenario
    params = scenario_parameters(sc)
    assert [p.path for p in params] == [
        "actors.a.stances.deal.position",
        "actors.b.stances.deal.position",
        "actors.c.stances.deal.position",
    ]
    assert params[0].label == "Actor A — The deal — position"
    design = sample(params, "sobol", n=1024, seed=2)
    y = forecast_evaluator(sc, params, get_model("compromise"), "deal")(design.values)
    np.testing.assert_allclose(y, design.values @ np.array([0.25, 0.25, 0.5]))
    table = analyze(design, y)
    np.testing.assert_allclose(table["ST"], [1 / 3] * 3, atol=0.03)

    runner = CliRunner()
    res = runner.invoke(
        app,
        ["sensitivity", str(path), "--output", "forecast:deal", "--n", "256", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert {p["path"] for p in data["parameters"]} == {p.path for p in params}
    assert data["evaluations"] == 256 * 5
    for bad in (
        ["--output", "forecast:nope"],
        ["--output", "strategy:p_talks_12m"],
        ["--output", "forecast:deal", "--n", "100"],
        ["--output", "forecast:deal", "--method", "fast"],
    ):
        out = runner.invoke(app, ["sensitivity", str(path), *bad])
        assert out.exit_code == 2, out.output
        assert "Traceback" not in out.output


@pytest.mark.slow
def test_korea_strategy_metric_runs(korea_yaml: Path) -> None:
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import run_sensitivity
    from detente.scenario.load import with_worldview

    sc = with_worldview(load_scenario(korea_yaml), "engagement")
    res = run_sensitivity(
        sc, parse_output("strategy:p_talks_12m", sc), method="morris", n=6, episodes=200
    )
    assert res.table["path"].str.startswith("game.").all()
    assert res.noise_variance > 0


def test_game_rows_share_their_chance_so_unread_parameters_get_exactly_zero(
    korea_yaml: Path,
) -> None:
    # every design row replays the same episodes' chance: rows differ only by their parameters,
    # so the arsenal parameters, which no talks metric reads, leave every row's output unchanged
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import (
        game_parameters,
        run_sensitivity,
        strategy_evaluator,
    )

    sc = load_scenario(korea_yaml).scenario
    assert sc.game is not None
    out = parse_output("strategy:p_talks_12m:peace_first-reciprocal_trade", sc)
    params = game_parameters(sc.game)
    evaluate = strategy_evaluator(sc, params, out, episodes=60, seed=3)
    base = np.array([p.quantity.ppf(np.array([0.5]))[0] for p in params])
    rows = np.tile(base, (3, 1))
    col = {p.path: i for i, p in enumerate(params)}
    rows[1, col["game.arsenal.monthly_growth"]] *= 3.0
    rows[2, col["game.types.reciprocator.p_talk"]] = 0.01
    y = evaluate(rows)
    assert y[1] == y[0]  # identical episodes, untouched output
    assert y[2] != y[0]  # and a parameter the metric reads does move it

    res = run_sensitivity(sc, out, method="sobol", n=8, episodes=40, seed=1)
    arsenal = res.table[res.table["path"].str.startswith("game.arsenal.")]
    assert len(arsenal) == 3
    assert (arsenal["S1"] == 0.0).all() and (arsenal["ST"] == 0.0).all()
    assert res.table["ST"].max() > 0.05


def test_rank_correlations_are_spearman() -> None:
    from scipy.stats import spearmanr

    from detente.analysis.sensitivity import rank_correlations

    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3))
    y = np.column_stack([x[:, 0] ** 3 + 0.1 * rng.normal(size=200), -x[:, 1]])
    rho = rank_correlations(x, y)
    assert rho.shape == (3, 2)
    for p in range(3):
        for k in range(2):
            assert rho[p, k] == pytest.approx(spearmanr(x[:, p], y[:, k]).statistic)
    assert rho[1, 1] == pytest.approx(-1.0) and rho[0, 0] > 0.9 and abs(rho[2, 0]) < 0.3
    # a draw with a non-finite output is left out of every column
    bad = y.copy()
    bad[5, 0] = np.nan
    kept = np.delete(np.arange(200), 5)
    expected = spearmanr(x[kept, 2], y[kept, 1]).statistic
    assert rank_correlations(x, bad)[2, 1] == pytest.approx(expected)
    # ties (a median model's forecast takes few values) are averaged, as spearmanr does
    tied = np.column_stack([np.round(x[:, 0]), np.repeat([0.0, 1.0], 100)])
    rho_t = rank_correlations(x, tied)
    for p in range(3):
        for k in range(2):
            assert rho_t[p, k] == pytest.approx(spearmanr(x[:, p], tied[:, k]).statistic)


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_sobol_bootstrap_intervals_are_reproducible_for_every_seed(seed: int) -> None:
    """SALib takes an int seed of 0 as "no seed" (global RNG); the analysis must not."""
    params = [_uniform(f"x{i}", -math.pi, math.pi) for i in range(3)]
    design = sample(params, "sobol", n=64, seed=seed)
    y = _ishigami(design.values)
    np.random.seed(12345)  # noqa: NPY002 - the legacy global RNG is what SALib falls back to
    first = analyze(design, y)
    np.random.seed(54321)  # noqa: NPY002 - a different global state must not matter
    again = analyze(design, y)
    assert first.equals(again)


def test_sobol_bootstrap_for_a_nonzero_seed_is_salibs_own() -> None:
    """Passing a Generator keeps seeds >= 1 exactly as SALib draws them from the int."""
    from SALib.analyze import sobol as sobol_analyze

    params = [_uniform(f"x{i}", -math.pi, math.pi) for i in range(3)]
    design = sample(params, "sobol", n=64, seed=5)
    y = _ishigami(design.values)
    ours = analyze(design, y).set_index("path")
    theirs = sobol_analyze.analyze(
        {"num_vars": 3, "names": ["x0", "x1", "x2"], "bounds": [[0, 1]] * 3},
        y,
        calc_second_order=False,
        num_resamples=200,
        conf_level=0.95,
        seed=5,
    )
    assert list(ours.loc[["x0", "x1", "x2"], "ST_conf"]) == list(theirs["ST_conf"])
