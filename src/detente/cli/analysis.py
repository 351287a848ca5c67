"""``detente compare``, ``detente sensitivity`` and ``detente cruxes`` (see the analysis modules).

Exit codes follow DESIGN.md: 0 ok, 2 bad input or usage (no traceback).
"""

from __future__ import annotations

import math
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import (
    Backend,
    BackendOpt,
    FileArg,
    Format,
    SeedOpt,
    TableJsonOpt,
    WorkersOpt,
    WorldviewOpt,
    accept,
    bad_input_exits,
    emit,
    fail,
    load_or_exit,
    out,
    require,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pandas as pd

    from detente.analysis.cruxes import CruxResult
    from detente.analysis.decision import Runner
    from detente.analysis.sensitivity import SensitivityPlan, SensitivityResult
    from detente.scenario.load import LoadedScenario


class SensitivityMethod(StrEnum):
    """``--method`` of ``sensitivity``."""

    sobol = "sobol"
    morris = "morris"


class CruxMethod(StrEnum):
    """``--method`` of ``cruxes``: the swap search (default) or a decision method."""

    swap = "swap"
    shapley = "shapley"
    switch = "switch"
    prim = "prim"
    evppi = "evppi"


class CruxMode(StrEnum):
    """``--mode`` of ``cruxes``: point values or Monte Carlo."""

    point = "point"
    mc = "mc"


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """A frame as JSON rows (NaN becomes null in :func:`~detente.cli.common.emit`)."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")]


def _split(text: str) -> list[str]:
    return [w.strip() for w in text.split(",") if w.strip()]


def _frame_table(frame: pd.DataFrame, title: str, digits: int = 2) -> Table:
    table = Table(title=title, title_justify="left")
    for col in frame.columns:
        table.add_column(str(col), justify="right" if frame[col].dtype.kind == "f" else "left")
    for row in frame.itertuples(index=False):
        table.add_row(
            *(
                f"{v:.{digits}f}"
                if isinstance(v, float) and math.isfinite(v)
                else (
                    "" if v is None or (isinstance(v, float) and not math.isfinite(v)) else str(v)
                )
                for v in row
            )
        )
    return table


def compare(
    file: FileArg,
    worldviews: Annotated[str, typer.Option("--worldviews", help="a,b[,c]")],
    model: Annotated[str, typer.Option("--model", "-m")] = "compromise",
    strategies: Annotated[
        bool, typer.Option("--strategies", help="also the strategy game's outcomes")
    ] = False,
    draws: Annotated[int, typer.Option("--draws", "-n", min=1, help="Monte Carlo draws")] = 1000,
    seed: SeedOpt = 0,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Worldviews side by side: forecasts (and strategy outcomes), paired differences b − a."""
    from detente.analysis.compare import compare as compare_worldviews
    from detente.models import get_model

    accept(fmt, Format.table, Format.json)
    loaded = load_or_exit(file)
    wvs = _split(worldviews)
    with bad_input_exits():
        try:
            result = compare_worldviews(
                loaded, wvs, get_model(model), draws, seed, strategies=strategies
            )
        except (ValueError, KeyError) as exc:
            fail(str(exc).strip("'\""))
    if fmt is Format.json:
        payload = {
            "scenario": result.scenario,
            "worldviews": result.worldviews,
            "model": result.model,
            "draws": result.draws,
            "seed": result.seed,
            "interval": [0.05, 0.95],
            "forecasts": _records(result.forecasts),
            "differences": _records(result.forecast_differences),
            "strategies": _records(result.strategies),
            "strategy_differences": _records(result.strategy_differences),
            "notes": result.notes,
        }
        if not result.scorecards.empty:  # only a game with scorecards: other JSON unchanged
            payload = {
                **{k: v for k, v in payload.items() if k != "notes"},
                "scorecards": _records(result.scorecards),
                "scorecard_differences": _records(result.scorecard_differences),
                "notes": result.notes,
            }
        emit(payload, Format.json, indent=1)
        return
    fc = result.forecasts
    wide = fc.pivot_table(index=["issue", "label"], columns="worldview", values="mean", sort=False)
    table = _worldview_table(
        f"{result.scenario} — {model}, {draws} draws, seed {seed}: mean [5–95 %]", "issue", wvs
    )
    for issue, label in wide.index:
        cells = []
        for wv in wvs:
            r = fc[(fc.issue == issue) & (fc.worldview == wv)].iloc[0]
            cells.append(f"{r['mean']:.1f} [{r.p05:.1f}, {r.p95:.1f}]")
        fd = result.forecast_differences
        for b in wvs[1:]:
            r = fd[(fd.issue == issue) & (fd.b == b)].iloc[0]
            cells.append(f"{r['mean']:+.1f} [{r.p05:+.1f}, {r.p95:+.1f}]")
        table.add_row(str(label), *cells)
    out.print(table)
    if not result.strategies.empty:
        st = result.strategies
        shown = [m for m in dict.fromkeys(st.metric) if m.startswith(("p_talks_", "p_step_"))]
        st = st[(st.type == "mix") & st.metric.isin(shown or list(st.metric[:1]))]
        sd = result.strategy_differences
        for metric in dict.fromkeys(st.metric):
            t = _worldview_table(
                f"{metric} (type mix): mean [90 % interval of the mean]", "strategy", wvs
            )
            for sid in dict.fromkeys(st.strategy):
                cells = []
                for wv in wvs:
                    r = st[
                        (st.strategy == sid) & (st.metric == metric) & (st.worldview == wv)
                    ].iloc[0]
                    cells.append(f"{r['mean']:.3f} [{r.lo:.3f}, {r.hi:.3f}]")
                for b in wvs[1:]:
                    r = sd[
                        (sd.strategy == sid)
                        & (sd.metric == metric)
                        & (sd.type == "mix")
                        & (sd.b == b)
                    ].iloc[0]
                    cells.append(f"{r['mean']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]")
                t.add_row(sid, *cells)
            out.print(t)
        if not result.scorecards.empty:
            _print_scorecards(result.scorecards, result.scorecard_differences, wvs)
        out.print("all strategies, types and metrics: --format json", markup=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


def _worldview_table(title: str, first: str, wvs: list[str]) -> Table:
    """A compare table: ``first``, a column per worldview, then each b − a difference."""
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    for wv in wvs:
        table.add_column(wv, justify="right")
    for b in wvs[1:]:
        table.add_column(f"{b} − {wvs[0]}", justify="right")
    return table


def _print_scorecards(sc: pd.DataFrame, sd: pd.DataFrame, wvs: list[str]) -> None:
    """One table per scorecard: rank and score per worldview, and the paired differences."""
    for card in dict.fromkeys(sc.scorecard):
        t = _worldview_table(
            f"scorecard {card} (type mix): rank, score [90 % interval of the mean]", "strategy", wvs
        )
        rows = sc[sc.scorecard == card]
        for sid in dict.fromkeys(rows.strategy):
            cells = []
            for wv in wvs:
                r = rows[(rows.strategy == sid) & (rows.worldview == wv)].iloc[0]
                cells.append(f"#{int(r['rank'])} {r['mean']:.3f} [{r.lo:.3f}, {r.hi:.3f}]")
            for b in wvs[1:]:
                r = sd[(sd.scorecard == card) & (sd.strategy == sid) & (sd.b == b)].iloc[0]
                cells.append(f"{r['mean']:+.3f} [{r.lo:+.3f}, {r.hi:+.3f}]")
            t.add_row(sid, *cells)
        out.print(t)
    out.print(
        "score: weighted mean of the metrics normalised by their range across the strategies "
        "(0 worst … 1 best), within each worldview; docs/models/strategy-game.md#scorecards",
        markup=False,
    )


def sensitivity(
    file: FileArg,
    output: Annotated[
        str,
        typer.Option("--output", help="forecast:ISSUE or strategy:METRIC[:A[-B]][@TYPE]"),
    ],
    model: Annotated[str, typer.Option("--model", "-m")] = "compromise",
    worldview: WorldviewOpt = None,
    method: Annotated[SensitivityMethod, typer.Option("--method")] = SensitivityMethod.sobol,
    n: Annotated[
        int, typer.Option("--n", help="Sobol base sample (power of 2) or Morris trajectories")
    ] = 256,
    seed: SeedOpt = 0,
    episodes: Annotated[
        int, typer.Option("--episodes", min=2, help="game episodes per design row")
    ] = 200,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="write result.json, design.parquet, provenance.json, run.json"
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="continue the unfinished run of --out (same inputs)"),
    ] = False,
    workers: WorkersOpt = 1,
    backend: BackendOpt = Backend.local,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Global sensitivity (Sobol S1/ST or Morris mu*) of one output to every uncertain input.

    The design rows are evaluated in fixed blocks, here or on --workers processes or Ray
    (--backend ray): the same result, byte for byte. With --out, finished blocks are kept as
    they finish (in .OUT.partial); --resume continues an interrupted run from them, with the
    same result, byte for byte.
    """
    require("detente sensitivity", "sensitivity", "SALib")
    if backend is Backend.ray:
        require("detente sensitivity --backend ray", "ray", "ray")
    from detente.analysis.decision import Runner
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import plan_sensitivity
    from detente.analysis.sensitivity_run import evaluate_blocks
    from detente.models import get_model
    from detente.scenario.load import with_worldview

    accept(fmt, Format.table, Format.json)
    if resume and out_dir is None:
        fail("--resume needs --out DIR (the folder of the sensitivity run to continue)")
    loaded = load_or_exit(file)
    with bad_input_exits():
        sc = with_worldview(loaded, worldview)
        try:
            spec = parse_output(output, sc)
            if spec.kind == "ranking":
                raise ValueError(
                    "sensitivity needs a scalar output: forecast:ISSUE or strategy:METRIC"
                )
            chosen = get_model(model) if spec.kind == "forecast" else None
            plan = plan_sensitivity(
                sc, spec, chosen, method.value, n, seed, episodes=episodes, worldview=worldview
            )
            with Runner(workers, backend.value) as runner:
                if out_dir is None:
                    evaluation = evaluate_blocks(plan, runner=runner)
                    result = plan.result(evaluation.y, evaluation.noise_variance)
                else:
                    result = _sensitivity_to_folder(
                        loaded,
                        plan,
                        out_dir,
                        resume,
                        lambda r: _sensitivity_json(sc.id, worldview, output, method.value, r),
                        runner,
                    )
        except (ValueError, KeyError) as exc:
            fail(str(exc).strip("'\""))
    if fmt is Format.json:
        payload = _sensitivity_json(sc.id, worldview, output, method.value, result)
        emit(payload, Format.json, indent=1)
        return
    title = (
        f"{sc.id} ({worldview or 'base'}) — {result.output.describe()}"
        f"{' — ' + model if result.model else ''}: {method}, "
        f"{result.n_evaluations} evaluations"
    )
    out.print(_frame_table(result.table.drop(columns=["label"]), title, digits=3))
    if result.dependence:
        out.print(
            "grouped indices: each dependent group (shares, correlations) is one factor — "
            + "; ".join(f"{gid} = {', '.join(paths)}" for gid, paths in result.dependence.groups()),
            markup=False,
        )
    if result.noise_share > 0.2:
        out.print(
            f"warning: each row's mean has a Monte Carlo error of {result.noise_share:.0%} of "
            "the output variance; rows share their episodes' chance, so the indices are not "
            "inflated, but they describe these episodes: check with more --episodes or "
            "another --seed",
            markup=False,
        )


def _sensitivity_json(
    scenario: str, worldview: str | None, output: str, method: str, result: SensitivityResult
) -> dict[str, Any]:
    """``sensitivity --format json`` (and ``result.json`` of ``--out``)."""
    payload: dict[str, Any] = {
        "scenario": scenario,
        "worldview": worldview,
        "output": output,
        "description": result.output.describe(),
        "model": result.model,
        "method": method,
        "n": result.n,
        "seed": result.seed,
        "evaluations": result.n_evaluations,
        "variance": result.variance,
        "noise_share": result.noise_share,
        "parameters": _records(result.table),
    }
    if result.dependence:  # only with dependent groups: other JSON unchanged
        payload["indices"] = result.indices
        payload["groups"] = result.dependence.describe()
    return payload


def _sensitivity_to_folder(
    loaded: LoadedScenario,
    plan: SensitivityPlan,
    out_dir: Path,
    resume: bool,
    payload: Callable[[SensitivityResult], dict[str, Any]],
    runner: Runner,
) -> SensitivityResult:
    """Run ``plan`` in blocks kept as they finish (continuing the unfinished run of ``out_dir``
    when ``resume``) and write the folder (:mod:`detente.analysis.sensitivity_run`,
    :func:`detente.cli.blockrun.run_to_folder`)."""
    from detente.analysis import sensitivity_run as sr
    from detente.cli.blockrun import FolderRun, run_to_folder

    def evaluate(
        done: Any, on_block: Any, progress: Callable[[int], None]
    ) -> tuple[sr.Evaluation, SensitivityResult]:
        evaluation = sr.evaluate_blocks(plan, done, on_block, progress, runner)
        return evaluation, plan.result(evaluation.y, evaluation.noise_variance)

    def write(atomic: Any, made: tuple[sr.Evaluation, SensitivityResult], info: Any) -> None:
        evaluation, result = made
        provenance = sr.sensitivity_provenance(loaded, plan)
        sr.write_run(atomic, plan, evaluation, payload(result), provenance, info)

    run = FolderRun(
        out_dir=out_dir,
        rows=plan.design.n_evaluations,
        open=lambda: sr.open_run(loaded, plan, out_dir, resume),
        kept=lambda checkpoint: sr.finished_blocks(plan, checkpoint),
        evaluate=evaluate,
        write=write,
        rows_of=lambda a: int(a["output"].shape[0]),
        workers=runner.workers,
        backend=runner.backend,
    )
    return run_to_folder(run, resume)[1]


def cruxes(
    file: FileArg,
    worldviews: Annotated[str, typer.Option("--worldviews", help="a,b")],
    output: Annotated[
        str,
        typer.Option(
            "--output", help="forecast:ISSUE | strategies[:METRIC] | strategy:METRIC[:A[-B]]"
        ),
    ],
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="the forecast's deciding value")
    ] = None,
    model: Annotated[str, typer.Option("--model", "-m")] = "compromise",
    mode: Annotated[CruxMode, typer.Option("--mode")] = CruxMode.point,
    draws: Annotated[int, typer.Option("--draws", min=1, help="draws for --mode mc")] = 500,
    episodes: Annotated[
        int | None,
        typer.Option("--episodes", min=2, help="game episodes (default: 1000 for swap, else 200)"),
    ] = None,
    seed: SeedOpt = 0,
    max_size: Annotated[int, typer.Option("--max-size", help="largest combination")] = 3,
    method: Annotated[
        CruxMethod,
        typer.Option("--method", help="swap | shapley | switch | prim | evppi (docs/cruxes.md)"),
    ] = CruxMethod.swap,
    max_evaluations: Annotated[
        int,
        typer.Option(
            "--max-evaluations", min=2, help="shapley: exact when 2^groups fit, else sampled"
        ),
    ] = 128,
    permutations: Annotated[
        int | None,
        typer.Option("--permutations", min=2, help="shapley: sampled orders (even)"),
    ] = None,
    design: Annotated[
        int,
        typer.Option("--design", min=2, help="prim, evppi: Monte Carlo design rows"),
    ] = 256,
    workers: WorkersOpt = 1,
    backend: BackendOpt = Backend.local,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="prim, evppi: write result.json, provenance.json, run.json"
        ),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="prim, evppi: continue the unfinished run of --out"),
    ] = False,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Which assumptions of two worldviews — alone or together — flip the conclusion.

    The design methods (prim, evppi) with --out keep the design's finished blocks as they
    finish (in .OUT.partial); --resume continues an interrupted run from them, with the same
    result, byte for byte.
    """
    from detente.analysis.cruxes import find_cruxes
    from detente.analysis.decision import Runner
    from detente.analysis.outputs import parse_output
    from detente.models import get_model

    accept(fmt, Format.table, Format.json)
    wvs = _split(worldviews)
    if out_dir is not None and method not in (CruxMethod.prim, CruxMethod.evppi):
        fail(
            f"--out is for the design methods (--method prim or evppi), not --method "
            f"{method.value}: it runs no Monte Carlo design to keep"
        )
    if resume and out_dir is None:
        fail("--resume needs --out DIR (the folder of the design run to continue)")
    if method is not CruxMethod.swap:
        _decision_method(
            file,
            wvs,
            output,
            threshold,
            model,
            mode,
            draws,
            episodes,
            seed,
            method,
            max_evaluations,
            permutations,
            workers,
            backend,
            fmt,
            design,
            out_dir,
            resume,
        )
        return
    if len(wvs) != 2:
        fail("--worldviews takes exactly two worldviews: a,b")
    if backend is Backend.ray:
        require("detente cruxes --backend ray", "ray", "ray")
    loaded = load_or_exit(file)
    with bad_input_exits():
        try:
            spec = parse_output(output, loaded.scenario)
            with Runner(workers, backend.value) as runner:
                result = find_cruxes(
                    loaded,
                    wvs[0],
                    wvs[1],
                    spec,
                    threshold=threshold,
                    model=get_model(model) if spec.kind == "forecast" else None,
                    mode=mode.value,
                    draws=draws,
                    seed=seed,
                    episodes=episodes if episodes is not None else 1000,
                    max_size=max_size,
                    runner=runner,
                )
        except (ValueError, KeyError) as exc:
            fail(str(exc).strip("'\""))
    if fmt is Format.json:
        payload = crux_json(result)
        emit(payload, Format.json, indent=1)
        return
    out.print(
        f"{result.scenario}: {result.output.describe()}"
        f"{' — ' + result.model if result.model else ''}",
        markup=False,
    )
    out.print(f"  {result.a}: {result.conclusion_a}", markup=False)
    out.print(f"  {result.b}: {result.conclusion_b}", markup=False)
    diffs = result.differences_frame()
    if not diffs.empty:
        out.print(
            _frame_table(
                diffs[["path", "value_a", "value_b", "effect", "share", "role"]].rename(
                    columns={"value_a": result.a, "value_b": result.b}
                ),
                "judgments that differ (effect = score change of swapping it alone)",
                3,
            )
        )
    if result.cruxes:
        for n_, crux in enumerate(result.cruxes, 1):
            out.print(
                f"\ncrux {n_}: swapping {len(crux.paths)} judgment(s) → {crux.conclusion}",
                markup=False,
            )
            by = {d.path: d for d in result.differences}
            for path in crux.paths:
                d = by[path]
                out.print(f"  {d.label}", markup=False)
                out.print(f"    {result.a}: {d.describe_a} — {d.basis_a}", markup=False)
                out.print(f"    {result.b}: {d.describe_b} — {d.basis_b}", markup=False)
    else:
        out.print(
            f"\nno crux: no swap of up to {result.max_size} judgments flips "
            f"{result.a}'s conclusion",
            markup=False,
        )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


def _decision_method(
    file: Path,
    wvs: list[str],
    output: str,
    threshold: float | None,
    model: str,
    mode: CruxMode,
    draws: int,
    episodes: int | None,
    seed: int,
    method: CruxMethod,
    max_evaluations: int,
    permutations: int | None,
    workers: int,
    backend: Backend,
    fmt: Format,
    design: int,
    out_dir: Path | None = None,
    resume: bool = False,
) -> None:
    """``cruxes --method shapley|switch|prim|evppi`` (:mod:`detente.cli.decision`)."""
    from detente.analysis.decision import Runner
    from detente.analysis.outputs import parse_output
    from detente.cli.decision import (
        DEFAULT_EPISODES,
        Folder,
        run_evppi,
        run_prim,
        run_shapley,
        run_switch,
    )
    from detente.models import get_model

    if method is CruxMethod.shapley and len(wvs) != 2:
        fail("--method shapley takes exactly two worldviews: a,b")
    if method in (CruxMethod.switch, CruxMethod.prim, CruxMethod.evppi) and len(wvs) not in (1, 2):
        fail(f"--method {method.value} takes one or two worldviews: a[,b]")
    if method is CruxMethod.prim:
        require("detente cruxes --method prim", "discovery", "ema_workbench")
    if permutations is not None and permutations % 2:
        fail(f"--permutations must be even (antithetic pairs; got {permutations})")
    if backend is Backend.ray:
        require(f"detente cruxes --method {method.value} --backend ray", "ray", "ray")
    loaded = load_or_exit(file)
    with bad_input_exits():
        try:
            spec = parse_output(output, loaded.scenario)
            m = get_model(model) if spec.kind == "forecast" else None
            n_draws = draws if mode is CruxMode.mc else None
            eps = episodes if episodes is not None else DEFAULT_EPISODES
            with Runner(workers, backend.value) as runner:
                if method is CruxMethod.shapley:
                    run_shapley(
                        loaded,
                        wvs,
                        spec,
                        model=m,
                        draws=n_draws,
                        seed=seed,
                        episodes=eps,
                        max_evaluations=max_evaluations,
                        permutations=permutations,
                        runner=runner,
                        fmt=fmt,
                    )
                elif method in (CruxMethod.prim, CruxMethod.evppi):
                    (run_prim if method is CruxMethod.prim else run_evppi)(
                        loaded,
                        wvs,
                        spec,
                        threshold=threshold,
                        model=m,
                        seed=seed,
                        episodes=eps,
                        rows=design,
                        runner=runner,
                        fmt=fmt,
                        folder=None if out_dir is None else Folder(out_dir, resume),
                    )
                else:
                    run_switch(
                        loaded,
                        wvs,
                        spec,
                        threshold=threshold,
                        model=m,
                        draws=n_draws,
                        seed=seed,
                        episodes=eps,
                        runner=runner,
                        fmt=fmt,
                    )
        except (ValueError, KeyError) as exc:
            fail(str(exc).strip("'\""))


def crux_json(result: CruxResult) -> dict[str, Any]:
    """The JSON form of a :class:`~detente.analysis.cruxes.CruxResult`."""
    return {
        "scenario": result.scenario,
        "output": result.output.describe(),
        "worldviews": [result.a, result.b],
        "threshold": result.threshold,
        "mode": result.mode,
        "model": result.model,
        "score": {result.a: result.score_a, result.b: result.score_b},
        "conclusion": {result.a: result.conclusion_a, result.b: result.conclusion_b},
        "flips": result.flips,
        "differences": _records(result.differences_frame()),
        "cruxes": [
            {"paths": list(c.paths), "score": c.score, "conclusion": c.conclusion}
            for c in result.cruxes
        ],
        "evaluations": result.evaluations,
        "complete": result.complete,
        "notes": result.notes,
    }
