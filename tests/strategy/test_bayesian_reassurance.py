"""BayesianReassurance: acts on the coalition's posterior that the target is trustworthy."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from detente.scenario.game import GameSpec
from detente.strategy.checks import check_strategies
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.scripted import replay
from detente.strategy.simulate import build_episodes
from detente.strategy.strategies import BayesianReassurance

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk

# three types; the first is the trustworthy one (as the Korea game's reciprocator)
GROUPS = {"trustworthy": frozenset({0})}


def run_scripted(opponent: list[int], beliefs: list[list[float]], declared: list[int]) -> list[str]:
    return names(
        replay(
            BayesianReassurance(),
            ROLES,
            TARGET_KIND,
            opponent,
            states=[{"declared": float(x)} for x in declared],
            tags=TAGS,
            beliefs=beliefs,
            type_groups=GROUPS,
        )
    )


def test_declares_once_trust_crosses_the_threshold() -> None:
    beliefs = [[0.3, 0.4, 0.3], [0.45, 0.3, 0.25], [0.55, 0.25, 0.2], [0.7, 0.2, 0.1]]
    moves = run_scripted(nk("engage", "engage", "engage", "engage"), beliefs, [0, 0, 0, 1])
    # t0: no history, trust 0.3 -> reciprocates a "neutral" first turn with the link;
    # t1: engagement answered with relief; t2: trust 0.55 -> declares; t3: declared, rewards
    assert moves == ["comms", "relief", "declare", "relief"]


def test_distrust_turns_to_patience() -> None:
    beliefs = [[0.3, 0.4, 0.3], [0.08, 0.5, 0.42], [0.05, 0.5, 0.45], [0.2, 0.5, 0.3]]
    moves = run_scripted(nk("test", "engage", "test", "engage"), beliefs, [0, 0, 0, 0])
    # t1 (trust 0.08) after a test: pressure; t2 (0.05) after engagement: hold, not relief;
    # t3 (0.2, back above 0.1) after a test: pressure under reciprocity too
    assert moves == ["comms", "pressure", "hold", "pressure"]


def test_thresholds_are_parameters() -> None:
    beliefs = [[0.35, 0.4, 0.25]]
    strict = names(
        replay(
            BayesianReassurance(declare_at=0.3),
            ROLES,
            TARGET_KIND,
            nk("stall"),
            states=[{"declared": 0.0}],
            tags=TAGS,
            beliefs=beliefs,
            type_groups=GROUPS,
        )
    )
    assert strict == ["declare"]


def _declared_by(game: GameSpec, type_id: str, months: int, n: int = 3000) -> float:
    ids = [t.id for t in game.types]
    draws = build_episodes(game, 3, n).draws
    g = CoalitionGame(game, draws, np.full(n, ids.index(type_id)), np.random.SeedSequence(3))
    rng = np.random.default_rng(0)
    rec = play(g, (BayesianReassurance(), TypedTarget(g)), n, (rng, rng))
    declare = g.c_index["declare"]
    return float((rec.moves[0][:, :months] == declare).any(axis=1).mean())


def test_learns_whom_to_reassure_in_the_korea_game(korea_game: GameSpec) -> None:
    # the belief starts at the prior (0.3 < 0.5) for every type; only what the coalition
    # observes can lift it over the threshold, and a reciprocator is far likelier to earn it
    recip = _declared_by(korea_game, "reciprocator", 24)
    enmity = _declared_by(korea_game, "enmity_dependent", 24)
    assert recip > enmity + 0.2
    assert _declared_by(korea_game, "reciprocator", 1) == 0.0


def test_a_game_without_a_trustworthy_type_is_refused(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    for t in raw["types"]:
        t.pop("trustworthy", None)
    raw["strategies"].append({"id": "bayes", "strategy": "BayesianReassurance"})
    out: list[tuple[str, str]] = []
    check_strategies(GameSpec.model_validate(raw), lambda f, m: out.append((f, m)))
    assert (
        "game.strategies.bayes",
        "BayesianReassurance acts on P(trustworthy), but no type has `trustworthy: true`",
    ) in out
