"""Council voting power: Shapley–Shubik and Banzhaf indices by treaty period."""

from __future__ import annotations

import math
from itertools import combinations, pairwise, permutations

import numpy as np
import pytest

from detente.scenario.deu import COUNCIL_PERIODS, council_rule
from detente.scenario.voting_power import (
    CouncilRule,
    banzhaf,
    double_majority_rule,
    institution_power,
    shapley_shubik,
    weighted_rule,
)

# Felsenthal & Machover (1998), *The Measurement of Voting Power* (Edward Elgar), the EU-15
# Council under QMV (quota 62 of 87): Shapley–Shubik and normalised Banzhaf indices per weight.
PUBLISHED_EU15 = {
    10: (0.1167, 0.1116),
    8: (0.0955, 0.0924),
    5: (0.0552, 0.0587),
    4: (0.0454, 0.0479),
    3: (0.0353, 0.0359),
    2: (0.0207, 0.0226),
}


def test_eu15_matches_published_indices() -> None:
    rule = council_rule(COUNCIL_PERIODS[0])
    assert rule.quota == 62 and sum(rule.weights.values()) == 87
    ssi, bz = shapley_shubik(rule), banzhaf(rule)
    for state, votes in rule.weights.items():
        want_ssi, want_bz = PUBLISHED_EU15[votes]
        assert round(ssi[state], 4) == want_ssi, state
        assert round(bz[state], 4) == want_bz, state


def test_weighted_periods_match_powerindex() -> None:
    px = pytest.importorskip("powerindex", reason="powerindex (test extra) not installed")
    for period in COUNCIL_PERIODS[:-1]:
        rule = council_rule(period)
        plain = weighted_rule(period.name, period.weights, rule.quota)  # no member clause
        game = px.Game(quota=plain.quota, weights=list(plain.weights.values()))
        game.calc()
        assert list(shapley_shubik(plain).values()) == pytest.approx(game.shapley_shubik, abs=1e-9)
        assert list(banzhaf(plain).values()) == pytest.approx(game.banzhaf, abs=1e-9)


def _brute(rule: CouncilRule) -> tuple[dict[str, float], dict[str, float]]:
    names = list(rule.weights)
    n = len(names)

    def wins(members: set[str]) -> bool:
        return bool(
            rule.wins(np.array(len(members)), np.array(sum(rule.weights[a] for a in members)))
        )

    ssi = dict.fromkeys(names, 0.0)
    for order in permutations(names):
        seen: set[str] = set()
        for a in order:
            if wins(seen | {a}) and not wins(seen):
                ssi[a] += 1
                break
            seen.add(a)
    raw = dict.fromkeys(names, 0)
    for k in range(n):
        for coal in combinations(names, k):
            s = set(coal)
            for a in names:
                if a not in s and wins(s | {a}) and not wins(s):
                    raw[a] += 1
    total = sum(raw.values())
    return {a: v / math.factorial(n) for a, v in ssi.items()}, {
        a: v / total for a, v in raw.items()
    }


def test_double_majority_matches_brute_force() -> None:
    shares = {"a": 30.0, "b": 22.5, "c": 15.0, "d": 12.0, "e": 9.0, "f": 6.5, "g": 5.0}
    rule = double_majority_rule("toy", shares, blocking_minority=3)
    want_ssi, want_bz = _brute(rule)
    assert shapley_shubik(rule) == pytest.approx(want_ssi, abs=1e-12)
    assert banzhaf(rule) == pytest.approx(want_bz, abs=1e-12)


def test_every_period_sums_to_one_and_is_monotone_in_weight() -> None:
    for period in COUNCIL_PERIODS:
        rule = council_rule(period)
        for index in (shapley_shubik(rule), banzhaf(rule)):
            assert sum(index.values()) == pytest.approx(1)
            by_weight = sorted(rule.weights, key=lambda a: rule.weights[a])
            values = [index[a] for a in by_weight]
            assert all(x <= y + 1e-12 for x, y in pairwise(values))


def test_lisbon_rule() -> None:
    rule = council_rule(COUNCIL_PERIODS[-1])
    assert rule.min_members == 16 and rule.blocking_minority == 4
    assert rule.quota == math.ceil(0.65 * sum(rule.weights.values()))
    ssi = shapley_shubik(rule)
    assert max(ssi, key=ssi.__getitem__) == "de"


def test_institutions_get_the_largest_member_state() -> None:
    rule = council_rule(COUNCIL_PERIODS[0])
    assert institution_power(rule, "shapley-shubik") == pytest.approx(0.1167, abs=1e-4)
    with pytest.raises(ValueError, match="power index"):
        institution_power(rule, "gdp")
