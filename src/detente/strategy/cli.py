"""``detente strategies FILE [--worldview W] --seed S --episodes N --format table|json``.

FILE is a scenario with a ``game:`` section (loaded and validated by
:func:`detente.scenario.load.load_scenario`, worldviews applied by ``with_worldview``), such
as ``scenarios/korea-peace-declaration.yaml``. Exit codes follow DESIGN.md: 0 ok, 2 bad input.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from detente.scenario.game import GameSpec
from detente.strategy.checks import check_strategies
from detente.strategy.metrics import MIX, metric
from detente.strategy.simulate import run_strategies

FORMATS = ("table", "json")


class GameInputError(Exception):
    """A problem with the input file, reported without a traceback."""


def load_game(path: Path, worldview: str | None) -> tuple[GameSpec, str]:
    """The scenario's game with a worldview applied, and the scenario id for the output.

    The file goes through the one scenario loader (safe YAML, located validation, worldview
    overrides), so a game is checked exactly like every other part of a scenario.
    """
    from detente.scenario.errors import InputError
    from detente.scenario.load import load_scenario, with_worldview

    try:
        loaded = load_scenario(path, game_checks=(check_strategies,))
        scenario = with_worldview(loaded, worldview)
    except InputError as exc:
        raise GameInputError(str(exc)) from None
    if scenario.game is None:
        raise GameInputError(f"{path}: the scenario has no `game:` section")
    return scenario.game, scenario.id


def render_table(df: pd.DataFrame, console: Console, title: str) -> None:
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


def _clean(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def register(app: typer.Typer) -> None:
    """Add the ``strategies`` command to ``app``."""

    @app.command("strategies")
    def strategies(
        file: Annotated[Path, typer.Argument(help="scenario YAML with a `game:` section")],
        worldview: Annotated[
            str | None, typer.Option("--worldview", "-w", help="worldview id")
        ] = None,
        seed: Annotated[
            int, typer.Option("--seed", help="random seed (same seed, same results)")
        ] = 0,
        episodes: Annotated[
            int, typer.Option("--episodes", "-n", help="Monte Carlo episodes")
        ] = 2000,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table | json")] = "table",
    ) -> None:
        """Every strategy against every target type and the worldview's type mix."""
        err = Console(stderr=True)
        if fmt not in FORMATS:
            err.print(f"--format must be one of {', '.join(FORMATS)} (got {fmt!r})")
            raise typer.Exit(2)
        if episodes < 2:
            err.print("--episodes must be at least 2")
            raise typer.Exit(2)
        try:
            game, name = load_game(file, worldview)
        except GameInputError as exc:
            err.print(str(exc), markup=False, highlight=False)
            raise typer.Exit(2) from None
        df = run_strategies(game, seed, episodes)
        if fmt == "json":
            payload = {
                "scenario": name,
                "worldview": worldview,
                "seed": seed,
                "episodes": episodes,
                "rows": [
                    {k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")
                ],
            }
            typer.echo(json.dumps(payload, indent=1))
            return
        title = f"{name} ({worldview or 'base'}; seed {seed}, {episodes} episodes)"
        render_table(df, Console(width=200), title)
