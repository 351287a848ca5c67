"""The record of what actors actually did, month by month, as the library reads it.

A record is a CSV table (one row per month, ``month`` first, ``YYYY-MM``, contiguous) beside a
basis file ``<stem>.basis.json`` that gives each column's type (``int`` or ``str``), its kind
(``data`` or ``assumption``), its basis (a file and a computation, or the named assumptions it
rests on) and, for a ``str`` column, its allowed values; and the named assumptions themselves
(the fact, its dates, the confidence, a reference). An empty cell is a value not assessed
(``None``). The Korea record, ``scenarios/data/korea-record.csv``, is derived by
``scenarios/data/derive_korea_record.py``; the hindcast reads it through :func:`read_record`.

Every problem is reported as ``file:line: column: problem`` (an :class:`InputError`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.yamlsafe import read_text

Value = int | str | None

_TYPES = ("int", "str")
_KINDS = ("data", "assumption")


@dataclass(frozen=True)
class ColumnBasis:
    """Where one column comes from."""

    name: str
    type: str  #: "int" or "str"
    kind: str  #: "data" (a file and a computation) or "assumption" (named assumptions)
    basis: str
    assumptions: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  #: allowed values of a str column (empty: any)


@dataclass(frozen=True)
class NamedAssumption:
    """A fact of the public record that no data file holds."""

    key: str
    fact: str
    dates: str
    confidence: str
    reference: str


@dataclass(frozen=True)
class Record:
    """A monthly record: ``columns[name][i]`` is the value in ``months[i]``.

    Attributes:
        path: the CSV read.
        months: ``YYYY-MM``, contiguous and increasing.
        columns: every column but ``month``, in file order, as typed tuples (None = empty).
        basis: each column's :class:`ColumnBasis` (``month`` included).
        assumptions: the named assumptions, by key.
        assessed_end: the last month the assumption columns are assessed for ("" if unstated).
    """

    path: str
    months: tuple[str, ...]
    columns: Mapping[str, tuple[Value, ...]]
    basis: Mapping[str, ColumnBasis]
    assumptions: Mapping[str, NamedAssumption]
    assessed_end: str = ""

    def column(self, name: str) -> tuple[Value, ...]:
        """The values of one column (KeyError naming the columns if unknown)."""
        if name not in self.columns:
            raise KeyError(f"{self.path}: no column {name!r} (have {', '.join(self.columns)})")
        return self.columns[name]

    def ints(self, name: str) -> tuple[int | None, ...]:
        """An ``int`` column with its static type."""
        if self.basis[name].type != "int":
            raise TypeError(f"{self.path}: column {name!r} is {self.basis[name].type}, not int")
        return tuple(v if isinstance(v, int) else None for v in self.column(name))

    def row(self, month: str) -> dict[str, Value]:
        """All values of one month."""
        try:
            i = self.months.index(month)
        except ValueError:
            raise KeyError(f"{self.path}: no month {month!r}") from None
        return {name: values[i] for name, values in self.columns.items()}

    def window(self, start: str, end: str) -> Record:
        """The months from ``start`` to ``end`` inclusive."""
        keep = [i for i, m in enumerate(self.months) if start <= m <= end]
        return Record(
            path=self.path,
            months=tuple(self.months[i] for i in keep),
            columns=MappingProxyType(
                {n: tuple(v[i] for i in keep) for n, v in self.columns.items()}
            ),
            basis=self.basis,
            assumptions=self.assumptions,
            assessed_end=self.assessed_end,
        )


def basis_path(path: Path) -> Path:
    """The basis file that goes with a record CSV: ``<stem>.basis.json`` beside it."""
    return path.with_name(f"{path.stem}.basis.json")


def _next_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y + 1:04d}-01" if m == 12 else f"{y:04d}-{m + 1:02d}"


def _is_month(text: str) -> bool:
    return (
        len(text) == 7
        and text[4] == "-"
        and text[:4].isdigit()
        and text[5:].isdigit()
        and 1 <= int(text[5:]) <= 12
    )


def _text(value: Any, where: str, field: str, problems: list[Diagnostic]) -> str:
    if not isinstance(value, str):
        problems.append(Diagnostic(where, None, field, "expected a string"))
        return ""
    return value


def _read_basis(
    path: Path,
) -> tuple[dict[str, ColumnBasis], dict[str, NamedAssumption], str]:
    name = str(path)
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputError.single(name, f"not valid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(doc, dict):
        raise InputError.single(name, "expected a JSON object")
    problems: list[Diagnostic] = []
    assumptions: dict[str, NamedAssumption] = {}
    raw_assumptions = doc.get("assumptions", {})
    if not isinstance(raw_assumptions, dict):
        problems.append(Diagnostic(name, None, "assumptions", "expected an object"))
        raw_assumptions = {}
    for key, entry in raw_assumptions.items():
        field = f"assumptions.{key}"
        if not isinstance(entry, dict):
            problems.append(Diagnostic(name, None, field, "expected an object"))
            continue
        texts = {
            k: _text(entry.get(k), name, f"{field}.{k}", problems)
            for k in ("fact", "dates", "confidence", "reference")
        }
        assumptions[key] = NamedAssumption(key=key, **texts)
    columns: dict[str, ColumnBasis] = {}
    raw_columns = doc.get("columns")
    if not isinstance(raw_columns, list):
        problems.append(Diagnostic(name, None, "columns", "expected a list of columns"))
        raw_columns = []
    for k, entry in enumerate(raw_columns):
        field = f"columns[{k}]"
        if not isinstance(entry, dict):
            problems.append(Diagnostic(name, None, field, "expected an object"))
            continue
        column = _text(entry.get("name"), name, f"{field}.name", problems)
        field = f"columns.{column or k}"
        kind = _text(entry.get("kind"), name, f"{field}.kind", problems)
        type_ = _text(entry.get("type"), name, f"{field}.type", problems)
        basis = _text(entry.get("basis"), name, f"{field}.basis", problems)
        if type_ and type_ not in _TYPES:
            problems.append(Diagnostic(name, None, f"{field}.type", f"{type_!r} not in {_TYPES}"))
        if kind and kind not in _KINDS:
            problems.append(Diagnostic(name, None, f"{field}.kind", f"{kind!r} not in {_KINDS}"))
        if not basis.strip():
            problems.append(Diagnostic(name, None, f"{field}.basis", "empty basis"))
        refs = entry.get("assumptions", [])
        values = entry.get("values", [])
        if not isinstance(refs, list) or not all(isinstance(r, str) for r in refs):
            problems.append(Diagnostic(name, None, f"{field}.assumptions", "expected strings"))
            refs = []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problems.append(Diagnostic(name, None, f"{field}.values", "expected strings"))
            values = []
        for ref in refs:
            if ref not in assumptions:
                problems.append(
                    Diagnostic(name, None, f"{field}.assumptions", f"unknown assumption {ref!r}")
                )
        if kind == "assumption" and not refs:
            problems.append(
                Diagnostic(name, None, f"{field}.assumptions", "an assumption column names none")
            )
        if column in columns:
            problems.append(Diagnostic(name, None, field, "column listed twice"))
        columns[column] = ColumnBasis(column, type_, kind, basis, tuple(refs), tuple(values))
    assessed_end = doc.get("assessed_end", "")
    if not isinstance(assessed_end, str) or (assessed_end and not _is_month(assessed_end)):
        problems.append(Diagnostic(name, None, "assessed_end", "expected YYYY-MM"))
        assessed_end = ""
    if problems:
        raise InputError(problems)
    return columns, assumptions, assessed_end


def read_record(path: Path | str, basis: Path | str | None = None) -> Record:
    """Read a record CSV and its basis file (default :func:`basis_path`), validated.

    Raises:
        InputError: every problem found, each as ``file:line: column: problem``.
    """
    path = Path(path)
    name = str(path)
    basis_file = Path(basis) if basis is not None else basis_path(path)
    if not basis_file.is_file():
        raise InputError.single(name, f"basis file {basis_file} not found")
    bases, assumptions, assessed_end = _read_basis(basis_file)
    reader = csv.reader(io.StringIO(read_text(path), newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise InputError.single(name, "empty file, expected a header line") from None
    problems: list[Diagnostic] = []
    if not header or header[0] != "month":
        problems.append(
            Diagnostic(name, 1, header[0] if header else "", "first column is not 'month'")
        )
    for column in header:
        if column not in bases:
            problems.append(
                Diagnostic(name, 1, column, f"column has no basis in {basis_file.name}")
            )
    for column in bases:
        if column not in header:
            problems.append(Diagnostic(name, 1, column, "column in the basis file is missing"))
    if len(set(header)) != len(header):
        problems.append(Diagnostic(name, 1, "", "a column name is repeated"))
    if problems:
        raise InputError(problems)
    months: list[str] = []
    values: dict[str, list[Value]] = {column: [] for column in header[1:]}
    for line, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            problems.append(
                Diagnostic(name, line, "", f"{len(cells)} fields, expected {len(header)}")
            )
            continue
        month = cells[0].strip()
        if not _is_month(month):
            problems.append(Diagnostic(name, line, "month", f"{month!r} is not YYYY-MM"))
        elif months and month != _next_month(months[-1]):
            problems.append(
                Diagnostic(
                    name,
                    line,
                    "month",
                    f"{month} does not follow {months[-1]} (months must be contiguous)",
                )
            )
        months.append(month)
        for column, cell in zip(header[1:], cells[1:], strict=True):
            text = cell.strip()
            spec = bases[column]
            value: Value = None
            if text and spec.type == "int":
                try:
                    value = int(text)
                except ValueError:
                    problems.append(Diagnostic(name, line, column, f"{text!r} is not an integer"))
                else:
                    if value < 0:
                        problems.append(Diagnostic(name, line, column, f"{value} is negative"))
            elif text:
                if spec.values and text not in spec.values:
                    problems.append(
                        Diagnostic(name, line, column, f"{text!r} not in {', '.join(spec.values)}")
                    )
                value = text
            if (
                value is None
                and spec.kind == "assumption"
                and assessed_end
                and _is_month(month)
                and month <= assessed_end
            ):
                problems.append(
                    Diagnostic(name, line, column, f"empty, but assessed to {assessed_end}")
                )
            values[column].append(value)
    if not months and not problems:
        problems.append(Diagnostic(name, None, "", "no rows"))
    if problems:
        raise InputError(problems)
    return Record(
        path=name,
        months=tuple(months),
        columns=MappingProxyType({k: tuple(v) for k, v in values.items()}),
        basis=MappingProxyType(bases),
        assumptions=MappingProxyType(assumptions),
        assessed_end=assessed_end,
    )
