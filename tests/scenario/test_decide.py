"""Tests of the Decide input-format importer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.scenario.decide import DecideFormatError, read_decide_file
from detente.scenario.importers import decide_document, detect_importer

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
EXCHANGE = SHARED / "reference" / "exchange"


def shared(name: str) -> Path:
    path = EXCHANGE / name
    if not path.exists():
        pytest.skip(f"reference data absent: {path}")
    return path


def test_sample_data() -> None:
    sc = read_decide_file(shared("sample_data.txt"))
    assert [a.id for a in sc.actors][:3] == ["Willems", "PvdA", "GL"]
    assert len(sc.actors) == 10 and len(sc.issues) == 6
    assert sc.actors[0].comment == "Test"
    toll = sc.issues[1]
    assert (toll.id, toll.lower, toll.upper) == ("tol-hoogte", 0.5, 7.0)
    assert sc.issues[2].description == "Wat is dit voor onzin?"
    a, j = 0, 1  # '#D' 'Willems' 'tol-hoogte' 3.0 0.7 1.0
    assert (sc.position[a, j], sc.salience[a, j], sc.power[a, j]) == (3.0, 0.7, 1.0)
    assert sc.present.all()
    prob = sc.to_problem()
    assert prob.n_draws == 1 and prob.issues[1] == "tol-hoogte"
    np.testing.assert_array_equal(prob.scale_min, [0, 0.5, 0, 0, 0, 0])
    np.testing.assert_array_equal(prob.capability[0], sc.power[:, 0])
    assert detect_importer(shared("sample_data.txt")) is decide_document


def test_cop21_missing_records() -> None:
    sc = read_decide_file(shared("cop21.csv"))
    assert len(sc.actors) == 15 and len(sc.issues) == 13
    alba = [a.id for a in sc.actors].index("ALBA")
    issues = [i.id for i in sc.issues]
    assert not sc.present[alba, issues.index("amb2050")]
    assert not sc.present[alba, issues.index("amb2100")]
    assert sc.present[alba, issues.index("eaa")]
    n_records = sum(
        line.startswith("'#D'") for line in shared("cop21.csv").read_text().splitlines()
    )
    assert sc.present.sum() == n_records == 181
    prob = sc.to_problem()
    j = issues.index("amb2050")
    assert prob.salience[0, alba, j] == 0.0
    others = np.arange(15) != alba
    w = prob.capability[0][others] * prob.salience[0][others, j]
    assert prob.position[0, alba, j] == pytest.approx(
        (w * prob.position[0][others, j]).sum() / w.sum()
    )


def test_semicolon_double_quotes_and_comments(tmp_path: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text(
        "#/;a comment line\n"
        '#A;"a";"Actor A";\n#A;b;Actor B\n'
        "#P;p;Issue P;some; text\n#P;q;Issue Q\n"
        "#M;p;-5;left end\n#M;p;5;right end\n"
        "#D;a;p;-5;0.5;0.2\n#D;b;p;5;0.25;0.4\n#D;a;q;10;0.5;0.2\n#D;b;q;90;1;0.4\n"
    )
    sc = read_decide_file(f)
    assert [a.name for a in sc.actors] == ["Actor A", "Actor B"]
    assert sc.issues[0].description == "some text"
    assert sc.issues[0].anchors == ((-5.0, "left end"), (5.0, "right end"))
    assert (sc.issues[0].lower, sc.issues[0].upper) == (-5.0, 5.0)
    assert (sc.issues[1].lower, sc.issues[1].upper) == (0.0, 100.0)  # no #M: Decide's default
    np.testing.assert_array_equal(sc.to_problem().capability[0], [0.2, 0.4])
    assert sc.to_problem().issue_labels == ("Issue P", "Issue Q")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("#X\ta\n", ":1: record: '#X' is not a record type"),
        ("#A\ta\ta\n#P\tp\tp\n#D\tz\tp\t5\t0.5\t1\n", ":3: #D.actor: actor 'z' is not defined"),
        ("#A\ta\ta\n#P\tp\tp\n#D\ta\tp\t5\t1.5\t1\n", ":3: #D.salience: 1.5 is outside [0, 1]"),
        ("#A\ta\ta\n#P\tp\tp\n#D\ta\tp\tfive\t0.5\t1\n", ":3: #D.position: 'five' is not a number"),
        (
            "#A\ta\ta\n#P\tp\tp\n#M\tp\t0\n#M\tp\t10\n#D\ta\tp\t50\t0.5\t1\n",
            ":5: #D.position: 50 is outside the scale of issue 'p' [0, 10]",
        ),
        ("#A\ta\ta\n#A\ta\tb\n#P\tp\tp\n", ":2: #A: actor 'a' already defined on line 1"),
        ("#A\ta\ta\n#P\tp\tp\n#D\ta\tp\t5\t0.5\n", ":3: #D: has 4 fields, expected at least 5"),
    ],
)
def test_errors_are_located(tmp_path: Path, body: str, expected: str) -> None:
    f = tmp_path / "bad.txt"
    f.write_text(body)
    with pytest.raises(DecideFormatError) as info:
        read_decide_file(f)
    assert isinstance(info.value, ValueError)
    assert f"{f}{expected}" in str(info.value)


def test_varying_power(tmp_path: Path) -> None:
    f = tmp_path / "v.txt"
    f.write_text(
        "#A\ta\ta\n#A\tb\tb\n#P\tp\tp\n#P\tq\tq\n"
        "#D\ta\tp\t0\t0.5\t0.2\n#D\ta\tq\t0\t0.5\t0.6\n"
        "#D\tb\tp\t100\t0.5\t0.4\n#D\tb\tq\t100\t0.5\t0.4\n"
    )
    sc = read_decide_file(f)
    with pytest.raises(DecideFormatError, match="power that varies across issues"):
        sc.to_problem()
    np.testing.assert_allclose(sc.to_problem(average_varying_power=True).capability[0], [0.4, 0.4])
    np.testing.assert_array_equal(sc.power, [[0.2, 0.6], [0.4, 0.4]])
    assert sc.to_problem(average_varying_power=True).power is None
    # the per-issue power rides on the Problem, where the exchange model reads it
    per_issue = sc.to_problem(per_issue_power=True)
    np.testing.assert_array_equal(per_issue.power, [[[0.2, 0.6], [0.4, 0.4]]])
    np.testing.assert_allclose(per_issue.capability[0], [0.4, 0.4])
    np.testing.assert_array_equal(per_issue.draw(0).power, per_issue.power)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DecideFormatError, match="cannot read file"):
        read_decide_file(tmp_path / "nope.txt")
    assert detect_importer(tmp_path / "nope.txt") is None
