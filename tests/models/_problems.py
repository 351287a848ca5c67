"""Hand-built copies of a Problem for the model tests: some actors or issues, reordered.

Moved here from ``Problem`` (they served only tests); ``dataclasses.replace`` would do the
same, but each array must be indexed on the right axis, which these helpers do once.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from detente.models.base import Problem


def subset_actors(problem: Problem, actor_indices: Sequence[int] | np.ndarray) -> Problem:
    """The same problem with some actors (in the given order: a permutation reorders)."""
    idx = np.asarray(actor_indices, dtype=np.intp)
    return Problem(
        actors=tuple(problem.actors[i] for i in idx),
        issues=problem.issues,
        capability=problem.capability[:, idx],
        position=problem.position[:, idx, :],
        salience=problem.salience[:, idx, :],
        scale_min=problem.scale_min,
        scale_max=problem.scale_max,
        status_quo=problem.status_quo,
        name=problem.name,
        actor_names=tuple(problem.actor_names[i] for i in idx),
        issue_labels=problem.issue_labels,
        power=None if problem.power is None else problem.power[:, idx, :],
    )


def subset_issues(problem: Problem, issue_indices: Sequence[int]) -> Problem:
    """The same problem restricted to some issues (in the given order)."""
    idx = np.asarray(issue_indices, dtype=np.intp)
    return Problem(
        actors=problem.actors,
        issues=tuple(problem.issues[i] for i in issue_indices),
        capability=problem.capability,
        position=problem.position[:, :, idx],
        salience=problem.salience[:, :, idx],
        scale_min=problem.scale_min[idx],
        scale_max=problem.scale_max[idx],
        status_quo=problem.status_quo[:, idx],
        name=problem.name,
        actor_names=problem.actor_names,
        issue_labels=tuple(problem.issue_labels[i] for i in issue_indices),
        power=None if problem.power is None else problem.power[:, :, idx],
    )
