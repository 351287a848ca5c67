"""The explorer's JSON adapters (no web framework here, and no analysis of its own: every number
comes from :mod:`detente.analysis`, :mod:`detente.uncertainty` or :mod:`detente.strategy`).

- :func:`scenario_view`: actors × issues with every value's basis, for one worldview;
- what-if edits live in :mod:`detente.web.whatif` (the edited value rewritten in place, the
  document validated incrementally, exactly as ``detente validate`` would);
- :func:`run_forecasts`: point forecasts of several models, with round trajectories;
- :func:`cruxes`: ``detente cruxes`` as JSON (:func:`detente.analysis.cruxes.find_cruxes`): the
  judgments two worldviews disagree on, every side's quotes, the effect of swapping each alone,
  and the minimal sets that flip the conclusion;
- :func:`monte_carlo` and :func:`strategies`: the long runs the job queue executes.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any, Literal, Protocol

import numpy as np
from pydantic import ValidationError

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
    body = fc.to_dict()
    issues = [
        {**row, "meaning": issue.scale.describe(x) if math.isfinite(x) else ""}
        for issue, row, x in zip(sc.issues, body["issues"], fc.outcome.tolist(), strict=True)
    ]
    return {
        "model": body["model"],
        "title": model_class(fc.model).title,
        "parameters": jsonable(body["parameters"]),
        "issues": issues,
        "rounds": body.get("rounds", []),
    }


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

    result = simulate(Job(scenario=sc, model=model, seed=seed, draws=draws), progress=tick)
    summaries = [s.to_json() for s in summarize(sc, result.outcome)]
    return {
        "model": model,
        "draws": draws,
        "seed": seed,
        "issues": summaries,
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


def cache_key(*parts: Any) -> str:
    """A stable hash of a job's question (scenario hash, kind, model, parameters, seed)."""
    blob = json.dumps(jsonable(list(parts)), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()
