"""Clean exits (issue 21, item 4): Ctrl-C at any moment and outputs that cannot be written.

Ctrl-C: a real ``detente`` process gets SIGINT after a random delay from its start (no readiness
signal: the point is to land anywhere, in the imports of the command line, of numpy and pandas,
in loading, in computing). It must exit 130 with the one line ``interrupted`` (or finish
normally if it was quicker, or die of the signal having printed nothing, if the signal came
while the interpreter had no handler installed), never a traceback, never "Exception ignored".
The child's SIGINT disposition is set to the default explicitly: a suite run as a background job
starts with SIGINT ignored, and a child inheriting that would ignore the signal (issue 21,
item 6). The window before any detente code
runs (the interpreter's own start-up, tens of milliseconds) is Python's: the delays start after
a bare interpreter's start-up time, measured here.

Outputs: ``/dev/full`` and a closed pipe as standard output (real processes), a full disk under
``report -o`` and ``simulate --out`` (``OSError(ENOSPC)`` raised in-process while the file is
half written): one line naming the output and the error, exit 2, no partial file, an earlier
output intact.
"""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from detente.cli import app
from detente.cli.exits import write_atomically

ROOT = Path(__file__).resolve().parents[2]
ENTRY = [sys.executable, "-c", "from detente.cli import main; main()"]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), "COLUMNS": "100"}


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _startup_seconds() -> float:
    """A bare interpreter's start-up here (site included), the slowest of three."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=_env())
        times.append(time.perf_counter() - started)
    return max(times)


def _interrupt_at(args: list[str], delay: float, cwd: Path) -> tuple[int, str]:
    """Run ``detente ARGS``, send SIGINT after ``delay`` s; its exit status and stderr."""
    proc = subprocess.Popen(
        [*ENTRY, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        cwd=cwd,
        preexec_fn=_default_sigint,
    )
    try:
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        return proc.returncode, stderr
    finally:
        if proc.poll() is None:  # whatever happened, nothing is left running
            proc.kill()
            proc.wait()


def _assert_clean(code: int, stderr: str, when: str) -> None:
    assert "Traceback" not in stderr, f"{when}:\n{stderr}"
    assert "Exception ignored" not in stderr, f"{when}:\n{stderr}"
    if code == -signal.SIGINT:
        # killed by the signal itself: it came while the interpreter had no handler yet (its
        # start-up on a busy machine) or no longer (its finalisation): nothing printed
        assert stderr == "", f"{when}: killed, yet printed:\n{stderr}"
        return
    assert code in (0, 130), f"{when}: exit {code}\n{stderr}"
    if code == 130:
        lines = stderr.strip().splitlines()
        assert lines, f"{when}: exit 130 without a message"
        assert lines[-1].startswith("interrupted"), f"{when}:\n{stderr}"
        assert sum(ln.startswith("interrupted") for ln in lines) == 1, f"{when}:\n{stderr}"


def _trials(
    commands: list[list[str]], n: int, seed: int, tmp_path: Path
) -> list[tuple[float, int]]:
    rng = random.Random(seed)
    low = max(0.05, _startup_seconds())
    seen = []
    for k in range(n):
        args = commands[k % len(commands)]
        delay = rng.uniform(low, 1.5)
        code, stderr = _interrupt_at(args, delay, tmp_path)
        _assert_clean(code, stderr, f"{' '.join(args[:2])} after {delay:.3f} s")
        seen.append((delay, code))
    return seen


def test_ctrl_c_early_is_one_line(tmp_path: Path) -> None:
    """Fast variant: three Ctrl-Cs at random moments of a forecast (imports, load, model)."""
    korea = str(ROOT / "scenarios" / "korea-peace-declaration.yaml")
    seen = _trials([["forecast", korea]], 3, seed=21, tmp_path=tmp_path)
    assert any(code == 130 for _, code in seen), seen


@pytest.mark.slow
def test_ctrl_c_at_random_moments(tmp_path: Path) -> None:
    """24 Ctrl-Cs over validate, forecast and simulate --out; simulate leaves no partial output."""
    korea = str(ROOT / "scenarios" / "korea-peace-declaration.yaml")
    emission = str(ROOT / "scenarios" / "ec-emission-standards-1994.yaml")
    out = tmp_path / "run"
    commands = [
        ["validate", korea],
        ["forecast", korea, "--format", "json"],
        ["simulate", emission, "--draws", "20000", "--out", str(out)],
        ["forecast", emission, "--model", "exchange"],
    ]
    seen = _trials(commands, 24, seed=4, tmp_path=tmp_path)
    assert sum(code == 130 for _, code in seen) >= 12, seen
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert leftovers == [], leftovers


def test_an_ignored_sigint_stays_ignored(tmp_path: Path) -> None:
    """detente does not override a SIGINT its parent chose to ignore (a background job)."""
    emission = str(ROOT / "scenarios" / "ec-emission-standards-1994.yaml")
    proc = subprocess.Popen(
        [*ENTRY, "validate", emission],
        stderr=subprocess.PIPE,
        text=True,
        env=_env(),
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        time.sleep(0.3)
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert "valid (10 actors" in stderr


# -- outputs that cannot be written ------------------------------------------------------------


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full on this system")
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_stdout_on_a_full_device(fmt: str) -> None:
    emission = str(ROOT / "scenarios" / "ec-emission-standards-1994.yaml")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*ENTRY, "forecast", emission, "--format", fmt],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            env=_env(),
            timeout=60,
            check=False,
        )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr == "error: <stdout>: cannot write: No space left on device (ENOSPC)\n"


def test_stdout_closed_by_the_reader() -> None:
    """``detente schema | head -0``: the pipe is closed before detente writes (EPIPE)."""
    proc = subprocess.Popen(
        [*ENTRY, "schema"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 2, stderr
    assert stderr == "error: <stdout>: cannot write: Broken pipe (EPIPE)\n"


def _full_disk(fd: int) -> None:
    """``os.fsync`` on a full disk: the data written so far cannot be stored."""
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_write_atomically_leaves_the_earlier_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.html"
    target.write_text("earlier report", encoding="utf-8")
    monkeypatch.setattr("detente.cli.exits.os.fsync", _full_disk)
    with pytest.raises(OSError, match="No space left"):
        write_atomically(target, "new report " * 1000)
    assert target.read_text(encoding="utf-8") == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


@pytest.mark.parametrize("earlier", [False, True])
def test_report_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, emission_yaml: Path, earlier: bool
) -> None:
    pytest.importorskip("plotly")
    pytest.importorskip("jinja2")
    out = tmp_path / "r.html"
    if earlier:
        out.write_text("earlier report", encoding="utf-8")
    monkeypatch.setattr("detente.cli.exits.os.fsync", _full_disk)
    args = ["report", str(emission_yaml), "--models", "compromise", "--draws", "20"]
    res = CliRunner().invoke(
        app, [*args, "--sensitivity-n", "8", "--game-sensitivity-n", "0", "-o", str(out)]
    )
    assert res.exit_code == 2, res.output
    assert res.stderr == f"error: {out}: cannot write: No space left on device (ENOSPC)\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == (["r.html"] if earlier else [])
    if earlier:
        assert out.read_text(encoding="utf-8") == "earlier report"


def test_report_into_a_missing_folder_is_refused_first(tmp_path: Path, emission_yaml: Path) -> None:
    out = tmp_path / "no" / "r.html"
    res = CliRunner().invoke(app, ["report", str(emission_yaml), "-o", str(out)])
    assert res.exit_code == 2
    assert f"{out}: parent directory {out.parent} does not exist" in res.stderr


@pytest.mark.parametrize("earlier", [False, True])
def test_simulate_out_on_a_full_disk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, small_yaml: Path, earlier: bool
) -> None:
    import detente.uncertainty.output as output

    out = tmp_path / "run"
    base = ["simulate", str(small_yaml), "--draws", "50", "--out", str(out)]
    if earlier:
        assert CliRunner().invoke(app, base).exit_code == 0
        before = {p.name: p.read_bytes() for p in out.iterdir()}
    real = output.write_parquet

    def half_then_full(table: object, path: Path) -> None:
        real(table, path)  # type: ignore[arg-type]
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])  # the disk filled up half way through
        raise OSError(errno.ENOSPC, "Error writing bytes to file. Detail: [errno 28] No space")

    monkeypatch.setattr(output, "write_parquet", half_then_full)
    res = CliRunner().invoke(app, [*base, "--seed", "3"])
    assert res.exit_code == 2, res.output
    assert res.stderr.splitlines()[-1].startswith(f"error: {out}: cannot write: Error writing")
    assert "(ENOSPC)" in res.stderr and "Traceback" not in res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == (["run"] if earlier else [])
    if earlier:
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_ctrl_c_inside_a_finaliser_is_not_lost() -> None:
    """A KeyboardInterrupt raised in ``__del__`` (or an import's weakref callback) is printed by
    Python as "Exception ignored" and dropped; the hook sends it again, and it stops the program
    where it can be handled."""
    code = (
        "import time\n"
        "from detente.cli.exits import interrupted, keep_ctrl_c\n"
        "keep_ctrl_c()\n"
        "class Finalised:\n"
        "    def __del__(self):\n"
        "        raise KeyboardInterrupt\n"
        "try:\n"
        "    x = Finalised()\n"
        "    del x\n"
        "    time.sleep(90)\n"
        "    print('the Ctrl-C was lost')\n"
        "except KeyboardInterrupt:\n"
        "    interrupted()\n"
    )
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
        check=False,
        preexec_fn=_default_sigint,
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (130, "", "interrupted\n")
    assert time.perf_counter() - started < 80  # not after the 90 s sleep: it was not lost
