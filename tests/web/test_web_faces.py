"""The explorer's hindcast and scorecards panels and its DEU-calibrated intervals (issues 16
and 18): each endpoint answers what the library (or the command) computes for the same
question, refuses what it cannot or should not compute (422), and reads a record only from
its scenarios folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.analysis.calibration import CAVEAT, LABEL, calibrated_intervals
from detente.cli import app as cli_app
from detente.models import get_model
from detente.scenario.load import load_scenario, with_worldview
from detente.scenario.problem import to_problem

from .test_web_api import assert_problem, korea_text, wait_job
from .web_names import KOREA

EMISSION = "ec-emission-standards-1994"


def _job(client: TestClient, **req: Any) -> dict[str, Any]:
    r = client.post("/api/jobs", json={"scenario": KOREA, **req})
    assert r.status_code == 202, r.text
    job = wait_job(client, r.json()["id"], timeout=300)
    assert job["status"] == "done", job
    return job["result"]  # type: ignore[no-any-return]


# ---- the hindcast -------------------------------------------------------------------------


def test_hindcast_job_is_detente_hindcast(client: TestClient, web_scenarios: Path) -> None:
    res = _job(client, kind="hindcast", episodes=40, seed=3)
    cli = CliRunner().invoke(
        cli_app,
        ["hindcast", str(web_scenarios / f"{KOREA}.yaml"), "-n", "40", "--seed", "3", "-f", "json"],
    )
    assert cli.exit_code == 0, cli.output
    assert res == json.loads(cli.output)  # the same payload, number for number
    # the panel's parts: per worldview log-lik ± MC se, P(no talks), posteriors, months
    names = [r["worldview"] for r in res["worldviews"]]
    assert names[0] == "base" and {"engagement", "skeptic"} <= set(names)
    for r in res["worldviews"]:
        assert np.isfinite(r["log_likelihood"]) and r["mc_se"] >= 0
        assert 0 <= r["p_no_talks"] <= 1
        assert abs(sum(t["posterior"] for t in r["types"]) - 1) < 1e-9
        assert len(r["surprising"]) >= 3
        p = [m["p_mean"] for m in r["surprising"]]
        assert p == sorted(p)
    # the worldviews' dates differ (skeptic 2023-03): the posterior comes from the common months
    assert res["posterior_window"][0] == "2023-03"
    assert abs(sum(res["posterior"].values()) - 1) < 1e-9
    assert len(res["common"]) == len(res["worldviews"])


def test_hindcast_of_an_edited_document_reads_the_folder_record(
    client: TestClient, web_scenarios: Path
) -> None:
    text = korea_text(web_scenarios)
    r = client.post(
        "/api/jobs", json={"yaml": text, "name": "mine.yaml", "kind": "hindcast", "episodes": 20}
    )
    assert r.status_code == 202, r.text
    assert wait_job(client, r.json()["id"], timeout=300)["status"] == "done"
    # a record outside the folder is never read (an uploaded document cannot point elsewhere)
    (web_scenarios.parent / "outside.csv").write_text("month\n2021-10\n", encoding="utf-8")
    outside = text.replace("file: data/korea-record.csv", "file: ../outside.csv")
    assert outside != text
    body = assert_problem(
        client.post("/api/jobs", json={"yaml": outside, "kind": "hindcast", "episodes": 20}), 422
    )
    assert "record.file" in body["detail"] and "scenarios folder" in body["detail"]
    assert str(web_scenarios.parent) not in json.dumps(body)


def test_hindcast_bounds_and_missing_sections(client: TestClient) -> None:
    body = assert_problem(
        client.post("/api/jobs", json={"scenario": EMISSION, "kind": "hindcast"}), 422
    )
    assert "no `game:` and `record:` sections" in body["detail"]
    assert_problem(
        client.post("/api/jobs", json={"scenario": KOREA, "kind": "hindcast", "episodes": 20_001}),
        422,
    )
    assert_problem(
        client.post("/api/jobs", json={"scenario": KOREA, "kind": "hindcast", "episodes": 1}), 422
    )


def test_hindcast_cost_limit(web_scenarios: Path) -> None:
    from detente.web.app import create_app
    from detente.web.limits import Limits

    app = create_app(web_scenarios, limits=Limits(game_episodes=1000))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as c:
        # base + 3 worldviews, scored twice (their dates differ): 8 hindcasts
        r = c.post("/api/jobs", json={"scenario": KOREA, "kind": "hindcast", "episodes": 126})
        body = assert_problem(r, 422)
        assert body["limit"] == "game_episodes" and body["value"] == 126 * 8
        assert (
            c.post(
                "/api/jobs", json={"scenario": KOREA, "kind": "hindcast", "episodes": 125}
            ).status_code
            == 202
        )


def test_dated_worldview_strategies_job_reads_the_folder_record(client: TestClient) -> None:
    """A dated worldview's game starts from the record's history: read from the folder (the
    explorer used to look for it beside its working directory, and the job failed)."""
    res = _job(client, kind="strategies", episodes=10, worldview="skeptic")
    assert res["rows"]


# ---- the scorecards -----------------------------------------------------------------------


@pytest.mark.slow
def test_scorecards_job_is_compare_scorecards(client: TestClient, web_scenarios: Path) -> None:
    from detente.analysis.compare import compare_scorecards
    from detente.strategy.scorecards import scorecard_heading

    res = _job(client, kind="scorecards", episodes=12, seed=2)
    loaded = load_scenario(web_scenarios / f"{KOREA}.yaml")
    game = loaded.scenario.game
    assert game is not None and game.scorecards
    views = ["base", *(w.id for w in loaded.scenario.worldviews)]
    assert res["worldviews"] == views
    # the library's one call, on the base and a dated worldview (each view's rows are its own)
    checked = ["base", "skeptic"]
    scenarios = {v: with_worldview(loaded, None if v == "base" else v) for v in checked}
    frame, _ = compare_scorecards(scenarios, checked, 2, 12)
    assert [c["id"] for c in res["scorecards"]] == [c.id for c in game.scorecards]
    for card, block in zip(game.scorecards, res["scorecards"], strict=True):
        assert block["heading"] == scorecard_heading(card)
        assert card.label in block["heading"]
        want = frame[frame.scorecard == card.id]
        assert len(block["rows"]) == len(game.strategies) * len(views)
        assert len(want) == len(game.strategies) * len(checked)
        for row in block["rows"]:
            assert row["lo"] <= row["mean"] <= row["hi"]
            if row["worldview"] not in checked:
                continue
            w = want[(want.strategy == row["strategy"]) & (want.worldview == row["worldview"])]
            assert row["rank"] == int(w["rank"].iloc[0])
            assert row["mean"] == pytest.approx(float(w["mean"].iloc[0]), abs=1e-12)
        for v in views:  # a ranking per view: 1 is taken
            assert min(r["rank"] for r in block["rows"] if r["worldview"] == v) == 1


def test_scorecards_bounds_and_missing_sections(client: TestClient) -> None:
    body = assert_problem(
        client.post("/api/jobs", json={"scenario": EMISSION, "kind": "scorecards"}), 422
    )
    assert "no `game:` section" in body["detail"]
    body = assert_problem(
        client.post(
            "/api/jobs", json={"scenario": KOREA, "kind": "scorecards", "episodes": 20_000}
        ),
        422,
    )
    assert body["limit"] == "game_episodes"
    assert "scorecards x 4 worldviews" in body["detail"]


def test_view_says_which_panels_apply(client: TestClient) -> None:
    korea = client.get(f"/api/scenarios/{KOREA}").json()["view"]
    assert korea["has_record"] and korea["has_scorecards"]
    other = client.get(f"/api/scenarios/{EMISSION}").json()["view"]
    assert not other["has_record"] and not other["has_scorecards"]


# ---- DEU-calibrated intervals -------------------------------------------------------------


def test_forecasts_carry_the_deu_interval(client: TestClient, web_scenarios: Path) -> None:
    r = client.post(
        "/api/forecast", json={"scenario": KOREA, "worldview": "skeptic", "models": ["compromise"]}
    )
    assert r.status_code == 200, r.text
    fc = r.json()["forecasts"][0]
    note = fc["calibration"]
    assert note["label"] == LABEL == "calibrated on EU legislative bargaining (DEU III)"
    assert note["caveat"] == CAVEAT and note["level"] == 0.8 and note["model_scored"]
    loaded = load_scenario(web_scenarios / f"{KOREA}.yaml")
    sc = with_worldview(loaded, "skeptic")
    point = get_model("compromise").forecast(to_problem(sc)).outcome
    want = calibrated_intervals("compromise", sc, point)
    for it, w, x in zip(fc["issues"], want, point, strict=True):
        assert w is not None
        assert it["deu"] == pytest.approx(list(w), abs=1e-12)
        assert it["deu"][0] <= it["forecast"] <= it["deu"][1]
        assert it["forecast"] == pytest.approx(float(x))


def test_monte_carlo_carries_both_intervals(client: TestClient, web_scenarios: Path) -> None:
    from detente.uncertainty.runner import Job, simulate

    res = _job(client, kind="montecarlo", model="median", draws=300, seed=4)
    loaded = load_scenario(web_scenarios / f"{KOREA}.yaml")
    draws = simulate(Job(scenario=loaded.scenario, model="median", seed=4, draws=300)).outcome
    want = calibrated_intervals("median", loaded.scenario, draws)
    assert res["calibration"]["label"] == LABEL
    for issue, w, j in zip(res["issues"], want, range(len(want)), strict=True):
        assert w is not None
        assert issue["deu"] == pytest.approx(list(w), abs=1e-12)
        lo, hi = issue["interval"]  # over the judgments only: 5-95 % of the draws
        assert lo == pytest.approx(float(np.quantile(draws[:, j], 0.05)), abs=1e-9)
        # the DEU interval adds the model's own error (DEU residuals span tens of points):
        # wider than the judgments' range alone for these draws
        assert issue["deu"][1] - issue["deu"][0] >= hi - lo
