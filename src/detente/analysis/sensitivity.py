"""Global sensitivity analysis: which uncertain numbers of a scenario move an output.

SALib-style plain functions (Herman & Usher 2017), with parameters named by their **scenario
path** and human **label** (never by array index)::

    params = scenario_parameters(scenario)               # every uncertain Quantity
    design = sample(params, method="sobol", n=256, seed=1)
    y = forecast_evaluator(scenario, design.params, Compromise(), "declaration")(design.values)
    table = analyze(design, y)                           # path, label, S1, S1_conf, ST, ST_conf

Methods
-------
* **Sobol** first-order (``S1``) and total (``ST``) indices from the Saltelli sampling scheme
  (Saltelli 2002, "Making best use of model evaluations to compute sensitivity indices";
  Saltelli et al. 2010, "Variance based sensitivity analysis of model output"): ``N·(P + 2)``
  evaluations (without second-order terms), estimators of Saltelli et al. 2010 (S1, their
  eq. (b)) and Jansen 1999 (ST), as SALib's ``analyze.sobol`` implements them; confidence
  intervals by bootstrap over the ``N`` base rows.
* **Morris** elementary-effects screening (Morris 1991) with the ``mu_star`` measure of
  Campolongo, Cariboni & Saltelli 2007: ``r·(P + 1)`` evaluations, cheap enough for scenarios with
  many parameters; ranks parameters, does not apportion variance.

Distributions: sampled on the unit hypercube, mapped through each inverse CDF
-------------------------------------------------------------------------------
Sobol indices are shares of the output variance *under the input distribution*. A scenario's
judgments are triangular, truncated-normal or beta distributions, not uniform on their support;
sampling uniformly between ``low`` and ``high`` would weigh a triangular's tails as much as its
mode and so misstate how much each judgment matters. SALib's own ``dists`` covers only some
families (no truncated normal, no scaled beta), so every parameter is given the bounds
``[0, 1]`` in the SALib ``problem`` and the design's unit values ``u`` are mapped through the
parameter's inverse CDF (:meth:`Quantity.ppf`) — ``u`` is the quantile of the value. For Morris
the elementary effects are computed on the unit (quantile) scale, so ``mu_star`` is the output
change per full quantile range of each parameter and is comparable across parameters with
different units. A uniform parameter is mapped linearly, so for uniform inputs this is exactly
the textbook scheme (the Ishigami test in ``tests/analysis/test_sensitivity.py`` checks it).

Outputs
-------
(The output vocabulary, :class:`~detente.analysis.outputs.OutputSpec` and
:func:`~detente.analysis.outputs.parse_output`, lives in :mod:`detente.analysis.outputs`.)
An *output* is one scalar per evaluation: a model's forecast on one issue
(``forecast:ISSUE``) or a strategy-game metric (``strategy:METRIC:A-B`` — the metric's mean
under strategy A minus under strategy B, or ``strategy:METRIC:A`` its level). For a game metric
each design row is played for ``episodes`` episodes with common random numbers
(:func:`detente.strategy.simulate.build_episodes` with ``repeat`` = the rows): episode ``j`` of
every row has the same type draw and the same chance
(:class:`~detente.strategy.engine.TiledUniforms`), so rows differ only by their parameter values.
A parameter the metric does not read then gets indices of exactly 0, and chance does not inflate
``ST``; the indices describe the mean over those ``episodes`` episodes, whose own Monte Carlo
error (``noise_share``) says how far that mean may sit from the expectation — re-run with more
episodes or another seed when it is large. Game outputs vary the game's uncertain numbers;
forecast outputs vary the actors' and issues' numbers (the model never reads the game's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from detente.analysis.outputs import OutputSpec, game_of
from detente.models.base import FloatArray, Model
from detente.scenario.paths import game_path_label
from detente.scenario.schema import Scenario
from detente.uncertainty.dependence import (
    Dependence,
    game_dependence,
    scenario_dependence,
    values_from_uniforms,
)
from detente.uncertainty.sampling import Parameter, uncertain_parameters

if TYPE_CHECKING:
    from detente.scenario.game import GameSpec
    from detente.strategy.simulate import Episodes

Method = Literal["sobol", "morris"]


# --------------------------------------------------------------------------------- parameters


def scenario_parameters(scenario: Scenario) -> list[Parameter]:
    """Every uncertain number the forecasting models read (status quo, capability, stances):
    :func:`detente.uncertainty.sampling.uncertain_parameters` (same paths, labels and order)."""
    return uncertain_parameters(scenario)


def game_parameters(game: GameSpec) -> list[Parameter]:
    """Every uncertain number of a strategy game, in the game's path order (no ``field``: the
    forecasting models do not read them)."""
    from detente.scenario.game import quantities

    dep = game_dependence(game)
    out = [
        Parameter.of(path, game_path_label(game, path), dep.marginal(path) or q)
        for path, q in quantities(game)
    ]
    return [p for p in out if p.quantity.varies]


# ----------------------------------------------------------------------- unit -> value mapping


def to_values(
    params: list[Parameter], unit: FloatArray, dependence: Dependence | None = None
) -> FloatArray:
    """Map a ``(N, P)`` design on the unit hypercube to parameter values, column by column
    (each group of ``dependence`` jointly: its copula or Dirichlet, as in Monte Carlo)."""
    return values_from_uniforms([(p.path, p.quantity) for p in params], unit, dependence)


def dependence_for(scenario: Scenario, output: OutputSpec) -> Dependence:
    """The groups among the numbers an output reads: the scenario's top-level ones for a
    forecast, the game's for a game output."""
    if output.kind == "forecast":
        return scenario_dependence(scenario)
    return game_dependence(game_of(scenario))


def _touching(params: list[Parameter], dependence: Dependence | None) -> Dependence:
    """``dependence`` restricted to the groups with a member among ``params``."""
    if not dependence:
        return Dependence()
    paths = {p.path for p in params}
    return Dependence(
        copulas=tuple(c for c in dependence.copulas if paths & set(c.paths)),
        shares=tuple(s for s in dependence.shares if paths & set(s.paths)),
    )


def factors(params: list[Parameter], dependence: Dependence | None) -> list[str]:
    """The SALib ``groups``: each parameter's factor — its group's id, or its own path."""
    dep = dependence or Dependence()
    return [dep.group_of(p.path) or p.path for p in params]


# ---------------------------------------------------------------------------- game evaluation


def game_output_values(game: GameSpec, output: OutputSpec, eps: Episodes) -> FloatArray:
    """Per-episode values of a ``strategy`` output (A's metric, minus B's when given; for a
    scorecard output A's score, minus B's, normalised across all the game's strategies and per
    design row of a sensitivity batch: :func:`~detente.strategy.scorecards.scorecard_scores`)."""
    from detente.strategy.simulate import metric_values

    if output.scorecard:
        from detente.strategy.scorecards import scorecard_scores

        ids, scores = scorecard_scores(game, eps, output.scorecard, output.type_id)
        y = scores[ids.index(output.strategy_a)]
        if output.strategy_b:
            y = y - scores[ids.index(output.strategy_b)]
        return np.asarray(y, dtype=np.float64)
    return metric_values(
        game, eps, output.metric, output.strategy_a, output.strategy_b, output.type_id
    )


# --------------------------------------------------------------------------------- evaluators

Evaluator = Callable[[FloatArray], FloatArray]


class ForecastEvaluator:
    """``values (N, P) -> forecast on issue (N,)`` in one ``forecast_batch`` call; picklable
    (a sensitivity run's blocks are evaluated in worker processes or Ray tasks)."""

    def __init__(self, scenario: Scenario, params: list[Parameter], model: Model, issue: str):
        by_path = {p.path: p for p in uncertain_parameters(scenario)}
        missing = [p.path for p in params if p.path not in by_path]
        if missing:
            raise ValueError(f"not an uncertain number the models read: {', '.join(missing)}")
        self.scenario = scenario
        self.params = [by_path[p.path] for p in params]
        self.model = model
        self.issue = [i.id for i in scenario.issues].index(issue)

    def __call__(self, values: FloatArray) -> FloatArray:
        from detente.uncertainty.sampling import problem_from_values

        problem = problem_from_values(self.scenario, self.params, values)
        return np.asarray(
            self.model.forecast_batch(problem).outcome[:, self.issue], dtype=np.float64
        )


def forecast_evaluator(
    scenario: Scenario, params: list[Parameter], model: Model, issue: str
) -> Evaluator:
    """``values (N, P) -> forecast on issue (N,)`` in one ``forecast_batch`` call
    (:class:`ForecastEvaluator`).

    Parameters not in ``params`` stay at their point values.
    """
    return ForecastEvaluator(scenario, params, model, issue)


class StrategyEvaluator:
    """``values (N, P) -> mean game output per row (N,)``, all rows in one vectorised game.

    Each call also sets :attr:`row_variance`, the variance of each row's episodes (``ddof=1``),
    and :attr:`noise_variance`, the Monte Carlo error variance of its row means (their mean over
    the rows, over ``episodes``: :func:`noise_of`).
    """

    def __init__(
        self,
        scenario: Scenario,
        params: list[Parameter],
        output: OutputSpec,
        episodes: int = 200,
        seed: int = 0,
    ) -> None:
        self.game = game_of(scenario)
        self.params = params
        self.output = output
        self.episodes = episodes
        self.seed = seed
        self.noise_variance = 0.0
        self.row_variance: FloatArray = np.zeros(0)

    def __call__(self, values: FloatArray) -> FloatArray:
        from detente.strategy.simulate import build_episodes

        n, episodes = values.shape[0], self.episodes
        fixed = {p.path: values[:, c] for c, p in enumerate(self.params)}
        eps = build_episodes(self.game, self.seed, episodes, fixed=fixed, repeat=n)
        y = game_output_values(self.game, self.output, eps).reshape(n, episodes)
        self.row_variance = (
            np.asarray(y.var(axis=1, ddof=1), dtype=np.float64) if episodes > 1 else np.zeros(n)
        )
        self.noise_variance = noise_of(self.row_variance, episodes)
        return np.asarray(y.mean(axis=1), dtype=np.float64)


def noise_of(row_variance: FloatArray, episodes: int) -> float:
    """The Monte Carlo error variance of row means: the mean per-row variance of the episodes
    (``ddof=1``) over ``episodes`` (0 for a single episode)."""
    return float(np.mean(row_variance) / episodes) if episodes > 1 else 0.0


def strategy_evaluator(
    scenario: Scenario,
    params: list[Parameter],
    output: OutputSpec,
    episodes: int = 200,
    seed: int = 0,
) -> StrategyEvaluator:
    """The :class:`StrategyEvaluator` of a game output."""
    return StrategyEvaluator(scenario, params, output, episodes=episodes, seed=seed)


# ------------------------------------------------------------------------ sample and analyze


def salib_problem(params: list[Parameter], dependence: Dependence | None = None) -> dict[str, Any]:
    """The SALib ``problem``: names = scenario paths, bounds = the unit interval (see above);
    with dependent groups, ``groups``: each group one factor (see :func:`sample`)."""
    if not params:
        raise ValueError("no uncertain parameters: every number is fixed")
    problem: dict[str, Any] = {
        "num_vars": len(params),
        "names": [p.path for p in params],
        "bounds": [[0.0, 1.0]] * len(params),
        "labels": [p.label for p in params],
    }
    if dependence:
        problem["groups"] = factors(params, dependence)
    return problem


@dataclass(frozen=True)
class Design:
    """A sensitivity design: ``unit`` quantiles and the mapped ``values`` (both ``(N, P)``)."""

    method: Method
    params: list[Parameter]
    unit: FloatArray
    values: FloatArray
    n: int
    seed: int
    num_levels: int = 4
    #: the groups of dependent parameters in the design (empty: independent inputs)
    dependence: Dependence = field(default_factory=Dependence)

    @property
    def n_evaluations(self) -> int:
        return int(self.unit.shape[0])

    @property
    def grouped(self) -> bool:
        """Whether the indices are grouped (a dependent group is one factor)."""
        return bool(self.dependence)


def sample(
    params: list[Parameter],
    method: Method = "sobol",
    n: int = 256,
    seed: int = 0,
    num_levels: int = 4,
    dependence: Dependence | None = None,
) -> Design:
    """The design: Saltelli's scheme (``n·(P+2)`` rows, ``n`` a power of 2) or Morris
    trajectories (``n`` trajectories, ``n·(P+1)`` rows), mapped through each inverse CDF.

    With ``dependence`` groups among ``params`` (shares, correlations), Sobol indices are
    **grouped**: each group is one factor (SALib's ``groups``: its members leave the base matrix
    together, ``n·(G+2)`` rows for ``G`` factors) and its uniforms are mapped jointly (copula,
    Dirichlet), so the factors are independent of each other — the condition under which
    Sobol's variance decomposition holds (Jacques, Lavergne & Devictor 2006). Morris is refused:
    its one-at-a-time steps move a single input while the others stay put, which dependent
    inputs cannot do.
    """
    dep = _touching(params, dependence)
    if dep and method == "morris":
        names = ", ".join(gid for gid, _ in dep.groups())
        raise ValueError(
            f"--method morris assumes independent inputs, and {names} declare(s) dependent "
            "judgments among this output's inputs; use --method sobol (grouped indices: each "
            "group one factor)"
        )
    problem = salib_problem(params, dep)
    if method == "sobol":
        from SALib.sample import sobol as sobol_sample

        if n < 2 or n & (n - 1):
            raise ValueError(f"--n must be a power of 2 for Sobol sampling (got {n})")
        unit = sobol_sample.sample(problem, n, calc_second_order=False, scramble=True, seed=seed)
    elif method == "morris":
        from SALib.sample import morris as morris_sample

        if n < 2:
            raise ValueError(f"--n must be at least 2 trajectories for Morris (got {n})")
        unit = morris_sample.sample(problem, n, num_levels=num_levels, seed=seed)
    else:
        raise ValueError(f"unknown method {method!r} (expected sobol or morris)")
    unit = np.asarray(unit, dtype=np.float64)
    values = to_values(params, unit, dep)
    return Design(method, params, unit, values, n, seed, num_levels, dep)


def analyze(
    design: Design, y: FloatArray, conf_level: float = 0.95, num_resamples: int = 200
) -> pd.DataFrame:
    """Tidy indices, one row per parameter, largest total effect first.

    Sobol: ``path, label, S1, S1_conf, ST, ST_conf`` (``*_conf``: half-width of the bootstrap
    interval at ``conf_level``). Morris: ``path, label, mu_star, mu_star_conf, mu, sigma``.
    """
    yy = np.asarray(y, dtype=np.float64).reshape(-1)
    if yy.shape[0] != design.n_evaluations:
        raise ValueError(f"{yy.shape[0]} outputs for {design.n_evaluations} design rows")
    if not np.all(np.isfinite(yy)):
        raise ValueError("the output is not finite for some design rows")
    problem = salib_problem(design.params, design.dependence)
    base = _factor_rows(design)
    if design.method == "sobol":
        from SALib.analyze import sobol as sobol_analyze

        if np.ptp(yy) == 0.0:
            zeros = np.zeros(len(base["path"]))
            return pd.DataFrame(
                {**base, "S1": zeros, "S1_conf": zeros, "ST": zeros, "ST_conf": zeros}
            )
        res = sobol_analyze.analyze(
            problem,
            yy,
            calc_second_order=False,
            num_resamples=num_resamples,
            conf_level=conf_level,
            # a Generator, not the int: SALib's Sobol analysis reads ``if seed:`` and so takes
            # seed 0 as "no seed" (the global RNG: bootstrap intervals that change run to run).
            # default_rng(Generator) is that generator, so seeds >= 1 draw exactly as before.
            seed=np.random.default_rng(design.seed),
        )
        frame = pd.DataFrame(
            {
                **base,
                "S1": np.asarray(res["S1"], dtype=float),
                "S1_conf": np.asarray(res["S1_conf"], dtype=float),
                "ST": np.asarray(res["ST"], dtype=float),
                "ST_conf": np.asarray(res["ST_conf"], dtype=float),
            }
        )
        return frame.sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)
    from SALib.analyze import morris as morris_analyze

    res = morris_analyze.analyze(
        problem,
        design.unit,
        yy,
        num_resamples=num_resamples,
        conf_level=conf_level,
        num_levels=design.num_levels,
        seed=design.seed,
    )
    frame = pd.DataFrame(
        {
            **base,
            "mu_star": np.asarray(res["mu_star"], dtype=float),
            "mu_star_conf": np.asarray(res["mu_star_conf"], dtype=float),
            "mu": np.asarray(res["mu"], dtype=float),
            "sigma": np.asarray(res["sigma"], dtype=float),
        }
    )
    return frame.sort_values("mu_star", ascending=False, kind="stable").reset_index(drop=True)


def _factor_rows(design: Design) -> dict[str, list[str]]:
    """``path`` and ``label`` of each factor: a parameter, or (grouped) a dependent group —
    its id as the path (``game.correlations.ID``, ``game.shares.ID``: the path a worldview
    overrides it by) and its members' labels joined by `` + `` (SALib's group order: first
    appearance)."""
    if not design.dependence:
        return {"path": [p.path for p in design.params], "label": [p.label for p in design.params]}
    labels: dict[str, list[str]] = {}
    for factor, p in zip(factors(design.params, design.dependence), design.params, strict=True):
        labels.setdefault(factor, []).append(p.label)
    kinds = {c.id: "correlated" for c in design.dependence.copulas}
    kinds.update({s.id: "shares" for s in design.dependence.shares})
    return {
        "path": list(labels),
        "label": [
            f"{kinds[f]}: {' + '.join(ls)}" if f in kinds else ls[0] for f, ls in labels.items()
        ],
    }


@dataclass(frozen=True)
class SensitivityResult:
    """Indices for one output, with what produced them."""

    table: pd.DataFrame
    output: OutputSpec
    method: Method
    #: the forecasting model's registry name (None for a game output)
    model: str | None
    worldview: str | None
    n: int
    seed: int
    n_evaluations: int
    variance: float
    #: Monte Carlo error variance of a game output's row means (0 for forecasts). The rows share
    #: their chance, so it does not inflate the indices; a sizeable share of ``variance`` says the
    #: indices describe these episodes more than the expectation (re-run with more episodes)
    noise_variance: float = 0.0
    #: the dependent groups among the inputs (empty: independent inputs, one index a parameter)
    dependence: Dependence = field(default_factory=Dependence)

    @property
    def indices(self) -> str:
        """``grouped`` (a dependent group is one factor) or ``independent``."""
        return "grouped" if self.dependence else "independent"

    @property
    def noise_share(self) -> float:
        return self.noise_variance / self.variance if self.variance > 0 else 0.0


@dataclass(frozen=True)
class SensitivityPlan:
    """One output's design and how its rows are evaluated, before any is: what
    :func:`run_sensitivity` runs in one go and ``sensitivity --out`` in resumable blocks
    (:mod:`detente.analysis.sensitivity_run`)."""

    scenario: Scenario
    output: OutputSpec
    method: Method
    #: the forecasting model's registry name (None for a game output)
    model: str | None
    #: the model's constructor parameters (None for a game output)
    model_parameters: dict[str, Any] | None
    worldview: str | None
    n: int
    seed: int
    #: game episodes per design row (None for a forecast output: the model plays none)
    episodes: int | None
    design: Design
    evaluate: Evaluator
    #: the game evaluator (its ``row_variance`` after each call); None for a forecast output
    game: StrategyEvaluator | None = None

    def result(self, y: FloatArray, noise_variance: float) -> SensitivityResult:
        """The indices of the design's outputs ``y`` (one per row, in row order)."""
        table = analyze(self.design, y)
        return SensitivityResult(
            table=table,
            output=self.output,
            method=self.method,
            model=self.model,
            worldview=self.worldview,
            n=self.n,
            seed=self.seed,
            n_evaluations=self.design.n_evaluations,
            variance=float(np.var(y)),
            noise_variance=noise_variance,
            dependence=self.design.dependence,
        )


def plan_sensitivity(
    scenario: Scenario,
    output: OutputSpec,
    model: Model | None = None,
    method: Method = "sobol",
    n: int = 256,
    seed: int = 0,
    episodes: int = 200,
    worldview: str | None = None,
) -> SensitivityPlan:
    """The design of one output and its evaluator (see :func:`run_sensitivity`); bad input
    (an output that is not scalar, an ``n`` the method cannot use) raises ValueError here."""
    game_eval: StrategyEvaluator | None = None
    name: str | None = None
    model_params: dict[str, Any] | None = None
    if output.kind == "forecast":
        from detente.models import get_model

        m = model if model is not None else get_model("compromise")
        name = m.name
        model_params = m.get_params()
        params = scenario_parameters(scenario)
        evaluate: Evaluator = forecast_evaluator(scenario, params, m, output.issue)
    elif output.kind == "strategy":
        params = game_parameters(game_of(scenario))
        game_eval = strategy_evaluator(scenario, params, output, episodes=episodes, seed=seed)
        evaluate = game_eval
    else:
        raise ValueError("sensitivity needs a scalar output: forecast:ISSUE or strategy:METRIC")
    design = sample(
        params, method=method, n=n, seed=seed, dependence=dependence_for(scenario, output)
    )
    return SensitivityPlan(
        scenario=scenario,
        output=output,
        method=method,
        model=name,
        model_parameters=model_params,
        worldview=worldview,
        n=n,
        seed=seed,
        episodes=episodes if game_eval is not None else None,
        design=design,
        evaluate=evaluate,
        game=game_eval,
    )


def run_sensitivity(
    scenario: Scenario,
    output: OutputSpec,
    model: Model | None = None,
    method: Method = "sobol",
    n: int = 256,
    seed: int = 0,
    episodes: int = 200,
    worldview: str | None = None,
    progress: Callable[[float], None] | None = None,
    chunks: int = 1,
) -> SensitivityResult:
    """Sample, evaluate, analyze: the whole pipeline for one output (a forecast output is
    ``model``'s, default the compromise model; a game output reads no model).

    The design rows are evaluated in ``chunks`` vectorised calls (one by default), reporting the
    share done to ``progress`` after each, so a caller can show progress and stop between
    chunks. Rows are independent (a game row's episodes replay the same chance in any chunk), so
    the chunking does not change the indices.
    """
    plan = plan_sensitivity(scenario, output, model, method, n, seed, episodes, worldview)
    design, evaluate, game_eval = plan.design, plan.evaluate, plan.game
    rows = design.n_evaluations
    step = max(1, -(-rows // max(1, chunks)))
    parts: list[FloatArray] = []
    noise_sum = 0.0
    for start in range(0, rows, step):
        block = design.values[start : start + step]
        parts.append(evaluate(block))
        if game_eval is not None:
            noise_sum += game_eval.noise_variance * block.shape[0]
        if progress is not None:
            progress(min(rows, start + step) / rows)
    y = np.concatenate(parts)
    return plan.result(y, noise_sum / rows)


# ------------------------------------------------------------------------- rank correlations


def rank_correlations(inputs: FloatArray, outcome: FloatArray) -> FloatArray:
    """Spearman rank correlation of each sampled input (``(N, P)``) with each output column
    (``(N, k)``): a ``(P, k)`` array.

    Rows with a non-finite output are left out. Ranks are :func:`scipy.stats.rankdata` with
    ties averaged (``method="average"``), then the Pearson correlation of the ranks: exactly
    :func:`scipy.stats.spearmanr`, ties included (a median model's forecast takes few values;
    ranking ties in draw order would give a constant forecast spurious correlations). A
    constant column has no rank correlation: NaN. The web explorer's Monte Carlo job shows it
    (which inputs move each forecast most).
    """
    from scipy.stats import rankdata

    ok = np.all(np.isfinite(outcome), axis=1)
    x = rankdata(inputs[ok], method="average", axis=0).astype(np.float64)
    y = rankdata(outcome[ok], method="average", axis=0).astype(np.float64)
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    xs = np.sqrt((x**2).sum(axis=0))
    ys = np.sqrt((y**2).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = (x.T @ y) / np.outer(xs, ys)
    return np.asarray(rho, dtype=np.float64)
