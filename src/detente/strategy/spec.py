"""The scenario's ``game:`` section: a repeated game between a coalition and a typed target.

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

import math
import re
from collections.abc import Callable, Iterable
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from detente.scenario.quantity import DIST_PARAMS, Quantity

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


class Party(_Strict):
    id: str
    label: str
    members: list[str] = Field(default_factory=list)


class StrategyRef(_Strict):
    """A strategy to run: ``strategy`` names a class in :mod:`detente.strategy.strategies`."""

    id: str
    strategy: str
    label: str | None = None
    params: dict[str, Quantity] = Field(default_factory=dict)


class Metrics(_Strict):
    talks_within: list[int] = Field(default_factory=lambda: [6, 12], description="months")
    checkpoint: str | None = Field(
        default=None, description="YYYY-MM for 'by …' metrics (default: `end`)"
    )


class GameSpec(_Strict):
    """A scenario's ``game:`` section."""

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
    cohesion_cost_unreciprocated: Quantity = Field(
        description="cohesion lost per concession the target does not reciprocate next month"
    )
    types: list[TargetType]
    strategies: list[StrategyRef]
    metrics: Metrics = Field(default_factory=Metrics)

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


def month_label(start: str, index: int) -> str:
    n = month_number(start) + index
    return f"{n // 12:04d}-{n % 12 + 1:02d}"


# --------------------------------------------------------------------------- semantic checks


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

    yield from walk(game, "game")


def _unit_paths(game: GameSpec) -> set[str]:
    """Paths of Quantities that are probabilities or shares (must lie in [0, 1])."""
    out: set[str] = set()
    for path, _q in quantities(game):
        leaf = path.rsplit(".", 1)[-1]
        if leaf.startswith("p_") or leaf in {
            "prior",
            "probability",
            "cost",
            "coalition_misreads",
            "target_misreads",
            "freeze_factor",
            "step_factor",
            "generosity",
        }:
            out.add(path)
    return out


def check_game(game: GameSpec, source_ids: set[str], report: Callable[[str, str], None]) -> None:
    """Report every semantic problem of ``game`` as ``report(field_path, message)``.

    Checks: months well-formed and ordered; unique ids; every move id referenced (roles,
    ladder, misreads, lifts, declaration, election, vetoes) exists on the right side;
    probabilities and shares in [0, 1]; type priors sum to 1; distribution parameters coherent;
    cited documents known; strategy classes and parameters known.
    """
    from detente.strategy.strategies import STRATEGIES  # local: keep spec import-light

    c_ids = [m.id for m in game.coalition_moves]
    t_ids = [m.id for m in game.target_moves]
    for label, ids in (
        ("coalition_moves", c_ids),
        ("target_moves", t_ids),
        ("types", [t.id for t in game.types]),
        ("strategies", [s.id for s in game.strategies]),
        ("vetoes", [v.id for v in game.vetoes]),
    ):
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                report(f"game.{label}.{i}", f"duplicate id {i!r}")
            seen.add(i)
    c_set, t_set = set(c_ids), set(t_ids)

    def need(path: str, move: str, known: set[str], side: str) -> None:
        if move not in known:
            report(path, f"unknown {side} move {move!r} (known: {', '.join(sorted(known))})")

    for field in ("start", "end"):
        try:
            month_number(getattr(game, field))
        except ValueError as exc:
            report(f"game.{field}", str(exc))
            return
    if game.n_months < 2:
        report("game.end", f"end {game.end} must come after start {game.start}")
    for role, move in game.roles.items():
        if role not in ROLES:
            report(f"game.roles.{role}", f"unknown role {role!r} (known: {', '.join(ROLES)})")
        need(f"game.roles.{role}", move, c_set, "coalition")
    for pos, move in enumerate(game.ladder):
        need(f"game.ladder[{pos}]", move, t_set, "target")
    if not game.ladder:
        report("game.ladder", "the ladder needs at least one cooperative move")
    need("game.provocation", game.provocation, t_set, "target")
    need("game.idle", game.idle, t_set, "target")
    need("game.declaration.move", game.declaration.move, c_set, "coalition")
    for group, moves in (
        ("coalition_moves", list(game.coalition_moves)),
        ("target_moves", list(game.target_moves)),
    ):
        for mv in moves:
            eids = [e.id for e in mv.effects]
            for eid in {x for x in eids if eids.count(x) > 1}:
                report(f"game.{group}.{mv.id}.effects.{eid}", f"duplicate effect id {eid!r}")
    for cm in game.coalition_moves:
        if cm.misread_as is not None:
            need(f"game.coalition_moves.{cm.id}.misread_as", cm.misread_as, c_set, "coalition")
    for tm in game.target_moves:
        if tm.misread_as is not None:
            need(f"game.target_moves.{tm.id}.misread_as", tm.misread_as, t_set, "target")
    for tt in game.types:
        for move in tt.lift:
            need(f"game.types.{tt.id}.lift.{move}", move, c_set, "coalition")
    if game.election is not None:
        el = game.election
        try:
            k = game.month_index(el.month)
            if not 0 <= k < game.n_months:
                report("game.election.month", f"{el.month} lies outside {game.start}..{game.end}")
        except ValueError as exc:
            report("game.election.month", str(exc))
        if el.member not in game.coalition.members:
            report("game.election.member", f"{el.member!r} is not a coalition member")
        for pos, move in enumerate(el.withdrawn_moves):
            need(f"game.election.withdrawn_moves[{pos}]", move, c_set, "coalition")
        need("game.election.fallback_move", el.fallback_move, c_set, "coalition")
    for v in game.vetoes:
        if v.member not in game.coalition.members:
            report(f"game.vetoes.{v.id}.member", f"{v.member!r} is not a coalition member")
        need(f"game.vetoes.{v.id}.move", v.move, c_set, "coalition")
        need(f"game.vetoes.{v.id}.fallback_move", v.fallback_move, c_set, "coalition")
    if game.metrics.checkpoint is not None:
        try:
            k = game.month_index(game.metrics.checkpoint)
            if not 0 <= k < game.n_months:
                report("game.metrics.checkpoint", "checkpoint outside the game's months")
        except ValueError as exc:
            report("game.metrics.checkpoint", str(exc))
    for pos, w in enumerate(game.metrics.talks_within):
        if not 0 < w <= game.n_months:
            report(f"game.metrics.talks_within[{pos}]", f"{w} months outside 1..{game.n_months}")

    unit = _unit_paths(game)
    for path, q in quantities(game):
        _check_quantity(path, q, path in unit, source_ids, report)
    for path, q in game.initial_state.items():
        if path in UNIT_STATE_VARS:
            lo, hi = _safe_support(q)
            if lo < 0 or hi > 1:
                report(f"game.initial_state.{path}", f"must lie in [0, 1] (got {lo:g}..{hi:g})")
    if game.types:
        total = sum(_safe_point(t.prior) for t in game.types)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            report(
                f"game.types.{game.types[-1].id}.prior",
                f"type priors must sum to 1 (got {total:.6g}, expected 1)",
            )
    else:
        report("game.types", "at least one target type is needed")

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


def _safe_point(q: Quantity) -> float:
    try:
        return q.point()
    except (AssertionError, ValueError, ZeroDivisionError):
        return float("nan")


def _safe_support(q: Quantity) -> tuple[float, float]:
    try:
        return q.support()
    except (AssertionError, ValueError):
        return float("nan"), float("nan")


def _check_quantity(
    path: str,
    q: Quantity,
    unit: bool,
    source_ids: set[str],
    report: Callable[[str, str], None],
) -> None:
    if q.dist is None and q.value is None:
        report(path, "needs `value` or `dist` with its parameters")
        return
    if q.dist is not None:
        # beta's low/high are optional (default [0, 1]); everything else is required
        optional = {"low", "high"} if q.dist == "beta" else set()
        missing = [p for p in DIST_PARAMS[q.dist] if p not in optional and getattr(q, p) is None]
        if missing:
            report(path, f"{q.dist} needs {', '.join(missing)}")
            return
        lo, hi = q.support()
        if lo > hi:
            report(path, f"low {lo:g} > high {hi:g}")
        if q.dist == "triangular" and not (lo <= (q.mode or 0.0) <= hi):
            report(path, f"triangular needs low <= mode <= high (got {lo:g}, {q.mode:g}, {hi:g})")
        if q.dist == "truncnormal" and (q.sd or 0.0) < 0:
            report(path, "truncnormal sd must be >= 0")
        if q.dist == "beta" and ((q.a or 0.0) <= 0 or (q.b or 0.0) <= 0):
            report(path, "beta needs a > 0 and b > 0")
    lo, hi = _safe_support(q)
    if unit and (lo < 0 or hi > 1):
        report(path, f"probability outside [0, 1] (got {lo:g}..{hi:g})")
    for ref in q.sources():
        if ref.doc not in source_ids:
            report(f"{path}.source", f"unknown source {ref.doc!r}")
    if q.data is not None and q.data.doc not in source_ids:
        report(f"{path}.data", f"unknown source {q.data.doc!r}")
