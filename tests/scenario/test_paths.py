"""Paths into a scenario document: display, resolve, get, set, and worldview overrides."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from detente.scenario.load import load_scenario
from detente.scenario.paths import (
    apply_overrides,
    display_path,
    get_path,
    resolve_path,
    set_path,
    walk_quantities,
)
from detente.scenario.quantity import Quantity

MINIMAL = Path(__file__).parent / "data" / "minimal.yaml"


def test_display_path_names_items_by_id() -> None:
    raw = {"actors": [{"id": "a"}, {"id": "b", "stances": {"x": {"salience": 1}}}], "tags": [1]}
    assert display_path(("actors", 1, "stances", "x", "salience"), raw) == (
        "actors.b.stances.x.salience"
    )
    # Items without an id (or indices out of range) keep their index.
    assert display_path(("tags", 0), raw) == "tags[0]"
    assert display_path(("actors", 5, "id"), raw) == "actors[5].id"
    assert display_path((), raw) == ""


def test_resolve_path_inverts_display_path() -> None:
    loaded = load_scenario(MINIMAL)
    for key in [
        ("actors", 1, "stances", "talks", "salience"),
        ("issues", 0, "scale", "max"),
        ("worldviews", 0, "overrides"),
    ]:
        assert resolve_path(loaded.raw, display_path(key, loaded.raw)) == key


def test_resolve_path_keys_with_dots() -> None:
    raw = {"scale": {"anchors": {"0.5": "half", "1": "one"}}}
    assert resolve_path(raw, "scale.anchors.0.5") == ("scale", "anchors", "0.5")


@pytest.mark.parametrize(
    ("dotted", "fragment"),
    [
        ("actors.gamma", "no item with id 'gamma' (known: alpha, beta)"),
        ("actors.alpha.stance", "no field 'stance'"),
        ("actors.alpha.name.first", "'first' is below a plain value"),
    ],
)
def test_resolve_path_errors(dotted: str, fragment: str) -> None:
    loaded = load_scenario(MINIMAL)
    with pytest.raises(KeyError) as info:
        resolve_path(loaded.raw, dotted)
    assert fragment in info.value.args[0]


def test_get_and_set_at_a_resolved_path() -> None:
    raw = load_scenario(MINIMAL).raw
    doc = copy.deepcopy(raw)
    key = resolve_path(doc, "actors.beta.stances.talks.salience")
    assert get_path(doc, key) == {"value": 0.4, "assumption": "cares less"}
    value: dict[str, Any] = {"value": 0.9, "assumption": "more"}
    set_path(doc, key, value)
    value["value"] = 0.1  # the document holds a copy
    assert get_path(doc, key) == {"value": 0.9, "assumption": "more"}
    assert raw["actors"][1]["stances"]["talks"]["salience"]["value"] == 0.4
    with pytest.raises(KeyError):
        get_path(doc, ("actors", 1, "nowhere"))


def test_apply_overrides_returns_a_copy_and_no_problems() -> None:
    raw = load_scenario(MINIMAL).raw
    doc, problems = apply_overrides(raw, 0)
    assert problems == []
    assert doc["actors"][1]["stances"]["talks"]["position"] == {
        "value": 1,
        "assumption": "harder line",
    }
    assert raw["actors"][1]["stances"]["talks"]["position"]["value"] == 3


def test_apply_overrides_returns_its_problems_at_the_override() -> None:
    raw = copy.deepcopy(load_scenario(MINIMAL).raw)
    raw["worldviews"][0]["overrides"] = [
        {"path": "actors.gamma.capability", "value": 1},
        {"path": "id", "value": "other"},
        {"path": "actors.alpha.capability", "value": 2},
    ]
    doc, problems = apply_overrides(raw, 0)
    where = ("worldviews", 0, "overrides")
    assert problems == [
        (
            (*where, 0, "path"),
            "override path 'actors.gamma.capability' not found: no item with id 'gamma' "
            "(known: alpha, beta)",
        ),
        ((*where, 1, "path"), "cannot override 'id' (expected a value path)"),
    ]
    assert doc["id"] == raw["id"] and doc["actors"][0]["capability"] == 2  # the rest applies


def test_walk_quantities_gives_raw_paths() -> None:
    sc = load_scenario(MINIMAL).scenario
    found = dict(walk_quantities(sc))
    assert all(isinstance(q, Quantity) for q in found.values())
    assert found[("actors", 1, "stances", "talks", "salience")].point() == 0.4
    assert ("issues", 0, "status_quo") in found
