"""Hostile scenario text in the web explorer, in a real headless Chromium (issue 21, item 2).

A scenario made of the hostile-string corpus (``tests/hostile_text.py``: Rich markup, HTML and
script, template syntax, bidi characters, a very long word, strings that would run as code if
a page inserted them as markup) is served by the explorer; the scenario list and the scenario
page (its forecast table, actors and worldviews) must show every string literally in the
DOM's text, run none of them (``window.__pwned`` stays unset) and log no console error.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
uvicorn = pytest.importorskip("uvicorn")
pytest.importorskip("playwright.sync_api", reason="playwright (Python package) not installed")

from detente.web.app import create_app  # noqa: E402
from hostile_text import (  # noqa: E402
    CHROMIUM,
    HOSTILE,
    SCRIPTED,
    chromium_page,
    hostile_scenario,
    pwned,
    text_of,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"Debian's chromium absent ({CHROMIUM})"
    ),
]

STRINGS = HOSTILE + SCRIPTED


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile-scenarios")
    (folder / "hostile.yaml").write_text(hostile_scenario(STRINGS), encoding="utf-8")
    port = _free_port()
    config = uvicorn.Config(create_app(folder), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(400):  # bounded wait for startup
        if srv.started:
            break
        time.sleep(0.05)
    assert srv.started, "server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=15)


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
