"""Forecasting models behind one interface (see :mod:`detente.models.base`).

Models are registered by name and imported lazily, so a model's optional dependencies are only
needed when it is used. The naive baselines (:mod:`detente.models.baselines`) are models too,
found by the same :func:`get_model`, but kept in their own registry so that the lists of models
(``detente models``, the report, the web explorer) show only the models.
"""

from __future__ import annotations

import importlib
from typing import Any

from detente.models.base import (
    Forecast,
    Forecasts,
    Model,
    ModelInputError,
    Problem,
    Round,
)

#: registry name -> "module:Class"
MODEL_REGISTRY: dict[str, str] = {
    "compromise": "detente.models.compromise:Compromise",
    "median": "detente.models.median:WeightedMedian",
    "expected-utility": "detente.models.expected_utility:ExpectedUtility",
    "spatial": "detente.models.spatial:SpatialModel",
    "exchange": "detente.models.exchange:ExchangeModel",
}

#: registry name -> "module:Class" of the baselines (:mod:`detente.models.baselines`)
BASELINE_REGISTRY: dict[str, str] = {
    "status-quo": "detente.models.baselines:StatusQuo",
    "midpoint": "detente.models.baselines:Midpoint",
}


class UnknownModelError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def model_class(name: str) -> type[Model]:
    """The model (or baseline) class registered under ``name``."""
    target = MODEL_REGISTRY.get(name) or BASELINE_REGISTRY.get(name)
    if target is None:
        known = ", ".join(sorted(MODEL_REGISTRY))
        baselines = ", ".join(sorted(BASELINE_REGISTRY))
        raise UnknownModelError(
            f"unknown model {name!r} (expected one of: {known}; baselines: {baselines})"
        )
    module_name, _, class_name = target.partition(":")
    cls: type[Model] = getattr(importlib.import_module(module_name), class_name)
    return cls


def get_model(name: str, **params: Any) -> Model:
    """An instance of the model registered under ``name``, with constructor ``params``."""
    return model_class(name)(**params)


def available_models() -> list[str]:
    """Names of registered models whose module imports (i.e. implemented and installed).

    The baselines are not among them (see :data:`BASELINE_REGISTRY`).
    """
    names = []
    for name in MODEL_REGISTRY:
        try:
            model_class(name)
        except (ImportError, AttributeError):
            continue
        names.append(name)
    return names


def per_issue_models(n_actors: int | None = None) -> list[Model]:
    """The per-issue models (not :attr:`Model.multi_issue`: a multi-issue model's forecast of
    one issue comes from trades across all of them, and is shown only when asked for) that can
    run a problem of ``n_actors`` actors (their ``min_actors`` tag) — the default set of the
    report and the brief — or the compromise model when none is installed."""
    names = [
        m
        for m in available_models()
        if not model_class(m).multi_issue
        and (n_actors is None or n_actors >= model_class(m).min_actors)
    ]
    return [get_model(m) for m in names or ["compromise"]]


__all__ = [
    "BASELINE_REGISTRY",
    "MODEL_REGISTRY",
    "Forecast",
    "Forecasts",
    "Model",
    "ModelInputError",
    "Problem",
    "Round",
    "UnknownModelError",
    "available_models",
    "get_model",
    "model_class",
    "per_issue_models",
]
