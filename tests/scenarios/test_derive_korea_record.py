"""Tests of scenarios/data/derive_korea_record.py (the monthly Korea record) and of its reader,
:func:`detente.scenario.record.read_record`.

The script lives beside the data it derives, outside the library; it is imported here by path.
Real-data tests skip without ``../shared``.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from detente.scenario.errors import InputError
from detente.scenario.record import Record, read_record

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scenarios" / "data" / "derive_korea_record.py"
SHIPPED = ROOT / "scenarios" / "data"
KOREA = ROOT.parent / "shared" / "data" / "korea"


def _import_script() -> Any:
    spec = importlib.util.spec_from_file_location("derive_korea_record", SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


record_script = _import_script()


@pytest.fixture(scope="module")
def korea() -> Path:
    if not (KOREA / record_script.CNS_FILE).is_file():
        pytest.skip(f"shared Korea data not found at {KOREA}")
    return KOREA


@pytest.fixture(scope="module")
def shipped() -> Record:
    return read_record(SHIPPED / record_script.OUT_CSV)


# ------------------------------------------------------------------------------ real data


def test_shipped_files_equal_a_fresh_derivation(korea: Path, tmp_path: Path) -> None:
    record_script.write_all(korea, tmp_path)
    for name in (record_script.OUT_CSV, record_script.OUT_BASIS, record_script.OUT_MD):
        fresh = (tmp_path / name).read_bytes()
        assert (SHIPPED / name).read_bytes() == fresh, (
            f"{name} is stale: regenerate with python {SCRIPT.relative_to(ROOT)} "
            "../shared/data/korea -o scenarios/data"
        )


def test_hand_checked_months(shipped: Record) -> None:
    # 2022-03. CNS (UTC date, time -> local): 2022-03-04 23:48 -> 03-05 ('unknown');
    # 2022-03-16 00:30 hwasong-17 failure; 2022-03-24 05:34 hwasong-15. Three days, three
    # single-missile events, two of them ICBMs. CSIS rows 03-05, 03-16 ('Short-range Missile
    # Launch'), 03-24 ('Intercontinental Ballistic Missile'): three, one labelled ICBM.
    assert {k: v for k, v in shipped.row("2022-03").items() if k.startswith(("cns", "csis"))} == {
        "cns_launch_days": 3,
        "cns_launch_events": 3,
        "cns_missiles": 3,
        "cns_icbm_launches": 2,
        "csis_missile_days": 3,
        "csis_missile_events": 3,
        "csis_icbm_events": 1,
    }
    # 2022-09 / 2022-10. CNS 2022-09-24 21:53 -> 09-25; 09-28 09:10/09:17 (series 1, 2);
    # 09-29 11:48/11:57 (1, 2); 2022-09-30 21:42/21:58 (1, 2) -> 10-01 local, so October.
    sep = shipped.row("2022-09")
    assert (sep["cns_launch_days"], sep["cns_launch_events"], sep["cns_missiles"]) == (3, 3, 5)
    # October local: 10-01 (2 missiles, one salvo), 10-04 (IRBM, 10-03 22:22 UTC), 10-06 (two
    # records without 'series' at 21:00 and 21:15 UTC on 10-05: two events), 10-09 (2),
    # 10-14 (1), 10-28 (2): 6 days, 7 events, 10 missiles. CSIS adds the cruise missiles of
    # 10-12 and has one row for 10-06: 7 rows on 7 days.
    oct_ = shipped.row("2022-10")
    assert (oct_["cns_launch_days"], oct_["cns_launch_events"], oct_["cns_missiles"]) == (6, 7, 10)
    assert (oct_["csis_missile_days"], oct_["csis_missile_events"]) == (7, 7)
    # 2022-11. CNS 11-01 21:51 x4 + 23:51 x3 (series 1..7) -> 11-02, one event of 7;
    # 11-02 22:39/23:39/23:48 (1..3) -> 11-03; 11-03 12:34..12:42 (1..3) -> 11-03 21:34, a
    # second event that day; 11-09, 11-17, 11-18 (hwasong-17). 5 days, 6 events, 16
    # missiles, 1 ICBM by type. CSIS: 11-02, 11-03 ('Intercontinental ballistic missile &
    # SRBM'), 11-05, 11-09, 11-17, 11-18 ('Intercontinental Ballistic Missile').
    nov = shipped.row("2022-11")
    assert (nov["cns_launch_days"], nov["cns_launch_events"], nov["cns_missiles"]) == (5, 6, 16)
    assert (nov["cns_icbm_launches"], nov["csis_missile_days"], nov["csis_icbm_events"]) == (
        1,
        6,
        2,
    )


def test_facts_of_the_record(shipped: Record) -> None:
    months = shipped.months
    moratorium = shipped.ints("icbm_moratorium")
    # the moratorium holds to February 2022 and ends in March 2022
    assert moratorium[months.index("2022-02")] == 1 and moratorium[months.index("2022-03")] == 0
    assert all(v == 0 for v in moratorium[months.index("2022-03") :])
    # no nuclear test anywhere in the table
    assert set(shipped.ints("nuclear_tests")) == {0}
    window = shipped.window("2021-10", "2024-12")
    assert len(window.months) == 39
    assert set(window.ints("talks_held")) == {0}
    assert set(window.ints("coalition_declaration_offered")) == {0}
    assert window.row("2022-05")["unsc_new_sanctions_veto"] == 1
    assert sum(v or 0 for v in window.ints("unsc_new_sanctions_veto")) == 1
    assert window.row("2022-04")["rok_president"] == "moon"
    assert window.row("2022-05")["rok_president"] == "yoon"
    assert window.row("2022-07")["exercise_posture"] == "scaled_down"
    assert window.row("2022-08")["exercise_posture"] == "full_scale"
    assert window.row("2023-03")["hotline_answered"] == 1
    assert window.row("2023-04")["hotline_answered"] == 0
    # CNS launch days in 2022, by local date (korea-evidence.json counts 34 by UTC date)
    assert sum(v or 0 for v in shipped.window("2022-01", "2022-12").ints("cns_launch_days")) == 33
    # after the assessed window the assumption columns are empty, the data columns are not
    after = shipped.window("2025-01", "2099-12")
    assert after.months and all(v is None for v in after.column("talks_held"))
    assert all(isinstance(v, int) for v in after.column("cns_launch_days"))


def test_consistency(shipped: Record) -> None:
    months = shipped.months
    for a, b in itertools.pairwise(months):
        y, m = int(a[:4]), int(a[5:])
        assert b == (f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}")
    cols = {
        name: shipped.ints(name) for name in shipped.columns if shipped.basis[name].type == "int"
    }
    for i, month in enumerate(months):
        days, events = cols["cns_launch_days"][i], cols["cns_launch_events"][i]
        assert days is not None and events is not None
        assert days <= events <= (cols["cns_missiles"][i] or 0), month
        assert (cols["cns_icbm_launches"][i] or 0) <= events, month
        assert (cols["csis_missile_days"][i] or 0) <= (cols["csis_missile_events"][i] or 0)
        assert (cols["csis_icbm_events"][i] or 0) <= (cols["csis_missile_events"][i] or 0)
    # every column has a basis; every assumption column names assumptions that exist
    for name, basis in shipped.basis.items():
        assert basis.basis.strip(), name
        assert all(a in shipped.assumptions for a in basis.assumptions), name
        if basis.kind == "assumption":
            assert basis.assumptions, name
    for fact in shipped.assumptions.values():
        assert fact.fact and fact.dates and fact.confidence and fact.reference


def test_cli_exit_code_on_missing_data(tmp_path: Path) -> None:
    messages: list[str] = []
    code = record_script.main(
        [str(tmp_path / "nowhere"), "-o", str(tmp_path / "out")], stderr=messages.append
    )
    assert code == 2 and record_script.CNS_FILE in messages[0]


# ------------------------------------------------------------------------------ synthetic


def _synthetic(root: Path) -> Path:
    """A CNS file with one month-boundary salvo, a CSIS file, negotiations and warheads."""
    root.mkdir(parents=True, exist_ok=True)

    def rec(day: str, time: str, missile: str = "x", series: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"date": day, "time": time, "missile": missile, "outcome": "success"}
        if series is not None:
            out["series"] = series
        return out

    bins = [
        {"year": 2017, "data": [rec("2017-11-28", "18:18 (UTC)", "hwasong-15")]},
        {
            "year": 2021,
            "data": [
                # 30 Nov 21:00 UTC is 1 Dec 06:00 local; the unknown-time missile joins it
                rec("2021-11-30", "21:00 (UTC)", "kn-25", 1),
                rec("2021-11-30", "unknown", "kn-25", 2),
                rec("2021-12-10", "01:00 (UTC)", "hwasong-17"),
            ],
        },
        {"year": 2025, "data": [rec("2025-02-01", "01:00 (UTC)")]},
    ]
    (root / record_script.CNS_FILE).write_text(json.dumps({"timeBins": bins}), encoding="utf-8")
    (root / record_script.CSIS_FILE).write_text(
        "date,type,event\n"
        "2017-09-03,Nuclear Provocation,Nuclear Test\n"
        "2021-12-01,Missile Provocation,Short-range Ballistic Missile Launch\n"
        "2021-12-02,Missile Provocation,Strategic cruise missile\n"
        "2021-12-10,Missile Provocation,Intercontinental Ballistic Missile\n"
        "2025-03-01,Other Provocation,Artillery Fire\n",
        encoding="utf-8",
    )
    (root / record_script.NEGOTIATIONS_FILE).write_text(
        "Month,Year\nAug,2018\nJun,2018\n", encoding="utf-8"
    )
    (root / record_script.WARHEAD_FILE).write_text(
        "country,year,nuclear_warheads_estimate\nX,2021,20\nX,2022,25\n", encoding="utf-8"
    )
    return root


def test_synthetic_derivation_exact(tmp_path: Path) -> None:
    root = _synthetic(tmp_path / "data")
    paths = record_script.write_all(root, tmp_path / "out")
    record = read_record(paths[0])
    # the CNS file's last record is in 2025-02, so the table ends in 2025-01
    assert record.months[0] == "2021-10" and record.months[-1] == "2025-01"
    nov, dec = record.row("2021-11"), record.row("2021-12")
    assert nov["cns_launch_days"] == 0 and nov["cns_missiles"] == 0
    assert (dec["cns_launch_days"], dec["cns_launch_events"], dec["cns_missiles"]) == (2, 2, 3)
    assert dec["cns_icbm_launches"] == 1 and dec["icbm_moratorium"] == 0
    assert nov["icbm_moratorium"] == 1
    assert (dec["csis_missile_days"], dec["csis_missile_events"], dec["csis_icbm_events"]) == (
        3,
        3,
        1,
    )
    assert dec["fas_warheads"] == 20 and record.row("2023-01")["fas_warheads"] is None
    assert record.row("2024-12")["talks_held"] == 0
    assert record.row("2025-01")["talks_held"] is None
    again = record_script.write_all(root, tmp_path / "again")
    assert [p.read_bytes() for p in paths] == [p.read_bytes() for p in again]


def test_talks_in_the_window_contradict_the_assumption(tmp_path: Path) -> None:
    root = _synthetic(tmp_path)
    (root / record_script.NEGOTIATIONS_FILE).write_text("Month,Year\nMar,2022\n", "utf-8")
    with pytest.raises(ValueError, match="no-talks"):
        record_script.derive(root)


def test_orphan_salvo_member_is_located(tmp_path: Path) -> None:
    root = _synthetic(tmp_path)
    bins = [
        {
            "year": 2021,
            "data": [{"date": "2021-12-01", "time": "unknown", "missile": "x", "series": 2}],
        }
    ]
    (root / record_script.CNS_FILE).write_text(json.dumps({"timeBins": bins}), "utf-8")
    with pytest.raises(ValueError, match=r"timeBins\[0\]\.data\[0\]: series 2"):
        record_script.derive(root)


# ------------------------------------------------------------------------------ the reader


def _copy_shipped(tmp_path: Path) -> tuple[Path, Path]:
    csv_path = tmp_path / record_script.OUT_CSV
    basis = tmp_path / record_script.OUT_BASIS
    shutil.copy(SHIPPED / record_script.OUT_CSV, csv_path)
    shutil.copy(SHIPPED / record_script.OUT_BASIS, basis)
    return csv_path, basis


def _edit_line(path: Path, line: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    assert old in lines[line - 1], (line, lines[line - 1])
    lines[line - 1] = lines[line - 1].replace(old, new, 1)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_reader_types_and_basis(shipped: Record) -> None:
    assert shipped.basis["cns_launch_days"].kind == "data"
    assert shipped.basis["hotline_answered"].assumptions == ("hotline",)
    assert shipped.basis["exercise_posture"].values == ("scaled_down", "full_scale")
    assert "7 April 2023" in shipped.assumptions["hotline"].fact
    assert isinstance(shipped.row("2022-03")["rok_president"], str)
    with pytest.raises(TypeError):
        shipped.ints("rok_president")
    with pytest.raises(KeyError, match="no column"):
        shipped.column("nope")


@pytest.mark.parametrize(
    ("line", "old", "new", "message"),
    [
        (3, "2021-11,", "2021-13,", r"korea-record\.csv:3: month: '2021-13' is not YYYY-MM"),
        (4, "2021-12,", "2022-01,", r"korea-record\.csv:4: month: 2022-01 does not follow"),
        (6, ",scaled_down,", ",partial,", r"korea-record\.csv:6: exercise_posture: 'partial'"),
        (2, "2021-10,0,", "2021-10,x,", r"korea-record\.csv:2: talks_held: 'x' is not an int"),
        (2, "2021-10,0,", "2021-10,,", r"korea-record\.csv:2: talks_held: empty, but assessed"),
        (1, "talks_held", "talks", r"korea-record\.csv:1: talks: column has no basis"),
    ],
)
def test_reader_located_errors(tmp_path: Path, line: int, old: str, new: str, message: str) -> None:
    csv_path, _ = _copy_shipped(tmp_path)
    _edit_line(csv_path, line, old, new)
    with pytest.raises(InputError, match=message):
        read_record(csv_path)


def test_reader_bad_basis(tmp_path: Path) -> None:
    csv_path, basis = _copy_shipped(tmp_path)
    doc = json.loads(basis.read_text(encoding="utf-8"))
    doc["columns"][1]["assumptions"] = ["no-such-fact"]
    doc["columns"][2]["type"] = "float"
    basis.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_record(csv_path)
    text = str(info.value)
    assert "korea-record.basis.json: columns.talks_held.assumptions: unknown assumption" in text
    assert "columns.coalition_declaration_offered.type: 'float' not in" in text
    basis.unlink()
    with pytest.raises(InputError, match=r"basis file .* not found"):
        read_record(csv_path)
