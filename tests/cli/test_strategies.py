"""`detente strategies` on the Korea scenario: table, JSON, determinism, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

KOREA = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["strategies", *args])
    return result.exit_code, result.output


def test_json_is_deterministic() -> None:
    args = (
        str(KOREA),
        "--worldview",
        "skeptic",
        "--seed",
        "3",
        "--episodes",
        "200",
        "--format",
        "json",
    )
    code, out = invoke(*args)
    assert code == 0, out
    again = invoke(*args)[1]
    assert out == again
    payload = json.loads(out)
    assert payload["worldview"] == "skeptic"
    rows = payload["rows"]
    assert {r["strategy"] for r in rows} >= {"peace_first", "reciprocal_trade", "grit"}
    assert {"strategy", "type", "metric", "mean", "lo", "hi"} <= set(rows[0])


def test_table_is_readable() -> None:
    code, out = invoke(str(KOREA), "--seed", "1", "--episodes", "100")
    assert code == 0, out
    assert "peace_first" in out and "P(talks ≤12 mo)" in out and "type mix" in out


def test_bad_input_exits_2(tmp_path: Path) -> None:
    assert invoke(str(KOREA), "--worldview", "hawk", "--episodes", "10")[0] == 2
    assert invoke(str(KOREA), "--format", "csv")[0] == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text("game:\n  start: 2021-10\n", encoding="utf-8")
    code, out = invoke(str(bad), "--episodes", "10")
    assert code == 2 and "Traceback" not in out
    assert invoke(str(tmp_path / "missing.yaml"))[0] == 2


# ------------------------------------------------------------------ scorecards and ablation

MINIMAL = Path(__file__).resolve().parents[1] / "strategy" / "data" / "minimal-game.yaml"


def _scorecard_file(tmp_path: Path) -> Path:
    import yaml
    from tests.strategy.scorecard_game import with_scorecards

    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    path = tmp_path / "scorecards.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_scorecards_are_printed_and_in_json_with_the_library_numbers(tmp_path: Path) -> None:
    from detente.scenario.load import load_scenario
    from detente.strategy.scorecards import scorecard_table
    from detente.strategy.simulate import build_episodes

    path = _scorecard_file(tmp_path)
    code, out = invoke(str(path), "--seed", "2", "--episodes", "150")
    assert code == 0, out
    assert "Talks first" in out and "Nothing for free" in out and "gap to next" in out
    code, out = invoke(str(path), "--seed", "2", "--episodes", "150", "--format", "json")
    assert code == 0, out
    cards = json.loads(out)["scorecards"]
    assert set(cards) == {"dove", "hawk"}
    game = load_scenario(path).scenario.game
    assert game is not None
    want = scorecard_table(game, build_episodes(game, 2, 150), game.scorecards[0])
    got = {(r["strategy"], r["metric"]): r["mean"] for r in cards["dove"]}
    for row in want.itertuples():
        assert got[(row.strategy, row.metric)] == pytest.approx(row.mean, abs=1e-12)


def test_a_game_without_scorecards_keeps_its_json_keys() -> None:
    code, out = invoke(str(MINIMAL), "--seed", "1", "--episodes", "50", "--format", "json")
    assert code == 0, out
    assert set(json.loads(out)) == {"scenario", "worldview", "seed", "episodes", "rows"}


def test_ablate_prints_each_rule_and_refuses_what_it_cannot_ablate(tmp_path: Path) -> None:
    path = _scorecard_file(tmp_path)
    code, out = invoke(str(path), "--ablate", "peace_first_rules", "--episodes", "100")
    assert code == 0, out
    assert "opening: declare → hold" in out
    code, out = invoke(
        str(path), "--ablate", "peace_first_rules", "--episodes", "100", "--format", "json"
    )
    assert code == 0, out
    payload = json.loads(out)
    assert payload["strategy"] == "peace_first_rules"
    assert {r["rule"] for r in payload["rows"]} >= {"opening"}
    code, out = invoke(str(path), "--ablate", "no_such_strategy", "--episodes", "100")
    assert code == 2 and "--ablate" in out and "Traceback" not in out
