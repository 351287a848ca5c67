"""The coalition-versus-typed-target game of a scenario's ``game:`` section.

See ``docs/models/strategy-game.md`` for the full description and the theory. One month per
turn; the coalition (side 0) plays a :class:`~detente.strategy.strategies.Strategy`; the
target (side 1) is a :class:`TypedTarget` whose type is drawn per episode and unknown to the
coalition, which updates its belief over the types by Bayes' rule from the move it perceives.

Target response (per month, type ``k``, perceived last coalition move ``c``)::

    L      = lift[k][c] + reassurance[k] · cost · declared            (log-odds)
    p_up   = σ(logit(base[k]) + L + pre_election_lift[k] · [before election])
    p_test = σ(logit(p_test[k]) − L)
    move   = next ladder rung w.p. p_up; else the provocation w.p. p_test; else the idle move

``base`` is ``p_talk`` on the rungs up to the one that opens talks and ``p_progress`` above.
``reassurance · cost`` is Kydd's (2005) costly signal: only a costly declaration can move a
security-seeking type, and it keeps doing so once made; ``lift[declare]`` is the one-month
symbolic response that every type may share (a cheap signal pools the types).

Issue 15 adds mechanisms, each off unless the scenario uses it (a game that does not behaves
bit for bit as before; see ``docs/models/strategy-game.md``, "Mechanisms")::

    L     += Σ_m signal[m] · signal_weight[k] · [m sent]  +  Σ_v state_lift[k][v] · state[v]
    lift[k][c] × repeat_factor[c]^(times c was made before)
    up    += Σ effects on up / talk / progress;   logit(p_test) += Σ effects on test

named ``costs`` of a move (paid, never a signal), institutional ``limits`` (an actor that may
refuse a move), ``third_parties`` acting on their own triggers, an election ``successor_strategy``
and the coalition's ``belief`` from the parameters' prior means (not the episode's draws). Every
new chance (limits, third parties, the successor strategy) has a stream of its own, so a game
without the mechanism keeps its chance unchanged.

Every random number the game uses is drawn in a fixed pattern each month, independent of the
strategy being played, so two strategies run with the same seed face the same episodes
(common random numbers: differences between strategies are not Monte Carlo noise). With
``chance_period`` set, every block of that many episodes shares the same chance
(:class:`~detente.strategy.engine.TiledUniforms`): a sensitivity design's rows then differ only
by their parameters; with ``chance_window`` too, only some episodes of such a block are played,
each with its chance in the whole block (the hindcast's blocks of episodes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from detente.scenario.game import (
    STATE_VARS,
    UNIT_STATE_VARS,
    Effect,
    GameSpec,
    quantities,
)
from detente.strategy.engine import (
    COOPERATIVE,
    HOSTILE,
    NEUTRAL,
    NO_MOVE,
    BoolArray,
    FloatArray,
    IntArray,
    TiledUniforms,
    Uniforms,
    View,
)
from detente.strategy.metrics import game_metrics
from detente.strategy.strategies import STRATEGIES, Strategy

_TARGET_KIND = {"cooperative": COOPERATIVE, "neutral": NEUTRAL, "hostile": HOSTILE}
# how the target reads the coalition's move kinds
_COALITION_KIND = {
    "concession": COOPERATIVE,
    "gesture": COOPERATIVE,
    "neutral": NEUTRAL,
    "pressure": HOSTILE,
}
_STATE_DEFAULT = {"sanctions": 1.0, "exercises": 1.0, "cohesion": 1.0}
_EPS = 1e-9
#: spawn-key suffix of the vetoes' own random stream (any fixed value; it must never change, or
#: runs with vetoes stop reproducing)
_VETO_STREAM = 0x7E70
#: spawn-key suffixes of the issue-15 mechanisms' own streams (fixed for ever, as above)
_LIMIT_STREAM = 0x7E71
_THIRD_STREAM = 0x7E72
_SUCCESSOR_STREAM = 0x7E73
_PARTS = ("up", "talk", "progress", "test")


def _logit(p: FloatArray) -> FloatArray:
    q = np.clip(p, _EPS, 1.0 - _EPS)
    return np.asarray(np.log(q) - np.log1p(-q))


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-np.clip(x, -500.0, 500.0))))


@dataclass
class _CompiledEffect:
    side: int
    move: int
    state: str
    op: str
    value: FloatArray
    probability: FloatArray | None
    once: bool


_Shift = tuple[FloatArray, FloatArray]  # the response effects' (up, test) log-odds shifts
#: a month's move-independent response terms: base, talk stage, lasting lifts, pre-election, shifts
_Terms = tuple[FloatArray, BoolArray, list[FloatArray], FloatArray | float, _Shift | None]


@dataclass
class _ResponseEffect:
    """A compiled :class:`~detente.scenario.game.ResponseEffect` of type ``k``."""

    k: int
    part: str
    value: FloatArray
    decay: FloatArray  # per month: 0 one-off, 0.5^(1/half-life) decaying, 1 lasting
    move: int  # -1 for a calendar effect
    when: str
    month: int


@dataclass
class _Model:
    """The target's response parameters as one side holds them: the episode's draws (what the
    target is) or the coalition's prior means (what the coalition can know; issue 15 §6), with
    the running state of the lasting response effects under those parameters."""

    prior: FloatArray
    logit_talk: FloatArray
    logit_progress: FloatArray
    logit_test: FloatArray
    reassurance: FloatArray
    pre_election: FloatArray
    lift: FloatArray
    cost: FloatArray
    e_target: FloatArray
    e_coalition: FloatArray
    signal: FloatArray | None = None  # (n, Mc): each move's signal (None: no move signals)
    signal_weight: FloatArray | None = None  # (n, K)
    state_lift: list[tuple[str, FloatArray]] = field(default_factory=list)  # (var, (n, K))
    effects: list[_ResponseEffect] = field(default_factory=list)
    acc: list[FloatArray] = field(default_factory=list)  # per effect: its current shift


class CoalitionGame:
    """The stage game of a ``GameSpec`` for ``n`` episodes with the given draws and types."""

    def __init__(
        self,
        spec: GameSpec,
        draws: dict[str, FloatArray],
        types: IntArray,
        seed: np.random.SeedSequence | int,
        chance_period: int | None = None,
        beliefs: dict[str, FloatArray] | None = None,
        chance_window: tuple[int, int] | None = None,
    ) -> None:
        """``beliefs``: per-episode values the coalition believes a judgment has when it does
        not see the episode's draws (``belief.parameters`` other than ``episode``); a path not
        in it is believed at the spec's point value (a batch whose episodes come from different
        variants of the scenario, as the decision analyses play, gives each its own).
        ``chance_window=(start, stop)`` (with ``chance_period``): the episodes are episodes
        ``start … stop − 1`` of every block of ``chance_period``, each with the chance it has
        when the whole block is played (:class:`~detente.strategy.engine.TiledUniforms`)."""
        self.spec = spec
        self.chance_period = chance_period
        if chance_window is not None and chance_period is None:
            raise ValueError("a chance window needs a chance period")
        self.chance_window = chance_window
        self.n = n = int(types.shape[0])
        self.types = types
        self.seed = seed
        self.n_turns = spec.n_months
        self.checkpoint = spec.checkpoint_index
        self.c_ids = [m.id for m in spec.coalition_moves]
        self.t_ids = [m.id for m in spec.target_moves]
        self.type_ids = tuple(t.id for t in spec.types)
        self.trustworthy = frozenset(k for k, t in enumerate(spec.types) if t.trustworthy)
        ci = {m: i for i, m in enumerate(self.c_ids)}
        ti = {m: i for i, m in enumerate(self.t_ids)}
        self.c_index, self.t_index = ci, ti
        self.roles = {role: ci[move] for role, move in spec.roles.items()}
        self.c_kind_for_target = np.array(
            [_COALITION_KIND[m.kind] for m in spec.coalition_moves], dtype=np.int64
        )
        self.c_concession = np.array([m.kind == "concession" for m in spec.coalition_moves])
        self.t_kind = np.array([_TARGET_KIND[m.kind] for m in spec.target_moves], dtype=np.int64)
        self.c_mis = np.array(
            [ci[m.misread_as] if m.misread_as else i for i, m in enumerate(spec.coalition_moves)]
        )
        self.t_mis = np.array(
            [ti[m.misread_as] if m.misread_as else i for i, m in enumerate(spec.target_moves)]
        )
        self.ladder = np.array([ti[m] for m in spec.ladder], dtype=np.int64)
        self.test_move, self.idle_move = ti[spec.provocation], ti[spec.idle]
        self.declare_move = ci[spec.declaration.move]
        # the rung that opens talks: the ladder move whose effects set `talks`; p_talk applies
        # up to it, p_progress above it
        self.ladder_cond: list[tuple[str, float]] = []
        talks_rung = len(spec.ladder) - 1
        for r, mid in enumerate(spec.ladder):
            sets = [e for e in spec.target_moves[ti[mid]].effects if e.op == "set"]
            self.ladder_cond.append((sets[0].state, sets[0].value.point()) if sets else ("", 0))
            if any(e.state == "talks" for e in sets):
                talks_rung = min(talks_rung, r)
        self.talks_rung = talks_rung
        self.progress_moves = frozenset(int(x) for x in self.ladder[talks_rung + 1 :])
        self._progress_arr = np.array(sorted(self.progress_moves), dtype=np.int64)

        def d(path: str) -> FloatArray:
            return draws[path]

        # what the target is (the episode's draws) and what the coalition knows (issue 15 §6)
        self.truth = self._model(spec, d)
        if spec.belief.parameters == "episode":
            self.believed = self.truth
        else:
            means = {path: q.point() for path, q in quantities(spec)}

            def mean(path: str) -> FloatArray:
                if beliefs is not None and path in beliefs:
                    return beliefs[path]
                return np.full(n, means[path])

            self.believed = self._model(spec, mean)
        self.prior = self.believed.prior
        self.cost = self.truth.cost
        self.e_coalition = self.truth.e_coalition
        self.e_target = self.truth.e_target
        self.growth = d("game.arsenal.monthly_growth")
        self.freeze_factor = d("game.arsenal.freeze_factor")
        self.step_factor = d("game.arsenal.step_factor")
        self.unrecip_cost = d("game.cohesion_cost_unreciprocated")
        self.initial = {
            v: d(f"game.initial_state.{v}")
            if v in spec.initial_state
            else np.full(n, _STATE_DEFAULT.get(v, 0.0))
            for v in STATE_VARS
        }
        self.arsenal0 = d("game.arsenal.start")
        el = spec.election
        self.election_t = spec.month_index(el.month) if el else self.n_turns
        self.p_continuity = d("game.election.p_continuity") if el else np.ones(n)
        self.withdrawn = np.array([ci[m] for m in el.withdrawn_moves] if el else [], dtype=int)
        self.fallback = ci[el.fallback_move] if el else 0
        # a worldview's information date (spec.history): the months before it are the record's,
        # both sides forced; the strategies start there (docs: "Dated information sets")
        hist = spec.history
        self.t0 = hist.months if hist is not None else 0
        self.history_moves = (
            np.array([ci[m] for m in hist.coalition] if hist else [], dtype=np.int64),
            np.array([ti[m] for m in hist.target] if hist else [], dtype=np.int64),
        )
        # an election before the date is history: the coalition choosing from then on is the
        # one the election made (its withdrawals and successor strategy are in the record)
        self.election_past = el is not None and self.election_t < self.t0
        # vetoes: (move, fallback, probability, cohesion cost, only before progress)
        self.vetoes = [
            (
                ci[v.move],
                ci[v.fallback_move],
                d(f"game.vetoes.{v.id}.probability"),
                d(f"game.vetoes.{v.id}.cohesion_cost"),
                v.before_progress,
            )
            for v in spec.vetoes
        ]
        self.effects: list[_CompiledEffect] = []
        sides: list[tuple[int, str, list[tuple[str, list[Effect]]]]] = [
            (0, "coalition_moves", [(m.id, m.effects) for m in spec.coalition_moves]),
            (1, "target_moves", [(m.id, m.effects) for m in spec.target_moves]),
        ]
        for side, group, moves in sides:
            for m_i, (m_id, effects) in enumerate(moves):
                for e in effects:
                    path = f"game.{group}.{m_id}.effects.{e.id}"
                    self.effects.append(self._compile(side, m_i, path, e, draws))
        # a move counts as a new concession each time if some effect of it is not one-off
        self.repeatable = np.zeros(len(self.c_ids), dtype=bool)
        for ce in self.effects:
            if ce.side == 0 and not ce.once:
                self.repeatable[ce.move] = True
        # issue 15 §3: an explicit rule wins over the effects' `once`
        for i, cm in enumerate(spec.coalition_moves):
            if cm.repeat_is_new_concession is not None:
                self.repeatable[i] = cm.repeat_is_new_concession
        # issue 15 §1: named costs to the mover, paid like an `add` effect (never a signal)
        for i, cm in enumerate(spec.coalition_moves):
            for name, mc in cm.costs.items():
                amount = draws[f"game.coalition_moves.{cm.id}.costs.{name}.amount"]
                self.effects.append(_CompiledEffect(0, i, mc.state, "add", -amount, None, mc.once))
        # issue 15 §3: the k-th repeat's response effects × r^k (None: no move diminishes)
        self.repeat: FloatArray | None = None
        if any(cm.repeat_factor is not None for cm in spec.coalition_moves):
            self.repeat = np.ones((n, len(self.c_ids)))
            for i, cm in enumerate(spec.coalition_moves):
                if cm.repeat_factor is not None:
                    self.repeat[:, i] = d(f"game.coalition_moves.{cm.id}.repeat_factor")
        # issue 15 §4: institutional limits: (move, state, (below, above), p_refuse, fallback)
        self.limits = [
            (
                ci[lm.move],
                lm.state,
                self._bound(d, f"game.limits.{lm.id}", lm.below, lm.above),
                d(f"game.limits.{lm.id}.p_refuse"),
                ci[lm.fallback_move],
            )
            for lm in spec.limits
        ]
        # issue 15 §5: third parties
        self.third = [
            (
                tp,
                d(f"game.third_parties.{tp.id}.probability"),
                [
                    self._compile(-1, 0, f"game.third_parties.{tp.id}.effects.{e.id}", e, draws)
                    for e in tp.effects
                ],
                d(f"game.third_parties.{tp.id}.veto.probability") if tp.veto else None,
                [
                    self._compile(
                        -1, 0, f"game.third_parties.{tp.id}.veto.effects.{e.id}", e, draws
                    )
                    for e in (tp.veto.effects if tp.veto else [])
                ],
                self._bound(
                    d, f"game.third_parties.{tp.id}.trigger", tp.trigger.below, tp.trigger.above
                ),
            )
            for tp in spec.third_parties
        ]
        # issue 15 §8: the successor's own strategy after a change at the election
        self.successor: Strategy | None = None
        if el is not None and el.successor_strategy is not None:
            ref = next(r for r in spec.strategies if r.id == el.successor_strategy)
            params = {p: d(f"game.strategies.{ref.id}.params.{p}") for p in ref.params}
            self.successor = STRATEGIES[ref.strategy](**params)
        self._view0: View | None = None
        self._cache_t = -1
        self._terms: dict[tuple[int, int], _Terms] = {}
        z = np.zeros(0)
        self._cache: tuple[FloatArray, FloatArray] = (z, z)
        self._believed: tuple[
            IntArray, tuple[FloatArray, FloatArray], tuple[FloatArray, FloatArray]
        ]
        # the coalition's observation model: mis[b, o] = 1 when b can be misread as o
        mt = len(self.t_ids)
        self.t_has_mis = self.t_mis != np.arange(mt)
        self.mis_matrix = np.zeros((mt, mt))
        self.mis_matrix[np.arange(mt)[self.t_has_mis], self.t_mis[self.t_has_mis]] = 1.0

    def _model(self, spec: GameSpec, d: Callable[[str], FloatArray]) -> _Model:
        """The response parameters read through ``d`` (the episode's draws or prior means)."""
        n, ci = self.n, self.c_index

        def per_type(name: str) -> FloatArray:
            return np.stack([d(f"game.types.{t}.{name}") for t in self.type_ids], axis=1)

        prior = per_type("prior")
        prior = prior / prior.sum(axis=1, keepdims=True)
        lift = np.zeros((n, len(self.type_ids), len(self.c_ids)))
        for k, tt in enumerate(spec.types):
            for move in tt.lift:
                lift[:, k, ci[move]] = d(f"game.types.{tt.id}.lift.{move}")
        m = _Model(
            prior=prior,
            logit_talk=_logit(per_type("p_talk")),
            logit_progress=_logit(per_type("p_progress")),
            logit_test=_logit(per_type("p_test")),
            reassurance=per_type("reassurance"),
            pre_election=per_type("pre_election_lift"),
            lift=lift,
            cost=d("game.declaration.cost"),
            e_target=d("game.noise.target_misreads"),
            e_coalition=d("game.noise.coalition_misreads"),
        )
        # 1. signals, read by each type with its weight (default: 1 if trustworthy, else 0)
        if any(cm.signal is not None for cm in spec.coalition_moves):
            m.signal = np.zeros((n, len(self.c_ids)))
            for i, cm in enumerate(spec.coalition_moves):
                if cm.signal is not None:
                    m.signal[:, i] = d(f"game.coalition_moves.{cm.id}.signal")
            m.signal_weight = np.stack(
                [
                    d(f"game.types.{tt.id}.signal_weight")
                    if tt.signal_weight is not None
                    else np.full(n, 1.0 if tt.trustworthy else 0.0)
                    for tt in spec.types
                ],
                axis=1,
            )
        # 4. state feedback: per state variable, a (n, K) coefficient (0 for a type without)
        feedback = sorted({v for tt in spec.types for v in tt.state_lift})
        for v in feedback:
            coef = np.zeros((n, len(self.type_ids)))
            for k, tt in enumerate(spec.types):
                if v in tt.state_lift:
                    coef[:, k] = d(f"game.types.{tt.id}.state_lift.{v}")
            m.state_lift.append((v, coef))
        # 2, 7. response effects: one-off, decaying or lasting, by move or by calendar
        for k, tt in enumerate(spec.types):
            for e in tt.effects:
                base = f"game.types.{tt.id}.effects.{e.id}"
                if e.persistence == "lasting":
                    decay = np.ones(n)
                elif e.persistence == "decaying" and e.half_life is not None:
                    decay = np.asarray(0.5 ** (1.0 / d(f"{base}.half_life")), dtype=np.float64)
                else:
                    decay = np.zeros(n)
                m.effects.append(
                    _ResponseEffect(
                        k=k,
                        part=e.shifts,
                        value=d(f"{base}.value"),
                        decay=decay,
                        move=ci[e.move] if e.move is not None else -1,
                        when=e.when,
                        month=spec.month_index(e.month) if e.month is not None else -1,
                    )
                )
        return m

    @staticmethod
    def _bound(
        d: Callable[[str], FloatArray], base: str, below: object, above: object
    ) -> tuple[FloatArray | None, FloatArray | None]:
        return (
            d(f"{base}.below") if below is not None else None,
            d(f"{base}.above") if above is not None else None,
        )

    def _level(self, var: str) -> FloatArray:
        """A state variable, or ``arsenal``, at the start of the month."""
        return self.arsenal if var == "arsenal" else self.state[var]

    def _compile(
        self, side: int, move: int, base: str, e: Effect, draws: dict[str, FloatArray]
    ) -> _CompiledEffect:
        value = np.asarray(draws[f"{base}.value"], dtype=np.float64)
        prob = (
            np.asarray(draws[f"{base}.probability"], dtype=np.float64)
            if e.probability is not None
            else None
        )
        if e.scale_by_cost:
            if e.op == "add":
                value = value * self.cost
            elif prob is not None:
                prob = prob * self.cost
            else:
                prob = self.cost.copy()
        return _CompiledEffect(side, move, e.state, e.op, value, prob, e.once)

    # ------------------------------------------------------------------ StageGame protocol

    def reset(self, n: int) -> None:
        assert n == self.n, "a CoalitionGame is built for a fixed number of episodes"
        gen = np.random.default_rng(self.seed)
        self.rng: Uniforms = (
            TiledUniforms(gen, self.chance_period, self.chance_window)
            if self.chance_period
            else gen
        )
        # vetoes draw from their own stream, so a game without vetoes keeps its chance unchanged
        root = (
            self.seed
            if isinstance(self.seed, np.random.SeedSequence)
            else np.random.SeedSequence(self.seed)
        )
        vgen = np.random.default_rng(
            np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, _VETO_STREAM))
        )
        self.veto_rng: Uniforms = (
            TiledUniforms(vgen, self.chance_period, self.chance_window)
            if self.chance_period
            else vgen
        )
        # issue 15: each mechanism's chance from a stream of its own (drawn only when used)
        self.limit_rng = self._stream(root, _LIMIT_STREAM)
        self.third_rng = self._stream(root, _THIRD_STREAM)
        self.successor_rng = self._stream(root, _SUCCESSOR_STREAM)
        if self.successor is not None:
            self.successor.reset(n)
        self.count = np.zeros((n, len(self.c_ids)))  # times each coalition move was made
        self.refused = np.zeros(n)  # moves an outside actor refused (limits)
        self.third_acted = {tp.id: np.zeros(n, dtype=bool) for tp, *_ in self.third}
        self.third_vetoed = {tp.id: np.zeros(n, dtype=bool) for tp, *_ in self.third}
        for model in {id(self.truth): self.truth, id(self.believed): self.believed}.values():
            model.acc = [np.zeros(n) for _ in model.effects]
        self._acc_seen: list[FloatArray] = []
        self.progress_seen = np.zeros(n, dtype=bool)
        self.blocked = np.zeros(n)
        self.state = {v: self.initial[v].copy() for v in STATE_VARS}
        self.state["declared"] = np.zeros(n)
        self.arsenal = self.arsenal0.copy()
        self.belief = self.prior.copy()
        self.changed = self.rng.random(n) >= self.p_continuity  # election brings a change
        self.used = np.zeros((n, len(self.c_ids)), dtype=bool)
        self.used_t = np.zeros((n, len(self.t_ids)), dtype=bool)
        self.conceded = np.zeros(n, dtype=bool)  # a counted concession last month
        self.unreciprocated = np.zeros(n)
        self.first_talks = np.full(n, -1, dtype=np.int64)
        self.freeze_by_checkpoint = np.zeros(n, dtype=bool)
        self.steps_at_checkpoint = np.zeros(n)
        self.arsenal_at_checkpoint = self.arsenal0.copy()
        self.last_a = np.full(n, NO_MOVE, dtype=np.int64)
        #: the moves played so far (after vetoes and limits), per side: the metrics that count
        #: moves read them, however the game was played (simulate, play, a scripted drive)
        self.played = (
            np.full((n, self.n_turns), NO_MOVE, dtype=np.int64),
            np.full((n, self.n_turns), NO_MOVE, dtype=np.int64),
        )
        self._cache_t = -1
        self._terms.clear()

    def _stream(self, root: np.random.SeedSequence, key: int) -> Uniforms:
        gen = np.random.default_rng(
            np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, key))
        )
        return (
            TiledUniforms(gen, self.chance_period, self.chance_window)
            if self.chance_period
            else gen
        )

    def view(self, side: int, t: int, own: IntArray, opp: IntArray, rng: Uniforms) -> View:
        if side == 0:
            self._view0 = (
                View(
                    t=t,
                    own=own,
                    opp=opp,
                    opp_kind=self.t_kind,
                    roles=self.roles,
                    rng=self.successor_rng,
                    tags={"progress": self.progress_moves},
                    belief=self.belief.copy(),
                    type_ids=self.type_ids,
                    state={k: v.copy() for k, v in self.state.items()},
                    type_groups={"trustworthy": self.trustworthy},
                )
                if self.successor is not None and t >= self.election_t and not self.election_past
                else None
            )
            return View(
                t=t,
                own=own,
                opp=opp,
                opp_kind=self.t_kind,
                roles=self.roles,
                rng=rng,
                tags={"progress": self.progress_moves},
                belief=self.belief.copy(),
                type_ids=self.type_ids,
                state={k: v.copy() for k, v in self.state.items()},
                type_groups={"trustworthy": self.trustworthy},
            )
        return View(
            t=t,
            own=own,
            opp=opp,
            opp_kind=self.c_kind_for_target,
            roles={},
            rng=rng,
            state={k: v.copy() for k, v in self.state.items()},
        )

    def execute(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        if t < self.t0:
            # history: the moves the record gives, as made (vetoes and limits not applied, their
            # uniforms drawn as in any month, as the hindcast does)
            for _ in self.vetoes:
                self.veto_rng.random(self.n)
            for _ in self.limits:
                self.limit_rng.random(self.n)
            return (
                np.full(self.n, self.history_moves[0][t], dtype=np.int64),
                np.full(self.n, self.history_moves[1][t], dtype=np.int64),
            )
        if t >= self.election_t and self.successor is not None and self._view0 is not None:
            # the successor's own strategy, from the election month, on the whole history
            a = np.where(self.changed, self.successor.act(self._view0), a)
        if t >= self.election_t and self.withdrawn.size and not self.election_past:
            gone = self.changed & np.isin(a, self.withdrawn)
            a = np.where(gone, self.fallback, a)
        for move, fallback, prob, cost, before_progress in self.vetoes:
            u = self.veto_rng.random(self.n)  # one uniform per veto per month, always drawn
            hit = (a == move) & (u < prob)
            if before_progress:
                hit &= ~self.progress_seen
            a = np.where(hit, fallback, a)
            self.blocked += hit
            self.state["cohesion"] -= hit * cost
        for move, var, (below, above), p_refuse, fallback in self.limits:
            u = self.limit_rng.random(self.n)  # one uniform per limit per month, always drawn
            level = self._level(var)
            if below is not None:
                binds = level <= below + _EPS
            else:
                assert above is not None
                binds = level >= above - _EPS
            hit = (a == move) & binds & (u < p_refuse)
            a = np.where(hit, fallback, a)
            self.refused += hit
        return a, b

    def perceive(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        u = self.rng.random((2, self.n))
        a_seen = np.where(u[0] < self.e_target, self.c_mis[a], a)
        b_seen = np.where(u[1] < self.e_coalition, self.t_mis[b], b)
        return a_seen, b_seen

    # ------------------------------------------------------------------ the target's response

    def response(
        self,
        t: int,
        c: IntArray,
        model: _Model | None = None,
        rung: IntArray | None = None,
        cached: bool = False,
    ) -> FloatArray:
        """P(target move | type, perceived last coalition move ``c``): shape ``(n, K, Mt)``,
        from the state at the start of month ``t``, under ``model``'s parameters (default: the
        episode's own, what the target is). ``cached``: reuse this month's move-independent
        terms (only within :meth:`_month_responses`, where the state cannot change between
        calls)."""
        m = self.truth if model is None else model
        n, k = self.n, len(self.type_ids)
        rung = self._rung() if rung is None else rung
        if not cached:
            self._terms.clear()
        p_up, p_test = self._up_test(t, c, m, rung)
        probs = np.zeros((n, k, len(self.t_ids)))
        rows, kk = np.arange(n)[:, None], np.arange(k)[None, :]
        probs[rows, kk, self.ladder[rung][:, None]] += p_up
        probs[:, :, self.test_move] += (1.0 - p_up) * p_test
        probs[:, :, self.idle_move] += (1.0 - p_up) * (1.0 - p_test)
        return probs

    def _month_terms(self, t: int, m: _Model, rung: IntArray) -> _Terms:
        """What does not depend on the coalition's last move, once a month per model: the
        base log-odds, the lasting lifts (declaration, signals, state), the pre-election lift
        and the response effects' shifts."""
        key = (t, id(m))
        cached = self._terms.get(key)
        if cached is not None:
            return cached
        talk_stage: BoolArray = (rung <= self.talks_rung)[:, None]
        base: FloatArray = np.where(talk_stage, m.logit_talk, m.logit_progress)
        lasting = [m.reassurance * (m.cost * self.state["declared"])[:, None]]
        if m.signal is not None and m.signal_weight is not None:
            sent = (m.signal * (self.count > 0)).sum(axis=1)
            lasting.append(m.signal_weight * sent[:, None])
        for var, coef in m.state_lift:
            lasting.append(coef * self._level(var)[:, None])
        pre = m.pre_election if t < self.election_t else 0.0
        shift: _Shift | None = None
        if m.effects:
            sh = self._shifts(t, m)
            shift = (sh["up"] + np.where(talk_stage, sh["talk"], sh["progress"]), sh["test"])
        out: _Terms = (base, talk_stage, lasting, pre, shift)
        self._terms[key] = out
        return out

    def _up_test(
        self, t: int, c: IntArray, m: _Model, rung: IntArray
    ) -> tuple[FloatArray, FloatArray]:
        """P(move up) and P(test | not up), ``(n, K)``, after the perceived move ``c``."""
        n = self.n
        base, _stage, lasting, pre, shift = self._month_terms(t, m, rung)
        lift = np.where((c >= 0)[:, None], m.lift[np.arange(n), :, np.maximum(c, 0)], 0.0)
        if self.repeat is not None:
            # the k-th repeat of the move read as ``c`` lifts r^k as much (issue 15 §3)
            cc = np.maximum(c, 0)
            times = np.maximum(self.count[np.arange(n), cc] - 1.0, 0.0)
            lift = lift * (self.repeat[np.arange(n), cc] ** times)[:, None]
        for term in lasting:
            lift = lift + term
        up = base + lift + pre
        test = m.logit_test - lift
        if shift is not None:
            up = up + shift[0]
            test = test + shift[1]
        return _sigmoid(up), _sigmoid(test)

    def _shifts(self, t: int, m: _Model) -> dict[str, FloatArray]:
        """The response effects' log-odds shifts this month, per part: ``(n, K)`` each."""
        out = {part: np.zeros((self.n, len(self.type_ids))) for part in _PARTS}
        for e, acc in zip(m.effects, m.acc, strict=True):
            if e.move < 0:  # calendar: from its month on, decaying as a move's would
                if t < e.month:
                    continue
                out[e.part][:, e.k] += e.value * e.decay ** float(t - e.month)
            else:
                out[e.part][:, e.k] += acc
        return out

    def _month_responses(self, t: int) -> tuple[FloatArray, FloatArray]:
        """The response to the coalition's actual last move and to its misreading, under the
        episode's parameters (the target draws from one of them; the coalition's Bayes update
        needs both); cached per month. Under prior-mean beliefs, the coalition's P(up) and
        P(test) for the same two moves are kept too (:attr:`_believed`)."""
        if self._cache_t != t:
            a = self.last_a
            mis_a = np.where(a >= 0, self.c_mis[np.maximum(a, 0)], a)
            rung = self._rung()
            self._terms.clear()
            self._cache = (
                self.response(t, a, rung=rung, cached=True),
                self.response(t, mis_a, rung=rung, cached=True),
            )
            if self.believed is not self.truth:
                bm = self.believed
                self._believed = (
                    self.ladder[rung],
                    self._up_test(t, a, bm, rung),
                    self._up_test(t, mis_a, bm, rung),
                )
            self._cache_t = t
        return self._cache

    def _rung(self) -> IntArray:
        """The next ladder rung per episode: the first whose condition does not hold yet (the
        last rung — verifiable steps — can always be climbed again)."""
        last = len(self.ladder_cond) - 1
        rung = np.full(self.n, last, dtype=np.int64)
        for r in range(last - 1, -1, -1):
            var, val = self.ladder_cond[r]
            if var:
                rung[np.abs(self.state[var] - val) > 1e-9] = r
        return rung

    def target_move(self, t: int, c_seen: IntArray) -> IntArray:
        """Draw the target's move (one uniform per episode per month, whatever the strategy)."""
        u = self.rng.random(self.n)
        p_true, p_mis = self._month_responses(t)
        rows = np.arange(self.n)
        probs = np.where(
            (c_seen == self.last_a)[:, None], p_true[rows, self.types], p_mis[rows, self.types]
        )
        cdf = np.cumsum(probs, axis=1)
        moves: IntArray = np.minimum((u[:, None] > cdf).sum(axis=1), len(self.t_ids) - 1)
        return moves.astype(np.int64)

    # ------------------------------------------------------------------ transition

    def _likelihood(self, t: int, observed: IntArray) -> FloatArray:
        """P(coalition observes ``observed`` | type), marginalising both sides' misreadings,
        under the parameters the coalition holds (:attr:`believed`)."""
        p_true, p_mis = self._month_responses(t)
        rows = np.arange(self.n)
        if self.believed is self.truth:
            e_t = self.e_target[:, None, None]
            p_move = (1.0 - e_t) * p_true + e_t * p_mis
            stay = 1.0 - self.e_coalition[:, None] * self.t_has_mis[observed][:, None]
            direct = p_move[rows, :, observed] * stay
            via = (p_move @ self.mis_matrix)[rows, :, observed] * self.e_coalition[:, None]
            return np.asarray(direct + via)
        # the coalition's own parameters: only the columns the observation needs. The target
        # moves up, tests or idles: each as P under our move and under its misreading, mixed
        bm = self.believed
        up_move, (pu_a, pt_a), (pu_m, pt_m) = self._believed
        e_t, e_c = bm.e_target[:, None], bm.e_coalition[:, None]
        m_up = (1.0 - e_t) * pu_a + e_t * pu_m
        m_test = (1.0 - e_t) * ((1.0 - pu_a) * pt_a) + e_t * ((1.0 - pu_m) * pt_m)
        m_idle = (1.0 - e_t) * ((1.0 - pu_a) * (1.0 - pt_a)) + e_t * ((1.0 - pu_m) * (1.0 - pt_m))

        def column(move: int) -> FloatArray:
            """P(the target makes ``move`` | type), ``(n, K)``."""
            if move == self.test_move:
                return m_test
            if move == self.idle_move:
                return m_idle
            return np.where((up_move == move)[:, None], m_up, 0.0)

        stay = 1.0 - e_c * self.t_has_mis[observed][:, None]
        obs = observed[:, None]
        seen = np.where(
            obs == up_move[:, None],
            m_up,
            np.where(obs == self.test_move, m_test, np.where(obs == self.idle_move, m_idle, 0.0)),
        )
        out = seen * stay
        for b in np.flatnonzero(self.t_has_mis):
            into = (self.t_mis[b] == observed)[:, None]
            out = out + np.where(into, column(int(b)) * e_c, 0.0)
        return np.asarray(out)

    def step(self, t: int, a: IntArray, b: IntArray, a_seen: IntArray, b_seen: IntArray) -> None:
        n = self.n
        self.played[0][:, t], self.played[1][:, t] = a, b
        # 1. Bayes: the coalition's belief over types from the move it perceived
        lik = self._likelihood(t, b_seen)
        post = self.belief * lik
        total = post.sum(axis=1, keepdims=True)
        ok = total[:, 0] > 0
        self.belief[ok] = post[ok] / total[ok]
        # 2. last month's concession answered by anything but cooperation: unreciprocated
        unanswered = self.conceded & (self.t_kind[b] != COOPERATIVE)
        if t >= self.t0:  # counts from the worldview's date (the cohesion cost is the state's)
            self.unreciprocated += unanswered
        self.state["cohesion"] -= unanswered * self.unrecip_cost
        # 2b. lasting response effects (issue 15 §2): the target's from what happened, the
        # coalition's model of them from what it saw
        rows = np.arange(n)
        if self.truth.effects or self.believed.effects:
            rep = (
                self.repeat[rows, a] ** self.count[rows, a]
                if self.repeat is not None
                else np.ones(n)
            )
            seen_unanswered = self.conceded & (self.t_kind[b_seen] != COOPERATIVE)
            self._accumulate(self.truth, a, rep, unanswered)
            if self.believed is not self.truth:
                self._accumulate(self.believed, a, rep, seen_unanswered)
        # third parties act on what held at the end of last month (issue 15 §5)
        third = self._third_parties(t >= self.t0) if self.third else []
        # 3. effects of both moves (one uniform per probabilistic effect per month)
        first_time = (~self.used[rows, a], ~self.used_t[rows, b])
        self.conceded = self.c_concession[a] & (first_time[0] | self.repeatable[a])
        for e in self.effects:
            made = (a if e.side == 0 else b) == e.move
            if e.probability is not None:
                made &= self.rng.random(n) < e.probability
            if e.once:
                # `once`: only when the move is made for the first time, whatever the draw
                made &= first_time[e.side]
            var = self.state[e.state]
            var[:] = np.where(made, e.value if e.op == "set" else var + e.value, var)
        for acts, effects in third:
            for e in effects:
                made = acts.copy()
                if e.probability is not None:
                    made &= self.third_rng.random(n) < e.probability
                var = self.state[e.state]
                var[:] = np.where(made, e.value if e.op == "set" else var + e.value, var)
        self.count[rows, a] += 1.0
        for v in UNIT_STATE_VARS:
            np.clip(self.state[v], 0.0, 1.0, out=self.state[v])
        np.maximum(self.state["steps"], 0.0, out=self.state["steps"])
        self.used[rows, a] = True
        self.used_t[rows, b] = True
        self.progress_seen |= np.isin(b_seen, self._progress_arr)  # as the coalition saw it
        self.state["declared"][a == self.declare_move] = 1.0
        # 4. the arsenal grows, slowed by a freeze and by each verified step
        frozen = self.state["freeze"] > 0.5
        rate = self.growth * np.where(frozen, self.freeze_factor, 1.0)
        rate = rate * self.step_factor ** self.state["steps"]
        self.arsenal += np.maximum(rate, 0.0)
        # 5. metrics
        talks = self.state["talks"] > 0.5
        if t >= self.t0:  # months from the worldview's date
            self.first_talks[(self.first_talks < 0) & talks] = t - self.t0
        if t <= self.checkpoint:
            if t >= self.t0:
                self.freeze_by_checkpoint |= frozen
            self.steps_at_checkpoint = self.state["steps"].copy()
            self.arsenal_at_checkpoint = self.arsenal.copy()
        self.last_a = a

    def _accumulate(self, m: _Model, a: IntArray, rep: FloatArray, unanswered: BoolArray) -> None:
        """Decay each move-triggered response effect and add this month's triggers."""
        for i, e in enumerate(m.effects):
            if e.move < 0:
                continue
            if e.when == "made":
                trig = (a == e.move) * rep
            else:  # a concession of this move last month, not reciprocated this month
                trig = (unanswered & (self.last_a == e.move)).astype(np.float64)
            m.acc[i] = m.acc[i] * e.decay + trig * e.value

    def _third_parties(self, count: bool = True) -> list[tuple[BoolArray, list[_CompiledEffect]]]:
        """Which third parties act this month, and the effects of each act (or of its veto).
        One uniform per third party a month, and one per veto, always drawn. ``count``: flag
        the acts for the metrics (not in the months before a worldview's date)."""
        out: list[tuple[BoolArray, list[_CompiledEffect]]] = []
        for tp, prob, effects, veto_p, veto_effects, (below, above) in self.third:
            u = self.third_rng.random(self.n)
            uv = self.third_rng.random(self.n) if veto_p is not None else None
            active = np.ones(self.n, dtype=bool)
            trig = tp.trigger
            if trig.after_move is not None:
                active &= self.count[:, self.c_index[trig.after_move]] > 0
            if trig.state is not None:
                level = self._level(trig.state)
                if below is not None:
                    active &= level <= below + _EPS
                if above is not None:
                    active &= level >= above - _EPS
            if tp.once:
                active &= ~(self.third_acted[tp.id] | self.third_vetoed[tp.id])
            acts = active & (u < prob)
            if veto_p is not None and uv is not None:
                vetoed = acts & (uv < veto_p)
                if count:
                    self.third_vetoed[tp.id] |= vetoed
                out.append((vetoed, veto_effects))
                acts = acts & ~vetoed
            if count:
                self.third_acted[tp.id] |= acts
            out.append((acts, effects))
        return out

    def outcomes(self) -> dict[str, FloatArray]:
        """Per-episode outcome metrics, keyed and ordered as the registry
        (:mod:`detente.strategy.metrics`) lists them for this game."""
        return {m.name: m.compute(self, m) for m in game_metrics(self.spec)}


class FromDate:
    """The coalition's strategy adopted at a worldview's date (``spec.history``): before it, the
    record's moves (the game forces them too); from it, the strategy, which sees the months
    from the date on as its own game (its month 0 is the date: it opens there), with the
    state and the belief the history left."""

    name: ClassVar[str] = "From date"

    def __init__(self, strategy: Strategy, game: CoalitionGame) -> None:
        self.strategy = strategy
        self.t0 = game.t0
        self.moves = game.history_moves[0]

    def reset(self, n: int) -> None:
        self.strategy.reset(n)

    def act(self, view: View) -> IntArray:
        if view.t < self.t0:
            return np.full(view.n, self.moves[view.t], dtype=np.int64)
        t0 = self.t0
        return self.strategy.act(
            replace(view, t=view.t - t0, own=view.own[:, t0:], opp=view.opp[:, t0:])
        )


def coalition_player(strategy: Strategy, game: CoalitionGame) -> Strategy | FromDate:
    """The coalition's player: ``strategy`` itself, or from the worldview's date."""
    return FromDate(strategy, game) if game.t0 > 0 else strategy


class TypedTarget:
    """The target as a player: each episode's type answers the perceived coalition move."""

    name: ClassVar[str] = "Typed target"

    def __init__(self, game: CoalitionGame) -> None:
        self.game = game

    def reset(self, n: int) -> None:
        pass

    def act(self, view: View) -> IntArray:
        c_seen = view.opp_last()
        return self.game.target_move(view.t, c_seen)
