"""Start-up: ``detente --help`` and ``detente validate`` import none of the heavy libraries.

An import-set test, not a timed one: each command runs in a fresh interpreter under
``python -X importtime`` and the modules it imported are read from stderr. The time itself is
measured by ``bench/bench_startup.py`` (budget 0.3 s, issue 14).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import typer
import typer.main
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "scenario" / "data" / "minimal.yaml"
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
KTAB_SMALL = ROOT.parent / "shared" / "reference" / "ktab" / "SOE-Pol-Comp.csv"
#: what no start-up may import (each costs a large share of the budget, or more)
HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "SALib", "ray", "fastapi")


def imported(*args: str) -> set[str]:
    """Top-level names of every module ``python -m detente ARGS`` imports."""
    return {name.split(".")[0] for name in imported_modules(*args)}


def imported_modules(*args: str) -> set[str]:
    """Full names of every module ``python -m detente ARGS`` imports."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "detente", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return {
        line.split("|")[-1].strip()
        for line in proc.stderr.splitlines()
        if line.startswith("import time:")
    }


@pytest.mark.parametrize("args", [["--help"], ["validate", str(MINIMAL)]], ids=["help", "validate"])
def test_no_heavy_import(args: list[str]) -> None:
    modules = imported(*args)
    assert "detente" in modules and "typer" in modules  # the reading works
    assert not [m for m in HEAVY if m in modules]


def test_help_imports_no_numpy_and_no_pydantic() -> None:
    modules = imported("--help")
    assert "numpy" not in modules and "pydantic" not in modules


@pytest.mark.parametrize("scenario", [MINIMAL, KOREA], ids=["no-game", "korea-with-game"])
def test_validate_imports_no_numpy(scenario: Path) -> None:
    """validate reads the scenario (pydantic, yaml) and checks a game against the strategy and
    metric registries, which import numpy only where a strategy plays (issue 19)."""
    modules = imported("validate", str(scenario))
    assert "pydantic" in modules and "yaml" in modules
    assert "numpy" not in modules and "numba" not in modules


def test_forecast_of_a_ktab_csv_imports_no_frame_library() -> None:
    """``detente forecast KTAB.csv --model spatial`` (the peer benchmark's command) computes
    with numpy alone: the bargains table, which needs pandas, is built only when read."""
    if not KTAB_SMALL.exists():
        pytest.skip(f"KTAB case absent: {KTAB_SMALL}")
    modules = imported("forecast", str(KTAB_SMALL), "--model", "spatial")
    assert "numpy" in modules
    assert not [m for m in (*HEAVY, "numba") if m in modules]


def test_validate_builds_only_its_own_command() -> None:
    """The commands are registered lazily (``detente.cli.COMMANDS``): ``validate`` imports
    its own module and none of the other commands' (nor the Rich table they print with)."""
    from detente.cli import COMMANDS

    modules = imported_modules("validate", str(KOREA))
    assert "detente.cli.scenario" in modules  # the reading works
    others = {f"detente.cli.{module}" for module, _ in COMMANDS.values()} - {"detente.cli.scenario"}
    assert not sorted(others & modules)
    assert "rich.table" not in modules


def _eager_app() -> typer.Typer:
    """The command line as Typer builds it with every command registered up front (what
    ``detente.cli`` did before its lazy registration): the reference for what a user sees."""
    import importlib

    from detente import cli

    eager = typer.Typer(**cli._SETTINGS)
    eager.callback(invoke_without_command=True)(cli._main)
    for name, (module, attr) in cli.COMMANDS.items():
        target = getattr(importlib.import_module(f"detente.cli.{module}"), attr)
        if isinstance(target, typer.Typer):
            eager.add_typer(target, name=name)
        else:
            eager.command(name)(target)
    return eager


def _help_invocations() -> list[list[str]]:
    from detente.cli import COMMANDS

    return [
        [],
        ["--help"],
        ["nosuch"],
        ["valdate"],
        ["backtest", "--help"],
        ["backtest", "deu", "--help"],
    ] + [[name, "--help"] for name in COMMANDS]


@pytest.mark.parametrize("args", _help_invocations(), ids=lambda a: " ".join(a) or "no-args")
def test_lazy_commands_show_what_eager_registration_shows(args: list[str]) -> None:
    """Every help text, usage error and suggestion is the one of the eagerly built command line,
    command for command and in the same order."""
    from detente.cli import app

    runner = CliRunner()
    lazy, eager = runner.invoke(app, args), runner.invoke(_eager_app(), args)
    assert (lazy.exit_code, lazy.output) == (eager.exit_code, eager.output)
    assert lazy.output.strip()  # something was shown


def test_lazy_commands_list_in_help_order() -> None:
    from detente.cli import COMMANDS, app

    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    with group.make_context("detente", ["--version"]) as ctx:
        assert group.list_commands(ctx) == list(COMMANDS)
        assert "validate" in group.commands and "nosuch" not in group.commands
        assert group.get_command(ctx, "nosuch") is None
        assert group.get_command(ctx, "validate").name == "validate"  # type: ignore[union-attr]
