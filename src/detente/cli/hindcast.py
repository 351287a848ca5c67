"""``detente hindcast FILE [-w W …] --episodes N --seed S [--workers N] [--backend local|ray]
[--out DIR [--resume]] [-f table|json]``.

Holds the game against the scenario's ``record:`` section (``docs/hindcast.md``): per worldview
(``base`` names the scenario without overrides; default: the base and every worldview), the
log-likelihood of the target's recorded moves with the coalition's moves fixed to the record's
(± its Monte Carlo standard error), P(no talks) over the window, the posterior over worldviews
(equal prior odds) and over types, and the months the record finds most surprising. The
computation is :mod:`detente.analysis.hindcast`, played in blocks of episodes (in parallel, kept
for ``--resume``) by :mod:`detente.analysis.hindcast_run`. Exit codes follow DESIGN.md: 0 ok,
2 bad input or usage, 130/143 interrupted (with ``--out``: no output written, finished blocks
kept).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from detente.cli.common import (
    Backend,
    BackendOpt,
    FileArg,
    Format,
    SeedOpt,
    TableJsonOpt,
    WorkersOpt,
    accept,
    bad_input_exits,
    console,
    emit,
    fail,
    load_or_exit,
    progress_bar,
    require,
)

if TYPE_CHECKING:
    from detente.analysis.hindcast_run import HindcastPlan
    from detente.scenario.load import LoadedScenario

BASE = "base"


def hindcast(
    file: FileArg,
    worldview: Annotated[
        list[str] | None,
        typer.Option(
            "--worldview",
            "-w",
            help="a worldview to score (repeatable; `base`: no overrides; default: all)",
        ),
    ] = None,
    seed: SeedOpt = 0,
    episodes: Annotated[
        int, typer.Option("--episodes", "-n", min=2, help="Monte Carlo episodes")
    ] = 2000,
    workers: WorkersOpt = 1,
    backend: BackendOpt = Backend.local,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="write result.json, provenance.json, run.json"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="continue the unfinished hindcast of --out (same inputs)"),
    ] = False,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """The likelihood of the target's recorded moves under each worldview.

    The episodes are played in blocks (docs/hindcast.md), on --workers processes or Ray, with
    the same result, byte for byte, for any --workers and --backend. With --out, finished blocks
    are kept as they finish (in .OUT.partial); --resume continues an interrupted run from them,
    with the same result as an uninterrupted one.
    """
    from detente.analysis.decision import Runner
    from detente.analysis.hindcast import load_mapped, payload
    from detente.analysis.hindcast_run import View, ViewError, plan_hindcast, run_plan
    from detente.scenario.load import with_worldview

    accept(fmt, Format.table, Format.json)
    if resume and out_dir is None:
        fail("--resume needs --out DIR (the folder of the hindcast to continue)")
    if backend is Backend.ray:
        require("detente hindcast --backend ray", "ray", "ray")
    loaded = load_or_exit(file)
    sc = loaded.scenario
    if sc.game is None or sc.record is None:
        fail(f"{file}: the scenario has no `game:` and `record:` sections to hindcast")
    spec = sc.record
    known = [w.id for w in sc.worldviews]
    names = list(dict.fromkeys(worldview)) if worldview else [BASE, *known]
    with bad_input_exits():
        mapped = load_mapped(spec, loaded.file, loaded.lines)
        views = []
        for name in names:
            wv = None if name == BASE and BASE not in known else name
            game = with_worldview(loaded, wv).game
            assert game is not None
            views.append(View(name, wv, game))
        try:
            plan = plan_hindcast(sc.id, spec, mapped, views, seed, episodes)
        except ViewError as exc:
            fail(f"{file}: worldview {exc.name}: {exc}")
        if out_dir is None:
            with (
                _progress(plan.episodes * len(plan.views)) as advance,
                Runner(workers, backend.value) as runner,
            ):
                results, common = run_plan(plan, runner, progress=advance)
            data = payload(sc.id, spec, mapped, results, seed, episodes, common)
        else:
            data = _to_folder(loaded, plan, out_dir, resume, workers, backend)
    if fmt is Format.json:
        emit(data, Format.json, indent=1)
    else:
        _render(data, console(width=160, highlight=False), sc.id)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None]]:
    """A transient progress bar of episodes on stderr (shown on a terminal only)."""
    progress = progress_bar("hindcast episodes")
    with progress:
        task = progress.add_task("episodes", total=total)
        yield lambda k: progress.advance(task, k)


def _to_folder(
    loaded: LoadedScenario,
    plan: HindcastPlan,
    out_dir: Path,
    resume: bool,
    workers: int,
    backend: Backend,
) -> dict[str, object]:
    """Run ``plan`` in blocks kept as they finish (continuing the unfinished run of ``out_dir``
    when ``resume``) and write the folder (:mod:`detente.analysis.hindcast_run`,
    :func:`detente.cli.blockrun.run_to_folder`); the payload."""
    from detente.analysis import hindcast_run as hr
    from detente.analysis.blockrun import write_folder
    from detente.analysis.decision import Runner
    from detente.analysis.hindcast import payload
    from detente.cli.blockrun import FolderRun, run_to_folder

    def evaluate(done: Any, on_block: Any, progress: Callable[[int], None]) -> dict[str, object]:
        with Runner(workers, backend.value) as runner:
            results, common = hr.run_plan(plan, runner, done, on_block, progress)
        p = plan
        return payload(p.scenario_id, p.spec, p.mapped, results, p.seed, p.episodes, common)

    def write(atomic: Any, data: dict[str, object], info: dict[str, Any]) -> None:
        write_folder(atomic, data, hr.hindcast_provenance(loaded, plan), info)

    return run_to_folder(
        FolderRun(
            out_dir=out_dir,
            rows=plan.episodes * len(plan.views),
            open=lambda: hr.open_run(loaded, plan, out_dir, resume),
            kept=lambda checkpoint: hr.finished_blocks(plan, checkpoint),
            evaluate=evaluate,
            write=write,
            rows_of=lambda a: int(a["prior"].shape[0]),
            workers=workers,
            backend=backend.value,
            label="hindcast episodes",
            unit="episodes",
        ),
        resume,
    )


def _f(x: object, spec: str) -> str:
    return format(x, spec) if isinstance(x, float) and x == x else "—"


def _label(row: dict[str, object]) -> str:
    """The worldview with its information date."""
    as_of = row.get("as_of")
    return f"{row['worldview']} (as of {as_of})" if as_of else str(row["worldview"])


def _render(data: dict[str, object], console: Console, scenario_id: str) -> None:
    rec = data["record"]
    assert isinstance(rec, dict)
    head = (
        f"{scenario_id}: hindcast of {rec['file']} {rec['start']}..{rec['end']} "
        f"(seed {data['seed']}, {data['episodes']} episodes)"
    )
    rows = data["worldviews"]
    assert isinstance(rows, list)
    dated = any("as_of" in r for r in rows)
    summary = Table(title=head, title_justify="left")
    cols = ["worldview", *(["scored"] if dated else []), "log-lik", "± MC", "ESS"]
    cols += ["P(no talks)", "P(worldview)"]
    for col in cols:
        summary.add_column(col, justify="left" if col in ("worldview", "scored") else "right")
    for r in rows:
        summary.add_row(
            _label(r),
            *([f"{r['scored'][0]}..{r['scored'][1]}"] if dated else []),
            _f(r["log_likelihood"], ".2f"),
            _f(r["mc_se"], ".3f"),
            _f(r["ess"], ".0f"),
            _f(r["p_no_talks"], ".3f"),
            _f(r["posterior"], ".3f"),
        )
    console.print(summary, markup=False)
    window = data.get("posterior_window")
    if isinstance(window, list):
        common = data["common"]
        assert isinstance(common, list)
        table = Table(
            title=f"on the months every worldview scores, {window[0]}..{window[1]} "
            "(the posterior over worldviews comes from these)",
            title_justify="left",
        )
        for col in ("worldview", "log-lik", "± MC", "P(no talks)"):
            table.add_column(col, justify="left" if col == "worldview" else "right")
        for r, c in zip(rows, common, strict=True):
            table.add_row(
                _label(r),
                _f(c["log_likelihood"], ".2f"),
                _f(c["mc_se"], ".3f"),
                _f(c["p_no_talks"], ".3f"),
            )
        console.print(table, markup=False)
    for r in rows:
        types = Table(title=f"{_label(r)}: types", title_justify="left")
        for col in ("type", "prior", "posterior", "log-lik if this type"):
            types.add_column(col, justify="left" if col == "type" else "right")
        for t in r["types"]:
            types.add_row(
                t["type"],
                _f(t["prior"], ".3f"),
                _f(t["posterior"], ".3f"),
                _f(t["log_likelihood"], ".2f"),
            )
        console.print(types, markup=False)
        months = Table(title=f"{_label(r)}: most surprising months", title_justify="left")
        for col in ("month", "coalition", "target", "P (mean)", "P (given the record before)"):
            months.add_column(
                col, justify="left" if col in ("month", "coalition", "target") else "right"
            )
        for m in r["surprising"]:
            months.add_row(
                m["month"],
                m["coalition"],
                m["target"],
                _f(m["p_mean"], ".3f"),
                _f(m["p_sequential"], ".3f"),
            )
        console.print(months, markup=False)
    console.print(
        "log-lik: log of the mean over episodes of P(the target's recorded moves), the types "
        "summed by their priors; ± MC: delta-method standard error; P(no talks): product of "
        "the monthly hazards of opening talks along the record; see docs/hindcast.md",
        markup=False,
        style="dim",
    )
