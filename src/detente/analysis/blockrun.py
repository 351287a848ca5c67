"""A design run in blocks: evaluated on a :class:`~detente.analysis.decision.Runner`, each
finished block kept in a :class:`~detente.uncertainty.checkpoint.Checkpoint`, resumed by
``--resume`` — the one implementation behind ``sensitivity --out``, the crux designs
(``cruxes --method prim|evppi --out``) and ``hindcast --out`` (its blocks are episodes).

A design run is a list of **blocks**, each a fixed slice of the design's rows (never depending
on the number of workers or the backend), and a picklable **task** mapping a block's item (what
the worker needs: its rows) to the block's arrays (``{name: float64 array}``, what is kept).
:func:`run_blocks` evaluates the blocks not already kept in **waves** of ``runner.workers``
blocks through :meth:`Runner.map <detente.analysis.decision.Runner.map>` (in this process, on a
pool of spawned processes or as Ray tasks), keeping each finished block as its wave returns, in
block order, and gives back every block's arrays in block order. A block is computed alone
wherever it runs, so the arrays — and all that is computed from them — are byte-identical for
``--workers 1``, ``2`` and ``--backend ray``, and for a run resumed from kept blocks. A run
killed mid-wave loses at most that wave's blocks.

A kept block is used only when ``check(block, arrays)`` accepts it (the caller compares the
stored rows with the design's, so a stale or damaged block is evaluated again).

:func:`open_folder` makes the output folder (:class:`~detente.uncertainty.output.AtomicDir`:
everything is written into a temporary sibling and renamed into place, so the folder never holds
a half-written result) and the checkpoint whose manifest is the run's ``provenance.json``
(a resume with other inputs is refused naming each field that differs).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from detente.models.base import FloatArray
from detente.uncertainty.sampling import BLOCK_SIZE

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

#: design rows a block of a forecast output holds (a Monte Carlo block)
FORECAST_BLOCK_ROWS = BLOCK_SIZE
#: episodes a block of a game output plays (~3–7 s on the Korea game on one loaded core)
GAME_BLOCK_EPISODES = 8192
#: a block's arrays (what a task returns and a checkpoint keeps)
Arrays = dict[str, FloatArray]
_I = TypeVar("_I")


def run_blocks(
    task: Callable[[_I], Arrays],
    items: Sequence[_I],
    runner: Runner | None = None,
    *,
    done: Mapping[int, Mapping[str, FloatArray]] | None = None,
    on_block: Callable[[int, Arrays], None] | None = None,
    progress: Callable[[int, Mapping[str, FloatArray]], None] | None = None,
    keep: bool = True,
) -> list[Mapping[str, FloatArray]]:
    """Every block's arrays in block order: those in ``done`` as they are, the others
    ``task(items[b])`` on ``runner`` (here when None) in waves of ``runner.workers`` blocks.
    ``on_block(b, arrays)`` is called for each newly evaluated block as its wave finishes
    (:meth:`Checkpoint.save <detente.uncertainty.checkpoint.Checkpoint.save>`), and
    ``progress(b, arrays)`` for every block, kept or new, in block order. With ``keep=False``
    a block is let go once ``progress`` has seen it (a caller that reduces blocks as they come,
    like the hindcast, holds only the blocks not yet reported) and the list returned is empty."""
    from detente.analysis.decision import Runner

    run = runner or Runner()
    finished: dict[int, Mapping[str, FloatArray]] = dict(done or {})
    todo = [b for b in range(len(items)) if b not in finished]
    wave = max(1, run.workers)
    reported = 0

    def report() -> None:
        nonlocal reported
        while reported < len(items) and reported in finished:
            if progress is not None:
                progress(reported, finished[reported])
            if not keep:
                finished[reported] = {}
            reported += 1

    report()
    for start in range(0, len(todo), wave):
        blocks = todo[start : start + wave]
        for b, arrays in zip(blocks, run.map(task, [items[b] for b in blocks]), strict=True):
            if on_block is not None:
                on_block(b, arrays)
            finished[b] = arrays
        report()
    return [finished[b] for b in range(len(items))] if keep else []


def result_json_text(payload: Any) -> str:
    """``result.json``: ``payload`` exactly as the command's ``--format json`` prints it
    (:func:`detente.cli.common.emit` with indent 1)."""
    import json

    from detente.models.base import jsonable

    return json.dumps(jsonable(payload), indent=1, allow_nan=False) + "\n"


def open_folder(
    out_dir: Path, files: tuple[str, ...], key: dict[str, Any], *, resume: bool, what: str
) -> tuple[AtomicDir, Checkpoint]:
    """The output folder (unusable: OutputError) and its kept blocks (a fresh set, or the
    unfinished run's when ``resume``: CheckpointError when there is none or its inputs differ
    from ``key``, the run's provenance)."""
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

    atomic = AtomicDir(out_dir, files=files)
    try:
        checkpoint = Checkpoint(out_dir, key, resume=resume, what=what)
    except BaseException:
        atomic.discard()
        raise
    return atomic, checkpoint


def run_info(
    started: float, rows: int, resumed: int, workers: int, backend: str, unit: str = "rows"
) -> dict[str, Any]:
    """``run.json``: how this run went (allowed to differ between identical runs): seconds,
    ``unit`` evaluated per second (``rows_per_second``, ``episodes_per_second``), workers,
    backend, ``resumed_blocks``."""
    elapsed = time.perf_counter() - started
    info: dict[str, Any] = {
        "seconds": round(elapsed, 3),
        f"{unit}_per_second": round(rows / elapsed, 1) if elapsed > 0 else None,
        "workers": workers,
        "backend": backend,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if resumed:
        info["resumed_blocks"] = resumed
    return info


def write_folder(
    atomic: AtomicDir,
    payload: Any,
    provenance: dict[str, Any],
    run_info: dict[str, Any],
    extra: Mapping[str, Callable[[Path], None]] | None = None,
) -> None:
    """Write a design run's folder into ``atomic``'s temporary directory, then commit:
    ``result.json`` (:func:`result_json_text`), each ``extra`` file (``name: write(path)``),
    ``provenance.json`` and ``run.json``."""
    from detente.uncertainty.output import write_json

    (atomic.tmp / "result.json").write_text(result_json_text(payload), encoding="utf-8")
    for name, write in (extra or {}).items():
        write(atomic.tmp / name)
    write_json(provenance, atomic.tmp / "provenance.json")
    write_json(run_info, atomic.tmp / "run.json")
    atomic.commit()


def same_rows(arrays: Mapping[str, FloatArray], name: str, rows: FloatArray) -> bool:
    """Whether a kept block's ``name`` array is exactly ``rows`` (the design's block)."""
    got = arrays.get(name)
    return got is not None and got.shape == rows.shape and bool(np.array_equal(got, rows))


def libraries(*extra: str) -> dict[str, str]:
    """The versions of numpy, scipy and ``extra`` distributions (provenance)."""
    from importlib.metadata import version

    import scipy

    out = {"numpy": np.__version__, "scipy": scipy.__version__}
    for name in extra:
        out[name] = version(name)
    return out
