"""Tests of the DEU III backtest: reader, capabilities, scoring, protocol and the CLI."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from detente.analysis.backtest import resolve_models, run_backtest, run_model
from detente.analysis.backtest_protocol import ProtocolResult, run_protocol
from detente.analysis.scoring import bootstrap_counts, paired_difference, score_forecasts
from detente.cli import app
from detente.models._weights import weighted_mean, weighted_median
from detente.models.base import Forecast, Forecasts, Model, ModelInputError, Problem
from detente.models.baselines import Midpoint, StatusQuo
from detente.scenario.deu import (
    COUNCIL_PERIODS,
    DeuFormatError,
    DeuIssue,
    DeuProposal,
    capabilities,
    issue_problem,
    parse_deu_date,
    proposal_problem,
    read_deu,
    treaty_period,
)

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DEV = SHARED / "data" / "deu" / "deu3-dev.tsv"


def dev_file() -> Path:
    if not DEV.exists():
        pytest.skip(f"DEU III development file absent: {DEV}")
    return DEV


def cli_app() -> typer.Typer:
    """The ``detente`` app; its ``backtest`` group is :mod:`detente.cli.backtest`."""
    return app


# --- A small synthetic file in the DEU layout ------------------------------------------------

HEADER = [
    "prnrnmc", "isnrnmc", "prnr", "prname", "isnr", "proc", "counvte", "intro", "finact",
    "pcom", "pep", "pde", "pfr", "pmt", "scom", "sep", "sde", "sfr", "smt", "rp", "out",
]  # fmt: skip


def q(s: str) -> str:
    return f'"{s}"'


def write_deu(path: Path, rows: list[list[str]], cap_row: bool = True) -> Path:
    lines = ["\t".join(q(h) for h in HEADER)]
    if cap_row:
        # capability proxy under the p columns only, as in the published file
        cap = [""] * len(HEADER)
        for name, v in {"pcom": "4", "pep": "4", "pde": "4", "pfr": "3", "pmt": "0.02"}.items():
            cap[HEADER.index(name)] = q(v)
        lines.append("\t".join(cap))
    for r in rows:
        lines.append("\t".join(r))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def row(
    pid: str, iid: str, proc: str, pos: list[str], sal: list[str], rp: str, out: str,
    intro: str = "26-01-00", finact: str = "1930-05-01",
) -> list[str]:  # fmt: skip
    return [
        "1",
        "1",
        q(pid),
        q("x"),
        q(iid),
        q(proc),
        q("QMV"),
        q(intro),
        finact,
        *pos,
        *sal,
        rp,
        out,
    ]


SYNTH_ROWS = [
    # com ep de fr mt positions, then saliences
    row("d00001", "d00001i1", "COD", ["100", "100", "0", "50", ""], ["50", "50", "100", "50", ""],
        "0", "40"),
    row("d00001", "d00001i2", "COD", ["0", "", "100", "100", "0"], ["100", "", "50", "50", "100"],
        "", "30"),
    # no outcome: left out
    row("n00002", "n00002i1", "CNS", ["0", "10", "20", "30", "40"], ["10", "10", "10", "10", "10"],
        "0", ""),
    # one actor with both position and salience (mt lacks a salience): left out
    row("n00002", "n00002i2", "CNS", ["", "", "20", "", "40"], ["", "", "10", "", ""], "0", "5"),
    row("n00002", "n00002i3", "CNS", ["60", "0", "80", "20", "20"], ["100", "0", "100", "100", "0"],
        "50", "70"),
]  # fmt: skip


def synth_expected_forecasts() -> list[float]:
    """Weighted means (equal capability: weight = salience) worked by hand."""
    i1 = (0.5 * 100 + 0.5 * 100 + 1.0 * 0 + 0.5 * 50) / (0.5 + 0.5 + 1.0 + 0.5)  # 50
    i2 = (1.0 * 0 + 0.5 * 100 + 0.5 * 100 + 1.0 * 0) / 3.0  # 33.33
    i3 = (1.0 * 60 + 0 * 0 + 1.0 * 80 + 1.0 * 20 + 0 * 20) / 3.0  # 53.33
    return [i1, i2, i3]


@pytest.fixture()
def synth(tmp_path: Path) -> Path:
    return write_deu(tmp_path / "synthetic.tsv", SYNTH_ROWS)


# --- Reader ------------------------------------------------------------------------------------


def test_reader_on_synthetic_file(synth: Path) -> None:
    data = read_deu(synth)
    assert data.actors == ("com", "ep", "de", "fr", "mt")
    assert data.capability_row == {"com": 4.0, "ep": 4.0, "de": 4.0, "fr": 3.0, "mt": 0.02}
    assert [i.issue for i in data.issues] == ["d00001i1", "d00001i2", "n00002i3"]
    assert [(e.issue, e.line, e.reason) for e in data.excluded] == [
        ("n00002i1", 5, "no outcome"),
        ("n00002i2", 6, "fewer than two actors with position and salience"),
    ]
    i2 = data.issues[1]
    assert i2.actors == ("com", "de", "fr", "mt")  # ep lacks both
    assert math.isnan(i2.reference)
    np.testing.assert_allclose(i2.salience, [1.0, 0.5, 0.5, 1.0])
    assert data.proposals[0].introduced == date(2000, 1, 26)
    assert data.proposals[0].decided == date(2001, 5, 30)
    assert data.proposals[1].procedure == "CNS"


def test_synthetic_mae_by_hand(synth: Path) -> None:
    data = read_deu(synth)
    expected = synth_expected_forecasts()
    got = [weighted_mean(i.position, i.salience) for i in data.issues]
    np.testing.assert_allclose(got, expected)
    mae = np.mean(np.abs(np.array(expected) - [40, 30, 70]))
    result = run_backtest(data, {"rp": StatusQuo()}, protocol=False, n_boot=200)
    s = result.scores[0]
    # rp forecasts 0 and 50 where given; the issue without rp is counted as excluded
    assert (s.n, s.excluded) == (2, 1)
    assert s.mae == pytest.approx((40 + 20) / 2)
    try:
        res = run_backtest(data, resolve_models(["compromise"]), protocol=False, n_boot=200)
    except ImportError:
        pytest.skip("compromise model not importable yet")
    assert res.scores[0].mae == pytest.approx(mae)
    assert res.scores[0].n == 3


@pytest.mark.parametrize(
    ("cell", "column", "needle"),
    [
        ('"abc"', "pde", "'abc' is not a number in 0..100"),
        ("150", "out", "150 is out of range"),
        ("-3", "rp", "-3 is out of range"),
    ],
)
def test_bad_cell_names_file_line_column(
    tmp_path: Path, cell: str, column: str, needle: str
) -> None:
    rows = [list(r) for r in SYNTH_ROWS]
    rows[2][HEADER.index(column)] = cell
    path = write_deu(tmp_path / "bad.tsv", rows)
    with pytest.raises(DeuFormatError) as info:
        read_deu(path)
    assert str(info.value).startswith(f"{path}:5: {column}: ")
    assert needle in str(info.value)


def test_bad_layouts(tmp_path: Path) -> None:
    with pytest.raises(DeuFormatError, match=r"missing\.tsv: no such file"):
        read_deu(tmp_path / "missing.tsv")
    p = tmp_path / "nohdr.tsv"
    p.write_text('"prnr"\t"pde"\t"sde"\t"pfr"\t"sfr"\t"rp"\n', encoding="utf-8")
    with pytest.raises(DeuFormatError, match=r"nohdr\.tsv:1: out: missing column"):
        read_deu(p)
    rows = [list(r) for r in SYNTH_ROWS]
    rows[0] = rows[0][:-1]
    ragged = write_deu(tmp_path / "ragged.tsv", rows)
    with pytest.raises(DeuFormatError, match=r"ragged\.tsv:3: row: 20 tab-separated fields"):
        read_deu(ragged)
    rows = [list(r) for r in SYNTH_ROWS]
    rows[1][HEADER.index("isnr")] = q("d00001i1")
    dup = write_deu(tmp_path / "dup.tsv", rows)
    with pytest.raises(DeuFormatError, match=r"dup\.tsv:4: isnr: duplicate issue id"):
        read_deu(dup)


def test_dates() -> None:
    assert parse_deu_date("26-01-00") == date(2000, 1, 26)
    assert parse_deu_date("24-03-2014") == date(2014, 3, 24)
    assert parse_deu_date("07-02-96") == date(1996, 2, 7)
    # spreadsheet-mangled dd-mm-yy: "30-05-01" shown as 1930-05-01
    assert parse_deu_date("1930-05-01") == date(2001, 5, 30)
    assert parse_deu_date("2014-07-04") == date(2004, 7, 14)
    # mangled reading before the introduction date: read as a true ISO date
    assert parse_deu_date("2014-06-18", after=date(2014, 3, 24)) == date(2018, 6, 14)
    assert parse_deu_date("2019-03-02", after=date(2018, 1, 1)) == date(2019, 3, 2)
    assert parse_deu_date("999") is None
    assert parse_deu_date("") is None


# --- Capabilities ------------------------------------------------------------------------------


def test_council_weight_tables_match_published_totals() -> None:
    totals = {p.name: sum(p.weights.values()) for p in COUNCIL_PERIODS}
    assert totals["Amsterdam EU-15"] == 87
    assert totals["Accession EU-25 (transitional)"] == 124
    assert totals["Nice EU-25"] == 321
    assert totals["Nice EU-27"] == 345
    assert totals["Nice EU-28"] == 352
    assert totals["Lisbon double majority"] == pytest.approx(100.0, abs=0.1)
    assert treaty_period(date(2001, 5, 30)).name == "Amsterdam EU-15"
    assert treaty_period(date(2004, 6, 1)).name == "Accession EU-25 (transitional)"
    assert treaty_period(date(2006, 1, 1)).name == "Nice EU-25"
    assert treaty_period(date(2008, 7, 24)).name == "Nice EU-27"
    assert treaty_period(date(2014, 1, 1)).name == "Nice EU-28"
    assert treaty_period(date(2018, 6, 14)).name == "Lisbon double majority"


def test_capability_modes(synth: Path) -> None:
    data = read_deu(synth)
    prop = data.proposals[0]  # decided 2001: EU-15 weights; mt not yet a member
    actors = ("com", "ep", "de", "fr", "mt")
    np.testing.assert_array_equal(capabilities(data, prop, actors, "equal"), np.ones(5))
    np.testing.assert_array_equal(
        capabilities(data, prop, actors, "gdp"), [4.0, 4.0, 4.0, 3.0, 0.02]
    )
    council = capabilities(data, prop, actors, "council")
    assert council[0] == council[1] == pytest.approx(87 / 15)  # institutions: mean weight
    assert council[2] == council[3] == 10
    assert council[4] == 2  # Malta's first weight (2004 accession)
    with pytest.raises(DeuFormatError, match="no Council voting weight"):
        capabilities(data, prop, ("xx", "de"), "council")


def test_council_capability_changes_compromise_forecast(synth: Path) -> None:
    data = read_deu(synth)
    equal = run_model("ref", _RefMean(), data, "equal").forecast
    council = run_model("ref", _RefMean(), data, "council").forecast
    np.testing.assert_allclose(equal, synth_expected_forecasts())
    # issue 1 under EU-15 weights: com, ep mean 5.8; de, fr 10
    w = np.array([87 / 15 * 0.5, 87 / 15 * 0.5, 10 * 1.0, 10 * 0.5])
    assert council[0] == pytest.approx(np.dot(w, [100, 100, 0, 50]) / w.sum())


# --- Model runs --------------------------------------------------------------------------------


class _RefMean(Model):
    """Weighted mean of capability × salience: the test's own compromise reference."""

    name = "ref"
    title = "reference weighted mean"
    source = "Achen 2006"

    def forecast(self, problem: Problem) -> Forecast:
        return Forecast(self.name, problem, self.forecast_batch(problem).outcome[0])

    def forecast_batch(self, problem: Problem) -> Forecasts:
        w = problem.capability[:, :, None] * problem.salience
        out = (w * problem.position).sum(axis=1) / w.sum(axis=1)
        return Forecasts(self.name, problem.issues, out)


class _NeedsThree(_RefMean):
    name = "needs-three"

    def forecast_batch(self, problem: Problem) -> Forecasts:
        if problem.n_actors < 3:
            raise ModelInputError(f"needs at least 3 actors, got {problem.n_actors}")
        return super().forecast_batch(problem)


def test_model_input_errors_are_counted_not_fatal(tmp_path: Path) -> None:
    rows = [list(r) for r in SYNTH_ROWS]
    # issue 2 keeps only de and fr
    for a in ("com", "mt"):
        rows[1][HEADER.index(f"p{a}")] = ""
    data = read_deu(write_deu(tmp_path / "two.tsv", rows))
    result = run_backtest(
        data, {"needs-three": _NeedsThree(), "ref": _RefMean(), "midpoint": Midpoint()}, n_boot=200
    )
    by = {s.name: s for s in result.scores}
    assert (by["needs-three"].n, by["needs-three"].excluded) == (2, 1)
    assert by["needs-three"].exclusion_reasons == {"ModelInputError": 1}
    assert (by["ref"].n, by["ref"].excluded) == (3, 0)
    assert result.to_dict()["excluded"]["needs-three"][0]["issue"] == "d00001i2"
    assert by["midpoint"].mae == pytest.approx(np.mean(np.abs(50 - np.array([40, 30, 70]))))
    # every pair, the first model (no "compromise" here) as the reference of the leading rows
    assert [(p.a, p.b) for p in result.paired] == [
        ("ref", "needs-three"),
        ("midpoint", "needs-three"),
        ("midpoint", "ref"),
    ]
    assert result.paired[0].n == 2  # only issues both forecast


def test_problem_per_issue_and_per_proposal(synth: Path) -> None:
    data = read_deu(synth)
    iss = data.issues[1]
    p = issue_problem(iss, np.ones(len(iss.actors)))
    assert p.actors == ("com", "de", "fr", "mt")
    assert p.position.shape == (1, 4, 1)
    assert math.isnan(p.status_quo[0, 0])
    pp = proposal_problem(data.proposals[0], dict.fromkeys(data.actors, 1.0))
    assert pp.actors == ("com", "ep", "de", "fr", "mt")
    assert pp.issues == ("d00001i1", "d00001i2")
    # mt absent on issue 1: salience 0 at the weighted mean; ep absent on issue 2
    assert pp.salience[0, 4, 0] == 0 and pp.position[0, 4, 0] == pytest.approx(50.0)
    assert pp.salience[0, 1, 1] == 0 and pp.position[0, 1, 1] == pytest.approx(100 / 3)
    # the salience-0 filler leaves the weighted mean unchanged
    np.testing.assert_allclose(_RefMean().forecast_batch(pp).outcome[0], [50.0, 100 / 3])


# --- Scoring -----------------------------------------------------------------------------------


def test_scores_and_cluster_bootstrap() -> None:
    rng = np.random.default_rng(1)
    cluster = np.repeat(np.arange(30), 3)
    outcome = rng.uniform(0, 100, cluster.size)
    f = outcome + rng.normal(0, 10, cluster.size)
    counts = bootstrap_counts(30, 1000, seed=0)
    s = score_forecasts(f, outcome, cluster, counts, "f")
    assert s.mae == pytest.approx(np.mean(np.abs(f - outcome)))
    assert s.rmse == pytest.approx(np.sqrt(np.mean((f - outcome) ** 2)))
    assert s.ci95[0] < s.mae < s.ci95[1]
    assert s.n == 90 and s.n_proposals == 30
    # duplicating every issue inside its proposal adds no information: same clustered interval
    s2 = score_forecasts(np.repeat(f, 2), np.repeat(outcome, 2), np.repeat(cluster, 2), counts, "f")
    assert s2.ci95 == pytest.approx(s.ci95)
    # a model against itself differs by exactly 0; against a worse one, the interval excludes 0
    same = paired_difference("f", f, "f", f, outcome, cluster, counts)
    assert same.difference == 0 and same.ci95 == (0, 0)
    worse = paired_difference("f", f, "g", f + 30, outcome, cluster, counts)
    assert worse.ci95[1] < 0
    # NaN forecasts are not scored and reduce n
    g = f.copy()
    g[:3] = np.nan
    assert score_forecasts(g, outcome, cluster, counts).n == 87


def test_weighted_median() -> None:
    # the protocol's median: the lower position of an exact 50/50 split
    for ties in ("lower", "midpoint"):
        three = weighted_median(np.array([0.0, 50.0, 100.0]), np.array([1.0, 1.0, 1.0]), ties)
        assert three == 50
        assert weighted_median(np.array([0.0, 50.0, 100.0]), np.array([3.0, 1.0, 1.0]), ties) == 0
        assert math.isnan(weighted_median(np.array([1.0]), np.array([0.0]), ties))
    split = (np.array([0.0, 100.0]), np.array([1.0, 1.0]))
    assert weighted_median(*split, ties="lower") == 0
    assert weighted_median(*split, ties="midpoint") == 50
    assert math.isnan(weighted_mean(np.array([1.0]), np.array([0.0])))


# --- Protocol ----------------------------------------------------------------------------------


def _random_data(tmp_path: Path, outcome_rule: str, n_prop: int = 40) -> Path:
    rng = np.random.default_rng(7)
    rows = []
    for p in range(n_prop):
        for i in range(2):
            pos = rng.choice([0, 25, 50, 75, 100], size=5)
            sal = rng.choice([10, 50, 90], size=5)
            rp = float(rng.choice([0, 100]))
            mean = float(np.dot(pos, sal) / sal.sum())
            out = rp if outcome_rule == "rp" else mean
            rows.append(
                row(
                    f"d{p:05d}",
                    f"d{p:05d}i{i}",
                    "COD",
                    [str(x) for x in pos],
                    [str(x) for x in sal],
                    f"{rp:g}",
                    f"{out:.6f}",
                )
            )
    return write_deu(tmp_path / f"{outcome_rule}.tsv", rows)


def test_protocol_detects_a_real_effect(tmp_path: Path) -> None:
    data = read_deu(_random_data(tmp_path, "rp"))
    protocol = run_protocol(data, seed=0, n_boot=500)
    assert isinstance(protocol, ProtocolResult)
    res = protocol.to_dict()
    assert protocol.fit_proposals == 20
    assert res["fit_proposals"] == 20 and res["test_proposals"] == 20
    rpg = res["candidates"]["rp-gravity"]
    assert rpg["parameter"] == 1.0
    assert rpg["test_mae"] == 0
    assert rpg["verdict"] == "beats the weighted mean"


def test_protocol_does_not_beat_the_truth(tmp_path: Path) -> None:
    data = read_deu(_random_data(tmp_path, "mean"))
    res = run_protocol(data, seed=0, n_boot=500).to_dict()
    assert res["weighted_mean"]["test_mae"] == 0
    for cand in res["candidates"].values():
        assert cand["verdict"] == "does not beat the weighted mean"


# --- The real data -----------------------------------------------------------------------------


def test_dev_file_reader_and_weighted_mean_mae() -> None:
    data = read_deu(dev_file())
    assert len(data.issues) == 227
    assert len(data.excluded) == 8
    assert {e.reason for e in data.excluded} == {"no outcome"}
    assert len(data.actors) == 30
    mae = np.mean([abs(weighted_mean(i.position, i.salience) - i.outcome) for i in data.issues])
    assert round(float(mae), 2) == 23.84


def test_dev_file_compromise_mae_via_cli() -> None:
    dev = dev_file()
    from detente.models import available_models

    if "compromise" not in available_models():
        pytest.skip("compromise model not importable yet")
    res = CliRunner().invoke(
        cli_app(),
        ["backtest", "deu", str(dev), "--models", "compromise,rp", "--format", "json",
         "--bootstrap", "500"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    comp = doc["models"]["compromise"]
    assert round(comp["mae"], 2) == 23.84
    assert comp["n"] == 227
    assert comp["ci95"][0] < comp["mae"] < comp["ci95"][1]
    assert doc["models"]["rp"]["n"] + doc["models"]["rp"]["excluded"] == 227
    assert doc["paired_differences"][0]["b"] == "compromise"
    assert set(doc["candidates"]["candidates"]) == {
        "rp-gravity", "salience-exponent", "mean-median-blend", "procedure-aware",
    }  # fmt: skip


def test_cli_runs_unchanged_on_synthetic_file(synth: Path) -> None:
    for capability in ("equal", "gdp", "council", "shapley-shubik", "banzhaf"):
        res = CliRunner().invoke(
            cli_app(),
            ["backtest", "deu", str(synth), "--models", "rp", "--capability", capability,
             "--format", "json", "--bootstrap", "200"],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        doc = json.loads(res.stdout)
        assert doc["data"]["issues_scored"] == 3
        assert doc["data"]["issues_excluded"] == 2
        assert doc["models"]["rp"]["n"] == 2
    table = CliRunner().invoke(cli_app(), ["backtest", "deu", str(synth), "--models", "rp"])
    assert table.exit_code == 0
    assert "MAE" in table.stdout


def test_cli_bad_input_exit_2_one_line(tmp_path: Path, synth: Path) -> None:
    rows = [list(r) for r in SYNTH_ROWS]
    rows[0][HEADER.index("sfr")] = '"high"'
    bad = write_deu(tmp_path / "bad.tsv", rows)
    cases = [
        ([str(bad), "--models", "rp"], f"{bad}:3: sfr: 'high' is not a number in 0..100"),
        ([str(tmp_path / "nope.tsv"), "--models", "rp"], "nope.tsv: no such file"),
        ([str(synth), "--models", "nosuch"], "unknown model 'nosuch'"),
        ([str(synth), "--capability", "votes"], "--capability: 'votes'"),
    ]
    for args, needle in cases:
        res = CliRunner().invoke(cli_app(), ["backtest", "deu", *args])
        assert res.exit_code == 2, res.output
        assert needle in res.stderr
        assert len(res.stderr.strip().splitlines()) == 1
        assert "Traceback" not in res.output


def test_gdp_needs_capability_row(tmp_path: Path) -> None:
    path = write_deu(tmp_path / "nocap.tsv", SYNTH_ROWS, cap_row=False)
    res = CliRunner().invoke(
        cli_app(), ["backtest", "deu", str(path), "--models", "rp", "--capability", "gdp"]
    )
    assert res.exit_code == 2
    assert "nocap.tsv:2: pcom: no capability value in row 2" in res.stderr


@pytest.mark.slow
def test_every_registered_model_runs_on_dev_file() -> None:
    from detente.models import available_models

    dev = dev_file()
    names = available_models()
    res = CliRunner().invoke(
        cli_app(),
        ["backtest", "deu", str(dev), "--models", "all", "--format", "json"],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["models"]) == {*names, "rp", "midpoint"}
    n_models = len(doc["models"])
    assert len(doc["paired_differences"]) == n_models * (n_models - 1) // 2
    for name, s in doc["models"].items():
        assert s["n"] + s["excluded"] == 227, name
        assert s["n"] > 0, name


def test_issue_dataclasses_are_frozen(synth: Path) -> None:
    data = read_deu(synth)
    assert isinstance(data.issues[0], DeuIssue)
    assert isinstance(data.proposals[0], DeuProposal)
    with pytest.raises(AttributeError):
        data.issues[0].outcome = 1.0  # type: ignore[misc]


def test_power_index_capabilities(synth: Path) -> None:
    from detente.scenario.deu import council_rule
    from detente.scenario.voting_power import banzhaf, shapley_shubik

    data = read_deu(synth)
    prop = data.proposals[0]
    period = treaty_period(prop.period_date)
    for mode, index in (("shapley-shubik", shapley_shubik), ("banzhaf", banzhaf)):
        values = index(council_rule(period))
        actors = ("com", "ep", "de", "fr", "mt")
        cap = dict(zip(actors, capabilities(data, prop, actors, mode), strict=True))
        assert cap["de"] == pytest.approx(values["de"])
        # Malta, coded before it had a Council vote (2000): its index on joining (May 2004)
        joined = next(p for p in COUNCIL_PERIODS if "mt" in p.weights)
        assert "mt" not in values
        assert cap["mt"] == pytest.approx(index(council_rule(joined))["mt"])
        assert cap["com"] == cap["ep"] == pytest.approx(max(values.values()))


def test_cli_calibrate_writes_the_table(synth: Path, tmp_path: Path) -> None:
    import hashlib

    out = tmp_path / "cal.json"
    res = CliRunner().invoke(cli_app(), ["backtest", "calibrate", str(synth), "--out", str(out)])
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["source"]["sha256"] == hashlib.sha256(synth.read_bytes()).hexdigest()
    assert doc["command"].startswith("detente backtest calibrate ")
    data = read_deu(synth)
    want = sorted(
        round(i.outcome - i.reference, 4) for i in data.issues if not math.isnan(i.reference)
    )
    assert doc["models"]["status-quo"]["residuals"] == want
    bad = CliRunner().invoke(
        cli_app(), ["backtest", "calibrate", str(synth), "--out", str(tmp_path)]
    )
    assert bad.exit_code == 2 and "directory" in bad.output
