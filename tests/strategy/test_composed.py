"""Composed: strategies as rule tables (issue 15, item 10).

The classes listed in ``COMPOSITIONS`` are exactly rule tables: ``Composed`` with a class's
table plays move for move as the class, against the same episodes, on the synthetic minimal
game and on Korea's game. The rule vocabulary's defaults and the stall rule's patience are
checked on scripted opponents (hand-computed).
"""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario.game import Answers, GameSpec, Rules
from detente.strategy.engine import Record, play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.scripted import replay
from detente.strategy.simulate import build_episodes, simulate
from detente.strategy.strategies import COMPOSITIONS, STRATEGIES, Composed, Strategy, resolved

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def _play(game: GameSpec, strategy: Strategy, n: int = 400, seed: int = 7) -> Record:
    eps = build_episodes(game, seed, n)
    g = CoalitionGame(game, eps.draws, eps.mix_types, eps.game_seed)
    rngs = (np.random.default_rng(1), np.random.default_rng(2))
    return play(g, (strategy, TypedTarget(g)), n, rngs)


@pytest.mark.parametrize("name", sorted(COMPOSITIONS))
@pytest.mark.parametrize("which", ["minimal", "korea"])
def test_the_composition_plays_move_for_move_as_the_class(
    name: str, which: str, minimal_game: GameSpec, korea_game: GameSpec
) -> None:
    game = minimal_game if which == "minimal" else korea_game
    original = _play(game, STRATEGIES[name]())
    composed = _play(game, Composed(rules=COMPOSITIONS[name]))
    np.testing.assert_array_equal(composed.moves[0], original.moves[0])
    np.testing.assert_array_equal(composed.moves[1], original.moves[1])
    # not vacuous: the class plays more than one move in these episodes
    assert len(np.unique(original.moves[0])) >= (1 if name in {"Cooperator", "Defector"} else 2)


def test_a_scenario_composed_strategy_has_the_outcomes_of_peace_first(
    scorecard_game: GameSpec,
) -> None:
    eps = build_episodes(scorecard_game, 3, 300)
    a = simulate(scorecard_game, eps, "peace_first")
    b = simulate(scorecard_game, eps, "peace_first_rules")
    assert list(a) == list(b)
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    c = simulate(scorecard_game, eps, "peace_first_no_declaration")
    assert not np.array_equal(a["unreciprocated"], c["unreciprocated"])


def test_defaults_hold_progress_follows_cooperation_after_follows_before() -> None:
    opening, before, after = resolved(Rules())
    assert opening == "hold" and set(before.values()) == {"hold"} and after == before
    _, before, after = resolved(Rules(cooperation="reward"))
    assert before["progress"] == "reward" and before["stall"] == "hold" and after == before
    _, before, after = resolved(
        Rules(cooperation="cooperate", after_declaration=Answers(cooperation="reward"))
    )
    assert (before["progress"], after["cooperation"], after["progress"]) == (
        "cooperate",
        "reward",
        "reward",
    )
    assert after["provocation"] == before["provocation"] == "hold"
    _, _, after = resolved(
        Rules(progress="declare", after_declaration=Answers(cooperation="reward"))
    )
    assert after["progress"] == "declare"  # set before, not after: it follows the before rule


def test_rules_as_a_mapping_and_roles_for() -> None:
    s = Composed(rules={"opening": "declare", "provocation": "defect"})
    assert s.rules == Rules(opening="declare", provocation="defect")
    assert Composed.roles_for(s.rules) == ("declare", "hold", "defect")
    assert Composed.roles_for(None) == ("hold",)
    with pytest.raises(ValueError):
        Composed(rules={"opening": "declare", "stall_months": 0})


def test_peace_first_rules_on_a_scripted_opponent() -> None:
    opp = nk("test", "engage", "stall", "test", "freeze", "step")
    moves = replay(Composed(rules=COMPOSITIONS["PeaceFirst"]), ROLES, TARGET_KIND, opp, tags=TAGS)
    assert names(moves) == ["declare", "pressure", "relief", "comms", "pressure", "relief"]


def test_a_stall_is_answered_only_once_it_has_lasted_stall_months() -> None:
    rules = Rules(opening="declare", cooperation="reward", stall="cooperate", stall_months=3)
    opp = nk("stall", "stall", "stall", "engage", "stall", "stall", "stall", "stall")
    moves = replay(Composed(rules=rules), ROLES, TARGET_KIND, opp, tags=TAGS)
    # t0 opens; t1, t2 repeat the declaration (idle 1 and 2 months); t3 answers 3 idle months;
    # t4 rewards engagement; t5, t6 repeat the reward; t7 answers the stall that lasted
    assert names(moves) == [
        "declare",
        "declare",
        "declare",
        "comms",
        "relief",
        "relief",
        "relief",
        "comms",
    ]
