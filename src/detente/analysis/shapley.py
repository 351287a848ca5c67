"""Shapley attribution of a disagreement: how much of the gap between two worldviews' answers
each override group accounts for.

Two worldviews A and B give an output the values v(A) and v(B). Start from A and give B's value
to a coalition S of the judgment groups they disagree on (:func:`detente.analysis.decision.
judgment_groups`: a ``group:`` a worldview declares, the type priors together, else one judgment
each); v(S) is the output then, every coalition evaluated on the same random numbers (same
episodes, same per-path uniforms mapped through each reading's inverse CDF, so a coalition
differs from another only by the values it sets). The **Shapley value** (Shapley 1953) of group
i is its marginal contribution averaged over the orders in which the groups could be swapped::

    φ_i = Σ_{S ⊆ N∖{i}} |S|! (k − |S| − 1)! / k! · (v(S ∪ {i}) − v(S))

It is the only split of v(B) − v(A) = Σ φ_i (**efficiency**) that gives equal shares to groups
that contribute equally to every coalition (**symmetry**), nothing to a group that changes no
coalition's value (**dummy**), and adds over outputs (**linearity**). Applied to explaining a
model's output by its inputs it is the "Shapley effect" / SHAP attribution (Owen 2014; Song,
Nelson & Staum 2016; Lundberg & Lee 2017); here the players are the judgments the readings
dispute and the baseline is reading A, so it answers "of the gap between the readings, how much
is each disagreement's".

Computation: **exact** when the 2^k coalitions fit within ``max_evaluations`` (each coalition
evaluated once, in one batch); otherwise **permutation sampling** (Castro, Gómez & Tejada
2009): orders drawn from a seeded generator in antithetic pairs (an order and its reverse), each
group's share the mean of its marginal contributions, its standard error the standard deviation
of the pair means over √pairs. Each order's marginal contributions telescope to v(B) − v(A), so
the sampled shares add up to the whole difference too; coalitions shared by several orders are
evaluated once.

A ranking output (``scorecard:ID``, ``strategies``) is made a number first: the gap between
A's best strategy and B's best (A's best and its runner-up when both choose the same), on the
full table's scores in every coalition.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from detente.analysis.decision import Judgment, Readings, Runner, Verdict, evaluate, readings
from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.analysis.decision import ForecastDecision, GameDecision
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario

Coalition = frozenset[int]
#: ``coalitions -> values`` (one number each), evaluated together
ValueFn = Callable[[Sequence[Coalition]], FloatArray]


@dataclass(frozen=True)
class Attribution:
    """Shapley shares of ``v(N) − v(∅)`` for ``k`` players."""

    shares: FloatArray
    #: standard error of each share (zeros on the exact path)
    se: FloatArray
    v_empty: float
    v_full: float
    method: str  # "exact" | "permutation"
    evaluations: int
    permutations: int

    @property
    def total(self) -> float:
        return self.v_full - self.v_empty


def _weights(k: int) -> FloatArray:
    """``s! (k − s − 1)! / k!`` for s = 0 … k − 1."""
    return np.array(
        [math.factorial(s) * math.factorial(k - s - 1) / math.factorial(k) for s in range(k)]
    )


def shapley_values(
    value: ValueFn,
    k: int,
    *,
    max_evaluations: int = 128,
    permutations: int | None = None,
    seed: int = 0,
) -> Attribution:
    """The Shapley values of a ``k``-player game ``value`` (see module docstring).

    Exact when ``2**k <= max_evaluations`` and ``permutations`` is not given; else sampled with
    ``permutations`` orders (an even number; default: as many antithetic pairs as keep the
    distinct coalitions within ``max_evaluations``, at least two pairs).
    """
    if k < 0:
        raise ValueError("k must be >= 0")
    empty, full = frozenset[int](), frozenset(range(k))
    if k == 0:
        only = float(value([empty])[0])
        return Attribution(np.zeros(0), np.zeros(0), only, only, "exact", 1, 0)
    if permutations is None and 2**k <= max_evaluations:
        coalitions = [
            frozenset(c) for r in range(k + 1) for c in itertools.combinations(range(k), r)
        ]
        values = value(coalitions)
        v: dict[Coalition, float] = dict(zip(coalitions, (float(x) for x in values), strict=True))
        w = _weights(k)
        shares = np.zeros(k)
        for i in range(k):
            # sum in a fixed order (by coalition size, then lexicographic)
            shares[i] = math.fsum(w[len(s)] * (v[s | {i}] - v[s]) for s in coalitions if i not in s)
        return Attribution(shares, np.zeros(k), v[empty], v[full], "exact", len(coalitions), 0)
    rng = np.random.default_rng(seed)
    orders: list[list[int]] = []
    needed: dict[Coalition, None] = {empty: None, full: None}
    while True:
        perm = [int(x) for x in rng.permutation(k)]
        pair = [perm, perm[::-1]]
        new = {frozenset(order[:j]) for order in pair for j in range(1, k)} - needed.keys()
        done = permutations is not None and len(orders) >= permutations
        over = permutations is None and len(needed) + len(new) > max_evaluations
        if done or (over and len(orders) >= 4):
            break
        orders.extend(pair)
        needed.update(dict.fromkeys(sorted(new, key=lambda c: (len(c), sorted(c)))))
    coalitions = list(needed)
    v = dict(zip(coalitions, (float(x) for x in value(coalitions)), strict=True))
    marginals = np.zeros((len(orders), k))
    for r, order in enumerate(orders):
        before = empty
        for i in order:
            after = before | {i}
            marginals[r, i] = v[after] - v[before]
            before = after
    pairs = marginals.reshape(-1, 2, k).mean(axis=1)
    shares = marginals.mean(axis=0)
    se = (
        pairs.std(axis=0, ddof=1) / math.sqrt(pairs.shape[0]) if pairs.shape[0] > 1 else np.zeros(k)
    )
    return Attribution(shares, se, v[empty], v[full], "permutation", len(coalitions), len(orders))


@dataclass
class ShapleyResult:
    """The Shapley attribution of a disagreement between worldviews ``a`` and ``b``."""

    scenario: str
    output: OutputSpec
    a: str
    b: str
    groups: list[Judgment]
    attribution: Attribution
    #: what is measured (for a ranking: the gap between which two strategies)
    measure: str
    episodes: int
    seed: int
    notes: list[str] = field(default_factory=list)
    #: for a ranking output: the two strategies whose gap is attributed (A's best, B's best)
    pair: tuple[str, str] | None = None

    def rows(self) -> list[dict[str, object]]:
        """One row per group, largest |share| first."""
        att = self.attribution
        total = att.total
        rows: list[dict[str, object]] = [
            {
                "group": g.name,
                "label": g.label,
                "paths": list(g.paths),
                "share": float(att.shares[i]),
                "se": float(att.se[i]),
                "fraction": float(att.shares[i] / total) if total != 0 else None,
            }
            for i, g in enumerate(self.groups)
        ]
        order = np.argsort(-np.abs(att.shares), kind="stable")
        return [rows[int(i)] for i in order]


def shapley(
    loaded: LoadedScenario,
    a: str,
    b: str,
    output: OutputSpec,
    *,
    seed: int = 0,
    episodes: int = 200,
    model: Model | None = None,
    draws: int | None = None,
    max_evaluations: int = 128,
    permutations: int | None = None,
    runner: Runner | None = None,
    decision: GameDecision | ForecastDecision | None = None,
) -> ShapleyResult:
    """Split output(b) − output(a) into one Shapley share per override group.

    A forecast output is ``model``'s point forecast (``draws=None``) or its mean over ``draws``
    Monte Carlo draws; a game output is played on ``episodes`` episodes. ``decision``: A's
    decision of ``output`` already made (:func:`~detente.analysis.decision.readings`).
    """
    rd: Readings = readings(
        loaded,
        a,
        b,
        output,
        seed=seed,
        episodes=episodes,
        model=model,
        draws=draws,
        decision=decision,
    )
    decision = rd.decision
    k = len(rd.groups)
    ends = evaluate(decision, [rd.setting([]), rd.setting(range(k))], runner)
    verdict = Verdict(output, decision.options)
    notes: list[str] = []
    pair: tuple[str, str] | None = None
    if verdict.ranking:
        best_a, best_b = (decision.options[int(i)] for i in np.argmax(ends, axis=1))
        if best_a == best_b:
            order = np.argsort(-ends[0], kind="stable")
            best_b = decision.options[int(order[1])]
            notes.append(
                f"both readings choose {best_a}: the gap measured is its lead over {best_b}"
            )
        pair = (best_a, best_b)
        verdict = Verdict(output, decision.options, pair=pair)
        measure = f"{best_a} minus {best_b} on {output.measure}"
    else:
        measure = output.describe()

    cache: dict[Coalition, float] = dict(
        zip((frozenset[int](), frozenset(range(k))), verdict.scalar(ends), strict=True)
    )

    def value(coalitions: Sequence[Coalition]) -> FloatArray:
        todo = [c for c in coalitions if c not in cache]
        table = evaluate(decision, [rd.setting(sorted(c)) for c in todo], runner)
        cache.update(zip(todo, (float(x) for x in verdict.scalar(table)), strict=True))
        return np.array([cache[c] for c in coalitions], dtype=np.float64)

    att = shapley_values(
        value, k, max_evaluations=max_evaluations, permutations=permutations, seed=seed
    )
    if rd.unread:
        notes.append(
            f"{len(rd.unread)} differing judgment(s) not read by this output (share 0): "
            + ", ".join(rd.unread)
        )
    return ShapleyResult(
        loaded.scenario.id, output, a, b, rd.groups, att, measure, decision.size, seed, notes, pair
    )
