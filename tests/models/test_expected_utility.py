"""Tests of the expected-utility model: Scholz et al. (2011) Table 2, properties, loop reference."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _problems import subset_actors
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.models import get_model
from detente.models.base import ModelInputError, Problem
from detente.models.expected_utility import ExpectedUtility, weighted_median

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
BDM = SHARED / "reference" / "bdm1994"

sys.path.insert(0, str(ROOT / "bench"))
from reference_expected_utility import run_issue  # noqa: E402


def emission_problem() -> Problem:
    if not (BDM / "emission-standards.csv").exists():
        pytest.skip(f"reference data absent: {BDM}")
    df = pd.read_csv(BDM / "emission-standards.csv")
    return Problem.single(
        list(df["Actor"]),
        ["emission"],
        df["Capability"].to_numpy(),
        df["Position"].to_numpy()[:, None],
        df["Salience"].to_numpy()[:, None],
        scale_min=[0.0],
        scale_max=[10.0],
        name="emission-standards",
    )


def random_problem(seed: int, n: int, k: int, draws: int = 1) -> Problem:
    rng = np.random.default_rng(seed)
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=rng.uniform(0.05, 1.0, (draws, n)),
        position=rng.uniform(0.0, 100.0, (draws, n, k)),
        salience=rng.uniform(0.05, 1.0, (draws, n, k)),
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
        status_quo=np.full((draws, k), np.nan),
    )


# ---------------------------------------------------------------- replication


def test_scholz_table2_rounds_1_to_8() -> None:
    ref = json.loads((BDM / "scholz-table2.json").read_text()) if BDM.exists() else None
    problem = emission_problem()
    assert ref is not None
    fc = ExpectedUtility(q=1.0, max_rounds=8).forecast(problem)
    summary = fc.tables["summary"]
    # state 0 is the input: BdM's initial median and weighted mean
    first = summary[summary["round"] == 0].iloc[0]
    assert first["median"] == pytest.approx(ref["initial_weighted_median"])
    assert first["mean"] == pytest.approx(ref["initial_capability_salience_weighted_mean"])
    # Table 2's "round t" is the state after t rounds of offers
    later = summary[summary["round"] >= 1].sort_values("round")
    assert list(later["round"]) == list(range(1, 9))
    np.testing.assert_allclose(later["median"], ref["median_by_round"], atol=0.3)
    np.testing.assert_allclose(later["mean"], ref["mean_by_round"], atol=0.1)
    assert fc.outcome[0] == pytest.approx(later["median"].iloc[-1])
    assert len(fc.rounds) == 9


def test_emission_first_round_offers() -> None:
    fc = ExpectedUtility().forecast(emission_problem())
    offers = fc.tables["offers"]
    assert list(offers.columns) == ["round", "issue", "from", "to", "kind", "position", "accepted"]
    assert set(offers["kind"]) <= {"conflict", "compromise", "capitulation"}
    first = offers[(offers["round"] == 1) & offers["accepted"]]
    moves = dict(zip(first["to"], first["position"], strict=True))
    # Belgium compromises towards the 10-year bloc; Luxembourg and Ireland lose conflicts
    assert moves["Belgium"] == pytest.approx(8.4159, abs=1e-3)
    assert moves["Luxembourg"] == pytest.approx(7.0)
    assert moves["Ireland"] == pytest.approx(4.0)
    # each actor accepts at most one offer per round and the positions follow the accepted ones
    assert not first["to"].duplicated().any()
    pos1 = fc.rounds[1].positions[:, 0]
    for i, actor in enumerate(fc.problem.actors):
        expected = moves.get(actor, fc.rounds[0].positions[i, 0])
        assert pos1[i] == pytest.approx(expected)


def test_least_move_rule_differs_from_round_4() -> None:
    problem = emission_problem()
    a = ExpectedUtility().forecast(problem).tables["summary"]["median"].to_numpy()
    b = (
        ExpectedUtility(compromise_rule="least-move")
        .forecast(problem)
        .tables["summary"]["median"]
        .to_numpy()
    )
    np.testing.assert_allclose(a[:4], b[:4])
    assert not np.allclose(a[4:], b[4:])


# ---------------------------------------------------------------- reference agreement


@pytest.mark.parametrize("rule", ["scholz", "least-move"])
@pytest.mark.parametrize("q", [1.0, 0.6])
def test_matches_plain_loop_reference(rule: str, q: float) -> None:
    model = ExpectedUtility(q=q, t=0.7, max_rounds=6, compromise_rule=rule)  # type: ignore[arg-type]
    for seed in range(4):
        problem = random_problem(seed, n=7, k=2)
        fc = model.forecast(problem)
        for j in range(problem.n_issues):
            states = run_issue(
                problem.capability[0],
                problem.salience[0, :, j],
                problem.position[0, :, j],
                q=q,
                t=0.7,
                max_rounds=6,
                compromise_rule=rule,
            )
            got = np.array([r.positions[:, j] for r in fc.rounds])
            for r, state in enumerate(states):
                np.testing.assert_allclose(got[r], state, rtol=1e-9, atol=1e-9)
            # after the reference stopped, this issue stays put
            for r in range(len(states), len(got)):
                np.testing.assert_allclose(got[r], states[-1], atol=1e-9)


def test_batch_equals_single_draws() -> None:
    problem = random_problem(11, n=6, k=3, draws=5)
    model = ExpectedUtility(max_rounds=5)
    batch = model.forecast_batch(problem)
    assert batch.outcome.shape == (5, 3)
    assert batch.n_states is not None and batch.n_states.shape == (5,)
    for d in range(5):
        single = model.forecast(problem.draw(d))
        np.testing.assert_allclose(batch.outcome[d], single.outcome, atol=1e-12)
        assert batch.n_states[d] == len(single.rounds)


@pytest.mark.parametrize(("n", "k", "draws"), [(6, 5, 120), (30, 2, 12)])
def test_batch_equals_single_draws_bit_for_bit(n: int, k: int, draws: int) -> None:
    # several blocks of games (and, for 6 actors, games stopping in different rounds, which
    # are dropped from the arrays mid-block): every draw's outcome and round count must be
    # exactly those of the one-draw forecast, not merely close
    problem = random_problem(7 + n, n=n, k=k, draws=draws)
    model = ExpectedUtility(max_rounds=8)
    batch = model.forecast_batch(problem)
    assert batch.n_states is not None
    final, _, _, _ = model._simulate(problem, trace=False)
    stopped = []  # per game: the last round that moved it
    for d in range(draws):
        single = model.forecast(problem.draw(d))
        np.testing.assert_array_equal(batch.outcome[d], single.outcome)
        np.testing.assert_array_equal(final[d], single.rounds[-1].positions)
        assert batch.n_states[d] == len(single.rounds)
        states = np.array([r.positions for r in single.rounds])  # (rounds + 1, n, k)
        changed = np.any(states[1:] != states[:-1], axis=1)  # (rounds, k)
        stopped += [int(np.flatnonzero(c)[-1]) + 1 if c.any() else 0 for c in changed.T]
    if n == 6:
        assert min(stopped) < max(stopped)


def test_registry_and_params() -> None:
    model = get_model("expected-utility", q=0.5, max_rounds=3)
    assert isinstance(model, ExpectedUtility)
    assert model.dynamic
    assert model.get_params()["q"] == 0.5


# ---------------------------------------------------------------- properties


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 7))
def test_permuting_actors_permutes_nothing(seed: int, n: int) -> None:
    problem = random_problem(seed, n=n, k=2)
    perm = np.random.default_rng(seed + 1).permutation(n)
    permuted = subset_actors(problem, perm)
    model = ExpectedUtility(max_rounds=5)
    a, b = model.forecast(problem), model.forecast(permuted)
    np.testing.assert_allclose(a.outcome, b.outcome, atol=1e-9)
    assert len(a.rounds) == len(b.rounds)
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        np.testing.assert_allclose(ra.positions[perm], rb.positions, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    scale=st.floats(0.01, 100.0),
    shift=st.floats(-1000.0, 1000.0),
    flip=st.booleans(),
)
def test_affine_rescaling_maps_every_position(
    seed: int, scale: float, shift: float, flip: bool
) -> None:
    # a reflected scale is only equivalent under the direction-free least-move rule: the
    # "scholz" rule ranks compromises by their coordinate (see the docs page)
    rule = "least-move" if flip else "scholz"
    a_ = -scale if flip else scale
    problem = random_problem(seed, n=6, k=2)
    moved = Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=problem.capability,
        position=problem.position * a_ + shift,
        salience=problem.salience,
        scale_min=np.minimum(problem.scale_min * a_, problem.scale_max * a_) + shift,
        scale_max=np.maximum(problem.scale_min * a_, problem.scale_max * a_) + shift,
        status_quo=problem.status_quo,
    )
    model = ExpectedUtility(max_rounds=5, compromise_rule=rule)  # type: ignore[arg-type]
    a, b = model.forecast(problem), model.forecast(moved)
    assert len(a.rounds) == len(b.rounds)
    tol = 1e-7 * (abs(a_) * 100 + abs(shift))
    for ra, rb in zip(a.rounds, b.rounds, strict=True):
        np.testing.assert_allclose(ra.positions * a_ + shift, rb.positions, atol=tol)
    if not flip:
        np.testing.assert_allclose(a.outcome * a_ + shift, b.outcome, atol=tol)


def test_all_actors_at_one_position_nothing_moves() -> None:
    problem = Problem.single(
        ["a", "b", "c", "d"],
        ["x", "y"],
        [1.0, 2.0, 3.0, 0.5],
        np.array([[5.0, 1.0]] * 4),
        np.array([[0.3, 0.9], [1.0, 0.2], [0.5, 0.5], [0.8, 0.1]]),
        scale_min=[0.0, 0.0],
        scale_max=[10.0, 10.0],
    )
    for q in (1.0, 0.3):
        fc = ExpectedUtility(q=q).forecast(problem)
        assert len(fc.rounds) == 1
        np.testing.assert_array_equal(fc.outcome, [5.0, 1.0])
        assert fc.tables["offers"].empty
        batch = ExpectedUtility(q=q).forecast_batch(problem)
        assert batch.n_states is not None and batch.n_states[0] == 1


def test_positions_stay_within_initial_range() -> None:
    problem = random_problem(3, n=12, k=3, draws=20)
    model = ExpectedUtility(max_rounds=10)
    for d in range(3):
        fc = model.forecast(problem.draw(d))
        lo = problem.position[d].min(axis=0)
        hi = problem.position[d].max(axis=0)
        for r in fc.rounds:
            assert np.all(r.positions >= lo - 1e-9) and np.all(r.positions <= hi + 1e-9)
    out = model.forecast_batch(problem).outcome
    assert np.all(out >= problem.position.min(axis=1) - 1e-9)
    assert np.all(out <= problem.position.max(axis=1) + 1e-9)


def test_weighted_median_is_condorcet_winner() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 1, (50, 9))
    w = rng.uniform(0.1, 1, (50, 9))
    med = weighted_median(x, w)
    for b in range(50):
        for alt in x[b]:
            margin = np.sum(w[b] * (np.abs(x[b] - alt) - np.abs(x[b] - med[b])))
            assert margin >= -1e-12


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"q": 1.5}, "q"),
        ({"t": -0.1}, "t"),
        ({"max_rounds": 0}, "max_rounds"),
        ({"compromise_rule": "nearest"}, "compromise_rule"),
    ],
)
def test_bad_parameters(kwargs: dict[str, object], word: str) -> None:
    with pytest.raises(ModelInputError, match=word):
        ExpectedUtility(**kwargs)  # type: ignore[arg-type]


def test_bad_problems() -> None:
    model = ExpectedUtility()
    with pytest.raises(ModelInputError, match="at least 2 actors"):
        model.forecast(Problem.single(["a"], ["x"], [1.0], [[1.0]], [[0.5]]))
    with pytest.raises(ModelInputError, match="salience"):
        model.forecast(Problem.single(["a", "b"], ["x"], [1.0, 1.0], [[1.0], [2.0]], [[0.5], [2]]))
    with pytest.raises(ModelInputError, match="capability"):
        model.forecast(Problem.single(["a", "b"], ["x"], [1.0, 0.0], [[1.0], [2.0]], [[0.5], [1]]))
    with pytest.raises(ModelInputError, match="position"):
        model.forecast(
            Problem.single(["a", "b"], ["x"], [1.0, 1.0], [[np.nan], [2.0]], [[0.5], [1]])
        )
    with pytest.raises(ModelInputError, match="one-draw"):
        model.forecast(random_problem(0, 3, 1, draws=2))
