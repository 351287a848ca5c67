"""Numbers too large to compute with are refused where they are written (issue 21, item 3).

A capability or KTAB influence of 1e308 validated and then forecast ``inf`` with exit 0; every
number of a scenario is now bounded by :data:`MAX_MAGNITUDE` (the YAML validator, the KTAB, Decide
and DEU readers), and ``forecast``/``simulate`` refuse a non-finite forecast with a located
message whatever slipped through.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.decide import _number as decide_number
from detente.scenario.deu import DeuFormatError
from detente.scenario.deu import _number as deu_number
from detente.scenario.errors import InputError
from detente.scenario.ktab import read_ktab_csv
from detente.scenario.quantity import MAX_MAGNITUDE

# a KTAB file (the one of tests/scenario/test_ktab.py)
GOOD = """Demo,A demo scenario,3,2,
Actor,Description,Influence,Tax Position,Tax Salience,Trade Position,Trade Salience,
A,Alpha,100,30,24.0,20,48.0,
B,Beta, 60.2,45,44.7,65,41.3,
C,"Gamma, Inc.",35,0,28.9,100,65.1,
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scen.csv"
    path.write_text(text)
    return path


MINIMAL = Path(__file__).resolve().parent / "data" / "minimal.yaml"
runner = CliRunner()


def test_bound_leaves_room_for_products() -> None:
    # capability x salience x squared distance, summed over many actors, stays finite
    assert np.isfinite(MAX_MAGNITUDE * 1.0 * (2 * MAX_MAGNITUDE) ** 2 * 10_000)


@pytest.mark.parametrize("big", ["1e308", "1e101", "-1e200"])
def test_ktab_influence_too_large(tmp_path: Path, big: str) -> None:
    text = GOOD.replace("A,Alpha,100,", f"A,Alpha,{big},")
    with pytest.raises(InputError, match=r"scen\.csv:3: Influence: .*too large to compute with"):
        read_ktab_csv(write(tmp_path, text))


def test_ktab_influence_at_the_bound_reads(tmp_path: Path) -> None:
    sc = read_ktab_csv(write(tmp_path, GOOD.replace("A,Alpha,100,", "A,Alpha,1e100,")))
    assert sc.influence[0] == 1e100


def test_decide_number_too_large() -> None:
    value, diag = decide_number("1e308", "f.csv", 7, "#D.power")
    assert diag is not None and diag.line == 7 and "too large to compute with" in diag.message
    assert np.isnan(value)
    assert decide_number("1e99", "f.csv", 7, "#D.power") == (1e99, None)


def test_deu_number_too_large() -> None:
    with pytest.raises(DeuFormatError, match="not a positive number"):
        deu_number(Path("x.csv"), 3, "weight", "1e200", None, None)
    assert deu_number(Path("x.csv"), 3, "weight", "1e50", None, None) == 1e50


def test_forecast_of_1e308_is_refused_before_it_is_computed(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(
        MINIMAL.read_text().replace("value: 1.0, assumption", "value: 1e308, assumption")
    )
    result = runner.invoke(app, ["forecast", str(path), "--format", "json"])
    assert result.exit_code == 2
    assert "big.yaml:20: actors.alpha.capability.value: too large to compute with" in result.stderr
    assert result.stdout == ""


def test_forecast_never_prints_a_non_finite_number(monkeypatch: pytest.MonkeyPatch) -> None:
    import detente.models.compromise as compromise

    monkeypatch.setattr(
        compromise, "_weighted_mean", lambda x, w, axis: np.full(x.shape[0], np.inf)
    )
    for fmt in ("table", "json"):
        result = runner.invoke(app, ["forecast", str(MINIMAL), "--format", fmt])
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert f"{MINIMAL}:8: issues.talks: model compromise gave a non-finite forecast (inf)" in (
            result.stderr
        )


def test_simulate_never_prints_a_non_finite_number(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import detente.cli.simulate as simulate

    outcome = np.full((5, 1), 3.0)
    outcome[2, 0] = np.nan
    monkeypatch.setattr(simulate, "_run_with_progress", lambda *a: SimpleNamespace(outcome=outcome))
    out = tmp_path / "run"
    result = runner.invoke(app, ["simulate", str(MINIMAL), "-n", "5", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert "issues.talks: model compromise gave a non-finite forecast (nan) in 1 of 5 draws" in (
        result.stderr
    )
    assert not out.exists()
