"""The explorer's crux panel job (issue 17, item 6): its answer is ``crux_panel``'s for the same
seed and settings, with every named judgment's quotes; it is refused (422) before any work when
the scenario cannot have one or it is over the ``panel_*`` limits, and 429 beyond the job caps;
hostile text travels literally. On the synthetic scorecard game of ``panel_game.py`` (every
number invented), one scorecard, few episodes, so each panel takes a few seconds."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient

from detente.analysis.panel import crux_panel
from detente.models.base import jsonable
from detente.scenario.load import parse_yaml
from detente.web import service
from detente.web.app import create_app
from detente.web.limits import Limits

from .panel_game import NOTE_URL, QUOTE, panel_game_yaml
from .web_names import KOREA

PROBLEM = "application/problem+json"
HOSTILE = "<script>window.__pwned = 1</script> {{ 7 * 7 }} [/] \u202eevil\u202c"
#: small settings: one scorecard, 12 episodes per evaluation (~3 s)
SMALL: dict[str, Any] = {
    "scorecards": ["hawk"],
    "episodes": 12,
    "max_evaluations": 64,
    "seed": 3,
}


@pytest.fixture(scope="module")
def folder(web_scenarios: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The web tests' folder (Korea, the EC case) plus the panel game, plain and hostile."""
    out = tmp_path_factory.mktemp("panel-scenarios")
    for f in web_scenarios.glob("*.yaml"):
        (out / f.name).write_bytes(f.read_bytes())
    (out / "data").mkdir()
    for f in (web_scenarios / "data").iterdir():
        (out / "data" / f.name).write_bytes(f.read_bytes())
    (out / "panel-game.yaml").write_text(panel_game_yaml(), encoding="utf-8")
    (out / "hostile-game.yaml").write_text(panel_game_yaml(HOSTILE), encoding="utf-8")
    return out


def make_client(folder: Path, **kwargs: Any) -> TestClient:
    return TestClient(
        create_app(folder, **kwargs), base_url="http://127.0.0.1", raise_server_exceptions=False
    )


@pytest.fixture()
def client(folder: Path) -> Iterator[TestClient]:
    with make_client(folder) as c:
        yield c


def problem_of(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"] and "Traceback" not in r.text
    return body


def finish(c: TestClient, job: dict[str, Any]) -> dict[str, Any]:
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = c.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "done", job
    return job


def test_the_job_answers_crux_panel_for_the_same_settings(client: TestClient, folder: Path) -> None:
    r = client.post("/api/panel", json={"scenario": "panel-game", **SMALL})
    assert r.status_code == 202, r.text
    job = finish(client, r.json())
    assert job["kind"] == "panel" and job["progress"] == 1.0
    res = job["result"]
    loaded = parse_yaml((folder / "panel-game.yaml").read_text(encoding="utf-8"), "g.yaml")
    direct = crux_panel(
        loaded, "hopeful", "wary", ["hawk"], seed=3, episodes=12, max_evaluations=64
    )
    assert res["panel"] == jsonable(direct.to_dict())  # numbers, sentences, bases: all equal
    # the upper estimate the limit is checked against bounds what was done
    assert direct.evaluations <= service.panel_evaluations(3, 64)
    # every judgment a statement names, with each reading's value and quotes
    named = {
        b["path"] for c in res["panel"]["scorecards"] for s in c["statements"] for b in s["bases"]
    }
    assert named and named == set(res["judgments"])
    prior = res["judgments"]["game.types.spoiler.prior"]
    assert prior["wary"]["quotes"] == [
        {"doc": "note", "quote": QUOTE, "title": loaded.scenario.sources[0].title, "url": NOTE_URL}
    ]
    assert prior["hopeful"]["quotes"] == [] and prior["hopeful"]["assumption"] == "invented"
    assert prior["wary"]["value"] == "0.8" and prior["hopeful"]["value"] == "0.4"
    again = client.post("/api/panel", json={"scenario": "panel-game", **SMALL}).json()
    assert again["cached"] and again["result"] == res  # the same question is answered once


def test_hostile_text_travels_literally_and_no_script_address_is_kept(
    client: TestClient, folder: Path
) -> None:
    job = finish(
        client, client.post("/api/panel", json={"scenario": "hostile-game", **SMALL}).json()
    )
    res = job["result"]
    texts = [s["text"] for c in res["panel"]["scorecards"] for s in c["statements"]]
    assert any(f"Nothing for free {HOSTILE}" in t for t in texts)
    cost = res["judgments"]["game.declaration.cost"]["wary"]
    assert cost["quotes"] == [{"doc": "trap", "quote": HOSTILE, "title": HOSTILE, "url": None}]
    assert cost["assumption"] == f"invented: {HOSTILE}"


@pytest.mark.parametrize(
    ("body", "field", "says"),
    [
        ({"scenario": "ec-emission-standards-1994"}, "game", "no `game:` section"),
        ({"scenario": "panel-game", "worldviews": ["hopeful", "nope"]}, "worldviews", "'nope'"),
        ({"scenario": "panel-game", "worldviews": ["wary", "wary"]}, "worldviews", "twice"),
        ({"scenario": "panel-game", "scorecards": ["hawk", "owl"]}, "scorecards", "'owl'"),
    ],
)
def test_a_scenario_without_a_panel_is_a_located_422(
    client: TestClient, body: dict[str, Any], field: str, says: str
) -> None:
    problem = problem_of(client.post("/api/panel", json=body), 422)
    assert problem["diagnostics"][0]["field"] == field and says in problem["detail"]
    assert client.get("/api/jobs").json() == []  # nothing was queued


def test_a_panel_over_the_limits_is_refused_before_any_work(folder: Path) -> None:
    with make_client(folder) as c:  # the defaults: the Korea panel at 400 episodes is too costly
        body = problem_of(
            c.post("/api/panel", json={"scenario": KOREA, "episodes": 400, "max_evaluations": 64}),
            422,
        )
        assert body["limit"] == "panel_plays" and body["maximum"] == Limits().panel_plays
        assert "12 strategies" in body["detail"] and "2 scorecard(s)" in body["detail"]
        assert body["value"] == 400 * 12 * 2 * service.panel_evaluations(12, 64)
        assert c.get("/api/jobs").json() == []
    limits = Limits(panel_episodes=10, panel_evaluations=16)
    with make_client(folder, limits=limits) as c:
        body = problem_of(c.post("/api/panel", json={"scenario": "panel-game", **SMALL}), 422)
        assert (body["limit"], body["value"], body["maximum"]) == ("panel_episodes", 12, 10)
        small = {**SMALL, "episodes": 10}
        body = problem_of(c.post("/api/panel", json={"scenario": "panel-game", **small}), 422)
        assert (body["limit"], body["value"], body["maximum"]) == ("panel_evaluations", 64, 16)
        assert c.get("/api/jobs").json() == []
    # the request's own bounds (schema): 422 too
    with make_client(folder) as c:
        problem_of(c.post("/api/panel", json={"scenario": "panel-game", "episodes": 1}), 422)


def test_panel_jobs_are_capped_per_client(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    monkeypatch.setattr(service, "crux_panel", lambda *a: (release.wait(30), {"slow": True})[1])
    try:
        with make_client(folder, limits=Limits(jobs_per_client=1, jobs_total=2)) as c:
            first = c.post(
                "/api/panel",
                json={"scenario": "panel-game", **SMALL},
                headers={"x-detente-client": "a"},
            )
            assert first.status_code == 202
            r = c.post(
                "/api/panel",
                json={"scenario": "panel-game", **SMALL, "seed": 4},
                headers={"x-detente-client": "a"},
            )
            assert "jobs_per_client" in problem_of(r, 429)["detail"]
            assert int(r.headers["retry-after"]) > 0
            other = c.post(
                "/api/panel",
                json={"scenario": "panel-game", **SMALL, "seed": 5},
                headers={"x-detente-client": "b"},
            )
            assert other.status_code == 202
            r = c.post(
                "/api/panel",
                json={"scenario": "panel-game", **SMALL, "seed": 6},
                headers={"x-detente-client": "c"},
            )
            assert "jobs_total" in problem_of(r, 429)["detail"]
            release.set()
    finally:
        release.set()


def test_a_cancelled_panel_stops_at_its_next_batch(client: TestClient) -> None:
    r = client.post("/api/panel", json={"scenario": "panel-game", **SMALL, "seed": 11})
    job = r.json()
    deadline = time.monotonic() + 60
    while job["status"] != "running" and time.monotonic() < deadline:  # cancel it while it runs
        time.sleep(0.02)
        job = client.get(f"/api/jobs/{job['id']}").json()
    client.delete(f"/api/jobs/{job['id']}")
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/api/jobs/{job['id']}").json()
    assert job["status"] == "cancelled" and job["result"] is None
