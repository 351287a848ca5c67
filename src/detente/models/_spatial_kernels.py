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

Both run the outer loop in parallel threads (``prange`` over draw x row); each output element
is computed by one thread with a fixed order of operations, so the result does not depend on
the number of threads.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange  # type: ignore[import-not-found,import-untyped,unused-ignore]

from detente.models.base import FloatArray


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
            for j in range(n_opt):
                v = w * (ui - util[d, k, j])
                acc[j] += max(v, 0.0)
        c[d, i, :] = acc
    return c


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _bs_util(d: float, r: float) -> float:  # pragma: no cover
    if d > 1.0:
        return (1.0 - d) * (1.0 + r)
    return (1.0 - d) * (1.0 + d * r)


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _third_party(
    dist_m: FloatArray,
    r_im: float,
    u_mi: float,
    wm: float,
    base_i: FloatArray,
    base_j: FloatArray,
    chij_acc: FloatArray,
    chji_acc: FloatArray,
    lo: int,
    hi: int,
) -> None:  # pragma: no cover
    """Third party m's semi-committed vote in the contests of i against targets lo..hi-1."""
    two_mi = u_mi + u_mi
    for j in range(lo, hi):
        u_mj = _bs_util(dist_m[j], r_im)
        two_mj = u_mj + u_mj
        v_little = wm * (u_mi - u_mj)
        cmi = base_i[j] + max(v_little, 0.0)
        cmj = base_j[j] + max(-v_little, 0.0)
        p_im = cmi / (cmi + cmj)
        p_jm = 1.0 - p_im
        u_ik_j = p_im * (two_mi + 1.0) + p_jm * (two_mj + u_mj)
        u_i_jk = p_im * (two_mi + u_mi) + p_jm * (two_mj + 1.0)
        vote = wm * (u_ik_j - u_i_jk)
        chij_acc[j] += max(vote, 0.0)
        chji_acc[j] += max(-vote, 0.0)


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
            # j = m is the other principal: two branch-free runs, j < m and j > m
            _third_party(dist[d, m], r_im, u_mi, w[m], base_i, base_j, chij_acc, chji_acc, 0, m)
            _third_party(dist[d, m], r_im, u_mi, w[m], base_i, base_j, chij_acc, chji_acc, m + 1, n)
        for j in range(n):
            tot = chij_acc[j] + chji_acc[j]
            p_ij = chij_acc[j] / tot
            p_ji = chji_acc[j] / tot
            eu_contest = p_ij * 2.0 + p_ji * (u_ij[j] + u_ij[j])
            s_j = s_tot[d, j]
            p_out[d, i, j] = p_ij
            gain_out[d, i, j] = ((1.0 - s_j) * 2.0 + s_j * eu_contest) - (1.0 + u_ij[j])
    return p_out, gain_out


def coalitions(util: FloatArray, weight: FloatArray, min_c: float) -> FloatArray:
    """Compiled :func:`detente.models.spatial.coalitions` (same arguments, same bits)."""
    out: FloatArray = _coalitions(
        np.ascontiguousarray(util, dtype=np.float64),
        np.ascontiguousarray(weight, dtype=np.float64),
        float(min_c),
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
