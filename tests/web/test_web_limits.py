"""The explorer under abuse (issue 21, item 5): Host names, binding, what a request may cost,
nested JSON, symbolic links in the folder, and the per-client and total limits of the CPU queue
and of background jobs — one client cannot lock the others out."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from detente.cli import app as cli_app
from detente.web import service
from detente.web.app import create_app
from detente.web.limits import CLIENT, Limits, estimate_nodes

from .web_names import KOREA

PROBLEM = "application/problem+json"
ROOT = Path(__file__).resolve().parents[2]


def problem_of(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = r.json()
    assert body["status"] == status and body["detail"] and "Traceback" not in r.text
    return body


def make_client(folder: Path, **kwargs: Any) -> TestClient:
    return TestClient(
        create_app(folder, **kwargs), base_url="http://127.0.0.1", raise_server_exceptions=False
    )


# ---- Host names and binding ------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example", "127.0.0.1.nip.io", "localhost.evil.example"])
def test_other_host_names_are_refused(client: TestClient, host: str) -> None:
    body = problem_of(client.get("/api/health", headers={"host": host}), 421)
    assert "answers only for" in body["detail"] and "--allowed-host" in body["detail"]
    problem_of(client.post("/api/forecast", json={"scenario": KOREA}, headers={"host": host}), 421)


def test_missing_host_is_refused(client: TestClient) -> None:
    problem_of(client.get("/api/health", headers={"host": ""}), 400)


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"]
)
def test_loopback_names_are_answered(client: TestClient, host: str) -> None:
    assert client.get("/api/health", headers={"host": host}).status_code == 200


def test_added_names_are_answered(web_scenarios: Path) -> None:
    with make_client(web_scenarios, hosts=("127.0.0.1", "explorer.lan")) as c:
        assert c.get("/api/health", headers={"host": "explorer.lan:8000"}).status_code == 200
        problem_of(c.get("/api/health", headers={"host": "localhost"}), 421)


runner = CliRunner()


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "example.org"])
def test_serve_refuses_to_bind_beyond_loopback(host: str, web_scenarios: Path) -> None:
    r = runner.invoke(cli_app, ["serve", "--host", host, "--scenarios", str(web_scenarios)])
    assert r.exit_code == 2, r.output
    assert "--allow-remote" in r.output and "Traceback" not in r.output


def test_serve_flags_reach_the_app(monkeypatch: pytest.MonkeyPatch, web_scenarios: Path) -> None:
    import uvicorn

    seen: dict[str, Any] = {}

    def fake_run(app: Any, **kwargs: Any) -> None:
        seen["app"], seen["kwargs"] = app, kwargs

    monkeypatch.setattr(uvicorn, "run", fake_run)
    args = ["serve", "--scenarios", str(web_scenarios), "--host", "0.0.0.0", "--allow-remote"]
    args += ["--allowed-host", "box.lan", "--limit", "cpu_queue=5", "--limit", "mc_cells=1_000"]
    r = runner.invoke(cli_app, args)
    assert r.exit_code == 0, r.output
    assert "warning: binding 0.0.0.0" in r.output
    assert seen["kwargs"]["host"] == "0.0.0.0"
    app = seen["app"]
    assert app.state.limits.cpu_queue == 5 and app.state.limits.mc_cells == 1000
    with TestClient(app, base_url="http://box.lan") as c:
        assert c.get("/api/health").status_code == 200
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        r = runner.invoke(cli_app, ["serve", "--scenarios", str(web_scenarios), "--host", loopback])
        assert r.exit_code == 0, r.output


@pytest.mark.parametrize("bad", ["cpu_queue", "nope=3", "cpu_queue=x", "cpu_queue=0"])
def test_serve_bad_limit_exits_2(bad: str, web_scenarios: Path) -> None:
    r = runner.invoke(cli_app, ["serve", "--scenarios", str(web_scenarios), "--limit", bad])
    assert r.exit_code == 2 and "--limit" in r.output and "Traceback" not in r.output


# ---- nested JSON ----------------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


@pytest.mark.parametrize("depth", [9, 900])
def test_deeply_nested_edit_value_is_a_422(client: TestClient, depth: int) -> None:
    edit = '[{"path": "actors.dprk.capability", "value": ' + nested(depth) + "}]"
    body = '{"scenario": "' + KOREA + '", "edits": ' + edit + "}"
    r = client.post("/api/edit", content=body, headers={"content-type": "application/json"})
    assert "nested at most 8 levels" in problem_of(r, 422)["detail"]
    assert client.get("/api/health").status_code == 200  # the server goes on


@pytest.mark.parametrize("depth", [900, 5000, 100_000])
def test_deeply_nested_json_anywhere_is_a_4xx(client: TestClient, depth: int) -> None:
    for path, body in (
        ("/api/forecast", '{"scenario": "' + KOREA + '", "models": ' + nested(depth) + "}"),
        ("/api/edit", '{"scenario": "' + KOREA + '", "edits": ' + nested(depth) + "}"),
        ("/api/jobs", nested(depth)),
    ):
        r = client.post(path, content=body, headers={"content-type": "application/json"})
        assert 400 <= r.status_code < 500, (path, depth, r.status_code, r.text[:200])
        problem_of(r, r.status_code)


# ---- symbolic links in the folder -----------------------------------------------------------


@pytest.fixture()
def linked_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    shutil.copy(ROOT / "scenarios" / f"{KOREA}.yaml", folder / f"{KOREA}.yaml")
    outside = tmp_path / "outside.yaml"
    shutil.copy(ROOT / "scenarios" / "ec-emission-standards-1994.yaml", outside)
    os.symlink(folder / f"{KOREA}.yaml", folder / "alias.yaml")  # inside the root
    os.symlink(outside, folder / "leak.yaml")  # pointing outside
    os.symlink("/etc/passwd", folder / "passwd.yaml")
    os.symlink(folder / "missing.yaml", folder / "broken.yaml")
    (folder / "sub").mkdir()
    shutil.copy(ROOT / "scenarios" / f"{KOREA}.yaml", folder / "sub" / "deep.yaml")
    os.symlink(folder / "sub" / "deep.yaml", folder / "deep.yaml")  # inside, in a subfolder
    return folder


def test_symlinks_inside_are_served_and_outside_skipped(linked_folder: Path) -> None:
    with make_client(linked_folder) as c:
        r = c.get("/api/scenarios")
        assert r.status_code == 200, r.text
        names = {s["name"]: s for s in r.json()}
        assert set(names) == {KOREA, "alias", "deep"}
        assert names["alias"]["valid"] and names["alias"]["id"] == names[KOREA]["id"]
        assert c.get("/api/scenarios/alias").json()["name"] == "alias.yaml"
        for name in ("leak", "passwd", "broken"):
            problem_of(c.get(f"/api/scenarios/{name}"), 404)
            problem_of(c.post("/api/forecast", json={"scenario": name}), 404)
        assert c.get("/").status_code == 200


# ---- what a request may cost ----------------------------------------------------------------


def test_yaml_too_large_or_too_many_nodes_is_refused_before_reading(
    web_scenarios: Path,
) -> None:
    text = (web_scenarios / f"{KOREA}.yaml").read_text(encoding="utf-8")
    small = Limits(yaml_bytes=len(text.encode()) - 1)
    with make_client(web_scenarios, limits=small) as c:
        for path in ("/api/validate", "/api/forecast"):
            body = problem_of(c.post(path, json={"yaml": text}), 413)
            assert body["limit"] == "yaml_bytes" and "at most" in body["detail"]
        # a file of the folder is the operator's: not bounded by the request limits
        assert c.post("/api/forecast", json={"scenario": KOREA}).status_code == 200
    few = Limits(yaml_nodes=estimate_nodes(text) - 1)
    with make_client(web_scenarios, limits=few) as c:
        body = problem_of(c.post("/api/validate", json={"yaml": text}), 422)
        assert body["limit"] == "yaml_nodes"
    flow_list = "detente: 1\nactors: [" + ", ".join(["1"] * 100_000) + "]\n"
    with make_client(web_scenarios) as c:
        t0 = time.perf_counter()
        problem_of(c.post("/api/validate", json={"yaml": flow_list}), 422)
        assert time.perf_counter() - t0 < 5  # refused before PyYAML reads it


def test_estimated_nodes_bound_the_real_count() -> None:
    from detente.web.whatif import parse

    for name in (KOREA, "ec-emission-standards-1994"):
        text = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
        assert parse(text, name).nodes <= estimate_nodes(text)


def test_too_many_actors_is_a_422(client: TestClient, web_scenarios: Path) -> None:
    with make_client(web_scenarios, limits=Limits(actors=5)) as c:
        body = problem_of(c.post("/api/forecast", json={"scenario": KOREA}), 422)
        assert body["limit"] == "actors" and "6 actors" in body["detail"]
        r = c.post(
            "/api/edit",
            json={"scenario": KOREA, "edits": [{"path": "actors.dprk.capability", "value": 3}]},
        )
        problem_of(r, 422)


def test_job_sizes_are_bounded(web_scenarios: Path) -> None:
    with make_client(web_scenarios, limits=Limits(mc_cells=1000, game_episodes=100)) as c:
        body = problem_of(
            c.post("/api/jobs", json={"scenario": KOREA, "kind": "montecarlo", "draws": 50}), 422
        )
        assert body["limit"] == "mc_cells" and "uncertain numbers" in body["detail"]
        body = problem_of(
            c.post("/api/jobs", json={"scenario": KOREA, "kind": "strategies", "episodes": 50}),
            422,
        )
        assert body["limit"] == "game_episodes"
        assert c.get("/api/jobs").json() == []  # nothing was queued


# ---- one client cannot lock the others out --------------------------------------------------


@pytest.fixture()
def slow_jobs(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    release = threading.Event()

    def slow(*args: Any) -> dict[str, Any]:
        release.wait(30)
        return {"slow": True}

    monkeypatch.setattr(service, "monte_carlo", slow)
    yield release
    release.set()


def submit(c: TestClient, client_id: str, seed: int) -> Any:
    return c.post(
        "/api/jobs",
        json={"scenario": KOREA, "kind": "montecarlo", "draws": 10, "seed": seed},
        headers={"x-detente-client": client_id},
    )


def test_jobs_are_capped_per_client_and_in_total(
    web_scenarios: Path, slow_jobs: threading.Event
) -> None:
    with make_client(web_scenarios, limits=Limits(jobs_per_client=2, jobs_total=3)) as c:
        assert submit(c, "a", 1).status_code == 202
        assert submit(c, "a", 2).status_code == 202
        r = submit(c, "a", 3)
        assert "jobs_per_client" in problem_of(r, 429)["detail"]
        assert int(r.headers["retry-after"]) > 0
        assert submit(c, "a", 1).status_code == 202  # the same question: the running job
        assert submit(c, "b", 4).status_code == 202  # another client still gets in
        r = submit(c, "c", 5)
        assert "jobs_total" in problem_of(r, 429)["detail"] and r.headers["retry-after"]
        slow_jobs.set()


def test_one_client_cannot_lock_the_cpu_queue(
    web_scenarios: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    started = threading.Event()
    real = service.run_forecasts

    def run_forecasts(*args: Any) -> Any:
        if CLIENT.get() == "greedy":
            started.set()
            release.wait(30)
        return real(*args)

    monkeypatch.setattr(service, "run_forecasts", run_forecasts)
    limits = Limits(cpu_workers=2, cpu_per_client=1, cpu_queue=1)
    body = {"scenario": KOREA, "models": ["compromise"]}
    with make_client(web_scenarios, limits=limits) as c:
        greedy = {"x-detente-client": "greedy"}
        results: list[int] = []
        worker = threading.Thread(
            target=lambda: results.append(
                c.post("/api/forecast", json=body, headers=greedy).status_code
            )
        )
        worker.start()
        assert started.wait(30)
        r = c.post("/api/forecast", json=body, headers=greedy)
        assert "cpu_per_client" in problem_of(r, 429)["detail"] and r.headers["retry-after"]
        # the other client is served while the greedy one's request is still computing
        other = c.post("/api/forecast", json=body, headers={"x-detente-client": "other"})
        assert other.status_code == 200 and other.json()["forecasts"]
        assert c.get("/api/health").status_code == 200  # the event loop is free
        assert c.app.state.gate.pending == 1  # type: ignore[attr-defined]
        release.set()
        worker.join(30)
        assert results == [200]


def test_a_full_queue_is_a_503_with_retry_after(
    web_scenarios: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = service.run_forecasts
    monkeypatch.setattr(service, "run_forecasts", lambda *a: (release.wait(30), real(*a))[1])
    limits = Limits(cpu_workers=1, cpu_per_client=5, cpu_queue=1)
    body = {"scenario": KOREA, "models": ["compromise"]}
    with make_client(web_scenarios, limits=limits) as c:
        threads = [
            threading.Thread(target=lambda: c.post("/api/forecast", json=body)) for _ in range(2)
        ]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 30
        while c.app.state.gate.pending < 2 and time.monotonic() < deadline:  # type: ignore[attr-defined]
            time.sleep(0.01)
        r = c.post("/api/forecast", json=body, headers={"x-detente-client": "late"})
        assert problem_of(r, 503)["title"] == "Busy" and r.headers["retry-after"]
        release.set()
        for t in threads:
            t.join(30)
        assert c.post("/api/forecast", json=body).status_code == 200


def test_limits_table_in_the_docs_is_complete() -> None:
    """docs/web.md states every limit with its default value."""
    doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    defaults = Limits()
    for name in Limits.names():
        value = getattr(defaults, name)
        assert f"`{name}`" in doc, name
        assert f"{value:,}" in doc or str(value) in doc, (name, value)
