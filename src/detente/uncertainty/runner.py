"""Running a model over Monte Carlo draws, in one process, a process pool, or on Ray.

The unit of work is a **block** of draws (:data:`~detente.uncertainty.sampling.BLOCK_SIZE`):
a task samples its blocks (see :mod:`detente.uncertainty.sampling`) and hands each block, whole,
to ``model.forecast_batch``. The model therefore always sees exactly the same batches — block
``b`` of the run — whatever the chunking, worker count or backend. That is what makes results
byte-identical across backends even for models whose vectorised arithmetic (BLAS reductions,
``einsum``) could round differently for differently sized batches. Results are put back in
block order, so the output never depends on which task finished first.

Task functions are top-level and take only picklable arguments, so they work with the *spawn*
start method (forking a process that holds threads — Rich's progress refresh, Ray's client — is
unsafe), in an executor passed in (``executor=``) and as Ray tasks. The local pool of
``workers > 1`` is :class:`detente.uncertainty.worker.LocalPool`: lean worker processes started
for the run, fed one task at a time.

How many workers a local run uses (:func:`workers_for`): a worker costs a start-up (a fresh
interpreter importing numpy, scipy, pandas and the model: ~0.5 s on an idle core), so each one
must get enough draws to pay for it. A run of ``draws`` draws of model ``m`` uses
``min(workers, tasks, max(1, draws // MIN_DRAWS_PER_WORKER[m]))`` workers, and runs in this
process when that is 1. The thresholds were measured on the EC emission-standards case (the
smallest shipped scenario, so the most demanding one; ``bench/bench_workers.py``); on a larger
scenario a draw costs more and parallel runs pay off sooner than this rule assumes.
"""

from __future__ import annotations

import concurrent.futures as cf
import itertools
import multiprocessing
import signal
import socket
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

import numpy as np

from detente.models import get_model
from detente.models.base import FloatArray
from detente.scenario.schema import Scenario
from detente.uncertainty.dependence import scenario_dependence
from detente.uncertainty.sampling import (
    BLOCK_SIZE,
    Parameter,
    block_ranges,
    problem_from_values,
    sample_values,
    slots,
    uncertain_parameters,
)
from detente.uncertainty.worker import LocalPool, PreparedJob, sigint_blocked

Backend = Literal["local", "ray"]
#: largest default task, in blocks (see ``simulate``'s ``chunk_blocks``)
MAX_CHUNK_BLOCKS = 8
#: fewest draws a local worker must get for a pool to pay for its start-up, per model
#: (measured: see the module docstring and docs/montecarlo.md, "Workers")
#: — the worker start-up (~1.5 s on a loaded 2-core machine) over the cost of one draw
MIN_DRAWS_PER_WORKER: dict[str, int] = {
    "compromise": 4_000_000,  # 0.4 µs a draw (EC case)
    "median": 1_000_000,  # 1.7 µs
    "expected-utility": 15_000,  # 100 µs
    "spatial": 2_000,  # 740 µs
    "exchange": 500,  # 2.5 ms (Korea case: the exchange model needs two issues)
}
#: the threshold for a model not in :data:`MIN_DRAWS_PER_WORKER`
DEFAULT_MIN_DRAWS_PER_WORKER = 15_000
#: called with the number of draws just finished
ProgressFn = Callable[[int], None]
#: called with each task's finished blocks, as they arrive
BlocksFn = Callable[[list["BlockResult"]], None]


class BackendUnavailableError(RuntimeError):
    """The requested backend cannot be used (e.g. Ray is not installed); message says why."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs: the scenario *after* its worldview, the model, seed, draws."""

    scenario: Scenario
    model: str
    seed: int
    draws: int
    model_params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class BlockResult:
    """One block's sampled inputs ``(n_b, P)`` and forecasts ``(n_b, k)``."""

    block: int
    inputs: FloatArray
    outcome: FloatArray


@dataclass(frozen=True)
class MonteCarloResult:
    """All draws of a run, in draw order.

    Attributes:
        job: what was run.
        parameters: the uncertain parameters, in sampling order (columns of ``inputs``).
        issues: issue ids (columns of ``outcome``).
        inputs: ``(D, P)`` sampled values.
        outcome: ``(D, k)`` forecasts on each issue's scale.
        model_parameters: the model's constructor parameters (``Model.get_params()``).
        workers_used: local worker processes the run used (1: this process; see
            :func:`workers_for`); for Ray, the CPUs asked for; for an ``executor``, its size.
    """

    job: Job
    parameters: list[Parameter]
    issues: tuple[str, ...]
    inputs: FloatArray
    outcome: FloatArray
    model_parameters: dict[str, Any]
    workers_used: int = 1


def workers_for(model: str, draws: int, workers: int, tasks: int) -> int:
    """How many local workers a run uses: never more than asked for or than there are tasks,
    and at least :data:`MIN_DRAWS_PER_WORKER` draws each (1 means: run in this process)."""
    per_worker = MIN_DRAWS_PER_WORKER.get(model, DEFAULT_MIN_DRAWS_PER_WORKER)
    return max(1, min(workers, tasks, draws // max(1, per_worker)))


def prepare(job: Job) -> PreparedJob:
    """The job as a worker receives it: the point-value Problem and the uncertain parameters."""
    from detente.scenario.problem import to_problem

    return PreparedJob(
        model=job.model,
        slots=slots(uncertain_parameters(job.scenario)),
        base=to_problem(job.scenario),
        model_params=dict(job.model_params),
    )


def run_block(job: Job, block: int) -> BlockResult:
    """Sample block ``block`` of ``job`` and forecast it in one ``forecast_batch`` call."""
    params = uncertain_parameters(job.scenario)
    start = block * BLOCK_SIZE
    stop = min(start + BLOCK_SIZE, job.draws)
    if not 0 <= start < stop:
        raise ValueError(f"block {block} is outside a run of {job.draws} draws")
    values = sample_values(params, job.seed, start, stop, scenario_dependence(job.scenario))
    problem = problem_from_values(job.scenario, params, values)
    model = get_model(job.model, **job.model_params)
    outcome = np.asarray(model.forecast_batch(problem).outcome, dtype=np.float64)
    if outcome.shape != (stop - start, problem.n_issues):
        raise RuntimeError(
            f"model {job.model!r} returned outcome of shape {outcome.shape}, "
            f"expected {(stop - start, problem.n_issues)}"
        )
    return BlockResult(block=block, inputs=values, outcome=outcome)


def run_blocks(job: Job, blocks: Sequence[int]) -> list[BlockResult]:
    """A task: several blocks, each forecast separately (see module docstring)."""
    return [run_block(job, b) for b in blocks]


#: part of a block: ``(block, start, stop)``, draws ``start … stop − 1`` of the run
Slice = tuple[int, int, int]


def run_slice(job: Job, part: Slice) -> tuple[Slice, FloatArray, FloatArray]:
    """A task of a model with ``separable_draws``: draws ``start … stop − 1`` of block
    ``block``, sampled with the whole block (so the values are the block's own) and forecast
    in one ``forecast_batch`` call. Returns the slice, its inputs and its forecasts."""
    block, start, stop = part
    params = uncertain_parameters(job.scenario)
    first = block * BLOCK_SIZE
    last = min(first + BLOCK_SIZE, job.draws)
    if not first <= start < stop <= last:
        raise ValueError(f"draws {start}..{stop - 1} are not in block {block} of the run")
    values = sample_values(params, job.seed, first, last, scenario_dependence(job.scenario))
    values = values[start - first : stop - first]
    problem = problem_from_values(job.scenario, params, values)
    model = get_model(job.model, **job.model_params)
    outcome = np.asarray(model.forecast_batch(problem).outcome, dtype=np.float64)
    return part, values, outcome


def split_blocks(job: Job, blocks: Sequence[int], pieces: int) -> list[Slice]:
    """Each block of ``blocks`` cut into ``pieces`` runs of draws as even as can be."""
    out: list[Slice] = []
    for b in blocks:
        first = b * BLOCK_SIZE
        n = min(BLOCK_SIZE, job.draws - first)
        cuts = [first + (n * i) // pieces for i in range(pieces + 1)]
        out.extend((b, lo, hi) for lo, hi in itertools.pairwise(cuts) if hi > lo)
    return out


def _chunks(blocks: Sequence[int], chunk_blocks: int) -> list[list[int]]:
    return [list(blocks[i : i + chunk_blocks]) for i in range(0, len(blocks), chunk_blocks)]


def _draws_in(results: list[BlockResult]) -> int:
    return sum(r.outcome.shape[0] for r in results)


_R = TypeVar("_R")


class _Pool(cf.ProcessPoolExecutor):
    """A ``ProcessPoolExecutor`` whose ``submit`` — where it starts its workers and its manager
    thread — runs with Ctrl-C held back (:func:`~.worker.sigint_blocked`): each worker inherits
    SIGINT blocked, and a Ctrl-C that reaches this process meanwhile is raised once ``submit``
    has finished. Raised in the middle, it leaves a worker the pool does not know of, or a
    manager thread that was never started, and the pool can then neither run nor shut down."""

    def submit(self, fn: Callable[..., _R], /, *args: Any, **kwargs: Any) -> cf.Future[_R]:
        with sigint_blocked():
            return super().submit(fn, *args, **kwargs)


#: whether this pool worker is running a task (set by :class:`Guarded`)
_busy = False


def _on_sigint(signum: int, frame: object) -> None:
    """A pool worker's Ctrl-C: it interrupts the task it is running (the pool sends the
    KeyboardInterrupt back as the task's result, a whole message), and is ignored while the
    worker waits for work — raised there, it would print a traceback from the pool's loop."""
    if _busy:
        raise KeyboardInterrupt


def _pool_worker_start() -> None:
    """A pool worker's initializer: SIGINT handled by :func:`_on_sigint`, then unblocked (the
    worker started with it blocked: a Ctrl-C that came while it started and imported is
    delivered now, while it is not busy, and so ignored). So no worker prints a traceback,
    whether it is starting, waiting for work or running a task."""
    signal.signal(signal.SIGINT, _on_sigint)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


@dataclass(frozen=True)
class Guarded(Generic[_R]):
    """``fn`` as a pool task that a Ctrl-C may interrupt (see :func:`_on_sigint`)."""

    fn: Callable[..., _R]

    def __call__(self, *args: Any) -> _R:
        global _busy
        _busy = True
        try:
            return self.fn(*args)
        finally:
            _busy = False


def spawn_pool(workers: int) -> cf.ProcessPoolExecutor:
    """A process pool of ``workers`` spawned processes, for :func:`simulate` ``executor=``.

    Starting a spawned worker costs about a second (it imports numpy, scipy, pandas and the
    models); callers running many simulations (sensitivity designs, benchmarks, a server) keep
    one pool and pass it in. Submit tasks wrapped in :class:`Guarded`: a Ctrl-C interrupts a
    running task and nothing else (:func:`_pool_worker_start`); close it with
    :func:`close_pool`.
    """
    return _Pool(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_pool_worker_start,
    )


def close_pool(pool: cf.ProcessPoolExecutor, *, interrupted: bool = False) -> None:
    """Shut ``pool`` down once its work is done or — ``interrupted`` (Ctrl-C, SIGTERM, an
    error) — with its queued work cancelled, waiting only for the tasks already running (a
    terminal's Ctrl-C has interrupted those too). Its workers are never killed: a worker killed
    half-way through sending a result leaves the pool's reader waiting for ever."""
    pool.shutdown(wait=True, cancel_futures=interrupted)


def _collect(
    executor: cf.Executor, job: Job, chunks: list[list[int]], progress: BlocksFn
) -> list[BlockResult]:
    results: list[BlockResult] = []
    futures = [executor.submit(Guarded(run_blocks), job, chunk) for chunk in chunks]
    try:
        for fut in cf.as_completed(futures):
            part = fut.result()
            results.extend(part)
            progress(part)
    except BaseException:
        for fut in futures:
            fut.cancel()
        raise
    return results


def _run_pool(
    job: Job, chunks: list[list[int]], workers: int, progress: BlocksFn
) -> list[BlockResult]:
    results: list[BlockResult] = []
    params = uncertain_parameters(job.scenario)
    dependence = scenario_dependence(job.scenario)
    sampled: dict[int, FloatArray] = {}

    def sample(block: int) -> FloatArray:
        start = block * BLOCK_SIZE
        stop = min(start + BLOCK_SIZE, job.draws)
        sampled[block] = sample_values(params, job.seed, start, stop, dependence)
        return sampled[block]

    def collect(part: list[tuple[int, FloatArray]]) -> None:
        blocks = [BlockResult(block=b, inputs=sampled.pop(b), outcome=y) for b, y in part]
        results.extend(blocks)
        progress(blocks)

    prepared = prepare(job)
    pool = LocalPool(workers)
    try:
        pool.run(prepared, chunks, sample, collect)
    except BaseException:
        pool.close(kill=True)  # an interrupted or failed run leaves no worker computing
        raise
    pool.close()
    return results


#: seconds to wait for a Ray head before giving up (ray.init itself would wait much longer)
RAY_CONNECT_TIMEOUT = 5.0


def _check_reachable(address: str) -> None:
    """Refuse quickly when nothing listens at ``HOST:PORT`` (``ray://`` prefix allowed).

    ``ray.init(address=...)`` retries for a long time against an address where nothing
    listens; a bounded TCP connect turns that into a clear error.
    """
    target = address.removeprefix("ray://")
    host, sep, port_text = target.rpartition(":")
    if not sep or not port_text.isdigit():
        raise BackendUnavailableError(
            f"--address {address!r}: expected HOST:PORT of a Ray head, e.g. 10.0.0.5:6379"
        )
    try:
        with socket.create_connection((host, int(port_text)), timeout=RAY_CONNECT_TIMEOUT):
            pass
    except OSError as exc:
        raise BackendUnavailableError(
            f"cannot reach a Ray cluster at {address} ({exc.strerror or exc}); "
            "start one with `ray start --head` or check the address"
        ) from None


def _run_ray(
    job: Job,
    chunks: list[list[int]],
    workers: int,
    address: str | None,
    progress: BlocksFn,
    slices: list[Slice] | None = None,
) -> list[BlockResult]:
    if address:
        # the address is the user's input: judge it first, whether or not Ray is installed
        _check_reachable(address)
    try:
        import ray
    except ImportError:
        raise BackendUnavailableError(
            "the ray backend needs Ray: pip install 'detente[ray]'"
        ) from None
    started_here = False
    if not ray.is_initialized():
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        started_here = True
    try:
        job_ref = ray.put(job)
        refs: list[Any]
        if slices:
            refs = [ray.remote(run_slice).remote(job_ref, part) for part in slices]
        else:
            refs = [ray.remote(run_blocks).remote(job_ref, chunk) for chunk in chunks]
        pending = list(refs)
        results: list[BlockResult] = []
        # a block cut into slices is whole when its slices cover it: they are put back in order
        parts: dict[int, list[tuple[int, FloatArray, FloatArray]]] = {}
        expected = {b: sum(1 for s in slices or () if s[0] == b) for b, _, _ in slices or ()}
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                if not slices:
                    part: list[BlockResult] = ray.get(done[0])
                    results.extend(part)
                    progress(part)
                    continue
                (block, start, _stop), values, outcome = ray.get(done[0])
                parts.setdefault(block, []).append((start, values, outcome))
                if len(parts[block]) == expected[block]:
                    pieces = sorted(parts.pop(block), key=lambda p: p[0])
                    whole = BlockResult(
                        block=block,
                        inputs=np.concatenate([p[1] for p in pieces], axis=0),
                        outcome=np.concatenate([p[2] for p in pieces], axis=0),
                    )
                    results.append(whole)
                    progress([whole])
        except BaseException:
            for ref in pending:
                ray.cancel(ref, force=True)
            raise
        return results
    finally:
        if started_here:
            ray.shutdown()


def simulate(
    job: Job,
    *,
    backend: Backend = "local",
    workers: int = 1,
    address: str | None = None,
    chunk_blocks: int | None = None,
    progress: ProgressFn | None = None,
    executor: cf.Executor | None = None,
    min_draws_per_worker: int | None = None,
    done: Mapping[int, BlockResult] | None = None,
    on_blocks: BlocksFn | None = None,
) -> MonteCarloResult:
    """Run ``job``: ``job.draws`` draws of every uncertain judgment through ``job.model``.

    Args:
        backend: ``local`` (this process when ``workers == 1``, else a spawn process pool) or
            ``ray`` (tasks on a local Ray started with ``num_cpus=workers``, or on the cluster at
            ``address``; an already initialised Ray is used as it is).
        workers: at most this many worker processes (local: see :func:`workers_for` for how
            many are used) or CPUs of the local Ray.
        chunk_blocks: blocks per task; trades scheduling overhead against load balance and
            never changes results. Default: one block per task in this process; otherwise
            about two tasks per worker, at most :data:`MAX_CHUNK_BLOCKS` blocks each (so the
            progress bar still moves).
        progress: called with the number of draws finished, as tasks complete.
        executor: an existing pool (see :func:`spawn_pool`) for the local backend, used instead
            of starting one (``workers`` is then ignored) and left running.
        min_draws_per_worker: overrides :data:`MIN_DRAWS_PER_WORKER` for this run (0: use
            every worker asked for, whatever the number of draws).
        done: blocks already finished (a resumed run, :mod:`detente.uncertainty.checkpoint`):
            only the others are run, and the result is the same as a run of them all.
        on_blocks: called with each task's finished blocks as they arrive (in this process),
            e.g. to keep them on disk.

    The result is the same, bit for bit, for every backend, worker count and chunk size.
    """
    if job.draws < 1:
        raise ValueError("draws must be at least 1")
    if workers < 1:
        raise ValueError("workers must be at least 1")
    if chunk_blocks is not None and chunk_blocks < 1:
        raise ValueError("chunk_blocks must be at least 1")
    model = get_model(job.model, **job.model_params)  # unknown model / bad params: fail early
    params = uncertain_parameters(job.scenario)
    n_blocks = len(block_ranges(job.draws))
    finished = dict(done or {})
    todo = [b for b in range(n_blocks) if b not in finished]
    todo_draws = sum(min(BLOCK_SIZE, job.draws - b * BLOCK_SIZE) for b in todo)
    if backend == "local" and executor is None and workers > 1:
        if min_draws_per_worker is None:
            workers = workers_for(job.model, todo_draws, workers, len(todo))
        else:
            workers = max(1, min(workers, len(todo), todo_draws // max(1, min_draws_per_worker)))
    if chunk_blocks is None:
        parallel = backend == "ray" or executor is not None or workers > 1
        slots = int(getattr(executor, "_max_workers", workers)) if executor else workers
        chunk_blocks = (
            min(MAX_CHUNK_BLOCKS, max(1, -(-len(todo) // (2 * slots)))) if parallel else 1
        )
    chunks = _chunks(todo, chunk_blocks)

    def report(part: list[BlockResult]) -> None:
        if on_blocks is not None:
            on_blocks(part)
        if progress is not None:
            progress(_draws_in(part))

    if progress is not None and finished:
        progress(_draws_in(list(finished.values())))
    if not chunks:
        results: list[BlockResult] = []
        workers = 1
    elif backend == "ray":
        # a model whose draws are separable has its blocks cut so every CPU gets work
        # (a few draws of a large spatial problem are one block, minutes of work)
        slices = None
        if type(model).separable_draws and len(todo) < 2 * workers:
            slices = split_blocks(job, todo, -(-2 * workers // len(todo)))
        results = _run_ray(job, chunks, workers, address, report, slices)
    elif backend == "local" and executor is not None:
        results = _collect(executor, job, chunks, report)
    elif backend == "local" and workers > 1 and len(chunks) > 1:
        results = _run_pool(job, chunks, workers, report)
    elif backend == "local":
        workers = 1
        results = []
        for chunk in chunks:
            part = run_blocks(job, chunk)
            results.extend(part)
            report(part)
    else:
        raise ValueError(f"unknown backend {backend!r} (expected local or ray)")

    results.extend(finished.values())
    results.sort(key=lambda r: r.block)
    if [r.block for r in results] != list(range(n_blocks)):
        raise RuntimeError("Monte Carlo run lost or duplicated blocks")  # pragma: no cover
    issues = tuple(i.id for i in job.scenario.issues)
    inputs = (
        np.concatenate([r.inputs for r in results], axis=0)
        if params
        else np.empty((job.draws, 0), dtype=np.float64)
    )
    return MonteCarloResult(
        job=job,
        parameters=params,
        issues=issues,
        inputs=inputs,
        outcome=np.concatenate([r.outcome for r in results], axis=0),
        model_parameters=model.get_params(),
        workers_used=(
            int(getattr(executor, "_max_workers", 1)) if executor is not None else workers
        ),
    )
