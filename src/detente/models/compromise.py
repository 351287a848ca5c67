"""Compromise model: the capability × salience weighted mean of positions, per issue.

.. math:: \\hat{x}_j = \\frac{\\sum_i c_i s_{ij} x_{ij}}{\\sum_i c_i s_{ij}}

Source: Achen (2006), "Evaluating political decision-making models", in Thomson, Stokman,
Achen & König (eds.), *The European Union Decides*, ch. 10 — the weighted mean is the outcome
of the asymmetric Nash bargaining solution with quadratic losses, and the best performer on the
DEU data; Van den Bos (1991) and Stokman & Van Oosten (1994) use it as the "compromise model".
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd

from detente.models._weights import influence
from detente.models._weights import weighted_mean as _weighted_mean
from detente.models.base import FloatArray, Forecast, Forecasts, Model, Problem, require_single


def weighted_mean(problem: Problem) -> FloatArray:
    """``(D, k)`` capability × salience weighted mean positions."""
    return _weighted_mean(problem.position, influence(problem), axis=1)


class Compromise(Model):
    """Capability × salience weighted mean (Nash bargaining approximation)."""

    name: ClassVar[str] = "compromise"
    title: ClassVar[str] = "Compromise (weighted mean)"
    source: ClassVar[str] = "Achen 2006; Stokman & Van Oosten 1994"

    def forecast(self, problem: Problem) -> Forecast:
        require_single(problem, self.name)
        outcome = weighted_mean(problem)[0]
        w = influence(problem)[0]
        share = w / w.sum(axis=0, keepdims=True)
        weights = pd.DataFrame(
            [
                {"actor": actor, "issue": issue, "weight": float(share[i, j])}
                for i, actor in enumerate(problem.actors)
                for j, issue in enumerate(problem.issues)
            ]
        )
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=outcome,
            tables={"weights": weights},
            parameters=self.get_params(),
        )

    def forecast_batch(self, problem: Problem) -> Forecasts:
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=weighted_mean(problem),
            parameters=self.get_params(),
        )
