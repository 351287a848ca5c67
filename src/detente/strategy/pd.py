"""The symmetric two-action prisoner's dilemma as a :class:`~detente.strategy.engine.StageGame`.

Payoffs (R, S, T, P) = (3, 0, 5, 1) as in Axelrod (1984) and the axelrod library's default
``Game``. Noise follows the axelrod library's ``Match``: each player's chosen action is
flipped with probability ``noise`` before it is played, and both players (and the scores) see
the flipped action (Wu & Axelrod 1995 model noise the same way). This instance exists so the
engine can be checked against the axelrod library (``tests/strategy/test_axelrod_crosscheck.py``)
and so the classic strategies have a reference game.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detente.strategy.engine import (
    COOPERATIVE,
    HOSTILE,
    FloatArray,
    IntArray,
    Player,
    Record,
    Uniforms,
    View,
    play,
)

C, D = 0, 1


@dataclass
class PrisonersDilemma:
    """``n_turns`` rounds of the PD; ``scores`` holds each side's total per episode."""

    n_turns: int = 200
    noise: float = 0.0
    R: float = 3.0
    S: float = 0.0
    T: float = 5.0
    P: float = 1.0
    seed: int | np.random.SeedSequence = 0

    def reset(self, n: int) -> None:
        self._rng = np.random.default_rng(self.seed)
        self.scores: tuple[FloatArray, FloatArray] = (np.zeros(n), np.zeros(n))
        # payoff[my move, their move]
        self._payoff = np.array([[self.R, self.S], [self.T, self.P]])

    def view(self, side: int, t: int, own: IntArray, opp: IntArray, rng: Uniforms) -> View:
        return View(
            t=t,
            own=own,
            opp=opp,
            opp_kind=np.array([COOPERATIVE, HOSTILE], dtype=np.int64),
            roles={"cooperate": C, "defect": D},
            rng=rng,
        )

    def execute(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        if self.noise <= 0.0:
            return a, b
        flip = self._rng.random((2, a.shape[0])) < self.noise
        return np.where(flip[0], 1 - a, a), np.where(flip[1], 1 - b, b)

    def perceive(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        return a, b

    def step(self, t: int, a: IntArray, b: IntArray, a_seen: IntArray, b_seen: IntArray) -> None:
        self.scores[0][:] += self._payoff[a, b]
        self.scores[1][:] += self._payoff[b, a]


def match(
    a: Player,
    b: Player,
    turns: int = 200,
    noise: float = 0.0,
    n: int = 1,
    seed: int = 0,
) -> tuple[PrisonersDilemma, Record]:
    """Play ``n`` independent matches of ``a`` against ``b``; returns the game (with its
    ``scores``) and the record of moves. Seeds for noise and the players' own randomness are
    spawned from ``seed`` (same seed, same matches)."""
    ss = np.random.SeedSequence(seed)
    game_ss, a_ss, b_ss = ss.spawn(3)
    game = PrisonersDilemma(n_turns=turns, noise=noise, seed=game_ss)
    rec = play(game, (a, b), n, (np.random.default_rng(a_ss), np.random.default_rng(b_ss)))
    return game, rec
