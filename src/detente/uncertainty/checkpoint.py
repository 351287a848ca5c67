"""Finished blocks of a long run, kept as they finish, so that ``--resume`` can continue it.

A run writing ``--out DIR`` keeps its work in the hidden sibling ``.DIR.partial/``:

* ``manifest.json`` — what determines the numbers (the run's ``provenance.json`` content: the
  scenario's sha256, detente and library versions, model and parameters, seed, draws,
  worldview, sampling format) and its SHA-256, written before the first block;
* ``blocks/NNNNNN.npz`` — one file per finished block (its sampled inputs and forecasts, raw
  float64), each written to a temporary name and renamed into place (``os.replace``), so a
  block file is whole or absent even when the run is killed (SIGKILL) half-way through one;
* ``lock`` — held (``flock``) while a run writes, so two runs cannot write one folder.

``--resume`` reads the manifest, refuses a run whose inputs differ (naming each field that
differs and both values), loads the finished blocks and runs only the others. The blocks of a
run are computed independently of each other (:mod:`detente.uncertainty.runner`), so the
resumed result is the uninterrupted one, byte for byte. When the output is written the
``.partial`` folder is removed; an interrupted run (Ctrl-C, SIGTERM, SIGKILL) leaves it for
``--resume``. A run without ``--resume`` starts afresh, discarding any earlier partial run.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from detente.models.base import FloatArray

MANIFEST_FORMAT = 1


class CheckpointError(ValueError):
    """The partial run cannot be used (different inputs, another run writing, nothing there)."""


def canonical_sha256(data: Any) -> str:
    """SHA-256 of ``data`` as canonical JSON (sorted keys, no spaces)."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def differences(old: Mapping[str, Any], new: Mapping[str, Any], prefix: str = "") -> list[str]:
    """Every leaf field that differs between two manifests, as ``field (partial X, now Y)``."""
    out: list[str] = []
    for key in sorted(set(old) | set(new), key=lambda k: (k not in new, str(k))):
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(differences(a, b, f"{name}."))
        elif a != b:
            out.append(f"{name} (partial run {_short(a)}, this run {_short(b)})")
    return out


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def partial_dir(target: Path) -> Path:
    """Where a run writing ``target`` keeps its finished blocks."""
    return target.parent / f".{target.name}.partial"


class Checkpoint:
    """The finished blocks of one run (see the module docstring)."""

    def __init__(
        self, target: Path, key: dict[str, Any], *, resume: bool, what: str = "run"
    ) -> None:
        self.dir = partial_dir(target)
        self.blocks = self.dir / "blocks"
        self.key = key
        self._lock: IO[str] | None = None
        manifest = self.dir / "manifest.json"
        if resume:
            if not manifest.is_file():
                raise CheckpointError(
                    f"{target}: nothing to resume (no unfinished {what} in {self.dir.name}); "
                    "run without --resume"
                )
            self._take_lock(target)
            old = json.loads(manifest.read_text(encoding="utf-8"))
            diff = differences(old.get("key", {}), key)
            if diff:
                self._release()
                raise CheckpointError(
                    f"{target}: cannot resume: this {what}'s inputs differ from the unfinished "
                    f"one's: {'; '.join(diff)}; run without --resume to start afresh"
                )
        else:
            self.dir.mkdir(exist_ok=True)
            self._take_lock(target)
            for entry in self.dir.iterdir():
                if entry.name != "lock":
                    shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
            self._write_json(
                manifest,
                {"format": MANIFEST_FORMAT, "sha256": canonical_sha256(key), "key": key},
            )
        self.blocks.mkdir(exist_ok=True)

    def _take_lock(self, target: Path) -> None:
        fh = open(self.dir / "lock", "a+", encoding="utf-8")  # noqa: SIM115 - held for the run
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            raise CheckpointError(f"{target}: another run is writing it") from None
        self._lock = fh

    def _release(self) -> None:
        if self._lock is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    @staticmethod
    def _write_json(path: Path, data: Any) -> None:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def _path(self, block: int) -> Path:
        return self.blocks / f"{block:06d}.npz"

    def save(self, block: int, arrays: Mapping[str, FloatArray]) -> None:
        """Keep a finished block: written whole under a temporary name, then renamed."""
        tmp = self.blocks / f".{block:06d}.npz.tmp"
        with open(tmp, "wb") as fh:
            np.savez(fh, **{k: np.ascontiguousarray(v) for k, v in arrays.items()})  # type: ignore[arg-type]
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self._path(block))

    def load(
        self, n_blocks: int, check: Callable[[int, Mapping[str, FloatArray]], bool]
    ) -> dict[int, dict[str, FloatArray]]:
        """The finished blocks ``< n_blocks`` that ``check(block, arrays)`` accepts (a file that
        cannot be read or fails the check is run again)."""
        out: dict[int, dict[str, FloatArray]] = {}
        for b in range(n_blocks):
            path = self._path(b)
            if not path.is_file():
                continue
            try:
                with np.load(path, allow_pickle=False) as data:
                    arrays = {k: np.asarray(data[k], dtype=np.float64) for k in data.files}
            except (OSError, ValueError, EOFError):
                continue
            if check(b, arrays):
                out[b] = arrays
        return out

    def kept(self) -> int:
        """How many block files are kept."""
        return sum(1 for p in self.blocks.glob("*.npz")) if self.blocks.is_dir() else 0

    def finish(self) -> None:
        """The output is written: remove the partial run."""
        self._release()
        shutil.rmtree(self.dir, ignore_errors=True)

    def close(self) -> None:
        """Stop writing, keeping the finished blocks (an interrupted run)."""
        self._release()
