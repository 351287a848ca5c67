"""The loader and validator API: load_scenario, with_worldview, warnings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.load import load_scenario, parse_yaml, with_worldview
from detente.scenario.problem import to_problem
from detente.scenario.yamlsafe import format_path

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


def test_load_minimal() -> None:
    loaded = load_scenario(MINIMAL)
    sc = loaded.scenario
    assert [a.id for a in sc.actors] == ["alpha", "beta"]
    assert [i.id for i in sc.issues] == ["talks"]
    assert sc.actor("alpha").stances["talks"].position.point() == 8.0
    assert loaded.file == str(MINIMAL)
    assert loaded.warnings == []
    assert loaded.sha256 == hashlib.sha256(MINIMAL.read_bytes()).hexdigest()
    # Lines are 1-based and point at the field as written.
    assert loaded.lines[("actors", 1, "capability")] == 27
    assert loaded.raw["actors"][0]["id"] == "alpha"


def test_load_shipped_scenarios(korea_yaml: Path, emission_yaml: Path) -> None:
    korea = load_scenario(korea_yaml, strict=True)
    assert len(korea.scenario.actors) == 6
    assert len(korea.scenario.issues) == 5
    assert {"engagement", "skeptic"} <= {w.id for w in korea.scenario.worldviews}
    emission = load_scenario(emission_yaml, strict=True)
    assert len(emission.scenario.actors) == 10
    assert emission.warnings == []


def test_warnings_are_collected_not_raised() -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        '    capability: {value: 0.5, assumption: "weaker"}\n', "    capability: 0.5\n"
    )
    loaded = parse_yaml(text, "mem.yaml")
    assert len(loaded.warnings) == 1
    (w,) = loaded.warnings
    assert isinstance(w, Diagnostic)
    assert (w.file, w.line, w.field, w.severity) == (
        "mem.yaml",
        27,
        "actors.beta.capability",
        "warning",
    )
    assert str(w).startswith("mem.yaml:27: actors.beta.capability: warning: no basis for 0.5")
    with pytest.raises(InputError) as info:
        parse_yaml(text, "mem.yaml", strict=True)
    (d,) = info.value.diagnostics
    assert d.severity == "error"
    assert d.field == "actors.beta.capability"


def test_input_error_lists_every_problem() -> None:
    text = MINIMAL.read_text(encoding="utf-8")
    text = text.replace("{value: 8,", "{value: 12,").replace("{value: 0.4,", "{value: -1,")
    with pytest.raises(InputError) as info:
        parse_yaml(text, "two.yaml")
    fields = [d.field for d in info.value.diagnostics]
    assert fields == ["actors.alpha.stances.talks.position", "actors.beta.stances.talks.salience"]
    assert str(info.value).count("two.yaml:") == 2


def test_with_worldview_applies_overrides_and_leaves_base_alone() -> None:
    loaded = load_scenario(MINIMAL)
    hawk = with_worldview(loaded, "hawk")
    assert hawk.actor("beta").stances["talks"].position.point() == 1.0
    assert hawk.actor("beta").stances["talks"].position.assumption == "harder line"
    # The base scenario and its raw data are unchanged.
    assert loaded.scenario.actor("beta").stances["talks"].position.point() == 3.0
    assert loaded.raw["actors"][1]["stances"]["talks"]["position"]["value"] == 3
    assert with_worldview(loaded, None) is loaded.scenario


def test_with_worldview_unknown_is_input_error() -> None:
    loaded = load_scenario(MINIMAL)
    with pytest.raises(InputError) as info:
        with_worldview(loaded, "dove")
    assert "unknown worldview 'dove' (expected one of: hawk)" in str(info.value)


def test_korea_worldviews_differ(korea_yaml: Path) -> None:
    loaded = load_scenario(korea_yaml)
    eng = with_worldview(loaded, "engagement")
    skp = with_worldview(loaded, "skeptic")
    pos = {
        sc_id: sc.actor("dprk").stances["declaration"].position.point()
        for sc_id, sc in (("eng", eng), ("skp", skp))
    }
    # the re-audited readings (scenarios/korea-audit.md): engagement triangular(40, 65, 90),
    # skeptic triangular(0, 15, 40); a triangular's point is its mean
    assert pos["eng"] == pytest.approx((40 + 65 + 90) / 3)
    assert pos["skp"] == pytest.approx((0 + 15 + 40) / 3)


def test_to_problem_shapes_and_values() -> None:
    sc = load_scenario(MINIMAL).scenario
    problem = to_problem(sc)
    assert problem.actors == ("alpha", "beta")
    assert problem.position.shape == (1, 2, 1)
    assert problem.position[0, :, 0].tolist() == [8.0, 3.0]
    assert problem.salience[0, :, 0].tolist() == [0.7, 0.4]
    assert problem.capability[0].tolist() == [1.0, 0.5]
    assert problem.status_quo[0].tolist() == [2.0]
    assert problem.scale_min.tolist() == [0.0] and problem.scale_max.tolist() == [10.0]


def test_yaml_errors_name_list_items_by_id() -> None:
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "    title: A memo\n", "    title: !!binary aGVsbG8=\n"
    )
    with pytest.raises(InputError) as info:
        parse_yaml(text, "tag.yaml")
    (d,) = info.value.diagnostics
    assert (d.line, d.field) == (6, "sources.memo.title")


def test_format_path() -> None:
    assert format_path(("actors", 2, "stances")) == "actors[2].stances"
    assert format_path(("actors", 2, "stances"), {("actors", 2): "dprk"}) == "actors.dprk.stances"
    assert format_path(()) == ""
