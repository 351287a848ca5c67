"""The explorer's JSON API through the in-process ASGI client: every endpoint, the error shapes,
the body limit, and path traversal refused."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

pytest.importorskip("fastapi")
pytest.importorskip("httpx")
from fastapi.testclient import TestClient

from detente.web.app import MAX_BODY_BYTES, create_app

from .web_names import BROKEN, KOREA, KOREA_GAME

PROBLEM = "application/problem+json"


def assert_problem(r: Any, status: int) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status
    assert body["title"] and isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in r.text
    return body  # type: ignore[no-any-return]


def wait_job(client: TestClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/api/jobs/{job_id}").json()
        if job["status"] not in ("queued", "running"):
            return job  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s")


def korea_text(folder: Path) -> str:
    return (folder / f"{KOREA}.yaml").read_text(encoding="utf-8")


# ---- meta and listing ----------------------------------------------------------------------


def test_health_models_and_openapi(client: TestClient) -> None:
    assert client.get("/api/health").json()["status"] == "ok"
    names = [m["name"] for m in client.get("/api/models").json()]
    assert {"compromise", "median"} <= set(names)
    schema = client.get("/openapi.json").json()
    for path in ("/api/scenarios", "/api/forecast", "/api/edit", "/api/jobs", "/api/cruxes"):
        assert path in schema["paths"]


def test_list_scenarios_names_only_yaml_files(client: TestClient) -> None:
    items = {s["name"]: s for s in client.get("/api/scenarios").json()}
    assert KOREA in items and "notes" not in items and "secret" not in items
    assert items[KOREA]["valid"] and items[KOREA]["actors"] == 6
    assert {"engagement", "skeptic"} <= set(items[KOREA]["worldviews"])
    assert items[BROKEN]["valid"] is False and items[BROKEN]["errors"] > 0


def test_scenario_view_with_basis(client: TestClient) -> None:
    r = client.get(f"/api/scenarios/{KOREA}")
    assert r.status_code == 200
    doc = r.json()
    assert doc["valid"] and doc["yaml"].startswith("detente: 1")
    view = doc["view"]
    dprk = next(a for a in view["actors"] if a["id"] == "dprk")
    cell = dprk["stances"]["declaration"]["position"]
    assert cell["path"] == "actors.dprk.stances.declaration.position"
    assert cell["basis"]["quotes"] or cell["basis"]["assumption"]
    usa = next(a for a in view["actors"] if a["id"] == "usa")
    # the USA's capability is the scale's reference by definition: a named assumption
    assert "reference of the capability scale" in usa["capability"]["basis"]["assumption"]
    china = next(a for a in view["actors"] if a["id"] == "china")
    assert china["capability"]["basis"]["quotes"] or china["capability"]["basis"]["assumption"]


def test_worldview_switch_changes_values(client: TestClient) -> None:
    base = client.get(f"/api/scenarios/{KOREA}").json()["view"]
    skeptic = client.get(f"/api/scenarios/{KOREA}", params={"worldview": "skeptic"}).json()["view"]
    path = "actors.dprk.stances.declaration.position"
    assert path in skeptic["overridden"]

    def cell(v: dict[str, Any]) -> dict[str, Any]:
        dprk = next(a for a in v["actors"] if a["id"] == "dprk")
        return dprk["stances"]["declaration"]["position"]  # type: ignore[no-any-return]

    assert cell(base)["point"] != cell(skeptic)["point"]
    assert cell(skeptic)["basis"]["quotes"][0]["doc"] == "hill"
    body = assert_problem(client.get(f"/api/scenarios/{KOREA}", params={"worldview": "nope"}), 422)
    assert "unknown worldview 'nope'" in body["diagnostics"][0]["message"]


def test_broken_file_gets_located_errors(client: TestClient) -> None:
    doc = client.get(f"/api/scenarios/{BROKEN}").json()
    assert doc["valid"] is False and doc["view"] is None
    d = doc["diagnostics"][0]
    assert d["file"] == f"{BROKEN}.yaml" and d["line"] and d["field"]
    assert d["text"].startswith(f"{BROKEN}.yaml:")


def test_download_yaml(client: TestClient, web_scenarios: Path) -> None:
    r = client.get(f"/api/scenarios/{KOREA}/yaml")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/yaml")
    assert "attachment" in r.headers["content-disposition"]
    assert r.text == korea_text(web_scenarios)


# ---- path traversal ------------------------------------------------------------------------

TRAVERSAL = [
    "../secret",
    "..%2fsecret",
    "..%2Fsecret",
    "%2e%2e/secret",
    "%2e%2e%2fsecret",
    "..",
    "%2e%2e",
    "/etc/passwd",
    "%2fetc%2fpasswd",
    "..\\secret",
    "..%5csecret",
    "C:\\Windows\\win.ini",
    "korea-peace-declaration.yaml",
    "notes",
    "secret",
    ".hidden",
]


@pytest.mark.parametrize("name", TRAVERSAL)
def test_path_traversal_refused(client: TestClient, name: str) -> None:
    for url in (f"/api/scenarios/{name}", f"/api/scenarios/{name}/yaml", f"/scenarios/{name}"):
        r = client.get(url)
        assert "detente: 1\nid: secret" not in r.text
        if r.request.url.path == "/":  # the client itself resolved `/scenarios/..` to `/`
            continue
        assert r.status_code in (404, 422), (url, r.status_code)
        assert r.headers["content-type"].startswith(PROBLEM)
    r = client.post("/api/forecast", json={"scenario": name})
    assert r.status_code in (404, 422)
    assert r.headers["content-type"].startswith(PROBLEM)


def test_static_route_does_not_escape(client: TestClient) -> None:
    for url in ("/static/../app.py", "/static/%2e%2e/app.py", "/static/..%2fapp.py"):
        r = client.get(url)
        assert r.status_code == 404, url
        assert "create_app" not in r.text


# ---- what-if: validate, edit, upload -------------------------------------------------------


def test_validate_text_same_messages_as_cli(client: TestClient, web_scenarios: Path) -> None:
    from detente.scenario.errors import InputError
    from detente.scenario.load import parse_yaml

    bad = korea_text(web_scenarios).replace(
        "low: 0.9\n      mode: 1.0", "low: 1.5\n      mode: 1.0"
    )
    r = client.post("/api/validate", json={"yaml": bad, "name": "mine.yaml"})
    doc = r.json()
    assert r.status_code == 200 and doc["valid"] is False
    with pytest.raises(InputError) as exc:
        parse_yaml(bad, "mine.yaml")
    assert [d["text"] for d in doc["diagnostics"]] == [str(d) for d in exc.value.diagnostics]


def test_edit_base_and_worldview(client: TestClient) -> None:
    path = "actors.dprk.stances.declaration.salience"
    r = client.post(
        "/api/edit",
        json={
            "scenario": KOREA,
            "edits": [{"path": path, "value": {"value": 0.05, "assumption": "what-if"}}],
        },
    )
    doc = r.json()
    assert doc["applied"] and doc["valid"]
    raw = yaml.safe_load(doc["yaml"])
    dprk = next(a for a in raw["actors"] if a["id"] == "dprk")
    assert dprk["stances"]["declaration"]["salience"] == {"value": 0.05, "assumption": "what-if"}
    # with a worldview: becomes (replaces) that worldview's override
    r = client.post(
        "/api/edit",
        json={
            "yaml": doc["yaml"],
            "worldview": "skeptic",
            "edits": [{"path": path, "value": {"value": 0.9, "assumption": "what-if"}}],
        },
    )
    doc2 = r.json()
    assert doc2["applied"] and doc2["valid"]
    raw2 = yaml.safe_load(doc2["yaml"])
    sk = next(w for w in raw2["worldviews"] if w["id"] == "skeptic")
    assert [o["value"] for o in sk["overrides"] if o["path"] == path] == [
        {"value": 0.9, "assumption": "what-if"}
    ]
    dprk2 = next(a for a in raw2["actors"] if a["id"] == "dprk")
    assert dprk2["stances"]["declaration"]["salience"]["value"] == 0.05  # base untouched


def test_edit_invalid_value_reports_located_error(client: TestClient) -> None:
    r = client.post(
        "/api/edit",
        json={
            "scenario": KOREA,
            "edits": [
                {
                    "path": "actors.dprk.stances.declaration.salience",
                    "value": {"dist": "triangular", "low": 0.9, "mode": 0.5, "high": 0.2},
                }
            ],
        },
    )
    doc = r.json()
    assert doc["applied"] and doc["valid"] is False
    errors = [d for d in doc["diagnostics"] if d["severity"] == "error"]
    assert errors and "low <= mode <= high" in errors[0]["message"]
    assert errors[0]["line"] and errors[0]["field"] == "actors.dprk.stances.declaration.salience"


def test_edit_unknown_path_not_applied(client: TestClient) -> None:
    r = client.post(
        "/api/edit",
        json={"scenario": KOREA, "edits": [{"path": "actors.nobody.capability", "value": 1}]},
    )
    doc = r.json()
    assert doc["applied"] is False
    assert "no item with id 'nobody'" in doc["diagnostics"][0]["message"]


def test_upload_good_and_bad(client: TestClient, web_scenarios: Path) -> None:
    good = korea_text(web_scenarios).encode()
    r = client.post("/api/upload", files={"file": ("mine.yaml", good, "application/yaml")})
    assert r.status_code == 200 and r.json()["valid"] and r.json()["view"]["id"] == KOREA
    bad = b"detente: 1\nid: x\ntitle: !!python/object:os.system echo\n"
    r = client.post("/api/upload", files={"file": ("../../evil.yaml", bad, "application/yaml")})
    doc = r.json()
    assert r.status_code == 200 and doc["valid"] is False
    assert doc["name"] == "evil.yaml"
    assert "not allowed" in doc["diagnostics"][0]["message"] and doc["diagnostics"][0]["line"] == 3
    r = client.post("/api/upload", files={"file": ("bin.yaml", b"\xff\xfe\x00bad", "text/plain")})
    assert r.status_code == 200 and r.json()["valid"] is False


# ---- forecasts and cruxes -----------------------------------------------------------------


def test_forecast_named_and_edited_documents(client: TestClient, web_scenarios: Path) -> None:
    r = client.post("/api/forecast", json={"scenario": KOREA, "models": ["compromise", "spatial"]})
    assert r.status_code == 200
    fcs = {f["model"]: f for f in r.json()["forecasts"]}
    base = fcs["compromise"]["issues"][0]["forecast"]
    assert 0 <= base <= 100 and fcs["compromise"]["issues"][0]["meaning"]
    assert fcs["spatial"]["rounds"] and "dprk" in fcs["spatial"]["rounds"][0]["positions"]
    sk = client.post(
        "/api/forecast", json={"scenario": KOREA, "worldview": "skeptic", "models": ["compromise"]}
    ).json()
    assert sk["forecasts"][0]["issues"][0]["forecast"] != base
    edited = client.post(
        "/api/edit",
        json={
            "scenario": KOREA,
            "edits": [{"path": "actors.dprk.stances.declaration.salience", "value": 1.0}],
        },
    ).json()
    r2 = client.post("/api/forecast", json={"yaml": edited["yaml"], "models": ["compromise"]})
    assert r2.json()["forecasts"][0]["issues"][0]["forecast"] != base


def test_forecast_errors_are_problems(client: TestClient) -> None:
    body = assert_problem(
        client.post("/api/forecast", json={"scenario": KOREA, "models": ["x"]}), 422
    )
    assert "unknown model 'x'" in body["detail"]
    assert_problem(client.post("/api/forecast", json={}), 422)
    assert_problem(client.post("/api/forecast", json={"scenario": KOREA, "yaml": "x"}), 422)
    body = assert_problem(client.post("/api/forecast", json={"yaml": "detente: 1\n- a"}), 422)
    assert body["diagnostics"][0]["file"] == "edited.yaml"
    assert_problem(
        client.post(
            "/api/forecast", content=b"{not json", headers={"content-type": "application/json"}
        ),
        422,
    )
    assert_problem(client.post("/api/forecast", json={"scenario": BROKEN}), 422)
    assert_problem(client.get("/api/nothing-here"), 404)
    assert_problem(client.delete("/api/models"), 405)


def test_cruxes_have_both_sides_quotes(client: TestClient) -> None:
    r = client.post("/api/cruxes", json={"scenario": KOREA, "model": "compromise"})
    assert r.status_code == 200
    res = r.json()
    assert res["worldviews"][:2] == ["engagement", "skeptic"]
    top = res["cruxes"][0]
    assert top["effect"] is not None and abs(top["effect"]) > 0
    both = [c for c in res["cruxes"] if all(s["overrides"] for s in c["sides"][:2])]
    assert both
    sides = both[0]["sides"]
    assert sides[0]["value"]["basis"]["quotes"][0]["doc"] == "cato"
    assert sides[1]["value"]["basis"]["quotes"][0]["doc"] == "hill"
    effects = [abs(c["effect"]) for c in res["cruxes"] if c["effect"] is not None]
    assert len(effects) >= 2 and effects == sorted(effects, reverse=True)


def test_cruxes_panel_shows_what_detente_cruxes_computes(
    client: TestClient, web_scenarios: Path
) -> None:
    """One crux measure: the explorer's table is ``detente cruxes``' differences, row by row."""
    import json

    from typer.testing import CliRunner

    from detente.cli import app

    req = {
        "scenario": KOREA,
        "model": "compromise",
        "worldviews": ["engagement", "skeptic"],
        "issue": "declaration",
        "threshold": 70,
    }
    web = client.post("/api/cruxes", json=req).json()
    args = ["cruxes", str(web_scenarios / f"{KOREA}.yaml"), "--worldviews", "engagement,skeptic"]
    args += ["--output", "forecast:declaration", "--threshold", "70", "--format", "json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    cli = json.loads(result.stdout)
    assert [c["path"] for c in web["cruxes"]] == [d["path"] for d in cli["differences"]]
    assert [c["effect"] for c in web["cruxes"]] == [d["effect"] for d in cli["differences"]]
    assert [c["role"] for c in web["cruxes"]] == [d["role"] for d in cli["differences"]]
    assert any(c["effect"] for c in web["cruxes"])
    m = web["minimal"]
    assert m["flips"] == cli["flips"]
    assert [c["paths"] for c in m["cruxes"]] == [c["paths"] for c in cli["cruxes"]]
    assert (m["conclusion_a"], m["conclusion_b"]) == (
        cli["conclusion"]["engagement"],
        cli["conclusion"]["skeptic"],
    )


# ---- jobs ----------------------------------------------------------------------------------


def test_monte_carlo_job_and_cache(web_scenarios: Path) -> None:
    app = create_app(web_scenarios)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        req = {"scenario": KOREA, "kind": "montecarlo", "model": "median", "draws": 1500, "seed": 7}
        r = client.post("/api/jobs", json=req)
        assert r.status_code == 202
        job = wait_job(client, r.json()["id"])
        assert job["status"] == "done" and job["progress"] == 1.0
        issue = job["result"]["issues"][0]
        lo, hi = issue["interval"]
        assert lo <= issue["median"] <= hi
        assert abs(sum(b["probability"] for b in issue["bands"]) - 1) < 1e-9
        assert job["result"]["sensitivity"][0]["inputs"]
        computed = app.state.jobs.computed
        again = client.post("/api/jobs", json=req).json()
        assert again["cached"] and again["status"] == "done" and again["result"] == job["result"]
        assert app.state.jobs.computed == computed  # not computed twice
        other = client.post("/api/jobs", json={**req, "seed": 8}).json()
        assert not other["cached"]
        wait_job(client, other["id"])
        assert [j["id"] for j in client.get("/api/jobs").json()][-3:] == [
            job["id"],
            again["id"],
            other["id"],
        ]


def test_job_cancel(web_scenarios: Path) -> None:
    app = create_app(web_scenarios)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        # a long job (many blocks) is cancelled at its next progress report
        req = {"scenario": KOREA, "kind": "montecarlo", "model": "spatial", "draws": 50_000}
        job = client.post("/api/jobs", json=req).json()
        r = client.delete(f"/api/jobs/{job['id']}")
        assert r.status_code == 200
        done = wait_job(client, job["id"], timeout=30)
        assert done["status"] == "cancelled" and done["result"] is None
        assert_problem(client.delete("/api/jobs/nope"), 404)
        assert_problem(client.get("/api/jobs/nope"), 404)


def test_job_errors(client: TestClient, has_game: bool) -> None:
    body = assert_problem(
        client.post("/api/jobs", json={"scenario": KOREA, "kind": "montecarlo", "model": "zz"}), 422
    )
    assert "unknown model" in body["detail"]
    assert_problem(client.post("/api/jobs", json={"scenario": KOREA, "draws": 0}), 422)
    assert_problem(client.post("/api/jobs", json={"scenario": KOREA, "kind": "rm -rf"}), 422)
    emission = client.post(
        "/api/jobs", json={"scenario": "ec-emission-standards-1994", "kind": "strategies"}
    )
    assert "no `game:` section" in assert_problem(emission, 422)["detail"]


def test_strategies_job(client: TestClient, has_game: bool) -> None:
    if not has_game:
        pytest.skip("no strategy game available (neither in the scenario nor as a fragment)")
    req = {"scenario": KOREA_GAME, "kind": "strategies", "episodes": 40, "seed": 1}
    job = wait_job(client, client.post("/api/jobs", json=req).json()["id"])
    assert job["status"] == "done", job
    res = job["result"]
    assert res["types"][0] == "mix" and len(res["types"]) >= 3
    cells = {(r["strategy"], r["type"]) for r in res["rows"]}
    assert len(cells) == len(res["strategies"]) * len(res["types"])
    for row in res["rows"]:
        if row["metric"].startswith("p_"):
            eps = 1e-9  # Wilson bounds may round a hair past 0 or 1
            assert -eps <= row["lo"] <= row["mean"] + eps
            assert row["mean"] <= row["hi"] + eps <= 1 + 2 * eps


# ---- safety: size limit, unhandled errors, headers, pages --------------------------------


def test_body_size_limit(client: TestClient) -> None:
    big = "x" * (MAX_BODY_BYTES + 10)
    body = assert_problem(client.post("/api/validate", json={"yaml": big}), 413)
    assert str(MAX_BODY_BYTES) in body["detail"]
    files = {"file": ("big.yaml", b"a" * (MAX_BODY_BYTES + 1), "application/yaml")}
    assert_problem(client.post("/api/upload", files=files), 413)

    def chunks() -> Any:  # streamed without a content-length
        for _ in range(20):
            yield b"y" * 100_000

    assert_problem(
        client.post(
            "/api/validate", content=chunks(), headers={"content-type": "application/json"}
        ),
        413,
    )


def test_unhandled_exception_is_generic_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from detente.web import service

    def boom(*_: Any) -> Any:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "models_json", boom)
    r = client.get("/api/models")
    body = assert_problem(r, 500)
    assert "secret internals" not in r.text
    assert body["title"] == "Internal error"
    assert any("secret internals" in str(rec.exc_info) for rec in caplog.records if rec.exc_info)


def test_pages_and_plotly(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and "scenario-list" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    r = client.get(f"/scenarios/{KOREA}")
    assert r.status_code == 200 and "/vendor/plotly.min.js" in r.text
    assert client.get("/explore").status_code == 200
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    for asset in ("scenario.js", "common.js", "index.js", "style.css"):
        assert client.get(f"/static/{asset}").status_code == 200


def test_unreadable_characters_are_located_not_500(tmp_path: Path) -> None:
    (tmp_path / "esc.yaml").write_bytes(b"detente: 1\nid: x\n\x1b\n")
    with TestClient(
        create_app(tmp_path), base_url="http://127.0.0.1", raise_server_exceptions=False
    ) as client:
        doc = client.get("/api/scenarios/esc").json()
        assert doc["valid"] is False
        assert doc["diagnostics"][0]["line"] == 3
        assert "unacceptable character #x001b" in doc["diagnostics"][0]["message"]
        r = client.post("/api/validate", json={"yaml": "detente: 1\n\u0007\n"})
        assert r.status_code == 200 and r.json()["diagnostics"][0]["line"] == 2


def test_minimal_cruxes_flip_the_conclusion(client: TestClient) -> None:
    req = {"scenario": KOREA, "model": "compromise", "issue": "declaration", "threshold": 75}
    m = client.post("/api/cruxes", json=req).json()["minimal"]
    assert (m["a"], m["b"]) == ("engagement", "skeptic")
    for crux in m["cruxes"]:  # each flips engagement's conclusion
        assert (crux["score"] >= 0) != (m["score_a"] >= 0)
    body = assert_problem(client.post("/api/cruxes", json={**req, "issue": "nope"}), 422)
    assert "unknown issue 'nope'" in body["detail"]


def test_cruxes_for_a_chosen_pair_of_worldviews(client: TestClient) -> None:
    base = {"scenario": KOREA, "model": "compromise", "issue": "declaration", "threshold": 75}
    default = client.post("/api/cruxes", json=base).json()
    res = client.post("/api/cruxes", json={**base, "worldviews": ["skeptic", "data"]}).json()
    assert res["pair"] == ["skeptic", "data"]
    assert (res["minimal"]["a"], res["minimal"]["b"]) == ("skeptic", "data")
    # reversing the pair: the same judgments differ, the conclusions swap sides, and each
    # effect is measured from the other worldview (B's value swapped into A)
    rev = client.post(
        "/api/cruxes", json={**base, "issue": None, "worldviews": ["engagement", "skeptic"][::-1]}
    ).json()
    assert rev["pair"] == ["skeptic", "engagement"] and rev["issue"] == "declaration"
    assert {c["path"] for c in rev["cruxes"]} == {c["path"] for c in default["cruxes"]}
    fwd, back = default["minimal"], rev["minimal"]
    assert (back["conclusion_a"], back["conclusion_b"]) == (
        fwd["conclusion_b"],
        fwd["conclusion_a"],
    )
    assert back["score_a"] == pytest.approx(fwd["score_b"])
    assert back["score_b"] == pytest.approx(fwd["score_a"])
    for bad, msg in (
        (["engagement", "nope"], "unknown worldview 'nope'"),
        (["data", "data"], "two different worldviews"),
    ):
        body = assert_problem(client.post("/api/cruxes", json={**base, "worldviews": bad}), 422)
        assert msg in body["detail"]


def test_sensitivity_job_matches_the_library(client: TestClient, web_scenarios: Path) -> None:
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import run_sensitivity
    from detente.models import get_model
    from detente.scenario.load import load_scenario, with_worldview

    req = {
        "scenario": KOREA,
        "worldview": "skeptic",
        "kind": "sensitivity",
        "output": "forecast:declaration",
        "method": "sobol",
        "n": 16,
        "model": "compromise",
        "seed": 4,
    }
    job = wait_job(client, client.post("/api/jobs", json=req).json()["id"])
    assert job["status"] == "done", job
    res = job["result"]
    assert res["method"] == "sobol" and res["evaluations"] > 16
    # the same indices as the library call (the job evaluates in chunks; rows are independent)
    sc = with_worldview(load_scenario(web_scenarios / f"{KOREA}.yaml"), "skeptic")
    lib = run_sensitivity(
        sc, parse_output("forecast:declaration", sc), get_model("compromise"), "sobol", 16, 4
    )
    got = {p["path"]: p for p in res["parameters"]}
    for row in lib.table.to_dict(orient="records"):
        assert got[row["path"]]["ST"] == pytest.approx(row["ST"], abs=1e-12)
        assert got[row["path"]]["S1"] == pytest.approx(row["S1"], abs=1e-12)
    top = res["parameters"][0]
    assert top["path"].startswith("actors.") and top["label"]


def test_sensitivity_job_errors(client: TestClient) -> None:
    base = {"scenario": KOREA, "kind": "sensitivity"}
    for extra, msg in (
        ({}, "needs an output"),
        ({"output": "forecast:nope"}, "unknown issue 'nope'"),
        ({"output": "strategies"}, "scalar output"),
        ({"output": "forecast:declaration", "method": "sobol", "n": 12}, "power of 2"),
        ({"output": "strategy:p_talks_12m", "n": 1024, "episodes": 5000}, "too many"),
    ):
        body = assert_problem(client.post("/api/jobs", json={**base, **extra}), 422)
        assert msg in body["detail"], (extra, body)
    emission = {"scenario": "ec-emission-standards-1994", "kind": "sensitivity"}
    body = assert_problem(client.post("/api/jobs", json={**emission, "output": "strategy:x"}), 422)
    assert "no `game:` section" in body["detail"]


def test_hostile_text_comes_back_literally(client: TestClient) -> None:
    """Issue 21, item 2: scenario text is data in the API (the pages build text nodes only)."""
    hostile = "<script>alert(1)</script> {{ 7 * 7 }} [/] :100: \u202eevil"
    text = (Path(__file__).resolve().parents[1] / "scenario" / "data" / "minimal.yaml").read_text()
    text = text.replace("label: Talks", f"label: {json.dumps(hostile)}")
    doc = client.post("/api/validate", json={"yaml": text, "name": "hostile.yaml"}).json()
    assert doc["valid"], doc
    assert hostile in json.dumps(doc["view"], ensure_ascii=False)
    r = client.post("/api/forecast", json={"yaml": text, "models": ["compromise"]})
    assert r.status_code == 200
    r = client.post(
        "/api/validate", json={"yaml": text.replace("name: Alpha", 'name: "A\\u001bx"')}
    )
    assert r.status_code == 200 and r.json()["valid"] is False
    for page in ("/", "/explore"):
        assert "alert(1)" not in client.get(page).text  # no server-side interpolation
