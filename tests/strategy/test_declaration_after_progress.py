"""DeclarationAfterProgress: a link and pressure until a concrete step, then the declaration."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import DeclarationAfterProgress

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_declares_only_after_a_step() -> None:
    opp = nk("engage", "test", "stall", "freeze", "engage", "test")
    declared = [0, 0, 0, 0, 0, 1]  # the declaration is made at t=4 (after the freeze at t=3)
    states = [{"declared": float(x)} for x in declared]
    moves = replay(DeclarationAfterProgress(), ROLES, TARGET_KIND, opp, states=states, tags=TAGS)
    # t0 link; t1 engagement -> link (no reward before the declaration); t2 test -> pressure;
    # t3 stall -> link; t4 freeze -> declare; t5 engagement after declaring -> relief
    assert names(moves) == ["comms", "comms", "pressure", "comms", "declare", "relief"]


def test_never_declares_without_progress() -> None:
    opp = nk("engage", "engage", "stall", "test", "engage")
    moves = replay(
        DeclarationAfterProgress(),
        ROLES,
        TARGET_KIND,
        opp,
        states=[{"declared": 0.0}] * 5,
        tags=TAGS,
    )
    assert "declare" not in names(moves)
