"""``detente validate``, ``models``, ``--version`` (:mod:`detente.cli.scenario`); ``cite`` and
``schema`` are tested in tests/scenario/test_cite.py, bad files in tests/scenario/test_broken.py."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

from detente import __version__
from detente.cli import app

runner = CliRunner()

SCENARIOS = ["korea-peace-declaration.yaml", "ec-emission-standards-1994.yaml"]


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_models_lists_the_baselines() -> None:
    result = run("models")
    assert result.exit_code == 0
    for name in ("compromise", "median"):
        assert name in result.stdout
    assert "Achen 2006" in result.stdout and "Black 1948" in result.stdout


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert __version__ in result.stdout


def test_validate_shipped_scenarios_strict(scenarios_dir: Path) -> None:
    for name in SCENARIOS:
        result = run("validate", str(scenarios_dir / name), "--strict")
        assert result.exit_code == 0, result.stderr
        assert result.stdout == ""
        assert "valid (" in result.stderr
