"""What-if edits without re-reading or re-serialising the scenario (issue 21, item 5).

A what-if sets one or more values (a number or a distribution with its basis) at scenario paths,
in the base or as a worldview's override, and answers exactly what ``detente validate`` says
about the edited document. Measured on the Korea scenario (67 KB, docs/web.md), the old path
spent ~80 % of a request in PyYAML: reading the document, dumping the whole edited document
and reading that again; validating the four documents (base + three worldviews) was most of
the rest. This module removes both costs and keeps the answer identical:

- :class:`Parsed` is a document read once: its text, data, line map, and each value's
  :data:`~detente.scenario.yamlsafe.Span` in the text. An edit rewrites only the edited
  value's text (a one-line YAML flow node: :func:`flow_yaml`), or appends one override item,
  and derives the new data, line map and spans from the old ones (shifted past the edit) and
  the new snippet (read on its own). The result is what reading the new text would give
  (tests/web/test_whatif.py compares the two on every value path of both shipped scenarios).
  Comments and layout outside the edited value are kept. A document with YAML aliases (an
  edit would change every alias of a value) is re-serialised as before.
- :func:`revalidate` validates the edited document *incrementally* against the already
  validated one: the base scenario is validated again (one pass, no worldview), and only the
  worldviews the edit can change are checked again. The others' messages are reused (moved by
  the edit's line shift). When anything is unusual — the edit makes an error, the previous
  document had one, an edited text has a control character, a worldview overrides a field the
  edited value's checks read — it falls back to the full validation, so the result is always
  the full validation's. Why reuse is sound, for an edit of an actor's or an issue's value
  (capability, position, salience, status quo): the checks of one such value read only that
  value, the sources and its issue's scale; a worldview whose every override replaces the
  edited value (or a field containing it) or lies inside another quantity sees the edited value
  exactly where the base does, with the same context, so it reports nothing new about it (a
  worldview reports only errors and its own overrides' warnings). A worldview override edit
  changes only that worldview's document (the others never read another worldview's overrides).
- :class:`DocumentCache` keeps the last checked documents by (file name, SHA-256 of the text):
  the explorer's page sends back the YAML of its previous answer, so the next edit, forecast
  or crux starts from a document already read and validated.
"""

from __future__ import annotations

import copy
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.load import LoadedScenario, dated, with_worldview
from detente.scenario.paths import NOT_OVERRIDABLE, display_path, resolve_path
from detente.scenario.quantity import Quantity
from detente.scenario.schema import Scenario, Worldview
from detente.scenario.validate import (
    GameCheck,
    override_owner,
    override_targets,
    validate_document,
)
from detente.scenario.yamlsafe import MAX_NODES, PathKey, Span, load_yaml

Shift = Callable[[int], int]


class Unsupported(Exception):
    """This text edit cannot be done in place (the caller re-serialises the document)."""


# --------------------------------------------------------------------------------------------
# a document read once


@dataclass(frozen=True)
class Parsed:
    """A scenario text read once. Never mutated: an edit makes a new one (sharing the rest)."""

    name: str
    text: str
    sha256: str
    raw: Any
    lines: dict[PathKey, int]
    spans: dict[PathKey, Span]
    nodes: int
    #: the text uses YAML aliases (one value at several paths): edits re-serialise
    aliased: bool


def text_sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse(text: str, name: str) -> Parsed:
    """Read ``text`` as :func:`~detente.scenario.yamlsafe.load_yaml` does (InputError)."""
    spans: dict[PathKey, Span] = {}
    raw, lines = load_yaml(text, name, spans=spans)
    aliased = len({(a, b) for a, b, _ in spans.values()}) != len(spans)
    return Parsed(
        name=name,
        text=text,
        sha256=text_sha(text),
        raw=raw,
        lines=lines,
        spans=_trimmed(text, spans),
        nodes=node_count(raw),
        aliased=aliased,
    )


def _trimmed(text: str, spans: dict[PathKey, Span]) -> dict[PathKey, Span]:
    """Spans whose end is the value's own: a block scalar's without its trailing blank lines;
    a block collection's unknown (-1; it ends with its last item)."""
    out: dict[PathKey, Span] = {}
    for key, (a, b, kind) in spans.items():
        if kind == 1:
            b = -1
        elif kind == 2:
            b = a + len(text[a:b].rstrip())
        out[key] = (a, b, kind)
    return out


def node_count(value: Any) -> int:
    """The YAML nodes reading ``value`` builds (the reader's limit counts these)."""
    if isinstance(value, dict):
        return 1 + sum(1 + node_count(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(node_count(v) for v in value)
    return 1


class _FlowDumper(yaml.SafeDumper):
    """Flow style on one line; text with a line break or a non-printable is double-quoted."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = '"' if any(c in value for c in "\n\r\t") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FlowDumper.add_representer(str, _str)


def flow_yaml(value: Any) -> str:
    """``value`` as a one-line YAML flow node, written as inside a flow collection (so it is
    valid wherever a value may stand)."""
    text = yaml.dump(
        [value],
        Dumper=_FlowDumper,
        default_flow_style=True,
        width=2**31 - 1,
        allow_unicode=True,
        sort_keys=False,
    ).rstrip("\n")
    if not (text.startswith("[") and text.endswith("]")) or "\n" in text:
        raise Unsupported("value does not fit on one line")  # pragma: no cover - PyYAML's output
    return text[1:-1]


def _content_end(doc: Parsed, key: PathKey) -> int:
    """Where the value at ``key`` ends in the text, without the trailing blank lines and
    comments PyYAML counts into a block node."""
    start, end, kind = doc.spans[key]
    if kind == 0:
        return end
    if kind == 2:
        if "+" in doc.text[start:end].split("\n", 1)[0]:
            raise Unsupported("a block scalar that keeps its trailing lines")
        return end
    node = _get(doc.raw, key)
    if isinstance(node, dict) and node:
        return _content_end(doc, (*key, _child_key(doc, key, list(node)[-1])))
    if isinstance(node, list) and node:
        return _content_end(doc, (*key, len(node) - 1))
    raise Unsupported("an empty block collection")  # pragma: no cover - YAML has none


def _child_key(doc: Parsed, key: PathKey, k: Any) -> str | int:
    return k if isinstance(k, str) else str(k)


def _get(raw: Any, key: PathKey) -> Any:
    node = raw
    for part in key:
        node = node[part]
    return node


def _with(raw: Any, key: PathKey, value: Any) -> Any:
    """A copy of ``raw`` with ``value`` at ``key``: only the containers on the way are copied
    (the rest is shared, never mutated)."""
    if not key:
        return value
    head, rest = key[0], key[1:]
    if isinstance(raw, dict):
        out = dict(raw)
        out[head] = _with(raw[head], rest, value) if rest else value
        return out
    assert isinstance(raw, list) and isinstance(head, int)
    items = list(raw)
    if head == len(items) and not rest:
        items.append(value)
    else:
        items[head] = _with(raw[head], rest, value) if rest else value
    return items


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _splice(
    doc: Parsed,
    at: int,
    end: int,
    snippet: str,
    value_at: int,
    key: PathKey,
    new_raw: Callable[[Any], Any],
    extra_nodes: int = 0,
) -> tuple[Parsed, Shift]:
    """Replace ``text[at:end]`` by ``snippet``, in which the new value's flow node starts at
    ``snippet[value_at:]`` and stands at ``key`` (a replaced value's subtree goes away);
    ``new_raw(value)`` is the new document's data. Returns the document and the line shift."""
    text = doc.text[:at] + snippet + doc.text[end:]
    delta = len(snippet) - (end - at)
    line0 = _line_at(doc.text, at)
    line1 = line0 + doc.text.count("\n", at, end)
    dlines = snippet.count("\n") - (line1 - line0)
    grow = {key[:i] for i in range(len(key))}  # the containers of the new value

    def shift(line: int) -> int:
        return line if line < line1 or line == line0 else line + dlines

    replaced = key in doc.spans
    # every node of the replaced value starts inside [at, end); an insertion removes none
    cut = end if end > at else at
    old_lines = doc.lines
    spans: dict[PathKey, Span] = {}
    lines: dict[PathKey, int] = {}
    for p, (a, b, k) in doc.spans.items():
        if a < at:
            lines[p] = old_lines[p]
            spans[p] = (a, b + delta if b > at or (b == at and p in grow) else b, k)
        elif a >= cut and p != key:
            lines[p] = old_lines[p] + dlines
            spans[p] = (a + delta, b + delta if b >= 0 else b, k)
    # the new value: its nodes as read on their own, moved to where they now stand
    sub_spans: dict[PathKey, Span] = {}
    sub_raw, sub_lines = load_yaml(snippet[value_at:], doc.name, spans=sub_spans)
    offset = at + value_at
    vline = _line_at(text, offset)
    for sub, (a, b, kind) in _trimmed(snippet[value_at:], sub_spans).items():
        spans[(*key, *sub)] = (a + offset, b + offset if b >= 0 else -1, kind)
        lines[(*key, *sub)] = vline + sub_lines[sub] - 1
    nodes = doc.nodes + extra_nodes + node_count(sub_raw)
    if replaced:
        nodes -= node_count(_get(doc.raw, key))
    out = Parsed(
        name=doc.name,
        text=text,
        sha256=text_sha(text),
        raw=new_raw(sub_raw),
        lines=lines,
        spans=spans,
        nodes=nodes,
        aliased=False,
    )
    return out, shift


def replace_value(doc: Parsed, key: PathKey, value: Any) -> tuple[Parsed, Shift]:
    """The document with the value at ``key`` (an existing path) written anew."""
    start = doc.spans[key][0]
    end = _content_end(doc, key)
    snippet = flow_yaml(value)
    pad = " " if start == end else ""  # an empty value (``key:``): a space after the colon
    return _splice(doc, start, end, pad + snippet, len(pad), key, lambda v: _with(doc.raw, key, v))


def _column(text: str, offset: int) -> int:
    return offset - (text.rfind("\n", 0, offset) + 1)


def _flow_end(doc: Parsed, key: PathKey) -> tuple[int, str]:
    """Where to insert before the closing bracket of the flow collection at ``key``, and the
    separator an item needs there."""
    start, end, _ = doc.spans[key]
    if "#" in doc.text[start:end]:
        raise Unsupported("a comment inside a flow collection")
    before = doc.text[start : end - 1].rstrip()
    return start + len(before), (" " if before.endswith((",", "[", "{")) else ", ")


def append_item(doc: Parsed, key: PathKey, item: Any) -> tuple[Parsed, Shift]:
    """The document with ``item`` appended to the list at ``key`` (flow, or non-empty)."""
    items = _get(doc.raw, key)
    start, _, kind = doc.spans[key]
    new_key: PathKey = (*key, len(items))
    if kind == 0:  # [a, b] -> [a, b, item]
        at, lead = _flow_end(doc, key)
    else:
        at = _content_end(doc, (*key, len(items) - 1))
        lead = "\n" + " " * _column(doc.text, start) + "- "
    snippet = lead + flow_yaml(item)
    return _splice(doc, at, at, snippet, len(lead), new_key, lambda v: _with(doc.raw, new_key, v))


def add_key(doc: Parsed, key: PathKey, name: str, value: Any) -> tuple[Parsed, Shift]:
    """The document with ``name: value`` added at the end of the mapping at ``key``."""
    mapping = _get(doc.raw, key)
    start, _, kind = doc.spans[key]
    if kind == 0:  # {a: 1} -> {a: 1, name: value}
        at, lead = _flow_end(doc, key)
    else:
        at = _content_end(doc, (*key, _child_key(doc, key, list(mapping)[-1])))
        lead = "\n" + " " * _column(doc.text, start)
    lead += f"{flow_yaml(name)}: "
    snippet = lead + flow_yaml(value)
    new_key: PathKey = (*key, name)
    return _splice(
        doc,
        at,
        at,
        snippet,
        len(lead),
        new_key,
        lambda v: _with(doc.raw, key, {**mapping, name: v}),
        extra_nodes=1,
    )


# --------------------------------------------------------------------------------------------
# a document checked


@dataclass(frozen=True)
class Checked:
    """A document read and validated: the scenario (None when invalid) and every diagnostic,
    exactly as :func:`detente.web.service.validate_text` answers for its text."""

    parsed: Parsed
    loaded: LoadedScenario | None
    diagnostics: list[Diagnostic]
    #: how the validation was done: "full" or "incremental" (for tests and the benchmark)
    how: str = "full"
    game_checks: tuple[GameCheck, ...] = field(default=(), repr=False)
    #: each worldview's scenario once computed (:meth:`scenario`)
    views: dict[str, Scenario] = field(default_factory=dict, repr=False, compare=False)

    def scenario(self, worldview: str | None) -> Scenario:
        """The valid document's scenario under ``worldview`` (``with_worldview``, kept)."""
        assert self.loaded is not None
        if worldview is None:
            return self.loaded.scenario
        hit = self.views.get(worldview)
        if hit is None:
            hit = self.views[worldview] = with_worldview(self.loaded, worldview)
        return hit


def check(parsed: Parsed, game_checks: Sequence[GameCheck]) -> Checked:
    """Full validation (``parse_yaml`` on the text, without reading it again)."""
    sc, diags = validate_document(parsed.raw, parsed.name, parsed.lines, game_checks=game_checks)
    if sc is None:
        return Checked(parsed, None, diags, "full", tuple(game_checks))
    loaded = LoadedScenario(
        scenario=sc,
        file=parsed.name,
        raw=parsed.raw,
        lines=parsed.lines,
        sha256=parsed.sha256,
        warnings=[d for d in diags if d.severity == "warning"],
        game_checks=tuple(game_checks),
    )
    return Checked(parsed, loaded, loaded.warnings, "full", tuple(game_checks))


def check_text(text: str, name: str, game_checks: Sequence[GameCheck]) -> Checked:
    """Read and fully validate ``text`` (InputError when it cannot be read as YAML)."""
    return check(parse(text, name), game_checks)


def _is_cell(key: PathKey) -> bool:
    if key[:1] == ("actors",) and len(key) == 3:
        return key[2] == "capability"
    if key[:1] == ("actors",) and len(key) == 5:
        return key[2] == "stances" and key[4] in ("position", "salience")
    return key[:1] == ("issues",) and len(key) == 3 and key[2] == "status_quo"


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


def _control_free(value: Any) -> bool:
    """No character the text check could refuse (a superset of it: every C0/C1 control)."""
    return all(not (c < " " or "\x7f" <= c <= "\x9f") for t in _texts(value) for c in t)


def _moved(d: Diagnostic, shift: Shift) -> Diagnostic:
    if d.line is None:
        return d
    return Diagnostic(d.file, shift(d.line), d.field, d.message, d.severity)


def _parts(
    diags: Sequence[Diagnostic], ids: Sequence[str]
) -> tuple[list[Diagnostic], list[list[Diagnostic]]]:
    """A valid document's messages split into the base's and each worldview's."""
    base: list[Diagnostic] = []
    views: list[list[Diagnostic]] = [[] for _ in ids]
    for d in diags:
        for j, wid in enumerate(ids):
            if d.message.startswith(f"after worldview {wid!r}: ") and (
                d.field == f"worldviews.{wid}" or d.field.startswith(f"worldviews.{wid}.")
            ):
                views[j].append(d)
                break
        else:
            base.append(d)
    return base, views


def _inside_quantity(sc: Scenario, target: PathKey, edited: PathKey) -> bool:
    """Whether ``target`` is a quantity of ``sc`` other than ``edited``, or lies inside one."""
    obj: Any = sc
    for n in range(len(target) + 1):
        if isinstance(obj, Quantity):
            return target[:n] != edited
        if n == len(target):
            return False
        part = target[n]
        if isinstance(obj, BaseModel) and isinstance(part, str) and part in type(obj).model_fields:
            obj = getattr(obj, part)
        elif isinstance(obj, list) and isinstance(part, int) and 0 <= part < len(obj):
            obj = obj[part]
        elif isinstance(obj, dict) and part in obj:
            obj = obj.get(part)
        else:
            return False
    return False  # pragma: no cover - the loop returns


def _line_of(lines: dict[PathKey, int], path: PathKey) -> int | None:
    for cut in range(len(path), -1, -1):
        if path[:cut] in lines:
            return lines[path[:cut]]
    return None


def _overridden(raw: dict[str, Any], index: int) -> dict[str, Any] | None:
    """``apply_overrides(raw, index)``'s document, copying only what the overrides replace
    (the rest shared, never mutated); None when an override has a problem (the full
    validation reports it)."""
    doc = raw
    for override in raw["worldviews"][index].get("overrides", []):
        try:
            target = resolve_path(doc, override["path"])
        except KeyError:
            return None
        if target[:1] in NOT_OVERRIDABLE:
            return None
        doc = _with(doc, target, copy.deepcopy(override["value"]))
    return doc


def _worldview_part(
    new: Parsed, index: int, wv_id: str, game_checks: Sequence[GameCheck]
) -> tuple[Scenario, list[Diagnostic]] | None:
    """Worldview ``index``'s messages in ``new`` and its scenario, as the full validation
    reports them (the rule of :func:`detente.scenario.validate.override_owner`: a problem
    inside an override is reported at the override; the base's own warnings are not repeated);
    None when the worldview has an error (the caller validates in full)."""
    doc = _overridden(new.raw, index)
    if doc is None:
        return None
    sc, sub = validate_document(doc, new.name, {}, game_checks=game_checks, check_worldviews=False)
    if sc is None or any(d.severity == "error" for d in sub):
        return None
    owned = override_targets(new.raw, index, doc)
    out: list[Diagnostic] = []
    for diag in sub:
        owner = override_owner(diag.field, owned)
        if owner is None:
            continue  # a warning of the base's own, already reported
        path: PathKey = ("worldviews", index, "overrides", owner, "value")
        out.append(
            Diagnostic(
                new.name,
                _line_of(new.lines, path),
                display_path(path, new.raw),
                f"after worldview {wv_id!r}: {diag.field}: {diag.message}",
                diag.severity,
            )
        )
    return sc, out


def revalidate(
    base: Checked,
    new: Parsed,
    edited: Sequence[PathKey],
    worldview: int | None,
    shift: Shift,
) -> Checked:
    """Validate ``new`` (``base`` with the values at ``edited`` replaced: base paths, or the
    override items of worldview number ``worldview``) exactly as :func:`check` would, reusing
    what the edit cannot change (see the module's docstring). ``shift`` maps a line of
    ``base`` outside the edits to its line in ``new``."""
    game_checks = base.game_checks
    if base.loaded is None or base.parsed.aliased or new.nodes > MAX_NODES:
        return check(new, game_checks)
    if not all(_control_free(_get(new.raw, k)) for k in edited):
        return check(new, game_checks)
    sc0 = base.loaded.scenario
    ids = [w.id for w in sc0.worldviews]
    if any("." in i for i in ids):
        return check(new, game_checks)
    base_part, views = _parts(base.diagnostics, ids)
    name = new.name
    views_cache: dict[str, Scenario] = {}
    if worldview is None:
        if not all(_is_cell(k) for k in edited):
            return check(new, game_checks)
        try:
            targets = [resolve_path(new.raw, o.path) for w in sc0.worldviews for o in w.overrides]
        except KeyError:  # pragma: no cover - every override resolved when base was checked
            return check(new, game_checks)
        for t in targets:
            for p in edited:
                covers = p[: len(t)] == t  # the override replaces the edited value
                if not covers and not _inside_quantity(sc0, t, p):
                    return check(new, game_checks)
        sc, diags = validate_document(
            new.raw, name, new.lines, game_checks=game_checks, check_worldviews=False
        )
        if sc is None or any(d.severity == "error" for d in diags):
            return check(new, game_checks)
        out = diags + [_moved(d, shift) for part in views for d in part]
    else:
        # only this worldview's document changes; the base part differs only in this
        # worldview's item (its text is checked above, and its value may be anything)
        try:
            wv = Worldview.model_validate(new.raw["worldviews"][worldview])
        except ValidationError:
            return check(new, game_checks)
        if any(ref.doc not in {s.id for s in sc0.sources} for ref in wv.sources()):
            return check(new, game_checks)  # pragma: no cover - the edit sets no source here
        part = _worldview_part(new, worldview, ids[worldview], game_checks)
        if part is None:
            return check(new, game_checks)
        view_sc, mine = part
        if wv.as_of is None:  # a dated worldview's game is dated by with_worldview, later
            views_cache[ids[worldview]] = view_sc
        worldviews = list(sc0.worldviews)
        worldviews[worldview] = wv
        sc = sc0.model_copy(update={"worldviews": worldviews})
        out = [_moved(d, shift) for d in base_part]
        for j, old in enumerate(views):
            out += mine if j == worldview else [_moved(d, shift) for d in old]
    loaded = LoadedScenario(
        scenario=sc,
        file=name,
        raw=new.raw,
        lines=new.lines,
        sha256=new.sha256,
        warnings=list(out),
        game_checks=game_checks,
    )
    views_cache = {w: dated(loaded, v, w) for w, v in views_cache.items()}
    return Checked(new, loaded, list(out), "incremental", game_checks, views_cache)


# --------------------------------------------------------------------------------------------
# edits


def apply_edits(
    base: Checked, edits: Sequence[tuple[str, Any]], worldview: str | None, max_edits: int
) -> Checked:
    """``base`` with each ``(path, value)`` set (as worldview ``worldview``'s override when
    given), validated (raises InputError for an edit that cannot be made: nothing applied)."""
    name = base.parsed.name
    if len(edits) > max_edits:
        raise InputError.single(name, f"too many edits at once (at most {max_edits})")
    raw = base.parsed.raw
    if not isinstance(raw, dict):
        raise InputError.single(name, "top level is not a mapping, expected `detente: 1`")
    try:
        return _apply_in_place(base, edits, worldview)
    except Unsupported:
        return _apply_by_dump(base, edits, worldview)


def _worldview_index(raw: dict[str, Any], worldview: str) -> int | None:
    views = raw.get("worldviews")
    if not isinstance(views, list):
        return None
    for i, w in enumerate(views):
        if isinstance(w, dict) and w.get("id") == worldview:
            return i
    return None


def _apply_in_place(
    base: Checked, edits: Sequence[tuple[str, Any]], worldview: str | None
) -> Checked:
    doc = base.parsed
    if doc.aliased:
        raise Unsupported("aliases")
    name = doc.name
    problems: list[Diagnostic] = []
    shifts: list[Shift] = []
    edited: list[PathKey] = []
    wv_index = _worldview_index(doc.raw, worldview) if worldview is not None else None
    for path, value in edits:
        if worldview is not None:
            if wv_index is None:
                problems.append(
                    Diagnostic(name, None, "worldviews", f"unknown worldview {worldview!r}")
                )
                continue
            try:
                resolve_path(doc.raw, path)
            except KeyError as exc:
                problems.append(Diagnostic(name, None, path, f"cannot edit: {exc.args[0]}"))
                continue
            wkey: PathKey = ("worldviews", wv_index)
            target = doc.raw["worldviews"][wv_index]
            overrides = target.get("overrides")
            if overrides is None and "overrides" not in target:
                doc, sh = add_key(doc, wkey, "overrides", [{"path": path, "value": value}])
                edited.append((*wkey, "overrides", 0))
            elif not isinstance(overrides, list):
                problems.append(Diagnostic(name, None, path, "worldview overrides is not a list"))
                continue
            else:
                j = next(
                    (
                        k
                        for k, o in enumerate(overrides)
                        if isinstance(o, dict) and o.get("path") == path
                    ),
                    None,
                )
                if j is not None and "value" in overrides[j]:
                    doc, sh = replace_value(doc, (*wkey, "overrides", j, "value"), value)
                    edited.append((*wkey, "overrides", j))
                elif j is not None:
                    raise Unsupported("an override without a value")
                elif not overrides and doc.spans[(*wkey, "overrides")][2] != 0:
                    raise Unsupported("an empty block list")  # pragma: no cover
                else:
                    doc, sh = append_item(doc, (*wkey, "overrides"), {"path": path, "value": value})
                    edited.append((*wkey, "overrides", len(overrides)))
            shifts.append(sh)
            continue
        try:
            key = resolve_path(doc.raw, path)
        except KeyError as exc:
            problems.append(Diagnostic(name, None, path, f"cannot edit: {exc.args[0]}"))
            continue
        if not key or key[0] in ("detente", "worldviews"):
            problems.append(Diagnostic(name, None, path, "cannot edit this field here"))
            continue
        doc, sh = replace_value(doc, key, value)
        shifts.append(sh)
        edited.append(key)
    if problems:
        raise InputError(problems)

    def shift(line: int) -> int:
        for sh in shifts:
            line = sh(line)
        return line

    return revalidate(base, doc, edited, wv_index, shift)


def _apply_by_dump(
    base: Checked, edits: Sequence[tuple[str, Any]], worldview: str | None
) -> Checked:
    """The former way: set the values in a copy of the data, dump the whole document to YAML
    and read it again (comments and layout are lost)."""
    from detente.scenario.paths import set_path

    raw = copy.deepcopy(base.parsed.raw)
    name = base.parsed.name
    problems: list[Diagnostic] = []
    for path, value in edits:
        if worldview is not None:
            index = _worldview_index(raw, worldview)
            if index is None:
                problems.append(
                    Diagnostic(name, None, "worldviews", f"unknown worldview {worldview!r}")
                )
                continue
            try:
                resolve_path(raw, path)
            except KeyError as exc:
                problems.append(Diagnostic(name, None, path, f"cannot edit: {exc.args[0]}"))
                continue
            overrides = raw["worldviews"][index].setdefault("overrides", [])
            if not isinstance(overrides, list):
                problems.append(Diagnostic(name, None, path, "worldview overrides is not a list"))
                continue
            existing = next(
                (o for o in overrides if isinstance(o, dict) and o.get("path") == path), None
            )
            if existing is not None:
                existing["value"] = copy.deepcopy(value)
            else:
                overrides.append({"path": path, "value": copy.deepcopy(value)})
            continue
        try:
            key = resolve_path(raw, path)
        except KeyError as exc:
            problems.append(Diagnostic(name, None, path, f"cannot edit: {exc.args[0]}"))
            continue
        if not key or key[0] in ("detente", "worldviews"):
            problems.append(Diagnostic(name, None, path, "cannot edit this field here"))
            continue
        set_path(raw, key, value)
    if problems:
        raise InputError(problems)
    text = yaml.safe_dump(raw, sort_keys=False, allow_unicode=True, width=100)
    return check_text(text, name, base.game_checks)


# --------------------------------------------------------------------------------------------
# the cache


class DocumentCache:
    """The last ``size`` checked documents by (file name, SHA-256 of the text); thread-safe."""

    def __init__(self, game_checks: Sequence[GameCheck], size: int = 16) -> None:
        self.game_checks = tuple(game_checks)
        self.size = size
        self._items: OrderedDict[tuple[str, str], Checked] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, text: str, name: str) -> Checked:
        """The checked document for ``text`` (read and validated on a miss; InputError when
        it cannot be read)."""
        key = (name, text_sha(text))
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return hit
            self.misses += 1
        checked = check_text(text, name, self.game_checks)
        self.put(checked)
        return checked

    def put(self, checked: Checked) -> None:
        key = (checked.parsed.name, checked.parsed.sha256)
        with self._lock:
            self._items[key] = checked
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
