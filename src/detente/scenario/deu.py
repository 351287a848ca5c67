"""The DEU III file format: a reader for the *Decision-making in the European Union* data.

Data: *Decision-making in the European Union* (DEU III), Arregui, J. & Perarnaud, C. (2021),
"The Decision-Making in the European Union (DEU III) dataset", CORA Repositori de Dades de
Recerca, doi:10.34810/data53, CC BY 4.0. Earlier waves: Thomson, Stokman, Achen & König (eds.),
*The European Union Decides* (Cambridge UP, 2006); Thomson et al. (2012), *European Union
Politics* 13(4).

The file layout (tab-separated, quoted header) is the one of the published ``.tsv`` export:

* metadata columns, among them ``prnr`` (proposal id, e.g. ``d04156`` = COM(2004)156, the
  leading ``d``/``n`` = co-decision/consultation file), ``isnr`` (issue id), ``prname``,
  ``proc`` (``COD``/``CNS``), ``counvte`` (Council voting rule), ``intro`` (date the
  Commission introduced the proposal) and ``finact`` (date of the final act; ``999`` = none);
* ``p<actor>`` positions and ``s<actor>`` saliences (both 0-100) for every actor code that has
  both columns (``com`` Commission, ``ep`` Parliament, then member states);
* ``rp`` the reference point (status quo) and ``out`` the decision outcome (0-100);
* row 2 (no proposal id) a capability proxy per actor under the ``p`` columns (GDP).

This module owns that format, beside the other importers (``scenario/ktab.py``,
``scenario/decide.py``): the reader and its dates (:func:`read_deu`, :func:`parse_deu_date`),
the Council voting weights by treaty period (:data:`COUNCIL_PERIODS`, :func:`treaty_period`),
actor capabilities under each mode (:func:`capabilities`), and a DEU issue or proposal as a
detente :class:`~detente.models.base.Problem` (:func:`issue_problem`,
:func:`proposal_problem`). The backtest that scores models on it is
:mod:`detente.analysis.backtest`.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.models._weights import weighted_mean
from detente.models.base import FloatArray, Problem
from detente.scenario.errors import one_line
from detente.scenario.quantity import MAX_MAGNITUDE
from detente.scenario.voting_power import (
    POWER_INDICES,
    CouncilRule,
    double_majority_rule,
    institution_power,
    power_index,
    weighted_rule,
)

#: Metadata columns of the DEU layout; never taken for actor columns even if a ``p``/``s`` pair
#: happened to match (``prnr`` vs a hypothetical ``srnr``).
METADATA_COLUMNS = frozenset(
    {
        "prnrnmc",
        "isnrnmc",
        "prnr",
        "prname",
        "isnr",
        "type",
        "council",
        "proc",
        "counvte",
        "proccde",
        "issues",
        "intro",
        "finact",
        "rp",
        "out",
    }
)
REQUIRED_COLUMNS = ("prnr", "rp", "out")
#: Cells read as "no value" (the published file uses empty cells; the others are common exports).
MISSING_TOKENS = frozenset({"", "na", "nan", ".", "-"})
SCALE_MIN, SCALE_MAX = 0.0, 100.0

#: DEU actor code -> (EU protocol country code, name). Institutions have no country code.
DEU_ACTORS: dict[str, tuple[str, str]] = {
    "com": ("", "European Commission"),
    "ep": ("", "European Parliament"),
    "at": ("AT", "Austria"),
    "be": ("BE", "Belgium"),
    "bu": ("BG", "Bulgaria"),
    "cr": ("HR", "Croatia"),
    "cy": ("CY", "Cyprus"),
    "cz": ("CZ", "Czechia"),
    "dk": ("DK", "Denmark"),
    "ee": ("EE", "Estonia"),
    "fi": ("FI", "Finland"),
    "fr": ("FR", "France"),
    "de": ("DE", "Germany"),
    "el": ("EL", "Greece"),
    "hu": ("HU", "Hungary"),
    "ie": ("IE", "Ireland"),
    "it": ("IT", "Italy"),
    "lv": ("LV", "Latvia"),
    "lt": ("LT", "Lithuania"),
    "lu": ("LU", "Luxembourg"),
    "mt": ("MT", "Malta"),
    "nl": ("NL", "Netherlands"),
    "pl": ("PL", "Poland"),
    "pt": ("PT", "Portugal"),
    "ro": ("RO", "Romania"),
    "si": ("SI", "Slovenia"),
    "sk": ("SK", "Slovakia"),
    "es": ("ES", "Spain"),
    "se": ("SE", "Sweden"),
    "uk": ("UK", "United Kingdom"),
}
INSTITUTIONS = ("com", "ep")

# --- Council voting weights by treaty period ------------------------------------------------
# Weighted votes before 1 May 2004: Art. 205(2) TEC (Amsterdam), as set by the 1994 Act of
# Accession (EU-15, total 87, QMV threshold 62).
_AMSTERDAM = {
    "de": 10, "fr": 10, "it": 10, "uk": 10, "es": 8, "be": 5, "el": 5, "nl": 5, "pt": 5,
    "at": 4, "se": 4, "dk": 3, "ie": 3, "fi": 3, "lu": 2,
}  # fmt: skip
# 1 May - 31 Oct 2004: Act of Accession 2003, Art. 26 (old weights plus the ten newcomers,
# total 124).
_ACCESSION_2004 = {
    **_AMSTERDAM,
    "pl": 8, "cz": 5, "hu": 5, "ee": 3, "lv": 3, "lt": 3, "si": 3, "sk": 3, "cy": 2, "mt": 2,
}  # fmt: skip
# From 1 Nov 2004: Treaty of Nice, Protocol on enlargement Art. 3 and Act of Accession 2003
# Art. 12 (EU-25, total 321).
_NICE_25 = {
    "de": 29, "fr": 29, "it": 29, "uk": 29, "es": 27, "pl": 27, "nl": 13, "be": 12, "cz": 12,
    "el": 12, "hu": 12, "pt": 12, "at": 10, "se": 10, "dk": 7, "ie": 7, "lt": 7, "sk": 7,
    "fi": 7, "cy": 4, "ee": 4, "lv": 4, "lu": 4, "si": 4, "mt": 3,
}  # fmt: skip
# From 1 Jan 2007: Act of Accession 2005 Art. 22 (RO 14, BG 10; EU-27 total 345).
_NICE_27 = {**_NICE_25, "ro": 14, "bu": 10}
# From 1 Jul 2013: Act of Accession 2012 Art. 20 (HR 7; EU-28 total 352).
_NICE_28 = {**_NICE_27, "cr": 7}
# From 1 Nov 2014: double majority (Art. 16(4) TEU, Art. 238(3) TFEU); a member state's weight
# is its share (%) of the Union population in Annex III of the Council's Rules of Procedure as
# amended by Council Decision (EU, Euratom) 2015/2393 (figures for 2016, Eurostat data as at
# 30 Sep 2015; EU-28 total 508 940 955). One table serves the whole Lisbon period.
_LISBON_2016 = {
    "de": 15.93, "fr": 13.04, "uk": 12.73, "it": 12.07, "es": 9.12, "pl": 7.47, "ro": 3.90,
    "nl": 3.37, "be": 2.21, "el": 2.13, "cz": 2.05, "pt": 2.04, "hu": 1.94, "se": 1.92,
    "at": 1.69, "bu": 1.42, "dk": 1.11, "fi": 1.08, "sk": 1.06, "ie": 0.91, "cr": 0.83,
    "lt": 0.57, "si": 0.41, "lv": 0.39, "ee": 0.26, "cy": 0.17, "lu": 0.11, "mt": 0.08,
}  # fmt: skip


@dataclass(frozen=True)
class TreatyPeriod:
    """A period with one table of Council voting weights (member-state code -> weight)."""

    name: str
    start: date
    weights: Mapping[str, float]
    source: str


COUNCIL_PERIODS: tuple[TreatyPeriod, ...] = (
    TreatyPeriod("Amsterdam EU-15", date(1995, 1, 1), _AMSTERDAM, "Art. 205(2) TEC"),
    TreatyPeriod(
        "Accession EU-25 (transitional)", date(2004, 5, 1), _ACCESSION_2004, "AA 2003 Art. 26"
    ),
    TreatyPeriod("Nice EU-25", date(2004, 11, 1), _NICE_25, "Treaty of Nice; AA 2003 Art. 12"),
    TreatyPeriod("Nice EU-27", date(2007, 1, 1), _NICE_27, "AA 2005 Art. 22"),
    TreatyPeriod("Nice EU-28", date(2013, 7, 1), _NICE_28, "AA 2012 Art. 20"),
    TreatyPeriod(
        "Lisbon double majority", date(2014, 11, 1), _LISBON_2016, "Council Decision 2015/2393"
    ),
)
CAPABILITY_MODES = ("equal", "gdp", "council", *POWER_INDICES)

#: The qualified majority of each weighted-votes period: (weight quota, minimum member states).
#: Sources as in :data:`COUNCIL_PERIODS`; the Lisbon period is a double majority
#: (:func:`council_rule`).
_QMV_QUOTAS: dict[str, tuple[int, int]] = {
    "Amsterdam EU-15": (62, 0),
    "Accession EU-25 (transitional)": (88, 0),
    "Nice EU-25": (232, 13),
    "Nice EU-27": (255, 14),
    "Nice EU-28": (260, 15),
}


def council_rule(period: TreatyPeriod) -> CouncilRule:
    """The period's qualified-majority rule as a simple game (:mod:`.voting_power`)."""
    if period.name in _QMV_QUOTAS:
        quota, states = _QMV_QUOTAS[period.name]
        return weighted_rule(period.name, period.weights, quota, states, period.source)
    return double_majority_rule(period.name, period.weights, source=period.source)


class DeuFormatError(ValueError):
    """Bad input in a DEU file; the message is ``file:line: column: problem``.

    A problem of the whole file (``line`` 0: missing, unreadable) is ``file: problem``.
    """

    def __init__(self, path: str | Path, line: int, column: str, problem: str) -> None:
        self.path, self.line, self.column, self.problem = str(path), line, column, problem
        where = f"{path}:{line}: {column}" if line else f"{path}"
        super().__init__(one_line(f"{where}: {problem}"))


# --- Reader ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeuIssue:
    """One scored issue: the actors with both a position and a salience on it.

    ``salience`` is rescaled to [0, 1]; ``reference`` is NaN where the file gives none.
    """

    proposal: str
    issue: str
    line: int
    actors: tuple[str, ...]
    position: FloatArray
    salience: FloatArray
    reference: float
    outcome: float


@dataclass(frozen=True)
class DeuProposal:
    """A legislative proposal and its scored issues (``decided`` None when not adopted/coded)."""

    id: str
    name: str
    procedure: str
    voting: str
    introduced: date | None
    decided: date | None
    issues: tuple[DeuIssue, ...]

    @property
    def period_date(self) -> date | None:
        """The date whose treaty rules apply: the final act, else the introduction."""
        return self.decided or self.introduced or _year_from_id(self.id)


@dataclass(frozen=True)
class Exclusion:
    """An issue (or a model run on it) left out, with the reason."""

    proposal: str
    issue: str
    line: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "proposal": self.proposal,
            "issue": self.issue,
            "line": self.line,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DeuData:
    """The contents of a DEU file: proposals with their scored issues, and what was left out."""

    path: str
    actors: tuple[str, ...]
    capability_row: Mapping[str, float]
    proposals: tuple[DeuProposal, ...]
    excluded: tuple[Exclusion, ...]

    @property
    def issues(self) -> tuple[DeuIssue, ...]:
        return tuple(i for p in self.proposals for i in p.issues)

    def proposal_of_issue(self) -> NDArray[np.intp]:
        """For each issue in :attr:`issues` order, the index of its proposal."""
        return np.asarray(
            [k for k, p in enumerate(self.proposals) for _ in p.issues], dtype=np.intp
        )


def _year_from_id(proposal_id: str) -> date | None:
    """1 July of the year encoded in a DEU proposal id (``d04156`` -> 2004), if any."""
    m = re.match(r"^[A-Za-z]+(\d{2})", proposal_id)
    if not m:
        return None
    return date(_century(int(m.group(1))), 7, 1)


def _century(yy: int) -> int:
    # DEU covers proposals from 1995 on: a two-digit year >= 50 is 19yy, else 20yy.
    return 1900 + yy if yy >= 50 else 2000 + yy


def _safe_date(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_deu_date(text: str, after: date | None = None) -> date | None:
    """Parse a DEU date cell; None for missing (``999``, empty) or unparseable cells.

    The file's dates are ``dd-mm-yy`` (or ``dd-mm-yyyy``). Some cells were turned into
    ``yyyy-mm-dd`` look-alikes by a spreadsheet: ``30-05-01`` became ``1930-05-01``, i.e. the
    last two digits of the "year" are the day, the "day" is the two-digit year. Such a cell is
    read that way when the result is a valid date no earlier than ``after`` (the introduction
    date, for final acts); otherwise it is read as a true ISO date.
    """
    text = text.strip()
    m = re.fullmatch(r"(\d{1,2})[-./](\d{1,2})[-./](\d{2}|\d{4})", text)
    if m:
        d, mo, y = int(m.group(1)), int(m.group(2)), m.group(3)
        return _safe_date(int(y) if len(y) == 4 else _century(int(y)), mo, d)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text)
    if m:
        yyyy, mo, dd = int(m.group(1)), int(m.group(2)), int(m.group(3))
        mangled = _safe_date(_century(dd), mo, yyyy % 100)
        literal = _safe_date(yyyy, mo, dd)
        for cand in (mangled, literal):
            if cand is not None and (after is None or cand >= after):
                return cand
        return mangled or literal
    return None


def _number(
    path: Path, line: int, column: str, text: str, lo: float | None, hi: float | None
) -> float:
    """A numeric cell (NaN when missing); DeuFormatError naming the cell otherwise."""
    t = text.strip()
    if t.lower() in MISSING_TOKENS:
        return math.nan
    expectation = (
        f"a number in {lo:g}..{hi:g} or an empty cell"
        if lo is not None and hi is not None
        else "a positive number or an empty cell"
    )
    try:
        value = float(t.replace(",", ".")) if t.count(",") == 1 and "." not in t else float(t)
    except ValueError:
        raise DeuFormatError(path, line, column, f"{t!r} is not {expectation}") from None
    if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
        raise DeuFormatError(path, line, column, f"{t!r} is not {expectation}")
    if lo is not None and hi is not None and not lo <= value <= hi:
        raise DeuFormatError(path, line, column, f"{t} is out of range, expected {expectation}")
    if lo is None and value <= 0:
        raise DeuFormatError(path, line, column, f"{t} is not {expectation}")
    return value


def read_deu(path: str | Path) -> DeuData:
    """Read a DEU-layout TSV file (see the module docstring for the layout).

    An actor is on an issue when it has both a position and a salience there. Issues without an
    outcome, or with fewer than two actors, are left out and listed in ``excluded``.

    Raises:
        DeuFormatError: missing file, missing or duplicate columns, ragged rows, non-numeric
            or out-of-range cells, duplicate issue ids.
    """
    from detente.scenario.importers import csv_rows, physical_lines

    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DeuFormatError(path, 0, "file", "no such file") from None
    except OSError as err:
        raise DeuFormatError(path, 0, "file", f"cannot read: {err.strerror or err}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise DeuFormatError(
            path, line, "file", f"not valid UTF-8 (byte 0x{data[err.start]:02x}), expected UTF-8"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise DeuFormatError(path, line, "file", "NUL byte (a binary file?), expected text")

    reader = csv.reader(physical_lines(text), delimiter="\t")
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for line_no, raw in csv_rows(reader, lambda: reader.line_num):
        if header is None:
            header = [h.strip() for h in raw]
            continue
        if not any(c.strip() for c in raw):
            continue
        rows.append((line_no, raw))
    if header is None:
        raise DeuFormatError(path, 1, "header", "empty file, expected a tab-separated header")

    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise DeuFormatError(path, 1, name, "duplicate column name")
        seen.add(name)
    for name in REQUIRED_COLUMNS:
        if name not in seen:
            raise DeuFormatError(
                path,
                1,
                name,
                f"missing column (the DEU layout needs {', '.join(REQUIRED_COLUMNS)})",
            )
    actors = tuple(
        h[1:]
        for h in header
        if h.startswith("p") and h not in METADATA_COLUMNS and f"s{h[1:]}" in seen and len(h) > 1
    )
    if len(actors) < 2:
        raise DeuFormatError(
            path, 1, "header", "expected p<actor> and s<actor> columns for at least two actors"
        )
    col = {name: i for i, name in enumerate(header)}

    def cell(row: list[str], name: str) -> str:
        i = col.get(name)
        return row[i].strip() if i is not None else ""

    capability_row: dict[str, float] = {}
    proposals: dict[str, dict[str, Any]] = {}
    excluded: list[Exclusion] = []
    issue_ids: set[str] = set()
    for line, row in rows:
        if len(row) != len(header):
            raise DeuFormatError(
                path, line, "row", f"{len(row)} tab-separated fields, expected {len(header)}"
            )
        pid = cell(row, "prnr")
        if not pid:
            if line == 2:  # the capability proxy row
                for a in actors:
                    v = _number(path, line, f"p{a}", cell(row, f"p{a}"), None, None)
                    if not math.isnan(v):
                        capability_row[a] = v
                continue
            raise DeuFormatError(path, line, "prnr", "empty proposal id, expected e.g. d04156")
        iid = cell(row, "isnr") or f"{pid}:line{line}"
        if iid in issue_ids:
            raise DeuFormatError(path, line, "isnr", f"duplicate issue id {iid!r}")
        issue_ids.add(iid)
        pos = np.array(
            [_number(path, line, f"p{a}", cell(row, f"p{a}"), SCALE_MIN, SCALE_MAX) for a in actors]
        )
        sal = np.array(
            [_number(path, line, f"s{a}", cell(row, f"s{a}"), 0.0, 100.0) for a in actors]
        )
        rp = _number(path, line, "rp", cell(row, "rp"), SCALE_MIN, SCALE_MAX)
        out = _number(path, line, "out", cell(row, "out"), SCALE_MIN, SCALE_MAX)
        entry = proposals.setdefault(
            pid,
            {
                "line": line,
                "name": cell(row, "prname"),
                "procedure": cell(row, "proc"),
                "voting": cell(row, "counvte"),
                "intro": cell(row, "intro"),
                "finact": cell(row, "finact"),
                "issues": [],
            },
        )
        on = ~np.isnan(pos) & ~np.isnan(sal)
        if math.isnan(out):
            excluded.append(Exclusion(pid, iid, line, "no outcome"))
            continue
        if int(on.sum()) < 2:
            excluded.append(
                Exclusion(pid, iid, line, "fewer than two actors with position and salience")
            )
            continue
        entry["issues"].append(
            DeuIssue(
                proposal=pid,
                issue=iid,
                line=line,
                actors=tuple(a for a, k in zip(actors, on, strict=True) if k),
                position=pos[on],
                salience=sal[on] / 100.0,
                reference=rp,
                outcome=out,
            )
        )

    built: list[DeuProposal] = []
    for pid, e in proposals.items():
        if not e["issues"]:
            continue
        intro = parse_deu_date(e["intro"])
        built.append(
            DeuProposal(
                id=pid,
                name=e["name"],
                procedure=e["procedure"],
                voting=e["voting"],
                introduced=intro,
                decided=parse_deu_date(e["finact"], after=intro),
                issues=tuple(e["issues"]),
            )
        )
    if not built:
        raise DeuFormatError(path, 1, "out", "no issue with an outcome and two or more actors")
    return DeuData(
        path=str(path),
        actors=actors,
        capability_row=capability_row,
        proposals=tuple(built),
        excluded=tuple(excluded),
    )


# --- Capabilities ------------------------------------------------------------------------------


def treaty_period(when: date | None) -> TreatyPeriod:
    """The Council voting regime in force on ``when`` (None: the latest, see docs)."""
    if when is None:
        return COUNCIL_PERIODS[-1]
    current = COUNCIL_PERIODS[0]
    for p in COUNCIL_PERIODS:
        if when >= p.start:
            current = p
    return current


def _council_weight(actor: str, period: TreatyPeriod) -> float | None:
    w = period.weights.get(actor)
    if w is not None:
        return float(w)
    # A member state coded by the experts before it had a Council vote at the decision date
    # (e.g. an observer during accession): its first weight after that date.
    later = [p for p in COUNCIL_PERIODS if p.start > period.start and actor in p.weights]
    return float(later[0].weights[actor]) if later else None


def capabilities(
    data: DeuData, proposal: DeuProposal, actors: Sequence[str], mode: str
) -> FloatArray:
    """Capability of each of ``actors`` on ``proposal`` under ``mode`` (see ``CAPABILITY_MODES``).

    * ``equal``: 1 for everyone, so the compromise weight is the salience.
    * ``gdp``: the file's row 2 (GDP proxy; the file itself gives the Commission and the
      Parliament a value).
    * ``council``: the member state's Council voting weight in the treaty period of the
      proposal's decision date; the Commission and the Parliament get the mean member-state
      weight of that period (co-legislators treated as average players, a documented choice).
    * ``shapley-shubik`` / ``banzhaf``: the member state's a priori voting power under the
      period's qualified-majority rule (:func:`council_rule`, :mod:`.voting_power`); the
      Commission and the Parliament get the largest member state's index.

    Raises:
        DeuFormatError: an actor has no value under the chosen mode.
    """
    if mode == "equal":
        return np.ones(len(actors))
    if mode == "gdp":
        out = []
        for a in actors:
            if a not in data.capability_row:
                raise DeuFormatError(
                    data.path,
                    2,
                    f"p{a}",
                    "no capability value in row 2 (needed by --capability gdp)",
                )
            out.append(data.capability_row[a])
        return np.asarray(out, dtype=np.float64)
    if mode == "council":
        period = treaty_period(proposal.period_date)
        mean_weight = float(np.mean(list(period.weights.values())))
        vals = []
        for a in actors:
            w = mean_weight if a in INSTITUTIONS else _council_weight(a, period)
            if w is None:
                line = proposal.issues[0].line if proposal.issues else 1
                raise DeuFormatError(
                    data.path,
                    line,
                    f"p{a}",
                    f"actor {a!r} has no Council voting weight (known: EU member-state codes "
                    f"{', '.join(sorted(DEU_ACTORS))})",
                )
            vals.append(w)
        return np.asarray(vals, dtype=np.float64)
    if mode in POWER_INDICES:
        period = treaty_period(proposal.period_date)
        index = power_index(council_rule(period), mode)
        vals = []
        for a in actors:
            v = (
                institution_power(council_rule(period), mode)
                if a in INSTITUTIONS
                else _power_of(a, period, mode, index)
            )
            if v is None:
                line = proposal.issues[0].line if proposal.issues else 1
                raise DeuFormatError(
                    data.path,
                    line,
                    f"p{a}",
                    f"actor {a!r} has no Council voting power (known: EU member-state codes "
                    f"{', '.join(sorted(DEU_ACTORS))})",
                )
            vals.append(v)
        return np.asarray(vals, dtype=np.float64)
    raise ValueError(f"capability mode {mode!r}, expected one of {', '.join(CAPABILITY_MODES)}")


def _power_of(
    actor: str, period: TreatyPeriod, mode: str, index: Mapping[str, float]
) -> float | None:
    if actor in index:
        return index[actor]
    # Coded before it had a Council vote: its index in the first later period (as the weights).
    later = [p for p in COUNCIL_PERIODS if p.start > period.start and actor in p.weights]
    return power_index(council_rule(later[0]), mode)[actor] if later else None


# --- Problems ---------------------------------------------------------------------------------


def issue_problem(issue: DeuIssue, capability: FloatArray, name: str = "") -> Problem:
    """A one-draw, one-issue detente Problem on the 0-100 scale, status quo = ``rp``."""
    return Problem.single(
        actors=issue.actors,
        issues=(issue.issue,),
        capability=capability,
        position=issue.position,
        salience=issue.salience,
        scale_min=[SCALE_MIN],
        scale_max=[SCALE_MAX],
        status_quo=[issue.reference],
        name=name or issue.proposal,
    )


def proposal_problem(proposal: DeuProposal, capability_of: Mapping[str, float]) -> Problem:
    """A one-draw Problem over all issues of a proposal (for multi-issue models).

    An actor absent from an issue gets salience 0 there, at the issue's capability×salience
    weighted mean: with zero salience it neither pulls the outcome nor gains from moving, so
    it is neutral in an exchange of positions (Stokman & Van Oosten 1994).
    """
    actors = tuple(dict.fromkeys(a for i in proposal.issues for a in i.actors))
    index = {a: n for n, a in enumerate(actors)}
    k = len(proposal.issues)
    pos = np.zeros((len(actors), k))
    sal = np.zeros((len(actors), k))
    for j, iss in enumerate(proposal.issues):
        w = np.array([capability_of[a] for a in iss.actors]) * iss.salience
        fill = float(weighted_mean(iss.position, w))
        pos[:, j] = fill if math.isfinite(fill) else (SCALE_MIN + SCALE_MAX) / 2.0
        for a, x, s in zip(iss.actors, iss.position, iss.salience, strict=True):
            pos[index[a], j] = x
            sal[index[a], j] = s
    return Problem.single(
        actors=actors,
        issues=tuple(i.issue for i in proposal.issues),
        capability=[capability_of[a] for a in actors],
        position=pos,
        salience=sal,
        scale_min=np.full(k, SCALE_MIN),
        scale_max=np.full(k, SCALE_MAX),
        status_quo=[i.reference for i in proposal.issues],
        name=proposal.id,
    )
