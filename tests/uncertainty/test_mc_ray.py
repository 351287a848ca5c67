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
