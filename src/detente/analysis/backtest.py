"""Backtest detente's models on real EU decisions (the DEU III data): run, score, protocol.

The data and its reader are :mod:`detente.scenario.deu` (file format, dates, treaty periods,
capabilities, issue -> Problem); the scores and the proposal-clustered bootstrap are
:mod:`detente.analysis.scoring`; the pre-registered protocol that tries to beat the weighted
mean is :mod:`detente.analysis.backtest_protocol` (protocol in ``docs/backtest.md``). This
module runs any model on every issue (:func:`run_model`), scores every model and every pair of
models with the same resamples, runs the protocol (:func:`run_backtest`) and gives the result's
JSON (:meth:`BacktestResult.to_dict`).

Models are known by their tags (:class:`detente.models.base.Model`): a ``multi_issue`` model
gets one Problem per proposal, the others one per issue. The naive baselines are models too
(:mod:`detente.models.baselines`); on the command line the status quo keeps the DEU data's
name, ``rp`` (its reference point).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.analysis.backtest_protocol import ProtocolResult, run_protocol
from detente.analysis.calibration import (
    FOLD_SEED,
    FOLDS,
    LEVELS,
    WITHIN,
    cv_pools,
    probabilistic_scores,
    proposal_folds,
)
from detente.analysis.combination import STEP, cross_validate, filled_components
from detente.analysis.scoring import (
    PairedDifference,
    Score,
    bootstrap_counts,
    mean_with_interval,
    paired_difference,
    paired_mean_difference,
    rounded,
    score_forecasts,
)
from detente.models.base import FloatArray, Model, ModelInputError
from detente.scenario.deu import (
    CAPABILITY_MODES,
    DeuData,
    Exclusion,
    capabilities,
    issue_problem,
    proposal_problem,
)

#: The baselines by their backtest names -> model registry names (``rp`` is the DEU data's
#: reference point, the status quo).
BASELINE_MODELS: dict[str, str] = {"rp": "status-quo", "midpoint": "midpoint"}
#: The backtest names of the baselines, in the order ``--models all`` adds them.
BASELINES = tuple(BASELINE_MODELS)


@dataclass(frozen=True)
class ModelRun:
    """Forecasts of one model for every issue (NaN where excluded) and the exclusions."""

    name: str
    forecast: FloatArray
    excluded: tuple[Exclusion, ...] = ()


def _failure_reason(err: Exception) -> str:
    if isinstance(err, ModelInputError):
        return f"ModelInputError: {err}"
    # Not an input limit of the model but a failure: still counted, never hidden.
    return f"model error {type(err).__name__}: {err}"


def run_model(name: str, model: Model, data: DeuData, capability: str) -> ModelRun:
    """Forecast every issue of ``data`` with ``model``, reported under ``name``.

    Per-issue Problems for single-issue models, per-proposal Problems for ``multi_issue``
    models. A model's :class:`ModelInputError` (or any failure) on one problem excludes that
    problem's issues for this model only; they are counted. A model that ``needs_status_quo``
    is not run on an issue without a reference point (excluded as "no reference point"); a
    ``baseline`` reads no actor data, so it is given unit capabilities (no capability mode can
    fail it).
    """
    issues = data.issues
    out = np.full(len(issues), np.nan)
    excluded: list[Exclusion] = []
    j = 0
    for prop in data.proposals:
        span = range(j, j + len(prop.issues))
        j += len(prop.issues)
        if model.multi_issue:
            actors = tuple(dict.fromkeys(a for i in prop.issues for a in i.actors))
            cap = dict(zip(actors, capabilities(data, prop, actors, capability), strict=True))
            try:
                res = model.forecast_batch(proposal_problem(prop, cap)).outcome[0]
            except Exception as err:
                for iss in prop.issues:
                    excluded.append(Exclusion(prop.id, iss.issue, iss.line, _failure_reason(err)))
                continue
            out[span.start : span.stop] = res
        else:
            for n, iss in zip(span, prop.issues, strict=True):
                if model.needs_status_quo and math.isnan(iss.reference):
                    excluded.append(Exclusion(prop.id, iss.issue, iss.line, "no reference point"))
                    continue
                cap_arr = (
                    np.ones(len(iss.actors))
                    if model.baseline
                    else capabilities(data, prop, iss.actors, capability)
                )
                try:
                    out[n] = model.forecast_batch(issue_problem(iss, cap_arr)).outcome[0, 0]
                except Exception as err:
                    excluded.append(Exclusion(prop.id, iss.issue, iss.line, _failure_reason(err)))
        for n, iss in zip(span, prop.issues, strict=True):
            if not math.isnan(out[n]) and not math.isfinite(out[n]):
                out[n] = np.nan
            if math.isnan(out[n]) and not any(e.issue == iss.issue for e in excluded):
                excluded.append(Exclusion(prop.id, iss.issue, iss.line, "non-finite forecast"))
    return ModelRun(name=name, forecast=out, excluded=tuple(excluded))


# --- Per-issue probabilistic scores ---------------------------------------------------------

#: The name of the pre-registered combination in the results.
COMBINATION = "ensemble"


def issue_values(
    forecast: FloatArray,
    outcome: FloatArray,
    issue_fold: NDArray[np.intp],
    pools: list[FloatArray] | tuple[FloatArray, ...],
) -> dict[str, FloatArray]:
    """Per-issue values behind every score (NaN where no forecast), by score key.

    ``sq_error`` (for RMSE), ``crps``, ``coverage_50/80/90`` (ties split),
    ``coverage_closed_50/80/90`` and ``within_5/10``; CRPS and coverage use each issue's fold pool.
    """
    ok = np.isfinite(forecast)
    err = np.where(ok, forecast - outcome, np.nan)
    ps = probabilistic_scores(forecast, outcome, issue_fold, list(pools))
    out: dict[str, FloatArray] = {"sq_error": err**2, "crps": ps.crps}
    for lv in LEVELS:
        out[f"coverage_{round(lv * 100)}"] = ps.coverage[lv]
    for lv in LEVELS:
        out[f"coverage_closed_{round(lv * 100)}"] = ps.coverage_closed[lv]
    for d in WITHIN:
        out[f"within_{d:g}"] = np.where(ok, (np.abs(err) <= d).astype(np.float64), np.nan)
    return out


@dataclass(frozen=True)
class CombinationResult:
    """The pre-registered combination: components, weights, and its verdict against compromise."""

    components: tuple[str, ...]
    weights: tuple[float, ...]
    fold_weights: tuple[tuple[float, ...], ...]
    crps_difference: float
    crps_ci95: tuple[float, float]

    @property
    def verdict(self) -> str:
        """The protocol's decision rule on the paired CRPS difference (ensemble − compromise)."""
        if self.crps_difference < 0 and self.crps_ci95[1] < 0:
            return "beats compromise"
        if self.crps_difference < 0:
            return "not distinguishable (lower CRPS, interval includes 0)"
        return "does not beat compromise"

    def to_dict(self) -> dict[str, Any]:
        return {
            "protocol": "docs/backtest.md, 'Protocol: one combination (issue 18)'",
            "components": list(self.components),
            "grid_step": STEP,
            "objective": "MAE",
            "weights": dict(zip(self.components, self.weights, strict=True)),
            "fold_weights": [dict(zip(self.components, w, strict=True)) for w in self.fold_weights],
            "crps_difference": rounded(self.crps_difference),
            "crps_ci95": [rounded(self.crps_ci95[0]), rounded(self.crps_ci95[1])],
            "verdict": self.verdict,
        }


# --- The whole backtest ------------------------------------------------------------------------


@dataclass(frozen=True)
class BacktestResult:
    """Scores per model, paired differences, exclusions and the protocol result."""

    data: DeuData
    capability: str
    seed: int
    n_boot: int
    runs: tuple[ModelRun, ...]
    scores: tuple[Score, ...]
    paired: tuple[PairedDifference, ...]
    protocol: ProtocolResult | None
    combination: CombinationResult | None = None

    def to_dict(self) -> dict[str, Any]:
        reasons = Counter(e.reason for e in self.data.excluded)
        out: dict[str, Any] = {
            "file": self.data.path,
            "capability": self.capability,
            "seed": self.seed,
            "bootstrap": {
                "resamples": self.n_boot,
                "cluster": "proposal",
                "interval": "percentile",
            },
            "cross_validation": {
                "folds": FOLDS,
                "fold_seed": FOLD_SEED,
                "cluster": "proposal",
                "predictive": "forecast + calibration residual (other folds), clipped to 0-100",
                "intervals": "split-conformal ranks; coverage with ties split at random",
            },
            "data": {
                "proposals": len(self.data.proposals),
                "issues_scored": len(self.data.issues),
                "issues_excluded": len(self.data.excluded),
                "exclusion_reasons": dict(reasons),
            },
            "models": {s.name: s.to_dict() for s in self.scores},
            "paired_differences": [p.to_dict() for p in self.paired],
            "excluded": {
                "issues": [e.to_dict() for e in self.data.excluded],
                **{r.name: [e.to_dict() for e in r.excluded] for r in self.runs if r.excluded},
            },
        }
        if self.protocol is not None:
            out["candidates"] = self.protocol.to_dict()
        if self.combination is not None:
            out["combination"] = self.combination.to_dict()
        return out


def run_backtest(
    data: DeuData,
    models: Mapping[str, Model],
    capability: str = "equal",
    seed: int = 0,
    n_boot: int = 2000,
    protocol: bool = True,
    reference: str | None = "compromise",
    combination: bool = True,
) -> BacktestResult:
    """Run and score every model in ``models`` (name in the result -> model).

    Paired differences are reported for every pair of models, those against ``reference``
    (when present, else the first model) first. CRPS and interval coverage are cross-validated
    over proposal-grouped folds (:mod:`detente.analysis.calibration`). With ``combination``, and
    compromise among two or more models, the pre-registered combination
    (:mod:`detente.analysis.combination`) is scored too, as :data:`COMBINATION`.
    """
    if capability not in CAPABILITY_MODES:
        raise ValueError(
            f"capability {capability!r}, expected one of {', '.join(CAPABILITY_MODES)}"
        )
    outcome = np.array([i.outcome for i in data.issues])
    cluster = data.proposal_of_issue()
    counts = bootstrap_counts(len(data.proposals), n_boot, seed)
    issue_fold = proposal_folds(len(data.proposals))[cluster]
    runs = [run_model(name, m, data, capability) for name, m in models.items()]
    pools = {r.name: cv_pools(r.forecast, outcome, issue_fold, FOLDS) for r in runs}
    names = [r.name for r in runs]
    combo: CombinationResult | None = None
    cv = None
    if combination and "compromise" in names and len(runs) >= 2:
        order = sorted(range(len(runs)), key=lambda k: names[k] != "compromise")
        comps = filled_components([runs[k].forecast for k in order])
        cv = cross_validate(comps, outcome, issue_fold, FOLDS)
        ens = np.where(np.isfinite(runs[order[0]].forecast), cv.forecast, np.nan)
        runs.append(ModelRun(COMBINATION, ens))
        pools[COMBINATION] = list(cv.pools)
        components = tuple(names[k] for k in order)
    values = {r.name: issue_values(r.forecast, outcome, issue_fold, pools[r.name]) for r in runs}
    scores = []
    for run in runs:
        s = score_forecasts(run.forecast, outcome, cluster, counts, run.name)
        reasons = Counter(_reason_class(e.reason) for e in run.excluded)
        extra = {
            key: mean_with_interval(v, cluster, counts)
            for key, v in values[run.name].items()
            if key != "sq_error"
        }
        scores.append(
            Score(
                **{
                    **s.__dict__,
                    "excluded": len(run.excluded),
                    "exclusion_reasons": reasons,
                    "extra": extra,
                }
            )
        )
    names = [r.name for r in runs]
    ref = reference if reference in names else (names[0] if names else None)
    # Every pair, the reference first, so "x vs reference" rows lead; all pairs use the same
    # resamples, so their intervals are comparable.
    order = sorted(range(len(runs)), key=lambda k: names[k] != ref)
    paired = []
    for n, a in enumerate(order):
        for b in order[n + 1 :]:
            pd = paired_difference(
                runs[b].name,
                runs[b].forecast,
                runs[a].name,
                runs[a].forecast,
                outcome,
                cluster,
                counts,
            )
            vb, va = values[runs[b].name], values[runs[a].name]
            extra = {"rmse": paired_mean_difference(vb["sq_error"], va["sq_error"], cluster,
                                                    counts, root=True)}  # fmt: skip
            for key in vb:
                if key != "sq_error":
                    extra[key] = paired_mean_difference(vb[key], va[key], cluster, counts)
            paired.append(PairedDifference(pd.a, pd.b, pd.difference, pd.n, pd.ci95, extra))
    if cv is not None:
        d = next(p for p in paired if p.a == COMBINATION and p.b == "compromise")
        combo = CombinationResult(
            components=components,
            weights=tuple(round(float(w), 4) for w in cv.weights),
            fold_weights=tuple(tuple(round(float(x), 4) for x in w) for w in cv.fold_weights),
            crps_difference=d.extra["crps"][0],
            crps_ci95=d.extra["crps"][1],
        )
    proto = run_protocol(data, capability, seed, n_boot) if protocol else None
    return BacktestResult(
        data, capability, seed, n_boot, tuple(runs), tuple(scores), tuple(paired), proto, combo
    )


def _reason_class(reason: str) -> str:
    # Group messages like "ModelInputError: needs >= 3 actors (got 2)" by their kind.
    return reason.split(":", 1)[0] if ":" in reason else reason


def resolve_models(names: Iterable[str]) -> dict[str, Model]:
    """Instantiate models by name; the :data:`BASELINES` by their backtest names."""
    from detente.models import get_model

    return {name: get_model(BASELINE_MODELS.get(name, name)) for name in names}
