"""Sampling judgments that move together: Dirichlet shares and Gaussian-copula correlations.

The declarations are :mod:`detente.scenario.dependence` (format and meaning). Here they become a
:class:`Dependence`, a plain, picklable description of the groups, and
:func:`values_from_uniforms` turns the independent per-path uniforms of
:mod:`detente.uncertainty.sampling` into values:

* a judgment in no group: its uniform through its own inverse CDF (:meth:`Quantity.ppf`), the
  same arithmetic as before groups existed, so a scenario without declarations draws exactly
  what it always drew;
* a **correlation group** ``(X_1 … X_k)`` with normal correlation matrix ``R = L Lᵀ``
  (``R_ij = 2 sin(π ρ_ij / 6)`` for the declared rank correlations ``ρ``): ``z = Φ⁻¹(u)``,
  ``x = L z``, ``u' = Φ(x)`` and each member's value is ``ppf_i(u'_i)`` — a Gaussian copula
  (Nelsen 2006, §2.3; Iman & Conover 1982 use the same idea on ranks). ``u'_i`` is uniform, so
  each marginal is exactly as declared; the rank correlation of ``(X_i, X_j)`` is ``ρ_ij``
  whatever the marginals (ranks are invariant under the increasing maps ``ppf``);
* a **share group** with means ``m`` and concentration ``κ``: ``G_i = F⁻¹_Gamma(κ m_i)(u_i)``
  (the regularized incomplete gamma function's inverse), ``X_i = G_i / Σ G`` — a Dirichlet
  draw by inversion (Devroye 1986, §XI.4), whose components sum to one (to rounding: they are
  renormalised once more so the sum is 1 to within an ulp or two). Where a tiny shape and a
  tiny uniform underflow ``G_i`` to 0, ``log G_i`` is taken from the small-``u`` expansion
  ``(log u + log Γ(α + 1)) / α`` and the normalisation done on logarithms, so a draw is never
  0/0.

Determinism: every operation is elementwise (``scipy.special`` functions and numpy arithmetic
with a fixed order of terms — ``L z`` is summed column by column, not by a BLAS call whose
blocking could depend on the batch size), so a draw's value still depends only on
``(seed, i, the group's paths and parameters)``, on any worker and backend. A member's draws now
depend on the other members' streams — that is the point — but not on anything outside its
group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.scenario.dependence import CorrelationGroup, ShareGroup
    from detente.scenario.game import GameSpec
    from detente.scenario.quantity import Quantity
    from detente.scenario.schema import Scenario

#: uniforms are kept inside [_U_MIN, 1 − 2⁻⁵³] before Φ⁻¹ (``Generator.random`` can return 0)
_U_MIN = 1e-300


@dataclass(frozen=True)
class CopulaSpec:
    """One correlation group: its id (``correlations.ID`` or ``game.correlations.ID``), members,
    declared rank correlations and the Cholesky factor of the normal correlation matrix."""

    id: str
    paths: tuple[str, ...]
    spearman: tuple[tuple[float, ...], ...]
    chol: tuple[tuple[float, ...], ...]


@dataclass(frozen=True)
class SharesSpec:
    """One share group: its id, members, their means and the Dirichlet concentration."""

    id: str
    paths: tuple[str, ...]
    means: tuple[float, ...]
    concentration: float

    @property
    def alpha(self) -> tuple[float, ...]:
        return tuple(self.concentration * m for m in self.means)


@dataclass(frozen=True)
class Dependence:
    """The groups of one section of a scenario (empty: every judgment independent)."""

    copulas: tuple[CopulaSpec, ...] = ()
    shares: tuple[SharesSpec, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.copulas or self.shares)

    def groups(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(group id, member paths)`` of every group, correlations first."""
        return [(c.id, c.paths) for c in self.copulas] + [(s.id, s.paths) for s in self.shares]

    def group_of(self, path: str) -> str | None:
        for gid, paths in self.groups():
            if path in paths:
                return gid
        return None

    def marginal(self, path: str) -> Quantity | None:
        """A share member's marginal, ``Beta(κ m, κ (1 − m))`` on [0, 1] (None otherwise)."""
        from detente.scenario.quantity import Quantity

        for s in self.shares:
            if path in s.paths:
                m = s.means[s.paths.index(path)]
                a, b = s.concentration * m, s.concentration * (1.0 - m)
                return Quantity(
                    dist="beta",
                    a=a,
                    b=b,
                    low=0.0,
                    high=1.0,
                    assumption=f"its share of the Dirichlet group {s.id}",
                )
        return None

    def describe(self) -> dict[str, list[dict[str, object]]]:
        """The groups as JSON (for ``provenance.json`` and sensitivity output)."""
        return {
            "correlations": [
                {"id": c.id, "paths": list(c.paths), "spearman": [list(r) for r in c.spearman]}
                for c in self.copulas
            ],
            "shares": [
                {
                    "id": s.id,
                    "paths": list(s.paths),
                    "means": list(s.means),
                    "concentration": s.concentration,
                }
                for s in self.shares
            ],
        }


def _copula(prefix: str, group: CorrelationGroup) -> CopulaSpec:
    from detente.scenario.dependence import pearson_matrix

    k = len(group.paths)
    index = {p: i for i, p in enumerate(group.paths)}
    rho = [[1.0 if i == j else 0.0 for j in range(k)] for i in range(k)]
    for a, b, q, _ in group.pairs():
        rho[index[a]][index[b]] = rho[index[b]][index[a]] = q.point()
    chol = np.linalg.cholesky(np.asarray(pearson_matrix(group), dtype=np.float64))
    return CopulaSpec(
        id=f"{prefix}{group.id}",
        paths=tuple(group.paths),
        spearman=tuple(tuple(r) for r in rho),
        chol=tuple(tuple(float(x) for x in row) for row in chol),
    )


def _shares(prefix: str, group: ShareGroup, values: dict[str, Quantity]) -> SharesSpec:
    return SharesSpec(
        id=f"{prefix}{group.id}",
        paths=tuple(group.paths),
        means=tuple(values[p].point() for p in group.paths),
        concentration=group.concentration.point(),
    )


def scenario_dependence(scenario: Scenario) -> Dependence:
    """The groups on the forecasting models' numbers (the scenario's top-level declarations)."""
    if not (scenario.correlations or scenario.shares):
        return Dependence()
    values: dict[str, Quantity] = {}
    for actor in scenario.actors:
        values[f"actors.{actor.id}.capability"] = actor.capability
        for iid, stance in actor.stances.items():
            values[f"actors.{actor.id}.stances.{iid}.position"] = stance.position
            values[f"actors.{actor.id}.stances.{iid}.salience"] = stance.salience
    for issue in scenario.issues:
        if issue.status_quo is not None:
            values[f"issues.{issue.id}.status_quo"] = issue.status_quo
    return Dependence(
        copulas=tuple(_copula("correlations.", g) for g in scenario.correlations),
        shares=tuple(_shares("shares.", g, values) for g in scenario.shares),
    )


def game_dependence(game: GameSpec) -> Dependence:
    """The groups on a strategy game's numbers (its ``game:`` declarations)."""
    if not (game.correlations or game.shares):
        return Dependence()
    from detente.scenario.game import quantities

    values = dict(quantities(game))
    return Dependence(
        copulas=tuple(_copula("game.correlations.", g) for g in game.correlations),
        shares=tuple(_shares("game.shares.", g, values) for g in game.shares),
    )


def _columns(paths: Sequence[str], members: tuple[str, ...], gid: str) -> list[int] | None:
    """The columns of a group's members among ``paths`` (None: the group is not sampled here);
    a group sampled only in part is an error — its draws would not be the group's."""
    cols = [paths.index(p) if p in paths else -1 for p in members]
    if all(c < 0 for c in cols):
        return None
    if any(c < 0 for c in cols):
        missing = ", ".join(p for p, c in zip(members, cols, strict=True) if c < 0)
        raise ValueError(f"group {gid} sampled without its member(s) {missing}")
    return cols


def copula_uniforms(u: FloatArray, chol: tuple[tuple[float, ...], ...]) -> FloatArray:
    """``(n, k)`` independent uniforms → ``(n, k)`` uniforms with the copula of ``L Lᵀ``."""
    from scipy.special import ndtr, ndtri

    z = ndtri(np.clip(u, _U_MIN, 1.0 - 2.0**-53))
    out = np.empty_like(z)
    for i, row in enumerate(chol):
        x = row[0] * z[:, 0]
        for j in range(1, i + 1):
            x = x + row[j] * z[:, j]
        out[:, i] = ndtr(x)
    return np.asarray(out, dtype=np.float64)


def dirichlet_values(u: FloatArray, alpha: tuple[float, ...]) -> FloatArray:
    """``(n, k)`` independent uniforms → ``(n, k)`` Dirichlet(``alpha``) draws (rows sum to 1)."""
    from scipy.special import gammaincinv, gammaln

    uu = np.clip(u, _U_MIN, 1.0 - 2.0**-53)
    logs = np.empty_like(uu)
    for i, a in enumerate(alpha):
        g = gammaincinv(a, uu[:, i])
        with np.errstate(divide="ignore"):
            lg = np.log(g)
        small = (np.log(uu[:, i]) + gammaln(a + 1.0)) / a
        logs[:, i] = np.where(g > 0.0, lg, small)
    top = logs.max(axis=1, keepdims=True)
    w = np.exp(logs - top)
    x = w / w.sum(axis=1, keepdims=True)
    x = x / x.sum(axis=1, keepdims=True)
    return np.asarray(x, dtype=np.float64)


def values_from_uniforms(
    items: Sequence[tuple[str, Quantity]], u: FloatArray, dependence: Dependence | None = None
) -> FloatArray:
    """Values ``(n, P)`` of ``items`` (``(path, quantity)``) from their independent uniforms
    ``u`` (``(n, P)``, columns in ``items`` order), with ``dependence``'s groups applied."""
    out = np.empty_like(u, dtype=np.float64)
    if not dependence:
        for c, (_path, q) in enumerate(items):
            out[:, c] = q.ppf(u[:, c])
        return out
    paths = [p for p, _ in items]
    uu = np.array(u, dtype=np.float64, copy=True)
    done: set[int] = set()
    for cop in dependence.copulas:
        cols = _columns(paths, cop.paths, cop.id)
        if cols is not None:
            uu[:, cols] = copula_uniforms(uu[:, cols], cop.chol)
    for sh in dependence.shares:
        cols = _columns(paths, sh.paths, sh.id)
        if cols is not None:
            out[:, cols] = dirichlet_values(uu[:, cols], sh.alpha)
            done.update(cols)
    for c, (_path, q) in enumerate(items):
        if c not in done:
            out[:, c] = q.ppf(uu[:, c])
    return out
