"""The local process pool of ``detente simulate --workers N``: lean workers, no threads.

A worker is a fresh interpreter (``python -c "from detente.uncertainty.worker import serve;
serve(R, W)"``) that talks to the parent over two pipes (file descriptors ``R`` and ``W``). It
imports only what forecasting a block needs — numpy, :mod:`detente.models.base` (which brings
pandas) and the one model it runs — and never the scenario schema, scipy, the command line,
Rich or Typer (the multiprocessing *spawn* start method used before re-imported the parent's
``__main__``, i.e. the whole command line, in every worker). It receives a :class:`PreparedJob`
once (the scenario already turned into a point-value Problem, and where each uncertain value
goes), then lists of ``(block, values)`` — the parent samples, which is cheap next to a model —
and answers each list with the blocks' forecasts.

The parent (:class:`LocalPool`) does all the waiting in its own thread with
``multiprocessing.connection.wait``: there is no feeder or manager thread that a worker killed
half-way through sending a result could leave blocked, so an interrupted run always stops (the
``ProcessPoolExecutor`` used before could hang for ever in that case).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

import numpy as np

from detente.models.base import FloatArray, Problem
from detente.uncertainty.sampling import Slot, problem_from_base

#: seconds to wait for a worker to exit after its pipe is closed, before killing it
EXIT_TIMEOUT = 2.0


@dataclass(frozen=True)
class PreparedJob:
    """What a worker needs to forecast blocks of a job, without the scenario or its
    distributions: ``base`` is ``to_problem(scenario)`` (every quantity at its point value),
    ``slots`` says where each uncertain value goes (:func:`~.sampling.slots`).
    """

    model: str
    slots: list[Slot]
    base: Problem
    model_params: dict[str, Any] = field(default_factory=dict)


#: a task's block: (block, values (n_b, P)); its result: (block, outcome (n_b, k))
BlockValues = tuple[int, FloatArray]
BlockOutcome = tuple[int, FloatArray]


def forecast_values(job: PreparedJob, values: FloatArray, model: Any = None) -> FloatArray:
    """The forecasts ``(n_b, k)`` of one block's sampled ``values``, in one ``forecast_batch``.

    The same arithmetic as :func:`detente.uncertainty.runner.run_block`, so the results are
    identical bit for bit.
    """
    problem = problem_from_base(job.base, job.slots, values)
    if model is None:
        from detente.models import get_model

        model = get_model(job.model, **job.model_params)
    outcome = np.asarray(model.forecast_batch(problem).outcome, dtype=np.float64)
    if outcome.shape != (values.shape[0], problem.n_issues):
        raise RuntimeError(
            f"model {job.model!r} returned outcome of shape {outcome.shape}, "
            f"expected {(values.shape[0], problem.n_issues)}"
        )
    return outcome


def serve(read_fd: int, write_fd: int) -> None:
    """A worker's main loop: a PreparedJob, then lists of ``(block, values)`` until ``None``
    (or the end of the pipe), each answered with ``("ok", [(block, outcome), …])``.

    An exception while running blocks is sent back (the parent raises it); Ctrl-C, which a
    terminal sends to the whole process group, ends the worker quietly — the parent reports it.
    """
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    try:
        job: PreparedJob = inbox.recv()
        from detente.models import get_model

        model = get_model(job.model, **job.model_params)
        while True:
            blocks: list[BlockValues] | None = inbox.recv()
            if blocks is None:
                return
            try:
                outbox.send(("ok", [(b, forecast_values(job, x, model)) for b, x in blocks]))
            except Exception as exc:  # sent to the parent, which raises it
                outbox.send(("error", exc))
    except (KeyboardInterrupt, EOFError, BrokenPipeError):
        return
    finally:
        inbox.close()
        outbox.close()


@contextlib.contextmanager
def sigint_blocked() -> Iterator[None]:
    """Ctrl-C held back while this thread starts a worker process.

    A terminal's Ctrl-C reaches the whole process group, workers included. Here SIGINT is
    blocked in this thread, and the child inherits the blocked mask (not a pending signal): a
    Ctrl-C that arrives while the worker's interpreter starts waits in the worker until it has
    said what it does with SIGINT, instead of interrupting its imports with a traceback. In this
    process the signal may still land on another thread; in the main thread it is then only
    recorded until the worker is started (its start-up data written whole: a start cut short
    leaves a half-fed child and a pool that cannot shut down), and raised as it would have been
    as soon as the block ends.
    """
    import threading

    caught: list[int] = []
    handler = None  # the handler in place (None: not ours to replace, or not the main thread)
    if threading.current_thread() is threading.main_thread():
        handler = signal.getsignal(signal.SIGINT)
        if handler is not None:
            signal.signal(signal.SIGINT, lambda s, _f: caught.append(s))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        if handler is not None:
            signal.signal(signal.SIGINT, handler)
            if caught and callable(handler):
                handler(signal.SIGINT, None)
            elif caught and handler == signal.SIG_DFL:
                signal.raise_signal(signal.SIGINT)


#: a worker ignores SIGINT (a terminal's Ctrl-C reaches the whole process group): the parent
#: handles it and stops the workers, so no worker prints a traceback. The worker starts with
#: SIGINT blocked (:func:`sigint_blocked`); ignoring it discards one that came meanwhile
_ENTRY = (
    "import signal, sys; signal.signal(signal.SIGINT, signal.SIG_IGN); "
    "signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT}); "
    "from detente.uncertainty.worker import serve; serve(*map(int, sys.argv[1:]))"
)


class WorkerError(RuntimeError):
    """A worker process ended without answering (killed, or crashed in C code)."""


class _Worker:
    def __init__(self) -> None:
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        try:
            with sigint_blocked():
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
        sample: Callable[[int], FloatArray],
        on_result: Callable[[list[BlockOutcome]], None],
    ) -> None:
        """Forecast every chunk of blocks, one chunk at a time per worker: ``sample(block)``
        gives a block's values (called here, just before the chunk is sent); ``on_result`` gets
        each chunk's ``(block, outcome)`` as it arrives (in completion order)."""
        for w in self.workers:
            w.outbox.send(job)
        queue = [list(c) for c in reversed(chunks)]
        pending = 0

        def feed(w: _Worker) -> None:
            w.outbox.send([(b, sample(b)) for b in queue.pop()])
            w.busy = True

        for w in self.workers:
            if queue:
                feed(w)
                pending += 1
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
                    feed(w)
                    pending += 1

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
