"""Compiled kernels of the spatial model's two O(n^3) steps (optional: ``detente[fast]``).

Imported by :mod:`detente.models.spatial` only when numba is installed and the problem is large
enough to repay it; never at start-up. Each kernel evaluates, element by element and in the
same order, exactly the floating-point operations of the numpy code it replaces (no
``fastmath``, so no re-association and no fused multiply-add), so both engines give the same
bits: ``tests/models/test_spatial.py`` compares them on KTAB's inputs and on random problems.

* :func:`coalitions` -- ``Model::coalitions`` with proportional votes: for every pair of
  options, the sum over voters (in voter order) of ``max(w_k (u_ki - u_kj), 0)``.
* :func:`challenges` -- ``SMPState::probEduChlg(i, i, i, j)`` for every initiator i and target
  j: the principals' and every third party's semi-committed votes, summed in third-party order.
* :func:`queue_choice` -- ``doBCN``'s deterministic choice in every actor's queue (its status
  quo and the bargains it is party to, in KTAB's order): the conditional PCE over the queue and
  its most probable option.

Both run the outer loop in parallel threads (``prange`` over draw x row); each output element
is computed by one thread with a fixed order of operations, so the result does not depend on
the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange  # type: ignore[import-not-found,import-untyped,unused-ignore]
from numpy.typing import NDArray

from detente.models.base import FloatArray

BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _coalitions(
    util: FloatArray, weight: FloatArray, min_c: float
) -> FloatArray:  # pragma: no cover
    n_draws, n_voters, n_opt = util.shape
    c = np.empty((n_draws, n_opt, n_opt))
    for row in prange(n_draws * n_opt):
        d = row // n_opt
        i = row % n_opt
        acc = np.full(n_opt, min_c)
        for k in range(n_voters):
            w = weight[d, k]
            ui = util[d, k, i]
            uk = util[d, k]
            for j in range(n_opt):
                v = w * (ui - uk[j])
                acc[j] += 0.0 if v < 0.0 else v  # np.maximum(v, 0.0), NaN included
        c[d, i, :] = acc
    return c


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _bs_util(d: float, r: float) -> float:  # pragma: no cover
    if d > 1.0:
        return (1.0 - d) * (1.0 + r)
    return (1.0 - d) * (1.0 + d * r)


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _challenges(
    dist: FloatArray, risk: FloatArray, s_tot: FloatArray, cap: FloatArray, min_c: float
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    n_draws, n, _ = dist.shape
    p_out = np.empty((n_draws, n, n))
    gain_out = np.empty((n_draws, n, n))
    for row in prange(n_draws * n):
        d = row // n
        i = row % n
        w = s_tot[d] * cap[d]
        r_own = (2.0 * risk[d, i] + risk[d, i]) / 3.0
        u_ij = np.empty(n)
        base_i = np.empty(n)
        base_j = np.empty(n)
        for j in range(n):
            u_ij[j] = _bs_util(dist[d, i, j], r_own)
            r_ij = (2.0 * risk[d, i] + risk[d, j]) / 3.0
            u_ji = _bs_util(dist[d, j, i], r_ij)
            ci = w[i] * (1.0 - u_ij[j])
            cj = w[j] * (u_ji - 1.0)
            chij = min_c
            chji = min_c
            if ci > 0.0:
                chij = chij + ci
            if ci < 0.0:
                chji = chji - ci
            if cj > 0.0:
                chij = chij + cj
            if cj < 0.0:
                chji = chji - cj
            base_i[j] = chij
            base_j[j] = chji
        chij_acc = base_i.copy()
        chji_acc = base_j.copy()
        for m in range(n):
            if m == i:
                continue  # a principal, not a third party (its vote is 0)
            r_im = (2.0 * risk[d, i] + risk[d, m]) / 3.0
            u_mi = _bs_util(dist[d, m, i], r_im)
            # third party m's semi-committed vote in the contest of i against each target j;
            # the loop over j is written branch-light so that it vectorises (same operations,
            # same order: max(v, 0) as ``0 if 0 > v else v``, numpy's maximum, NaN included)
            two_mi = u_mi + u_mi
            won = two_mi + 1.0
            lost = two_mi + u_mi
            wm = w[m]
            dist_m = dist[d, m]
            for j in range(n):
                dmj = dist_m[j]
                u_mj = (1.0 - dmj) * (1.0 + (r_im if dmj > 1.0 else dmj * r_im))  # bsUtil
                two_mj = u_mj + u_mj
                v_little = wm * (u_mi - u_mj)
                minus = -v_little
                cmi = base_i[j] + (0.0 if v_little < 0.0 else v_little)
                cmj = base_j[j] + (0.0 if minus < 0.0 else minus)
                p_im = cmi / (cmi + cmj)
                p_jm = 1.0 - p_im
                u_ik_j = p_im * won + p_jm * (two_mj + u_mj)
                u_i_jk = p_im * lost + p_jm * (two_mj + 1.0)
                vote = wm * (u_ik_j - u_i_jk)
                against = -vote
                if j != m:  # j = m is the other principal, not a third party
                    chij_acc[j] += 0.0 if vote < 0.0 else vote
                    chji_acc[j] += 0.0 if against < 0.0 else against
        for j in range(n):
            tot = chij_acc[j] + chji_acc[j]
            p_ij = chij_acc[j] / tot
            p_ji = chji_acc[j] / tot
            eu_contest = p_ij * 2.0 + p_ji * (u_ij[j] + u_ij[j])
            s_j = s_tot[d, j]
            p_out[d, i, j] = p_ij
            gain_out[d, i, j] = ((1.0 - s_j) * 2.0 + s_j * eu_contest) - (1.0 + u_ij[j])
    return p_out, gain_out


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _queue_choice(
    prob_win: FloatArray, has: BoolArray, target: IntArray
) -> IntArray:  # pragma: no cover
    n_draws, n = has.shape
    choice = np.empty((n_draws, n), dtype=np.int64)
    for row in prange(n_draws * n):
        d = row // n
        k = row % n
        # the queue of k, in KTAB's order: bargains i < k aimed at k, the status quo, k's own
        # bargain, bargains i > k aimed at k (option 0 = status quo, 1 + i = bargain of i)
        queue = np.empty(n + 1, dtype=np.int64)
        length = 0
        for i in range(k):
            if has[d, i] and target[d, i] == k:
                queue[length] = 1 + i
                length += 1
        queue[length] = 0
        length += 1
        if has[d, k]:
            queue[length] = 1 + k
            length += 1
        for i in range(k + 1, n):
            if has[d, i] and target[d, i] == k:
                queue[length] = 1 + i
                length += 1
        prod = np.empty(length)
        for a in range(length):
            pa = 1.0
            for b in range(length):
                pa = pa * prob_win[d, queue[a], queue[b]]
            prod[a] = pa
        total = 0.0
        for a in range(length):
            total = total + prod[a]
        best = -1.0
        chosen = -2
        for a in range(length):
            norm = prod[a] / total
            if norm > best:
                best = norm
                chosen = queue[a] - 1
        choice[d, k] = chosen
    return choice


def coalitions(util: FloatArray, weight: FloatArray, min_c: float) -> FloatArray:
    """Compiled :func:`detente.models.spatial.coalitions` (same arguments, same bits)."""
    out: FloatArray = _coalitions(
        np.ascontiguousarray(util, dtype=np.float64),
        np.ascontiguousarray(weight, dtype=np.float64),
        float(min_c),
    )
    return out


def queue_choice(prob_win: FloatArray, has: BoolArray, target: IntArray) -> IntArray:
    """Compiled queue choice of ``SpatialModel._step``: ``(D, n)``, -1 = the status quo, else
    the initiator of the adopted bargain (same bits as the numpy code)."""
    out: IntArray = _queue_choice(
        np.ascontiguousarray(prob_win, dtype=np.float64),
        np.ascontiguousarray(has, dtype=np.bool_),
        np.ascontiguousarray(target, dtype=np.int64),
    )
    return out


def challenges(
    dist: FloatArray, risk: FloatArray, s_tot: FloatArray, cap: FloatArray, min_c: float
) -> tuple[FloatArray, FloatArray]:
    """Compiled ``SpatialModel._challenges``: ``(P_ij, expected gain)``, each ``(D, n, n)``."""
    p: FloatArray
    gain: FloatArray
    p, gain = _challenges(
        np.ascontiguousarray(dist, dtype=np.float64),
        np.ascontiguousarray(risk, dtype=np.float64),
        np.ascontiguousarray(s_tot, dtype=np.float64),
        np.ascontiguousarray(cap, dtype=np.float64),
        float(min_c),
    )
    return p, gain
