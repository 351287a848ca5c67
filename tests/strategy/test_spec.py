"""The game section's schema and semantic checks; the Korea game's quotes are verbatim."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from detente.strategy.spec import GameSpec, check_game

from .korea_vocab import SOURCE_IDS

SOURCES = set(SOURCE_IDS)
SHARED = Path(__file__).resolve().parents[2].parent / "shared"


def problems(raw_game: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    check_game(GameSpec.model_validate(raw_game), SOURCES, lambda f, m: out.append((f, m)))
    return out


def test_korea_game_is_valid(korea_raw: dict[str, Any]) -> None:
    assert problems(korea_raw["game"]) == []
    game = GameSpec.model_validate(korea_raw["game"])
    assert game.n_months == 75  # Oct 2021 .. Dec 2027
    assert game.month_index(game.election.month) == 5 if game.election else False  # "five months"


def test_each_worldview_stays_valid() -> None:
    from detente.strategy.cli import load_game

    korea = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"
    for wv in ("engagement", "skeptic", "data"):
        game, _ = load_game(korea, wv)
        out: list[str] = []
        check_game(game, SOURCES, lambda f, m, out=out: out.append(f"{f}: {m}"))
        assert out == [], wv
    assert load_game(korea, "skeptic")[0].types[2].prior.point() == 0.6


def test_priors_must_sum_to_one(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["types"][2]["prior"] = {"value": 0.15, "assumption": "x"}
    got = problems(raw)
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
    fields = {f for f, _ in problems(raw)}
    assert {
        "game.roles.reward",
        "game.types.reciprocator.lift.nuke",
        "game.types.reciprocator.p_talk",
        "game.noise.target_misreads",
        "game.types.sanctions_seeker.p_test.source",
    } <= fields


def test_unknown_strategy_and_parameter(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["strategies"].append({"id": "x", "strategy": "Appeasement"})
    raw["strategies"][0]["params"] = {"zeal": 1.0}
    fields = {f for f, _ in problems(raw)}
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
