"""The command-line contract (shared DESIGN.md) of ``detente forecast``: JSON, table, CSV, exit
codes, no tracebacks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from detente.cli import app

runner = CliRunner()

SCENARIOS = ["korea-peace-declaration.yaml", "ec-emission-standards-1994.yaml"]
ISSUES = {
    "korea-peace-declaration.yaml": [
        "declaration",
        "sanctions",
        "nuclear",
        "exercises",
        "armistice",
    ],
    "ec-emission-standards-1994.yaml": ["delay"],
}


def run(*args: str) -> Result:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.stdout + result.stderr
    return result


def forecast_json(path: Path, *args: str) -> dict[str, object]:
    result = run("forecast", str(path), "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def declaration(data: dict[str, object]) -> float:
    issues = data["issues"]
    assert isinstance(issues, list)
    return float(next(i["forecast"] for i in issues if i["id"] == "declaration"))


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("model", ["compromise", "median"])
def test_forecast_json_contract(scenarios_dir: Path, name: str, model: str) -> None:
    data = forecast_json(scenarios_dir / name, "--model", model)
    assert {"scenario", "model", "worldview", "issues"} <= set(data)
    assert data["scenario"] == name.removesuffix(".yaml")
    assert data["model"] == model
    assert data["worldview"] is None
    issues = data["issues"]
    assert isinstance(issues, list)
    assert [i["id"] for i in issues] == ISSUES[name]
    for issue in issues:
        assert {"id", "forecast"} <= set(issue)
        assert isinstance(issue["forecast"], float)
    assert "rounds" not in data  # static models have no rounds


def test_forecast_json_carries_the_calibrated_interval(korea_yaml: Path) -> None:
    from detente.analysis.calibration import CAVEAT, LABEL, calibrated_interval

    data = forecast_json(korea_yaml, "--model", "compromise")
    note = data["calibration"]
    assert note["label"] == LABEL and note["caveat"] == CAVEAT and note["level"] == 0.8  # type: ignore[index]
    for issue in data["issues"]:  # type: ignore[attr-defined]
        want = calibrated_interval("compromise", issue["forecast"])
        assert issue["calibrated_interval"] == pytest.approx(list(want), abs=1e-4)  # type: ignore[arg-type]
        assert issue["calibrated_interval"][0] < issue["forecast"] < issue["calibrated_interval"][1]


def test_forecast_json_values(emission_yaml: Path) -> None:
    compromise = forecast_json(emission_yaml, "--model", "compromise")
    median = forecast_json(emission_yaml, "--model", "median")
    assert compromise["issues"][0]["forecast"] == pytest.approx(7.38996, abs=1e-5)  # type: ignore[index]
    assert median["issues"][0]["forecast"] == 7.0  # type: ignore[index]


@pytest.mark.parametrize("name", SCENARIOS)
def test_forecast_table(scenarios_dir: Path, name: str) -> None:
    result = run("forecast", str(scenarios_dir / name), "--model", "compromise")
    assert result.exit_code == 0, result.stderr
    assert "forecast" in result.stdout
    # the DEU-calibrated 80 % interval beside each forecast, labelled, with its caveat
    assert "80 % (DEU)" in result.stdout
    assert "calibrated on EU legislative bargaining (DEU III)" in " ".join(result.stdout.split())
    assert "caveat:" in result.stdout
    if name.startswith("korea"):
        assert "End-of-war" in result.stdout
        assert "0–100" in result.stdout
    else:
        assert "4–10" in result.stdout


def test_forecast_table_shows_the_worldview(korea_yaml: Path) -> None:
    result = run("forecast", str(korea_yaml), "--worldview", "skeptic")
    assert result.exit_code == 0, result.stderr
    assert "worldview: Skeptic" in result.stdout


@pytest.mark.parametrize("name", SCENARIOS)
@pytest.mark.parametrize("model", ["compromise", "median"])
def test_forecast_csv(scenarios_dir: Path, name: str, model: str) -> None:
    result = run("forecast", str(scenarios_dir / name), "--model", model, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["issue"] for r in rows] == ISSUES[name]
    assert set(rows[0]) == {"issue", "label", "forecast"}
    as_json = forecast_json(scenarios_dir / name, "--model", model)
    for row, issue in zip(rows, as_json["issues"], strict=True):  # type: ignore[call-overload]
        assert float(row["forecast"]) == pytest.approx(issue["forecast"], rel=1e-12)


def test_worldviews_give_different_declaration_forecasts(korea_yaml: Path) -> None:
    """With the default model (compromise); the median is robust to these overrides."""
    base = forecast_json(korea_yaml)
    engagement = forecast_json(korea_yaml, "--worldview", "engagement")
    skeptic = forecast_json(korea_yaml, "-w", "skeptic")
    assert base["model"] == "compromise"
    assert engagement["worldview"] == "engagement"
    assert skeptic["worldview"] == "skeptic"
    # Engagement: Pyongyang would welcome a declaration; skeptic: it would not.
    assert declaration(skeptic) < declaration(base) < declaration(engagement)
    # (the re-audited readings, scenarios/korea-audit.md, put the gap at about 4 points)
    assert declaration(engagement) - declaration(skeptic) > 3.0


def test_unknown_model_is_a_usage_error(korea_yaml: Path) -> None:
    result = run("forecast", str(korea_yaml), "--model", "oracle")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: unknown model 'oracle' (expected one of: ")
    assert "compromise" in lines[0] and "median" in lines[0]


def test_unknown_worldview_is_a_usage_error(korea_yaml: Path) -> None:
    result = run("forecast", str(korea_yaml), "--worldview", "optimist")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"{korea_yaml}: worldviews: unknown worldview 'optimist' (expected one of: "
    )
    assert "engagement" in lines[0] and "skeptic" in lines[0]


def test_unknown_format_is_a_usage_error(korea_yaml: Path) -> None:
    result = run("forecast", str(korea_yaml), "--format", "xml")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_forecast_on_a_broken_file_is_bad_input(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("detente: 1\nid: x\n", encoding="utf-8")
    result = run("forecast", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"{path}:" in result.stderr and "title: required field is missing" in result.stderr


def test_forecast_prints_warnings_on_stderr_only(tmp_path: Path, repo_root: Path) -> None:
    text = (repo_root / "tests" / "scenario" / "data" / "minimal.yaml").read_text(encoding="utf-8")
    path = tmp_path / "warn.yaml"
    path.write_text(text.replace('{value: 0.5, assumption: "weaker"}', "0.5"), encoding="utf-8")
    result = run("forecast", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "warning: no basis for 0.5" in result.stderr
    json.loads(result.stdout)  # stdout stays clean JSON


def test_max_actors_lifts_or_lowers_the_spatial_limit(
    shared_dir: Path, emission_yaml: Path
) -> None:
    soe = shared_dir / "reference" / "ktab" / "SOE-Pol-Comp.csv"  # 13 actors
    low = run("forecast", str(soe), "--model", "spatial", "--max-actors", "12")
    assert low.exit_code == 2 and "max_actors is 12" in low.stderr
    assert "--max-actors 13" in low.stderr
    ok = run("forecast", str(soe), "--model", "spatial", "--max-actors", "13", "--format", "json")
    default = run("forecast", str(soe), "--model", "spatial", "--format", "json")
    assert ok.exit_code == 0 and ok.stdout == default.stdout  # the limit never moves the result
    other = run("forecast", str(emission_yaml), "--max-actors", "300")
    assert other.exit_code == 2 and "applies to --model spatial" in other.stderr
