"""The Monte Carlo runner: the same draws and forecasts bit for bit whatever the chunking or
worker count, the point forecast exactly when nothing is uncertain, batch equal to looping."""

from __future__ import annotations

import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from detente.models import get_model
from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.problem import to_problem
from detente.uncertainty.runner import (
    DEFAULT_MIN_DRAWS_PER_WORKER,
    MIN_DRAWS_PER_WORKER,
    Job,
    MonteCarloResult,
    prepare,
    simulate,
    spawn_pool,
    workers_for,
)
from detente.uncertainty.sampling import (
    BLOCK_SIZE,
    sample_problem,
    sample_values,
    uncertain_parameters,
)
from detente.uncertainty.worker import LocalPool

DRAWS = 2 * BLOCK_SIZE + 500  # three blocks, the last one short


def _same(a: MonteCarloResult, b: MonteCarloResult) -> None:
    np.testing.assert_array_equal(a.inputs, b.inputs)
    np.testing.assert_array_equal(a.outcome, b.outcome)
    assert a.inputs.tobytes() == b.inputs.tobytes()
    assert a.outcome.tobytes() == b.outcome.tobytes()


@pytest.fixture(scope="module")
def pool() -> Iterator[object]:
    executor = spawn_pool(2)
    yield executor
    executor.shutdown()


@pytest.mark.parametrize("model", ["compromise", "median"])
def test_identical_across_chunks_and_workers(
    korea: LoadedScenario, model: str, pool: object
) -> None:
    job = Job(with_worldview(korea, "skeptic"), model, seed=42, draws=DRAWS)
    reference = simulate(job)
    assert reference.outcome.shape == (DRAWS, 5)
    assert reference.inputs.shape == (DRAWS, len(reference.parameters))
    for chunk in (2, 3):
        _same(reference, simulate(job, chunk_blocks=chunk))
    _same(reference, simulate(job, executor=pool))  # type: ignore[arg-type]
    _same(reference, simulate(job, executor=pool, chunk_blocks=2))  # type: ignore[arg-type]


def test_process_pool_started_by_simulate(small: LoadedScenario) -> None:
    job = Job(small.scenario, "compromise", seed=1, draws=DRAWS)
    progress: list[int] = []
    # min_draws_per_worker=0: a pool even for a run this small (the rule would run it here)
    result = simulate(job, workers=2, progress=progress.append, min_draws_per_worker=0)
    assert result.workers_used == 2
    _same(simulate(job), result)
    assert sorted(progress) == [500, BLOCK_SIZE, BLOCK_SIZE]


@pytest.mark.parametrize("model", ["expected-utility", "spatial", "exchange"])
def test_pool_identical_for_the_iterative_models(korea: LoadedScenario, model: str) -> None:
    job = Job(korea.scenario, model, seed=5, draws=BLOCK_SIZE + 3 if model != "exchange" else 5)
    _same(simulate(job), simulate(job, workers=2, min_draws_per_worker=0, chunk_blocks=1))


def test_workers_the_work_pays_for(small: LoadedScenario) -> None:
    # the rule: at most the workers asked for and the tasks there are, and enough draws each
    assert MIN_DRAWS_PER_WORKER["exchange"] < MIN_DRAWS_PER_WORKER["compromise"]
    per = MIN_DRAWS_PER_WORKER["spatial"]
    assert workers_for("spatial", per - 1, 2, 100) == 1
    assert workers_for("spatial", per, 2, 100) == 1
    assert workers_for("spatial", 2 * per, 2, 100) == 2
    assert workers_for("spatial", 100 * per, 4, 3) == 3
    assert workers_for("spatial", 100 * per, 1, 100) == 1
    assert workers_for("no-such-model", DEFAULT_MIN_DRAWS_PER_WORKER * 2, 8, 100) == 2
    # a small run asked for 2 workers runs in this process, with the same result
    job = Job(small.scenario, "compromise", seed=1, draws=DRAWS)
    result = simulate(job, workers=2)
    assert result.workers_used == 1
    _same(simulate(job), result)


def test_worker_imports_stay_lean(small: LoadedScenario, tmp_path: Path) -> None:
    # what a worker imports to forecast a block of a prepared job (the pickles carry the rest)
    job = Job(small.scenario, "median", seed=1, draws=10)
    values = sample_values(uncertain_parameters(small.scenario), 1, 0, 10)
    job_file = tmp_path / "job.pickle"
    job_file.write_bytes(pickle.dumps((prepare(job), values)))
    code = (
        "import pickle, sys; from detente.uncertainty.worker import forecast_values; "
        f"job, x = pickle.loads(open({str(job_file)!r}, 'rb').read()); forecast_values(job, x); "
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = set(done.stdout.split())
    assert "detente.models.median" in modules
    # (pandas, and with pandas 3 pyarrow, still come in: detente.models.base imports pandas)
    heavy = {"typer", "rich", "click", "detente.cli", "detente.uncertainty.runner"}
    others = {f"detente.models.{m}" for m in ("compromise", "exchange", "spatial")}
    scenario = {"detente.scenario.schema", "detente.scenario.quantity", "pydantic", "scipy"}
    for name in heavy | others | scenario | {"detente.strategy", "plotly"}:
        assert name not in modules, name


def test_failing_model_in_a_worker_raises_here(small: LoadedScenario) -> None:
    # values of the wrong shape are refused inside the worker; the parent raises the same error
    pool = LocalPool(1)
    job = prepare(Job(small.scenario, "median", seed=1, draws=10))
    try:
        with pytest.raises(ValueError, match="values must be"):
            pool.run(job, [[0]], lambda block: np.zeros((10, 1)), print)
    finally:
        pool.close(kill=True)
    assert pool.workers == []


def test_shorter_run_is_a_prefix(korea: LoadedScenario) -> None:
    long = simulate(Job(korea.scenario, "compromise", seed=3, draws=DRAWS))
    short = simulate(Job(korea.scenario, "compromise", seed=3, draws=700))
    np.testing.assert_array_equal(short.inputs, long.inputs[:700])
    np.testing.assert_array_equal(short.outcome, long.outcome[:700])


@pytest.mark.parametrize("model", ["compromise", "median", "expected-utility"])
def test_zero_width_gives_the_point_forecast_exactly(
    zero_width: LoadedScenario, model: str
) -> None:
    result = simulate(Job(zero_width.scenario, model, seed=8, draws=BLOCK_SIZE + 3))
    point = get_model(model).forecast(to_problem(zero_width.scenario)).outcome
    assert result.inputs.shape == (BLOCK_SIZE + 3, 0)
    np.testing.assert_array_equal(result.outcome, np.broadcast_to(point, result.outcome.shape))


@pytest.mark.parametrize("model", ["compromise", "median", "expected-utility"])
def test_batch_matches_looping_single_draws(korea: LoadedScenario, model: str) -> None:
    result = simulate(Job(korea.scenario, model, seed=5, draws=40))
    problem = sample_problem(korea.scenario, 5, 0, 40)
    m = get_model(model)
    looped = np.stack([m.forecast(problem.draw(i)).outcome for i in range(40)])
    np.testing.assert_allclose(result.outcome, looped, rtol=1e-9, atol=1e-9)
    np.testing.assert_array_equal(result.outcome, m.forecast_batch(problem).outcome)


def test_uncertainty_actually_moves_forecasts(korea: LoadedScenario) -> None:
    result = simulate(Job(korea.scenario, "compromise", seed=0, draws=500))
    assert (result.outcome.std(axis=0) > 0.1).all()
    point = get_model("compromise").forecast(to_problem(korea.scenario)).outcome
    # the mean of the weighted mean is near (not equal to) the weighted mean at the means
    assert np.abs(result.outcome.mean(axis=0) - point).max() < 5.0


def test_bad_arguments(small: LoadedScenario) -> None:
    with pytest.raises(ValueError, match="draws"):
        simulate(Job(small.scenario, "compromise", seed=0, draws=0))
    with pytest.raises(ValueError, match="workers"):
        simulate(Job(small.scenario, "compromise", seed=0, draws=5), workers=0)
    with pytest.raises(ValueError, match="backend"):
        simulate(Job(small.scenario, "compromise", seed=0, draws=5), backend="dask")  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="unknown model"):
        simulate(Job(small.scenario, "nope", seed=0, draws=5))
