"""Monte Carlo over a scenario's uncertain judgments (``detente simulate``).

* :mod:`.sampling` — which judgments are uncertain, how draws are generated deterministically
  (fixed-size blocks, one seed stream per block and parameter, keyed by the parameter's path),
  and building a Problem batch from values;
* :mod:`.runner` — running a model over blocks in one process, a process pool or on Ray;
* :mod:`.summary` — per-issue mean, median, interval and chance of each labelled band;
* :mod:`.output` — deterministic Parquet/JSON files, written atomically.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from detente.uncertainty.runner import Job, MonteCarloResult, simulate, spawn_pool
    from detente.uncertainty.sampling import (
        BLOCK_SIZE,
        Parameter,
        problem_from_values,
        sample_problem,
        sample_values,
        uncertain_parameters,
    )
    from detente.uncertainty.summary import IssueSummary, summarize

# Names are imported when first used, so that a Monte Carlo worker, which imports
# detente.uncertainty.worker, does not import the runner, the summaries or the scenario schema.
_HOME = {
    "Job": "runner",
    "MonteCarloResult": "runner",
    "simulate": "runner",
    "spawn_pool": "runner",
    "BLOCK_SIZE": "sampling",
    "Parameter": "sampling",
    "problem_from_values": "sampling",
    "sample_problem": "sampling",
    "sample_values": "sampling",
    "uncertain_parameters": "sampling",
    "IssueSummary": "summary",
    "summarize": "summary",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)


__all__ = [
    "BLOCK_SIZE",
    "IssueSummary",
    "Job",
    "MonteCarloResult",
    "Parameter",
    "problem_from_values",
    "sample_problem",
    "sample_values",
    "simulate",
    "spawn_pool",
    "summarize",
    "uncertain_parameters",
]
