"""KTAB's Spatial Model of Politics (SMP), with KTAB's default options, vectorised over draws.

Source: B. Wise, L. Thomas et al., *KTAB: the KAPSARC Toolkit for Behavioral Analysis*
(KAPSARC, 2015-2017), and its reference implementation ``smpc`` (github.com/KAPSARC/KTAB, MIT
licence): ``examples/smp/libsrc/smp.cpp``, ``smpbcn.cpp`` and ``KTAB/kmodel/libsrc/kmodel.cpp``.
This is an independent re-implementation; the docstrings name the KTAB function each step follows.
``docs/models/spatial.md`` lists the equations, the KTAB parameter names and what is unsupported.

One *state* holds every actor's position, a vector in [0, 1]^K (the problem's scales mapped
linearly). One step (``SMPState::doBCN``) is:

1. Distances: ``d_ij = sqrt(sum_k (s_ik (x_ik - x_jk))^2 / sum_k s_ik^2)`` with *i*'s
   saliences (``SMPModel::bvDiff``); utility ``u(d, R) = (1 - d)(1 + d R)`` (``bsUtil``).
2. Risk attitudes (``SMPState::setAllAUtil``, ``BigRRange::Mid``): with risk-neutral utilities,
   proportional votes ``v_k(i:j) = c_k (u_ki - u_kj)`` build coalitions
   ``C_ij = 1e-8 + sum_k max(v_k(i:j), 0)``; linear victory probabilities
   ``P_ij = C_ij / (C_ij + C_ji)``; conditional PCE ``p_i ∝ prod_j P_ij``; then
   ``R_i = (3 p_i - (p_max + 2 p_min)) / (2 (p_max - p_min))`` in [-1/2, 1].
   Actor h sees actor i's risk attitude as ``(2 R_h + R_i) / 3`` (``BigRAdjust::OneThird``).
3. Challenges (``SMPState::probEduChlg``, ``ThirdPartyCommit::SemiCommit``): from i's own
   perspective, for every target j, principals contribute ``s_i c_i (u_ii - u_ij)`` and
   ``s_j c_j (u_ji - u_jj)`` (``s`` = the actor's summed salience); each third party n votes
   ``s_n c_n (p_in (u_nn - u_ni) - p_jn (u_nn - u_nj))`` where ``p_in`` is the chance of i in
   the little contest of i, j and n alone. ``P_ij`` from those coalitions; the expected gain is
   ``(1 - s_j) 2 u_ii + s_j (P_ij 2 u_ii + P_ji 2 u_ij) - (u_ii + u_ij)``. Each actor challenges
   the target with the largest gain above 1e-5 (``bestChallenge``).
4. Bargain (``SMPActor::interpBrgnSnPm``, ``InterVecBrgn::S2P2``, ``InitOnlyInterp``): on each
   dimension, weights ``w = s_k^2 P^2`` for the initiator (P = its chance) and the target
   (1 - P); the initiator's new position ``((w_i + 1e-6) t_i + w_j t_j) / (w_i + 1e-6 + w_j)``,
   the target's ``(w_i t_i + (1e-6 + w_j) t_j) / (...)``, both rounded to 4 decimals.
5. Choice (``doBCN``, ``StateTransMode::Deterministic``): every actor's queue holds its status
   quo and each bargain it is party to. The value to voter a of a bargain is the mean over actors
   of a's utility for the state it would produce; a proportional, capability-weighted vote and
   the conditional PCE over the queue give each bargain a probability; the most probable is
   adopted.
6. Stop (``smpStopFn``): after at least 2 steps once the step's movement
   ``sum_i ||x_i^t - x_i^{t-1}||`` is under 2 % of the first step's (+1e-4), or after 100 steps.

The probability reported for each actor in a state (``SMPModel::showVPHistory`` via
``SMPState::pDist(-1)``) is the conditional-PCE probability of that actor's position among the
distinct positions (within 1e-3), each actor judging with its own risk-aware utilities.

Sums and products are accumulated in KTAB's order so that near-ties resolve as KTAB resolves them.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np
from numpy.typing import NDArray

from detente.models.base import (
    FloatArray,
    Forecast,
    Forecasts,
    LazyTables,
    Model,
    ModelInputError,
    Problem,
    Round,
    require_single,
)

if TYPE_CHECKING:  # pandas is imported where the bargains table is built (start-up, issue 19)
    import pandas as pd

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]

#: KTAB's ``Model::minNumActor`` / ``maxNumActor``; ``SpatialModel(max_actors=...)`` (CLI:
#: ``--max-actors``) lifts the upper limit explicitly.
MIN_ACTORS = 3
MAX_ACTORS = 250

#: With ``engine="auto"``, the compiled kernels (numba, ``detente[fast]``) run when
#: draws x actors^3 reaches this; below it numpy is as fast and numba's import is not paid.
KERNEL_MIN_WORK = 10_000_000

_MIN_COALITION = 1e-8  # KTAB Model::coalitions minC
_MIN_CHALLENGE_COALITION = 1e-10  # SMPState::probEduChlg minCltn
_MIN_SIG_EDU = 1e-5  # SMPState::bestChallenge minSigEDU
_MIN_BARGAIN_WEIGHT = 1e-6  # SMPActor::interpBrgnSnPm minW


# ---------------------------------------------------------------------------------------------
# Elementary pieces (KTAB names in the docstrings); every array has the leading draw axis D.


def weighted_distance(x: FloatArray, s: FloatArray, y: FloatArray | None = None) -> FloatArray:
    """``SMPModel::bvDiff``: ``out[.., i, j]``, distance from ``x_i`` to ``y_j`` (i's saliences).

    ``x``, ``s``: ``(D, n, K)``; ``y``: ``(D, m, K)`` (defaults to ``x``). Returns ``(D, n, m)``.
    """
    y = x if y is None else y
    diff = (x[:, :, None, :] - y[:, None, :, :]) * s[:, :, None, :]
    # K is small (<= a handful), so numpy sums it sequentially, as KTAB does.
    num = np.sum(diff * diff, axis=-1)
    den = np.sum(s * s, axis=-1)
    out: FloatArray = np.sqrt(num / den[:, :, None])
    return out


def bs_util(d: FloatArray, r: FloatArray) -> FloatArray:
    """``SMPModel::bsUtil``: ``(1 - d)(1 + d R)``; beyond d = 1 (round-off) ``(1 - d)(1 + R)``."""
    out: FloatArray = (1.0 - d) * (1.0 + d * r)
    over = d > 1.0
    if np.any(over):
        out = np.where(over, (1.0 - d) * (1.0 + r), out)
    return out


def coalitions(util: FloatArray, weight: FloatArray, min_c: float = _MIN_COALITION) -> FloatArray:
    """``Model::coalitions`` with proportional voting (``Model::vote``, ``VotingRule::Prop``).

    ``util``: ``(D, voters, options)``; ``weight``: ``(D, voters)``. Returns ``C`` of shape
    ``(D, options, options)`` with ``C[i, j] = min_c + sum_k max(w_k (u_ki - u_kj), 0)``,
    accumulated voter by voter as KTAB does.
    """
    d, n_voters, n_opt = util.shape
    c = np.full((d, n_opt, n_opt), min_c)
    for k in range(n_voters):
        v = weight[:, k, None, None] * (util[:, k, :, None] - util[:, k, None, :])
        c += np.maximum(v, 0.0)
    return c


def victory_probabilities(c: FloatArray) -> FloatArray:
    """``Model::vProb``, ``VPModel::Linear``: ``P_ij = C_ij / (C_ij + C_ji)``, ``P_ii = 1/2``."""
    p: FloatArray = c / (c + np.swapaxes(c, -1, -2))
    idx = np.arange(c.shape[-1])
    p[..., idx, idx] = 0.5
    return p


def conditional_pce(p: FloatArray, member: BoolArray | None = None) -> FloatArray:
    """``Model::condPCE``: ``p_i ∝ prod_j P_ij`` over the options marked in ``member``.

    ``p``: ``(D, m, m)``; ``member``: ``(D, m)`` or None (all). Non-members get probability 0.
    Products and the normalising sum run in option order, as in KTAB.
    """
    d, m, _ = p.shape
    mem = np.ones((d, m), dtype=bool) if member is None else member
    prod = np.ones((d, m))
    for j in range(m):
        prod *= np.where(mem[:, j, None], p[:, :, j], 1.0)
    prod = np.where(mem, prod, 0.0)
    total = np.zeros(d)
    for i in range(m):
        total += prod[:, i]
    out: FloatArray = prod / total[:, None]
    return out


def big_r_mid(p: FloatArray) -> FloatArray:
    """``Model::bigRfromProb`` with ``BigRRange::Mid``: risk attitudes in [-1/2, +1].

    When every position is equally probable (``p_max == p_min``, e.g. all actors at one point)
    KTAB divides by zero and then fails its own assertion; the attitude is undefined there, and
    we take every actor as risk neutral (R = 0) — detente's extension, documented in spatial.md.
    """
    p_min = np.minimum(p.min(axis=-1, keepdims=True), 1.0)
    p_max = np.maximum(p.max(axis=-1, keepdims=True), 0.0)
    spread = p_max - p_min
    flat = spread <= 0.0
    safe = np.where(flat, 1.0, spread)
    out: FloatArray = np.where(flat, 0.0, (3.0 * p - (p_max + 2.0 * p_min)) / (2.0 * safe))
    return out


def sequential_sum(a: FloatArray, axis: int = -1) -> FloatArray:
    """Left-to-right sum along ``axis`` (numpy's pairwise sum rounds differently from KTAB)."""
    moved = np.moveaxis(a, axis, 0)
    total = np.zeros(moved.shape[1:])
    for part in moved:
        total = total + part
    return total


def unique_positions(x: FloatArray, tol: float) -> tuple[BoolArray, IntArray]:
    """``KBase::ueIndices`` with ``SMPState::equivNdx`` (Euclidean distance < ``tol``).

    Returns ``is_unique (D, n)`` (the first actor of each group of equivalent positions) and
    ``rep (D, n)``: for each actor, the *last* unique actor whose position is equivalent to its
    own -- the one ``State::posProb`` reads the probability of.
    """
    d, n, _ = x.shape
    diff = x[:, :, None, :] - x[:, None, :, :]
    dist = np.sqrt(np.sum(diff * diff, axis=-1))
    close = dist < tol
    is_unique = np.zeros((d, n), dtype=bool)
    for i in range(n):
        is_unique[:, i] = ~np.any(close[:, i, :i] & is_unique[:, :i], axis=1)
    candidates = close & is_unique[:, None, :]
    rep = (n - 1 - np.argmax(candidates[:, :, ::-1], axis=2)).astype(np.int64)
    return is_unique, rep


# ---------------------------------------------------------------------------------------------


@dataclass
class _Assessment:
    """What one state implies (``SMPState::setAllAUtil`` and friends), for the active draws."""

    dist: FloatArray  # (D, n, n) d_ij with i's saliences
    risk: FloatArray  # (D, n) R_i
    own_util: FloatArray  # (D, n, n) V[a, b] = a's utility for b's position (a's own view)
    prob: FloatArray | None  # (D, n) reported probability of each actor's position


@dataclass
class _StepDetail:
    """Bargaining details of one step (kept for the one-draw ``forecast`` tables)."""

    has_target: BoolArray  # (D, n)
    target: IntArray  # (D, n)
    p_win: FloatArray  # (D, n)
    gain: FloatArray  # (D, n)
    choice: IntArray  # (D, n): -1 = status quo, else the initiator of the adopted bargain


@dataclass
class SpatialRun:
    """The trajectory of every draw.

    ``positions[t]`` is ``(D, n, K)`` on the problem's scale and ``probabilities[t]`` ``(D, n)``;
    for a draw that stopped before state ``t`` they repeat its last state. ``n_states[d]`` counts
    the states of draw ``d`` including state 0.
    """

    positions: list[FloatArray]
    probabilities: list[FloatArray]
    n_states: IntArray
    details: list[_StepDetail] = field(default_factory=list)


class SpatialModel(Model):
    """KTAB's Spatial Model of Politics with KTAB's default options (see the module docstring).

    Parameters:
        max_iterations: KTAB's ``maxIter`` (100).
        min_iterations: KTAB's ``minIter`` (2).
        min_delta_ratio: stop when a step moves less than this fraction of the first (0.02).
        min_sig_delta: added to the first step's movement to avoid 0/0 (1e-4).
        position_tolerance: positions closer than this (on [0, 1]^K) are one option when
            reporting probabilities (KTAB ``posTol`` 1e-3).
        salience_total: KTAB requires each actor's saliences to sum to at most 1. ``"scale"``
            divides the saliences of an actor whose total exceeds 1 by that total (distances are
            unchanged, the actor counts as fully engaged); ``"error"`` refuses such input.
        max_actors: the largest problem accepted, KTAB's ``maxNumActor`` (250) unless lifted
            explicitly (CLI ``--max-actors``). Time per state grows as n^3.
        engine: ``"numpy"``, ``"numba"`` (the compiled kernels of ``detente[fast]``) or
            ``"auto"`` (numba when installed and the problem is large). The engines give the
            same bits, so neither ``max_actors`` nor ``engine`` is a model parameter of the
            output (``get_params``): they decide what runs and how fast, not the result.
    """

    name: ClassVar[str] = "spatial"
    title: ClassVar[str] = "Spatial Model of Politics (KTAB)"
    source: ClassVar[str] = "Wise et al., KTAB Spatial Model of Politics, KAPSARC 2015 (smpc)"
    dynamic: ClassVar[bool] = True
    min_actors: ClassVar[int] = MIN_ACTORS
    #: near-ties resolve as KTAB resolves them, by its accumulation order (the actors' order)
    order_dependent: ClassVar[bool] = True
    #: every array op runs along the draw axis or within one draw, and both engines give the
    #: same bits (``engine="auto"`` may pick either for a slice): a block may be split
    separable_draws: ClassVar[bool] = True

    def __init__(
        self,
        max_iterations: int = 100,
        min_iterations: int = 2,
        min_delta_ratio: float = 0.02,
        min_sig_delta: float = 1e-4,
        position_tolerance: float = 1e-3,
        salience_total: Literal["scale", "error"] = "scale",
        max_actors: int = MAX_ACTORS,
        engine: Literal["auto", "numpy", "numba"] = "auto",
    ) -> None:
        if max_iterations < 1:
            raise ModelInputError(f"spatial: max_iterations must be >= 1, got {max_iterations}")
        if min_iterations < 1:
            raise ModelInputError(f"spatial: min_iterations must be >= 1, got {min_iterations}")
        if salience_total not in ("scale", "error"):
            raise ModelInputError(
                f"spatial: salience_total must be 'scale' or 'error', got {salience_total!r}"
            )
        self.max_iterations = int(max_iterations)
        self.min_iterations = int(min_iterations)
        self.min_delta_ratio = float(min_delta_ratio)
        self.min_sig_delta = float(min_sig_delta)
        self.position_tolerance = float(position_tolerance)
        self.salience_total = salience_total
        if max_actors < MIN_ACTORS:
            raise ModelInputError(f"spatial: max_actors must be >= {MIN_ACTORS}, got {max_actors}")
        if engine not in ("auto", "numpy", "numba"):
            raise ModelInputError(
                f"spatial: engine must be 'auto', 'numpy' or 'numba', got {engine!r}"
            )
        self._max_actors = int(max_actors)
        self._engine = engine

    def _kernels(self, n_draws: int, n_actors: int) -> ModuleType | None:
        """The compiled kernels for a problem of this size, or None for numpy."""
        if self._engine == "numpy":
            return None
        if self._engine == "auto" and (
            n_draws * n_actors**3 < KERNEL_MIN_WORK or importlib.util.find_spec("numba") is None
        ):
            return None
        try:
            from detente.models import _spatial_kernels
        except ImportError as exc:
            raise ModelInputError(
                f"spatial: engine='numba' needs numba ({exc}); pip install 'detente[fast]'"
            ) from exc
        return _spatial_kernels

    # ----------------------------------------------------------------------------- inputs

    def _prepare(self, problem: Problem) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Validated ``(x on [0,1], saliences, capabilities)``."""
        n = problem.n_actors
        if n < MIN_ACTORS:
            raise ModelInputError(
                f"spatial: KTAB's Spatial Model handles {MIN_ACTORS} to {self._max_actors} actors; "
                f"problem {problem.name!r} has {n}"
            )
        if n > self._max_actors:
            limit = (
                f"KTAB's Spatial Model handles at most {MAX_ACTORS} actors"
                if self._max_actors == MAX_ACTORS
                else f"max_actors is {self._max_actors}"
            )
            raise ModelInputError(
                f"spatial: {limit}; problem {problem.name!r} has {n} (lift the limit with "
                f"--max-actors {n} or SpatialModel(max_actors={n}); time per state grows as n^3)"
            )
        if problem.n_issues < 1:
            raise ModelInputError(f"spatial: problem {problem.name!r} has no issues")
        lo = np.asarray(problem.scale_min, dtype=np.float64)
        hi = np.asarray(problem.scale_max, dtype=np.float64)
        width = hi - lo
        for k, w in enumerate(width):
            if not np.isfinite(w) or w <= 0:
                raise ModelInputError(
                    f"spatial: issue {problem.issues[k]!r} has scale [{lo[k]}, {hi[k]}]; "
                    "expected scale_min < scale_max"
                )
        pos = np.asarray(problem.position, dtype=np.float64)
        sal = np.asarray(problem.salience, dtype=np.float64)
        cap = np.asarray(problem.capability, dtype=np.float64)
        for label, arr in (("position", pos), ("salience", sal), ("capability", cap)):
            if not np.all(np.isfinite(arr)):
                raise ModelInputError(f"spatial: Problem.{label} has non-finite values")
        if np.any(cap <= 0):
            d, i = np.argwhere(cap <= 0)[0]
            raise ModelInputError(
                f"spatial: capability of {problem.actors[i]!r} (draw {d}) is {cap[d, i]:g}; "
                "KTAB votes need positive capabilities"
            )
        if np.any(sal < 0) or np.any(sal > 1):
            raise ModelInputError("spatial: Problem.salience must lie in [0, 1]")
        x = (pos - lo) / width
        tol = 1e-9
        if np.any(x < -tol) or np.any(x > 1 + tol):
            d, i, k = np.argwhere((x < -tol) | (x > 1 + tol))[0]
            raise ModelInputError(
                f"spatial: position of {problem.actors[i]!r} on {problem.issues[k]!r} "
                f"(draw {d}) is {pos[d, i, k]:g}, outside the scale [{lo[k]:g}, {hi[k]:g}]"
            )
        x = np.clip(x, 0.0, 1.0)
        total = sequential_sum(sal, axis=-1)
        if np.any(total <= 0):
            d, i = np.argwhere(total <= 0)[0]
            raise ModelInputError(
                f"spatial: actor {problem.actors[i]!r} (draw {d}) has zero salience on every issue"
            )
        over = total > 1.0 + 1e-12
        if np.any(over):
            if self.salience_total == "error":
                d, i = np.argwhere(over)[0]
                raise ModelInputError(
                    f"spatial: saliences of {problem.actors[i]!r} (draw {d}) sum to "
                    f"{total[d, i]:.4g}; KTAB requires at most 1 (use salience_total='scale')"
                )
            sal = np.where(over[:, :, None], sal / total[:, :, None], sal)
        return x, sal, cap

    # ----------------------------------------------------------------------------- one state

    def _assess(
        self,
        x: FloatArray,
        s: FloatArray,
        cap: FloatArray,
        kernels: ModuleType | None = None,
        with_prob: bool = True,
    ) -> _Assessment:
        """``SMPState::setAllAUtil`` then ``pDist(-1)`` for the reported probabilities (not
        computed, ``prob`` None, unless ``with_prob``: a state's probabilities do not enter the
        next step, only what is reported)."""
        if kernels is not None:
            dist, risk, own_util, prob = kernels.assess(
                x, s, cap, self.position_tolerance, _MIN_COALITION, with_prob
            )
            return _Assessment(dist=dist, risk=risk, own_util=own_util, prob=prob)
        dist = weighted_distance(x, s)
        zero = np.zeros_like(dist)
        c0 = coalitions(bs_util(dist, zero), cap)
        p0 = conditional_pce(victory_probabilities(c0))
        risk = big_r_mid(p0)
        # KTAB's own estimate r^h_h = (2 r_h + r_h) / 3, computed as KTAB does.
        own_r = (2.0 * risk + risk) / 3.0
        own_util = bs_util(dist, own_r[:, :, None])
        if not with_prob:
            return _Assessment(dist=dist, risk=risk, own_util=own_util, prob=None)
        is_unique, rep = unique_positions(x, self.position_tolerance)
        c1 = coalitions(own_util, cap)
        p1 = conditional_pce(victory_probabilities(c1), is_unique)
        prob = np.take_along_axis(p1, rep, axis=1)
        return _Assessment(dist=dist, risk=risk, own_util=own_util, prob=prob)

    @staticmethod
    def _challenges(
        a: _Assessment, s_tot: FloatArray, cap: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """``SMPState::probEduChlg(i, i, i, j)`` for all i, j: ``(P_ij, expected gain)``."""
        dist, risk = a.dist, a.risk
        n = dist.shape[1]
        # r_est[h, a]: h's estimate of a's risk attitude (BigRAdjust::OneThird)
        r_est = (2.0 * risk[:, :, None] + risk[:, None, :]) / 3.0
        diag = np.arange(n)
        u_ij = bs_util(dist, r_est[:, diag, diag][:, :, None])  # U_i(i, j)
        u_ji = bs_util(np.swapaxes(dist, 1, 2), r_est)  # U_i(j, i)
        w = s_tot * cap
        contrib_i = w[:, :, None] * (1.0 - u_ij)  # u_ii = 1
        contrib_j = w[:, None, :] * (u_ji - 1.0)  # u_jj = 1
        chij = np.full(dist.shape, _MIN_CHALLENGE_COALITION)
        chji = np.full(dist.shape, _MIN_CHALLENGE_COALITION)
        for contrib in (contrib_i, contrib_j):
            chij = np.where(contrib > 0.0, chij + contrib, chij)
            chji = np.where(contrib < 0.0, chji - contrib, chji)
        base_i, base_j = chij, chji
        chij, chji = chij.copy(), chji.copy()
        for m in range(n):
            # third party m, as seen by i: U_i(m, i) and U_i(m, j); U_i(m, m) = 1
            u_mj = bs_util(dist[:, m, None, :], r_est[:, :, m, None])  # (D, i, j)
            u_mi = u_mj[:, diag, diag][:, :, None]
            two_mi = u_mi + u_mi
            two_mj = u_mj + u_mj
            wm = w[:, m, None, None]
            v_little = wm * (u_mi - u_mj)
            # x + max(v, 0) equals KTAB's "if v > 0: x + v" exactly (x + 0.0 == x)
            cmi = base_i + np.maximum(v_little, 0.0)
            cmj = base_j + np.maximum(-v_little, 0.0)
            p_im = cmi / (cmi + cmj)
            p_jm = 1.0 - p_im
            u_ik_j = p_im * (two_mi + 1.0) + p_jm * (two_mj + u_mj)
            u_i_jk = p_im * (two_mi + u_mi) + p_jm * (two_mj + 1.0)
            vote = wm * (u_ik_j - u_i_jk)
            vote[:, m, :] = 0.0  # m is a principal, not a third party
            vote[:, :, m] = 0.0
            chij += np.maximum(vote, 0.0)
            chji += np.maximum(-vote, 0.0)
        p_ij = chij / (chij + chji)
        p_ji = chji / (chij + chji)
        eu_sq = 1.0 + u_ij
        eu_vict = 2.0
        eu_contest = p_ij * eu_vict + p_ji * (u_ij + u_ij)
        s_j = s_tot[:, None, :]
        gain = ((1.0 - s_j) * eu_vict + s_j * eu_contest) - eu_sq
        return p_ij, gain

    def _step(
        self,
        x: FloatArray,
        s: FloatArray,
        s_tot: FloatArray,
        cap: FloatArray,
        a: _Assessment,
        kernels: ModuleType | None = None,
    ) -> tuple[FloatArray, _StepDetail, FloatArray]:
        """``SMPState::doBCN``: challenges, S2P2 bargains, deterministic choice per queue.

        Returns the new positions, the step's details and its movement
        ``sum_i ||x'_i - x_i||`` per draw (``smpStopFn``'s measure).
        """
        if kernels is not None:
            constants = (
                _MIN_CHALLENGE_COALITION,
                _MIN_SIG_EDU,
                _MIN_BARGAIN_WEIGHT,
                _MIN_COALITION,
            )
            new_x, has, target, p_win, best_gain, choice, move = kernels.step(
                x, s, s_tot, cap, a.dist, a.risk, a.own_util, constants
            )
            detail = _StepDetail(
                has_target=has, target=target, p_win=p_win, gain=best_gain, choice=choice
            )
            return new_x, detail, move
        d_count, n, _ = x.shape
        p_ij, gain = self._challenges(a, s_tot, cap)
        eye = np.eye(n, dtype=bool)
        ok = (gain > _MIN_SIG_EDU) & ~eye[None]
        masked = np.where(ok, gain, -np.inf)
        target = np.argmax(masked, axis=2).astype(np.int64)  # first maximum, as bestChallenge
        has = np.any(ok, axis=2)
        rows = np.arange(d_count)[:, None]
        cols = np.arange(n)[None, :]
        p_win = np.where(has, p_ij[rows, cols, target], 0.0)
        best_gain = np.where(has, gain[rows, cols, target], 0.0)

        # S2P2 interpolation, initiator's perspective (InitOnlyInterp)
        t_i, s_i = x, s
        t_j = np.take_along_axis(x, target[:, :, None], axis=1)
        s_j = np.take_along_axis(s, target[:, :, None], axis=1)
        p_i = p_win[:, :, None]
        p_j = 1.0 - p_i
        w_i = (s_i * s_i) * (p_i * p_i)
        w_j = (s_j * s_j) * (p_j * p_j)
        den = (w_i + _MIN_BARGAIN_WEIGHT) + w_j
        b_init = _round4(((w_i + _MIN_BARGAIN_WEIGHT) * t_i + w_j * t_j) / den)
        b_rcvr = _round4((w_i * t_i + (_MIN_BARGAIN_WEIGHT + w_j) * t_j) / den)

        # Value to each voter v of each option: 0 = status quo, 1 + i = bargain initiated by i:
        # the sum over the state's positions, of which bargain i replaces i's and its target's.
        # The sum over the unchanged positions is one matrix product (BLAS), V @ keep^T.
        own_r = a.risk[:, :, None]
        u_init = bs_util(weighted_distance(x, s, b_init), own_r)  # (D, voter, i)
        u_rcvr = bs_util(weighted_distance(x, s, b_rcvr), own_r)
        v_own = a.own_util  # (D, voter, position)
        sq_total = sequential_sum(v_own, axis=2)
        keep = (cols[:, :, None] != cols[:, None, :]) & (target[:, :, None] != cols[:, None, :])
        brg_total = (u_init + u_rcvr) + np.matmul(v_own, np.swapaxes(keep, 1, 2).astype(float))
        util = np.concatenate([sq_total[:, :, None], brg_total], axis=2) / n
        prob_win = victory_probabilities(coalitions(util, cap))

        choice = self._queue_choice(prob_win, has, target)

        chosen = np.clip(choice, 0, n - 1)
        from_init = np.take_along_axis(b_init, chosen[:, :, None], axis=1)
        from_rcvr = np.take_along_axis(b_rcvr, chosen[:, :, None], axis=1)
        is_init = (choice == cols)[:, :, None]
        new_x = np.where((choice < 0)[:, :, None], x, np.where(is_init, from_init, from_rcvr))
        detail = _StepDetail(
            has_target=has, target=target, p_win=p_win, gain=best_gain, choice=choice
        )
        move = sequential_sum(np.sqrt(np.sum((new_x - x) ** 2, axis=-1)), axis=-1)
        return new_x, detail, move

    @staticmethod
    def _queue_choice(prob_win: FloatArray, has: BoolArray, target: IntArray) -> IntArray:
        """``doBCN``'s deterministic choice: ``(D, n)``, -1 = status quo, else the initiator of
        the bargain adopted in actor k's queue (its status quo and the bargains it is party to).
        """
        d_count, n = has.shape
        cols = np.arange(n)[None, :]
        # Queue of actor k, in KTAB's order: bargains i < k aimed at k, the status quo, k's own
        # bargain, bargains i > k aimed at k. Option o (0 = status quo, 1 + i = bargain i) sorts
        # by key 2k for the status quo and 2i + 1 for bargain i; each queue holds L slots.
        member = np.zeros((d_count, n, n + 1), dtype=bool)  # (D, queue k, option)
        member[:, :, 0] = True
        member[:, :, 1:] = has[:, None, :] & (
            (cols == cols.T)[None, :, :] | (target[:, None, :] == cols.T[None, :, :])
        )
        key = np.empty((d_count, n, n + 1), dtype=np.int64)
        key[:, :, 0] = 2 * cols
        key[:, :, 1:] = 2 * cols + 1
        key = np.where(member, key, 2 * n + 2)
        length = int(member.sum(axis=2).max())
        slot = np.argsort(key, axis=2, kind="stable")[:, :, :length]  # (D, k, L) options
        valid = np.take_along_axis(member, slot, axis=2)
        # prod[d, k, a] = product over the queue's slots b, in order, of P(slot a beats slot b)
        draw = np.arange(d_count)[:, None, None]
        prod = np.ones((d_count, n, length))
        for b in range(length):
            p_ab = prob_win[draw, slot, slot[:, :, b, None]]  # (D, k, a)
            prod = np.where(valid[:, :, b, None], prod * p_ab, prod)
        prod = np.where(valid, prod, 0.0)
        total = np.zeros((d_count, n))
        for b in range(length):
            total = np.where(valid[:, :, b], total + prod[:, :, b], total)
        norm = prod / total[:, :, None]
        best = np.full((d_count, n), -1.0)
        choice = np.full((d_count, n), -2, dtype=np.int64)  # -1 = status quo
        for b in range(length):
            better = valid[:, :, b] & (norm[:, :, b] > best)
            best = np.where(better, norm[:, :, b], best)
            choice = np.where(better, slot[:, :, b] - 1, choice)
        return choice

    # ----------------------------------------------------------------------------- runs

    def run(self, problem: Problem, keep_details: bool = False, history: bool = True) -> SpatialRun:
        """Run every draw to KTAB's stopping rule; draws that stop early are frozen (masked).

        With ``history=False`` only each draw's final state is kept (``positions`` and
        ``probabilities`` hold one entry) and the probabilities of the states before it are
        not computed; the final state is the same bits either way.
        """
        x0, sal, cap = self._prepare(problem)
        lo = np.asarray(problem.scale_min, dtype=np.float64)
        width = np.asarray(problem.scale_max, dtype=np.float64) - lo
        s_tot = sequential_sum(sal, axis=-1)
        n_draws = x0.shape[0]

        x = x0.copy()
        active = np.arange(n_draws)
        n_states = np.ones(n_draws, dtype=np.int64)
        first_move = np.zeros(n_draws)
        kernels = self._kernels(n_draws, problem.n_actors)
        assessment = self._assess(x, sal, cap, kernels, with_prob=history)
        positions: list[FloatArray] = []
        probabilities: list[FloatArray] = []
        if history:
            assert assessment.prob is not None
            positions.append(lo + x * width)
            probabilities.append(assessment.prob.copy())
        final_prob = np.zeros((n_draws, problem.n_actors))
        details: list[_StepDetail] = []
        for it in range(1, self.max_iterations + 1):
            xa = x[active]
            new_xa, detail, step = self._step(
                xa, sal[active], s_tot[active], cap[active], assessment, kernels
            )
            if keep_details:
                details.append(detail)
            if it == 1:
                first_move[active] = step + self.min_sig_delta
            x[active] = new_xa
            n_states[active] += 1
            quiet = step / first_move[active] < self.min_delta_ratio
            done = (it >= self.max_iterations) | ((it >= self.min_iterations) & quiet)
            keep = ~done
            if history:
                new_assessment = self._assess(new_xa, sal[active], cap[active], kernels)
                assert new_assessment.prob is not None
                prob = probabilities[-1].copy()
                prob[active] = new_assessment.prob
                positions.append(lo + x * width)
                probabilities.append(prob)
                if np.all(done):
                    break
                if not np.all(keep):
                    new_assessment = _Assessment(
                        dist=new_assessment.dist[keep],
                        risk=new_assessment.risk[keep],
                        own_util=new_assessment.own_util[keep],
                        prob=new_assessment.prob[keep],
                    )
            else:
                if np.any(done):  # the final state of these draws: with its probabilities
                    ended = active[done]
                    last = self._assess(new_xa[done], sal[ended], cap[ended], kernels)
                    assert last.prob is not None
                    final_prob[ended] = last.prob
                if np.all(done):
                    break
                if not np.all(keep):
                    new_xa = new_xa[keep]
                new_assessment = self._assess(
                    new_xa, sal[active[keep]], cap[active[keep]], kernels, with_prob=False
                )
            active = active[keep]
            assessment = new_assessment
        if not history:
            positions = [lo + x * width]
            probabilities = [final_prob]
        return SpatialRun(
            positions=positions, probabilities=probabilities, n_states=n_states, details=details
        )

    def forecast(self, problem: Problem) -> Forecast:
        require_single(problem, self.name)
        run = self.run(problem, keep_details=True)
        n_states = int(run.n_states[0])
        rounds = tuple(
            Round(
                positions=run.positions[t][0].copy(), probabilities=run.probabilities[t][0].copy()
            )
            for t in range(n_states)
        )
        last = rounds[-1]
        assert last.probabilities is not None
        outcome = last.positions[int(np.argmax(last.probabilities))].copy()
        return Forecast(
            model=self.name,
            problem=problem,
            outcome=outcome,
            rounds=rounds,
            tables=LazyTables({"bargains": lambda: self._bargain_table(problem, run)}),
            parameters=self.get_params(),
        )

    def forecast_batch(self, problem: Problem) -> Forecasts:
        run = self.run(problem, history=False)
        last_pos = run.positions[-1]
        last_prob = run.probabilities[-1]
        winner = np.argmax(last_prob, axis=1)
        outcome = last_pos[np.arange(problem.n_draws), winner]
        return Forecasts(
            model=self.name,
            issues=problem.issues,
            outcome=outcome,
            n_states=run.n_states,
            parameters=self.get_params(),
        )

    @staticmethod
    def _bargain_table(problem: Problem, run: SpatialRun) -> pd.DataFrame:
        """One row per challenge: step, initiator, target, P(initiator wins), expected gain,
        and what initiator and target adopted."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        actors = problem.actors
        for t, det in enumerate(run.details, start=1):
            for i in range(len(actors)):
                if not det.has_target[0, i]:
                    continue
                j = int(det.target[0, i])
                rows.append(
                    {
                        "step": t,
                        "initiator": actors[i],
                        "target": actors[j],
                        "p_initiator_wins": float(det.p_win[0, i]),
                        "expected_gain": float(det.gain[0, i]),
                        "initiator_adopts": bool(det.choice[0, i] == i),
                        "target_adopts": bool(det.choice[0, j] == i),
                    }
                )
        columns = [
            "step",
            "initiator",
            "target",
            "p_initiator_wins",
            "expected_gain",
            "initiator_adopts",
            "target_adopts",
        ]
        return pd.DataFrame(rows, columns=columns)


def _round4(v: FloatArray) -> FloatArray:
    """KTAB's ``round4``: ``(int)(0.5 + 10000 x) / 10000`` (truncation; x >= 0 here)."""
    out: FloatArray = np.trunc(0.5 + v * 10000.0) / 10000.0
    return out
