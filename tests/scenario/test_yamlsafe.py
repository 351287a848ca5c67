""":func:`detente.scenario.yamlsafe.load_yaml` parses with libyaml when it can stand in for
PyYAML's pure-Python parser, and every text reads exactly as with PyYAML's parser alone: the same
data and lines when it is accepted, the same messages when it is refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from detente.scenario.errors import InputError
from detente.scenario.yamlsafe import PathKey, _build, _compose, _compose_fast, load_yaml

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    p.read_text(encoding="utf-8")
    for p in sorted(
        [*(ROOT / "scenarios").glob("*.yaml"), *(ROOT / "tests/scenario/broken").glob("*.yaml")]
    )
]
SMALL = [t for t in TEXTS if len(t) < 6000]

pytestmark = pytest.mark.skipif(
    not hasattr(yaml, "CSafeLoader"), reason="PyYAML built without libyaml"
)


def _reading(read: Callable[[], tuple[Any, dict[PathKey, int]]]) -> object:
    try:
        return read()
    except InputError as exc:
        return [str(d) for d in exc.diagnostics]


def assert_same_reading(text: str) -> None:
    """:func:`load_yaml` (libyaml when it can stand in) reads ``text`` exactly as PyYAML's
    parser alone does: the same data and lines, or the same messages."""
    reference = _reading(lambda: _build(_compose(text, "t.yaml"), "t.yaml"))
    assert _reading(lambda: load_yaml(text, "t.yaml")) == reference


def test_the_shipped_and_broken_files_read_alike() -> None:
    for text in TEXTS:
        assert_same_reading(text)
    assert all(_compose_fast(t)[0] for t in TEXTS[:3])  # the fast path is taken


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SMALL),
    st.integers(0, 10_000),
    st.integers(0, 40),
    st.text(alphabet=" \t\n\r:-[]{},#&*!|>'\"%@`?abc019.\x07\x85\u2028\ufeff", max_size=6),
)
def test_mutated_texts_read_alike(text: str, at: int, cut: int, insert: str) -> None:
    at %= len(text) + 1
    assert_same_reading(text[:at] + insert + text[at + cut :])


def test_refused_text_keeps_pyyaml_message(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        load_yaml("a: [1, 2\nb: 3\n", "t.yaml")
    assert str(info.value.diagnostics[0]).startswith("t.yaml:2: invalid YAML: ")


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\t# a tab\n",  # PyYAML refuses a tab where libyaml takes it
        "a: {b: x?y}\n",  # PyYAML ends a flow plain scalar at "?"
        "a: >#c\n  b\n",  # PyYAML wants a space before a block scalar's comment
        "a: 1\n\ufeffb: 2\n",  # a byte-order mark inside the text
        "a: {b: 'x?y'}\nq: why?\n",  # "?" that both read alike: the fast path stands
    ],
)
def test_known_differences_read_as_pyyaml(text: str) -> None:
    assert_same_reading(text)
