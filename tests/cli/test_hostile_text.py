"""Scenario text never breaks the terminal output (issue 21, item 2).

A corpus of hostile strings (Rich markup, HTML, Jinja, bidi characters, very long words) is put
into copies of two small scenarios' labels and names, and every command's table and JSON output
must run without a traceback, exit 0 and show the text literally. Control characters are refused
by the YAML loader: that refusal is a clean, located exit-2 message. A location on line 100 of a
file prints as ``:100:``, never as Rich's 💯 emoji.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from hostile_text import HOSTILE  # tests/hostile_text.py: the corpus every face is tested with

TESTS = Path(__file__).resolve().parent.parent
MINIMAL = TESTS / "scenario" / "data" / "minimal.yaml"
GAME = TESTS / "strategy" / "data" / "minimal-game.yaml"

runner = CliRunner()


@pytest.fixture(autouse=True)
def _wide_tables() -> Iterator[None]:
    """Tables wide enough that no cell wraps, so a string is seen whole."""
    from detente.cli import common

    saved = common.out._width
    common.out._width = 1000
    yield
    common.out._width = saved


def _hostile_minimal(tmp_path: Path, text: str, *, uncertain: bool = False) -> Path:
    src = MINIMAL.read_text(encoding="utf-8")
    quoted = json.dumps(text)  # a JSON string is a YAML double-quoted scalar
    src = src.replace("label: Talks", f"label: {quoted}")
    src = src.replace("name: Alpha", f"name: {quoted}")
    src = src.replace("label: Hawkish", f"label: {quoted}")
    title = "title: A small valid scenario the broken files are made from"
    src = src.replace(title, f"title: {json.dumps(text + ' scenario')}")
    src += (
        "  - id: dove\n"
        f"    label: {json.dumps(text + ' dove')}\n"
        '    assumption: "another reading"\n'
        "    overrides:\n"
        "      - path: actors.beta.stances.talks.position\n"
        '        value: {value: 7, assumption: "softer line"}\n'
    )
    if uncertain:
        src = src.replace(
            'capability: {value: 0.5, assumption: "weaker"}',
            'capability: {dist: uniform, low: 0.3, high: 0.7, assumption: "weaker"}',
        )
    path = tmp_path / "hostile.yaml"
    path.write_text(src, encoding="utf-8")
    return path


def _hostile_game(tmp_path: Path, text: str) -> Path:
    src = GAME.read_text(encoding="utf-8")
    quoted = json.dumps(text)
    for old in ("label: Talks", "name: Blue", "label: Hopeful", "label: Declare"):
        assert old in src
        src = src.replace(old, f"{old.split(':')[0]}: {quoted}", 1)
    path = tmp_path / "hostile-game.yaml"
    path.write_text(src, encoding="utf-8")
    return path


def _ok(args: list[str]) -> str:
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.stdout


def _squash(text: str) -> str:
    """Table output wraps long cells: compare without whitespace."""
    return "".join(text.split())


@pytest.mark.parametrize("text", HOSTILE)
def test_scenario_commands_print_text_literally(tmp_path: Path, text: str) -> None:
    path = _hostile_minimal(tmp_path, text, uncertain=True)
    _ok(["validate", str(path)])
    seen = _squash(text)
    cruxes = ["cruxes", str(path), "--worldviews", "hawk,dove", "--output", "forecast:talks"]
    for args in (
        ["forecast", str(path)],
        ["forecast", str(path), "-w", "hawk"],
        ["simulate", str(path), "-n", "20"],
        ["compare", str(path), "--worldviews", "hawk,dove", "-n", "20"],
        ["sensitivity", str(path), "--output", "forecast:talks", "--n", "8"],
        [*cruxes, "--threshold", "5"],
    ):
        table = _ok(args)
        assert "💯" not in table and "😄" not in table
        if args[0] in ("forecast", "simulate"):
            assert seen in _squash(table), (args, table)
        doc = json.loads(_ok([*args, "--format", "json"]))
        assert text in json.dumps(doc, ensure_ascii=False) or args[0] in ("sensitivity", "cruxes")


@pytest.mark.parametrize("text", HOSTILE)
def test_game_commands_print_text_literally(tmp_path: Path, text: str) -> None:
    path = _hostile_game(tmp_path, text)
    # the strategy tables show ids only (checked to be [A-Za-z0-9_.-]): they must not crash
    assert "strategy" in _ok(["strategies", str(path), "-n", "4"])
    doc = json.loads(_ok(["strategies", str(path), "-n", "4", "--format", "json"]))
    assert doc["rows"]
    table = _ok(["forecast", str(path)])
    assert _squash(text) in _squash(table)


def test_markup_in_the_forecast_title_and_cells() -> None:
    """The minimised case of the review: ``[/]`` crashed the table with a MarkupError."""
    from detente.cli.common import console

    c = console(width=200, record=True)
    from rich.table import Table

    t = Table(title="Sanctions [/] relief [bold]x")
    t.add_column("[/bold]")
    t.add_row("[link=https://x]y[/link] :100:")
    c.print(t)
    c.print("a [/] b :100:")
    text = c.export_text()
    for piece in ("Sanctions [/] relief [bold]x", "[/bold]", "[link=https://x]y[/link] :100:"):
        assert piece in text
    assert "a [/] b :100:" in text


@pytest.mark.parametrize("char", ["\x07", "\x1b[31m", "\x00"])
def test_control_characters_are_a_clean_refusal_or_literal(tmp_path: Path, char: str) -> None:
    path = _hostile_minimal(tmp_path, f"bell{char}end")
    result = runner.invoke(app, ["forecast", str(path)], catch_exceptions=False)
    assert "Traceback" not in result.output
    if result.exit_code == 2:
        assert "hostile.yaml" in result.stderr
    else:
        assert result.exit_code == 0
        assert "\x1b[31m" not in result.stdout  # never an escape sequence on the terminal


def test_line_100_is_not_an_emoji(tmp_path: Path) -> None:
    src = MINIMAL.read_text(encoding="utf-8")
    head, tail = src.split("actors:\n", 1)
    tail = tail.replace('salience: {value: 0.4, assumption: "cares less"}', "salience: 7")
    plain = head + "actors:\n" + tail
    at = next(i for i, s in enumerate(plain.splitlines(), 1) if "salience: 7" in s)
    padded = head + "\n" * (100 - at) + "actors:\n" + tail
    path = tmp_path / "long.yaml"
    path.write_text(padded, encoding="utf-8")
    line = next(i for i, s in enumerate(padded.splitlines(), 1) if "salience: 7" in s)
    assert line == 100
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"long.yaml:{line}:" in result.stderr
    assert "💯" not in result.stderr


def test_hindcast_prints_a_hostile_record_name_literally(tmp_path: Path) -> None:
    data = TESTS / "analysis" / "data"
    name = "rec [bold]x [link=y] :100:"  # a file name cannot hold a slash
    (tmp_path / f"{name}.csv").write_text((data / "hindcast-record.csv").read_text())
    (tmp_path / f"{name}.basis.json").write_text((data / "hindcast-record.basis.json").read_text())
    game = (data / "hindcast-game.yaml").read_text(encoding="utf-8")
    assert "file: hindcast-record.csv" in game
    path = tmp_path / "g.yaml"
    path.write_text(game.replace("file: hindcast-record.csv", f"file: {json.dumps(name + '.csv')}"))
    table = _ok(["hindcast", str(path), "-n", "9", "-s", "5"])
    assert f"{name}.csv" in table
    assert "💯" not in table
