"""Fixtures for the strategy tests: the Korea scenario's game, with its worldviews."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from detente.scenario.game import GameSpec

ROOT = Path(__file__).resolve().parents[2]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"


@pytest.fixture(scope="session")
def korea_raw() -> dict[str, Any]:
    data = yaml.safe_load(KOREA.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture()
def korea_game(korea_raw: dict[str, Any]) -> GameSpec:
    return GameSpec.model_validate(korea_raw["game"])
