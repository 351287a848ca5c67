"""``detente hindcast FILE [-w W …] --episodes N --seed S [-f table|json]``.

Holds the game against the scenario's ``record:`` section (``docs/hindcast.md``): per worldview
(``base`` names the scenario without overrides; default: the base and every worldview), the
log-likelihood of the target's recorded moves with the coalition's moves fixed to the record's
(± its Monte Carlo standard error), P(no talks) over the window, the posterior over worldviews
(equal prior odds) and over types, and the months the record finds most surprising. The
computation is :mod:`detente.analysis.hindcast`. Exit codes follow DESIGN.md: 0 ok, 2 bad input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
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
    fail,
    load_or_exit,
)

if TYPE_CHECKING:
    from detente.analysis.hindcast import Hindcast

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
    fmt: TableJsonOpt = Format.table,
) -> None:
    """The likelihood of the target's recorded moves under each worldview."""
    from detente.analysis.hindcast import common_start, load_mapped, payload
    from detente.analysis.hindcast import hindcast as run
    from detente.scenario.load import with_worldview

    accept(fmt, Format.table, Format.json)
    loaded = load_or_exit(file)
    sc = loaded.scenario
    if sc.game is None or sc.record is None:
        fail(f"{file}: the scenario has no `game:` and `record:` sections to hindcast")
    spec = sc.record
    known = [w.id for w in sc.worldviews]
    names = list(dict.fromkeys(worldview)) if worldview else [BASE, *known]
    with bad_input_exits():
        mapped = load_mapped(spec, loaded.file, loaded.lines)
        results: list[Hindcast] = []
        games = []
        for name in names:
            wv = None if name == BASE and BASE not in known else name
            scenario = with_worldview(loaded, wv)
            assert scenario.game is not None
            games.append((name, wv, scenario.game))
            try:
                results.append(run(scenario.game, mapped, seed, episodes, wv))
            except ValueError as exc:
                fail(f"{file}: worldview {name}: {exc}")
        # worldviews with different dates score different months: the posterior over them
        # comes from the months they all score
        start = common_start(results)
        common: list[Hindcast] = []
        if start is not None:
            for name, wv, game in games:
                try:
                    common.append(run(game, mapped, seed, episodes, wv, score_from=start))
                except ValueError as exc:
                    fail(f"{file}: worldview {name}: {exc}")
    data = payload(sc.id, spec, mapped, results, seed, episodes, common)
    if fmt is Format.json:
        emit(data, Format.json, indent=1)
        return
    _render(data, console(width=160, highlight=False), sc.id)


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
