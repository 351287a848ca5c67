"""``detente strategies FILE [-w W] --seed S --episodes N [--ablate ID] [-f table|json]``.

Prints every strategy × target type (and the type mix), then one table per scorecard the game
names (``game.scorecards``: a strategy "wins" only on a named scorecard, never on a hidden one).
``--ablate STRATEGY`` prints instead the effect of each rule of a rule-table strategy on each
metric, on common random numbers (docs/models/strategy-game.md, "Composed strategies and
ablation").

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
from detente.cli.common import console as make_console

if TYPE_CHECKING:
    import pandas as pd

    from detente.scenario.game import GameSpec


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
    console.print("mean [95% Monte Carlo interval]; see docs/models/strategy-game.md", style="dim")


def _print_rows(console: Console, title: str, header: list[str], rows: list[list[str]]) -> None:
    table = Table(title=title, title_justify="left")
    for i, column in enumerate(header):
        table.add_column(column, justify="left" if i < 2 else "right", no_wrap=i == 0)
    for row in rows:
        table.add_row(*row)
    console.print(table)


def render_scorecards(frames: dict[str, pd.DataFrame], game: GameSpec, console: Console) -> None:
    from detente.strategy.scorecards import scorecard, scorecard_heading, scorecard_rows

    for card_id, frame in frames.items():
        header, rows = scorecard_rows(frame)
        _print_rows(console, scorecard_heading(scorecard(game, card_id)), header, rows)
    console.print(
        "score: weighted mean of the metrics, each normalised by its range across the "
        "strategies (0 worst … 1 best) [95% interval]; gap: paired difference to the next; "
        "docs/models/strategy-game.md#scorecards",
        style="dim",
    )


def strategies(
    file: FileArg,
    worldview: WorldviewOpt = None,
    seed: SeedOpt = 0,
    episodes: Annotated[
        int, typer.Option("--episodes", "-n", min=2, help="Monte Carlo episodes")
    ] = 2000,
    ablate: Annotated[
        str | None,
        typer.Option(
            "--ablate",
            metavar="STRATEGY",
            help="instead: the effect of each rule of this rule-table strategy on each metric",
        ),
    ] = None,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Every strategy against every target type and the worldview's type mix."""
    from detente.scenario.load import with_worldview
    from detente.strategy.simulate import build_episodes, run_strategies

    accept(fmt, Format.table, Format.json)
    loaded = load_or_exit(file)
    with bad_input_exits():
        scenario = with_worldview(loaded, worldview)
    if scenario.game is None:
        fail(f"{file}: the scenario has no `game:` section")
    name = scenario.id
    game = scenario.game
    with bad_input_exits():
        game.history  # noqa: B018 - a dated worldview reads the record now (located errors)
    as_of = game.as_of
    dated = f", as of {as_of}" if as_of else ""
    title = f"{name} ({worldview or 'base'}{dated}; seed {seed}, {episodes} episodes)"
    if ablate is not None:
        _ablation(game, ablate, seed, episodes, fmt, title, name, worldview)
        return
    df = run_strategies(game, seed, episodes)
    frames: dict[str, pd.DataFrame] = {}
    if game.scorecards:
        from detente.strategy.scorecards import scorecard_tables

        # the episodes run_strategies plays; every scorecard shares one play of each strategy
        frames = scorecard_tables(game, build_episodes(game, seed, episodes))
    if fmt is Format.json:
        payload: dict[str, object] = {
            "scenario": name,
            "worldview": worldview,
            **({"as_of": as_of} if as_of else {}),
            "seed": seed,
            "episodes": episodes,
            "rows": df.to_dict(orient="records"),
        }
        if frames:  # only for a game with scorecards, so other games' JSON is unchanged
            payload["scorecards"] = {k: f.to_dict(orient="records") for k, f in frames.items()}
        emit(payload, Format.json, indent=1)
        return
    console = make_console(width=200)
    render_table(df, console, title)
    if frames:
        render_scorecards(frames, game, console)


def _ablation(
    game: GameSpec,
    strategy_id: str,
    seed: int,
    episodes: int,
    fmt: Format,
    title: str,
    name: str,
    worldview: str | None,
) -> None:
    from detente.strategy.ablation import ablate, ablation_rows

    try:
        df = ablate(game, strategy_id, seed, episodes)
    except KeyError as exc:
        fail(f"--ablate: {exc.args[0] if exc.args else exc}")
    except ValueError as exc:
        fail(f"--ablate: {exc}")
    if fmt is Format.json:
        payload = {
            "scenario": name,
            "worldview": worldview,
            **({"as_of": game.as_of} if game.as_of else {}),
            "seed": seed,
            "episodes": episodes,
            "strategy": strategy_id,
            "rows": df.to_dict(orient="records"),
        }
        emit(payload, Format.json, indent=1)
        return
    header, rows = ablation_rows(df)
    console = make_console(width=200)
    _print_rows(
        console,
        f"{title} — ablation of {strategy_id}: effect of each rule (with − without) "
        "[paired 95% interval]",
        header,
        rows,
    )
