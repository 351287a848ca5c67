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
    Value,
    Verdict,
    evaluate,
    expand_paths,
)
from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
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
    x0 = [min(max(j.quantity.point(), j.low), j.high) for j in judgments]
    settings = []
    for j, x in zip(judgments, x0, strict=True):
        settings += [held(decision, j.path, v) for v in (x, j.low, j.high)]
    table = evaluate(decision, settings, runner)
    labels = verdict.labels(table)
    margins = verdict.margins(table)
    count = [3] * len(judgments)
    brackets: list[_Bracket] = []
    for i, j in enumerate(judgments):
        ends = (("below", j.low, labels[3 * i + 1]), ("above", j.high, labels[3 * i + 2]))
        for side, end, lab in ends:
            if lab != labels[3 * i] and end != x0[i]:
                brackets.append(_Bracket(i, side, x0[i], end, lab))

    def wide(b: _Bracket) -> bool:
        j = judgments[b.judgment]
        return abs(b.outer - b.inner) > tol * (j.high - j.low)

    active = [b for b in brackets if wide(b)]
    while active:
        mids = [(b.inner + b.outer) / 2 for b in active]
        t = evaluate(
            decision,
            [
                held(decision, judgments[b.judgment].path, m)
                for b, m in zip(active, mids, strict=True)
            ],
            runner,
        )
        for b, m, lab in zip(active, mids, verdict.labels(t), strict=True):
            count[b.judgment] += 1
            if lab == labels[3 * b.judgment]:
                b.inner = m
            else:
                b.outer, b.to = m, lab
        active = [b for b in active if wide(b)]
    out: list[SwitchPoint] = []
    for i, j in enumerate(judgments):
        sides: dict[str, Switch | None] = {"below": None, "above": None}
        for b in (b for b in brackets if b.judgment == i):
            at = (b.inner + b.outer) / 2
            prob = None
            if j.quantity.varies:
                c = cdf(j.quantity, at)
                prob = c if b.side == "below" else 1.0 - c
            bracket = (min(b.inner, b.outer), max(b.inner, b.outer))
            sides[b.side] = Switch(at, bracket, b.to, at - x0[i], prob)
        out.append(
            SwitchPoint(
                j,
                x0[i],
                labels[3 * i],
                float(margins[3 * i]),
                sides["below"],
                sides["above"],
                count[i],
            )
        )
    return out


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
) -> SwitchResult:
    """Switch points of ``paths`` (default: every uncertain judgment the output reads) under
    ``worldview`` (see module docstring)."""
    from detente.analysis.decision import make_decision
    from detente.scenario.load import with_worldview
    from detente.scenario.paths import path_label

    if output.kind == "forecast" and threshold is None:
        raise ValueError("a forecast output needs --threshold (e.g. --threshold 75)")
    sc = with_worldview(loaded, worldview)
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
    base = evaluate(decision, [{}], runner)
    points = search(decision, verdict, judgments, runner, tol)
    return SwitchResult(
        loaded.scenario.id,
        output,
        worldview,
        verdict.labels(base)[0],
        float(verdict.margins(base)[0]),
        points,
        decision.size,
        seed,
        1 + sum(sp.evaluations for sp in points),
        notes,
    )
