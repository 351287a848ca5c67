"""Worldviews side by side: forecasts and strategy outcomes, with paired differences.

``compare(loaded, ["engagement", "skeptic"], model=Compromise(), draws=1000, seed=0)`` returns
tidy tables (``model``: a :class:`~detente.models.base.Model` instance, default the compromise
model):

* ``forecasts``: ``issue, label, worldview, point, mean, p05, p95`` — the forecast at the
  worldview's point values and the 5th/95th percentiles of its Monte Carlo forecasts;
* ``forecast_differences``: ``issue, label, a, b, point, mean, p05, p95`` for ``b − a`` — the
  per-draw difference of paired draws;
* ``strategies`` (when the scenario has a ``game:`` and ``strategies=True``):
  ``strategy, type, metric, worldview, mean, lo, hi``;
* ``strategy_differences``: ``strategy, type, metric, a, b, mean, lo, hi`` for ``b − a``;
* ``scorecards`` (with ``strategies=True``, when the game names scorecards; else empty):
  ``scorecard, strategy, worldview, rank, mean, lo, hi`` — each strategy's score on each
  scorecard against the type mix (:mod:`detente.strategy.scorecards`: normalised by each
  metric's range across all the game's strategies *within* the worldview), ranked per worldview;
* ``scorecard_differences``: ``scorecard, strategy, a, b, mean, lo, hi`` for ``b − a``, the mean
  of the paired per-episode score differences.

Common random numbers
---------------------
Each worldview is sampled from the same seed with one random stream *per scenario path*
(:func:`detente.uncertainty.sampling.path_uniforms`): draw ``i`` of a judgment both worldviews
leave alone is the same number in both, and a judgment they both give a distribution is drawn at
the same quantile. The spread of ``b − a`` therefore shows what the worldviews' disagreement does,
not the sampling noise of two independent runs. These are the Monte Carlo sampler's own streams
(:func:`detente.uncertainty.sampling.sample_problem`, as in ``detente simulate``). Game episodes
pair the same way (:func:`detente.strategy.simulate.build_episodes`, as in ``detente
strategies``), and also share the type draw (one uniform per episode mapped through each
worldview's priors) and the game's chance.

Intervals: for forecasts ``p05``/``p95`` are percentiles of the draws (what the uncertain
judgments allow); for strategy metrics, which are means over episodes of often binary outcomes,
``lo``/``hi`` are the 90 % (5–95 %) normal interval of the mean, and for the difference the
interval of the mean of the paired per-episode differences.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detente.analysis.sensitivity import scenario_parameters
from detente.models import get_model
from detente.models.base import FloatArray, Model
from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.problem import to_problem
from detente.scenario.schema import Scenario
from detente.uncertainty.sampling import sample_problem

#: z for a two-sided 90 % interval (the 5–95 % band)
Z90 = 1.6448536269514722


def forecast_draws(scenario: Scenario, model: Model, seed: int, draws: int) -> FloatArray:
    """``(draws, k)`` Monte Carlo forecasts (per-path common random numbers)."""
    if not scenario_parameters(scenario):
        point = model.forecast(to_problem(scenario)).outcome
        return np.repeat(np.asarray(point, dtype=np.float64)[None, :], draws, axis=0)
    problem = sample_problem(scenario, seed, 0, draws)
    return np.asarray(model.forecast_batch(problem).outcome, dtype=np.float64)


@dataclass
class Comparison:
    """The tidy tables of a worldview comparison (see module docstring)."""

    scenario: str
    worldviews: list[str]
    #: the model's registry name
    model: str
    draws: int
    seed: int
    forecasts: pd.DataFrame
    forecast_differences: pd.DataFrame
    strategies: pd.DataFrame = field(default_factory=pd.DataFrame)
    strategy_differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    scorecards: pd.DataFrame = field(default_factory=pd.DataFrame)
    scorecard_differences: pd.DataFrame = field(default_factory=pd.DataFrame)
    notes: list[str] = field(default_factory=list)


def compare_forecasts(
    scenarios: Mapping[str, Scenario],
    worldviews: Sequence[str],
    model: Model,
    draws: int,
    seed: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Forecast per issue and worldview, and the paired difference of each to the first
    (``scenarios``: each worldview applied once; ``worldviews``: the ones compared, in order)."""
    rows: list[dict[str, object]] = []
    per: dict[str, tuple[FloatArray, FloatArray]] = {}
    for wv in worldviews:
        sc = scenarios[wv]
        point = np.asarray(model.forecast(to_problem(sc)).outcome, dtype=np.float64)
        mc = forecast_draws(sc, model, seed, draws)
        per[wv] = (point, mc)
        for j, issue in enumerate(sc.issues):
            rows.append(
                {
                    "issue": issue.id,
                    "label": issue.label,
                    "worldview": wv,
                    "point": float(point[j]),
                    "mean": float(mc[:, j].mean()),
                    "p05": float(np.quantile(mc[:, j], 0.05)),
                    "p95": float(np.quantile(mc[:, j], 0.95)),
                }
            )
    diffs: list[dict[str, object]] = []
    a = worldviews[0]
    for b in worldviews[1:]:
        dp = per[b][0] - per[a][0]
        dmc = per[b][1] - per[a][1]
        for j, issue in enumerate(scenarios[a].issues):
            diffs.append(
                {
                    "issue": issue.id,
                    "label": issue.label,
                    "a": a,
                    "b": b,
                    "point": float(dp[j]),
                    "mean": float(dmc[:, j].mean()),
                    "p05": float(np.quantile(dmc[:, j], 0.05)),
                    "p95": float(np.quantile(dmc[:, j], 0.95)),
                }
            )
    return pd.DataFrame(rows), pd.DataFrame(diffs)


def interval90(values: FloatArray) -> tuple[float, float, float]:
    """``(mean, lo, hi)``: the mean of ``values`` and its two-sided 90 % normal interval (the
    intervals of ``compare``, ``brief`` and the report's scorecards)."""
    n = values.shape[0]
    mean = float(values.mean())
    half = Z90 * float(values.std(ddof=1)) / np.sqrt(n) if n > 1 else 0.0
    return mean, mean - half, mean + half


def paired_differences(
    per: Mapping[str, Mapping[tuple[str, ...], FloatArray]],
    worldviews: Sequence[str],
    columns: Sequence[str],
) -> list[dict[str, object]]:
    """For each worldview after the first, ``b − a`` of every key both have: the mean of the
    paired per-episode differences and its 90 % interval (:func:`interval90`), one row per key
    (its parts named by ``columns``), then ``a, b, mean, lo, hi``."""
    a = worldviews[0]
    out: list[dict[str, object]] = []
    for b in worldviews[1:]:
        for key, values in per[a].items():
            other = per[b].get(key)
            if other is None:
                continue
            mean, lo, hi = interval90(np.asarray(other - values, dtype=np.float64))
            row: dict[str, object] = dict(zip(columns, key, strict=True))
            out.append({**row, "a": a, "b": b, "mean": mean, "lo": lo, "hi": hi})
    return out


def compare_strategies(
    scenarios: Mapping[str, Scenario],
    worldviews: Sequence[str],
    seed: int,
    episodes: int,
    types: list[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every strategy × type (and the mix) × metric per worldview, and paired differences to
    the first (``scenarios``: each worldview applied once; ``worldviews``: the ones compared)."""
    from detente.strategy.metrics import MIX
    from detente.strategy.simulate import build_episodes, simulate

    per: dict[str, dict[tuple[str, ...], FloatArray]] = {}
    rows: list[dict[str, object]] = []
    for wv in worldviews:
        sc = scenarios[wv]
        game = sc.game
        if game is None:
            raise ValueError(f"scenario {sc.id!r} has no `game:` section")
        eps = build_episodes(game, seed, episodes)
        type_ids = types if types is not None else [MIX, *(t.id for t in game.types)]
        per[wv] = {}
        for ref in game.strategies:
            for tid in type_ids:
                out = simulate(game, eps, ref.id, tid)
                for metric, raw in out.items():
                    values = np.asarray(raw, dtype=np.float64)
                    per[wv][(ref.id, tid, metric)] = values
                    mean, lo, hi = interval90(values)
                    rows.append(
                        {
                            "strategy": ref.id,
                            "type": tid,
                            "metric": metric,
                            "worldview": wv,
                            "mean": mean,
                            "lo": lo,
                            "hi": hi,
                        }
                    )
    diffs = paired_differences(per, worldviews, ("strategy", "type", "metric"))
    return pd.DataFrame(rows), pd.DataFrame(diffs)


def compare_scorecards(
    scenarios: Mapping[str, Scenario],
    worldviews: Sequence[str],
    seed: int,
    episodes: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every strategy's score on each of the game's scorecards (type mix) per worldview, ranked,
    and the paired differences to the first worldview (empty frames when there are none)."""
    from detente.strategy.scorecards import scorecard_scores
    from detente.strategy.simulate import build_episodes

    rows: list[dict[str, object]] = []
    per: dict[str, dict[tuple[str, ...], FloatArray]] = {}
    for wv in worldviews:
        game = scenarios[wv].game
        if game is None:
            raise ValueError(f"scenario {scenarios[wv].id!r} has no `game:` section")
        eps = build_episodes(game, seed, episodes)
        per[wv] = {}
        for card in game.scorecards:
            ids, scores = scorecard_scores(game, eps, card)
            means = scores.mean(axis=1)
            for k, sid in enumerate(ids):
                per[wv][(card.id, sid)] = scores[k]
                mean, lo, hi = interval90(scores[k])
                rows.append(
                    {
                        "scorecard": card.id,
                        "strategy": sid,
                        "worldview": wv,
                        "rank": 1 + int((means > means[k]).sum()),
                        "mean": mean,
                        "lo": lo,
                        "hi": hi,
                    }
                )
    diffs = paired_differences(per, worldviews, ("scorecard", "strategy"))
    return pd.DataFrame(rows), pd.DataFrame(diffs)


def compare(
    loaded: LoadedScenario,
    worldviews: list[str],
    model: Model | None = None,
    draws: int = 1000,
    seed: int = 0,
    strategies: bool = False,
    episodes: int | None = None,
) -> Comparison:
    """Forecasts of ``model`` (default: the compromise model) and, with ``strategies``, the
    game's outcomes, for each worldview."""
    if len(worldviews) < 2:
        raise ValueError("compare needs at least two worldviews (e.g. --worldviews a,b)")
    if draws < 2:
        raise ValueError("--draws must be at least 2")
    # each worldview applied once (an unknown one raises InputError naming the known ones)
    scenarios = {wv: with_worldview(loaded, wv) for wv in worldviews}
    m = model if model is not None else get_model("compromise")
    fc, fd = compare_forecasts(scenarios, worldviews, m, draws, seed)
    result = Comparison(loaded.scenario.id, worldviews, m.name, draws, seed, fc, fd)
    if strategies:
        if loaded.scenario.game is None:
            result.notes.append("the scenario has no `game:` section: no strategy outcomes")
        else:
            st, sd = compare_strategies(scenarios, worldviews, seed, episodes or draws)
            result.strategies, result.strategy_differences = st, sd
            if loaded.scenario.game.scorecards:
                sc, scd = compare_scorecards(scenarios, worldviews, seed, episodes or draws)
                result.scorecards, result.scorecard_differences = sc, scd
    return result
