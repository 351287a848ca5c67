"""Median voter model: the position that wins every pairwise capability × salience vote.

Actor *i* votes between two candidate positions *a* and *b* on issue *j* with weight
:math:`w_{ij} = c_i s_{ij}` times its utility difference, utility falling linearly with distance
(Bueno de Mesquita 1994, eq. 1, the vote in the expected-utility model):

.. math:: v_{ab} = \\sum_i w_{ij} \\left(|x_{ij} - b| - |x_{ij} - a|\\right)

*a* beats *b* when :math:`v_{ab} > 0`, i.e. when :math:`L(a) < L(b)` with
:math:`L(x) = \\sum_i w_{ij} |x_{ij} - x|`. In one dimension the minimisers of *L* are exactly
the weighted medians (Black 1948), so the position beating every other one is the weighted
median. Candidates are the actors' positions (the minimum of the piecewise-linear *L* is always
attained at one); where *L* is flat between two positions (an exact 50/50 split of weight), every
point of that interval ties and we return its midpoint, which ties or beats every other position
(:func:`detente.models._weights.weighted_median` with ``ties="midpoint"``).

Sources: Black (1948), "On the rationale of group decision-making", JPE 56(1); Bueno de
Mesquita (1994), "Political forecasting: an expected utility method", in Bueno de Mesquita &
Stokman (eds.), *European Community Decision Making*.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from detente.models._weights import influence
from detente.models._weights import weighted_median as _weighted_median
from detente.models.base import FloatArray, Forecast, Forecasts, Model, Problem, require_single


def weighted_distance_loss(
    weights: FloatArray, positions: FloatArray, at: FloatArray
) -> FloatArray:
    """``L(at) = Σ_i w_i |x_i − at|`` for ``(D, n, k)`` weights/positions, ``(D, m, k)`` ``at``.

    Returns ``(D, m, k)``.
    """
    diff = np.abs(positions[:, None, :, :] - at[:, :, None, :])  # (D, m, n, k)
    result: FloatArray = (weights[:, None, :, :] * diff).sum(axis=2)
    return result


def weighted_median(problem: Problem) -> FloatArray:
    """``(D, k)`` Condorcet-winning position per issue (midpoint of the set of winners)."""
    w = np.moveaxis(influence(problem), 1, 2)  # (D, k, n): actors last
    x = np.moveaxis(problem.position, 1, 2)
    return _weighted_median(x, w, ties="midpoint")


class WeightedMedian(Model):
    """Weighted median / Condorcet winner of pairwise capability × salience votes."""

    name: ClassVar[str] = "median"
    title: ClassVar[str] = "Median voter (weighted median)"
    source: ClassVar[str] = "Black 1948; Bueno de Mesquita 1994"

    def forecast(self, problem: Problem) -> Forecast:
        require_single(problem, self.name)
        outcome = weighted_median(problem)[0]
        w = influence(problem)
        loss = weighted_distance_loss(w, problem.position, problem.position)[0]
        votes = pd.DataFrame(
            [
                {
                    "issue": issue,
                    "actor": actor,
                    "position": float(problem.position[0, i, j]),
                    "weighted_distance": float(loss[i, j]),
                }
                for j, issue in enumerate(problem.issues)
                for i, actor in enumerate(problem.actors)
            ]
        )
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=outcome,
            tables={"candidates": votes},
            parameters=self.get_params(),
        )

    def forecast_batch(self, problem: Problem) -> Forecasts:
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=weighted_median(problem),
            parameters=self.get_params(),
        )
