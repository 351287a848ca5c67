"""The one weighted mean and weighted median every model and the backtest use."""

from __future__ import annotations

import numpy as np

from detente.models._weights import weighted_mean


def test_weighted_mean_survives_weights_near_the_subnormal_range() -> None:
    # 5e-324 · 0.5 underflows to 0: computed naively, Σwx/Σw would be 0, not 0.5
    # (a case Hypothesis found in the compromise model's affine-scale property)
    x = np.array([[0.5, 0.5], [2.0, 4.0]])
    w = np.array([[5e-324, 0.0], [1e-300, 3e-300]])
    np.testing.assert_allclose(weighted_mean(x, w, axis=-1), [0.5, 3.5], rtol=1e-12)


def test_weighted_mean_of_ordinary_weights_is_the_plain_formula_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(50, 7)), rng.uniform(0.01, 1.0, size=(50, 7))
    got = weighted_mean(x, w, axis=-1)
    assert np.array_equal(got, (x * w).sum(axis=-1) / w.sum(axis=-1))
    assert np.isnan(weighted_mean(x[:1], np.zeros((1, 7)), axis=-1)).all()
