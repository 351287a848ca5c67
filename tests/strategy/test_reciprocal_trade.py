"""ReciprocalTrade: the declaration in exchange for a concrete step, then relief per step."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import ReciprocalTrade

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_pays_only_for_steps() -> None:
    opp = nk("engage", "engage", "freeze", "stall", "step", "test")
    declared = [0, 0, 0, 0, 1, 1]
    moves = replay(
        ReciprocalTrade(),
        ROLES,
        TARGET_KIND,
        opp,
        states=[{"declared": float(x)} for x in declared],
        tags=TAGS,
    )
    # talk is not paid for; the freeze (seen at t3) buys the declaration, the step (seen at
    # t5) relief
    assert names(moves) == ["hold", "hold", "hold", "declare", "hold", "relief"]


def test_pressure_after_a_test() -> None:
    moves = replay(
        ReciprocalTrade(),
        ROLES,
        TARGET_KIND,
        nk("test", "stall"),
        states=[{"declared": 0.0}] * 2,
        tags=TAGS,
    )
    assert names(moves) == ["hold", "pressure"]
