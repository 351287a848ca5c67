"""Bueno de Mesquita's expected-utility ("challenge") model of group decision making.

Sources:
    Bueno de Mesquita, B. (1994). Political forecasting: an expected utility method. In
    Bueno de Mesquita & Stokman (eds.), *European Community Decision Making*, pp. 71-104.
    Scholz, J. B., Calbert, G. J. & Smith, G. A. (2011). Unravelling Bueno De Mesquita's group
    decision model. *J. Theoretical Politics* 23(4):510-531 (ICAART 2011, pp. 18-30), sections
    2-6 and the appendix algorithm (steps 1-11), whose Table 2 (emission standards, Q = 1) this
    module reproduces.
    Bueno de Mesquita, B. (2002). *Predicting Politics*, ch. 3 (octants of the challenge game).

Each issue is a separate one-dimensional game; all issues of all draws are run at once by
flattening ``(draw, issue)`` into one batch axis ``B``, kept last in every array (see
``_round``). Per round (appendix steps 2-11), on positions normalised by the range ``Δ`` of
the initial positions (``d_ab = |x_a - x_b| / Δ``):

* votes (§3.2)   ``v^k(a, b) = c_k s_k (d_kb^{r_k} - d_ka^{r_k})``
* win chance (§4) ``P_ij = Σ_k max(0, v^k(i, j)) / Σ_k Σ_{a,b} |v^k(a, b)|``  (0 when x_i = x_j)
* utilities (§3), from the viewpoint of an actor with risk exponent ``r``::

      U_s  = 2 - 4 (0.5 - 0.5 d_ij)^r        U_f = 2 - 4 (0.5 + 0.5 d_ij)^r
      U_b  = 2 - 4 (0.5 - 0.25 (|x_i - μ| + |x_i - x_j|) / Δ)^r
      U_w  = 2 - 4 (0.5 + 0.25 (|x_i - μ| + |x_i - x_j|) / Δ)^r
      U_sq = 2 - 4 (0.5)^r

* expected utility of i challenging j (§2.2, BdM 1994 eq. 1)::

      EU(i, j) = s_j (P_ij U_s + (1 - P_ij) U_f) + (1 - s_j) U_s
                 - Q U_sq - (1 - Q) (T U_b + (1 - T) U_w)

* security (§5): with all ``r = 1``, ``danger_i = Σ_{j≠i} EU(j, i)``,
  ``R_i = (2 danger_i - max danger - min danger) / (max danger - min danger)`` and
  ``r_i = (1 - R_i / 3) / (1 + R_i / 3)``; then every quantity is recomputed with the ``r_i``.
* offers (§6): actor i judges each j with *its own* exponent ``r_i``: ``e_ij = EU^i(i, j)``,
  ``e_ji = EU^i(j, i)``. ``e_ji > e_ij > 0``: conflict that i expects to lose (move to x_j);
  ``e_ji > 0 > e_ij`` and ``e_ji > |e_ij|``: compromise at ``x_i + (x_j - x_i) |e_ij / e_ji|``;
  ``e_ji > 0 > e_ij`` and ``e_ji < |e_ij|``: capitulation (move to x_j). An actor takes one offer:
  any conflict before any compromise before any capitulation, and within a kind the one that
  moves it least (see ``compromise_rule`` for the one published exception).

The forecast of an issue is the median (Condorcet winner under capability × salience votes) of
the final positions, as in BdM (1994). ``docs/models/expected-utility.md`` lists every
interpretive choice and its effect on the replication.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

from detente.models import _weights
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

CompromiseRule = Literal["scholz", "least-move"]

#: offer kinds, in the order an actor prefers them (Scholz et al. 2011, §6)
OFFER_KINDS: tuple[str, ...] = ("conflict", "compromise", "capitulation")

_NO_OFFER = np.inf

#: target size of an (n, n, rows) array per block of games (keeps a round's arrays in cache)
_BLOCK_ELEMENTS = 16000


@dataclass(frozen=True)
class _RoundTrace:
    """What happened in one round, for every batch row (only kept for one-draw forecasts)."""

    kind: np.ndarray[Any, np.dtype[np.int8]]  # (B, n, n): receiver i, proposer j; -1 none
    proposal: FloatArray  # (B, n, n) normalised proposed position for i
    accepted: np.ndarray[Any, np.dtype[np.intp]]  # (B, n): index of the accepted proposer or -1
    risk: FloatArray  # (B, n)


def _sum_lead(x: FloatArray) -> FloatArray:
    """Sum over the leading axis, in index order: ``((x[0] + x[1]) + x[2]) + ...``.

    A fixed order keeps a game's result independent of how many games share the array
    (numpy's own ``sum`` switches to pairwise summation when the summed axis is the inner one,
    as it is for a single game); each step is vectorised over all the remaining axes.
    """
    out: FloatArray = x[0].copy()
    for j in range(1, x.shape[0]):
        out += x[j]
    return out


def _sum_tree(x: FloatArray) -> FloatArray:
    """Sum over the leading axis by repeated halving, in an order fixed by its length only.

    Like :func:`_sum_lead` independent of the other axes' sizes, but in log2 of the steps.
    """
    while x.shape[0] > 1:
        h = x.shape[0] // 2
        y = x[:h] + x[h : 2 * h]
        if x.shape[0] % 2:
            y[0] += x[2 * h]
        x = y
    out: FloatArray = x[0].copy()
    return out


def weighted_median(x: FloatArray, w: FloatArray) -> FloatArray:
    """Weighted median along the last axis: the lowest position holding half the weight.

    In one dimension with linear utilities this is the Condorcet winner of BdM's pairwise
    capability × salience votes (Black 1948), the "median voter position" of BdM (1994). An
    exact 50/50 split of the weight goes to the *lower* of the two positions
    (:func:`detente.models._weights.weighted_median` with ``ties="lower"``).
    """
    return _weights.weighted_median(x, w, ties="lower")


def weighted_mean(x: FloatArray, w: FloatArray) -> FloatArray:
    """Capability × salience weighted mean along the last axis."""
    return _weights.weighted_mean(x, w, axis=-1)


class ExpectedUtility(Model):
    """Bueno de Mesquita's expected-utility model, as formalised by Scholz et al. (2011).

    Args:
        q: BdM's Q, the probability an actor assigns to the status quo persisting when it does
            not challenge (Scholz et al. use 1.0 because BdM gives no value).
        t: BdM's T, the probability that a change in the absence of a challenge is for the
            better (only matters when ``q < 1``).
        max_rounds: round limit; the model also stops as soon as a round moves nobody.
        compromise_rule: how an actor picks among several compromise offers. ``"scholz"``
            ranks them by the expected-utility-weighted compromise point, lowest first, as the
            code behind Scholz et al.'s Table 2 does; ``"least-move"`` takes the compromise
            that moves the actor least, as the paper's text says. See the model's docs page.
        tol: movement (as a fraction of the initial range) below which a round counts as
            moving nobody.
    """

    name: ClassVar[str] = "expected-utility"
    title: ClassVar[str] = "Bueno de Mesquita expected-utility model"
    source: ClassVar[str] = (
        "Bueno de Mesquita 1994 (European Community Decision Making); "
        "Scholz, Calbert & Smith 2011 (J. Theoretical Politics 23(4):510-531)"
    )
    dynamic: ClassVar[bool] = True
    min_actors: ClassVar[int] = 2

    def __init__(
        self,
        q: float = 1.0,
        t: float = 1.0,
        max_rounds: int = 8,
        compromise_rule: CompromiseRule = "scholz",
        tol: float = 1e-12,
    ) -> None:
        if not 0.0 <= q <= 1.0:
            raise ModelInputError(f"expected-utility: q must be in [0, 1], got {q!r}")
        if not 0.0 <= t <= 1.0:
            raise ModelInputError(f"expected-utility: t must be in [0, 1], got {t!r}")
        if int(max_rounds) != max_rounds or max_rounds < 1:
            raise ModelInputError(
                f"expected-utility: max_rounds must be a positive integer, got {max_rounds!r}"
            )
        if compromise_rule not in ("scholz", "least-move"):
            raise ModelInputError(
                "expected-utility: compromise_rule must be 'scholz' or 'least-move', "
                f"got {compromise_rule!r}"
            )
        if not tol >= 0.0:
            raise ModelInputError(f"expected-utility: tol must be >= 0, got {tol!r}")
        self.q = float(q)
        self.t = float(t)
        self.max_rounds = int(max_rounds)
        self.compromise_rule: CompromiseRule = compromise_rule
        self.tol = float(tol)

    # ------------------------------------------------------------------ validation
    def _check(self, problem: Problem) -> None:
        if problem.n_actors < 2:
            raise ModelInputError(
                f"expected-utility: needs at least 2 actors, got {problem.n_actors}"
            )
        if problem.n_issues < 1:
            raise ModelInputError("expected-utility: needs at least 1 issue, got 0")
        for attr in ("capability", "position", "salience"):
            arr = getattr(problem, attr)
            if not np.all(np.isfinite(arr)):
                raise ModelInputError(f"expected-utility: {attr} has non-finite values")
        if np.any(problem.capability <= 0):
            raise ModelInputError("expected-utility: capability must be > 0 for every actor")
        if np.any((problem.salience < 0) | (problem.salience > 1)):
            raise ModelInputError("expected-utility: salience must be in [0, 1]")
        w = problem.capability[:, :, None] * problem.salience
        if np.any(w.sum(axis=1) <= 0):
            raise ModelInputError(
                "expected-utility: on some issue every actor has salience 0 (no votes)"
            )

    # ------------------------------------------------------------------ core round
    def _round(
        self,
        z: FloatArray,
        cs: FloatArray,
        s: FloatArray,
        active: np.ndarray[Any, np.dtype[np.bool_]],
        trace: bool,
    ) -> tuple[FloatArray, _RoundTrace | None]:
        """One round on normalised positions ``z`` (n, B); returns the new positions (n, B).

        Batch axis last: every array is (actor, [actor, ...,] game), so each operation, and
        each sum over an actor axis, runs as contiguous vector operations over the games.
        Sums over actors run in a fixed order (:func:`_sum_lead`, :func:`_sum_tree`), so a game's
        result does not depend on how many games share the call: ``forecast`` (one draw) and
        ``forecast_batch`` agree bit for bit.
        """
        n, bsz = z.shape
        zi = z[:, None, :]  # receiver / target i (axis 0)
        dz = z[None, :, :] - zi  # (n, n, B), x_j - x_i
        dist = np.abs(dz)  # d_ij
        q, t = self.q, self.t
        dmu = np.abs(z - weighted_median(z.T, cs.T)) if q < 1.0 else z  # (n, B)
        tmp = np.empty((n, n, bsz))

        def win_prob(dr: FloatArray) -> FloatArray:
            """P_ij (i axis 0, j axis 1) from ``dr[k, a] = d_ka^{r_k}``.

            When x_i = x_j every vote d_kj^r - d_ki^r is exactly 0, so P_ij = 0 as required.
            """
            num = np.empty((n, n, bsz))
            for k in range(n):
                # voter k's vote for i over j, before c_k s_k: d_kj^r - d_ki^r
                np.subtract(dr[k, None, :, :], dr[k, :, None, :], out=tmp)
                np.maximum(tmp, 0.0, out=tmp)
                if k == 0:
                    np.multiply(tmp, cs[0], out=num)
                else:
                    np.multiply(tmp, cs[k], out=tmp)
                    num += tmp
            # Σ_{a,b} |v(a,b)| = 2 Σ_{a,b} max(0, v(a,b)) because v is antisymmetric in (a, b)
            den = _sum_tree(num.reshape(n * n, bsz))
            den *= 2.0
            den[den <= 0.0] = 1.0
            num /= den
            return num

        def better_worse(r: FloatArray | float, dself: FloatArray) -> FloatArray:
            """(1 - Q)(T U_b + (1 - T) U_w): what i expects if nobody challenges (BdM eq. 1)."""
            g = 0.25 * (dself + dist)
            if isinstance(r, float):  # r = 1: U_b = 4g, U_w = -4g
                return (1.0 - q) * (2.0 * t - 1.0) * 4.0 * g
            ub = 2.0 - 4.0 * (0.5 - g) ** r
            uw = 2.0 - 4.0 * (0.5 + g) ** r
            out: FloatArray = (1.0 - q) * (t * ub + (1.0 - t) * uw)
            return out

        # --- security levels with r = 1 (appendix steps 2-9): U_s = 2d, U_f = -2d, U_sq = 0
        p1 = win_prob(dist)
        # EU(j, i): target i (axis 0), challenger j (axis 1), so P_ji, s_i and |x_j - μ|
        s_tgt = s[:, None, :]
        eu_in = 2.0 * p1.transpose(1, 0, 2)
        eu_in -= 1.0
        eu_in *= s_tgt
        eu_in += 1.0 - s_tgt
        eu_in *= 2.0 * dist
        if q < 1.0:
            eu_in -= better_worse(1.0, dmu[None, :, :])
            eu_in[np.arange(n), np.arange(n)] = 0.0  # (with Q = 1 the diagonal is 0 * finite)
        danger = _sum_lead(eu_in.transpose(1, 0, 2))  # (n, B), Σ over challengers j
        dmax = danger.max(axis=0)
        dmin = danger.min(axis=0)
        spread = dmax - dmin
        flat = spread <= 0.0
        spread[flat] = 1.0
        big_r = (2.0 * danger - dmax - dmin) / spread
        big_r[:, flat] = 0.0
        risk = (1.0 - big_r / 3.0) / (1.0 + big_r / 3.0)  # (n, B)

        # --- step 10: everything again with the actors' own exponents
        r_i = risk[:, None, :]
        p = win_prob(dist**r_i)
        # e_ij = EU^i(i, j) and e_ji = EU^i(j, i) share d_ij and r_i, hence U_s, U_f, U_sq
        half = 0.5 * dist
        us = np.subtract(0.5, half)
        np.power(us, r_i, out=us)
        us *= 4.0
        np.subtract(2.0, us, out=us)
        du = np.add(0.5, half, out=half)
        np.power(du, r_i, out=du)
        du *= 4.0
        np.subtract(2.0, du, out=du)  # U_f
        np.subtract(us, du, out=du)  # U_s - U_f
        usq = 2.0 - 4.0 * 0.5**r_i
        base = us
        base -= q * usq
        # s (P U_s + (1 - P) U_f) + (1 - s) U_s = U_s - s (1 - P)(U_s - U_f)
        e_ij = np.subtract(1.0, p)
        e_ij *= s[None, :, :]
        e_ij *= du
        np.subtract(base, e_ij, out=e_ij)
        e_ji = np.subtract(1.0, p.transpose(1, 0, 2), out=p)
        e_ji *= s_tgt
        e_ji *= du
        np.subtract(base, e_ji, out=e_ji)
        if q < 1.0:
            e_ij -= better_worse(r_i, dmu[:, None, :])
            e_ji -= better_worse(r_i, dmu[None, :, :])

        # --- step 11: octants and offers, receiver i (axis 0), proposer j (axis 1)
        valid = dist != 0.0
        valid &= active
        conflict = e_ji > e_ij
        conflict &= e_ij > 0.0
        conflict &= valid
        yielding = e_ji > 0.0
        yielding &= e_ij < 0.0
        yielding &= valid
        # e_ji + e_ij has the sign of e_ji - (-e_ij) exactly (a rounded sum is 0 only if exact)
        net = np.add(e_ji, e_ij, out=tmp)
        compromise = net > 0.0
        compromise &= yielding
        capitulation = net < 0.0
        capitulation &= yielding
        # i moves to x_i + (x_j - x_i) |e_ij / e_ji| on a compromise, to x_j otherwise
        frac = np.divide(e_ij, e_ji, out=np.ones_like(e_ij), where=compromise)
        frac *= dz
        proposal = np.subtract(zi, frac, out=frac)
        np.copyto(proposal, z[None, :, :], where=~compromise)
        # one lexicographic key: every conflict before every compromise before every
        # capitulation (each key lies in [0, 1] on the normalised scale), then the key itself
        key = np.where(conflict, dist, _NO_OFFER)  # conflicts and capitulations move d_ij
        comp_key = tmp
        if self.compromise_rule == "scholz":
            # the EU-weighted compromise point (|e_ij| x_i + e_ji x_j) / (|e_ij| + e_ji)
            np.multiply(e_ji, z[None, :, :], out=comp_key)
            comp_key -= e_ij * zi
            np.divide(comp_key, np.subtract(e_ji, e_ij, out=e_ij), out=comp_key, where=compromise)
        else:
            np.subtract(proposal, zi, out=comp_key)
            np.abs(comp_key, out=comp_key)
        np.add(comp_key, 2.0, out=key, where=compromise)
        np.add(dist, 4.0, out=key, where=capitulation)
        best = np.minimum.reduce(key, axis=1)  # (n, B)
        # ties (e.g. two proposers equally far on either side) go to the proposer with the
        # larger expected utility of challenging, then the lower position: order-free
        cand = key <= best[:, None, :]
        strength = np.where(cand, e_ji, -np.inf)
        cand &= strength >= np.maximum.reduce(strength, axis=1)[:, None, :]
        pick = np.where(cand, proposal, np.inf)
        has = np.isfinite(best)
        new = np.where(has, np.minimum.reduce(pick, axis=1), z)

        if not trace:
            return new, None
        accepted = np.where(has, np.argmin(pick, axis=1), -1)
        kind = np.full((n, n, bsz), -1, dtype=np.int8)
        kind[conflict] = 0
        kind[compromise] = 1
        kind[capitulation] = 2
        return new, _RoundTrace(
            kind=np.ascontiguousarray(kind.transpose(2, 0, 1)),
            proposal=np.ascontiguousarray(proposal.transpose(2, 0, 1)),
            accepted=np.ascontiguousarray(accepted.T),
            risk=np.ascontiguousarray(risk.T),
        )

    def _play(
        self,
        z: FloatArray,
        cs: FloatArray,
        s: FloatArray,
        active: np.ndarray[Any, np.dtype[np.bool_]],
        states: list[FloatArray] | None,
        traces: list[_RoundTrace] | None,
        rng: FloatArray | None,
        lo: FloatArray | None,
        shape: tuple[int, int, int] | None,
    ) -> tuple[FloatArray, np.ndarray[Any, np.dtype[np.int64]]]:
        """Rounds until nobody moves or the round limit, on games ``z`` (n, B).

        A game that stopped never moves again, so without a trace the stopped games are
        dropped from the arrays once they are a quarter of them (each game's arithmetic is
        independent of the others, so this changes no result).
        """
        z = z.copy()
        active = active.copy()
        rounds_run = np.zeros(z.shape[1], dtype=np.int64)
        trace = traces is not None
        cols = np.arange(z.shape[1])  # columns of z still being played
        zl, csl, sl = z, cs, s
        for rnd in range(1, self.max_rounds + 1):
            new, tr = self._round(zl, csl, sl, active, trace)
            moved = np.abs(new - zl).max(axis=0) > self.tol
            rounds_run[cols[moved]] = rnd
            # a round that moves nobody repeats forever: stop that game (BdM's stopping rule)
            active &= moved
            zl = np.where(moved, new, zl)
            if states is not None and traces is not None and tr is not None:
                assert rng is not None and lo is not None and shape is not None
                d, k, n = shape
                states.append((zl * rng + lo).reshape(n, d, k).transpose(1, 0, 2))
                traces.append(tr)
            n_live = int(np.count_nonzero(active))
            if n_live == 0:
                break
            if not trace and 4 * n_live <= 3 * active.size:
                z[:, cols] = zl
                cols, zl, csl, sl = cols[active], zl[:, active], csl[:, active], sl[:, active]
                active = active[active]
        z[:, cols] = zl
        return z, rounds_run

    # ------------------------------------------------------------------ driver
    def _simulate(
        self, problem: Problem, trace: bool
    ) -> tuple[
        FloatArray, np.ndarray[Any, np.dtype[np.int64]], list[FloatArray], list[_RoundTrace]
    ]:
        """Run every (draw, issue) game; positions come back on the issues' own scales.

        Returns the final positions ``(D, n, k)``, rounds run per draw, and (when ``trace``)
        the state after every round ``(D, n, k)`` and the round traces.
        """
        self._check(problem)
        d, n, k = problem.position.shape
        # batch axis last: column b = draw * k + issue
        x0 = np.moveaxis(problem.position, 1, 0).reshape(n, d * k)
        s = np.moveaxis(problem.salience, 1, 0).reshape(n, d * k)
        c = np.repeat(problem.capability.T, k, axis=1)
        cs = c * s
        lo = x0.min(axis=0, keepdims=True)
        span = x0.max(axis=0) - lo[0]
        rng = np.where(span > 0.0, span, 1.0)[None, :]
        z = (x0 - lo) / rng
        active = span > 0.0
        rounds_run = np.zeros(d * k, dtype=np.int64)
        states: list[FloatArray] = []
        traces: list[_RoundTrace] = []
        if trace:
            z, rounds_run = self._play(z, cs, s, active, states, traces, rng, lo, (d, k, n))
        else:
            # games are independent: run them in blocks whose (n, n, rows) arrays stay in
            # cache; each block is still vectorised over all its draws and issues
            rows = max(1, _BLOCK_ELEMENTS // n**2)
            for start in range(0, d * k, rows):
                sl = slice(start, start + rows)
                z[:, sl], rounds_run[sl] = self._play(
                    np.ascontiguousarray(z[:, sl]),
                    np.ascontiguousarray(cs[:, sl]),
                    np.ascontiguousarray(s[:, sl]),
                    active[sl],
                    None,
                    None,
                    None,
                    None,
                    None,
                )
        final = (z * rng + lo).reshape(n, d, k).transpose(1, 0, 2)
        per_draw = rounds_run.reshape(d, k).max(axis=1)
        return final, per_draw, states, traces

    # ------------------------------------------------------------------ interface
    def forecast_batch(self, problem: Problem) -> Forecasts:
        """All draws at once: the median of final positions per draw and issue."""
        final, per_draw, _, _ = self._simulate(problem, trace=False)
        w = problem.capability[:, :, None] * problem.salience
        outcome = weighted_median(np.moveaxis(final, 1, 2), np.moveaxis(w, 1, 2))
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=outcome,
            n_states=per_draw.astype(np.int64) + 1,
            parameters=self.get_params(),
        )

    def forecast(self, problem: Problem) -> Forecast:
        """One draw, with every round's positions, the offers and a median/mean summary."""
        require_single(problem, self.name)
        final, _, states, traces = self._simulate(problem, trace=True)
        n_done = max(
            (
                i + 1
                for i in range(len(states))
                if not np.array_equal(states[i], problem.position if i == 0 else states[i - 1])
            ),
            default=0,
        )
        states = states[:n_done]
        traces = traces[:n_done]
        w = (problem.capability[:, :, None] * problem.salience)[0]  # (n, k)
        all_states = [problem.position[0], *(st[0] for st in states)]
        rounds = tuple(Round(positions=np.array(st, dtype=np.float64)) for st in all_states)

        summary_rows: list[dict[str, Any]] = []
        for r, st in enumerate(all_states):
            med = weighted_median(st.T, w.T)
            mean = weighted_mean(st.T, w.T)
            for j, issue in enumerate(problem.issues):
                summary_rows.append(
                    {"round": r, "issue": issue, "median": float(med[j]), "mean": float(mean[j])}
                )

        actors = problem.actors
        x0 = problem.position[0]
        lo = x0.min(axis=0)
        span = x0.max(axis=0) - lo
        rng = np.where(span > 0, span, 1.0)
        offer_rows: list[dict[str, Any]] = []
        risk_rows: list[dict[str, Any]] = []
        for r, tr in enumerate(traces, start=1):
            for j, issue in enumerate(problem.issues):
                for i, actor in enumerate(actors):
                    risk_rows.append(
                        {"round": r, "issue": issue, "actor": actor, "risk": float(tr.risk[j, i])}
                    )
                recv, prop = np.nonzero(tr.kind[j] >= 0)
                for i, p in zip(recv.tolist(), prop.tolist(), strict=True):
                    offer_rows.append(
                        {
                            "round": r,
                            "issue": issue,
                            "from": actors[p],
                            "to": actors[i],
                            "kind": OFFER_KINDS[int(tr.kind[j, i, p])],
                            "position": float(tr.proposal[j, i, p] * rng[j] + lo[j]),
                            "accepted": bool(tr.accepted[j, i] == p),
                        }
                    )
        offers = pd.DataFrame(
            offer_rows,
            columns=["round", "issue", "from", "to", "kind", "position", "accepted"],
        )
        outcome = weighted_median(final[0].T, w.T)
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=outcome,
            rounds=rounds,
            tables={
                "offers": offers,
                "summary": pd.DataFrame(summary_rows, columns=["round", "issue", "median", "mean"]),
                "risk": pd.DataFrame(risk_rows, columns=["round", "issue", "actor", "risk"]),
            },
            parameters=self.get_params(),
        )
