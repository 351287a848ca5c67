"""What every ``detente`` command shares: options, errors, loading a scenario, output.

* the shared options (:data:`FileArg`, :data:`WorldviewOpt`, :data:`SeedOpt`,
  :data:`WorkersOpt`, :data:`BackendOpt` (the one :class:`Backend` enum), and ``--format`` as
  the one :class:`Format` enum: :data:`FormatOpt` for a command that offers table, JSON and
  CSV, :data:`TableJsonOpt` for one that offers table and JSON, checked by :func:`accept`);
* one way to report a usage error (:func:`fail`, exit 2) and bad input (:func:`bad_input_exits`:
  ``file:line: field: problem`` lines, exit 2, never a traceback);
* one way to load a scenario (:func:`load_or_exit`), which prints its warnings on stderr for
  every command alike;
* one way to write a result (:func:`emit`): JSON through the one NaN→null cleaner
  (:func:`detente.models.base.jsonable`), CSV from a frame, a table through rich.

Exit codes (DESIGN.md, "Command-line contract"): 0 ok, 1 a check failed, 2 bad input or usage.

This module imports only typer and rich at start-up: the library (pydantic, numpy, pandas …) is
imported inside the functions that use it, so ``detente --help`` stays fast (issue 14).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.console import RenderableType
    from rich.progress import Progress

    from detente.scenario.game import GameSpec
    from detente.scenario.load import LoadedScenario
    from detente.scenario.schema import Scenario


def console(**options: Any) -> Console:
    """A rich console on which scenario text always prints literally (issue 21, item 2).

    Every console of the command line is made here: Rich markup (``[bold]``, ``[/]``,
    ``[link=…]``) and emoji codes (``:100:`` in ``file.yaml:100:``) are never interpreted, in
    ``print`` arguments, table titles and cells alike, so a label, a name or a location prints as
    it is written. Styling is done with :class:`rich.text.Text` and ``style=``, never markup.
    ``options`` are the other :class:`~rich.console.Console` arguments (``stderr``, ``width``…).
    """
    return Console(markup=False, emoji=False, **options)


out = console(highlight=False, soft_wrap=True)
err = console(stderr=True, highlight=False, soft_wrap=True)


class Format(StrEnum):
    """``--format``: the one output-format enum of every command (each accepts a subset)."""

    table = "table"
    json = "json"
    csv = "csv"


FileArg = Annotated[Path, typer.Argument(help="scenario: detente YAML, KTAB CSV or Decide file")]
WorldviewOpt = Annotated[
    str | None, typer.Option("--worldview", "-w", help="apply a worldview's overrides")
]
SeedOpt = Annotated[
    int, typer.Option("--seed", "-s", min=0, help="random seed (>= 0; same seed, same results)")
]
WorkersOpt = Annotated[
    int, typer.Option("--workers", "-j", min=1, help="worker processes (local) or Ray CPUs")
]


#: ``--max-actors`` of a command that runs the spatial model (``forecast``, ``simulate``)
MaxActorsOpt = Annotated[
    int | None,
    typer.Option(
        "--max-actors",
        min=3,
        help="spatial model: accept up to N actors (default KTAB's limit, 250)",
    ),
]


def spatial_params(model: str, max_actors: int | None) -> dict[str, Any]:
    """The model parameters ``--max-actors`` sets (a usage error, exit 2, for a model other
    than spatial). Not an output parameter: the results are the same."""
    if max_actors is None:
        return {}
    if model != "spatial":
        fail(f"--max-actors applies to --model spatial, not {model!r}")
    return {"max_actors": max_actors}


class Backend(StrEnum):
    """``--backend``: where a heavy analysis runs — ``local`` (this process, or a pool of
    ``--workers`` spawned processes) or ``ray`` (Ray tasks; the ``ray`` extra). Every command
    that offers it gives the same result, byte for byte, on either."""

    local = "local"
    ray = "ray"


#: ``--backend`` of every heavy analysis (``simulate``, ``sensitivity``, ``cruxes``, ``levers``,
#: ``hindcast``)
BackendOpt = Annotated[
    Backend,
    typer.Option("--backend", help="where the work runs: local (--workers processes) | ray"),
]
#: ``--format`` of a command that writes table, JSON or CSV
FormatOpt = Annotated[Format, typer.Option("--format", "-f", help="table | json | csv")]
#: ``--format`` of a command that writes a table or JSON (csv is refused by :func:`accept`)
TableJsonOpt = Annotated[
    Format, typer.Option("--format", "-f", metavar="[table|json]", help="table | json")
]


def progress_bar(label: str) -> Progress:
    """The progress bar of a long run (``simulate``, ``hindcast``, a design written to
    ``--out``): ``label``, the bar, done/total, elapsed and remaining time, on stderr, shown on a
    terminal only and gone when it ends. ``label`` is the command's own text, never a
    scenario's (it is read as Rich markup)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


def fail(message: str, *, located: bool = False) -> NoReturn:
    """Report a usage error or bad input on one stderr line and exit 2 (no traceback).

    A ``located`` message already says where (``file:line: field: problem``) and is printed as
    it is; any other is printed as ``error: message``.
    """
    err.print(message if located else f"error: {message}", markup=False)
    raise typer.Exit(2)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    import importlib.util

    if module in sys.modules:
        return sys.modules[module] is not None  # None: an import of it is refused
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(command: str, extra: str, *modules: str) -> None:
    """Exit 2 naming the extra to install when one of ``modules`` is missing (issue 21, item 8).

    Called by a command before it imports what it needs from an optional extra
    (``pyproject.toml``'s ``[project.optional-dependencies]``), so a missing package is one line
    (``error: detente report needs plotly: pip install 'detente[report]'``), not a
    ``ModuleNotFoundError`` traceback.
    """
    missing = [m for m in modules if not installed(m)]
    if missing:
        fail(f"{command} needs {', '.join(missing)}: pip install 'detente[{extra}]'")


def accept(fmt: Format, *allowed: Format) -> Format:
    """``fmt`` when the command offers it, else a usage error naming the formats it offers."""
    if fmt not in allowed:
        fail(f"--format must be one of {', '.join(allowed)} (got {fmt.value!r})")
    return fmt


def _model_errors() -> tuple[type[Exception], ...]:
    from detente.models import ModelInputError, UnknownModelError

    return ModelInputError, UnknownModelError


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn bad input into located messages on stderr and exit status 2."""
    from detente.scenario.errors import InputError

    try:
        yield
    except InputError as exc:
        for diag in exc.diagnostics:
            err.print(str(diag), markup=False)
        raise typer.Exit(2) from None
    # The models (and numpy) are imported only when an error reaches this clause, so
    # `detente validate` does not load them (start-up, issue 14); and only for an Exception: a
    # Ctrl-C during numpy's import must not import numpy again here (issue 21, item 4).
    except Exception as exc:
        if isinstance(exc, _model_errors()):
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None
        raise


def _check_strategies(game: GameSpec, report: Callable[[str, str], None]) -> None:
    """:func:`detente.strategy.checks.check_strategies`, imported when a scenario has a game.

    The strategy registry imports numpy; a scenario without a game is validated without it
    (start-up, issue 14).
    """
    from detente.strategy.checks import check_strategies

    check_strategies(game, report)


def load_or_exit(file: Path, *, strict: bool = False) -> LoadedScenario:
    """Load and validate a scenario (with the strategy registry's checks) or exit 2.

    The one loader of every command: bad input is reported by :func:`bad_input_exits`, and the
    scenario's warnings are printed on stderr, the same way whichever command asked.
    """
    from detente.scenario.load import load_scenario

    with bad_input_exits():
        loaded = load_scenario(file, strict=strict, game_checks=(_check_strategies,))
    for warning in loaded.warnings:
        err.print(str(warning), markup=False)
    return loaded


def require_finite(
    file: Path,
    sc: Scenario,
    model: str,
    outcome: Any,
    lines: dict[tuple[str | int, ...], int] | None = None,
) -> None:
    """Exit 2 with a located message when a forecast is NaN or infinite (issue 21, item 3).

    ``outcome`` holds one value per issue (a point forecast) or one row per draw (Monte Carlo).
    Validation bounds every number (:data:`detente.scenario.quantity.MAX_MAGNITUDE`); this last
    check guarantees that no command prints a non-finite number as a forecast even so.
    ``lines`` (the loaded scenario's) locates the issue in the file.
    """
    import numpy as np

    values = np.asarray(outcome, dtype=float).reshape(-1, len(sc.issues))
    bad = ~np.isfinite(values)
    if not bad.any():
        return
    row, j = (int(k) for k in np.argwhere(bad)[0])
    where = f" in {int(bad.any(axis=1).sum())} of {len(values)} draws" if len(values) > 1 else ""
    line = (lines or {}).get(("issues", j))
    fail(
        f"{file}{f':{line}' if line else ''}: issues.{sc.issues[j].id}: model {model} gave a "
        "non-finite forecast "
        f"({values[row, j]}){where}: the scenario's numbers are too large or too extreme to "
        "compute with",
        located=True,
    )


def emit(payload: Any, fmt: Format, *, indent: int = 2, console: Console | None = None) -> None:
    """Write a command's result on stdout in ``fmt``.

    ``json``: ``payload`` is JSON data, cleaned by :func:`~detente.models.base.jsonable` (NaN and
    infinities become null) and written with ``indent`` (the command-line contract: scripts rely
    on each command's bytes, so a command keeps its indent: 2 for ``forecast``, ``simulate`` and
    ``backtest``, 1 for ``strategies``, ``compare``, ``sensitivity`` and ``cruxes``). ``csv``:
    ``payload`` is a data frame, written without its index. ``table``: ``payload`` is a rich
    renderable (or a list of them), printed on ``console`` (default: :data:`out`).
    """
    if fmt is Format.json:
        from detente.models.base import jsonable

        sys.stdout.write(json.dumps(jsonable(payload), indent=indent, allow_nan=False) + "\n")
    elif fmt is Format.csv:
        sys.stdout.write(payload.to_csv(index=False))
    else:
        renderables: list[RenderableType] = payload if isinstance(payload, list) else [payload]
        for renderable in renderables:
            (console or out).print(renderable)
