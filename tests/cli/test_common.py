"""What every command shares (:mod:`detente.cli.common`): one loader that prints the scenario's
warnings for every command alike, one usage error, one format check, one JSON emitter with the
one NaN→null cleaner."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from detente.cli import app
from detente.cli.common import Format, accept, emit, fail
from detente.models.base import finite, jsonable


@pytest.fixture(scope="module")
def warned(korea_yaml: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Korea with the USA's capability a bare number (no basis): valid, with one warning."""
    import yaml

    doc = yaml.safe_load(korea_yaml.read_text(encoding="utf-8"))
    (usa,) = [a for a in doc["actors"] if a["id"] == "usa"]
    usa["capability"] = 1.0
    path = tmp_path_factory.mktemp("warned") / "korea.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if "warning:" in line]
    assert len(warnings) == 1 and "actors.usa.capability" in warnings[0], result.stderr
    return path, warnings[0]


@pytest.mark.parametrize(
    "command",
    [
        ["forecast", "--format", "json"],
        ["strategies", "--episodes", "2", "--format", "json"],
        ["simulate", "--draws", "2", "--format", "json"],
        ["compare", "--worldviews", "engagement,skeptic", "--draws", "2", "--format", "json"],
        ["sensitivity", "--output", "forecast:declaration", "--n", "2", "--format", "json"],
        [
            "cruxes",
            "--worldviews",
            "engagement,skeptic",
            "--output",
            "forecast:declaration",
            "--threshold",
            "70",
            "--max-size",
            "1",
            "--format",
            "json",
        ],
    ],
    ids=lambda c: c[0],
)
def test_every_command_prints_the_warnings_validate_prints(
    warned: tuple[Path, str], command: list[str]
) -> None:
    path, warning = warned
    result = CliRunner().invoke(app, [command[0], str(path), *command[1:]])
    assert result.exit_code == 0, result.output
    assert warning in result.stderr.splitlines()
    json.loads(result.stdout)  # stdout stays clean JSON


def test_jsonable_is_the_one_nan_to_null_cleaner() -> None:
    value = {
        1: [math.nan, math.inf, -math.inf, 1.5],
        "t": (np.float64(2.0), np.int64(3), np.bool_(True)),
        "n": None,
        "s": "x",
        "o": Path("a"),
    }
    assert jsonable(value) == {
        "1": [None, None, None, 1.5],
        "t": [2.0, 3, True],
        "n": None,
        "s": "x",
        "o": "a",
    }
    assert type(jsonable(np.int64(3))) is int
    assert finite(np.float32(0.5)) == 0.5 and finite("nope") is None and finite(None) is None


def test_emit_json_cleans_nan_and_keeps_the_indent(capsys: pytest.CaptureFixture[str]) -> None:
    emit({"a": [math.nan, 1.0]}, Format.json, indent=1)
    assert capsys.readouterr().out == '{\n "a": [\n  null,\n  1.0\n ]\n}\n'
    emit({"a": math.inf}, Format.json, indent=2)
    assert capsys.readouterr().out == '{\n  "a": null\n}\n'


def test_fail_and_accept_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(typer.Exit) as exc:
        fail("--thing must be good")
    assert exc.value.exit_code == 2
    assert capsys.readouterr().err == "error: --thing must be good\n"
    with pytest.raises(typer.Exit):
        fail("f.yaml:3: x: bad", located=True)
    assert capsys.readouterr().err == "f.yaml:3: x: bad\n"
    assert accept(Format.json, Format.table, Format.json) is Format.json
    with pytest.raises(typer.Exit):
        accept(Format.csv, Format.table, Format.json)
    assert "--format must be one of table, json (got 'csv')" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["strategies", "--episodes", "1"],
        ["strategies", "--seed", "-1"],
        ["compare", "--worldviews", "engagement,skeptic", "--format", "csv"],
        ["sensitivity", "--output", "forecast:declaration", "--method", "fast"],
        ["cruxes", "--worldviews", "a,b", "--output", "forecast:declaration", "--mode", "x"],
        ["simulate", "--format", "csv"],
    ],
    ids=lambda a: "-".join(a[:1] + a[-2:]),
)
def test_usage_errors_exit_2(korea_yaml: Path, args: list[str]) -> None:
    result = CliRunner().invoke(app, [args[0], str(korea_yaml), *args[1:]])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "Traceback" not in result.output
