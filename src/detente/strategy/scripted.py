"""Scripted players and a replay harness, for tests and for exploring a strategy by hand.

:class:`Scripted` plays a fixed sequence of moves (the same in every episode), the way the
axelrod library's ``MockPlayer`` does; :func:`replay` feeds a strategy a scripted opponent
history (and optionally a scripted state) and returns the moves it chose, one turn at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from detente.strategy.engine import IntArray, View
from detente.strategy.strategies import Strategy


class Scripted:
    """Plays ``moves[t]`` at turn ``t`` (the last move repeats once the script runs out)."""

    name: ClassVar[str] = "Scripted"

    def __init__(self, moves: Sequence[int]) -> None:
        if not moves:
            raise ValueError("a script needs at least one move")
        self.moves = list(moves)

    def reset(self, n: int) -> None:
        self.n = n

    def act(self, view: View) -> IntArray:
        move = self.moves[min(view.t, len(self.moves) - 1)]
        return np.full(view.n, move, dtype=np.int64)


def replay(
    strategy: Strategy,
    roles: Mapping[str, int],
    opp_kind: Sequence[int],
    opponent: Sequence[int],
    states: Sequence[Mapping[str, float]] | None = None,
    tags: Mapping[str, frozenset[int]] | None = None,
    seed: int = 0,
    n: int = 1,
    beliefs: Sequence[Sequence[float]] | None = None,
    type_groups: Mapping[str, frozenset[int]] | None = None,
) -> list[list[int]]:
    """The moves ``strategy`` makes against the scripted ``opponent`` (``n`` episodes).

    Turn ``t`` sees the opponent's moves ``opponent[:t]``, state ``states[t]`` and, when given,
    the belief over types ``beliefs[t]`` (grouped by ``type_groups``); returns a list per turn
    of the ``n`` moves made. The strategy's own history is what it played.
    """
    strategy.reset(n)
    rng = np.random.default_rng(seed)
    own = np.zeros((n, len(opponent)), dtype=np.int64)
    opp = np.tile(np.asarray(opponent, dtype=np.int64), (n, 1))
    out: list[list[int]] = []
    for t in range(len(opponent)):
        state = {
            k: np.full(n, v, dtype=np.float64) for k, v in (states[t] if states else {}).items()
        }
        view = View(
            t=t,
            own=own[:, :t],
            opp=opp[:, :t],
            opp_kind=np.asarray(opp_kind, dtype=np.int64),
            roles=roles,
            rng=rng,
            tags=tags or {},
            state=state,
            belief=np.tile(np.asarray(beliefs[t], dtype=np.float64), (n, 1)) if beliefs else None,
            type_groups=type_groups or {},
        )
        moves = strategy.act(view)
        own[:, t] = moves
        out.append([int(m) for m in moves])
    return out
