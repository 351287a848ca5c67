"""GRIT (Osgood 1962): graduated initiatives, persistence, proportionate retaliation."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import GRIT

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_climbs_when_reciprocated_and_retaliates_once() -> None:
    opp = nk("engage", "freeze", "test", "stall", "step", "engage")
    moves = replay(GRIT(persistence=6), ROLES, TARGET_KIND, opp, tags=TAGS)
    # t0 first initiative (link); t1 engage seen -> next rung (exercises); t2 freeze seen ->
    # declaration; t3 test seen -> one proportionate pressure; t4 stall -> resume at the same
    # rung; t5 step seen -> relief
    assert names(moves) == ["comms", "scale_down", "declare", "pressure", "declare", "relief"]


def test_persists_then_holds_without_reciprocation() -> None:
    opp = nk(*["stall"] * 6)
    moves = replay(GRIT(persistence=3), ROLES, TARGET_KIND, opp, tags=TAGS)
    # `persistence` (3) initiatives go unanswered, then it holds
    assert names(moves) == ["comms", "comms", "comms", "hold", "hold", "hold"]


def test_persistence_is_per_episode() -> None:
    import numpy as np

    opp = nk(*["stall"] * 5)
    moves = replay(GRIT(persistence=np.array([1.0, 10.0])), ROLES, TARGET_KIND, opp, tags=TAGS, n=2)
    assert [m[0] for m in moves][-1] == ROLES["hold"]
    assert [m[1] for m in moves][-1] == ROLES["cooperate"]
