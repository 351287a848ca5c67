"""Safe YAML reading that remembers where every value came from.

Only YAML's safe subset is constructed (no ``!!python/...`` tags, no code). The file is read
once into PyYAML's node graph; a walk over that graph builds plain Python data *and* a map from
each field path to its line, so validation messages can point at ``file:line``. The walk counts
nodes, so an alias "billion laughs" bomb is refused before it expands.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import yaml

from detente.scenario.errors import InputError

#: files larger than this are refused (a scenario is a few hundred lines)
MAX_FILE_BYTES = 2 * 1024 * 1024
#: nodes after alias expansion; a legitimate scenario has a few thousand
MAX_NODES = 200_000

PathKey = tuple[str | int, ...]
#: a node's place in the text: (start offset, end offset, kind); kind is 0 for a scalar or a flow
#: collection (the end is exact), 1 for a block collection and 2 for a block scalar (``|``,
#: ``>``), whose end runs past trailing blank lines and comments (PyYAML's end mark)
Span = tuple[int, int, int]


_SAFE_SCALAR_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")
)


_TOO_DEEP = "invalid YAML: nested too deeply (expected a plain scenario)"


class _TooManyNodes(Exception):
    pass


def read_text(path: Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The file as text, or an :class:`InputError` saying why it cannot be a scenario."""
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError.single(name, "file not found") from None
    except OSError as exc:
        raise InputError.single(name, f"cannot read file ({exc.strerror})") from None
    if path.is_dir():
        raise InputError.single(name, "is a directory, expected a scenario file")
    if size > max_bytes:
        raise InputError.single(
            name, f"file too large (got {size} bytes, expected at most {max_bytes})"
        )
    data = path.read_bytes()
    return decode_text(data, name)


def decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise InputError.single(name, "binary file (contains NUL bytes), expected UTF-8 text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.single(
            name,
            f"not valid UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
        ) from None
    return text


def load_yaml(
    text: str, name: str, *, spans: dict[PathKey, Span] | None = None
) -> tuple[Any, dict[PathKey, int]]:
    """Parse ``text`` safely; return the data and a map ``path -> line`` (1-based).

    ``spans``, when given, is filled with each path's :data:`Span` (the web explorer's what-if
    edits rewrite one value in place instead of re-serialising the document)."""
    if not text.strip():
        raise InputError.single(name, "empty file, expected a YAML mapping (a scenario)")
    # spans are character offsets of PyYAML's marks: asked for, the pure-Python parser reads
    parsed, node = _compose_fast(text) if spans is None else (False, None)
    if parsed:
        try:
            return _build(node, name)
        except InputError:
            pass  # bad input is reported as PyYAML reads it, in the words it always used
    return _build(_compose(text, name), name, spans)


def _build(
    node: yaml.Node | None, name: str, spans: dict[PathKey, Span] | None = None
) -> tuple[Any, dict[PathKey, int]]:
    """The data of a node graph and its ``path -> line`` map (and, asked for, its spans)."""
    if node is None:
        raise InputError.single(name, "empty document, expected a YAML mapping (a scenario)")
    lines: dict[PathKey, int] = {}
    builder = _Builder(name, lines, spans)
    try:
        data = builder.build(node, ())
    except RecursionError:
        raise InputError.single(name, _TOO_DEEP) from None
    except _TooManyNodes:
        raise InputError.single(
            name,
            f"document expands to more than {MAX_NODES} nodes (an alias bomb?), "
            "expected a plain scenario",
        ) from None
    return data, lines


#: a block scalar's header with a comment not set off by a space (``key: >-#``)
_BLOCK_COMMENT = re.compile(r"[|>][-+0-9]*#")


def _compose_fast(text: str) -> tuple[bool, yaml.Node | None]:
    """``(True, node graph)`` from libyaml's parser (``yaml.CSafeLoader``: the C parser with
    PyYAML's own safe resolver), ``(False, None)`` when it cannot stand in for PyYAML's.

    libyaml builds the same nodes (tags resolved by the same Python resolver, the same line
    marks) about seven times faster than PyYAML's pure-Python parser: a sixth of ``detente
    validate``'s time on the flagship scenario (start-up, issue 19). Where the two parsers read
    YAML differently, PyYAML's reading is kept. libyaml accepts a tab between tokens, a ``?``
    inside a plain scalar of a flow collection (``{value: 2?}``) and a comment straight after a
    block scalar's indicator (``>#``), which PyYAML refuses, and drops a byte-order mark inside
    the text, which PyYAML keeps: a text with any of them goes to :func:`_compose`. So does a
    text libyaml refuses, and :func:`load_yaml` reads again with PyYAML every text it finds a
    problem in, so every message is PyYAML's, as before.
    ``tests/scenario/test_yamlsafe.py`` holds the two parsers to the same result on mutated
    scenario files. libyaml limits nesting (1000 levels): a deep text cannot overflow C's stack.
    """
    loader_class = getattr(yaml, "CSafeLoader", None)
    if loader_class is None or "\t" in text or "\ufeff" in text or _BLOCK_COMMENT.search(text):
        return False, None
    try:
        loader = loader_class(text)
    except yaml.YAMLError:
        return False, None
    try:
        node: yaml.Node | None = loader.get_single_node()
    except (yaml.YAMLError, RecursionError):
        return False, None
    finally:
        loader.dispose()
    if node is not None and "?" in text and _flow_plain_question(node):
        return False, None
    return True, node


def _flow_plain_question(root: yaml.Node) -> bool:
    """Whether a plain scalar inside a flow collection holds a ``?`` (PyYAML ends such a
    scalar there; libyaml does not)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen or isinstance(node, yaml.ScalarNode):
            continue
        seen.add(id(node))
        assert isinstance(node, yaml.CollectionNode)
        items = (
            [n for pair in node.value for n in pair]
            if isinstance(node, yaml.MappingNode)
            else list(node.value)
        )
        if node.flow_style and any(
            isinstance(n, yaml.ScalarNode) and not n.style and "?" in n.value for n in items
        ):
            return True
        stack.extend(items)
    return False


def _compose(text: str, name: str) -> yaml.Node | None:
    """The node graph from PyYAML's pure-Python parser, or an :class:`InputError` saying why
    the text is not YAML."""
    loader: yaml.SafeLoader | None = None
    try:
        # The reader checks every character when the loader is built, so build it in here.
        loader = yaml.SafeLoader(text)
        return loader.get_single_node()
    except yaml.reader.ReaderError as exc:
        raise InputError.single(
            name,
            f"invalid YAML: unacceptable character #x{exc.character:04x} (not printable)",
            line=text[: exc.position].count("\n") + 1,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark_line = exc.problem_mark.line + 1 if exc.problem_mark else None
        problem = exc.problem or "invalid YAML"
        raise InputError.single(name, f"invalid YAML: {problem}", line=mark_line) from None
    except yaml.YAMLError as exc:
        raise InputError.single(name, f"invalid YAML: {exc}") from None
    except RecursionError:
        raise InputError.single(name, _TOO_DEEP) from None
    finally:
        if loader is not None:
            loader.dispose()


class _Builder:
    """Build Python data from a node graph, recording lines, refusing non-safe tags."""

    def __init__(
        self, name: str, lines: dict[PathKey, int], spans: dict[PathKey, Span] | None = None
    ) -> None:
        self.name = name
        self.lines = lines
        self.spans = spans
        self.count = 0
        #: list-item path -> its ``id`` (so messages name items as validation does)
        self.ids: dict[PathKey, str] = {}
        self._scalar = yaml.SafeLoader("")  # used only for its safe scalar constructors

    def build(self, node: yaml.Node, path: PathKey) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooManyNodes
        self.lines.setdefault(path, node.start_mark.line + 1)
        if self.spans is not None and path not in self.spans:
            block = getattr(node, "flow_style", None) is False or getattr(node, "style", None) in (
                "|",
                ">",
            )
            kind = (2 if isinstance(node, yaml.ScalarNode) else 1) if block else 0
            self.spans[path] = (node.start_mark.index, node.end_mark.index, kind)
        if isinstance(node, yaml.MappingNode):
            self._check_tag(node, "tag:yaml.org,2002:map", path)
            out: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise self._error(key_node, path, "YAML merge keys (<<) are not supported")
                key = self.build(key_node, path)
                if isinstance(key, list | dict):
                    raise self._error(key_node, path, "a mapping key must be a plain value")
                if key in out:
                    raise self._error(
                        key_node, path, f"duplicate key {key!r} (each key may appear once)"
                    )
                out[key] = self.build(value_node, (*path, _pathkey(key)))
            return out
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, "tag:yaml.org,2002:seq", path)
            for i, item in enumerate(node.value):
                ident = _item_id(item)
                if ident:
                    self.ids[(*path, i)] = ident
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        if node.tag not in _SAFE_SCALAR_TAGS:
            raise self._error(node, path, f"YAML tag {node.tag!r} is not allowed (safe YAML only)")
        try:
            value = self._scalar.construct_object(node, deep=True)
            # Dates stay text: a scenario's dates are labels, and JSON has no date type.
            return value.isoformat() if isinstance(value, datetime.date) else value
        except yaml.constructor.ConstructorError as exc:
            raise self._error(node, path, f"cannot read value: {exc.problem}") from None

    def _check_tag(self, node: yaml.Node, expected: str, path: PathKey) -> None:
        if node.tag != expected:
            raise self._error(node, path, f"YAML tag {node.tag!r} is not allowed (safe YAML only)")

    def _error(self, node: yaml.Node, path: PathKey, message: str) -> InputError:
        return InputError.single(
            self.name, message, field=format_path(path, self.ids), line=node.start_mark.line + 1
        )


def _item_id(node: yaml.Node) -> str | None:
    """The plain ``id: text`` of a list item written as a mapping, if it has one."""
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if (
            isinstance(key, yaml.ScalarNode)
            and key.value == "id"
            and isinstance(value, yaml.ScalarNode)
            and value.tag == "tag:yaml.org,2002:str"
            and value.value
        ):
            return str(value.value)
    return None


def _pathkey(key: Any) -> str | int:
    return key if isinstance(key, str) else str(key)


def format_path(path: PathKey, ids: dict[PathKey, str] | None = None) -> str:
    """``('actors', 2, 'stances')`` -> ``actors[2].stances`` (``actors.dprk.stances`` when
    ``ids`` names item 2 ``dprk``)."""
    out = ""
    for n, part in enumerate(path):
        if isinstance(part, int):
            ident = ids.get(path[: n + 1]) if ids else None
            out += ("." if out else "") + ident if ident else f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
