"""The strategy game's outcome metrics: one registry, read by every part that names a metric.

Each :class:`Metric` entry says what the game reports per episode and how to read it: its
``name`` (a template such as ``p_talks_{months}m`` when the game's ``metrics:`` section sets a
parameter), a ``label`` for tables and charts, its ``kind`` (``probability``: a per-episode 0/1
indicator whose mean is a probability; ``count``; ``level``), which direction is ``better``, a
``unit``, and the function that computes it from a played :class:`CoalitionGame`. From it come
the keys of :meth:`CoalitionGame.outcomes` (in registry order), the sensitivity and crux outputs
a game offers, the crux ranking's direction, the Monte Carlo interval (Wilson for probabilities,
normal otherwise: :func:`detente.strategy.simulate.run_strategies`), the table's number format
and every label the CLI, the report and the web explorer show. Adding a metric is one entry in
:data:`METRICS` (``tests/strategy/test_metrics.py`` checks that outcomes and registry agree).

An entry with ``always=False`` is reported only by a game whose scorecards name it
(``game.scorecards``, :mod:`detente.strategy.scorecards`), so adding one leaves every other
game's tables as they were. Metrics that count moves (concessions made, tests) read the moves
the game recorded as it was played (``CoalitionGame.played``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # numpy is imported where a metric is computed: the checks need only names
    from detente.models.base import FloatArray
    from detente.scenario.game import GameSpec
    from detente.strategy.engine import IntArray
    from detente.strategy.game import CoalitionGame

Kind = Literal["probability", "count", "level"]
Better = Literal["higher", "lower"]
#: which parameter of the game's ``metrics:`` section a template takes (None: no parameter)
Per = Literal["talks_within", "checkpoint", "vetoes", "limits", "third_parties"] | None
Compute = Callable[["CoalitionGame", "Metric"], "FloatArray"]

#: the ``type`` of the rows whose target type is drawn from the worldview's priors
MIX = "mix"


@dataclass(frozen=True)
class Metric:
    """One outcome metric (see the module docstring). ``key`` is the registry entry's name
    template; a metric of a game has its ``name``/``label`` filled in and ``param`` set."""

    name: str
    label: str
    kind: Kind
    better: Better
    compute: Compute
    unit: str = ""
    per: Per = None
    param: int | str | None = None
    #: the registry entry's name template, for a metric bound to a game's parameter
    template: str = ""
    #: reported by every game (True), or only by a game whose scorecards name it (False)
    always: bool = True

    @property
    def key(self) -> str:
        """The registry entry this metric comes from (its name template)."""
        return self.template or self.name

    @property
    def binary(self) -> bool:
        """Whether the per-episode values are 0/1 (the mean is a probability)."""
        return self.kind == "probability"

    @property
    def lower_is_better(self) -> bool:
        return self.better == "lower"

    def cell(self, mean: float, lo: float, hi: float) -> str:
        """``mean [lo, hi]`` as the strategies table prints it."""
        digits = 2 if self.binary or abs(mean) < 10 else 0
        return f"{mean:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"

    def bind(self, param: int | str) -> Metric:
        """This entry for one value of its parameter (months, checkpoint year)."""
        fill = {"months": param, "year": param}
        return replace(
            self,
            name=self.name.format(**fill),
            label=self.label.format(**fill),
            param=param,
            template=self.name,
        )


# ------------------------------------------------------------------------ the computations


def _talks_within(g: CoalitionGame, m: Metric) -> FloatArray:
    w = int(m.param or 0)
    return ((g.first_talks >= 0) & (g.first_talks < w)).astype(float)


def _freeze(g: CoalitionGame, m: Metric) -> FloatArray:
    return g.freeze_by_checkpoint.astype(float)


def _step(g: CoalitionGame, m: Metric) -> FloatArray:
    return (g.steps_at_checkpoint >= 1).astype(float)


def _arsenal(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.arsenal_at_checkpoint.copy())


def _unreciprocated(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.unreciprocated.copy())


def _cohesion(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.state["cohesion"].copy())


def _unc_challenge(g: CoalitionGame, m: Metric) -> FloatArray:
    return (g.state["unc_challenge"] > 0.5).astype(float)


def _type_correct(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.belief.argmax(axis=1) == g.types, dtype=np.float64)


def _vetoes(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.blocked.copy())


def _refused(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.refused.copy())


def _any_third(field: str) -> Compute:
    def compute(g: CoalitionGame, m: Metric) -> FloatArray:
        import numpy as np

        flags = getattr(g, field)
        out = np.zeros(g.n, dtype=bool)
        for acted in flags.values():
            out |= acted
        return out.astype(np.float64)

    return compute


def _moves(g: CoalitionGame, side: int) -> IntArray:
    """Side ``side``'s moves in months ``0..checkpoint`` (as played, after vetoes), from the
    worldview's date when it has one (``g.t0``)."""
    return g.played[side][:, g.t0 : g.checkpoint + 1]


def concessions_made(g: CoalitionGame) -> FloatArray:
    """Concessions the coalition made up to the checkpoint, counted as the game counts them
    for ``unreciprocated``: a concession move each time it is made if some effect of it is not
    one-off (``repeatable``), otherwise only the first time."""
    import numpy as np

    a = _moves(g, 0)
    out = np.zeros(a.shape[0])
    for j in np.flatnonzero(g.c_concession):
        made = a == j
        out += made.sum(axis=1) if g.repeatable[j] else made.any(axis=1)
    return out


def _steps_per_concession(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    return np.asarray(g.steps_at_checkpoint / np.maximum(concessions_made(g), 1.0))


def _tests_per_year(g: CoalitionGame, m: Metric) -> FloatArray:
    import numpy as np

    b = _moves(g, 1)
    months = max(b.shape[1], 1)
    return np.asarray((b == g.test_move).sum(axis=1) * 12.0 / months, dtype=np.float64)


def _unc_intact(g: CoalitionGame, m: Metric) -> FloatArray:
    return 1.0 - _unc_challenge(g, m)


def _level(var: str) -> Compute:
    def compute(g: CoalitionGame, m: Metric) -> FloatArray:
        import numpy as np

        return np.asarray(g.state[var].copy())

    return compute


def _open(var: str) -> Compute:
    def compute(g: CoalitionGame, m: Metric) -> FloatArray:
        return (g.state[var] > 0.5).astype(float)

    return compute


#: every metric the game reports, in the order of its tables
METRICS: tuple[Metric, ...] = (
    Metric(
        "p_talks_{months}m", "P(talks ≤{months} mo)", "probability", "higher", _talks_within,
        per="talks_within",
    ),
    Metric("p_freeze_{year}", "P(freeze by {year})", "probability", "higher", _freeze,
           per="checkpoint"),
    Metric("p_step_{year}", "P(step by {year})", "probability", "higher", _step,
           per="checkpoint"),
    Metric("arsenal_{year}", "arsenal {year}", "level", "lower", _arsenal, unit="warheads",
           per="checkpoint"),
    Metric("unreciprocated", "unreciprocated", "count", "lower", _unreciprocated,
           unit="concessions"),
    Metric("cohesion", "cohesion", "level", "higher", _cohesion, unit="share"),
    Metric("p_unc_challenge", "P(UNC challenged)", "probability", "lower", _unc_challenge),
    Metric("p_type_correct", "P(type learnt)", "probability", "higher", _type_correct),
    Metric("vetoes", "vetoes", "count", "lower", _vetoes, unit="blocks", per="vetoes"),
    Metric("refused", "refused by outside actors", "count", "lower", _refused, unit="moves",
           per="limits"),
    Metric("p_third_party_acted", "P(third party acted)", "probability", "lower",
           _any_third("third_acted"), per="third_parties"),
    Metric("p_third_party_vetoed", "P(third party vetoed)", "probability", "lower",
           _any_third("third_vetoed"), per="third_parties"),
    # reported only where a scorecard names them (issue 15: the articles' points of view)
    Metric("steps_per_concession", "steps per concession", "level", "higher",
           _steps_per_concession, unit="steps", always=False),
    Metric("tests_per_year", "tests per year", "count", "lower", _tests_per_year,
           unit="tests/year", always=False),
    Metric("p_unc_intact", "P(UNC intact)", "probability", "higher", _unc_intact,
           always=False),
    Metric("exercises", "exercises (end)", "level", "higher", _level("exercises"),
           unit="share", always=False),
    Metric("p_link_open", "P(link open, end)", "probability", "higher", _open("hotline"),
           always=False),
    Metric("p_talks_open", "P(talks open, end)", "probability", "higher", _open("talks"),
           always=False),
    Metric("sanctions", "sanctions (end)", "level", "higher", _level("sanctions"),
           unit="share", always=False),
)  # fmt: skip
_ENTRY_OF = {m.name: m for m in METRICS if "{" not in m.name}
_PATTERNS = [
    (re.compile("^" + re.sub(r"\\\{\w+\\\}", r"(\\d+)", re.escape(m.name)) + "$"), m)
    for m in METRICS
    if "{" in m.name
]


def game_metrics(game: GameSpec) -> list[Metric]:
    """The metrics ``game`` reports, in table order, with their parameters filled in."""
    year = (game.metrics.checkpoint or game.end)[:4]
    named = {name for card in game.scorecards for name in card.metrics}
    out: list[Metric] = []
    for m in METRICS:
        if not m.always and m.name not in named:
            continue
        if m.per == "talks_within":
            out.extend(m.bind(w) for w in game.metrics.talks_within)
        elif m.per == "checkpoint":
            out.append(m.bind(year))
        elif m.per == "vetoes":
            if game.vetoes:
                out.append(m)
        elif m.per == "limits":
            if game.limits:
                out.append(m)
        elif m.per == "third_parties":
            if game.third_parties:
                out.append(m)
        else:
            out.append(m)
    return out


def metric_names(game: GameSpec) -> list[str]:
    """The names of :func:`game_metrics` (as in ``detente strategies``)."""
    return [m.name for m in game_metrics(game)]


def metric(name: str) -> Metric:
    """The registry's metric of that name (``p_talks_12m``, ``arsenal_2027``, ``cohesion``…).

    Raises KeyError for a name no entry matches.
    """
    if name in _ENTRY_OF:
        return _ENTRY_OF[name]
    for pattern, entry in _PATTERNS:
        found = pattern.match(name)
        if found:
            param = found.group(1)
            return entry.bind(int(param) if entry.per == "talks_within" else param)
    known = ", ".join(m.name for m in METRICS)
    raise KeyError(f"unknown metric {name!r} (known: {known})")


def label(name: str) -> str:
    """A metric's label, or the name itself for a name the registry does not know."""
    try:
        return metric(name).label
    except KeyError:
        return name
