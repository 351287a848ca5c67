"""PeaceFirst: the declaration in month 0 whatever happens, then reciprocation."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import PeaceFirst

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_declares_first_then_reciprocates() -> None:
    opp = nk("test", "engage", "stall", "test", "freeze", "step")
    moves = replay(PeaceFirst(), ROLES, TARGET_KIND, opp, tags=TAGS)
    # t0 declare unconditionally; t1 answers the test; t2 rewards engagement; t3 sustains the
    # link after a stall; t4 answers the test; t5 rewards the freeze
    assert names(moves) == ["declare", "pressure", "relief", "comms", "pressure", "relief"]


def test_declaration_is_unconditional() -> None:
    hostile = replay(PeaceFirst(), ROLES, TARGET_KIND, nk("test", "test"), tags=TAGS)
    assert names(hostile)[0] == "declare"
    assert PeaceFirst.classifier["stochastic"] is False
