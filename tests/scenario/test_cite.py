"""`detente schema` and `detente cite` against the real articles in ../shared/sources/."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.cite import check_citations, normalise
from detente.scenario.load import load_scenario

runner = CliRunner()

# A quote the Korea scenario cites on exactly one line, and a line of it.
QUOTE = "their goal is to nudge the U.S. toward relieving sanctions"


def _copy(korea_yaml: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy with the first occurrence of ``old`` (the scenario may quote it again later)."""
    text = korea_yaml.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "korea.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if needle in text:
            return n
    raise AssertionError(needle)


def test_schema_is_json_with_actors_and_issues() -> None:
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0, result.stderr
    schema = json.loads(result.stdout)
    assert {"actors", "issues", "sources", "worldviews", "detente"} <= set(schema["properties"])
    assert {"detente", "id", "title", "issues", "actors"} <= set(schema["required"])
    assert schema["$schema"].startswith("https://json-schema.org/")
    quantity = schema["$defs"]["Quantity"]
    assert quantity["additionalProperties"] is False
    assert set(quantity["properties"]["dist"]["anyOf"][0]["enum"]) == {
        "triangular",
        "uniform",
        "truncnormal",
        "beta",
    }


def test_korea_quotes_are_all_found(korea_yaml: Path, sources_dir: Path) -> None:
    result = runner.invoke(app, ["cite", str(korea_yaml), "--sources", str(sources_dir)])
    assert result.exit_code == 0, result.stderr
    m = re.search(r"(\d+) of (\d+) quotes found verbatim", result.stderr)
    assert m and m[1] == m[2] and int(m[1]) >= 40


def test_altered_quote_is_listed_with_field_and_line(
    korea_yaml: Path, sources_dir: Path, tmp_path: Path
) -> None:
    path = _copy(korea_yaml, tmp_path, QUOTE, QUOTE.replace("nudge", "push"))
    # The line of the number the quote supports: the first line of its `position:` mapping.
    line = _line_of(path, "toward relieving sanctions") - 6
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [lines[line - 2].strip(), lines[line - 1].strip()] == ["position:", "dist: triangular"]
    result = runner.invoke(app, ["cite", str(path), "--sources", str(sources_dir)])
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    misses = [t for t in result.stderr.splitlines() if "not found verbatim" in t]
    assert misses == [
        f"{path}:{line}: actors.dprk.stances.sanctions.position: not found verbatim in the "
        f'source text: cato: "{QUOTE.replace("nudge", "push")}"'
    ]
    m = re.search(r"(\d+) of (\d+) quotes found verbatim", result.stderr)
    assert m and int(m[1]) == int(m[2]) - 1


def test_altered_quote_in_a_worldview_override(
    korea_yaml: Path, sources_dir: Path, tmp_path: Path
) -> None:
    old = "Kim appears to have opened the door ever so slightly to a peace initiative."
    path = _copy(korea_yaml, tmp_path, old, old.replace("slightly", "widely"))
    checks = check_citations(load_scenario(path), sources_dir)
    (miss,) = [c for c in checks if not c.found]
    assert miss.field == "worldviews.engagement.overrides[0].value"
    assert miss.doc == "cato"


@pytest.mark.parametrize(
    "variant",
    [
        "their goal is to nudge the U.S. toward relieving sanctions",
        "their  goal is to nudge\tthe U.S. toward   relieving sanctions",  # whitespace
        "their goal is to nudge the U.S. toward relieving sanctions ",
    ],
)
def test_whitespace_is_normalised(
    korea_yaml: Path, sources_dir: Path, tmp_path: Path, variant: str
) -> None:
    path = _copy(korea_yaml, tmp_path, QUOTE, variant)
    result = runner.invoke(app, ["cite", str(path), "--sources", str(sources_dir)])
    assert result.exit_code == 0, result.stderr


def test_curly_quotes_and_dashes_are_normalised(
    korea_yaml: Path, sources_dir: Path, tmp_path: Path
) -> None:
    # The article has a curly apostrophe (North’s) and the scenario keeps it; straight works too.
    text = korea_yaml.read_text(encoding="utf-8")
    text = text.replace(
        "freeze if not reverse the North’s progress", "freeze if not reverse the North's progress"
    )
    # An em dash in the article ("stronger—significantly") may be written as an en dash.
    text = text.replace(
        "dramatically stronger—significantly", "dramatically stronger–significantly"
    )
    # A straight-quoted word may be written with curly quotes.
    text = text.replace(
        "To North Korea, U.S. “hostile policy”", 'To North Korea, U.S. \\"hostile policy\\"'
    )
    path = tmp_path / "korea.yaml"
    path.write_text(text, encoding="utf-8")
    assert text != korea_yaml.read_text(encoding="utf-8")
    result = runner.invoke(app, ["cite", str(path), "--sources", str(sources_dir)])
    assert result.exit_code == 0, result.stderr


def test_case_change_is_not_accepted(korea_yaml: Path, sources_dir: Path, tmp_path: Path) -> None:
    path = _copy(korea_yaml, tmp_path, QUOTE, QUOTE.replace("their goal", "Their goal"))
    result = runner.invoke(app, ["cite", str(path), "--sources", str(sources_dir)])
    assert result.exit_code == 1
    assert "actors.dprk.stances.sanctions.position: not found verbatim" in result.stderr


def test_punctuation_change_is_not_accepted(
    korea_yaml: Path, sources_dir: Path, tmp_path: Path
) -> None:
    path = _copy(korea_yaml, tmp_path, QUOTE, QUOTE.replace("U.S.", "US"))
    result = runner.invoke(app, ["cite", str(path), "--sources", str(sources_dir)])
    assert result.exit_code == 1


def test_missing_source_file_is_a_miss(korea_yaml: Path, sources_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "sources"
    folder.mkdir()
    shutil.copy(sources_dir / "000_c7b37ae1da67c85b.txt", folder)
    result = runner.invoke(app, ["cite", str(korea_yaml), "--sources", str(folder)])
    assert result.exit_code == 1
    assert "source file '004_3993789ca1e6de23.txt' not found" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_sources_folder_is_bad_input(korea_yaml: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["cite", str(korea_yaml), "--sources", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "sources folder not found" in result.stderr


def test_normalise() -> None:
    text = "  a\u00a0\u2018b\u2019 \u201cc\u201d \u2014 d\u2013e\n\tf "
    assert normalise(text) == "a 'b' \"c\" - d-e f"
    assert normalise("ABC") != normalise("abc")
