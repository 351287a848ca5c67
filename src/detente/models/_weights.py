"""The weights and the two weighted statistics every model and the backtest share.

* :func:`influence`: the voting weight capability × salience of the simple models;
* :func:`weighted_mean`: ``Σ w x / Σ w`` (the compromise model; the expected-utility model's
  per-round summary; the backtest protocol's candidates);
* :func:`weighted_median`: the position holding half the weight (the median-voter model; the
  expected-utility model's forecast and its ``μ``; the backtest protocol's candidates), with the
  rule for an exact 50/50 split of the weight a named argument.

There is one implementation of each; callers differ only in the axis they reduce and, for the
median, in the tie rule they name.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from detente.models.base import FloatArray, Problem

#: How :func:`weighted_median` resolves an exact 50/50 split of the weight between two
#: positions (every point between them then ties in pairwise votes): ``"lower"`` takes the lower
#: position, ``"midpoint"`` the midpoint of the two.
Ties = Literal["lower", "midpoint"]

#: Relative tolerance on the cumulative weight: a split that is exactly 50/50 in exact
#: arithmetic stays a tie after float rounding (the tolerance is relative to the total weight,
#: so neither tiny weights nor a narrow scale turn a strict winner into a tie).
_TIE_TOL = 1e-12


def influence(problem: Problem) -> FloatArray:
    """``(D, n, k)`` weights ``c_i · s_ij``.

    Where every actor has salience 0 on an issue in a draw, nobody cares more than anybody else
    and the weights fall back to capability alone, so the forecast stays defined (a Monte Carlo
    draw can land there) rather than dividing by zero.
    """
    w = problem.capability[:, :, None] * problem.salience
    dead = w.sum(axis=1, keepdims=True) <= 0.0
    fallback = np.broadcast_to(problem.capability[:, :, None], w.shape)
    return np.where(dead, fallback, w)


#: below this total weight a weighted mean rescales its weights (see :func:`weighted_mean`)
_TINY = 1e-280


def weighted_mean(x: FloatArray, w: FloatArray, axis: int = -1) -> FloatArray:
    """``Σ w x / Σ w`` along ``axis``; NaN where the weights sum to 0 or less.

    The sums are numpy's along ``axis`` (so a caller reducing the actor axis of a ``(D, n, k)``
    array gets a result independent of ``D``).
    """
    total = w.sum(axis=axis)
    tiny = (total > 0.0) & (total < _TINY)
    if np.any(tiny):
        # weights near the subnormal range lose x·w to underflow (a weight of 5e-324 times 0.5
        # is 0): rescale those slices by their largest weight first; every other slice is
        # computed exactly as before, bit for bit
        peak = np.max(w, axis=axis, keepdims=True)
        w = np.where(np.expand_dims(tiny, axis), w / np.where(peak > 0.0, peak, 1.0), w)
        total = w.sum(axis=axis)
    num = (x * w).sum(axis=axis)
    out: FloatArray = np.where(total > 0.0, num / np.where(total > 0.0, total, 1.0), np.nan)
    return out


def weighted_median(x: FloatArray, w: FloatArray, ties: Ties = "lower") -> FloatArray:
    """Weighted median along the last axis; NaN where the weights sum to 0 or less.

    The median is the lowest position whose cumulative weight (positions in increasing order)
    reaches half the total. In one dimension with linear utilities it is the Condorcet winner of
    pairwise capability × salience votes (Black 1948). Where the weight splits exactly 50/50
    (the cumulative weight equals half the total, to a relative 1e-12), every point between that
    position and the next one carrying weight ties; ``ties`` says which is returned (see
    :data:`Ties`).
    """
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    cw = np.cumsum(np.take_along_axis(w, order, axis=-1), axis=-1)
    total = cw[..., -1:]
    # 2 cw against the total, not cw against total / 2: doubling is exact, halving is not for
    # subnormal weights (in the normal range the two comparisons agree bit for bit)
    twice = 2.0 * cw
    lo = np.argmax(twice >= total * (1.0 - _TIE_TOL), axis=-1)
    out: FloatArray = np.take_along_axis(xs, lo[..., None], axis=-1)[..., 0]
    if ties == "midpoint":
        hi = np.argmax(twice > total * (1.0 + _TIE_TOL), axis=-1)
        upper = np.take_along_axis(xs, hi[..., None], axis=-1)[..., 0]
        out = (out + upper) / 2.0
    elif ties != "lower":
        raise ValueError(f"weighted_median: ties={ties!r}, expected 'lower' or 'midpoint'")
    result: FloatArray = np.where(total[..., 0] > 0.0, out, np.nan)
    return result
