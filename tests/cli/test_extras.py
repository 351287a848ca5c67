"""A missing optional extra is one message naming it, exit 2, never a traceback (issue 21, item 8).

Each extra's commands run with its packages made unimportable (``sys.modules[name] = None``,
which makes ``import name`` raise ImportError and :func:`detente.cli.common.installed` say no).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.cli.common import installed

MINIMAL = Path(__file__).resolve().parents[1] / "scenario" / "data" / "minimal.yaml"
runner = CliRunner()


def _refused(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert message in result.stderr, result.stderr
    assert result.stdout == ""


def test_installed_sees_a_refused_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert installed("json")
    assert not installed("detente_no_such_module")
    monkeypatch.setitem(sys.modules, "json", None)
    assert not installed("json")


@pytest.mark.parametrize("module", ["plotly", "jinja2"])
def test_report_without_the_report_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, module: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    out = tmp_path / "r.html"
    _refused(
        ["report", str(MINIMAL), "-o", str(out)],
        f"error: detente report needs {module}: pip install 'detente[report]'",
    )
    assert not out.exists()


def test_report_without_salib(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "SALib", None)
    _refused(
        ["report", str(MINIMAL), "-o", str(tmp_path / "r.html")],
        "error: detente report needs SALib: pip install 'detente[sensitivity]'",
    )


def test_sensitivity_without_the_sensitivity_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "SALib", None)
    _refused(
        ["sensitivity", str(MINIMAL), "--output", "forecast:talks"],
        "error: detente sensitivity needs SALib: pip install 'detente[sensitivity]'",
    )


@pytest.mark.parametrize("module", ["fastapi", "uvicorn"])
def test_serve_without_the_web_extra(monkeypatch: pytest.MonkeyPatch, module: str) -> None:
    monkeypatch.setitem(sys.modules, module, None)
    _refused(["serve"], f"error: detente serve needs {module}: pip install 'detente[web]'")


def test_simulate_on_ray_without_the_ray_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    _refused(
        ["simulate", str(MINIMAL), "-n", "4", "--backend", "ray"],
        "error: the ray backend needs Ray: pip install 'detente[ray]'",
    )
