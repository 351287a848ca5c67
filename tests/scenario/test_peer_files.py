"""Peer files as their own readers take them: actor names of any text, BOM, CRLF, blank lines,
latin-1, Decide actors without #D records; stable unique ids made from the names, shown by
``detente forecast``; every message names the file (with its extension) and a line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from peer_texts import COPENHAGEN, ELECTION, KTAB
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.decide import read_decide_file
from detente.scenario.errors import InputError
from detente.scenario.importers import derive_id, derive_ids, renamed_actors
from detente.scenario.ktab import read_ktab_csv
from detente.scenario.load import load_scenario

runner = CliRunner()
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference"


def _write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# -- ids -------------------------------------------------------------------------------------


def test_derive_id_keeps_valid_ids_and_cleans_names() -> None:
    assert derive_id("EU28") == "EU28"
    assert derive_id("tolheffing-binnenstad") == "tolheffing-binnenstad"
    assert derive_id("EU (incl Norway)") == "EU-incl-Norway"
    assert derive_id("Europäische Union") == "Europaische-Union"
    assert derive_id("50+") == "50"
    assert derive_id('"Quoted" name.') == "Quoted-name"
    assert derive_id("習近平") == ""


def test_derive_ids_unique_and_stable() -> None:
    keys = ["EU (incl Norway)", "EU-incl-Norway", "EU incl Norway", "習近平", "—", "actor-4"]
    ids = derive_ids(keys, "actor")
    # the key that already is a valid id keeps it; the derived ones get suffixes in file order;
    # nothing usable left: the fallback with the position, made unique like the rest
    assert ids == [
        "EU-incl-Norway-2",
        "EU-incl-Norway",
        "EU-incl-Norway-3",
        "actor-4-2",
        "actor-5",
        "actor-4",
    ]
    assert len(set(ids)) == len(ids)
    assert derive_ids(keys, "actor") == ids  # the same keys, the same ids
    assert derive_ids(["a", "b"], "actor") == ["a", "b"]


# -- Decide ----------------------------------------------------------------------------------


def test_decide_names_as_keys_load(tmp_path: Path) -> None:
    loaded = load_scenario(_write(tmp_path, "copenhagen.csv", COPENHAGEN))
    sc = loaded.scenario
    assert [a.id for a in sc.actors] == [
        "USA",
        "EU-incl-Norway",
        "China-India",
        "Least-Developed-Countries",
        "Alliance-of-Small-Island-States",
        "Russia",
    ]
    assert sc.actors[1].name == "EU (incl Norway)"
    # Russia has no #D record on Extra: it takes no part there (salience 0)
    russia = sc.actors[5].stances["Extra"]
    assert russia.salience.point() == 0.0
    assert "no #D record in copenhagen.csv" in (russia.salience.assumption or "")
    assert sc.actors[5].stances["Newtreaty"].salience.point() == pytest.approx(0.7)


def test_decide_actor_without_any_record_is_left_out(tmp_path: Path) -> None:
    path = _write(tmp_path, "verkiezing 2012.csv", ELECTION)
    data = read_decide_file(path)
    assert [a.id for a in data.actors] == ["SP", "PvdA", "VVD", "CDA"]
    assert [(a.id, line) for a, line in data.left_out] == [("50+", 6)]
    sc = load_scenario(path).scenario
    assert [a.id for a in sc.actors] == ["SP", "PvdA", "VVD", "CDA"]
    assert "'50+' (line 6)" in (sc.description or "")
    assert sc.actors[3].stances["bezuinig"].salience.point() == 0.0  # CDA: no record there
    assert [i.scale.max for i in sc.issues] == [100.0, 100.0, 100.0]  # no #M: 0-100


def test_decide_bom_crlf_blank_lines_and_latin1(tmp_path: Path) -> None:
    reference = load_scenario(_write(tmp_path, "plain/c.csv", COPENHAGEN)).scenario
    messy = "\ufeff" + "\r\n\r\n".join(COPENHAGEN.splitlines()) + "\r\n\r\n"
    assert load_scenario(_write(tmp_path, "messy/c.csv", messy)).scenario == reference
    latin = COPENHAGEN.replace("Russia", "Fédération de Russie")
    sc = load_scenario(_write(tmp_path, "latin.csv", latin, encoding="latin-1")).scenario
    assert sc.actors[5].id == "Federation-de-Russie"
    assert sc.actors[5].name == "Fédération de Russie"


def test_decide_messages_name_file_and_line(tmp_path: Path) -> None:
    varying = ELECTION.replace("#D;PvdA;huur;40;0.7;0.63825", "#D;PvdA;huur;40;0.7;0.5")
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, "power.csv", varying))
    assert [str(d) for d in info.value.diagnostics] == [
        f"{tmp_path / 'power.csv'}:16: #D.power: actor 'PvdA' has a power that varies across "
        "issues (0.5..0.63825); a detente Problem has one capability per actor: use "
        "to_problem(per_issue_power=True), whose Problem.power the exchange model reads"
    ]
    no_actor = "#P;x;x\n#M;x;0\n#M;x;100\n"
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, "empty.csv", no_actor))
    assert [str(d) for d in info.value.diagnostics] == [
        f"{tmp_path / 'empty.csv'}:3: #A: no actor defined (no #A record)"
    ]
    powerless = ELECTION.replace(";0.442538", ";0")
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, "powerless.csv", powerless))
    assert str(info.value.diagnostics[0]).startswith(
        f"{tmp_path / 'powerless.csv'}:21: #D.power: actor 'CDA' has power 0"
    )
    lonely = ELECTION.split("#D;PvdA")[0]  # only SP has records
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, "lonely.csv", lonely))
    assert "lonely.csv:14: #D: 1 actor(s) with #D records" in str(info.value.diagnostics[0])


# -- KTAB ------------------------------------------------------------------------------------


def test_ktab_names_quotes_accents(tmp_path: Path) -> None:
    sc = load_scenario(_write(tmp_path, "names.csv", KTAB)).scenario
    assert [a.id for a in sc.actors] == [
        "Xi-Jinping-General-Secretary-2",
        "Cafe-Owner",
        "Ministerio-da-Economia",
        "Xi-Jinping-General-Secretary",
    ]
    assert [a.name for a in sc.actors][:2] == ["Party leader", "A café owner"]
    assert read_ktab_csv(tmp_path / "names.csv").actors[1] == 'Café "Owner'  # KTAB trims '"'


def test_ktab_bom_crlf_blank_lines_latin1_extra_line(tmp_path: Path) -> None:
    reference = load_scenario(_write(tmp_path, "plain/k.csv", KTAB)).scenario
    messy = "\ufeff" + "\r\n\r\n".join(KTAB.splitlines()) + "\r\n\r\n"
    assert load_scenario(_write(tmp_path, "messy/k.csv", messy)).scenario == reference
    # latin-1 (KTAB reads bytes): the fallback decodes it instead of refusing the file
    latin = _write(tmp_path, "latin.csv", KTAB, encoding="latin-1")
    assert b"Caf\xe9" in latin.read_bytes()
    sc = load_scenario(latin).scenario
    assert sc.actors[1].name == "A café owner"
    # KTAB reads exactly the declared number of actor lines; a line after them is ignored
    extra = KTAB + "Spare,Not declared,1,50,50,50,50\n"
    sc = load_scenario(_write(tmp_path, "extra.csv", extra)).scenario
    assert len(sc.actors) == 4


def test_ktab_messages_name_file_and_line(tmp_path: Path) -> None:
    bad = KTAB.replace("Ministry,40,50,40", "Ministry,40,150,40")
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, "bad.csv", bad))
    assert [str(d) for d in info.value.diagnostics] == [
        f"{tmp_path / 'bad.csv'}:5: Econ Position: position must be in [0, 100], got 150"
    ]


# -- what forecast says ----------------------------------------------------------------------


def test_forecast_says_which_id_is_which_name(tmp_path: Path) -> None:
    path = _write(tmp_path, "copenhagen.csv", COPENHAGEN)
    assert renamed_actors(path)["EU-incl-Norway"] == "EU (incl Norway)"
    result = runner.invoke(app, ["forecast", str(path), "--model", "exchange", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {"scenario", "model", "worldview", "parameters", "issues", "rounds"} <= set(doc)
    assert doc["actors"]["Alliance-of-Small-Island-States"] == "Alliance of Small Island States"
    assert doc["actors"]["USA"] == "USA"
    assert set(doc["rounds"][0]["positions"]) == set(doc["actors"])
    table = runner.invoke(app, ["forecast", str(path), "--model", "exchange"])
    assert table.exit_code == 0, table.stderr
    assert "EU-incl-Norway" in table.stdout and "EU (incl Norway)" in table.stdout


@pytest.mark.parametrize(
    "name",
    [
        "exchange/cop21.csv",
        "exchange/sample_data.txt",
        "ktab/SOE-Policy.csv",
        "ktab/dummyData_6Dim.csv",
    ],
)
def test_reference_files_keep_their_ids(name: str) -> None:
    path = REFERENCE / name
    if not path.exists():
        pytest.skip(f"reference data absent: {path}")
    assert renamed_actors(path) == {}  # no mapping added: the output is as before
    result = runner.invoke(app, ["forecast", str(path), "-f", "json"])
    assert result.exit_code == 0, result.stderr
    assert "actors" not in json.loads(result.stdout)
