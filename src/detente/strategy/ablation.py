"""Ablation: the effect of each rule of a rule-table strategy, one rule at a time.

A strategy that is a rule table (a :class:`~detente.strategy.strategies.Composed` strategy of
the scenario, or a class listed in :data:`~detente.strategy.strategies.COMPOSITIONS`, such as
PeaceFirst) is played as written and, for each rule it sets, with that one rule replaced by
its neutral counterpart (``hold``): PeaceFirst without its opening declaration is the same
strategy opening with a hold. Every variant plays the same episodes (common random numbers),
so the per-episode difference isolates the rule, and its paired 95% interval (normal, on the
per-episode differences) is far narrower than the two means' own intervals. This is the
one-factor-at-a-time control of an experiment — a "control that differs by one rule"; rules
interact, so the effects need not add up to the strategy's difference from holding throughout
(``docs/models/strategy-game.md``, "Composed strategies and ablation").
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from detente.scenario.game import RULE_EVENTS, RULE_NAMES, GameSpec, Rules
from detente.strategy.metrics import MIX, game_metrics, metric
from detente.strategy.simulate import (
    _Z95,
    build_episodes,
    episode_types,
    play_strategy,
    simulate,
)
from detente.strategy.strategies import COMPOSITIONS, NEUTRAL_ROLE, Composed

COLUMNS = (
    "strategy",
    "type",
    "rule",
    "played",
    "neutral",
    "metric",
    "with_rule",
    "without_rule",
    "effect",
    "lo",
    "hi",
)
_AFTER = "after_declaration."


def rule_table(game: GameSpec, strategy_id: str) -> Rules:
    """The rule table of one of the game's strategies (its ``rules:``, or its class's)."""
    ref = next((s for s in game.strategies if s.id == strategy_id), None)
    if ref is None:
        known = ", ".join(s.id for s in game.strategies)
        raise KeyError(f"unknown strategy {strategy_id!r} (known: {known})")
    if ref.strategy == "Composed":
        return ref.rules or Rules()
    if ref.strategy in COMPOSITIONS and not ref.params:
        return COMPOSITIONS[ref.strategy]
    tables = ", ".join(sorted(COMPOSITIONS))
    raise ValueError(
        f"{strategy_id} ({ref.strategy}) is not a rule table: ablation needs a Composed "
        f"strategy or one of {tables}"
    )


def ablations(rules: Rules) -> list[tuple[str, str, Rules]]:
    """``(rule, role it plays, the table with that rule set to hold)`` for each rule the table
    sets to something other than ``hold`` (a rule it leaves out is already neutral; the rules
    that follow it, e.g. ``progress`` following ``cooperation``, follow it to ``hold``)."""
    out: list[tuple[str, str, Rules]] = []
    for name in RULE_NAMES:
        role = getattr(rules, name)
        if role is not None and role != NEUTRAL_ROLE:
            out.append((name, role, rules.model_copy(update={name: NEUTRAL_ROLE})))
    later = rules.after_declaration
    if later is not None:
        for event in RULE_EVENTS:
            role = getattr(later, event)
            if role is not None and role != NEUTRAL_ROLE:
                changed = later.model_copy(update={event: NEUTRAL_ROLE})
                variant = rules.model_copy(update={"after_declaration": changed})
                out.append((_AFTER + event, role, variant))
    return out


def ablate(
    game: GameSpec,
    strategy_id: str,
    seed: int,
    episodes: int,
    type_id: str = MIX,
    metrics: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The effect of each rule of ``strategy_id`` on each metric: a row per (rule, metric)
    with the strategy's mean (``with_rule``), the variant's (``without_rule``: that rule set
    to ``hold``), ``effect`` = with − without, and its paired 95% interval ``lo``/``hi``, all
    on the episodes of ``build_episodes(game, seed, episodes)``. Columns :data:`COLUMNS`."""
    rules = rule_table(game, strategy_id)
    if NEUTRAL_ROLE not in game.roles:
        raise ValueError(f"ablation plays {NEUTRAL_ROLE!r}: the game binds no move to it")
    names = list(metrics) if metrics is not None else [m.name for m in game_metrics(game)]
    eps = build_episodes(game, seed, episodes)
    base = simulate(game, eps, strategy_id, type_id)
    types = episode_types(game, eps, type_id)
    rows: list[dict[str, object]] = []
    for rule, role, variant in ablations(rules):
        other = play_strategy(game, eps, Composed(rules=variant), types)
        for name in names:
            d = np.asarray(base[name] - other[name], dtype=np.float64)
            n = d.shape[0]
            mean = float(d.mean())
            half = _Z95 * float(d.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
            rows.append(
                {
                    "strategy": strategy_id,
                    "type": type_id,
                    "rule": rule,
                    "played": role,
                    "neutral": NEUTRAL_ROLE,
                    "metric": name,
                    "with_rule": float(np.mean(base[name])),
                    "without_rule": float(np.mean(other[name])),
                    "effect": mean,
                    "lo": mean - half,
                    "hi": mean + half,
                }
            )
    return pd.DataFrame(rows, columns=list(COLUMNS))


def _signed(x: float, digits: int) -> str:
    return f"{x:+.{digits}f}"


def ablation_rows(frame: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """The header and printed rows of an :func:`ablate` frame: one row per rule (``opening:
    declare → hold``), one column per metric with the rule's effect ``+x [lo, hi]``."""
    names = list(dict.fromkeys(frame["metric"]))
    header = ["rule", *(metric(n).label for n in names)]
    rows: list[list[str]] = []
    for rule in dict.fromkeys(frame["rule"]):
        sub = frame[frame["rule"] == rule].set_index("metric")
        first = sub.iloc[0]
        row = [f"{rule}: {first['played']} → {first['neutral']}"]
        for n in names:
            m = metric(n)
            e, lo, hi = (float(sub.at[n, k]) for k in ("effect", "lo", "hi"))
            digits = 2 if m.binary or abs(e) < 10 else 0
            row.append(f"{_signed(e, digits)} [{_signed(lo, digits)}, {_signed(hi, digits)}]")
        rows.append(row)
    return header, rows
