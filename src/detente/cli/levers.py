"""``detente levers``: whom to persuade, and how far, to move one issue's forecast to a target.

See :mod:`detente.analysis.levers` and ``docs/levers.md``. Exit codes follow DESIGN.md: 0 ok,
2 bad input or usage (no traceback).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table
from rich.text import Text

from detente.cli.common import (
    Backend,
    BackendOpt,
    FileArg,
    Format,
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
    from detente.analysis.levers import LeverReport, LeverResult


def _split(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [w.strip() for w in text.split(",") if w.strip()]


def _rows(results: tuple[LeverResult, ...], names: dict[str, str], pairs: bool) -> Table:
    table = Table(title="pairs (L∞)" if pairs else "levers", title_justify="left")
    table.add_column("rank", justify="right")
    table.add_column("actor" + ("s" if pairs else ""))
    table.add_column("change")
    table.add_column("size", justify="right")
    table.add_column("forecast", justify="right")
    table.add_column("at 99 %", justify="right")
    rank = 0
    for r in results:
        if not r.reachable:
            continue
        rank += 1
        table.add_row(
            str(rank),
            Text(" + ".join(names.get(a, a) for a in r.actor_ids)),
            Text("; ".join(r.describe_change(k) for k in range(len(r.levers)))),
            f"{r.size:.4f}",
            f"{r.forecast:.4g}" if r.forecast is not None else "",
            f"{r.forecast_99:.4g}" if r.forecast_99 is not None else "",
        )
    return table


def _print(report: LeverReport, title: str, names: dict[str, str]) -> None:
    out.print(
        f"{title}: {report.issue} — {report.model}: forecast {report.baseline:.4g}, "
        f"target {report.target:g} ({report.direction})",
        markup=False,
    )
    out.print(_rows(report.singles, names, pairs=False))
    unreachable = [r for r in report.singles if not r.reachable]
    if unreachable:
        listed = ", ".join(
            f"{names.get(r.actor_ids[0], r.actor_ids[0])} {r.levers[0].dimension} "
            f"({r.progress:.0%} of the way)"
            for r in unreachable
        )
        out.print(f"not reachable within their bounds: {listed}", markup=False)
    if report.pair_candidates:
        better = tuple(r for r in report.pairs if r.beats_singles)
        out.print(_rows(better, names, pairs=True))
        out.print(
            f"{len(report.pairs)} pairs of the top {report.pair_candidates} levers searched; "
            f"{len(better)} need less of each actor than either one's lever alone",
            markup=False,
        )
    out.print(f"{report.runs} model runs", markup=False)


def levers(
    file: FileArg,
    issue: Annotated[str, typer.Option("--issue", help="the issue's id")],
    target: Annotated[float, typer.Option("--target", help="the forecast to reach or cross")],
    model: Annotated[
        str, typer.Option("--model", "-m", help="model name (see `detente models`)")
    ] = "compromise",
    worldview: WorldviewOpt = None,
    pairs: Annotated[bool, typer.Option("--pairs", help="also two actors together")] = False,
    top: Annotated[int, typer.Option("--top", help="pairs combine the top K single levers")] = 6,
    actors: Annotated[
        str | None, typer.Option("--actors", help="only these actors: a,b,c (default: all)")
    ] = None,
    dimensions: Annotated[
        str,
        typer.Option("--dimensions", help="some of position,salience,capability"),
    ] = "position,salience,capability",
    capability_factor: Annotated[
        float,
        typer.Option("--capability-factor", help="capability may change by this factor at most"),
    ] = 10.0,
    scan: Annotated[
        int,
        typer.Option(
            "--scan", help="coarse scan points per side of a lever's range (0: the extremes only)"
        ),
    ] = 8,
    workers: WorkersOpt = 1,
    backend: BackendOpt = Backend.local,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """The smallest change of one actor's position, salience or capability (or of two actors)
    that moves an issue's forecast to the target or across it, ranked."""
    from detente.analysis.decision import Runner
    from detente.analysis.levers import LeverInputError, find_levers, report_json
    from detente.scenario.load import with_worldview
    from detente.scenario.problem import to_problem

    accept(fmt, Format.table, Format.json)
    if backend is Backend.ray:
        require("detente levers --backend ray", "ray", "ray")
    loaded = load_or_exit(file)
    with bad_input_exits():
        sc = with_worldview(loaded, worldview)
        problem = to_problem(sc)
        try:
            with Runner(workers, backend.value) as runner:
                report = find_levers(
                    problem,
                    issue,
                    target,
                    model,
                    actors=_split(actors),
                    dimensions=_split(dimensions) or [],
                    pairs=pairs,
                    top=top,
                    capability_factor=capability_factor,
                    scan=scan,
                    runner=runner,
                )
        except LeverInputError as exc:
            fail(f"{file}: {exc}")
    if fmt is Format.json:
        body = report_json(report)
        emit({"scenario": sc.id, "worldview": worldview, **body}, Format.json, indent=1)
        return
    title = sc.title + (f" — worldview: {sc.worldview(worldview).label}" if worldview else "")
    _print(report, title, dict(zip(problem.actors, problem.actor_names, strict=True)))
