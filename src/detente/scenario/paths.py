"""Paths into a scenario document: display, resolve, get, set, and worldview overrides.

A path is written with dots and names list items by their ``id``
(``actors.dprk.stances.declaration.salience``, ``game.types.reciprocator.prior``): the form
worldview overrides, validation messages, cruxes and the web what-if all use. In the raw
document (plain dicts and lists, as read from YAML or an importer) the same place is a
:data:`~detente.scenario.yamlsafe.PathKey`, a tuple of keys and list indices
(``("actors", 2, "stances", "declaration", "salience")``). This module is the one place that
converts between the two and reads or writes a value at either.

Applying a worldview (:func:`apply_overrides`) is setting each override's value at its path in
a copy of the document; the problems it meets (a path that does not exist, a field that cannot
be overridden) are returned, located at the override, for the caller to report.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from detente.scenario.quantity import Quantity
from detente.scenario.yamlsafe import PathKey

if TYPE_CHECKING:
    from detente.scenario.game import GameSpec
    from detente.scenario.schema import Scenario

#: top-level fields a worldview override may not replace
#: the top-level parts of a document no override may replace
NOT_OVERRIDABLE = (("worldviews",), ("detente",), ("id",))


def display_path(path: PathKey, raw: Any) -> str:
    """Format a path, naming list items by their id where the raw data has one."""
    out = ""
    node = raw
    for part in path:
        if isinstance(part, int) and not isinstance(node, dict):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            if isinstance(ident, str) and ident:
                out += ("." if out else "") + ident
            else:
                out += f"[{part}]"
            node = item
        else:  # a mapping key; a number as a key (an anchor ``12.5:``) is named as written
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out


def resolve_path(raw: Any, dotted: str) -> PathKey:
    """``actors.dprk.stances.x.salience`` -> the raw path key (list items found by id).

    Raises KeyError with a message when any step does not exist.
    """
    parts = dotted.split(".")
    node = raw
    out: list[str | int] = []
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(node, list):
            matches = [
                j
                for j, item in enumerate(node)
                if isinstance(item, dict) and item.get("id") == part
            ]
            if not matches:
                known = ", ".join(str(item.get("id")) for item in node if isinstance(item, dict))
                raise KeyError(f"no item with id {part!r} (known: {known})")
            out.append(matches[0])
            node = node[matches[0]]
        elif isinstance(node, dict):
            # Keys may themselves contain dots (anchor values): try the longest match first.
            for end in range(len(parts), i, -1):
                key = ".".join(parts[i:end])
                if key in node:
                    out.append(key)
                    node = node[key]
                    i = end - 1
                    break
            else:
                known = ", ".join(map(str, node))
                raise KeyError(f"no field {part!r} (known: {known})")
        else:
            raise KeyError(f"{part!r} is below a plain value")
        i += 1
    return tuple(out)


def get_path(raw: Any, path: PathKey) -> Any:
    """The value at ``path`` in the raw document (KeyError/IndexError when absent)."""
    node = raw
    for part in path:
        node = node[part]
    return node


def set_path(raw: Any, path: PathKey, value: Any) -> None:
    """Set a deep copy of ``value`` at ``path`` (every step but the last must exist).

    A copy, so the document never shares structure with the value's source (another document,
    a request body).
    """
    get_path(raw, path[:-1])[path[-1]] = copy.deepcopy(value)


def walk_quantities(obj: Any, path: PathKey = ()) -> Iterator[tuple[PathKey, Quantity]]:
    """Every Quantity below ``obj`` (pydantic models, dicts, lists) with its raw path."""
    if isinstance(obj, Quantity):
        yield path, obj
    elif isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            yield from walk_quantities(getattr(obj, name), (*path, name))
    elif isinstance(obj, dict):
        for key, value in obj.items():
            yield from walk_quantities(value, (*path, key if isinstance(key, str) else str(key)))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from walk_quantities(value, (*path, i))


def apply_overrides(
    raw: dict[str, Any], worldview_index: int
) -> tuple[dict[str, Any], list[tuple[PathKey, str]]]:
    """A copy of ``raw`` with worldview ``worldview_index``'s overrides applied, in order.

    Returns the document and the problems met, each as (the override's ``path`` field, message);
    an override with a problem is skipped.
    """
    doc = copy.deepcopy(raw)
    problems: list[tuple[PathKey, str]] = []
    wv = raw["worldviews"][worldview_index]
    for j, override in enumerate(wv.get("overrides", [])):
        opath: PathKey = ("worldviews", worldview_index, "overrides", j, "path")
        try:
            target = resolve_path(doc, override["path"])
        except KeyError as exc:
            problems.append((opath, f"override path {override['path']!r} not found: {exc.args[0]}"))
            continue
        if target[:1] in NOT_OVERRIDABLE:
            problems.append(
                (opath, f"cannot override {override['path']!r} (expected a value path)")
            )
            continue
        set_path(doc, target, override["value"])
    return doc, problems


# ------------------------------------------------------------------------------- path labels
# The one labeller of scenario paths (Monte Carlo, sensitivity and crux tables all show these
# words). It reads the scenario's own names: actor names, issue labels, the game's type and move
# labels.


def path_label(scenario: Scenario, path: str) -> str:
    """A path in the scenario's own words (actor names, issue labels, move and type labels);
    the path itself when it names nothing the scenario has."""
    parts = path.split(".")
    try:
        if parts[0] == "actors" and len(parts) >= 3:
            actor = scenario.actor(parts[1])
            if parts[2] == "stances" and len(parts) >= 5:
                return f"{actor.name} — {scenario.issue(parts[3]).label} — {parts[4]}"
            return f"{actor.name} — {' '.join(parts[2:])}"
        if parts[0] == "issues" and len(parts) >= 3:
            return f"{scenario.issue(parts[1]).label} — {' '.join(parts[2:]).replace('_', ' ')}"
        if parts[0] == "game" and scenario.game is not None:
            return game_path_label(scenario.game, path)
    except StopIteration:
        pass
    return path


def game_path_label(game: GameSpec, path: str) -> str:
    """A readable label for a ``game.*`` path, in the game's words where it has labels."""
    parts = path.split(".")[1:]
    words: list[str] = []
    if parts[:1] == ["types"] and len(parts) > 1:
        tt = next((t for t in game.types if t.id == parts[1]), None)
        words.append(tt.label if tt else parts[1])
        rest = parts[2:]
        if rest[:1] == ["lift"] and len(rest) > 1:
            move = next((m for m in game.coalition_moves if m.id == rest[1]), None)
            words.append(f"response to “{move.label if move else rest[1]}”")
        else:
            words.extend(rest)
    elif parts[:1] in (["coalition_moves"], ["target_moves"]) and len(parts) > 1:
        moves = game.coalition_moves if parts[0] == "coalition_moves" else game.target_moves
        move_obj: Any = next((m for m in moves if m.id == parts[1]), None)
        words.append(move_obj.label if move_obj else parts[1])
        words.extend(p for p in parts[2:] if p != "effects")
    elif parts[:1] == ["strategies"] and len(parts) > 1:
        words.extend([parts[1], *parts[3:]])
    else:
        words.extend(parts)
    return "game — " + " — ".join(w.replace("_", " ") for w in words)
