"""The scenario's ``game:`` section: its schema (pydantic classes) and month arithmetic.

This module owns the data half of the game: what a ``game:`` section may say, as pure data built
on :class:`~detente.scenario.quantity.Quantity`. Its meaning checks (references, ranges, priors)
are in :mod:`detente.scenario.validate`; the checks that need the strategy registry (class
names, their parameters and roles) in :mod:`detente.strategy.checks`; the engine that plays it in
:mod:`detente.strategy`.

The game is documented in ``docs/models/strategy-game.md``. In short: an initiating coalition
(e.g. the US and the ROK) and a target (e.g. North Korea) move once a month from ``start`` to
``end``. Each move changes a shared state through the *effects* the scenario lists for it; the
target's response depends on its *type* (unknown to the coalition, which holds Bayesian beliefs
over the types, starting from their priors); strategies are the classes in
:mod:`detente.strategy.strategies`, named here by class name.

Every number is a :class:`~detente.scenario.quantity.Quantity` and so carries its basis. Lists
of things with ids (moves, types, strategies) are lists of objects with an ``id`` so that a
worldview override can address them as ``game.types.<id>.prior``; per-move tables inside a
type (``lift``) are mappings keyed by move id (``game.types.<id>.lift.<move>``).

The theory behind each piece (Osgood 1962; Axelrod 1984; Wu & Axelrod 1995; Kydd 2005;
Fearon 1995) is cited where it is used, in ``docs/models/strategy-game.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from detente.scenario.dependence import CorrelationGroup, ShareGroup
from detente.scenario.quantity import Based, Quantity

#: state variables a move's effect may change (documented in docs/models/strategy-game.md)
StateVar = Literal[
    "talks",  # 1 when talks are open
    "hotline",  # 1 when a communications link is open
    "freeze",  # 1 while the target's testing freeze holds
    "steps",  # count of verified denuclearisation steps
    "sanctions",  # sanctions level, 0 (none) .. 1 (full)
    "exercises",  # scale of combined exercises, 0 .. 1 (full)
    "cohesion",  # alliance cohesion, 0 .. 1
    "unc_challenge",  # 1 once the UN Command's legal basis is under challenge
]
STATE_VARS: tuple[str, ...] = get_args(StateVar)
#: state variables that are probabilities / indicators / shares, hence live in [0, 1]
UNIT_STATE_VARS = frozenset(STATE_VARS) - {"steps"}

MoveKind = Literal["concession", "gesture", "neutral", "pressure"]
TargetKind = Literal["cooperative", "neutral", "hostile"]
#: roles a strategy may ask for; each game binds them to its own moves
ROLES: tuple[str, ...] = ("cooperate", "defect", "hold", "declare", "reward", "gesture")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Effect(_Strict):
    """One change to the state when a move is made: ``op`` ``value`` on ``state``."""

    id: str = Field(description="names the effect within its move (for worldview overrides)")
    state: StateVar
    op: Literal["set", "add"] = Field(description="`set` the variable, or `add` to it")
    value: Quantity
    probability: Quantity | None = Field(
        default=None, description="chance the effect happens each time (default: always)"
    )
    once: bool = Field(
        default=False, description="apply only the first time the move is made in an episode"
    )
    scale_by_cost: bool = Field(
        default=False,
        description="multiply `value` (add) or `probability` (set) by the declaration's cost",
    )


class MoveCost(_Strict):
    """One named cost of a coalition move to the mover: ``amount`` is taken off ``state`` each
    time the move is made (only the first time when ``once``). A cost is not a signal: it says
    nothing to the target about the coalition's type unless the move's ``signal`` says so."""

    state: StateVar = Field(default="cohesion", description="the state variable that pays")
    amount: Quantity = Field(description="taken off `state` each time the move is made")
    once: bool = Field(default=False, description="paid only the first time the move is made")


class CoalitionMove(_Strict):
    """A move of the initiating coalition."""

    id: str
    label: str
    kind: MoveKind = Field(description="concession | gesture | neutral | pressure")
    misread_as: str | None = Field(
        default=None, description="what the target sees when it misreads this move (noise)"
    )
    effects: list[Effect] = Field(default_factory=list)
    note: str | None = None
    # -- issue 15: cost and credibility apart (mechanism 1), repetition (mechanism 3)
    costs: dict[str, MoveCost] = Field(
        default_factory=dict,
        description="named costs to the mover (alliance, legal, domestic…): a cost, not a signal",
    )
    signal: Quantity | None = Field(
        default=None,
        description="log-odds reassurance the move carries, lasting once sent (Kydd 2005); each"
        " type reads it with its `signal_weight`",
    )
    repeat_factor: Quantity | None = Field(
        default=None,
        description="the k-th repeat's response effects (one-month lift, `made` effects) × r^k",
    )
    repeat_is_new_concession: bool | None = Field(
        default=None,
        description="whether a repeat counts as a new concession for `unreciprocated` (default:"
        " when some effect of the move is not `once`)",
    )


class TargetMove(_Strict):
    """A move of the target."""

    id: str
    label: str
    kind: TargetKind = Field(description="cooperative | neutral | hostile")
    misread_as: str | None = Field(
        default=None, description="what the coalition sees when it misreads this move (noise)"
    )
    effects: list[Effect] = Field(default_factory=list)
    note: str | None = None


Persistence = Literal["one_off", "decaying", "lasting"]
ResponsePart = Literal["up", "talk", "progress", "test"]
#: what a type's ``state_lift`` may read besides the state variables
FEEDBACK_VARS: tuple[str, ...] = (*STATE_VARS, "declared", "arsenal")


class ResponseEffect(_Strict):
    """A shift of one type's response, triggered by a coalition move or a month.

    Trigger: ``move`` made (``when: made``), ``move`` made as a concession the target did not
    reciprocate (``when: unreciprocated``; moral hazard, lost leverage), or the calendar
    (``month``: from that month on, e.g. an election elsewhere). ``value`` shifts the log-odds
    of what ``shifts`` names — ``up`` (every rung), ``talk`` (rungs up to talks), ``progress``
    (rungs above), ``test`` — and may have either sign. A move-triggered shift applies from
    the month after the trigger; ``one_off`` for one month, ``decaying`` with ``half_life``
    months, ``lasting`` for good; repeated triggers add up.
    """

    id: str
    move: str | None = Field(default=None, description="coalition move that triggers it")
    when: Literal["made", "unreciprocated"] = Field(
        default="made", description="`made`, or `unreciprocated` (a concession pocketed)"
    )
    month: str | None = Field(default=None, description="YYYY-MM: triggered by the calendar")
    shifts: ResponsePart = Field(description="up | talk | progress | test (log-odds)")
    value: Quantity = Field(description="log-odds shift (either sign)")
    persistence: Persistence = Field(default="one_off")
    half_life: Quantity | None = Field(default=None, description="months (for `decaying`)")


class TargetType(_Strict):
    """A response model of the target: how a target of this type moves each month.

    ``p_talk`` is the monthly chance of the next cooperative rung below talks (restoring the
    link, entering talks), ``p_progress`` the chance of the next rung inside talks (a testing
    freeze, then verifiable steps), both when the coalition holds; ``lift`` shifts both on the
    log-odds scale by the coalition's (perceived) last move, and lowers ``p_test`` by the same
    amount. ``reassurance`` is the extra lift of a declaration per unit of its cost (Kydd 2005).
    """

    id: str
    label: str
    description: str | None = None
    prior: Quantity = Field(description="prior probability of this type (priors sum to 1)")
    p_talk: Quantity
    p_progress: Quantity
    p_test: Quantity = Field(description="monthly chance of a test when not moving up")
    reassurance: Quantity = Field(description="log-odds lift of a declaration per unit cost")
    pre_election_lift: Quantity = Field(
        description="log-odds lift before the election (courting a pro-engagement successor)"
    )
    lift: dict[str, Quantity] = Field(
        default_factory=dict, description="coalition move id -> log-odds lift (default 0)"
    )
    trustworthy: bool = Field(
        False,
        description=(
            "Kydd's (2005) trustworthy type: prefers mutual cooperation to exploiting a"
            " cooperator; strategies that use the belief read P(trustworthy)"
        ),
    )
    # -- issue 15: signals (1), lasting effects and time (2, 7), state feedback (4)
    signal_weight: Quantity | None = Field(
        default=None,
        description="how this type reads a move's `signal` (log-odds per unit; default 1 for a"
        " trustworthy type, 0 otherwise)",
    )
    effects: list[ResponseEffect] = Field(
        default_factory=list,
        description="one-off, decaying or lasting shifts of this type's responses (any sign)",
    )
    state_lift: dict[str, Quantity] = Field(
        default_factory=dict,
        description="state variable (or `declared`, `arsenal`) -> log-odds lift per unit level",
    )


class Declaration(_Strict):
    """The end-of-war declaration: which move it is and how costly it is to the coalition."""

    move: str
    cost: Quantity = Field(
        description="0 = cheap, symbolic talk; 1 = a costly, binding commitment (Kydd 2005)"
    )


class Noise(_Strict):
    """Misperception (Wu & Axelrod 1995): a move is read as its ``misread_as``."""

    coalition_misreads: Quantity = Field(description="chance the coalition misreads a move")
    target_misreads: Quantity = Field(description="chance the target misreads a move")


class Arsenal(_Strict):
    """The target's warhead stockpile: a monthly growth slowed by a freeze and by steps."""

    start: Quantity = Field(description="warheads at the start month")
    monthly_growth: Quantity = Field(description="warheads added per month without agreement")
    freeze_factor: Quantity = Field(description="growth multiplier while a testing freeze holds")
    step_factor: Quantity = Field(description="growth multiplier per verified step")


class Election(_Strict):
    """An election in a coalition member: its successor may withdraw some moves."""

    month: str = Field(description="YYYY-MM")
    member: str = Field(description="which coalition member votes, e.g. `rok`")
    p_continuity: Quantity = Field(description="chance the successor keeps the engagement moves")
    withdrawn_moves: list[str] = Field(
        default_factory=list, description="moves no longer available after a change"
    )
    fallback_move: str = Field(description="what the coalition does instead of a withdrawn move")
    successor_strategy: str | None = Field(
        default=None,
        description="id of a strategy in `game.strategies` the successor plays after a change"
        " (issue 15; default: the incumbent's, minus the withdrawn moves)",
    )


class Veto(_Strict):
    """A coalition member may block one of the coalition's moves (the allies may disagree).

    Each month the coalition plays ``move``, ``member`` blocks it with ``probability`` (only
    before the target's first progress move, freeze or step, when ``before_progress``); the
    coalition then plays ``fallback_move`` instead, and the public split costs ``cohesion_cost``.
    """

    id: str
    member: str = Field(description="the coalition member who may block, e.g. `usa`")
    move: str = Field(description="the coalition move it may block")
    probability: Quantity = Field(description="chance it blocks the move each time it is played")
    before_progress: bool = Field(
        False, description="block only until the target has made a progress move (freeze, step)"
    )
    fallback_move: str = Field(description="what the coalition does instead")
    cohesion_cost: Quantity = Field(description="cohesion lost per block")


class Limit(_Strict):
    """An institutional limit (Putnam 1988; Tsebelis 2002): ``move`` played while ``state`` is
    at or below ``below`` (or at or above ``above``) needs ``actor`` — a legislature, the UN
    Security Council — which refuses with ``p_refuse`` per attempt; refused, the coalition plays
    ``fallback_move``."""

    id: str
    actor: str = Field(description="who must consent, e.g. `congress`, `unsc`")
    move: str
    state: str = Field(description="the state variable (or `declared`, `arsenal`) compared")
    below: Quantity | None = Field(default=None, description="the limit binds at or below")
    above: Quantity | None = Field(default=None, description="the limit binds at or above")
    p_refuse: Quantity = Field(description="chance the actor refuses each attempt")
    fallback_move: str


class Trigger(_Strict):
    """When a third party may act: after a coalition move was made, and/or while a state
    variable is at or below ``below`` / at or above ``above`` (all given conditions hold)."""

    after_move: str | None = Field(default=None, description="a coalition move made before")
    state: str | None = None
    below: Quantity | None = None
    above: Quantity | None = None


class ThirdPartyVeto(_Strict):
    """A coalition member's veto of a third party's act (e.g. a permanent member's in the UN
    Security Council): with ``probability`` the act is blocked, and ``effects`` apply instead."""

    member: str
    probability: Quantity
    effects: list[Effect] = Field(default_factory=list)


class ThirdParty(_Strict):
    """An actor outside coalition and target acting on its own rule: while ``trigger`` holds,
    it acts with ``probability`` a month (at most once when ``once``); its act applies
    ``effects`` to the state, unless a coalition member's ``veto`` blocks it."""

    id: str
    label: str
    trigger: Trigger
    probability: Quantity
    once: bool = True
    effects: list[Effect] = Field(default_factory=list)
    veto: ThirdPartyVeto | None = None


class Belief(_Strict):
    """What the coalition's Bayes update over types assumes about the response parameters.

    ``prior_mean`` (default): the coalition knows each parameter's distribution, not the
    episode's draw, and uses its mean — it learns only from what it observes. ``episode``: the
    update uses the episode's true draws (the behaviour before issue 15).
    """

    parameters: Literal["prior_mean", "episode"] = "prior_mean"


class Party(_Strict):
    id: str
    label: str
    members: list[str] = Field(default_factory=list)


# ------------------------------------------------------------------ scorecards and rule tables
# (issue 15, items 9 and 10: kept together so that the schema's other additions merge easily)

#: what a composed strategy answers: the target's last perceived move by what it is
RULE_EVENTS: tuple[str, ...] = ("cooperation", "progress", "stall", "provocation")
#: every rule a composed strategy may set (its ``rules:`` keys, `after_declaration` aside)
RULE_NAMES: tuple[str, ...] = ("opening", *RULE_EVENTS)


class Answers(_Strict):
    """Answers to the target's last perceived move, each a role (``game.roles`` binds it).

    ``cooperation``: a cooperative move; ``progress``: a progress move (a ladder rung above the
    one that opens talks: a freeze, a step), by default the ``cooperation`` answer;
    ``stall``: the idle move (by kind: any neutral move); ``provocation``: a hostile move.
    """

    cooperation: str | None = None
    progress: str | None = None
    stall: str | None = None
    provocation: str | None = None


class Rules(Answers):
    """A strategy as a rule table (Axelrod 1984; Osgood 1962): the ``Composed`` strategy.

    ``opening`` is the month-0 move. Later months answer the target's last perceived move
    (:class:`Answers`); a stall is answered only once the target has been idle for
    ``stall_months`` months in a row (until then the coalition repeats last month's move).
    ``after_declaration`` replaces any of the answers once the declaration has been made (the
    state's ``declared``). Every answer is a role; a rule left out is ``hold``, except
    ``progress`` (the ``cooperation`` answer) and ``after_declaration`` (the answers before).
    """

    opening: str | None = None
    stall_months: int = Field(
        default=1, ge=1, description="idle months in a row before the stall is answered"
    )
    after_declaration: Answers | None = None


class ScorecardMetric(_Strict):
    """One metric of a scorecard: its swing weight and, optionally, its direction."""

    weight: Quantity = Field(
        description="swing weight: the value of going from the worst to the best strategy "
        "in the table on this metric (relative to the scorecard's other weights)"
    )
    better: Literal["higher", "lower"] | None = Field(
        default=None, description="override the metric registry's direction for this view"
    )


class Scorecard(Based, _Strict):
    """A point of view: the metrics it cares about, with weights (docs: "Scorecards").

    ``metrics`` maps a metric name of the registry (:mod:`detente.strategy.metrics`, e.g.
    ``p_talks_12m``, ``unreciprocated``) to its weight, so a worldview can override one as
    ``game.scorecards.<id>.metrics.<metric>.weight``. The scorecard's own ``source`` or
    ``assumption`` says whose view it is.
    """

    id: str
    label: str
    metrics: dict[str, ScorecardMetric] = Field(description="metric name -> weight (and direction)")


class StrategyRef(_Strict):
    """A strategy to run: ``strategy`` names a class in :mod:`detente.strategy.strategies`."""

    id: str
    strategy: str
    label: str | None = None
    params: dict[str, Quantity] = Field(default_factory=dict)
    rules: Rules | None = Field(
        default=None, description="the rule table of a `Composed` strategy (see Rules)"
    )


class Headline(_Strict):
    """The comparison a game's readers ask first: one metric, strategy A minus strategy B.

    It is what ``strategy:METRIC`` (no pair) compares and what the report's game-sensitivity
    chart analyses by default; it names no winner (a strategy wins only on a scorecard)."""

    metric: str = Field(description="a metric name, as `detente strategies` reports it")
    compare: list[str] = Field(description="two strategy ids: A, then B (the output is A − B)")
    description: str | None = None


class Metrics(_Strict):
    talks_within: list[int] = Field(default_factory=lambda: [6, 12], description="months")
    checkpoint: str | None = Field(
        default=None, description="YYYY-MM for 'by …' metrics (default: `end`)"
    )
    headline: Headline | None = Field(
        default=None, description="the default comparison of `strategy:` outputs and the report"
    )


@dataclass(frozen=True)
class History:
    """A worldview's information date and what happened before it (``Worldview.as_of``).

    ``coalition[i]`` and ``target[i]`` are the move ids the record gives for month ``i`` of the
    game (``start`` is 0), for every month before ``as_of``: the game plays them as history
    (both sides forced, the state evolved by the engine's own step) and the strategies start
    at ``as_of`` (``docs/models/strategy-game.md``, "Dated information sets"). Empty when
    ``as_of`` is the game's start.
    """

    as_of: str
    coalition: tuple[str, ...] = ()
    target: tuple[str, ...] = ()

    @property
    def months(self) -> int:
        """The number of months of history (the index of ``as_of`` in the game)."""
        return len(self.coalition)


class GameSpec(_Strict):
    """A scenario's ``game:`` section."""

    # set by a worldview with ``as_of`` (scenario.load.with_worldview), never by the YAML: the
    # date, and the record before it, read when the game is first played (a scenario view or
    # a forecast of the worldview needs no record file)
    _as_of: str | None = PrivateAttr(default=None)
    _history_source: Callable[[], History] | None = PrivateAttr(default=None)
    _history: History | None = PrivateAttr(default=None)

    start: str = Field(description="first month, YYYY-MM")
    end: str = Field(description="last month, YYYY-MM (inclusive)")
    coalition: Party
    target: Party
    coalition_moves: list[CoalitionMove]
    target_moves: list[TargetMove]
    ladder: list[str] = Field(
        description="the target's cooperative moves in order (link, talks, freeze, step); "
        "the last may repeat"
    )
    provocation: str = Field(description="the target's hostile move")
    idle: str = Field(description="the target's neutral move")
    roles: dict[str, str] = Field(description="strategy role -> coalition move id")
    initial_state: dict[StateVar, Quantity]
    arsenal: Arsenal
    declaration: Declaration
    noise: Noise
    election: Election | None = None
    vetoes: list[Veto] = Field(
        default_factory=list, description="moves a coalition member may block (see Veto)"
    )
    # -- issue 15: institutional limits (4), third parties (5), the coalition's belief (6)
    limits: list[Limit] = Field(
        default_factory=list, description="moves that need an outside actor's consent"
    )
    third_parties: list[ThirdParty] = Field(
        default_factory=list, description="actors outside coalition and target (see ThirdParty)"
    )
    belief: Belief = Field(default_factory=Belief)
    # -- end issue 15
    cohesion_cost_unreciprocated: Quantity = Field(
        description="cohesion lost per concession the target does not reciprocate next month"
    )
    types: list[TargetType]
    strategies: list[StrategyRef]
    metrics: Metrics = Field(default_factory=Metrics)
    scorecards: list[Scorecard] = Field(
        default_factory=list,
        description="points of view, each a weighted set of metrics (docs: Scorecards)",
    )
    shares: list[ShareGroup] = Field(
        default_factory=list,
        description="game numbers that sum to one, drawn from a Dirichlet (docs/montecarlo.md)",
    )
    correlations: list[CorrelationGroup] = Field(
        default_factory=list,
        description="game distributions drawn with declared rank correlations (a Gaussian copula)",
    )

    @property
    def as_of(self) -> str | None:
        """The worldview's information date (``Worldview.as_of``; None: none)."""
        return self._as_of

    @property
    def history(self) -> History | None:
        """The worldview's information date and the record before it (None: no ``as_of``);
        read from the record on first use (an :class:`~detente.scenario.errors.InputError`
        when the record cannot be read)."""
        if self._history is None and self._history_source is not None:
            self._history = self._checked(self._history_source())
        return self._history

    def _checked(self, history: History) -> History:
        if len(history.target) != history.months:
            raise ValueError("a history needs a target move for every coalition move")
        if history.months != max(self.month_index(history.as_of), 0):
            raise ValueError(
                f"a history to {history.as_of} needs {self.month_index(history.as_of)} "
                f"months from {self.start}, got {history.months}"
            )
        return history

    def with_history(self, history: History | Callable[[], History] | None) -> GameSpec:
        """This game started at the history's ``as_of``, after its months: a
        :class:`History`, or a function that reads it when the game is first played."""
        out = self.model_copy()
        out._history = out._history_source = out._as_of = None
        if isinstance(history, History):
            out._history = self._checked(history)
            out._as_of = history.as_of
        elif history is not None:
            out._history_source = history
        return out

    def dated(self, as_of: str, source: Callable[[], History]) -> GameSpec:
        """This game as of ``as_of``, its history read by ``source`` when first played."""
        out = self.with_history(source)
        out._as_of = as_of
        return out

    def month_index(self, month: str) -> int:
        """Months from ``start`` to ``month`` (``start`` is 0)."""
        return month_number(month) - month_number(self.start)

    @property
    def n_months(self) -> int:
        return self.month_index(self.end) + 1

    @property
    def checkpoint_index(self) -> int:
        return self.month_index(self.metrics.checkpoint or self.end)


def month_number(month: str) -> int:
    """``YYYY-MM`` as a count of months since year 0."""
    m = _MONTH.match(month)
    if not m:
        raise ValueError(f"not a YYYY-MM month: {month!r}")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def quantities(game: GameSpec) -> Iterable[tuple[str, Quantity]]:
    """Every Quantity in the game with its path (list items addressed by id)."""

    def walk(obj: object, path: str) -> Iterable[tuple[str, Quantity]]:
        if isinstance(obj, Quantity):
            yield path, obj
        elif isinstance(obj, BaseModel):
            for name in type(obj).model_fields:
                yield from walk(getattr(obj, name), f"{path}.{name}")
        elif isinstance(obj, dict):
            for key, val in obj.items():
                yield from walk(val, f"{path}.{key}")
        elif isinstance(obj, list):
            for i, item in enumerate(obj):
                ident = getattr(item, "id", None)
                yield from walk(item, f"{path}.{ident}" if ident is not None else f"{path}[{i}]")

    for name in type(game).model_fields:
        if name not in _DECLARATIONS:  # the groups' own numbers describe draws, are not drawn
            yield from walk(getattr(game, name), f"game.{name}")


#: GameSpec fields that declare how numbers are drawn together (not numbers of the game)
_DECLARATIONS = ("shares", "correlations")
