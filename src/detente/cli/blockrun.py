"""The command-line side of a design run written to ``--out DIR`` in resumable blocks
(:mod:`detente.analysis.blockrun`): ``sensitivity --out`` and ``cruxes --method prim|evppi
--out`` and ``hindcast --out``.

:func:`run_to_folder` opens the folder and its checkpoint (an unusable folder, a resume with
nothing to resume or with other inputs, a full disk: one line, exit 2), loads the kept blocks on
``--resume``, evaluates the rest with a progress bar on stderr (shown on a terminal only), keeps
each finished block, and writes the folder. Ctrl-C or SIGTERM exits 130/143 with no output
written and the finished blocks kept ("the same command with --resume continues"):
:func:`exit_interrupted`, which ``simulate --out`` shares, as it shares :func:`sigterm_raises`.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, NoReturn, TypeVar

import typer

from detente.cli.common import err, fail, progress_bar

if TYPE_CHECKING:
    from detente.models.base import FloatArray
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

_R = TypeVar("_R")
#: a block's arrays as kept
Block = Mapping[str, "FloatArray"]


class Terminated(BaseException):
    """SIGTERM, turned into an exception so that cleanup (``finally``) runs.

    A BaseException like KeyboardInterrupt, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated(signum)


@contextmanager
def sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` while the block runs (a run cleans up as on Ctrl-C)."""
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def exit_interrupted(exc: BaseException, checkpoint: Checkpoint | None) -> NoReturn:
    """Report an interrupted run — Ctrl-C or SIGTERM (``exc``) — in one line, saying how many
    finished blocks ``checkpoint`` kept for ``--resume``, and exit 128 + the signal."""
    signum = exc.signum if isinstance(exc, Terminated) else signal.SIGINT
    kept = ""
    if checkpoint is not None and checkpoint.kept():
        kept = (
            f"; {checkpoint.kept()} finished block(s) kept: the same command with "
            "--resume continues"
        )
    err.print(f"interrupted: no output written{kept}", markup=False)
    raise typer.Exit(128 + int(signum)) from None


@dataclass(frozen=True)
class FolderRun(Generic[_R]):
    """What :func:`run_to_folder` needs of a design run."""

    out_dir: Path
    #: design rows in all (the progress bar's total)
    rows: int
    #: the folder and its checkpoint (:func:`detente.analysis.blockrun.open_folder`)
    open: Callable[[], tuple[AtomicDir, Checkpoint]]
    #: the kept blocks of the run being resumed that are this design's
    kept: Callable[[Checkpoint], dict[int, dict[str, FloatArray]]]
    #: evaluate: ``(done, on_block, progress(rows))`` -> the result
    evaluate: Callable[
        [Mapping[int, Block], Callable[[int, Block], None], Callable[[int], None]], _R
    ]
    #: write every file of the folder into ``atomic.tmp`` and commit: ``(atomic, result, info)``
    write: Callable[[AtomicDir, _R, dict[str, Any]], None]
    #: the design rows of a kept block
    rows_of: Callable[[Block], int]
    workers: int = 1
    backend: str = "local"
    label: str = "design rows"
    #: what a row is, in ``run.json``'s ``{unit}_per_second``
    unit: str = "rows"


def run_to_folder(run: FolderRun[_R], resume: bool) -> _R:
    """Run ``run`` in blocks kept as they finish, continuing the unfinished run of its folder
    when ``resume``, and write the folder (see the module docstring)."""
    import time

    from detente.analysis.blockrun import run_info
    from detente.cli.exits import output_failed
    from detente.uncertainty.checkpoint import CheckpointError
    from detente.uncertainty.output import OutputError

    with sigterm_raises():
        try:
            atomic, checkpoint = run.open()
        except (OutputError, CheckpointError) as exc:
            fail(str(exc))
        progress = progress_bar(run.label)
        try:
            started = time.perf_counter()
            done = run.kept(checkpoint) if resume else {}
            with progress:
                task = progress.add_task("rows", total=run.rows)
                result = run.evaluate(done, checkpoint.save, lambda k: progress.advance(task, k))
            kept_rows = sum(run.rows_of(a) for a in done.values())
            info = run_info(
                started, run.rows - kept_rows, len(done), run.workers, run.backend, run.unit
            )
            try:
                run.write(atomic, result, info)
            except OSError as exc:  # a full disk: one line, the earlier output left intact
                atomic.discard()
                checkpoint.finish()  # and nothing of this run left behind
                output_failed(exc, run.out_dir)
            checkpoint.finish()
            err.print(f"wrote {run.out_dir}", markup=False)
        except (KeyboardInterrupt, Terminated) as exc:
            exit_interrupted(exc, checkpoint)
        finally:
            atomic.discard()
            checkpoint.close()
    return result
