"""Background jobs: long runs (Monte Carlo, strategies) with progress, cancel and a result cache.

Jobs run on a small thread pool. A job's work function receives a ``progress(share)`` callback;
once the job is cancelled that callback raises :class:`JobCancelled`, so the work stops at its
next progress report (Monte Carlo: after each block of draws; strategies: after each strategy).
Results are cached by the question's key — scenario hash, kind, model, parameters, seed — so
asking the same question again returns the stored answer at once, and asking it while it is
still running returns the running job.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Literal

from detente.scenario.errors import InputError

log = logging.getLogger("detente.web")

Status = Literal["queued", "running", "done", "failed", "cancelled"]
Work = Callable[[Callable[[float], None]], dict[str, Any]]


class JobCancelled(Exception):
    """Raised inside a job's work when the job has been cancelled."""


class JobQueueFull(RuntimeError):
    """Too many jobs are waiting or running, in total or for one client; try again later."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class JobState:
    id: str
    kind: str
    key: str
    status: Status = "queued"
    progress: float = 0.0
    cached: bool = False
    client: str = "-"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    diagnostics: list[dict[str, Any]] = field(default_factory=list)
    cancel_event: threading.Event = field(default_factory=threading.Event)

    def to_json(self, with_result: bool = True) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "key": self.key,
            "status": self.status,
            "progress": round(self.progress, 4),
            "cached": self.cached,
            "error": self.error,
            "diagnostics": self.diagnostics,
            "result": self.result if with_result else None,
        }


class JobManager:
    """Runs jobs on ``workers`` threads; remembers the last ``keep`` jobs and cached results.

    At most ``max_pending`` jobs are queued or running, and at most ``per_client`` of them for
    one client (:class:`JobQueueFull` beyond: the application answers 429 with Retry-After), so
    one client cannot take every place. A cached answer, or a question already running, never
    counts against these."""

    def __init__(
        self, workers: int = 1, max_pending: int = 8, keep: int = 200, per_client: int = 2
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="detente-job")
        self._jobs: OrderedDict[str, JobState] = OrderedDict()
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pending = max_pending
        self.per_client = per_client
        self.keep = keep
        self.computed = 0  #: how many jobs actually ran their work (not served from cache)

    def submit(self, kind: str, key: str, work: Work, client: str = "-") -> JobState:
        """A job answering ``key``: cached, already running, or newly queued for ``client``."""
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                job = JobState(
                    id=uuid.uuid4().hex,
                    kind=kind,
                    key=key,
                    status="done",
                    progress=1.0,
                    cached=True,
                    result=self._cache[key],
                    finished=time.time(),
                )
                self._remember(job)
                return job
            for job in self._jobs.values():
                if job.key == key and job.status in ("queued", "running"):
                    return job
            active = [j for j in self._jobs.values() if j.status in ("queued", "running")]
            mine = sum(1 for j in active if j.client == client)
            if mine >= self.per_client:
                raise JobQueueFull(
                    f"this client already has {mine} jobs waiting or running "
                    "(limit jobs_per_client)"
                )
            if len(active) >= self.max_pending:
                raise JobQueueFull(
                    f"{len(active)} jobs are already waiting or running (limit jobs_total)"
                )
            job = JobState(id=uuid.uuid4().hex, kind=kind, key=key, client=client)
            self._remember(job)
        self._pool.submit(self._run, job, work)
        return job

    def _remember(self, job: JobState) -> None:
        self._jobs[job.id] = job
        while len(self._jobs) > self.keep:
            oldest = next(iter(self._jobs))
            if self._jobs[oldest].status in ("queued", "running"):
                break
            del self._jobs[oldest]

    def _run(self, job: JobState, work: Work) -> None:
        if job.cancel_event.is_set():
            return

        def progress(share: float) -> None:
            if job.cancel_event.is_set():
                raise JobCancelled
            job.progress = max(job.progress, min(1.0, float(share)))

        job.status = "running"
        try:
            with self._lock:
                self.computed += 1
            result = work(progress)
        except JobCancelled:
            job.status = "cancelled"
        except InputError as exc:
            job.status = "failed"
            job.error = "bad input"
            from detente.web.service import diagnostics_json

            job.diagnostics = diagnostics_json(exc.diagnostics)
        except ValueError as exc:
            job.status = "failed"
            job.error = str(exc)
        except Exception:
            log.exception("job %s (%s) failed", job.id, job.kind)
            job.status = "failed"
            job.error = "internal error (logged on the server)"
        else:
            if job.cancel_event.is_set():
                job.status = "cancelled"
            else:
                with self._lock:
                    self._cache[job.key] = result
                    while len(self._cache) > self.keep:
                        self._cache.popitem(last=False)
                job.result = result
                job.progress = 1.0
                job.status = "done"
        finally:
            job.finished = time.time()

    def get(self, job_id: str) -> JobState | None:
        with self._lock:
            return self._jobs.get(job_id)

    def cancel(self, job_id: str) -> JobState | None:
        """Ask a job to stop (a finished job is left as it is)."""
        job = self.get(job_id)
        if job is None:
            return None
        if job.status in ("queued", "running"):
            job.cancel_event.set()
            if job.status == "queued":
                job.status = "cancelled"
                job.finished = time.time()
        return job

    def list(self) -> list[JobState]:
        with self._lock:
            return list(self._jobs.values())

    def shutdown(self) -> None:
        for job in self.list():
            job.cancel_event.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
