"""Importer for the input format of the Decide exchange model (Stokman; Draaijer's ``decide``).

The format is a delimited text file, one record per line, whose first field says what it is
(see ``reference/exchange/inputfiles.md`` of the Decide project)::

    #A  actor-key  actor-name  [comment]
    #P  issue-key  issue-name  [description]
    #M  issue-key  position    [meaning of that position]
    #D  actor-key  issue-key   position  salience  power  [comment]
    #0, #/  comments; #O  an issue description (both ignored by the model)

Files in the wild are tab-separated with every field in single quotes (``sample_data.txt``,
``cop21.csv``), or separated by ``;``/``,`` with or without double quotes; the delimiter and quote
character are detected from the first record. An issue's scale runs from the lowest to the
highest ``#M`` position given for it, 0–100 when it has none (as in Decide). Salience and power
are on [0, 1]. An actor may lack a ``#D`` record on an issue (in ``cop21.csv`` ALBA has none on
``amb2050``/``amb2100``): Decide then leaves the actor out of that issue altogether, and so do
we (see :meth:`DecideScenario.to_problem`). An actor with no ``#D`` record at all (``50+`` in
Decide's ``verkiezing 2012.csv``) takes part in nothing: it is left out
(:attr:`DecideScenario.left_out`). Keys and names may hold any text (``EU (incl Norway)``); the
file may be UTF-8 (with or without BOM) or latin-1, with CRLF line ends and blank lines.

Power ("capability") is given per actor *per issue*. :meth:`DecideScenario.to_problem` maps it to
the per-actor ``Problem.capability`` when it is constant across an actor's issues (true of every
reference file); otherwise it raises, unless asked to average, because the exchange model needs
the per-issue values to reproduce Decide. :attr:`DecideScenario.power` keeps them, and
:class:`detente.models.exchange.ExchangeModel` accepts them directly.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detente.models.base import FloatArray, Problem
from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.quantity import MAX_MAGNITUDE

RECORD_KINDS = ("#A", "#P", "#M", "#D", "#0", "#/", "#O")


class DecideFormatError(InputError):
    """A Decide input file that cannot be read; each diagnostic names file, line and field."""


@dataclass(frozen=True)
class DecideActor:
    """An actor (``#A``); ``line`` is the line of its ``#A`` record (0: not known)."""

    id: str
    name: str
    comment: str = ""
    line: int = 0


@dataclass(frozen=True)
class DecideIssue:
    """An issue (``#P``) with its scale and the meanings of positions (``#M``).

    ``line`` is the line of its ``#P`` record, ``anchor_lines`` the line of each ``#M`` record
    (in the order of ``anchors``); 0 where not known.
    """

    id: str
    name: str
    description: str
    lower: float
    upper: float
    anchors: tuple[tuple[float, str], ...] = ()
    line: int = 0
    anchor_lines: tuple[int, ...] = ()


@dataclass(frozen=True)
class DecideScenario:
    """The contents of a Decide input file.

    ``position``, ``salience`` and ``power`` are ``(n, k)`` in the order actors and issues are
    defined in the file, NaN where the actor has no ``#D`` record on the issue; ``lines`` holds
    the line of each ``#D`` record (0: none). ``left_out`` are the actors (with the line of
    their ``#A``) that have no ``#D`` record at all, not in ``actors``. ``file`` is the path
    read, for messages.
    """

    name: str
    actors: tuple[DecideActor, ...]
    issues: tuple[DecideIssue, ...]
    position: FloatArray
    salience: FloatArray
    power: FloatArray
    lines: np.ndarray | None = None
    left_out: tuple[tuple[DecideActor, int], ...] = ()
    file: str = ""

    @property
    def present(self) -> np.ndarray:
        """``(n, k)`` bool: the actor has a ``#D`` record on the issue."""
        return ~np.isnan(self.position)

    def capability(self, average_varying_power: bool = False) -> FloatArray:
        """Per-actor capability ``(n,)``: the actor's power, which must not vary across issues.

        With ``average_varying_power`` a varying power is averaged over the actor's issues
        instead (a lossy approximation; the exchange model then no longer reproduces Decide).
        """
        caps = np.empty(len(self.actors))
        file = self.file or self.name
        for a, actor in enumerate(self.actors):
            row = self.power[a][self.present[a]]
            if row.size == 0:
                raise DecideFormatError.single(
                    file,
                    f"actor {actor.id!r} has no #D record on any issue",
                    field="#D",
                    line=actor.line or None,
                )
            if not average_varying_power and np.ptp(row) > 1e-12:
                # the first record whose power differs from the actor's first one
                columns = np.flatnonzero(self.present[a])
                odd = columns[np.flatnonzero(np.abs(row - row[0]) > 1e-12)[0]]
                line = int(self.lines[a, odd]) if self.lines is not None else 0
                raise DecideFormatError.single(
                    file,
                    f"actor {actor.id!r} has a power that varies across issues "
                    f"({row.min():g}..{row.max():g}); a detente Problem has one capability "
                    "per actor: use to_problem(per_issue_power=True), whose Problem.power the "
                    "exchange model reads",
                    field="#D.power",
                    line=line or None,
                )
            caps[a] = float(row[0]) if np.ptp(row) == 0 else float(row.mean())
            if caps[a] <= 0:
                first = int(np.flatnonzero(self.present[a])[0])
                line = int(self.lines[a, first]) if self.lines is not None else 0
                raise DecideFormatError.single(
                    file,
                    f"actor {actor.id!r} has power 0; a detente actor needs a capability > 0 "
                    "(leave its #D records out to leave it out, as Decide then does)",
                    field="#D.power",
                    line=line or None,
                )
        return caps

    def to_problem(
        self, average_varying_power: bool = False, per_issue_power: bool = False
    ) -> Problem:
        """The scenario as a one-draw :class:`Problem` on each issue's own scale.

        A missing actor×issue becomes salience 0 (so the actor carries no weight in any
        weighted mean and the exchange model leaves it out of that issue, as Decide does), and
        its position is set to the capability×salience weighted mean of the others, so that
        unweighted position statistics are not pulled towards an arbitrary value.

        With ``per_issue_power`` the problem also carries every actor's power on every issue
        (``Problem.power``, 0 where the actor has no record), which the exchange model reads as
        Decide does; the capability is then the actor's power averaged over its issues (what
        the models that read one capability per actor see).
        """
        cap = self.capability(average_varying_power or per_issue_power)
        present = self.present
        sal = np.where(present, self.salience, 0.0)
        pos = np.array(self.position, dtype=np.float64)
        for j, issue in enumerate(self.issues):
            w = cap * sal[:, j]
            if not present[:, j].all():
                total = w.sum()
                fill = (
                    float((w * np.where(present[:, j], pos[:, j], 0.0)).sum() / total)
                    if total > 0
                    else (issue.lower + issue.upper) / 2
                )
                pos[~present[:, j], j] = fill
        problem = Problem.single(
            actors=[a.id for a in self.actors],
            issues=[i.id for i in self.issues],
            capability=cap,
            position=pos,
            salience=sal,
            scale_min=[i.lower for i in self.issues],
            scale_max=[i.upper for i in self.issues],
            name=self.name,
        )
        # Problem.single has no label arguments; the dataclass is frozen, so rebuild with them.
        return Problem(
            actors=problem.actors,
            issues=problem.issues,
            capability=problem.capability,
            position=problem.position,
            salience=problem.salience,
            scale_min=problem.scale_min,
            scale_max=problem.scale_max,
            status_quo=problem.status_quo,
            name=problem.name,
            actor_names=tuple(a.name or a.id for a in self.actors),
            issue_labels=tuple(i.name or i.id for i in self.issues),
            power=np.where(present, self.power, 0.0)[None] if per_issue_power else None,
        )


def _dialect(first_line: str) -> tuple[str, str]:
    """Delimiter and quote character of a Decide file, from its first record."""
    stripped = first_line.lstrip()
    quote = "'" if stripped.startswith("'") else '"'
    for delimiter in ("\t", ";", ","):
        if delimiter in stripped:
            return delimiter, quote
    return "\t", quote


def _number(
    raw: str, file: str, line: int, field: str, lo: float | None = None, hi: float | None = None
) -> tuple[float, Diagnostic | None]:
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        return math.nan, Diagnostic(file, line, field, f"{raw!r} is not a number")
    if not math.isfinite(value):
        return math.nan, Diagnostic(file, line, field, f"{raw!r} is not a finite number")
    if abs(value) > MAX_MAGNITUDE:
        return math.nan, Diagnostic(
            file, line, field, f"{raw!r} is too large to compute with (|x| <= {MAX_MAGNITUDE:g})"
        )
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        return value, Diagnostic(file, line, field, f"{value:g} is outside [{lo:g}, {hi:g}]")
    return value, None


def read_decide_file(path: str | Path) -> DecideScenario:
    """Read a Decide exchange-model input file.

    Raises:
        DecideFormatError: with one ``file:line: field: problem`` diagnostic per problem found
            (unknown record, missing field, undefined actor or issue, duplicate definition,
            number not a number or out of range, position outside the issue's scale).
    """
    from detente.scenario.importers import csv_rows, decode_peer_text, physical_lines

    path = Path(path)
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DecideFormatError.single(file, f"cannot read file: {exc.strerror or exc}") from None
    try:
        text = decode_peer_text(data, file)
    except InputError as exc:
        raise DecideFormatError(exc.diagnostics) from None
    lines = physical_lines(text)
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise DecideFormatError.single(file, "file is empty")
    delimiter, quote = _dialect(first)

    errors: list[Diagnostic] = []
    actors: dict[str, tuple[DecideActor, int]] = {}
    issues: dict[str, tuple[str, str, int]] = {}
    anchors: dict[str, list[tuple[float, str, int]]] = {}
    records: list[tuple[int, str, str, float, float, float]] = []
    seen: dict[tuple[str, str], int] = {}

    reader = csv.reader(lines, delimiter=delimiter, quotechar=quote, skipinitialspace=True)
    for lineno, row in csv_rows(reader, lambda: reader.line_num):
        fields = [f.strip() for f in row]
        while fields and fields[-1] == "":
            fields.pop()
        if not fields:
            continue
        kind = fields[0]
        if kind not in RECORD_KINDS:
            errors.append(
                Diagnostic(
                    file,
                    lineno,
                    "record",
                    f"{kind!r} is not a record type (expected one of "
                    + ", ".join(RECORD_KINDS)
                    + ")",
                )
            )
            continue
        if kind in ("#0", "#/", "#O"):
            continue
        need = {"#A": 2, "#P": 2, "#M": 3, "#D": 6}[kind]
        if len(fields) < need:
            errors.append(
                Diagnostic(
                    file,
                    lineno,
                    kind,
                    f"has {len(fields) - 1} fields, expected at least {need - 1}",
                )
            )
            continue
        rest = " ".join(fields[need:])
        if kind == "#A":
            key = fields[1]
            if key in actors:
                errors.append(
                    Diagnostic(
                        file,
                        lineno,
                        "#A",
                        f"actor {key!r} already defined on line {actors[key][1]}",
                    )
                )
                continue
            name = fields[2] if len(fields) > 2 else key
            comment = " ".join(fields[3:])
            actors[key] = (DecideActor(key, name, comment, lineno), lineno)
        elif kind == "#P":
            key = fields[1]
            if key in issues:
                errors.append(
                    Diagnostic(
                        file,
                        lineno,
                        "#P",
                        f"issue {key!r} already defined on line {issues[key][2]}",
                    )
                )
                continue
            name = fields[2] if len(fields) > 2 else key
            issues[key] = (name, " ".join(fields[3:]), lineno)
        elif kind == "#M":
            value, err = _number(fields[2], file, lineno, "#M.position")
            if err:
                errors.append(err)
                continue
            anchors.setdefault(fields[1], []).append((value, rest, lineno))
        else:  # "#D"
            pair = (fields[1], fields[2])
            if pair in seen:
                errors.append(
                    Diagnostic(
                        file,
                        lineno,
                        "#D",
                        f"actor {pair[0]!r} on issue {pair[1]!r} "
                        f"already given on line {seen[pair]}",
                    )
                )
                continue
            seen[pair] = lineno
            values = []
            for raw, name, lo, hi in (
                (fields[3], "#D.position", None, None),
                (fields[4], "#D.salience", 0.0, 1.0),
                (fields[5], "#D.power", 0.0, 1.0),
            ):
                value, err = _number(raw, file, lineno, name, lo, hi)
                if err:
                    errors.append(err)
                values.append(value)
            records.append((lineno, fields[1], fields[2], values[0], values[1], values[2]))

    for issue_key, marks in anchors.items():
        if issue_key not in issues:
            errors.append(
                Diagnostic(
                    file,
                    marks[0][2],
                    "#M.issue",
                    f"issue {issue_key!r} is not defined by a #P record",
                )
            )
    issue_list = []
    for key, (name, description, p_line) in issues.items():
        marks = sorted(anchors.get(key, []))
        lower, upper = (marks[0][0], marks[-1][0]) if marks else (0.0, 100.0)
        if lower == upper:
            errors.append(
                Diagnostic(
                    file,
                    marks[0][2],
                    "#M",
                    f"issue {key!r} has a scale of zero width "
                    f"({lower:g}..{upper:g}); give at least two different #M positions",
                )
            )
        issue_list.append(
            DecideIssue(
                key,
                name,
                description,
                lower,
                upper,
                tuple((v, d) for v, d, _ in marks),
                line=p_line,
                anchor_lines=tuple(m_line for _, _, m_line in marks),
            )
        )
    # a whole-file problem is reported at the end of the file (its last line, not the empty
    # string after a final line end)
    last = max(1, len(lines) - (1 if lines and lines[-1] == "" else 0))
    if not actors:
        errors.append(Diagnostic(file, last, "#A", "no actor defined (no #A record)"))
    if not issues:
        errors.append(Diagnostic(file, last, "#P", "no issue defined (no #P record)"))

    actor_index = {key: a for a, key in enumerate(actors)}
    issue_index = {key: j for j, key in enumerate(issues)}
    shape = (len(actors), len(issues))
    pos, sal, pw = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    where = np.zeros(shape, dtype=np.int64)
    for lineno, actor_key, issue_key, x, s, c in records:
        if actor_key not in actor_index:
            errors.append(
                Diagnostic(
                    file, lineno, "#D.actor", f"actor {actor_key!r} is not defined by an #A record"
                )
            )
            continue
        if issue_key not in issue_index:
            errors.append(
                Diagnostic(
                    file, lineno, "#D.issue", f"issue {issue_key!r} is not defined by a #P record"
                )
            )
            continue
        issue = issue_list[issue_index[issue_key]]
        if math.isfinite(x) and not issue.lower <= x <= issue.upper:
            errors.append(
                Diagnostic(
                    file,
                    lineno,
                    "#D.position",
                    f"{x:g} is outside the scale of issue {issue_key!r} "
                    f"[{issue.lower:g}, {issue.upper:g}] set by its #M records",
                )
            )
        a, j = actor_index[actor_key], issue_index[issue_key]
        pos[a, j], sal[a, j], pw[a, j] = x, s, c
        where[a, j] = lineno

    # an actor without any #D record takes part in no issue (Decide builds its issues from the
    # #D records): it is left out, and said so
    keep = [a for a in range(len(actors)) if (where[a] > 0).any()] if issues else []
    defined = list(actors.values())
    left_out = tuple(defined[a] for a in range(len(defined)) if a not in set(keep))
    if actors and issues and len(keep) < 2:
        errors.append(
            Diagnostic(
                file,
                last,
                "#D",
                f"{len(keep)} actor(s) with #D records; a scenario needs at least 2",
            )
        )
    if errors:
        raise DecideFormatError(sorted(errors, key=lambda d: d.line or 0))
    return DecideScenario(
        name=path.stem,
        actors=tuple(defined[a][0] for a in keep),
        issues=tuple(issue_list),
        position=pos[keep],
        salience=sal[keep],
        power=pw[keep],
        lines=where[keep],
        left_out=left_out,
        file=file,
    )
