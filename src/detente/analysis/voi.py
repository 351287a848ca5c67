"""Value of information: what learning a judgment before choosing a strategy would be worth.

On worldview W's Monte Carlo design (:func:`detente.analysis.discovery.design`: row i holds
every uncertain judgment θ at a draw θᵢ from W's distributions, on common random numbers), the
net benefit NB_d(θᵢ) of each option d is the decision's table (the strategy's mean score on the
scorecard, or its signed mean metric). Choosing now, under W's uncertainty, is worth
max_d E[NB_d]; knowing θ first, E[max_d NB_d(θ)]. Their difference is the **expected value of
perfect information**

    EVPI = mean_i max_d NB_d(θᵢ) − max_d mean_i NB_d(θᵢ).

For one judgment (or override group) φ, the **expected value of partial perfect information**
is EVPPI(φ) = E_φ[max_d E(NB_d | φ)] − max_d E[NB_d]. The regression estimator of Strong,
Oakley & Brennan (2014) estimates the conditional means g_d(φ) = E(NB_d | φ) by regressing the
rows' NB_d on φᵢ with a smoother, on the same design (no nested Monte Carlo):

    EVPPI(φ) ≈ mean_i max_d ĝ_d(φᵢ) − max_d mean_i ĝ_d(φᵢ).

The smoother here is a **cubic regression spline** fitted by least squares: per judgment the
truncated-power basis x, x², x³, (x − κ_k)³₊ on the standardised judgment, with K interior knots
κ at its quantiles (K = min(4, rows // 50): none below 100 rows; fewer powers when the judgment
takes fewer distinct values); a group of several judgments is fitted additively (the sum of its
members' bases, one intercept), as in Strong et al.'s GAM. An unpenalised fit is slightly biased
upwards (its fitted noise adds to the max), by O(basis size / rows); a judgment that does not
move the decision has EVPPI ≈ 0 up to that bias. The **standard error** is the bootstrap's over
the design's rows (:data:`BOOTSTRAP` resamples from a fixed seed; the knots kept), for EVPPI and
EVPI alike. NB_d(θᵢ) is itself an episode average: the EVPI read off the rows includes that
noise (an upper estimate when episodes are few); the regressions average it out.

Read EVPPI(φ) in the scorecard's units: how much better the chosen strategy would score, on
average, if φ were known before choosing — the intelligence question worth answering first is
the judgment with the largest EVPPI; one with EVPPI ≈ 0 is not worth resolving for this
decision (however much it moves the outcome). A decision with one option has nothing to choose.

Reference: M. Strong, J. E. Oakley & A. Brennan (2014), "Estimating multiparameter partial
expected value of perfect information from a probabilistic sensitivity analysis sample: a
nonparametric regression approach", *Medical Decision Making* 34(3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.analysis.discovery import Design
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario

#: bootstrap resamples of the design's rows for the standard errors
BOOTSTRAP = 200
#: most interior knots of a judgment's spline
MAX_KNOTS = 4


def spline_basis(x: FloatArray, rows: int | None = None) -> FloatArray:
    """The cubic truncated-power basis of one judgment (no intercept): ``(len(x), k)``; empty
    for a constant. ``rows`` (default ``len(x)``) sets the number of knots."""
    n = len(x)
    sd = float(np.std(x))
    if sd == 0.0 or n < 2:
        return np.empty((n, 0))
    z = (x - float(np.mean(x))) / sd
    distinct = len(np.unique(z))
    degree = min(3, distinct - 1)
    cols = [z**p for p in range(1, degree + 1)]
    knots = min(MAX_KNOTS, (rows if rows is not None else n) // 50) if degree == 3 else 0
    if knots:
        for k in np.quantile(z, [(j + 1) / (knots + 1) for j in range(knots)]):
            cols.append(np.maximum(z - k, 0.0) ** 3)
    return np.stack(cols, axis=1)


def group_basis(columns: FloatArray) -> FloatArray:
    """An additive design matrix for a group of judgments ``(rows, m)``: an intercept and each
    member's spline basis."""
    n = columns.shape[0]
    parts = [np.ones((n, 1))] + [spline_basis(columns[:, c]) for c in range(columns.shape[1])]
    return np.concatenate(parts, axis=1)


def _evppi_fit(basis: FloatArray, nb: FloatArray, weights: FloatArray | None = None) -> float:
    """The estimator on rows weighted by ``weights`` (a bootstrap's counts; None: each once).

    The least-squares fit solves the normal equations (the basis has at most 1 + 7m columns) by
    :func:`numpy.linalg.lstsq` on the Gram matrix, which gives the minimum-norm solution when a
    group's columns are collinear (type priors summing to 1)."""
    w = np.ones(len(nb)) if weights is None else weights
    wb = basis * w[:, None]
    beta, *_ = np.linalg.lstsq(wb.T @ basis, wb.T @ nb, rcond=None)
    fitted = basis @ beta
    return _evpi(fitted, w)


def _evpi(nb: FloatArray, weights: FloatArray | None = None) -> float:
    w = np.ones(len(nb)) if weights is None else weights
    total = float(w.sum())
    gain = float(w @ np.max(nb, axis=1)) / total - float(np.max(w @ nb)) / total
    # never below 0 (a mean of maxima is at least the max of the means), but for rounding
    return max(0.0, gain)


def bootstrap_weights(rows: int, seed: int, resamples: int = BOOTSTRAP) -> FloatArray:
    """How often each row is drawn in each bootstrap resample ``(resamples, rows)``, from
    ``seed`` alone."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2014]))
    idx = rng.integers(0, rows, size=(resamples, rows))
    counts = np.zeros((resamples, rows))
    np.add.at(counts, (np.repeat(np.arange(resamples), rows), idx.ravel()), 1.0)
    return counts


def evppi(
    columns: FloatArray, nb: FloatArray, *, seed: int = 0, resamples: int = BOOTSTRAP
) -> tuple[float, float]:
    """EVPPI of the judgments ``columns`` ``(rows, m)`` for net benefits ``nb`` ``(rows, D)``
    (regression estimator, see module docstring) and its bootstrap standard error."""
    basis = group_basis(np.asarray(columns, dtype=np.float64).reshape(len(nb), -1))
    value = _evppi_fit(basis, nb)
    boots = [_evppi_fit(basis, nb, w) for w in bootstrap_weights(len(nb), seed, resamples)]
    return value, float(np.std(boots, ddof=1))


def evpi(nb: FloatArray, *, seed: int = 0, resamples: int = BOOTSTRAP) -> tuple[float, float]:
    """EVPI of net benefits ``nb`` ``(rows, D)`` and its bootstrap standard error."""
    weights = bootstrap_weights(len(nb), seed, resamples)
    return _evpi(nb), float(np.std([_evpi(nb, w) for w in weights], ddof=1))


@dataclass(frozen=True)
class GroupValue:
    name: str
    label: str
    paths: tuple[str, ...]
    evppi: float
    se: float


@dataclass
class VoiResult:
    design: Design
    #: the choice under W's uncertainty (the best mean net benefit over the design)
    choice: str
    means: FloatArray
    evpi: float
    evpi_se: float
    groups: list[GroupValue]
    resamples: int
    notes: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "group": g.name,
                "label": g.label,
                "paths": list(g.paths),
                "evppi": g.evppi,
                "se": g.se,
                "of_evpi": g.evppi / self.evpi if self.evpi > 0 else None,
            }
            for g in self.groups
        ]


def voi_on(d: Design, *, resamples: int = BOOTSTRAP) -> VoiResult:
    """EVPI and every group's EVPPI on an evaluated design, largest first."""
    if len(d.options) < 2:
        raise ValueError(
            f"{d.output.describe()} has one option: the value of information needs a choice "
            "between strategies (--output scorecard:ID, scorecard:ID:A-B or strategy:METRIC:A-B)"
        )
    nb = d.table
    value, se = evpi(nb, seed=d.seed, resamples=resamples)
    out: list[GroupValue] = []
    for g in d.groups:
        cols = d.x[:, [d.paths.index(p) for p in g.paths]]
        v, s = evppi(cols, nb, seed=d.seed, resamples=resamples)
        out.append(GroupValue(g.name, g.label, g.paths, v, s))
    out.sort(key=lambda g: -g.evppi)
    means = np.asarray(nb.mean(axis=0), dtype=np.float64)
    return VoiResult(d, d.options[int(np.argmax(means))], means, value, se, out, resamples)


def value_of_information(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    *,
    rows: int,
    seed: int = 0,
    episodes: int = 200,
    model: Model | None = None,
    runner: Runner | None = None,
    resamples: int = BOOTSTRAP,
) -> VoiResult:
    """EVPI and EVPPI of ``output``'s decision under ``worldview`` (see module docstring)."""
    from detente.analysis.discovery import design

    check_output(output)
    d = design(
        loaded, worldview, output, rows=rows, seed=seed, episodes=episodes, model=model,
        runner=runner,
    )  # fmt: skip
    return voi_on(d, resamples=resamples)


def check_output(output: OutputSpec) -> None:
    """ValueError unless ``output`` is a choice between strategies (what EVPPI values)."""
    if output.kind == "forecast":
        raise ValueError(
            "the value of information needs a strategy decision, not a forecast "
            "(--output scorecard:ID, scorecard:ID:A-B or strategy:METRIC:A-B)"
        )
    if output.kind == "strategy" and not output.strategy_b:
        raise ValueError(
            f"{output.describe()} has one option: the value of information needs a choice "
            "between strategies (strategy:METRIC:A-B, scorecard:ID or scorecard:ID:A-B)"
        )
