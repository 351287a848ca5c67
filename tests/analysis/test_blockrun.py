"""The block runner shared by the design runs (:mod:`detente.analysis.blockrun`): kept blocks are
taken as they are, the others evaluated in waves of ``workers`` blocks and kept as each wave
finishes, results in block order whatever runs them."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from detente.analysis.blockrun import run_blocks
from detente.analysis.decision import Runner


def _square(x: np.ndarray) -> dict[str, np.ndarray]:
    return {"values": x, "out": x**2}


def test_kept_blocks_are_used_and_the_others_kept_in_waves() -> None:
    items = [np.arange(3.0) + 3 * b for b in range(5)]
    done = {1: {"values": items[1], "out": np.full(3, -1.0)}}  # taken as it is
    saved: list[int] = []
    seen: list[int] = []

    class Recorder(Runner):
        waves: list[int] = []  # noqa: RUF012 - a test double

        def map(self, fn, items):  # type: ignore[no-untyped-def, override]
            Recorder.waves.append(len(items))
            return super().map(fn, items)

    def progress(b: int, arrays: Mapping[str, np.ndarray]) -> None:
        seen.append(b)

    runner = Recorder(workers=2)
    out = run_blocks(
        _square, items, runner, done=done, on_block=lambda b, a: saved.append(b), progress=progress
    )
    runner.close()
    assert [float(a["out"][0]) for a in out] == [0.0, -1.0, 36.0, 81.0, 144.0]
    assert saved == [0, 2, 3, 4] and seen == [0, 1, 2, 3, 4]
    assert Recorder.waves == [2, 2]  # blocks 0 and 2, then 3 and 4


def test_one_worker_evaluates_block_by_block_here() -> None:
    items = [np.array([float(b)]) for b in range(3)]
    calls: list[float] = []

    def task(x: np.ndarray) -> dict[str, np.ndarray]:  # a closure: runs in this process
        calls.append(float(x[0]))
        return {"values": x}

    saved: list[int] = []

    def save(b: int, arrays: Mapping[str, np.ndarray]) -> None:
        assert len(calls) == b + 1  # kept as soon as it is evaluated, before the next
        saved.append(b)

    run_blocks(task, items, None, on_block=save)
    assert calls == [0.0, 1.0, 2.0] and saved == [0, 1, 2]
