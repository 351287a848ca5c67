"""Naive baselines: forecasters that read no actor data, as models like the others.

A model earns its keep by beating them. The backtest (``docs/backtest.md``) scores both beside
the models:

* :class:`StatusQuo`: nothing changes, the forecast is the problem's status quo (the DEU data's
  reference point ``rp``; the backtest keeps that name on its command line). Undefined (NaN)
  on an issue whose status quo the problem does not give.
* :class:`Midpoint`: the middle of each issue's scale, what a forecaster who knows nothing
  about the actors would say.

Both are registered in :data:`detente.models.BASELINE_REGISTRY`, apart from the models, so
``detente models``, the report and the web explorer list only the models.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from detente.models.base import FloatArray, Forecast, Forecasts, Model, Problem, require_single


class _Baseline(Model):
    """A forecast computed from the problem's scales and status quo alone."""

    baseline: ClassVar[bool] = True

    def _outcome(self, problem: Problem) -> FloatArray:  # (D, k)
        raise NotImplementedError

    def forecast(self, problem: Problem) -> Forecast:
        require_single(problem, self.name)
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=self._outcome(problem)[0],
            parameters=self.get_params(),
        )

    def forecast_batch(self, problem: Problem) -> Forecasts:
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=self._outcome(problem),
            parameters=self.get_params(),
        )


class StatusQuo(_Baseline):
    """The status quo persists: the forecast is ``problem.status_quo`` (NaN where absent)."""

    name: ClassVar[str] = "status-quo"
    title: ClassVar[str] = "Status quo (baseline)"
    source: ClassVar[str] = "the reference point of Thomson et al. 2006 (DEU)"
    needs_status_quo: ClassVar[bool] = True

    def _outcome(self, problem: Problem) -> FloatArray:
        out: FloatArray = np.array(problem.status_quo, dtype=np.float64)
        return out


class Midpoint(_Baseline):
    """The middle of each issue's scale, ``(scale_min + scale_max) / 2``, in every draw."""

    name: ClassVar[str] = "midpoint"
    title: ClassVar[str] = "Midpoint of the scale (baseline)"
    source: ClassVar[str] = "naive baseline"

    def _outcome(self, problem: Problem) -> FloatArray:
        mid = (problem.scale_min + problem.scale_max) / 2.0
        out: FloatArray = np.broadcast_to(mid, (problem.n_draws, problem.n_issues)).copy()
        return out
