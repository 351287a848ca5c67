"""The game section's schema and semantic checks (through the scenario loader, with the strategy
registry's checks, as the command line runs them); the Korea game's quotes are verbatim."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from detente.scenario.errors import InputError
from detente.scenario.game import GameSpec
from detente.scenario.load import parse_document
from detente.scenario.validate import check_game
from detente.strategy.checks import check_strategies

SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def problems(korea_raw: dict[str, Any], raw_game: dict[str, Any]) -> list[tuple[str, str]]:
    """The errors (field, message) of the Korea scenario with ``raw_game`` as its game."""
    doc = {**copy.deepcopy(korea_raw), "game": raw_game}
    try:
        parse_document(doc, "korea.yaml", game_checks=(check_strategies,))
    except InputError as exc:
        return [(d.field, d.message) for d in exc.diagnostics if d.severity == "error"]
    return []


def test_korea_game_is_valid(korea_raw: dict[str, Any]) -> None:
    assert problems(korea_raw, korea_raw["game"]) == []
    game = GameSpec.model_validate(korea_raw["game"])
    assert game.n_months == 75  # Oct 2021 .. Dec 2027
    assert game.month_index(game.election.month) == 5 if game.election else False  # "five months"


def test_each_worldview_stays_valid() -> None:
    from detente.scenario.load import load_scenario, with_worldview

    korea = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"
    loaded = load_scenario(korea, game_checks=(check_strategies,))

    def load_game(path: Path, wv: str) -> tuple[GameSpec, str]:
        scenario = with_worldview(loaded, wv)
        assert scenario.game is not None
        return scenario.game, scenario.id

    for wv in ("engagement", "skeptic", "data"):
        game, _ = load_game(korea, wv)
        out: list[str] = []
        check_game(game, lambda f, m, out=out: out.append(f"{f}: {m}"))
        check_strategies(game, lambda f, m, out=out: out.append(f"{f}: {m}"))
        assert out == [], wv
    assert load_game(korea, "skeptic")[0].types[2].prior.point() == 0.6


def test_priors_must_sum_to_one(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["types"][2]["prior"] = {"value": 0.15, "assumption": "x"}
    got = problems(korea_raw, raw)
    assert (
        "game.types.enmity_dependent.prior",
        "type priors must sum to 1 (got 0.9, expected 1)",
    ) in got


def test_unknown_moves_and_bad_probabilities(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["roles"]["reward"] = "bribe"
    raw["types"][0]["lift"]["nuke"] = 1.0
    raw["types"][0]["p_talk"] = {"value": 1.4, "assumption": "x"}
    raw["noise"]["target_misreads"] = {
        "dist": "uniform",
        "low": -0.1,
        "high": 0.2,
        "assumption": "x",
    }
    raw["types"][1]["p_test"]["source"] = {"doc": "nyt", "quote": "x"}
    fields = {f for f, _ in problems(korea_raw, raw)}
    assert {
        "game.roles.reward",
        "game.types.reciprocator.lift.nuke",
        "game.types.reciprocator.p_talk",
        "game.noise.target_misreads",
        "game.types.sanctions_seeker.p_test.source.doc",
    } <= fields


def test_unknown_strategy_and_parameter(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["strategies"].append({"id": "x", "strategy": "Appeasement"})
    raw["strategies"][0]["params"] = {"zeal": 1.0}
    fields = {f for f, _ in problems(korea_raw, raw)}
    assert {"game.strategies.x.strategy", "game.strategies.peace_first.params.zeal"} <= fields


def test_extra_keys_rejected(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["types"][0]["charisma"] = 1
    with pytest.raises(ValidationError):
        GameSpec.model_validate(raw)


def test_quotes_are_verbatim(korea_raw: dict[str, Any]) -> None:
    if not (SHARED / "sources").is_dir():
        pytest.skip(f"shared sources absent: {SHARED / 'sources'}")
    from detente.scenario.cite import normalise

    texts = {
        "cato": normalise((SHARED / "sources/000_c7b37ae1da67c85b.txt").read_text("utf-8")),
        "hill": normalise((SHARED / "sources/004_3993789ca1e6de23.txt").read_text("utf-8")),
    }
    quotes: list[tuple[str, str]] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "doc" in node and "quote" in node:
                quotes.append((node["doc"], node["quote"]))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(korea_raw)
    assert len(quotes) > 20
    missing = [q for q in quotes if normalise(q[1]) not in texts[q[0]]]
    assert missing == []
    assert all(len(q) <= 200 for _, q in quotes)


def test_a_game_quantity_is_checked_once(korea_raw: dict[str, Any]) -> None:
    """One owner for a quantity's coherence: a game's numbers are checked like every other."""
    raw = copy.deepcopy(korea_raw["game"])
    raw["types"][0]["p_talk"] = {"dist": "triangular", "low": 0.5, "mode": 0.2, "high": 0.9}
    got = [m for f, m in problems(korea_raw, raw) if f == "game.types.reciprocator.p_talk"]
    assert got == ["needs low <= mode <= high (got 0.5, 0.2, 0.9)"]
