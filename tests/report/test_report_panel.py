"""The report's crux panel section: present with two worldviews and scorecards, with the panel's
own sentences, each statement's bases in a collapsible ``<details>``, hostile text escaped; and
absent without scorecards or when turned off (synthetic scenario; every number invented)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from markupsafe import escape
from tests.strategy.scorecard_game import with_scorecards

from detente.analysis.panel import crux_panel
from detente.models import get_model
from detente.report.data import ReportOptions, report_data
from detente.report.html import render_report
from detente.scenario.load import load_scenario, parse_document

pytest.importorskip("jinja2")
pytest.importorskip("plotly")

MINIMAL = Path(__file__).resolve().parents[1] / "strategy" / "data" / "minimal-game.yaml"
HOSTILE = "<script>alert(1)</script> {{ 7 * 7 }}"


def _opts(**kw: Any) -> ReportOptions:
    return ReportOptions(
        worldviews=["hopeful", "wary"],
        models=[get_model("compromise")],
        draws=20,
        episodes=40,
        sensitivity_n=8,
        game_sensitivity_n=0,
        crux_output="strategies",
        **kw,
    )


def _hostile_doc() -> dict[str, Any]:
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    doc["game"]["scorecards"] = doc["game"]["scorecards"][1:]  # one scorecard: "hawk"
    doc["game"]["scorecards"][0]["label"] = HOSTILE
    doc["worldviews"][0]["label"] = f"Hopeful ({HOSTILE})"
    for o in doc["worldviews"][1]["overrides"]:
        o["value"]["assumption"] = f"invented: {HOSTILE}"
    return doc


@pytest.mark.slow
def test_the_panel_section_renders_the_sentences_and_escapes(tmp_path: Path) -> None:
    loaded = parse_document(_hostile_doc(), str(tmp_path / "hostile-game.yaml"))
    data = report_data(loaded, _opts(panel_episodes=24))
    assert data.panel is not None
    direct = crux_panel(loaded, "hopeful", "wary", seed=0, episodes=24, max_evaluations=64)
    assert data.panel.to_dict() == direct.to_dict()
    page = render_report(data)
    assert '<section id="panel">' in page and 'href="#panel"' in page
    assert page.index('id="cruxes"') < page.index('id="panel"')
    assert "<script>alert(1)</script>" not in page
    assert str(escape(HOSTILE)) in page
    statements = [st for c in data.panel.cards for st in c.statements]
    for st in statements:
        assert str(escape(st.text)) in page
    with_bases = [st for st in statements if st.bases]
    assert with_bases and page.count("<details>") == len(with_bases)
    for st in with_bases:
        for b in st.bases:
            assert str(escape(b.basis_b)) in page
    assert "seed 0, 24 episodes per evaluation" in page


def test_no_panel_without_scorecards_or_when_turned_off(tmp_path: Path) -> None:
    plain = report_data(load_scenario(MINIMAL), _opts())
    assert plain.panel is None and 'id="panel"' not in render_report(plain)
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    off = report_data(parse_document(doc, str(tmp_path / "g.yaml")), _opts(panel_episodes=0))
    assert off.panel is None and 'id="panel"' not in render_report(off)
