"""Monte Carlo over a scenario's uncertain judgments (``detente simulate``).

* :mod:`.sampling` — which judgments are uncertain, how draws are generated deterministically
  (fixed-size blocks, one seed stream per block and parameter, keyed by the parameter's path),
  and building a Problem batch from values;
* :mod:`.runner` — running a model over blocks in one process, a process pool or on Ray;
* :mod:`.summary` — per-issue mean, median, interval and chance of each labelled band;
* :mod:`.output` — deterministic Parquet/JSON files, written atomically.
"""

from __future__ import annotations

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
