"""A priori voting power in the EU Council by treaty period: Shapley–Shubik and Banzhaf indices.

The Council's qualified-majority rules of each period that the DEU III data cover, as simple
games, and their Shapley–Shubik (1954) and normalised Banzhaf (1965; Penrose 1946) indices by an
exact generating-function computation (Brams & Affuso 1976; Bilbao et al. 2000): for each member
state the coalitions of the others are counted by (number of members, weight) with a dynamic
programme, and the state's swings are the coalitions that lose without it and win with it. The
counts are integers (``int64``, exact); Shapley–Shubik weights a swing of a coalition of ``s``
others by s!(n−s−1)!/n!. One routine serves all rules, including Lisbon's double majority, which
is no weighted game (Kurz & Napel 2016 show its dimension is at least 7).

Named assumptions (docs/backtest.md, "Capabilities from voting power"):

* **Amsterdam EU-15** (1 Jan 1995 – 30 Apr 2004): 62 of 87 weighted votes (Art. 205(2) TEC;
  1994 Act of Accession). **EU-25 transitional** (1 May – 31 Oct 2004): 88 of 124 (Act of
  Accession 2003, Art. 26). **Nice EU-25** (1 Nov 2004): 232 of 321 and a majority of the member
  states (13) (Protocol on enlargement Art. 3, Act of Accession 2003 Art. 12); **Nice EU-27**
  (1 Jan 2007): 255 of 345 and 14 states (Act of Accession 2005, Art. 22); **Nice EU-28** (1 Jul
  2013): 260 of 352 and 15 states (Act of Accession 2012, Art. 20). The Nice rules' 62 %
  population check, applied only on a member's request, is left out.
* **Lisbon** (1 Nov 2014): 55 % of the members (16 of 28) representing 65 % of the population,
  or any coalition whose complement has fewer than four members (the blocking minority; Art. 16(4)
  TEU, Art. 238(3)(a) TFEU is not needed: DEU proposals come from the Commission). Population
  shares are those of Council Decision (EU, Euratom) 2015/2393 (2016 figures, to 0.01 %) used as
  integer hundredths; the quota is 65 % of their sum, rounded up.
* The Commission and the Parliament are not Council members; as capabilities they get the index
  of the period's largest member state (see :func:`institution_power`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

#: The power indices selectable as capabilities.
POWER_INDICES = ("shapley-shubik", "banzhaf")


@dataclass(frozen=True)
class CouncilRule:
    """A qualified-majority rule: integer weights, a weight quota, member and blocking clauses.

    A coalition with ``c`` members and weight ``w`` wins when ``w >= quota`` and
    ``c >= min_members``, or, with ``blocking_minority`` set, when its complement has fewer than
    ``blocking_minority`` members.
    """

    name: str
    weights: Mapping[str, int]
    quota: int
    min_members: int = 0
    blocking_minority: int | None = None
    source: str = ""

    def wins(self, members: NDArray[np.int64], weight: NDArray[np.int64]) -> NDArray[np.bool_]:
        """Whether coalitions of ``members`` members and ``weight`` weight win (broadcasting)."""
        ok = (weight >= self.quota) & (members >= self.min_members)
        if self.blocking_minority is not None:
            ok |= len(self.weights) - members < self.blocking_minority
        return np.asarray(ok, dtype=bool)


def _swing_counts(rule: CouncilRule) -> dict[str, NDArray[np.int64]]:
    """Per player: swings[s] = number of coalitions of s others that the player turns winning."""
    names = list(rule.weights)
    w = np.array([int(rule.weights[a]) for a in names], dtype=np.int64)
    if (w < 0).any():
        raise ValueError(f"{rule.name}: negative weight")
    n, total = len(names), int(w.sum())
    members = np.arange(n, dtype=np.int64)[:, None]
    weight = np.arange(total + 1, dtype=np.int64)[None, :]
    out: dict[str, NDArray[np.int64]] = {}
    for i, name in enumerate(names):
        # table[c, v]: coalitions of the other players with c members and weight v.
        table = np.zeros((n, total + 1), dtype=np.int64)
        table[0, 0] = 1
        for j in range(n):
            if j == i:
                continue
            shifted = np.zeros_like(table)
            shifted[1:, w[j] :] = table[:-1, : total + 1 - w[j]]
            table += shifted
        with_i = rule.wins(members + 1, np.minimum(weight + w[i], total))
        swing = with_i & ~rule.wins(members, weight)
        out[name] = np.where(swing, table, 0).sum(axis=1)
    return out


_CACHE: dict[tuple[object, ...], tuple[dict[str, float], dict[str, float]]] = {}


def _indices(rule: CouncilRule) -> tuple[dict[str, float], dict[str, float]]:
    key = (tuple(rule.weights.items()), rule.quota, rule.min_members, rule.blocking_minority)
    if key not in _CACHE:
        _CACHE[key] = _compute(rule)
    return _CACHE[key]


def _compute(rule: CouncilRule) -> tuple[dict[str, float], dict[str, float]]:
    swings = _swing_counts(rule)
    n = len(rule.weights)
    # s!(n-s-1)!/n! for s = 0..n-1, via log-gamma (exact enough: relative error ~1e-15).
    s = np.arange(n)
    coef = np.array(
        [math.exp(math.lgamma(k + 1) + math.lgamma(n - k) - math.lgamma(n + 1)) for k in s]
    )
    ssi = {a: float((c * coef).sum()) for a, c in swings.items()}
    raw = {a: int(c.sum()) for a, c in swings.items()}
    total = sum(raw.values())
    bz = {a: (v / total if total else 0.0) for a, v in raw.items()}
    return ssi, bz


def shapley_shubik(rule: CouncilRule) -> dict[str, float]:
    """Shapley–Shubik index of every member (sums to 1)."""
    return dict(_indices(rule)[0])


def banzhaf(rule: CouncilRule) -> dict[str, float]:
    """Normalised Banzhaf index of every member (raw swings over the total; sums to 1)."""
    return dict(_indices(rule)[1])


def power_index(rule: CouncilRule, index: str) -> dict[str, float]:
    """``index`` (one of :data:`POWER_INDICES`) of every member of ``rule``."""
    if index == "shapley-shubik":
        return shapley_shubik(rule)
    if index == "banzhaf":
        return banzhaf(rule)
    raise ValueError(f"power index {index!r}, expected one of {', '.join(POWER_INDICES)}")


def institution_power(rule: CouncilRule, index: str) -> float:
    """Capability of the Commission and the Parliament: the largest member state's index.

    They are not Council members, so no index of the Council game applies to them; as in
    DEU-based work that scores both institutions like the largest member states (our reading of
    Thomson & Stokman 2006, ch. 2 of *The European Union Decides*, not checked against the text;
    docs/backtest.md), they get the largest member state's index.
    """
    return max(power_index(rule, index).values())


def weighted_rule(
    name: str,
    weights: Mapping[str, float],
    quota: int,
    min_members: int = 0,
    source: str = "",
) -> CouncilRule:
    """A weighted-votes rule (integer votes), optionally with a member-count clause."""
    return CouncilRule(
        name, {a: int(v) for a, v in weights.items()}, quota, min_members, None, source
    )


def double_majority_rule(
    name: str,
    population_share: Mapping[str, float],
    member_share: float = 0.55,
    population_quota: float = 0.65,
    blocking_minority: int = 4,
    source: str = "",
) -> CouncilRule:
    """Lisbon's double majority with population shares in % (to 0.01) as integer hundredths."""
    units = {a: round(v * 100) for a, v in population_share.items()}
    quota = math.ceil(population_quota * sum(units.values()) - 1e-9)
    members = math.ceil(member_share * len(units) - 1e-9)
    return CouncilRule(name, units, quota, members, blocking_minority, source)
