"""The compromise model (capability × salience weighted mean): values and properties."""

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
from detente.models.base import ModelInputError, Problem
from detente.models.compromise import Compromise, weighted_mean
from detente.scenario.load import load_scenario
from detente.scenario.problem import to_problem

EMISSION_MEAN = 7.38996  # Σ c s x / Σ c s on Bueno de Mesquita's (1994) emission case

finite = st.floats(allow_nan=False, allow_infinity=False)


@st.composite
def problems(draw: st.DrawFn, draws: int = 1) -> Problem:
    """Random problems: 2-7 actors, 1-3 issues, positions on [lo, hi], saliences in [0, 1]."""
    n = draw(st.integers(2, 7))
    k = draw(st.integers(1, 3))
    lo = np.array(draw(st.lists(st.floats(-1e3, 1e3), min_size=k, max_size=k)))
    width = np.array(draw(st.lists(st.floats(1e-2, 1e3), min_size=k, max_size=k)))
    hi = lo + width
    shape = (draws, n, k)
    u = np.array(
        draw(st.lists(st.floats(0, 1), min_size=draws * n * k, max_size=draws * n * k))
    ).reshape(shape)
    position = lo + u * width
    salience = np.array(
        draw(st.lists(st.floats(0, 1), min_size=draws * n * k, max_size=draws * n * k))
    ).reshape(shape)
    capability = np.array(
        draw(st.lists(st.floats(1e-3, 1e3), min_size=draws * n, max_size=draws * n))
    ).reshape(draws, n)
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=capability,
        position=position,
        salience=salience,
        scale_min=lo,
        scale_max=hi,
        status_quo=np.full((draws, k), np.nan),
    )


def relabel(problem: Problem, order: list[int]) -> Problem:
    """The actors permuted by ``order`` and given new ids."""
    return replace(subset_actors(problem, order), actors=tuple(f"b{i}" for i in order))


def emission_csv(shared_dir: Path) -> Problem:
    path = shared_dir / "reference" / "bdm1994" / "emission-standards.csv"
    if not path.exists():
        pytest.skip(f"reference data absent: {path}")
    df = pd.read_csv(path)
    return Problem.single(
        actors=list(df["Actor"]),
        issues=["delay"],
        capability=df["Capability"].to_numpy(),
        position=df["Position"].to_numpy(),
        salience=df["Salience"].to_numpy(),
        scale_min=4.0,
        scale_max=10.0,
    )


# --------------------------------------------------------------------------------------------
# values


def test_hand_computed() -> None:
    # weights 1*1=1, 2*0.5=1, 4*0.25=1 on issue x; 1*0=0, 2*1=2, 4*0.5=2 on issue y
    problem = Problem.single(
        actors=["a", "b", "c"],
        issues=["x", "y"],
        capability=[1, 2, 4],
        position=[[0, 10], [3, 40], [9, 70]],
        salience=[[1, 0], [0.5, 1], [0.25, 0.5]],
    )
    fc = Compromise().forecast(problem)
    assert fc.outcome.tolist() == pytest.approx([4.0, 55.0])
    assert fc.model == "compromise"
    weights = fc.tables["weights"]
    assert weights.groupby("issue")["weight"].sum().tolist() == pytest.approx([1.0, 1.0])
    assert weights.set_index(["actor", "issue"]).loc[("a", "y"), "weight"] == 0.0


def test_emission_case_from_csv(shared_dir: Path) -> None:
    fc = get_model("compromise").forecast(emission_csv(shared_dir))
    assert fc.outcome[0] == pytest.approx(EMISSION_MEAN, abs=1e-5)


def test_emission_case_from_scenario(emission_yaml: Path) -> None:
    problem = to_problem(load_scenario(emission_yaml).scenario)
    assert Compromise().forecast(problem).outcome[0] == pytest.approx(EMISSION_MEAN, abs=1e-5)


def test_all_saliences_zero_falls_back_to_capability() -> None:
    problem = Problem.single(["a", "b"], ["x"], capability=[3, 1], position=[0, 8], salience=[0, 0])
    assert Compromise().forecast(problem).outcome[0] == pytest.approx(2.0)


def test_forecast_refuses_a_batch() -> None:
    problem = Problem.single(["a", "b"], ["x"], [1, 1], [0, 1], [1, 1])
    batch = Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=np.repeat(problem.capability, 2, axis=0),
        position=np.repeat(problem.position, 2, axis=0),
        salience=np.repeat(problem.salience, 2, axis=0),
        scale_min=problem.scale_min,
        scale_max=problem.scale_max,
        status_quo=np.repeat(problem.status_quo, 2, axis=0),
    )
    with pytest.raises(ModelInputError, match="one-draw problem"):
        Compromise().forecast(batch)


# --------------------------------------------------------------------------------------------
# properties


@settings(deadline=None, max_examples=150)
@given(problems())
def test_forecast_lies_within_the_actors_range(problem: Problem) -> None:
    out = Compromise().forecast(problem).outcome
    pos = problem.position[0]
    span = pos.max(axis=0) - pos.min(axis=0)
    tol = 1e-9 * np.maximum(np.abs(pos).max(axis=0), 1.0)
    assert np.all(out >= pos.min(axis=0) - tol)
    assert np.all(out <= pos.max(axis=0) + tol)
    assert np.all(span >= 0)


@settings(deadline=None, max_examples=100)
@given(problems(), st.randoms(use_true_random=False))
def test_relabelling_and_permuting_actors_changes_nothing(problem: Problem, rnd: object) -> None:
    order = list(range(problem.n_actors))
    rnd.shuffle(order)  # type: ignore[attr-defined]
    a = Compromise().forecast(problem).outcome
    b = Compromise().forecast(relabel(problem, order)).outcome
    scale = np.maximum(np.abs(problem.position[0]).max(axis=0), 1.0)
    np.testing.assert_allclose(a, b, rtol=0, atol=1e-9 * scale.max())


@settings(deadline=None, max_examples=100)
@given(problems(), st.floats(1e-3, 1e3), st.floats(-1e4, 1e4))
def test_affine_change_of_scale_maps_the_forecast(problem: Problem, a: float, b: float) -> None:
    moved = Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=problem.capability,
        position=a * problem.position + b,
        salience=problem.salience,
        scale_min=a * problem.scale_min + b,
        scale_max=a * problem.scale_max + b,
        status_quo=problem.status_quo,
    )
    x = Compromise().forecast(problem).outcome
    y = Compromise().forecast(moved).outcome
    tol = 1e-9 * (np.abs(a * x).max() + abs(b) + 1.0)
    np.testing.assert_allclose(y, a * x + b, rtol=0, atol=tol)


@settings(deadline=None, max_examples=50)
@given(problems(draws=4))
def test_forecast_batch_equals_forecast_per_draw(problem: Problem) -> None:
    model = Compromise()
    batch = model.forecast_batch(problem)
    assert batch.outcome.shape == (4, problem.n_issues)
    assert batch.issues == problem.issues
    for d in range(problem.n_draws):
        np.testing.assert_array_equal(batch.outcome[d], model.forecast(problem.draw(d)).outcome)
    np.testing.assert_array_equal(batch.outcome, weighted_mean(problem))


def test_subset_actors_keeps_each_actor_with_its_numbers() -> None:
    problem = Problem(
        actors=("a", "b", "c"),
        issues=("x",),
        capability=np.array([[1.0, 2.0, 3.0]]),
        position=np.array([[[10.0], [20.0], [30.0]]]),
        salience=np.array([[[0.1], [0.2], [0.3]]]),
        scale_min=np.zeros(1),
        scale_max=np.full(1, 100.0),
        status_quo=np.full((1, 1), np.nan),
        actor_names=("A", "B", "C"),
    )
    sub = subset_actors(problem, [2, 0])
    assert sub.actors == ("c", "a") and sub.actor_names == ("C", "A")
    np.testing.assert_array_equal(sub.capability, [[3.0, 1.0]])
    np.testing.assert_array_equal(sub.position[0, :, 0], [30.0, 10.0])
    np.testing.assert_array_equal(sub.salience[0, :, 0], [0.3, 0.1])
    # weights follow their actors: the compromise of a and c alone
    assert Compromise().forecast(sub).outcome[0] == pytest.approx((30 * 0.9 + 10 * 0.1) / 1.0)
