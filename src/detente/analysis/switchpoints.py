"""Switch points: how far one judgment must move, the others held at a worldview's values, for
the decision to change.

For a worldview W, a judgment θ and its range [lo, hi], the decision d(x) is the output's
conclusion with θ held at x in every episode (and believed at x) and every other judgment at
W's values — drawn from W's distributions on the *same* random numbers for every x (common
random numbers): the strategy with the best net benefit on the scorecard (a ranking output) or
the side of the threshold (a scalar output; :class:`~detente.analysis.decision.Verdict`).
Starting from W's own value x₀ (the judgment's point value), the switch point on each side is
the x where d changes, found by **bisection on the decision label**, not on a smooth function:
d is evaluated at x₀, lo and hi; a side whose end has another label brackets a switch, and the
bracket is halved until it is narrower than ``tol`` × (hi − lo) (default 1/256: eight rounds).
The label is piecewise constant in x with jumps (an episode's outcome changes where a drawn
uniform crosses a probability), so a root finder's interpolation (``brentq``) would buy nothing
over bisection, and a bracket on the label is never fooled by a jump of the margin. Every
bracket's midpoint of a round is evaluated in one batch.

Reported per judgment and side: the switch value (the final bracket's midpoint, and the
bracket), what the decision becomes beyond it, the distance from x₀, and — for a judgment W
holds uncertain — W's probability that the judgment lies beyond it; "never within its range"
when the end has the same label as x₀. A side could also hide a switch and a switch back
between x₀ and its end; such a pair is not detected (the method checks the ends, as any
bracketing method does), which :func:`fine_grid` (a brute-force check) can reveal.

The range of a judgment is W's support when W holds it uncertain; for a number W fixes, the
hull of the values the scenario's readings (the base and every worldview) give it — so
"never within its range" means: no value any reading of the scenario considers. A type's prior
is varied as a probability: P(type) = x with the other types' priors scaled to 1 − x
(their ratios kept), its range clipped to [0, 1].
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from detente.analysis.decision import (
    Decision,
    Runner,
    Setting,
    Value,
    Verdict,
    evaluate,
    evaluate_many,
    expand_paths,
)
from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.analysis.decision import ForecastDecision, GameDecision
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario
    from detente.scenario.quantity import Quantity

#: default bracket width, as a share of the judgment's range
TOL = 1 / 256


@dataclass(frozen=True)
class Searched:
    """A judgment to search: its path, label, W's Quantity and the range searched."""

    path: str
    label: str
    quantity: Quantity
    low: float
    high: float
    #: "distribution" (W's support) or "readings" (the hull of the readings' values)
    range_from: str


@dataclass(frozen=True)
class Switch:
    """Where the decision changes on one side of x₀."""

    at: float
    bracket: tuple[float, float]
    to: str
    distance: float
    #: W's probability that the judgment is beyond ``at`` (None: W fixes it)
    probability: float | None


@dataclass(frozen=True)
class SwitchPoint:
    """One judgment's switch points under a worldview."""

    judgment: Searched
    value: float
    choice: str
    margin: float
    below: Switch | None
    above: Switch | None
    evaluations: int


@dataclass
class SwitchResult:
    scenario: str
    output: OutputSpec
    worldview: str
    choice: str
    margin: float
    points: list[SwitchPoint]
    episodes: int
    seed: int
    evaluations: int
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        rows: list[dict[str, object]] = []
        for sp in self.points:
            j = sp.judgment
            row: dict[str, object] = {
                "path": j.path,
                "label": j.label,
                "value": sp.value,
                "low": j.low,
                "high": j.high,
                "range_from": j.range_from,
                "choice": sp.choice,
                "margin": sp.margin,
            }
            for side, sw in (("below", sp.below), ("above", sp.above)):
                row[side] = (
                    None
                    if sw is None
                    else {
                        "at": sw.at,
                        "bracket": list(sw.bracket),
                        "to": sw.to,
                        "distance": sw.distance,
                        "probability": sw.probability,
                    }
                )
            rows.append(row)
        return rows


def cdf(quantity: Quantity, x: float) -> float:
    """P(value ≤ x) under ``quantity`` (its inverse CDF inverted by bisection)."""
    lo, hi = quantity.support()
    if x <= lo:
        return 0.0
    if x >= hi:
        return 1.0
    a, b = 0.0, 1.0
    for _ in range(50):
        m = (a + b) / 2
        if float(quantity.ppf(np.array([m]))[0]) <= x:
            a = m
        else:
            b = m
    return (a + b) / 2


def held(decision: Decision, path: str, x: float) -> dict[str, Value]:
    """The setting holding ``path`` at ``x`` (a type's prior: P(type) = x, the other types'
    priors scaled to 1 − x)."""
    if not (path.startswith("game.types.") and path.endswith(".prior")):
        return {path: decision.fixed(path, x)}
    quantities, base = decision.quantities, decision.base
    others = [
        p for p in quantities if p != path and p.startswith("game.types.") and p.endswith(".prior")
    ]
    total = np.sum([base[p] for p in others], axis=0)
    total_point = math.fsum(quantities[p].point() for p in others)
    out = {path: decision.fixed(path, x)}
    for p in others:
        draws = np.divide(base[p] * (1 - x), total, out=np.zeros_like(total), where=total > 0)
        point = quantities[p].point() * (1 - x) / total_point if total_point > 0 else 0.0
        out[p] = Value(np.asarray(draws, dtype=np.float64), float(point))
    return out


@dataclass
class _Bracket:
    judgment: int
    side: str
    inner: float  # the label of x₀ here
    outer: float  # another label here
    to: str  # the label at ``outer``


def search(
    decision: Decision,
    verdict: Verdict,
    judgments: Sequence[Searched],
    runner: Runner | None = None,
    tol: float = TOL,
) -> list[SwitchPoint]:
    """Switch points of each judgment (see module docstring), all judgments in lockstep."""
    return search_many([(decision, verdict, judgments)], runner, tol)[0][0]


#: one search: a decision, how its rows are read, the judgments searched
Problem = tuple[Decision, Verdict, Sequence[Searched]]


def search_many(
    problems: Sequence[Problem], runner: Runner | None = None, tol: float = TOL
) -> list[tuple[list[SwitchPoint], FloatArray]]:
    """:func:`search` of several problems in lockstep (every problem's bisection round in one
    :func:`~detente.analysis.decision.evaluate_many`); per problem its switch points and the
    table row of its decision with nothing held (``{}``, played in the first round)."""
    x0s = [[min(max(j.quantity.point(), j.low), j.high) for j in js] for _d, _v, js in problems]
    first = []
    for (decision, _v, judgments), x0 in zip(problems, x0s, strict=True):
        settings: list[Setting] = [{}]
        for j, x in zip(judgments, x0, strict=True):
            settings += [held(decision, j.path, v) for v in (x, j.low, j.high)]
        first.append((decision, settings))
    tables = evaluate_many(first, runner)
    labels = [v.labels(t[1:]) for (_d, v, _j), t in zip(problems, tables, strict=True)]
    margins = [v.margins(t[1:]) for (_d, v, _j), t in zip(problems, tables, strict=True)]
    counts = [[3] * len(js) for _d, _v, js in problems]
    brackets: list[list[_Bracket]] = []
    for (_d, _v, judgments), x0, lab in zip(problems, x0s, labels, strict=True):
        found: list[_Bracket] = []
        for i, j in enumerate(judgments):
            ends = (("below", j.low, lab[3 * i + 1]), ("above", j.high, lab[3 * i + 2]))
            for side, end, other in ends:
                if other != lab[3 * i] and end != x0[i]:
                    found.append(_Bracket(i, side, x0[i], end, other))
        brackets.append(found)

    def wide(k: int, b: _Bracket) -> bool:
        j = problems[k][2][b.judgment]
        return abs(b.outer - b.inner) > tol * (j.high - j.low)

    active = [[b for b in bs if wide(k, b)] for k, bs in enumerate(brackets)]
    while any(active):
        mids = [[(b.inner + b.outer) / 2 for b in bs] for bs in active]
        rounds = evaluate_many(
            [
                (d, [held(d, js[b.judgment].path, m) for b, m in zip(bs, ms, strict=True)])
                for (d, _v, js), bs, ms in zip(problems, active, mids, strict=True)
            ],
            runner,
        )
        for k, (bs, ms, t) in enumerate(zip(active, mids, rounds, strict=True)):
            if not bs:
                continue
            for b, m, got in zip(bs, ms, problems[k][1].labels(t), strict=True):
                counts[k][b.judgment] += 1
                if got == labels[k][3 * b.judgment]:
                    b.inner = m
                else:
                    b.outer, b.to = m, got
        active = [[b for b in bs if wide(k, b)] for k, bs in enumerate(active)]
    results: list[tuple[list[SwitchPoint], FloatArray]] = []
    for k, (_d, _v, judgments) in enumerate(problems):
        out: list[SwitchPoint] = []
        for i, j in enumerate(judgments):
            sides: dict[str, Switch | None] = {"below": None, "above": None}
            for b in (b for b in brackets[k] if b.judgment == i):
                at = (b.inner + b.outer) / 2
                prob = None
                if j.quantity.varies:
                    c = cdf(j.quantity, at)
                    prob = c if b.side == "below" else 1.0 - c
                bracket = (min(b.inner, b.outer), max(b.inner, b.outer))
                sides[b.side] = Switch(at, bracket, b.to, at - x0s[k][i], prob)
            out.append(
                SwitchPoint(
                    j,
                    x0s[k][i],
                    labels[k][3 * i],
                    float(margins[k][3 * i]),
                    sides["below"],
                    sides["above"],
                    counts[k][i],
                )
            )
        results.append((out, tables[k][:1]))
    return results


def fine_grid(
    decision: Decision,
    verdict: Verdict,
    judgment: Searched,
    points: int,
    runner: Runner | None = None,
) -> tuple[FloatArray, list[str]]:
    """The decision on a fine grid of ``points`` values over the judgment's range (a
    brute-force check of :func:`search`, ``points`` evaluations)."""
    xs = np.linspace(judgment.low, judgment.high, points)
    table = evaluate(decision, [held(decision, judgment.path, float(x)) for x in xs], runner)
    return xs, verdict.labels(table)


def judgment_range(
    loaded: LoadedScenario, worldview: str, path: str, quantity: Quantity
) -> tuple[float, float, str]:
    """The range searched for ``path`` under ``worldview`` (see module docstring)."""
    from detente.scenario.load import worldview_document
    from detente.scenario.paths import get_path, resolve_path
    from detente.scenario.quantity import Quantity as Q

    prior = path.startswith("game.types.") and path.endswith(".prior")
    if quantity.varies:
        lo, hi = quantity.support()
        how = "distribution"
    else:
        lo = hi = quantity.point()
        docs = [loaded.raw] + [worldview_document(loaded, w.id) for w in loaded.scenario.worldviews]
        for doc in docs:
            try:
                q = Q.model_validate(get_path(doc, resolve_path(doc, path)))
            except Exception:
                continue
            a, b = q.support()
            lo, hi = min(lo, a), max(hi, b)
        how = "readings"
    if prior:
        lo, hi = max(lo, 0.0), min(hi, 1.0)
    return lo, hi, how


def switch_points(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    *,
    paths: Sequence[str] | None = None,
    threshold: float | None = None,
    seed: int = 0,
    episodes: int = 200,
    model: Model | None = None,
    draws: int | None = None,
    tol: float = TOL,
    runner: Runner | None = None,
    decision: GameDecision | ForecastDecision | None = None,
) -> SwitchResult:
    """Switch points of ``paths`` (default: every uncertain judgment the output reads) under
    ``worldview`` (see module docstring). ``decision``: the worldview's decision of ``output``
    already made (its plays shared with other methods or scorecards), else made here."""
    if output.kind == "forecast" and threshold is None:
        raise ValueError("a forecast output needs --threshold (e.g. --threshold 75)")
    job = _setup(
        loaded, worldview, output, paths, threshold, seed, episodes, model, draws, decision
    )
    return _result(loaded, job, search_many([job.problem], runner, tol)[0], seed)


@dataclass
class _Job:
    worldview: str
    output: OutputSpec
    problem: Problem
    notes: list[str]


def _setup(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    paths: Sequence[str] | None,
    threshold: float | None,
    seed: int,
    episodes: int,
    model: Model | None,
    draws: int | None,
    decision: GameDecision | ForecastDecision | None,
) -> _Job:
    from detente.analysis.decision import make_decision
    from detente.scenario.load import with_worldview
    from detente.scenario.paths import path_label

    sc = with_worldview(loaded, worldview)
    if decision is None:
        decision = make_decision(sc, output, seed=seed, episodes=episodes, model=model, draws=draws)
    verdict = Verdict(output, decision.options, threshold if threshold is not None else 0.0)
    quantities = decision.quantities
    if paths is None:
        chosen = [p for p, q in quantities.items() if q.varies]
    else:
        chosen = expand_paths(paths, quantities)
    notes: list[str] = []
    judgments: list[Searched] = []
    for p in chosen:
        lo, hi, how = judgment_range(loaded, worldview, p, quantities[p])
        if hi <= lo:
            notes.append(f"{p}: fixed at {lo:g} in every reading (no range to search)")
            continue
        judgments.append(Searched(p, path_label(sc, p), quantities[p], lo, hi, how))
    return _Job(worldview, output, (decision, verdict, judgments), notes)


def _result(
    loaded: LoadedScenario,
    job: _Job,
    found: tuple[list[SwitchPoint], FloatArray],
    seed: int,
) -> SwitchResult:
    decision, verdict, _judgments = job.problem
    points, base = found
    return SwitchResult(
        loaded.scenario.id,
        job.output,
        job.worldview,
        verdict.labels(base)[0],
        float(verdict.margins(base)[0]),
        points,
        decision.size,
        seed,
        1 + sum(sp.evaluations for sp in points),
        job.notes,
    )


def switch_points_many(
    loaded: LoadedScenario,
    jobs: Sequence[tuple[str, OutputSpec, GameDecision | ForecastDecision]],
    *,
    paths: Sequence[str] | None = None,
    seed: int = 0,
    tol: float = TOL,
    runner: Runner | None = None,
) -> list[SwitchResult]:
    """:func:`switch_points` of several (worldview, output, decision) at once, their bisection
    rounds in lockstep (each round's settings of every search played together; the same
    results as one call each)."""
    made = [
        _setup(loaded, wv, out, paths, None, seed, d.size, None, None, d) for wv, out, d in jobs
    ]
    found = search_many([j.problem for j in made], runner, tol)
    return [_result(loaded, j, f, seed) for j, f in zip(made, found, strict=True)]
