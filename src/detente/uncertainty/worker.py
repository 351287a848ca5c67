"""The local process pool of ``detente simulate --workers N``: lean workers, no threads.

A worker is a fresh interpreter (``python -c "from detente.uncertainty.worker import serve;
serve(R, W)"``) that talks to the parent over two pipes (file descriptors ``R`` and ``W``). It
imports only what running blocks needs — numpy, :mod:`detente.uncertainty.sampling`, the
scenario's quantities (scipy, for the inverse CDFs), :mod:`detente.models.base` and the one model
it runs — and never the command line, Rich, Typer, pyarrow or the other models (the multiprocessing
*spawn* start method used before re-imported the parent's ``__main__``, i.e. the whole command
line, in every worker). It receives a :class:`PreparedJob` once (the scenario already turned into a
point-value Problem and its uncertain parameters, so it needs no schema), then lists of blocks,
and answers each list with its :class:`~detente.uncertainty.runner.BlockResult`-like tuples.

The parent (:class:`LocalPool`) does all the waiting in its own thread with
``multiprocessing.connection.wait``: there is no feeder or manager thread that a worker killed
half-way through sending a result could leave blocked, so an interrupted run always stops (the
``ProcessPoolExecutor`` used before could hang for ever in that case).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from detente.models.base import FloatArray, Problem
from detente.uncertainty.sampling import (
    BLOCK_SIZE,
    Parameter,
    problem_from_base,
    sample_values,
)

#: seconds to wait for a worker to exit after its pipe is closed, before killing it
EXIT_TIMEOUT = 2.0


@dataclass(frozen=True)
class PreparedJob:
    """What a worker needs to run blocks of a job, without the scenario schema.

    ``base`` is ``to_problem(scenario)`` (every quantity at its point value); ``parameters``
    are the uncertain parameters in sampling order.
    """

    model: str
    seed: int
    draws: int
    parameters: list[Parameter]
    base: Problem
    model_params: dict[str, Any] = field(default_factory=dict)


#: one block's result: (block, inputs (n_b, P), outcome (n_b, k))
BlockTuple = tuple[int, FloatArray, FloatArray]


def run_prepared_block(job: PreparedJob, block: int, model: Any = None) -> BlockTuple:
    """Sample block ``block`` and forecast it in one ``forecast_batch`` call.

    The same arithmetic as :func:`detente.uncertainty.runner.run_block`, so the values are
    identical bit for bit.
    """
    start = block * BLOCK_SIZE
    stop = min(start + BLOCK_SIZE, job.draws)
    if not 0 <= start < stop:
        raise ValueError(f"block {block} is outside a run of {job.draws} draws")
    values = sample_values(job.parameters, job.seed, start, stop)
    problem = problem_from_base(job.base, job.parameters, values)
    if model is None:
        from detente.models import get_model

        model = get_model(job.model, **job.model_params)
    outcome = np.asarray(model.forecast_batch(problem).outcome, dtype=np.float64)
    if outcome.shape != (stop - start, problem.n_issues):
        raise RuntimeError(
            f"model {job.model!r} returned outcome of shape {outcome.shape}, "
            f"expected {(stop - start, problem.n_issues)}"
        )
    return block, values, outcome


def serve(read_fd: int, write_fd: int) -> None:
    """A worker's main loop: a PreparedJob, then block lists until ``None`` (or end of pipe).

    An exception while running blocks is sent back (the parent raises it); Ctrl-C, which a
    terminal sends to the whole process group, ends the worker quietly — the parent reports it.
    """
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    try:
        job: PreparedJob = inbox.recv()
        from detente.models import get_model

        model = get_model(job.model, **job.model_params)
        while True:
            blocks = inbox.recv()
            if blocks is None:
                return
            try:
                outbox.send(("ok", [run_prepared_block(job, b, model) for b in blocks]))
            except Exception as exc:  # sent to the parent, which raises it
                outbox.send(("error", exc))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return
    finally:
        inbox.close()
        outbox.close()


#: a worker ignores SIGINT (a terminal's Ctrl-C reaches the whole process group): the parent
#: handles it and stops the workers, so no worker prints a traceback
_ENTRY = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "from detente.uncertainty.worker import serve; serve(*map(int, sys.argv[1:]))"
)


class WorkerError(RuntimeError):
    """A worker process ended without answering (killed, or crashed in C code)."""


class _Worker:
    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            self.proc = subprocess.Popen(
                [sys.executable, "-c", _ENTRY, str(to_child_r), str(from_child_w)],
                pass_fds=(to_child_r, from_child_w),
                stdin=subprocess.DEVNULL,
            )
        finally:
            os.close(to_child_r)
            os.close(from_child_w)
        self.outbox = Connection(to_child_w, readable=False)
        self.inbox = Connection(from_child_r, writable=False)
        self.busy = False

    def close(self, kill: bool) -> None:
        for conn in (self.outbox, self.inbox):
            with contextlib.suppress(OSError):
                conn.close()
        if kill and self.proc.poll() is None:
            self.proc.kill()
        try:
            self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:  # pragma: no cover - a worker ignoring its closed pipe
            self.proc.kill()
            self.proc.wait()


class LocalPool:
    """``workers`` lean worker processes for one run (see the module docstring)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers: list[_Worker] = []
        try:
            for _ in range(workers):
                self.workers.append(_Worker())
        except BaseException:
            self.close(kill=True)
            raise

    def run(
        self,
        job: PreparedJob,
        chunks: Sequence[Sequence[int]],
        on_result: Callable[[list[BlockTuple]], None],
    ) -> None:
        """Run every chunk, one at a time per worker; ``on_result`` gets each chunk's blocks
        as it arrives (in completion order)."""
        for w in self.workers:
            w.outbox.send(job)
        queue = [list(c) for c in reversed(chunks)]
        pending = 0
        for w in self.workers:
            if queue:
                w.outbox.send(queue.pop())
                w.busy, pending = True, pending + 1
        by_conn = {w.inbox: w for w in self.workers}
        while pending:
            for conn in wait([w.inbox for w in self.workers if w.busy]):
                w = by_conn[conn]  # type: ignore[index]
                try:
                    status, payload = w.inbox.recv()
                except (EOFError, OSError):
                    raise WorkerError(
                        f"a Monte Carlo worker ended unexpectedly (exit status {w.proc.poll()})"
                    ) from None
                w.busy, pending = False, pending - 1
                if status == "error":
                    raise payload
                on_result(payload)
                if queue:
                    w.outbox.send(queue.pop())
                    w.busy, pending = True, pending + 1

    def close(self, kill: bool = False) -> None:
        """Stop the workers: ask them to exit, or (``kill``, an interrupted run) kill them."""
        for w in self.workers:
            if not kill:
                try:
                    w.outbox.send(None)
                except OSError:
                    kill = True
            w.close(kill)
        self.workers = []
