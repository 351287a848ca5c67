"""Sampling: which judgments are uncertain, their order and labels, determinism of draws, the
moments and distributions of samples, and building Problems from chosen values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.problem import to_problem
from detente.scenario.quantity import Quantity
from detente.uncertainty.sampling import (
    BLOCK_SIZE,
    Parameter,
    block_ranges,
    parameter_generator,
    path_key,
    problem_from_values,
    sample_problem,
    sample_values,
    uncertain_parameters,
)


def test_parameters_in_path_order_with_labels(small: LoadedScenario) -> None:
    params = uncertain_parameters(small.scenario)
    assert [p.path for p in params] == [
        "issues.x.status_quo",
        "actors.a.capability",
        "actors.a.stances.x.position",
        "actors.a.stances.x.salience",
        # actor b writes its stances y before x: the order follows the scenario's issues
        "actors.b.stances.x.position",
        "actors.b.stances.x.salience",
        "actors.b.stances.y.position",
    ]
    assert params[3].label == "Alpha — Issue X — salience"
    assert params[0].label == "Issue X — status quo"
    assert params[3].support == (0.2, 0.9)
    assert (params[6].field, params[6].index) == ("position", (1, 1))
    # fixed values and zero-width distributions (actors.c.stances.y.position) are not uncertain
    assert all(p.support[0] < p.support[1] for p in params)


def test_worldview_overrides_are_sampled(small: LoadedScenario) -> None:
    sc = with_worldview(small, "wide")
    params = uncertain_parameters(sc)
    assert params[-1].path == "actors.c.stances.x.position"
    values = sample_values(params, 3, 0, 2000)
    col = values[:, -1]
    assert col.min() >= 6.0 and col.max() <= 10.0
    assert abs(col.mean() - 8.0) < 4 * (4 / np.sqrt(12)) / np.sqrt(2000)
    # the parameters before the overridden one draw exactly the same values
    base = sample_values(uncertain_parameters(small.scenario), 3, 0, 2000)
    np.testing.assert_array_equal(values[:, :-1], base)


def test_korea_parameter_paths_and_labels(korea: LoadedScenario) -> None:
    params = {p.path: p for p in uncertain_parameters(with_worldview(korea, "engagement"))}
    p = params["actors.dprk.stances.sanctions.salience"]
    assert p.label == "North Korea (Kim Jong Un) — Sanctions relief for North Korea — salience"
    assert p.quantity.describe() == "triangular(0.85, 0.95, 1)"
    assert p.support == (0.85, 1.0)


def test_draw_depends_only_on_seed_and_index(small: LoadedScenario) -> None:
    params = uncertain_parameters(small.scenario)
    whole = sample_values(params, 11, 0, 3 * BLOCK_SIZE + 17)
    for start, stop in [(0, 1), (5, 1030), (1023, 1025), (2000, 3 * BLOCK_SIZE + 17)]:
        np.testing.assert_array_equal(sample_values(params, 11, start, stop), whole[start:stop])
    # a shorter run is a prefix of a longer one
    np.testing.assert_array_equal(sample_values(params, 11, 0, 700), whole[:700])
    assert sample_values(params, 11, 10, 10).shape == (0, len(params))
    assert not np.array_equal(sample_values(params, 12, 0, 700), whole[:700])


def test_parameter_streams_are_keyed_by_block_and_path() -> None:
    key = path_key("actors.dprk.capability")
    for b in range(3):
        expected = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(2024, spawn_key=(b, key)))
        ).random(5)
        got = parameter_generator(2024, b, "actors.dprk.capability").random(5)
        np.testing.assert_array_equal(got, expected)
    assert path_key("actors.dprk.capability") != path_key("actors.usa.capability")


def test_a_parameters_draws_do_not_depend_on_the_other_parameters(
    small: LoadedScenario,
) -> None:
    """Common random numbers: adding or dropping an uncertain parameter changes no other's draws
    (what makes paired worldview differences measure assumptions, not noise)."""
    params = uncertain_parameters(small.scenario)
    assert len(params) >= 3
    every = sample_values(params, 5, 0, 1500)
    fewer = sample_values(params[1:][::-1], 5, 0, 1500)
    np.testing.assert_array_equal(fewer[:, ::-1], every[:, 1:])


def test_block_ranges() -> None:
    assert block_ranges(1) == [(0, 0, 1)]
    assert block_ranges(BLOCK_SIZE) == [(0, 0, BLOCK_SIZE)]
    assert block_ranges(BLOCK_SIZE + 1) == [(0, 0, BLOCK_SIZE), (1, BLOCK_SIZE, BLOCK_SIZE + 1)]


def _param(q: Quantity) -> Parameter:
    return Parameter("p", "p", q, q.support(), "capability", (0,))


def _truth(q: Quantity) -> tuple[float, float, object]:
    """Mean, variance and a CDF of ``q``'s distribution, from the textbook formulas/scipy."""
    lo, hi = q.support()
    if q.dist == "uniform":
        return (lo + hi) / 2, (hi - lo) ** 2 / 12, stats.uniform(lo, hi - lo).cdf
    if q.dist == "triangular":
        a, c, b = lo, float(q.mode or 0), hi
        var = (a * a + b * b + c * c - a * b - a * c - b * c) / 18
        return (a + b + c) / 3, var, stats.triang((c - a) / (b - a), a, b - a).cdf
    if q.dist == "truncnormal":
        mu, sd = float(q.mean or 0), float(q.sd or 1)
        d = stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)
        return float(d.mean()), float(d.var()), d.cdf
    a, b = float(q.a or 1), float(q.b or 1)
    d = stats.beta(a, b, loc=lo, scale=hi - lo)
    return float(d.mean()), float(d.var()), d.cdf


QUANTITIES = [
    Quantity(dist="uniform", low=0.3, high=0.6),
    Quantity(dist="triangular", low=5, mode=8, high=9),
    Quantity(dist="triangular", low=0.9, mode=1.0, high=1.0),
    Quantity(dist="truncnormal", mean=2, sd=1.5, low=0, high=4),
    Quantity(dist="truncnormal", mean=0.9, sd=0.3, low=0, high=1),
    Quantity(dist="beta", a=2, b=5, low=0.2, high=0.9),
    Quantity(dist="beta", a=0.5, b=0.5),
]


@pytest.mark.parametrize("q", QUANTITIES, ids=[q.describe() for q in QUANTITIES])
def test_sample_moments_and_distribution(q: Quantity) -> None:
    n = 40 * BLOCK_SIZE
    x = sample_values([_param(q)], 5, 0, n)[:, 0]
    mean, var, cdf = _truth(q)
    lo, hi = q.support()
    assert lo <= x.min() and x.max() <= hi
    # 4 standard errors: fixed seed, so this either always passes or always fails
    assert abs(x.mean() - mean) < 4 * np.sqrt(var / n)
    # SE of a sample variance is sqrt((kurtosis - 1) / n) relative; kurtosis <= 3 for all these
    assert abs(x.var() / var - 1) < 4 * np.sqrt(2 / n)
    assert stats.kstest(x, cdf).pvalue > 1e-3
    assert q.point() == pytest.approx(mean, rel=1e-9)


def test_parameters_are_independent(small: LoadedScenario) -> None:
    n = 20 * BLOCK_SIZE
    x = sample_values(uncertain_parameters(small.scenario), 9, 0, n)
    corr = np.atleast_2d(np.asarray(np.corrcoef(x, rowvar=False), dtype=np.float64))
    off = corr[~np.eye(corr.shape[0], dtype=bool)]
    assert np.abs(off).max() < 4 / np.sqrt(n)


def test_problem_from_chosen_values(small: LoadedScenario) -> None:
    sc = small.scenario
    params = {p.path: p for p in uncertain_parameters(sc)}
    chosen = [params["actors.b.stances.y.position"], params["issues.x.status_quo"]]
    values = np.array([[0.1, 1.5], [0.2, 2.5], [0.3, 2.9]])
    problem = problem_from_values(sc, chosen, values)
    point = to_problem(sc)
    assert problem.n_draws == 3
    np.testing.assert_array_equal(problem.position[:, 1, 1], values[:, 0])
    np.testing.assert_array_equal(problem.status_quo[:, 0], values[:, 1])
    # everything else at its point value, in every draw
    expected = np.repeat(point.position, 3, axis=0)
    expected[:, 1, 1] = values[:, 0]
    np.testing.assert_array_equal(problem.position, expected)
    np.testing.assert_array_equal(problem.capability, np.repeat(point.capability, 3, axis=0))
    np.testing.assert_array_equal(problem.salience, np.repeat(point.salience, 3, axis=0))
    assert np.isnan(problem.status_quo[:, 1]).all()  # issue y has no status quo
    assert problem.actor_names == ("Alpha", "Beta", "Gamma")
    with pytest.raises(ValueError, match=r"\(draws, 2\)"):
        problem_from_values(sc, chosen, values[:, :1])


def test_sample_problem_puts_columns_in_place(small: LoadedScenario) -> None:
    sc = small.scenario
    params = uncertain_parameters(sc)
    values = sample_values(params, 4, 0, 300)
    problem = sample_problem(sc, 4, 0, 300)
    np.testing.assert_array_equal(problem.status_quo[:, 0], values[:, 0])
    np.testing.assert_array_equal(problem.capability[:, 0], values[:, 1])
    np.testing.assert_array_equal(problem.salience[:, 0, 0], values[:, 3])
    np.testing.assert_array_equal(problem.capability[:, 1], 0.8)
    np.testing.assert_array_equal(problem.position[:, 2, 1], 0.9)  # zero-width triangular


def test_zero_width_scenario_has_no_uncertain_parameters(zero_width: LoadedScenario) -> None:
    assert uncertain_parameters(zero_width.scenario) == []
    problem = sample_problem(zero_width.scenario, 1, 0, 5)
    point = to_problem(zero_width.scenario)
    np.testing.assert_array_equal(problem.position, np.repeat(point.position, 5, axis=0))
    np.testing.assert_array_equal(problem.position[:, 0, 0], 2.0)  # truncnormal with sd 0
