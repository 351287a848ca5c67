"""``detente hindcast --workers N --backend local|ray --out DIR [--resume]`` (docs/hindcast.md):
the same bytes for any workers and backend; a folder written whole; a run stopped half-way
(SIGKILL, Ctrl-C) resumes to the bytes of an uninterrupted run; a resume with different
inputs is refused, naming what differs."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app

from .resumable import detente_command, environment, signal_once_a_block_is_kept, stop_after

# three views (the skeptic is dated: the common months are scored too), 24 episodes each
ARGS = ("-w", "base", "-w", "engagement", "-w", "skeptic", "--episodes", "24", "--seed", "1")
FILES = ("result.json", "provenance.json")


def _invoke(korea_yaml: Path, *args: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["hindcast", str(korea_yaml), *args])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of 10 episodes: 3 blocks a view, 9 in all."""
    from detente.analysis import hindcast_run

    monkeypatch.setattr(hindcast_run, "BLOCK_EPISODES", 10)
    return 9


@pytest.mark.parametrize("fmt", ["json", pytest.param("table", marks=pytest.mark.slow)])
def test_workers_give_the_same_bytes(korea_yaml: Path, small_blocks: int, fmt: str) -> None:
    code, one, err = _invoke(korea_yaml, *ARGS, "-f", fmt)
    assert code == 0, err
    code, two, err = _invoke(korea_yaml, *ARGS, "-f", fmt, "--workers", "2")
    assert code == 0, err
    assert two == one
    if fmt == "json":
        data = json.loads(one)
        assert data["posterior_window"] == ["2023-03", "2024-12"]
        assert [w["worldview"] for w in data["worldviews"]] == ["base", "engagement", "skeptic"]


@pytest.mark.ray
@pytest.mark.slow  # a Ray start-up: ~10 s on a loaded machine
def test_ray_gives_the_same_bytes(korea_yaml: Path, small_blocks: int) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
    code, one, err = _invoke(korea_yaml, *ARGS, "-f", "json")
    assert code == 0, err
    code, remote, err = _invoke(korea_yaml, *ARGS, "-f", "json", "--backend", "ray", "-j", "2")
    assert code == 0, err
    assert remote == one


def test_out_writes_the_json_and_an_interrupted_run_resumes_to_it(
    korea_yaml: Path, tmp_path: Path, small_blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, plain, err = _invoke(korea_yaml, *ARGS, "-f", "json")
    assert code == 0, err
    code, text, err = _invoke(korea_yaml, *ARGS, "-f", "json", "--out", str(ref))
    assert code == 0, err
    assert text == plain and (ref / "result.json").read_text() == plain
    assert err.strip().endswith(f"wrote {ref}")
    prov = json.loads((ref / "provenance.json").read_text())
    assert prov["seed"] == 1 and prov["episodes"] == 24
    assert prov["worldviews"] == ["base", "engagement", "skeptic"]
    assert prov["blocks"] == {"episodes": 10, "count": small_blocks}
    assert prov["record"]["moves"]["2021-10"] == "hold / test"
    assert sorted(p.name for p in ref.iterdir()) == ["provenance.json", "result.json", "run.json"]
    assert not (tmp_path / ".ref.partial").exists()

    with monkeypatch.context() as m:
        stop_after(m, 4)
        code, _, err = _invoke(korea_yaml, *ARGS, "-f", "json", "--out", str(out))
    assert code == 130, err
    assert "interrupted: no output written; 4 finished block(s) kept" in err
    assert not out.exists()
    blocks = tmp_path / ".out.partial" / "blocks"
    assert sorted(p.name for p in blocks.glob("*.npz")) == [f"{b:06d}.npz" for b in range(4)]

    from detente.analysis import hindcast_run

    played: list[int] = []
    original = hindcast_run._Play.__call__

    def counting(self: hindcast_run._Play, block: hindcast_run.Block) -> dict[str, np.ndarray]:
        played.append(block.stop - block.start)
        return original(self, block)

    monkeypatch.setattr(hindcast_run._Play, "__call__", counting)
    code, text, err = _invoke(korea_yaml, *ARGS, "-f", "json", "--out", str(out), "--resume")
    assert code == 0, err
    assert sum(played) == 3 * 24 - (10 + 10 + 4 + 10)  # only the blocks not kept
    assert text == plain
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == 4
    assert not (tmp_path / ".out.partial").exists()


def _partial(korea_yaml: Path, out: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A run stopped after its first block."""
    with monkeypatch.context() as m:
        stop_after(m, 1)
        code, _, err = _invoke(korea_yaml, *ARGS, "--out", str(out))
    assert code == 130, err


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("--seed", "2"), "seed (partial run 1, this run 2)"),
        (("--episodes", "30"), "episodes (partial run 24, this run 30)"),
        (
            ("-w", "data"),
            'worldviews (partial run ["base", "engagement", "skeptic"], '
            'this run ["base", "engagement", "skeptic", "data"])',
        ),
    ],
)
def test_resume_with_different_inputs_is_refused(
    korea_yaml: Path,
    tmp_path: Path,
    small_blocks: int,
    monkeypatch: pytest.MonkeyPatch,
    change: tuple[str, str],
    named: str,
) -> None:
    out = tmp_path / "out"
    _partial(korea_yaml, out, monkeypatch)
    opts = list(ARGS)
    if change[0] == "-w":
        opts[6:6] = list(change)
    else:
        opts[opts.index(change[0]) + 1] = change[1]
    code, text, err = _invoke(korea_yaml, *opts, "--out", str(out), "--resume")
    assert code == 2, err
    assert err.startswith(f"error: {out}: cannot resume: this hindcast's inputs differ")
    assert named in err and "Traceback" not in err and text == ""
    assert not out.exists()
    assert (tmp_path / ".out.partial" / "manifest.json").is_file()  # kept for the right resume


def test_resume_with_another_record_is_refused(
    korea_yaml: Path, tmp_path: Path, small_blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is a file of its own: its bytes and the moves it maps to are inputs."""
    scenario = tmp_path / "korea.yaml"
    shutil.copy(korea_yaml, scenario)
    shutil.copytree(korea_yaml.parent / "data", tmp_path / "data")
    out = tmp_path / "out"
    _partial(scenario, out, monkeypatch)
    csv = tmp_path / "data" / "korea-record.csv"
    csv.write_text(csv.read_text() + "\n")
    code, _, err = _invoke(scenario, *ARGS, "--out", str(out), "--resume")
    assert code == 2, err
    assert "cannot resume" in err and "record.sha256 (partial run" in err


def test_usage_errors(korea_yaml: Path, tmp_path: Path) -> None:
    code, _, err = _invoke(korea_yaml, *ARGS, "--resume")
    assert code == 2 and "--resume needs --out DIR" in err
    code, _, err = _invoke(korea_yaml, *ARGS, "--out", str(tmp_path / "x"), "--resume")
    assert code == 2 and "nothing to resume" in err
    assert not (tmp_path / "x").exists()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("mine")
    code, _, err = _invoke(korea_yaml, *ARGS, "--out", str(tmp_path / "mine"))
    assert code == 2 and "not a detente run (notes.txt)" in err
    assert (tmp_path / "mine" / "notes.txt").read_text() == "mine"
    code, _, err = _invoke(korea_yaml, *ARGS, "--backend", "dask")
    assert code == 2 and "dask" in err


def test_killed_run_resumes_to_the_same_bytes(korea_yaml: Path, tmp_path: Path) -> None:
    """SIGKILL once the first block is kept (the real block size: two views of 150 episodes,
    a block each), then --resume: the uninterrupted run's bytes."""
    args = ["-w", "base", "-w", "skeptic", "--episodes", "150", "--seed", "3", "--format", "json"]
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, plain, err = _invoke(korea_yaml, *args, "--out", str(ref))
    assert code == 0, err
    assert json.loads((ref / "provenance.json").read_text())["blocks"]["count"] == 2

    cmd = detente_command("hindcast", str(korea_yaml), *args, "--out", str(out))
    code, _ = signal_once_a_block_is_kept(cmd, tmp_path / ".out.partial", timeout=300)
    assert code == -signal.SIGKILL
    blocks = tmp_path / ".out.partial" / "blocks"
    kept = sorted(p.name for p in blocks.glob("*.npz"))
    assert len(kept) == 1, kept  # stopped mid-way
    assert not out.exists()

    done = subprocess.run([*cmd, "--resume"], env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == plain == (ref / "result.json").read_text()
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == len(kept)
    assert not (tmp_path / ".out.partial").exists()
