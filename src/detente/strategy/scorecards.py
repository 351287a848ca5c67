"""Scorecards: the strategies compared from a named point of view (``game.scorecards``).

A scorecard (:class:`~detente.scenario.game.Scorecard`) names the metrics one point of view
cares about, each with a *swing weight* (a cited or assumed Quantity) and optionally its own
direction. This module owns the rule that turns a scorecard and a batch of episodes into a
ranking, and the rows a command prints. There is no default scorecard and no "best" strategy
outside one: a strategy wins only on a scorecard the scenario names.

The rule (documented in ``docs/models/strategy-game.md``, "Scorecards"), for the strategies
compared, all played on the same episodes (common random numbers):

1. each metric's mean per strategy (with its 95% interval, as the strategies table);
2. each metric *normalised by its range across the strategies*: the worst strategy's mean
   (by the scorecard's direction) scores 0, the best's 1, the others their share of the way
   (a metric on which every strategy has the same mean scores 0 for each: it separates none);
3. the score: the weighted mean of the normalised metrics, weights normalised to sum to 1
   (in each episode, so an uncertain weight is drawn like every other judgment). Computed per
   episode with the range fixed by step 2, so its mean is the weighted sum of step 2's values
   when the weights are fixed, and it has a Monte Carlo interval;
4. the ranking by score, and each strategy's paired gap to the next one down (the same
   episodes), so a reader sees whether an order is beyond Monte Carlo noise.

This is the additive value model with swing weights of decision analysis (von Winterfeldt &
Edwards 1986, ch. 8; Edwards & Barron 1994): a weight says how much the view values moving
that metric from the worst to the best of the strategies on the table. Its known limit: the
scores depend on which strategies are compared (the range does), so the table always shows
the per-metric means next to the score.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from detente.scenario.game import GameSpec, Scorecard
from detente.strategy.metrics import MIX, Metric, metric
from detente.strategy.simulate import _Z95, Episodes, _summarise, simulate

SCORE = "score"
COLUMNS = (
    "scorecard",
    "type",
    "strategy",
    "rank",
    "metric",
    "better",
    "weight",
    "mean",
    "lo",
    "hi",
    "normalised",
    "gap",
    "gap_lo",
    "gap_hi",
)


def scorecard(game: GameSpec, card: str | Scorecard) -> Scorecard:
    """The game's scorecard of that id (a Scorecard passes through when it is the game's)."""
    cid = card if isinstance(card, str) else card.id
    found = next((c for c in game.scorecards if c.id == cid), None)
    if found is None:
        known = ", ".join(c.id for c in game.scorecards) or "none"
        raise KeyError(f"unknown scorecard {cid!r} (the game's scorecards: {known})")
    return found


def weight_path(card: Scorecard, name: str) -> str:
    """The scenario path of a scorecard metric's weight (a worldview may override it)."""
    return f"game.scorecards.{card.id}.metrics.{name}.weight"


def direction(card: Scorecard, name: str) -> str:
    """``higher`` or ``lower``: the scorecard's override, else the metric registry's."""
    return card.metrics[name].better or metric(name).better


def normalise(
    values: np.ndarray, means: Sequence[float], better: str
) -> tuple[np.ndarray, float, float]:
    """``values`` (per strategy × episode) on the 0 (worst mean) .. 1 (best mean) scale, with
    the worst and best means. Zero range: 0 everywhere (the metric separates no strategy)."""
    worst, best = (min(means), max(means)) if better == "higher" else (max(means), min(means))
    span = best - worst
    if span == 0:
        return np.zeros_like(values, dtype=np.float64), worst, best
    return (np.asarray(values, dtype=np.float64) - worst) / span, worst, best


def _normal(values: np.ndarray) -> tuple[float, float, float]:
    n = values.shape[0]
    mean = float(values.mean())
    half = _Z95 * float(values.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
    return mean, mean - half, mean + half


#: the strategies' played metrics, per strategy id (what :func:`simulate` returns)
Played = dict[str, dict[str, np.ndarray]]


def _prepare(
    game: GameSpec,
    episodes: Episodes,
    card: str | Scorecard,
    type_id: str,
    strategies: Sequence[str] | None,
    played: Played | None = None,
) -> tuple[Scorecard, list[str], list[str], list[dict[str, np.ndarray]], np.ndarray]:
    """What both scoring functions start from: the scorecard, its metric names, the strategy
    ids, each strategy's played metrics (``played`` when given, so several scorecards share one
    play of the same episodes) and the per-episode weights normalised to sum to 1."""
    sc = scorecard(game, card)
    names = list(sc.metrics)
    ids = list(strategies) if strategies is not None else [s.id for s in game.strategies]
    if len(ids) < 1:
        raise ValueError("a scorecard compares at least one strategy")
    if played is None:
        played = {sid: simulate(game, episodes, sid, type_id) for sid in ids}
    runs = [played[sid] for sid in ids]
    missing = [m for m in names if m not in runs[0]]
    if missing:
        raise KeyError(f"the game reports no metric {', '.join(missing)}")
    raw_w = np.stack([episodes.draws[weight_path(sc, m)] for m in names])  # (metrics, n)
    total = raw_w.sum(axis=0)
    w = np.divide(raw_w, total, out=np.zeros_like(raw_w), where=total > 0)
    return sc, names, ids, runs, w


def scorecard_table(
    game: GameSpec,
    episodes: Episodes,
    card: str | Scorecard,
    type_id: str = MIX,
    strategies: Sequence[str] | None = None,
    played: Played | None = None,
) -> pd.DataFrame:
    """The strategies on one scorecard: a row per (strategy, metric) and a ``score`` row per
    strategy, ranked (rank 1 first). Columns :data:`COLUMNS`: ``weight`` is the metric's
    point weight as a share of the scorecard's; ``normalised`` the mean on the 0..1 scale of
    the rule (the score itself on the score row); ``gap``/``gap_lo``/``gap_hi`` (score rows)
    the paired score difference to the next-ranked strategy and its 95% interval.

    Every strategy plays ``episodes`` (build them with
    :func:`~detente.strategy.simulate.build_episodes`), so the comparison is on common random
    numbers. ``strategies`` defaults to all of the game's. ``played`` (per strategy id, what
    :func:`~detente.strategy.simulate.simulate` returned on ``episodes`` against ``type_id``)
    saves playing them again.
    """
    sc, names, ids, runs, w = _prepare(game, episodes, card, type_id, strategies, played)
    points = np.array([sc.metrics[m].weight.point() for m in names])
    shares = points / points.sum() if points.sum() > 0 else points
    per_metric: dict[str, tuple[Metric, str, np.ndarray, np.ndarray]] = {}
    score = np.zeros((len(ids), w.shape[1]))
    for i, name in enumerate(names):
        values = np.stack([np.asarray(r[name], dtype=np.float64) for r in runs])
        better = direction(sc, name)
        z, _, _ = normalise(values, [float(v.mean()) for v in values], better)
        per_metric[name] = (metric(name), better, values, z)
        score += w[i] * z
    means = score.mean(axis=1)
    order = sorted(range(len(ids)), key=lambda k: (-means[k], k))
    rank = {k: 1 + sum(1 for j in range(len(ids)) if means[j] > means[k]) for k in order}
    rows: list[dict[str, object]] = []
    for pos, k in enumerate(order):
        mean, lo, hi = _normal(score[k])
        gap = (np.nan, np.nan, np.nan)
        if pos + 1 < len(order):
            gap = _normal(score[k] - score[order[pos + 1]])
        common = {"scorecard": sc.id, "type": type_id, "strategy": ids[k], "rank": rank[k]}
        rows.append(
            {
                **common,
                "metric": SCORE,
                "better": "higher",
                "weight": 1.0,
                "mean": mean,
                "lo": lo,
                "hi": hi,
                "normalised": mean,
                "gap": gap[0],
                "gap_lo": gap[1],
                "gap_hi": gap[2],
            }
        )
        for i, name in enumerate(names):
            m, better, values, z = per_metric[name]
            s = _summarise(values[k], m.binary)
            rows.append(
                {
                    **common,
                    "metric": name,
                    "better": better,
                    "weight": float(shares[i]),
                    "mean": s["mean"],
                    "lo": s["lo"],
                    "hi": s["hi"],
                    "normalised": float(z[k].mean()),
                    "gap": np.nan,
                    "gap_lo": np.nan,
                    "gap_hi": np.nan,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def scorecard_scores(
    game: GameSpec,
    episodes: Episodes,
    card: str | Scorecard,
    type_id: str = MIX,
    strategies: Sequence[str] | None = None,
    played: Played | None = None,
) -> tuple[list[str], np.ndarray]:
    """The strategies' per-episode scores on one scorecard: ``(ids, scores)`` with ``scores``
    of shape ``(strategies, episodes)``, by the rule of :func:`scorecard_table` (its score rows'
    means are these rows' means).

    ``strategies`` defaults to all of the game's, and the range normalisation is across them:
    a strategy's score, and so a difference of two strategies' scores, depends on which others
    are compared. When ``episodes`` is a sensitivity batch (``period`` set and several blocks of
    ``period`` episodes, one design row each), each block is normalised by its own range, as if
    each row were a separate run.
    """
    sc, names, ids, runs, w = _prepare(game, episodes, card, type_id, strategies, played)
    n = w.shape[1]
    period = episodes.period or n
    blocks = n // period if n % period == 0 else 1
    size = n // blocks
    score = np.zeros((len(ids), n))
    for i, name in enumerate(names):
        values = np.stack([np.asarray(r[name], dtype=np.float64) for r in runs])
        better = direction(sc, name)
        for b in range(blocks):
            part = values[:, b * size : (b + 1) * size]
            z, _, _ = normalise(part, [float(v.mean()) for v in part], better)
            score[:, b * size : (b + 1) * size] += w[i, b * size : (b + 1) * size] * z
    return ids, score


def scorecard_tables(
    game: GameSpec, episodes: Episodes, type_id: str = MIX
) -> dict[str, pd.DataFrame]:
    """Every scorecard of the game on the same episodes, each strategy played once for all of
    them (none: an empty mapping — there is no default scorecard)."""
    if not game.scorecards:
        return {}
    played = {s.id: simulate(game, episodes, s.id, type_id) for s in game.strategies}
    return {
        c.id: scorecard_table(game, episodes, c, type_id, played=played) for c in game.scorecards
    }


def scorecard_heading(card: Scorecard) -> str:
    """The scorecard's label and basis, as a table title ("Cato — source: cato, …")."""
    if card.source is not None:
        basis = "source: " + ", ".join(ref.doc for ref in card.sources())
    elif card.data is not None:
        basis = f"data: {card.data.doc}"
    else:
        basis = f"assumption: {card.assumption}"
    return f"scorecard {card.id}: {card.label} ({basis})"


def scorecard_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header and the printed rows of one :func:`scorecard_table` frame: rank, strategy,
    score [interval], gap to the next, then each metric's ``mean [lo, hi]`` (its header the
    label, the direction and the weight share)."""
    metric_rows = frame[frame["metric"] != SCORE]
    names = list(dict.fromkeys(metric_rows["metric"]))
    first = metric_rows.drop_duplicates("metric")
    better = dict(zip(first["metric"], first["better"], strict=True))
    share = dict(zip(first["metric"], first["weight"].astype(float), strict=True))
    header = ["rank", "strategy", "score", "gap to next"]
    for name in names:
        arrow = "↑" if better[name] == "higher" else "↓"
        header.append(f"{metric(name).label} {arrow} w={share[name]:.2f}")
    rows: list[list[str]] = []
    for sid in dict.fromkeys(frame["strategy"]):
        sub = frame[frame["strategy"] == sid].set_index("metric")
        top = sub.loc[SCORE]
        gap = (
            "—"
            if np.isnan(float(top["gap"]))
            else f"{top['gap']:+.2f} [{top['gap_lo']:+.2f}, {top['gap_hi']:+.2f}]"
        )
        row = [
            str(int(top["rank"])),
            str(sid),
            f"{top['mean']:.2f} [{top['lo']:.2f}, {top['hi']:.2f}]",
            gap,
        ]
        row += [
            metric(n).cell(float(sub.at[n, "mean"]), float(sub.at[n, "lo"]), float(sub.at[n, "hi"]))
            for n in names
        ]
        rows.append(row)
    return header, rows
