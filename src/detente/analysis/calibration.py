"""Predictive distributions calibrated on real EU decisions (DEU III): split-conformal residuals.

A model's point forecast f says nothing of how far off such forecasts have been. Its predictive
distribution here is **f plus one of its calibration residuals** (outcome − forecast on the DEU
development split, 0–100 scale, every residual equally likely), **clipped to the scale**: the
empirical distribution of the split-conformal residuals (Vovk, Gammerman & Shafer 2005; Lei et al.
2018, "Distribution-free predictive inference for regression", JASA 113:1094). Signed residuals
keep the asymmetry of each model's misses (Linusson et al. 2014); clipping keeps every value on
the scale and leaves the coverage of outcomes, which lie on the scale, unchanged.

* Central intervals at level 1−α use the split-conformal ranks: with n residuals sorted
  r₍₁₎ ≤ … ≤ r₍ₙ₎, [f + r₍k_lo₎, f + r₍k_hi₎] with k_lo = ⌊(n+1)α/2⌋ and k_hi = ⌈(n+1)(1−α/2)⌉
  (r₍₀₎ = −∞, r₍ₙ₊₁₎ = +∞, i.e. the scale's bounds), which covers a new exchangeable outcome with
  probability at least 1−α (:func:`conformal_ranks`, :func:`calibrated_interval`).
* Coverage is counted with ties split at random (:func:`coverage_tie_split`): an outcome whose
  residual ties calibration residuals is covered with the share of the equally likely tie orders
  that put it inside — the expected coverage of a randomised tie-break, the non-randomised PIT of
  Czado, Gneiting & Held (2009, Biometrics 65:1254). Coverage of the closed interval as shown
  (:func:`coverage_closed`) is reported beside it; it is higher where residuals tie (the status
  quo and midpoint baselines, whose forecasts and DEU's outcomes sit on round numbers).
* CRPS (Matheson & Winkler 1976; Gneiting & Raftery 2007) of the predictive distribution by
  ``scoringrules`` (:func:`crps`).
* With a Monte Carlo over judgments (``detente simulate``), the predictive is the distribution of
  D + R clipped, D a Monte Carlo draw and R an independent calibration residual: the judgments'
  uncertainty and the model's own error added (:func:`predictive_interval`; its quantiles are
  computed exactly from both empirical CDFs by bisection, no resampling).
* On an issue whose scale is not 0–100 the residuals are rescaled by (max − min)/100.

The calibration table (every model's sorted residuals on the development split, capability
``equal``) ships as ``analysis/data/deu-calibration.json``, built by ``detente backtest calibrate``
(:func:`build_calibration`) with its provenance (file hash, command, commit); :func:`load_table`
reads it and :func:`calibrated_interval` is the one call for anything that shows a forecast.
Cross-validation (proposal-grouped folds, :func:`proposal_folds`) gives the backtest's
out-of-sample CRPS and coverage (:func:`cv_pools`, :func:`probabilistic_scores`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.scenario.schema import Scenario

#: The central interval levels the backtest reports.
LEVELS = (0.5, 0.8, 0.9)
#: The level shown beside every forecast.
SHOWN_LEVEL = 0.8
#: The DEU outcome scale.
SCALE = (0.0, 100.0)
#: Cross-validation: proposal-grouped folds and the fixed seed that deals them.
FOLDS = 10
FOLD_SEED = 0
#: Distances for the "within" shares.
WITHIN = (5.0, 10.0)
#: The label shown beside a calibrated interval, and its caveat.
LABEL = "calibrated on EU legislative bargaining (DEU III)"
CAVEAT = (
    "how far this model has missed real EU Council decisions, not a measured error on this "
    "scenario: other negotiations may be harder or easier to forecast"
)
TABLE_RESOURCE = "deu-calibration.json"


# --- Conformal intervals and coverage -----------------------------------------------------------


def conformal_ranks(n: int, level: float) -> tuple[int, int]:
    """1-based ranks (k_lo, k_hi) of the order statistics bounding a central ``level`` interval.

    k_lo = ⌊(n+1)α/2⌋ (0: no lower bound), k_hi = ⌈(n+1)(1−α/2)⌉ (n+1: no upper bound).
    """
    if not 0 < level < 1:
        raise ValueError(f"level {level!r}, expected a number in (0, 1)")
    alpha = 1.0 - level
    k_lo = math.floor((n + 1) * alpha / 2 + 1e-9)
    k_hi = math.ceil((n + 1) * (1 - alpha / 2) - 1e-9)
    return max(k_lo, 0), min(k_hi, n + 1)


def interval_offsets(residuals: FloatArray, level: float) -> tuple[float, float]:
    """(lower, upper) residual bounds of the central ``level`` interval (±inf past the ends)."""
    r = np.sort(np.asarray(residuals, dtype=np.float64))
    k_lo, k_hi = conformal_ranks(len(r), level)
    lo = -math.inf if k_lo == 0 else float(r[k_lo - 1])
    hi = math.inf if k_hi > len(r) else float(r[k_hi - 1])
    return lo, hi


def coverage_tie_split(errors: FloatArray, residuals: FloatArray, level: float) -> FloatArray:
    """Per error (outcome − forecast): the probability, ties split at random, of being covered.

    With a = #{r < e}, b = #{r ≤ e}, the new residual's rank among the calibration residuals is
    uniform on {a, …, b}; it lies inside the interval when that rank is in [k_lo, k_hi − 1].
    """
    r = np.sort(np.asarray(residuals, dtype=np.float64))
    e = np.asarray(errors, dtype=np.float64)
    k_lo, k_hi = conformal_ranks(len(r), level)
    a = np.searchsorted(r, e, side="left")
    b = np.searchsorted(r, e, side="right")
    inside = np.minimum(b, k_hi - 1) - np.maximum(a, k_lo) + 1
    return np.asarray(np.clip(inside, 0, None) / (b - a + 1), dtype=np.float64)


def coverage_closed(errors: FloatArray, residuals: FloatArray, level: float) -> FloatArray:
    """Per error: 1 when it lies in the closed interval [r₍k_lo₎, r₍k_hi₎], else 0."""
    lo, hi = interval_offsets(residuals, level)
    e = np.asarray(errors, dtype=np.float64)
    return ((e >= lo) & (e <= hi)).astype(np.float64)


def crps(
    forecast: FloatArray,
    outcome: FloatArray,
    residuals: FloatArray,
    scale: tuple[float, float] = SCALE,
) -> FloatArray:
    """CRPS of each predictive clip(forecast + residuals) at its outcome (``scoringrules``).

    The ensemble estimator ``nrg`` (E|X − y| − ½E|X − X'|) is the exact CRPS of the empirical
    distribution, which is the predictive distribution here (not the "fair" estimator, which
    targets a distribution the members were drawn from).
    """
    import scoringrules as sr

    f = np.asarray(forecast, dtype=np.float64)
    ens = np.clip(f[:, None] + np.asarray(residuals, dtype=np.float64)[None, :], *scale)
    return np.asarray(sr.crps_ensemble(np.asarray(outcome, dtype=np.float64), ens, estimator="nrg"))


# --- Monte Carlo over judgments + the model's error --------------------------------------------


def _sum_quantile(draws: FloatArray, residuals: FloatArray, tau: float) -> float:
    """The tau-quantile (inf{y: G(y) ≥ tau}) of D + R, D and R independent empirical."""
    d = np.sort(draws)
    r = np.asarray(residuals, dtype=np.float64)

    def cdf(y: float) -> float:
        return float(np.searchsorted(d, y - r, side="right").sum()) / (len(d) * len(r))

    lo, hi = float(d[0] + r.min()), float(d[-1] + r.max())
    if cdf(lo) >= tau:
        return lo
    for _ in range(200):  # the quantile is an atom d_j + r_i; bisect to machine precision
        mid = 0.5 * (lo + hi)
        if mid in (lo, hi):
            break
        if cdf(mid) >= tau:
            hi = mid
        else:
            lo = mid
    return hi


def predictive_interval(
    draws: FloatArray,
    residuals: FloatArray,
    level: float = SHOWN_LEVEL,
    scale: tuple[float, float] = SCALE,
) -> tuple[float, float]:
    """Central ``level`` interval of clip(D + R): Monte Carlo draws D plus residuals R.

    R's residuals are rescaled to ``scale`` (from 0–100). The ranks are the conformal ones, so a
    single draw gives exactly :func:`calibrated_interval`'s interval.
    """
    r = _rescaled(residuals, scale)
    d = np.asarray(draws, dtype=np.float64).ravel()
    n = len(r)
    k_lo, k_hi = conformal_ranks(n, level)
    lo = scale[0] if k_lo == 0 else _sum_quantile(d, r, k_lo / n)
    hi = scale[1] if k_hi > n else _sum_quantile(d, r, k_hi / n)
    return float(np.clip(lo, *scale)), float(np.clip(hi, *scale))


def _rescaled(residuals: Sequence[float] | FloatArray, scale: tuple[float, float]) -> FloatArray:
    factor = (scale[1] - scale[0]) / (SCALE[1] - SCALE[0])
    return np.sort(np.asarray(residuals, dtype=np.float64)) * factor


# --- Cross-validation ------------------------------------------------------------------------


def proposal_folds(n_proposals: int, k: int = FOLDS, seed: int = FOLD_SEED) -> NDArray[np.intp]:
    """Fold of each proposal: a seeded permutation dealt to ``k`` folds by position modulo k."""
    order = np.random.default_rng(seed).permutation(n_proposals)
    fold = np.empty(n_proposals, dtype=np.intp)
    fold[order] = np.arange(n_proposals) % k
    return fold


def cv_pools(
    forecast: FloatArray, outcome: FloatArray, issue_fold: NDArray[np.intp], k: int
) -> list[FloatArray]:
    """Per fold: the sorted residuals of the issues in the other folds that have a forecast."""
    err = outcome - forecast
    ok = np.isfinite(err)
    return [np.sort(err[ok & (issue_fold != j)]) for j in range(k)]


@dataclass(frozen=True)
class IssueScores:
    """Per-issue cross-validated probabilistic scores (NaN where there is no forecast)."""

    crps: FloatArray
    coverage: Mapping[float, FloatArray]
    coverage_closed: Mapping[float, FloatArray]


def probabilistic_scores(
    forecast: FloatArray,
    outcome: FloatArray,
    issue_fold: NDArray[np.intp],
    pools: Sequence[FloatArray],
) -> IssueScores:
    """CRPS and coverage of each issue under the predictive built from its fold's pool."""
    n = len(outcome)
    out_crps = np.full(n, np.nan)
    cov = {lv: np.full(n, np.nan) for lv in LEVELS}
    closed = {lv: np.full(n, np.nan) for lv in LEVELS}
    ok = np.isfinite(forecast)
    for j, pool in enumerate(pools):
        sel = ok & (issue_fold == j)
        if not sel.any() or len(pool) == 0:
            continue
        out_crps[sel] = crps(forecast[sel], outcome[sel], pool)
        e = outcome[sel] - forecast[sel]
        for lv in LEVELS:
            cov[lv][sel] = coverage_tie_split(e, pool, lv)
            closed[lv][sel] = coverage_closed(e, pool, lv)
    return IssueScores(out_crps, cov, closed)


# --- The shipped calibration table -------------------------------------------------------------


@dataclass(frozen=True)
class ModelCalibration:
    """One model's calibration residuals (sorted, 0–100 scale) on the development split."""

    model: str
    n: int
    n_proposals: int
    residuals: tuple[float, ...]


def build_calibration(
    path: str | Path,
    residuals: Mapping[str, tuple[FloatArray, int]],
    command: str,
    commit: str,
    capability: str = "equal",
) -> dict[str, Any]:
    """The calibration table as JSON data: per model (registry name) its sorted residuals.

    ``residuals``: model -> (residuals of the issues it forecast, number of proposals).
    """
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    models: dict[str, Any] = {}
    for name, (res, n_prop) in residuals.items():
        r = np.sort(np.asarray(res, dtype=np.float64))
        models[name] = {
            "n": len(r),
            "n_proposals": n_prop,
            "intervals": {
                f"{round(lv * 100)}": [_json_bound(b) for b in interval_offsets(r, lv)]
                for lv in LEVELS
            },
            "residuals": [round(float(x), 4) for x in r],
        }
    return {
        "description": (
            "Split-conformal calibration residuals (outcome - forecast, 0-100 scale) of each "
            "detente model on the DEU III development split; see docs/backtest.md"
        ),
        "label": LABEL,
        "caveat": CAVEAT,
        "source": {
            "file": Path(path).name,
            "sha256": digest,
            "data": (
                "Arregui, J. & Perarnaud, C. (2021), The Decision-Making in the European Union "
                "(DEU III) dataset, doi:10.34810/data53, CC BY 4.0"
            ),
        },
        "capability": capability,
        "command": command,
        "commit": commit,
        "levels": list(LEVELS),
        "models": models,
    }


def _json_bound(x: float) -> float | None:
    return None if not math.isfinite(x) else round(x, 4)


@cache
def load_table() -> dict[str, ModelCalibration]:
    """The shipped calibration table (``analysis/data/deu-calibration.json``), by model."""
    text = resources.files("detente.analysis").joinpath("data", TABLE_RESOURCE).read_text("utf-8")
    doc = json.loads(text)
    return {
        name: ModelCalibration(name, m["n"], m["n_proposals"], tuple(m["residuals"]))
        for name, m in doc["models"].items()
    }


def calibrated_interval(
    model: str,
    forecast: float | FloatArray,
    level: float = SHOWN_LEVEL,
    scale: tuple[float, float] = SCALE,
) -> tuple[float, float] | None:
    """The DEU-calibrated central ``level`` interval around ``forecast`` for ``model``.

    ``forecast`` is a point forecast on ``scale`` (min, max), or an array of Monte Carlo draws
    (then the interval is of draws + residuals, :func:`predictive_interval`). None for a model
    the table does not hold (it was never scored on DEU).
    """
    cal = load_table().get(model)
    if cal is None or cal.n == 0:
        return None
    draws = np.atleast_1d(np.asarray(forecast, dtype=np.float64))
    return predictive_interval(draws, np.asarray(cal.residuals), level, scale)


def calibrated_intervals(model: str, sc: Scenario, values: Any) -> list[tuple[float, float] | None]:
    """Per issue, the DEU-calibrated 80 % interval of ``values`` (a point or draws per issue).

    ``values``: one forecast per issue, or a (draws × issues) array of Monte Carlo draws (then
    the interval is of the draws plus the model's DEU residuals).
    """
    arr = np.asarray(values, dtype=np.float64)
    return [
        calibrated_interval(
            model, arr[..., j], scale=(float(issue.scale.min), float(issue.scale.max))
        )
        for j, issue in enumerate(sc.issues)
    ]


def calibration_note(model: str) -> dict[str, Any]:
    """What ``calibrated_interval`` is: level, label, one-line caveat, source (JSON)."""
    cal = load_table().get(model)
    return {
        "level": SHOWN_LEVEL,
        "label": LABEL,
        "caveat": CAVEAT,
        "model_scored": cal is not None,
        "issues_scored": cal.n if cal is not None else 0,
        "source": "detente/analysis/data/deu-calibration.json (docs/backtest.md)",
    }


def calibration_caption(model: str) -> str:
    """The one-line table caption under a calibrated-interval column."""
    if model not in load_table():
        return f"80 % interval {LABEL}: not available, {model} was not scored on DEU III"
    return f"80 % interval {LABEL}; caveat: {CAVEAT}"
