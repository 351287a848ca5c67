"""``detente cruxes --method shapley|switch``: the decision methods' output (JSON and tables).

The command itself is :func:`detente.cli.analysis.cruxes` (its default method, ``swap``, is
unchanged); this module runs and prints the methods of :mod:`detente.analysis.shapley` and
:mod:`detente.analysis.switchpoints` (docs/cruxes.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table

from detente.cli.common import Format, emit, out

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.analysis.outputs import OutputSpec
    from detente.analysis.shapley import ShapleyResult
    from detente.analysis.switchpoints import SwitchResult
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario

#: episodes per evaluation of the decision methods when --episodes is not given
DEFAULT_EPISODES = 200


def run_shapley(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    model: Model | None,
    draws: int | None,
    seed: int,
    episodes: int,
    max_evaluations: int,
    permutations: int | None,
    runner: Runner,
    fmt: Format,
) -> None:
    from detente.analysis.shapley import shapley

    result = shapley(
        loaded,
        wvs[0],
        wvs[1],
        spec,
        seed=seed,
        episodes=episodes,
        model=model,
        draws=draws,
        max_evaluations=max_evaluations,
        permutations=permutations,
        runner=runner,
    )
    if fmt is Format.json:
        emit(shapley_json(result), Format.json, indent=1)
        return
    att = result.attribution
    out.print(f"{result.scenario}: {result.measure}", markup=False)
    out.print(
        f"  {result.a}: {att.v_empty:+.4f}   {result.b}: {att.v_full:+.4f}   "
        f"difference {att.total:+.4f}",
        markup=False,
    )
    how = (
        f"exact over {att.evaluations} coalitions"
        if att.method == "exact"
        else f"{att.permutations} sampled orders, {att.evaluations} coalitions (± standard error)"
    )
    table = Table(title=f"Shapley shares of the difference ({how})", title_justify="left")
    for col, right in (("group", False), ("share", True), ("± se", True), ("of total", True)):
        table.add_column(col, justify="right" if right else "left")
    for row in result.rows():
        frac = row["fraction"]
        table.add_row(
            str(row["label"]),
            f"{row['share']:+.4f}",
            "" if att.method == "exact" else f"{row['se']:.4f}",
            "" if frac is None else f"{frac:.0%}",
        )
    out.print(table)
    out.print(
        f"shares sum to {float(att.shares.sum()):+.4f} (the difference); "
        f"{result.episodes} episodes on common random numbers, seed {result.seed}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)


def shapley_json(result: ShapleyResult) -> dict[str, Any]:
    att = result.attribution
    return {
        "scenario": result.scenario,
        "method": "shapley",
        "output": result.output.describe(),
        "measure": result.measure,
        "worldviews": [result.a, result.b],
        "value": {result.a: att.v_empty, result.b: att.v_full},
        "difference": att.total,
        "estimator": att.method,
        "evaluations": att.evaluations,
        "permutations": att.permutations,
        "episodes": result.episodes,
        "seed": result.seed,
        "shares": result.rows(),
        "notes": result.notes,
    }


def run_switch(
    loaded: LoadedScenario,
    wvs: list[str],
    spec: OutputSpec,
    *,
    threshold: float | None,
    model: Model | None,
    draws: int | None,
    seed: int,
    episodes: int,
    runner: Runner,
    fmt: Format,
) -> None:
    from detente.analysis.decision import readings
    from detente.analysis.switchpoints import switch_points

    paths: list[str] | None = None
    if len(wvs) == 2:
        rd = readings(loaded, wvs[0], wvs[1], spec, seed=seed, episodes=2, model=model)
        paths = [p for g in rd.groups for p in g.paths]
    results = [
        switch_points(
            loaded,
            wv,
            spec,
            paths=paths,
            threshold=threshold,
            seed=seed,
            episodes=episodes,
            model=model,
            draws=draws,
            runner=runner,
        )
        for wv in wvs
    ]
    if fmt is Format.json:
        emit(
            {
                "scenario": loaded.scenario.id,
                "method": "switch",
                "output": spec.describe(),
                "worldviews": wvs,
                "judgments": "differing" if paths is not None else "uncertain",
                "readings": [switch_json(r) for r in results],
            },
            Format.json,
            indent=1,
        )
        return
    for r in results:
        print_switch(r)


def switch_json(result: SwitchResult) -> dict[str, Any]:
    return {
        "worldview": result.worldview,
        "choice": result.choice,
        "margin": result.margin,
        "episodes": result.episodes,
        "seed": result.seed,
        "evaluations": result.evaluations,
        "switch_points": result.rows(),
        "notes": result.notes,
    }


def _side(sw: dict[str, Any] | None, word: str) -> str:
    if sw is None:
        return "never within its range"
    prob = "" if sw["probability"] is None else f", P = {sw['probability']:.2f}"
    return f"{word} {sw['at']:.4g} → {sw['to']} ({sw['distance']:+.3g}{prob})"


def print_switch(result: SwitchResult) -> None:
    out.print(
        f"{result.scenario} under {result.worldview}: {result.output.describe()} — "
        f"{result.choice} (margin {result.margin:+.3f})",
        markup=False,
    )
    table = Table(
        title="switch points (the others at the reading's values; P: the reading's probability "
        "of lying beyond)",
        title_justify="left",
    )
    for col in ("judgment", "value", "range", "if lower", "if higher"):
        table.add_column(col)
    for row in result.rows():
        table.add_row(
            str(row["label"]),
            f"{row['value']:.4g}",
            f"{row['low']:.4g}–{row['high']:.4g} ({row['range_from']})",
            _side(row["below"], "below"),  # type: ignore[arg-type]
            _side(row["above"], "above"),  # type: ignore[arg-type]
        )
    out.print(table)
    out.print(
        f"{result.evaluations} evaluations, {result.episodes} episodes on common random "
        f"numbers, seed {result.seed}",
        markup=False,
    )
    for note in result.notes:
        out.print(f"note: {note}", markup=False)
