"""The exchange model of Stokman & Van Oosten, equal-gain variant.

Sources:
    Stokman, F. N. & Van Oosten, R. (1994). "The exchange of voting positions: an
    object-oriented model of policy networks". In Bueno de Mesquita & Stokman (eds.),
    *European Community Decision Making*, Yale UP, 105–127.
    Arregui, J., Stokman, F. N. & Thomson, R. (2006). "Compromise, exchange and challenge in the
    European Union". In Thomson et al. (eds.), *The European Union Decides*, CUP, 124–152.
    Dijkstra, J., Van Assen, M. A. L. M. & Stokman, F. N. (2008). "Outcomes of collective
    decisions with externalities predicted". *Journal of Conflict Resolution* 52(5), 669–693
    (the equal-gain split).
    The reference implementation is Decide (J. Draaijer, ``decide-exchange-model`` 2022.1.28,
    ``decide.model.equalgain``); this module reproduces its equal-gain run (``p = 0``) exchange
    for exchange. ``docs/models/exchange.md`` lists the equations and every choice made.

Model (positions on each issue normalised to 0–100, actor ``a`` on issue ``d``: position
``x_ad``, salience ``s_ad``, power ``c_ad``):

* Outcome of an issue: ``O_d = sum_a c_ad s_ad x_ad / sum_a c_ad s_ad`` (eq. 1 of Stokman & Van
  Oosten; Decide's "NBS").
* For every pair of issues (p, q), actors are grouped by the side of ``O_p`` and ``O_q`` they
  stand on (``x <= O`` is "left"); an actor can exchange with an actor on the opposite side of
  both outcomes. Of the two, actor ``i`` is the one with the larger ``s_p / s_q``: ``i`` demands
  ``p`` and supplies ``q``, ``j`` demands ``q`` and supplies ``p``.
* A shift of ``dx`` by actor ``a`` on issue ``d`` moves the outcome by the exchange ratio
  ``e = dx c_ad s_ad / sum c s``. The expected utility gain of ``i`` is
  ``e_p s_ip - e_q s_iq`` and of ``j`` is ``e_q s_jq - e_p s_jp``; equal gain gives
  ``e_q = e_p (s_ip + s_jp) / (s_iq + s_jq)``. The first try moves ``j`` all the way to ``i`` on
  ``p``; if ``i`` would then have to pass ``j`` on ``q``, ``i`` moves all the way to ``j`` on
  ``q`` instead and ``j``'s move follows from the equal-gain ratio.
* A move is capped so that the outcome on the supply issue does not pass the position of the
  actor demanding it (``check_nbs``); the partner's move is then recomputed from equal gain.
* Exchanges are executed highest gain first. After each, the exchanges sharing an actor's
  supply issue, or an actor's demand issue, with it are recomputed from the new voting
  positions, and those no longer valid are dropped, until none is left.

The selection is sequential (each exchange changes the candidates for the next), so the model
loops in Python; ``forecast_batch`` loops over draws.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from detente.models.base import (
    FloatArray,
    Forecast,
    Forecasts,
    Model,
    ModelInputError,
    Problem,
    Round,
    require_single,
)

#: Chooses among exactly tied exchanges: called with their ``(actor i, supply issue of i,
#: actor j, supply issue of j)`` index tuples (best-first) and the number of exchanges executed
#: so far in the run; returns the position of the one to execute.
TieBreaker = Callable[[Sequence[tuple[int, int, int, int]], int], int]

#: Decides a move whose supply-issue outcome already sits (to rounding) on the position of the
#: actor demanding that issue: called with the exchange's ``(actor i, supply issue of i,
#: actor j, supply issue of j)`` index tuple, the moving actor and the number of exchanges
#: executed so far in the run; returns True to let the move through (as Decide does when its
#: Decimal rounding puts the outcome on or past that position), False to cap it to zero.
OnTarget = Callable[[tuple[int, int, int, int], int, int], bool]

# Decide works in 28-digit Decimal arithmetic; these tolerances make float64 take the same
# branches where an exact comparison would flip on a rounding error of one ulp.
_SIDE_TOL = 1e-9  # an actor exactly at the outcome counts as "left", as in Decide
_EDGE_TOL = 1e-9  # a move ending exactly on the scale edge (0 or 100) is allowed
_TIE_TOL = 1e-12  # gains closer than this (relative) are ties
_MIN_MOVE = 1e-10  # Decide: |move| <= 1e-10 is no move
_MIN_GAIN = 1e-10  # Decide: gain < 1e-10 is no exchange


class _Issues:
    """Per-issue data of one exchange round, normalised to 0–100."""

    def __init__(self, x: FloatArray, s: FloatArray, c: FloatArray, present: np.ndarray) -> None:
        self.x = x
        self.s = s
        self.c = c
        self.present = present
        self.w = np.where(present, s * c, 0.0)
        self.denominator = self.w.sum(axis=0)
        safe = np.where(self.denominator > 0, self.denominator, 1.0)
        self.base_numerator = (self.w * np.where(present, x, 0.0)).sum(axis=0)
        self.outcome = np.where(self.denominator > 0, self.base_numerator / safe, 0.0)
        # run context for the replay hook of ``_Exchange._check_nbs``
        self.on_target: OnTarget | None = None
        self.executed = 0

    def adjusted_numerator(self, issue: int, updates: dict[int, float]) -> float:
        num = float(self.base_numerator[issue])
        for actor, pos in updates.items():
            if self.present[actor, issue]:
                num += (pos - self.x[actor, issue]) * self.w[actor, issue]
        return num


@dataclass
class _Side:
    """One actor of an exchange: it supplies (moves on) one issue and demands the other."""

    actor: int
    supply: int
    demand: int
    supply_position: float
    demand_position: float
    s_supply: float
    s_demand: float
    c_supply: float
    start_position: float
    y: float = 0.0
    move: float = 0.0
    moves: list[float] = field(default_factory=list)
    eu: float = 0.0
    nbs_0: float = 0.0
    nbs_1: float = 0.0

    def move_valid(self, move: float) -> bool:
        """Decide's ``is_move_valid``: a real move, inside the scale, never reversing direction."""
        if abs(move) > 100 or abs(move) <= _MIN_MOVE:
            return False
        end = self.supply_position + move
        if end < -_EDGE_TOL or end > 100 + _EDGE_TOL:
            return False
        if sum(self.moves) > 100:
            return False
        lo, hi = min(self.moves), max(self.moves)
        return (lo < 0 and hi < 0) or (lo > 0 and hi > 0)


class _Exchange:
    """A candidate exchange between two actors over two issues (Decide's ``EqualGainExchange``).

    ``i`` supplies ``q`` and demands ``p``; ``j`` supplies ``p`` and demands ``q``.
    """

    __slots__ = ("gain", "groups", "i", "j", "order", "p", "q", "updates", "valid")

    def __init__(
        self, data: _Issues, a: int, b: int, p: int, q: int, groups: str, order: int
    ) -> None:
        s = data.s
        if s[a, p] / s[a, q] < s[b, p] / s[b, q]:
            a, b = b, a
        self.i = self._side(data, a, supply=q, demand=p)
        self.j = self._side(data, b, supply=p, demand=q)
        self.p, self.q, self.groups, self.order = p, q, groups, order
        self.gain = 0.0
        self.valid = True
        # positions of other actors on an issue, moved by earlier exchanges of the same actor
        self.updates: dict[int, dict[int, float]] = {}

    @staticmethod
    def _side(data: _Issues, actor: int, supply: int, demand: int) -> _Side:
        x = float(data.x[actor, supply])
        return _Side(
            actor=actor,
            supply=supply,
            demand=demand,
            supply_position=x,
            demand_position=float(data.x[actor, demand]),
            s_supply=float(data.s[actor, supply]),
            s_demand=float(data.s[actor, demand]),
            c_supply=float(data.c[actor, supply]),
            start_position=x,
        )

    # -- outcome arithmetic ------------------------------------------------------------------
    def _adjust_nbs(self, data: _Issues, side: _Side, position: float) -> float:
        """Outcome on ``side``'s supply issue with ``side`` at ``position`` (Decide
        ``adjusted_nbs``): loop-start positions, this exchange's updates, then ``side``."""
        d = side.supply
        ups = {k: v for k, v in self.updates.get(d, {}).items() if k != side.actor}
        num = data.adjusted_numerator(d, ups)
        num += (position - data.x[side.actor, d]) * data.w[side.actor, d]
        return float(num / data.denominator[d])

    def _shift_to(self, data: _Issues, side: _Side, target: float) -> float:
        """The shift of ``side`` from its current voting position that puts the outcome on
        ``target`` (Decide ``adjusted_nbs_by_position``; an update of the actor's own position,
        if any, takes precedence over its voting position, as there)."""
        d = side.supply
        ups = dict(self.updates.get(d, {}))
        ups.setdefault(side.actor, side.supply_position)
        num = data.adjusted_numerator(d, {k: v for k, v in ups.items() if k != side.actor})
        num += (ups[side.actor] - data.x[side.actor, d]) * data.w[side.actor, d]
        return float((target * data.denominator[d] - num) / data.w[side.actor, d])

    @staticmethod
    def _ratio(data: _Issues, side: _Side, shift: float) -> float:
        """Exchange ratio: the outcome shift when ``side`` moves ``shift`` on its supply issue."""
        return shift * side.s_supply * side.c_supply / float(data.denominator[side.supply])

    @staticmethod
    def _reverse(data: _Issues, side: _Side, ratio: float) -> float:
        """The move of ``side`` that shifts its supply issue's outcome by ``ratio``."""
        return ratio * float(data.denominator[side.supply]) / (side.c_supply * side.s_supply)

    @staticmethod
    def _equal_gain(supplier: _Side, other: _Side, ratio: float) -> float:
        """The other side's exchange ratio giving both the same gain (Decide
        ``by_exchange_ratio``)."""
        return (supplier.s_supply + other.s_demand) / (supplier.s_demand + other.s_supply) * ratio

    # -- Decide's EqualGainExchange.calculate ----------------------------------------------
    def calculate(self, data: _Issues) -> None:
        i, j = self.i, self.j
        # First try: j moves all the way to i's position on p.
        dp = self._ratio(data, j, abs(i.demand_position - j.supply_position))
        dq = self._equal_gain(j, i, dp)
        i.move = self._reverse(data, i, dq)
        j.move = abs(i.demand_position - j.supply_position)
        if abs(i.move) > abs(j.demand_position - i.supply_position):
            # i would pass j on q: i moves all the way to j instead.
            dq = self._ratio(data, i, abs(j.demand_position - i.supply_position))
            dp = self._equal_gain(i, j, dq)
            i.move = abs(j.demand_position - i.supply_position)
            j.move = self._reverse(data, j, dp)
        if i.supply_position > j.demand_position:
            i.move = -i.move
        if j.supply_position > i.demand_position:
            j.move = -j.move
        i.moves.append(i.move)
        j.moves.append(j.move)
        i.y = i.supply_position + i.move
        j.y = j.supply_position + j.move
        self.gain = abs(dq * i.s_supply - dp * i.s_demand)
        i.eu = j.eu = self.gain
        self.valid = i.move_valid(i.move) and j.move_valid(j.move)
        if self.gain < _MIN_GAIN:
            self.valid = False
        if not self.valid:
            return
        self._check_nbs(data, i, j)
        self._check_nbs(data, j, i)
        self.valid = i.move_valid(i.move) and j.move_valid(j.move)

    def _check_nbs(self, data: _Issues, side: _Side, other: _Side) -> None:
        """Cap ``side``'s move so the outcome on its supply issue stops at the position of
        ``other`` (who demands that issue), and rescale ``other``'s move by equal gain."""
        side.nbs_0 = self._adjust_nbs(data, side, side.supply_position)
        side.nbs_1 = self._adjust_nbs(data, side, side.y)
        target = other.demand_position
        before, after = target - side.nbs_0, target - side.nbs_1
        # Decide lets the move through when the outcome does not cross ``target``
        # (``before >= 0 and after >= 0`` or both ``<= 0``). When the outcome already sits on
        # ``target`` (an earlier capped exchange put it there), that test is decided by
        # rounding noise in Decide's Decimals; any move then takes the outcome past the
        # demanding actor, so we cap it (to zero: the exchange lapses) unless a replay hook
        # says otherwise (docs/models/exchange.md, "Iterations beyond 3").
        if abs(before) > _SIDE_TOL:
            if (before > 0 and after >= 0) or (before < 0 and after <= 0):
                return
        elif data.on_target is not None and data.on_target(
            (self.i.actor, self.i.supply, self.j.actor, self.j.supply), side.actor, data.executed
        ):
            return
        delta = abs(self._shift_to(data, side, target))
        ratio = self._ratio(data, side, delta)
        other_ratio = self._equal_gain(side, other, ratio)
        other.move = abs(self._reverse(data, other, other_ratio))
        side.move = delta
        if other.supply_position > side.demand_position:
            other.move = -other.move
        if side.supply_position > other.demand_position:
            side.move = -side.move
        other.moves[-1] = other.move
        side.moves[-1] = side.move
        other.y = other.supply_position + other.move
        side.y = side.supply_position + side.move
        self.gain = abs(other_ratio * other.s_supply - ratio * other.s_demand)
        side.nbs_1 = self._adjust_nbs(data, side, side.y)

    # -- Decide's AbstractExchange.recalculate ----------------------------------------------
    def recalculate(self, data: _Issues, done: _Exchange) -> None:
        """Bring this exchange up to date after ``done`` was executed."""
        stale = False
        for mine in (self.i, self.j):
            for theirs in (done.i, done.j):
                if mine.actor == theirs.actor and mine.supply == theirs.supply:
                    mine.supply_position = theirs.y
                    mine.moves.append(theirs.moves[-1])
                    stale = True
                    break
        if stale:
            self._pop_moves()
        for demander, mover in ((done.j, done.i), (done.i, done.j)):
            if not any(
                demander.actor == mine.actor and demander.demand == mine.demand
                for mine in (self.j, self.i)
            ):
                continue
            issue_updates = self.updates.setdefault(demander.demand, {})
            if mover.actor in issue_updates:
                issue_updates[mover.actor] = _merged_update(mover, issue_updates[mover.actor])
            else:
                issue_updates[mover.actor] = mover.y
            if not stale:
                self._pop_moves()
                stale = True
        if stale:
            self.calculate(data)

    def _pop_moves(self) -> None:
        self.i.moves.pop()
        self.j.moves.pop()


def _merged_update(mover: _Side, previous: float) -> float:
    """Decide's ``update_updates``: of the recorded and the new voting position of an actor,
    keep the one nearer its start position."""
    if mover.start_position <= previous:
        return previous if previous < mover.y else mover.y
    return previous if previous > mover.y else mover.y


def _sort_best_first(candidates: list[_Exchange]) -> list[_Exchange]:
    """Stable sort by gain, highest first; gains equal up to rounding keep their order.

    Decide re-sorts its list stably before every pick, so among tied gains the order of the
    previous list decides; float rounding must not break such ties.
    """
    ranked = sorted(candidates, key=lambda e: -e.gain)
    gains = np.fromiter((e.gain for e in ranked), dtype=np.float64, count=len(ranked))
    gaps = gains[:-1] - gains[1:]
    if not np.any((gaps > 0) & (gaps <= _TIE_TOL * np.maximum(1.0, gains[:-1]))):
        return ranked  # no tie broken by rounding: the stable sort is already right
    previous = {id(e): n for n, e in enumerate(candidates)}
    out: list[_Exchange] = []
    start = 0
    while start < len(ranked):
        end = start + 1
        while end < len(ranked) and ranked[end - 1].gain - ranked[end].gain <= _TIE_TOL * max(
            1.0, ranked[end - 1].gain
        ):
            end += 1
        out.extend(sorted(ranked[start:end], key=lambda e: previous[id(e)]))
        start = end
    return out


@dataclass
class _RoundResult:
    start: FloatArray  # normalised positions at the start of the round
    voting: FloatArray  # normalised positions after the round's exchanges
    outcome: FloatArray  # normalised outcome per issue after the exchanges
    exchanges: list[_Exchange]
    externalities: list[FloatArray]  # per executed exchange, (n,) NaN where undefined
    ties: int
    left: np.ndarray  # (n, k) actor at or left of the round-start outcome
    active: np.ndarray  # (n, k) actor takes part on the issue


def _run_round(
    x: FloatArray,
    s: FloatArray,
    c: FloatArray,
    present: np.ndarray,
    rng: np.random.Generator | None,
    tie_breaker: TieBreaker | None = None,
    executed_before: int = 0,
    on_target: OnTarget | None = None,
) -> _RoundResult:
    data = _Issues(x, s, c, present)
    data.on_target = on_target
    data.executed = executed_before
    n, k = x.shape
    left = x <= data.outcome[None, :] + _SIDE_TOL
    # An actor without weight on an issue cannot shift its outcome: it takes no part there.
    active = present & (data.w > 0)

    candidates: list[_Exchange] = []
    for p, q in combinations(range(k), 2):
        both = [a for a in range(n) if active[a, p] and active[a, q]]
        group: dict[int, list[int]] = {0: [], 1: [], 2: [], 3: []}
        for a in both:
            group[int(left[a, p]) | int(left[a, q]) * 2].append(a)
        for g1, g2, label in ((0, 3, "ad"), (1, 2, "bc")):
            for a in group[g1]:
                for b in group[g2]:
                    ex = _Exchange(data, a, b, p, q, label, len(candidates))
                    ex.calculate(data)
                    candidates.append(ex)

    done: list[_Exchange] = []
    externalities: list[FloatArray] = []
    ties = 0
    while candidates:
        candidates = _sort_best_first(candidates)
        pick = 0
        if (rng is not None or tie_breaker is not None) and candidates[0].valid:
            top = candidates[0].gain
            tied = [
                n
                for n, e in enumerate(candidates)
                if e.valid and top - e.gain <= _TIE_TOL * max(1.0, top)
            ]
            if len(tied) > 1:
                ties += 1
                if tie_breaker is not None:
                    keys = [
                        (e.i.actor, e.i.supply, e.j.actor, e.j.supply)
                        for e in (candidates[n] for n in tied)
                    ]
                    pick = tied[tie_breaker(keys, executed_before + len(done))]
                else:
                    assert rng is not None
                    pick = tied[int(rng.integers(len(tied)))]
        best = candidates.pop(pick)
        if not best.valid:
            continue
        data.executed = executed_before + len(done)
        kept = []
        movers = (best.i.actor, best.j.actor)
        for ex in candidates:
            if ex.valid:
                # only exchanges sharing an actor with ``best`` can be affected by it
                if ex.i.actor in movers or ex.j.actor in movers:
                    ex.recalculate(data, best)
                if ex.valid:
                    kept.append(ex)
        candidates = kept
        done.append(best)
        externalities.append(_externalities(data, best))

    voting = x.copy()
    for ex in done:
        voting[ex.i.actor, ex.i.supply] = ex.i.y
        voting[ex.j.actor, ex.j.supply] = ex.j.y
    after = _Issues(voting, s, c, present)
    return _RoundResult(x, voting, after.outcome, done, externalities, ties, left, active)


def _externalities(data: _Issues, ex: _Exchange) -> FloatArray:
    """Salience-weighted change in every actor's distance to the two outcomes (Decide's
    ``actor_externalities``): positive when the exchange brought the outcomes closer."""
    p, q = ex.j.supply, ex.i.supply
    xp, xq = data.x[:, p], data.x[:, q]
    left = np.abs(ex.j.nbs_0 - xp) - np.abs(ex.j.nbs_1 - xp)
    right = np.abs(ex.i.nbs_0 - xq) - np.abs(ex.i.nbs_1 - xq)
    ext = left * data.s[:, p] + right * data.s[:, q]
    ok = data.present[:, p] & data.present[:, q]
    return np.where(ok, ext, np.nan)


class ExchangeModel(Model):
    """Stokman & Van Oosten's exchange of voting positions, equal-gain variant.

    Args:
        iterations: rounds of exchange. In each, every possible exchange is evaluated from the
            round's start positions and executed best-first (as Decide's ``ModelLoop.loop``).
            Between rounds, as in Decide, an actor that moved keeps part of its move:
            ``x' = w y + (1 - w) x`` with ``w = 0.4 (1 - s) + 0.1`` (its voting position ``y``,
            its start position ``x``, its salience ``s``). Decide's command line runs 10; the
            default here is 1, the model as published.
        seed: None breaks ties between exchanges of equal gain by the order in which they were
            found (issue pairs in input order, then actors in input order), which is what
            Decide does with its random tie-break switched off; an integer draws among the
            tied exchanges with ``numpy.random.default_rng(seed)``.
        salience_weight, fixed_weight: the ``0.4`` and ``0.1`` above (Decide's
            ``SALIENCE_WEIGHT`` and ``FIXED_WEIGHT``).
        tie_breaker: overrides ``seed`` (see :data:`TieBreaker`). It serves to replay another
            implementation's choices among exactly tied exchanges (Decide breaks such ties by
            rounding noise in its Decimal arithmetic).
        on_target: decides a move that would start with the outcome of its supply issue already
            on the position of the actor demanding it (see :data:`OnTarget`); by default such a
            move is capped to zero. It serves to replay Decide, whose choice there is decided by
            rounding noise (``docs/models/exchange.md``, "Iterations beyond 3").

    Power: an actor's power on an issue is ``problem.power`` when the problem gives it
    (Decide's per-issue power, see :meth:`detente.scenario.decide.DecideScenario.to_problem`),
    else its ``capability`` on every issue.

    The sequential selection loops in Python; ``forecast_batch`` loops over draws.
    """

    name: ClassVar[str] = "exchange"
    title: ClassVar[str] = "Exchange of voting positions (equal gain)"
    source: ClassVar[str] = (
        "Stokman & Van Oosten 1994; Arregui, Stokman & Thomson 2006; "
        "Dijkstra, Van Assen & Stokman 2008; Decide (Draaijer) 2022.1.28"
    )
    dynamic: ClassVar[bool] = True
    multi_issue: ClassVar[bool] = True
    min_actors: ClassVar[int] = 2
    min_issues: ClassVar[int] = 2
    #: exchanges of equal gain are taken in the order they were found (input order), as Decide
    order_dependent: ClassVar[bool] = True

    def __init__(
        self,
        iterations: int = 1,
        seed: int | None = None,
        salience_weight: float = 0.4,
        fixed_weight: float = 0.1,
        tie_breaker: TieBreaker | None = None,
        on_target: OnTarget | None = None,
    ) -> None:
        if iterations < 1:
            raise ModelInputError(f"exchange: iterations={iterations}, expected >= 1")
        self.iterations = int(iterations)
        self.seed = seed
        self.salience_weight = float(salience_weight)
        self.fixed_weight = float(fixed_weight)
        self.tie_breaker = tie_breaker
        self.on_target = on_target

    # -- core --------------------------------------------------------------------------------
    def _prepare(
        self, problem: Problem, index: int
    ) -> tuple[FloatArray, FloatArray, FloatArray, np.ndarray, FloatArray, FloatArray]:
        if problem.n_actors < 2 or problem.n_issues < 2:
            raise ModelInputError(
                f"exchange: needs at least 2 actors and 2 issues (got {problem.n_actors} "
                f"actors, {problem.n_issues} issues in {problem.name or 'the problem'})"
            )
        lo, hi = problem.scale_min.astype(float), problem.scale_max.astype(float)
        width = hi - lo
        step = np.where(width > 0, 100.0 / np.where(width > 0, width, 1.0), 0.0)
        x = (problem.position[index] - lo) * step
        s = problem.salience[index].astype(float)
        if problem.power is None:
            c = np.repeat(problem.capability[index][:, None], problem.n_issues, axis=1)
        else:
            c = np.asarray(problem.power[index], dtype=np.float64)
        present = np.isfinite(x) & np.isfinite(s) & np.isfinite(c) & (s > 0) & (c > 0)
        if np.any(~np.isfinite(x) & present):
            raise ModelInputError("exchange: non-finite position")
        x = np.where(np.isfinite(x), x, 0.0)
        return x, np.where(present, s, 0.0), np.where(present, c, 0.0), present, lo, step

    def _simulate(
        self, x: FloatArray, s: FloatArray, c: FloatArray, present: np.ndarray
    ) -> list[_RoundResult]:
        rng = np.random.default_rng(self.seed) if self.seed is not None else None
        results: list[_RoundResult] = []
        start = x
        for _ in range(self.iterations):
            executed = sum(len(r.exchanges) for r in results)
            result = _run_round(
                start, s, c, present, rng, self.tie_breaker, executed, self.on_target
            )
            results.append(result)
            start = result.start.copy()
            for ex in result.exchanges:
                for side in (ex.i, ex.j):
                    w = (1 - side.s_supply) * self.salience_weight + self.fixed_weight
                    start[side.actor, side.supply] = w * side.y + (1 - w) * side.start_position
        return results

    # -- interface ---------------------------------------------------------------------------
    def forecast(self, problem: Problem) -> Forecast:
        """Run the exchange rounds on a one-draw problem (power: see the class docstring).

        Returns a forecast whose ``outcome`` is the capability×salience weighted mean of the
        voting positions after the last round's exchanges, ``rounds`` state 0 the input and
        state ``t`` the voting positions after round ``t``, and tables ``exchanges`` (one row
        per executed exchange, in order) and ``externalities`` (one row per exchange and
        third actor).
        """
        require_single(problem, self.name)
        x, s, c, present, lo, step = self._prepare(problem, 0)
        results = self._simulate(x, s, c, present)

        def denorm(values: FloatArray) -> FloatArray:
            safe = np.where(step > 0, step, 1.0)
            return np.where(step > 0, values / safe + lo, lo)

        rounds = [Round(positions=np.array(problem.position[0], dtype=np.float64))]
        ex_rows: list[dict[str, Any]] = []
        ext_rows: list[dict[str, Any]] = []
        actors, issues = problem.actors, problem.issues
        for it, result in enumerate(results, start=1):
            voting = denorm(result.voting)
            # keep the input exactly where nothing moved (de-normalising is not exact)
            moved = result.voting != result.start
            base = rounds[0].positions if it == 1 else denorm(result.start)
            rounds.append(Round(positions=np.where(moved, voting, base)))
            for ex, ext in zip(result.exchanges, result.externalities, strict=True):
                number = len(ex_rows) + 1
                row: dict[str, Any] = {"iteration": it, "exchange": number}
                for tag, side in (("i", ex.i), ("j", ex.j)):
                    d = side.supply
                    row[f"actor_{tag}"] = actors[side.actor]
                    row[f"supply_{tag}"] = issues[d]
                    row[f"demand_{tag}"] = issues[side.demand]
                    row[f"start_{tag}"] = _denorm_one(side.start_position, lo[d], step[d])
                    row[f"position_{tag}"] = _denorm_one(side.y, lo[d], step[d])
                    row[f"move_{tag}"] = row[f"position_{tag}"] - row[f"start_{tag}"]
                    row[f"gain_{tag}"] = side.eu
                row["gain"] = ex.gain
                row["groups"] = ex.groups
                ex_rows.append(row)
                for a, value in enumerate(ext):
                    if a in (ex.i.actor, ex.j.actor) or not np.isfinite(value):
                        continue
                    ext_rows.append(
                        {
                            "iteration": it,
                            "exchange": number,
                            "actor": actors[a],
                            "externality": float(value),
                            "inner": _inner(result, ex, a),
                        }
                    )
        outcome = denorm(results[-1].outcome)
        tables = {
            "exchanges": pd.DataFrame(ex_rows, columns=_EXCHANGE_COLUMNS),
            "externalities": pd.DataFrame(
                ext_rows, columns=["iteration", "exchange", "actor", "externality", "inner"]
            ),
        }
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=outcome,
            rounds=tuple(rounds),
            tables=tables,
            parameters=self.get_params(),
        )

    def forecast_batch(self, problem: Problem) -> Forecasts:
        """Forecast every draw (a Python loop over draws; no tables are built)."""
        outcomes = np.empty((problem.n_draws, problem.n_issues))
        for d in range(problem.n_draws):
            x, s, c, present, lo, step = self._prepare(problem, d)
            final = self._simulate(x, s, c, present)[-1].outcome
            safe = np.where(step > 0, step, 1.0)
            outcomes[d] = np.where(step > 0, final / safe + lo, lo)
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=outcomes,
            n_states=np.full(problem.n_draws, self.iterations + 1, dtype=np.int64),
            parameters=self.get_params(),
        )


def _denorm_one(value: float, lo: float, step: float) -> float:
    return float(value / step + lo) if step > 0 else float(lo)


_EXCHANGE_COLUMNS = [
    "iteration",
    "exchange",
    *[
        f"{name}_{tag}"
        for tag in ("i", "j")
        for name in ("actor", "supply", "demand", "start", "position", "move", "gain")
    ],
    "gain",
    "groups",
]


def _inner(result: _RoundResult, ex: _Exchange, actor: int) -> bool:
    """Whether a third actor is in one of the two groups that exchanged (on the same side of
    both outcomes as one of the exchanging actors): Decide's "inner" externality."""
    if not (result.active[actor, ex.p] and result.active[actor, ex.q]):
        return False
    group = int(result.left[actor, ex.p]) | int(result.left[actor, ex.q]) * 2
    return group in ((0, 3) if ex.groups == "ad" else (1, 2))
