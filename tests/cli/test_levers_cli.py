"""``detente levers``: JSON and table output, --workers byte-identical, bad input exits 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


def test_json_names_the_levers_ranked(korea_yaml: Path) -> None:
    result = run(
        "levers", str(korea_yaml), "--issue", "declaration", "--target", "50",
        "--model", "expected-utility", "--format", "json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["scenario"] == "korea-peace-declaration"
    assert doc["issue"] == "declaration" and doc["direction"] == "down"
    first = doc["levers"][0]
    assert first["rank"] == 1 and first["reachable"]
    assert first["forecast"] <= 50 < first["forecast_at_99pct"]
    reachable = [lv["size"] for lv in doc["levers"] if lv["reachable"]]
    assert reachable == sorted(reachable)
    # every actor × dimension is listed, reachable or not
    assert len(doc["levers"]) == 6 * 3


def test_table_and_worldview(korea_yaml: Path) -> None:
    result = run(
        "levers", str(korea_yaml), "--issue", "declaration", "--target", "60",
        "--worldview", "skeptic", "--pairs",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "worldview" in result.stdout and "rank" in result.stdout
    assert "pairs of the top 6 levers searched" in result.stdout


@pytest.mark.slow
def test_workers_give_byte_identical_json(emission_yaml: Path) -> None:
    outs = []
    for workers in ("1", "2"):
        result = run(
            "levers", str(emission_yaml), "--issue", "delay", "--target", "6",
            "--model", "expected-utility", "--pairs", "--workers", workers, "--format", "json",
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        outs.append(result.stdout)
    assert outs[0] == outs[1]


@pytest.mark.ray
@pytest.mark.slow
def test_ray_backend_gives_byte_identical_json(emission_yaml: Path) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
    args = [
        "levers", str(emission_yaml), "--issue", "delay", "--target", "6",
        "--model", "expected-utility", "--format", "json",
    ]  # fmt: skip
    local = run(*args)
    ray_out = run(*args, "--backend", "ray", "--workers", "2")
    assert local.exit_code == 0 and ray_out.exit_code == 0, ray_out.stderr
    assert ray_out.stdout == local.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--issue", "nope", "--target", "50"], "--issue 'nope' is not an issue"),
        (["--issue", "declaration", "--target", "120"], "--target 120.0 for issue"),
        (["--issue", "declaration", "--target", "nan"], "--target nan"),
        (["--issue", "declaration", "--target", "50", "--actors", "mars"], "unknown actor"),
        (["--issue", "declaration", "--target", "50", "--model", "oracle"], "unknown model"),
        (["--issue", "declaration", "--target", "50", "--format", "csv"], "--format"),
        (["--issue", "declaration", "--target", "50", "--scan", "-1"], "--scan -1"),
    ],
)
def test_bad_input_exits_2_with_one_line(korea_yaml: Path, args: list[str], needle: str) -> None:
    result = run("levers", str(korea_yaml), *args)
    assert result.exit_code == 2
    assert needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_missing_target_is_a_usage_error(korea_yaml: Path) -> None:
    result = run("levers", str(korea_yaml), "--issue", "declaration")
    assert result.exit_code == 2
