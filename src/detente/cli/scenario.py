"""``detente validate``, ``schema``, ``models`` and ``cite``: the scenario file and the models on
offer, without computing a forecast."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import (
    FileArg,
    Format,
    TableJsonOpt,
    accept,
    bad_input_exits,
    emit,
    err,
    load_or_exit,
    out,
)


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


def schema() -> None:
    """Print the scenario JSON Schema (for editor completion)."""
    from detente.scenario.jsonschema import scenario_json_schema

    emit(scenario_json_schema(), Format.json, indent=2)


def models() -> None:
    """List the forecasting models."""
    from rich.table import Table

    from detente.models import MODEL_REGISTRY, model_class

    table = Table("name", "model", "source", "dynamic")
    for name in MODEL_REGISTRY:
        try:
            cls = model_class(name)
        except (ImportError, AttributeError):
            table.add_row(name, "(not available)", "", "")
            continue
        table.add_row(name, cls.title, cls.source, "yes" if cls.dynamic else "no")
    emit(table, Format.table)


def cite(
    file: FileArg,
    sources: Annotated[Path, typer.Option("--sources", help="folder holding the source texts")],
    with_context: Annotated[
        bool, typer.Option("--context", help="each quote in its sentence, with fragment flags")
    ] = False,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Check every quoted passage occurs verbatim in its source text (exit 1 on misses).

    With --context: every judgment's number beside the sentence(s) of its quote, and the flags of
    docs/citations.md (exit 1 on a miss or a flag; notes do not count).
    """
    from detente.scenario.cite import check_citations

    accept(fmt, Format.table, Format.json)
    if with_context:
        _cite_context(file, sources, fmt)
        return

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


def _cite_context(file: Path, sources: Path, fmt: Format) -> None:
    from detente.scenario import cite_context as cc

    loaded = load_or_exit(file)
    with bad_input_exits():
        items = cc.cite_contexts(loaded, sources)
    if fmt is Format.json:
        emit(cc.to_json(items), Format.json, indent=2)
    else:
        for line in cc.render_rich(items):
            out.print(line)
    if any(not c.found or c.flagged for c in items):
        raise typer.Exit(1)
