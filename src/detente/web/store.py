"""The scenarios folder: files are reached by *name* (a stem in the folder listing), never by path.

A name is accepted only when it is exactly the stem of a ``*.yaml`` / ``*.yml`` file directly
inside the folder, so ``../``, absolute paths, backslashes and encoded variants can never name
anything else: they are simply not in the listing.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario
from detente.scenario.yamlsafe import MAX_FILE_BYTES

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
SUFFIXES = (".yaml", ".yml")


class ScenarioStoreError(ValueError):
    """The scenarios folder cannot be used (message says why)."""


class UnknownScenarioError(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def find_scenarios_dir(explicit: Path | None = None) -> Path:
    """``explicit``, else ``./scenarios`` when it exists, else the repository's ``scenarios/``."""
    if explicit is not None:
        if not explicit.is_dir():
            raise ScenarioStoreError(f"scenarios folder {explicit} does not exist")
        return explicit.resolve()
    candidates = [Path.cwd() / "scenarios", Path(__file__).resolve().parents[3] / "scenarios"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate.resolve()
    raise ScenarioStoreError(
        "no scenarios folder found (looked in ./scenarios and next to the package); "
        "pass --scenarios DIR"
    )


@dataclass(frozen=True)
class StoredScenario:
    """One file of the folder: its text and the validation result (scenario or errors)."""

    name: str
    text: str
    loaded: LoadedScenario | None
    error: InputError | None


class ScenarioStore:
    """Read-only access, by name, to the scenario files of one folder (cached by mtime)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self._cache: dict[str, tuple[tuple[int, int], StoredScenario]] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Stems of the scenario files directly inside the folder, sorted."""
        out = []
        for p in self.folder.iterdir():
            if p.suffix in SUFFIXES and p.is_file() and _NAME.match(p.stem):
                out.append(p.stem)
        return sorted(set(out))

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name) or name not in self.names():
            raise UnknownScenarioError(f"no scenario named {name!r}")
        for suffix in SUFFIXES:
            p = self.folder / f"{name}{suffix}"
            if p.is_file() and p.resolve().parent == self.folder:
                return p
        raise UnknownScenarioError(f"no scenario named {name!r}")  # pragma: no cover

    def get(self, name: str) -> StoredScenario:
        """The named scenario, validated as ``detente validate`` would (``name`` in messages)."""
        path = self._path(name)
        st = path.stat()
        key = (st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
        if st.st_size > MAX_FILE_BYTES:
            err = InputError.single(path.name, f"file is larger than {MAX_FILE_BYTES} bytes")
            stored = StoredScenario(name, "", None, err)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            from detente.web.service import validate_text

            loaded, diags = validate_text(text, path.name)
            error = None if loaded is not None else InputError(diags)
            stored = StoredScenario(name, text, loaded, error)
        with self._lock:
            self._cache[name] = (key, stored)
        return stored
