"""Tests of scenarios/data/derive_korea_evidence.py: real-data figures (CSIS, CNS, FAS) and
synthetic cases.

The script lives beside the data it derives, outside the library; it is imported here by path.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scenarios" / "data" / "derive_korea_evidence.py"
SHARED = ROOT.parent / "shared"
KOREA = SHARED / "data" / "korea"
SHIPPED = ROOT / "scenarios" / "data" / "korea-evidence.json"


def _import_script() -> Any:
    spec = importlib.util.spec_from_file_location("derive_korea_evidence", SCRIPT)
    assert spec is not None and spec.loader is not None, SCRIPT
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it runs
    spec.loader.exec_module(module)
    return module


evidence = _import_script()
Estimate = evidence.Estimate
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
FAST_BOOT = 400


@pytest.fixture(scope="module")
def korea() -> Path:
    if not (KOREA / evidence.MONTHLY_FILE).is_file():
        pytest.skip(f"shared Korea data not found at {KOREA}")
    return KOREA


def _estimates(obj: Any, path: str = "") -> Iterator[tuple[str, Estimate]]:
    if isinstance(obj, Estimate):
        yield path, obj
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            yield from _estimates(getattr(obj, f.name), f"{path}.{f.name}")
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from _estimates(v, f"{path}[{k}]")


def _check_estimates(obj: Any) -> int:
    count = 0
    for name, e in _estimates(obj):
        lo, hi = e.ci95
        assert math.isfinite(e.estimate), name
        assert math.isfinite(lo) and math.isfinite(hi), name
        assert lo - 1e-9 <= e.estimate <= hi + 1e-9, f"{name}: {e.estimate} not in {e.ci95}"
        assert e.n > 0 and e.method, name
        count += 1
    return count


# ------------------------------------------------------------------------------ real data


def test_real_figures_finite_and_inside_their_cis(korea: Path) -> None:
    results = [
        evidence.provocation_rates(korea, 1, n_boot=FAST_BOOT),
        evidence.provocation_rates(korea, 1, n_boot=FAST_BOOT, after_months=3, end_year=2012),
        evidence.talks_base_rate(korea, 1, n_boot=FAST_BOOT),
        evidence.missile_tests_per_year(korea, 1, n_boot=FAST_BOOT),
        evidence.arsenal_path(korea),
    ]
    assert sum(_check_estimates(r) for r in results) >= 30


def test_provocation_rates_match_pandas(korea: Path) -> None:
    raw = pd.read_csv(korea / evidence.MONTHLY_FILE)
    talks = raw["Nego"] > 0
    result = evidence.provocation_rates(korea, 1, n_boot=FAST_BOOT)
    assert result.with_talks.estimate == pytest.approx(raw.loc[talks, "Prov"].mean())
    assert result.without_talks.estimate == pytest.approx(raw.loc[~talks, "Prov"].mean())
    assert result.with_talks.n == int(talks.sum())
    assert result.period == ("1990-01", "2018-08")
    # lag 1 by hand: provocations next month, grouped by talks this month
    nxt = raw["Prov"].shift(-1)
    assert result.after_talks.estimate == pytest.approx(nxt[talks].mean())
    assert result.after_no_talks.estimate == pytest.approx(nxt[~talks].dropna().mean())
    # autocorrelation: the block bootstrap interval is wider than the iid one
    block_width = result.ratio.ci95[1] - result.ratio.ci95[0]
    iid_width = result.ratio_iid.ci95[1] - result.ratio_iid.ci95[0]
    assert block_width > iid_width


def test_talks_base_rate_matches_pandas(korea: Path) -> None:
    raw = pd.read_csv(korea / evidence.MONTHLY_FILE)
    talks = (raw["Nego"] > 0).astype(float)
    result = evidence.talks_base_rate(korea, 1, n_boot=FAST_BOOT)
    assert result.per_month.estimate == pytest.approx(talks.mean())
    ahead = talks[::-1].rolling(12, min_periods=12).max()[::-1].shift(-1).dropna()
    assert result.within[12].estimate == pytest.approx(ahead.mean())
    assert result.within[12].n == len(raw) - 12
    assert result.within[6].estimate <= result.within[12].estimate


def test_talks_opening_hazard_matches_pandas(korea: Path) -> None:
    raw = pd.read_csv(korea / evidence.MONTHLY_FILE)
    talks = raw["Nego"] > 0
    result = evidence.talks_opening_hazard(korea, 1, n_boot=FAST_BOOT)
    assert result.standstill_months == 3 and result.hazard == result.by_standstill_months[3]
    for k, est in result.by_standstill_months.items():
        # at risk: k full months of history, none of them with talks
        quiet = talks.astype(int).rolling(k).sum().shift(1) == 0
        assert est.n == int(quiet.sum())
        assert est.estimate == pytest.approx(talks[quiet].mean())
    # the longer the standstill, the lower the hazard, on this record
    rates = [result.by_standstill_months[k].estimate for k in (1, 2, 3, 6, 12)]
    assert rates == sorted(rates, reverse=True)
    # it is not the share of months followed by talks within a year (that mixes talks months)
    within = evidence.talks_base_rate(korea, 1, n_boot=FAST_BOOT).within[12].estimate
    assert 1 - (1 - within) ** (1 / 12) > result.hazard.estimate
    months = np.flatnonzero(talks.to_numpy())
    assert result.n_gaps == months.size - 1
    assert result.gap_share_at_least[3] == pytest.approx(float((np.diff(months) - 1 >= 3).mean()))


def test_missile_counts_hand_checked(korea: Path) -> None:
    with (korea / evidence.MISSILE_FILE).open(encoding="utf-8") as fh:
        raw = json.load(fh)
    records = pd.json_normalize(raw["timeBins"], record_path="data", meta=["year"])
    result = evidence.missile_tests_per_year(korea, 1, n_boot=FAST_BOOT)
    for year in (2017, 2018, 2019, 2022):
        rows = records[records["year"] == year]
        assert result.launch_days[year] == rows["date"].nunique()
        assert result.missiles[year] == len(rows)
    assert result.summit_year_launch_days == 0 == result.launch_days[2018]
    assert (result.launch_days[2017], result.missiles[2017]) == (15, 21)
    # the last record is in 2026 (not December), so 2026 is a part year and excluded
    assert result.years[1] == 2025
    assert result.prior_rate.estimate == pytest.approx((11 + 7 + 16 + 15) / 4)


def test_arsenal_matches_scipy(korea: Path) -> None:
    frame = pd.read_csv(korea / evidence.WARHEAD_FILE)
    fit = stats.linregress(frame["year"], frame["nuclear_warheads_estimate"])
    result = evidence.arsenal_path(korea)
    assert result.linear_slope.estimate == pytest.approx(fit.slope)
    assert result.linear_2027.estimate == pytest.approx(fit.intercept + fit.slope * 2027)
    log_fit = stats.linregress(frame["year"], np.log(frame["nuclear_warheads_estimate"]))
    assert result.loglinear_growth.estimate == pytest.approx(math.expm1(log_fit.slope))
    assert result.required_linear_per_year == pytest.approx((200 - 30) / 4)
    # the linear trend's 95% prediction interval for 2027 stays far below 200
    assert result.linear_2027.ci95[1] < evidence.CATO_PROJECTION
    assert 0.0 < result.p_200_by_2027_loglinear < 0.5


def test_cato_quote_is_verbatim() -> None:
    source = SHARED / "sources" / "000_c7b37ae1da67c85b.txt"
    if not source.is_file():
        pytest.skip(f"Cato op-ed text not found at {source}")
    assert evidence.CATO_QUOTE in source.read_text(encoding="utf-8")


def test_summary_deterministic_and_seed_sensitive(korea: Path, tmp_path: Path) -> None:
    a = evidence.write_summary(korea, tmp_path / "a.json", seed=3, n_boot=FAST_BOOT)
    b = evidence.write_summary(korea, tmp_path / "b.json", seed=3, n_boot=FAST_BOOT)
    c = evidence.write_summary(korea, tmp_path / "c.json", seed=4, n_boot=FAST_BOOT)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    data = json.loads(a.read_text(encoding="utf-8"))
    assert data["seed"] == 3
    assert len(data["sources"][evidence.MONTHLY_FILE]["sha256"]) == 64


def test_shipped_table_is_reproducible(korea: Path) -> None:
    if not SHIPPED.is_file():
        pytest.fail(f"{SHIPPED} missing: regenerate with python {SCRIPT.relative_to(ROOT)}")
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert evidence.summarise(korea, shipped["seed"], n_boot=shipped["n_boot"]) == shipped


# ------------------------------------------------------------------------------ synthetic


def _write_synthetic(root: Path) -> Path:
    """36 months 2015–2017: talks every other month in 2015–16 (Prov 1), none in 2017.

    Months without talks have Prov 3, so every answer below is known exactly.
    """
    rows = []
    for k in range(36):
        year, month = 2015 + k // 12, MONTHS[k % 12]
        talks = int(year < 2017 and k % 2 == 0)
        rows.append({"Year": year, "Month": month, "Prov": 1 if talks else 3, "Nego": talks})
    pd.DataFrame(rows).to_csv(root / evidence.MONTHLY_FILE, index=False)

    def rec(date: str, series: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"date": date, "missile": "x", "outcome": "success"}
        if series is not None:
            out["series"] = series
        return out

    bins = [
        {"year": 2014, "data": [rec("2014-05-01")]},
        # a three-missile salvo on one day is one launch day and three missiles
        {"year": 2016, "data": [rec("2016-02-01", s) for s in (1, 2, 3)] + [rec("2016-07")]},
        {"year": 2017, "data": [rec("2017-03-03"), rec("2017-04-04")]},
        {"year": 2019, "data": [rec("2019-12-30")]},
    ]
    (root / evidence.MISSILE_FILE).write_text(json.dumps({"timeBins": bins}), encoding="utf-8")
    years = np.arange(2015, 2021)
    pd.DataFrame(
        {"country": "X", "year": years, "nuclear_warheads_estimate": 10 + 5 * (years - 2015)}
    ).to_csv(root / evidence.WARHEAD_FILE, index=False)
    return root


def test_synthetic_provocation_rates_exact(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    r = evidence.provocation_rates(root, 0, n_boot=200, block_months=4)
    assert r.with_talks.estimate == 1.0 and r.without_talks.estimate == 3.0
    assert r.ratio.estimate == pytest.approx(1 / 3)
    assert r.difference.estimate == pytest.approx(-2.0)
    # every talks month has Prov 1 and every other month Prov 3: no bootstrap spread at all
    assert r.with_talks.ci95 == pytest.approx((1.0, 1.0))
    assert r.ratio.ci95 == pytest.approx((1 / 3, 1 / 3))
    # talks months are always followed by a month without talks
    assert r.after_talks.estimate == 3.0 and r.after_talks.ci95 == pytest.approx((3.0, 3.0))
    assert r.with_talks.n == 12 and r.without_talks.n == 24


def test_synthetic_talks_base_rate_exact(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    r = evidence.talks_base_rate(root, 0, horizons=(1, 6), n_boot=200)
    assert r.per_month.estimate == pytest.approx(12 / 36)
    # talks in months k = 0, 2, ..., 22; for t = 0..34, t+1 is one of them for t = 1, 3, ..., 21
    assert r.within[1].estimate == pytest.approx(11 / 35)
    assert r.within[1].n == 35
    # a Prov>=1 month is every month here; Prov==0 never happens -> NaN estimate
    assert r.within_after_provocation[6].estimate == r.within[6].estimate
    assert math.isnan(r.within_after_no_provocation[6].estimate)


def test_synthetic_talks_opening_hazard_exact(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    r = evidence.talks_opening_hazard(
        root, 0, standstill_months=1, sensitivity=(2,), n_boot=200, block_months=4
    )
    # talks in months 0, 2, ..., 22. After one quiet month: t = 2, 4, ..., 24 (talks in 11 of
    # them) and t = 25 .. 35 (none): 11 / 23
    assert r.hazard.estimate == pytest.approx(11 / 23) and r.hazard.n == 23
    # two quiet months in a row first happen in 2017: t = 25 .. 35, no talks at all
    two = r.by_standstill_months[2]
    assert two.estimate == 0.0 and two.n == 11 and two.ci95 == (0.0, 0.0)
    # 11 intervals between talks months, each skipping exactly one month
    assert r.n_gaps == 11 and r.gap_share_at_least == {1: 1.0, 2: 0.0}
    with pytest.raises(ValueError, match="standstill months"):
        evidence.talks_opening_hazard(root, 0, standstill_months=0)


def test_synthetic_missile_tests_exact(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    r = evidence.missile_tests_per_year(root, 0, n_boot=200)
    assert r.years == (2014, 2019)  # the 2019 record is in December: 2019 is complete
    assert r.launch_days == {2014: 1, 2015: 0, 2016: 2, 2017: 2, 2018: 0, 2019: 1}
    assert r.missiles[2016] == 4
    assert r.talks_years == (2015, 2016)
    assert r.mean_talks_years.estimate == pytest.approx(1.0)
    assert r.mean_other_years.estimate == 2.0 and r.mean_other_years.ci95 == (2.0, 2.0)
    assert r.difference.estimate == pytest.approx(-1.0)
    assert r.prior_rate.estimate == pytest.approx(5 / 4)
    assert r.p_zero_at_prior_rate.estimate == pytest.approx(math.exp(-5 / 4))


def test_synthetic_arsenal_exact(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    r = evidence.arsenal_path(root)
    assert r.linear_slope.estimate == pytest.approx(5.0)
    assert r.linear_2027.estimate == pytest.approx(70.0)
    assert r.linear_2027.ci95 == pytest.approx((70.0, 70.0), abs=1e-6)  # perfect fit
    assert r.required_linear_per_year == pytest.approx((200 - 35) / 7)

    years = np.arange(2015, 2021)
    pd.DataFrame({"year": years, "nuclear_warheads_estimate": 10 * 1.5 ** (years - 2015)}).to_csv(
        root / evidence.WARHEAD_FILE, index=False
    )
    g = evidence.arsenal_path(root)
    assert g.loglinear_growth.estimate == pytest.approx(0.5)
    assert g.loglinear_2027.estimate == pytest.approx(10 * 1.5**12)
    assert g.required_growth == pytest.approx((200 / (10 * 1.5**5)) ** (1 / 7) - 1)


# ------------------------------------------------------------------------------ bad input


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=evidence.MONTHLY_FILE):
        evidence.provocation_rates(tmp_path, 0)
    with pytest.raises(ValueError, match=evidence.WARHEAD_FILE):
        evidence.arsenal_path(tmp_path)


def test_missing_column_names_the_column(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    frame = pd.read_csv(root / evidence.MONTHLY_FILE).drop(columns="Nego")
    frame.to_csv(root / evidence.MONTHLY_FILE, index=False)
    with pytest.raises(ValueError, match="'Nego'"):
        evidence.talks_base_rate(root, 0)
    (root / evidence.MISSILE_FILE).write_text('{"bins": []}', encoding="utf-8")
    with pytest.raises(ValueError, match="timeBins"):
        evidence.load_missile_tests(root)


def test_gap_in_months_rejected(tmp_path: Path) -> None:
    root = _write_synthetic(tmp_path)
    frame = pd.read_csv(root / evidence.MONTHLY_FILE).drop(index=5)
    frame.to_csv(root / evidence.MONTHLY_FILE, index=False)
    with pytest.raises(ValueError, match="not consecutive"):
        evidence.load_monthly(root)


def test_cli_exit_codes(tmp_path: Path) -> None:
    messages: list[str] = []
    assert (
        evidence.main(
            [str(tmp_path / "nowhere"), "-o", str(tmp_path / "x.json")], stderr=messages.append
        )
        == 2
    )
    assert evidence.MONTHLY_FILE in messages[0]
    root = _write_synthetic(tmp_path)
    # synthetic data lacks 1990-2012, so the summary's sensitivity window fails cleanly
    assert (
        evidence.main(
            [str(root), "-o", str(tmp_path / "y.json"), "--n-boot", "100"], stderr=messages.append
        )
        == 2
    )
    assert "fewer than 24 months" in messages[-1]
