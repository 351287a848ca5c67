"""The report renders scenario text literally (issue 21, item 2): Jinja2 autoescapes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from hostile_text import (
    CHROMIUM,
    SCRIPTED,
    chromium_page,
    hostile_scenario,
    pwned,
    text_of,
)
from hostile_text import (
    HOSTILE as CORPUS,
)

pytest.importorskip("jinja2")
pytest.importorskip("plotly")

MINIMAL = Path(__file__).resolve().parents[1] / "scenario" / "data" / "minimal.yaml"
HOSTILE = "<script>alert(1)</script> {{ 7 * 7 }} [/] :100:"


def test_a_hostile_label_is_escaped_in_the_html(tmp_path: Path) -> None:
    src = MINIMAL.read_text(encoding="utf-8")
    src = src.replace("label: Talks", f"label: {json.dumps(HOSTILE)}")
    src = src.replace("name: Alpha", f"name: {json.dumps(HOSTILE)}")
    path = tmp_path / "hostile.yaml"
    path.write_text(src, encoding="utf-8")
    out = tmp_path / "r.html"
    args = ["report", str(path), "--models", "compromise", "--draws", "20"]
    res = CliRunner().invoke(app, [*args, "--sensitivity-n", "8", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; {{ 7 * 7 }} [/] :100:" in page
    assert "💯" not in page


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"Debian's chromium absent ({CHROMIUM})")
def test_hostile_text_in_chromium(tmp_path: Path) -> None:
    """The report of a scenario made of the hostile strings, opened in headless Chromium: every
    string is in the page's text as written, none ran as code, the console has no error."""
    pytest.importorskip("playwright.sync_api", reason="playwright (Python package) not installed")
    strings = CORPUS + SCRIPTED
    path = tmp_path / "hostile.yaml"
    path.write_text(hostile_scenario(strings), encoding="utf-8")
    out = tmp_path / "hostile.html"
    args = ["report", str(path), "--models", "compromise", "--draws", "20", "--worldviews", "w0,w1"]
    res = CliRunner().invoke(
        app, [*args, "--sensitivity-n", "8", "--game-sensitivity-n", "0", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    with chromium_page() as (page, problems):
        page.goto(out.resolve().as_uri())
        page.wait_for_load_state("load")
        page.wait_for_selector(".main-svg")  # plotly drew: the page's scripts ran
        text = text_of(page)
        title = page.title()
        assert pwned(page) is None
        assert problems == []
    assert title.startswith(strings[0])
    for s in strings:
        assert s in text, s
        assert f"none {s}" in text, s  # an anchor's meaning
    assert "💯" not in text
