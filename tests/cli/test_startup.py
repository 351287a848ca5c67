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

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "scenario" / "data" / "minimal.yaml"
#: what no start-up may import (each costs a large share of the budget, or more)
HEAVY = ("pandas", "scipy", "pyarrow", "plotly", "SALib", "ray", "fastapi")


def imported(*args: str) -> set[str]:
    """Top-level names of every module ``python -m detente ARGS`` imports."""
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
        line.split("|")[-1].strip().split(".")[0]
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


def test_validate_without_a_game_imports_no_numpy() -> None:
    """numpy comes with the strategy registry, which only a scenario with a game needs."""
    modules = imported("validate", str(MINIMAL))
    assert "pydantic" in modules and "numpy" not in modules
