"""What the report shows, computed: every number of the report, through :mod:`detente.analysis`.

:func:`report_data` resolves the report's inputs once at the entrance — each worldview applied
once into a ``dict[str, Scenario]``, the models chosen — and computes every section's numbers
as plain data (frozen dataclasses and data frames): the actors' and issues' tables, the position
maps, the forecasts per model × worldview with their Monte Carlo 5–95 % intervals, the dynamic
models' rounds, the strategy × type × worldview table, the Sobol indices of a forecast and of a
strategy-game output, the default crux threshold and the cruxes, each scorecard's ranking per
worldview (:func:`detente.analysis.compare.compare_scorecards`) and, when the scenario has a
``record:`` section, the hindcast (:mod:`detente.analysis.hindcast`) and, with two worldviews
and a game with scorecards, the crux panel (:mod:`detente.analysis.panel`). Nothing here
writes HTML:
:mod:`detente.report.html` renders this data.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from detente.analysis.cruxes import CruxResult
from detente.analysis.hindcast import Hindcast
from detente.analysis.outputs import OutputSpec
from detente.analysis.panel import Panel
from detente.analysis.sensitivity import SensitivityResult
from detente.models.base import Model
from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.schema import Scenario

#: the report's label of the scenario without a worldview
BASE = "base"


@dataclass(frozen=True)
class ReportOptions:
    """What to compute: worldviews, models, Monte Carlo size, crux output and threshold.

    ``models`` are model instances (the command line turns ``--models NAMES`` into them); empty:
    every per-issue model (:func:`default_models`).
    """

    worldviews: Sequence[str] = field(default_factory=list)
    models: Sequence[Model] = field(default_factory=list)
    draws: int = 300
    seed: int = 0
    episodes: int = 1000
    sensitivity_n: int = 128
    #: Sobol base samples and episodes per design row for the strategy-game chart (0: none)
    game_sensitivity_n: int = 32
    game_sensitivity_episodes: int = 100
    crux_output: str | None = None
    threshold: float | None = None
    #: the crux panel's episodes per evaluation (0: no panel), Shapley budget and workers
    panel_episodes: int = 200
    panel_max_evaluations: int = 64
    panel_workers: int = 1


def default_models(n_actors: int | None = None) -> list[Model]:
    """The report's default models: :func:`detente.models.per_issue_models`."""
    from detente.models import per_issue_models

    return per_issue_models(n_actors)


# ----------------------------------------------------------------------------- the question


@dataclass(frozen=True)
class ActorRow:
    name: str
    capability: float
    judgment: str
    description: str


@dataclass(frozen=True)
class IssueRow:
    label: str
    scale_min: float
    scale_max: float
    anchors: list[tuple[float, str]]
    status_quo: float | None


@dataclass(frozen=True)
class WorldviewRow:
    id: str
    label: str
    summary: str
    overrides: int


def _actor_rows(sc: Scenario) -> list[ActorRow]:
    return [
        ActorRow(a.name, a.capability.point(), a.capability.describe(), a.description or "")
        for a in sc.actors
    ]


def _issue_rows(sc: Scenario) -> list[IssueRow]:
    return [
        IssueRow(
            i.label,
            i.scale.min,
            i.scale.max,
            sorted(i.scale.anchors.items()),
            None if i.status_quo is None else i.status_quo.point(),
        )
        for i in sc.issues
    ]


def _worldview_rows(sc: Scenario) -> list[WorldviewRow]:
    return [WorldviewRow(w.id, w.label, w.summary or "", len(w.overrides)) for w in sc.worldviews]


# ----------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class PositionMap:
    """One issue's actors at their point values: position, salience, capability."""

    issue: int
    label: str
    names: list[str]
    position: list[float]
    salience: list[float]
    #: bubble size: 14 + 36·sqrt(capability / the largest capability)
    size: list[float]
    status_quo: float | None


def _position_maps(sc: Scenario) -> list[PositionMap]:
    cap = np.array([a.capability.point() for a in sc.actors])
    size = (14 + 36 * np.sqrt(cap / cap.max())).tolist()
    return [
        PositionMap(
            issue=j,
            label=issue.label,
            names=[a.name for a in sc.actors],
            position=[a.stances[issue.id].position.point() for a in sc.actors],
            salience=[a.stances[issue.id].salience.point() for a in sc.actors],
            size=size,
            status_quo=None if issue.status_quo is None else issue.status_quo.point(),
        )
        for j, issue in enumerate(sc.issues)
    ]


# ----------------------------------------------------------------------------- forecasts


@dataclass(frozen=True)
class Forecasts:
    """Forecasts per model × worldview × issue (``model, worldview, issue, point, p05, p95,
    mean, deu_lo, deu_hi`` — the Monte Carlo 5–95 % over the judgments and, distinctly, the
    model's DEU-calibrated 80 % interval, NaN for a model never scored; empty when no model
    could forecast), the point forecasts as an ``(issue, model) ×
    worldview`` table, the rounds of the dynamic models (first worldview; ``round, actor,
    issue, position``), and a note per model that refused a worldview."""

    frame: pd.DataFrame
    points: pd.DataFrame
    rounds: dict[str, pd.DataFrame]
    notes: list[str]


def _forecasts(
    scenarios: Mapping[str, Scenario],
    views: Sequence[str],
    models: Sequence[Model],
    draws: int,
    seed: int,
) -> Forecasts:
    from detente.analysis.calibration import calibrated_intervals
    from detente.analysis.compare import forecast_draws
    from detente.scenario.problem import to_problem

    rows = []
    rounds: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    for m in models:
        for wv in views:
            s = scenarios[wv]
            try:
                fc = m.forecast(to_problem(s))
                mc = forecast_draws(s, m, seed, draws)
            except Exception as exc:  # a model refusing a scenario is reported, not fatal
                notes.append(f"{m.name} ({wv}): {exc}")
                continue
            if fc.rounds and wv == views[0]:
                rounds[m.name] = fc.rounds_frame()
            deu = calibrated_intervals(m.name, s, fc.outcome)
            for j, issue in enumerate(s.issues):
                lo_hi = deu[j] or (float("nan"), float("nan"))
                rows.append(
                    {
                        "model": m.name,
                        "worldview": wv,
                        "issue": issue.label,
                        "point": float(fc.outcome[j]),
                        "p05": float(np.quantile(mc[:, j], 0.05)),
                        "p95": float(np.quantile(mc[:, j], 0.95)),
                        "mean": float(mc[:, j].mean()),
                        "deu_lo": lo_hi[0],
                        "deu_hi": lo_hi[1],
                    }
                )
    frame = pd.DataFrame(rows)
    points = (
        frame.pivot_table(index=["issue", "model"], columns="worldview", values="point", sort=False)
        if rows
        else pd.DataFrame()
    )
    return Forecasts(frame, points, rounds, notes)


# ----------------------------------------------------------------------------- strategies


@dataclass(frozen=True)
class StrategyHeat:
    """One game metric's means: rows = strategies, columns = (worldview, type)."""

    metric: str
    label: str
    columns: list[tuple[str, str]]
    strategies: list[str]
    z: np.ndarray


def strategy_heats(
    loaded: LoadedScenario,
    scenarios: Mapping[str, Scenario],
    worldviews: Sequence[str],
    opts: ReportOptions,
) -> list[StrategyHeat] | None:
    """The headline metric and each ``p_step_{year}`` metric, per strategy × (worldview, type);
    None without a game."""
    from detente.analysis.compare import compare_strategies
    from detente.analysis.outputs import headline_metric
    from detente.strategy.metrics import metric as game_metric

    game = loaded.scenario.game
    if game is None:
        return None
    if not worldviews:
        from detente.strategy.simulate import run_strategies

        df = run_strategies(game, opts.seed, opts.episodes)
        df["worldview"] = BASE
    else:
        df, _ = compare_strategies(scenarios, worldviews, opts.seed, opts.episodes)
    out = []
    for metric in [m for m in (headline_metric(game),) if m in set(df.metric)] + [
        m for m in dict.fromkeys(df.metric) if game_metric(m).key == "p_step_{year}"
    ]:
        sub = df[df.metric == metric]
        cols = [(wv, t) for wv in dict.fromkeys(sub.worldview) for t in dict.fromkeys(sub.type)]
        strategies = list(dict.fromkeys(sub.strategy))
        z = np.array(
            [
                [
                    float(
                        sub[(sub.strategy == s) & (sub.worldview == wv) & (sub.type == t)][
                            "mean"
                        ].iloc[0]
                    )
                    for wv, t in cols
                ]
                for s in strategies
            ]
        )
        shown = [(dated_label(scenarios.get(wv), wv), t) for wv, t in cols]
        out.append(StrategyHeat(metric, game_metric(metric).label, shown, strategies, z))
    return out


def dated_label(sc: Scenario | None, name: str) -> str:
    """A worldview's name with its information date (``as_of``) when its game has one."""
    game = sc.game if sc is not None else None
    if game is None or game.as_of is None:
        return name
    return f"{name} (as of {game.as_of})"


# ----------------------------------------------------------------------------- sensitivity


@dataclass(frozen=True)
class Sobol:
    """Sobol indices of one output (:func:`detente.analysis.sensitivity.run_sensitivity`) under
    a worldview (``base`` for none); ``episodes`` per design row for a game output."""

    result: SensitivityResult
    worldview: str
    model: str | None = None
    episodes: int | None = None


@dataclass(frozen=True)
class Sensitivity:
    """The forecast's Sobol indices (None: every number is fixed) and the strategy game's
    (None: no game, or turned off)."""

    forecast: Sobol | None
    game: Sobol | None


def _sensitivity(
    sc: Scenario, wv: str | None, opts: ReportOptions, model: Model, output: str | None
) -> Sensitivity:
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import run_sensitivity, scenario_parameters

    if not scenario_parameters(sc):
        return Sensitivity(None, None)
    spec_text = (
        output if output and output.startswith("forecast:") else f"forecast:{sc.issues[0].id}"
    )
    spec = parse_output(spec_text, sc)
    res = run_sensitivity(sc, spec, model, "sobol", opts.sensitivity_n, opts.seed, worldview=wv)
    return Sensitivity(
        Sobol(res, wv or BASE, model=model.name), game_sensitivity(sc, wv, opts, output)
    )


def game_sensitivity(
    sc: Scenario, wv: str | None, opts: ReportOptions, output: str | None
) -> Sobol | None:
    """Sobol indices of a strategy-game output of ``sc`` (worldview ``wv`` applied): the crux
    output when it is one, else the game's headline comparison (``game.metrics.headline``);
    None without a game, without either, or with fewer than 2 samples."""
    from detente.analysis.outputs import headline_metric, headline_pair, parse_output
    from detente.analysis.sensitivity import run_sensitivity

    if sc.game is None or opts.game_sensitivity_n < 2:
        return None
    if output and output.startswith("strategy:"):
        spec_text = output
    elif headline_pair(sc.game) is not None:
        spec_text = "strategy:" + headline_metric(sc.game)
    else:
        return None
    spec = parse_output(spec_text, sc)
    res = run_sensitivity(
        sc,
        spec,
        method="sobol",
        n=opts.game_sensitivity_n,
        seed=opts.seed,
        episodes=opts.game_sensitivity_episodes,
        worldview=wv,
    )
    return Sobol(res, wv or BASE, episodes=opts.game_sensitivity_episodes)


# ----------------------------------------------------------------------------- cruxes


@dataclass(frozen=True)
class CruxBlock:
    """One crux search and its differences table (:meth:`CruxResult.differences_frame`)."""

    result: CruxResult
    differences: pd.DataFrame


@dataclass(frozen=True)
class Cruxes:
    """The crux searches between the first two worldviews: the crux output per model (for a
    forecast output, at ``threshold``), and the strategy ranking when the scenario has a game."""

    a: str
    b: str
    output: str
    threshold: float | None
    blocks: list[CruxBlock]


def default_threshold(
    scenarios: Mapping[str, Scenario], a: str, b: str, issue: str, model: Model
) -> float:
    """The anchor between the two worldviews' forecasts nearest their midpoint, else the
    midpoint itself."""
    from detente.scenario.problem import to_problem

    sc = scenarios[a]
    j = [i.id for i in sc.issues].index(issue)
    fa, fb = (float(model.forecast(to_problem(scenarios[w])).outcome[j]) for w in (a, b))
    lo, hi = sorted((fa, fb))
    mid = (lo + hi) / 2
    between = [p for p in sc.issues[j].scale.anchors if lo < p <= hi]
    return min(between, key=lambda p: abs(p - mid)) if between else round(mid, 1)


def _block(result: CruxResult) -> CruxBlock:
    return CruxBlock(result, result.differences_frame())


def _cruxes(
    loaded: LoadedScenario,
    scenarios: Mapping[str, Scenario],
    worldviews: Sequence[str],
    models: Sequence[Model],
    opts: ReportOptions,
    output: str,
) -> Cruxes | None:
    from detente.analysis.cruxes import find_cruxes
    from detente.analysis.outputs import parse_output

    if len(worldviews) < 2:
        return None
    a, b = worldviews[:2]
    sc = loaded.scenario
    spec: OutputSpec = parse_output(output, sc)
    threshold = opts.threshold
    if spec.kind == "forecast" and threshold is None:
        threshold = default_threshold(scenarios, a, b, spec.issue, models[0])
    blocks = []
    if spec.kind == "forecast":
        for m in models:
            blocks.append(
                _block(find_cruxes(loaded, a, b, spec, threshold, model=m, seed=opts.seed))
            )
    else:
        blocks.append(
            _block(
                find_cruxes(loaded, a, b, spec, threshold, seed=opts.seed, episodes=opts.episodes)
            )
        )
    if sc.game is not None and spec.kind == "forecast":
        ranking = parse_output("strategies", sc)
        blocks.append(
            _block(find_cruxes(loaded, a, b, ranking, None, seed=opts.seed, episodes=opts.episodes))
        )
    return Cruxes(a, b, output, threshold, blocks)


# ----------------------------------------------------------------------- scorecards, hindcast


@dataclass(frozen=True)
class ScorecardBlock:
    """One scorecard: each strategy's rank and score per worldview, and the paired b − a."""

    id: str
    heading: str
    #: the strategies in the first worldview's order of rank
    strategies: list[str]
    #: ``strategy, worldview, rank, mean, lo, hi`` (90 % interval of the mean)
    frame: pd.DataFrame
    #: ``strategy, a, b, mean, lo, hi``
    differences: pd.DataFrame

    def cell(self, strategy: str, worldview: str) -> tuple[int, float, float, float]:
        r = self.frame[(self.frame.strategy == strategy) & (self.frame.worldview == worldview)]
        row = r.iloc[0]
        return int(row["rank"]), float(row["mean"]), float(row["lo"]), float(row["hi"])

    def difference(self, strategy: str, b: str) -> tuple[float, float, float]:
        d = self.differences
        row = d[(d.strategy == strategy) & (d.b == b)].iloc[0]
        return float(row["mean"]), float(row["lo"]), float(row["hi"])


def scorecard_blocks(
    scenarios: Mapping[str, Scenario], views: Sequence[str], opts: ReportOptions
) -> list[ScorecardBlock]:
    """Every scorecard of the game (none: an empty list), on ``opts.episodes`` episodes."""
    from detente.analysis.compare import compare_scorecards
    from detente.strategy.scorecards import scorecard_heading

    game = scenarios[views[0]].game
    if game is None or not game.scorecards:
        return []
    frame, diffs = compare_scorecards(scenarios, views, opts.seed, opts.episodes)
    out: list[ScorecardBlock] = []
    for card in game.scorecards:
        rows = frame[frame.scorecard == card.id]
        first = rows[rows.worldview == views[0]].sort_values("rank", kind="stable")
        d = diffs[diffs.scorecard == card.id] if not diffs.empty else diffs
        out.append(ScorecardBlock(card.id, scorecard_heading(card), list(first.strategy), rows, d))
    return out


@dataclass(frozen=True)
class HindcastSection:
    """The hindcast of each worldview compared (or the base scenario) against the record."""

    record: str
    months: int
    results: list[Hindcast]
    posterior: dict[str, float]
    #: when the worldviews' dates differ: the months they all score, from which the posterior
    #: comes, and each worldview's hindcast on them
    window: str | None = None
    common: list[Hindcast] = field(default_factory=list)


def hindcast_section(
    loaded: LoadedScenario,
    scenarios: Mapping[str, Scenario],
    views: Sequence[str],
    opts: ReportOptions,
) -> HindcastSection | None:
    """The hindcast (``docs/hindcast.md``) when the scenario has ``game:`` and ``record:``."""
    from detente.analysis.hindcast import common_start, hindcast, load_mapped, worldview_posterior

    spec = loaded.scenario.record
    if spec is None or loaded.scenario.game is None:
        return None
    mapped = load_mapped(spec, loaded.file, loaded.lines)
    results = []
    games = []
    for wv in views:
        game = scenarios[wv].game
        assert game is not None
        games.append((wv, game))
        results.append(hindcast(game, mapped, opts.seed, opts.episodes, None if wv == BASE else wv))
    start = common_start(results)
    common = (
        [
            hindcast(
                g, mapped, opts.seed, opts.episodes, None if wv == BASE else wv, score_from=start
            )
            for wv, g in games
        ]
        if start is not None
        else []
    )
    return HindcastSection(
        f"{spec.file} {spec.start}..{spec.end}",
        len(mapped.months),
        results,
        worldview_posterior(common or results),
        f"{common[0].months[0]}..{common[0].months[-1]}" if common else None,
        common,
    )


def crux_panel_section(
    loaded: LoadedScenario, worldviews: Sequence[str], opts: ReportOptions
) -> Panel | None:
    """The crux panel of the first two worldviews on every scorecard
    (:func:`detente.analysis.panel.crux_panel`); None with fewer than two worldviews, without a
    game with scorecards, or with ``opts.panel_episodes`` 0."""
    from detente.analysis.decision import Runner
    from detente.analysis.panel import crux_panel

    game = loaded.scenario.game
    if len(worldviews) < 2 or game is None or not game.scorecards or opts.panel_episodes <= 0:
        return None
    with Runner(opts.panel_workers) as runner:
        return crux_panel(
            loaded,
            worldviews[0],
            worldviews[1],
            seed=opts.seed,
            episodes=opts.panel_episodes,
            max_evaluations=opts.panel_max_evaluations,
            runner=runner,
        )


# ----------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportData:
    """Every number and text the report shows (see module docstring)."""

    scenario: Scenario
    sha256: str
    worldviews: list[str]
    models: list[Model]
    draws: int
    seed: int
    episodes: int
    actors: list[ActorRow]
    issues: list[IssueRow]
    worldview_rows: list[WorldviewRow]
    positions: list[PositionMap]
    forecasts: Forecasts
    #: None: the scenario has no game
    strategies: list[StrategyHeat] | None
    sensitivity: Sensitivity
    #: None: fewer than two worldviews
    cruxes: Cruxes | None
    #: one per scorecard of the game (none: empty)
    scorecards: list[ScorecardBlock] = field(default_factory=list)
    #: None: no ``record:`` section
    hindcast: HindcastSection | None = None
    #: each worldview's information date (``as_of``), for the worldviews that have one
    as_of: dict[str, str] = field(default_factory=dict)
    #: None: fewer than two worldviews, no scorecards, or turned off
    panel: Panel | None = None


def report_data(loaded: LoadedScenario, opts: ReportOptions) -> ReportData:
    """Compute the report (raises InputError for an unknown worldview, ValueError/KeyError for
    a bad crux output or a model that cannot forecast the crux)."""
    sc = loaded.scenario
    worldviews = list(opts.worldviews)
    models = list(opts.models) or default_models(len(loaded.scenario.actors))
    by_view = {wv: with_worldview(loaded, wv) for wv in worldviews}  # unknown: InputError
    # forecasts run per worldview, or on the base scenario when none is chosen
    scenarios: dict[str, Scenario] = by_view if by_view else {BASE: sc}
    views = worldviews or [BASE]
    crux_output = (
        (opts.crux_output or f"forecast:{sc.issues[0].id}") if len(worldviews) >= 2 else None
    )
    cruxes = (
        _cruxes(loaded, by_view, worldviews, models, opts, crux_output)
        if crux_output is not None
        else None
    )
    first = worldviews[0] if worldviews else None
    return ReportData(
        scenario=sc,
        sha256=loaded.sha256,
        worldviews=worldviews,
        models=models,
        draws=opts.draws,
        seed=opts.seed,
        episodes=opts.episodes,
        actors=_actor_rows(sc),
        issues=_issue_rows(sc),
        worldview_rows=_worldview_rows(sc),
        positions=_position_maps(sc),
        forecasts=_forecasts(scenarios, views, models, opts.draws, opts.seed),
        strategies=strategy_heats(loaded, by_view, worldviews, opts),
        sensitivity=_sensitivity(
            by_view[first] if first is not None else sc, first, opts, models[0], crux_output
        ),
        cruxes=cruxes,
        scorecards=scorecard_blocks(scenarios, views, opts),
        hindcast=hindcast_section(loaded, scenarios, views, opts),
        as_of={w.id: w.as_of for w in sc.worldviews if w.as_of is not None},
        panel=crux_panel_section(loaded, worldviews, opts),
    )
