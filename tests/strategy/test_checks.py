"""The strategy registry's checks reach every front door, located like every other problem.

The scenario package cannot know strategy classes (it sits below :mod:`detente.strategy`); the
command line and the web explorer pass :func:`~detente.strategy.checks.check_strategies` to the
loader, which runs it on the base document and on every worldview.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.errors import InputError
from detente.scenario.load import load_scenario, with_worldview
from detente.strategy.checks import check_strategies
from detente.web.service import validate_text

KOREA = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"
GOOD = "    - {id: enticement, strategy: Enticement}\n"
MESSAGE = "game.strategies.enticement.strategy: unknown strategy 'Appeasement' (known: "


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int]:
    """Korea with one unknown strategy class, and the line it is on."""
    text = KOREA.read_text(encoding="utf-8")
    assert text.count(GOOD) == 1
    line = text[: text.index(GOOD)].count("\n") + 1
    path = tmp_path_factory.mktemp("checks") / "korea.yaml"
    path.write_text(text.replace(GOOD, GOOD.replace("Enticement}", "Appeasement}")), "utf-8")
    return path, line


@pytest.mark.parametrize(
    "command",
    [["validate"], ["forecast", "--model", "compromise"], ["strategies", "--episodes", "10"]],
    ids=lambda c: c[0],
)
def test_every_command_reports_it_at_its_line(broken: tuple[Path, int], command: list[str]) -> None:
    path, line = broken
    result = CliRunner().invoke(app, [command[0], str(path), *command[1:]])
    assert result.exit_code == 2, result.output
    text = result.stdout + result.stderr
    # (`strategies` prints through a console that wraps long lines at the terminal width)
    assert f"{path}:{line}: {MESSAGE}".split() == text.split()[: len(MESSAGE.split()) + 1], text
    assert "Traceback" not in text


def test_the_web_explorer_reports_it_at_its_line(broken: tuple[Path, int]) -> None:
    path, line = broken
    loaded, diagnostics = validate_text(path.read_text(encoding="utf-8"), "korea.yaml")
    assert loaded is None
    assert any(str(d).startswith(f"korea.yaml:{line}: {MESSAGE}") for d in diagnostics)


def test_a_worldview_is_checked_too(tmp_path: Path) -> None:
    text = KOREA.read_text(encoding="utf-8").replace(
        "    overrides:\n",
        "    overrides:\n"
        "      - path: game.strategies.enticement.strategy\n"
        "        value: Appeasement\n",
        1,
    )
    path = tmp_path / "korea.yaml"
    path.write_text(text, encoding="utf-8")
    load_scenario(path)  # the scenario package alone does not know the strategy classes
    with pytest.raises(InputError) as info:
        load_scenario(path, game_checks=(check_strategies,))
    assert f"after worldview 'engagement': {MESSAGE}" in str(info.value)


def test_the_loaded_scenario_keeps_its_checks() -> None:
    loaded = load_scenario(KOREA, game_checks=(check_strategies,))
    assert loaded.game_checks == (check_strategies,)
    assert with_worldview(loaded, "skeptic").game is not None
