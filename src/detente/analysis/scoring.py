"""Scoring forecasts against outcomes, with a bootstrap clustered by decision.

Owns the scores of any backtest: mean absolute and root-mean-square error
(:func:`score_forecasts`, :class:`Score`), the paired difference in MAE of two forecasters on
the issues both forecast (:func:`paired_difference`, :class:`PairedDifference`), and the
cluster bootstrap behind their 95 % percentile intervals (:func:`bootstrap_counts`): whole
clusters (in the DEU backtest, proposals) are resampled, and one matrix of multiplicities
serves every forecaster, so paired differences use the same resamples (Cameron, Gelbach &
Miller 2008 on cluster-robust inference; Efron & Tibshirani 1993 ch. 13). No standard library
does cluster resampling with shared multiplicities, hence this module.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.models.base import FloatArray, finite


@dataclass(frozen=True)
class Score:
    """MAE, RMSE and their 95 % proposal-clustered bootstrap intervals (percentile)."""

    name: str
    mae: float
    rmse: float
    n: int
    n_proposals: int
    ci95: tuple[float, float]
    rmse_ci95: tuple[float, float]
    excluded: int = 0
    exclusion_reasons: Mapping[str, int] = field(default_factory=dict)
    #: Further scores by key (``crps``, ``coverage_80``, ``within_5``, …): (value, 95 % interval).
    extra: Mapping[str, tuple[float, tuple[float, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "mae": rounded(self.mae),
            "rmse": rounded(self.rmse),
            "n": self.n,
            "n_proposals": self.n_proposals,
            "ci95": [rounded(self.ci95[0]), rounded(self.ci95[1])],
            "rmse_ci95": [rounded(self.rmse_ci95[0]), rounded(self.rmse_ci95[1])],
            "excluded": self.excluded,
            "exclusion_reasons": dict(self.exclusion_reasons),
            **_extra_dict(self.extra, ""),
        }


def _extra_dict(
    extra: Mapping[str, tuple[float, tuple[float, float]]], suffix: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (value, (lo, hi)) in extra.items():
        out[f"{key}{suffix}"] = rounded(value)
        out[f"{key}_ci95"] = [rounded(lo), rounded(hi)]
    return out


@dataclass(frozen=True)
class PairedDifference:
    """MAE(a) − MAE(b) over the issues both forecast, with its clustered bootstrap interval."""

    a: str
    b: str
    difference: float
    n: int
    ci95: tuple[float, float]
    #: Differences in further scores by key (``rmse``, ``crps``, …): (a − b, 95 % interval).
    extra: Mapping[str, tuple[float, tuple[float, float]]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "mae_difference": rounded(self.difference),
            "n": self.n,
            "ci95": [rounded(self.ci95[0]), rounded(self.ci95[1])],
            **_extra_dict(self.extra, "_difference"),
        }


def rounded(x: float) -> float | None:
    """``x`` to 4 decimals for JSON; None for NaN (:func:`~detente.models.base.finite`)."""
    value = finite(x)
    return None if value is None else round(value, 4)


def bootstrap_counts(n_clusters: int, n_boot: int, seed: int) -> NDArray[np.float64]:
    """``(n_boot, n_clusters)`` multiplicities of a cluster bootstrap (resampling proposals).

    The same matrix is used for every model, so paired differences use the same resamples
    (Cameron, Gelbach & Miller 2008 on cluster-robust inference; Efron & Tibshirani 1993 ch. 13).
    """
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=n_boot).astype(
        np.float64
    )


def _cluster_sums(values: FloatArray, cluster: NDArray[np.intp], n_clusters: int) -> FloatArray:
    return np.bincount(cluster, weights=values, minlength=n_clusters).astype(np.float64)


def _interval(samples: FloatArray) -> tuple[float, float]:
    ok = samples[np.isfinite(samples)]
    if ok.size == 0:
        return (math.nan, math.nan)
    lo, hi = np.percentile(ok, [2.5, 97.5])
    return (float(lo), float(hi))


def _ratio_samples(counts: FloatArray, num: FloatArray, den: FloatArray) -> FloatArray:
    d = counts @ den
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(d > 0, (counts @ num) / d, np.nan)


def score_forecasts(
    forecast: FloatArray,
    outcome: FloatArray,
    cluster: NDArray[np.intp],
    counts: FloatArray,
    name: str = "",
) -> Score:
    """Score one forecast vector (NaN = not forecast) against outcomes, clustered bootstrap."""
    n_clusters = counts.shape[1]
    ok = np.isfinite(forecast)
    err = np.where(ok, forecast - outcome, 0.0)
    n = int(ok.sum())
    if n == 0:
        nan2 = (math.nan, math.nan)
        return Score(name, math.nan, math.nan, 0, 0, nan2, nan2)
    num_abs = _cluster_sums(np.abs(err), cluster, n_clusters)
    num_sq = _cluster_sums(err**2, cluster, n_clusters)
    den = _cluster_sums(ok.astype(np.float64), cluster, n_clusters)
    mae = float(np.abs(err[ok]).mean())
    rmse = float(np.sqrt((err[ok] ** 2).mean()))
    return Score(
        name=name,
        mae=mae,
        rmse=rmse,
        n=n,
        n_proposals=int((den > 0).sum()),
        ci95=_interval(_ratio_samples(counts, num_abs, den)),
        rmse_ci95=_interval(np.sqrt(_ratio_samples(counts, num_sq, den))),
    )


def paired_difference(
    a: str,
    fa: FloatArray,
    b: str,
    fb: FloatArray,
    outcome: FloatArray,
    cluster: NDArray[np.intp],
    counts: FloatArray,
) -> PairedDifference:
    """MAE(a) − MAE(b) on the issues both forecast; negative means ``a`` is closer."""
    n_clusters = counts.shape[1]
    ok = np.isfinite(fa) & np.isfinite(fb)
    d = np.where(
        ok, np.abs(np.where(ok, fa, 0) - outcome) - np.abs(np.where(ok, fb, 0) - outcome), 0
    )
    n = int(ok.sum())
    if n == 0:
        return PairedDifference(a, b, math.nan, 0, (math.nan, math.nan))
    num = _cluster_sums(d, cluster, n_clusters)
    den = _cluster_sums(ok.astype(np.float64), cluster, n_clusters)
    return PairedDifference(
        a, b, float(d[ok].mean()), n, _interval(_ratio_samples(counts, num, den))
    )


def masked_mae(forecast: FloatArray, outcome: FloatArray, mask: NDArray[np.bool_]) -> float:
    """MAE over the issues in ``mask`` that have a (finite) forecast; NaN when there are none."""
    ok = mask & np.isfinite(forecast)
    return float(np.abs(forecast[ok] - outcome[ok]).mean()) if ok.any() else math.nan


def mean_with_interval(
    values: FloatArray, cluster: NDArray[np.intp], counts: FloatArray
) -> tuple[float, tuple[float, float]]:
    """Mean of per-issue ``values`` (NaN = none) and its proposal-clustered 95 % interval."""
    ok = np.isfinite(values)
    if not ok.any():
        return math.nan, (math.nan, math.nan)
    n_clusters = counts.shape[1]
    num = _cluster_sums(np.where(ok, values, 0.0), cluster, n_clusters)
    den = _cluster_sums(ok.astype(np.float64), cluster, n_clusters)
    return float(values[ok].mean()), _interval(_ratio_samples(counts, num, den))


def paired_mean_difference(
    va: FloatArray,
    vb: FloatArray,
    cluster: NDArray[np.intp],
    counts: FloatArray,
    root: bool = False,
) -> tuple[float, tuple[float, float]]:
    """mean(a) − mean(b) of per-issue values on the issues both have, with its interval.

    ``root``: the difference of square roots of the means (RMSE from squared errors).
    """
    ok = np.isfinite(va) & np.isfinite(vb)
    if not ok.any():
        return math.nan, (math.nan, math.nan)
    n_clusters = counts.shape[1]
    den = _cluster_sums(ok.astype(np.float64), cluster, n_clusters)
    na = _cluster_sums(np.where(ok, va, 0.0), cluster, n_clusters)
    nb = _cluster_sums(np.where(ok, vb, 0.0), cluster, n_clusters)
    sa, sb = _ratio_samples(counts, na, den), _ratio_samples(counts, nb, den)
    ma, mb = float(va[ok].mean()), float(vb[ok].mean())
    if root:
        return math.sqrt(ma) - math.sqrt(mb), _interval(np.sqrt(sa) - np.sqrt(sb))
    return ma - mb, _interval(sa - sb)
