"""``detente report``: a self-contained page with every section, opened in headless Chromium."""

# ruff: noqa: E501  (inline YAML scenarios)
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.report.html import SECTIONS
from detente.report.pdf import CHROMIUM_FLAGS

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"

SCENARIO = """
detente: 1
id: small
title: A small negotiation
question: Will the deal pass?
issues:
  - id: deal
    label: The deal
    scale: {min: 0, max: 100, anchors: {0: nothing, 50: half, 100: everything}}
actors:
  - id: a
    name: Alpha Republic
    capability: {dist: triangular, low: 0.5, mode: 1, high: 1.5, assumption: t}
    stances:
      deal: {position: {dist: uniform, low: 0, high: 20, assumption: t}, salience: {value: 0.9, assumption: t}}
  - id: b
    name: Beta Union
    capability: {value: 1, assumption: t}
    stances:
      deal: {position: {value: 80, assumption: t}, salience: {value: 0.6, assumption: t}}
  - id: c
    name: Gamma League
    capability: {value: 0.5, assumption: t}
    stances:
      deal: {position: {dist: triangular, low: 40, mode: 50, high: 70, assumption: t}, salience: {value: 0.5, assumption: t}}
worldviews:
  - {id: dove, label: Dove, assumption: t, overrides: []}
  - id: hawk
    label: Hawk
    assumption: t
    overrides:
      - path: actors.b.capability
        value: {value: 3, source: {doc: paper, quote: "Beta decides"}}
sources:
  - {id: paper, title: A paper, kind: paper}
"""


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def _report(args: list[str]) -> None:
    res = CliRunner().invoke(app, ["report", *args])
    assert res.exit_code == 0, res.output


def test_report_sections_and_self_contained(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    _report(
        [
            str(_write(tmp_path)),
            "--worldviews",
            "dove,hawk",
            "--models",
            "compromise,expected-utility",
            "--draws",
            "50",
            "--sensitivity-n",
            "32",
            "-o",
            str(out),
        ]
    )
    page = out.read_text(encoding="utf-8")
    for sid, _ in SECTIONS:
        assert f'<section id="{sid}">' in page
    assert "Alpha Republic" in page and "50: half" in page  # the scenario's own words
    assert "Beta decides" in page  # a crux is reported with its quote
    assert "no strategy game" in page  # the absent game degrades to a note
    assert "@media print" in page
    assert not re.search(r"<script[^>]+src=", page)  # no external scripts
    assert not re.search(r"<link[^>]+href=.https?:", page)  # no external stylesheets


def test_report_other_formats(tmp_path: Path, emission_yaml: Path) -> None:
    out = tmp_path / "ec.html"
    _report(
        [
            str(emission_yaml),
            "--models",
            "compromise",
            "--draws",
            "30",
            "--sensitivity-n",
            "16",
            "-o",
            str(out),
        ]
    )
    page = out.read_text(encoding="utf-8")
    assert "Cruxes need two worldviews" in page
    bad = CliRunner().invoke(
        app, ["report", str(emission_yaml), "-o", str(out), "--worldviews", "nope"]
    )
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    bad = CliRunner().invoke(
        app, ["report", str(emission_yaml), "-o", str(out), "--format", "docx"]
    )
    assert bad.exit_code == 2


def _chromium() -> str:
    path = shutil.which("chromium")
    if path is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    return path


def _open(html_file: Path, tmp_path: Path, shot: Path) -> tuple[str, str]:
    """Open the page in headless Chromium: the DOM after scripts ran, and the browser log."""
    base = [
        _chromium(),
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=15000",
        "--window-size=1200,2400",
    ]
    url = html_file.resolve().as_uri()
    dom = subprocess.run(
        [*base, "--dump-dom", url], capture_output=True, text=True, timeout=180, check=False
    )
    subprocess.run(
        [*base, f"--screenshot={shot}", url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return dom.stdout, dom.stderr


def _console_errors(log: str) -> list[str]:
    return [
        line
        for line in log.splitlines()
        if "Uncaught" in line or ("CONSOLE" in line and "rror" in line)
    ]


@pytest.mark.browser
def test_report_opens_in_chromium(tmp_path: Path) -> None:
    _chromium()
    out = tmp_path / "r.html"
    _report(
        [
            str(_write(tmp_path)),
            "--worldviews",
            "dove,hawk",
            "--models",
            "compromise,expected-utility",
            "--draws",
            "50",
            "--sensitivity-n",
            "32",
            "-o",
            str(out),
        ]
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-small.png"
    dom, log = _open(out, tmp_path, shot)
    print(f"screenshot: {shot}")
    assert _console_errors(log) == []
    for sid, title in SECTIONS:
        assert f'id="{sid}"' in dom
        if sid != "question":
            assert title in dom
    # plotly drew its figures (an svg per figure) once the scripts ran
    assert dom.count('class="main-svg"') >= 4
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.slow
@pytest.mark.browser
def test_korea_report_in_chromium(tmp_path: Path, korea_yaml: Path) -> None:
    _chromium()
    out = tmp_path / "korea.html"
    _report(
        [
            str(korea_yaml),
            "--worldviews",
            "engagement,skeptic",
            "--crux-output",
            "forecast:declaration",
            "--threshold",
            "75",
            "-o",
            str(out),
        ]
    )
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "report-korea.png"
    dom, log = _open(out, tmp_path, shot)
    print(f"screenshot: {shot}")
    assert _console_errors(log) == []
    assert "Strategies against target types" in dom and "peace_first" in dom
    assert "ranks first" in dom or "is beaten" in dom


def test_strategy_game_sensitivity_chart(korea_yaml: Path) -> None:
    from detente.report.data import ReportOptions, game_sensitivity
    from detente.report.html import _Figures, render_game_sensitivity
    from detente.scenario.load import load_scenario, with_worldview

    sc = with_worldview(load_scenario(korea_yaml), "engagement")
    opts = ReportOptions(
        worldviews=["engagement", "skeptic"], game_sensitivity_n=4, game_sensitivity_episodes=20
    )

    def part(o: ReportOptions, output: str | None) -> str:
        return render_game_sensitivity(game_sensitivity(sc, "engagement", o, output), _Figures())

    default = part(opts, None)
    assert "What moves the strategy comparison" in default
    assert "p_talks_12m" in default and "engagement" in default
    assert "exactly zero" in default
    # a strategy crux output is analysed itself; 0 samples turns the chart off
    chosen = part(opts, "strategy:cohesion:enticement")
    assert "cohesion" in chosen
    off = ReportOptions(worldviews=["engagement"], game_sensitivity_n=0)
    assert game_sensitivity(sc, "engagement", off, None) is None
    assert part(off, None) == ""
