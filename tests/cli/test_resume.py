"""``simulate --resume``: a run killed with SIGKILL half-way resumes to the bytes of an
uninterrupted run; a resume with different inputs is refused, saying what differs."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app

from .resumable import detente_command, environment, signal_once_a_block_is_kept

OUTPUTS = ("draws.parquet", "inputs.parquet", "provenance.json")


def _cmd(korea_yaml: Path, out: Path, *extra: str) -> list[str]:
    # spatial: a block of 1024 draws takes a second or more, so a 4-block run can be killed
    # between its first block and its last
    args = detente_command("simulate", str(korea_yaml), "--model", "spatial")
    return [*args, "--draws", "4000", "--seed", "5", "--out", str(out), *extra]


@pytest.mark.slow
def test_killed_run_resumes_to_the_same_bytes(korea_yaml: Path, tmp_path: Path) -> None:
    ref, out = tmp_path / "ref", tmp_path / "out"
    env = environment()
    subprocess.run(_cmd(korea_yaml, ref), check=True, env=env, capture_output=True)

    code, _ = signal_once_a_block_is_kept(
        _cmd(korea_yaml, out), tmp_path / ".out.partial", timeout=300
    )
    assert code == -signal.SIGKILL
    blocks = tmp_path / ".out.partial" / "blocks"
    kept = sorted(p.name for p in blocks.glob("*.npz"))
    assert 1 <= len(kept) < 4, kept  # killed mid-way
    assert not out.exists()

    done = subprocess.run(
        _cmd(korea_yaml, out, "--resume"), env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert '"resumed_blocks"' in (out / "run.json").read_text()
    assert not (tmp_path / ".out.partial").exists()  # the finished run leaves no partial


def _partial(korea_yaml: Path, out: Path, seed: int, draws: int) -> None:
    """What a run killed before its first block leaves: the manifest of its inputs."""
    from detente.cli.simulate import _checkpoint
    from detente.scenario.load import load_scenario
    from detente.uncertainty.runner import Job

    loaded = load_scenario(korea_yaml)
    job = Job(scenario=loaded.scenario, model="compromise", seed=seed, draws=draws)
    _checkpoint(loaded, job, None, out, resume=False).close()


def test_resume_with_different_inputs_is_refused(korea_yaml: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _partial(korea_yaml, out, seed=1, draws=2000)
    base = ["simulate", str(korea_yaml), "--draws", "2000", "--out", str(out), "--resume"]
    res = CliRunner().invoke(app, [*base, "--seed", "2"])
    assert res.exit_code == 2
    assert "cannot resume" in res.output and "seed (partial run 1, this run 2)" in res.output
    assert "Traceback" not in res.output
    res = CliRunner().invoke(app, [*base, "--seed", "1", "--worldview", "skeptic"])
    assert res.exit_code == 2 and "worldview (partial run null, this run" in res.output
    res = CliRunner().invoke(app, [*base, "--seed", "1", "--model", "median"])
    assert res.exit_code == 2 and "model.name (partial run" in res.output
    assert not out.exists()
    # the same inputs resume (nothing kept: every block is run) and leave no partial
    res = CliRunner().invoke(app, [*base, "--seed", "1", "--format", "json"])
    assert res.exit_code == 0, res.output
    assert (out / "draws.parquet").is_file() and not (tmp_path / ".out.partial").exists()


def test_resume_needs_a_partial_run(korea_yaml: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["simulate", str(korea_yaml), "--resume"])
    assert res.exit_code == 2 and "--resume needs --out" in res.output
    res = CliRunner().invoke(
        app, ["simulate", str(korea_yaml), "--out", str(tmp_path / "x"), "--resume"]
    )
    assert res.exit_code == 2 and "nothing to resume" in res.output
