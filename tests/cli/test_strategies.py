"""`detente strategies` on the Korea scenario: table, JSON, determinism, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

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
