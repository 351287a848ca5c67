"""The import graph of ``src/detente`` points only down.

Floors, from the ground up (a package may import its own floor and any floor below it)::

    models                      Problem and the forecasting models (the ground floor: a Problem
                                is plain arrays, so models know no file format)
    scenario                    the file format, owned whole; reads files into Problems
    uncertainty                 sampling (the one owner of randomness), Monte Carlo runner
    strategy                    the game; draws its episodes from uncertainty's streams
    analysis                    compare, sensitivity, cruxes, backtest, scoring
    report, web                 the faces: render what analysis computes (apart from each other)
    cli                         the one front door

Every ``import`` and ``from … import`` in every module is read with :mod:`ast` (also those inside
functions, which a lazy import hides from a module-level graph, and ``importlib.import_module``
calls with a literal name), so a back-up import fails here whether or not it runs at start-up.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "detente"

#: package -> floor; a module may import detente.X only when FLOOR[X] <= its own floor
FLOOR: dict[str, int] = {
    "models": 0,
    "scenario": 1,
    "uncertainty": 2,
    "strategy": 3,
    "analysis": 4,
    "report": 5,
    "web": 5,
    "cli": 6,
}
#: packages on one floor that must not import each other
SIBLINGS_APART = {frozenset({"report", "web"})}


def _package_of(path: Path) -> str | None:
    rel = path.relative_to(SRC).parts
    return rel[0] if len(rel) > 1 else None


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import: resolve against this module's package
                base = list(path.relative_to(SRC.parent).with_suffix("").parts)[: -node.level]
                found.append((node.lineno, ".".join([*base, node.module or ""]).rstrip(".")))
            elif node.module:
                found.append((node.lineno, node.module))
        elif (  # importlib.import_module("detente.x"): an import a module-level graph hides
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.lineno, node.args[0].value))
    return [(line, name) for line, name in found if name.split(".")[0] == "detente"]


def test_every_package_has_a_floor() -> None:
    packages = {p.name for p in SRC.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(FLOOR), "a new package needs a floor in FLOOR (and in this docstring)"


def _violations() -> list[str]:
    bad: list[str] = []
    for path in sorted(SRC.rglob("*.py")):
        own = _package_of(path)
        if own is None:  # detente/__init__.py, __main__.py: the top may import anything
            continue
        for line, name in _imports(path):
            parts = name.split(".")
            if len(parts) < 2 or parts[1] not in FLOOR:
                continue  # `import detente`, `from detente import __version__`
            other = parts[1]
            where = f"{path.relative_to(SRC.parent)}:{line}: imports {name}"
            if FLOOR[other] > FLOOR[own]:
                bad.append(f"{where} (floor {FLOOR[other]} above {own}'s {FLOOR[own]})")
            elif other != own and frozenset({own, other}) in SIBLINGS_APART:
                bad.append(f"{where} ({own} and {other} are siblings kept apart)")
    return bad


def test_imports_point_only_down() -> None:
    bad = _violations()
    assert not bad, "imports that run up the house:\n" + "\n".join(bad)


def test_the_checker_sees_a_back_up_import(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The walker itself: an upward import written inside a function is found."""
    fake = tmp_path / "detente"
    (fake / "models").mkdir(parents=True)
    (fake / "analysis").mkdir()
    for pkg in ("", "models", "analysis"):
        (fake / pkg / "__init__.py").write_text("")
    (fake / "models" / "m.py").write_text(
        "import importlib\n\ndef f():\n    from detente.analysis import x\n"
        "    importlib.import_module('detente.analysis.y')\n"
    )
    monkeypatch.setattr(__import__(__name__), "SRC", fake)
    found = _violations()
    assert any("models/m.py:4" in v for v in found)
    assert any("models/m.py:5" in v for v in found)
