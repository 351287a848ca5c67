"""Hostile scenario text in the web explorer, in a real headless Chromium (issue 21, item 2).

A scenario made of the hostile-string corpus (``tests/hostile_text.py``: Rich markup, HTML and
script, template syntax, bidi characters, a very long word, strings that would run as code if
a page inserted them as markup) is served by the explorer; the scenario list and the scenario
page (its forecast table, actors and worldviews; and the crux panel of a scorecard game carrying
them: its sentences, judgments, quotes and source links) must show every string literally in
the DOM's text, run none of them (``window.__pwned`` stays unset) and log no console error.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
pytest.importorskip("playwright.sync_api", reason="playwright (Python package) not installed")

from hostile_text import (  # noqa: E402
    CHROMIUM,
    HOSTILE,
    SCRIPTED,
    chromium_page,
    hostile_scenario,
    pwned,
    text_of,
)

from .live_server import live_server  # noqa: E402
from .panel_game import NOTE_URL, QUOTE, panel_game_yaml  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"Debian's chromium absent ({CHROMIUM})"
    ),
]

STRINGS = HOSTILE + SCRIPTED
#: the crux panel's game carries these in its labels, a quote, an assumption and a source
PANEL_TEXT = " ".join([SCRIPTED[0], SCRIPTED[1], SCRIPTED[6], HOSTILE[6], HOSTILE[8]])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-scenarios")
    (folder / "hostile.yaml").write_text(hostile_scenario(STRINGS), encoding="utf-8")
    (folder / "hostile-game.yaml").write_text(panel_game_yaml(PANEL_TEXT), encoding="utf-8")
    with live_server(folder, start_timeout=20.0) as url:
        yield url


def test_scenario_list_shows_the_title_literally(server: str) -> None:
    with chromium_page() as (page, problems):
        page.goto(server + "/")
        link = page.locator("a[href='/scenarios/hostile']")
        link.wait_for()
        assert text_of(page, "a[href='/scenarios/hostile']").strip().startswith(STRINGS[0])
        assert STRINGS[0] + " scenario" in text_of(page)
        assert pwned(page) is None
        assert problems == []


def test_scenario_page_shows_every_string_literally(server: str) -> None:
    with chromium_page() as (page, problems):
        page.goto(server + "/scenarios/hostile")
        page.wait_for_selector("#forecast-table td[data-model] .forecast")
        cells = page.locator("#forecast-table td[data-model='compromise'] .forecast")
        cells.first.wait_for()
        page.wait_for_function(
            "() => [...document.querySelectorAll('#forecast-table .forecast')]"
            ".every(c => /\\d/.test(c.textContent))"
        )
        text = text_of(page)
        table = text_of(page, "#forecast-table")
        title = text_of(page, "#title")
        assert pwned(page) is None
        assert problems == []
    assert title.startswith(STRINGS[0])
    for s in STRINGS:
        assert s in table, f"issue label not literal in the forecast table: {s!r}"
    for s in STRINGS[:3]:  # the actors' names
        assert s in text, s
    for s in STRINGS[1:3]:  # the worldviews' labels
        assert s in text, s
    assert re.search(r"\d", table)


@pytest.mark.slow  # ~10 s: Chromium and a panel of one scorecard
def test_crux_panel_shows_the_sentences_and_quotes_literally(server: str) -> None:
    """The crux panel on the page: the job's sentences as the DOM's text, each statement's
    judgments behind a ``<details>`` with both readings' quotes, a quote's source as a link to
    its web address (a ``javascript:`` address is no link), hostile text literal, nothing run."""
    import json
    import urllib.request

    with chromium_page() as (page, problems):
        page.goto(server + "/scenarios/hostile-game")
        page.wait_for_function("() => !document.getElementById('pn-run').disabled")
        page.fill("#pn-episodes", "12")
        page.fill("#pn-budget", "64")
        page.fill("#pn-seed", "3")
        page.click("#pn-run")
        page.wait_for_selector("#panel .panel-statement", timeout=120_000)
        job_id = page.get_attribute("#pn-job .job", "data-job")
        shown = page.eval_on_selector_all(
            "#panel .panel-text", "els => els.map(e => e.textContent)"
        )
        # the statement naming a type's prior: open its judgments, find the quote and its link
        prior = page.locator("#panel details", has=page.locator("[data-path$='.prior']")).first
        prior.locator("summary").click()
        link = prior.locator("a.quote-link").first
        link.wait_for()
        href = link.get_attribute("href")
        link_text = link.text_content()
        hrefs = page.eval_on_selector_all("#panel a", "els => els.map(e => e.href)")
        panel_text = text_of(page, "#panel")
        assert pwned(page) is None
        assert problems == []
    with urllib.request.urlopen(f"{server}/api/jobs/{job_id}") as r:
        res = json.load(r)["result"]
    texts = [st["text"] for c in res["panel"]["scorecards"] for st in c["statements"]]
    assert shown == texts  # the report's sentences (detente.analysis.panel), literally
    assert any(PANEL_TEXT in t for t in texts)  # the scorecard's and worldviews' labels
    assert (href, link_text) == (NOTE_URL, "note")
    assert all(h == NOTE_URL for h in hrefs), hrefs  # the javascript: source is no link
    assert f"{QUOTE} {PANEL_TEXT}" in panel_text  # the quote, literally
    assert f"invented: {PANEL_TEXT}" in panel_text  # the named assumption
