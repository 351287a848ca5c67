"""``detente cruxes --method shapley|switch``: JSON, tables, workers 1 and 2 byte-identical,
Ray the same (marked), bad usage exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

KOREA = str(Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml")
FAST = ["--worldviews", "engagement,skeptic", "--output", "forecast:declaration"]


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["cruxes", KOREA, *args])
    return result.exit_code, result.stdout, result.stderr


def test_shapley_forecast_json_is_efficient_and_workers_identical() -> None:
    args = [*FAST, "--method", "shapley", "--max-evaluations", "256", "--format", "json"]
    code, one, _ = invoke(*args)
    assert code == 0
    data = json.loads(one)
    total = sum(row["share"] for row in data["shares"])
    assert abs(total - data["difference"]) <= 1e-12
    assert data["estimator"] == "exact"
    code, two, _ = invoke(*args, "--workers", "2")
    assert code == 0 and two == one


def test_switch_and_shapley_tables() -> None:
    code, out, _ = invoke(*FAST, "--method", "shapley")
    assert code == 0 and "Shapley shares" in out and "shares sum to" in out
    code, out, _ = invoke(*FAST, "--method", "switch", "--threshold", "60")
    assert code == 0 and "switch points" in out and "under engagement" in out


@pytest.mark.slow
def test_game_shapley_workers_identical() -> None:
    args = [
        "--worldviews", "engagement,skeptic", "--output", "scorecard:hill", "--method",
        "shapley", "--episodes", "8", "--permutations", "2", "--format", "json",
    ]  # fmt: skip
    code, one, _ = invoke(*args)
    assert code == 0
    assert invoke(*args, "--workers", "2")[1] == one


@pytest.mark.ray
def test_ray_backend_identical() -> None:
    args = [*FAST, "--method", "switch", "--threshold", "60", "--format", "json"]
    code, one, _ = invoke(*args)
    assert code == 0
    code, ray_out, err = invoke(*args, "--backend", "ray", "--workers", "2")
    assert code == 0, err
    assert ray_out == one


def test_bad_usage_exits_2() -> None:
    code, _, err = invoke(
        "--worldviews", "engagement", "--output", "scorecard:hill", "--method", "shapley"
    )
    assert code == 2 and "exactly two" in err
    code, _, err = invoke(*FAST, "--method", "shapley", "--permutations", "3")
    assert code == 2 and "even" in err
    code, _, err = invoke(*FAST, "--method", "switch")
    assert code == 2 and "--threshold" in err
    code, _, err = invoke(
        "--worldviews", "engagement,hawk", "--output", "scorecard:hill", "--method", "shapley"
    )
    assert code == 2 and "hawk" in err and "Traceback" not in err
