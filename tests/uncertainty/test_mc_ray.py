"""The Ray backend gives the local backend's results bit for bit (one local Ray, two CPUs,
shared by the module: starting Ray takes several seconds)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.scenario.load import LoadedScenario, with_worldview
from detente.uncertainty.runner import Job, simulate
from detente.uncertainty.sampling import BLOCK_SIZE

ray = pytest.importorskip("ray", reason="Ray not installed (pip install 'detente[ray]')")

pytestmark = pytest.mark.ray

DRAWS = 2 * BLOCK_SIZE + 300


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[Any]:
    if ray.is_initialized():  # pragma: no cover - another module's cluster
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


@pytest.mark.parametrize("model", ["compromise", "expected-utility"])
def test_ray_equals_local(ray_cluster: Any, korea: LoadedScenario, model: str) -> None:
    job = Job(with_worldview(korea, "engagement"), model, seed=17, draws=DRAWS)
    local = simulate(job)
    done: list[int] = []
    remote = simulate(job, backend="ray", workers=2, progress=done.append)
    assert local.outcome.tobytes() == remote.outcome.tobytes()
    assert local.inputs.tobytes() == remote.inputs.tobytes()
    assert sum(done) == DRAWS
    np.testing.assert_array_equal(local.outcome, remote.outcome)
    assert ray_cluster.is_initialized()  # a cluster it did not start is left running


def test_cli_ray_outputs_byte_identical(ray_cluster: Any, small_yaml: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["simulate", str(small_yaml), "--draws", str(DRAWS), "--seed", "4", "-m", "median"]
    for backend in ("local", "ray"):
        res = runner.invoke(
            app, [*base, "--backend", backend, "--workers", "2", "--out", str(tmp_path / backend)]
        )
        assert res.exit_code == 0, res.stderr
    for name in ("draws.parquet", "inputs.parquet", "provenance.json"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()
    assert '"backend": "ray"' in (tmp_path / "ray" / "run.json").read_text()


A080_DRAWS = 4  # one block: the spatial model's draws are cut into slices, one task each


@pytest.fixture(scope="module")
def a080(shared_dir: Path) -> Path:
    path = shared_dir / "reference" / "ktab" / "dummyData-a080.csv"
    if not path.exists():
        pytest.skip(f"KTAB case absent: {path}")
    return path


def test_spatial_80_actors_on_ray_equals_one_process(ray_cluster: Any, a080: Path) -> None:
    """A few draws of KTAB's 80-actor case, cut into one task per draw on a two-CPU Ray, give
    one process's bytes; the settings that are not output parameters reach the workers."""
    from detente.scenario.load import load_scenario
    from detente.uncertainty.runner import split_blocks

    sc = load_scenario(a080).scenario
    job = Job(sc, "spatial", seed=5, draws=A080_DRAWS, model_params={"max_actors": 80})
    assert len(split_blocks(job, [0], 4)) == A080_DRAWS  # what the ray backend runs
    local = simulate(job)
    remote = simulate(job, backend="ray", workers=2)
    assert local.outcome.tobytes() == remote.outcome.tobytes()
    assert local.inputs.tobytes() == remote.inputs.tobytes()
    assert remote.model_parameters == local.model_parameters  # max_actors is not among them
    # max_actors is passed to the workers: below 80 actors every task refuses the case
    tight = Job(sc, "spatial", seed=5, draws=A080_DRAWS, model_params={"max_actors": 79})
    with pytest.raises(Exception, match="max_actors is 79"):
        simulate(tight, backend="ray", workers=2)


def test_spatial_slices_are_the_block(small_yaml: Path) -> None:
    """The slices of a block, forecast one by one, are the block forecast whole (the spatial
    model's ``separable_draws``), on draws that differ."""
    from detente.scenario.load import load_scenario
    from detente.uncertainty.runner import BlockResult, run_block, run_slice, split_blocks

    job = Job(load_scenario(small_yaml).scenario, "spatial", seed=11, draws=7)
    whole: BlockResult = run_block(job, 0)
    parts = [run_slice(job, s) for s in split_blocks(job, [0], 3)]
    assert [p[0] for p in parts] == [(0, 0, 2), (0, 2, 4), (0, 4, 7)]
    assert np.concatenate([p[2] for p in parts]).tobytes() == whole.outcome.tobytes()
    assert np.concatenate([p[1] for p in parts]).tobytes() == whole.inputs.tobytes()
    assert np.unique(whole.outcome).size > 1  # the draws differ


def test_cli_spatial_ray_on_ktab_csv(ray_cluster: Any, a080: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = ["simulate", str(a080), "-m", "spatial", "-n", "2", "--max-actors", "100"]
    for backend in ("local", "ray"):
        res = runner.invoke(
            app, [*base, "--backend", backend, "--workers", "2", "--out", str(tmp_path / backend)]
        )
        assert res.exit_code == 0, res.stderr
    for name in ("draws.parquet", "inputs.parquet", "provenance.json"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "ray" / name).read_bytes()
