"""Importers for the formats peers use, each producing a raw detente document.

An imported file goes through exactly the same validation as a YAML scenario, so every model
and analysis works on it. Formats:

* KTAB CSV (``Actor, Description, Influence, Pos1, Sal1, …``; 0–100 scales), see
  :mod:`detente.scenario.ktab`;
* the Decide exchange-model format (``#A/#P/#M/#D`` records), see :mod:`detente.scenario.decide`.

Each importer also returns where every part of the document comes from (``{path: line}``):
an actor's fields are at its KTAB line or its ``#A`` record, a stance at its ``#D`` record, an
issue at the KTAB header or its ``#P`` record, a scale at its first ``#M``; so every message of
the validator about an imported file reads ``file.csv:LINE: field: problem``.

A peer names actors and issues by any text ("EU (incl Norway)", "Europäische Union"); a detente
id is letters, digits, ``_``, ``-`` and ``.``. :func:`derive_ids` turns the peer's keys into ids
(stable, unique; docs/formats.md, "Ids of imported actors and issues"); the names stay for
display, and :func:`renamed_actors` says which id stands for which name when any was changed
(``detente forecast`` shows it).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from detente.scenario.errors import InputError
from detente.scenario.yamlsafe import MAX_FILE_BYTES, PathKey

#: an imported document and where each of its parts is in the file: ``{path: line}``, the
#: same map the YAML loader gives (:func:`detente.scenario.yamlsafe.load_yaml`), so that the
#: validator's messages about an imported file name the line it comes from
Imported = tuple[dict[str, Any], dict[PathKey, int]]
Importer = Callable[[Path], Imported]

_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]+")
_VALID_ID = re.compile(r"[A-Za-z0-9_.-]+")


def derive_id(key: str) -> str:
    """The detente id for a peer's key, before making ids unique ("" when nothing is left).

    A key that already is a valid id is kept as it is. Otherwise accents are dropped
    (``Europäische`` → ``Europaische``), every run of other characters becomes ``-``, and
    leading or trailing ``-``/``.`` are stripped: ``EU (incl Norway)`` → ``EU-incl-Norway``.
    """
    if _VALID_ID.fullmatch(key):
        return key
    ascii_text = unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode("ascii")
    return _NOT_ID.sub("-", ascii_text).strip("-.")


def derive_ids(keys: Sequence[str], fallback: str) -> list[str]:
    """Unique detente ids for ``keys`` (in order), each from :func:`derive_id`.

    Keys that already are valid ids keep them; a derived id that is taken, by such a key or by
    an earlier derived one, gets the first free suffix ``-2``, ``-3``, … in file order; a key
    with nothing usable left (``"—"``, ``"習近平"``) becomes ``<fallback>-<n>``, ``n`` its
    1-based position. The same keys in the same order always give the same ids.
    """
    taken = {k for k in keys if _VALID_ID.fullmatch(k)}
    out: list[str] = []
    for n, key in enumerate(keys, start=1):
        if _VALID_ID.fullmatch(key) and key not in out:
            out.append(key)
            continue
        base = derive_id(key) or f"{fallback}-{n}"
        candidate, suffix = base, 2
        while candidate in taken or candidate in out:
            candidate = f"{base}-{suffix}"
            suffix += 1
        out.append(candidate)
        taken.add(candidate)
    return out


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def physical_lines(text: str) -> list[str]:
    """``text`` split at line ends (LF, CRLF or CR) only, so that line ``n`` of a message is
    line ``n`` in an editor: :meth:`str.splitlines` also splits at U+0085, U+2028, form feed…,
    which a peer's file may hold inside a field."""
    return _LINE_BREAK.split(text)


def csv_rows(
    reader: Iterator[list[str]], line_num: Callable[[], int]
) -> Iterator[tuple[int, list[str]]]:
    """``(first line, row)`` of each row of a :func:`csv.reader` (a quoted field may span lines;
    ``line_num`` is the reader's count of lines read)."""
    start = 1
    for row in reader:
        yield start, row
        start = line_num() + 1


def decode_peer_text(data: bytes, name: str) -> str:
    """A peer file's text: UTF-8 (with or without BOM), else latin-1 as KTAB's reader reads
    bytes (every byte is a latin-1 character); NUL bytes mean a binary file."""
    if b"\x00" in data:
        raise InputError.single(name, "binary file (contains NUL bytes), expected text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_peer_text(path: Path) -> str:
    """:func:`decode_peer_text` of the file, refusing what is too large to be a scenario."""
    name = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise InputError.single(
                name, f"file too large (got {size} bytes, expected at most {MAX_FILE_BYTES})"
            )
        data = path.read_bytes()
    except OSError as exc:
        raise InputError.single(name, f"cannot read file ({exc.strerror or exc})") from None
    return decode_peer_text(data, name)


def _looks_like_decide(text: str) -> bool:
    for line in physical_lines(text):
        stripped = line.strip().lstrip("'\"")
        if stripped.startswith(("#A", "#P", "#D", "#M")):
            return True
    return False


def detect_importer(path: Path) -> Importer | None:
    """The importer for ``path``, or None for detente YAML."""
    if path.suffix.lower() in (".yaml", ".yml") or not path.is_file():
        return None
    text = read_peer_text(path)
    if _looks_like_decide(text):
        return decide_document
    if path.suffix.lower() == ".csv":
        return ktab_document
    return None


def _fixed(value: float, basis: str) -> dict[str, Any]:
    return {"value": float(value), "assumption": basis}


def _source(path: Path, title: str) -> dict[str, Any]:
    return {"id": "input", "kind": "dataset", "title": title, "file": path.name}


def ktab_document(path: Path) -> Imported:
    """A KTAB CSV as a detente document: 0–100 scales, saliences divided by 100 as KTAB does."""
    from detente.scenario.ktab import KTAB_SCALE, read_ktab_csv

    data = read_ktab_csv(path)
    basis = f"imported from KTAB file {path.name}"
    lines: dict[PathKey, int] = {}
    for key in ("id", "title", "description"):
        lines[(key,)] = data.line
    issues = []
    for j, (issue_id, label) in enumerate(zip(data.issue_ids, data.dimensions, strict=True)):
        issues.append({"id": issue_id, "label": label, "scale": {"min": 0.0, "max": KTAB_SCALE}})
        lines[("issues", j)] = data.header_line
    actors = []
    for i, (actor, actor_id) in enumerate(zip(data.actors, ktab_actor_ids(data), strict=True)):
        stances = {
            issue_id: {
                "position": _fixed(data.positions[i, j], basis),
                "salience": _fixed(data.saliences[i, j] / KTAB_SCALE, basis),
            }
            for j, issue_id in enumerate(data.issue_ids)
        }
        actors.append(
            {
                "id": actor_id,
                "name": data.descriptions[i] or actor,
                "capability": _fixed(data.influence[i], basis),
                "stances": stances,
            }
        )
        lines[("actors", i)] = data.actor_lines[i]
    document = {
        "detente": 1,
        "id": _slug(data.name or path.stem),
        "title": data.name or path.stem,
        "description": data.description or None,
        "sources": [_source(path, f"KTAB scenario file {path.name}")],
        "issues": issues,
        "actors": actors,
    }
    return document, {k: v for k, v in lines.items() if v}


def decide_document(path: Path) -> Imported:
    """A Decide exchange-model file as a detente document.

    An actor without a ``#D`` record on an issue gets salience 0 there (it carries no weight
    and the exchange model leaves it out of that issue, as Decide does), at the weighted mean of
    the others (see :meth:`detente.scenario.decide.DecideScenario.to_problem`). An actor with no
    ``#D`` record at all takes part in nothing, in Decide as here: it is left out, and the
    scenario's description says so.
    """
    from detente.scenario.decide import read_decide_file

    data = read_decide_file(path)
    problem = data.to_problem()
    basis = f"imported from Decide file {path.name}"
    missing = f"no #D record in {path.name}: salience 0 at the others' weighted mean"
    issue_ids = decide_issue_ids(data)
    lines: dict[PathKey, int] = {}
    issues = []
    for j, (issue, issue_id) in enumerate(zip(data.issues, issue_ids, strict=True)):
        anchors = {}
        for (point, text), m_line in zip(issue.anchors, issue.anchor_lines, strict=True):
            if text:
                anchors[point] = text
                # keyed as the validator names an anchor (``_anchor_key``: the key as text)
                lines[("issues", j, "scale", "anchors", str(point))] = m_line
        issues.append(
            {
                "id": issue_id,
                "label": issue.name or issue.id,
                "description": issue.description or None,
                "scale": {"min": issue.lower, "max": issue.upper, "anchors": anchors},
            }
        )
        lines[("issues", j)] = issue.line
        if issue.anchor_lines:  # the scale runs between the lowest and highest #M positions
            lines[("issues", j, "scale")] = issue.anchor_lines[0]
            lines[("issues", j, "scale", "min")] = issue.anchor_lines[0]
            lines[("issues", j, "scale", "max")] = issue.anchor_lines[-1]
    actors = []
    present = data.present
    where = data.lines
    for i, (actor, actor_id) in enumerate(zip(data.actors, decide_actor_ids(data), strict=True)):
        stances = {}
        for j, issue_id in enumerate(issue_ids):
            why = basis if present[i, j] else missing
            stances[issue_id] = {
                "position": _fixed(problem.position[0, i, j], why),
                "salience": _fixed(problem.salience[0, i, j], why),
            }
            if where is not None and where[i, j]:
                lines[("actors", i, "stances", issue_id)] = int(where[i, j])
        actors.append(
            {
                "id": actor_id,
                "name": actor.name or actor.id,
                "capability": _fixed(problem.capability[0, i], basis),
                "stances": stances,
            }
        )
        lines[("actors", i)] = actor.line
        if where is not None and where[i].any():  # the power of its first #D record
            lines[("actors", i, "capability")] = int(where[i][where[i] > 0][0])
    document: dict[str, Any] = {
        "detente": 1,
        "id": _slug(data.name or path.stem),
        "title": data.name or path.stem,
        "sources": [_source(path, f"Decide exchange-model file {path.name}")],
        "issues": issues,
        "actors": actors,
    }
    if data.left_out:
        names = ", ".join(f"{a.id!r} (line {line})" for a, line in data.left_out)
        document["description"] = (
            f"Left out, as Decide does, for having no #D record in {path.name}: {names}."
        )
        lines[("description",)] = data.left_out[0][1]
    return document, {k: v for k, v in lines.items() if v}


def ktab_actor_ids(data: Any) -> list[str]:
    """The detente ids of a :class:`~detente.scenario.ktab.KtabScenario`'s actors."""
    return derive_ids(list(data.actors), "actor")


def decide_actor_ids(data: Any) -> list[str]:
    """The detente ids of a :class:`~detente.scenario.decide.DecideScenario`'s actors."""
    return derive_ids([a.id for a in data.actors], "actor")


def decide_issue_ids(data: Any) -> list[str]:
    """The detente ids of a :class:`~detente.scenario.decide.DecideScenario`'s issues."""
    return derive_ids([i.id for i in data.issues], "issue")


def renamed_actors(file: str | Path) -> dict[str, str]:
    """``{id: name}`` of every actor of an imported file when an id differs from the peer's key
    (an empty dict for detente YAML or when every key was a valid id, as before).

    ``detente forecast`` shows it, so that a reader knows which id stands for which actor.
    """
    path = Path(file)
    importer = detect_importer(path)
    if importer is ktab_document:
        from detente.scenario.ktab import read_ktab_csv

        ktab = read_ktab_csv(path)
        keys, ids = list(ktab.actors), ktab_actor_ids(ktab)
        names = [d or a for a, d in zip(ktab.actors, ktab.descriptions, strict=True)]
    elif importer is decide_document:
        from detente.scenario.decide import read_decide_file

        decide = read_decide_file(path)
        keys, ids = [a.id for a in decide.actors], decide_actor_ids(decide)
        names = [a.name or a.id for a in decide.actors]
    else:
        return {}
    if keys == ids:
        return {}
    return dict(zip(ids, names, strict=True))


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "-" for c in text).strip("-") or "scenario"
