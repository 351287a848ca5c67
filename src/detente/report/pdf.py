"""Printing a report page to PDF with headless Chromium's ``--print-to-pdf``.

The page's ``@media print`` stylesheet lays it out; :func:`find_chromium` says whether a
Chromium-like browser is on PATH (``detente report --format pdf`` exits 2 without one).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

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
