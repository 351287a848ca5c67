"""``cruxes --method prim|evppi --out DIR [--resume]`` (issues 17.7 and 20.4): the Monte Carlo
design of the crux methods in blocks kept as they finish. ``--out`` changes nothing in the
result; two spawned processes and Ray give the bytes of one; a run stopped half-way (Ctrl-C, or
SIGKILL in a subprocess) resumes to the bytes of an uninterrupted run; a resume with different
inputs is refused naming what differs; the other methods refuse ``--out``."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app

from .resumable import detente_command, environment, signal_once_a_block_is_kept, stop_after

FILES = ("result.json", "provenance.json")
# PRIM on the forecast of both worldviews: 64 rows each; with FORECAST_BLOCK_ROWS = 16
# (patched) 4 blocks a worldview, 8 in all
PRIM = (
    "--worldviews", "engagement,skeptic", "--output", "forecast:declaration", "--method",
    "prim", "--threshold", "60", "--design", "64", "--seed", "1",
)  # fmt: skip


def _invoke(korea_yaml: Path, args: tuple[str, ...], *extra: str) -> tuple[int, str, str]:
    res = CliRunner().invoke(app, ["cruxes", str(korea_yaml), *args, *extra])
    return res.exit_code, res.stdout, res.stderr


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ema_workbench", reason="PRIM needs the discovery extra")
    from detente.analysis import crux_runs

    monkeypatch.setattr(crux_runs, "FORECAST_BLOCK_ROWS", 16)


@pytest.mark.usefixtures("small_blocks")
def test_out_and_an_interrupted_run_give_the_same_bytes(
    korea_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, plain, err = _invoke(korea_yaml, PRIM, "--format", "json")  # no --out: as before
    assert code == 0, err
    ref = tmp_path / "ref"
    code, text, err = _invoke(korea_yaml, PRIM, "--format", "json", "--out", str(ref))
    assert code == 0, err
    assert text == plain and (ref / "result.json").read_text() == plain
    assert err.strip() == f"wrote {ref}"
    assert sorted(p.name for p in ref.iterdir()) == ["provenance.json", "result.json", "run.json"]
    prov = json.loads((ref / "provenance.json").read_text())
    assert prov["design"]["blocks"] == 8 and prov["design"]["block_rows"] == 16
    assert prov["method"] == "prim" and prov["worldviews"] == ["engagement", "skeptic"]

    out = tmp_path / "out"
    with monkeypatch.context() as m:
        stop_after(m, 3)
        code, text, err = _invoke(korea_yaml, PRIM, "--format", "json", "--out", str(out))
    assert code == 130, err
    assert "interrupted: no output written; 3 finished block(s) kept" in err
    assert not out.exists() and text == ""
    blocks = tmp_path / ".out.partial" / "blocks"
    assert sorted(p.name for p in blocks.glob("*.npz")) == [f"{b:06d}.npz" for b in range(3)]

    from detente.analysis.crux_runs import CruxRun

    evaluated: list[int] = []
    call = CruxRun.__call__

    def counting(self: CruxRun, b: int) -> dict[str, np.ndarray]:
        evaluated.append(b)
        return call(self, b)

    monkeypatch.setattr(CruxRun, "__call__", counting)
    code, text, err = _invoke(korea_yaml, PRIM, "--format", "json", "--out", str(out), "--resume")
    assert code == 0, err
    assert evaluated == [3, 4, 5, 6, 7]  # only the blocks it did not have
    assert text == plain
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == 3
    assert not (tmp_path / ".out.partial").exists()


@pytest.mark.slow
@pytest.mark.usefixtures("small_blocks")
def test_workers_give_the_same_bytes(korea_yaml: Path, tmp_path: Path) -> None:
    """The 8 blocks on two spawned processes: the JSON, the table and the files of one."""
    code, plain, err = _invoke(korea_yaml, PRIM, "--format", "json", "--out", str(tmp_path / "a"))
    assert code == 0, err
    two = tmp_path / "two"
    code, text, err = _invoke(korea_yaml, PRIM, "-f", "json", "--out", str(two), "--workers", "2")
    assert code == 0, err
    assert text == plain
    for name in FILES:
        assert (two / name).read_bytes() == (tmp_path / "a" / name).read_bytes(), name
    assert json.loads((two / "run.json").read_text())["workers"] == 2
    code, table1, _ = _invoke(korea_yaml, PRIM)
    code2, table2, _ = _invoke(korea_yaml, PRIM, "--out", str(tmp_path / "t"), "-j", "2")
    assert code == code2 == 0 and table1 == table2 and "box 1" in table1


def _partial(korea_yaml: Path, out: Path) -> None:
    """A run stopped after its first block: the manifest of its inputs and one block."""
    from detente.analysis import crux_runs as cr
    from detente.analysis.outputs import parse_output
    from detente.scenario.load import load_scenario

    loaded = load_scenario(korea_yaml)
    spec = parse_output("forecast:declaration", loaded.scenario)
    run = cr.crux_run(
        loaded, ["engagement", "skeptic"], spec, "prim", rows=64, seed=1, episodes=200,
        threshold=60.0, model=None,
    )  # fmt: skip
    atomic, checkpoint = cr.open_run(loaded, run, out, resume=False)
    atomic.discard()
    checkpoint.save(0, run(0))
    checkpoint.close()


@pytest.mark.usefixtures("small_blocks")
@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("--seed", "2"), "seed (partial run 1, this run 2)"),
        (("--design", "32"), "design.rows (partial run 64, this run 32)"),
        (("--method", "evppi"), None),  # refused before: evppi needs a strategy decision
        (("--threshold", "70"), "threshold (partial run 60.0, this run 70.0)"),
        (("--worldviews", "engagement"), 'worldviews (partial run ["engagement", "skeptic"]'),
        (("--output", "forecast:nuclear"), 'output.issue (partial run "declaration", this run'),
        (("--model", "median"), 'model.name (partial run "compromise", this run "median")'),
    ],
)
def test_resume_with_different_inputs_is_refused(
    change: tuple[str, str], named: str | None, korea_yaml: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _partial(korea_yaml, out)
    opts = dict(zip(PRIM[::2], PRIM[1::2], strict=True))
    opts.update([change])
    args = tuple(x for kv in opts.items() for x in kv)
    code, _, err = _invoke(korea_yaml, args, "--out", str(out), "--resume")
    assert code == 2, err
    assert "Traceback" not in err and not out.exists()
    if named is not None:
        assert "cannot resume" in err and named in err, err
    assert (tmp_path / ".out.partial" / "blocks" / "000000.npz").is_file()  # kept
    # the same inputs resume it
    code, _, err = _invoke(korea_yaml, PRIM, "--format", "json", "--out", str(out), "--resume")
    assert code == 0, err
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == 1


def test_game_design_with_other_episodes_or_method_is_refused(
    korea_yaml: Path, tmp_path: Path
) -> None:
    from detente.analysis import crux_runs as cr
    from detente.analysis.outputs import parse_output
    from detente.scenario.load import load_scenario

    output = "strategy:p_talks_12m:peace_first-peace_first_no_declaration"
    loaded = load_scenario(korea_yaml)
    spec = parse_output(output, loaded.scenario)
    run = cr.crux_run(
        loaded, ["engagement"], spec, "evppi", rows=8, seed=0, episodes=4, threshold=None,
        model=None,
    )  # fmt: skip
    out = tmp_path / "out"
    atomic, checkpoint = cr.open_run(loaded, run, out, resume=False)
    atomic.discard()
    checkpoint.close()
    base = ("--worldviews", "engagement", "--output", output, "--design", "8", "--out", str(out))
    code, _, err = _invoke(korea_yaml, base, "--method", "evppi", "--episodes", "6", "--resume")
    assert code == 2 and "episodes (partial run 4, this run 6)" in err, err
    pytest.importorskip("ema_workbench", reason="PRIM needs the discovery extra")
    code, _, err = _invoke(korea_yaml, base, "--method", "prim", "--episodes", "4", "--resume")
    assert code == 2 and 'method (partial run "evppi", this run "prim")' in err, err


def test_out_is_for_the_design_methods(korea_yaml: Path, tmp_path: Path) -> None:
    fast = ("--worldviews", "engagement,skeptic", "--output", "forecast:declaration")
    for method in ("swap", "shapley", "switch"):
        code, _, err = _invoke(korea_yaml, fast, "--method", method, "--out", str(tmp_path / "x"))
        assert code == 2 and "--out is for the design methods" in err, err
    code, _, err = _invoke(korea_yaml, PRIM, "--resume")
    assert code == 2 and "--resume needs --out DIR" in err
    code, _, err = _invoke(korea_yaml, PRIM, "--out", str(tmp_path / "y"), "--resume")
    assert code == 2 and "nothing to resume" in err and not (tmp_path / "y").exists()


def test_a_stale_block_is_evaluated_again(korea_yaml: Path, tmp_path: Path) -> None:
    from detente.analysis import crux_runs as cr
    from detente.analysis.outputs import parse_output
    from detente.scenario.load import load_scenario

    loaded = load_scenario(korea_yaml)
    spec = parse_output("forecast:declaration", loaded.scenario)
    run = cr.crux_run(
        loaded, ["engagement"], spec, "prim", rows=24, seed=1, episodes=200, threshold=60.0,
        model=None,
    )  # fmt: skip
    object.__setattr__(run, "blocks", ((0, 0, 8), (0, 8, 16), (0, 16, 24)))
    atomic, checkpoint = cr.open_run(loaded, run, tmp_path / "out", resume=False)
    atomic.discard()
    checkpoint.save(0, run(0))
    stale = run(1)
    stale["values"] = stale["values"].copy()
    stale["values"][2, 1] += 1e-12  # not this design's rows
    checkpoint.save(1, stale)
    short = run(2)
    checkpoint.save(2, {"values": short["values"], "table": short["table"][:-1]})  # damaged
    assert sorted(checkpoint.load(3, run.check)) == [0]
    checkpoint.close()


@pytest.mark.ray
@pytest.mark.slow
@pytest.mark.usefixtures("small_blocks")
def test_ray_backend_gives_the_same_bytes(korea_yaml: Path, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
    code, plain, err = _invoke(korea_yaml, PRIM, "--format", "json")
    assert code == 0, err
    out = tmp_path / "ray"
    code, text, err = _invoke(
        korea_yaml, PRIM, "--format", "json", "--backend", "ray", "-j", "2", "--out", str(out)
    )
    assert code == 0, err
    assert text == plain and (out / "result.json").read_text() == plain
    assert json.loads((out / "run.json").read_text())["backend"] == "ray"


@pytest.mark.slow
def test_killed_game_design_resumes_to_the_same_bytes(korea_yaml: Path, tmp_path: Path) -> None:
    """EVPPI on a game output at the real block size: 256 episodes a row, 32 rows (8,192
    episodes) a block, 96 rows: 3 blocks; SIGKILL once the first block is kept."""
    args = (
        "--worldviews", "engagement", "--output",
        "strategy:p_talks_12m:peace_first-peace_first_no_declaration", "--method", "evppi",
        "--design", "96", "--episodes", "256", "--seed", "2", "--format", "json",
    )  # fmt: skip
    ref, out = tmp_path / "ref", tmp_path / "out"
    env = environment()
    cmd = detente_command("cruxes", str(korea_yaml), *args)
    done = subprocess.run([*cmd, "--out", str(ref)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads((ref / "provenance.json").read_text())["design"]["blocks"] == 3

    code, _ = signal_once_a_block_is_kept([*cmd, "--out", str(out)], tmp_path / ".out.partial")
    assert code == -signal.SIGKILL
    blocks = tmp_path / ".out.partial" / "blocks"
    kept = sorted(p.name for p in blocks.glob("*.npz"))
    assert 1 <= len(kept) < 3, kept  # stopped mid-way
    assert not out.exists()

    done = subprocess.run(
        [*cmd, "--out", str(out), "--resume"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ref / "result.json").read_text()
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == len(kept)
    assert not (tmp_path / ".out.partial").exists()
