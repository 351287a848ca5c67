"""End to end in a real headless Chromium (Debian's, driven by Playwright's Python package):
open the Korea scenario, switch worldview, change a salience, see the forecast change, run the
background jobs; no console errors. Screenshots are saved as artefacts (path printed).

Set ``DETENTE_WEB_SCREENSHOT=path.png`` to also save the README screenshot there.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright (Python package) not installed"
)
# every assertion waits up to 30 s (Playwright's default is 5 s): a loaded machine (CI, or the
# suite run beside other work) renders slowly, and a slow page is not a failure
playwright_api.expect.set_options(timeout=30_000)
from detente.report.pdf import CHROMIUM_FLAGS  # noqa: E402

from .live_server import live_server  # noqa: E402
from .web_names import KOREA, KOREA_GAME  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
FLAGS = list(CHROMIUM_FLAGS)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"Debian's chromium absent ({CHROMIUM})"
    ),
]


@pytest.fixture(scope="module")
def server(web_scenarios: Path) -> Iterator[str]:
    with live_server(web_scenarios, start_timeout=10.0) as url:
        yield url


@pytest.fixture(scope="module")
def artifacts() -> Path:
    root = os.environ.get("DETENTE_ARTIFACTS")
    folder = Path(root) if root else Path(tempfile.mkdtemp(prefix="detente-web-e2e-"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


@pytest.fixture()
def page(artifacts: Path) -> Iterator[tuple[Any, list[str]]]:
    profile = tempfile.mkdtemp(prefix="detente-chromium-")
    problems: list[str] = []
    with playwright_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=FLAGS,
            viewport={"width": 1400, "height": 1000},
        )
        context.set_default_timeout(30_000)
        pg = context.new_page()
        pg.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        pg.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        try:
            yield pg, problems
        finally:
            context.close()
            shutil.rmtree(profile, ignore_errors=True)


def _cell(pg: Any, model: str, issue: str) -> Any:
    return pg.locator(f"#forecast-table td[data-model='{model}'][data-issue='{issue}'] .forecast")


def test_korea_whatif_round_trip(
    server: str, page: tuple[Any, list[str]], artifacts: Path, has_game: bool
) -> None:
    expect = playwright_api.expect
    pg, problems = page
    name = KOREA_GAME if has_game else KOREA
    pg.goto(server + "/")
    pg.locator(f"a[href='/scenarios/{name}']").click()
    expect(pg.locator("#title")).to_have_text(re.compile("end-of-war declaration", re.I))
    base_cell = _cell(pg, "compromise", "declaration")
    expect(base_cell).to_have_text(re.compile(r"\d"))
    expect(pg.locator("#positions .js-plotly-plot")).to_have_count(5)
    base = base_cell.inner_text()
    pg.screenshot(path=str(artifacts / "1-base.png"), full_page=True)

    # switch worldview: the values and the forecast change
    pg.select_option("#worldview", "skeptic")
    expect(pg.locator("#run-status")).to_contain_text("skeptic")
    expect(pg.locator("#worldview-summary")).to_contain_text("concessions first")
    expect(base_cell).not_to_have_text(base)
    skeptic = base_cell.inner_text()
    salience = pg.locator("td[data-path='actors.dprk.stances.declaration.salience']")
    expect(salience).to_have_class(re.compile("overridden"))

    # hover shows the basis; click opens the editor with the quote
    assert "hill" in (salience.locator("button").get_attribute("title") or "")
    salience.locator("button").click()
    expect(pg.locator("#editor")).to_be_visible()
    expect(pg.locator("#ed-basis")).to_contain_text("more than North Korea needs one")
    # an incoherent distribution is refused with the validator's message
    pg.fill("#ed-low", "0.9")
    pg.fill("#ed-mode", "0.5")
    pg.click("#ed-apply")
    expect(pg.locator("#ed-errors")).to_contain_text("needs low <= mode <= high")
    # a fixed value of 1: applied, re-run, the forecast moves
    pg.select_option("#ed-dist", "")
    pg.fill("#ed-value", "1")
    pg.click("#ed-apply")
    expect(pg.locator("#editor")).to_be_hidden()
    expect(salience).to_have_text("1")
    expect(base_cell).not_to_have_text(skeptic)
    expect(pg.locator("#doc-status")).to_have_text("edited (valid)")
    assert "path: actors.dprk.stances.declaration.salience" in pg.input_value("#yaml")

    # round trajectories of a dynamic model
    expect(pg.locator("#trajectory .js-plotly-plot .scatterlayer .trace")).not_to_have_count(0)

    # Monte Carlo intervals as a background job (fast models only)
    for box in pg.locator(".model-box").all():
        if box.get_attribute("value") not in ("compromise", "median"):
            box.uncheck()
    pg.fill("#mc-draws", "1500")
    pg.click("#mc-run")
    expect(pg.locator("#forecast-table td[data-model='compromise'] .interval").first).to_be_visible(
        timeout=60_000
    )  # a job: under load it takes longer than expect's 5 s
    expect(pg.locator("#sensitivity table")).to_be_visible()
    expect(pg.locator("#mc-jobs .job").first).to_contain_text("done")

    # global sensitivity as a background job: Morris screening of the declaration forecast
    pg.select_option("#sa-output", "forecast:declaration")
    pg.fill("#sa-n", "4")
    pg.click("#sa-run")
    expect(pg.locator("#sa-table tbody tr").first).to_be_visible(timeout=60_000)
    expect(pg.locator("#sa-job .job").first).to_contain_text("done")
    expect(pg.locator("#sa-chart .js-plotly-plot")).to_be_visible()
    assert "actors." in pg.locator("#sa-table tbody tr").first.inner_text()

    # cruxes: both sides' quotes
    expect(pg.locator("#crux-table tbody tr").first).to_be_visible()
    expect(pg.locator("#crux-minimal")).to_contain_text("engagement")
    crux_text = pg.locator("#crux-table").inner_text()
    assert "cato" in crux_text and "hill" in crux_text
    if pg.locator("#crux-b option[value='data']").count():
        pg.select_option("#crux-b", "data")
        expect(pg.locator("#crux-table thead")).to_contain_text("engagement → data")
        expect(pg.locator("#crux-minimal")).to_contain_text("data")

    if has_game:
        pg.fill("#st-episodes", "40")
        pg.click("#st-run")
        expect(pg.locator("#strategy-table tbody tr").first).to_be_visible(timeout=60_000)
        expect(pg.locator("#strategy-table thead")).to_contain_text("mix")

    pg.screenshot(path=str(artifacts / "2-edited.png"), full_page=True)
    target = os.environ.get("DETENTE_WEB_SCREENSHOT")
    if target:
        pg.select_option("#worldview", "skeptic")
        pg.locator("#head").scroll_into_view_if_needed()
        pg.set_viewport_size({"width": 1400, "height": 1500})
        pg.screenshot(path=target)
    assert problems == [], problems


def test_bad_upload_shows_located_errors(
    server: str, page: tuple[Any, list[str]], artifacts: Path, tmp_path: Path
) -> None:
    expect = playwright_api.expect
    pg, problems = page
    bad = tmp_path / "bad.yaml"
    bad.write_text("detente: 1\nid: x\ntitle: !!python/object:os.system x\n", encoding="utf-8")
    pg.goto(server + "/")
    pg.set_input_files("#upload-file", str(bad))
    pg.click("#upload-form button")
    errors = pg.locator("#upload-errors")
    expect(errors).to_contain_text("bad.yaml:3:")
    expect(errors).to_contain_text("not allowed")
    assert "Traceback" not in errors.inner_text()
    pg.screenshot(path=str(artifacts / "3-bad-upload.png"))
    # a good upload opens the explorer on the uploaded document
    good = tmp_path / "mine.yaml"
    good.write_text(
        (Path(__file__).resolve().parents[2] / "scenarios" / f"{KOREA}.yaml").read_text("utf-8"),
        encoding="utf-8",
    )
    pg.set_input_files("#upload-file", str(good))
    pg.click("#upload-form button")
    expect(pg).to_have_url(re.compile(r"/explore$"))
    expect(_cell(pg, "compromise", "declaration")).to_have_text(re.compile(r"\d"))
    assert problems == [], problems


def test_korea_hindcast_scorecards_and_deu_intervals(
    server: str, page: tuple[Any, list[str]], artifacts: Path
) -> None:
    """The panels of issues 16 and 18: the hindcast against the record, each scorecard's
    ranking per worldview, and the DEU-calibrated interval beside every forecast."""
    expect = playwright_api.expect
    pg, problems = page
    pg.goto(server + f"/scenarios/{KOREA}")
    expect(pg.locator("#title")).to_have_text(re.compile("end-of-war declaration", re.I))
    # beside each forecast, the DEU interval, labelled with its caveat
    cell = pg.locator("#forecast-table td[data-model='compromise'][data-issue='declaration']")
    expect(cell.locator(".deu")).to_have_text(re.compile(r"DEU 80 % \[\d"))
    note = pg.locator("#calibration-note")
    expect(note).to_contain_text("calibrated on EU legislative bargaining (DEU III)")
    expect(note).to_contain_text("not a measured error on this scenario")
    # a Monte Carlo result: its interval over the judgments, labelled apart from the DEU one
    for box in pg.locator(".model-box").all():
        if box.get_attribute("value") != "compromise":
            box.uncheck()
    pg.click("#run")
    pg.fill("#mc-draws", "400")
    pg.click("#mc-run")
    expect(cell.locator(".interval")).to_have_text(re.compile(r"judgments 90 % \["), timeout=60_000)
    expect(cell.locator(".deu-mc")).to_have_text(re.compile(r"DEU 80 % with judgments \["))

    # the hindcast: per worldview log-lik ± MC se, P(no talks), posteriors, surprising months
    pg.fill("#hc-episodes", "40")
    pg.click("#hc-run")
    summary = pg.locator("#hc-summary")
    expect(summary).to_be_visible(timeout=120_000)
    expect(summary.locator("thead")).to_contain_text("P(worldview | record), on 2023-03..")
    expect(summary.locator("tbody tr")).to_have_count(4)
    expect(summary.locator("tr[data-worldview='skeptic'] th")).to_have_text(
        "skeptic (as of 2023-03)"
    )
    # scored months, then log-lik ± MC se
    assert " ± " in summary.locator("tr[data-worldview='base'] td").nth(1).inner_text()
    expect(pg.locator("#hc-common tbody tr")).to_have_count(4)
    expect(pg.locator("#hindcast .hc-view")).to_have_count(4)
    expect(pg.locator("#hindcast .hc-view").first.locator(".surprising tbody tr")).to_have_count(3)
    assert "enmity_dependent" in pg.locator("#hindcast .hc-view").first.inner_text()

    # the scorecards: each one's heading (label and basis) and a ranking per worldview
    pg.fill("#sc-episodes", "8")
    pg.click("#sc-run")
    cards = pg.locator("#scorecards .scorecard")
    expect(cards.first).to_be_visible(timeout=180_000)
    expect(cards).to_have_count(2)
    expect(cards.first.locator(".scorecard-heading")).to_have_text(
        re.compile(r"^scorecard cato: .+\((source|data|assumption)")
    )
    expect(cards.first.locator("thead")).to_contain_text("skeptic: rank, score")
    expect(cards.first.locator("tbody tr").first).to_contain_text("#1 ")
    pg.screenshot(path=str(artifacts / "4-hindcast-scorecards.png"), full_page=True)
    assert problems == [], problems


def test_panels_say_when_a_scenario_has_no_record(server: str, page: tuple[Any, list[str]]) -> None:
    expect = playwright_api.expect
    pg, problems = page
    pg.goto(server + "/scenarios/ec-emission-standards-1994")
    expect(pg.locator("#hc-job")).to_contain_text("no `game:` and `record:` sections")
    expect(pg.locator("#hc-run")).to_be_disabled()
    expect(pg.locator("#sc-run")).to_be_disabled()
    expect(pg.locator("#forecast-table .deu").first).to_contain_text("DEU 80 %")
    assert problems == [], problems
