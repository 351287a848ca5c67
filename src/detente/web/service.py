"""The explorer's JSON adapters (no web framework here, and no analysis of its own: every number
comes from :mod:`detente.analysis`, :mod:`detente.uncertainty` or :mod:`detente.strategy`).

- :func:`scenario_view`: actors × issues with every value's basis, for one worldview;
- what-if edits live in :mod:`detente.web.whatif` (the edited value rewritten in place, the
  document validated incrementally, exactly as ``detente validate`` would);
- :func:`run_forecasts`: point forecasts of several models, with round trajectories;
- :func:`cruxes`: ``detente cruxes`` as JSON (:func:`detente.analysis.cruxes.find_cruxes`): the
  judgments two worldviews disagree on, every side's quotes, the effect of swapping each alone,
  and the minimal sets that flip the conclusion;
- :func:`monte_carlo` and :func:`strategies`: the long runs the job queue executes;
- :func:`hindcast` and :func:`scorecards`: the game held against the scenario's ``record:``
  (:mod:`detente.analysis.hindcast`, as ``detente hindcast``) and each scorecard's ranking of
  the strategies per worldview (:func:`detente.analysis.compare.compare_scorecards`), also jobs;
- :func:`check_panel` and :func:`crux_panel`: the crux panel of two worldviews
  (:func:`detente.analysis.panel.crux_panel`: each reading's choice per scorecard, its switch
  points and the Shapley shares of the gap, in the report's own sentences), a job bounded by
  the ``panel_*`` limits, with each named judgment's quotes and assumptions;
- every forecast and Monte Carlo result carries its DEU-calibrated 80 % interval
  (:func:`detente.analysis.calibration.calibrated_intervals`, with its label and caveat).
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence, Sized
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import numpy as np
from pydantic import ValidationError

from detente.analysis.decision import Runner
from detente.models import available_models, get_model, model_class
from detente.models.base import Forecast, Model, jsonable
from detente.models.base import finite as num
from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.game import GameSpec
from detente.scenario.load import LoadedScenario, parse_yaml, with_worldview
from detente.scenario.paths import get_path, resolve_path
from detente.scenario.problem import to_problem
from detente.scenario.quantity import Quantity
from detente.scenario.schema import Scenario
from detente.strategy.checks import check_strategies

#: called with the share of the work done (0..1); raises to cancel
ProgressFn = Callable[[float], None]
MAX_EDITS = 500
_T = TypeVar("_T")
_R = TypeVar("_R")


def diagnostics_json(diags: Sequence[Diagnostic]) -> list[dict[str, Any]]:
    return [
        {
            "file": d.file,
            "line": d.line,
            "field": d.field,
            "message": d.message,
            "severity": d.severity,
            "text": str(d),
        }
        for d in diags
    ]


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------
# the scenario view


#: view cells already computed, by (path, the quantity as JSON): a what-if changes one value,
#: so the next view reuses every other cell (their text and point value cost most of a view)
_CELLS: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
_CELLS_LOCK = threading.Lock()
CELLS_CACHED = 4096


def _cell(q: Quantity, path: str) -> dict[str, Any]:
    """One value of the view (shared between answers: never modified)."""
    key = (path, q.model_dump_json())
    with _CELLS_LOCK:
        hit = _CELLS.get(key)
        if hit is not None:
            _CELLS.move_to_end(key)
            return hit
    cell = _compute_cell(q, path)
    with _CELLS_LOCK:
        _CELLS[key] = cell
        while len(_CELLS) > CELLS_CACHED:
            _CELLS.popitem(last=False)
    return cell


def _compute_cell(q: Quantity, path: str) -> dict[str, Any]:
    lo, hi = q.support()
    return {
        "path": path,
        "text": q.describe(),
        "point": num(q.point()),
        "support": [num(lo), num(hi)],
        "quantity": jsonable(q.model_dump(exclude_none=True, include=_PARAM_FIELDS)),
        "basis": {
            "quotes": [{"doc": s.doc, "quote": s.quote} for s in q.sources()],
            "assumption": q.assumption,
            "data": ({"doc": q.data.doc, "computation": q.data.computation} if q.data else None),
            "text": q.basis_text(),
        },
    }


_PARAM_FIELDS = {"value", "dist", "low", "mode", "high", "mean", "sd", "a", "b"}


def scenario_view(
    loaded: LoadedScenario, worldview: str | None, scenario: Scenario | None = None
) -> dict[str, Any]:
    """Everything the scenario page shows for one worldview (raises InputError if unknown);
    ``scenario``, when given, is ``with_worldview(loaded, worldview)`` computed already."""
    sc = scenario if scenario is not None else with_worldview(loaded, worldview)
    overridden: list[str] = []
    if worldview is not None:
        wv = loaded.scenario.worldview(worldview)
        overridden = [o.path for o in wv.overrides]
    game = sc.game
    return {
        "id": sc.id,
        "title": sc.title,
        "question": sc.question,
        "description": sc.description,
        "sha256": loaded.sha256,
        "worldview": worldview,
        "overridden": overridden,
        "sources": [
            jsonable(s.model_dump(exclude_none=True, exclude={"file"})) for s in sc.sources
        ],
        "issues": [
            {
                "id": i.id,
                "label": i.label,
                "description": i.description,
                "scale": {
                    "min": i.scale.min,
                    "max": i.scale.max,
                    "unit": i.scale.unit,
                    "anchors": [
                        {"value": v, "label": lab} for v, lab in sorted(i.scale.anchors.items())
                    ],
                },
                "status_quo": (
                    _cell(i.status_quo, f"issues.{i.id}.status_quo") if i.status_quo else None
                ),
            }
            for i in sc.issues
        ],
        "actors": [
            {
                "id": a.id,
                "name": a.name,
                "description": a.description,
                "capability": _cell(a.capability, f"actors.{a.id}.capability"),
                "stances": {
                    issue: {
                        "position": _cell(st.position, f"actors.{a.id}.stances.{issue}.position"),
                        "salience": _cell(st.salience, f"actors.{a.id}.stances.{issue}.salience"),
                    }
                    for issue, st in a.stances.items()
                },
            }
            for a in sc.actors
        ],
        "worldviews": [
            {
                "id": w.id,
                "label": w.label,
                "summary": w.summary,
                "quotes": [{"doc": s.doc, "quote": s.quote} for s in w.sources()],
                "assumption": w.assumption,
                "overrides": [o.path for o in w.overrides],
            }
            for w in loaded.scenario.worldviews
        ],
        "has_game": game is not None,
        "has_record": game is not None and loaded.scenario.record is not None,
        "has_scorecards": game is not None and bool(game.scorecards),
        "game_metrics": _game_metrics(game),
        "game_metric_info": metric_info(_game_metrics(game)),
        "warnings": diagnostics_json(loaded.warnings),
    }


def _game_metrics(game: GameSpec | None) -> list[str]:
    """The outcome metrics of a scenario's strategy game ([] without one)."""
    if game is None:
        return []
    from detente.strategy.metrics import metric_names

    return metric_names(game)


def metric_info(names: list[str]) -> dict[str, dict[str, str]]:
    """Label, kind, better direction and unit of each game metric (the registry's entries)."""
    from detente.strategy.metrics import metric

    out: dict[str, dict[str, str]] = {}
    for name in names:
        m = metric(name)
        out[name] = {"label": m.label, "kind": m.kind, "better": m.better, "unit": m.unit}
    return out


# --------------------------------------------------------------------------------------------
# what-if edits


def validate_text(text: str, name: str) -> tuple[LoadedScenario | None, list[Diagnostic]]:
    """Validate YAML as ``detente validate`` does: the scenario (or None), every diagnostic."""
    try:
        loaded = parse_yaml(text, name, game_checks=(check_strategies,))
    except InputError as exc:
        return None, exc.diagnostics
    return loaded, loaded.warnings


# --------------------------------------------------------------------------------------------
# forecasts


def models_json() -> list[dict[str, Any]]:
    out = []
    for name in available_models():
        cls = model_class(name)
        out.append({"name": name, "title": cls.title, "source": cls.source, "dynamic": cls.dynamic})
    return out


def forecast_json(sc: Scenario, fc: Forecast) -> dict[str, Any]:
    """:meth:`Forecast.to_dict` without the tables, plus the model's title, each issue's
    meaning on its scale, and ``rounds`` (empty for a static model)."""
    from detente.analysis.calibration import calibrated_intervals, calibration_note

    body = fc.to_dict()
    deu = calibrated_intervals(fc.model, sc, fc.outcome)
    issues = [
        {
            **row,
            "meaning": issue.scale.describe(x) if math.isfinite(x) else "",
            "deu": _pair(d),
        }
        for issue, row, x, d in zip(
            sc.issues, body["issues"], fc.outcome.tolist(), deu, strict=True
        )
    ]
    return {
        "model": body["model"],
        "title": model_class(fc.model).title,
        "parameters": jsonable(body["parameters"]),
        "issues": issues,
        "rounds": body.get("rounds", []),
        "calibration": calibration_note(fc.model),
    }


def _pair(interval: tuple[float, float] | None) -> list[float | None] | None:
    """A calibrated interval as JSON ([lo, hi]; None for a model never scored on DEU)."""
    return None if interval is None else [num(interval[0]), num(interval[1])]


def run_forecasts(sc: Scenario, models: Sequence[str]) -> list[dict[str, Any]]:
    """Each model's point forecast (a model that cannot handle the problem reports why)."""
    problem = to_problem(sc)
    out: list[dict[str, Any]] = []
    for name in models:
        try:
            fc = get_model(name).forecast(problem)
        except ValueError as exc:  # ModelInputError and friends: bad input, not a crash
            out.append({"model": name, "error": str(exc), "issues": [], "rounds": []})
            continue
        out.append(forecast_json(sc, fc))
    return out


# --------------------------------------------------------------------------------------------
# cruxes


def _quantity(value: Any) -> Quantity | None:
    try:
        return Quantity.model_validate(value)
    except ValidationError:
        return None


def _bad_crux_input(loaded: LoadedScenario, exc: Exception) -> InputError:
    msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return InputError.single(loaded.file, msg, field="cruxes")


def cruxes(
    loaded: LoadedScenario,
    model: Model,
    pair: tuple[str, str] | None = None,
    issue: str | None = None,
    threshold: float = 50.0,
) -> dict[str, Any]:
    """``detente cruxes`` for the conclusion "forecast of ``issue`` ≥ ``threshold``" between
    worldviews ``pair = (a, b)`` (default: the first two; ``issue`` default: the first), as JSON.

    One call of :func:`detente.analysis.cruxes.find_cruxes` (point mode) gives both parts:
    ``cruxes``, one row per judgment the two worldviews differ on, in the order of
    :meth:`~detente.analysis.cruxes.CruxResult.differences_frame` (largest effect first), with
    its ``effect`` (the change of the forecast when that one judgment is swapped from A's value
    to B's), ``share`` of the full change, ``role``, and every worldview's reading of it with
    its basis; and ``minimal``, the minimal sets of B's judgments that flip A's conclusion.
    """
    from detente.analysis.cruxes import find_cruxes
    from detente.analysis.outputs import parse_output

    sc = loaded.scenario
    views = sc.worldviews
    ids = [w.id for w in views]
    if pair is None and len(ids) >= 2:
        pair = (ids[0], ids[1])
    if pair is not None:
        for wid in pair:
            if wid not in ids:
                known = ", ".join(ids) or "none"
                msg = f"unknown worldview {wid!r} (known: {known})"
                raise InputError.single(loaded.file, msg, field="worldviews")
        if pair[0] == pair[1]:
            msg = f"compare two different worldviews (got {pair[0]!r} twice)"
            raise InputError.single(loaded.file, msg, field="worldviews")
    issue = issue if issue is not None else (sc.issues[0].id if sc.issues else None)
    out: dict[str, Any] = {
        "model": model.name,
        "worldviews": ids,
        "pair": list(pair) if pair is not None else [],
        "issues": [{"id": i.id, "label": i.label} for i in sc.issues],
        "issue": issue,
        "threshold": threshold,
        "cruxes": [],
        "minimal": None,
    }
    if pair is None or issue is None:
        return out
    a, b = pair
    try:
        output = parse_output(f"forecast:{issue}", sc)
        res = find_cruxes(
            loaded, a, b, output, threshold=threshold, model=model, max_evaluations=400
        )
    except (ValueError, KeyError) as exc:
        raise _bad_crux_input(loaded, exc) from None
    rows: list[dict[str, Any]] = []
    for r in res.differences_frame().to_dict(orient="records"):
        path = r["path"]
        try:
            base_q = _quantity(get_path(loaded.raw, resolve_path(loaded.raw, path)))
        except KeyError:  # a field only a worldview sets
            base_q = None
        sides: list[dict[str, Any]] = []
        for w in views:
            override = next((o for o in w.overrides if o.path == path), None)
            q = _quantity(override.value) if override is not None else base_q
            sides.append(
                {
                    "worldview": w.id,
                    "label": w.label,
                    "overrides": override is not None,
                    "value": _cell(q, path) if q is not None else None,
                }
            )
        rows.append(
            {
                "path": path,
                "label": r["label"],
                "base": _cell(base_q, path) if base_q is not None else None,
                "sides": sides,
                "effect": num(r["effect"]),
                "share": num(r["share"]),
                "role": r["role"],
            }
        )
    out["cruxes"] = rows
    out["minimal"] = {
        "a": a,
        "b": b,
        "issue": issue,
        "threshold": threshold,
        "conclusion_a": res.conclusion_a,
        "conclusion_b": res.conclusion_b,
        "score_a": num(res.score_a),
        "score_b": num(res.score_b),
        "flips": res.flips,
        "complete": res.complete,
        "cruxes": [
            {"paths": list(c.paths), "score": num(c.score), "conclusion": c.conclusion}
            for c in res.cruxes
        ],
        "notes": list(res.notes),
    }
    return out


# --------------------------------------------------------------------------------------------
# long runs (executed by detente.web.jobs)


def monte_carlo(
    sc: Scenario, model: str, draws: int, seed: int, progress: ProgressFn
) -> dict[str, Any]:
    """Monte Carlo over every uncertain judgment: per-issue mean, median, 90 % interval, bands,
    and a rank-correlation sensitivity (which inputs move each issue's forecast most)."""
    from detente.uncertainty.runner import Job, simulate
    from detente.uncertainty.summary import summarize

    done = [0]

    def tick(n: int) -> None:
        done[0] += n
        progress(min(1.0, done[0] / draws))

    from detente.analysis.calibration import calibrated_intervals, calibration_note

    result = simulate(Job(scenario=sc, model=model, seed=seed, draws=draws), progress=tick)
    summaries = [s.to_json() for s in summarize(sc, result.outcome)]
    # the interval of the draws plus the model's DEU residuals (as `detente simulate`)
    deu = calibrated_intervals(model, sc, result.outcome)
    return {
        "model": model,
        "draws": draws,
        "seed": seed,
        "issues": [{**s, "deu": _pair(d)} for s, d in zip(summaries, deu, strict=True)],
        "calibration": calibration_note(model),
        "sensitivity": _rank_sensitivity(result.parameters, result.inputs, result.outcome, sc),
    }


def _rank_sensitivity(
    parameters: Sequence[Any], inputs: np.ndarray, outcome: np.ndarray, sc: Scenario, top: int = 8
) -> list[dict[str, Any]]:
    """The ``top`` strongest Spearman correlations of the sampled inputs with each issue's
    forecast (:func:`detente.analysis.sensitivity.rank_correlations`), strongest first."""
    from detente.analysis.sensitivity import rank_correlations

    if inputs.shape[1] == 0 or inputs.shape[0] < 3:
        return []
    rho = rank_correlations(inputs, outcome)
    out = []
    for j, issue in enumerate(sc.issues):
        col = np.nan_to_num(rho[:, j])
        best = np.argsort(-np.abs(col))[:top]
        out.append(
            {
                "issue": issue.id,
                "inputs": [
                    {
                        "path": parameters[i].path,
                        "label": parameters[i].label,
                        "rho": num(col[i]),
                    }
                    for i in best
                    if abs(col[i]) > 0
                ],
            }
        )
    return out


def strategies(sc: Scenario, seed: int, episodes: int, progress: ProgressFn) -> dict[str, Any]:
    """The strategy × type outcome table of the scenario's ``game:`` section (one strategy at a
    time, so progress moves and a cancel takes effect between strategies; common random numbers
    are kept, as every call builds the same episodes from the same seed:
    :func:`detente.strategy.simulate.build_episodes`)."""
    from detente.strategy.simulate import run_strategies

    game = sc.game
    if game is None:
        raise InputError.single(sc.id, "the scenario has no `game:` section", field="game")
    ids = [s.id for s in game.strategies]
    rows: list[dict[str, Any]] = []
    for k, sid in enumerate(ids):
        df = run_strategies(game, seed, episodes, strategies=[sid])
        rows.extend(jsonable(df.to_dict(orient="records")))
        progress((k + 1) / len(ids))
    return {
        "seed": seed,
        "episodes": episodes,
        "strategies": [
            {"id": s.id, "label": s.label or s.id, "strategy": s.strategy} for s in game.strategies
        ],
        "types": ["mix", *(t.id for t in game.types)],
        "metrics": list(dict.fromkeys(r["metric"] for r in rows)),
        "metric_info": metric_info(list(dict.fromkeys(r["metric"] for r in rows))),
        "rows": rows,
    }


# --------------------------------------------------------------------------------------------
# the record and the scorecards

#: the base scenario's name among the worldviews (as ``detente hindcast`` and the report)
BASE = "base"


def _relabel(exc: InputError, folder: Path, shown: str) -> InputError:
    """``exc`` with the explorer's folder taken out of its file names (the client sees the
    scenario's name and the record's path in the folder, as everywhere else)."""
    out = []
    for d in exc.diagnostics:
        file = d.file
        if file and Path(file).is_absolute():
            p = Path(file)
            file = (
                shown
                if p.parent == folder
                else str(p.relative_to(folder))
                if p.is_relative_to(folder)
                else p.name
            )
        message = d.message.replace(str(folder) + "/", "")
        out.append(Diagnostic(file, d.line, d.field, message, d.severity))
    return InputError(out)


def anchored(loaded: LoadedScenario, folder: Path) -> LoadedScenario:
    """``loaded`` with its ``record:`` file read from the explorer's scenarios ``folder``.

    A scenario's record is "relative to the scenario file"; a document of the explorer (a file
    of the folder, an edited or uploaded one) is read as if it were a file of the folder, and its
    record must be a file inside the folder (an InputError at ``record.file`` otherwise, before
    anything is read: an uploaded document cannot make the server read a file elsewhere). The
    record is read once here, so a bad one is a located 422 now rather than a failed job."""
    from detente.scenario.hindcast import map_record, record_file

    spec = loaded.scenario.record
    if spec is None:
        return loaded
    folder = folder.resolve()
    anchor = folder / Path(loaded.file).name
    path = record_file(spec, anchor)
    if not path.is_relative_to(folder) or not path.is_file():
        raise InputError.single(
            loaded.file,
            f"record file {spec.file!r} is not a file of the explorer's scenarios folder "
            "(a record is read from that folder only)",
            field="record.file",
            line=loaded.lines.get(("record", "file")),
        )
    try:
        map_record(spec, anchor, loaded.lines)
    except InputError as exc:
        raise _relabel(exc, folder, loaded.file) from None
    return replace(loaded, file=str(anchor))


def game_scenario(
    loaded: LoadedScenario, worldview: str | None, folder: Path, plain: Scenario
) -> Scenario:
    """The scenario a game is played on under ``worldview``: ``plain`` (``with_worldview``
    computed already), unless the worldview is dated (``as_of``) — then its game starts from
    the record's history, read from the folder (:func:`anchored`)."""
    sc = loaded.scenario
    if worldview is None or sc.record is None or sc.game is None:
        return plain
    if sc.worldview(worldview).as_of is None:
        return plain
    return with_worldview(anchored(loaded, folder), worldview)


def record_views(loaded: LoadedScenario) -> list[tuple[str, str | None]]:
    """The views a hindcast or a scorecard panel compares: the base scenario (``base``, unless a
    worldview is called so) and every worldview, as ``(name, worldview id or None)``."""
    known = [w.id for w in loaded.scenario.worldviews]
    base = [] if BASE in known else [(BASE, None)]
    return [*base, *((w, w) for w in known)]


def _runs(loaded: LoadedScenario) -> int:
    """How many hindcasts a hindcast job plays: one per view, twice when the worldviews' dates
    make them score different months (then each is scored again on the common months)."""
    views = record_views(loaded)
    dates = {loaded.scenario.worldview(w).as_of if w else None for _, w in views}
    return len(views) * (2 if len(dates) > 1 else 1)


def check_hindcast(
    loaded: LoadedScenario, episodes: int, limits: Any, folder: Path
) -> LoadedScenario:
    """Refuse a hindcast the scenario cannot have (no ``game:`` or ``record:``: 422 naming the
    section) or too large (episodes x hindcasts over ``limits.game_episodes``: 422); the scenario
    with its record read from the folder otherwise."""
    from detente.web.limits import check_product

    sc = loaded.scenario
    if sc.game is None or sc.record is None:
        missing = [f"`{s}:`" for s, v in (("game", sc.game), ("record", sc.record)) if v is None]
        sections = " and ".join(missing) + (" sections" if len(missing) > 1 else " section")
        raise InputError.single(
            loaded.file,
            f"the scenario has no {sections}: a hindcast holds the game against a record",
            field="record" if sc.game is not None else "game",
        )
    runs = _runs(loaded)
    check_product(
        f"{episodes:,} episodes x {runs} hindcasts (worldviews, and again on their common months)",
        episodes * runs,
        limits.game_episodes,
        "game_episodes",
        "lower episodes",
    )
    return anchored(loaded, folder)


def hindcast(
    loaded: LoadedScenario, seed: int, episodes: int, progress: ProgressFn
) -> dict[str, Any]:
    """``detente hindcast`` as JSON (:func:`detente.analysis.hindcast.payload`): the base and
    every worldview held against the record, and, when their dates differ, again on the months
    they all score (the posterior over worldviews comes from those). ``loaded``: from
    :func:`check_hindcast`. Progress after each hindcast."""
    from detente.analysis.hindcast import common_start, load_mapped, payload
    from detente.analysis.hindcast import hindcast as run

    sc = loaded.scenario
    spec = sc.record
    assert spec is not None
    mapped = load_mapped(spec, loaded.file, loaded.lines)
    views = record_views(loaded)
    total = _runs(loaded)
    done = 0
    results = []
    games = []
    for name, wv in views:
        game = with_worldview(loaded, wv).game
        assert game is not None
        games.append((wv, game))
        try:
            results.append(run(game, mapped, seed, episodes, wv))
        except ValueError as exc:
            raise ValueError(f"worldview {name}: {exc}") from None
        done += 1
        progress(done / total)
    start = common_start(results)
    common = []
    if start is not None:
        for (wv, game), (name, _) in zip(games, views, strict=True):
            try:
                common.append(run(game, mapped, seed, episodes, wv, score_from=start))
            except ValueError as exc:
                raise ValueError(f"worldview {name}: {exc}") from None
            done += 1
            progress(done / total)
    out = jsonable(payload(sc.id, spec, mapped, results, seed, episodes, common))
    assert isinstance(out, dict)
    return out


def scored_game(loaded: LoadedScenario, why: str) -> GameSpec:
    """The scenario's game, which must have scorecards (422 naming ``game`` or
    ``game.scorecards`` otherwise: "the scenario has no `game:` section: WHY")."""
    game = loaded.scenario.game
    if game is None or not game.scorecards:
        what = "no `game:` section" if game is None else "a game without `scorecards:`"
        raise InputError.single(
            loaded.file,
            f"the scenario has {what}: {why}",
            field="game.scorecards" if game is not None else "game",
        )
    return game


def check_scorecards(
    loaded: LoadedScenario, episodes: int, limits: Any, folder: Path
) -> LoadedScenario:
    """Refuse a scorecards job without scorecards (no ``game:``, or a game without
    ``scorecards:``: 422) or too large (episodes x strategies x scorecards x views over
    ``limits.game_episodes``: 422); the scenario with its record read from the folder when a
    worldview is dated, otherwise as given."""
    from detente.web.limits import check_product

    game = scored_game(loaded, "there is no scorecard to rank the strategies on")
    views = record_views(loaded)
    n = len(game.strategies) * len(game.scorecards) * len(views)
    check_product(
        f"{episodes:,} episodes x {len(game.strategies)} strategies x {len(game.scorecards)} "
        f"scorecards x {len(views)} worldviews",
        episodes * n,
        limits.game_episodes,
        "game_episodes",
        "lower episodes",
    )
    dated = any(loaded.scenario.worldview(w).as_of for _, w in views if w is not None)
    return anchored(loaded, folder) if dated and loaded.scenario.record is not None else loaded


def scorecards(
    loaded: LoadedScenario, seed: int, episodes: int, progress: ProgressFn
) -> dict[str, Any]:
    """Each scorecard's ranking of the strategies in each view (the base and every worldview):
    rank, mean score and its 90 % interval (:func:`detente.analysis.compare.compare_scorecards`,
    one view at a time so the job reports progress — a view's rows do not depend on the others),
    under the scorecard's label and basis
    (:func:`detente.strategy.scorecards.scorecard_heading`)."""
    import pandas as pd

    from detente.analysis.compare import compare_scorecards
    from detente.strategy.scorecards import scorecard_heading

    views = record_views(loaded)
    frames = []
    for k, (name, wv) in enumerate(views):
        sc = with_worldview(loaded, wv)
        frame, _ = compare_scorecards({name: sc}, [name], seed, episodes)
        frames.append(frame)
        progress((k + 1) / len(views))
    frame = pd.concat(frames, ignore_index=True)
    game = loaded.scenario.game
    assert game is not None
    labels = {s.id: s.label or s.id for s in game.strategies}
    cards = []
    for card in game.scorecards:
        rows = frame[frame.scorecard == card.id]
        cards.append(
            {
                "id": card.id,
                "label": card.label,
                "heading": scorecard_heading(card),
                "metrics": list(card.metrics),
                "rows": jsonable(
                    rows[["strategy", "worldview", "rank", "mean", "lo", "hi"]].to_dict(
                        orient="records"
                    )
                ),
            }
        )
    return {
        "seed": seed,
        "episodes": episodes,
        "worldviews": [name for name, _ in views],
        "strategies": [{"id": s.id, "label": labels[s.id]} for s in game.strategies],
        "interval": "90 % normal interval of the mean score over episodes",
        "scorecards": cards,
    }


def check_monte_carlo_size(sc: Scenario, draws: int, limits: Any) -> None:
    """Refuse a Monte Carlo job whose input matrix (draws x uncertain numbers) is over
    ``limits.mc_cells`` (422): it is what the job's memory grows with."""
    from detente.analysis.sensitivity import scenario_parameters
    from detente.web.limits import check_product

    n = len(scenario_parameters(sc))
    check_product(
        f"{draws:,} draws x {n} uncertain numbers",
        draws * n,
        limits.mc_cells,
        "mc_cells",
        "lower draws",
    )


def check_strategies_size(sc: Scenario, episodes: int, limits: Any) -> None:
    """Refuse a strategies job playing more than ``limits.game_episodes`` episodes (episodes
    x strategies, 422)."""
    from detente.web.limits import check_product

    n = len(sc.game.strategies) if sc.game is not None else 0
    check_product(
        f"{episodes:,} episodes x {n} strategies",
        episodes * n,
        limits.game_episodes,
        "game_episodes",
        "lower episodes",
    )


#: most game episodes a sensitivity job may play (design rows x episodes; ~1 min on one core)
MAX_SENSITIVITY_EPISODES = 500_000
#: most forecasts a sensitivity job may run (design rows)
MAX_SENSITIVITY_ROWS = 200_000


class SensitivityRequest(Protocol):
    model: str
    output: str | None
    method: Literal["sobol", "morris"]
    n: int
    episodes: int
    seed: int
    worldview: str | None


def sensitivity_job(
    file: str, sc: Scenario, req: SensitivityRequest
) -> Callable[[ProgressFn], dict[str, Any]]:
    """Check a sensitivity question now (bad output, n or size: a 422 before any work is queued)
    and return the work: SALib Sobol or Morris indices of one output over every uncertain number
    it reads (:func:`detente.analysis.sensitivity.run_sensitivity`), in 20 chunks so the job
    reports progress and can be cancelled between them."""
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import (
        game_parameters,
        run_sensitivity,
        scenario_parameters,
    )

    def bad(msg: str, field: str) -> InputError:
        return InputError.single(file, msg, field=field)

    if req.output is None:
        issue = sc.issues[0].id if sc.issues else "ISSUE"
        raise bad(f"a sensitivity job needs an output, e.g. `forecast:{issue}`", "output")
    try:
        spec = parse_output(req.output, sc)
    except (ValueError, KeyError) as exc:
        msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        raise bad(msg, "output") from None
    if spec.kind == "ranking":
        raise bad("sensitivity needs a scalar output: forecast:ISSUE or strategy:METRIC", "output")
    if req.method == "sobol" and req.n & (req.n - 1):
        raise bad(f"n must be a power of 2 for Sobol sampling (got {req.n})", "n")
    if spec.kind == "forecast":
        n_params = len(scenario_parameters(sc))
    else:  # parse_output has refused a strategy output without a game
        n_params = len(game_parameters(sc.game)) if sc.game is not None else 0
    if n_params == 0:
        raise bad("no uncertain number feeds this output: nothing to analyse", "output")
    rows = req.n * (n_params + (2 if req.method == "sobol" else 1))
    if spec.kind == "forecast" and rows > MAX_SENSITIVITY_ROWS:
        raise bad(f"{rows} design rows is too many (at most {MAX_SENSITIVITY_ROWS}): lower n", "n")
    if spec.kind == "strategy" and rows * req.episodes > MAX_SENSITIVITY_EPISODES:
        raise bad(
            f"{rows} rows x {req.episodes} episodes is too many "
            f"(at most {MAX_SENSITIVITY_EPISODES:,} episodes): lower n or episodes",
            "n",
        )
    model = get_model(req.model) if spec.kind == "forecast" else None
    method, n, seed, episodes = req.method, req.n, req.seed, req.episodes

    def work(progress: ProgressFn) -> dict[str, Any]:
        res = run_sensitivity(
            sc,
            spec,
            model,
            method,
            n,
            seed,
            episodes=episodes,
            worldview=req.worldview,
            progress=progress,
            chunks=20,
        )
        return {
            "output": req.output,
            "description": res.output.describe(),
            "model": res.model,
            "method": method,
            "n": n,
            "seed": seed,
            "episodes": episodes if spec.kind == "strategy" else None,
            "evaluations": res.n_evaluations,
            "noise_share": num(res.noise_share),
            "parameters": jsonable(res.table.to_dict(orient="records")),
        }

    return work


# --------------------------------------------------------------------------------------------
# the crux panel


@dataclass(frozen=True)
class PanelQuestion:
    """A crux panel job, checked (:func:`check_panel`): the two worldviews, the scorecards
    (``None``: every one), the settings, and an upper estimate of its evaluations."""

    loaded: LoadedScenario
    a: str
    b: str
    scorecards: list[str] | None
    seed: int
    episodes: int
    max_evaluations: int
    #: evaluations (settings played on ``episodes`` episodes), at most, over every scorecard
    evaluations: int


def switch_rounds() -> int:
    """Bisection rounds of one switch-point bracket at the default tolerance: it halves until
    narrower than ``TOL`` x the judgment's range (:mod:`detente.analysis.switchpoints`)."""
    from detente.analysis.switchpoints import TOL

    return math.ceil(math.log2(1 / TOL))


def panel_evaluations(judgments: int, max_evaluations: int) -> int:
    """An upper bound of the evaluations of one scorecard of the crux panel, with ``judgments``
    disputed game numbers: per reading, the switch points' base, each judgment at its value and
    both ends, and up to :func:`switch_rounds` midpoints per side; then the Shapley values' two
    ends and their coalitions (at most ``max_evaluations``, or the four orders of the minimum
    permutation sample, ``4k - 2`` coalitions for ``k <= judgments`` groups)."""
    j = judgments
    switch = 1 + 3 * j + 2 * j * switch_rounds()
    return 2 * switch + 2 + max(max_evaluations, 4 * j - 2)


def check_panel(
    loaded: LoadedScenario,
    pair: Sequence[str] | None,
    scorecards: Sequence[str] | None,
    episodes: int,
    max_evaluations: int,
    seed: int,
    limits: Any,
    folder: Path,
) -> PanelQuestion:
    """Refuse a crux panel the scenario cannot have (no game with scorecards, fewer than two
    worldviews, an unknown or repeated worldview, an unknown scorecard: 422 naming the field) or
    too costly (episodes over ``limits.panel_episodes``, a Shapley budget over
    ``limits.panel_evaluations``, or episodes x strategies x evaluations — an upper estimate,
    :func:`panel_evaluations` — over ``limits.panel_plays``: 422), before any work; the question
    otherwise, its scenario's record read from the folder when a worldview is dated."""
    from detente.scenario.game import quantities
    from detente.web.limits import check_product

    sc = loaded.scenario
    game = scored_game(loaded, "the crux panel needs a scorecard to choose a strategy on")
    ids = [w.id for w in sc.worldviews]
    if pair is None:
        if len(ids) < 2:
            raise InputError.single(
                loaded.file,
                f"the crux panel compares two worldviews; the scenario defines {len(ids)}",
                field="worldviews",
            )
        pair = ids[:2]
    a, b = pair
    for wid in (a, b):
        if wid not in ids:
            known = ", ".join(ids) or "none"
            msg = f"unknown worldview {wid!r} (known: {known})"
            raise InputError.single(loaded.file, msg, field="worldviews")
    if a == b:
        msg = f"the crux panel compares two different worldviews (got {a!r} twice)"
        raise InputError.single(loaded.file, msg, field="worldviews")
    known_cards = [c.id for c in game.scorecards]
    for cid in scorecards or []:
        if cid not in known_cards:
            msg = f"unknown scorecard {cid!r} (expected one of: {', '.join(known_cards)})"
            raise InputError.single(loaded.file, msg, field="scorecards")
    cards = list(dict.fromkeys(scorecards)) if scorecards else None
    check_product(
        "episodes per evaluation",
        episodes,
        limits.panel_episodes,
        "panel_episodes",
        "lower episodes",
    )
    check_product(
        "the Shapley budget (coalitions per scorecard)",
        max_evaluations,
        limits.panel_evaluations,
        "panel_evaluations",
        "lower max_evaluations",
    )
    game_a = with_worldview(loaded, a).game
    assert game_a is not None  # a worldview keeps the game
    judgments = _disputed_numbers(loaded, a, b, dict(quantities(game_a)))
    n_cards = len(cards) if cards is not None else len(known_cards)
    evaluations = n_cards * panel_evaluations(judgments, max_evaluations)
    n = len(game.strategies)
    check_product(
        f"{episodes:,} episodes x {n} strategies x {evaluations:,} evaluations at most "
        f"({n_cards} scorecard(s), {judgments} disputed game numbers)",
        episodes * n * evaluations,
        limits.panel_plays,
        "panel_plays",
        "lower episodes or max_evaluations, or choose fewer scorecards",
    )
    dated = any(sc.worldview(w).as_of for w in (a, b))
    ready = anchored(loaded, folder) if dated and sc.record is not None else loaded
    return PanelQuestion(ready, a, b, cards, seed, episodes, max_evaluations, evaluations)


def _disputed_numbers(loaded: LoadedScenario, a: str, b: str, numbers: dict[str, Any]) -> int:
    """How many game numbers the two worldviews dispute (each disputed path's numbers: what the
    panel's switch points search, at most)."""
    from detente.analysis.cruxes import worldview_differences

    paths = [
        d.path
        for d in worldview_differences(loaded, a, b, lambda p: p.startswith("game."))
        if d.path.startswith("game.")
    ]
    return sum(1 for q in numbers if any(q == p or q.startswith(p + ".") for p in paths))


def crux_panel(question: PanelQuestion, progress: ProgressFn) -> dict[str, Any]:
    """The crux panel (:func:`detente.analysis.panel.crux_panel`, its sentences as the report
    shows them) as JSON: ``panel`` is :meth:`~detente.analysis.panel.Panel.to_dict`;
    ``judgments`` gives, for every path a statement names, each reading's value with its quotes
    (each with its source's title and web address when it has an ``http(s)`` one), named
    assumption and data basis. Progress is the share of the upper estimate of evaluations done
    (and a cancel takes effect at the next batch of evaluations)."""
    from detente.analysis.panel import crux_panel as compute

    q = question
    runner = _Watched(report=progress, expected=max(1, q.evaluations))
    try:
        panel = compute(
            q.loaded,
            q.a,
            q.b,
            q.scorecards,
            seed=q.seed,
            episodes=q.episodes,
            max_evaluations=q.max_evaluations,
            runner=runner,
        )
    finally:
        runner.close()
    body = jsonable(panel.to_dict())
    assert isinstance(body, dict)
    paths = [b["path"] for c in body["scorecards"] for st in c["statements"] for b in st["bases"]]
    return {
        "panel": body,
        "judgments": panel_judgments(q.loaded, (q.a, q.b), list(dict.fromkeys(paths))),
    }


def panel_judgments(
    loaded: LoadedScenario, pair: Sequence[str], paths: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Each path's value in each worldview of ``pair`` (its override applied) with its basis as
    data: quotes (``doc``, ``quote``, the source's ``title`` and ``url`` — only an ``http://`` or
    ``https://`` address), ``assumption``, ``data`` and the one-line ``text``; ``None`` for a
    worldview where the path holds no number."""
    from detente.scenario.load import worldview_document

    sources = {s.id: s for s in loaded.scenario.sources}
    docs = {w: worldview_document(loaded, w) for w in pair}
    out: dict[str, dict[str, Any]] = {}
    for path in paths:
        sides: dict[str, Any] = {}
        for w, doc in docs.items():
            try:
                q = _quantity(get_path(doc, resolve_path(doc, path)))
            except (KeyError, IndexError, TypeError, ValueError):
                q = None
            sides[w] = None if q is None else _basis_json(q, sources)
        out[path] = sides
    return out


def _basis_json(q: Quantity, sources: dict[str, Any]) -> dict[str, Any]:
    quotes = []
    for s in q.sources():
        src = sources.get(s.doc)
        url = src.url if src is not None else None
        web = url if url and url.lower().startswith(("https://", "http://")) else None
        quotes.append(
            {
                "doc": s.doc,
                "quote": s.quote,
                "title": src.title if src is not None else None,
                "url": web,
            }
        )
    return {
        "value": q.describe(),
        "quotes": quotes,
        "assumption": q.assumption,
        "data": {"doc": q.data.doc, "computation": q.data.computation} if q.data else None,
        "text": q.basis_text(),
    }


@dataclass
class _Watched(Runner):
    """A local runner that reports progress (the share of ``expected`` settings evaluated) before
    and after each batch, so a cancelled job stops at its next batch (``report`` raises)."""

    report: ProgressFn | None = None
    expected: int = 1
    done: int = 0

    def map(self, fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        if self.report is not None:
            self.report(min(0.99, self.done / self.expected))
        out = super().map(fn, items)
        self.done += sum(len(i) if isinstance(i, Sized) else 1 for i in items)
        if self.report is not None:
            self.report(min(0.99, self.done / self.expected))
        return out


def cache_key(*parts: Any) -> str:
    """A stable hash of a job's question (scenario hash, kind, model, parameters, seed)."""
    blob = json.dumps(jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
