"""``detente brief FILE [-w W …] [-m M …] [--draws N] [--episodes N] [--seed S] [-f table|json]``.

The scenario's question answered in one pass (``docs/brief.md``): the forecasts of each issue
under each worldview with their Monte Carlo intervals; with a game, the best strategy on each
named scorecard under each worldview and by how much, the game's headline comparison, and the
judgments that decide it (each with its quote or assumption); with a record, how each worldview
fits what happened; and where to look next. The computation is :mod:`detente.analysis.brief`;
this module renders it. A progress bar runs on stderr while it computes (a terminal only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from detente.cli.common import (
    FileArg,
    Format,
    SeedOpt,
    TableJsonOpt,
    accept,
    bad_input_exits,
    console,
    emit,
    err,
    fail,
    load_or_exit,
)

if TYPE_CHECKING:
    from rich.console import Console

    from detente.analysis.brief import Brief
    from detente.models import Model


def brief(
    file: FileArg,
    worldview: Annotated[
        list[str] | None,
        typer.Option(
            "--worldview",
            "-w",
            help="a worldview to brief (repeatable; `base`: no overrides; default: all)",
        ),
    ] = None,
    model: Annotated[
        list[str] | None,
        typer.Option("--model", "-m", help="a model (repeatable; default: the per-issue models)"),
    ] = None,
    draws: Annotated[
        int, typer.Option("--draws", min=2, help="Monte Carlo draws per forecast")
    ] = 200,
    episodes: Annotated[
        int, typer.Option("--episodes", "-n", min=2, help="episodes per strategy comparison")
    ] = 200,
    seed: SeedOpt = 0,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """The question answered: forecasts, the best strategy per scorecard, the cruxes, the record."""
    from detente.analysis.brief import BriefOptions, steps
    from detente.analysis.brief import brief as compute

    accept(fmt, Format.table, Format.json)
    loaded = load_or_exit(file)
    with bad_input_exits():
        models = _models(model or [])
        opts = BriefOptions(
            worldviews=list(worldview or []),
            models=models,
            draws=draws,
            episodes=episodes,
            seed=seed,
        )
        known = {"base", *(w.id for w in loaded.scenario.worldviews)}
        unknown = [w for w in opts.worldviews if w not in known]
        if unknown:
            fail(
                f"{file}: unknown worldview {unknown[0]!r} (expected one of: "
                f"{', '.join(sorted(known))})"
            )
        result = _run(compute, loaded, opts, steps(loaded, opts))
    if fmt is Format.json:
        emit(result.to_dict(), Format.json, indent=1)
        return
    _render(result, console(width=150, highlight=False))


def _models(names: list[str]) -> list[Model]:
    from detente.models import get_model

    return [get_model(n) for n in dict.fromkeys(names)]


def _run(compute: object, loaded: object, opts: object, total: int) -> Brief:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("brief", total=total)

        def tick(label: str) -> None:
            bar.update(task, advance=1, description=label)

        result: Brief = compute(loaded, opts, tick)  # type: ignore[operator]
    return result


def _f(x: float | None, spec: str = ".1f") -> str:
    return "—" if x is None or x != x else format(x, spec)


def _render(b: Brief, con: Console) -> None:
    con.print(f"{b.title}  ({b.scenario}, sha256 {b.sha256[:12]})", markup=False, style="bold")
    if b.question:
        con.print(f"Question: {b.question}", markup=False)
    game = f"; {b.episodes} episodes per strategy comparison" if b.answers else ""
    con.print(
        f"seed {b.seed}; {b.draws} Monte Carlo draws per forecast{game}",
        markup=False,
        style="dim",
    )
    for w in b.worldviews:
        con.print(f"  {w['id']}: {w['label']}", markup=False, style="dim")
    con.print()
    views = [w["id"] for w in b.worldviews]
    _forecast_table(b, views, con)
    if b.answers:
        _answer_table(b, views, con)
    if b.headlines:
        _headline_table(b, con)
    for c in b.cruxes:
        _crux_table(c, con)
    if b.record is not None:
        _record_table(b, con)
    if b.levers:
        _lever_table(b, con)
    for note in b.notes:
        con.print(f"note: {note}", markup=False, style="dim")
    con.print("Where to look next:", markup=False, style="bold")
    for s in b.next_steps:
        con.print(f"  {s}", markup=False)


def _forecast_table(b: Brief, views: list[str], con: Console) -> None:
    from detente.analysis.calibration import CAVEAT, LABEL

    t = Table(
        title="Forecasts: point [Monte Carlo 5–95 % over the judgments]; below it, the model's "
        "80 % interval calibrated on its errors in EU legislative bargaining (DEU III)",
        caption=f"DEU 80 %: {LABEL}; caveat: {CAVEAT}",
        title_justify="left",
        caption_justify="left",
    )
    t.add_column("issue")
    t.add_column("model")
    for v in views:
        t.add_column(v, justify="right")
    cells: dict[tuple[str, str, str], str] = {
        (f.issue, f.model, f.worldview): f"{f.point:.1f} [{f.mc_p05:.1f}, {f.mc_p95:.1f}]"
        + ("" if f.deu80 is None else f"\nDEU 80 %: {f.deu80[0]:.3g}–{f.deu80[1]:.3g}")
        for f in b.forecasts
    }
    rows = list(dict.fromkeys((f.issue, f.label, f.model) for f in b.forecasts))
    for issue, label, model in rows:
        t.add_row(label, model, *(cells.get((issue, model, v), "—") for v in views))
    con.print(t, markup=False)


def _answer_table(b: Brief, views: list[str], con: Console) -> None:
    t = Table(
        title="The answer: the best strategy on each scorecard (score; margin over the "
        "runner-up, paired, 90 % interval)",
        title_justify="left",
    )
    t.add_column("scorecard")
    for v in views:
        t.add_column(v)
    by = {(a.scorecard, a.worldview): a for a in b.answers}
    for card in dict.fromkeys(a.scorecard for a in b.answers):
        label = next(a.label for a in b.answers if a.scorecard == card)
        cells = []
        for v in views:
            a = by.get((card, v))
            if a is None:
                cells.append("—")
                continue
            m = a.margin
            margin = (
                ""
                if m is None
                else f"\n+{m.mean:.3f} [{m.lo:+.3f}, {m.hi:+.3f}] over {a.runner_up}"
            )
            cells.append(f"{a.best} ({a.score:.2f}){margin}")
        t.add_row(f"{card}: {label}", *cells)
    con.print(t, markup=False)


def _headline_table(b: Brief, con: Console) -> None:
    h0 = b.headlines[0]
    t = Table(
        title=f"The headline: {h0.label}, {h0.a} − {h0.b} (paired, 90 % interval)",
        title_justify="left",
    )
    t.add_column("worldview")
    t.add_column("difference", justify="right")
    for h in b.headlines:
        d = h.difference
        t.add_row(h.worldview, f"{d.mean:+.3f} [{d.lo:+.3f}, {d.hi:+.3f}]")
    con.print(t, markup=False)


def _crux_table(c: object, con: Console) -> None:
    from detente.analysis.brief import CruxSummary

    assert isinstance(c, CruxSummary)
    t = Table(
        title=f"What decides it on scorecard {c.scorecard}: {c.a} → {c.b}, one judgment at a "
        f"time ({len(c.cruxes)} of {c.differing} differing)",
        caption=f"{c.a}: {c.conclusion_a}; {c.b}'s judgments swapped in: {c.conclusion_b} (the "
        f"swaps are played on {c.a}'s calendar; the bases in full: --format json or detente cite "
        "--context)",
        title_justify="left",
        caption_justify="left",
    )
    t.add_column("judgment")
    t.add_column(c.a)
    t.add_column(c.b)
    t.add_column("effect", justify="right")
    t.add_column("flips alone")
    t.add_column("basis", max_width=70)
    for x in c.cruxes:
        t.add_row(
            x.label,
            x.value_a,
            x.value_b,
            f"{x.effect:+.3f}",
            "yes" if x.flips_alone else "no",
            f"{c.a}: {_short(x.basis_a)}\n{c.b}: {_short(x.basis_b)}",
        )
    con.print(t, markup=False)


def _short(text: str, limit: int = 150) -> str:
    """A basis cut at a word boundary for the table (the JSON keeps it whole)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


def _record_table(b: Brief, con: Console) -> None:
    r = b.record
    assert r is not None
    t = Table(
        title=f"The record: {r.file} {r.start}..{r.end} ({r.months} months), the coalition's "
        "moves as they were",
        title_justify="left",
    )
    for col in ("worldview", "log-lik", "± MC", "P(no talks)", "P(worldview | record)"):
        t.add_column(col, justify="left" if col == "worldview" else "right")
    for f in r.fits:
        t.add_row(
            f.worldview,
            _f(f.log_likelihood, ".2f"),
            _f(f.mc_se, ".3f"),
            _f(f.p_no_talks, ".3f"),
            _f(f.posterior, ".3f"),
        )
    con.print(t, markup=False)


def _lever_table(b: Brief, con: Console) -> None:
    t = Table(
        title=f"Levers ({b.levers[0].model}): the smallest change of one actor that carries the "
        "forecast to the next anchor up or down (size 1 = the whole scale or range)",
        title_justify="left",
    )
    for col in ("issue", "from → to", "actor", "change", "size", "forecast"):
        t.add_column(col, justify="right" if col in ("size", "forecast") else "left")
    for x in b.levers:
        to = f"{x.baseline:.2f} → {x.target:.2f}" + (f" ({x.anchor})" if x.anchor else "")
        t.add_row(x.issue, to, x.actor, x.change, f"{x.size:.3f}", f"{x.forecast:.2f}")
    con.print(t, markup=False)


__all__ = ["brief"]
