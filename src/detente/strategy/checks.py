"""The checks of a scenario's game that need the strategy registry.

The ``game:`` section's schema and its other checks belong to the scenario format
(:mod:`detente.scenario.game`, :mod:`detente.scenario.validate`); what only this package knows
is which strategy classes exist, which parameters each takes, which roles it plays, whether it
acts on the coalition's belief and whether it takes a rule table; and which metrics the game
reports (the metric registry), which the scorecards name. :func:`check_strategies` is passed
to the scenario loader as a game check (``load_scenario(path,
game_checks=(check_strategies,))``), so its problems are reported with every other one, at their
lines.
"""

from __future__ import annotations

from collections.abc import Callable

from detente.scenario.game import ROLES, GameSpec
from detente.strategy.metrics import metric, metric_names
from detente.strategy.strategies import STRATEGIES, Composed


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
        if s.rules is not None and not issubclass(cls, Composed):
            report(f"game.strategies.{s.id}.rules", f"{s.strategy} takes no rules (Composed does)")
            continue
        for role in cls.roles_for(s.rules):
            if role not in game.roles and role in ROLES:  # an unknown role: check_game's
                report(f"game.strategies.{s.id}", f"{s.strategy} needs role {role!r} in game.roles")
        if cls.classifier.get("uses_belief") and not any(t.trustworthy for t in game.types):
            report(
                f"game.strategies.{s.id}",
                f"{s.strategy} acts on P(trustworthy), but no type has `trustworthy: true`",
            )
    check_scorecards(game, report)


def check_scorecards(game: GameSpec, report: Callable[[str, str], None]) -> None:
    """Report every scorecard metric the registry does not know or the game does not report
    (called by :func:`check_strategies`, so every front door runs it)."""
    reported = metric_names(game)
    headline = game.metrics.headline
    if headline is not None and headline.metric not in reported:
        report(
            "game.metrics.headline.metric",
            f"unknown metric {headline.metric!r} (known: {', '.join(reported)})",
        )
    for card in game.scorecards:
        for name in card.metrics:
            path = f"game.scorecards.{card.id}.metrics.{name}"
            try:
                metric(name)
            except KeyError as exc:
                report(path, str(exc.args[0]))
                continue
            if name not in reported:
                report(path, f"this game reports no {name!r} (it reports: {', '.join(reported)})")
