"""Fixtures for the web explorer: a scenarios folder (the Korea scenario with its strategy game
and its record, the EC emission case and one broken file) and an in-process client."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .web_names import BROKEN, KOREA, KOREA_GAME

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="session")
def web_scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scenarios")
    for name in (KOREA, "ec-emission-standards-1994"):
        shutil.copy(SCENARIOS / f"{name}.yaml", folder / f"{name}.yaml")
    # the Korea scenario's record (its `record:` section reads data/korea-record.csv)
    (folder / "data").mkdir()
    for name in ("korea-record.csv", "korea-record.basis.json"):
        shutil.copy(SCENARIOS / "data" / name, folder / "data" / name)
    (folder / f"{BROKEN}.yaml").write_text(
        "detente: 1\nid: broken\ntitle: Broken\nissues: []\nactors:\n  - id: a\n", encoding="utf-8"
    )
    (folder / "notes.txt").write_text("not a scenario", encoding="utf-8")
    # a secret next to the folder: no URL may reach it
    (folder.parent / "secret.yaml").write_text("detente: 1\nid: secret\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def has_game(web_scenarios: Path) -> bool:
    return (web_scenarios / f"{KOREA_GAME}.yaml").is_file()


@pytest.fixture()
def client(web_scenarios: Path) -> Iterator[Any]:
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from detente.web.app import create_app

    with TestClient(
        create_app(web_scenarios), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as c:
        yield c
