"""Judgments that move together: shares that sum to one, and declared rank correlations.

Two declarations, each a list of named groups of scenario paths, written where the numbers they
tie live — the top level for the forecasting models' numbers (``actors.*``, ``issues.*``), the
``game:`` section for the game's (``game.*``). No output reads both kinds (the models read
actors and issues, the game its own numbers), so a group spanning them could change nothing
and is refused.

``shares`` — a Dirichlet over judgments that must sum to one (a game's type priors)::

    shares:
      - id: type_mix
        paths: [game.types.a.prior, game.types.b.prior, game.types.c.prior]
        concentration: {value: 20, assumption: "…"}

Each member is written as a fixed value, its **mean**; the values must sum to 1. The draw is
``Dirichlet(concentration · means)``: every draw sums to one, each member's mean is its written
value (so ``detente forecast`` and the coalition's prior-mean beliefs are unchanged), and its
marginal is ``Beta(κ·m, κ·(1 − m))`` — the larger the concentration ``κ``, the tighter.

``correlations`` — a Gaussian copula on the uniforms of a group of distributions::

    correlations:
      - id: relief_value
        paths: [game.types.s.lift.relief, game.types.s.lift.pressure]
        spearman: {value: 0.5, assumption: "…"}       # every pair of the group
      - id: other
        paths: [A, B, C]
        spearman:                                     # or pair by pair (others 0)
          - {between: [A, B], spearman: {value: 0.4, source: {doc: …, quote: "…"}}}

The rank (Spearman) correlation is what is declared (it does not depend on the marginals); the
copula's normal correlation is ``2 sin(π ρ / 6)`` (Pearson 1907; Kruskal 1958), which gives
exactly that rank correlation. Each member keeps its own distribution exactly.

A worldview overrides a group like any value, by its path (``game.shares.type_mix.concentration``,
``game.correlations.relief_value.spearman``). A worldview that changes one share must change
the others so that they still sum to one (the sum is checked after every worldview); the group's
means follow the worldview's values. The sampling is :mod:`detente.uncertainty.dependence`;
the checks are in :mod:`detente.scenario.validate`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from detente.scenario.quantity import Quantity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ShareGroup(_Strict):
    """Judgments that sum to one, drawn from a Dirichlet around their written values."""

    id: str
    description: str | None = None
    paths: list[str] = Field(description="the members' scenario paths (fixed values summing to 1)")
    concentration: Quantity = Field(
        description="the Dirichlet's total concentration κ (a fixed value > 0, with its basis)"
    )


class PairCorrelation(_Strict):
    """The rank correlation of one pair of a correlation group."""

    between: list[str] = Field(description="two paths of the group")
    spearman: Quantity = Field(description="the pair's Spearman rank correlation, in (-1, 1)")


class CorrelationGroup(_Strict):
    """Distributions drawn through a Gaussian copula with declared rank correlations."""

    id: str
    description: str | None = None
    paths: list[str] = Field(description="the members' scenario paths (distributions)")
    spearman: Quantity | list[PairCorrelation] = Field(
        description="one rank correlation for every pair, or a list of pairs (unlisted: 0)"
    )

    def pairs(self) -> list[tuple[str, str, Quantity, tuple[str | int, ...]]]:
        """Every declared pair as ``(a, b, spearman, where)`` (``where`` below the group)."""
        if isinstance(self.spearman, Quantity):
            return [
                (a, b, self.spearman, ("spearman",))
                for i, a in enumerate(self.paths)
                for b in self.paths[i + 1 :]
            ]
        out: list[tuple[str, str, Quantity, tuple[str | int, ...]]] = []
        for k, pair in enumerate(self.spearman):
            if len(pair.between) == 2:
                out.append(
                    (pair.between[0], pair.between[1], pair.spearman, ("spearman", k, "spearman"))
                )
        return out


def spearman_to_pearson(rho: float) -> float:
    """The normal (Pearson) correlation whose Gaussian copula has rank correlation ``rho``:
    ``2 sin(π ρ / 6)`` (Kruskal 1958, eq. for the bivariate normal)."""
    import math

    return 2.0 * math.sin(math.pi * rho / 6.0)


def pearson_matrix(group: CorrelationGroup) -> list[list[float]]:
    """The copula's normal correlation matrix, members in the group's order."""
    index = {p: i for i, p in enumerate(group.paths)}
    k = len(group.paths)
    r = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for a, b, q, _ in group.pairs():
        i, j = index[a], index[b]
        v = spearman_to_pearson(q.point())
        r[i][j] = r[j][i] = v
    return r
