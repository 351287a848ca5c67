"""Check that every quoted passage occurs verbatim in its source text.

Normalisation is deliberately minimal (the brief: "normalise whitespace, curly quotes and dashes;
nothing more"): runs of whitespace become one space, curly single/double quotes become straight
ones, en/em dashes and the minus sign become a hyphen, and the non-breaking hyphen too. Case,
punctuation and spelling must match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario
from detente.scenario.paths import display_path, walk_quantities
from detente.scenario.quantity import Quantity
from detente.scenario.schema import Scenario

_TRANSLATE = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u2011": "-",
        "\u2010": "-",
    }
)
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    return _WS.sub(" ", text.translate(_TRANSLATE)).strip()


@dataclass(frozen=True)
class QuoteCheck:
    """One quoted passage and whether it was found."""

    field: str
    line: int | None
    doc: str
    quote: str
    found: bool
    reason: str = ""


@dataclass(frozen=True)
class Citation:
    """One cited passage of a scenario and the judgment it supports.

    ``field`` is the display path of the judgment; ``target`` the path an override replaces (for a
    worldview override, else None); ``number`` the judgment in short form
    (:meth:`Quantity.describe`), None for a worldview's own sources.
    """

    path: tuple[str | int, ...]
    field: str
    target: str | None
    line: int | None
    number: str | None
    doc: str
    quote: str


def read_sources(
    sc: Scenario, sources_dir: str | Path
) -> tuple[dict[str, str | None], dict[str, str]]:
    """The raw text of every source with a readable file (None otherwise, with a reason)."""
    folder = Path(sources_dir)
    if not folder.is_dir():
        raise InputError.single(str(sources_dir), "sources folder not found (expected a directory)")
    texts: dict[str, str | None] = {}
    reasons: dict[str, str] = {}
    for src in sc.sources:
        if src.file is None:
            texts[src.id] = None
            reasons[src.id] = f"source {src.id!r} names no `file` to check against"
            continue
        text_file = folder / src.file
        if not text_file.is_file():
            texts[src.id] = None
            reasons[src.id] = f"source file {src.file!r} not found in {folder}"
            continue
        texts[src.id] = text_file.read_text(encoding="utf-8", errors="replace")
    return texts, reasons


def cited_quotes(loaded: LoadedScenario) -> list[Citation]:
    """Every ``source: {doc, quote}`` in the scenario (worldviews included), in scenario order."""
    sc = loaded.scenario
    quotes: list[tuple[tuple[str | int, ...], str | None, str | None, str, str]] = []
    for path, q in walk_quantities(sc, ()):
        for ref in q.sources():
            quotes.append((path, None, q.describe(), ref.doc, ref.quote))
    for i, wv in enumerate(sc.worldviews):
        for ref in wv.sources():
            quotes.append((("worldviews", i), None, None, ref.doc, ref.quote))
        for j, override in enumerate(wv.overrides):
            number = _describe(override.value)
            for doc_id, quote in _refs_in(override.value):
                path = ("worldviews", i, "overrides", j, "value")
                quotes.append((path, override.path, number, doc_id, quote))
    return [
        Citation(path, display_path(path, loaded.raw), target, _line(loaded, path), number, doc, q)
        for path, target, number, doc, q in quotes
    ]


def check_citations(loaded: LoadedScenario, sources_dir: str | Path) -> list[QuoteCheck]:
    """Every ``source: {doc, quote}`` in the scenario (worldviews included), checked."""
    raw, reasons = read_sources(loaded.scenario, sources_dir)
    texts = {doc: (normalise(t) if t is not None else None) for doc, t in raw.items()}
    results: list[QuoteCheck] = []
    for c in cited_quotes(loaded):
        text = texts.get(c.doc)
        if text is None:
            reason = reasons.get(c.doc, f"unknown source {c.doc!r}")
            results.append(QuoteCheck(c.field, c.line, c.doc, c.quote, False, reason))
            continue
        found = normalise(c.quote) in text
        results.append(
            QuoteCheck(
                c.field,
                c.line,
                c.doc,
                c.quote,
                found,
                "" if found else "not found verbatim in the source text",
            )
        )
    return results


def _describe(value: object) -> str | None:
    """An override value in short form: a Quantity's :meth:`describe`, else its text."""
    if isinstance(value, dict):
        try:
            return Quantity.model_validate(value).describe()
        except ValueError:
            return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"{value:g}"
    return None if value is None else str(value)


def _refs_in(value: object) -> list[tuple[str, str]]:
    """(doc, quote) pairs anywhere inside a raw override value."""
    found: list[tuple[str, str]] = []
    if isinstance(value, dict):
        src = value.get("source")
        items = src if isinstance(src, list) else [src] if isinstance(src, dict) else []
        for item in items:
            if isinstance(item, dict) and "doc" in item and "quote" in item:
                found.append((str(item["doc"]), str(item["quote"])))
        for key, sub in value.items():
            if key != "source":
                found.extend(_refs_in(sub))
    elif isinstance(value, list):
        for sub in value:
            found.extend(_refs_in(sub))
    return found


def _line(loaded: LoadedScenario, path: tuple[str | int, ...]) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in loaded.lines:
            return loaded.lines[path[:cut]]
    return None
