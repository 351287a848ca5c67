"""Fixtures for the strategy tests.

Two games: ``minimal_game`` (``tests/strategy/data/minimal-game.yaml``, a small synthetic game
whose numbers are invented for testing) serves the engine's tests, so that revising a Korea
judgment cannot break them; ``korea_game`` (the flagship scenario's game) serves the tests that
are about Korea's judgments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.scenario.game import GameSpec
from detente.scenario.load import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
MINIMAL = Path(__file__).resolve().parent / "data" / "minimal-game.yaml"


@pytest.fixture(scope="session")
def korea_raw() -> dict[str, Any]:
    data = yaml.safe_load(KOREA.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def korea_game(korea_raw: dict[str, Any]) -> GameSpec:
    return GameSpec.model_validate(korea_raw["game"])


@pytest.fixture(scope="session")
def minimal_path() -> Path:
    return MINIMAL


@pytest.fixture(scope="session")
def minimal_raw() -> dict[str, Any]:
    data = yaml.safe_load(MINIMAL.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="session")
def minimal_loaded() -> LoadedScenario:
    """The synthetic scenario through the one loader (valid, no warnings)."""
    loaded = load_scenario(MINIMAL)
    assert not loaded.warnings
    return loaded


@pytest.fixture()
def minimal_game(minimal_raw: dict[str, Any]) -> GameSpec:
    return GameSpec.model_validate(minimal_raw["game"])


@pytest.fixture()
def scorecard_game(minimal_raw: dict[str, Any]) -> GameSpec:
    """The minimal game with scorecards and composed strategies (tests/strategy/scorecard_game)."""
    from .scorecard_game import with_scorecards

    return GameSpec.model_validate(with_scorecards(minimal_raw)["game"])
