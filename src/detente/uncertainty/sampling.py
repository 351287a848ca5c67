"""Sampling a scenario's uncertain judgments into a :class:`Problem` batch (draw axis first).

Two questions share one code path here:

* *Monte Carlo*: "sample every distribution" — :func:`sample_values` draws a ``(D, P)`` matrix
  of values for the scenario's uncertain parameters, and :func:`problem_from_values` puts them
  into a Problem;
* *sensitivity analysis*: "set these parameters to these values" — the caller builds the
  ``(D, P)`` matrix itself (e.g. a Sobol design) for any subset of :func:`uncertain_parameters`
  and calls the same :func:`problem_from_values`; every other quantity stays at its point value.

Determinism (format version :data:`FORMAT_VERSION`)
---------------------------------------------------
Draws come in fixed-size **blocks** of :data:`BLOCK_SIZE`. In block ``b`` (draws
``b·BLOCK_SIZE … (b+1)·BLOCK_SIZE − 1``) each uncertain parameter has its **own** generator,
``Generator(PCG64(SeedSequence(seed, spawn_key=(b, path_key))))``, where ``path_key`` is a
stable 64-bit hash of the parameter's scenario path (:func:`path_key`), and draws a full block of
``BLOCK_SIZE`` uniforms even when fewer draws are wanted from that block (the rest are
dropped), mapped to values through the parameter's inverse CDF (:meth:`Quantity.ppf`).
So the value of draw ``i`` of a parameter depends only on ``(seed, i, its path)``, never on the
total number of draws, how draws are chunked, how many workers run, on which backend — nor on
which *other* parameters are uncertain. The last point gives common random numbers across
worldviews: a worldview that turns a fixed value into a distribution, or changes one
distribution, leaves every other parameter's draws exactly as they were, so paired differences
between worldviews (``detente compare``, the crux finder) measure the assumptions, not noise.
The block size is part of the format, not a tuning knob: changing it changes every draw, which
is why it is recorded in ``provenance.json``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from detente.models.base import FloatArray, Problem

if TYPE_CHECKING:  # a Monte Carlo worker imports this module: it stays free of the schema
    from detente.scenario.quantity import Quantity
    from detente.scenario.schema import Scenario
    from detente.uncertainty.dependence import Dependence

#: draws per block; part of the sampling format (see module docstring), never tuned per run
BLOCK_SIZE = 1024
#: bump when the mapping (seed, draw index) -> values changes
FORMAT_VERSION = 1

Field = Literal["capability", "position", "salience", "status_quo"]


@dataclass(frozen=True)
class Parameter:
    """One uncertain judgment of a scenario (the one parameter type of Monte Carlo and
    sensitivity analysis).

    Attributes:
        path: the scenario path, the one worldview overrides use
            (``actors.dprk.stances.sanctions.salience``).
        label: a human label (``North Korea — Sanctions relief — salience``,
            :func:`detente.scenario.paths.path_label`).
        quantity: the distribution (after the worldview's overrides).
        support: the smallest interval holding every value (``low < high``).
        field: which :class:`Problem` array the value goes into (None: a judgment the models do
            not read, e.g. a strategy game's ``game.*`` number).
        index: the index into that array after the draw axis: ``(actor,)`` for capability,
            ``(actor, issue)`` for position and salience, ``(issue,)`` for a status quo.
    """

    path: str
    label: str
    quantity: Quantity
    support: tuple[float, float]
    field: Field | None = None
    index: tuple[int, ...] = ()

    @classmethod
    def of(
        cls,
        path: str,
        label: str,
        quantity: Quantity,
        field: Field | None = None,
        index: tuple[int, ...] = (),
    ) -> Parameter:
        """A parameter whose support is its quantity's."""
        return cls(path, label, quantity, quantity.support(), field, index)


def _all_quantities(scenario: Scenario) -> list[Parameter]:
    """Every numeric judgment feeding the Problem, in scenario path order.

    The order is: issues' status quo (in issue order), then per actor (in actor order) its
    capability, then per issue (in the scenario's issue order, not the order the stances happen
    to be written in) position and then salience. A later edit that only reorders an actor's
    stances in the file therefore does not change any draw.
    """
    from detente.scenario.paths import path_label  # not at module level: workers import this

    out: list[Parameter] = []
    for j, issue in enumerate(scenario.issues):
        if issue.status_quo is not None:
            path = f"issues.{issue.id}.status_quo"
            out.append(
                Parameter.of(path, path_label(scenario, path), issue.status_quo, "status_quo", (j,))
            )
    for i, actor in enumerate(scenario.actors):
        path = f"actors.{actor.id}.capability"
        out.append(
            Parameter.of(path, path_label(scenario, path), actor.capability, "capability", (i,))
        )
        for j, issue in enumerate(scenario.issues):
            stance = actor.stances[issue.id]
            for name in ("position", "salience"):
                q: Quantity = getattr(stance, name)
                path = f"actors.{actor.id}.stances.{issue.id}.{name}"
                fld: Field = "position" if name == "position" else "salience"
                out.append(Parameter.of(path, path_label(scenario, path), q, fld, (i, j)))
    return out


def uncertain_parameters(scenario: Scenario) -> list[Parameter]:
    """The scenario's uncertain judgments, in scenario path order (the sampling order).

    Uncertain means a distribution with some width (:attr:`Quantity.varies`): a fixed value, or a
    distribution whose support is a single point, has nothing to vary (and cannot be given
    sensitivity bounds), so it is held at its point value. Apply a worldview first
    (``with_worldview``): its overrides can add, remove or change distributions.
    """
    params = _all_quantities(scenario)
    if scenario.shares:  # a Dirichlet member is uncertain: its marginal is a beta
        from detente.uncertainty.dependence import scenario_dependence

        dep = scenario_dependence(scenario)
        params = [_with_marginal(p, dep.marginal(p.path)) for p in params]
    return [p for p in params if p.quantity.varies]


def _with_marginal(param: Parameter, marginal: Quantity | None) -> Parameter:
    """``param`` with a share group's marginal as its distribution (unchanged outside one)."""
    if marginal is None:
        return param
    return Parameter.of(param.path, param.label, marginal, param.field, param.index)


def path_key(path: str) -> int:
    """A stable 64-bit key for a scenario path (the first 8 bytes of its SHA-256)."""
    return int.from_bytes(hashlib.sha256(path.encode("utf-8")).digest()[:8], "big")


def parameter_generator(seed: int, block: int, path: str) -> np.random.Generator:
    """The generator of one parameter in one block (see module docstring)."""
    sequence = np.random.SeedSequence(seed, spawn_key=(block, path_key(path)))
    return np.random.Generator(np.random.PCG64(sequence))


def block_uniforms(paths: list[str], seed: int, block: int) -> FloatArray:
    """The :data:`BLOCK_SIZE` uniforms of each path in block ``block``: ``(BLOCK_SIZE, P)``."""
    out = np.empty((BLOCK_SIZE, len(paths)), dtype=np.float64)
    for p, path in enumerate(paths):
        out[:, p] = parameter_generator(seed, block, path).random(BLOCK_SIZE)
    return out


def path_uniforms(paths: list[str], seed: int, start: int, stop: int) -> FloatArray:
    """Uniforms of draws ``start … stop − 1`` for each path: ``(stop − start, P)``.

    Whole blocks are generated and sliced, so a draw's value depends only on ``(seed, i, path)``
    — not on ``start``/``stop``, nor on the other paths asked for.
    """
    if not 0 <= start <= stop:
        raise ValueError(f"bad draw range {start}..{stop}")
    parts: list[FloatArray] = []
    first, last = start // BLOCK_SIZE, (stop - 1) // BLOCK_SIZE
    for block in range(first, last + 1) if stop > start else ():
        values = block_uniforms(paths, seed, block)
        lo = max(start - block * BLOCK_SIZE, 0)
        hi = min(stop - block * BLOCK_SIZE, BLOCK_SIZE)
        parts.append(values[lo:hi])
    if not parts:
        return np.empty((0, len(paths)), dtype=np.float64)
    return np.concatenate(parts, axis=0)


def sample_values(
    parameters: list[Parameter],
    seed: int,
    start: int,
    stop: int,
    dependence: Dependence | None = None,
) -> FloatArray:
    """Values of draws ``start … stop − 1``: ``(stop − start, P)``, each parameter's uniforms
    through its inverse CDF (:meth:`Quantity.ppf`), after ``dependence``'s groups (shares,
    correlations: :mod:`detente.uncertainty.dependence`) when given."""
    from detente.uncertainty.dependence import values_from_uniforms

    u = path_uniforms([p.path for p in parameters], seed, start, stop)
    return values_from_uniforms([(p.path, p.quantity) for p in parameters], u, dependence)


def problem_from_values(
    scenario: Scenario, parameters: list[Parameter], values: NDArray[np.floating] | FloatArray
) -> Problem:
    """A Problem with one draw per row of ``values`` (``(D, P)``, columns = ``parameters``).

    Every quantity not in ``parameters`` is at its point value (:meth:`Quantity.point`), as in
    ``detente forecast``. ``parameters`` may be any subset of :func:`uncertain_parameters` (or of
    the scenario's quantities) in any order; values outside a parameter's support are accepted
    (a sensitivity design may probe them) — the caller decides what is meaningful.
    """
    from detente.scenario.problem import to_problem

    return problem_from_base(to_problem(scenario), slots(parameters), values)


#: where a parameter's value goes: the Problem array and the index after the draw axis
Slot = tuple[Field, tuple[int, ...]]


def slots(parameters: list[Parameter]) -> list[Slot]:
    """The :data:`Slot` of each parameter (all :func:`problem_from_base` needs of them)."""
    out: list[Slot] = []
    for p in parameters:
        if p.field is None:
            raise ValueError(f"not an uncertain number the models read: {p.path}")
        out.append((p.field, p.index))
    return out


def problem_from_base(
    base: Problem, slots: list[Slot], values: NDArray[np.floating] | FloatArray
) -> Problem:
    """:func:`problem_from_values` on the scenario's one-draw point-value Problem ``base``
    (``to_problem(scenario)``), with the parameters given by their :data:`Slot`: what a
    Monte Carlo worker receives, so that it needs neither the scenario nor its distributions.
    """
    vals = np.asarray(values, dtype=np.float64)
    if vals.ndim != 2 or vals.shape[1] != len(slots):
        raise ValueError(
            f"values must be (draws, {len(slots)}) for {len(slots)} parameters, got {vals.shape}"
        )
    d = vals.shape[0]
    arrays: dict[Field, FloatArray] = {
        "capability": np.repeat(base.capability, d, axis=0),
        "position": np.repeat(base.position, d, axis=0),
        "salience": np.repeat(base.salience, d, axis=0),
        "status_quo": np.repeat(base.status_quo, d, axis=0),
    }
    for p, (array, index) in enumerate(slots):
        where: tuple[slice | int, ...] = (slice(None), *index)
        arrays[array][where] = vals[:, p]
    return Problem(
        actors=base.actors,
        issues=base.issues,
        capability=arrays["capability"],
        position=arrays["position"],
        salience=arrays["salience"],
        scale_min=base.scale_min,
        scale_max=base.scale_max,
        status_quo=arrays["status_quo"],
        name=base.name,
        actor_names=base.actor_names,
        issue_labels=base.issue_labels,
    )


def sample_problem(scenario: Scenario, seed: int, start: int, stop: int) -> Problem:
    """Draws ``start … stop − 1`` of every uncertain judgment, as a Problem batch."""
    from detente.uncertainty.dependence import scenario_dependence

    params = uncertain_parameters(scenario)
    values = sample_values(params, seed, start, stop, scenario_dependence(scenario))
    return problem_from_values(scenario, params, values)


def block_ranges(draws: int) -> list[tuple[int, int, int]]:
    """``(block, start, stop)`` for each block of a run of ``draws`` draws."""
    n_blocks = -(-draws // BLOCK_SIZE)
    return [(b, b * BLOCK_SIZE, min((b + 1) * BLOCK_SIZE, draws)) for b in range(n_blocks)]
