"""Monte Carlo over the coalition game: every strategy against every type and the type mix.

One way to build a batch's shared randomness (:func:`build_episodes`), used by every command
that plays the game (``detente strategies``, ``compare --strategies``, ``cruxes``,
``sensitivity``, the report and the web explorer), so the same scenario, seed and episode count
give the same numbers everywhere. Each episode draws every uncertain Quantity of the game once,
through its inverse CDF from a counter-based stream keyed by the Quantity's scenario path
(:func:`detente.uncertainty.sampling.path_uniforms`, the Monte Carlo sampler's streams): draw
``j`` of a judgment depends only on (seed, ``j``, its path), not on which other judgments are
uncertain, so two worldviews with the same seed pair episode by episode. The target's type for
the ``mix`` rows comes from one more such stream (one uniform per episode, mapped through that
episode's normalised priors); the game's own chance and the players' come from two generators
spawned from the seed. Every (strategy, type) cell reuses the same episodes, so the cells differ
only by strategy and type (common random numbers) and differences between strategies are
estimated far more precisely than the cells themselves.

Intervals: ``lo``/``hi`` are 95% Monte Carlo intervals for the mean — Wilson score intervals
for probabilities, normal intervals (mean ± 1.96 sd/√n) for counts and levels (the metric's
``kind`` in :mod:`detente.strategy.metrics`); ``p05``/``p95`` are the 5th and 95th percentiles
of the per-episode values (the spread that parameter uncertainty, type and chance produce).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from detente.scenario.game import GameSpec, StrategyRef, quantities
from detente.strategy.engine import FloatArray, IntArray, TiledUniforms, Uniforms, play
from detente.strategy.game import CoalitionGame, TypedTarget, coalition_player
from detente.strategy.metrics import MIX, game_metrics
from detente.strategy.strategies import STRATEGIES, Composed, Strategy
from detente.uncertainty.dependence import game_dependence, values_from_uniforms
from detente.uncertainty.sampling import path_uniforms

#: the stream of the mix's type draw (a name no scenario path can take)
TYPE_PATH = "game.__type__"
_Z95 = 1.959963984540054


@dataclass
class Episodes:
    """The shared randomness of one Monte Carlo batch (reused by every cell)."""

    draws: dict[str, FloatArray]
    mix_types: IntArray
    game_seed: np.random.SeedSequence
    player_seed: np.random.SeedSequence
    #: when set, every block of ``period`` episodes replays the same chance (game and players);
    #: :func:`build_episodes` sets it to its ``episodes`` (one block unless ``repeat`` > 1)
    period: int | None = None
    #: per-episode values the coalition believes judgments have (see
    #: :class:`~detente.strategy.game.CoalitionGame`); None: the spec's point values
    beliefs: dict[str, FloatArray] | None = None


def build_episodes(
    game: GameSpec,
    seed: int,
    episodes: int,
    fixed: dict[str, FloatArray] | None = None,
    repeat: int = 1,
) -> Episodes:
    """Shared randomness for ``repeat × episodes`` episodes on per-path streams (see above).

    ``fixed`` maps paths to ``(repeat,)`` values held for a block of ``episodes`` episodes each
    (a sensitivity design row); the type draws and the game's chance (``period=episodes``) are
    shared by every block. With ``repeat=1`` and no ``fixed`` values it is the batch every
    command plays.
    """
    if episodes < 1:
        raise ValueError("episodes must be >= 1")
    qs = list(quantities(game))
    values = episode_values(game, seed, 0, episodes)
    draws: dict[str, FloatArray] = {}
    for col, (path, _q) in enumerate(qs):
        if fixed is not None and path in fixed:
            draws[path] = np.repeat(np.asarray(fixed[path], dtype=np.float64), episodes)
        else:
            draws[path] = np.tile(values[:, col], repeat)
    prior = np.stack([draws[f"game.types.{t.id}.prior"] for t in game.types], axis=1)
    prior = prior / prior.sum(axis=1, keepdims=True)
    ut = np.tile(path_uniforms([TYPE_PATH], seed, 0, episodes)[:, 0], repeat)
    mix = np.minimum((ut[:, None] > np.cumsum(prior, axis=1)).sum(axis=1), len(game.types) - 1)
    g_ss, s_ss = episode_seeds(seed)
    return Episodes(draws, mix.astype(np.int64), g_ss, s_ss, period=episodes)


def episode_seeds(seed: int) -> tuple[np.random.SeedSequence, np.random.SeedSequence]:
    """The seeds of a batch's game chance and of its players' (:attr:`Episodes.game_seed`,
    :attr:`Episodes.player_seed`): the two children of ``SeedSequence(seed)``."""
    g_ss, s_ss = np.random.SeedSequence(seed).spawn(2)
    return g_ss, s_ss


def episode_values(game: GameSpec, seed: int, start: int, stop: int) -> FloatArray:
    """The game's uncertain judgments in episodes ``start … stop − 1`` of a batch,
    ``(stop − start, P)`` with the columns in :func:`~detente.scenario.game.quantities` order:
    the rows of :func:`build_episodes`' draws, whatever the batch's size (the per-path streams
    give draw ``j`` from ``(seed, j, path)`` alone, and the groups act on each row alone)."""
    qs = list(quantities(game))
    u = path_uniforms([p for p, _ in qs], seed, start, stop)
    return values_from_uniforms(qs, u, game_dependence(game))


def make_strategy(ref: StrategyRef, draws: dict[str, FloatArray]) -> Strategy:
    cls = STRATEGIES[ref.strategy]
    params = {p: draws[f"game.strategies.{ref.id}.params.{p}"] for p in ref.params}
    if ref.rules is not None:
        if not issubclass(cls, Composed):
            raise ValueError(f"{ref.strategy} takes no rules (only Composed does)")
        return cls(rules=ref.rules, **params)
    return cls(**params)


def simulate(
    game: GameSpec, eps: Episodes, strategy_id: str, type_id: str = MIX
) -> dict[str, FloatArray]:
    """Per-episode outcomes of one strategy against one type (or the worldview's mix)."""
    ref = next((s for s in game.strategies if s.id == strategy_id), None)
    if ref is None:
        known = ", ".join(s.id for s in game.strategies)
        raise KeyError(f"unknown strategy {strategy_id!r} (known: {known})")
    types = episode_types(game, eps, type_id)
    return play_strategy(game, eps, make_strategy(ref, eps.draws), types)


def play_strategy(
    game: GameSpec, eps: Episodes, coalition: Strategy, types: IntArray
) -> dict[str, FloatArray]:
    """Per-episode outcomes of the coalition playing ``coalition`` against ``types`` (one type
    index per episode) on the episodes ``eps``: what :func:`simulate` plays for a strategy of
    the game, open to a strategy built here (an ablation's variant, on the same episodes)."""
    n = eps.mix_types.shape[0]
    g = CoalitionGame(
        game, eps.draws, types, eps.game_seed, chance_period=eps.period, beliefs=eps.beliefs
    )

    def player_rng() -> Uniforms:
        gen = np.random.default_rng(eps.player_seed)
        return TiledUniforms(gen, eps.period) if eps.period else gen

    rngs = (player_rng(), player_rng())
    play(g, (coalition_player(coalition, g), TypedTarget(g)), n, rngs)
    return g.outcomes()


def episode_types(game: GameSpec, eps: Episodes, type_id: str = MIX) -> IntArray:
    """The type index of each episode: the mix's draw, or ``type_id`` in every episode."""
    if type_id == MIX:
        return eps.mix_types
    ids = [t.id for t in game.types]
    if type_id not in ids:
        raise KeyError(f"unknown type {type_id!r} (known: {', '.join(ids)}, {MIX})")
    return np.full(eps.mix_types.shape[0], ids.index(type_id), dtype=np.int64)


def _summarise(values: FloatArray, binary: bool) -> dict[str, float]:
    """Mean, its 95% interval (Wilson when ``binary``, else normal), sd, p05, p95, n."""
    n = values.shape[0]
    mean = float(values.mean())
    sd = float(values.std(ddof=1)) if n > 1 else 0.0
    if binary:
        # Wilson score interval (Wilson 1927): sensible at 0 and 1, unlike mean ± z·se
        z2 = _Z95**2
        centre = (mean + z2 / (2 * n)) / (1 + z2 / n)
        half = _Z95 * np.sqrt(mean * (1 - mean) / n + z2 / (4 * n * n)) / (1 + z2 / n)
        # clamp: rounding can put a bound a hair outside [0, 1]
        lo, hi = max(centre - half, 0.0), min(centre + half, 1.0)
    else:
        half = _Z95 * sd / np.sqrt(n)
        lo, hi = mean - half, mean + half
    return {
        "mean": mean,
        "lo": float(lo),
        "hi": float(hi),
        "sd": sd,
        "p05": float(np.quantile(values, 0.05)),
        "p95": float(np.quantile(values, 0.95)),
        "n": float(n),
    }


def run_strategies(
    game: GameSpec,
    seed: int,
    episodes: int,
    strategies: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Tidy table: one row per (strategy, type, metric) with mean, lo, hi, sd, p05, p95, n.

    ``type`` is a type id or ``"mix"`` (types drawn from the worldview's priors). Defaults:
    every strategy in ``game.strategies``, every type and the mix.
    """
    eps = build_episodes(game, seed, episodes)
    strategy_ids = list(strategies) if strategies is not None else [s.id for s in game.strategies]
    type_ids = list(types) if types is not None else [MIX, *(t.id for t in game.types)]
    metrics = game_metrics(game)
    rows: list[dict[str, object]] = []
    for sid in strategy_ids:
        for tid in type_ids:
            out = simulate(game, eps, sid, tid)
            for m in metrics:
                rows.append(
                    {
                        "strategy": sid,
                        "type": tid,
                        "metric": m.name,
                        **_summarise(out[m.name], m.binary),
                    }
                )
    return pd.DataFrame(rows)


def metric_values(
    game: GameSpec,
    eps: Episodes,
    metric: str,
    strategy_a: str,
    strategy_b: str | None = None,
    type_id: str = MIX,
) -> FloatArray:
    """Per-episode values of ``metric`` under ``strategy_a``, minus those under ``strategy_b``
    when given (the same episodes: common random numbers)."""
    a = simulate(game, eps, strategy_a, type_id)
    if metric not in a:
        raise KeyError(f"unknown metric {metric!r} (known: {', '.join(a)})")
    y = np.asarray(a[metric], dtype=np.float64)
    if strategy_b:
        y = y - simulate(game, eps, strategy_b, type_id)[metric]
    return y
