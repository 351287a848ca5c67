"""What-if edits in place and incremental validation (detente.web.whatif) give exactly what
reading and validating the edited text in full gives: the data, the line map, every value's
span, the node count, every diagnostic (with its line) and the scenario — for valid and invalid
what-ifs, base edits and worldview overrides (new and replaced), and awkward YAML layouts."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest

from detente.scenario.errors import InputError
from detente.scenario.load import parse_yaml, with_worldview
from detente.scenario.paths import display_path, walk_quantities
from detente.strategy.checks import check_strategies
from detente.web import whatif
from detente.web.service import MAX_EDITS

from .web_names import KOREA

ROOT = Path(__file__).resolve().parents[2]
GC = (check_strategies,)
EC = "ec-emission-standards-1994"

#: what-if values: valid ones, one without a basis (a warning), and invalid ones
VALUES: list[Any] = [
    {"value": 0.5, "assumption": "a what-if"},
    {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.3, "assumption": "range"},
    0.4,
    {"dist": "uniform", "low": 0.2, "high": 0.6},  # no basis: a warning
    {"dist": "triangular", "low": 3, "mode": 2, "high": 1, "assumption": "low > high"},
    {"value": 1e9, "assumption": "out of any range"},
    {"dist": "beta", "a": 0, "b": 2, "assumption": "a must be > 0"},
    {"value": 0.5, "assumption": "line\nbreak, comma: colon [x] {y} # not a comment"},
    {"value": 0.5, "assumption": "bell \x07"},  # a control character: refused
    {"value": 0.5, "source": {"doc": "nowhere", "quote": "unknown source"}},
    {"value": "text"},
]


@functools.cache
def base_of(name: str) -> whatif.Checked:
    text = (ROOT / "scenarios" / f"{name}.yaml").read_text(encoding="utf-8")
    return whatif.check_text(text, f"{name}.yaml", GC)


def assert_same_as_full(got: whatif.Checked) -> None:
    """``got`` equals reading and validating its text from scratch."""
    text, name = got.parsed.text, got.parsed.name
    full = whatif.check_text(text, name, GC)
    assert got.parsed.raw == full.parsed.raw
    assert got.parsed.lines == full.parsed.lines
    assert got.parsed.spans == full.parsed.spans
    assert got.parsed.nodes == full.parsed.nodes
    assert got.diagnostics == full.diagnostics
    assert (got.loaded is None) == (full.loaded is None)
    if got.loaded is not None:
        assert full.loaded is not None
        assert got.loaded.scenario == full.loaded.scenario
        assert got.loaded.warnings == full.loaded.warnings
        for wid, sc in got.views.items():  # worldview scenarios the edit computed
            assert same_scenario(sc, with_worldview(full.loaded, wid))


def same_scenario(a: Any, b: Any) -> bool:
    """The same scenario: its fields, and a dated worldview's game's date (its history is read
    lazily, by a function each computation makes anew, so the games' private parts differ)."""
    dates = [s.game.as_of if s.game is not None else None for s in (a, b)]
    return bool(a.model_dump() == b.model_dump() and dates[0] == dates[1])


@pytest.mark.parametrize("name", [KOREA, EC])
def test_full_check_is_parse_yaml(name: str) -> None:
    """The full validation the edits are compared with is ``detente validate``'s."""
    checked = base_of(name)
    loaded = parse_yaml(checked.parsed.text, checked.parsed.name, game_checks=GC)
    assert checked.loaded is not None and checked.loaded.scenario == loaded.scenario
    assert checked.diagnostics == loaded.warnings
    assert checked.parsed.raw == loaded.raw and checked.parsed.lines == loaded.lines


def value_paths(checked: whatif.Checked) -> list[str]:
    assert checked.loaded is not None
    raw = checked.parsed.raw
    return [
        display_path(p, raw)
        for p, _ in walk_quantities(checked.loaded.scenario)
        if p[:1] != ("worldviews",)
    ]


def cases(name: str, every: int) -> list[tuple[str | None, str, Any]]:
    base = base_of(name)
    assert base.loaded is not None
    views = [None, *(w.id for w in base.loaded.scenario.worldviews)]
    out = []
    for k, path in enumerate(value_paths(base)):
        if k % every == 0:
            for j, wv in enumerate(views):
                out.append((wv, path, VALUES[(k + j) % len(VALUES)]))
    return out


SAMPLE = [(KOREA, *c) for c in cases(KOREA, 11)] + [(EC, *c) for c in cases(EC, 5)]


@pytest.mark.parametrize(("scenario", "worldview", "path", "value"), SAMPLE)
def test_edit_equals_full_validation(
    scenario: str, worldview: str | None, path: str, value: Any
) -> None:
    base = base_of(scenario)
    got = whatif.apply_edits(base, [(path, value)], worldview, MAX_EDITS)
    assert_same_as_full(got)


def test_the_sample_takes_the_incremental_path_and_has_invalid_cases() -> None:
    hows = {"incremental": 0, "full": 0}
    invalid = 0
    for scenario, worldview, path, value in SAMPLE[::3]:
        got = whatif.apply_edits(base_of(scenario), [(path, value)], worldview, MAX_EDITS)
        hows[got.how] += 1
        invalid += got.loaded is None
    assert hows["incremental"] > hows["full"] > 0
    assert invalid > 0


@pytest.mark.slow
@pytest.mark.parametrize("scenario", [KOREA, EC])
def test_every_value_path_equals_full_validation(scenario: str) -> None:
    for worldview, path, value in cases(scenario, 1):
        got = whatif.apply_edits(base_of(scenario), [(path, value)], worldview, MAX_EDITS)
        assert_same_as_full(got)


def test_chained_edits_and_several_at_once() -> None:
    doc = base_of(KOREA)
    steps: list[tuple[str | None, list[tuple[str, Any]]]] = [
        (None, [("actors.dprk.capability", {"value": 30, "assumption": "a"})]),
        ("skeptic", [("actors.usa.stances.declaration.salience", 0.2)]),
        ("engagement", [("actors.dprk.stances.declaration.position", {"value": 40})]),
        (
            None,
            [
                ("actors.china.capability", {"value": 20, "assumption": "b"}),
                ("issues.declaration.status_quo", {"value": 5, "assumption": "c"}),
            ],
        ),
        ("skeptic", [("actors.usa.stances.declaration.salience", 0.3)]),  # replaces the override
    ]
    for worldview, edits in steps:
        doc = whatif.apply_edits(doc, edits, worldview, MAX_EDITS)
        assert doc.how == "incremental"
        assert_same_as_full(doc)
    # layout and comments outside the edited values are kept
    original = base_of(KOREA).parsed.text
    kept = [line for line in original.splitlines() if line.lstrip().startswith("#")]
    assert kept and all(line in doc.parsed.text for line in kept)


LAYOUTS = """\
detente: 1
id: layouts
title: Layouts   # a comment
question: "q"
sources:
  - {id: s, title: S, url: "https://example.org"}
issues:
  - id: i
    label: I
    scale: {min: 0, max: 100}
    status_quo:
      value: 10
      assumption: |
        kept as written

actors:
  - id: a
    name: A
    capability: {value: 1, assumption: x}
    stances:
      i: {position: {value: 20, assumption: x}, salience: {value: 0.5, assumption: x}}
  - id: b
    name: B
    capability:
      value: 2
      assumption: >-
        folded
    # between
    stances:
      i:
        position: 80
        salience:
          value: 0.4
          assumption: x
worldviews:
  - id: flowlist
    label: F
    assumption: x
    overrides: [{path: actors.a.capability, value: {value: 3, assumption: y}}]
  - id: empty
    label: E
    assumption: x
    overrides: []
  - {id: flowmap, label: M, assumption: x}
  - id: blockmap
    label: B
    assumption: "last"
"""


@pytest.mark.parametrize(
    ("worldview", "path", "value"),
    [
        (None, "issues.i.status_quo", {"value": 12, "assumption": "z"}),
        (None, "actors.a.stances.i.position", 30),
        (None, "actors.b.capability", {"value": 4, "assumption": "z"}),
        (None, "actors.b.stances.i.position", {"value": 60, "assumption": "z"}),
        (None, "actors.b.stances.i.salience", {"value": 2, "assumption": "too big"}),
        ("flowlist", "actors.a.capability", {"value": 5, "assumption": "replaced"}),
        ("flowlist", "actors.b.capability", {"value": 5, "assumption": "appended"}),
        ("empty", "actors.b.capability", {"value": 5, "assumption": "first"}),
        ("flowmap", "actors.b.stances.i.position", {"value": 50, "assumption": "new key"}),
        ("blockmap", "actors.b.stances.i.position", {"value": 55, "assumption": "new key"}),
        ("blockmap", "actors.b.stances.i.position", {"value": 500, "assumption": "bad"}),
        (None, "title", "A new title, with: punctuation"),
    ],
)
def test_layouts(worldview: str | None, path: str, value: Any) -> None:
    base = whatif.check_text(LAYOUTS, "layouts.yaml", GC)
    assert base.loaded is not None, base.diagnostics
    got = whatif.apply_edits(base, [(path, value)], worldview, MAX_EDITS)
    assert_same_as_full(got)
    assert "# between" in got.parsed.text and "# a comment" in got.parsed.text
    assert ("kept as written" in got.parsed.text) == (path != "issues.i.status_quo")


def test_no_trailing_newline_and_aliases() -> None:
    text = LAYOUTS.rstrip("\n")
    base = whatif.check_text(text, "layouts.yaml", GC)
    got = whatif.apply_edits(
        base, [("actors.a.capability", {"value": 9, "assumption": "q"})], "blockmap", MAX_EDITS
    )
    assert_same_as_full(got)
    # a document with aliases is edited the former way (data set, dumped, read again)
    aliased = LAYOUTS.replace(
        "capability: {value: 1, assumption: x}", "capability: &cap {value: 1, assumption: x}"
    ).replace("salience: {value: 0.5, assumption: x}", "salience: *cap")
    base = whatif.check_text(aliased, "aliased.yaml", GC)
    assert base.parsed.aliased
    got = whatif.apply_edits(base, [("actors.a.capability", 0.7)], None, MAX_EDITS)
    assert got.how == "full" and "&cap" not in got.parsed.text
    assert_same_as_full(got)


def test_bad_edits_are_refused_with_the_former_messages() -> None:
    base = base_of(KOREA)
    with pytest.raises(InputError) as exc:
        whatif.apply_edits(base, [("actors.nobody.capability", 1)], None, MAX_EDITS)
    assert "cannot edit: no item with id 'nobody'" in str(exc.value)
    with pytest.raises(InputError, match="cannot edit this field here"):
        whatif.apply_edits(base, [("worldviews", 1)], None, MAX_EDITS)
    with pytest.raises(InputError, match="unknown worldview 'nope'"):
        whatif.apply_edits(base, [("actors.dprk.capability", 1)], "nope", MAX_EDITS)
    with pytest.raises(InputError, match="too many edits"):
        whatif.apply_edits(base, [("title", "x")] * 3, None, 2)


def test_document_cache_is_keyed_by_name_and_text() -> None:
    cache = whatif.DocumentCache(GC, size=2)
    text = (ROOT / "scenarios" / f"{EC}.yaml").read_text(encoding="utf-8")
    a = cache.get(text, "a.yaml")
    assert cache.get(text, "a.yaml") is a and cache.hits == 1
    b = cache.get(text, "b.yaml")
    assert b is not a and b.diagnostics == [
        type(d)("b.yaml", d.line, d.field, d.message, d.severity) for d in a.diagnostics
    ]
    cache.get(text + "\n", "a.yaml")
    assert cache.get(text, "a.yaml") is not a  # evicted: the cache holds 2
