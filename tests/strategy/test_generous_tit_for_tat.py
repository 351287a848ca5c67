"""GenerousTitForTat (Nowak & Sigmund 1992; Wu & Axelrod 1995): forgives with prob. g."""

import numpy as np
import pytest

from detente.strategy.pd import C, D, match
from detente.strategy.scripted import Scripted, replay
from detente.strategy.strategies import GenerousTitForTat

from .korea_vocab import ROLES, TAGS, TARGET_KIND, nk


def test_forgiveness_rate_matches_generosity() -> None:
    n = 20000
    moves = replay(
        GenerousTitForTat(generosity=0.25),
        ROLES,
        TARGET_KIND,
        nk("test", "test"),
        tags=TAGS,
        n=n,
        seed=5,
    )
    forgiven = np.mean(np.array(moves[1]) == ROLES["cooperate"])
    # binomial sd = sqrt(.25*.75/20000) = 0.003: 5 sd either side
    assert abs(forgiven - 0.25) < 0.016
    assert moves[0] == [ROLES["cooperate"]] * n


def test_extremes_reduce_to_tit_for_tat_and_cooperator() -> None:
    script = [D, D, C, D]
    _, tft = match(GenerousTitForTat(generosity=0.0), Scripted(script), turns=4)
    assert tft.moves[0][0].tolist() == [C, D, D, C]
    _, coop = match(GenerousTitForTat(generosity=1.0), Scripted(script), turns=4)
    assert coop.moves[0][0].tolist() == [C, C, C, C]


def test_default_generosity_is_nowak_sigmund_bound() -> None:
    r, p, s, t = 3.0, 1.0, 0.0, 5.0
    expected = min(1 - (t - r) / (r - s), (r - p) / (t - p))
    assert GenerousTitForTat.parameters["generosity"] == pytest.approx(expected, abs=1e-12)


def test_same_seed_same_moves() -> None:
    a = match(GenerousTitForTat(), GenerousTitForTat(), turns=50, noise=0.1, n=20, seed=9)[1]
    b = match(GenerousTitForTat(), GenerousTitForTat(), turns=50, noise=0.1, n=20, seed=9)[1]
    assert np.array_equal(a.moves[0], b.moves[0])
