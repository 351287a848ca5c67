"""What the resume tests of every block-kept run share (``simulate``, ``sensitivity``, the crux
designs, ``hindcast``): interrupting a run in-process once some blocks are kept, and killing a
real process once its first block file is on disk (waiting on the file, never on a sleep)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pytest

SRC = Path(__file__).parents[2] / "src"


def stop_after(monkeypatch: pytest.MonkeyPatch, blocks: int) -> None:
    """Interrupt the run (as Ctrl-C does) once ``blocks`` blocks are kept."""
    from detente.uncertainty.checkpoint import Checkpoint

    save = Checkpoint.save
    count = {"n": 0}

    def stopping(self: Checkpoint, block: int, arrays: Mapping[str, np.ndarray]) -> None:
        save(self, block, arrays)
        count["n"] += 1
        if count["n"] == blocks:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "save", stopping)


def default_signals() -> None:
    """A child started from a shell's background job inherits SIGINT ignored; the run must see
    the defaults, as it does in a terminal (``preexec_fn`` of the child)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def detente_command(*args: str) -> list[str]:
    """``python -m detente ARGS`` as a list for :mod:`subprocess`."""
    return [sys.executable, "-m", "detente", *args]


def environment() -> dict[str, str]:
    """This process's environment with this checkout's ``src`` first on the path."""
    return {**os.environ, "PYTHONPATH": str(SRC)}


def signal_once_a_block_is_kept(
    cmd: Sequence[str], partial: Path, sig: int = signal.SIGKILL, timeout: float = 600.0
) -> tuple[int, str]:
    """Run ``cmd``; as soon as a finished block file is in ``partial``/blocks, send ``sig``;
    return the exit status and stderr. Fails if the run ends before keeping a block or takes
    longer than ``timeout``; the process is killed whatever happens."""
    blocks = partial / "blocks"
    proc = subprocess.Popen(
        list(cmd),
        env=environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=default_signals,
    )
    try:
        deadline = time.monotonic() + timeout
        while not (blocks.is_dir() and any(blocks.glob("*.npz"))):
            assert time.monotonic() < deadline, f"no block kept within {timeout} s"
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.02)  # doubles as the poll interval
                pytest.fail(f"the run ended before a block was kept: {proc.stderr}")
        proc.send_signal(sig)
        _, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return proc.returncode, stderr
