"""The hindcast (docs/hindcast.md) against an exact computation on a tiny synthetic game.

``tests/analysis/data/hindcast-game.yaml`` has fixed parameters (every episode is the same),
two types, one ladder rung and a three-month invented record, so the likelihood is a sum over
the two types of a product of three hand-computed response probabilities.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.analysis.hindcast import hindcast, load_mapped, payload
from detente.cli import app
from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario, load_scenario, parse_yaml, with_worldview
from detente.strategy.checks import check_strategies

DATA = Path(__file__).resolve().parent / "data"
GAME = DATA / "hindcast-game.yaml"


def _sig(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _logit(p: float) -> float:
    q = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(q) - math.log1p(-q)


#: (prior, p_talk, p_test, lift by coalition move) of the two types
TYPES = {
    "partner": (0.4, 0.2, 0.1, {"call": 0.5, "wait": 0.0, "press": -0.7}),
    "spoiler": (0.6, 0.05, 0.5, {"call": 0.0, "wait": 0.0, "press": 0.3}),
}
#: the record as the game reads it: the coalition's move and the target's, by month
RECORD = [("call", "test"), ("press", "stall"), ("press", "test")]


def _p(move: str, p_talk: float, p_test: float, lift: float) -> float:
    up = _sig(_logit(p_talk) + lift)
    test = _sig(_logit(p_test) - lift)
    return {"meet": up, "test": (1 - up) * test, "stall": (1 - up) * (1 - test)}[move]


def _by_hand(noise: float = 0.0, p_talk_zero: bool = False) -> tuple[float, dict[str, float]]:
    """The likelihood, summed over types, and each type's share of it."""
    parts = {}
    for name, (prior, p_talk, p_test, lift) in TYPES.items():
        talk = 0.0 if p_talk_zero else p_talk
        like, last = 1.0, None
        for c, b in RECORD:
            if last is None:
                p = _p(b, talk, p_test, 0.0)
            elif last == "call":  # the call may be misread as a wait
                p = (1 - noise) * _p(b, talk, p_test, lift["call"]) + noise * _p(
                    b, talk, p_test, lift["wait"]
                )
            else:
                p = _p(b, talk, p_test, lift[last])
            like *= p
            last = c
        parts[name] = prior * like
    total = sum(parts.values())
    return total, {k: v / total for k, v in parts.items()}


@pytest.fixture(scope="module")
def loaded() -> LoadedScenario:
    return load_scenario(GAME, game_checks=(check_strategies,))


def _run(loaded: LoadedScenario, worldview: str | None, episodes: int = 7, seed: int = 3):
    assert loaded.scenario.record is not None
    mapped = load_mapped(loaded.scenario.record, loaded.file, loaded.lines)
    game = with_worldview(loaded, worldview).game
    assert game is not None
    return hindcast(game, mapped, seed, episodes, worldview)


def test_record_maps_to_moves(loaded: LoadedScenario) -> None:
    assert loaded.scenario.record is not None
    mapped = load_mapped(loaded.scenario.record, loaded.file, loaded.lines)
    assert list(zip(mapped.coalition, mapped.target, strict=True)) == RECORD


def test_likelihood_is_the_hand_sum_over_types(loaded: LoadedScenario) -> None:
    r = _run(loaded, None)
    total, shares = _by_hand()
    assert r.log_likelihood == pytest.approx(math.log(total), abs=1e-12)
    assert r.mc_se == pytest.approx(0.0, abs=1e-12)  # fixed parameters: no Monte Carlo error
    for t in r.types:
        assert t.posterior == pytest.approx(shares[t.type], abs=1e-12)
    # the months' mean predictive probabilities: month 1 is the prior mix of P(test)
    p1 = sum(pr * _p("test", pt, ps, 0.0) for pr, pt, ps, _ in TYPES.values())
    assert r.month_fits[0].p_mean == pytest.approx(p1, abs=1e-12)
    # the one-step-ahead predictives multiply to the likelihood
    assert sum(math.log(m.p_sequential) for m in r.month_fits) == pytest.approx(
        r.log_likelihood, abs=1e-12
    )


def test_likelihood_with_noise_is_the_explicit_mixture(loaded: LoadedScenario) -> None:
    r = _run(loaded, "noisy")
    total, shares = _by_hand(noise=0.2)
    assert r.log_likelihood == pytest.approx(math.log(total), abs=1e-12)
    for t in r.types:
        assert t.posterior == pytest.approx(shares[t.type], abs=1e-12)
    # and the noise moved it (the mixture is not the noiseless value)
    assert abs(r.log_likelihood - _run(loaded, None).log_likelihood) > 1e-4


def test_no_talks_is_certain_when_no_type_opens_talks(loaded: LoadedScenario) -> None:
    closed = _run(loaded, "closed")
    # p_talk 0 is clipped to 1e-9 by the engine's logit: three months of (1 - 1e-9)
    assert closed.p_no_talks == pytest.approx(1.0, abs=1e-8)
    base = _run(loaded, None)
    assert base.p_no_talks < 0.9
    # the base's hazards by hand: months 2 and 3 follow a call and a press
    by_type = {
        name: (1 - _sig(_logit(pt)))
        * (1 - _sig(_logit(pt) + lift["call"]))
        * (1 - _sig(_logit(pt) + lift["press"]))
        for name, (_pr, pt, _ps, lift) in TYPES.items()
    }
    hand = sum(TYPES[k][0] * v for k, v in by_type.items())
    assert base.p_no_talks == pytest.approx(hand, abs=1e-12)


def test_byte_identical_for_a_seed_and_library_equals_cli(loaded: LoadedScenario) -> None:
    runner = CliRunner()
    args = ["hindcast", str(GAME), "-n", "9", "-s", "5", "-f", "json"]
    a = runner.invoke(app, args)
    b = runner.invoke(app, args)
    assert a.exit_code == 0, a.output
    assert a.stdout == b.stdout
    data = json.loads(a.stdout)
    assert [w["worldview"] for w in data["worldviews"]] == ["base", "noisy", "closed"]
    assert loaded.scenario.record is not None
    mapped = load_mapped(loaded.scenario.record, loaded.file, loaded.lines)
    results = [_run(loaded, w, episodes=9, seed=5) for w in (None, "noisy", "closed")]
    lib = payload(loaded.scenario.id, loaded.scenario.record, mapped, results, 5, 9)
    assert json.loads(json.dumps(lib)) == data
    table = runner.invoke(app, ["hindcast", str(GAME), "-n", "9", "-s", "5", "-w", "noisy"])
    assert table.exit_code == 0 and "noisy" in table.stdout and "base" not in table.stdout


def _broken(text: str, tmp_path: Path) -> list[str]:
    (tmp_path / "hindcast-record.csv").write_text((DATA / "hindcast-record.csv").read_text())
    (tmp_path / "hindcast-record.basis.json").write_text(
        (DATA / "hindcast-record.basis.json").read_text()
    )
    path = tmp_path / "g.yaml"
    path.write_text(text)
    try:
        loaded = parse_yaml(text, str(path), game_checks=(check_strategies,))
    except InputError as exc:
        return [str(d) for d in exc.diagnostics]
    assert loaded.scenario.record is not None
    try:
        load_mapped(loaded.scenario.record, loaded.file, loaded.lines)
    except InputError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def test_unknown_move_and_column_are_located(tmp_path: Path) -> None:
    text = GAME.read_text()
    bad_move = text.replace("move: press, basis", "move: shove, basis")
    msgs = _broken(bad_move, tmp_path)
    assert len(msgs) == 1 and "record.coalition[1].move: unknown coalition move 'shove'" in msgs[0]
    assert msgs[0].split(":")[1].isdigit()  # located at a line
    bad_col = text.replace("when: {launches:", "when: {missiles:")
    msgs = _broken(bad_col, tmp_path)
    assert len(msgs) == 1 and "unknown column 'missiles'" in msgs[0]
    assert msgs[0].split(":")[1].isdigit()
    bad_value = text.replace("posture: calm", "posture: sunny")
    msgs = _broken(bad_value, tmp_path)
    assert len(msgs) == 1 and "'sunny' is not a value of 'posture'" in msgs[0]
    no_default = text.replace('- {move: stall, basis: "invented: otherwise a stall"}\n', "")
    msgs = _broken(no_default, tmp_path)
    assert any("the last rule must have no `when`" in m for m in msgs)
