"""Shared fixtures: the repository root, its shipped scenarios, the shared folder, and a small
scenario using every distribution family (the Monte Carlo tests and ``detente simulate``'s)."""

from __future__ import annotations

from pathlib import Path

import pytest

from detente.scenario.load import LoadedScenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root (holds ``scenarios/``, ``src/``, ``tests/``)."""
    return ROOT


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    return ROOT / "scenarios"


@pytest.fixture(scope="session")
def korea_yaml(scenarios_dir: Path) -> Path:
    return scenarios_dir / "korea-peace-declaration.yaml"


@pytest.fixture(scope="session")
def emission_yaml(scenarios_dir: Path) -> Path:
    return scenarios_dir / "ec-emission-standards-1994.yaml"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder next to the repository (sources, reference data); skip when absent."""
    if not SHARED.is_dir():
        pytest.skip(f"shared folder absent: {SHARED}")
    return SHARED


@pytest.fixture(scope="session")
def sources_dir(shared_dir: Path) -> Path:
    """The source texts the Korea scenario quotes; skip when absent."""
    path = shared_dir / "sources"
    if not path.is_dir():
        pytest.skip(f"source texts absent: {path}")
    return path


A = 'assumption: "test"'

#: three actors, two issues; one quantity per distribution family, plus fixed values and a
#: worldview that widens one judgment
SMALL = f"""\
detente: 1
id: small
title: Small test scenario
issues:
  - id: x
    label: Issue X
    scale: {{min: 0, max: 10, anchors: {{0: none, 5: half, 10: all}}}}
    status_quo: {{dist: uniform, low: 1, high: 3, {A}}}
  - id: y
    label: Issue Y
    scale: {{min: 0, max: 1, anchors: {{0: "no", 1: "yes"}}}}
actors:
  - id: a
    name: Alpha
    capability: {{dist: triangular, low: 0.5, mode: 0.6, high: 1.0, {A}}}
    stances:
      x:
        position: {{dist: truncnormal, mean: 2, sd: 1.5, low: 0, high: 4, {A}}}
        salience: {{dist: beta, a: 2, b: 5, low: 0.2, high: 0.9, {A}}}
      y:
        position: {{value: 0.1, {A}}}
        salience: {{value: 0.5, {A}}}
  - id: b
    name: Beta
    capability: {{value: 0.8, {A}}}
    stances:
      y:
        position: {{dist: uniform, low: 0.4, high: 0.8, {A}}}
        salience: {{value: 0.7, {A}}}
      x:
        position: {{dist: triangular, low: 5, mode: 8, high: 9, {A}}}
        salience: {{dist: uniform, low: 0.3, high: 0.6, {A}}}
  - id: c
    name: Gamma
    capability: {{value: 0.3, {A}}}
    stances:
      x:
        position: {{value: 10, {A}}}
        salience: {{value: 0.9, {A}}}
      y:
        position: {{dist: triangular, low: 0.9, mode: 0.9, high: 0.9, {A}}}
        salience: {{value: 0.4, {A}}}
worldviews:
  - id: wide
    label: Wider
    {A}
    overrides:
      - path: actors.c.stances.x.position
        value: {{dist: uniform, low: 6, high: 10, {A}}}
"""


def _zero_width(text: str) -> str:
    """The same scenario with every distribution collapsed to a single point."""
    import re

    text = text.replace("dist: uniform, low: 1, high: 3", "dist: uniform, low: 2, high: 2")
    text = text.replace("low: 0.5, mode: 0.6, high: 1.0", "low: 0.6, mode: 0.6, high: 0.6")
    text = text.replace("mean: 2, sd: 1.5, low: 0, high: 4", "mean: 2, sd: 0, low: 0, high: 4")
    text = text.replace("a: 2, b: 5, low: 0.2, high: 0.9", "a: 2, b: 5, low: 0.4, high: 0.4")
    text = text.replace("low: 0.4, high: 0.8", "low: 0.6, high: 0.6")
    text = text.replace("low: 5, mode: 8, high: 9", "low: 8, mode: 8, high: 8")
    text = text.replace("low: 0.3, high: 0.6", "low: 0.45, high: 0.45")
    text = re.sub(r"worldviews:.*", "", text, flags=re.S)
    return text


@pytest.fixture(scope="session")
def small_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenarios") / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small(small_yaml: Path) -> LoadedScenario:
    return load_scenario(small_yaml)


@pytest.fixture(scope="session")
def zero_width(tmp_path_factory: pytest.TempPathFactory) -> LoadedScenario:
    path = tmp_path_factory.mktemp("scenarios") / "zero.yaml"
    path.write_text(_zero_width(SMALL), encoding="utf-8")
    return load_scenario(path)


@pytest.fixture(scope="session")
def korea(korea_yaml: Path) -> LoadedScenario:
    return load_scenario(korea_yaml)
