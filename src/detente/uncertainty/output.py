"""Writing a Monte Carlo run to a directory, deterministically and atomically.

Files (``--out DIR``):

* ``draws.parquet``: ``draw`` (int64), ``issue`` (string), ``forecast`` (float64); one row per
  draw and issue, draw-major, issues in scenario order.
* ``inputs.parquet``: ``draw`` and one float64 column per uncertain parameter, named by its
  scenario path, in sampling order.
* ``provenance.json``: what determines the numbers — scenario sha256, detente and library
  versions, model and parameters, seed, draws, worldview, block size and sampling format, the
  parameters sampled. Byte-identical for the same command and seed.
* ``run.json``: how this run was executed (backend, workers, address, timing). Allowed to
  differ between runs; kept apart so that ``provenance.json`` does not.

Determinism: tables are built directly in Arrow (no pandas index metadata), rows in a fixed
order, one fixed compression codec and row-group size, JSON with a fixed key order.

Atomicity: everything is written into a hidden temporary sibling directory
(``.DIR.partial-<pid>``) on the same file system and renamed to ``DIR`` at the end; an
interrupted run removes its temporary directory, and even a killed one (SIGKILL) leaves ``DIR``
untouched. If ``DIR`` exists and is empty the rename replaces it; if it holds an earlier run's
files it is swapped out and removed after the new one is in place.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from detente.uncertainty.runner import MonteCarloResult

#: Parquet writer options: fixed, so the bytes depend on the data only
PARQUET_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "compression_level": 3,
    "row_group_size": 1 << 20,
    "use_dictionary": True,
    "write_statistics": True,
    "version": "2.6",
}
#: files a run writes; a directory holding only these (or nothing) may be replaced
OUTPUT_FILES = ("draws.parquet", "inputs.parquet", "provenance.json", "run.json")


class OutputError(ValueError):
    """The output directory cannot be used; message says why."""


def draws_table(result: MonteCarloResult) -> pa.Table:
    d, k = result.outcome.shape
    return pa.table(
        {
            "draw": pa.array(np.repeat(np.arange(d, dtype=np.int64), k), type=pa.int64()),
            "issue": pa.array(list(result.issues) * d, type=pa.string()),
            "forecast": pa.array(result.outcome.reshape(-1), type=pa.float64()),
        }
    )


def inputs_table(result: MonteCarloResult) -> pa.Table:
    d = result.inputs.shape[0]
    columns: dict[str, pa.Array] = {"draw": pa.array(np.arange(d, dtype=np.int64))}
    for p, param in enumerate(result.parameters):
        columns[param.path] = pa.array(np.ascontiguousarray(result.inputs[:, p]), type=pa.float64())
    return pa.table(columns)


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_OPTIONS)


def write_json(data: Any, path: Path) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


class AtomicDir:
    """A temporary directory that becomes ``target`` on :meth:`commit`, or vanishes.

    Created eagerly so that an unusable output location fails before a long run, not after.
    Use as a context manager: leaving the block without ``commit`` (an error, Ctrl-C, SIGTERM
    turned into an exception) removes the temporary directory. ``files``: the names a run of
    this kind writes (default a Monte Carlo run's); a ``target`` holding any other is refused.
    """

    def __init__(self, target: Path, files: tuple[str, ...] = OUTPUT_FILES) -> None:
        self.target = target
        if target.exists() and not target.is_dir():
            raise OutputError(f"{target}: exists and is not a directory")
        if target.is_dir():
            foreign = sorted(p.name for p in target.iterdir() if p.name not in files)
            if foreign:
                raise OutputError(
                    f"{target}: directory holds files that are not a detente run "
                    f"({', '.join(foreign[:3])}); choose an empty or new directory"
                )
        parent = target.parent
        if not parent.is_dir():
            raise OutputError(f"{target}: parent directory {parent} does not exist")
        self.tmp = parent / f".{target.name}.partial-{os.getpid()}"
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        try:
            self.tmp.mkdir()
        except OSError as exc:
            raise OutputError(f"{target}: cannot create output: {exc.strerror}") from None
        self.committed = False

    def commit(self) -> None:
        """Move the finished temporary directory into place."""
        target = self.target
        if target.is_dir() and any(target.iterdir()):
            old = target.parent / f".{target.name}.old-{os.getpid()}"
            os.rename(target, old)
            os.rename(self.tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(self.tmp, target)  # replaces an empty directory atomically (POSIX)
        self.committed = True

    def discard(self) -> None:
        if not self.committed:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self) -> AtomicDir:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()


def write_run(
    out: AtomicDir,
    result: MonteCarloResult,
    provenance: dict[str, Any],
    run_info: dict[str, Any],
) -> None:
    """Write every file into ``out``'s temporary directory, then commit."""
    write_parquet(draws_table(result), out.tmp / "draws.parquet")
    write_parquet(inputs_table(result), out.tmp / "inputs.parquet")
    write_json(provenance, out.tmp / "provenance.json")
    write_json(run_info, out.tmp / "run.json")
    out.commit()
