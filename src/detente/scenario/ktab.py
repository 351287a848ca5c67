"""Reader for KTAB's scenario CSV format (the Spatial Model of Politics, ``smpc``).

Layout, as read by KTAB's ``SMPModel::csvRead`` (examples/smp/libsrc/smpread.cpp, KAPSARC,
MIT licence)::

    <scenario name>, <description>, <number of actors>, <number of dimensions>[, ...]
    Actor, Description, Influence, <dim 1> Position, <dim 1> Salience, ...
    <id>, <description>, <influence>, <pos 1>, <sal 1>, ...      (one line per actor)

Positions and saliences are on a 0–100 scale. KTAB rejects a position or salience outside
[0, 100] and an actor whose saliences add up to more than 100 ("no more than 100% of attention
to all issues"); it then divides both by 100 and uses them as they are -- saliences are *not*
renormalised per actor, so an actor whose saliences sum to 60 is less engaged overall than one
whose saliences sum to 100 (the sum enters the challenge model as the actor's overall salience).
:meth:`KtabScenario.to_problem` does the same conversion.

Trailing empty fields (KTAB files often end lines with a comma) and blank lines are ignored;
fields are stripped of surrounding spaces and double quotes. The file may be UTF-8 (with or
without BOM) or, failing that, latin-1 (KTAB reads bytes and decodes nothing); lines may end
in CRLF. Like KTAB, exactly the declared number of actor lines is read: lines after them are
ignored. Actor names may hold any text; the importer derives detente ids from them
(:func:`detente.scenario.importers.derive_ids`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from detente.models.base import FloatArray, Problem
from detente.scenario.errors import Diagnostic, InputError
from detente.scenario.quantity import MAX_MAGNITUDE

#: KTAB's salience and position scale.
KTAB_SCALE = 100.0


@dataclass(frozen=True)
class KtabScenario:
    """A KTAB scenario exactly as the file gives it (0–100 scales).

    Attributes:
        name, description: first two fields of the first line.
        actors: actor ids (first column), ``n`` of them.
        descriptions: actor descriptions (second column).
        influence: ``(n,)`` capabilities ("Influence"/"Power" column).
        dimensions: the position-column headers, one per dimension (e.g. ``"Policy Position"``).
        positions: ``(n, d)`` on [0, 100].
        saliences: ``(n, d)`` on [0, 100], each actor's row summing to at most 100.
        path: the file read.
        line, header_line, actor_lines: where the scenario line, the header and each actor's
            line are in the file (1-based; 0: not known), for messages about the import.
    """

    name: str
    description: str
    actors: tuple[str, ...]
    descriptions: tuple[str, ...]
    influence: FloatArray
    dimensions: tuple[str, ...]
    positions: FloatArray
    saliences: FloatArray
    path: str = ""
    line: int = 0
    header_line: int = 0
    actor_lines: tuple[int, ...] = ()

    @property
    def issue_ids(self) -> tuple[str, ...]:
        """Short ids for the dimensions: the header lower-cased, without a trailing "Position",
        non-alphanumerics replaced by ``-``; made unique with a numeric suffix if needed."""
        ids: list[str] = []
        for k, label in enumerate(self.dimensions):
            base = re.sub(r"\s*position\s*$", "", label, flags=re.IGNORECASE)
            slug = re.sub(r"[^0-9a-z]+", "-", base.lower()).strip("-") or f"dim{k}"
            candidate = slug
            suffix = 2
            while candidate in ids:
                candidate = f"{slug}-{suffix}"
                suffix += 1
            ids.append(candidate)
        return tuple(ids)

    def to_problem(self) -> Problem:
        """A one-draw :class:`Problem` on KTAB's 0..100 scale, saliences divided by 100.

        This is KTAB's own conversion (``sal = sal / 100.0`` in ``csvRead``): no per-actor
        renormalisation. No status quo (KTAB's SMP has none).
        """
        k = len(self.dimensions)
        return Problem(
            actors=self.actors,
            issues=self.issue_ids,
            capability=self.influence[None, :].copy(),
            position=self.positions[None, :, :].copy(),
            salience=(self.saliences / KTAB_SCALE)[None, :, :],
            scale_min=np.zeros(k),
            scale_max=np.full(k, KTAB_SCALE),
            status_quo=np.full((1, k), np.nan),
            name=self.name or Path(self.path).stem,
            actor_names=tuple(d or a for a, d in zip(self.actors, self.descriptions, strict=True)),
            issue_labels=self.dimensions,
        )


def _fields(row: list[str]) -> list[str]:
    out = [f.strip().strip('"').strip() for f in row]
    while out and out[-1] == "":
        out.pop()
    return out


def read_ktab_csv(path: str | Path) -> KtabScenario:
    """Read a KTAB SMP scenario CSV.

    Raises:
        InputError: (a ``ValueError``) listing every problem as ``file:line: field: problem``.
    """
    from detente.scenario.importers import csv_rows, decode_peer_text, physical_lines

    p = Path(path)
    fname = str(p)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise InputError.single(fname, f"cannot read file: {exc.strerror or exc}") from None
    text = decode_peer_text(data, fname)

    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(physical_lines(text))
    for lineno, row in csv_rows(reader, lambda: reader.line_num):
        fields = _fields(row)
        if fields:
            rows.append((lineno, fields))
    if len(rows) < 2:
        raise InputError.single(
            fname, "expected a scenario line, a header line and actor lines", line=1
        )

    diags: list[Diagnostic] = []

    def err(line: int, field: str, message: str) -> None:
        diags.append(Diagnostic(file=fname, line=line, field=field, message=message))

    # --- scenario line
    line1, first = rows[0]
    if len(first) < 4:
        raise InputError.single(
            fname,
            "first line must be: scenario name, description, number of actors, number of "
            f"dimensions (got {len(first)} field(s))",
            line=line1,
        )
    name, description = first[0], first[1]
    counts: list[int] = []
    for label, raw in (("number of actors", first[2]), ("number of dimensions", first[3])):
        try:
            value = float(raw)
            if not value.is_integer() or value < 1:
                raise ValueError
            counts.append(int(value))
        except ValueError:
            raise InputError.single(
                fname, f"expected a positive whole number, got {raw!r}", field=label, line=line1
            ) from None
    n_actors, n_dims = counts

    # --- header line
    line2, header = rows[1]
    expected_cols = 3 + 2 * n_dims
    if len(header) < expected_cols:
        raise InputError.single(
            fname,
            f"header has {len(header)} column(s); {n_dims} dimension(s) need {expected_cols} "
            "(Actor, Description, Influence, then Position and Salience per dimension)",
            line=line2,
        )
    dimensions = tuple(header[3 + 2 * d] for d in range(n_dims))

    # --- actor lines: exactly the declared number, as KTAB reads them (later lines ignored)
    actor_rows = rows[2 : 2 + n_actors]
    if len(actor_rows) != n_actors:
        where = actor_rows[-1][0] if actor_rows else line2
        err(
            where,
            "number of actors",
            f"first line declares {n_actors} actor(s) but the file has {len(actor_rows)} "
            "actor line(s)",
        )
    ids: list[str] = []
    descs: list[str] = []
    influence = np.zeros(len(actor_rows))
    positions = np.zeros((len(actor_rows), n_dims))
    saliences = np.zeros((len(actor_rows), n_dims))
    seen: dict[str, int] = {}
    for a, (lineno, fields) in enumerate(actor_rows):
        if len(fields) < expected_cols:
            err(
                lineno,
                "",
                f"actor line has {len(fields)} field(s), expected {expected_cols}",
            )
            ids.append(fields[0] if fields else f"row{a}")
            descs.append("")
            continue
        actor = fields[0]
        if not actor:
            err(lineno, "Actor", "empty actor id")
        elif actor in seen:
            err(lineno, "Actor", f"duplicate actor id {actor!r} (first on line {seen[actor]})")
        seen.setdefault(actor, lineno)
        ids.append(actor)
        descs.append(fields[1])

        def number(raw: str, field: str, lineno: int = lineno) -> float | None:
            try:
                value = float(raw)
            except ValueError:
                err(lineno, field, f"expected a number, got {raw!r}")
                return None
            if not np.isfinite(value):
                err(lineno, field, f"expected a finite number, got {raw!r}")
                return None
            if abs(value) > MAX_MAGNITUDE:
                err(lineno, field, f"too large to compute with: {raw!r} (|x| <= {MAX_MAGNITUDE:g})")
                return None
            return value

        cap = number(fields[2], header[2])
        if cap is not None:
            if cap <= 0:
                err(lineno, header[2], f"influence must be positive, got {cap:g}")
            influence[a] = cap
        for d in range(n_dims):
            pos_field, sal_field = header[3 + 2 * d], header[4 + 2 * d]
            pos = number(fields[3 + 2 * d], pos_field)
            sal = number(fields[4 + 2 * d], sal_field)
            if pos is not None:
                if not 0.0 <= pos <= KTAB_SCALE:
                    err(lineno, pos_field, f"position must be in [0, 100], got {pos:g}")
                positions[a, d] = pos
            if sal is not None:
                if not 0.0 <= sal <= KTAB_SCALE:
                    err(lineno, sal_field, f"salience must be in [0, 100], got {sal:g}")
                saliences[a, d] = sal
        total = float(saliences[a].sum())
        if total > KTAB_SCALE:
            err(
                lineno,
                "Salience",
                f"saliences of {actor!r} add up to {total:g}; KTAB allows at most 100",
            )
        elif total <= 0.0:
            err(lineno, "Salience", f"saliences of {actor!r} are all zero; one must be > 0")

    if diags:
        raise InputError(diags)
    return KtabScenario(
        name=name,
        description=description,
        actors=tuple(ids),
        descriptions=tuple(descs),
        influence=influence,
        dimensions=dimensions,
        positions=positions,
        saliences=saliences,
        path=fname,
        line=line1,
        header_line=line2,
        actor_lines=tuple(lineno for lineno, _ in actor_rows),
    )
