"""The median model (Condorcet winner of pairwise capability × salience votes): values, properties.

The vote between two positions ``a`` and ``b`` on an issue is
``v(a, b) = Σ_i c_i s_i (|x_i − b| − |x_i − a|)``; ``a`` beats ``b`` when it is positive. The
forecast must beat or tie every other position, which is checked here directly with that formula
on a grid over the scale and at every actor's position, independently of the model's code.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _problems import subset_actors
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.models import get_model
from detente.models.base import Problem
from detente.models.median import WeightedMedian, weighted_median
from detente.scenario.load import load_scenario
from detente.scenario.problem import to_problem


@st.composite
def problems(draw: st.DrawFn, draws: int = 1, exact: bool = False) -> Problem:
    """Random problems, 2-7 actors and 1-3 issues.

    ``exact``: integer positions, integer capabilities and saliences in quarters, so every vote
    total is computed exactly in floating point and ties stay ties under the transformations
    tested (which multiply by powers of two and add integers).
    """
    n = draw(st.integers(2, 7))
    k = draw(st.integers(1, 3))
    size = draws * n * k
    if exact:
        position = np.array(
            draw(st.lists(st.integers(0, 100), min_size=size, max_size=size)), dtype=float
        )
        salience = np.array(
            draw(
                st.lists(st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=size, max_size=size)
            )
        )
        capability = np.array(
            draw(st.lists(st.integers(1, 20), min_size=draws * n, max_size=draws * n)), dtype=float
        )
        lo, hi = np.zeros(k), np.full(k, 100.0)
    else:
        position = np.array(draw(st.lists(st.floats(0, 100), min_size=size, max_size=size)))
        salience = np.array(draw(st.lists(st.floats(0, 1), min_size=size, max_size=size)))
        capability = np.array(
            draw(st.lists(st.floats(1e-2, 1e2), min_size=draws * n, max_size=draws * n))
        )
        lo, hi = np.zeros(k), np.full(k, 100.0)
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=capability.reshape(draws, n),
        position=position.reshape(draws, n, k),
        salience=salience.reshape(draws, n, k),
        scale_min=lo,
        scale_max=hi,
        status_quo=np.full((draws, k), np.nan),
    )


def vote(w: np.ndarray, x: np.ndarray, a: float, b: np.ndarray) -> np.ndarray:
    """``v(a, b)`` for each ``b``: positive when ``a`` beats ``b``."""
    return (w[None, :] * (np.abs(x[None, :] - b[:, None]) - np.abs(x[None, :] - a))).sum(axis=1)


def weights_of(problem: Problem, j: int) -> np.ndarray:
    w = problem.capability[0] * problem.salience[0, :, j]
    return w if w.sum() > 0 else problem.capability[0].copy()  # the documented fallback


# --------------------------------------------------------------------------------------------
# values


def test_emission_case_from_csv(shared_dir: Path) -> None:
    path = shared_dir / "reference" / "bdm1994" / "emission-standards.csv"
    if not path.exists():
        pytest.skip(f"reference data absent: {path}")
    df = pd.read_csv(path)
    problem = Problem.single(
        list(df["Actor"]),
        ["delay"],
        df["Capability"].to_numpy(),
        df["Position"].to_numpy(),
        df["Salience"].to_numpy(),
        4.0,
        10.0,
    )
    assert get_model("median").forecast(problem).outcome[0] == 7.0


def test_emission_case_from_scenario(emission_yaml: Path) -> None:
    problem = to_problem(load_scenario(emission_yaml).scenario)
    fc = WeightedMedian().forecast(problem)
    assert fc.outcome[0] == 7.0
    table = fc.tables["candidates"]
    assert len(table) == 10
    best = table.loc[table["weighted_distance"].idxmin()]
    assert best["position"] == 7.0


def test_hand_computed() -> None:
    # weights 3, 1, 1 at 0, 5, 10: the heavy actor holds 3 of 5 votes, a majority on its own
    problem = Problem.single(["a", "b", "c"], ["x"], [3, 1, 1], [0, 5, 10], [1, 1, 1])
    assert WeightedMedian().forecast(problem).outcome[0] == 0.0


def test_exact_split_gives_the_midpoint() -> None:
    # Two equal blocs: every point between 2 and 6 ties; the midpoint is returned.
    problem = Problem.single(["a", "b", "c"], ["x"], [2, 1, 1], [2, 6, 6], [1, 1, 1])
    assert WeightedMedian().forecast(problem).outcome[0] == 4.0


def test_salience_zero_actor_has_no_vote() -> None:
    problem = Problem.single(["a", "b", "c"], ["x"], [100, 1, 1], [0, 7, 8], [0, 1, 1])
    assert WeightedMedian().forecast(problem).outcome[0] == 7.5


# --------------------------------------------------------------------------------------------
# properties


@settings(deadline=None, max_examples=200)
@given(problems())
def test_median_beats_or_ties_every_position(problem: Problem) -> None:
    out = WeightedMedian().forecast(problem).outcome
    grid = np.linspace(0.0, 100.0, 201)
    for j in range(problem.n_issues):
        x = problem.position[0, :, j]
        w = weights_of(problem, j)
        rivals = np.concatenate([grid, x])
        v = vote(w, x, float(out[j]), rivals)
        tol = 1e-9 * w.sum() * 100.0
        assert v.min() >= -tol, (out[j], rivals[v.argmin()], v.min())
        assert x.min() <= out[j] <= x.max()


@settings(deadline=None, max_examples=200)
@given(problems(exact=True))
def test_median_beats_or_ties_every_position_exactly(problem: Problem) -> None:
    out = WeightedMedian().forecast(problem).outcome
    for j in range(problem.n_issues):
        x = problem.position[0, :, j]
        w = weights_of(problem, j)
        rivals = np.concatenate([np.arange(0.0, 100.5, 0.5), x])
        assert vote(w, x, float(out[j]), rivals).min() >= 0.0
        # The forecast is an actor's position or the midpoint of two.
        mids = (x[:, None] + x[None, :]) / 2.0
        assert np.isin(out[j], mids)


@settings(deadline=None, max_examples=100)
@given(problems(exact=True), st.randoms(use_true_random=False))
def test_relabelling_and_permuting_actors_changes_nothing(problem: Problem, rnd: object) -> None:
    order = list(range(problem.n_actors))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    permuted = replace(subset_actors(problem, order), actors=tuple(f"z{i}" for i in order))
    np.testing.assert_array_equal(
        WeightedMedian().forecast(problem).outcome, WeightedMedian().forecast(permuted).outcome
    )


@settings(deadline=None, max_examples=100)
@given(
    problems(exact=True),
    st.sampled_from([0.25, 0.5, 2.0, 8.0, -1.0, -4.0]),
    st.integers(-1000, 1000),
)
def test_affine_change_of_scale_maps_the_forecast(problem: Problem, a: float, b: int) -> None:
    lo, hi = a * problem.scale_min + b, a * problem.scale_max + b
    moved = Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=problem.capability,
        position=a * problem.position + b,
        salience=problem.salience,
        scale_min=np.minimum(lo, hi),
        scale_max=np.maximum(lo, hi),
        status_quo=problem.status_quo,
    )
    x = WeightedMedian().forecast(problem).outcome
    y = WeightedMedian().forecast(moved).outcome
    np.testing.assert_array_equal(y, a * x + b)


@settings(deadline=None, max_examples=50)
@given(problems(draws=4))
def test_forecast_batch_equals_forecast_per_draw(problem: Problem) -> None:
    model = WeightedMedian()
    batch = model.forecast_batch(problem)
    assert batch.outcome.shape == (4, problem.n_issues)
    for d in range(problem.n_draws):
        np.testing.assert_array_equal(batch.outcome[d], model.forecast(problem.draw(d)).outcome)
    np.testing.assert_array_equal(batch.outcome, weighted_median(problem))


@pytest.mark.parametrize(
    ("capability", "position", "expected"),
    [
        ([1e-13, 1e-13, 1e-13], [0.0, 1.0, 1.0], 1.0),  # tiny weights
        ([1.0, 1.0, 1.0], [0.0, 1e-13, 1e-13], 1e-13),  # a narrow scale
        ([1e9, 1e9, 1e9], [0.0, 1e6, 1e6], 1e6),  # large numbers
    ],
)
def test_strict_winner_is_not_mistaken_for_a_tie(
    capability: list[float], position: list[float], expected: float
) -> None:
    """Regression: the tie tolerance was absolute (1e-12) when the losses were below 1."""
    problem = Problem.single(["a", "b", "c"], ["x"], capability, position, [1, 1, 1])
    assert WeightedMedian().forecast(problem).outcome[0] == expected
