"""The report renders scenario text literally (issue 21, item 2): Jinja2 autoescapes it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

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
