"""One episode builder: the same scenario, seed and episode count give the same number in
``detente strategies``, ``compare --strategies``, ``cruxes`` and the report.

Every path plays :func:`detente.strategy.simulate.build_episodes`; the check is on the synthetic
minimal game (``tests/strategy/data/minimal-game.yaml``), with a worldview and on the base case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from detente.analysis.compare import compare, compare_strategies
from detente.analysis.cruxes import find_cruxes
from detente.analysis.outputs import OutputSpec, parse_output
from detente.cli import app
from detente.scenario.load import load_scenario, with_worldview

MINIMAL = Path(__file__).resolve().parents[1] / "strategy" / "data" / "minimal-game.yaml"
SEED, EPISODES = 3, 300
METRIC, STRATEGY = "p_talks_12m", "peace_first"


def _cli_value(worldview: str | None) -> float:
    args = ["strategies", str(MINIMAL), "--seed", str(SEED), "--episodes", str(EPISODES)]
    args += ["--format", "json"] + (["--worldview", worldview] if worldview else [])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)["rows"]
    (value,) = [
        r["mean"]
        for r in rows
        if r["strategy"] == STRATEGY and r["type"] == "mix" and r["metric"] == METRIC
    ]
    return float(value)


def _report_values(worldviews: list[str]) -> dict[str, Any]:
    """The report's strategy heat map for METRIC: {(worldview, type): {strategy: value}}."""
    from detente.report import data, html

    class Capture:
        def __init__(self) -> None:
            self.figs: list[Any] = []

        def div(self, fig: Any, height: int | None = None) -> str:
            self.figs.append(fig)
            return ""

    figs = Capture()
    opts = data.ReportOptions(worldviews=worldviews, seed=SEED, episodes=EPISODES)
    loaded = load_scenario(MINIMAL)
    scenarios = {wv: with_worldview(loaded, wv) for wv in worldviews}
    for heat in data.strategy_heats(loaded, scenarios, worldviews, opts) or []:
        html._strategy_figure(heat, EPISODES, figs)  # type: ignore[arg-type]
    (heat,) = [f for f in figs.figs if METRIC in f.layout.title.text]
    trace = heat.data[0]
    out: dict[str, Any] = {}
    for i, strategy in enumerate(trace.y):
        for j, col in enumerate(trace.x):
            out.setdefault(tuple(col.split("<br>")), {})[strategy] = float(trace.z[i][j])
    return out


def test_every_command_plays_the_same_episodes_for_a_worldview() -> None:
    loaded = load_scenario(MINIMAL)
    strategies = _cli_value("hopeful")
    views = ["hopeful", "wary"]
    table, _ = compare_strategies(
        {wv: with_worldview(loaded, wv) for wv in views}, views, SEED, EPISODES
    )
    row = table[
        (table.worldview == "hopeful")
        & (table.strategy == STRATEGY)
        & (table.type == "mix")
        & (table.metric == METRIC)
    ]
    compared = float(row["mean"].iloc[0])
    cmd = compare(
        loaded, ["hopeful", "wary"], draws=20, seed=SEED, strategies=True, episodes=EPISODES
    )
    st = cmd.strategies
    via_compare = float(
        st[
            (st.worldview == "hopeful")
            & (st.strategy == STRATEGY)
            & (st.type == "mix")
            & (st.metric == METRIC)
        ]["mean"].iloc[0]
    )
    output = OutputSpec("strategy", metric=METRIC, strategy_a=STRATEGY)
    crux = find_cruxes(loaded, "hopeful", "wary", output, seed=SEED, episodes=EPISODES)
    reported = _report_values(["hopeful", "wary"])[("hopeful", "mix")][STRATEGY]
    assert strategies == compared == via_compare == crux.score_a == reported
    # and the worldviews do differ, so the equality is not that of a constant
    other = float(
        table[
            (table.worldview == "wary")
            & (table.strategy == STRATEGY)
            & (table.type == "mix")
            & (table.metric == METRIC)
        ]["mean"].iloc[0]
    )
    assert other != compared
    assert crux.score_b == pytest.approx(other)


def test_every_command_plays_the_same_episodes_on_the_base_case() -> None:
    loaded = load_scenario(MINIMAL)
    ranking = find_cruxes(
        loaded,
        "hopeful",
        "wary",
        parse_output("strategies", loaded.scenario),
        seed=SEED,
        episodes=EPISODES,
    )
    assert ranking.notes[0].startswith("hopeful's ranking: ")
    reported = _report_values([])[("base", "mix")][STRATEGY]
    assert _cli_value(None) == reported
    # the crux finder's rankings are the same numbers, to the three decimals it prints
    crux_rank = dict(
        (k, float(v))
        for k, v in (part.rsplit(" ", 1) for part in ranking.notes[0].split(": ", 1)[1].split(", "))
    )
    assert crux_rank[STRATEGY] == round(_cli_value("hopeful"), 3)
