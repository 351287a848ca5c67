"""The record, as data: what the coalition (US + ROK) and Pyongyang did, month by month (issue 16,
item 5).

A script beside the table it derives, not part of the detente library (it imports nothing from
detente; the library reads the result with :func:`detente.scenario.record.read_record`). It
writes three files, byte-identical for the same inputs:

* ``korea-record.csv`` — one row per month, October 2021 to the last month that both missile
  files cover completely (the hindcast window is October 2021 – December 2024; after that only
  the data columns are filled and the named-assumption columns are empty, "not assessed");
* ``korea-record.basis.json`` — each column's type, kind (``data`` or ``assumption``) and basis
  (the file and the computation, or the named assumptions it rests on), every named assumption
  (the fact, its date, the confidence, a public reference), and the sources with their SHA-256;
* ``korea-record.md`` — the same for a reader, with the yearly totals and every month in which
  the two missile files disagree.

Data (``shared/data/korea``, see ``shared/README.md``):

* ``nk-missile-tests.json`` — CNS North Korea Missile Test Database (James Martin Center for
  Nonproliferation Studies / NTI), via nagix/nk-missile-tests (Apache-2.0). One record per
  missile; the ``date`` field is the UTC date, ``time`` is ``HH:MM (UTC)`` or ``unknown``;
  salvos number their missiles with ``series`` 1..k. **Primary** for launches (see
  :data:`PRIMARY_REASON`).
* ``csis-dprk-provocations-1958-present.csv`` — the CSIS provocations database compiled in
  stiles/north-korea-provocations (CC0; content from CSIS Beyond Parallel). One row per
  provocation, local dates. A cross-check for launches; the source for nuclear tests.
* ``csis-us-dprk-negotiations.csv`` — CSIS Beyond Parallel US–DPRK negotiation events; it ends
  in August 2018, so talks in the window rest on a named assumption.
* ``fas-warheads-north-korea.csv`` — FAS (Kristensen & Korda) warhead estimates via Our World
  in Data, annual, 2015–2023.

Reproduce the shipped files (from the repository root)::

    python scenarios/data/derive_korea_record.py ../shared/data/korea -o scenarios/data
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

CNS_FILE = "nk-missile-tests.json"
CSIS_FILE = "csis-dprk-provocations-1958-present.csv"
NEGOTIATIONS_FILE = "csis-us-dprk-negotiations.csv"
WARHEAD_FILE = "fas-warheads-north-korea.csv"

OUT_CSV = "korea-record.csv"
OUT_BASIS = "korea-record.basis.json"
OUT_MD = "korea-record.md"

START = "2021-10"  #: the Cato op-ed's month; the first row
ASSESSED_END = "2024-12"  #: the last month the named-assumption columns are assessed for
KST = timedelta(hours=9)  #: Korea Standard Time, UTC+9, no daylight saving since 1988

#: CNS ``missile`` values that are intercontinental ballistic missiles.
ICBM_TYPES = ("hwasong-14", "hwasong-15", "hwasong-17", "hwasong-18", "hwasong-19")
#: The last ICBM launch before the 2018 moratorium (CNS: Hwasong-15, 28 Nov 2017 UTC).
LAST_PRE_MORATORIUM_ICBM = "2017-11-29"

PRIMARY_REASON = (
    "The CNS database is primary for launches: it is a dedicated missile-test database with "
    "one record per missile, a launch time (so every launch gets its Korean local date), the "
    "missile type (so ICBMs are identified) and a consistent scope (ballistic missiles and "
    "satellite launch vehicles). The CSIS provocations list is a cross-check: it also counts "
    "cruise, anti-aircraft and multiple-rocket launches under 'Missile Provocation', labels "
    "events inconsistently (a Hwasong-8 launch of 5 Jan 2022 is labelled 'Nuclear Detonation "
    "Device'), and keeps some launches under 'Other Provocation' (the satellite launch of 21 Nov "
    "2023). Launch days are the primary measure rather than events, because an event depends on "
    "how each source groups a salvo, while a day does not."
)

ATTRIBUTION: dict[str, str] = {
    CNS_FILE: "CNS North Korea Missile Test Database (James Martin Center for Nonproliferation "
    "Studies, published by NTI), via nagix/nk-missile-tests (Apache-2.0).",
    CSIS_FILE: "CSIS Beyond Parallel provocations database 1958-present, as compiled in "
    "stiles/north-korea-provocations (CC0); content from CSIS.",
    NEGOTIATIONS_FILE: "CSIS Beyond Parallel (Center for Strategic and International Studies), "
    "US-DPRK negotiation events 1990-2018; attribute CSIS.",
    WARHEAD_FILE: "Federation of American Scientists (H. M. Kristensen, M. Korda), Status of "
    "World Nuclear Forces, via Our World in Data (CC BY 4.0).",
}


# --------------------------------------------------------------------------------------------
# Named assumptions: facts of the public record that are not in the data files
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Assumption:
    """A fact of the public record, stated with its date, how sure we are, and where to check."""

    fact: str
    dates: str
    confidence: str  # "high" or "medium"
    reference: str


ASSUMPTIONS: dict[str, Assumption] = {
    "no-talks": Assumption(
        "No US-DPRK or inter-Korean negotiation at the working level or above was held from "
        "October 2021 to December 2024. The last US-DPRK working-level talks were in Stockholm "
        "on 5 October 2019 and broke down that day; the last leaders' meeting was at Panmunjom "
        "on 30 June 2019. US offers to meet 'anywhere, anytime without preconditions' (from "
        "June 2021) went unanswered.",
        "2021-10..2024-12 (last talks 2019-10-05)",
        "high",
        "CSIS negotiations file ends 2018-08 (Panmunjom working-level talks); no later source "
        "in shared/data/korea",
    ),
    "declaration-not-offered": Assumption(
        "The US and the ROK never jointly offered an end-of-war declaration to Pyongyang, and "
        "none was agreed or signed. 'Offered' here means a text the two allies put to "
        "Pyongyang together: that never happened. The ROK alone proposed a declaration "
        "(see rok-proposal); Washington did not endorse a text (Sullivan, late October 2021: "
        "the allies 'may have somewhat different perspectives on the precise sequence or "
        "timing or conditions').",
        "2021-10..2024-12",
        "high",
        "shared/reviews/korea-scenario-review.md section 2.2",
    ),
    "rok-proposal": Assumption(
        "President Moon Jae-in proposed an end-of-war declaration at the UN General Assembly "
        "on 21 September 2021 and pursued it until he left office on 9 May 2022; Kim Yo Jong "
        "(24 September 2021) called it 'interesting and admirable' but demanded that 'hostile "
        "policy' and 'double standards' go first. The Yoon government (from 10 May 2022) did "
        "not pursue it. Value 1 while Moon was in office at the end of the month.",
        "2021-09-21..2022-05-09",
        "high (the proposal and its dates); medium (that it stayed active to the last day)",
        "shared/reviews/korea-scenario-review.md section 2.2",
    ),
    "hotline": Assumption(
        "The inter-Korean liaison and military lines were restored on 27 July 2021; North "
        "Korea stopped answering on 10 August 2021 in protest at the combined exercises; it "
        "restored them at 09:00 on 4 October 2021; it answered the twice-daily routine calls "
        "until 6 April 2023 and stopped answering from 7 April 2023, and the lines stayed "
        "unanswered to December 2024. Value 1 if North Korea answered routine calls at the "
        "end of the month. NB: the break is April 2023, not April 2022.",
        "2021-10-04 restored; 2023-04-07 unanswered",
        "high (4 Oct 2021, 7 Apr 2023); medium (no resumption to Dec 2024)",
        "KCNA 2021-10-04; Yonhap 2023-04-07 (AEN20230407006352325), 2023-04-11",
    ),
    "exercises-scaled-down": Assumption(
        "From the Singapore summit (12 June 2018) the large combined US-ROK field exercises "
        "were suspended or scaled down and replaced by computer-simulated command-post "
        "training with limited field training; the August 2021 and spring 2022 combined "
        "training were of this kind.",
        "2018-06..2022-07",
        "high",
        "shared/reviews/korea-scenario-review.md section 2.1 (status quo: field exercises "
        "scaled down since 2018)",
    ),
    "exercises-full-scale": Assumption(
        "Ulchi Freedom Shield, 22 August - 1 September 2022, was the first combined exercise "
        "with large-scale field training since 2018; large field training continued "
        "afterwards (Vigilant Storm, 31 October - 5 November 2022; Freedom Shield, March 2023).",
        "from 2022-08-22",
        "high",
        "news reports of 2022-08-22 (e.g. NK News, Japan Times)",
    ),
    "unsc-veto-2022": Assumption(
        "On 26 May 2022 China and Russia vetoed a US-drafted Security Council resolution that "
        "would have tightened sanctions on the DPRK after its ICBM launches (13 in favour, 2 "
        "against): the first veto on a DPRK sanctions resolution since 2006.",
        "2022-05-26",
        "high",
        "UN Security Council vote of 2022-05-26 (S/2022/431)",
    ),
    "unsc-veto-2024": Assumption(
        "On 28 March 2024 Russia vetoed the renewal of the mandate of the 1718 Committee's "
        "Panel of Experts, which monitored the sanctions (China abstained); the panel ended "
        "on 30 April 2024.",
        "2024-03-28",
        "high",
        "UN Security Council vote of 2024-03-28",
    ),
    "rok-government": Assumption(
        "Moon Jae-in's government until 9 May 2022; ROK presidential election 9 March 2022, "
        "won by Yoon Suk Yeol, inaugurated 10 May 2022. Value: the president in office at the "
        "end of the month. Yoon declared martial law on 3 December 2024 and was impeached on "
        "14 December 2024 (powers suspended, an acting president); the December 2024 row "
        "still says 'yoon'.",
        "2022-03-09 election; 2022-05-10 inauguration; 2024-12-14 impeachment",
        "high",
        "National Election Commission of the ROK; public record",
    ),
    "moratorium": Assumption(
        "On 20 April 2018 the Workers' Party plenum announced that North Korea would stop "
        "nuclear tests and ICBM test launches from 21 April 2018 (the moratorium). The column "
        "itself is computed from the CNS data: it ends with the first ICBM launch since 2017.",
        "2018-04-21",
        "high",
        "KCNA 2018-04-21",
    ),
}


# --------------------------------------------------------------------------------------------
# Columns: name, type, kind, basis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of the table and its basis."""

    name: str
    type: str  # "int" | "str"
    kind: str  # "data" | "assumption"
    basis: str
    assumptions: tuple[str, ...] = ()
    values: tuple[str, ...] = ()  # allowed values of a str column


def _columns(negotiations_last: str) -> tuple[Column, ...]:
    local = (
        "local date = the CNS UTC 'date' + 'time' + 9 h (KST); a record with time 'unknown' "
        "takes the local date of its salvo's first record, or its 'date' if it has none"
    )
    event = (
        "an event = a record without 'series' or with series 1, plus the records with series "
        "2..k that follow it"
    )
    return (
        Column("month", "str", "data", "calendar month YYYY-MM, Korean local time; contiguous"),
        Column(
            "talks_held",
            "int",
            "assumption",
            "1 if a US-DPRK or inter-Korean negotiation at the working level or above was held "
            f"in the month. {NEGOTIATIONS_FILE} has no row after {negotiations_last} (its last "
            "event), so it is silent on the window; every value rests on assumption no-talks.",
            ("no-talks",),
        ),
        Column(
            "coalition_declaration_offered",
            "int",
            "assumption",
            "1 if the US and the ROK jointly offered Pyongyang an end-of-war declaration in the "
            "month: never.",
            ("declaration-not-offered",),
        ),
        Column(
            "rok_declaration_proposal",
            "int",
            "assumption",
            "1 while the ROK government's own proposal of a declaration stood (Moon in office "
            "at the end of the month).",
            ("rok-proposal", "rok-government"),
        ),
        Column(
            "cns_launch_days",
            "int",
            "data",
            f"PRIMARY. {CNS_FILE}: number of distinct local dates with at least one record in "
            f"the month ({local}).",
        ),
        Column(
            "cns_launch_events",
            "int",
            "data",
            f"{CNS_FILE}: number of launch events whose first record falls in the month ({event}).",
        ),
        Column("cns_missiles", "int", "data", f"{CNS_FILE}: number of records (missiles)."),
        Column(
            "cns_icbm_launches",
            "int",
            "data",
            f"{CNS_FILE}: number of launch events with a record whose 'missile' is one of "
            f"{', '.join(ICBM_TYPES)} (failures included).",
        ),
        Column(
            "icbm_moratorium",
            "int",
            "data",
            f"{CNS_FILE}: 1 in months before the first month with an ICBM record after "
            f"{LAST_PRE_MORATORIUM_ICBM} (local), 0 from that month on; the moratorium's start "
            "is assumption moratorium.",
            ("moratorium",),
        ),
        Column(
            "csis_missile_days",
            "int",
            "data",
            f"{CSIS_FILE}: number of distinct dates with a row of type 'Missile Provocation'.",
        ),
        Column(
            "csis_missile_events",
            "int",
            "data",
            f"{CSIS_FILE}: number of rows of type 'Missile Provocation' (includes cruise, "
            "anti-aircraft and multiple-rocket launches).",
        ),
        Column(
            "csis_icbm_events",
            "int",
            "data",
            f"{CSIS_FILE}: number of rows whose 'event' contains 'intercontinental' "
            "(case-insensitive).",
        ),
        Column(
            "nuclear_tests",
            "int",
            "data",
            f"{CSIS_FILE}: number of rows of type 'Nuclear Provocation' whose 'event' contains "
            "'Nuclear Test' (the last is 2017-09-03).",
        ),
        Column(
            "hotline_answered",
            "int",
            "assumption",
            "1 if North Korea answered the routine inter-Korean liaison and military calls at "
            "the end of the month.",
            ("hotline",),
        ),
        Column(
            "exercise_posture",
            "str",
            "assumption",
            "'scaled_down' (computer-simulated command-post training, limited field training) "
            "or 'full_scale' (large combined field training), the posture in force at the end "
            "of the month.",
            ("exercises-scaled-down", "exercises-full-scale"),
            ("scaled_down", "full_scale"),
        ),
        Column(
            "unsc_new_sanctions_veto",
            "int",
            "assumption",
            "1 in the month a permanent member vetoed a draft resolution imposing new "
            "sanctions on the DPRK.",
            ("unsc-veto-2022",),
        ),
        Column(
            "unsc_panel_veto",
            "int",
            "assumption",
            "1 in the month a permanent member vetoed the renewal of the sanctions Panel of "
            "Experts.",
            ("unsc-veto-2024",),
        ),
        Column(
            "rok_president",
            "str",
            "assumption",
            "the ROK president in office at the end of the month.",
            ("rok-government",),
            ("moon", "yoon"),
        ),
        Column(
            "fas_warheads",
            "int",
            "data",
            f"{WARHEAD_FILE}: the estimate for the month's calendar year (annual; empty for a "
            "year the file lacks). FAS's 2021 estimate (20) is below its 2020 one (35): a change "
            "of method (assembled warheads), not a reduction.",
        ),
    )


# --------------------------------------------------------------------------------------------
# Loading (bad input -> ValueError naming the file and the place)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Launch:
    """One CNS record with its Korean local date and the event it belongs to."""

    local_date: str
    utc_date: str
    event: int
    missile: str
    icbm: bool
    description: str


def _month(day: str) -> str:
    return day[:7]


def _local_date(utc_date: str, time: str, where: str) -> str | None:
    match = re.fullmatch(r"(\d\d):(\d\d) \(UTC\)", time.strip())
    if match is None:
        if time.strip() != "unknown":
            raise ValueError(f"{where}: field 'time' has {time!r}, expected 'HH:MM (UTC)'")
        return None
    try:
        moment = datetime.strptime(f"{utc_date} {match[1]}:{match[2]}", "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(f"{where}: field 'date' has {utc_date!r}, expected YYYY-MM-DD") from None
    return (moment + KST).date().isoformat()


def load_cns(data_dir: Path) -> list[Launch]:
    """CNS records as :class:`Launch` rows, in file order, with local dates and event ids."""
    path = data_dir / CNS_FILE
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("timeBins"), list):
        raise ValueError(f"{path}: missing key 'timeBins' (a list of {{year, data}})")
    out: list[Launch] = []
    event = -1
    event_date = ""
    previous_utc = ""
    for b, time_bin in enumerate(raw["timeBins"]):
        records = time_bin.get("data") if isinstance(time_bin, dict) else None
        if not isinstance(records, list):
            raise ValueError(f"{path}: timeBins[{b}] has no 'data' list")
        for r, record in enumerate(records):
            where = f"{path}: timeBins[{b}].data[{r}]"
            if not isinstance(record, dict):
                raise ValueError(f"{where}: not an object")
            for key in ("date", "time", "missile"):
                if not isinstance(record.get(key), str):
                    raise ValueError(f"{where}: missing field {key!r}")
            utc = record["date"]
            series = record.get("series")
            if series is not None and (not isinstance(series, int) or series < 1):
                raise ValueError(f"{where}: field 'series' has {series!r}, expected 1, 2, ...")
            local = _local_date(utc, record["time"], where)
            joins = series is not None and series > 1
            if joins and (event < 0 or utc[:7] != previous_utc[:7]):
                raise ValueError(f"{where}: series {series} does not follow its salvo")
            if not joins:
                event += 1
                event_date = local or utc
            elif local is None:
                local = event_date
            if len(utc) == 7 and local is None:  # a few 1980s-90s tests give the month only
                local = f"{utc}-01"
            if local is None:
                try:
                    local = date.fromisoformat(utc).isoformat()
                except ValueError:
                    raise ValueError(
                        f"{where}: field 'date' has {utc!r}, expected YYYY-MM[-DD]"
                    ) from None
            previous_utc = utc
            missile = record["missile"].strip().lower()
            out.append(
                Launch(
                    local_date=local,
                    utc_date=utc,
                    event=event,
                    missile=missile,
                    icbm=missile in ICBM_TYPES,
                    description=str(record.get("description", "")),
                )
            )
    if not out:
        raise ValueError(f"{path}: no records")
    return out


def _read_csv(path: Path, columns: Sequence[str]) -> list[dict[str, str]]:
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    # utf-8-sig: the CSIS exports start with a byte-order mark
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        header = [h.strip() for h in reader.fieldnames or []]
        for column in columns:
            if column not in header:
                raise ValueError(f"{path}: missing column {column!r} (have {header})")
        return [
            {str(k).strip(): (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
        ]


@dataclass(frozen=True)
class Provocation:
    """One row of the CSIS 1958-present list."""

    date: str
    type: str
    event: str


def load_csis(data_dir: Path) -> list[Provocation]:
    """CSIS provocation rows with a checked ``YYYY-MM-DD`` date, sorted by date (stable)."""
    path = data_dir / CSIS_FILE
    rows = _read_csv(path, ("date", "type", "event"))
    out: list[Provocation] = []
    for line, row in enumerate(rows, start=2):
        try:
            day = date.fromisoformat(row["date"]).isoformat()
        except ValueError:
            raise ValueError(
                f"{path}:{line}: column 'date' has {row['date']!r}, expected YYYY-MM-DD"
            ) from None
        out.append(Provocation(day, row["type"], row["event"]))
    if not out:
        raise ValueError(f"{path}: no rows")
    return sorted(out, key=lambda p: p.date)


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def negotiation_months(data_dir: Path) -> list[str]:
    """The months (YYYY-MM) of the CSIS US-DPRK negotiation events, sorted."""
    path = data_dir / NEGOTIATIONS_FILE
    rows = _read_csv(path, ("Month", "Year"))
    out: list[str] = []
    for line, row in enumerate(rows, start=2):
        month = row["Month"][:3].title()
        if month not in _MONTHS or not row["Year"].isdigit():
            raise ValueError(f"{path}:{line}: Month/Year {row['Month']!r} {row['Year']!r}")
        out.append(f"{int(row['Year']):04d}-{_MONTHS.index(month) + 1:02d}")
    if not out:
        raise ValueError(f"{path}: no rows")
    return sorted(out)


def load_warheads(data_dir: Path) -> dict[int, int]:
    """FAS estimate by year."""
    path = data_dir / WARHEAD_FILE
    rows = _read_csv(path, ("year", "nuclear_warheads_estimate"))
    out: dict[int, int] = {}
    for line, row in enumerate(rows, start=2):
        try:
            out[int(row["year"])] = int(float(row["nuclear_warheads_estimate"]))
        except ValueError:
            raise ValueError(f"{path}:{line}: year/estimate is not a number") from None
    return out


# --------------------------------------------------------------------------------------------
# Derivation
# --------------------------------------------------------------------------------------------


def months_between(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive (YYYY-MM)."""
    y, m = int(start[:4]), int(start[5:7])
    out: list[str] = []
    while f"{y:04d}-{m:02d}" <= end:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def _previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def _assumed(month: str, column: str) -> str:
    """The value of a named-assumption column in ``month`` ('' after ASSESSED_END)."""
    if month > ASSESSED_END:
        return ""
    if column in ("talks_held", "coalition_declaration_offered"):
        return "0"
    if column == "rok_president":
        return "moon" if month <= "2022-04" else "yoon"
    if column == "rok_declaration_proposal":
        return "1" if month <= "2022-04" else "0"
    if column == "hotline_answered":
        return "1" if month <= "2023-03" else "0"
    if column == "exercise_posture":
        return "scaled_down" if month <= "2022-07" else "full_scale"
    if column == "unsc_new_sanctions_veto":
        return "1" if month == "2022-05" else "0"
    if column == "unsc_panel_veto":
        return "1" if month == "2024-03" else "0"
    raise KeyError(column)


@dataclass(frozen=True)
class Derived:
    """The table and what the report says about it."""

    columns: tuple[Column, ...]
    rows: tuple[dict[str, str], ...]
    end: str
    negotiations_last: str
    first_icbm: str
    first_icbm_success: str
    last_nuclear_test: str
    cns_only: dict[str, tuple[str, ...]]
    csis_only: dict[str, tuple[str, ...]]
    icbm_text_not_type: tuple[str, ...]
    utc_days_per_year: dict[int, int]
    sources: dict[str, str]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def derive(data_dir: Path | str) -> Derived:
    """Compute the monthly table from the files in ``data_dir``."""
    data_dir = Path(data_dir)
    launches = load_cns(data_dir)
    csis = load_csis(data_dir)
    negotiations = negotiation_months(data_dir)
    warheads = load_warheads(data_dir)

    # the last month each missile file covers completely: the month before its last record's
    end = min(
        _previous_month(_month(max(launch.local_date for launch in launches))),
        _previous_month(_month(csis[-1].date)),
    )
    if end < ASSESSED_END:
        raise ValueError(
            f"{data_dir}: the missile files end before {ASSESSED_END} (complete to {end})"
        )
    months = months_between(START, end)
    talks_in_window = [m for m in negotiations if m >= START]
    if talks_in_window:  # the assumption would be contradicted by the data
        raise ValueError(
            f"{data_dir / NEGOTIATIONS_FILE}: has negotiation events in the window "
            f"({talks_in_window[0]}); the no-talks assumption needs revisiting"
        )

    icbm_after = sorted(
        launch.local_date
        for launch in launches
        if launch.icbm and launch.local_date > LAST_PRE_MORATORIUM_ICBM
    )
    if not icbm_after:
        raise ValueError(f"{data_dir / CNS_FILE}: no ICBM record after the 2018 moratorium")
    first_icbm = icbm_after[0]
    first_icbm_success = first_icbm
    by_event: dict[int, list[Launch]] = {}
    for launch in launches:
        by_event.setdefault(launch.event, []).append(launch)
    event_month = {e: _month(group[0].local_date) for e, group in by_event.items()}

    missiles = [p for p in csis if p.type == "Missile Provocation"]
    nuclear = [p for p in csis if p.type == "Nuclear Provocation" and "Nuclear Test" in p.event]
    rows: list[dict[str, str]] = []
    cns_only: dict[str, tuple[str, ...]] = {}
    csis_only: dict[str, tuple[str, ...]] = {}
    for month in months:
        cns_days = {x.local_date for x in launches if _month(x.local_date) == month}
        events = [e for e, m in event_month.items() if m == month]
        csis_rows = [p for p in missiles if _month(p.date) == month]
        csis_days = {p.date for p in csis_rows}
        if cns_days != csis_days:
            cns_only[month] = tuple(sorted(cns_days - csis_days))
            csis_only[month] = tuple(sorted(csis_days - cns_days))
        year = int(month[:4])
        row = {
            "month": month,
            "talks_held": _assumed(month, "talks_held"),
            "coalition_declaration_offered": _assumed(month, "coalition_declaration_offered"),
            "rok_declaration_proposal": _assumed(month, "rok_declaration_proposal"),
            "cns_launch_days": str(len(cns_days)),
            "cns_launch_events": str(len(events)),
            "cns_missiles": str(sum(1 for x in launches if _month(x.local_date) == month)),
            "cns_icbm_launches": str(sum(1 for e in events if any(x.icbm for x in by_event[e]))),
            "icbm_moratorium": "1" if month < _month(first_icbm) else "0",
            "csis_missile_days": str(len(csis_days)),
            "csis_missile_events": str(len(csis_rows)),
            "csis_icbm_events": str(
                sum(1 for p in csis_rows if "intercontinental" in p.event.lower())
            ),
            "nuclear_tests": str(sum(1 for p in nuclear if _month(p.date) == month)),
            "hotline_answered": _assumed(month, "hotline_answered"),
            "exercise_posture": _assumed(month, "exercise_posture"),
            "unsc_new_sanctions_veto": _assumed(month, "unsc_new_sanctions_veto"),
            "unsc_panel_veto": _assumed(month, "unsc_panel_veto"),
            "rok_president": _assumed(month, "rok_president"),
            "fas_warheads": str(warheads[year]) if year in warheads else "",
        }
        rows.append(row)

    # the first *successful* ICBM launch: CNS outcome is not kept in Launch, read it again
    raw = json.loads((data_dir / CNS_FILE).read_text(encoding="utf-8"))
    flat = [record for time_bin in raw["timeBins"] for record in time_bin["data"]]
    successes = sorted(
        launch.local_date
        for launch, record in zip(launches, flat, strict=True)
        if launch.icbm
        and launch.local_date > LAST_PRE_MORATORIUM_ICBM
        and str(record.get("outcome", "")).lower() == "success"
    )
    first_icbm_success = successes[0] if successes else ""
    icbm_text = sorted(
        {
            x.local_date
            for x in launches
            if START <= _month(x.local_date) <= end
            and not x.icbm
            and re.search(r"\bICBM\b|intercontinental", x.description, re.IGNORECASE)
        }
    )
    columns = _columns(negotiations[-1])
    names = [c.name for c in columns]
    assert all(list(row) == names for row in rows)
    return Derived(
        columns=columns,
        rows=tuple(rows),
        end=end,
        negotiations_last=negotiations[-1],
        first_icbm=first_icbm,
        first_icbm_success=first_icbm_success,
        last_nuclear_test=max(p.date for p in nuclear) if nuclear else "",
        cns_only=cns_only,
        csis_only=csis_only,
        icbm_text_not_type=tuple(icbm_text),
        utc_days_per_year={
            year: len(
                {
                    x.utc_date
                    for x in launches
                    if x.utc_date[:4] == str(year) and len(x.utc_date) > 7
                }
            )
            for year in sorted({int(m[:4]) for m in months})
        },
        sources={name: _sha256(data_dir / name) for name in ATTRIBUTION},
    )


# --------------------------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------------------------


def csv_text(derived: Derived) -> str:
    """The table as CSV (LF line ends, no quoting needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.name for c in derived.columns])
    for row in derived.rows:
        writer.writerow([row[c.name] for c in derived.columns])
    return buffer.getvalue()


def basis_document(derived: Derived) -> dict[str, Any]:
    """Each column's basis, the named assumptions and the sources, JSON-ready."""
    return {
        "description": "The record of October 2021 onwards, one row per month: what the "
        "coalition (US + ROK) and Pyongyang did. Each column is data (a file and a "
        "computation) or rests on named assumptions (a fact of the public record with its "
        "date). Named-assumption columns are assessed to assessed_end and empty after it.",
        "table": OUT_CSV,
        "start": START,
        "end": derived.end,
        "assessed_end": ASSESSED_END,
        "primary_launch_measure": "cns_launch_days",
        "primary_reason": PRIMARY_REASON,
        "columns": [
            {
                "name": c.name,
                "type": c.type,
                "kind": c.kind,
                "basis": c.basis,
                "assumptions": list(c.assumptions),
                **({"values": list(c.values)} if c.values else {}),
            }
            for c in derived.columns
        ],
        "assumptions": {
            key: {
                "fact": a.fact,
                "dates": a.dates,
                "confidence": a.confidence,
                "reference": a.reference,
            }
            for key, a in ASSUMPTIONS.items()
        },
        "sources": {
            name: {"attribution": text, "sha256": derived.sources[name]}
            for name, text in ATTRIBUTION.items()
        },
        "reproduce": "python scenarios/data/derive_korea_record.py ../shared/data/korea "
        "-o scenarios/data",
    }


def basis_text(derived: Derived) -> str:
    return json.dumps(basis_document(derived), indent=2, ensure_ascii=False) + "\n"


def _int(row: dict[str, str], column: str) -> int:
    return int(row[column]) if row[column] else 0


def yearly_totals(derived: Derived) -> dict[int, dict[str, int]]:
    """Sums of the count columns per calendar year (only months in the table)."""
    counts = (
        "cns_launch_days",
        "cns_launch_events",
        "cns_missiles",
        "cns_icbm_launches",
        "cns_launch_days_utc",
        "csis_missile_days",
        "csis_missile_events",
        "csis_icbm_events",
        "nuclear_tests",
    )
    out: dict[int, dict[str, int]] = {}
    for row in derived.rows:
        totals = out.setdefault(int(row["month"][:4]), dict.fromkeys(counts, 0))
        for column in counts:
            if column in row:
                totals[column] += _int(row, column)
    for year, days in derived.utc_days_per_year.items():
        if year in out:
            out[year]["cns_launch_days_utc"] = days
    return out


def adjacent_pairs(derived: Derived) -> list[tuple[str, str]]:
    """(CNS-only date, CSIS-only date) pairs a day apart: one launch dated differently."""
    cns = sorted(d for days in derived.cns_only.values() for d in days)
    csis = sorted(d for days in derived.csis_only.values() for d in days)
    pairs: list[tuple[str, str]] = []
    for a in cns:
        for b in csis:
            if abs((date.fromisoformat(a) - date.fromisoformat(b)).days) == 1:
                pairs.append((a, b))
                break
    return pairs


def markdown_text(derived: Derived) -> str:
    """The companion document: summary, column bases, assumptions, disagreements, sources."""
    rows = derived.rows
    lines = [
        "# The Korea record, October 2021 onwards (`korea-record.csv`)",
        "",
        "Generated by `scenarios/data/derive_korea_record.py` from `../shared/data/korea`; do "
        "not edit by hand. Reproduce with",
        "",
        "    python scenarios/data/derive_korea_record.py ../shared/data/korea -o scenarios/data",
        "",
        f"One row per month, {START} to {derived.end} ({len(rows)} months). The data columns "
        f"run to {derived.end}, the last month that both missile files cover completely (the "
        "month before each file's last record). The named-assumption columns are assessed to "
        f"{ASSESSED_END} (the hindcast window, {len(months_between(START, ASSESSED_END))} "
        "months) and empty after it. The machine-readable bases are in "
        "`korea-record.basis.json`; `detente.scenario.record.read_record` reads both.",
        "",
        "## Summary",
        "",
        f"* Talks held: none in {START}..{ASSESSED_END} (named assumption `no-talks`; the CSIS "
        f"negotiations file ends {derived.negotiations_last}).",
        "* Declaration jointly offered by the coalition: never (`declaration-not-offered`); "
        "the ROK's own proposal stood to 2022-04 (`rok-proposal`).",
        f"* ICBM-test moratorium: holds to {_previous_month(_month(derived.first_icbm))}, ends "
        f"{_month(derived.first_icbm)}. CNS: the first ICBM launch since 2017 is "
        f"{derived.first_icbm} (a failure), the first successful one {derived.first_icbm_success}.",
        "* ICBM months (CNS): "
        + ", ".join(
            f"{r['month']} ({r['cns_icbm_launches']})" for r in rows if _int(r, "cns_icbm_launches")
        )
        + ".",
        "* ICBM months (CSIS): "
        + ", ".join(
            f"{r['month']} ({r['csis_icbm_events']})" for r in rows if _int(r, "csis_icbm_events")
        )
        + ".",
        f"* Nuclear tests: none in the table (CSIS; the last is {derived.last_nuclear_test}).",
        "* Hotline answered 2021-10..2023-03, unanswered from 2023-04 (`hotline`); exercises "
        "scaled down to 2022-07, full scale from 2022-08; China-Russia veto of new sanctions "
        "2022-05; Russian veto of the Panel of Experts 2024-03; Moon to 2022-04, Yoon from "
        "2022-05.",
        "",
        "### Totals per year",
        "",
        "| year | months | CNS launch days | CNS events | CNS missiles | CNS ICBM | "
        "CSIS missile days | CSIS events | CSIS ICBM | nuclear tests | CNS days by UTC date "
        "(whole year) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for year, t in yearly_totals(derived).items():
        n = sum(1 for r in rows if r["month"].startswith(str(year)))
        lines.append(
            f"| {year} | {n} | {t['cns_launch_days']} | {t['cns_launch_events']} | "
            f"{t['cns_missiles']} | {t['cns_icbm_launches']} | {t['csis_missile_days']} | "
            f"{t['csis_missile_events']} | {t['csis_icbm_events']} | {t['nuclear_tests']} | "
            f"{t['cns_launch_days_utc']} |"
        )
    lines += [
        "",
        "The last column counts distinct UTC dates over the whole calendar year, as "
        "`korea-evidence.json` does; it differs from the local-date count where two launches "
        "fall on one UTC day but two local days, or the reverse (the first year is also "
        "partial in the table: 2021 starts in October).",
    ]
    lines += [
        "",
        "## Which launch count is primary",
        "",
        PRIMARY_REASON,
        "",
        "CNS dates are UTC; they are moved to Korean local time (UTC+9) before months are "
        "formed, which is what CSIS uses. Without it a launch on the morning of 1 October 2022 "
        "(21:42 UTC on 30 September) would fall in September.",
        "",
        "## Columns and their basis",
        "",
        "| column | type | kind | basis | assumptions |",
        "|---|---|---|---|---|",
    ]
    for c in derived.columns:
        values = f" Values: {', '.join(c.values)}." if c.values else ""
        lines.append(
            f"| `{c.name}` | {c.type} | {c.kind} | {c.basis}{values} | "
            f"{', '.join(f'`{a}`' for a in c.assumptions)} |"
        )
    lines += ["", "## Named assumptions", ""]
    for key, a in ASSUMPTIONS.items():
        lines += [
            f"* **`{key}`** ({a.dates}; confidence {a.confidence}). {a.fact} "
            f"Reference: {a.reference}.",
        ]
    lines += [
        "",
        "## Where the two missile files disagree",
        "",
        "Months in which the CNS launch days (local dates) and the CSIS 'Missile Provocation' "
        "dates differ, with the dates found in only one of them. Most CSIS-only dates are "
        "cruise-missile, anti-aircraft or multiple-rocket launches, which CNS does not cover.",
        "",
        "| month | CNS days | CSIS days | only in CNS | only in CSIS |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["month"]
        if m in derived.cns_only:
            lines.append(
                f"| {m} | {r['cns_launch_days']} | {r['csis_missile_days']} | "
                f"{', '.join(derived.cns_only[m]) or '-'} | "
                f"{', '.join(derived.csis_only[m]) or '-'} |"
            )
    pairs = adjacent_pairs(derived)
    lines += [
        "",
        "Dates a day apart are one launch dated differently (CNS local date first, CSIS "
        "second): "
        + (", ".join(f"{a} / {b}" for a, b in pairs) or "none")
        + ". Where the CSIS description gives the local time, the CNS local date is the right "
        "one (e.g. the satellite launch of 31 May 2023 at about 06:27, dated 30 May by CSIS).",
    ]
    lines += [
        "",
        "ICBMs: CNS counts by missile type. CNS records whose description calls them an "
        "(apparent, suspected or failed) ICBM, or refers to one, while their type is not an "
        "ICBM type: " + (", ".join(derived.icbm_text_not_type) or "none") + ". CSIS labels "
        "the failed launch of 16 March 2022 a 'Short-range Missile Launch' and the launch of "
        "25 May 2022 a 'Ballistic Missile Launch'; it labels 3 November 2022 an ICBM, which "
        "CNS types 'unknown'. The CNS data type the 24 March 2022 missile as a Hwasong-15 "
        "(North Korea announced a Hwasong-17).",
        "",
        "## Sources and attribution",
        "",
    ]
    for name, text in ATTRIBUTION.items():
        lines.append(f"* `{name}` (sha256 `{derived.sources[name][:16]}…`): {text}")
    lines.append("")
    return "\n".join(lines)


def write_all(data_dir: Path | str, out_dir: Path | str) -> tuple[Path, Path, Path]:
    """Derive and write the CSV, the basis JSON and the Markdown into ``out_dir``."""
    derived = derive(data_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = (out / OUT_CSV, out / OUT_BASIS, out / OUT_MD)
    for path, text in zip(
        paths, (csv_text(derived), basis_text(derived), markdown_text(derived)), strict=True
    ):
        path.write_text(text, encoding="utf-8", newline="\n")
    return paths


def main(
    argv: Sequence[str] | None = None, *, stderr: Callable[[str], object] | None = None
) -> int:
    """CLI: ``python derive_korea_record.py DATA_DIR -o OUT_DIR``. Exit 0, or 2 on bad input."""
    parser = argparse.ArgumentParser(
        prog="python scenarios/data/derive_korea_record.py",
        description="Derive the monthly Korea record (CNS, CSIS, FAS and named assumptions).",
    )
    parser.add_argument("data_dir", type=Path, help="directory holding shared/data/korea files")
    parser.add_argument(
        "-o", "--out-dir", type=Path, default=Path(__file__).resolve().parent, help="output dir"
    )
    args = parser.parse_args(argv)
    err = stderr if stderr is not None else (lambda s: print(s, file=sys.stderr))
    try:
        write_all(args.data_dir, args.out_dir)
    except ValueError as error:
        err(f"error: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
