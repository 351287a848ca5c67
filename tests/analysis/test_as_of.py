"""Dated information sets (``Worldview.as_of``; docs/models/strategy-game.md, "Dated
information sets") on the tiny synthetic game of ``tests/analysis/data/hindcast-game.yaml``.

A worldview dated 2030-02 knows the record's first month (the coalition called, the target
tested): the game plays that month from the record and starts there, so the hindcast scores
only 2030-02..2030-03 and the strategies open in 2030-02, both by hand.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.analysis.hindcast import common_start, hindcast, load_mapped
from detente.cli import app
from detente.scenario.errors import InputError
from detente.scenario.game import History
from detente.scenario.load import LoadedScenario, parse_yaml, with_worldview
from detente.strategy.checks import check_strategies
from detente.strategy.engine import TiledUniforms, play
from detente.strategy.game import CoalitionGame, TypedTarget, coalition_player
from detente.strategy.simulate import (
    build_episodes,
    episode_types,
    make_strategy,
    run_strategies,
    simulate,
)

GAME = Path(__file__).resolve().parent / "data" / "hindcast-game.yaml"
#: (prior, p_talk, p_test, lift by coalition move) of the game's two types (as in
#: test_hindcast.py)
TYPES = {
    "partner": (0.4, 0.2, 0.1, {"call": 0.5, "wait": 0.0, "press": -0.7}),
    "spoiler": (0.6, 0.05, 0.5, {"call": 0.0, "wait": 0.0, "press": 0.3}),
}


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    q = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(q) - math.log1p(-q)


def _p(move: str, p_talk: float, p_test: float, lift: float) -> float:
    up = _sig(_logit(p_talk) + lift)
    test = _sig(_logit(p_test) - lift)
    return {"meet": up, "test": (1 - up) * test, "stall": (1 - up) * (1 - test)}[move]


DATED = """  - id: dated
    label: Dated
    as_of: "{as_of}"
    assumption: "invented: knows the record to its date"
    overrides: []
"""


def _dated(as_of: str = "2030-02", text: str | None = None) -> str:
    base = GAME.read_text(encoding="utf-8") if text is None else text
    return base.replace("worldviews:\n", "worldviews:\n" + DATED.format(as_of=as_of), 1)


def _load(text: str) -> LoadedScenario:
    # named as the file beside its record, so record.file resolves
    return parse_yaml(text, str(GAME), game_checks=(check_strategies,))


@pytest.fixture(scope="module")
def dated() -> LoadedScenario:
    return _load(_dated())


def test_the_history_is_the_record_before_the_date(dated: LoadedScenario) -> None:
    game = with_worldview(dated, "dated").game
    assert game is not None and game.as_of == "2030-02"
    assert game.history == History("2030-02", ("call",), ("test",))
    # the base scenario and a worldview without a date have none
    base = with_worldview(dated, None).game
    assert base is not None and base.history is None and base.as_of is None
    noisy = with_worldview(dated, "noisy").game
    assert noisy is not None and noisy.history is None


def test_hindcast_scores_from_the_date_by_hand(dated: LoadedScenario) -> None:
    assert dated.scenario.record is not None
    mapped = load_mapped(dated.scenario.record, dated.file, dated.lines)
    game = with_worldview(dated, "dated").game
    assert game is not None
    r = hindcast(game, mapped, 3, 7, "dated")
    assert r.months == ("2030-02", "2030-03") and r.as_of == "2030-02"
    # month 1 (call, test) is history: talks stay closed; then a stall after the call and a
    # test after the press, summed over the types by their priors
    total = sum(
        prior * _p("stall", pt, ps, lift["call"]) * _p("test", pt, ps, lift["press"])
        for prior, pt, ps, lift in TYPES.values()
    )
    assert r.log_likelihood == pytest.approx(math.log(total), abs=1e-12)
    hazard = {
        k: (1 - _sig(_logit(pt) + lift["call"])) * (1 - _sig(_logit(pt) + lift["press"]))
        for k, (_pr, pt, _ps, lift) in TYPES.items()
    }
    assert r.p_no_talks == pytest.approx(sum(TYPES[k][0] * h for k, h in hazard.items()))
    # against the undated base, scored on all three months: different windows, so the
    # posterior over worldviews comes from the common months
    base = with_worldview(dated, None).game
    assert base is not None
    b = hindcast(base, mapped, 3, 7, None)
    assert common_start([b, r]) == "2030-02" and common_start([b, b]) is None
    b2 = hindcast(base, mapped, 3, 7, None, score_from="2030-02")
    assert b2.log_likelihood == pytest.approx(r.log_likelihood, abs=1e-12)  # same game


def test_strategies_open_at_the_date(dated: LoadedScenario) -> None:
    game = with_worldview(dated, "dated").game
    assert game is not None
    n = 4000
    eps = build_episodes(game, 11, n)
    types = episode_types(game, eps)
    g = CoalitionGame(game, eps.draws, types, eps.game_seed, chance_period=eps.period)
    tft = make_strategy(game.strategies[0], eps.draws)
    gen = (np.random.default_rng(eps.player_seed), np.random.default_rng(eps.player_seed))
    rngs = (TiledUniforms(gen[0], n), TiledUniforms(gen[1], n))
    play(g, (coalition_player(tft, g), TypedTarget(g)), n, rngs)
    ci, ti = g.c_index, g.t_index
    # month 0 is the record's, in every episode
    assert (g.played[0][:, 0] == ci["call"]).all() and (g.played[1][:, 0] == ti["test"]).all()
    # Tit For Tat starts at the date: it opens with a call, where at month 1 of the undated
    # game it would answer the recorded test with a press
    assert (g.played[0][:, 1] == ci["call"]).all()
    # P(talks within 1 month of the date): the target meets in 2030-02 after the call
    out = simulate(game, eps, "tit_for_tat")
    hand = sum(pr * _sig(_logit(pt) + lift["call"]) for pr, pt, _ps, lift in TYPES.values())
    mean = float(out["p_talks_1m"].mean())
    se = math.sqrt(hand * (1 - hand) / n)
    assert abs(mean - hand) < 4 * se
    # the undated game's first month follows no move: a different number, well outside the
    # Monte Carlo error (so the check tells the two apart)
    undated = sum(pr * pt for pr, pt, _ps, _l in TYPES.values())
    assert abs(hand - undated) > 6 * se


def test_as_of_at_the_start_changes_nothing(dated: LoadedScenario) -> None:
    at_start = _load(_dated("2030-01"))
    game = with_worldview(at_start, "dated").game
    base = with_worldview(at_start, None).game
    assert game is not None and base is not None
    assert game.as_of == "2030-01" and game.history == History("2030-01")
    a = run_strategies(game, 5, 50)
    b = run_strategies(base, 5, 50)
    assert a.equals(b)


def test_cli_labels_the_date(tmp_path: Path) -> None:
    runner = CliRunner()
    # beside the record, so record.file resolves
    path = GAME.parent / "_as_of_test.yaml"
    path.write_text(_dated(), encoding="utf-8")
    try:
        s = runner.invoke(app, ["strategies", str(path), "-w", "dated", "-n", "20", "-s", "1"])
        assert s.exit_code == 0, s.output
        assert "dated, as of 2030-02" in s.output
        h = runner.invoke(app, ["hindcast", str(path), "-n", "5", "-s", "1"])
        assert h.exit_code == 0, h.output
        assert "dated (as of 2030-02)" in h.output and "2030-02..2030-03" in h.output
    finally:
        path.unlink()


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("2029-12", "2029-12 is before the game's start 2030-01"),
        ("2030-04", "2030-04 is after the game's end 2030-03"),
        ("March 2030", "not a YYYY-MM month"),
    ],
)
def test_bad_dates_are_located(as_of: str, message: str) -> None:
    with pytest.raises(InputError) as err:
        _load(_dated(as_of))
    text = str(err.value)
    assert "worldviews.dated.as_of" in text and message in text
    line = GAME.read_text(encoding="utf-8").split("\n").index("worldviews:") + 4
    assert f"{GAME}:{line}: " in text  # file and line (of as_of)


def test_a_date_after_the_start_needs_a_record() -> None:
    text = GAME.read_text(encoding="utf-8")
    no_record = _dated("2030-02", text[: text.index("record:\n")])
    with pytest.raises(InputError, match=r"worldviews\.dated\.as_of.*no `record:` section"):
        _load(no_record)


def test_an_election_before_the_date_is_history() -> None:
    # an election in 2030-01 whose successor (certainly) withdraws the call: in the undated
    # game every call after it is a wait; as of 2030-02 the coalition choosing is the one the
    # election made, so its call stands
    election = """  election:
    month: "2030-01"
    member: blue
    p_continuity: {value: 0, assumption: "invented"}
    withdrawn_moves: [call]
    fallback_move: wait
"""
    text = GAME.read_text(encoding="utf-8").replace("  types:\n", election + "  types:\n", 1)
    loaded = _load(_dated("2030-02", text))
    for worldview, move in (("dated", "call"), (None, "wait")):
        game = with_worldview(loaded, worldview).game
        assert game is not None
        eps = build_episodes(game, 2, 50)
        g = CoalitionGame(game, eps.draws, eps.mix_types, eps.game_seed)
        tft = make_strategy(game.strategies[0], eps.draws)
        rngs = (np.random.default_rng(0), np.random.default_rng(1))
        play(g, (coalition_player(tft, g), TypedTarget(g)), 50, rngs)
        # month 1: the dated coalition opens with its call; the undated one's call (after the
        # target's stall or meet) or press (after a test) — never a call
        if worldview == "dated":
            assert (g.played[0][:, 1] == g.c_index[move]).all()
        else:
            assert not (g.played[0][:, 1:] == g.c_index["call"]).any()


def test_a_dated_worldview_pickles_by_value() -> None:
    """Worker processes and Ray receive dated games: the history source is a value, so the
    game pickles, and the copy reads the same history (a closure here once broke
    `cruxes --workers 2` on the flagship)."""
    import pickle
    from pathlib import Path

    from detente.scenario.load import load_scenario, with_worldview

    korea = load_scenario(
        Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"
    )
    sc = with_worldview(korea, "skeptic")
    assert sc.game is not None and sc.game.as_of == "2023-03"
    copy = pickle.loads(pickle.dumps(sc))
    assert copy == sc == with_worldview(korea, "skeptic")
    assert copy.game is not None and copy.game.history is not None and sc.game.history is not None
    assert copy.game.history.coalition == sc.game.history.coalition
    assert copy.game.history.months == sc.game.month_index("2023-03")
