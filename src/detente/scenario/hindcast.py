"""The scenario's ``record:`` section: which record a hindcast reads and how it maps to moves.

This module owns the data half of the hindcast (``detente hindcast``; ``docs/hindcast.md``): the
schema of a top-level ``record:`` section, its checks against the game (move ids, months, a
default rule last), and the mapping of a dated monthly record
(:func:`detente.scenario.record.read_record`) to the game's move ids, month by month, with the
checks that need the record file itself (unknown columns, values a column cannot take, a month
not assessed). The computation — the likelihood of the target's recorded moves — is in
:mod:`detente.analysis.hindcast`.

A rule maps a month to a move when every condition of its ``when`` holds; the first rule that
matches wins, and the last rule of each list has no ``when`` (the default), so every month maps::

    record:
      file: data/korea-record.csv          # relative to the scenario file
      start: "2021-10"
      end: "2024-12"
      coalition:
        - {when: {exercise_posture: full_scale}, move: pressure, basis: "..."}
        - {move: hold, basis: "..."}
      target:
        - {when: {talks_held: {min: 1}}, move: engage, basis: "..."}
        - {when: {cns_launch_days: {min: 1}}, move: test, basis: "..."}
        - {move: stall, basis: "..."}

A condition is a column's value (equality) or ``{min: a, max: b}`` (inclusive, either optional;
an ``int`` column only).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.game import GameSpec, month_number
from detente.scenario.record import Record, Value, read_record
from detente.scenario.yamlsafe import PathKey


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Range(_Strict):
    """An ``int`` column's value between ``min`` and ``max`` (inclusive; either may be left out)."""

    min: int | None = None
    max: int | None = None


Condition = int | str | Range


class RecordRule(_Strict):
    """Map a month to ``move`` when every condition of ``when`` holds (no ``when``: always)."""

    when: dict[str, Condition] = Field(
        default_factory=dict, description="column -> value, or {min, max} for an int column"
    )
    move: str = Field(description="a move id of the game (the coalition's or the target's)")
    basis: str = Field(min_length=1, description="why the record's month means this move")


class RecordSpec(_Strict):
    """The record a hindcast holds the game against (``docs/hindcast.md``)."""

    file: str = Field(description="the record CSV, relative to the scenario file")
    start: str = Field(description="first month used, YYYY-MM")
    end: str = Field(description="last month used, YYYY-MM (inclusive)")
    coalition: list[RecordRule] = Field(description="the coalition's move each month")
    target: list[RecordRule] = Field(description="the target's observed move each month")
    basis: str | None = Field(default=None, description="what the mapping as a whole rests on")


Report = Callable[[PathKey, str], None]


def check_record(spec: RecordSpec, game: GameSpec | None, report: Report) -> None:
    """The checks of a ``record:`` section that need no file: a game to map to, known move ids,
    months in order, a default rule last (reported as ``report(path, message)``)."""
    base: PathKey = ("record",)
    for field in ("start", "end"):
        try:
            month_number(getattr(spec, field))
        except ValueError as exc:
            report((*base, field), str(exc))
            return
    if spec.start > spec.end:
        report((*base, "end"), f"{spec.end} is before start {spec.start}")
    if game is None:
        report(base, "a record section needs a `game:` section to map to")
        return
    sides = (
        ("coalition", [m.id for m in game.coalition_moves]),
        ("target", [m.id for m in game.target_moves]),
    )
    for side, known in sides:
        rules: list[RecordRule] = getattr(spec, side)
        if not rules:
            report((*base, side), "no rules: every month needs a move")
            continue
        for i, rule in enumerate(rules):
            if rule.move not in known:
                report(
                    (*base, side, i, "move"),
                    f"unknown {side} move {rule.move!r} (known: {', '.join(known)})",
                )
            for col, cond in rule.when.items():
                if isinstance(cond, Range) and cond.min is None and cond.max is None:
                    report((*base, side, i, "when", col), "a range needs min or max")
        if rules[-1].when:
            report((*base, side, len(rules) - 1), "the last rule must have no `when` (default)")


@dataclass(frozen=True)
class MappedRecord:
    """The record's months mapped to the game's moves.

    ``coalition[i]`` and ``target[i]`` are move ids in ``months[i]``; ``coalition_rule[i]`` and
    ``target_rule[i]`` the index of the rule that matched (its basis says why).
    """

    record: Record
    months: tuple[str, ...]
    coalition: tuple[str, ...]
    target: tuple[str, ...]
    coalition_rule: tuple[int, ...]
    target_rule: tuple[int, ...]


def record_file(spec: RecordSpec, scenario_file: str | Path) -> Path:
    """The record CSV, resolved against the scenario file's directory."""
    return (Path(scenario_file).parent / spec.file).resolve()


def map_record(
    spec: RecordSpec,
    scenario_file: str | Path,
    lines: Mapping[PathKey, int] | None = None,
) -> MappedRecord:
    """Read the record and map each month of ``start..end`` to the coalition's and the target's
    move; every problem (an unknown column, a value the column cannot take, a month outside the
    record or not assessed) as an :class:`InputError` located at the rule in the scenario."""
    name = str(scenario_file)
    at = dict(lines or {})

    def line_of(path: PathKey) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in at:
                return at[path[:cut]]
        return None

    problems: list[Diagnostic] = []

    def add(path: PathKey, message: str) -> None:
        field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
        problems.append(Diagnostic(name, line_of(path), field, message))

    path = record_file(spec, scenario_file)
    if not path.is_file():
        raise InputError(
            [
                Diagnostic(
                    name,
                    line_of(("record", "file")),
                    "record.file",
                    f"record file {path} not found",
                )
            ]
        )
    record = read_record(path)
    for field, month in (("start", spec.start), ("end", spec.end)):
        if month not in record.months:
            add(
                ("record", field),
                f"{month} is not in {path.name} ({record.months[0]}..{record.months[-1]})",
            )
    for side in ("coalition", "target"):
        rules: list[RecordRule] = getattr(spec, side)
        for i, rule in enumerate(rules):
            for col, cond in rule.when.items():
                where: PathKey = ("record", side, i, "when", col)
                if col not in record.basis or col == "month":
                    add(where, f"unknown column {col!r} of {path.name}")
                    continue
                cb = record.basis[col]
                if isinstance(cond, (Range, int)):
                    if cb.type != "int":
                        add(where, f"column {col!r} is {cb.type}: compare it with a value")
                elif cb.type != "str":
                    add(where, f"column {col!r} is int: give an int or {{min, max}}")
                elif cb.values and cond not in cb.values:
                    add(where, f"{cond!r} is not a value of {col!r} ({', '.join(cb.values)})")
    if problems:
        raise InputError(problems)
    window = record.window(spec.start, spec.end)
    out: dict[str, tuple[list[str], list[int]]] = {}
    for side in ("coalition", "target"):
        rules = getattr(spec, side)
        moves: list[str] = []
        chosen: list[int] = []
        for m_i, month in enumerate(window.months):
            row = {c: v[m_i] for c, v in window.columns.items()}
            for i, rule in enumerate(rules):
                missing = [c for c in rule.when if row[c] is None]
                if missing:
                    add(
                        ("record", side, i, "when"),
                        f"{month}: column {missing[0]!r} is not assessed (empty)",
                    )
                    break
                if all(_holds(row[c], cond) for c, cond in rule.when.items()):
                    moves.append(rule.move)
                    chosen.append(i)
                    break
        out[side] = (moves, chosen)
    if problems:
        raise InputError(problems)
    return MappedRecord(
        record=window,
        months=window.months,
        coalition=tuple(out["coalition"][0]),
        target=tuple(out["target"][0]),
        coalition_rule=tuple(out["coalition"][1]),
        target_rule=tuple(out["target"][1]),
    )


def _holds(value: Value, cond: Condition) -> bool:
    if isinstance(cond, Range):
        if not isinstance(value, int):
            return False
        return (cond.min is None or value >= cond.min) and (cond.max is None or value <= cond.max)
    return value == cond
