"""Fuzzing the loaders (issue 21, item 9): mutations of real files never crash a command.

Seeds: the shipped scenarios (``scenarios/*.yaml``) and the peers' reference files in
``../shared`` (KTAB CSVs, Decide files, the DEU III development file). Each example takes one
seed and applies one to four mutations (a byte flipped, a line deleted or duplicated, a number
replaced by an extreme value, a Unicode oddity — bidi, control, combining, zero-width, a broken
UTF-8 sequence — or markup inserted anywhere or at the start of a field, the file truncated),
writes the result with the seed's suffix and runs the command a user would run on it
in-process:

* YAML, KTAB, Decide: ``detente forecast FILE`` (the loader, the validator, the importer, the
  compromise model, the table or JSON);
* DEU: ``detente backtest deu FILE --models compromise`` (reader, capabilities, backtest).

Properties: the command ends with exit 0 or 2 through ``typer.Exit`` (never an uncaught
exception); exit 2 prints only located messages (every stderr line starts with the file's path)
and nothing on stdout; exit 0 in JSON holds only finite forecasts. Every failure class found
is fixed in the code and kept, minimised, in the broken-input corpus (``broken/`` and
``broken/peer/``, with the message it must give).

``test_fuzz_smoke`` (default run) runs a few examples per seed kind; ``test_fuzz_long`` (slow)
runs ``DETENTE_FUZZ_EXAMPLES`` examples (default 2,000) per kind.
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from detente.cli import app

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
if not SHARED.is_dir():  # a worktree beside the main checkout: ../shared is next to it
    SHARED = Path("/work/shared") if Path("/work/shared").is_dir() else SHARED

YAML_SEEDS = sorted((ROOT / "scenarios").glob("*.yaml"))
KTAB_SEEDS = sorted((SHARED / "reference" / "ktab").glob("*.csv"))
DECIDE_SEEDS = sorted((SHARED / "reference" / "exchange").glob("*.[ct][sx][vt]"))
DEU_SEEDS = sorted((SHARED / "data" / "deu").glob("*.tsv"))

runner = CliRunner()

EXTREMES = [
    "1e308", "-1e308", "1e309", "-0", "0", "nan", "NaN", "inf", "-inf", ".inf", "-.inf", ".nan",
    "99999999999999999999999999999999", "-99999999999999999999", "1e-320", "5e-324",
    "0x7fffffff", "1_000", "1e101", "1.7976931348623157e308", "4.9e-324", "+1", "1e", "--1",
]  # fmt: skip
ODDITIES = [
    "\u202e", "\u2066", "\u2069", "\u200f", "\u200b", "\ufeff", "\u0301" * 30, "e\u0301",
    "\x1b[31m", "\x07", "\x00", "\x85", "\u2028", "\u2029", "\x7f", "\t", "\r", "\r\n",
    "\U0001f4af", ":100:", "\ud7ff", "\ufffd", "\U0010ffff", "ﷺ" * 5, "x" * 5000,
]  # fmt: skip
MARKUP = [
    "[/]", "[bold]", "[link=http://x]", "<script>alert(1)</script>", "{{ 7*7 }}", "{% if %}",
    "&amp;", "'", '"', "\\", "%s", "${HOME}", "*", "&a", "!!python/name:os.system", "- ",
    ": ", "#", "|", ">", "'#D'", ",", ";", "\t'", "[", "{",
]  # fmt: skip
BROKEN_UTF8 = [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xe2\x82", b"\xc0\xaf", b"\xf8\x88\x80\x80"]

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_FIELD_START = re.compile(rb"(?:[,;\t]|: |^)['\"]?", re.M)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """``data`` after one to four random mutations."""
    out = bytearray(data)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(
            st.sampled_from(
                [
                    "flip",
                    "delete",
                    "duplicate",
                    "number",
                    "oddity",
                    "markup",
                    "utf8",
                    "truncate",
                    "field",
                ]
            )
        )
        lines = bytes(out).split(b"\n")
        if kind == "flip" and out:
            i = draw(st.integers(0, len(out) - 1))
            out[i] ^= 1 << draw(st.integers(0, 7))
        elif kind in ("delete", "duplicate") and len(lines) > 1:
            i = draw(st.integers(0, len(lines) - 1))
            if kind == "delete":
                del lines[i]
            else:
                lines.insert(i, lines[i])
            out = bytearray(b"\n".join(lines))
        elif kind == "number":
            spans = [m.span() for m in _NUMBER.finditer(bytes(out))]
            if spans:
                a, b = draw(st.sampled_from(spans))
                out[a:b] = draw(st.sampled_from(EXTREMES)).encode()
        elif kind in ("oddity", "markup", "utf8"):
            if kind == "utf8":
                piece = draw(st.sampled_from(BROKEN_UTF8))
            else:
                pool = ODDITIES if kind == "oddity" else MARKUP
                piece = draw(st.sampled_from(pool)).encode("utf-8", "surrogatepass")
            i = draw(st.integers(0, len(out)))
            out[i:i] = piece
        elif kind == "field":  # an oddity or markup at the start of a field (names, labels)
            starts = [m.end() for m in _FIELD_START.finditer(bytes(out))]
            if starts:
                i = draw(st.sampled_from(starts))
                piece = draw(st.sampled_from(ODDITIES + MARKUP)).encode("utf-8", "surrogatepass")
                out[i:i] = piece
        elif kind == "truncate" and out:
            del out[draw(st.integers(0, len(out) - 1)) :]
    return bytes(out)


def _values(node: Any, keys: tuple[str, ...]) -> Iterator[Any]:
    """Every value under one of ``keys`` anywhere in a JSON document."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in keys:
                yield value
            else:
                yield from _values(value, keys)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value, keys)


def check_command(path: Path, args: list[str], fmt: str, keys: tuple[str, ...]) -> int:
    """Run the command on ``path``; assert the properties; return its exit code."""
    result = runner.invoke(app, [*args, "--format", fmt])
    exc = result.exception
    assert exc is None or isinstance(exc, SystemExit), (
        f"{type(exc).__name__}: {exc}\n{result.stderr}"
    )
    assert result.exit_code in (0, 2), (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stdout == "", result.stdout
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert lines, "exit 2 without a message"
        for text in lines:
            assert text.startswith(f"{path}:"), f"unlocated message: {text!r}"
    elif fmt == "json":
        payload = json.loads(result.stdout)
        values = list(_values(payload, keys))
        assert values, f"no {keys} in the JSON"
        for value in values:
            assert value is not None and math.isfinite(value), f"non-finite forecast {value!r}"
    return result.exit_code


def _forecast(path: Path) -> list[str]:
    return ["forecast", str(path)]


def _backtest(path: Path) -> list[str]:
    return ["backtest", "deu", str(path), "--models", "compromise", "--bootstrap", "100",
            "--no-protocol"]  # fmt: skip


#: kind: (seed files, command, the JSON keys whose values must be finite numbers)
KINDS: dict[str, tuple[list[Path], Callable[[Path], list[str]], tuple[str, ...]]] = {
    "yaml": (YAML_SEEDS, _forecast, ("forecast",)),
    "ktab": (KTAB_SEEDS, _forecast, ("forecast",)),
    "decide": (DECIDE_SEEDS, _forecast, ("forecast",)),
    "deu": (DEU_SEEDS, _backtest, ("mae", "rmse")),
}


def _fuzz(kind: str, tmp_path_factory: pytest.TempPathFactory, examples: int) -> None:
    seeds, command, keys = KINDS[kind]
    if not seeds:
        pytest.skip(f"no {kind} seed files (../shared/ is absent)")
    texts = [(p.suffix, p.read_bytes()) for p in seeds]
    folder = tmp_path_factory.mktemp(f"fuzz-{kind}")
    if kind == "yaml":  # the shipped scenarios name data files beside them
        (folder / "data").symlink_to(ROOT / "scenarios" / "data")

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        derandomize=examples <= 20,
    )
    @given(st.data())
    def run(data: st.DataObject) -> None:
        suffix, text = texts[data.draw(st.integers(0, len(texts) - 1), label="seed")]
        body = data.draw(mutated(text))
        path = folder / f"case{suffix}"
        path.write_bytes(body)
        fmt = data.draw(st.sampled_from(["json", "table"]))
        check_command(path, command(path), fmt, keys)

    run()


@pytest.mark.parametrize("kind", list(KINDS))
def test_fuzz_smoke(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """A few fixed examples per kind in the default run (derandomised: the same every run)."""
    _fuzz(kind, tmp_path_factory, 8 if kind != "yaml" else 4)


@pytest.mark.slow
@pytest.mark.parametrize("kind", list(KINDS))
def test_fuzz_long(kind: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    _fuzz(kind, tmp_path_factory, int(os.environ.get("DETENTE_FUZZ_EXAMPLES", "2000")))
