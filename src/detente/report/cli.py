"""``detente report FILE [--worldviews a,b] [--models …] -o report.html [--format html|pdf]``.

Writes one self-contained HTML file (see :mod:`detente.report.html`). ``--format pdf`` renders
that file with headless Chromium's ``--print-to-pdf`` (the page's ``@media print`` stylesheet);
without Chromium it exits 2 saying so. Exit codes follow DESIGN.md: 0 ok, 2 bad input.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

import typer

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")
#: flags for a quiet, offline headless run (no first-run UI, no background network)
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium() -> str | None:
    """The path of a Chromium-like browser on PATH, or None."""
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


def html_to_pdf(html_file: Path, pdf_file: Path, chromium: str, timeout: float = 120) -> None:
    """Print ``html_file`` to ``pdf_file`` with headless Chromium (raises RuntimeError)."""
    with tempfile.TemporaryDirectory(prefix="detente-chromium-") as profile:
        cmd = [
            chromium,
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--virtual-time-budget=10000",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf_file}",
            html_file.resolve().as_uri(),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0 or not pdf_file.exists():
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-500:]}")


def register(app: typer.Typer) -> None:
    """Add ``report`` to ``app``."""
    from detente.cli import bad_input_exits, err, load_or_exit

    @app.command("report")
    def report_cmd(
        file: Annotated[Path, typer.Argument(help="scenario file")],
        output: Annotated[Path, typer.Option("--output", "-o", help="file to write")],
        worldviews: Annotated[
            str | None, typer.Option("--worldviews", help="a,b: worldviews to compare")
        ] = None,
        models: Annotated[
            str | None, typer.Option("--models", help="comma-separated (default: all but exchange)")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", "-f", help="html | pdf")] = "html",
        draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws per model")] = 300,
        episodes: Annotated[int, typer.Option("--episodes", help="game episodes")] = 1000,
        seed: Annotated[int, typer.Option("--seed")] = 0,
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
    ) -> None:
        """One self-contained HTML report (or PDF) of the scenario and its cruxes."""
        from detente.models import get_model
        from detente.report.html import ReportOptions, build_report

        if fmt not in ("html", "pdf"):
            err.print(f"error: --format must be html or pdf (got {fmt!r})", markup=False)
            raise typer.Exit(2)
        chromium = find_chromium() if fmt == "pdf" else None
        if fmt == "pdf" and chromium is None:
            err.print(
                "error: --format pdf needs Chromium (apt-get install chromium); "
                "use --format html and print from a browser",
                markup=False,
            )
            raise typer.Exit(2)
        if draws < 2:
            err.print("error: --draws must be at least 2", markup=False)
            raise typer.Exit(2)
        for flag, n, zero_ok in (
            ("--sensitivity-n", sensitivity_n, False),
            ("--game-sensitivity-n", game_sensitivity_n, True),
        ):
            if not (n == 0 and zero_ok) and (n < 2 or n & (n - 1)):
                expected = "0 or a power of 2" if zero_ok else "a power of 2, at least 2"
                err.print(f"error: {flag} must be {expected} (got {n})", markup=False)
                raise typer.Exit(2)
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
        )
        with bad_input_exits():
            try:
                page = build_report(loaded, opts)
            except (ValueError, KeyError) as exc:
                err.print(f"error: {str(exc).strip(chr(39))}", markup=False)
                raise typer.Exit(2) from None
        if fmt == "html":
            output.write_text(page, encoding="utf-8")
        else:
            assert chromium is not None
            with tempfile.TemporaryDirectory(prefix="detente-report-") as tmp:
                html_file = Path(tmp) / "report.html"
                html_file.write_text(page, encoding="utf-8")
                try:
                    html_to_pdf(html_file, output, chromium)
                except (RuntimeError, subprocess.TimeoutExpired) as exc:
                    err.print(f"error: {exc}", markup=False)
                    raise typer.Exit(2) from None
        err.print(f"wrote {output}", markup=False)
