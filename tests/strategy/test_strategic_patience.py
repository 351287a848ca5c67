"""StrategicPatience: hold, and pressure after each provocation; never a concession."""

from detente.strategy.scripted import replay
from detente.strategy.strategies import StrategicPatience

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_holds_and_pressures() -> None:
    opp = nk("engage", "test", "freeze", "test", "test", "stall")
    moves = replay(StrategicPatience(), ROLES, TARGET_KIND, opp, tags=TAGS)
    assert names(moves) == ["hold", "hold", "pressure", "hold", "pressure", "pressure"]
