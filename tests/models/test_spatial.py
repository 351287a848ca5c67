"""Tests of the KTAB Spatial Model of Politics: the ``smpc`` reference run digit by digit, the
vectorised batch against one-draw runs, input checks, and properties of random problems."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from detente.models import get_model
from detente.models.base import ModelInputError, Problem
from detente.models.spatial import (
    SpatialModel,
    big_r_mid,
    bs_util,
    coalitions,
    conditional_pce,
    unique_positions,
    victory_probabilities,
    weighted_distance,
)
from detente.scenario.ktab import read_ktab_csv

ROOT = Path(__file__).resolve().parents[2]
KTAB = ROOT.parent / "shared" / "reference" / "ktab"


def ktab_problem(name: str) -> Problem:
    path = KTAB / name
    if not path.exists():
        pytest.skip(f"KTAB reference data absent: {path}")
    return read_ktab_csv(path).to_problem()


def expected() -> dict[str, Any]:
    path = KTAB / "SOE-Pol-Comp.expected.json"
    if not path.exists():
        pytest.skip(f"KTAB reference run absent: {path}")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# ------------------------------------------------------------------ the reference run


def test_replicates_smpc_reference_run_every_printed_digit() -> None:
    problem = ktab_problem("SOE-Pol-Comp.csv")
    ref = expected()
    forecast = SpatialModel().forecast(problem)
    assert len(forecast.rounds) == ref["states"] == 28
    positions = ref["positions_0_100_by_actor_dim_state"]
    probabilities = ref["winning_probability_by_actor_state"]
    mismatches: list[tuple[int, str, int | str, str, str]] = []
    for t, state in enumerate(forecast.rounds):
        assert state.probabilities is not None
        for i, actor in enumerate(problem.actors):
            for k in range(problem.n_issues):
                got = f"{state.positions[i, k]:.1f}"
                want = f"{positions[actor][k][t]:.1f}"
                if got != want:
                    mismatches.append((t, actor, k, got, want))
            got_p = f"{state.probabilities[i]:.4f}"
            want_p = f"{probabilities[actor][t]:.4f}"
            if got_p != want_p:
                mismatches.append((t, actor, "p", got_p, want_p))
    assert mismatches == []


def test_state_zero_is_the_input_and_outcome_is_most_probable_last_position() -> None:
    problem = ktab_problem("SOE-Pol-Comp.csv")
    forecast = SpatialModel().forecast(problem)
    np.testing.assert_array_equal(forecast.rounds[0].positions, problem.position[0])
    last = forecast.rounds[-1]
    assert last.probabilities is not None
    np.testing.assert_array_equal(
        forecast.outcome, last.positions[int(np.argmax(last.probabilities))]
    )
    # the reference's last state: MOF's position (38.8, 30.7) is the most probable
    np.testing.assert_allclose(forecast.outcome, [38.8, 30.7], atol=0.05)


def test_registry_and_tables() -> None:
    problem = ktab_problem("SOE-Pol-Comp.csv")
    model = get_model("spatial")
    assert isinstance(model, SpatialModel) and model.dynamic
    forecast = model.forecast(problem)
    bargains = forecast.tables["bargains"]
    assert set(bargains["step"]) == set(range(1, len(forecast.rounds)))
    assert bargains["p_initiator_wins"].between(0, 1).all()
    assert (bargains["expected_gain"] > 0).all()
    frame = forecast.rounds_frame()
    assert len(frame) == len(forecast.rounds) * problem.n_actors * problem.n_issues


# ------------------------------------------------------------------ every KTAB input runs

FAST_CSVS = [
    "SOE-Policy.csv",
    "SOE-Competitive.csv",
    "dummyData-a040.csv",
    "dummyData-a080.csv",
    "dummyData_6Dim.csv",
]


def _check_run(problem: Problem) -> None:
    forecast = SpatialModel().forecast(problem)
    assert 3 <= len(forecast.rounds) <= 101
    lo, hi = problem.position[0].min(axis=0), problem.position[0].max(axis=0)
    for state in forecast.rounds:
        # bargains interpolate between two actors' positions (then round to 1e-4 of the scale)
        assert np.all(state.positions >= lo - 0.01) and np.all(state.positions <= hi + 0.01)
        assert state.probabilities is not None
        assert np.all((state.probabilities >= 0) & (state.probabilities <= 1))
    assert np.all(np.isfinite(forecast.outcome))


@pytest.mark.parametrize("name", FAST_CSVS)
def test_every_ktab_input_terminates(name: str) -> None:
    _check_run(ktab_problem(name))


def test_160_actor_input_terminates() -> None:
    _check_run(ktab_problem("dummyData-a160.csv"))


# ------------------------------------------------------------------ batch = loop over draws


def _perturbed_batch(problem: Problem, draws: int, seed: int) -> Problem:
    rng = np.random.default_rng(seed)
    d, n, k = draws, problem.n_actors, problem.n_issues
    pos = np.repeat(problem.position, d, axis=0)
    cap = np.repeat(problem.capability, d, axis=0)
    sal = np.repeat(problem.salience, d, axis=0)
    pos[1:] = np.clip(pos[1:] + rng.normal(0, 8, size=(d - 1, n, k)), 0, 100)
    cap[1:] = cap[1:] * rng.uniform(0.5, 1.5, size=(d - 1, n))
    return Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=cap,
        position=pos,
        salience=sal,
        scale_min=problem.scale_min,
        scale_max=problem.scale_max,
        status_quo=np.full((d, k), np.nan),
        name="batch",
    )


def test_forecast_batch_matches_one_draw_runs_with_different_stopping_times() -> None:
    batch = _perturbed_batch(ktab_problem("SOE-Pol-Comp.csv"), draws=5, seed=3)
    model = SpatialModel()
    result = model.forecast_batch(batch)
    assert result.outcome.shape == (5, batch.n_issues)
    assert result.n_states is not None
    singles = [model.forecast(batch.draw(i)) for i in range(5)]
    for i, single in enumerate(singles):
        np.testing.assert_array_equal(result.outcome[i], single.outcome)
        assert result.n_states[i] == len(single.rounds)
    assert len(set(result.n_states.tolist())) > 1, "draws should stop at different states"


def test_run_freezes_stopped_draws() -> None:
    batch = _perturbed_batch(ktab_problem("SOE-Pol-Comp.csv"), draws=4, seed=11)
    run = SpatialModel().run(batch)
    for d, n_states in enumerate(run.n_states):
        for t in range(int(n_states), len(run.positions)):
            np.testing.assert_array_equal(run.positions[t][d], run.positions[n_states - 1][d])


# ------------------------------------------------------------------ inputs


def _small(n: int = 4, k: int = 2, **kw: Any) -> Problem:
    rng = np.random.default_rng(0)
    args: dict[str, Any] = {
        "capability": rng.uniform(10, 100, n),
        "position": rng.uniform(0, 100, (n, k)),
        "salience": rng.uniform(0.1, 0.5, (n, k)),
        "scale_min": np.zeros(k),
        "scale_max": np.full(k, 100.0),
    }
    args.update(kw)
    return Problem.single([f"a{i}" for i in range(n)], [f"i{j}" for j in range(k)], **args)


def test_actor_count_limits() -> None:
    with pytest.raises(ModelInputError, match=r"3 to 250 actors; problem .* has 2"):
        SpatialModel().forecast(_small(n=2, k=1))
    with pytest.raises(ModelInputError, match=r"at most 250 actors.*--max-actors 251"):
        SpatialModel().forecast(_small(n=251, k=1))
    with pytest.raises(ModelInputError, match=r"max_actors is 4.*has 5"):
        SpatialModel(max_actors=4).forecast(_small(n=5, k=1))
    x, _, _ = SpatialModel(max_actors=251)._prepare(_small(n=251, k=1))  # lifted explicitly
    assert x.shape == (1, 251, 1)
    with pytest.raises(ModelInputError, match="max_actors must be >= 3"):
        SpatialModel(max_actors=2)
    with pytest.raises(ModelInputError, match="engine must be"):
        SpatialModel(engine="fortran")  # type: ignore[arg-type]
    # neither limit nor engine changes the result, so neither is an output parameter
    assert "max_actors" not in SpatialModel(max_actors=300).get_params()


def test_numba_engine_without_numba_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "numba", None)  # import numba -> ImportError
    monkeypatch.delitem(sys.modules, "detente.models._spatial_kernels", raising=False)
    with pytest.raises(ModelInputError, match=r"pip install 'detente\[fast\]'"):
        SpatialModel(engine="numba").forecast(_small())
    # "auto" falls back to numpy without a word
    assert SpatialModel(engine="auto", max_iterations=2).forecast(_small()).rounds


@pytest.mark.parametrize("name", ["SOE-Pol-Comp.csv", "dummyData_6Dim.csv"])
def test_compiled_engine_gives_the_same_bits_on_ktab_inputs(name: str) -> None:
    pytest.importorskip("numba", reason="the compiled engine needs detente[fast] (numba)")
    problem = ktab_problem(name)
    a = SpatialModel(engine="numpy").run(problem, keep_details=True)
    b = SpatialModel(engine="numba").run(problem, keep_details=True)
    assert np.array_equal(a.n_states, b.n_states)
    for t in range(len(a.positions)):
        assert np.array_equal(a.positions[t], b.positions[t])
        assert np.array_equal(a.probabilities[t], b.probabilities[t])
    for da, db in zip(a.details, b.details, strict=True):
        assert np.array_equal(da.target, db.target) and np.array_equal(da.choice, db.choice)
        assert np.array_equal(da.p_win, db.p_win) and np.array_equal(da.gain, db.gain)


def test_compiled_engine_gives_the_same_bits_on_random_batches() -> None:
    pytest.importorskip("numba", reason="the compiled engine needs detente[fast] (numba)")
    batch = _perturbed_batch(_small(n=30, k=3), draws=3, seed=2)
    a = SpatialModel(engine="numpy").run(batch)
    b = SpatialModel(engine="numba").run(batch)
    assert np.array_equal(a.n_states, b.n_states)
    assert all(np.array_equal(x, y) for x, y in zip(a.positions, b.positions, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a.probabilities, b.probabilities, strict=True))


def _assert_same_runs(a: Any, b: Any) -> None:
    assert np.array_equal(a.n_states, b.n_states)
    assert all(np.array_equal(x, y) for x, y in zip(a.positions, b.positions, strict=True))
    assert all(np.array_equal(x, y) for x, y in zip(a.probabilities, b.probabilities, strict=True))
    for da, db in zip(a.details, b.details, strict=True):
        assert np.array_equal(da.has_target, db.has_target)
        assert np.array_equal(da.target, db.target) and np.array_equal(da.choice, db.choice)
        assert np.array_equal(da.p_win, db.p_win) and np.array_equal(da.gain, db.gain)


def _random_batch(n: int, k: int, draws: int, seed: int, decimals: int) -> Problem:
    """Random problems with ties: positions rounded (actors sharing a position, targets of
    equal gain), some saliences exactly 0 on an issue, totals up to 1."""
    rng = np.random.default_rng(seed)
    sal = rng.uniform(0.0, 1.0, (draws, n, k))
    sal[rng.uniform(size=sal.shape) < 0.15] = 0.0
    sal[:, :, 0] = np.maximum(sal[:, :, 0], 0.05)
    sal = sal / np.maximum(1.0, sal.sum(axis=-1, keepdims=True)) * rng.uniform(0.3, 1.0)
    return Problem(
        actors=tuple(f"a{i}" for i in range(n)),
        issues=tuple(f"i{j}" for j in range(k)),
        capability=rng.uniform(10, 100, (draws, n)),
        position=np.round(rng.uniform(0, 100, (draws, n, k)), decimals),
        salience=sal,
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
        status_quo=np.full((draws, k), np.nan),
        name="random",
    )


@pytest.mark.parametrize(
    ("n", "k", "draws", "decimals"),
    [(7, 1, 3, 0), (33, 1, 2, 1), (18, 2, 3, 0), (12, 8, 2, 2), (10, 9, 2, 1), (6, 130, 1, 2)],
)
def test_compiled_whole_state_gives_the_same_bits(
    n: int, k: int, draws: int, decimals: int
) -> None:
    """The compiled state (its numpy-order sums below 8, at 8-128 and beyond 128 issues; the
    challenges' exact pruning, with tied positions and gains) against the numpy code, every
    state, every bargain; and the final-state-only run (``forecast_batch``) against both."""
    pytest.importorskip("numba", reason="the compiled engine needs detente[fast] (numba)")
    batch = _random_batch(n, k, draws, seed=n * k + draws, decimals=decimals)
    a = SpatialModel(engine="numpy").run(batch, keep_details=True)
    b = SpatialModel(engine="numba").run(batch, keep_details=True)
    _assert_same_runs(a, b)
    for engine in ("numpy", "numba"):
        last = SpatialModel(engine=engine).run(batch, history=False)  # type: ignore[arg-type]
        assert len(last.positions) == len(last.probabilities) == 1
        assert np.array_equal(last.n_states, a.n_states)
        assert np.array_equal(last.positions[0], a.positions[-1])
        assert np.array_equal(last.probabilities[0], a.probabilities[-1])


def test_numpy_order_sum_matches_numpy() -> None:
    """The compiled kernels' ``np.sum`` (numpy's pairwise order) on every length to 300 and a
    few long ones, at an offset, on values of very different magnitudes."""
    kernels = pytest.importorskip("detente.models._spatial_kernels", reason="needs numba")
    rng = np.random.default_rng(5)
    for n in [*range(300), 513, 1029, 4097]:
        a = rng.uniform(size=n + 3) * rng.choice([1.0, 1e-9, 1e9], size=n + 3)
        assert kernels._np_sum(a, 3, n) == np.sum(a[3:])


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ModelInputError, match="capability of 'a1'"):
        SpatialModel().forecast(_small(capability=[10.0, 0.0, 5.0, 7.0]))
    pos = _small().position[0].copy()
    pos[2, 1] = 120.0
    with pytest.raises(ModelInputError, match=r"'a2' on 'i1'.*outside the scale"):
        SpatialModel().forecast(_small(position=pos))
    sal = np.full((4, 2), 0.8)
    with pytest.raises(ModelInputError, match=r"sum to 1\.6"):
        SpatialModel(salience_total="error").forecast(_small(salience=sal))
    sal0 = np.full((4, 2), 0.3)
    sal0[3] = 0.0
    with pytest.raises(ModelInputError, match="zero salience"):
        SpatialModel().forecast(_small(salience=sal0))
    with pytest.raises(ModelInputError, match="salience_total"):
        SpatialModel(salience_total="bogus")  # type: ignore[arg-type]


def test_salience_over_one_is_scaled_per_actor() -> None:
    sal = np.array([[0.9, 0.6], [0.2, 0.3], [0.5, 0.5], [0.7, 0.1]])
    scaled = sal / np.maximum(sal.sum(axis=1, keepdims=True), 1.0)
    a = SpatialModel().forecast(_small(salience=sal))
    b = SpatialModel().forecast(_small(salience=scaled))
    assert len(a.rounds) == len(b.rounds)
    np.testing.assert_allclose(a.outcome, b.outcome, atol=1e-9)


def test_scale_mapping_is_affine() -> None:
    base = _small(n=5, k=2)
    lo, hi = np.array([-1.0, 10.0]), np.array([1.0, 20.0])
    pos = lo + base.position[0] / 100.0 * (hi - lo)
    moved = _small(n=5, k=2, position=pos, scale_min=lo, scale_max=hi)
    a = SpatialModel().forecast(base)
    b = SpatialModel().forecast(moved)
    assert len(a.rounds) == len(b.rounds)
    np.testing.assert_allclose(lo + a.outcome / 100.0 * (hi - lo), b.outcome, atol=1e-9)


def test_forecast_needs_one_draw() -> None:
    batch = _perturbed_batch(_small(n=4, k=1), draws=2, seed=0)
    with pytest.raises(ModelInputError, match="one-draw"):
        SpatialModel().forecast(batch)


# ------------------------------------------------------------------ elementary pieces


def test_weighted_distance_and_utility_by_hand() -> None:
    # XJ (30, 20) vs LK (45, 65) with XJ's saliences (24, 48): KTAB prints u = 0.592
    x = np.array([[[0.30, 0.20], [0.45, 0.65], [0.30, 0.20]]])
    s = np.array([[[0.24, 0.48], [0.447, 0.413], [0.5, 0.5]]])
    d = weighted_distance(x, s)
    want = np.sqrt(((0.15 * 0.24) ** 2 + (0.45 * 0.48) ** 2) / (0.24**2 + 0.48**2))
    assert d[0, 0, 1] == pytest.approx(want, rel=1e-12)
    assert d[0, 0, 2] == 0.0
    assert f"{bs_util(d, np.zeros_like(d))[0, 0, 1]:.3f}" == "0.592"
    u = bs_util(np.array([0.25, 1.5]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(u, [0.75 * 1.25, -0.5 * 2.0])


def test_coalitions_pce_and_risk_by_hand() -> None:
    # two voters, three options
    util = np.array([[[1.0, 0.5, 0.0], [0.0, 1.0, 0.5]]])
    w = np.array([[2.0, 1.0]])
    c = coalitions(util, w)
    assert c[0, 0, 1] == pytest.approx(1e-8 + 2 * 0.5)
    assert c[0, 1, 0] == pytest.approx(1e-8 + 1 * 1.0)
    assert c[0, 2, 2] == pytest.approx(1e-8)
    p = victory_probabilities(c)
    np.testing.assert_allclose(p + np.swapaxes(p, 1, 2), 1.0)
    pce = conditional_pce(p)
    raw = np.prod(p[0], axis=1)
    np.testing.assert_allclose(pce[0], raw / raw.sum())
    only = conditional_pce(p, np.array([[True, False, True]]))
    assert only[0, 1] == 0.0
    assert only[0].sum() == pytest.approx(1.0)
    r = big_r_mid(np.array([[0.1, 0.2, 0.7]]))
    np.testing.assert_allclose(r, [[-0.5, -0.25, 1.0]])


def test_unique_positions_groups_within_tolerance() -> None:
    x = np.array([[[0.1], [0.5], [0.1005], [0.9], [0.5]]])
    is_unique, rep = unique_positions(x, 1e-3)
    assert is_unique[0].tolist() == [True, True, False, True, False]
    assert rep[0].tolist() == [0, 1, 0, 3, 1]


# ------------------------------------------------------------------ properties


@st.composite
def problems(draw: st.DrawFn) -> Problem:
    n = draw(st.integers(3, 7))
    k = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    pos = np.round(rng.uniform(0, 100, (n, k)), 1)
    if draw(st.booleans()):
        pos[1] = pos[0]  # shared positions
    sal = rng.uniform(0.05, 1.0, (n, k))
    sal = sal / np.maximum(sal.sum(axis=1, keepdims=True), 1.0)
    cap = rng.uniform(1, 100, n)
    return Problem.single(
        [f"a{i}" for i in range(n)],
        [f"i{j}" for j in range(k)],
        cap,
        pos,
        sal,
        scale_min=np.zeros(k),
        scale_max=np.full(k, 100.0),
    )


@given(problems())
@settings(max_examples=25, deadline=None)
def test_random_problems_terminate_within_the_hull(problem: Problem) -> None:
    forecast = SpatialModel().forecast(problem)
    assert 3 <= len(forecast.rounds) <= 101
    lo = problem.position[0].min(axis=0) - 0.01
    hi = problem.position[0].max(axis=0) + 0.01
    for state in forecast.rounds:
        assert np.all((state.positions >= lo) & (state.positions <= hi))
        assert state.probabilities is not None
        # one probability per distinct position (KTAB's 1e-3 tolerance), summing to one
        x = state.positions[None] / 100.0
        gaps = np.sqrt(((x[0][:, None, :] - x[0][None, :, :]) ** 2).sum(axis=-1))
        if np.any(np.abs(gaps - 1e-3) < 1e-9):
            continue  # grouping at the tolerance's edge depends on the last bit
        is_unique, _ = unique_positions(x, 1e-3)
        assert state.probabilities[is_unique[0]].sum() == pytest.approx(1.0)
    assert np.any(np.all(np.isclose(forecast.rounds[-1].positions, forecast.outcome), axis=1))


def test_all_actors_at_one_point_is_defined_and_stays_put() -> None:
    """KTAB divides by zero here (all positions equally probable); detente takes R = 0."""
    import warnings

    problem = Problem.single(
        ["a", "b", "c"],
        ["x", "y"],
        [1.0, 2.0, 3.0],
        [[40.0, 60.0]] * 3,
        [[0.5, 0.5]] * 3,
        [0.0, 0.0],
        [100.0, 100.0],
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fc = SpatialModel().forecast(problem)
    assert np.allclose(fc.outcome, [40.0, 60.0])
    assert all(np.isfinite(state.positions).all() for state in fc.rounds)
    try:
        import numba  # noqa: F401
    except ImportError:
        return
    _assert_same_runs(
        SpatialModel(engine="numpy").run(problem, keep_details=True),
        SpatialModel(engine="numba").run(problem, keep_details=True),
    )
