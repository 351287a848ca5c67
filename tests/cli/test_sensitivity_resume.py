"""``sensitivity --out DIR [--resume]``: a run stopped half-way (SIGKILL, SIGINT, an exception)
resumes to the bytes of an uninterrupted run, for forecast and game outputs; a resume with
different inputs is refused, naming what differs; ``--out`` changes nothing in the result."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from detente.cli import app

from .resumable import detente_command, environment, signal_once_a_block_is_kept, stop_after

FILES = ("result.json", "design.parquet", "provenance.json")
# a forecast output: 16 base rows x (48 parameters + 2) = 800 rows; with FORECAST_BLOCK_ROWS =
# 256 (patched) 4 blocks
FORECAST = ("--output", "forecast:declaration", "--n", "16", "--seed", "1")
# a game output: 2 base rows x (37 parameters + 2) = 78 rows; with 16 episodes a row and
# GAME_BLOCK_EPISODES = 512 (patched), 32 rows a block: 3 blocks
GAME = ("--output", "strategy:p_talks_12m", "--n", "2", "--episodes", "16", "--seed", "1")


def _invoke(korea_yaml: Path, args: tuple[str, ...], *extra: str) -> tuple[int, str]:
    res = CliRunner().invoke(app, ["sensitivity", str(korea_yaml), *args, *extra])
    return res.exit_code, res.output


@pytest.mark.parametrize(("kind", "stop"), [("forecast", 2), ("game", 1)])
def test_interrupted_run_resumes_to_the_same_bytes(
    kind: str, stop: int, korea_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from detente.analysis import sensitivity_run

    args = FORECAST if kind == "forecast" else GAME
    monkeypatch.setattr(sensitivity_run, "GAME_BLOCK_EPISODES", 512)
    monkeypatch.setattr(sensitivity_run, "FORECAST_BLOCK_ROWS", 256)
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, plain = _invoke(korea_yaml, args, "--format", "json")  # no --out: today's output
    assert code == 0, plain
    code, text = _invoke(korea_yaml, args, "--format", "json", "--out", str(ref))
    assert code == 0, text
    # --out changes nothing in the result: result.json is the --format json output
    assert (ref / "result.json").read_text() == plain
    assert text == f"wrote {ref}\n" + plain

    with monkeypatch.context() as m:
        stop_after(m, stop)
        code, text = _invoke(korea_yaml, args, "--format", "json", "--out", str(out))
    assert code == 130, text
    assert f"interrupted: no output written; {stop} finished block(s) kept" in text
    assert not out.exists()
    blocks = tmp_path / ".out.partial" / "blocks"
    assert sorted(p.name for p in blocks.glob("*.npz")) == [f"{b:06d}.npz" for b in range(stop)]

    # the resumed run evaluates only the blocks it does not have
    from detente.analysis.sensitivity import SensitivityPlan

    evaluated: list[int] = []
    original = sensitivity_run.evaluate_blocks

    def counting(plan: SensitivityPlan, *a: object, **k: object) -> sensitivity_run.Evaluation:
        inner = plan.evaluate

        def evaluate(values: np.ndarray) -> np.ndarray:
            evaluated.append(values.shape[0])
            return inner(values)

        object.__setattr__(plan, "evaluate", evaluate)
        return original(plan, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(sensitivity_run, "evaluate_blocks", counting)
    code, text = _invoke(korea_yaml, args, "--format", "json", "--out", str(out), "--resume")
    assert code == 0, text
    rows = json.loads(plain)["evaluations"]
    size = 256 if kind == "forecast" else 32
    assert sum(evaluated) == rows - stop * size
    assert text == f"wrote {out}\n" + plain
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == stop
    assert not (tmp_path / ".out.partial").exists()


def test_design_table_holds_every_row_and_its_output(korea_yaml: Path, tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    out = tmp_path / "out"
    code, text = _invoke(korea_yaml, FORECAST, "--format", "json", "--out", str(out))
    assert code == 0, text
    table = pq.read_table(out / "design.parquet").to_pandas()
    prov = json.loads((out / "provenance.json").read_text())
    paths = [p["path"] for p in prov["parameters"]]
    assert list(table.columns) == ["row", "output", *paths, *(f"unit:{p}" for p in paths)]
    assert len(table) == prov["design"]["rows"] == json.loads(text.split("\n", 1)[1])["evaluations"]
    assert len(table) == 800
    assert prov["design"]["block_rows"] == 1024 and prov["seed"] == 1 and prov["n"] == 16
    # the output column is the forecast of each row's values (evaluated independently here)
    from detente.analysis.sensitivity import forecast_evaluator, scenario_parameters
    from detente.models import get_model
    from detente.scenario.load import load_scenario

    sc = load_scenario(korea_yaml).scenario
    params = scenario_parameters(sc)
    assert [p.path for p in params] == paths
    evaluate = forecast_evaluator(sc, params, get_model("compromise"), "declaration")
    rows = table[paths].to_numpy()[[0, 345, 799]]
    assert np.array_equal(evaluate(rows), table["output"].to_numpy()[[0, 345, 799]])
    # each value is its unit point through the parameter's inverse CDF (no groups here)
    first = params[0]
    assert np.array_equal(
        first.quantity.ppf(table[f"unit:{first.path}"].to_numpy()), table[first.path].to_numpy()
    )
    # a second run replaces the folder; a folder holding other files is refused
    code, _ = _invoke(korea_yaml, FORECAST, "--out", str(out))
    assert code == 0
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")
    code, text = _invoke(korea_yaml, FORECAST, "--out", str(tmp_path / "other"))
    assert code == 2 and "not a detente run (notes.txt)" in text
    assert (tmp_path / "other" / "notes.txt").read_text() == "mine"


def _partial(korea_yaml: Path, out: Path, *args: str) -> None:
    """What a run killed before its first block leaves: the manifest of its inputs."""
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import plan_sensitivity
    from detente.analysis.sensitivity_run import open_run
    from detente.scenario.load import load_scenario

    opts = dict(zip(args[::2], args[1::2], strict=True))
    loaded = load_scenario(korea_yaml)
    spec = parse_output(opts["--output"], loaded.scenario)
    plan = plan_sensitivity(
        loaded.scenario, spec, None, "sobol", int(opts["--n"]), int(opts["--seed"]), episodes=16
    )
    atomic, checkpoint = open_run(loaded, plan, out, resume=False)
    atomic.discard()
    checkpoint.close()


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (("--seed", "2"), "seed (partial run 1, this run 2)"),
        (("--n", "32"), "n (partial run 16, this run 32)"),
        (("--method", "morris"), 'method (partial run "sobol", this run "morris")'),
        (("--output", "forecast:nuclear"), 'output.issue (partial run "declaration", this run'),
        (("--model", "median"), 'model.name (partial run "compromise", this run "median")'),
        (("--worldview", "skeptic"), 'worldview (partial run null, this run "skeptic")'),
    ],
)
def test_resume_with_different_inputs_is_refused(
    change: tuple[str, str], named: str, korea_yaml: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _partial(korea_yaml, out, *FORECAST)
    opts = dict(zip(FORECAST[::2], FORECAST[1::2], strict=True))
    opts.update([change])
    args = tuple(x for kv in opts.items() for x in kv)
    code, text = _invoke(korea_yaml, args, "--out", str(out), "--resume")
    assert code == 2, text
    assert "cannot resume" in text and named in text, text
    assert "Traceback" not in text and not out.exists()
    assert (tmp_path / ".out.partial" / "manifest.json").is_file()  # kept for the right resume


def test_resume_of_a_game_output_with_other_episodes_is_refused(
    korea_yaml: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _partial(korea_yaml, out, *GAME)
    args = tuple(a if a != "16" else "32" for a in GAME)
    code, text = _invoke(korea_yaml, args, "--out", str(out), "--resume")
    assert code == 2 and "episodes (partial run 16, this run 32)" in text, text


def test_resume_needs_out_and_a_partial_run(korea_yaml: Path, tmp_path: Path) -> None:
    code, text = _invoke(korea_yaml, FORECAST, "--resume")
    assert code == 2 and "--resume needs --out DIR" in text
    code, text = _invoke(korea_yaml, FORECAST, "--out", str(tmp_path / "x"), "--resume")
    assert code == 2 and "nothing to resume" in text
    assert not (tmp_path / "x").exists()


def test_a_stale_block_is_evaluated_again(korea_yaml: Path, tmp_path: Path) -> None:
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import plan_sensitivity
    from detente.analysis.sensitivity_run import block_rows, finished_blocks, open_run
    from detente.scenario.load import load_scenario

    loaded = load_scenario(korea_yaml)
    spec = parse_output("forecast:declaration", loaded.scenario)
    plan = plan_sensitivity(loaded.scenario, spec, None, "sobol", 64, 1)
    size = block_rows(plan)
    assert plan.design.n_evaluations > 3 * size
    atomic, checkpoint = open_run(loaded, plan, tmp_path / "out", resume=False)
    atomic.discard()
    good = plan.design.values[:size]
    checkpoint.save(0, {"values": good, "output": plan.evaluate(good)})
    stale = plan.design.values[size : 2 * size].copy()
    stale[3, 2] += 1e-12  # not this design's rows
    checkpoint.save(1, {"values": stale, "output": plan.evaluate(stale)})
    short = plan.design.values[2 * size : 3 * size]
    checkpoint.save(2, {"values": short, "output": plan.evaluate(short)[:-1]})  # damaged
    assert sorted(finished_blocks(plan, checkpoint)) == [0]
    checkpoint.close()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "stop"),
    [
        # spatial: a block of 1,024 rows takes a second or more
        (("--output", "forecast:declaration", "-m", "spatial", "--n", "64", "--seed", "3"), "KILL"),
        (("--output", "forecast:declaration", "-m", "spatial", "--n", "64", "--seed", "3"), "INT"),
        # the game's real block size: 256 episodes a row, 32 rows (8,192 episodes) a block
        (
            ("--output", "strategy:p_talks_12m", "--n", "2", "--episodes", "256", "--seed", "1"),
            "KILL",
        ),
    ],
    ids=["forecast-sigkill", "forecast-sigint", "game-sigkill"],
)
def test_killed_run_resumes_to_the_same_bytes(
    args: tuple[str, ...], stop: str, korea_yaml: Path, tmp_path: Path
) -> None:
    ref, out = tmp_path / "ref", tmp_path / "out"
    code, plain = _invoke(korea_yaml, args, "--format", "json", "--out", str(ref))
    assert code == 0, plain
    n_blocks = -(
        -json.loads((ref / "result.json").read_text())["evaluations"]
        // (json.loads((ref / "provenance.json").read_text())["design"]["block_rows"])
    )
    assert n_blocks >= 3

    cmd = detente_command("sensitivity", str(korea_yaml), *args)
    cmd += ["--format", "json", "--out", str(out)]
    sig = signal.SIGKILL if stop == "KILL" else signal.SIGINT
    code, stderr = signal_once_a_block_is_kept(cmd, tmp_path / ".out.partial", sig)
    blocks = tmp_path / ".out.partial" / "blocks"
    if stop == "INT":
        assert code == 130, stderr
        assert "finished block(s) kept: the same command with --resume continues" in stderr
    else:
        assert code == -signal.SIGKILL
    kept = sorted(p.name for p in blocks.glob("*.npz"))
    assert 1 <= len(kept) < n_blocks, kept  # stopped mid-way
    assert not out.exists()

    done = subprocess.run([*cmd, "--resume"], env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == (ref / "result.json").read_text()
    for name in FILES:
        assert (out / name).read_bytes() == (ref / name).read_bytes(), name
    assert json.loads((out / "run.json").read_text())["resumed_blocks"] == len(kept)
    assert not (tmp_path / ".out.partial").exists()


# ------------------------------------------------------------- workers and backends (issue 17.7)


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["forecast", "game"])
def test_workers_give_the_same_bytes(
    kind: str, korea_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The design's blocks on two spawned processes: the JSON, the printed table and the
    folder's files are those of one process (4 forecast blocks, 3 game blocks)."""
    from detente.analysis import sensitivity_run

    args = FORECAST if kind == "forecast" else GAME
    monkeypatch.setattr(sensitivity_run, "GAME_BLOCK_EPISODES", 512)
    monkeypatch.setattr(sensitivity_run, "FORECAST_BLOCK_ROWS", 256)
    code, one = _invoke(korea_yaml, args, "--format", "json", "--out", str(tmp_path / "one"))
    assert code == 0, one
    code, two = _invoke(
        korea_yaml, args, "--format", "json", "--out", str(tmp_path / "two"), "--workers", "2"
    )
    assert code == 0, two
    assert two.split("\n", 1)[1] == one.split("\n", 1)[1]  # after "wrote DIR"
    for name in FILES:
        assert (tmp_path / "two" / name).read_bytes() == (tmp_path / "one" / name).read_bytes()
    assert json.loads((tmp_path / "two" / "run.json").read_text())["workers"] == 2
    if kind == "forecast":  # without --out too, and the table
        code, plain = _invoke(korea_yaml, args, "--format", "json", "--workers", "2")
        assert code == 0 and plain == (tmp_path / "one" / "result.json").read_text()
        code, table1 = _invoke(korea_yaml, args)
        code2, table2 = _invoke(korea_yaml, args, "-j", "2")
        assert code == code2 == 0 and table1 == table2 and "S1" in table1


@pytest.mark.ray
@pytest.mark.slow
def test_ray_backend_gives_the_same_bytes(
    korea_yaml: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
    from detente.analysis import sensitivity_run

    monkeypatch.setattr(sensitivity_run, "FORECAST_BLOCK_ROWS", 256)
    code, one = _invoke(korea_yaml, FORECAST, "--format", "json")
    assert code == 0, one
    out = tmp_path / "ray"
    code, text = _invoke(
        korea_yaml, FORECAST, "--format", "json", "--backend", "ray", "-j", "2", "--out", str(out)
    )
    assert code == 0, text
    assert text.endswith(one) and (out / "result.json").read_text() == one
    assert json.loads((out / "run.json").read_text())["backend"] == "ray"


def test_ray_backend_without_ray_exits_2(korea_yaml: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    code, text = _invoke(korea_yaml, FORECAST, "--backend", "ray")
    assert code == 2
    assert "detente sensitivity --backend ray needs ray: pip install 'detente[ray]'" in text
