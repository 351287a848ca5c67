"""The contract every registered strategy keeps (the Axelrod library's ``TestPlayer`` idea).

Parametrised over :data:`detente.strategy.strategies.STRATEGIES`, so a new strategy gets these
checks for free: a registry entry named after its class, a typed ``classifier``, roles from
:data:`~detente.scenario.game.ROLES` (and only those: the coalition game below binds nothing
else), the same moves whatever its random stream when it is not ``stochastic``, a ``reset``
that makes a used instance play like a fresh one, and the same class running unchanged in the
prisoner's dilemma (where its roles bind) and in the coalition game. The coalition game is the
synthetic ``tests/strategy/data/minimal-game.yaml``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from detente.scenario.game import ROLES, GameSpec
from detente.strategy.engine import Record, play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.pd import C, D, match
from detente.strategy.simulate import build_episodes
from detente.strategy.strategies import STRATEGIES, Defector, Strategy, TitForTat

NAMES = sorted(STRATEGIES)
#: classifier keys every strategy declares, and their types
REQUIRED = {"memory_depth": (int, float), "stochastic": (bool,), "roles": (tuple,)}
#: classifier keys a strategy may declare (flags), all booleans
OPTIONAL = {"uses_state", "uses_belief"}
PD_ROLES = frozenset({"cooperate", "defect"})


def _own_roles_only(game: GameSpec, cls: type[Strategy]) -> GameSpec:
    """The game with only the roles ``cls`` declares bound: using any other role fails."""
    roles = {r: game.roles[r] for r in cls.classifier["roles"]}
    return game.model_copy(update={"roles": roles})


def _coalition(
    game: GameSpec, strategy: Strategy, n: int = 64, seed: int = 3, player_seed: int = 5
) -> tuple[CoalitionGame, Record]:
    eps = build_episodes(game, seed, n)
    g = CoalitionGame(game, eps.draws, eps.mix_types, eps.game_seed)
    rngs = (np.random.default_rng(player_seed), np.random.default_rng(0))
    return g, play(g, (strategy, TypedTarget(g)), n, rngs)


def test_the_registry_holds_every_strategy_of_the_issue() -> None:
    assert len(NAMES) >= 13
    assert {"TitForTat", "PeaceFirst", "GRIT", "BayesianReassurance"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_registered_under_its_class_name_with_a_name_and_a_docstring(name: str) -> None:
    cls = STRATEGIES[name]
    assert issubclass(cls, Strategy) and cls is not Strategy
    assert cls.__name__ == name
    assert isinstance(cls.name, str) and cls.name and cls.name != Strategy.name
    assert cls.__doc__ and len(cls.__doc__.strip()) > 20


@pytest.mark.parametrize("name", NAMES)
def test_classifier_keys_are_present_and_typed(name: str) -> None:
    classifier = STRATEGIES[name].classifier
    for key, types in REQUIRED.items():
        assert key in classifier, f"{name} classifier lacks {key!r}"
        assert isinstance(classifier[key], types), f"{name}.{key}: {classifier[key]!r}"
    assert set(classifier) <= set(REQUIRED) | OPTIONAL, set(classifier) - set(REQUIRED)
    for key in OPTIONAL & set(classifier):
        assert isinstance(classifier[key], bool)
    depth = classifier["memory_depth"]
    assert depth >= 0 and (isinstance(depth, int) or math.isinf(depth))


@pytest.mark.parametrize("name", NAMES)
def test_roles_are_known_roles_without_repeats(name: str) -> None:
    roles = STRATEGIES[name].classifier["roles"]
    assert roles, f"{name} asks for no role"
    assert set(roles) <= set(ROLES), set(roles) - set(ROLES)
    assert len(set(roles)) == len(roles)


@pytest.mark.parametrize("name", NAMES)
def test_parameters_have_float_defaults_and_unknown_ones_are_refused(name: str) -> None:
    cls = STRATEGIES[name]
    for p, default in cls.parameters.items():
        assert isinstance(p, str) and isinstance(default, float)
    s = cls(**{p: np.full(4, v) for p, v in cls.parameters.items()})
    s.reset(4)
    for p, v in cls.parameters.items():
        np.testing.assert_array_equal(s.param(p), np.full(4, v))
    with pytest.raises(ValueError, match="no parameter"):
        cls(not_a_parameter=1.0)


@pytest.mark.parametrize("name", NAMES)
def test_runs_in_the_coalition_game_with_only_the_roles_it_declares(
    name: str, minimal_game: GameSpec
) -> None:
    cls = STRATEGIES[name]
    game = _own_roles_only(minimal_game, cls)
    g, rec = _coalition(game, cls())
    allowed = {g.c_index[game.roles[r]] for r in cls.classifier["roles"]} | {g.fallback}
    played = set(np.unique(rec.moves[0]).tolist())
    assert played <= allowed, (played, allowed)
    assert rec.moves[0].shape == (64, minimal_game.n_months)


@pytest.mark.parametrize("name", NAMES)
def test_same_inputs_same_moves_and_only_stochastic_ones_read_their_stream(
    name: str, minimal_game: GameSpec
) -> None:
    cls = STRATEGIES[name]
    first = _coalition(minimal_game, cls(), player_seed=5)[1]
    again = _coalition(minimal_game, cls(), player_seed=5)[1]
    np.testing.assert_array_equal(first.moves[0], again.moves[0])
    other = _coalition(minimal_game, cls(), player_seed=6)[1]
    if cls.classifier["stochastic"]:
        assert not np.array_equal(first.moves[0], other.moves[0]), "stochastic, yet never reads"
    else:
        np.testing.assert_array_equal(first.moves[0], other.moves[0])


@pytest.mark.parametrize("name", NAMES)
def test_reset_makes_a_used_instance_play_like_a_fresh_one(
    name: str, minimal_game: GameSpec
) -> None:
    cls = STRATEGIES[name]
    used = cls()
    _coalition(minimal_game, used, n=32, seed=9)  # leaves whatever state it keeps behind
    replayed = _coalition(minimal_game, used)[1]
    fresh = _coalition(minimal_game, cls())[1]
    np.testing.assert_array_equal(replayed.moves[0], fresh.moves[0])
    np.testing.assert_array_equal(replayed.moves[1], fresh.moves[1])


PD_NAMES = [
    n
    for n in NAMES
    if set(STRATEGIES[n].classifier["roles"]) <= PD_ROLES
    and not STRATEGIES[n].classifier.get("uses_state")
    and not STRATEGIES[n].classifier.get("uses_belief")
]


def test_the_classics_are_the_ones_that_bind_in_the_prisoners_dilemma() -> None:
    assert {"Cooperator", "Defector", "TitForTat", "GenerousTitForTat", "Grudger"} <= set(PD_NAMES)


@pytest.mark.parametrize("name", PD_NAMES)
def test_runs_unchanged_in_the_prisoners_dilemma(name: str) -> None:
    cls = STRATEGIES[name]
    for opponent in (TitForTat(), Defector()):
        game, rec = match(cls(), opponent, turns=30, noise=0.1, n=16, seed=2)
        assert set(np.unique(rec.moves[0]).tolist()) <= {C, D}
        again = match(cls(), type(opponent)(), turns=30, noise=0.1, n=16, seed=2)[1]
        np.testing.assert_array_equal(rec.moves[0], again.moves[0])
        assert np.all((game.scores[0] >= 0) & (game.scores[0] <= 5 * 30))
