"""Scenario numbers: point value, support, sampling."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from pydantic import ValidationError

from detente.scenario.quantity import Quantity

DISTS: list[dict[str, Any]] = [
    {"dist": "triangular", "low": 0.2, "mode": 0.3, "high": 0.9},
    {"dist": "triangular", "low": 10, "mode": 10, "high": 40},
    {"dist": "uniform", "low": -3, "high": 5},
    {"dist": "truncnormal", "mean": 0.5, "sd": 0.2, "low": 0, "high": 1},
    {"dist": "truncnormal", "mean": 0.9, "sd": 0.3, "low": 0, "high": 1},  # skewed by the cut
    {"dist": "beta", "a": 2, "b": 5},
    {"dist": "beta", "a": 0.5, "b": 0.5, "low": 20, "high": 80},
]

N = 100_000


def q(**kwargs: Any) -> Quantity:
    return Quantity.model_validate(kwargs)


def test_bare_number_is_a_fixed_value() -> None:
    x = Quantity.model_validate(0.8)
    assert x.dist is None and x.value == 0.8 and not x.has_basis()
    assert x.point() == 0.8
    assert x.support() == (0.8, 0.8)
    assert x.describe() == "0.8"


def test_bool_is_not_a_number() -> None:
    with pytest.raises(ValidationError):
        Quantity.model_validate(True)


@pytest.mark.parametrize(
    ("spec", "point"),
    [
        ({"dist": "triangular", "low": 0.2, "mode": 0.3, "high": 0.9}, (0.2 + 0.3 + 0.9) / 3),
        ({"dist": "uniform", "low": -3, "high": 5}, 1.0),
        ({"dist": "beta", "a": 2, "b": 6}, 0.25),
        ({"dist": "beta", "a": 1, "b": 3, "low": 20, "high": 60}, 30.0),
        ({"dist": "truncnormal", "mean": 0.5, "sd": 0.2, "low": 0, "high": 1}, 0.5),  # symmetric
    ],
)
def test_point_is_the_mean(spec: dict[str, Any], point: float) -> None:
    assert q(**spec).point() == pytest.approx(point, abs=1e-12)


def test_truncnormal_point_moves_away_from_the_cut() -> None:
    x = q(dist="truncnormal", mean=0.9, sd=0.3, low=0, high=1)
    assert 0.5 < x.point() < 0.9


@pytest.mark.parametrize(
    ("spec", "support"),
    [
        ({"value": 3}, (3.0, 3.0)),
        ({"dist": "triangular", "low": 1, "mode": 2, "high": 4}, (1.0, 4.0)),
        ({"dist": "uniform", "low": 1, "high": 4}, (1.0, 4.0)),
        ({"dist": "truncnormal", "mean": 2, "sd": 1, "low": 1, "high": 4}, (1.0, 4.0)),
        ({"dist": "beta", "a": 2, "b": 2}, (0.0, 1.0)),
        ({"dist": "beta", "a": 2, "b": 2, "low": 5, "high": 9}, (5.0, 9.0)),
    ],
)
def test_support(spec: dict[str, Any], support: tuple[float, float]) -> None:
    assert q(**spec).support() == support


@pytest.mark.parametrize(
    "spec",
    [
        {"dist": "triangular", "low": 0.4, "mode": 0.4, "high": 0.4},
        {"dist": "uniform", "low": 7, "high": 7},
        {"dist": "truncnormal", "mean": 0.3, "sd": 0, "low": 0.3, "high": 0.3},
        {"dist": "truncnormal", "mean": 0.3, "sd": 0, "low": 0, "high": 1},
        {"dist": "beta", "a": 2, "b": 3, "low": 0.6, "high": 0.6},
    ],
)
def test_zero_width_gives_the_point_exactly(spec: dict[str, Any]) -> None:
    x = q(**spec)
    draws = x.sample(np.random.default_rng(1), 50)
    assert draws.shape == (50,)
    assert np.all(draws == x.point())


def test_fixed_value_is_repeated_without_using_the_generator() -> None:
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    assert q(value=2.5).sample(rng, 4).tolist() == [2.5] * 4
    assert rng.bit_generator.state == state


@pytest.mark.parametrize("spec", DISTS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_sample_mean_matches_point(spec: dict[str, Any]) -> None:
    x = q(**spec)
    draws = x.sample(np.random.default_rng(20240607), N)
    lo, hi = x.support()
    assert draws.shape == (N,)
    assert draws.min() >= lo and draws.max() <= hi
    # Honest tolerance: 5 standard errors of the mean (false alarm ~ 6e-7 per case).
    tol = 5 * draws.std() / np.sqrt(N)
    assert abs(draws.mean() - x.point()) < tol


@pytest.mark.parametrize("spec", DISTS, ids=lambda s: "-".join(str(v) for v in s.values()))
def test_sampling_is_reproducible(spec: dict[str, Any]) -> None:
    x = q(**spec)
    a = x.sample(np.random.default_rng(3), 100)
    b = x.sample(np.random.default_rng(3), 100)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, x.sample(np.random.default_rng(4), 100))


def test_describe_and_basis_text() -> None:
    x = q(
        dist="triangular",
        low=0.5,
        mode=0.7,
        high=0.9,
        assumption="a guess",
        source={"doc": "cato", "quote": "it matters"},
    )
    assert x.describe() == "triangular(0.5, 0.7, 0.9)"
    assert x.basis_text() == 'cato: "it matters"; assumption: a guess'
    assert q(value=1).basis_text() == "(no basis given)"
    assert not q(value=1, assumption="   ").has_basis()
