"""``detente report``'s options (:mod:`detente.cli.report`); the page itself is tested in
tests/report/test_report.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app


@pytest.mark.parametrize("flag", ["--sensitivity-n", "--game-sensitivity-n"])
def test_sample_sizes_must_be_powers_of_two(tmp_path: Path, emission_yaml: Path, flag: str) -> None:
    out = tmp_path / "x.html"
    res = CliRunner().invoke(app, ["report", str(emission_yaml), "-o", str(out), flag, "12"])
    assert res.exit_code == 2
    assert flag in res.output and "power of 2" in res.output
    assert not out.exists()


def test_format_is_html_or_pdf(tmp_path: Path, emission_yaml: Path) -> None:
    out = tmp_path / "x.html"
    res = CliRunner().invoke(app, ["report", str(emission_yaml), "-o", str(out), "-f", "json"])
    assert res.exit_code == 2
    assert not out.exists()


def test_pdf_without_chromium_says_so(
    tmp_path: Path, emission_yaml: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import detente.report.pdf

    monkeypatch.setattr(detente.report.pdf, "find_chromium", lambda: None)
    out = tmp_path / "x.pdf"
    res = CliRunner().invoke(app, ["report", str(emission_yaml), "-o", str(out), "-f", "pdf"])
    assert res.exit_code == 2
    assert "needs Chromium" in res.stderr
    assert not out.exists()
