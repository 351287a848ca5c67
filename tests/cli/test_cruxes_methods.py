"""``detente cruxes --method shapley|switch``: JSON, tables, workers 1 and 2 byte-identical,
Ray the same (marked), bad usage exits 2."""

from __future__ import annotations

import json
import sys
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
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
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


# ------------------------------------------------------------------- prim and evppi (item 3, 4)

GAME = ["--worldviews", "engagement", "--output", "scorecard:hill", "--episodes", "4"]


def test_prim_forecast_json_workers_identical() -> None:
    pytest.importorskip("ema_workbench")
    args = [*FAST, "--method", "prim", "--threshold", "60", "--design", "16", "--format", "json"]
    code, one, err = invoke(*args)
    assert code == 0, err
    data = json.loads(one)
    assert data["method"] == "prim" and [r["worldview"] for r in data["readings"]] == [
        "engagement",
        "skeptic",
    ]
    for reading in data["readings"]:
        assert reading["design"] == 16
        assert sum(reading["conclusions"].values()) == 16
        for box in reading["boxes"]:
            assert 0 < box["coverage"] <= 1 and 0 < box["density"] <= 1
            assert box["trajectory"][0]["mass"] == 1.0
    code, two, _ = invoke(*args, "--workers", "2")
    assert code == 0 and two == one


@pytest.mark.slow
def test_evppi_and_prim_game_tables_and_workers_identical() -> None:
    args = [*GAME, "--method", "evppi", "--design", "16", "--format", "json"]
    code, one, err = invoke(*args)
    assert code == 0, err
    data = json.loads(one)["readings"][0]
    assert data["evpi"] >= 0 and data["evpi_se"] > 0
    assert all(r["evppi"] >= 0 for r in data["evppi"])
    assert invoke(*args, "--workers", "2")[1] == one
    code, out, _ = invoke(*GAME, "--method", "evppi", "--design", "16")
    assert code == 0 and "EVPI" in out and "EVPPI" in out
    pytest.importorskip("ema_workbench")
    code, out, _ = invoke(*GAME, "--method", "prim", "--design", "16")
    assert code == 0 and "under engagement" in out and "design: 16 rows" in out


def test_prim_and_evppi_bad_usage_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = invoke(*FAST, "--method", "evppi", "--design", "4")
    assert code == 2 and "strategy decision" in err and "Traceback" not in err
    code, _, err = invoke(*FAST, "--method", "prim", "--design", "4")
    assert code == 2 and "--threshold" in err
    code, _, err = invoke(
        "--worldviews", "engagement", "--output", "strategy:cohesion:grit", "--method", "evppi"
    )
    assert code == 2 and "one option" in err
    monkeypatch.setitem(sys.modules, "ema_workbench", None)
    code, out, err = invoke(*FAST, "--method", "prim", "--threshold", "60")
    assert code == 2 and out == ""
    want = "detente cruxes --method prim needs ema_workbench: pip install 'detente[discovery]'"
    assert want in err
