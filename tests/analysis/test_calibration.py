"""Predictive distributions (split-conformal residuals), CRPS, coverage and the combination."""

from __future__ import annotations

import hashlib
import json
import math
from functools import cache
from importlib import resources
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from detente.analysis.backtest import (
    BASELINE_MODELS,
    COMBINATION,
    resolve_models,
    run_backtest,
    run_model,
)
from detente.analysis.calibration import (
    FOLDS,
    calibrated_interval,
    conformal_ranks,
    coverage_closed,
    coverage_tie_split,
    crps,
    cv_pools,
    interval_offsets,
    load_table,
    predictive_interval,
    probabilistic_scores,
    proposal_folds,
)
from detente.analysis.combination import (
    cross_validate,
    filled_components,
    fit_weights,
    simplex_grid,
)
from detente.scenario.deu import read_deu

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEV = SHARED / "data" / "deu" / "deu3-dev.tsv"
#: The models quick enough for the default run (spatial takes ~20 s on the dev file).
FAST = ["compromise", "median", "expected-utility", "exchange", "midpoint", "rp"]


def dev_file() -> Path:
    if not DEV.exists():
        pytest.skip(f"DEU III development file absent: {DEV}")
    return DEV


@cache
def _dev_forecast(name: str) -> np.ndarray:
    """A model's forecasts of every dev issue (capability equal), run once per session."""
    data = read_deu(dev_file())
    return run_model(name, resolve_models([name])[name], data, "equal").forecast


# --- CRPS against a direct numerical integral ----------------------------------------------


def _crps_integral(sample: np.ndarray, y: float) -> float:
    """∫ (F(x) − 1{x ≥ y})² dx for the empirical CDF F of ``sample``, on a fine grid."""
    lo, hi = min(sample.min(), y) - 1.0, max(sample.max(), y) + 1.0
    x = np.linspace(lo, hi, 400_001)
    f = np.searchsorted(np.sort(sample), x, side="right") / len(sample)
    h = (x >= y).astype(float)
    return float(np.trapezoid((f - h) ** 2, x))


@pytest.mark.parametrize(
    ("forecast", "residuals", "y"),
    [
        (50.0, [-10.0, 0.0, 10.0], 50.0),
        (50.0, [-10.0, 0.0, 10.0], 80.0),
        (20.0, [-30.0, -5.0, 5.0, 40.0], 0.0),  # clipped at 0
        (90.0, [-20.0, 15.0, 30.0], 100.0),  # clipped at 100
        (37.5, [-12.5, -12.5, 3.0, 60.0, 61.0], 41.0),  # ties
    ],
)
def test_crps_matches_numerical_integral(forecast: float, residuals: list[float], y: float) -> None:
    got = crps(np.array([forecast]), np.array([y]), np.array(residuals))[0]
    sample = np.clip(forecast + np.array(residuals), 0, 100)
    assert got == pytest.approx(_crps_integral(sample, y), abs=2e-3)


def test_crps_of_a_point_mass_is_the_absolute_error() -> None:
    got = crps(np.array([30.0, 70.0]), np.array([45.0, 20.0]), np.array([0.0]))
    assert got == pytest.approx([15.0, 50.0])


# --- Conformal ranks, intervals and coverage ------------------------------------------------


def test_conformal_ranks() -> None:
    assert conformal_ranks(227, 0.8) == (22, 206)  # ⌊228·0.1⌋, ⌈228·0.9⌉
    assert conformal_ranks(9, 0.8) == (1, 9)
    assert conformal_ranks(3, 0.9) == (0, 4)  # too few residuals: unbounded both sides
    with pytest.raises(ValueError, match="level"):
        conformal_ranks(10, 1.0)


def test_interval_offsets_are_order_statistics() -> None:
    r = np.arange(1.0, 10.0)  # 1..9
    assert interval_offsets(r, 0.8) == (1.0, 9.0)
    assert interval_offsets(r, 0.5) == (2.0, 8.0)  # ranks ⌊10·0.25⌋ = 2, ⌈10·0.75⌉ = 8
    lo, hi = interval_offsets(np.array([1.0, 2.0]), 0.9)
    assert (lo, hi) == (-math.inf, math.inf)


def test_tie_split_coverage_by_hand() -> None:
    # Four tied residuals at 0 and a new one at 0: rank uniform on {0..4}; 50 % interval ranks
    # (1, 4) cover ranks 1..3, i.e. 3 of 5.
    assert coverage_tie_split(np.array([0.0]), np.zeros(4), 0.5)[0] == pytest.approx(0.6)
    # No ties: an indicator of the open order-statistic interval.
    r = np.arange(1.0, 10.0)
    got = coverage_tie_split(np.array([1.5, 8.5, 0.5, 9.5]), r, 0.5)
    assert got.tolist() == [0.0, 0.0, 0.0, 0.0]
    got = coverage_tie_split(np.array([2.5, 7.5]), r, 0.5)
    assert got.tolist() == [1.0, 1.0]
    assert coverage_closed(np.array([2.0, 8.0, 8.5]), r, 0.5).tolist() == [1.0, 1.0, 0.0]


def test_tie_split_coverage_is_exact_under_exchangeability() -> None:
    # Every leave-one-out of n+1 exchangeable values, ties included: the mean coverage is
    # (k_hi − k_lo)/(n+1), whatever the ties.
    vals = np.array([0.0, 0.0, 0.0, 5.0, 5.0, 10.0, 10.0, 10.0, 10.0, 20.0, 50.0])
    n = len(vals) - 1
    for level in (0.5, 0.8):
        k_lo, k_hi = conformal_ranks(n, level)
        cov = [
            coverage_tie_split(vals[i : i + 1], np.delete(vals, i), level)[0]
            for i in range(len(vals))
        ]
        assert np.mean(cov) == pytest.approx((k_hi - k_lo) / (n + 1))


def test_predictive_interval_of_draws_plus_residuals_is_exact() -> None:
    rng = np.random.default_rng(3)
    draws = rng.normal(50, 8, size=60)
    res = np.sort(rng.normal(0, 20, size=40))
    lo, hi = predictive_interval(draws, res, 0.8)
    sums = np.sort((draws[:, None] + res[None, :]).ravel())
    k_lo, k_hi = conformal_ranks(len(res), 0.8)
    # the tau-quantile of the pairwise sums, tau = k/n, is the ⌈tau·N⌉-th smallest sum
    want_lo = sums[math.ceil(k_lo / len(res) * len(sums)) - 1]
    want_hi = sums[math.ceil(k_hi / len(res) * len(sums)) - 1]
    assert lo == pytest.approx(np.clip(want_lo, 0, 100), abs=1e-9)
    assert hi == pytest.approx(np.clip(want_hi, 0, 100), abs=1e-9)
    # one draw: the point forecast's conformal interval, clipped
    p_lo, p_hi = interval_offsets(res, 0.8)
    assert predictive_interval(np.array([50.0]), res, 0.8) == pytest.approx(
        (max(50 + p_lo, 0), min(50 + p_hi, 100))
    )
    # judgments' spread widens the interval
    assert hi - lo > p_hi - p_lo


def test_rescaled_to_another_scale() -> None:
    res = np.linspace(-40, 40, 99)
    on_100 = predictive_interval(np.array([50.0]), res, 0.8)
    on_10 = predictive_interval(np.array([5.0]), res, 0.8, scale=(0.0, 10.0))
    assert on_10 == pytest.approx((on_100[0] / 10, on_100[1] / 10))


def test_calibrated_interval_api() -> None:
    table = load_table()
    assert {"compromise", "median", "expected-utility", "status-quo", "midpoint"} <= set(table)
    lo, hi = calibrated_interval("compromise", 50.0)  # type: ignore[misc]
    off = interval_offsets(np.array(table["compromise"].residuals), 0.8)
    assert (lo, hi) == pytest.approx((50 + off[0], 50 + off[1]))
    assert 0 <= lo < 50 < hi <= 100
    assert calibrated_interval("no-such-model", 50.0) is None
    # always on the scale
    lo, hi = calibrated_interval("compromise", 99.0)  # type: ignore[misc]
    assert hi == 100.0


# --- The shipped table is the dev file's residuals (never hand-typed) ---------------------


def _shipped() -> dict[str, object]:
    text = resources.files("detente.analysis").joinpath("data", "deu-calibration.json")
    return json.loads(text.read_text("utf-8"))  # type: ignore[no-any-return]


def test_shipped_table_reproduced_from_dev_file() -> None:
    dev = dev_file()
    doc = _shipped()
    assert doc["source"]["sha256"] == hashlib.sha256(dev.read_bytes()).hexdigest()  # type: ignore[index]
    assert "detente backtest calibrate" in doc["command"]  # type: ignore[operator]
    data = read_deu(dev)
    outcome = np.array([i.outcome for i in data.issues])
    for name in FAST:
        f = _dev_forecast(name)
        ok = np.isfinite(f)
        want = np.round(np.sort(outcome[ok] - f[ok]), 4)
        shipped = doc["models"][BASELINE_MODELS.get(name, name)]  # type: ignore[index]
        assert shipped["n"] == ok.sum()
        assert np.array_equal(np.array(shipped["residuals"]), want), name


# --- Cross-validated coverage on the dev file (fold seed fixed) ----------------------------


def _cv_coverage(names: list[str]) -> dict[str, dict[float, float]]:
    data = read_deu(dev_file())
    outcome = np.array([i.outcome for i in data.issues])
    fold = proposal_folds(len(data.proposals))[data.proposal_of_issue()]
    out = {}
    for name in names:
        f = _dev_forecast(name)
        ps = probabilistic_scores(f, outcome, fold, cv_pools(f, outcome, fold, FOLDS))
        out[name] = {lv: float(np.nanmean(v)) for lv, v in ps.coverage.items()}
    return out


def _check_coverage(cov: dict[str, dict[float, float]]) -> None:
    for name, c in cov.items():
        assert 0.75 <= c[0.8] <= 0.85, (name, c)
        assert 0.45 <= c[0.5] <= 0.55, (name, c)
        assert 0.85 <= c[0.9] <= 0.95, (name, c)


def test_cv_coverage_on_dev_file_fast_models() -> None:
    _check_coverage(_cv_coverage(FAST))


@pytest.mark.slow
def test_cv_coverage_on_dev_file_spatial() -> None:
    _check_coverage(_cv_coverage(["spatial"]))


def test_proposal_folds_are_seeded_and_balanced() -> None:
    a, b = proposal_folds(83), proposal_folds(83)
    assert np.array_equal(a, b)
    assert sorted(np.bincount(a).tolist()) == [8] * 7 + [9] * 3
    assert not np.array_equal(a, proposal_folds(83, seed=1))


# --- The combination ------------------------------------------------------------------------


def test_simplex_grid() -> None:
    g = simplex_grid(7)
    assert g.shape == (8008, 7)  # C(16, 6)
    assert np.allclose(g.sum(axis=1), 1)
    assert g[0].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert len({tuple(r) for r in np.round(g, 6)}) == len(g)


def test_fit_weights_recovers_a_mix_and_prefers_compromise_on_ties() -> None:
    rng = np.random.default_rng(1)
    f = rng.uniform(0, 100, size=(50, 3))
    y = f @ np.array([0.3, 0.0, 0.7])
    grid = simplex_grid(3)
    assert fit_weights(f, y, np.ones(50, dtype=bool), grid) == pytest.approx([0.3, 0.0, 0.7])
    same = np.column_stack([f[:, 0], f[:, 0]])  # identical components: all grid points tie
    w = fit_weights(same, f[:, 0], np.ones(50, dtype=bool), simplex_grid(2))
    assert w.tolist() == [1.0, 0.0]


def test_filled_components_stand_in_with_compromise() -> None:
    comp = np.array([10.0, 20.0])
    other = np.array([np.nan, 5.0])
    assert filled_components([comp, other]).tolist() == [[10.0, 10.0], [20.0, 5.0]]


def test_nested_cv_keeps_the_held_fold_out() -> None:
    rng = np.random.default_rng(2)
    n, k = 60, 5
    fold = np.arange(n) % k
    comps = rng.uniform(0, 100, size=(n, 2))
    y = rng.uniform(0, 100, size=n)
    cv = cross_validate(comps, y, fold, k)
    for j in range(k):
        assert len(cv.pools[j]) == (fold != j).sum()  # inner residuals: other folds only
        held = fold == j
        # changing the held fold's outcomes changes neither its forecasts nor its pool
        y2 = y.copy()
        y2[held] = 100 - y2[held]
        cv2 = cross_validate(comps, y2, fold, k)
        assert np.array_equal(cv2.forecast[held], cv.forecast[held])
        assert np.array_equal(cv2.pools[j], cv.pools[j])


def test_backtest_json_contract_and_combination() -> None:
    data = read_deu(dev_file())
    res = run_backtest(
        data, resolve_models(["compromise", "median", "midpoint"]), n_boot=200, protocol=False
    ).to_dict()
    for name in ("compromise", "median", "midpoint", COMBINATION):
        s = res["models"][name]
        for key in ("mae", "n", "ci95", "rmse", "rmse_ci95"):  # the existing contract
            assert key in s
        assert s["ci95"][0] <= s["mae"] <= s["ci95"][1]
        for key in ("crps", "coverage_50", "coverage_80", "coverage_90", "within_5", "within_10"):
            assert s[f"{key}_ci95"][0] <= s[key] <= s[f"{key}_ci95"][1], (name, key)
        assert s["crps"] < s["mae"]  # CRPS ≤ MAE of its median; spread helps here
    pairs = {(p["a"], p["b"]): p for p in res["paired_differences"]}
    p = pairs[("median", "compromise")]
    assert {
        "mae_difference",
        "ci95",
        "n",
        "crps_difference",
        "crps_ci95",
        "rmse_difference",
    } <= set(p)
    assert p["mae_difference"] == pytest.approx(
        res["models"]["median"]["mae"] - res["models"]["compromise"]["mae"], abs=1e-3
    )
    combo = res["combination"]
    assert combo["components"] == ["compromise", "median", "midpoint"]
    assert sum(combo["weights"].values()) == pytest.approx(1)
    assert combo["verdict"] in {
        "beats compromise",
        "does not beat compromise",
        "not distinguishable (lower CRPS, interval includes 0)",
    }
    assert res["cross_validation"]["fold_seed"] == 0


def test_pairs_of_scores_match_pairwise_subsets() -> None:
    # every unordered pair of models appears exactly once
    data = read_deu(dev_file())
    res = run_backtest(data, resolve_models(["compromise", "median", "rp"]), n_boot=100,
                       protocol=False, combination=False).to_dict()  # fmt: skip
    got = {frozenset((p["a"], p["b"])) for p in res["paired_differences"]}
    assert got == {frozenset(c) for c in combinations(["compromise", "median", "rp"], 2)}
    assert "combination" not in res
