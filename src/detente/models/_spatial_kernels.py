"""The spatial model's state compiled (optional: ``detente[fast]``): :func:`assess` and
:func:`step` are ``SpatialModel._assess`` and ``SpatialModel._step``.

Imported by :mod:`detente.models.spatial` only when numba is installed and the problem is large
enough to repay it (or ``engine="numba"``); never at start-up. Each kernel evaluates, element by
element and in the same order, exactly the floating-point operations of the numpy code it
replaces (no ``fastmath``, so no re-association and no fused multiply-add; where the numpy code
calls ``np.sum``, numpy's own pairwise order, :func:`_np_sum`), so both engines give the same
bits: ``tests/models/test_spatial.py`` compares them state by state on KTAB's inputs and on
random problems (1 to 130 dimensions, tied positions). One matrix product stays numpy's (BLAS,
its order of summation), on the same operands in the same layout.

* :func:`_coalitions` -- ``Model::coalitions`` with proportional votes: for every pair of
  options, the sum over voters (in voter order) of ``max(w_k (u_ki - u_kj), 0)``.
* :func:`_best_challenges` -- ``SMPState::probEduChlg(i, i, i, j)`` and ``bestChallenge``: for
  every initiator, its best target, evaluating only the targets an exact bound on the gain does
  not rule out (the principals' and every third party's semi-committed votes, summed in
  third-party order).
* :func:`_queue_choice` -- ``doBCN``'s deterministic choice in every actor's queue (its status
  quo and the bargains it is party to, in KTAB's order): the conditional PCE over the queue and
  its most probable option.
* the O(n^2) rest of a state (distances, risk attitudes, probabilities, bargains, the voters'
  values of each bargain, adoption and the step's movement), one draw per task.

The O(n^3) kernels run rows (initiators, options) in parallel threads (``prange``), the rest
draws; each output element is computed by one thread with a fixed order of operations, so the
result does not depend on the number of threads.
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


#: targets evaluated first (those of the largest bounds), to find a gain the others must reach
_FIRST_TARGETS = 16
#: allowance for rounding when a target is skipped because its bound is below the best gain:
#: the gains are O(1) quantities evaluated in a dozen roundings (errors ~1e-15)
_BOUND_MARGIN = 1e-9
#: targets not needed but lying between needed ones (in the sorted order) are evaluated as
#: well when fewer than this: one longer contiguous run costs less than two
_RUN_GAP = 4


@njit(error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _contest(
    src: FloatArray,
    col0: int,
    c: int,
    cand: IntArray,
    base_i: FloatArray,
    base_j: FloatArray,
    r_im: FloatArray,
    u_mi: FloatArray,
    w: FloatArray,
    i: int,
    acc_ij: FloatArray,
    acc_ji: FloatArray,
) -> None:  # pragma: no cover
    """The coalitions of i against ``c`` targets ``cand[:c]`` (``src[m, col0 + jj]`` = the
    distance from third party m to target ``cand[jj]``): each third party m's semi-committed
    vote, summed in third-party order onto the principals' coalitions ``base_i``, ``base_j``
    (indexed as the targets), into ``acc_ij``, ``acc_ji``."""
    n = src.shape[0]
    for jj in range(c):
        acc_ij[jj] = base_i[jj]
        acc_ji[jj] = base_j[jj]
    for m in range(n):
        if m == i:
            continue  # a principal, not a third party (its vote is 0)
        rim = r_im[m]
        umi = u_mi[m]
        # third party m's semi-committed vote in the contest of i against each target; the
        # loop over targets is written branch-light so that it vectorises (same operations,
        # same order: max(v, 0) as ``0 if 0 > v else v``, numpy's maximum, NaN included)
        two_mi = umi + umi
        won = two_mi + 1.0
        lost = two_mi + umi
        wm = w[m]
        src_m = src[m, col0 : col0 + c]
        for jj in range(c):
            dmj = src_m[jj]
            u_mj = (1.0 - dmj) * (1.0 + (rim if dmj > 1.0 else dmj * rim))  # bsUtil
            two_mj = u_mj + u_mj
            v_little = wm * (umi - u_mj)
            minus = -v_little
            cmi = base_i[jj] + (0.0 if v_little < 0.0 else v_little)
            cmj = base_j[jj] + (0.0 if minus < 0.0 else minus)
            p_im = cmi / (cmi + cmj)
            p_jm = 1.0 - p_im
            u_ik_j = p_im * won + p_jm * (two_mj + u_mj)
            u_i_jk = p_im * lost + p_jm * (two_mj + 1.0)
            vote = wm * (u_ik_j - u_i_jk)
            against = -vote
            if cand[jj] != m:  # the target m is the other principal
                acc_ij[jj] += 0.0 if vote < 0.0 else vote
                acc_ji[jj] += 0.0 if against < 0.0 else against


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _gains(
    c: int,
    cand: IntArray,
    acc_ij: FloatArray,
    acc_ji: FloatArray,
    u_ij: FloatArray,
    s_tot: FloatArray,
    i: int,
    p_all: FloatArray,
    g_all: FloatArray,
    done: BoolArray,
) -> float:  # pragma: no cover
    """``P_ij`` and the expected gain of each target ``cand[:c]`` (not i, not done before);
    returns the largest gain."""
    best = -np.inf
    for jj in range(c):
        j = cand[jj]
        if j == i or done[j]:
            continue
        tot = acc_ij[jj] + acc_ji[jj]
        p_ij = acc_ij[jj] / tot
        p_ji = acc_ji[jj] / tot
        eu_contest = p_ij * 2.0 + p_ji * (u_ij[j] + u_ij[j])
        s_j = s_tot[j]
        gain = ((1.0 - s_j) * 2.0 + s_j * eu_contest) - (1.0 + u_ij[j])
        p_all[j] = p_ij
        g_all[j] = gain
        done[j] = True
        if gain > best:
            best = gain
    return best


#: initiators per parallel task of :func:`_best_challenges` (its work arrays are shared)
_ROW_BLOCK = 8


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _best_challenges(
    dist: FloatArray,
    dist_t: FloatArray,
    dist_sorted: FloatArray,
    order: IntArray,
    risk: FloatArray,
    s_tot: FloatArray,
    cap: FloatArray,
    min_c: float,
    min_sig: float,
) -> tuple[BoolArray, IntArray, FloatArray, FloatArray]:  # pragma: no cover
    """``SMPState::probEduChlg(i, i, i, j)`` and ``bestChallenge``: for every initiator i, the
    target j of largest expected gain above ``min_sig`` (the first, in actor order, of equal
    gains), with ``P_ij`` and the gain: ``(has_target, target, p_win, gain)``.

    Every target's gain is ``(1 - u_ij)(1 - 2 s_j P_ji) <= 1 - u_ij`` (``u_ij <= 1``, ``s_j``
    and ``P_ji`` in [0, 1]), so a target whose bound ``1 - u_ij`` lies below a gain already
    evaluated (by more than :data:`_BOUND_MARGIN`) can be neither the best nor a tie, and its
    O(n) third-party sum is skipped. Targets are evaluated in contiguous runs of ``order[d]``
    (the actors sorted by their first coordinate; ``dist_sorted[d, m, k]`` is
    ``dist[d, m, order[d, k mod n]]`` for k < 2n, ``dist_t`` the transpose of ``dist``): first the
    :data:`_FIRST_TARGETS` of largest bound taken from the two ends of the order (on one
    dimension the far targets, the only ones that can gain most, are there), then every run of
    targets whose bound reaches the best gain found. Each target evaluated gets exactly the
    numpy code's operations in its order (third parties in actor order): the same bits.
    """
    n_draws, n, _ = dist.shape
    has = np.empty((n_draws, n), dtype=np.bool_)
    target = np.empty((n_draws, n), dtype=np.int64)
    p_win = np.empty((n_draws, n))
    best_gain = np.empty((n_draws, n))
    n_blk = (n + _ROW_BLOCK - 1) // _ROW_BLOCK
    for blk in prange(n_draws * n_blk):
        d = blk // n_blk
        i0 = (blk % n_blk) * _ROW_BLOCK
        w = s_tot[d] * cap[d]
        s_d = s_tot[d]
        u_ij = np.empty(n)
        base_i = np.empty(n)
        base_j = np.empty(n)
        r_im = np.empty(n)
        u_mi = np.empty(n)
        p_all = np.empty(n)
        g_all = np.empty(n)
        done = np.empty(n, dtype=np.bool_)
        need = np.empty(n, dtype=np.bool_)
        cand = np.empty(n, dtype=np.int64)
        bc_i = np.empty(n)
        bc_j = np.empty(n)
        acc_ij = np.empty(n)
        acc_ji = np.empty(n)
        for i in range(i0, min(i0 + _ROW_BLOCK, n)):
            risk_i = risk[d, i]
            r_own = (2.0 * risk_i + risk_i) / 3.0
            w_i = w[i]
            dist_i = dist[d, i]
            col_i = dist_t[d, i]  # dist[d, :, i]
            for j in range(n):
                u = _bs_util(dist_i[j], r_own)
                u_ij[j] = u
                r_ij = (2.0 * risk_i + risk[d, j]) / 3.0
                u_ji = _bs_util(col_i[j], r_ij)
                ci = w_i * (1.0 - u)
                cj = w[j] * (u_ji - 1.0)
                # the numpy code's np.where(contrib > 0, ch + contrib, ch), contrib_i first
                base_i[j] = (min_c + (ci if ci > 0.0 else 0.0)) + (cj if cj > 0.0 else 0.0)
                base_j[j] = (min_c + (-ci if ci < 0.0 else 0.0)) + (-cj if cj < 0.0 else 0.0)
                # third party j as seen by i: its risk attitude and its utility for i's position
                r_im[j] = r_ij
                u_mi[j] = u_ji
                p_all[j] = 0.0
                g_all[j] = -np.inf
                done[j] = False
            # the first targets: from the two ends of the order, the larger bound first
            lo = 0
            hi = n - 1
            taken = 0
            limit = min(_FIRST_TARGETS, n - 1)
            while taken < limit and lo <= hi:
                a = order[d, lo]
                b = order[d, hi]
                if a == i:
                    lo += 1
                elif b == i:
                    hi -= 1
                elif 1.0 - u_ij[a] >= 1.0 - u_ij[b]:
                    lo += 1
                    taken += 1
                else:
                    hi -= 1
                    taken += 1
            # [hi + 1, n) then [0, lo): one run of the doubled order
            start = hi + 1
            c = (n - start) + lo
            for jj in range(c):
                j = order[d, (start + jj) % n]
                cand[jj] = j
                bc_i[jj] = base_i[j]
                bc_j[jj] = base_j[j]
            _contest(dist_sorted[d], start, c, cand, bc_i, bc_j, r_im, u_mi, w, i, acc_ij, acc_ji)
            best = _gains(c, cand, acc_ij, acc_ji, u_ij, s_d, i, p_all, g_all, done)
            # then every run of targets that may still beat it
            for k in range(n):
                j = order[d, k]
                need[k] = j != i and not done[j] and not (1.0 - u_ij[j] + _BOUND_MARGIN < best)
            k = 0
            while k < n:
                if not need[k]:
                    k += 1
                    continue
                start = k
                stop = k + 1  # one past the last needed target of the run
                k += 1
                while k < n and k - stop < _RUN_GAP:
                    if need[k]:
                        stop = k + 1
                    k += 1
                k = stop
                c = stop - start
                for jj in range(c):
                    j = order[d, start + jj]
                    cand[jj] = j
                    bc_i[jj] = base_i[j]
                    bc_j[jj] = base_j[j]
                _contest(
                    dist_sorted[d], start, c, cand, bc_i, bc_j, r_im, u_mi, w, i, acc_ij, acc_ji
                )
                _gains(c, cand, acc_ij, acc_ji, u_ij, s_d, i, p_all, g_all, done)
            # np.argmax over where(gain > min_sig and j != i, gain, -inf): the first maximum
            tgt = 0
            top = -np.inf
            found = False
            for j in range(n):
                if done[j] and g_all[j] > min_sig:
                    if not found or g_all[j] > top:
                        top = g_all[j]
                        tgt = j
                    found = True
            has[d, i] = found
            target[d, i] = tgt
            p_win[d, i] = p_all[tgt] if found else 0.0
            best_gain[d, i] = g_all[tgt] if found else 0.0
    return has, target, p_win, best_gain


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


# ---------------------------------------------------------------------------------------------
# The rest of a state: the O(n^2) work between the O(n^3) kernels above, one draw per thread.
# Each reproduces, element by element, the floating-point operations of the numpy code in
# ``detente.models.spatial`` that it replaces, in the same order -- including numpy's own
# summation order where the numpy code calls ``np.sum`` (see :func:`_np_sum`).


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _block_sum(a: FloatArray, start: int, n: int) -> float:  # pragma: no cover
    """numpy's pairwise sum of ``a[start:start + n]`` for ``n <= 128``: from 0.0 one by one
    below 8 terms, else eight running sums combined as a tree, then the remainder."""
    if n < 8:
        res = 0.0
        for i in range(n):
            res += a[start + i]
        return res
    r0 = a[start]
    r1 = a[start + 1]
    r2 = a[start + 2]
    r3 = a[start + 3]
    r4 = a[start + 4]
    r5 = a[start + 5]
    r6 = a[start + 6]
    r7 = a[start + 7]
    i = 8
    stop = n - n % 8
    while i < stop:
        r0 += a[start + i]
        r1 += a[start + i + 1]
        r2 += a[start + i + 2]
        r3 += a[start + i + 3]
        r4 += a[start + i + 4]
        r5 += a[start + i + 5]
        r6 += a[start + i + 6]
        r7 += a[start + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[start + i]
        i += 1
    return float(res)


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _np_sum(a: FloatArray, start: int, n: int) -> float:  # pragma: no cover
    """``np.sum`` of ``a[start:start + n]`` (a contiguous run) in numpy's order, its pairwise
    summation (``pairwise_sum_DOUBLE``, numpy's ``loops_utils.h.src``)."""
    if n <= 128:
        return _block_sum(a, start, n)
    return _long_sum(a, start, n)


@njit(error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _long_sum(a: FloatArray, start: int, n: int) -> float:  # pragma: no cover
    """:func:`_np_sum` above 128 terms: the sum of the two halves (the first a multiple of 8
    long), each summed the same way, down to :func:`_block_sum`. The halving runs on an
    explicit stack (numba cannot load a cached recursive function)."""
    f_start = np.empty(64, dtype=np.int64)
    f_len = np.empty(64, dtype=np.int64)
    f_stage = np.empty(64, dtype=np.int64)
    values = np.empty(64)
    top = 0
    n_values = 0
    f_start[0] = start
    f_len[0] = n
    f_stage[0] = 0
    while top >= 0:
        s0 = f_start[top]
        n0 = f_len[top]
        if n0 <= 128:
            values[n_values] = _block_sum(a, s0, n0)
            n_values += 1
            top -= 1
            continue
        n2 = n0 // 2
        n2 -= n2 % 8
        stage = f_stage[top]
        if stage == 2:  # both halves done: left + right
            values[n_values - 2] = values[n_values - 2] + values[n_values - 1]
            n_values -= 1
            top -= 1
            continue
        f_stage[top] = stage + 1
        top += 1
        f_start[top] = s0 if stage == 0 else s0 + n2
        f_len[top] = n2 if stage == 0 else n0 - n2
        f_stage[top] = 0
    return float(values[0])


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _wdist(
    x: FloatArray, s: FloatArray, y: FloatArray, den: float, buf: FloatArray
) -> float:  # pragma: no cover
    """``weighted_distance`` of one pair: ``sqrt(np.sum(((x - y) s)^2) / den)``."""
    k_count = x.shape[0]
    if k_count == 1:
        diff = (x[0] - y[0]) * s[0]
        return float(np.sqrt((0.0 + diff * diff) / den))
    for k in range(k_count):
        diff = (x[k] - y[k]) * s[k]
        buf[k] = diff * diff
    return float(np.sqrt(_np_sum(buf, 0, k_count) / den))


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _sq_norm(v: FloatArray, buf: FloatArray) -> float:  # pragma: no cover
    """``np.sum(v * v)`` (numpy's order)."""
    for k in range(v.shape[0]):
        buf[k] = v[k] * v[k]
    return _np_sum(buf, 0, v.shape[0])


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _pce(p: FloatArray, member: BoolArray, out: FloatArray) -> None:  # pragma: no cover
    """``conditional_pce`` of one draw (``member`` all True for every option)."""
    m = p.shape[0]
    for i in range(m):
        prod = 1.0
        for j in range(m):
            if member[j]:  # np.where(mem, p, 1.0): x * 1.0 == x, so skipping is exact
                prod *= p[i, j]
        out[i] = prod if member[i] else 0.0
    total = 0.0
    for i in range(m):
        total = total + out[i]
    for i in range(m):
        out[i] = out[i] / total


@njit(inline="always", error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _victory(c: FloatArray, p: FloatArray) -> None:  # pragma: no cover
    """``victory_probabilities`` of one draw into ``p``."""
    m = c.shape[0]
    for i in range(m):
        for j in range(m):
            p[i, j] = c[i, j] / (c[i, j] + c[j, i])
        p[i, i] = 0.5


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _distances(x: FloatArray, s: FloatArray) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    """``dist = weighted_distance(x, s)`` and the risk-neutral utilities ``bs_util(dist, 0)``."""
    n_draws, n, k_count = x.shape
    dist = np.empty((n_draws, n, n))
    util0 = np.empty((n_draws, n, n))
    for d in prange(n_draws):
        buf = np.empty(k_count)
        for i in range(n):
            den = _sq_norm(s[d, i], buf)
            x_i = x[d, i]
            s_i = s[d, i]
            for j in range(n):
                dij = _wdist(x_i, s_i, x[d, j], den, buf)
                dist[d, i, j] = dij
                util0[d, i, j] = _bs_util(dij, 0.0)
    return dist, util0


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _unique(x: FloatArray, tol: float) -> tuple[BoolArray, IntArray]:  # pragma: no cover
    """``unique_positions(x, tol)``: ``(is_unique, rep)``."""
    n_draws, n, k_count = x.shape
    is_unique = np.empty((n_draws, n), dtype=np.bool_)
    rep = np.empty((n_draws, n), dtype=np.int64)
    for d in prange(n_draws):
        buf = np.empty(k_count)
        close = np.empty((n, n), dtype=np.bool_)
        for i in range(n):
            for j in range(n):
                for k in range(k_count):  # np.sqrt(np.sum(diff * diff)), numpy's order
                    diff = x[d, i, k] - x[d, j, k]
                    buf[k] = diff * diff
                close[i, j] = np.sqrt(_np_sum(buf, 0, k_count)) < tol
        for i in range(n):
            unique = True
            for j in range(i):
                if close[i, j] and is_unique[d, j]:
                    unique = False
                    break
            is_unique[d, i] = unique
        for i in range(n):
            last = n - 1  # np.argmax of an all-False reversed row
            for j in range(n - 1, -1, -1):
                if close[i, j] and is_unique[d, j]:
                    last = j
                    break
            rep[d, i] = last
    return is_unique, rep


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _assess_risk(
    c0: FloatArray, dist: FloatArray
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    """``big_r_mid(conditional_pce(victory_probabilities(c0)))`` and
    ``own_util = bs_util(dist, (2 R + R) / 3)``."""
    n_draws, n, _ = dist.shape
    risk = np.empty((n_draws, n))
    own_util = np.empty((n_draws, n, n))
    for d in prange(n_draws):
        p = np.empty((n, n))
        _victory(c0[d], p)
        member = np.ones(n, dtype=np.bool_)
        prob = np.empty(n)
        _pce(p, member, prob)
        lo = prob[0]
        hi = prob[0]
        nan = np.isnan(lo)
        for i in range(1, n):
            v = prob[i]
            if np.isnan(v):
                nan = True
            if v < lo:
                lo = v
            if v > hi:
                hi = v
        if nan:  # np.min and np.max propagate a NaN, and so do np.minimum and np.maximum
            lo = np.nan
            hi = np.nan
        p_min = lo if (lo < 1.0 or nan) else 1.0  # np.minimum(p.min(), 1.0)
        p_max = hi if (hi > 0.0 or nan) else 0.0  # np.maximum(p.max(), 0.0)
        spread = p_max - p_min
        flat = spread <= 0.0
        safe = 1.0 if flat else spread
        for i in range(n):
            r = 0.0 if flat else (3.0 * prob[i] - (p_max + 2.0 * p_min)) / (2.0 * safe)
            risk[d, i] = r
            own_r = (2.0 * r + r) / 3.0
            for j in range(n):
                own_util[d, i, j] = _bs_util(dist[d, i, j], own_r)
    return risk, own_util


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _assess_prob(
    c1: FloatArray, is_unique: BoolArray, rep: IntArray
) -> FloatArray:  # pragma: no cover
    """``conditional_pce(victory_probabilities(c1), is_unique)`` read at ``rep``."""
    n_draws, n, _ = c1.shape
    out = np.empty((n_draws, n))
    for d in prange(n_draws):
        p = np.empty((n, n))
        _victory(c1[d], p)
        prob = np.empty(n)
        _pce(p, is_unique[d], prob)
        for i in range(n):
            out[d, i] = prob[rep[d, i]]
    return out


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _bargains(
    x: FloatArray,
    s: FloatArray,
    target: IntArray,
    p_win: FloatArray,
    risk: FloatArray,
    own_util: FloatArray,
    min_w: float,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:  # pragma: no cover
    """``SpatialModel._step`` from the best challenges to the matrix product: the S2P2
    bargains ``(b_init, b_rcvr)``, the voters' utilities ``u_init + u_rcvr`` of every bargain,
    the status quo's total and the ``keep`` matrix (as 0/1 floats) of unchanged positions."""
    n_draws, n, k_count = x.shape
    b_init = np.empty((n_draws, n, k_count))
    b_rcvr = np.empty((n_draws, n, k_count))
    pair = np.empty((n_draws, n, n))
    sq_total = np.empty((n_draws, n))
    keep = np.empty((n_draws, n, n))
    for d in prange(n_draws):
        for i in range(n):
            tgt = target[d, i]
            pw = p_win[d, i]
            p_j = 1.0 - pw
            for k in range(k_count):
                t_i = x[d, i, k]
                s_i = s[d, i, k]
                t_j = x[d, tgt, k]
                s_j = s[d, tgt, k]
                w_i = (s_i * s_i) * (pw * pw)
                w_j = (s_j * s_j) * (p_j * p_j)
                den = (w_i + min_w) + w_j
                v_init = ((w_i + min_w) * t_i + w_j * t_j) / den
                v_rcvr = (w_i * t_i + (min_w + w_j) * t_j) / den
                b_init[d, i, k] = np.trunc(0.5 + v_init * 10000.0) / 10000.0  # _round4
                b_rcvr[d, i, k] = np.trunc(0.5 + v_rcvr * 10000.0) / 10000.0
            for q in range(n):
                keep[d, i, q] = 1.0 if (q != i and tgt != q) else 0.0
        buf = np.empty(k_count)
        for v in range(n):
            den_v = _sq_norm(s[d, v], buf)
            r_v = risk[d, v]
            for i in range(n):
                u_i = _bs_util(_wdist(x[d, v], s[d, v], b_init[d, i], den_v, buf), r_v)
                u_r = _bs_util(_wdist(x[d, v], s[d, v], b_rcvr[d, i], den_v, buf), r_v)
                pair[d, v, i] = u_i + u_r
            total = 0.0
            for q in range(n):
                total = total + own_util[d, v, q]
            sq_total[d, v] = total
    return b_init, b_rcvr, pair, sq_total, keep


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _bargain_util(
    pair: FloatArray, kept: FloatArray, sq_total: FloatArray
) -> FloatArray:  # pragma: no cover
    """``concatenate([sq_total, pair + kept], axis=2) / n``: each voter's value of the status
    quo (option 0) and of every bargain (option 1 + i)."""
    n_draws, n, _ = pair.shape
    util = np.empty((n_draws, n, n + 1))
    fn = float(n)
    for d in prange(n_draws):
        for v in range(n):
            util[d, v, 0] = sq_total[d, v] / fn
            for i in range(n):
                util[d, v, 1 + i] = (pair[d, v, i] + kept[d, v, i]) / fn
    return util


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _adopt(
    x: FloatArray, choice: IntArray, b_init: FloatArray, b_rcvr: FloatArray
) -> tuple[FloatArray, FloatArray]:  # pragma: no cover
    """The new positions (each actor's adopted option) and the step's movement
    ``sum_i sqrt(np.sum((x'_i - x_i)^2))`` (actors in order, from 0)."""
    n_draws, n, k_count = x.shape
    new_x = np.empty_like(x)
    move = np.empty(n_draws)
    for d in prange(n_draws):
        buf = np.empty(k_count)
        total = 0.0
        for i in range(n):
            c = choice[d, i]
            for k in range(k_count):
                if c < 0:
                    new_x[d, i, k] = x[d, i, k]
                elif c == i:
                    new_x[d, i, k] = b_init[d, c, k]
                else:
                    new_x[d, i, k] = b_rcvr[d, c, k]
                diff = new_x[d, i, k] - x[d, i, k]
                buf[k] = diff * diff
            total = total + np.sqrt(_np_sum(buf, 0, k_count))
        move[d] = total
    return new_x, move


@njit(cache=True, parallel=True, error_model="numpy")  # type: ignore[misc,untyped-decorator,unused-ignore]
def _victory_all(c: FloatArray) -> FloatArray:  # pragma: no cover
    """``victory_probabilities`` of every draw."""
    n_draws, m, _ = c.shape
    p = np.empty((n_draws, m, m))
    for d in prange(n_draws):
        _victory(c[d], p[d])
    return p


def assess(
    x: FloatArray, s: FloatArray, cap: FloatArray, tol: float, min_c: float, with_prob: bool
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray | None]:
    """Compiled ``SpatialModel._assess``: ``(dist, risk, own_util, prob)``, the same bits
    (``prob`` None unless ``with_prob``)."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    s = np.ascontiguousarray(s, dtype=np.float64)
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    dist, util0 = _distances(x, s)
    c0 = _coalitions(util0, cap, float(min_c))
    risk, own_util = _assess_risk(c0, dist)
    if not with_prob:
        return dist, risk, own_util, None
    is_unique, rep = _unique(x, float(tol))
    c1 = _coalitions(own_util, cap, float(min_c))
    prob = _assess_prob(c1, is_unique, rep)
    return dist, risk, own_util, prob


def step(
    x: FloatArray,
    s: FloatArray,
    s_tot: FloatArray,
    cap: FloatArray,
    dist: FloatArray,
    risk: FloatArray,
    own_util: FloatArray,
    constants: tuple[float, float, float, float],
) -> tuple[FloatArray, BoolArray, IntArray, FloatArray, FloatArray, IntArray, FloatArray]:
    """Compiled ``SpatialModel._step`` (same bits): ``(new_x, has_target, target, p_win, gain,
    choice, movement)``. ``constants``: the minimum challenge coalition, the minimum
    significant gain, the minimum bargain weight and the minimum coalition.

    The voters' total over the unchanged positions stays numpy's matrix product (BLAS, as in
    the numpy code: its order of summation is BLAS's), on the same operands in the same layout.
    """
    min_chlg, min_sig, min_w, min_c = (float(v) for v in constants)
    x = np.ascontiguousarray(x, dtype=np.float64)
    s = np.ascontiguousarray(s, dtype=np.float64)
    cap = np.ascontiguousarray(cap, dtype=np.float64)
    own_util = np.ascontiguousarray(own_util, dtype=np.float64)
    risk = np.ascontiguousarray(risk, dtype=np.float64)
    dist = np.ascontiguousarray(dist, dtype=np.float64)
    order = np.argsort(x[:, :, 0], axis=1, kind="stable")
    dist_sorted = np.take_along_axis(dist, order[:, None, :], axis=2)
    dist_sorted = np.concatenate([dist_sorted, dist_sorted], axis=2)  # runs may wrap around
    has, target, p_win, best_gain = _best_challenges(
        dist,
        np.ascontiguousarray(np.swapaxes(dist, 1, 2)),
        dist_sorted,
        order,
        risk,
        np.ascontiguousarray(s_tot, dtype=np.float64),
        cap,
        min_chlg,
        min_sig,
    )
    b_init, b_rcvr, pair, sq_total, keep = _bargains(x, s, target, p_win, risk, own_util, min_w)
    kept: FloatArray = np.matmul(own_util, np.swapaxes(keep, 1, 2))
    util = _bargain_util(pair, kept, sq_total)
    prob_win = _victory_all(_coalitions(util, cap, min_c))
    choice = _queue_choice(prob_win, has, target)
    new_x, move = _adopt(x, choice, b_init, b_rcvr)
    return new_x, has, target, p_win, best_gain, choice, move
