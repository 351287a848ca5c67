"""`detente brief`: table and JSON on the flagship and on a scenario without a game; bad input
exits 2 with one line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from detente.cli import app

ROOT = Path(__file__).resolve().parents[2]
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
EMISSION = ROOT / "scenarios" / "ec-emission-standards-1994.yaml"
SMALL = ("--draws", "8", "--episodes", "8", "--seed", "2")


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["brief", *args])
    return result.exit_code, result.output


def test_korea_table_answers_the_question() -> None:
    code, out = invoke(str(KOREA), "-w", "engagement", "-w", "skeptic", *SMALL)
    assert code == 0, out
    assert "Question: Should Washington and Seoul" in out
    assert "The answer: the best strategy on each scorecard" in out
    assert "What decides it on scorecard hill" in out
    assert "The record:" in out and "Where to look next:" in out


def test_korea_json_names_best_strategy_per_scorecard_and_worldview() -> None:
    code, out = invoke(str(KOREA), "-w", "engagement", "-w", "skeptic", *SMALL, "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    best = {(a["scorecard"], a["worldview"]): a["best"] for a in data["answers"]}
    assert set(best) == {(c, w) for c in ("cato", "hill") for w in ("engagement", "skeptic")}
    assert data["question"].startswith("Should Washington and Seoul")


def test_scenario_without_a_game() -> None:
    code, out = invoke(str(EMISSION), "--draws", "8", "-f", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["answers"] == [] and data["record"] is None and data["forecasts"]


def test_bad_input_exits_2() -> None:
    code, out = invoke(str(KOREA), "-w", "nobody", *SMALL)
    assert code == 2 and "unknown worldview 'nobody'" in out and "Traceback" not in out
    code, out = invoke(str(KOREA), "-m", "no-such-model", *SMALL)
    assert code == 2 and "unknown model" in out
    code, out = invoke(str(KOREA), "-f", "csv")
    assert code == 2
