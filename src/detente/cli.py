"""The ``detente`` command line (contract: shared DESIGN.md, "Command-line contract").

Exit codes: 0 ok, 1 a check failed, 2 bad input or usage. Bad input never shows a traceback: it
is reported as ``file:line: field: problem`` lines on stderr.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detente import __version__
from detente.models import (
    MODEL_REGISTRY,
    Forecast,
    ModelInputError,
    UnknownModelError,
    get_model,
    model_class,
)
from detente.scenario.errors import InputError
from detente.scenario.problem import to_problem
from detente.scenario.schema import Scenario
from detente.scenario.validate import LoadedScenario, load_scenario, with_worldview

app = typer.Typer(
    name="detente",
    help="Forecast and stress-test negotiation strategies in multi-actor political bargaining.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn bad input into located messages on stderr and exit status 2."""
    try:
        yield
    except InputError as exc:
        for diag in exc.diagnostics:
            err.print(str(diag), markup=False)
        raise typer.Exit(2) from None
    except (ModelInputError, UnknownModelError) as exc:
        err.print(f"error: {exc}", markup=False)
        raise typer.Exit(2) from None


def load_or_exit(file: Path, *, strict: bool = False) -> LoadedScenario:
    with bad_input_exits():
        loaded = load_scenario(file, strict=strict)
    for warning in loaded.warnings:
        err.print(str(warning), markup=False)
    return loaded


FileArg = Annotated[Path, typer.Argument(help="scenario: detente YAML, KTAB CSV or Decide file")]
WorldviewOpt = Annotated[
    str | None, typer.Option("--worldview", "-w", help="apply a worldview's overrides")
]


@app.command()
def validate(
    file: FileArg,
    strict: Annotated[
        bool, typer.Option(help="treat warnings (e.g. a missing basis) as errors")
    ] = False,
) -> None:
    """Check a scenario file; report every problem as file:line: field: problem."""
    loaded = load_or_exit(file, strict=strict)
    sc = loaded.scenario
    err.print(
        f"{file}: valid ({len(sc.actors)} actors, {len(sc.issues)} issues, "
        f"{len(sc.worldviews)} worldviews, {len(loaded.warnings)} warnings)",
        markup=False,
    )


@app.command()
def schema() -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from detente.scenario.jsonschema import scenario_json_schema

    sys.stdout.write(json.dumps(scenario_json_schema(), indent=2) + "\n")


@app.command()
def models() -> None:
    """List the forecasting models."""
    table = Table("name", "model", "source", "dynamic")
    for name in MODEL_REGISTRY:
        try:
            cls = model_class(name)
        except (ImportError, AttributeError):
            table.add_row(name, "(not available)", "", "")
            continue
        table.add_row(name, cls.title, cls.source, "yes" if cls.dynamic else "no")
    out.print(table)


@app.command()
def cite(
    file: FileArg,
    sources: Annotated[Path, typer.Option("--sources", help="folder holding the source texts")],
) -> None:
    """Check every quoted passage occurs verbatim in its source text (exit 1 on misses)."""
    from detente.scenario.cite import check_citations

    loaded = load_or_exit(file)
    with bad_input_exits():
        checks = check_citations(loaded, sources)
    misses = [c for c in checks if not c.found]
    for miss in misses:
        where = f"{loaded.file}:{miss.line}" if miss.line else loaded.file
        err.print(f'{where}: {miss.field}: {miss.reason}: {miss.doc}: "{miss.quote}"', markup=False)
    found = len(checks) - len(misses)
    err.print(f"{found} of {len(checks)} quotes found verbatim", markup=False)
    if misses:
        raise typer.Exit(1)


def forecast_json(fc: Forecast, scenario: str, worldview: str | None) -> dict[str, Any]:
    """The JSON of the contract: scenario, model, worldview, issues, rounds."""
    problem = fc.problem
    result: dict[str, Any] = {
        "scenario": scenario,
        "model": fc.model,
        "worldview": worldview,
        "parameters": _jsonable(fc.parameters),
        "issues": [
            {"id": issue, "label": label, "forecast": _num(fc.outcome[j])}
            for j, (issue, label) in enumerate(
                zip(problem.issues, problem.issue_labels, strict=True)
            )
        ],
    }
    if fc.rounds:
        result["rounds"] = [
            {
                "positions": {
                    actor: {
                        issue: _num(state.positions[i, j]) for j, issue in enumerate(problem.issues)
                    }
                    for i, actor in enumerate(problem.actors)
                },
                "probabilities": (
                    {actor: _num(state.probabilities[i]) for i, actor in enumerate(problem.actors)}
                    if state.probabilities is not None
                    else None
                ),
            }
            for state in fc.rounds
        ]
    if fc.tables:
        result["tables"] = {
            name: json.loads(frame.to_json(orient="records")) for name, frame in fc.tables.items()
        }
    return result


def _num(x: Any) -> float | None:
    value = float(x)
    return value if math.isfinite(value) else None


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


def run_forecast(
    loaded: LoadedScenario, model: str, worldview: str | None, params: dict[str, Any] | None = None
) -> tuple[Scenario, Forecast]:
    """Apply the worldview, build the problem and run the model (raises on bad input)."""
    sc = with_worldview(loaded, worldview)
    problem = to_problem(sc)
    return sc, get_model(model, **(params or {})).forecast(problem)


def _print_forecast_table(sc: Scenario, fc: Forecast, worldview: str | None) -> None:
    title = f"{sc.title} — {model_class(fc.model).title}"
    if worldview:
        title += f" — worldview: {sc.worldview(worldview).label}"
    table = Table(title=title, title_justify="left")
    table.add_column("issue")
    table.add_column("forecast", justify="right")
    table.add_column("scale")
    table.add_column("what it means")
    for j, issue in enumerate(sc.issues):
        x = float(fc.outcome[j])
        table.add_row(
            issue.label,
            f"{x:.2f}",
            f"{issue.scale.min:g}–{issue.scale.max:g}",
            issue.scale.describe(x),
        )
    out.print(table)
    summary = fc.tables.get("summary")
    if summary is not None and not summary.empty:
        rounds = Table(title="rounds", title_justify="left")
        for column in summary.columns:
            rounds.add_column(str(column), justify="right")
        for row in summary.itertuples(index=False):
            rounds.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
        out.print(rounds)
    elif fc.rounds:
        out.print(f"{len(fc.rounds) - 1} rounds after the initial state", markup=False)
    offers = fc.tables.get("offers")
    if offers is not None:
        out.print(f"{len(offers)} offers made (see --format json for every offer)", markup=False)


@app.command()
def forecast(
    file: FileArg,
    model: Annotated[
        str, typer.Option("--model", "-m", help="model name (see `detente models`)")
    ] = "compromise",
    worldview: WorldviewOpt = None,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f")] = OutputFormat.table,
) -> None:
    """Forecast the outcome of every issue with one model."""
    from detente.scenario.importers import renamed_actors

    loaded = load_or_exit(file)
    with bad_input_exits():
        sc, fc = run_forecast(loaded, model, worldview)
        renamed = renamed_actors(loaded.file)  # ids an importer derived from names: id -> name
    if output_format is OutputFormat.json:
        doc = forecast_json(fc, sc.id, worldview)
        sys.stdout.write(json.dumps(doc | ({"actors": renamed} if renamed else {}), indent=2))
        sys.stdout.write("\n")
    elif output_format is OutputFormat.csv:
        sys.stdout.write(fc.to_frame().to_csv(index=False))
    else:
        _print_forecast_table(sc, fc, worldview)
        if renamed:
            ids = Table("id", "actor", title="actor ids made from the file's names")
            ids.title_justify = "left"
            for ident, name in renamed.items():
                ids.add_row(Text(ident), Text(name))
            out.print(ids)


#: feature modules that add their own commands: module path -> attribute ``register(app)``
COMMAND_MODULES: tuple[str, ...] = (
    "detente.strategy.cli",
    "detente.analysis.backtest_cli",
    "detente.uncertainty.cli",
    "detente.analysis.cli",
    "detente.report.cli",
    "detente.web.cli",
)


def _register_feature_commands() -> None:
    import importlib

    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # A feature module not (yet) present is skipped; a missing dependency inside one
            # that exists is a real error and must surface.
            if exc.name is not None and module_name.startswith(exc.name):
                continue
            raise
        register: Callable[[typer.Typer], None] = module.register
        register(app)


_register_feature_commands()


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        out.print(f"detente {__version__}")
        raise typer.Exit(0)


def main() -> None:
    app()
