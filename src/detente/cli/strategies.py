"""``detente strategies FILE [--worldview W] --seed S --episodes N --format table|json``.

FILE is a scenario with a ``game:`` section (loaded and validated by
:func:`~detente.cli.common.load_or_exit` like every other command's, warnings included;
worldviews applied by ``with_worldview``), such as ``scenarios/korea-peace-declaration.yaml``.
Exit codes follow DESIGN.md: 0 ok, 2 bad input.
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
    WorldviewOpt,
    accept,
    bad_input_exits,
    emit,
    fail,
    load_or_exit,
)

if TYPE_CHECKING:
    import pandas as pd


def render_table(df: pd.DataFrame, console: Console, title: str) -> None:
    from detente.strategy.metrics import MIX, metric

    metrics = [metric(m) for m in dict.fromkeys(df["metric"])]
    for type_id in dict.fromkeys(df["type"]):
        sub = df[df["type"] == type_id]
        heading = "type mix (worldview priors)" if type_id == MIX else f"target type: {type_id}"
        table = Table(title=f"{title} — {heading}", title_justify="left")
        table.add_column("strategy", style="bold")
        for m in metrics:
            table.add_column(m.label, justify="right")
        for sid in dict.fromkeys(sub["strategy"]):
            rows = sub[sub["strategy"] == sid].set_index("metric")
            table.add_row(
                sid,
                *(
                    m.cell(rows.at[m.name, "mean"], rows.at[m.name, "lo"], rows.at[m.name, "hi"])
                    for m in metrics
                ),
            )
        console.print(table)
    console.print("[dim]mean [95% Monte Carlo interval]; see docs/models/strategy-game.md[/dim]")


def strategies(
    file: FileArg,
    worldview: WorldviewOpt = None,
    seed: SeedOpt = 0,
    episodes: Annotated[
        int, typer.Option("--episodes", "-n", min=2, help="Monte Carlo episodes")
    ] = 2000,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Every strategy against every target type and the worldview's type mix."""
    from detente.scenario.load import with_worldview
    from detente.strategy.simulate import run_strategies

    accept(fmt, Format.table, Format.json)
    loaded = load_or_exit(file)
    with bad_input_exits():
        scenario = with_worldview(loaded, worldview)
    if scenario.game is None:
        fail(f"{file}: the scenario has no `game:` section")
    name = scenario.id
    df = run_strategies(scenario.game, seed, episodes)
    if fmt is Format.json:
        payload = {
            "scenario": name,
            "worldview": worldview,
            "seed": seed,
            "episodes": episodes,
            "rows": df.to_dict(orient="records"),
        }
        emit(payload, Format.json, indent=1)
        return
    title = f"{name} ({worldview or 'base'}; seed {seed}, {episodes} episodes)"
    render_table(df, Console(width=200), title)
