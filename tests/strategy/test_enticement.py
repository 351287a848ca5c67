"""Enticement: the declaration stays on offer until talks open; no pressure."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import Enticement

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_offers_until_talks_open_then_reciprocates_without_pressure() -> None:
    opp = nk("stall", "test", "engage", "test", "freeze", "stall")
    talks = [0, 0, 0, 1, 1, 1]
    states = [{"talks": float(x), "declared": 1.0} for x in talks]
    moves = replay(Enticement(), ROLES, TARGET_KIND, opp, states=states, tags=TAGS)
    # closed talks: declare (even after a test); open talks: engage -> relief, test -> hold,
    # freeze -> relief
    assert names(moves) == ["declare", "declare", "declare", "relief", "hold", "relief"]


def test_talks_collapse_brings_the_offer_back() -> None:
    opp = nk("engage", "test", "stall")
    states = [{"talks": 1.0}, {"talks": 1.0}, {"talks": 0.0}]
    moves = replay(Enticement(), ROLES, TARGET_KIND, opp, states=states, tags=TAGS)
    assert names(moves)[-1] == "declare"
