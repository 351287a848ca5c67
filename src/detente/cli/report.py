"""``detente report FILE [--worldviews a,b] [--models …] -o report.html [--format html|pdf]``.

Writes one self-contained HTML file (see :mod:`detente.report.html`). ``--format pdf`` renders
that file with headless Chromium (:mod:`detente.report.pdf`); without Chromium it exits 2 saying
so. Exit codes follow DESIGN.md: 0 ok, 2 bad input or an output that cannot be written; the file
is written under a temporary name and renamed into place (no partial report, ever).
"""

from __future__ import annotations

import subprocess
import tempfile
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import (
    FileArg,
    SeedOpt,
    WorkersOpt,
    bad_input_exits,
    err,
    fail,
    load_or_exit,
    require,
)
from detente.cli.exits import output_failed, write_atomically


class ReportFormat(StrEnum):
    """``--format`` of ``report`` (a page, not a data format: see :class:`~.common.Format`)."""

    html = "html"
    pdf = "pdf"


def _power_of_two(flag: str, n: int, zero_ok: bool) -> None:
    if not (n == 0 and zero_ok) and (n < 2 or n & (n - 1)):
        expected = "0 or a power of 2" if zero_ok else "a power of 2, at least 2"
        fail(f"{flag} must be {expected} (got {n})")


def report(
    file: FileArg,
    output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
    worldviews: Annotated[
        str | None, typer.Option("--worldviews", help="a,b: worldviews to compare")
    ] = None,
    models: Annotated[
        str | None, typer.Option("--models", help="comma-separated (default: all but exchange)")
    ] = None,
    fmt: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.html,
    draws: Annotated[int, typer.Option("--draws", min=2, help="Monte Carlo draws per model")] = 300,
    episodes: Annotated[int, typer.Option("--episodes", help="game episodes")] = 1000,
    seed: SeedOpt = 0,
    crux_output: Annotated[
        str | None,
        typer.Option(
            "--crux-output",
            help="forecast:ISSUE | strategies[:METRIC] | "
            "strategy:METRIC (default: the first issue)",
        ),
    ] = None,
    threshold: Annotated[
        float | None, typer.Option("--threshold", help="deciding value of the crux forecast")
    ] = None,
    sensitivity_n: Annotated[int, typer.Option("--sensitivity-n")] = 128,
    game_sensitivity_n: Annotated[
        int,
        typer.Option(
            "--game-sensitivity-n",
            help="Sobol base samples for the strategy-game chart (a power of 2; 0: none)",
        ),
    ] = 32,
    panel_episodes: Annotated[
        int,
        typer.Option(
            "--panel-episodes",
            min=0,
            help="episodes per evaluation of the crux panel (two worldviews, scorecards; 0: none)",
        ),
    ] = 200,
    workers: WorkersOpt = 1,
) -> None:
    """One self-contained HTML report (or PDF) of the scenario and its cruxes."""
    require("detente report", "report", "plotly", "jinja2")
    require("detente report", "sensitivity", "SALib")  # its Sobol charts
    from detente.models import get_model
    from detente.report.html import ReportOptions, build_report
    from detente.report.pdf import find_chromium, html_to_pdf

    chromium = find_chromium() if fmt is ReportFormat.pdf else None
    if fmt is ReportFormat.pdf and chromium is None:
        fail(
            "--format pdf needs Chromium (apt-get install chromium); "
            "use --format html and print from a browser"
        )
    if not output.parent.is_dir():  # before the long computation, not after it
        fail(f"{output}: parent directory {output.parent} does not exist")
    if output.is_dir():
        fail(f"{output}: is a directory, expected a file to write")
    _power_of_two("--sensitivity-n", sensitivity_n, zero_ok=False)
    _power_of_two("--game-sensitivity-n", game_sensitivity_n, zero_ok=True)
    loaded = load_or_exit(file)
    with bad_input_exits():  # an unknown model: exit 2
        chosen = [get_model(m.strip()) for m in (models or "").split(",") if m.strip()]
    opts = ReportOptions(
        worldviews=[w.strip() for w in (worldviews or "").split(",") if w.strip()],
        models=chosen,
        draws=draws,
        seed=seed,
        episodes=episodes,
        sensitivity_n=sensitivity_n,
        game_sensitivity_n=game_sensitivity_n,
        crux_output=crux_output,
        threshold=threshold,
        panel_episodes=panel_episodes,
        panel_workers=workers,
    )
    with bad_input_exits():
        try:
            page = build_report(loaded, opts)
        except (ValueError, KeyError) as exc:
            fail(str(exc).strip("'"))
    # written to a temporary sibling and renamed into place: a full disk or Ctrl-C leaves no
    # partial file and an earlier report as it was (issue 21, item 4)
    try:
        if fmt is ReportFormat.html:
            write_atomically(output, page)
        else:
            assert chromium is not None
            with tempfile.TemporaryDirectory(prefix="detente-report-") as tmp:
                html_file = Path(tmp) / "report.html"
                html_file.write_text(page, encoding="utf-8")
                try:
                    html_to_pdf(html_file, Path(tmp) / "report.pdf", chromium)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    fail(str(exc))
                write_atomically(output, (Path(tmp) / "report.pdf").read_bytes())
    except OSError as exc:
        output_failed(exc, output)
    err.print(f"wrote {output}", markup=False)
