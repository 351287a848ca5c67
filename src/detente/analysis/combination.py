"""The one pre-registered combination of the models (docs/backtest.md, "Protocol: one combination").

A point forecast Σₘ wₘ fₘ with weights on the simplex grid of step 0.1 (:func:`simplex_grid`,
compromise's vertex first), fitted by MAE on training proposals (:func:`fit_weights`); a missing
component forecast is replaced by compromise's (:func:`filled_components`). Its cross-validated
forecasts and calibration residuals come from nested proposal-grouped folds
(:func:`cross_validate`): outer folds score it, inner folds over each outer training part give the
out-of-sample residuals its predictive distribution is built from
(:mod:`detente.analysis.calibration`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from detente.models.base import FloatArray

#: Grid step of the weights (pre-registered).
STEP = 0.1
_TIE = 1e-12


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    # Lexicographically descending: the first part as large as possible first.
    if parts == 1:
        yield (total,)
        return
    for first in range(total, -1, -1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def simplex_grid(m: int, step: float = STEP) -> FloatArray:
    """All weight vectors on the simplex with entries in {0, step, …, 1}, descending lex order."""
    units = round(1 / step)
    return np.array(list(_compositions(units, m)), dtype=np.float64) / units


def filled_components(forecasts: Sequence[FloatArray], reference: int = 0) -> FloatArray:
    """(issues × components) matrix; a component's missing forecast takes the reference's."""
    ref = forecasts[reference]
    return np.column_stack([np.where(np.isfinite(f), f, ref) for f in forecasts])


def fit_weights(
    components: FloatArray, outcome: FloatArray, mask: NDArray[np.bool_], grid: FloatArray
) -> FloatArray:
    """The grid point with the lowest MAE on the issues in ``mask`` (ties: the earlier point)."""
    sel = mask & np.isfinite(components).all(axis=1)
    pred = grid @ components[sel].T  # (grid points, issues)
    mae = np.abs(pred - outcome[sel][None, :]).mean(axis=1)
    best = 0
    for g in range(1, len(mae)):
        if mae[g] < mae[best] - _TIE:
            best = g
    return np.asarray(grid[best], dtype=np.float64)


@dataclass(frozen=True)
class CrossValidated:
    """Out-of-fold forecasts, each outer fold's inner-CV residual pool, and the full-data fit."""

    forecast: FloatArray
    pools: tuple[FloatArray, ...]
    fold_weights: tuple[FloatArray, ...]
    weights: FloatArray
    residuals: FloatArray  # out-of-fold residuals over the whole file (the shipped calibration)


def _oof(
    components: FloatArray,
    outcome: FloatArray,
    issue_fold: NDArray[np.intp],
    folds: Sequence[int],
    grid: FloatArray,
) -> tuple[FloatArray, list[FloatArray]]:
    """Out-of-fold forecasts over ``folds`` (each fitted on the other folds of ``folds``)."""
    out = np.full(len(outcome), np.nan)
    weights = []
    for j in folds:
        train = np.isin(issue_fold, [f for f in folds if f != j])
        w = fit_weights(components, outcome, train, grid)
        held = issue_fold == j
        out[held] = components[held] @ w
        weights.append(w)
    return out, weights


def cross_validate(
    components: FloatArray,
    outcome: FloatArray,
    issue_fold: NDArray[np.intp],
    k: int,
    step: float = STEP,
) -> CrossValidated:
    """Nested proposal-grouped cross-validation of the combination (protocol, docs/backtest.md)."""
    grid = simplex_grid(components.shape[1], step)
    all_folds = list(range(k))
    forecast, fold_weights = _oof(components, outcome, issue_fold, all_folds, grid)
    pools = []
    for j in all_folds:
        inner, _ = _oof(components, outcome, issue_fold, [f for f in all_folds if f != j], grid)
        err = outcome - inner
        pools.append(np.sort(err[np.isfinite(err)]))
    weights = fit_weights(components, outcome, np.ones(len(outcome), dtype=bool), grid)
    return CrossValidated(
        forecast=forecast,
        pools=tuple(pools),
        fold_weights=tuple(fold_weights),
        weights=weights,
        residuals=outcome - forecast,
    )
