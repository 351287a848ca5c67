"""EVPPI (analysis/voi.py) against the analytic value on a linear-Gaussian decision.

Two options, NB₀ = 0 and NB₁ = θ + ψ, θ ~ N(μ, σ²), ψ ~ N(0, τ²) independent. With
m(s) = E[max(X, 0)] − max(μ, 0) for X ~ N(μ, s²): E[max(X, 0)] = μΦ(μ/s) + sφ(μ/s), so
m(s) = sφ(μ/s) − |μ|Φ(−|μ|/s). E[NB₁ | θ] = θ, so EVPPI(θ) = m(σ); EVPPI(ψ) = m(τ);
EVPI = m(√(σ² + τ²)); a dummy parameter has EVPPI 0.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm

from detente.analysis.voi import evpi, evppi, spline_basis


def analytic(mu: float, s: float) -> float:
    return float(s * norm.pdf(mu / s) - abs(mu) * norm.cdf(-abs(mu) / s))


@pytest.mark.parametrize("mu", [0.3, -0.4])
def test_evppi_matches_the_linear_gaussian_values(mu: float) -> None:
    rng = np.random.default_rng(11)
    n, sigma, tau = 2000, 1.0, 0.6
    theta = rng.normal(mu, sigma, n)
    psi = rng.normal(0.0, tau, n)
    dummy = rng.uniform(size=n)
    nb = np.stack([np.zeros(n), theta + psi], axis=1)
    for x, want in ((theta, analytic(mu, sigma)), (psi, analytic(mu, tau))):
        value, se = evppi(x[:, None], nb, seed=1)
        assert se > 0
        assert abs(value - want) < 3 * se, (value, want, se)
    value, se = evpi(nb, seed=1)
    want = analytic(mu, math.hypot(sigma, tau))
    assert abs(value - want) < 3 * se, (value, want, se)
    # a group of both is worth perfect information
    both, se_both = evppi(np.stack([theta, psi], axis=1), nb, seed=1)
    assert abs(both - want) < 3 * se_both
    value, se = evppi(dummy[:, None], nb, seed=1)
    assert 0.0 <= value < max(3 * se, 1e-3)


def test_evppi_is_zero_without_a_choice_and_deterministic() -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(size=300)
    nb = np.stack([x, x - 1.0], axis=1)  # option 0 always best
    assert evppi(x[:, None], nb, seed=0)[0] == pytest.approx(0.0, abs=1e-12)
    nb2 = np.stack([x, 0.5 * np.ones(300)], axis=1)
    assert evppi(x[:, None], nb2, seed=4) == evppi(x[:, None], nb2, seed=4)


def test_spline_basis_knots_and_degenerate_columns() -> None:
    x = np.linspace(0.0, 1.0, 250)
    assert spline_basis(x).shape == (250, 3 + 4)
    assert spline_basis(x[:60]).shape == (60, 3 + 1)
    assert spline_basis(np.ones(10)).shape == (10, 0)
    assert spline_basis(np.array([0.0, 1.0, 0.0, 1.0])).shape == (4, 1)
