"""Load scenarios: the public entry point for a file, YAML text or an imported document.

Every scenario goes through the same three passes, each reporting all it finds: reading (size,
encoding, safe YAML: :mod:`detente.scenario.yamlsafe`; or a peer's format:
:mod:`detente.scenario.importers`), structure and meaning (:mod:`detente.scenario.validate`).
A failure raises :class:`~detente.scenario.errors.InputError` with every problem located as
``file:line: field``; a success gives a :class:`LoadedScenario`, with its warnings.

The scenario package knows the whole format but not the strategy registry, which lives above it
in :mod:`detente.strategy`. A caller that has both in reach (the command line, the web
explorer) passes ``game_checks=(check_strategies,)`` from :mod:`detente.strategy.checks`, so an
unknown strategy class or parameter is reported with every other problem, at its line. The
loaded scenario keeps its checks: :func:`with_worldview` and any re-validation of a modified
document (cruxes) run the same ones.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.game import History
from detente.scenario.importers import detect_importer
from detente.scenario.paths import apply_overrides
from detente.scenario.schema import Scenario
from detente.scenario.validate import GameCheck, validate_document
from detente.scenario.yamlsafe import PathKey, load_yaml, read_text


@dataclass
class LoadedScenario:
    """A validated scenario and where it came from."""

    scenario: Scenario
    file: str
    raw: dict[str, Any]
    lines: dict[PathKey, int]
    sha256: str
    warnings: list[Diagnostic] = field(default_factory=list)
    #: the extra game checks it passed (run again on every worldview and modified copy)
    game_checks: tuple[GameCheck, ...] = ()


def parse_document(
    raw: Any,
    name: str,
    lines: dict[PathKey, int] | None = None,
    *,
    strict: bool = False,
    text_hash: str = "",
    game_checks: Sequence[GameCheck] = (),
) -> LoadedScenario:
    """Validate an already-parsed document (from YAML or an importer)."""
    sc, diagnostics = validate_document(raw, name, lines, strict=strict, game_checks=game_checks)
    if sc is None:
        raise InputError(diagnostics)
    return LoadedScenario(
        scenario=sc,
        file=name,
        raw=raw,
        lines=lines or {},
        sha256=text_hash,
        warnings=[d for d in diagnostics if d.severity == "warning"],
        game_checks=tuple(game_checks),
    )


def parse_yaml(
    text: str, name: str, *, strict: bool = False, game_checks: Sequence[GameCheck] = ()
) -> LoadedScenario:
    """Validate scenario YAML text (``name`` is used in messages)."""
    raw, lines = load_yaml(text, name)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parse_document(
        raw, name, lines, strict=strict, text_hash=digest, game_checks=game_checks
    )


def load_scenario(
    path: str | Path, *, strict: bool = False, game_checks: Sequence[GameCheck] = ()
) -> LoadedScenario:
    """Load any supported scenario file: detente YAML, KTAB CSV, or a Decide exchange file."""
    p = Path(path)
    importer = detect_importer(p)
    if importer is None:
        text = read_text(p)
        return parse_yaml(text, str(path), strict=strict, game_checks=game_checks)
    raw = importer(p)
    digest = hashlib.sha256(p.read_bytes()).hexdigest()
    return parse_document(
        raw, str(path), None, strict=strict, text_hash=digest, game_checks=game_checks
    )


def worldview_document(loaded: LoadedScenario, worldview: str) -> dict[str, Any]:
    """The raw document with a worldview's overrides applied (unknown id: InputError)."""
    ids = [w.id for w in loaded.scenario.worldviews]
    if worldview not in ids:
        known = ", ".join(ids) if ids else "none defined"
        raise InputError.single(
            loaded.file,
            f"unknown worldview {worldview!r} (expected one of: {known})",
            field="worldviews",
        )
    doc, _problems = apply_overrides(loaded.raw, ids.index(worldview))
    return doc  # no problems: every worldview was applied and checked when the file was loaded


def with_worldview(loaded: LoadedScenario, worldview: str | None) -> Scenario:
    """The scenario with a worldview's overrides applied (``None``: the base scenario)."""
    if worldview is None:
        return loaded.scenario
    doc = worldview_document(loaded, worldview)
    sc, diagnostics = validate_document(
        doc, loaded.file, loaded.lines, game_checks=loaded.game_checks, check_worldviews=False
    )
    if sc is None:  # pragma: no cover - every worldview is checked when the file is loaded
        raise InputError([d for d in diagnostics if d.severity == "error"])
    return dated(loaded, sc, worldview)


def dated(loaded: LoadedScenario, sc: Scenario, worldview: str) -> Scenario:
    """``sc`` — worldview ``worldview``'s document of ``loaded``, validated — with its game
    dated by the worldview's ``as_of`` (the record before it read on first play); ``sc`` itself
    when the worldview has no date or the scenario no game. Every worldview scenario goes
    through here (:func:`with_worldview`, the web explorer's incremental what-ifs), so every
    command plays a dated worldview from its date."""
    as_of = sc.worldview(worldview).as_of
    if as_of is None or sc.game is None:
        return sc
    # a partial of a module function, not a lambda: a dated game crosses to worker processes
    game = sc.game.dated(as_of, functools.partial(history, loaded, sc, as_of))
    return sc.model_copy(update={"game": game})


def history(loaded: LoadedScenario, sc: Scenario, as_of: str) -> History:
    """What the record says happened from the game's start to ``as_of`` (checked when the
    file was loaded: the record starts with the game and reaches the month before ``as_of``);
    reading the record may fail with a located :class:`InputError`."""
    from detente.scenario.hindcast import map_record

    game = sc.game
    assert game is not None
    months = game.month_index(as_of)
    if months <= 0 or sc.record is None:
        return History(as_of)
    mapped = map_record(sc.record, loaded.file, loaded.lines)
    return History(as_of, mapped.coalition[:months], mapped.target[:months])
