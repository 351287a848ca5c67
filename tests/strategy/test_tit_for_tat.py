"""TitForTat (Rapoport; Axelrod 1984): cooperate first, then copy the last move."""

from detente.strategy.pd import C, D, match
from detente.strategy.scripted import Scripted, replay
from detente.strategy.strategies import TitForTat

from .korea_vocab import ROLES, TAGS, TARGET_KIND, names, nk


def test_copies_in_the_coalition_game() -> None:
    opp = nk("test", "engage", "stall", "test", "test", "freeze")
    moves = replay(TitForTat(), ROLES, TARGET_KIND, opp, tags=TAGS)
    assert names(moves) == ["comms", "pressure", "comms", "comms", "pressure", "pressure"]


def test_copies_in_the_prisoners_dilemma() -> None:
    script = [D, C, C, D, D, C]
    game, rec = match(TitForTat(), Scripted(script), turns=6)
    assert rec.moves[0][0].tolist() == [C, D, C, C, D, D]
    # payoffs: (C,D)=0 (D,C)=5 (C,C)=3 (C,D)=0 (D,D)=1 (D,C)=5
    assert game.scores[0].tolist() == [14.0]
