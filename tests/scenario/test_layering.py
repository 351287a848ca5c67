"""The scenario package is a ground floor: it imports nothing from the floors above it.

The format (schema, game, paths, loading, validation, importers) may use only itself and
``detente.models``; the strategy registry's checks reach the loader as an argument
(``game_checks``), never by an import. Every import statement counts, wherever it stands
(module level, inside a function, under ``TYPE_CHECKING``), and so does ``importlib``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import detente.scenario

SCENARIO = Path(detente.scenario.__file__).resolve().parent
UPPER = ("strategy", "analysis", "uncertainty", "report", "web", "cli")


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports, as (line, absolute dotted name)."""
    package = "detente.scenario"
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            out.append((node.lineno, module))
            out.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    return out


def upward(module: str) -> bool:
    return any(module == f"detente.{p}" or module.startswith(f"detente.{p}.") for p in UPPER)


def test_the_walker_sees_imports() -> None:
    found = {m for _, m in imported_modules(SCENARIO / "schema.py")}
    assert "detente.scenario.quantity" in found
    assert "detente.scenario.game.GameSpec" in found
    assert upward("detente.strategy.checks") and not upward("detente.scenario.game")


def test_scenario_imports_nothing_from_upper_floors() -> None:
    files = sorted(SCENARIO.rglob("*.py"))
    assert len(files) >= 10
    bad = [
        f"{path.relative_to(SCENARIO)}:{line}: {module}"
        for path in files
        for line, module in imported_modules(path)
        if upward(module) or module.split(".")[0] == "importlib"
    ]
    assert bad == []
