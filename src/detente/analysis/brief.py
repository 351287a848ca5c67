"""The brief: a scenario's question answered in one pass (``detente brief``, ``docs/brief.md``).

:func:`brief` computes, through the analysis layer and with the same seed everywhere (so every
number equals the one the dedicated command prints for the same seed, draws and episodes):

1. **forecasts** — each issue's forecast by each per-issue model under each worldview, with the
   Monte Carlo 5–95 % interval over the scenario's judgments
   (:func:`detente.analysis.compare.forecast_draws`, as ``detente simulate``/``compare``) and,
   distinctly, the model's DEU-calibrated 80 % interval (how far off such forecasts have been on
   EU legislative bargaining: :func:`detente.analysis.calibration.calibrated_intervals`, as
   ``detente forecast``);
2. **the answer** — with a game, each named scorecard's best strategy under each worldview, its
   score, the runner-up and the paired margin between them (90 % interval; the scores of
   :func:`detente.strategy.scorecards.scorecard_scores`, as ``detente strategies``), and the
   game's headline comparison (``game.metrics.headline``) as a paired difference;
3. **the cruxes** — for each scorecard, the judgments on which the first two worldviews differ,
   ranked by how much swapping each one alone moves the first worldview's best-strategy margin
   (:func:`detente.analysis.cruxes.find_cruxes` on ``scorecard:ID``, single swaps), each with
   both worldviews' values and their quotes or assumptions, and whether it flips the answer
   alone;
4. **the record** — with a ``record:`` section, the hindcast of each worldview (log-likelihood
   ± Monte Carlo error, P(no talks), the posterior over worldviews from equal prior odds;
   :mod:`detente.analysis.hindcast`);
5. **where to look next** — the commands that show the rest.

Nothing here prints: :mod:`detente.cli.brief` renders a :class:`Brief` (table or JSON).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from detente.models.base import Model
from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.schema import Scenario

#: the label of the scenario without a worldview
BASE = "base"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BriefOptions:
    """What the brief computes: worldviews (empty: the base case and every worldview), models
    (empty: every per-issue model that can run the scenario), Monte Carlo draws per forecast,
    episodes per strategy comparison, the seed, and how many cruxes to name per scorecard."""

    worldviews: Sequence[str] = field(default_factory=list)
    models: Sequence[Model] = field(default_factory=list)
    draws: int = 200
    episodes: int = 200
    seed: int = 0
    cruxes: int = 3
    #: levers listed per issue and direction (a scenario without a game)
    levers: int = 3


@dataclass(frozen=True)
class IssueForecast:
    issue: str
    label: str
    worldview: str
    model: str
    point: float
    #: Monte Carlo 5 % and 95 % quantiles over the scenario's judgments
    mc_p05: float
    mc_p95: float
    #: the model's DEU-calibrated 80 % interval around the point forecast (how far off such
    #: forecasts have been on EU legislative bargaining; None: the model was never scored)
    deu80: tuple[float, float] | None = None


@dataclass(frozen=True)
class Interval:
    mean: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Answer:
    """One scorecard's verdict under one worldview."""

    scorecard: str
    label: str
    worldview: str
    best: str
    score: float
    runner_up: str | None
    #: best − runner-up, paired over episodes (90 % interval)
    margin: Interval | None
    #: every strategy by rank: ``(strategy, mean score)``
    ranking: list[tuple[str, float]]


@dataclass(frozen=True)
class Headline:
    """The game's headline comparison under one worldview: ``metric`` of ``a`` − of ``b``."""

    metric: str
    label: str
    worldview: str
    a: str
    b: str
    difference: Interval


@dataclass(frozen=True)
class Crux:
    """A judgment the two worldviews read differently, and what swapping it alone does."""

    scorecard: str
    path: str
    label: str
    value_a: str
    value_b: str
    basis_a: str
    basis_b: str
    #: change of A's best-strategy margin when this judgment alone takes B's value
    effect: float
    #: that change as a share of the whole A → B change (None when the whole change is 0)
    share: float | None
    flips_alone: bool


@dataclass(frozen=True)
class CruxSummary:
    scorecard: str
    a: str
    b: str
    conclusion_a: str
    conclusion_b: str
    #: every judgment swapped (the cruxes listed are the largest ``BriefOptions.cruxes``)
    differing: int
    cruxes: list[Crux]


@dataclass(frozen=True)
class LeverLine:
    """One of the smallest changes that carries an issue's forecast to a target
    (:func:`detente.analysis.levers.find_levers`): whom to persuade, and how far."""

    issue: str
    model: str
    baseline: float
    target: float
    #: the target's scale anchor, when it is one
    anchor: str | None
    actor: str
    change: str
    #: the normalised size of the change (docs/levers.md): 1 = the whole scale / range
    size: float
    forecast: float


@dataclass(frozen=True)
class RecordFit:
    worldview: str
    log_likelihood: float
    mc_se: float
    p_no_talks: float
    posterior: float


@dataclass(frozen=True)
class Record:
    file: str
    start: str
    end: str
    months: int
    fits: list[RecordFit]


@dataclass(frozen=True)
class Brief:
    scenario: str
    title: str
    question: str | None
    sha256: str
    seed: int
    draws: int
    episodes: int
    worldviews: list[dict[str, str]]
    models: list[str]
    forecasts: list[IssueForecast]
    answers: list[Answer]
    headlines: list[Headline]
    cruxes: list[CruxSummary]
    record: Record | None
    next_steps: list[str]
    #: without a game: the levers on each issue, toward the next anchor up and down
    levers: list[LeverLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The JSON of ``detente brief --format json`` (non-finite numbers become null)."""
        from detente.models.base import jsonable

        return dict(jsonable(asdict(self)))


def steps(loaded: LoadedScenario, opts: BriefOptions) -> int:
    """How many progress steps :func:`brief` reports (for a progress bar)."""
    sc = loaded.scenario
    views = _views(loaded, opts)
    n = len(views)  # forecasts, one per worldview
    if sc.game is None and opts.levers > 0:
        n += 1
    if sc.game is not None:
        n += len(views)  # strategies
        pair = _worldviews_only(views)[:2]
        if sc.game.scorecards and len(pair) == 2:
            n += 2 + len(_swaps(loaded, pair[0], pair[1])[1])  # A, B and each swap
        if sc.record is not None:
            n += len(views)
    return n


def _views(loaded: LoadedScenario, opts: BriefOptions) -> list[str]:
    if opts.worldviews:
        return list(dict.fromkeys(opts.worldviews))
    return [BASE, *(w.id for w in loaded.scenario.worldviews)]


def _worldviews_only(views: Sequence[str]) -> list[str]:
    return [v for v in views if v != BASE]


def _interval(values: np.ndarray) -> Interval:
    """The mean and its 90 % interval, as ``detente compare`` computes them."""
    from detente.analysis.compare import interval90

    return Interval(*interval90(values))


def brief(loaded: LoadedScenario, opts: BriefOptions, progress: Progress | None = None) -> Brief:
    """Compute the brief (see the module docstring). Raises InputError for an unknown
    worldview and ValueError for bad options."""
    from detente.models import per_issue_models

    if opts.draws < 2 or opts.episodes < 2:
        raise ValueError("the brief needs at least 2 draws and 2 episodes")
    tick: Progress = progress or (lambda _label: None)
    sc = loaded.scenario
    views = _views(loaded, opts)
    known = {w.id for w in sc.worldviews}
    scenarios = {
        v: with_worldview(loaded, None if v == BASE and BASE not in known else v) for v in views
    }
    models = list(opts.models) or per_issue_models(len(sc.actors))
    notes: list[str] = []
    forecasts = _forecasts(scenarios, views, models, opts, tick, notes)
    answers: list[Answer] = []
    headlines: list[Headline] = []
    cruxes: list[CruxSummary] = []
    record: Record | None = None
    levers: list[LeverLine] = []
    if sc.game is None and models and opts.levers > 0:
        levers = _levers(scenarios[views[0]], models[0], opts, tick, notes)
    if sc.game is not None:
        answers, headlines = _answers(scenarios, views, opts, tick)
        pair = _worldviews_only(views)[:2]
        if sc.game.scorecards and len(pair) == 2:
            cruxes = _cruxes(loaded, pair[0], pair[1], opts, tick)
        if sc.record is not None:
            record = _record(loaded, scenarios, views, opts, tick)
    next_steps = _next_steps(loaded, views)
    return Brief(
        scenario=sc.id,
        title=sc.title,
        question=sc.question,
        sha256=loaded.sha256,
        seed=opts.seed,
        draws=opts.draws,
        episodes=opts.episodes,
        worldviews=[{"id": v, "label": _label(sc, v)} for v in views],
        models=[m.name for m in models],
        forecasts=forecasts,
        answers=answers,
        headlines=headlines,
        cruxes=cruxes,
        record=record,
        next_steps=next_steps,
        levers=levers,
        notes=notes,
    )


def _label(sc: Scenario, view: str) -> str:
    for w in sc.worldviews:
        if w.id == view:
            return w.label
    return "the base case (no worldview's overrides)"


def _forecasts(
    scenarios: dict[str, Scenario],
    views: Sequence[str],
    models: Sequence[Model],
    opts: BriefOptions,
    tick: Progress,
    notes: list[str],
) -> list[IssueForecast]:
    from detente.analysis.calibration import calibrated_intervals
    from detente.analysis.compare import forecast_draws
    from detente.scenario.problem import to_problem

    out: list[IssueForecast] = []
    for v in views:
        s = scenarios[v]
        for m in models:
            try:
                fc = m.forecast(to_problem(s))
                mc = forecast_draws(s, m, opts.seed, opts.draws)
            except Exception as exc:  # a model refusing a scenario is reported, not fatal
                notes.append(f"{m.name} ({v}): {exc}")
                continue
            deu = calibrated_intervals(m.name, s, fc.outcome)
            for j, issue in enumerate(s.issues):
                out.append(
                    IssueForecast(
                        issue=issue.id,
                        label=issue.label,
                        worldview=v,
                        model=m.name,
                        point=float(fc.outcome[j]),
                        mc_p05=float(np.quantile(mc[:, j], 0.05)),
                        mc_p95=float(np.quantile(mc[:, j], 0.95)),
                        deu80=deu[j],
                    )
                )
        tick(f"forecasts ({v})")
    return out


def _answers(
    scenarios: dict[str, Scenario], views: Sequence[str], opts: BriefOptions, tick: Progress
) -> tuple[list[Answer], list[Headline]]:
    """Each scorecard's verdict and the headline comparison under each worldview, every
    strategy played once per worldview on the batch every command plays for this seed."""
    from detente.analysis.outputs import headline_metric, headline_pair
    from detente.strategy.metrics import MIX
    from detente.strategy.metrics import metric as game_metric
    from detente.strategy.scorecards import scorecard_scores
    from detente.strategy.simulate import build_episodes, simulate

    answers: list[Answer] = []
    headlines: list[Headline] = []
    for v in views:
        game = scenarios[v].game
        assert game is not None
        eps = build_episodes(game, opts.seed, opts.episodes)
        played = {s.id: simulate(game, eps, s.id, MIX) for s in game.strategies}
        for card in game.scorecards:
            ids, scores = scorecard_scores(game, eps, card, played=played)
            means = scores.mean(axis=1)
            order = np.argsort(-means, kind="stable")
            best = int(order[0])
            second = int(order[1]) if len(order) > 1 else None
            answers.append(
                Answer(
                    scorecard=card.id,
                    label=card.label,
                    worldview=v,
                    best=ids[best],
                    score=float(means[best]),
                    runner_up=None if second is None else ids[second],
                    margin=None if second is None else _interval(scores[best] - scores[second]),
                    ranking=[(ids[int(k)], float(means[int(k)])) for k in order],
                )
            )
        pair = headline_pair(game)
        if pair is not None:
            metric = headline_metric(game)
            a, b = pair
            if metric in played[a] and metric in played[b]:
                diff = np.asarray(played[a][metric], dtype=np.float64) - np.asarray(
                    played[b][metric], dtype=np.float64
                )
                headlines.append(
                    Headline(metric, game_metric(metric).label, v, a, b, _interval(diff))
                )
        tick(f"strategies ({v})")
    return answers, headlines


def _swaps(loaded: LoadedScenario, a: str, b: str) -> tuple[list[Any], list[tuple[str, ...]]]:
    """The game judgments ``a`` and ``b`` read differently, and the units they swap in."""
    from detente.analysis.cruxes import judgment_units, worldview_differences

    diffs = [
        d for d in worldview_differences(loaded, a, b, lambda p: p.startswith("game.")) if d.read
    ]
    return diffs, judgment_units([d.path for d in diffs])


def _cruxes(
    loaded: LoadedScenario, a: str, b: str, opts: BriefOptions, tick: Progress
) -> list[CruxSummary]:
    """Per scorecard, the judgments on which ``a`` and ``b`` differ, by the effect of swapping
    each alone (a unit: the type priors swap together) on A's best-strategy margin — the score
    of ``detente cruxes --output scorecard:ID`` (:func:`detente.analysis.cruxes.ranking_margin`),
    on the same batched evaluator (:func:`detente.analysis.decision.readings`): A's episodes,
    every swap one setting, each setting played once and scored on every scorecard."""
    from detente.analysis.cruxes import ranking_margin
    from detente.analysis.decision import GameDecision, evaluate, readings
    from detente.analysis.outputs import parse_output

    game0 = loaded.scenario.game
    assert game0 is not None
    cards = [c.id for c in game0.scorecards]
    diffs, units = _swaps(loaded, a, b)
    everything = tuple(p for u in units for p in u)
    subsets: list[tuple[str, ...]] = [(), everything, *units]
    first = parse_output(f"scorecard:{cards[0]}", loaded.scenario)
    plays = GameDecision(with_worldview(loaded, a), first, opts.seed, opts.episodes, cards)
    rd = readings(loaded, a, b, first, seed=opts.seed, episodes=opts.episodes, decision=plays)
    settings = [rd.swapped(subset) for subset in subsets]
    tables: dict[str, tuple[list[str], np.ndarray]] = {}
    for card in cards:
        decision = plays.with_output(parse_output(f"scorecard:{card}", loaded.scenario))
        tables[card] = (decision.options, evaluate(decision, settings, None))
    for k in range(len(subsets)):
        tick(f"cruxes ({k + 1}/{len(subsets)})")
    by_path = {d.path: d for d in diffs}
    out: list[CruxSummary] = []
    for card in cards:
        options, table = tables[card]
        means = [dict(zip(options, (float(v) for v in row), strict=True)) for row in table]
        top = max(means[0].items(), key=lambda kv: kv[1])[0]
        score = [ranking_margin(m, top) for m in means]
        total = score[1] - score[0]
        rows: list[Crux] = []
        for unit, s_unit in zip(units, score[2:], strict=True):
            d = by_path[unit[0]]
            effect = s_unit - score[0]
            rows.append(
                Crux(
                    scorecard=card,
                    path=", ".join(unit),
                    label=d.label if len(unit) == 1 else _unit_label(loaded, unit),
                    value_a=_unit_values(by_path, unit, "a"),
                    value_b=_unit_values(by_path, unit, "b"),
                    basis_a=" | ".join(dict.fromkeys(by_path[p].basis_a for p in unit)),
                    basis_b=" | ".join(dict.fromkeys(by_path[p].basis_b for p in unit)),
                    effect=effect,
                    share=effect / total if total != 0 else None,
                    flips_alone=(s_unit >= 0) != (score[0] >= 0),
                )
            )
        rows.sort(key=lambda c: -abs(c.effect))
        out.append(
            CruxSummary(
                scorecard=card,
                a=a,
                b=b,
                conclusion_a=_conclusion(top, score[0]),
                conclusion_b=_conclusion(top, score[1]),
                differing=len(units),
                cruxes=rows[: opts.cruxes],
            )
        )
    return out


def _conclusion(top: str, margin: float) -> str:
    return f"{top} {'ranks first' if margin >= 0 else 'is beaten'} (margin {margin:+.3f})"


def _unit_label(loaded: LoadedScenario, unit: tuple[str, ...]) -> str:
    if all(p.startswith("game.types.") and p.endswith(".prior") for p in unit):
        return "the type mix (the priors of " + ", ".join(p.split(".")[2] for p in unit) + ")"
    return " + ".join(unit)


def _unit_values(by_path: dict[str, Any], unit: tuple[str, ...], side: str) -> str:
    if len(unit) == 1:
        d = by_path[unit[0]]
        return str(d.describe_a if side == "a" else d.describe_b)
    return " / ".join(
        str(by_path[p].describe_a if side == "a" else by_path[p].describe_b) for p in unit
    )


def _record(
    loaded: LoadedScenario,
    scenarios: dict[str, Scenario],
    views: Sequence[str],
    opts: BriefOptions,
    tick: Progress,
) -> Record:
    from detente.analysis.hindcast import hindcast, load_mapped, worldview_posterior

    spec = loaded.scenario.record
    assert spec is not None
    mapped = load_mapped(spec, loaded.file, loaded.lines)
    known = {w.id for w in loaded.scenario.worldviews}
    results = []
    for v in views:
        game = scenarios[v].game
        assert game is not None
        wv = None if v == BASE and BASE not in known else v
        results.append(hindcast(game, mapped, opts.seed, opts.episodes, wv))
        tick(f"hindcast ({v})")
    post = worldview_posterior(results)
    fits = [
        RecordFit(
            worldview=v,
            log_likelihood=r.log_likelihood,
            mc_se=r.mc_se,
            p_no_talks=r.p_no_talks,
            posterior=post[r.worldview or BASE],
        )
        for v, r in zip(views, results, strict=True)
    ]
    return Record(spec.file, spec.start, spec.end, len(mapped.months), fits)


def _next_steps(loaded: LoadedScenario, views: Sequence[str]) -> list[str]:
    from pathlib import Path

    name = loaded.file
    worldviews = _worldviews_only(views)
    wflag = f" --worldviews {','.join(worldviews)}" if worldviews else ""
    out = [f"detente report {name}{wflag} -o report.html   (every section, with charts)"]
    if loaded.scenario.game is not None:
        wv = "".join(f" -w {w}" for w in worldviews[:1])
        out.append(f"detente strategies {name}{wv} --episodes 2000   (every metric, more episodes)")
        if len(worldviews) >= 2:
            out.append(
                f"detente cruxes {name} --worldviews {worldviews[0]},{worldviews[1]} "
                f"--output scorecard:ID   (every crux, combinations too)"
            )
    if loaded.scenario.record is not None:
        out.append(f"detente hindcast {name} --episodes 2000   (month by month)")
    out.append(f"detente cite {name} --context   (every judgment beside its quote)")
    out.append(f"detente serve --scenarios {Path(name).parent}   (the web explorer: what-ifs)")
    return out


def lever_targets(issue: Any, baseline: float) -> list[tuple[float, str | None]]:
    """The targets of the brief's lever search on ``issue``: the nearest scale anchor above and
    below the forecast (at least 1 % of the scale away), else the forecast ± 10 % of the scale,
    within the scale."""
    lo, hi = float(issue.scale.min), float(issue.scale.max)
    gap = 0.01 * (hi - lo)
    anchors = sorted(issue.scale.anchors.items())
    up = [(float(x), str(t)) for x, t in anchors if x >= baseline + gap]
    down = [(float(x), str(t)) for x, t in anchors if x <= baseline - gap]
    out: list[tuple[float, str | None]] = []
    if up:
        out.append(up[0])
    elif baseline + 0.1 * (hi - lo) <= hi:
        out.append((baseline + 0.1 * (hi - lo), None))
    if down:
        out.append(down[-1])
    elif baseline - 0.1 * (hi - lo) >= lo:
        out.append((baseline - 0.1 * (hi - lo), None))
    return out


def _levers(
    sc: Scenario, model: Model, opts: BriefOptions, tick: Progress, notes: list[str]
) -> list[LeverLine]:
    """For each issue and each target of :func:`lever_targets`, the ``opts.levers`` smallest
    reachable single levers of ``model`` (at the scenario's point values)."""
    from detente.analysis.levers import LeverInputError, find_levers
    from detente.scenario.problem import to_problem

    problem = to_problem(sc)
    out: list[LeverLine] = []
    for j, issue in enumerate(sc.issues):
        baseline = float(model.forecast(problem).outcome[j])
        for target, anchor in lever_targets(issue, baseline):
            try:
                report = find_levers(problem, issue.id, target, model)
            except (LeverInputError, ValueError) as exc:
                notes.append(f"levers on {issue.id} ({model.name}): {exc}")
                continue
            reached = [r for r in report.singles if r.reachable][: opts.levers]
            if not reached:
                notes.append(
                    f"levers on {issue.id} ({model.name}): no single actor's change carries the "
                    f"forecast {baseline:.4g} to {target:.4g}"
                )
            for r in reached:
                assert r.size is not None and r.forecast is not None
                out.append(
                    LeverLine(
                        issue=issue.id,
                        model=report.model,
                        baseline=report.baseline,
                        target=target,
                        anchor=anchor,
                        actor=sc.actors[r.levers[0].actor].name,
                        change=r.describe_change(),
                        size=r.size,
                        forecast=r.forecast,
                    )
                )
    tick("levers")
    return out
