"""``detente cruxes --method shapley|switch|prim|evppi``: the decision methods' output (JSON and
tables).

The command itself is :func:`detente.cli.analysis.cruxes` (its default method, ``swap``, is
unchanged); this module runs and prints the methods of :mod:`detente.analysis.shapley`,
:mod:`detente.analysis.switchpoints`, :mod:`detente.analysis.discovery` and
:mod:`detente.analysis.voi` (docs/cruxes.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from rich.table import Table

from detente.cli.common import Format, emit, out

if TYPE_CHECKING:
    from detente.analysis.crux_runs import CruxDesignMethod
    from detente.analysis.decision import Runner
    from detente.analysis.discovery import Design, DiscoveryResult
    from detente.analysis.outputs import OutputSpec
    from detente.analysis.shapley import ShapleyResult
    from detente.analysis.switchpoints import SwitchResult
    from detente.analysis.voi import VoiResult
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario

#: episodes per evaluation of the decision methods when --episodes is not given
DEFAULT_EPISODES = 200
_R = TypeVar("_R")


def run_shapley(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    model: Model | None,
    draws: int | None,
    seed: int,
    episodes: int,
    max_evaluations: int,
    permutations: int | None,
    runner: Runner,
    fmt: Format,
) -> None:
    from detente.analysis.shapley import shapley

    result = shapley(
        loaded,
        wvs[0],
        wvs[1],
        spec,
        seed=seed,
        episodes=episodes,
        model=model,
        draws=draws,
        max_evaluations=max_evaluations,
        permutations=permutations,
        runner=runner,
    )
    if fmt is Format.json:
        emit(shapley_json(result), Format.json, indent=1)
        return
    att = result.attribution
    out.print(f"{result.scenario}: {result.measure}", markup=False)
    out.print(
        f"  {result.a}: {att.v_empty:+.4f}   {result.b}: {att.v_full:+.4f}   "
        f"difference {att.total:+.4f}",
        markup=False,
    )
    how = (
        f"exact over {att.evaluations} coalitions"
        if att.method == "exact"
        else f"{att.permutations} sampled orders, {att.evaluations} coalitions (± standard error)"
    )
    table = Table(title=f"Shapley shares of the difference ({how})", title_justify="left")
    for col, right in (("group", False), ("share", True), ("± se", True), ("of total", True)):
        table.add_column(col, justify="right" if right else "left")
    for row in result.rows():
        frac = row["fraction"]
        table.add_row(
            str(row["label"]),
            f"{row['share']:+.4f}",
            "" if att.method == "exact" else f"{row['se']:.4f}",
            "" if frac is None else f"{frac:.0%}",
        )
    out.print(table)
    out.print(
        f"shares sum to {float(att.shares.sum()):+.4f} (the difference); "
        f"{result.episodes} episodes on common random numbers, seed {result.seed}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


def shapley_json(result: ShapleyResult) -> dict[str, Any]:
    att = result.attribution
    return {
        "scenario": result.scenario,
        "method": "shapley",
        "output": result.output.describe(),
        "measure": result.measure,
        "worldviews": [result.a, result.b],
        "value": {result.a: att.v_empty, result.b: att.v_full},
        "difference": att.total,
        "estimator": att.method,
        "evaluations": att.evaluations,
        "permutations": att.permutations,
        "episodes": result.episodes,
        "seed": result.seed,
        "shares": result.rows(),
        "notes": result.notes,
    }


def run_switch(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    threshold: float | None,
    model: Model | None,
    draws: int | None,
    seed: int,
    episodes: int,
    runner: Runner,
    fmt: Format,
) -> None:
    from detente.analysis.decision import readings
    from detente.analysis.switchpoints import switch_points

    paths: list[str] | None = None
    if len(wvs) == 2:
        rd = readings(loaded, wvs[0], wvs[1], spec, seed=seed, episodes=2, model=model)
        paths = [p for g in rd.groups for p in g.paths]
    results = [
        switch_points(
            loaded,
            wv,
            spec,
            paths=paths,
            threshold=threshold,
            seed=seed,
            episodes=episodes,
            model=model,
            draws=draws,
            runner=runner,
        )
        for wv in wvs
    ]
    if fmt is Format.json:
        emit(
            {
                "scenario": loaded.scenario.id,
                "method": "switch",
                "output": spec.describe(),
                "worldviews": wvs,
                "judgments": "differing" if paths is not None else "uncertain",
                "readings": [switch_json(r) for r in results],
            },
            Format.json,
            indent=1,
        )
        return
    for r in results:
        print_switch(r)


def switch_json(result: SwitchResult) -> dict[str, Any]:
    return {
        "worldview": result.worldview,
        "choice": result.choice,
        "margin": result.margin,
        "episodes": result.episodes,
        "seed": result.seed,
        "evaluations": result.evaluations,
        "switch_points": result.rows(),
        "notes": result.notes,
    }


def _side(sw: dict[str, Any] | None, word: str) -> str:
    if sw is None:
        return "never within its range"
    prob = "" if sw["probability"] is None else f", P = {sw['probability']:.2f}"
    return f"{word} {sw['at']:.4g} → {sw['to']} ({sw['distance']:+.3g}{prob})"


def print_switch(result: SwitchResult) -> None:
    out.print(
        f"{result.scenario} under {result.worldview}: {result.output.describe()} — "
        f"{result.choice} (margin {result.margin:+.3f})",
        markup=False,
    )
    table = Table(
        title="switch points (the others at the reading's values; P: the reading's probability "
        "of lying beyond)",
        title_justify="left",
    )
    for col in ("judgment", "value", "range", "if lower", "if higher"):
        table.add_column(col)
    for row in result.rows():
        table.add_row(
            str(row["label"]),
            f"{row['value']:.4g}",
            f"{row['low']:.4g}–{row['high']:.4g} ({row['range_from']})",
            _side(row["below"], "below"),  # type: ignore[arg-type]
            _side(row["above"], "above"),  # type: ignore[arg-type]
        )
    out.print(table)
    out.print(
        f"{result.evaluations} evaluations, {result.episodes} episodes on common random "
        f"numbers, seed {result.seed}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


# ------------------------------------------------------------------- the designs in a folder


@dataclass(frozen=True)
class Folder:
    """``--out DIR [--resume]`` of a design method."""

    out_dir: Path
    resume: bool


def design_to_folder(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    method: CruxDesignMethod,
    analyse: Callable[[Design], _R],
    payload: Callable[[list[_R]], dict[str, Any]],
    folder: Folder,
    *,
    threshold: float | None,
    model: Model | None,
    seed: int,
    episodes: int,
    rows: int,
    runner: Runner,
) -> list[_R]:
    """Every worldview's design evaluated in blocks kept as they finish (continuing the
    unfinished run of the folder on ``--resume``), analysed, and written to the folder
    (:mod:`detente.analysis.crux_runs`, :func:`detente.cli.blockrun.run_to_folder`)."""
    from detente.analysis import crux_runs as cr
    from detente.analysis.blockrun import run_blocks, write_folder
    from detente.cli.blockrun import FolderRun, run_to_folder

    run = cr.crux_run(
        loaded, wvs, spec, method, rows=rows, seed=seed, episodes=episodes, threshold=threshold,
        model=model,
    )  # fmt: skip

    def evaluate(done: Any, on_block: Any, progress: Callable[[int], None]) -> list[_R]:
        arrays = run_blocks(
            run,
            range(len(run.blocks)),
            runner,
            done=done,
            on_block=on_block,
            progress=lambda _b, a: progress(int(a["values"].shape[0])),
        )
        return [analyse(d) for d in run.designs(arrays, runner)]

    def write(atomic: Any, results: list[_R], info: dict[str, Any]) -> None:
        write_folder(atomic, payload(results), cr.crux_provenance(loaded, run), info)

    return run_to_folder(
        FolderRun(
            out_dir=folder.out_dir,
            rows=run.rows,
            open=lambda: cr.open_run(loaded, run, folder.out_dir, folder.resume),
            kept=lambda checkpoint: checkpoint.load(len(run.blocks), run.check),
            evaluate=evaluate,
            write=write,
            rows_of=lambda a: int(a["values"].shape[0]),
            workers=runner.workers,
            backend=runner.backend,
        ),
        folder.resume,
    )


# ------------------------------------------------------------------- scenario discovery (PRIM)


def run_design(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    method: CruxDesignMethod,
    analyse: Callable[[Design], _R],
    to_json: Callable[[_R], dict[str, Any]],
    show: Callable[[_R], None],
    *,
    threshold: float | None,
    model: Model | None,
    seed: int,
    episodes: int,
    rows: int,
    runner: Runner,
    fmt: Format,
    folder: Folder | None = None,
) -> None:
    """A design method (``prim``, ``evppi``): each worldview's design evaluated — in this
    process, or in blocks kept in ``folder`` — then ``analyse``-d, and printed (``show``) or
    emitted as JSON (``to_json`` a reading)."""
    from detente.analysis.discovery import design

    def payload(results: list[_R]) -> dict[str, Any]:
        return {
            "scenario": loaded.scenario.id,
            "method": method,
            "output": spec.describe(),
            "worldviews": wvs,
            "readings": [to_json(r) for r in results],
        }

    if folder is None:
        results = [
            analyse(
                design(
                    loaded, wv, spec, rows=rows, seed=seed, episodes=episodes,
                    threshold=threshold, model=model, runner=runner,
                )
            )
            for wv in wvs
        ]  # fmt: skip
    else:
        results = design_to_folder(
            loaded, wvs, spec, method, analyse, payload, folder,
            threshold=threshold, model=model, seed=seed, episodes=episodes, rows=rows,
            runner=runner,
        )  # fmt: skip
    if fmt is Format.json:
        emit(payload(results), Format.json, indent=1)
        return
    for r in results:
        show(r)


def run_prim(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    threshold: float | None,
    model: Model | None,
    seed: int,
    episodes: int,
    rows: int,
    runner: Runner,
    fmt: Format,
    folder: Folder | None = None,
) -> None:
    from detente.analysis.discovery import discover_on

    run_design(
        loaded, wvs, spec, "prim", discover_on, prim_json, print_prim,
        threshold=threshold, model=model, seed=seed, episodes=episodes, rows=rows,
        runner=runner, fmt=fmt, folder=folder,
    )  # fmt: skip


def prim_json(result: DiscoveryResult) -> dict[str, Any]:
    from detente.analysis.discovery import conclusion_counts

    d = result.design
    return {
        "worldview": d.worldview,
        "choice": result.choice,
        "margin": result.margin,
        "design": d.rows,
        "judgments": len(d.paths),
        "episodes": d.episodes,
        "seed": d.seed,
        "density_threshold": result.density,
        "cases": int(result.cases.sum()),
        "conclusions": conclusion_counts(result.conclusions),
        "boxes": result.box_rows(),
        "notes": result.notes,
    }


def _qp(value: float | None) -> str:
    return "" if value is None else f"{value:.2g}"


def print_prim(result: DiscoveryResult) -> None:
    from detente.analysis.discovery import conclusion_counts

    d = result.design
    counts = ", ".join(f"{k} {v}" for k, v in conclusion_counts(result.conclusions).items())
    out.print(
        f"{d.scenario} under {d.worldview}: {d.output.describe()} — {result.choice} "
        f"(margin {result.margin:+.3f})",
        markup=False,
    )
    out.print(
        f"  design: {d.rows} rows over {len(d.paths)} uncertain judgments; conclusions: {counts}; "
        f"{int(result.cases.sum())} rows differ from {result.choice}",
        markup=False,
    )
    label = dict(zip(d.paths, d.labels, strict=True))
    for n, box in enumerate(result.boxes, 1):
        st = box.step
        out.print(
            f"\nbox {n}: coverage {st.coverage:.2f}, density {st.density:.2f}, "
            f"mass {st.mass:.2f} ({st.cases} of {st.rows} rows"
            f"{'' if box.meets else '; below the density threshold'})",
            markup=False,
        )
        table = Table(title="box limits (qp: quasi-p-value of each side)", title_justify="left")
        for col, right in (
            ("judgment", False),
            ("low", True),
            ("high", True),
            ("design range", True),
            ("qp low", True),
            ("qp high", True),
        ):
            table.add_column(col, justify="right" if right else "left")
        for lim in box.limits:
            table.add_row(
                label[lim.path],
                f"{lim.low:.4g}",
                f"{lim.high:.4g}",
                f"{lim.min:.4g}–{lim.max:.4g}",
                _qp(lim.qp_low),
                _qp(lim.qp_high),
            )
        out.print(table)
        traj = Table(title="peeling trajectory (* the box shown)", title_justify="left")
        for col in ("step", "coverage", "density", "mass", "judgments restricted"):
            traj.add_column(col, justify="right")
        for i, t in enumerate(box.trajectory):
            traj.add_row(
                f"{i}{'*' if i == box.chosen else ''}",
                f"{t.coverage:.2f}",
                f"{t.density:.2f}",
                f"{t.mass:.2f}",
                str(t.restricted),
            )
        out.print(traj)
    out.print(
        f"{d.episodes} episodes per row on common random numbers, seed {d.seed}; "
        f"PRIM (ema_workbench), density threshold {result.density:g}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


# ------------------------------------------------------------------- value of information


def run_evppi(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    threshold: float | None,
    model: Model | None,
    seed: int,
    episodes: int,
    rows: int,
    runner: Runner,
    fmt: Format,
    folder: Folder | None = None,
) -> None:
    from detente.analysis.voi import check_output, voi_on

    del threshold  # a strategy decision has no threshold
    check_output(spec)
    run_design(
        loaded, wvs, spec, "evppi", voi_on, evppi_json, print_evppi,
        threshold=None, model=model, seed=seed, episodes=episodes, rows=rows,
        runner=runner, fmt=fmt, folder=folder,
    )  # fmt: skip


def evppi_json(result: VoiResult) -> dict[str, Any]:
    d = result.design
    return {
        "worldview": d.worldview,
        "choice": result.choice,
        "net_benefit": {o: float(v) for o, v in zip(d.options, result.means, strict=True)},
        "design": d.rows,
        "episodes": d.episodes,
        "seed": d.seed,
        "bootstrap": result.resamples,
        "evpi": result.evpi,
        "evpi_se": result.evpi_se,
        "evppi": result.rows(),
        "notes": result.notes,
    }


def print_evppi(result: VoiResult) -> None:
    d = result.design
    out.print(
        f"{d.scenario} under {d.worldview}: {d.output.describe()} — choice under uncertainty "
        f"{result.choice} (mean net benefit {float(result.means.max()):+.4f})",
        markup=False,
    )
    out.print(
        f"  EVPI {result.evpi:.4f} ± {result.evpi_se:.4f} (knowing every judgment before choosing)",
        markup=False,
    )
    table = Table(
        title="value of learning each judgment first (EVPPI, regression estimator)",
        title_justify="left",
    )
    for col, right in (("judgment", False), ("EVPPI", True), ("± se", True), ("of EVPI", True)):
        table.add_column(col, justify="right" if right else "left")
    for row in result.rows():
        frac = row["of_evpi"]
        table.add_row(
            str(row["label"]),
            f"{row['evppi']:.4f}",
            f"{row['se']:.4f}",
            "" if frac is None else f"{frac:.0%}",
        )
    out.print(table)
    out.print(
        f"{d.rows} design rows × {d.episodes} episodes on common random numbers, seed {d.seed}; "
        f"standard errors from {result.resamples} bootstrap resamples of the rows",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
