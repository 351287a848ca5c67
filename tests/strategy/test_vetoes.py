"""Vetoes: a coalition member may block a move (Washington and Seoul may disagree)."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from detente.scenario.game import GameSpec
from detente.scenario.validate import check_game
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.simulate import build_episodes, make_strategy

N = 2000
VETO = "us_blocks_early_declaration"


def with_veto(raw: dict[str, Any], probability: float, before_progress: bool = True) -> GameSpec:
    game = copy.deepcopy(raw["game"])
    (veto,) = [v for v in game["vetoes"] if v["id"] == VETO]
    veto["probability"] = {"value": probability, "assumption": "test"}
    veto["before_progress"] = before_progress
    return GameSpec.model_validate(game)


def run(game: GameSpec, strategy: str, seed: int = 5) -> tuple[CoalitionGame, Any]:
    ref = next(s for s in game.strategies if s.id == strategy)
    draws = build_episodes(game, seed, N).draws
    types = np.random.default_rng(seed + 1).integers(0, len(game.types), N)
    g = CoalitionGame(game, draws, types, np.random.SeedSequence(seed))
    rng = np.random.default_rng(0)
    rec = play(g, (make_strategy(ref, draws), TypedTarget(g)), N, (rng, rng))
    return g, rec


def test_a_certain_veto_blocks_the_declaration_until_progress(korea_raw: dict[str, Any]) -> None:
    game = with_veto(korea_raw, 1.0)
    g, rec = run(game, "enticement")
    declare = g.c_index["declare"]
    played = rec.moves[0]
    progress = np.isin(rec.seen[1], sorted(g.progress_moves))  # as the coalition saw it
    seen_before = np.cumsum(progress, axis=1) - progress > 0  # progress seen before month t
    assert not (played == declare)[~seen_before].any()
    assert (played == declare)[seen_before].any()  # after progress, Seoul's offer goes through
    out = g.outcomes()
    assert out["vetoes"].min() >= 1  # Enticement tries in month 0, and is blocked
    # every block costs cohesion: with the blocks undone, cohesion is what it was without them
    free, _ = run(with_veto(korea_raw, 0.0), "enticement")
    assert out["cohesion"].mean() < free.outcomes()["cohesion"].mean()


def test_a_zero_veto_changes_nothing(korea_raw: dict[str, Any]) -> None:
    # vetoes draw their own chance: with probability 0 every episode is what it was without them
    vetoed, _ = run(with_veto(korea_raw, 0.0), "peace_first")
    raw = copy.deepcopy(korea_raw["game"])
    raw["vetoes"] = []
    plain, _ = run(GameSpec.model_validate(raw), "peace_first")
    a, b = vetoed.outcomes(), plain.outcomes()
    assert a.pop("vetoes").sum() == 0
    for metric in b:
        np.testing.assert_array_equal(a[metric], b[metric], err_msg=metric)


def test_a_divided_alliance_costs_peace_first_its_declaration(korea_raw: dict[str, Any]) -> None:
    free, _ = run(with_veto(korea_raw, 0.0), "peace_first")
    half, _ = run(with_veto(korea_raw, 0.5), "peace_first")
    # PeaceFirst offers once, in month 0: a block there means no declaration at all
    blocked = half.outcomes()["vetoes"].mean()
    assert 0.45 < blocked < 0.55
    assert half.state["declared"].mean() < free.state["declared"].mean() - 0.3
    # a blocked declaration is no concession made: fewer go unreciprocated (the UN Command
    # challenge hangs on the treaty, not the declaration, since the decision-frame re-audit)
    assert half.outcomes()["unreciprocated"].mean() < free.outcomes()["unreciprocated"].mean()


def test_unknown_member_and_moves_are_reported(korea_raw: dict[str, Any]) -> None:
    raw = copy.deepcopy(korea_raw["game"])
    raw["vetoes"][0].update(member="japan", move="nope", fallback_move="wait")
    out: list[tuple[str, str]] = []
    check_game(GameSpec.model_validate(raw), lambda f, m: out.append((f, m)))
    fields = {f for f, _ in out}
    base = f"game.vetoes.{VETO}"
    assert {f"{base}.member", f"{base}.move", f"{base}.fallback_move"} <= fields
