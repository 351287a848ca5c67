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
]
