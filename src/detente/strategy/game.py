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

Every random number the game uses is drawn in a fixed pattern each month, independent of the
strategy being played, so two strategies run with the same seed face the same episodes
(common random numbers: differences between strategies are not Monte Carlo noise). With
``chance_period`` set, every block of that many episodes shares the same chance
(:class:`~detente.strategy.engine.TiledUniforms`): a sensitivity design's rows then differ only
by their parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from detente.scenario.game import STATE_VARS, UNIT_STATE_VARS, Effect, GameSpec
from detente.strategy.engine import (
    COOPERATIVE,
    HOSTILE,
    NEUTRAL,
    NO_MOVE,
    FloatArray,
    IntArray,
    Record,
    TiledUniforms,
    Uniforms,
    View,
)
from detente.strategy.metrics import game_metrics

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


class CoalitionGame:
    """The stage game of a ``GameSpec`` for ``n`` episodes with the given draws and types."""

    #: the moves of the last play, when :func:`detente.strategy.simulate.simulate` played it
    record: Record | None = None

    def __init__(
        self,
        spec: GameSpec,
        draws: dict[str, FloatArray],
        types: IntArray,
        seed: np.random.SeedSequence | int,
        chance_period: int | None = None,
    ) -> None:
        self.spec = spec
        self.chance_period = chance_period
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

        def per_type(field: str) -> FloatArray:
            return np.stack([d(f"game.types.{t}.{field}") for t in self.type_ids], axis=1)

        self.prior = per_type("prior")
        self.prior = self.prior / self.prior.sum(axis=1, keepdims=True)
        self.logit_talk = _logit(per_type("p_talk"))
        self.logit_progress = _logit(per_type("p_progress"))
        self.logit_test = _logit(per_type("p_test"))
        self.reassurance = per_type("reassurance")
        self.pre_election = per_type("pre_election_lift")
        self.lift = np.zeros((n, len(self.type_ids), len(self.c_ids)))
        for k, tt in enumerate(spec.types):
            for move in tt.lift:
                self.lift[:, k, ci[move]] = d(f"game.types.{tt.id}.lift.{move}")
        self.cost = d("game.declaration.cost")
        self.e_coalition = d("game.noise.coalition_misreads")
        self.e_target = d("game.noise.target_misreads")
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
        self._cache_t = -1
        self._cache: tuple[FloatArray, FloatArray] = (np.zeros(0), np.zeros(0))
        # the coalition's observation model: mis[b, o] = 1 when b can be misread as o
        mt = len(self.t_ids)
        self.t_has_mis = self.t_mis != np.arange(mt)
        self.mis_matrix = np.zeros((mt, mt))
        self.mis_matrix[np.arange(mt)[self.t_has_mis], self.t_mis[self.t_has_mis]] = 1.0

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
        self.rng: Uniforms = TiledUniforms(gen, self.chance_period) if self.chance_period else gen
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
            TiledUniforms(vgen, self.chance_period) if self.chance_period else vgen
        )
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
        self._cache_t = -1

    def view(self, side: int, t: int, own: IntArray, opp: IntArray, rng: Uniforms) -> View:
        if side == 0:
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
        if t >= self.election_t and self.withdrawn.size:
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
        return a, b

    def perceive(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        u = self.rng.random((2, self.n))
        a_seen = np.where(u[0] < self.e_target, self.c_mis[a], a)
        b_seen = np.where(u[1] < self.e_coalition, self.t_mis[b], b)
        return a_seen, b_seen

    # ------------------------------------------------------------------ the target's response

    def response(self, t: int, c: IntArray) -> FloatArray:
        """P(target move | type, perceived last coalition move ``c``): shape ``(n, K, Mt)``,
        from the state at the start of month ``t``."""
        n, k = self.n, len(self.type_ids)
        rung = self._rung()
        talk_stage = (rung <= self.talks_rung)[:, None]
        base = np.where(talk_stage, self.logit_talk, self.logit_progress)
        lift = np.where((c >= 0)[:, None], self.lift[np.arange(n), :, np.maximum(c, 0)], 0.0)
        lift = lift + self.reassurance * (self.cost * self.state["declared"])[:, None]
        up = base + lift + (self.pre_election if t < self.election_t else 0.0)
        p_up = _sigmoid(up)
        p_test = _sigmoid(self.logit_test - lift)
        probs = np.zeros((n, k, len(self.t_ids)))
        rows, kk = np.arange(n)[:, None], np.arange(k)[None, :]
        probs[rows, kk, self.ladder[rung][:, None]] += p_up
        probs[:, :, self.test_move] += (1.0 - p_up) * p_test
        probs[:, :, self.idle_move] += (1.0 - p_up) * (1.0 - p_test)
        return probs

    def _month_responses(self, t: int) -> tuple[FloatArray, FloatArray]:
        """The response to the coalition's actual last move and to its misreading (cached per
        month: the target draws from one of them, the coalition's Bayes update needs both)."""
        if self._cache_t != t:
            a = self.last_a
            mis_a = np.where(a >= 0, self.c_mis[np.maximum(a, 0)], a)
            self._cache = (self.response(t, a), self.response(t, mis_a))
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
        """P(coalition observes ``observed`` | type), marginalising both sides' misreadings."""
        p_true, p_mis = self._month_responses(t)
        e_t = self.e_target[:, None, None]
        p_move = (1.0 - e_t) * p_true + e_t * p_mis
        rows = np.arange(self.n)
        stay = 1.0 - self.e_coalition[:, None] * self.t_has_mis[observed][:, None]
        direct = p_move[rows, :, observed] * stay
        via = (p_move @ self.mis_matrix)[rows, :, observed] * self.e_coalition[:, None]
        return np.asarray(direct + via)

    def step(self, t: int, a: IntArray, b: IntArray, a_seen: IntArray, b_seen: IntArray) -> None:
        n = self.n
        # 1. Bayes: the coalition's belief over types from the move it perceived
        lik = self._likelihood(t, b_seen)
        post = self.belief * lik
        total = post.sum(axis=1, keepdims=True)
        ok = total[:, 0] > 0
        self.belief[ok] = post[ok] / total[ok]
        # 2. last month's concession answered by anything but cooperation: unreciprocated
        unanswered = self.conceded & (self.t_kind[b] != COOPERATIVE)
        self.unreciprocated += unanswered
        self.state["cohesion"] -= unanswered * self.unrecip_cost
        # 3. effects of both moves (one uniform per probabilistic effect per month)
        rows = np.arange(n)
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
        self.first_talks[(self.first_talks < 0) & talks] = t
        if t <= self.checkpoint:
            self.freeze_by_checkpoint |= frozen
            self.steps_at_checkpoint = self.state["steps"].copy()
            self.arsenal_at_checkpoint = self.arsenal.copy()
        self.last_a = a

    def outcomes(self) -> dict[str, FloatArray]:
        """Per-episode outcome metrics, keyed and ordered as the registry
        (:mod:`detente.strategy.metrics`) lists them for this game."""
        return {m.name: m.compute(self, m) for m in game_metrics(self.spec)}


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
