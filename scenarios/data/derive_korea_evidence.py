"""What the historical record says about North Korea's response to talks (issue 7, parts 5-6).

A script beside the table it derives (``korea-evidence.json``), not part of the detente library:
it is a one-scenario data derivation and imports nothing from detente. Every figure is computed
from files in ``shared/data/korea/`` and carries a ``method`` string precise enough that a
scenario worldview can cite it instead of a judgment call.

Data (see ``shared/README.md``):

* ``csis-monthly-provocations-negotiations.csv`` — CSIS Beyond Parallel, monthly counts of
  DPRK provocations (``Prov``) and US–DPRK negotiation events (``Nego``), Jan 1990 – Aug 2018.
* ``nk-missile-tests.json`` — the CNS North Korea Missile Test Database (James Martin Center for
  Nonproliferation Studies, published by NTI), as packaged by nagix/nk-missile-tests
  (Apache-2.0). One record per *missile* (salvos carry ``series`` 1..k), grouped in
  ``timeBins`` by year.
* ``fas-warheads-north-korea.csv`` — Federation of American Scientists (Kristensen & Korda)
  estimates of North Korea's warhead stockpile, 2015–2023, via Our World in Data.

Computations:

1. :func:`provocation_rates` — mean provocations per month in months with >= 1 negotiation
   event vs months without; ratio and difference; the same for the month(s) *after* a talks
   month. CIs by circular moving-block bootstrap over months (Künsch 1989; Politis & Romano
   1992) because both series are strongly autocorrelated (1993–2008 is a run of talks, 2013–2017
   a run of provocations without talks); an iid bootstrap of the ratio is given for comparison.
2. :func:`talks_base_rate` — share of months with a negotiation event, and the probability that
   one occurs within the next 6 / 12 months, unconditionally and after a provocation month;
   :func:`talks_opening_hazard` — the monthly hazard of *opening* talks from a standstill (no
   negotiation event in the previous 3 months), with a sensitivity over the standstill length.
3. :func:`missile_tests_per_year` — launch days and missiles per year from the CNS data, 2018
   singled out, and the mean in CSIS "talks years" vs other years (stratified bootstrap).
4. :func:`arsenal_path` — linear and log-linear OLS fits to the FAS series, extrapolated to 2027
   with t-based prediction intervals, against the "two hundred nuclear weapons by 2027"
   projection quoted in the Cato op-ed (Bandow 2021, ``shared/sources/000_c7b37ae1da67c85b.txt``).

The numbers describe co-occurrence, not effect: talks and provocations are endogenous (each
responds to the other and to common causes), so none of these is the causal effect of offering
talks. ``docs/evidence.md`` spells out what they can and cannot support.

Reproduce the shipped table (from the repository root)::

    python scenarios/data/derive_korea_evidence.py ../shared/data/korea \
        -o scenarios/data/korea-evidence.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

MONTHLY_FILE = "csis-monthly-provocations-negotiations.csv"
MISSILE_FILE = "nk-missile-tests.json"
WARHEAD_FILE = "fas-warheads-north-korea.csv"

DEFAULT_SEED = 7  # issue number; any fixed seed gives byte-identical output for that seed
DEFAULT_N_BOOT = 5000
DEFAULT_BLOCK_MONTHS = 12
SIGNIFICANT_DIGITS = 4

#: The projection the Cato op-ed cites (Bandow 2021, shared/sources/000_c7b37ae1da67c85b.txt).
CATO_QUOTE = (
    "With a forecast that the Democratic People’s Republic of Korea could have two hundred "
    "nuclear weapons by 2027"
)
CATO_PROJECTION = 200.0
CATO_YEAR = 2027

ATTRIBUTION: dict[str, str] = {
    MONTHLY_FILE: "CSIS Beyond Parallel (Center for Strategic and International Studies), "
    "monthly DPRK provocations and US–DPRK negotiations 1990–2018; attribute CSIS.",
    MISSILE_FILE: "CNS North Korea Missile Test Database (James Martin Center for "
    "Nonproliferation Studies / NTI), via nagix/nk-missile-tests (Apache-2.0).",
    WARHEAD_FILE: "Federation of American Scientists (H. M. Kristensen, M. Korda), "
    "Status of World Nuclear Forces, via Our World in Data.",
    "cato-op-ed": "D. Bandow, Cato Institute op-ed (2021), "
    "shared/sources/000_c7b37ae1da67c85b.txt.",
}

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


# --------------------------------------------------------------------------------------------
# Result types
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One figure with its uncertainty and provenance.

    Attributes:
        estimate: the point estimate, computed on the full data.
        ci95: (low, high) 95% interval; a confidence interval, or a prediction interval where
            ``method`` says so.
        n: number of observations (months, years) the point estimate uses.
        unit: what the number measures.
        method: the computation, precisely enough to cite.
        n_boot: bootstrap replicates with a finite value (0 for analytic intervals).
    """

    estimate: float
    ci95: tuple[float, float]
    n: int
    unit: str
    method: str
    n_boot: int = 0


@dataclass(frozen=True)
class ProvocationRates:
    """Monthly DPRK provocation rate with and without US–DPRK talks (CSIS 1990–2018).

    ``after_*`` fields pair a month's talks indicator with the mean provocations per month over
    the following ``after_months`` months (the strategy game moves monthly).
    """

    period: tuple[str, str]
    block_months: int
    with_talks: Estimate
    without_talks: Estimate
    ratio: Estimate
    difference: Estimate
    ratio_iid: Estimate
    after_months: int
    after_talks: Estimate
    after_no_talks: Estimate
    after_ratio: Estimate
    after_difference: Estimate


@dataclass(frozen=True)
class TalksBaseRate:
    """How often US–DPRK negotiation events occur (CSIS 1990–2018)."""

    period: tuple[str, str]
    per_month: Estimate
    within: dict[int, Estimate]
    within_after_provocation: dict[int, Estimate]
    within_after_no_provocation: dict[int, Estimate]


@dataclass(frozen=True)
class TalksOpeningHazard:
    """The monthly hazard of *opening* US–DPRK talks from a standstill (CSIS 1990–2018).

    A month t is *at risk* when none of the ``standstill_months`` months before it had a
    negotiation event; the hazard is the share of at-risk months with ``Nego >= 1``.
    ``by_standstill_months`` repeats it for other standstill lengths (a sensitivity), and
    ``gap_share_at_least`` gives, for each length k, the share of the ``n_gaps`` intervals from
    one talks month to the next that hold k or more months without talks (how often a
    standstill of k months is only a pause inside an ongoing process).
    """

    period: tuple[str, str]
    standstill_months: int
    hazard: Estimate
    by_standstill_months: dict[int, Estimate]
    gap_share_at_least: dict[int, float]
    n_gaps: int


@dataclass(frozen=True)
class MissileTests:
    """Missile tests per year (CNS database), with the 2018 summit year singled out.

    ``launch_days`` counts distinct launch dates (test events); ``missiles`` counts records
    (each missile in a salvo is its own record in the CNS data).
    """

    years: tuple[int, int]
    launch_days: dict[int, int]
    missiles: dict[int, int]
    summit_year: int
    summit_year_launch_days: int
    summit_year_missiles: int
    talks_years: tuple[int, ...]
    mean_talks_years: Estimate
    mean_other_years: Estimate
    difference: Estimate
    prior_rate: Estimate
    p_zero_at_prior_rate: Estimate


@dataclass(frozen=True)
class ArsenalPath:
    """FAS warhead estimates, fitted trends, and the 200-by-2027 projection."""

    observed: dict[int, float]
    linear_slope: Estimate
    linear_2027: Estimate
    loglinear_growth: Estimate
    loglinear_2027: Estimate
    p_200_by_2027_loglinear: float
    required_linear_per_year: float
    required_growth: float
    projection: float
    projection_year: int
    projection_quote: str


# --------------------------------------------------------------------------------------------
# Loading (bad input -> ValueError naming the file and the column)
# --------------------------------------------------------------------------------------------


def _read_csv(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    # utf-8-sig: the CSIS exports start with a byte-order mark
    frame = pd.read_csv(path, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    for column in columns:
        if column not in frame.columns:
            raise ValueError(f"{path}: missing column {column!r} (have {list(frame.columns)})")
    return frame


def _numeric(frame: pd.DataFrame, column: str, path: Path) -> FloatArray:
    values = pd.to_numeric(frame[column], errors="coerce")
    if values.isna().any():
        row = int(np.flatnonzero(values.isna().to_numpy())[0]) + 2  # header is line 1
        raise ValueError(f"{path}:{row}: column {column!r} is not a number")
    return values.to_numpy(dtype=np.float64)


def load_monthly(data_dir: Path | str) -> pd.DataFrame:
    """CSIS monthly counts, sorted, checked to be consecutive months.

    Returns columns ``Year``, ``Month`` (1..12), ``Prov``, ``Nego``, ``period`` ("YYYY-MM").
    """
    path = Path(data_dir) / MONTHLY_FILE
    frame = _read_csv(path, ("Year", "Month", "Prov", "Nego"))
    month_text = frame["Month"].astype(str).str.strip().str[:3].str.title()
    bad = ~month_text.isin(_MONTHS)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise ValueError(f"{path}:{row}: column 'Month' has {frame['Month'].iloc[row - 2]!r}")
    out = pd.DataFrame(
        {
            "Year": _numeric(frame, "Year", path).astype(np.int64),
            "Month": month_text.map({m: i + 1 for i, m in enumerate(_MONTHS)}).astype(np.int64),
            "Prov": _numeric(frame, "Prov", path),
            "Nego": _numeric(frame, "Nego", path),
        }
    )
    out = out.sort_values(["Year", "Month"], kind="stable").reset_index(drop=True)
    index = (out["Year"] * 12 + out["Month"] - 1).to_numpy()
    if len(index) < 2 or np.any(np.diff(index) != 1):
        # lags and block bootstraps assume a gap-free monthly series
        raise ValueError(f"{path}: months are not consecutive (a month is missing or repeated)")
    out["period"] = [f"{y:04d}-{m:02d}" for y, m in zip(out["Year"], out["Month"], strict=True)]
    return out


def load_missile_tests(data_dir: Path | str) -> pd.DataFrame:
    """CNS missile-test records, one row per missile, with ``date`` and integer ``year``.

    The year is taken from ``date`` (``YYYY-MM-DD``, or ``YYYY-MM`` for a few early tests
    whose day is unknown), which always agrees with the enclosing ``timeBins[].year``.
    """
    path = Path(data_dir) / MISSILE_FILE
    if not path.is_file():
        raise ValueError(f"{path}: file not found")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise ValueError(f"{path}: not valid JSON ({err})") from err
    if not isinstance(raw, dict) or not isinstance(raw.get("timeBins"), list):
        raise ValueError(f"{path}: missing key 'timeBins' (a list of {{year, data}})")
    rows: list[dict[str, str]] = []
    for b, time_bin in enumerate(raw["timeBins"]):
        records = time_bin.get("data") if isinstance(time_bin, dict) else None
        if not isinstance(records, list):
            raise ValueError(f"{path}: timeBins[{b}] has no 'data' list")
        for r, record in enumerate(records):
            if not isinstance(record, dict) or "date" not in record:
                raise ValueError(f"{path}: timeBins[{b}].data[{r}] missing field 'date'")
            rows.append({"date": str(record["date"])})
    frame = pd.DataFrame(rows, columns=["date"])
    years = pd.to_numeric(frame["date"].str[:4], errors="coerce")
    if years.isna().any():
        first = frame["date"][years.isna()].iloc[0]
        raise ValueError(f"{path}: field 'date' has {first!r}, expected YYYY-MM[-DD]")
    frame["year"] = years.astype(np.int64)
    return frame


def load_warheads(data_dir: Path | str) -> pd.DataFrame:
    """FAS estimates: columns ``year`` (int) and ``warheads`` (float), sorted by year."""
    path = Path(data_dir) / WARHEAD_FILE
    frame = _read_csv(path, ("year", "nuclear_warheads_estimate"))
    out = pd.DataFrame(
        {
            "year": _numeric(frame, "year", path).astype(np.int64),
            "warheads": _numeric(frame, "nuclear_warheads_estimate", path),
        }
    ).sort_values("year", kind="stable")
    if len(out) < 3:
        raise ValueError(f"{path}: need at least 3 yearly estimates to fit a trend")
    if (out["warheads"] <= 0).any():
        raise ValueError(f"{path}: column 'nuclear_warheads_estimate' must be positive")
    return out.reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Bootstrap machinery
# --------------------------------------------------------------------------------------------


def circular_block_indices(n: int, block: int, n_boot: int, rng: np.random.Generator) -> IntArray:
    """Index arrays (n_boot, n) for the circular moving-block bootstrap.

    Blocks of ``block`` consecutive positions start at uniform positions and wrap around the
    end (Politis & Romano 1992), so every observation is equally likely to be drawn.
    """
    if n < 1 or block < 1 or n_boot < 1:
        raise ValueError("circular_block_indices: n, block and n_boot must be positive")
    block = min(block, n)
    n_blocks = math.ceil(n / block)
    starts = rng.integers(0, n, size=(n_boot, n_blocks))
    idx = (starts[:, :, None] + np.arange(block)[None, None, :]) % n
    return idx.reshape(n_boot, n_blocks * block)[:, :n].astype(np.int64)


def _percentile_ci(replicates: FloatArray) -> tuple[tuple[float, float], int]:
    finite = replicates[np.isfinite(replicates)]
    if finite.size == 0:
        return (math.nan, math.nan), 0
    lo, hi = np.percentile(finite, [2.5, 97.5])
    return (float(lo), float(hi)), int(finite.size)


def _group_means(y: FloatArray, g: BoolArray) -> tuple[FloatArray, FloatArray]:
    """Row-wise mean of ``y`` where ``g`` and where not ``g`` (NaN for an empty group)."""
    g_f = g.astype(np.float64)
    n_in = g_f.sum(axis=-1)
    n_out = g.shape[-1] - n_in
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_in = (y * g_f).sum(axis=-1) / n_in
        mean_out = (y * (1.0 - g_f)).sum(axis=-1) / n_out
    return np.asarray(mean_in, dtype=np.float64), np.asarray(mean_out, dtype=np.float64)


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.asarray(a / b, dtype=np.float64)


def _forward_mean(x: FloatArray, window: int) -> FloatArray:
    """Mean of x[t+1 .. t+window] for t = 0 .. n-window-1."""
    csum = np.concatenate([[0.0], np.cumsum(x)])
    n = x.size
    t = np.arange(n - window)
    return np.asarray((csum[t + 1 + window] - csum[t + 1]) / window, dtype=np.float64)


def _forward_any(x: BoolArray, window: int) -> BoolArray:
    """Whether any of x[t+1 .. t+window] holds, for t = 0 .. n-window-1."""
    return _forward_mean(x.astype(np.float64), window) > 0


def _period(frame: pd.DataFrame) -> tuple[str, str]:
    return str(frame["period"].iloc[0]), str(frame["period"].iloc[-1])


def _window(
    frame: pd.DataFrame, start_year: int | None, end_year: int | None, path: Path
) -> pd.DataFrame:
    keep = np.ones(len(frame), dtype=bool)
    if start_year is not None:
        keep &= frame["Year"].to_numpy() >= start_year
    if end_year is not None:
        keep &= frame["Year"].to_numpy() <= end_year
    out = frame[keep].reset_index(drop=True)
    if len(out) < 24:
        raise ValueError(f"{path}: fewer than 24 months in {start_year}..{end_year}")
    return out


# --------------------------------------------------------------------------------------------
# 1. Provocations with and without talks
# --------------------------------------------------------------------------------------------


def provocation_rates(
    data_dir: Path | str,
    seed: int = DEFAULT_SEED,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    block_months: int = DEFAULT_BLOCK_MONTHS,
    after_months: int = 1,
    start_year: int | None = None,
    end_year: int | None = None,
) -> ProvocationRates:
    """Monthly provocation rate in months with >= 1 US–DPRK negotiation event vs without.

    Source: CSIS Beyond Parallel monthly file (``Prov``, ``Nego``), Jan 1990 – Aug 2018,
    optionally restricted to ``start_year..end_year``.

    A "talks month" has ``Nego >= 1``. Rates are mean ``Prov`` per month in each group; the
    ratio is with/without and the difference with − without. The "after" figures pair month
    t's talks indicator with the mean ``Prov`` over months t+1 .. t+``after_months`` (so they
    ask whether talks are *followed* by fewer provocations, one step of the monthly game).

    CIs: circular moving-block bootstrap over months, blocks of ``block_months`` (default 12),
    ``n_boot`` replicates, percentile intervals. Months are resampled as (talks, provocations)
    pairs, and for the "after" figures as (talks at t, provocations after t) pairs, so the
    pairing is never broken. Blocks keep within-year dependence and the long talks /
    no-talks regimes together; an iid bootstrap (``ratio_iid``) treats months as independent
    and is shown only to make the effect of that dependence visible.
    """
    path = Path(data_dir) / MONTHLY_FILE
    frame = _window(load_monthly(data_dir), start_year, end_year, path)
    rng = np.random.default_rng(seed)
    prov = frame["Prov"].to_numpy(dtype=np.float64)
    talks = frame["Nego"].to_numpy() > 0
    n = prov.size
    if talks.all() or not talks.any():
        raise ValueError(f"{path}: need months both with and without negotiation events")
    period = _period(frame)
    where = f"CSIS monthly file {MONTHLY_FILE}, {period[0]}..{period[1]}"
    boot = f"circular moving-block bootstrap over months (block {block_months}, {n_boot} reps)"

    idx = circular_block_indices(n, block_months, n_boot, rng)
    b_with, b_without = _group_means(prov[idx], talks[idx])
    p_with, p_without = _group_means(prov, talks)
    n_talks = int(talks.sum())

    def est(point: float, reps: FloatArray, n_obs: int, unit: str, what: str) -> Estimate:
        ci, valid = _percentile_ci(reps)
        return Estimate(float(point), ci, n_obs, unit, f"{what}; {where}; 95% CI: {boot}", valid)

    with_talks = est(
        float(p_with),
        b_with,
        n_talks,
        "provocations per month",
        "mean Prov over months with Nego>=1",
    )
    without_talks = est(
        float(p_without),
        b_without,
        n - n_talks,
        "provocations per month",
        "mean Prov over months with Nego==0",
    )
    ratio = est(
        float(p_with / p_without),
        _ratio(b_with, b_without),
        n,
        "ratio",
        "mean Prov in Nego>=1 months / mean Prov in Nego==0 months",
    )
    difference = est(
        float(p_with - p_without),
        b_with - b_without,
        n,
        "provocations per month",
        "mean Prov in Nego>=1 months - mean Prov in Nego==0 months",
    )
    iid_idx = rng.integers(0, n, size=(n_boot, n))
    i_with, i_without = _group_means(prov[iid_idx], talks[iid_idx])
    iid_ci, iid_valid = _percentile_ci(_ratio(i_with, i_without))
    ratio_iid = Estimate(
        ratio.estimate,
        iid_ci,
        n,
        "ratio",
        f"as ratio, but 95% CI from an iid bootstrap of months ({n_boot} reps); ignores "
        "autocorrelation, so too narrow — comparison only; " + where,
        iid_valid,
    )

    if after_months < 1 or after_months >= n:
        raise ValueError(f"after_months must be in 1..{n - 1}, got {after_months}")
    after = _forward_mean(prov, after_months)
    talks_t = talks[: after.size]
    m = after.size
    a_idx = circular_block_indices(m, block_months, n_boot, rng)
    ab_with, ab_without = _group_means(after[a_idx], talks_t[a_idx])
    ap_with, ap_without = _group_means(after, talks_t)
    lead = f"mean Prov per month over months t+1..t+{after_months}"
    after_talks = est(
        float(ap_with),
        ab_with,
        int(talks_t.sum()),
        "provocations per month",
        f"{lead}, averaged over months t with Nego>=1",
    )
    after_no_talks = est(
        float(ap_without),
        ab_without,
        int((~talks_t).sum()),
        "provocations per month",
        f"{lead}, averaged over months t with Nego==0",
    )
    after_ratio = est(
        float(ap_with / ap_without),
        _ratio(ab_with, ab_without),
        m,
        "ratio",
        f"({lead} after Nego>=1 months) / (same after Nego==0 months)",
    )
    after_difference = est(
        float(ap_with - ap_without),
        ab_with - ab_without,
        m,
        "provocations per month",
        f"({lead} after Nego>=1 months) - (same after Nego==0 months)",
    )
    return ProvocationRates(
        period,
        block_months,
        with_talks,
        without_talks,
        ratio,
        difference,
        ratio_iid,
        after_months,
        after_talks,
        after_no_talks,
        after_ratio,
        after_difference,
    )


# --------------------------------------------------------------------------------------------
# 2. Base rate of talks
# --------------------------------------------------------------------------------------------


def talks_base_rate(
    data_dir: Path | str,
    seed: int = DEFAULT_SEED,
    *,
    horizons: Sequence[int] = (6, 12),
    n_boot: int = DEFAULT_N_BOOT,
    block_months: int = DEFAULT_BLOCK_MONTHS,
    start_year: int | None = None,
    end_year: int | None = None,
) -> TalksBaseRate:
    """Share of months with a US–DPRK negotiation event, and P(talks within h months).

    Source: CSIS Beyond Parallel monthly file, Jan 1990 – Aug 2018.

    ``per_month`` is the share of months with ``Nego >= 1``. ``within[h]`` is the share of
    months t (those with h months of data after them) for which some month t+1..t+h has
    ``Nego >= 1`` — the empirical counterpart of a "talks within h months" metric.
    ``within_after_provocation[h]`` restricts t to months with ``Prov >= 1``, and
    ``within_after_no_provocation[h]`` to months with ``Prov == 0``.

    CIs: circular moving-block bootstrap over months, percentile. For ``within[h]`` the
    windows of neighbouring months overlap, so the indicator is dependent over at least h
    lags; the block is therefore max(``block_months``, 2h).
    """
    path = Path(data_dir) / MONTHLY_FILE
    frame = _window(load_monthly(data_dir), start_year, end_year, path)
    rng = np.random.default_rng(seed)
    talks = frame["Nego"].to_numpy() > 0
    provoked = frame["Prov"].to_numpy() > 0
    n = talks.size
    period = _period(frame)
    where = f"CSIS monthly file {MONTHLY_FILE}, {period[0]}..{period[1]}"

    t_f = talks.astype(np.float64)
    idx = circular_block_indices(n, block_months, n_boot, rng)
    ci, valid = _percentile_ci(np.asarray(t_f[idx].mean(axis=1), dtype=np.float64))
    per_month = Estimate(
        float(t_f.mean()),
        ci,
        n,
        "probability per month",
        f"share of months with Nego>=1; {where}; 95% CI: circular moving-block bootstrap "
        f"(block {block_months}, {n_boot} reps)",
        valid,
    )

    within: dict[int, Estimate] = {}
    after_p: dict[int, Estimate] = {}
    after_np: dict[int, Estimate] = {}
    for h in horizons:
        if h < 1 or h >= n:
            raise ValueError(f"horizon must be in 1..{n - 1}, got {h}")
        hit = _forward_any(talks, h).astype(np.float64)
        prov_t = provoked[: hit.size]
        block = max(block_months, 2 * h)
        h_idx = circular_block_indices(hit.size, block, n_boot, rng)
        boot = f"circular moving-block bootstrap (block {block}, {n_boot} reps)"
        ci, valid = _percentile_ci(np.asarray(hit[h_idx].mean(axis=1), dtype=np.float64))
        within[h] = Estimate(
            float(hit.mean()),
            ci,
            int(hit.size),
            "probability",
            f"share of months t with Nego>=1 in some month t+1..t+{h}; {where}; 95% CI: {boot}",
            valid,
        )
        b_p, b_np = _group_means(hit[h_idx], prov_t[h_idx])
        p_p, p_np = _group_means(hit, prov_t)
        ci, valid = _percentile_ci(b_p)
        after_p[h] = Estimate(
            float(p_p),
            ci,
            int(prov_t.sum()),
            "probability",
            f"share of months t with Prov>=1 followed by Nego>=1 in some month t+1..t+{h}; "
            f"{where}; 95% CI: {boot}",
            valid,
        )
        ci, valid = _percentile_ci(b_np)
        after_np[h] = Estimate(
            float(p_np),
            ci,
            int((~prov_t).sum()),
            "probability",
            f"share of months t with Prov==0 followed by Nego>=1 in some month t+1..t+{h}; "
            f"{where}; 95% CI: {boot}",
            valid,
        )
    return TalksBaseRate(period, per_month, within, after_p, after_np)


def _at_risk(talks: BoolArray, k: int) -> BoolArray:
    """Months t >= k none of whose k previous months had talks (the standstill months)."""
    n = talks.size
    prev = np.concatenate([[0], np.cumsum(talks.astype(np.int64))])
    t = np.arange(n)
    quiet = (prev[t] - prev[np.maximum(t - k, 0)]) == 0
    out: BoolArray = quiet & (t >= k)
    return out


def talks_opening_hazard(
    data_dir: Path | str,
    seed: int = DEFAULT_SEED,
    *,
    standstill_months: int = 3,
    sensitivity: Sequence[int] = (1, 2, 3, 6, 12),
    n_boot: int = DEFAULT_N_BOOT,
    block_months: int = DEFAULT_BLOCK_MONTHS,
    start_year: int | None = None,
    end_year: int | None = None,
) -> TalksOpeningHazard:
    """Monthly hazard of opening talks from a standstill: P(Nego >= 1 in month t | no Nego in
    months t-k .. t-1), k = ``standstill_months``.

    Source: CSIS Beyond Parallel monthly file, Jan 1990 – Aug 2018. This is the quantity the
    strategy game's ``p_talk`` is (the chance a month that starts with talks closed opens them,
    ``docs/models/strategy-game.md``), unlike ``talks_base_rate.within``, which mixes months
    already in talks with months of standstill.

    Why k = 3 by default: inside an ongoing process the CSIS series pauses for a month or two
    between meetings (of the 137 intervals from one talks month to the next, 85 are to the
    very next month, 41 skip 1–2 months and only 11 skip 3 or more), so k = 1 or 2 counts
    many pauses as standstills and over-states the hazard of a real opening; beyond k = 3 the
    at-risk months are ever fewer and dominated by the long 2008–2018 freeze (duration
    dependence and era cannot be told apart). The sensitivity over ``sensitivity`` shows how
    much the figure depends on k.

    CIs: circular moving-block bootstrap over months, percentile, resampling (at risk, talks)
    pairs computed on the original series (so a pair's k-month history is never broken); the
    at-risk indicator depends on k lags, so the block is max(``block_months``, 2k). A replicate
    with no at-risk month gives no value (``n_boot`` counts the finite ones).
    """
    path = Path(data_dir) / MONTHLY_FILE
    frame = _window(load_monthly(data_dir), start_year, end_year, path)
    rng = np.random.default_rng(seed)
    talks = frame["Nego"].to_numpy() > 0
    n = talks.size
    period = _period(frame)
    where = f"CSIS monthly file {MONTHLY_FILE}, {period[0]}..{period[1]}"
    lengths = sorted({int(k) for k in (*sensitivity, standstill_months)})
    by_k: dict[int, Estimate] = {}
    for k in lengths:
        if k < 1 or k >= n:
            raise ValueError(f"standstill months must be in 1..{n - 1}, got {k}")
        risk = _at_risk(talks, k)
        if not risk.any():
            raise ValueError(f"{path}: no month follows {k} months without talks")
        hit = (risk & talks).astype(np.float64)
        r_f = risk.astype(np.float64)
        block = max(block_months, 2 * k)
        idx = circular_block_indices(n, block, n_boot, rng)
        reps = _ratio(hit[idx].sum(axis=1), r_f[idx].sum(axis=1))
        ci, valid = _percentile_ci(reps)
        by_k[k] = Estimate(
            float(hit.sum() / r_f.sum()),
            ci,
            int(r_f.sum()),
            "probability per month",
            f"share of months t with Nego>=1 among months with Nego==0 in each of months "
            f"t-{k}..t-1 (the hazard of opening talks from a {k}-month standstill); {where}; "
            f"95% CI: circular moving-block bootstrap of (at risk, talks) pairs (block {block}, "
            f"{n_boot} reps)",
            valid,
        )
    runs = np.diff(np.flatnonzero(talks)) - 1  # months without talks between two talks months
    gaps = runs[runs > 0]
    n_gaps = int(runs.size)
    share = {k: float((gaps >= k).sum() / n_gaps) if n_gaps else math.nan for k in lengths}
    return TalksOpeningHazard(
        period, standstill_months, by_k[standstill_months], by_k, share, n_gaps
    )


# --------------------------------------------------------------------------------------------
# 3. Missile tests per year
# --------------------------------------------------------------------------------------------


def talks_years(data_dir: Path | str) -> tuple[int, ...]:
    """Years of the CSIS monthly file with at least one month with ``Nego >= 1``."""
    monthly = load_monthly(data_dir)
    years = monthly.loc[monthly["Nego"] > 0, "Year"].unique()
    return tuple(sorted(int(y) for y in years))


def missile_tests_per_year(
    data_dir: Path | str,
    seed: int = DEFAULT_SEED,
    *,
    n_boot: int = DEFAULT_N_BOOT,
    summit_year: int = 2018,
    last_year: int | None = None,
) -> MissileTests:
    """Missile tests per year from the CNS database; 2018 (Singapore summit) singled out.

    Units: a *launch day* is a distinct ``date`` (all missiles fired that day count as one
    test event); *missiles* counts records (the CNS data has one record per missile, salvos
    numbered by ``series``). Years without a record count as zero. Years run from the first
    record to ``last_year``; by default the last *complete* year (the year of the latest
    record minus one, unless the latest record is in December) so a part year is not read
    as a low one.

    Talks vs other years: over the CSIS window (first to last year of the monthly file),
    a "talks year" has >= 1 month with a US–DPRK negotiation event (CSIS). Mean launch days
    per year in each group, and their difference, with a stratified iid bootstrap over years
    (years resampled within each group; ``n_boot`` replicates, percentile CI).

    ``prior_rate`` is the mean launch days per year in the four years before ``summit_year``
    with an exact Poisson (Garwood) 95% CI; ``p_zero_at_prior_rate`` = exp(−rate), the
    probability of a year with no launch day if the prior rate had simply continued as a
    Poisson process (an upper bound on surprise: over-dispersion makes zeros likelier).
    """
    rng = np.random.default_rng(seed)
    tests = load_missile_tests(data_dir)
    if tests.empty:
        raise ValueError(f"{Path(data_dir) / MISSILE_FILE}: no missile-test records")
    first = int(tests["year"].min())
    if last_year is None:
        latest = str(tests["date"].max())
        last_year = int(latest[:4]) if latest[5:7] == "12" else int(latest[:4]) - 1
    years = np.arange(first, last_year + 1)
    in_range = tests[tests["year"] <= last_year]
    days_s = in_range.groupby("year")["date"].nunique()
    miss_s = in_range.groupby("year").size()
    launch_days = {int(y): int(days_s.get(y, 0)) for y in years}
    missiles = {int(y): int(miss_s.get(y, 0)) for y in years}

    monthly = load_monthly(data_dir)
    csis_first, csis_last = int(monthly["Year"].min()), int(monthly["Year"].max())
    t_years = talks_years(data_dir)
    window = [y for y in range(csis_first, csis_last + 1) if first <= y <= last_year]
    counts = np.array([launch_days[y] for y in window], dtype=np.float64)
    is_talks = np.array([y in t_years for y in window])
    if is_talks.all() or not is_talks.any():
        raise ValueError("missile_tests_per_year: need both talks years and other years")
    a, b = counts[is_talks], counts[~is_talks]
    ra = a[rng.integers(0, a.size, size=(n_boot, a.size))].mean(axis=1)
    rb = b[rng.integers(0, b.size, size=(n_boot, b.size))].mean(axis=1)
    src = f"CNS database {MISSILE_FILE} (launch days = distinct dates)"
    grp = f"talks year = >=1 month with Nego>=1 in CSIS {MONTHLY_FILE}, {window[0]}..{window[-1]}"
    boot = f"95% CI: iid bootstrap of years within group ({n_boot} reps)"
    ci_a, va = _percentile_ci(np.asarray(ra, dtype=np.float64))
    ci_b, vb = _percentile_ci(np.asarray(rb, dtype=np.float64))
    ci_d, vd = _percentile_ci(np.asarray(ra - rb, dtype=np.float64))
    mean_talks = Estimate(
        float(a.mean()),
        ci_a,
        int(a.size),
        "launch days per year",
        f"mean launch days per talks year; {src}; {grp}; {boot}",
        va,
    )
    mean_other = Estimate(
        float(b.mean()),
        ci_b,
        int(b.size),
        "launch days per year",
        f"mean launch days per non-talks year; {src}; {grp}; {boot}",
        vb,
    )
    difference = Estimate(
        float(a.mean() - b.mean()),
        ci_d,
        int(counts.size),
        "launch days per year",
        f"mean per talks year - mean per non-talks year; {src}; {grp}; stratified {boot}",
        vd,
    )

    prior_years = [summit_year - k for k in (4, 3, 2, 1)]
    if any(y not in launch_days for y in prior_years) or summit_year not in launch_days:
        raise ValueError(f"missile_tests_per_year: no data for {prior_years[0]}..{summit_year}")
    total = sum(launch_days[y] for y in prior_years)
    k = len(prior_years)
    lo = stats.chi2.ppf(0.025, 2 * total) / 2 / k if total > 0 else 0.0
    hi = stats.chi2.ppf(0.975, 2 * total + 2) / 2 / k
    rate = total / k
    prior_rate = Estimate(
        float(rate),
        (float(lo), float(hi)),
        k,
        "launch days per year",
        f"mean launch days per year {prior_years[0]}..{prior_years[-1]}; {src}; "
        "95% CI: exact Poisson (Garwood, chi-square)",
    )
    p_zero = Estimate(
        float(math.exp(-rate)),
        (float(math.exp(-hi)), float(math.exp(-lo))),
        k,
        "probability",
        f"exp(-rate): P(no launch day in a year) for a Poisson process at the "
        f"{prior_years[0]}..{prior_years[-1]} rate; CI maps the rate's Garwood CI; {src}",
    )
    return MissileTests(
        (first, last_year),
        launch_days,
        missiles,
        summit_year,
        launch_days[summit_year],
        missiles[summit_year],
        t_years,
        mean_talks,
        mean_other,
        difference,
        prior_rate,
        p_zero,
    )


# --------------------------------------------------------------------------------------------
# 4. Arsenal path
# --------------------------------------------------------------------------------------------


def _ols_with_prediction(
    x: FloatArray, y: FloatArray, x_new: float
) -> tuple[float, float, float, float, float, float, int]:
    """OLS y = a + b x: (b, se_b, yhat(x_new), se_pred(x_new), t_crit, resid_sd, dof)."""
    n = x.size
    dof = n - 2
    xm = x.mean()
    sxx = float(((x - xm) ** 2).sum())
    b = float(((x - xm) * (y - y.mean())).sum() / sxx)
    a = float(y.mean() - b * xm)
    resid = y - (a + b * x)
    s = math.sqrt(float((resid**2).sum()) / dof)
    se_b = s / math.sqrt(sxx)
    yhat = a + b * x_new
    se_pred = s * math.sqrt(1.0 + 1.0 / n + (x_new - xm) ** 2 / sxx)
    return b, se_b, yhat, se_pred, float(stats.t.ppf(0.975, dof)), s, dof


def arsenal_path(
    data_dir: Path | str,
    *,
    target_year: int = CATO_YEAR,
    projection: float = CATO_PROJECTION,
) -> ArsenalPath:
    """FAS warhead estimates, fitted growth, and the extrapolation to ``target_year``.

    Source: FAS (Kristensen & Korda) estimates via Our World in Data,
    ``fas-warheads-north-korea.csv`` (one estimate per year, 2015–2023).

    Linear: OLS warheads = a + b·year; ``linear_slope`` is b (warheads/year, t-based 95% CI);
    ``linear_2027`` the fitted value at ``target_year`` with a t-based 95% *prediction*
    interval (residual variance plus parameter uncertainty, n−2 dof). Log-linear: OLS
    ln(warheads) = a + g·year; ``loglinear_growth`` is exp(g)−1 per year with the CI of g
    mapped through exp; ``loglinear_2027`` is exp(prediction) — a median, not a mean — with
    the prediction interval mapped through exp. ``p_200_by_2027_loglinear`` is
    P(warheads >= ``projection``) under the log-linear predictive t distribution.
    ``required_*`` are the linear increment and the constant growth rate that would take the
    last FAS estimate to ``projection`` by ``target_year``. Both fits assume independent
    errors around a constant trend, which nine revised estimates do not really satisfy.
    """
    frame = load_warheads(data_dir)
    x = frame["year"].to_numpy(dtype=np.float64)
    y = frame["warheads"].to_numpy(dtype=np.float64)
    n = int(x.size)
    src = f"FAS via Our World in Data, {WARHEAD_FILE}, {int(x[0])}..{int(x[-1])}"

    b, se_b, yhat, se_pred, t_crit, _, dof = _ols_with_prediction(x, y, float(target_year))
    linear_slope = Estimate(
        b,
        (b - t_crit * se_b, b + t_crit * se_b),
        n,
        "warheads per year",
        f"OLS slope of warheads on year; {src}; 95% CI: t({dof}) on the slope's standard error",
    )
    linear_2027 = Estimate(
        yhat,
        (yhat - t_crit * se_pred, yhat + t_crit * se_pred),
        n,
        "warheads",
        f"linear OLS trend evaluated at {target_year}; {src}; 95% prediction interval: "
        f"t({dof}), se = s*sqrt(1 + 1/n + (x0-xbar)^2/Sxx)",
    )
    g, se_g, lhat, lse_pred, _, _, _ = _ols_with_prediction(x, np.log(y), float(target_year))
    loglinear_growth = Estimate(
        math.expm1(g),
        (math.expm1(g - t_crit * se_g), math.expm1(g + t_crit * se_g)),
        n,
        "fraction per year",
        f"exp(g)-1 for OLS ln(warheads) = a + g*year; {src}; 95% CI: t({dof}) on g, mapped by exp",
    )
    loglinear_2027 = Estimate(
        math.exp(lhat),
        (math.exp(lhat - t_crit * lse_pred), math.exp(lhat + t_crit * lse_pred)),
        n,
        "warheads",
        f"exp of the log-linear OLS trend at {target_year} (a median); {src}; 95% prediction "
        f"interval: t({dof}) on the log scale, mapped by exp",
    )
    p200 = float(stats.t.sf((math.log(projection) - lhat) / lse_pred, dof))
    last_year, last_value = int(x[-1]), float(y[-1])
    years_left = target_year - last_year
    if years_left <= 0:
        raise ValueError(f"target_year {target_year} is not after the last estimate {last_year}")
    return ArsenalPath(
        observed={int(k): float(v) for k, v in zip(x, y, strict=True)},
        linear_slope=linear_slope,
        linear_2027=linear_2027,
        loglinear_growth=loglinear_growth,
        loglinear_2027=loglinear_2027,
        p_200_by_2027_loglinear=p200,
        required_linear_per_year=(projection - last_value) / years_left,
        required_growth=(projection / last_value) ** (1.0 / years_left) - 1.0,
        projection=projection,
        projection_year=target_year,
        projection_quote=CATO_QUOTE,
    )


# --------------------------------------------------------------------------------------------
# 5. Summary table
# --------------------------------------------------------------------------------------------


def _clean(value: Any) -> Any:
    """JSON-ready copy: 4 significant digits, str keys, NaN/inf -> None, tuples -> lists."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        if not math.isfinite(f):
            return None
        # significant digits, not decimals: exp(-12.25) ~ 5e-6 must not print as 0.0
        r = float(f"{f:.{SIGNIFICANT_DIGITS}g}")
        return 0.0 if r == 0 else r  # no "-0.0" in the table
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def summarise(
    data_dir: Path | str, seed: int = DEFAULT_SEED, *, n_boot: int = DEFAULT_N_BOOT
) -> dict[str, Any]:
    """All figures as a JSON-ready dict (4 significant digits), with sources and file hashes.

    Two sensitivity checks come with the pooled provocation rates: the same comparison for
    1990–2012 (2013–2017 is a five-year run with no talks and many provocations, which alone
    could drive the pooled contrast), and the ratio's block-bootstrap CI for blocks of 6 and 24
    months (how much the interval depends on the assumed dependence length).
    """
    data_dir = Path(data_dir)
    pooled = provocation_rates(data_dir, seed, n_boot=n_boot)
    after3 = provocation_rates(data_dir, seed, n_boot=n_boot, after_months=3)
    pre2013 = provocation_rates(data_dir, seed, n_boot=n_boot, end_year=2012)
    result: dict[str, Any] = {
        "description": "What the record says about DPRK responses to US–DPRK talks: "
        "co-occurrence, not causal effects (see docs/evidence.md). Every figure carries the "
        "computation that produced it; ci95 is a 95% interval as its method states.",
        "reproduce": "python scenarios/data/derive_korea_evidence.py DATA_DIR -o OUT "
        f"--seed {seed} --n-boot {n_boot}",
        "seed": seed,
        "n_boot": n_boot,
        "sources": {
            name: {
                "attribution": text,
                **({"sha256": _sha256(data_dir / name)} if (data_dir / name).is_file() else {}),
            }
            for name, text in ATTRIBUTION.items()
        },
        "provocation_rates": asdict(pooled),
        "provocation_rates_after_3_months": {
            k: v for k, v in asdict(after3).items() if k.startswith("after") or k == "period"
        },
        "provocation_rates_1990_2012": asdict(pre2013),
        "provocation_ratio_ci95_by_block_months": {
            str(block): provocation_rates(
                data_dir, seed, n_boot=n_boot, block_months=block
            ).ratio.ci95
            for block in (6, 12, 24)
        },
        "talks_base_rate": asdict(talks_base_rate(data_dir, seed, n_boot=n_boot)),
        "talks_opening_hazard": asdict(talks_opening_hazard(data_dir, seed, n_boot=n_boot)),
        "missile_tests": asdict(missile_tests_per_year(data_dir, seed, n_boot=n_boot)),
        "arsenal": asdict(arsenal_path(data_dir)),
    }
    cleaned: dict[str, Any] = _clean(result)
    return cleaned


def write_summary(
    data_dir: Path | str, out: Path | str, seed: int = DEFAULT_SEED, n_boot: int = DEFAULT_N_BOOT
) -> Path:
    """Write :func:`summarise` as sorted, indented JSON (byte-identical for the same seed)."""
    text = json.dumps(
        summarise(data_dir, seed, n_boot=n_boot), sort_keys=True, indent=2, ensure_ascii=False
    )
    out_path = Path(out)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text + "\n", encoding="utf-8")
    return out_path


def main(
    argv: Sequence[str] | None = None, *, stderr: Callable[[str], object] | None = None
) -> int:
    """CLI: ``python derive_korea_evidence.py DATA_DIR -o OUT [--seed S] [--n-boot N]``.

    Exit 0 on success, 2 on bad input (message on stderr, no traceback).
    """
    parser = argparse.ArgumentParser(
        prog="python scenarios/data/derive_korea_evidence.py",
        description="Compute the data-calibrated Korea evidence table (CSIS, CNS, FAS).",
    )
    parser.add_argument("data_dir", type=Path, help="directory holding shared/data/korea files")
    parser.add_argument("-o", "--out", type=Path, default=None, help="JSON file (default stdout)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--n-boot", type=int, default=DEFAULT_N_BOOT)
    args = parser.parse_args(argv)
    err = stderr if stderr is not None else (lambda s: print(s, file=sys.stderr))
    if args.n_boot < 100:
        err("error: --n-boot must be at least 100")
        return 2
    try:
        if args.out is None:
            print(
                json.dumps(
                    summarise(args.data_dir, args.seed, n_boot=args.n_boot),
                    sort_keys=True,
                    indent=2,
                    ensure_ascii=False,
                )
            )
        else:
            write_summary(args.data_dir, args.out, args.seed, args.n_boot)
    except ValueError as error:
        err(f"error: {error}")
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
