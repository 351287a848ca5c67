"""``detente serve``: the command exists, refuses bad options, and says what to install when
the web dependencies are missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()


def test_serve_help_lists_options() -> None:
    r = runner.invoke(app, ["serve", "--help"])
    assert r.exit_code == 0
    for option in ("--host", "--port", "--scenarios"):
        assert option in r.output


def test_serve_without_web_deps_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)  # as if the web extra were missing
    r = runner.invoke(app, ["serve"])
    assert r.exit_code == 2
    assert "detente serve needs fastapi: pip install 'detente[web]'" in r.output


def test_serve_bad_folder_and_port(tmp_path: Path) -> None:
    r = runner.invoke(app, ["serve", "--scenarios", str(tmp_path / "missing")])
    assert r.exit_code == 2 and "does not exist" in r.output
    r = runner.invoke(app, ["serve", "--scenarios", str(tmp_path), "--port", "0"])
    assert r.exit_code == 2 and "--port" in r.output


def test_web_cli_importable_without_fastapi() -> None:
    code = (
        "import sys; sys.modules['fastapi'] = None; sys.modules['uvicorn'] = None\n"
        "import detente.cli.serve as c\n"
        "assert callable(c.serve)\n"
        "assert 'fastapi' not in [k for k, v in sys.modules.items() if v is not None]\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
