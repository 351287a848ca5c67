"""A terminal's Ctrl-C reaches the whole process group: the command's spawned pool workers
(:func:`detente.uncertainty.runner.spawn_pool`, behind every ``--workers N`` of the analyses)
must never print a traceback for it — not while their interpreter starts and imports, not while
they wait for work, not while they run a task — and the command exits 130 with its one line,
leaving no worker behind."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"


def _procs() -> list[tuple[int, int, int, str]]:
    """(pid, ppid, process group, state) of every process, from /proc."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            text = (entry / "stat").read_text()
            fields = text[text.rindex(")") + 2 :].split()
            out.append((int(entry.name), int(fields[1]), int(fields[2]), fields[0]))
    return out


def _default_signals() -> None:
    # a test run started as a shell's background job has SIGINT ignored; a terminal's has not
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("when", ["starting", "running"])
def test_ctrl_c_to_the_group_prints_no_worker_traceback(korea_yaml: Path, when: str) -> None:
    cmd = [sys.executable, "-X", "faulthandler", "-m", "detente", "hindcast", str(korea_yaml)]
    cmd += ["--episodes", "40000"]
    cmd += ["--workers", "2", "--format", "json"]
    proc = subprocess.Popen(
        cmd,
        env={**os.environ, "PYTHONPATH": str(SRC)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        process_group=0,  # its own group, signalled as a terminal signals its foreground job
        preexec_fn=_default_signals,
    )
    try:
        deadline = time.monotonic() + 600
        # "starting": as soon as the command has a child (its pool is being started, the
        # workers importing); "running": once two workers have run long enough to be busy
        want = 1 if when == "starting" else 3
        while sum(1 for _, ppid, _, _ in _procs() if ppid == proc.pid) < want:
            assert time.monotonic() < deadline, "the pool never started"
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.02)  # doubles as the poll interval
                pytest.fail(f"the command ended before its pool started: {proc.stderr}")
        if when == "running":
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=3.0)
        os.killpg(proc.pid, signal.SIGINT)
        try:
            _, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:  # say where each process of the group is stuck
            for pid, _, group, _ in _procs():
                if group == proc.pid:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGABRT)  # faulthandler prints every thread
            _, err = proc.communicate(timeout=60)
            pytest.fail(f"no exit within 120 s of Ctrl-C:\n{err[-6000:]}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.strip() == "interrupted", err
    deadline = time.monotonic() + 30
    while left := [p for p in _procs() if p[2] == proc.pid and p[3] != "Z"]:
        assert time.monotonic() < deadline, f"processes left behind: {left}"
        time.sleep(0.05)
