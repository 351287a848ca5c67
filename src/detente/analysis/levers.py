"""Levers: the smallest change of one actor (or two) that moves an issue's forecast to a target.

"Whom would we have to persuade, and how far?" — Bueno de Mesquita's lever search (*The
Predictioneer's Game*, 2009, ch. 4–5; schelling's ``advise``): for every actor and each of its
three inputs on the issue — **position**, **salience**, **capability** — the smallest change,
everything else held at the scenario's point values, that carries the issue's forecast to the
target or across it. ``docs/levers.md`` gives the equations and every interpretive choice.

A lever is parameterised by a signed *normalised* change ``u`` so that the three inputs are
compared on one footing (the whole admissible range of each is at most 1 away):

* position: ``x' = x + u W`` (``W`` the width of the issue's scale), ``x'`` within the scale;
* salience: ``s' = s + u``, ``s'`` in [0, 1];
* capability: ``c' = c F^u`` with ``u`` in [-1, 1] (``F`` = ``capability_factor``, 10 by
  default: a tenfold gain or loss counts as much as a move across the whole scale).

A change that needs a value outside those bounds is **not reachable**. The size of a lever is
``|u|``; of a pair of levers (two different actors) the L∞ norm ``max(|u_a|, |u_b|)``: "how far
must each of the two be persuaded".

Two methods:

* **compromise** (the weighted mean ``x̂ = Σ w x / Σ w``, ``w = c s``) has a closed form for
  each lever (:func:`compromise_lever`); the answer is verified by running the model;
* every other model: a **bracketed search** on the sign of ``σ (f(u) − T)`` (``σ`` = the side
  of the target from the current forecast): a coarse scan of each side of the lever's range
  (fractions 1/64, 1/32, 1/16, then ``k / scan``), the first crossing nearest the status quo
  bracketed by the last scan point that does not cross, bisection to a relative 1e-3, then a
  check that 99 % of the change does not cross (when it does, a narrower window was skipped
  and the search goes on below it). Each answer is the model re-run at the change.

With ``scan = 0`` the scan is a *screen*: each side at its extreme only, the sides that reach
there bisected (the fast path for the spatial model on many actors; its caveat in the docs).

All runs of one round (every lever's scan points, every bracket's midpoint) go to the model in
batches (``forecast_batch``, whose draws are independent bit for bit: at most a fixed size, at
least one per worker), so the result does not depend on where they run: a
:class:`detente.analysis.decision.Runner` spreads the batches over a warm pool of spawned
processes or Ray tasks and puts them back in order.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detente.models import get_model
from detente.models.base import FloatArray, Model, ModelInputError, Problem

if TYPE_CHECKING:
    from detente.analysis.decision import Runner

Dimension = Literal["position", "salience", "capability"]
DIMENSIONS: tuple[Dimension, ...] = ("position", "salience", "capability")
#: fractions of a side's range scanned before the uniform grid (small changes first)
GEOMETRIC = (1.0 / 64.0, 1.0 / 32.0, 1.0 / 16.0)
#: bisection stops when the bracket is narrower than this share of its upper end
RTOL = 1e-3
#: the share of the change that must not cross (the check the issue names)
NOT_CROSSING_SHARE = 0.99
#: most rounds of the "99 % crosses too" repair before giving up on a lever
MAX_REPAIRS = 50
#: largest number of actor-cubes a batch may hold (memory of the spatial model's third parties)
_BATCH_CELLS = 40_000_000
_MAX_BATCH = 64


class LeverInputError(ValueError):
    """Bad arguments of a lever search (unknown issue or actor, target off the scale …)."""


@dataclass(frozen=True)
class Lever:
    """One actor's one input on the issue."""

    actor: int
    dimension: Dimension


@dataclass(frozen=True)
class LeverResult:
    """The smallest change found for one lever, or for a pair of levers (L∞ size).

    ``steps`` are the signed normalised changes ``u`` (one per lever), ``before``/``after`` the
    inputs' values on their own scales (position on the issue's scale, salience in [0, 1],
    capability as given), ``forecast`` the model's forecast of the issue with the change
    applied (re-run), ``forecast_99`` with 99 % of it (None for unreachable levers).
    ``progress``: for a lever that does not reach, the largest share of the way to the target
    seen on its scan (or at its bound, closed form).
    """

    levers: tuple[Lever, ...]
    actor_ids: tuple[str, ...]
    reachable: bool
    size: float | None
    steps: tuple[float, ...]
    before: tuple[float, ...]
    after: tuple[float, ...]
    forecast: float | None
    forecast_99: float | None
    method: str
    progress: float
    note: str = ""
    #: a pair that needs less of each actor (L∞) than either actor's lever alone
    beats_singles: bool = False

    def describe_change(self, k: int = 0) -> str:
        """The change of lever ``k`` in words, e.g. ``position 40 → 52.5 (+12.5)``."""
        lever = self.levers[k]
        b, a = self.before[k], self.after[k]
        if lever.dimension == "capability":
            return f"capability {b:.4g} → {a:.4g} (×{a / b:.4g})"
        return f"{lever.dimension} {b:.4g} → {a:.4g} ({a - b:+.4g})"


@dataclass(frozen=True)
class LeverReport:
    """Every lever of one search, ranked: reachable by size (then actor, then dimension),
    then the unreachable ones by progress."""

    issue: str
    issue_index: int
    target: float
    baseline: float
    model: str
    capability_factor: float
    scan: int
    singles: tuple[LeverResult, ...]
    pairs: tuple[LeverResult, ...]
    pair_candidates: int
    runs: int
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def direction(self) -> str:
        return "up" if self.target > self.baseline else "down"


# ---------------------------------------------------------------------------- lever arithmetic


def lever_range(problem: Problem, issue: int, lever: Lever, factor: float) -> tuple[float, float]:
    """The admissible ``(u_min, u_max)`` of a lever (``u_min <= 0 <= u_max``)."""
    i = lever.actor
    if lever.dimension == "position":
        lo, hi = float(problem.scale_min[issue]), float(problem.scale_max[issue])
        x = float(problem.position[0, i, issue])
        width = hi - lo
        return (min(0.0, (lo - x) / width), max(0.0, (hi - x) / width))
    if lever.dimension == "salience":
        s = float(problem.salience[0, i, issue])
        return (min(0.0, -s), max(0.0, 1.0 - s))
    return (-1.0, 1.0)


def lever_value(problem: Problem, issue: int, lever: Lever, u: float, factor: float) -> float:
    """The input's value after the change ``u`` (clipped to its bounds)."""
    i = lever.actor
    if lever.dimension == "position":
        lo, hi = float(problem.scale_min[issue]), float(problem.scale_max[issue])
        x = float(problem.position[0, i, issue])
        return min(hi, max(lo, x + u * (hi - lo)))
    if lever.dimension == "salience":
        return min(1.0, max(0.0, float(problem.salience[0, i, issue]) + u))
    return float(problem.capability[0, i]) * float(factor**u)


def lever_before(problem: Problem, issue: int, lever: Lever) -> float:
    i = lever.actor
    if lever.dimension == "position":
        return float(problem.position[0, i, issue])
    if lever.dimension == "salience":
        return float(problem.salience[0, i, issue])
    return float(problem.capability[0, i])


Change = tuple[tuple[Lever, float], ...]


def apply_changes(
    problem: Problem, issue: int, changes: Sequence[Change], factor: float
) -> Problem:
    """A batch problem: draw ``d`` is ``problem`` with ``changes[d]`` applied.

    A capability change scales the actor's capability (every issue) and, when the problem has
    per-issue ``power``, its power on every issue.
    """
    d = len(changes)
    cap = np.repeat(problem.capability[:1], d, axis=0)
    pos = np.repeat(problem.position[:1], d, axis=0)
    sal = np.repeat(problem.salience[:1], d, axis=0)
    power = None if problem.power is None else np.repeat(problem.power[:1], d, axis=0)
    for row, change in enumerate(changes):
        for lever, u in change:
            i = lever.actor
            value = lever_value(problem, issue, lever, u, factor)
            if lever.dimension == "position":
                pos[row, i, issue] = value
            elif lever.dimension == "salience":
                sal[row, i, issue] = value
            else:
                cap[row, i] = value
                if power is not None and problem.power is not None:
                    power[row, i, :] = problem.power[0, i, :] * (value / problem.capability[0, i])
    return Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=cap,
        position=pos,
        salience=sal,
        scale_min=problem.scale_min,
        scale_max=problem.scale_max,
        status_quo=np.repeat(problem.status_quo[:1], d, axis=0),
        name=problem.name,
        actor_names=problem.actor_names,
        issue_labels=problem.issue_labels,
        power=power,
    )


# ---------------------------------------------------------------------------- running the model


def _forecast_batch(model: Model, issue: int, problem: Problem) -> FloatArray:
    """One batch's forecasts of the issue; a draw the model refuses is NaN.

    Top-level (picklable, with the model object: its engine and limits travel with it) for
    spawned workers and Ray tasks.
    """
    with _one_thread(model):
        return _forecast_or_nan(model, problem, issue)


@contextmanager
def _one_thread(model: Model) -> Iterator[None]:
    """Compiled kernels (numba, the spatial model's ``detente[fast]`` engine) on one thread.

    A search sends hundreds of small batches; numba's threaded kernels synchronise their team
    at every call, which on a busy machine costs more than it saves (measured on KTAB's
    80-actor case: 8 times the wall time). Levers run in parallel over processes
    (``--workers``, Ray) instead; the kernels give the same bits on any number of threads.
    """
    if model.name == "spatial" and importlib.util.find_spec("numba") is not None:
        importlib.import_module("numba")  # the spatial model would import it on a large batch
    compiled: Any = sys.modules.get("numba")
    if compiled is None:
        yield
        return
    before = compiled.get_num_threads()
    compiled.set_num_threads(1)
    try:
        yield
    finally:
        compiled.set_num_threads(before)


def _forecast_or_nan(model: Model, problem: Problem, issue: int) -> FloatArray:
    """A refused batch is split in halves until the refused draws are isolated, so one
    inadmissible change costs no other draw its answer."""
    try:
        out: FloatArray = np.asarray(model.forecast_batch(problem).outcome[:, issue], dtype=float)
        return out
    except ModelInputError:
        if problem.n_draws == 1:
            return np.array([np.nan])
    half = problem.n_draws // 2
    first = _subset(problem, 0, half)
    second = _subset(problem, half, problem.n_draws)
    return np.concatenate(
        [_forecast_or_nan(model, first, issue), _forecast_or_nan(model, second, issue)]
    )


def _subset(problem: Problem, start: int, stop: int) -> Problem:
    sl = slice(start, stop)
    return replace(
        problem,
        capability=problem.capability[sl],
        position=problem.position[sl],
        salience=problem.salience[sl],
        status_quo=problem.status_quo[sl],
        power=None if problem.power is None else problem.power[sl],
    )


class _Evaluator:
    """Runs the model on lists of changes, in fixed-size batches, counting runs.

    The batches of one call go to ``runner`` (:class:`detente.analysis.decision.Runner`: here,
    a warm local pool of spawned processes, or Ray tasks) and come back in order; a call is
    split into at least one batch per worker (so that a small round keeps them all busy), and
    every draw of a batch is computed independently of the others (the models'
    ``forecast_batch``), so the result is the same bit for bit however the runs are split.
    """

    def __init__(
        self,
        problem: Problem,
        issue: int,
        model: Model,
        factor: float,
        runner: Runner | None,
    ) -> None:
        self.problem = problem
        self.issue = issue
        self.model = model
        self.factor = factor
        self.runner = runner
        self.runs = 0
        n = problem.n_actors
        self.batch = max(1, min(_MAX_BATCH, _BATCH_CELLS // max(1, n**3)))
        #: every forecast computed, by change: a change asked for again is not re-run (the
        #: model is deterministic and a draw's forecast does not depend on its batch)
        self.known: dict[Change, float] = {}

    def __call__(self, changes: Sequence[Change]) -> FloatArray:
        todo = [c for c in dict.fromkeys(changes) if c not in self.known]
        if todo:
            self.runs += len(todo)
            for change, value in zip(todo, self._run(todo), strict=True):
                self.known[change] = float(value)
        return np.array([self.known[c] for c in changes], dtype=float)

    def _run(self, changes: list[Change]) -> FloatArray:
        # at most ``batch`` runs a batch, and at least one batch per worker while there are
        # runs enough: a bisection round of a few dozen midpoints keeps every worker busy
        workers = 1 if self.runner is None else max(1, self.runner.workers)
        n_parts = max(-(-len(changes) // self.batch), min(workers, len(changes)))
        size = -(-len(changes) // n_parts)
        parts = [changes[k : k + size] for k in range(0, len(changes), size)]
        problems = [apply_changes(self.problem, self.issue, part, self.factor) for part in parts]
        if self.runner is None or workers == 1:
            results = [_forecast_batch(self.model, self.issue, p) for p in problems]
        else:  # even a single batch: once the pool is up, this process runs no model itself
            results = self.runner.map(partial(_forecast_batch, self.model, self.issue), problems)
        return np.concatenate(results)


def _search_model(model: Model | str, n_actors: int) -> Model:
    """The model to search with. The spatial model by name runs on its compiled engine
    (``detente[fast]``) when it is installed and a full batch of this problem would pick it
    anyway (``engine="auto"`` decides per call, so the small batches of the bisection rounds
    would otherwise fall back to numpy); both engines give the same bits."""
    if not isinstance(model, str):
        return model
    if model == "spatial":
        from detente.models.spatial import KERNEL_MIN_WORK, SpatialModel

        big = _MAX_BATCH * n_actors**3 >= KERNEL_MIN_WORK
        if big and importlib.util.find_spec("numba") is not None:
            return SpatialModel(engine="numba")
    return get_model(model)


# ---------------------------------------------------------------------------- compromise


def compromise_lever(
    problem: Problem, issue: int, lever: Lever, target: float, factor: float
) -> tuple[float | None, float]:
    """The closed-form change ``u`` that puts the weighted mean exactly on ``target``.

    With ``A = Σ_{k≠i} w_k x_k``, ``B = Σ_{k≠i} w_k`` and the actor's ``w = c s``, ``x``:

    * position: ``x' = x + (T − x̂)(B + w) / w``;
    * salience: ``w' = (T B − A) / (x − T)``, ``s' = w' / c``;
    * capability: the same ``w'``, ``c' = w' / s``, ``u = log_F(c' / c)``.

    Returns ``(u or None when not reachable, progress)``: progress is the share of the way to
    the target the lever gets at its bound (1 when reachable).
    """
    i = lever.actor
    c = problem.capability[0]
    s = problem.salience[0, :, issue]
    x = problem.position[0, :, issue]
    w = c * s
    others = np.arange(problem.n_actors) != i
    a_sum = float(np.sum(w[others] * x[others]))
    b_sum = float(np.sum(w[others]))
    wi, xi, ci, si = float(w[i]), float(x[i]), float(c[i]), float(s[i])
    total = b_sum + wi
    if total <= 0.0:
        return None, 0.0
    f0 = (a_sum + wi * xi) / total
    lo_u, hi_u = lever_range(problem, issue, lever, factor)

    def progress_at(u: float) -> float:
        value = lever_value(problem, issue, lever, u, factor)
        if lever.dimension == "position":
            f = (a_sum + wi * value) / total
        elif lever.dimension == "salience":
            wv = ci * value
            f = (a_sum + wv * xi) / (b_sum + wv) if b_sum + wv > 0 else f0
        else:
            wv = value * si
            f = (a_sum + wv * xi) / (b_sum + wv) if b_sum + wv > 0 else f0
        return (f - f0) / (target - f0)

    def best_progress() -> float:
        return max(0.0, progress_at(lo_u), progress_at(hi_u))

    if lever.dimension == "position":
        if wi <= 0.0:
            return None, 0.0
        x_new = xi + (target - f0) * total / wi
        u = (x_new - xi) / float(problem.scale_max[issue] - problem.scale_min[issue])
    else:
        if b_sum <= 0.0 or xi == target:
            return None, best_progress()
        w_new = (target * b_sum - a_sum) / (xi - target)
        if w_new < 0.0:
            return None, best_progress()
        if lever.dimension == "salience":
            u = w_new / ci - si
        else:
            if si <= 0.0 or w_new <= 0.0:
                return None, best_progress()
            u = math.log(w_new / (ci * si)) / math.log(factor)
    if not lo_u - 1e-12 <= u <= hi_u + 1e-12:
        return None, best_progress()
    return min(hi_u, max(lo_u, u)), 1.0


# ---------------------------------------------------------------------------- bracketed search


@dataclass
class _Path:
    """A one-parameter family of changes ``m -> change`` for ``m`` in (0, extent]."""

    levers: tuple[Lever, ...]
    directions: tuple[float, ...]  # +1 / -1 per lever
    extents: tuple[float, ...]  # each lever's range on its side
    # search state
    known: list[tuple[float, bool, float]] = field(default_factory=list)  # (m, crosses, f)
    lo: float = 0.0
    hi: float | None = None
    done: bool = False

    @property
    def extent(self) -> float:
        return max(self.extents)

    def change(self, m: float) -> Change:
        return tuple(
            (lv, d * min(m, e))
            for lv, d, e in zip(self.levers, self.directions, self.extents, strict=True)
        )


def _search(
    paths: list[_Path],
    evaluate: _Evaluator,
    crosses: Any,
    scan: int,
) -> None:
    """Run the scan, the bisection and the 99 % check on every path (in place)."""
    owners = _scan_points(paths, scan)
    values = evaluate([p.change(m) for p, m in owners])
    for (p, m), f in zip(owners, values, strict=True):
        p.known.append((m, bool(crosses(f)), float(f)))
    for p in paths:
        hits = [m for m, c, _ in p.known if c]
        if not hits:
            p.done = True
            continue
        p.hi = min(hits)
        p.lo = max([0.0] + [m for m, c, _ in p.known if not c and m < p.hi])
    for _ in range(MAX_REPAIRS):
        _bisect([p for p in paths if not p.done], evaluate, crosses)
        # the 99 % check: where it crosses too, an earlier window was skipped: search below it
        active = [p for p in paths if not p.done]
        if not active:
            break
        assert all(p.hi is not None for p in active)
        checks = [p.change(NOT_CROSSING_SHARE * p.hi) for p in active]  # type: ignore[operator]
        values = evaluate(checks)
        for p, f in zip(active, values, strict=True):
            m = NOT_CROSSING_SHARE * p.hi  # type: ignore[operator]
            hit = bool(crosses(f))
            p.known.append((m, hit, float(f)))
            if hit:
                p.hi = m
                p.lo = max([0.0] + [k for k, c, _ in p.known if not c and k < m])
            else:
                p.done = True
    for p in paths:
        if p.hi is not None and not p.done:  # pragma: no cover - MAX_REPAIRS exhausted
            p.done = True


def _scan_points(paths: list[_Path], scan: int) -> list[tuple[_Path, float]]:
    """Every path's scan points ``m`` (the :func:`_fractions` of its extent), path by path."""
    fractions = _fractions(scan)
    return [(p, g * p.extent) for p in paths for g in fractions]


def _fractions(scan: int) -> list[float]:
    """The scanned shares of a side's range: 1/64, 1/32, 1/16 and ``k / scan`` (k = 1..scan);
    with ``scan = 0`` only the extreme (1): a *screen* — a side whose extreme does not reach is
    not searched further, and the others are bisected on [0, extreme]."""
    if scan == 0:
        return [1.0]
    return sorted(set(GEOMETRIC) | {k / scan for k in range(1, scan + 1)})


def _bisect(paths: list[_Path], evaluate: _Evaluator, crosses: Any) -> None:
    while True:
        active = [
            p
            for p in paths
            if p.hi is not None and p.hi - p.lo > RTOL * p.hi and p.hi - p.lo > 1e-12 * p.extent
        ]
        if not active:
            return
        mids = [0.5 * (p.lo + p.hi) for p in active]  # type: ignore[operator]
        values = evaluate([p.change(m) for p, m in zip(active, mids, strict=True)])
        for p, m, f in zip(active, mids, values, strict=True):
            hit = bool(crosses(f))
            p.known.append((m, hit, float(f)))
            if hit:
                p.hi = m
            else:
                p.lo = m


# ---------------------------------------------------------------------------- the search


def find_levers(
    problem: Problem,
    issue: str,
    target: float,
    model: Model | str = "compromise",
    *,
    actors: Sequence[str] | None = None,
    dimensions: Sequence[str] = DIMENSIONS,
    pairs: bool = False,
    top: int = 6,
    capability_factor: float = 10.0,
    scan: int = 8,
    runner: Runner | None = None,
) -> LeverReport:
    """Every lever of ``actors`` × ``dimensions`` on ``issue``, ranked (see the module).

    ``problem`` is one draw (the scenario at its point values, a worldview applied by the
    caller). With ``pairs``, the ``top`` levers of the single ranking (reachable ones by size,
    then the others by progress) are combined two by two (different actors), each moved in the
    direction that served it alone, both by the same normalised amount ``m``; the size of a pair
    is that ``m`` (its L∞ norm). ``scan = 0`` screens each side at its extreme only (see
    :func:`_fractions`). ``runner``: where the batches run (local workers or Ray; the result is
    the same without one).
    """
    if problem.n_draws != 1:
        raise LeverInputError(f"levers: a one-draw problem is needed (got {problem.n_draws})")
    if issue not in problem.issues:
        raise LeverInputError(
            f"--issue {issue!r} is not an issue of the scenario "
            f"(expected one of: {', '.join(problem.issues)})"
        )
    j = problem.issues.index(issue)
    lo, hi = float(problem.scale_min[j]), float(problem.scale_max[j])
    if not math.isfinite(target) or not lo <= target <= hi:
        raise LeverInputError(
            f"--target {target!r} for issue {issue!r}: expected a number on the "
            f"issue's scale {lo:g}–{hi:g}"
        )
    if not capability_factor > 1.0 or not math.isfinite(capability_factor):
        raise LeverInputError(
            f"--capability-factor {capability_factor!r}: expected a finite number above 1"
        )
    if scan < 0:
        raise LeverInputError(f"--scan {scan!r}: expected 0 (the extremes only) or more")
    if top < 2 and pairs:
        raise LeverInputError(f"--top {top!r}: pairs need at least 2 candidate levers")
    bad_dims = [d for d in dimensions if d not in DIMENSIONS]
    if bad_dims or not dimensions:
        raise LeverInputError(
            f"--dimensions {','.join(dimensions)!r}: expected some of {', '.join(DIMENSIONS)}"
        )
    if actors is None:
        actor_idx = list(range(problem.n_actors))
    else:
        unknown = [a for a in actors if a not in problem.actors]
        if unknown or not actors:
            raise LeverInputError(
                f"--actors {','.join(actors)!r}: unknown actor(s) "
                f"{', '.join(unknown) or '(none given)'} (expected ids among: "
                f"{', '.join(problem.actors)})"
            )
        actor_idx = sorted({problem.actors.index(a) for a in actors})
    mdl = _search_model(model, problem.n_actors)
    evaluate = _Evaluator(problem, j, mdl, capability_factor, runner)
    order = [d for d in DIMENSIONS if d in dimensions]
    levers = [Lever(i, d) for i in actor_idx for d in order]
    first: list[Change] = [()]
    if mdl.name != "compromise":
        # the search's first round (its scan points) does not depend on the baseline: run it
        # with the baseline, in one round (the search then finds them computed)
        paths = [p for lv in levers for p in _side_paths(problem, j, lv, capability_factor)]
        first += [p.change(m) for p, m in _scan_points(paths, scan)]
    baseline = float(evaluate(first)[0])
    if not math.isfinite(baseline):
        raise LeverInputError(f"{problem.name}: model {mdl.name} gives no forecast of {issue!r}")
    if baseline == target:
        raise LeverInputError(
            f"--target {target:g}: the {mdl.name} forecast of {issue!r} is already exactly there"
        )
    sigma = 1.0 if target > baseline else -1.0

    def crosses(f: float) -> bool:
        return bool(math.isfinite(f) and sigma * (f - target) >= 0.0)

    def progress(f: float) -> float:
        return (f - baseline) / (target - baseline) if math.isfinite(f) else 0.0

    if mdl.name == "compromise":
        singles = _compromise_singles(problem, j, levers, target, capability_factor, evaluate)
    else:
        singles = _searched_singles(
            problem, j, levers, capability_factor, evaluate, crosses, progress, scan
        )
    singles.sort(key=_rank_key)
    pair_results: list[LeverResult] = []
    n_candidates = 0
    if pairs:
        candidates = singles[:top]
        n_candidates = len(candidates)
        pair_results = _pairs(
            problem, j, candidates, capability_factor, evaluate, crosses, progress, scan
        )
        alone: dict[Lever, float] = {r.levers[0]: r.size for r in singles if r.size is not None}
        pair_results = [
            replace(r, beats_singles=True)
            if r.reachable
            and r.size is not None
            and all(r.size < alone.get(lv, math.inf) for lv in r.levers)
            else r
            for r in pair_results
        ]
        pair_results.sort(key=_rank_key)
    return LeverReport(
        issue=issue,
        issue_index=j,
        target=float(target),
        baseline=baseline,
        model=mdl.name,
        capability_factor=float(capability_factor),
        scan=scan,
        singles=tuple(singles),
        pairs=tuple(pair_results),
        pair_candidates=n_candidates,
        runs=evaluate.runs,
        parameters=mdl.get_params(),
    )


def _rank_key(r: LeverResult) -> tuple[Any, ...]:
    order = tuple((lv.actor, DIMENSIONS.index(lv.dimension)) for lv in r.levers)
    if r.reachable:
        assert r.size is not None
        return (0, r.size, order)
    return (1, -r.progress, order)


def _result(
    problem: Problem,
    issue: int,
    levers: tuple[Lever, ...],
    steps: tuple[float, ...],
    factor: float,
    *,
    reachable: bool,
    forecast: float | None,
    forecast_99: float | None,
    method: str,
    progress: float,
    note: str = "",
) -> LeverResult:
    return LeverResult(
        levers=levers,
        actor_ids=tuple(problem.actors[lv.actor] for lv in levers),
        reachable=reachable,
        size=max(abs(u) for u in steps) if reachable else None,
        steps=steps,
        before=tuple(lever_before(problem, issue, lv) for lv in levers),
        after=tuple(
            lever_value(problem, issue, lv, u, factor) for lv, u in zip(levers, steps, strict=True)
        ),
        forecast=forecast,
        forecast_99=forecast_99,
        method=method,
        progress=progress,
        note=note,
    )


def _compromise_singles(
    problem: Problem,
    issue: int,
    levers: list[Lever],
    target: float,
    factor: float,
    evaluate: _Evaluator,
) -> list[LeverResult]:
    solved = [compromise_lever(problem, issue, lv, target, factor) for lv in levers]
    reach = [(lv, u) for lv, (u, _) in zip(levers, solved, strict=True) if u is not None]
    verified = evaluate(
        [((lv, u),) for lv, u in reach] + [((lv, NOT_CROSSING_SHARE * u),) for lv, u in reach]
    )
    by_lever = {lv: float(f) for (lv, _), f in zip(reach, verified[: len(reach)], strict=True)}
    at_99 = {lv: float(f) for (lv, _), f in zip(reach, verified[len(reach) :], strict=True)}
    results = []
    for lv, (u, prog) in zip(levers, solved, strict=True):
        if u is None:
            results.append(
                _result(
                    problem, issue, (lv,), (0.0,), factor, reachable=False, forecast=None,
                    forecast_99=None, method="closed form", progress=prog,
                    note="needs a value outside its bounds",
                )
            )  # fmt: skip
        else:
            results.append(
                _result(
                    problem, issue, (lv,), (u,), factor, reachable=True, forecast=by_lever[lv],
                    forecast_99=at_99[lv], method="closed form", progress=1.0,
                )
            )  # fmt: skip
    return results


def _side_paths(problem: Problem, issue: int, lever: Lever, factor: float) -> list[_Path]:
    lo_u, hi_u = lever_range(problem, issue, lever, factor)
    return [
        _Path(levers=(lever,), directions=(d,), extents=(e,))
        for d, e in ((1.0, hi_u), (-1.0, -lo_u))
        if e > 0.0
    ]


def _outcome(
    problem: Problem,
    issue: int,
    levers: tuple[Lever, ...],
    paths: list[_Path],
    factor: float,
    progress: Any,
    method: str = "search",
) -> LeverResult:
    """The result of a lever (or pair) from its searched paths: the nearest crossing wins."""
    found = [p for p in paths if p.hi is not None]
    if found:
        best = min(found, key=lambda p: (p.hi, -p.directions[0]))
        assert best.hi is not None
        m = best.hi
        f = next(v for k, c, v in reversed(best.known) if k == m and c)
        f99 = next(v for k, c, v in reversed(best.known) if k == NOT_CROSSING_SHARE * m)
        steps = tuple(u for _, u in best.change(m))
        return _result(
            problem, issue, levers, steps, factor, reachable=True, forecast=f, forecast_99=f99,
            method=method, progress=1.0,
        )  # fmt: skip
    seen = [progress(v) for p in paths for _, _, v in p.known]
    return _result(
        problem, issue, levers, tuple(0.0 for _ in levers), factor, reachable=False,
        forecast=None, forecast_99=None, method=method, progress=max([0.0, *seen]),
        note="no crossing found within its range",
    )  # fmt: skip


def _searched_singles(
    problem: Problem,
    issue: int,
    levers: list[Lever],
    factor: float,
    evaluate: _Evaluator,
    crosses: Any,
    progress: Any,
    scan: int,
) -> list[LeverResult]:
    per_lever = [_side_paths(problem, issue, lv, factor) for lv in levers]
    _search([p for ps in per_lever for p in ps], evaluate, crosses, scan)
    return [
        _outcome(problem, issue, (lv,), ps, factor, progress)
        for lv, ps in zip(levers, per_lever, strict=True)
    ]


def _pairs(
    problem: Problem,
    issue: int,
    candidates: list[LeverResult],
    factor: float,
    evaluate: _Evaluator,
    crosses: Any,
    progress: Any,
    scan: int,
) -> list[LeverResult]:
    # direction of each candidate: where it reached alone; otherwise the side whose bound moves
    # the forecast furthest toward the target (one run per side of each such lever)
    directions: dict[Lever, float] = {}
    probes: list[Change] = []
    probe_owner: list[tuple[Lever, float]] = []
    for r in candidates:
        lv = r.levers[0]
        if r.reachable:
            directions[lv] = 1.0 if r.steps[0] > 0 else -1.0
            continue
        lo_u, hi_u = lever_range(problem, issue, lv, factor)
        for d, e in ((1.0, hi_u), (-1.0, -lo_u)):
            if e > 0.0:
                probes.append(((lv, d * e),))
                probe_owner.append((lv, d))
    values = evaluate(probes)
    best: dict[Lever, tuple[float, float]] = {}
    for (lv, d), f in zip(probe_owner, values, strict=True):
        score = progress(float(f))
        if lv not in best or score > best[lv][0]:
            best[lv] = (score, d)
    for lv, (_, d) in best.items():
        directions[lv] = d
    paths_by_pair: list[tuple[tuple[Lever, Lever], list[_Path]]] = []
    levers = [r.levers[0] for r in candidates if r.levers[0] in directions]
    for a in range(len(levers)):
        for b in range(a + 1, len(levers)):
            la, lb = levers[a], levers[b]
            if la.actor == lb.actor:
                continue
            if lb.actor < la.actor:
                la, lb = lb, la
            extents = []
            for lv in (la, lb):
                lo_u, hi_u = lever_range(problem, issue, lv, factor)
                extents.append(hi_u if directions[lv] > 0 else -lo_u)
            path = _Path(
                levers=(la, lb),
                directions=(directions[la], directions[lb]),
                extents=(extents[0], extents[1]),
            )
            paths_by_pair.append(((la, lb), [path]))
    _search([p for _, ps in paths_by_pair for p in ps], evaluate, crosses, scan)
    return [
        _outcome(problem, issue, pair, ps, factor, progress, method="search (pair, L∞)")
        for pair, ps in paths_by_pair
    ]


# ---------------------------------------------------------------------------- output


def report_json(report: LeverReport) -> dict[str, Any]:
    """The report as plain JSON data (the ``--format json`` body after the scenario keys)."""

    def one(r: LeverResult, rank: int | None) -> dict[str, Any]:
        return {
            "rank": rank,
            "actors": list(r.actor_ids),
            "changes": [
                {
                    "actor": r.actor_ids[k],
                    "dimension": lv.dimension,
                    "before": r.before[k],
                    "after": r.after[k],
                    "change": (r.after[k] / r.before[k])
                    if lv.dimension == "capability"
                    else r.after[k] - r.before[k],
                    "change_unit": "factor" if lv.dimension == "capability" else "scale",
                    "normalised": r.steps[k],
                }
                for k, lv in enumerate(r.levers)
            ]
            if r.reachable
            else [
                {"actor": r.actor_ids[k], "dimension": lv.dimension, "before": r.before[k]}
                for k, lv in enumerate(r.levers)
            ],
            "reachable": r.reachable,
            "size": r.size,
            "forecast": r.forecast,
            "forecast_at_99pct": r.forecast_99,
            "progress": r.progress,
            "method": r.method,
            "note": r.note,
            **({"beats_singles": r.beats_singles} if len(r.levers) > 1 else {}),
        }

    def ranked(results: tuple[LeverResult, ...]) -> list[dict[str, Any]]:
        rows, rank = [], 0
        for r in results:
            if r.reachable:
                rank += 1
            rows.append(one(r, rank if r.reachable else None))
        return rows

    return {
        "issue": report.issue,
        "model": report.model,
        "parameters": report.parameters,
        "baseline": report.baseline,
        "target": report.target,
        "direction": report.direction,
        "capability_factor": report.capability_factor,
        "scan": report.scan,
        "runs": report.runs,
        "levers": ranked(report.singles),
        "pair_candidates": report.pair_candidates,
        "pairs": ranked(report.pairs),
    }
