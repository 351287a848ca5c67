"""The contract every registered model keeps, checked once for all of them.

Parametrised over the model registry, in the spirit of scikit-learn's
``parametrize_with_checks``: a new model registered in ``detente.models`` gets these checks for
free. Problems are seeded random draws with continuous positions and saliences, so near-ties
(two exchanges of equal gain, two bargains of equal probability) have probability zero; the
exceptions a model declares by design are marked below, not hidden.

Properties:

* ``forecast_batch`` on a batch equals ``forecast`` on each of its draws, bit for bit;
* the forecast lies within each issue's scale;
* permuting (and relabelling) the actors leaves the forecast unchanged;
* an affine change of every issue's scale ``x -> a + b x`` (``b > 0``) maps the forecast the
  same way, to a tolerance;
* a problem where every actor stands at one position (unanimity) forecasts that position;
* a problem smaller than the model's ``min_actors`` / ``min_issues`` tags is refused with a
  :class:`ModelInputError`, and a one-actor problem is forecast by a model that accepts one;
* the constructor parameters round trip: ``type(m)(**m.get_params())`` has the same params and
  the same forecast, and a forecast records them;
* ``Forecasts.n_states`` means one thing: for a dynamic model, each draw's number of states
  (state 0 included), ``len(forecast(draw).rounds)``; for a static one, None and no rounds.

Honest exceptions, declared by tags on the model class: a model tagged ``order_dependent``
(spatial, exchange: near-ties resolve in input order, as KTAB and Decide resolve them) keeps the
permutation property on the tie-free problems above but is exempt from it on a problem built of
exact ties; a ``baseline`` (status quo, midpoint) reads no actor data, so unanimity does not
move it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from detente.models import BASELINE_REGISTRY, MODEL_REGISTRY, get_model, model_class
from detente.models.base import Model, ModelInputError, Problem

NAMES = [*sorted(MODEL_REGISTRY), *sorted(BASELINE_REGISTRY)]

SEEDS = (0, 1, 2, 3, 4)


def limits(name: str) -> tuple[int, int]:
    """Smallest problem the model accepts (actors, issues), from its tags."""
    cls = model_class(name)
    return cls.min_actors, cls.min_issues


def random_problem(name: str, seed: int, draws: int = 1) -> Problem:
    """A random problem the model accepts: continuous positions on a random scale per issue."""
    rng = np.random.default_rng(seed)
    min_n, min_k = limits(name)
    n = int(rng.integers(max(min_n, 3), 7))
    k = int(rng.integers(min_k, 4))
    lo = rng.uniform(-50.0, 50.0, k)
    hi = lo + rng.uniform(10.0, 200.0, k)
    u = rng.uniform(0.0, 1.0, (draws, n, k))
    position = lo + u * (hi - lo)
    salience = rng.uniform(0.2, 1.0, (draws, n, k))
    capability = rng.uniform(1.0, 10.0, (draws, n))
    status_quo = lo + rng.uniform(0.0, 1.0, (draws, k)) * (hi - lo)
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=capability,
        position=position,
        salience=salience,
        scale_min=lo,
        scale_max=hi,
        status_quo=status_quo,
    )


def permuted(problem: Problem, order: list[int]) -> Problem:
    """The same problem with the actors in ``order`` and given new ids."""
    idx = np.asarray(order, dtype=np.intp)
    return replace(
        problem,
        actors=tuple(f"b{i}" for i in order),
        capability=problem.capability[:, idx],
        position=problem.position[:, idx, :],
        salience=problem.salience[:, idx, :],
        actor_names=tuple(f"B{i}" for i in order),
    )


def model(name: str) -> Model:
    return get_model(name)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_batch_equals_single_draws_bit_for_bit(name: str, seed: int) -> None:
    problem = random_problem(name, seed, draws=3)
    m = model(name)
    batch = m.forecast_batch(problem)
    assert batch.outcome.shape == (3, problem.n_issues)
    assert batch.issues == problem.issues
    assert batch.model == name == m.name
    for d in range(problem.n_draws):
        np.testing.assert_array_equal(batch.outcome[d], m.forecast(problem.draw(d)).outcome)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_forecast_lies_within_the_scale(name: str, seed: int) -> None:
    problem = random_problem(name, seed)
    out = model(name).forecast(problem).outcome
    assert out.shape == (problem.n_issues,)
    tol = 1e-9 * (problem.scale_max - problem.scale_min)
    assert np.all(out >= problem.scale_min - tol)
    assert np.all(out <= problem.scale_max + tol)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("name", NAMES)
def test_permuting_actors_leaves_the_forecast_unchanged(name: str, seed: int) -> None:
    problem = random_problem(name, seed)
    order = list(np.random.default_rng(seed + 100).permutation(problem.n_actors))
    m = model(name)
    a = m.forecast(problem).outcome
    b = m.forecast(permuted(problem, order)).outcome
    tol = 1e-9 * (problem.scale_max - problem.scale_min)
    np.testing.assert_allclose(b, a, rtol=0, atol=tol.max())


@pytest.mark.parametrize(("a", "b"), [(0.0, 3.0), (-250.0, 0.5), (1e3, 7.0)])
@pytest.mark.parametrize("seed", SEEDS[:3])
@pytest.mark.parametrize("name", NAMES)
def test_affine_change_of_scale_maps_the_forecast(name: str, seed: int, a: float, b: float) -> None:
    problem = random_problem(name, seed)
    moved = replace(
        problem,
        position=a + b * problem.position,
        scale_min=a + b * problem.scale_min,
        scale_max=a + b * problem.scale_max,
        status_quo=a + b * problem.status_quo,
    )
    m = model(name)
    x = m.forecast(problem).outcome
    y = m.forecast(moved).outcome
    # a relative tolerance on the new scale; the spatial model rounds bargains to 4 decimals of
    # the unit scale, which is the same rounding on both scales
    tol = 1e-7 * b * (problem.scale_max - problem.scale_min) + 1e-9 * abs(a)
    np.testing.assert_allclose(y, a + b * x, rtol=0, atol=tol.max())


@pytest.mark.parametrize("name", NAMES)
def test_permuting_actors_of_an_exactly_tied_problem(name: str) -> None:
    """Exact ties everywhere: equal weights on a few positions (50/50 splits, equal gains)."""
    if model_class(name).order_dependent:
        pytest.skip(f"{name} is order_dependent: ties resolve in input order by design")
    min_n, min_k = limits(name)
    n, k = max(min_n, 4), max(min_k, 2)
    rng = np.random.default_rng(11)
    m = model(name)
    for _ in range(5):
        problem = Problem.single(
            [f"a{i}" for i in range(n)],
            [f"i{j}" for j in range(k)],
            np.ones(n),
            rng.choice([0.0, 50.0, 100.0], (n, k)),
            np.full((n, k), 0.5),
            scale_min=np.zeros(k),
            scale_max=np.full(k, 100.0),
            status_quo=np.full(k, 25.0),
        )
        a = m.forecast(problem).outcome
        for seed in range(3):
            order = list(np.random.default_rng(seed).permutation(n))
            b = m.forecast(permuted(problem, order)).outcome
            np.testing.assert_allclose(b, a, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_unanimity_forecasts_the_common_position(name: str) -> None:
    if model_class(name).baseline:
        pytest.skip(f"{name} is a baseline: it reads no actor data")
    min_n, min_k = limits(name)
    n, k = max(min_n, 3), max(min_k, 2)
    at = np.array([30.0, 65.0, 80.0][:k])
    problem = Problem.single(
        [f"a{i}" for i in range(n)],
        [f"i{j}" for j in range(k)],
        np.linspace(1.0, 3.0, n),
        np.tile(at, (n, 1)),
        np.full((n, k), 0.7),
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
        status_quo=np.full(k, 10.0),
    )
    np.testing.assert_allclose(model(name).forecast(problem).outcome, at, rtol=0, atol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_too_small_a_problem_is_refused_with_a_model_input_error(name: str) -> None:
    min_n, min_k = limits(name)
    if min_n > 1:
        small = random_problem(name, 0)
        small = replace(
            small,
            actors=small.actors[: min_n - 1],
            capability=small.capability[:, : min_n - 1],
            position=small.position[:, : min_n - 1],
            salience=small.salience[:, : min_n - 1],
            actor_names=(),
        )
        with pytest.raises(ModelInputError):
            model(name).forecast(small)
    if min_k > 1:
        one = random_problem(name, 0)
        one = replace(
            one,
            issues=one.issues[:1],
            position=one.position[:, :, :1],
            salience=one.salience[:, :, :1],
            scale_min=one.scale_min[:1],
            scale_max=one.scale_max[:1],
            status_quo=one.status_quo[:, :1],
            issue_labels=(),
        )
        with pytest.raises(ModelInputError):
            model(name).forecast(one)
    if min_n == 1:
        single = Problem.single(["a"], ["x"], [2.0], [42.0], [0.5], [0.0], [100.0], [10.0])
        out = model(name).forecast(single).outcome
        assert out.shape == (1,) and np.isfinite(out).all()


@pytest.mark.parametrize("name", NAMES)
def test_constructor_params_round_trip(name: str) -> None:
    m = model(name)
    params = m.get_params()
    again = type(m)(**params)
    assert again.get_params() == params
    assert get_model(name, **params).get_params() == params
    assert model_class(name) is type(m)
    problem = random_problem(name, 7)
    fc = m.forecast(problem)
    assert fc.parameters == params
    assert fc.model == name
    np.testing.assert_array_equal(again.forecast(problem).outcome, fc.outcome)
    assert m.forecast_batch(problem).parameters == params


@pytest.mark.parametrize("name", NAMES)
def test_n_states_counts_the_states_of_each_draw(name: str) -> None:
    problem = random_problem(name, 3, draws=4)
    m = model(name)
    batch = m.forecast_batch(problem)
    if not m.dynamic:
        assert batch.n_states is None
        assert m.forecast(problem.draw(0)).rounds == ()
        return
    assert batch.n_states is not None and batch.n_states.shape == (problem.n_draws,)
    for d in range(problem.n_draws):
        rounds = m.forecast(problem.draw(d)).rounds
        assert batch.n_states[d] == len(rounds) >= 1
        np.testing.assert_array_equal(rounds[0].positions, problem.position[d])


@pytest.mark.parametrize("name", NAMES)
def test_forecast_to_dict_is_plain_json(name: str) -> None:
    import json

    problem = random_problem(name, 5)
    fc = model(name).forecast(problem)
    d = fc.to_dict()
    assert list(d)[:3] == ["model", "parameters", "issues"]
    assert d["model"] == name
    assert [i["id"] for i in d["issues"]] == list(problem.issues)
    assert [i["forecast"] for i in d["issues"]] == fc.outcome.tolist()
    assert ("rounds" in d) == bool(fc.rounds) and ("tables" in d) == bool(fc.tables)
    if fc.rounds:
        assert len(d["rounds"]) == len(fc.rounds)
        assert set(d["rounds"][0]["positions"]) == set(problem.actors)
    json.dumps(d, allow_nan=False)  # no NaN, no object JSON cannot hold


def test_baselines_are_models_apart_from_the_list_of_models() -> None:
    from detente.models import available_models
    from detente.models.baselines import Midpoint, StatusQuo

    assert not set(available_models()) & set(BASELINE_REGISTRY)
    assert all(model_class(b).baseline for b in BASELINE_REGISTRY)
    assert not any(model_class(m).baseline for m in MODEL_REGISTRY)
    p = Problem.single(
        ["a", "b"],
        ["x", "y"],
        [1, 2],
        [[0, 10], [90, 20]],
        [[1, 1], [1, 1]],
        scale_min=[0, -10],
        scale_max=[100, 50],
        status_quo=[30, np.nan],
    )
    np.testing.assert_array_equal(StatusQuo().forecast(p).outcome, [30, np.nan])
    np.testing.assert_array_equal(Midpoint().forecast(p).outcome, [50, 20])
    assert StatusQuo.needs_status_quo and not Midpoint.needs_status_quo


def test_tags_name_what_callers_used_to_know_by_name() -> None:
    """Exchange is the one multi-issue model; spatial and exchange are order-dependent."""
    assert [m for m in MODEL_REGISTRY if model_class(m).multi_issue] == ["exchange"]
    assert sorted(m for m in NAMES if model_class(m).order_dependent) == ["exchange", "spatial"]
    assert {m: limits(m) for m in MODEL_REGISTRY} == {
        "compromise": (1, 1),
        "median": (1, 1),
        "expected-utility": (2, 1),
        "spatial": (3, 1),
        "exchange": (2, 2),
    }
