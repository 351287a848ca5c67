"""A generic repeated two-player game, vectorised over independent episodes.

Both players move simultaneously each turn, seeing the whole history up to the previous turn
(Axelrod 1984, ch. 2: the iterated game of *The Evolution of Cooperation*). A :class:`StageGame`
says what the moves are, which of them each side may play (``execute``: execution noise,
withdrawn moves), how each side *perceives* the other's move (``perceive``: misperception,
Wu & Axelrod 1995), and how the moves change its state and payoffs (``step``). A
:class:`Player` maps a :class:`View` (its own moves, the other's moves as it perceived them,
its beliefs) to a move per episode.

Two instances ship: the symmetric prisoner's dilemma (:mod:`detente.strategy.pd`, used to
cross-check this engine against the Axelrod library) and the coalition-versus-typed-target
game (:mod:`detente.strategy.game`). Arrays carry a leading episode axis of length ``n`` so
one Python loop over turns simulates every episode at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    IntArray = NDArray[np.int64]
    FloatArray = NDArray[np.float64]
    BoolArray = NDArray[np.bool_]

#: the array aliases are made on first use: this module (with :mod:`.strategies` and
#: :mod:`.metrics`, which the scenario checks read) imports no numpy, so ``detente validate``
#: of a scenario with a game does not load it (start-up, issue 19)
_ALIASES = ("IntArray", "FloatArray", "BoolArray")


def __getattr__(name: str) -> Any:
    if name not in _ALIASES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import numpy as np
    from numpy.typing import NDArray

    aliases: dict[str, Any] = {
        "IntArray": NDArray[np.int64],
        "FloatArray": NDArray[np.float64],
        "BoolArray": NDArray[np.bool_],
    }
    globals().update(aliases)
    return aliases[name]


#: kinds of a move as the other side reads it
COOPERATIVE, NEUTRAL, HOSTILE = 0, 1, 2
NO_MOVE = -1


class Uniforms(Protocol):
    """A source of uniform random numbers on [0, 1): a :class:`numpy.random.Generator`, or a
    :class:`TiledUniforms` when blocks of episodes must share their chance."""

    def random(self, size: int | tuple[int, ...]) -> FloatArray: ...


class TiledUniforms:
    """Uniforms shared by every block of ``period`` episodes.

    ``random(size)`` draws the uniforms of ``period`` episodes (the last axis of ``size``) and
    repeats them for each block, so episode ``j`` of every block sees the same chance. A
    sensitivity design plays each design row as one such block: the rows then differ only by
    their parameter values (common random numbers), not by the luck of their episodes. With
    ``period`` equal to the number of episodes it gives exactly the generator's own draws.

    ``window=(start, stop)``: only episodes ``start … stop − 1`` of the ``period`` are played
    (each block holds ``stop − start`` episodes), and each sees exactly the uniforms it sees when
    all ``period`` are played: the generator is moved past the others (PCG64's ``advance``:
    ``Generator.random`` takes one 64-bit output per float64) rather than drawing them, so a
    window costs its own size. A batch cut into windows played apart (the hindcast's blocks)
    gives the whole batch's chance, uniform for uniform.
    """

    def __init__(
        self, rng: np.random.Generator, period: int, window: tuple[int, int] | None = None
    ) -> None:
        if period < 1:
            raise ValueError("period must be >= 1")
        if window is not None and not 0 <= window[0] < window[1] <= period:
            raise ValueError(f"window {window} is not within a period of {period}")
        self.rng = rng
        self.period = period
        self.window = window

    def random(self, size: int | tuple[int, ...]) -> FloatArray:
        import numpy as np

        shape = (size,) if isinstance(size, int) else tuple(size)
        width = self.period if self.window is None else self.window[1] - self.window[0]
        blocks, rest = divmod(shape[-1], width)
        if rest:
            raise ValueError(f"{shape[-1]} episodes are not whole blocks of {width}")
        if self.window is None:
            u = self.rng.random((*shape[:-1], self.period))
        else:
            u = self._window((*shape[:-1], width))
        return np.tile(u, (1,) * (len(shape) - 1) + (blocks,))

    def _window(self, shape: tuple[int, ...]) -> FloatArray:
        """The window's columns of a ``(*shape[:-1], period)`` draw, in the draw's order."""
        import numpy as np

        assert self.window is not None
        start, stop = self.window
        bitgen = self.rng.bit_generator
        if not isinstance(bitgen, np.random.PCG64):  # no jump ahead: draw all, keep the window
            return self.rng.random((*shape[:-1], self.period))[..., start:stop]
        rows = int(np.prod(shape[:-1], dtype=np.int64))
        out = np.empty((rows, stop - start), dtype=np.float64)
        for r in range(rows):
            if start:
                bitgen.advance(start)
            out[r] = self.rng.random(stop - start)
            if stop < self.period:
                bitgen.advance(self.period - stop)
        return out.reshape(shape)


@dataclass
class View:
    """What one side knows when it chooses its move at turn ``t``.

    ``own`` holds the moves it actually made, ``opp`` the other side's moves as it perceived
    them (both ``(n, t)``); ``opp_kind`` maps each opponent move index to COOPERATIVE, NEUTRAL
    or HOSTILE; ``tags`` names sets of opponent moves (e.g. ``progress``); ``roles`` binds the
    role names strategies use (``cooperate``, ``defect``, …) to this side's move indices.
    """

    t: int
    own: IntArray
    opp: IntArray
    opp_kind: IntArray
    roles: Mapping[str, int]
    rng: Uniforms
    tags: Mapping[str, frozenset[int]] = field(default_factory=dict)
    belief: FloatArray | None = None
    type_ids: tuple[str, ...] = ()
    state: Mapping[str, FloatArray] = field(default_factory=dict)
    type_groups: Mapping[str, frozenset[int]] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.own.shape[0])

    def role(self, name: str) -> int:
        try:
            return self.roles[name]
        except KeyError:
            raise KeyError(f"this game binds no move to role {name!r}") from None

    def opp_last(self) -> IntArray:
        """The opponent's last perceived move per episode (NO_MOVE on the first turn)."""
        import numpy as np

        if self.t == 0:
            return np.full(self.n, NO_MOVE, dtype=np.int64)
        return self.opp[:, self.t - 1]

    def opp_last_kind(self) -> IntArray:
        """Kind of the opponent's last perceived move (NEUTRAL on the first turn)."""
        import numpy as np

        last = self.opp_last()
        kinds = np.full(self.n, NEUTRAL, dtype=np.int64)
        seen = last >= 0
        kinds[seen] = self.opp_kind[last[seen]]
        return kinds

    def opp_last_in(self, tag: str) -> BoolArray:
        """Whether the opponent's last perceived move carries ``tag``."""
        import numpy as np

        members = np.array(sorted(self.tags.get(tag, frozenset())), dtype=np.int64)
        return np.isin(self.opp_last(), members)

    def opp_ever(self, kind: int) -> BoolArray:
        """Whether any perceived opponent move so far was of ``kind``."""
        import numpy as np

        if self.t == 0:
            return np.zeros(self.n, dtype=bool)
        return np.asarray((self.opp_kind[self.opp[:, : self.t]] == kind).any(axis=1))

    def belief_in(self, group: str) -> FloatArray:
        """The posterior probability, per episode, that the opponent's type is in ``group``
        (e.g. ``trustworthy``: the types the game marks so)."""
        import numpy as np

        if self.belief is None:
            raise KeyError("this game gives the players no belief over types")
        members = sorted(self.type_groups.get(group, frozenset()))
        return np.asarray(self.belief[:, members].sum(axis=1))

    def full(self, role: str) -> IntArray:
        """The move bound to ``role`` in every episode."""
        import numpy as np

        return np.full(self.n, self.role(role), dtype=np.int64)


class Player(Protocol):
    """A strategy: ``reset`` before an episode batch, ``act`` once per turn."""

    name: ClassVar[str]

    def reset(self, n: int) -> None: ...

    def act(self, view: View) -> IntArray: ...


class StageGame(Protocol):
    """The rules of one repeated game (see the module docstring)."""

    n_turns: int

    def reset(self, n: int) -> None: ...

    def view(self, side: int, t: int, own: IntArray, opp: IntArray, rng: Uniforms) -> View: ...

    def execute(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]: ...

    def perceive(self, t: int, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]: ...

    def step(
        self, t: int, a: IntArray, b: IntArray, a_seen: IntArray, b_seen: IntArray
    ) -> None: ...


@dataclass
class Record:
    """The moves of a batch of episodes: ``moves[s]`` what side ``s`` played, ``seen[s]`` how
    the *other* side perceived it (each ``(n, turns)``)."""

    moves: tuple[IntArray, IntArray]
    seen: tuple[IntArray, IntArray]


def play(
    game: StageGame,
    players: tuple[Player, Player],
    n: int,
    rngs: tuple[Uniforms, Uniforms],
) -> Record:
    """Play ``n`` independent episodes of ``game`` between ``players`` (side 0, side 1).

    ``rngs`` are the players' own generators (for mixed strategies); the game draws its own
    randomness. Returns every move made and perceived; the game keeps its state and metrics.
    """
    import numpy as np

    turns = game.n_turns
    game.reset(n)
    for p in players:
        p.reset(n)
    moves = (np.zeros((n, turns), dtype=np.int64), np.zeros((n, turns), dtype=np.int64))
    seen = (np.zeros((n, turns), dtype=np.int64), np.zeros((n, turns), dtype=np.int64))
    for t in range(turns):
        # side s sees its own actual moves and the other's moves as it perceived them
        va = game.view(0, t, moves[0][:, :t], seen[1][:, :t], rngs[0])
        vb = game.view(1, t, moves[1][:, :t], seen[0][:, :t], rngs[1])
        a, b = game.execute(t, players[0].act(va), players[1].act(vb))
        a_seen, b_seen = game.perceive(t, a, b)
        moves[0][:, t], moves[1][:, t] = a, b
        seen[0][:, t], seen[1][:, t] = a_seen, b_seen
        game.step(t, a, b, a_seen, b_seen)
    return Record(moves=moves, seen=seen)
