"""Summaries of a Monte Carlo run: per issue, mean, median, 5–95 % interval, band chances.

A *band* of an issue's scale is the set of values nearest to one labelled anchor (the midpoint
rule, :func:`band_indices`; a value exactly between two anchors goes to the lower one). The
chance of a band is the share of draws whose forecast lands in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from detente.models.base import FloatArray, finite
from detente.scenario.schema import Scale, Scenario

#: quantiles of the reported interval
INTERVAL = (0.05, 0.95)


@dataclass(frozen=True)
class Band:
    anchor: float
    label: str
    probability: float


@dataclass(frozen=True)
class IssueSummary:
    id: str
    label: str
    mean: float
    median: float
    low: float
    high: float
    bands: tuple[Band, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label,
            "mean": finite(self.mean),
            "median": finite(self.median),
            "interval": [finite(self.low), finite(self.high)],
            "bands": [
                {"anchor": b.anchor, "label": b.label, "probability": b.probability}
                for b in self.bands
            ],
        }


def band_indices(scale: Scale, values: FloatArray) -> tuple[list[float], np.ndarray]:
    """Sorted anchors and, per value, the index of its band (nearest anchor, lower on ties)."""
    points = sorted(scale.anchors)
    if not points:
        return [], np.zeros(values.shape, dtype=np.intp)
    dist = np.abs(values[:, None] - np.asarray(points, dtype=np.float64)[None, :])
    return points, np.argmin(dist, axis=1)  # argmin takes the first minimum: lower anchor


def summarize(scenario: Scenario, outcome: FloatArray) -> list[IssueSummary]:
    """One summary per issue of ``outcome`` ``(D, k)`` (NaN forecasts are left out)."""
    out: list[IssueSummary] = []
    for j, issue in enumerate(scenario.issues):
        x = outcome[:, j]
        x = x[np.isfinite(x)]
        if x.size == 0:
            nan = float("nan")
            out.append(IssueSummary(issue.id, issue.label, nan, nan, nan, nan, ()))
            continue
        points, idx = band_indices(issue.scale, x)
        counts = np.bincount(idx, minlength=len(points)) if points else np.zeros(0)
        bands = tuple(
            Band(anchor=p, label=issue.scale.anchors[p], probability=float(c) / x.size)
            for p, c in zip(points, counts, strict=True)
        )
        low, high = np.quantile(x, INTERVAL)
        out.append(
            IssueSummary(
                id=issue.id,
                label=issue.label,
                mean=float(x.mean()),
                median=float(np.median(x)),
                low=float(low),
                high=float(high),
                bands=bands,
            )
        )
    return out
