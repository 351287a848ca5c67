"""The hindcast: how likely each worldview finds what the target did (``docs/hindcast.md``).

With the coalition's moves forced to the record's (:mod:`detente.scenario.hindcast` maps the
record to move ids), the game (:class:`~detente.strategy.game.CoalitionGame`) is played forward
with the target's moves forced to the record's too, and each month adds
``log P(recorded target move | type, state, forced history)`` from the engine's own response
probabilities, mixed over the target's misreading of the coalition's last move::

    P_t = (1 − e)·P(b_t | type, c_{t−1}) + e·P(b_t | type, misread(c_{t−1}))

Episodes are the batch every command plays (:func:`~detente.strategy.simulate.build_episodes`,
same seed and count: the same draws of every uncertain judgment). Within an episode the types
are summed exactly, weighted by the episode's (normalised) priors, rather than drawn, so::

    L_e = Σ_k π_{e,k} Π_t P_{e,k,t},        L = (1/n) Σ_e L_e,

computed in logs (``log mean exp``), with the delta-method Monte Carlo standard error
``se(log L) = sd(L_e) / (√n · L)``. The posterior over worldviews from equal prior odds is
``L_w / Σ L_w``; over types within a worldview ``Σ_e π_{e,k} L_{e,k} / Σ_e L_e``.

The probability of no talks is the product of the monthly hazards of *opening* talks from a
standstill along the recorded path, ``Π_t (1 − h_t)``, with ``h_t`` the probability of a move
that sets ``talks`` while talks are closed (0 in a month that starts with talks open), averaged
over episodes and types like ``L``.

Vetoes and institutional limits change only what the coalition intended; the record gives the
move that was made, so they are not applied (nor their cohesion costs charged). Every other
chance of the game (probabilistic effects, third parties) is drawn from the game's own streams
in the pattern of a played episode and so integrated over by the average over episodes.

Blocks: the episodes of a batch can be played in windows (:func:`record_paths` with
``window``), each exactly as the whole batch plays it, and joined (:func:`join_paths`) before
they are scored (:func:`score`): ``detente hindcast`` plays blocks of episodes in parallel and
keeps them for ``--resume`` (:mod:`detente.analysis.hindcast_run`) with the one batch's result,
bit for bit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from detente.scenario.game import GameSpec, quantities
from detente.scenario.hindcast import MappedRecord, RecordSpec, map_record
from detente.scenario.yamlsafe import PathKey
from detente.strategy.engine import FloatArray
from detente.strategy.game import CoalitionGame
from detente.strategy.simulate import episode_seeds, episode_values

#: months listed as the most surprising, per worldview
N_SURPRISING = 5


@dataclass(frozen=True)
class MonthFit:
    """One month of the record under one worldview."""

    month: str
    coalition: str
    target: str
    #: the mean over episodes and types (prior weights) of P(what the target did)
    p_mean: float
    #: the one-step-ahead predictive P(this month | the record before it): the factors of L
    p_sequential: float


@dataclass(frozen=True)
class TypeFit:
    type: str
    prior: float  #: the mean over episodes of the normalised prior
    posterior: float
    log_likelihood: float  #: log mean_e Π_t P_{e,k,t} (the record if the target were this type)


@dataclass(frozen=True)
class Hindcast:
    """The record under one worldview (``None``: the base scenario)."""

    worldview: str | None
    months: tuple[str, ...]
    episodes: int
    seed: int
    log_likelihood: float
    mc_se: float  #: delta-method Monte Carlo standard error of ``log_likelihood``
    ess: float  #: effective number of episodes, (Σ L_e)² / Σ L_e²
    p_no_talks: float
    p_no_talks_se: float
    types: tuple[TypeFit, ...]
    month_fits: tuple[MonthFit, ...]
    #: the worldview's information date (``Worldview.as_of``): the months before it are
    #: history, played but not scored
    as_of: str | None = None

    def surprising(self, n: int = N_SURPRISING) -> list[MonthFit]:
        """The ``n`` months whose recorded move had the lowest mean probability (ties by date)."""
        order = sorted(range(len(self.month_fits)), key=lambda i: (self.month_fits[i].p_mean, i))
        return [self.month_fits[i] for i in order[:n]]


class RecordMoves(Protocol):
    """What the play and the scores read of a mapped record (:class:`MappedRecord`, or
    :class:`Moves`): each month's recorded moves."""

    @property
    def months(self) -> tuple[str, ...]: ...

    @property
    def coalition(self) -> tuple[str, ...]: ...

    @property
    def target(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Moves:
    """A record's months and moves alone (a plain value, sent to worker processes and Ray)."""

    months: tuple[str, ...]
    coalition: tuple[str, ...]
    target: tuple[str, ...]

    @classmethod
    def of(cls, mapped: RecordMoves) -> Moves:
        return cls(tuple(mapped.months), tuple(mapped.coalition), tuple(mapped.target))


@dataclass(frozen=True)
class _Paths:
    """Per (episode, type) log-probabilities: ``logp[e, k, t]`` of the recorded move, and
    ``log_stay[e, k, t]`` of not opening talks in month t."""

    prior: FloatArray  # (n, K)
    logp: FloatArray  # (n, K, T)
    log_stay: FloatArray  # (n, K, T)


def _lme(x: FloatArray, axis: int = 0) -> FloatArray:
    """log mean exp along ``axis`` (stable; −inf where every term is −inf)."""
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.mean(np.exp(x - m), axis=axis, keepdims=True)) + m
    return np.asarray(np.squeeze(out, axis=axis))


def check_window(game: GameSpec, mapped: RecordMoves) -> None:
    """ValueError unless the record's window starts with the game (a hindcast plays the game
    from its first month)."""
    if mapped.months[0] != game.start:
        raise ValueError(
            f"the record's window starts in {mapped.months[0]}, the game in {game.start}: "
            "a hindcast plays the game from its first month, so they must agree"
        )


def record_paths(
    game: GameSpec,
    mapped: RecordMoves,
    seed: int,
    episodes: int,
    window: tuple[int, int] | None = None,
) -> _Paths:
    """Play the game forced to the record, every episode × every type (one block each).

    ``window=(start, stop)``: only episodes ``start … stop − 1`` of the batch of ``episodes``,
    each exactly as the whole batch plays it — its draws of every judgment (the per-path
    streams: :func:`~detente.strategy.simulate.episode_values`) and its chance (the game's
    streams moved past the other episodes: :class:`~detente.strategy.engine.TiledUniforms`'
    window) — so the windows of a batch, played apart and joined (:func:`join_paths`), are the
    whole batch's paths, bit for bit.
    """
    check_window(game, mapped)
    start, stop = window if window is not None else (0, episodes)
    if not 0 <= start < stop <= episodes:
        raise ValueError(f"episodes {start}..{stop - 1} are not within a batch of {episodes}")
    values = episode_values(game, seed, start, stop)
    k_types = len(game.types)
    n = stop - start
    big = n * k_types
    draws = {p: np.tile(values[:, c], k_types) for c, (p, _q) in enumerate(quantities(game))}
    types = np.repeat(np.arange(k_types, dtype=np.int64), n)
    # every type's block of n episodes shares the game's chance (the chance a played episode j
    # of each type sees: TiledUniforms with the batch's period, in the window)
    game_seed, _ = episode_seeds(seed)
    g = CoalitionGame(game, draws, types, game_seed, chance_period=episodes, chance_window=window)
    g.reset(big)
    ci, ti = g.c_index, g.t_index
    opens = np.array(
        [
            any(e.state == "talks" and e.op == "set" and e.value.point() > 0.5 for e in m.effects)
            for m in game.target_moves
        ]
    )
    rows = np.arange(big)
    n_months = len(mapped.months)
    logp = np.zeros((big, n_months))
    log_stay = np.zeros((big, n_months))
    for t in range(n_months):
        a = np.full(big, ci[mapped.coalition[t]], dtype=np.int64)
        b = np.full(big, ti[mapped.target[t]], dtype=np.int64)
        p_true, p_mis = g._month_responses(t)
        last = g.last_a
        misread = (last >= 0) & (g.c_mis[np.maximum(last, 0)] != last)
        e = g.e_target
        pt, pm = p_true[rows, types], p_mis[rows, types]  # (big, Mt)
        mixed = np.where(misread[:, None], (1.0 - e)[:, None] * pt + e[:, None] * pm, pt)
        talks_open = g.state["talks"] > 0.5
        with np.errstate(divide="ignore"):
            logp[:, t] = np.log(mixed[rows, b])
            h = np.where(talks_open, 0.0, mixed[:, opens].sum(axis=1))
            log_stay[:, t] = np.log1p(-np.minimum(h, 1.0))
        # the game's chance in a played episode's pattern: the target's draw, the vetoes' and
        # limits' (not applied: the record gives the move made), both perceptions
        g.rng.random(big)
        for _ in g.vetoes:
            g.veto_rng.random(big)
        for _ in g.limits:
            g.limit_rng.random(big)
        g.rng.random((2, big))
        g.step(t, a, b, a, b)
    prior = np.asarray(g.truth.prior[:n], dtype=np.float64)

    def by_type(x: FloatArray) -> FloatArray:
        return np.asarray(x.reshape(k_types, n, n_months).transpose(1, 0, 2))

    return _Paths(prior=prior, logp=by_type(logp), log_stay=by_type(log_stay))


def join_paths(parts: Sequence[_Paths]) -> _Paths:
    """The paths of consecutive windows of a batch as :func:`record_paths` gives the whole batch:
    the same values in the same memory layout (per type, then per episode), so the sums and
    means over episodes of :func:`score` are the whole batch's to the last bit."""
    if not parts:
        raise ValueError("no paths to join")
    n = sum(p.prior.shape[0] for p in parts)
    _, k_types, n_months = parts[0].logp.shape
    logp = np.empty((k_types, n, n_months))
    log_stay = np.empty((k_types, n, n_months))
    row = 0
    for p in parts:
        m = p.prior.shape[0]
        logp[:, row : row + m] = p.logp.transpose(1, 0, 2)
        log_stay[:, row : row + m] = p.log_stay.transpose(1, 0, 2)
        row += m
    prior = np.concatenate([p.prior for p in parts], axis=0)
    return _Paths(prior=prior, logp=logp.transpose(1, 0, 2), log_stay=log_stay.transpose(1, 0, 2))


def first_scored(game: GameSpec, mapped: RecordMoves, score_from: str | None = None) -> int:
    """The index of the first month :func:`score` scores: the worldview's date (a dated game's
    history), or ``score_from`` when later."""
    first = game.history.months if game.history is not None else 0
    if score_from is not None:
        first = max(first, game.month_index(score_from))
    if not 0 <= first < len(mapped.months):
        raise ValueError(f"nothing to score: the record ends {mapped.months[-1]}")
    return first


def hindcast(
    game: GameSpec,
    mapped: MappedRecord,
    seed: int,
    episodes: int,
    worldview: str | None = None,
    score_from: str | None = None,
) -> Hindcast:
    """The record's likelihood, the types' posterior and the months' fit under one game.

    A game with a worldview's date (``game.history``) plays the months before it as history
    (the state evolves from the record) and scores the record from the date on; ``score_from``
    scores from a later month still (the common months of worldviews with different dates).
    The episodes are played in one batch here; ``detente hindcast`` plays them in blocks
    (:mod:`detente.analysis.hindcast_run`) and scores the joined paths, with the same result.
    """
    full = record_paths(game, mapped, seed, episodes)
    return score(game, mapped, full, seed, episodes, worldview, score_from)


def score(
    game: GameSpec,
    mapped: RecordMoves,
    full: _Paths,
    seed: int,
    episodes: int,
    worldview: str | None = None,
    score_from: str | None = None,
) -> Hindcast:
    """:func:`hindcast` from the paths of its ``episodes`` (:func:`record_paths` of the whole
    batch, or :func:`join_paths` of its windows)."""
    first = first_scored(game, mapped, score_from)
    paths = _Paths(full.prior, full.logp[:, :, first:], full.log_stay[:, :, first:])
    months = mapped.months[first:]
    n = episodes
    with np.errstate(divide="ignore"):
        log_prior = np.log(paths.prior)
    ll_ek = paths.logp.sum(axis=2)  # (n, K)
    ll_e = _lme(ll_ek + log_prior, axis=1) + np.log(ll_ek.shape[1])  # log Σ_k π L_ek
    ll = float(_lme(ll_e))
    se, ess = _mc_error(ll_e)
    stay_e = np.exp(_lme(paths.log_stay.sum(axis=2) + log_prior, axis=1) + np.log(len(game.types)))
    p_no_talks = float(stay_e.mean())
    p_no_talks_se = float(stay_e.std(ddof=1) / np.sqrt(n)) if n > 1 else 0.0
    types = []
    for k, t in enumerate(game.types):
        joint = _lme(ll_ek[:, k] + log_prior[:, k])
        post = float(np.exp(joint - ll)) if np.isfinite(ll) else float("nan")
        types.append(
            TypeFit(
                type=t.id,
                prior=float(paths.prior[:, k].mean()),
                posterior=post,
                log_likelihood=float(_lme(ll_ek[:, k])),
            )
        )
    # months: the prior-weighted mean probability, and the one-step-ahead predictive
    p = np.exp(paths.logp)  # (n, K, T)
    p_mean = (p * paths.prior[:, :, None]).sum(axis=1).mean(axis=0)
    cum = np.cumsum(paths.logp, axis=2)
    before = np.concatenate([np.zeros((*cum.shape[:2], 1)), cum[:, :, :-1]], axis=2)
    lw = before + log_prior[:, :, None]  # log weight of (e, k) given the months before t
    num = _lme(_lme(lw + paths.logp, axis=1), axis=0)
    den = _lme(_lme(lw, axis=1), axis=0)
    with np.errstate(invalid="ignore"):
        p_seq = np.exp(num - den)
    fits = tuple(
        MonthFit(
            month=m,
            coalition=mapped.coalition[first + i],
            target=mapped.target[first + i],
            p_mean=float(p_mean[i]),
            p_sequential=float(p_seq[i]),
        )
        for i, m in enumerate(months)
    )
    return Hindcast(
        worldview=worldview,
        months=months,
        episodes=episodes,
        seed=seed,
        log_likelihood=ll,
        mc_se=se,
        ess=ess,
        p_no_talks=p_no_talks,
        p_no_talks_se=p_no_talks_se,
        types=tuple(types),
        month_fits=fits,
        as_of=game.as_of,
    )


def _mc_error(ll_e: FloatArray) -> tuple[float, float]:
    """Delta-method standard error of log mean(L_e) and the effective sample size."""
    n = ll_e.shape[0]
    m = float(np.max(ll_e))
    if not np.isfinite(m):
        return float("nan"), 0.0
    w = np.exp(ll_e - m)
    mean = float(w.mean())
    se = float(w.std(ddof=1) / (np.sqrt(n) * mean)) if n > 1 else 0.0
    ess = float(w.sum() ** 2 / (w**2).sum())
    return se, ess


def worldview_posterior(results: Sequence[Hindcast]) -> dict[str, float]:
    """P(worldview | record) from equal prior odds, keyed by worldview id (``base`` for None)."""
    ll = np.array([r.log_likelihood for r in results])
    if not np.isfinite(ll).any():
        return {_name(r): float("nan") for r in results}
    w = np.exp(ll - ll.max())
    w = w / w.sum()
    return {_name(r): float(x) for r, x in zip(results, w, strict=True)}


def _name(r: Hindcast) -> str:
    return r.worldview or "base"


def label(r: Hindcast) -> str:
    """The worldview's name with its information date, as tables print it."""
    return f"{_name(r)} (as of {r.as_of})" if r.as_of else _name(r)


def common_start(results: Sequence[Hindcast]) -> str | None:
    """The first month every result scores, when the results score different months (their
    worldviews' dates differ); None when they all score the same months."""
    firsts = {r.months[0] for r in results}
    return max(firsts) if len(firsts) > 1 else None


def payload(
    scenario_id: str,
    spec: RecordSpec,
    mapped: MappedRecord,
    results: Sequence[Hindcast],
    seed: int,
    episodes: int,
    common: Sequence[Hindcast] | None = None,
) -> dict[str, object]:
    """The JSON of ``detente hindcast``. ``common``: the same worldviews scored on their common
    months (:func:`common_start`), from which the posterior over worldviews then comes (their
    own windows differ, so their likelihoods are of different data)."""
    post = worldview_posterior(common if common else results)
    dated = any(r.as_of is not None for r in results)
    out: dict[str, object] = {
        "scenario": scenario_id,
        "seed": seed,
        "episodes": episodes,
        "record": {
            "file": spec.file,
            "start": spec.start,
            "end": spec.end,
            "months": [
                {
                    "month": m,
                    "coalition": mapped.coalition[i],
                    "target": mapped.target[i],
                    "coalition_basis": spec.coalition[mapped.coalition_rule[i]].basis,
                    "target_basis": spec.target[mapped.target_rule[i]].basis,
                }
                for i, m in enumerate(mapped.months)
            ],
        },
        "posterior": post,
        "worldviews": [
            {
                "worldview": _name(r),
                **({"as_of": r.as_of, "scored": [r.months[0], r.months[-1]]} if dated else {}),
                "log_likelihood": r.log_likelihood,
                "mc_se": r.mc_se,
                "ess": r.ess,
                "p_no_talks": r.p_no_talks,
                "p_no_talks_se": r.p_no_talks_se,
                "posterior": post[_name(r)],
                "types": [t.__dict__ for t in r.types],
                "surprising": [m.__dict__ for m in r.surprising()],
                "months": [m.__dict__ for m in r.month_fits],
            }
            for r in results
        ],
    }
    if common:
        out["posterior_window"] = [common[0].months[0], common[0].months[-1]]
        out["common"] = [
            {
                "worldview": _name(r),
                "log_likelihood": r.log_likelihood,
                "mc_se": r.mc_se,
                "p_no_talks": r.p_no_talks,
                "p_no_talks_se": r.p_no_talks_se,
            }
            for r in common
        ]
    return out


def load_mapped(
    spec: RecordSpec, scenario_file: str | Path, lines: dict[PathKey, int] | None = None
) -> MappedRecord:
    """:func:`detente.scenario.hindcast.map_record` (re-exported for the command's use)."""
    return map_record(spec, scenario_file, lines)
