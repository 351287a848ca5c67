"""What question an analysis asks: the output vocabulary sensitivity, cruxes, report and web share.

An *output* is one scalar (or, for cruxes, one ranking) per evaluation of a scenario:

* ``forecast:ISSUE``: a model's forecast on one issue;
* ``strategy:METRIC[:A[-B]][@TYPE]``: a strategy-game metric's mean under strategy A (minus
  under B when given) against a target type or the worldview's type mix;
* ``strategies[:METRIC]``: the ranking of all the game's strategies by a metric;
* ``scorecard:ID[:A[-B]][@TYPE]``: strategy A's score (minus B's) on the game's scorecard ID
  (:mod:`detente.strategy.scorecards`), or, without strategies, the ranking of all the game's
  strategies by that score. A score is normalised by each metric's range across the strategies
  compared, which are always *all* the scenario's strategies: ``scorecard:hill:a-b`` is the
  difference of a's and b's scores on the full table, not of a two-strategy table.

:func:`parse_output` turns that text into an :class:`OutputSpec`, checking the issue, metric
(from :mod:`detente.strategy.metrics`), strategies and type against the scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from detente.scenario.schema import Scenario
from detente.strategy.metrics import MIX, metric_names

if TYPE_CHECKING:
    from detente.scenario.game import GameSpec

OutputKind = Literal["forecast", "strategy", "ranking"]


def headline_metric(game: GameSpec) -> str:
    """The game's headline metric (``game.metrics.headline.metric``), else its first metric."""
    if game.metrics.headline is not None:
        return game.metrics.headline.metric
    return metric_names(game)[0]


def headline_pair(game: GameSpec) -> tuple[str, str] | None:
    """The two strategies the game's headline compares (A − B), or None when it names none."""
    if game.metrics.headline is None:
        return None
    a, b = game.metrics.headline.compare
    return a, b


@dataclass(frozen=True)
class OutputSpec:
    """What to measure: a forecast on an issue, a game metric, or the ranking of strategies.

    ``kind``:
        ``forecast``: the model's forecast on ``issue``;
        ``strategy``: mean of ``metric`` under ``strategy_a`` (minus under ``strategy_b`` when
        given) against ``type_id`` (a target type or ``mix``: types drawn from the priors);
        ``ranking``: the ranking of all the game's strategies by ``metric`` (for cruxes).

    ``scorecard`` (a scorecard id) replaces the metric for a ``strategy`` or ``ranking``
    output: the value is the strategy's score on that scorecard (``metric`` is empty).
    """

    kind: OutputKind
    issue: str = ""
    metric: str = ""
    strategy_a: str = ""
    strategy_b: str | None = None
    type_id: str = MIX
    scorecard: str = ""

    @property
    def measure(self) -> str:
        """What is measured: the metric's name, or ``scorecard ID``."""
        return f"scorecard {self.scorecard}" if self.scorecard else self.metric

    def describe(self) -> str:
        if self.kind == "forecast":
            return f"forecast on {self.issue}"
        against = "" if self.type_id == MIX else f" against type {self.type_id}"
        what = f"the score on scorecard {self.scorecard}" if self.scorecard else self.metric
        if self.kind == "ranking":
            return f"ranking of strategies by {what}{against}"
        if self.strategy_b:
            return f"{what} under {self.strategy_a} minus under {self.strategy_b}{against}"
        return f"{what} under {self.strategy_a}{against}"


def parse_output(text: str, scenario: Scenario) -> OutputSpec:
    """Parse ``forecast:ISSUE``, ``strategy:METRIC[:A[-B]][@TYPE]``, ``strategies[:METRIC]`` or
    ``scorecard:ID[:A[-B]][@TYPE]``.

    ``strategy:METRIC`` alone compares the game's headline pair (``game.metrics.headline``);
    a missing METRIC is the headline metric (:func:`headline_metric`). Raises ValueError with a
    message naming what is known.
    """
    kind, _, rest = text.partition(":")
    if kind == "forecast":
        ids = [i.id for i in scenario.issues]
        if rest not in ids:
            raise ValueError(f"unknown issue {rest!r} in --output (known: {', '.join(ids)})")
        return OutputSpec("forecast", issue=rest)
    if kind not in ("strategy", "strategies", "scorecard"):
        raise ValueError(
            f"--output must be forecast:ISSUE, strategy:METRIC[:A[-B]][@TYPE], "
            f"strategies[:METRIC] or scorecard:ID[:A[-B]][@TYPE] (got {text!r})"
        )
    game = game_of(scenario)
    rest, _, type_id = rest.partition("@")
    type_id = type_id or MIX
    types = [t.id for t in game.types]
    if type_id != MIX and type_id not in types:
        raise ValueError(f"unknown target type {type_id!r} (known: {', '.join(types)}, {MIX})")
    if kind == "scorecard":
        return _scorecard_output(game, rest, type_id)
    metric, _, pair = rest.partition(":")
    metric = metric or headline_metric(game)
    known_metrics = metric_names(game)
    if metric not in known_metrics:
        raise ValueError(f"unknown metric {metric!r} (known: {', '.join(known_metrics)})")
    if kind == "strategies":
        return OutputSpec("ranking", metric=metric, type_id=type_id)
    sids = [s.id for s in game.strategies]
    if not pair:
        default = headline_pair(game)
        if default is None:
            raise ValueError(
                f"strategy:{metric} needs strategies (the game names no headline pair), e.g. "
                f"strategy:{metric}:{sids[0]}" + (f"-{sids[1]}" if len(sids) > 1 else "")
            )
        a, b = default
        return OutputSpec("strategy", metric=metric, strategy_a=a, strategy_b=b, type_id=type_id)
    if pair in sids:
        return OutputSpec("strategy", metric=metric, strategy_a=pair, type_id=type_id)
    a, sep, b = pair.partition("-")
    for s in (a, b) if sep else (a,):
        if s not in sids:
            raise ValueError(f"unknown strategy {s!r} (known: {', '.join(sids)})")
    return OutputSpec(
        "strategy", metric=metric, strategy_a=a, strategy_b=b or None, type_id=type_id
    )


def _pair(game: GameSpec, pair: str) -> tuple[str, str | None]:
    """``A`` or ``A-B``, each a strategy of the game (ValueError naming the known ones)."""
    sids = [s.id for s in game.strategies]
    if pair in sids:
        return pair, None
    a, sep, b = pair.partition("-")
    for s in (a, b) if sep else (a,):
        if s not in sids:
            raise ValueError(f"unknown strategy {s!r} (known: {', '.join(sids)})")
    return a, b or None


def _scorecard_output(game: GameSpec, rest: str, type_id: str) -> OutputSpec:
    card, _, pair = rest.partition(":")
    cards = [c.id for c in game.scorecards]
    if not cards:
        raise ValueError("the game names no scorecards (`game.scorecards`): no scorecard output")
    if card not in cards:
        raise ValueError(f"unknown scorecard {card!r} (known: {', '.join(cards)})")
    if not pair:
        return OutputSpec("ranking", scorecard=card, type_id=type_id)
    a, b = _pair(game, pair)
    return OutputSpec("strategy", scorecard=card, strategy_a=a, strategy_b=b, type_id=type_id)


def game_of(scenario: Scenario) -> GameSpec:
    """The scenario's game; ValueError when it has none (a strategy output needs one)."""
    if scenario.game is None:
        raise ValueError(f"scenario {scenario.id!r} has no `game:` section (no strategy outputs)")
    return scenario.game
