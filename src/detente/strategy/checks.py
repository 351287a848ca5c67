"""The checks of a scenario's game that need the strategy registry.

The ``game:`` section's schema and its other checks belong to the scenario format
(:mod:`detente.scenario.game`, :mod:`detente.scenario.validate`); what only this package knows
is which strategy classes exist, which parameters each takes, which roles it plays and whether
it acts on the coalition's belief. :func:`check_strategies` is passed to the scenario loader as
a game check (``load_scenario(path, game_checks=(check_strategies,))``), so its problems are
reported with every other one, at their lines.
"""

from __future__ import annotations

from collections.abc import Callable

from detente.scenario.game import GameSpec
from detente.strategy.strategies import STRATEGIES


def check_strategies(game: GameSpec, report: Callable[[str, str], None]) -> None:
    """Report, as ``report(field_path, message)``, every strategy of ``game`` that names an
    unknown class or parameter, needs a role the game does not bind, or acts on P(trustworthy)
    when no type is trustworthy."""
    for s in game.strategies:
        cls = STRATEGIES.get(s.strategy)
        if cls is None:
            report(
                f"game.strategies.{s.id}.strategy",
                f"unknown strategy {s.strategy!r} (known: {', '.join(sorted(STRATEGIES))})",
            )
            continue
        for p in s.params:
            if p not in cls.parameters:
                report(f"game.strategies.{s.id}.params.{p}", f"{s.strategy} has no parameter {p!r}")
        for role in cls.classifier.get("roles", ()):
            if role not in game.roles:
                report(f"game.strategies.{s.id}", f"{s.strategy} needs role {role!r} in game.roles")
        if cls.classifier.get("uses_belief") and not any(t.trustworthy for t in game.types):
            report(
                f"game.strategies.{s.id}",
                f"{s.strategy} acts on P(trustworthy), but no type has `trustworthy: true`",
            )
