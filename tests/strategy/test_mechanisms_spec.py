"""The issue-15 fields of the ``game:`` section: a game using every mechanism loads cleanly (and
plays), and each field's references and ranges are checked with a message at its field (the
broken-file corpus, ``tests/scenario/broken/game-*.yaml``, checks the located messages)."""

from __future__ import annotations

from pathlib import Path

from detente.scenario.load import load_scenario
from detente.scenario.validate import check_game
from detente.strategy.checks import check_strategies
from detente.strategy.simulate import run_strategies

from .mechanisms import Raw, cmove, edit, q, typ

MECHANISMS = Path(__file__).resolve().parent / "data" / "mechanisms-game.yaml"


def problems(raw: Raw, change: object) -> list[tuple[str, str]]:
    spec = edit(raw, change)  # type: ignore[arg-type]
    out: list[tuple[str, str]] = []
    check_game(spec, lambda f, m: out.append((f, m)))
    return out


def test_a_game_with_every_mechanism_loads_and_plays() -> None:
    loaded = load_scenario(MECHANISMS, game_checks=(check_strategies,))
    assert not loaded.warnings
    game = loaded.scenario.game
    assert game is not None
    assert game.third_parties and game.limits and game.election is not None
    table = run_strategies(game, 1, 50)
    assert set(table["strategy"]) == {s.id for s in game.strategies}


def test_response_effect_triggers_are_checked(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        typ(g, "partner")["effects"] = [
            {"id": "both", "move": "aid", "month": "2030-05", "shifts": "up", "value": q(1)},
            {"id": "neither", "shifts": "up", "value": q(1)},
            {"id": "call", "move": "call", "when": "unreciprocated", "shifts": "up", "value": q(1)},
            {"id": "late", "month": "2040-01", "shifts": "up", "value": q(1)},
            {"id": "hl", "move": "aid", "shifts": "up", "value": q(1), "half_life": q(2)},
        ]

    out = dict(problems(minimal_raw, change))
    base = "game.types.partner.effects"
    assert out[f"{base}.both"] == "needs exactly one trigger: `move` or `month`"
    assert out[f"{base}.neither"] == "needs exactly one trigger: `move` or `month`"
    assert "is not a concession" in out[f"{base}.call.when"]
    assert "outside 2030-01..2031-12" in out[f"{base}.late.month"]
    assert "only a decaying effect" in out[f"{base}.hl.half_life"]


def test_limits_and_third_parties_are_checked(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        g["limits"] = [
            {"id": "l", "actor": "congress", "move": "gift", "state": "sanctions",
             "below": q(0.5), "above": q(0.9), "p_refuse": q(1.5), "fallback_move": "wait"},
        ]  # fmt: skip
        g["third_parties"] = [
            {"id": "t", "label": "T", "trigger": {"below": q(0.5)}, "probability": q(0.5)},
            {"id": "u", "label": "U", "trigger": {"after_move": "gift"}, "probability": q(0.5),
             "effects": [{"id": "x", "state": "talks", "op": "set", "value": q(0), "once": True}]},
        ]  # fmt: skip
        cmove(g, "aid")["repeat_factor"] = q(-0.1)

    out = problems(minimal_raw, change)
    assert ("game.limits.l.move", "unknown coalition move 'gift' (known: aid, call, declare, "
            "press, wait)") in out  # fmt: skip
    assert ("game.limits.l", "needs exactly one bound: `below` or `above`") in out
    assert ("game.limits.l.p_refuse", "probability outside [0, 1] (got 1.5..1.5)") in out
    assert ("game.third_parties.t.trigger", "needs `after_move` or `state`") in out
    assert any(f == "game.third_parties.u.trigger.after_move" for f, _ in out)
    assert any(f == "game.third_parties.u.effects.x" and "once" in m for f, m in out)
    assert any(f == "game.coalition_moves.aid.repeat_factor" for f, _ in out)


def test_an_unused_mechanism_adds_no_problem(minimal_raw: Raw) -> None:
    assert problems(minimal_raw, lambda g: None) == []


def test_the_mechanisms_are_deterministic_and_tile() -> None:
    """Same seed, same episodes — in another thread too; and with ``repeat`` every block of a
    sensitivity design replays the same chance, the mechanisms' own streams included."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from detente.strategy.simulate import build_episodes, simulate

    game = load_scenario(MECHANISMS, game_checks=(check_strategies,)).scenario.game
    assert game is not None

    def play(sid: str) -> dict[str, np.ndarray]:
        return simulate(game, build_episodes(game, 4, 200), sid)

    ids = [s.id for s in game.strategies]
    with ThreadPoolExecutor(2) as pool:
        threaded = list(pool.map(play, ids))
    for sid, out in zip(ids, threaded, strict=True):
        again = play(sid)
        assert all(np.array_equal(out[k], again[k]) for k in out)
    tiled = simulate(game, build_episodes(game, 4, 100, repeat=2), "peace_first")
    for k, v in tiled.items():
        assert np.array_equal(v[:100], v[100:]), k
