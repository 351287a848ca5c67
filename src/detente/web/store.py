"""The scenarios folder: files are reached by *name* (a stem in the folder listing), never by path.

A name is accepted only when it is exactly the stem of a ``*.yaml`` / ``*.yml`` file directly
inside the folder, so ``../``, absolute paths, backslashes and encoded variants can never name
anything else: they are simply not in the listing. A symbolic link in the folder is listed and
served when it resolves to a regular file inside the folder (a second name for a scenario of
it), and is left out otherwise (a link to a file elsewhere, or a broken one): the listing and
the lookup use the same rule, so a name listed is always served.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario
from detente.scenario.yamlsafe import MAX_FILE_BYTES
from detente.web.whatif import Checked, DocumentCache

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
    #: the document read and checked (None when the file could not be read as YAML)
    checked: Checked | None = None


class ScenarioStore:
    """Read-only access, by name, to the scenario files of one folder (each file read and
    validated once, again when its modification time or size changes)."""

    def __init__(self, folder: Path, documents: DocumentCache | None = None) -> None:
        self.folder = folder.resolve()
        self.documents = documents
        self._cache: dict[str, tuple[tuple[str, int, int], StoredScenario]] = {}
        self._lock = threading.Lock()

    def _inside(self, p: Path) -> Path | None:
        """``p`` resolved, when it is a regular file inside the folder (links followed)."""
        try:
            target = p.resolve(strict=True)
        except (OSError, RuntimeError):  # broken link, loop
            return None
        if not target.is_relative_to(self.folder) or not target.is_file():
            return None
        return target

    def names(self) -> list[str]:
        """Stems of the scenario files directly inside the folder, sorted."""
        out = []
        for p in self.folder.iterdir():
            if p.suffix in SUFFIXES and _NAME.match(p.stem) and self._inside(p) is not None:
                out.append(p.stem)
        return sorted(set(out))

    def _path(self, name: str) -> Path:
        if not isinstance(name, str) or not _NAME.match(name):
            raise UnknownScenarioError(f"no scenario named {name!r}")
        for suffix in SUFFIXES:
            p = self.folder / f"{name}{suffix}"
            target = self._inside(p)
            if target is not None:
                return target
        raise UnknownScenarioError(f"no scenario named {name!r}")

    def get(self, name: str) -> StoredScenario:
        """The named scenario, validated as ``detente validate`` would (its file name, the
        link's when it is a link, in messages)."""
        path = self._path(name)
        shown = next(
            f"{name}{sfx}" for sfx in SUFFIXES if self._inside(self.folder / f"{name}{sfx}")
        )
        try:
            st = path.stat()
        except OSError:  # pragma: no cover - removed between the lookup and here
            raise UnknownScenarioError(f"no scenario named {name!r}") from None
        key = (str(path), st.st_mtime_ns, st.st_size)
        with self._lock:
            hit = self._cache.get(name)
            if hit is not None and hit[0] == key:
                return hit[1]
        if st.st_size > MAX_FILE_BYTES:
            err = InputError.single(shown, f"file is larger than {MAX_FILE_BYTES} bytes")
            stored = StoredScenario(name, "", None, err)
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
            stored = self._check(name, text, shown)
        with self._lock:
            self._cache[name] = (key, stored)
        return stored

    def _check(self, name: str, text: str, shown: str) -> StoredScenario:
        from detente.strategy.checks import check_strategies
        from detente.web.whatif import check_text

        try:
            checked = (
                self.documents.get(text, shown)
                if self.documents is not None
                else check_text(text, shown, (check_strategies,))
            )
        except InputError as exc:
            return StoredScenario(name, text, None, exc)
        if checked.loaded is None:
            return StoredScenario(name, text, None, InputError(checked.diagnostics), checked)
        return StoredScenario(name, text, checked.loaded, None, checked)
