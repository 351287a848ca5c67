"""What one request may cost the explorer, and who waits for the CPU (issue 21, item 5).

:class:`Limits` holds every bound (docs/web.md lists them with their values; ``detente serve
--limit NAME=VALUE`` changes one). A request over a bound is refused before the work starts:
413 for a text too large, 422 for a question too costly (:class:`TooCostly`), 429 with
``Retry-After`` when this client already has its share of the CPU queue or of the background
jobs, 503 with ``Retry-After`` when the whole queue is full (:class:`Busy`).

:class:`Gate` runs the CPU work of a request (reading and validating YAML, what-if edits,
forecasts, cruxes) on a small *thread* pool, off the event loop, so the server keeps answering
(health, listing, job polls) while it computes. Threads, not processes: the work reads the
shared caches (a scenario read once, a what-if validated incrementally against the document of
the previous answer) that a process pool would have to copy or re-read in each worker, and each
request's answer (the scenario view and its YAML, ~120 KB for the Korea case) would have to be
pickled back; with the incremental what-if a request costs a few milliseconds of CPU, of the
order of that transfer. A process pool would let pure-Python work use a second core despite the
GIL, but this project's machine has two cores shared with other work, and numpy/scipy release
the GIL in the models anyway. The queue is bounded in total and per client.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Any, TypeVar

T = TypeVar("T")

#: the client a request comes from (set by the application's middleware)
CLIENT: contextvars.ContextVar[str] = contextvars.ContextVar("detente_client", default="-")


@dataclass(frozen=True)
class Limits:
    """Every bound of the explorer. Values are the defaults; docs/web.md explains each."""

    #: largest request body, bytes (413)
    body_bytes: int = 1024 * 1024
    #: largest scenario text in a request or an upload, bytes (413)
    yaml_bytes: int = 512 * 1024
    #: most YAML nodes a scenario text may hold, estimated before it is read (422)
    yaml_nodes: int = 60_000
    #: most actors of a scenario the explorer computes with (422)
    actors: int = 100
    #: most issues (422)
    issues: int = 50
    #: most Monte Carlo draws x uncertain numbers in one job (422); bounds its memory
    mc_cells: int = 2_500_000
    #: most strategy-game episodes x strategies in one strategies job (422)
    game_episodes: int = 500_000
    #: most episodes per evaluation of a crux panel job (422)
    panel_episodes: int = 400
    #: largest Shapley budget (coalitions per scorecard) of a crux panel job (422)
    panel_evaluations: int = 128
    #: most strategy plays (episodes x strategies x evaluations, an upper estimate) of a crux
    #: panel job (422)
    panel_plays: int = 3_000_000
    #: threads computing requests at once
    cpu_workers: int = 2
    #: requests waiting for those threads, in total (503 beyond)
    cpu_queue: int = 64
    #: requests one client may have waiting or running (429 beyond)
    cpu_per_client: int = 16
    #: background jobs queued or running, in total (429 beyond)
    jobs_total: int = 8
    #: background jobs queued or running for one client (429 beyond)
    jobs_per_client: int = 2
    #: checked documents kept for the next what-if (by file name and text hash)
    documents_cached: int = 16

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    def with_values(self, settings: dict[str, int]) -> Limits:
        """A copy with some bounds changed (ValueError naming an unknown one or a bad value)."""
        known = self.names()
        for name, value in settings.items():
            if name not in known:
                raise ValueError(f"unknown limit {name!r} (expected one of: {', '.join(known)})")
            if value < 1:
                raise ValueError(f"limit {name} must be >= 1 (got {value})")
        return replace(self, **settings)


class TooCostly(Exception):
    """A request refused before any work: ``status`` 413 or 422, with the bound it exceeds."""

    def __init__(self, status: int, detail: str, limit: str, value: int, maximum: int) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.limit = limit
        self.value = value
        self.maximum = maximum


class Busy(Exception):
    """The CPU queue or the job limits are full: ``status`` 429 (this client) or 503 (all)."""

    def __init__(self, status: int, detail: str, retry_after: int) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after


def estimate_nodes(text: str) -> int:
    """An upper estimate of the YAML nodes in ``text``, counted without reading it: every
    node but a document's first is introduced by a line, a ``,``, a ``:``, a ``- `` or an
    opening bracket (an alias ``*a`` counts one; the reader itself bounds what it expands)."""
    return (
        text.count("\n")
        + text.count(",")
        + text.count(":")
        + text.count("[")
        + text.count("{")
        + text.count("- ")
        + 1
    )


def check_text_cost(text: str, limits: Limits) -> None:
    """Refuse a scenario text too large to read (413) or with too many nodes (422)."""
    size = len(text.encode("utf-8"))
    if size > limits.yaml_bytes:
        raise TooCostly(
            413,
            f"the scenario text is {size} bytes; the explorer reads at most "
            f"{limits.yaml_bytes} (limit yaml_bytes)",
            "yaml_bytes",
            size,
            limits.yaml_bytes,
        )
    nodes = estimate_nodes(text)
    if nodes > limits.yaml_nodes:
        raise TooCostly(
            422,
            f"the scenario text has about {nodes} YAML nodes; the explorer reads at most "
            f"{limits.yaml_nodes} (limit yaml_nodes)",
            "yaml_nodes",
            nodes,
            limits.yaml_nodes,
        )


def check_size(raw: Any, limits: Limits) -> None:
    """Refuse a document with more actors or issues than the explorer computes with (422)."""
    if not isinstance(raw, dict):
        return
    for name, bound in (("actors", limits.actors), ("issues", limits.issues)):
        items = raw.get(name)
        if isinstance(items, list) and len(items) > bound:
            raise TooCostly(
                422,
                f"the scenario has {len(items)} {name}; the explorer computes with at most "
                f"{bound} (limit {name})",
                name,
                len(items),
                bound,
            )


def check_product(what: str, value: int, bound: int, limit: str, hint: str) -> None:
    """Refuse a job whose size ``value`` (a product such as draws x uncertain numbers) is
    over ``bound`` (422)."""
    if value > bound:
        detail = f"{what} is {value:,}; at most {bound:,} ({hint}; limit {limit})"
        raise TooCostly(422, detail, limit, value, bound)


class Gate:
    """Admission to a bounded thread pool: at most ``cpu_workers`` requests compute at once,
    ``cpu_queue`` wait, and one client holds at most ``cpu_per_client`` of these places, so one
    client cannot fill the queue and lock the others out."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._per_client: Counter[str] = Counter()
        self._total = 0

    @property
    def pending(self) -> int:
        """Requests computing or waiting."""
        return self._total

    async def run(self, fn: Callable[[], T]) -> T:
        client = CLIENT.get()
        lim = self.limits
        with self._lock:
            if self._per_client[client] >= lim.cpu_per_client:
                raise Busy(
                    429,
                    f"this client already has {lim.cpu_per_client} requests waiting or running "
                    "(limit cpu_per_client)",
                    1,
                )
            if self._total >= lim.cpu_workers + lim.cpu_queue:
                raise Busy(
                    503,
                    f"{self._total} requests are already waiting or running "
                    "(limits cpu_workers + cpu_queue)",
                    1,
                )
            self._per_client[client] += 1
            self._total += 1
            if self._pool is None:  # first use, or after a shutdown (an application restarted)
                self._pool = ThreadPoolExecutor(lim.cpu_workers, thread_name_prefix="detente-cpu")
            pool = self._pool
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, contextvars.copy_context().run, fn)
        finally:
            with self._lock:
                self._total -= 1
                self._per_client[client] -= 1
                if self._per_client[client] <= 0:
                    del self._per_client[client]

    def shutdown(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
