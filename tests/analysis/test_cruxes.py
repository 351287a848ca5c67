"""Crux finder on constructed scenarios where the deciding assumptions are known."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from detente.analysis.cruxes import find_cruxes, judgment_units, worldview_differences
from detente.analysis.outputs import OutputSpec
from detente.cli import app
from detente.scenario.load import LoadedScenario, load_scenario
from detente.scenario.schema import Scenario


def _q(value: float, why: str) -> dict[str, object]:
    return {"value": value, "assumption": why}


def three_actor_yaml(tmp_path: Path, worldviews: list[dict[str, object]]) -> Path:
    """Three actors on one 0–100 issue; under the compromise model the forecast is
    (Σ capability·salience·position) / (Σ capability·salience) = 50 at the base values."""
    actors = []
    for ident, pos in (("a", 0.0), ("b", 100.0), ("c", 50.0)):
        actors.append(
            {
                "id": ident,
                "name": f"Actor {ident.upper()}",
                "capability": _q(1.0, "equal weights"),
                "stances": {
                    "deal": {
                        "position": {
                            "dist": "triangular",
                            "low": max(pos - 10, 0),
                            "mode": pos,
                            "high": min(pos + 10, 100),
                            "assumption": "constructed",
                        }
                        if ident == "c"
                        else _q(pos, "constructed"),
                        "salience": _q(1.0, "constructed"),
                    }
                },
            }
        )
    doc = {
        "detente": 1,
        "id": "constructed",
        "title": "Constructed crux test",
        "issues": [
            {
                "id": "deal",
                "label": "The deal",
                "scale": {"min": 0, "max": 100, "anchors": {0: "none", 100: "all"}},
            }
        ],
        "actors": actors,
        "worldviews": worldviews,
    }
    path = tmp_path / "constructed.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def override(path: str, value: object, why: str = "constructed") -> dict[str, object]:
    if isinstance(value, dict):
        return {"path": path, "value": {**value, "assumption": why}}
    return {"path": path, "value": {"value": value, "assumption": why}}


def worldview(ident: str, *overrides: dict[str, object]) -> dict[str, object]:
    return {
        "id": ident,
        "label": ident.title(),
        "assumption": "constructed",
        "overrides": list(overrides),
    }


OUT = OutputSpec("forecast", issue="deal")
C_POS = {"dist": "triangular", "low": 60, "mode": 70, "high": 80}  # mean 70


def test_two_assumptions_flip_only_together(tmp_path: Path) -> None:
    # alone: c at 70 -> 56.7; a's salience 0.6 -> 57.7; a at 2 -> 50.7 (all < 60)
    # together: c at 70 and a's salience 0.6 -> (100 + 70) / 2.6 = 65.4 >= 60
    path = three_actor_yaml(
        tmp_path,
        [
            worldview("low", override("actors.a.stances.deal.position", 0.0, "same value")),
            worldview(
                "high",
                override("actors.c.stances.deal.position", C_POS),
                override("actors.a.stances.deal.salience", 0.6),
                override("actors.a.stances.deal.position", 2.0),
            ),
        ],
    )
    res = find_cruxes(load_scenario(path), "low", "high", OUT, threshold=60)
    assert res.score_a == pytest.approx(50 - 60)
    assert res.score_b == pytest.approx((0.6 * 2 + 100 + 70) / 2.6 - 60)
    assert [set(c.paths) for c in res.cruxes] == [
        {"actors.c.stances.deal.position", "actors.a.stances.deal.salience"}
    ]
    assert res.cruxes[0].score == pytest.approx((100 + 70) / 2.6 - 60)
    frame = res.differences_frame().set_index("path")
    assert frame.at["actors.a.stances.deal.position", "role"] == "barely matters"
    assert frame.at["actors.a.stances.deal.position", "effect"] == pytest.approx(2 / 3)
    assert frame.at["actors.c.stances.deal.position", "role"] == "flips with others"
    assert frame.at["actors.c.stances.deal.position", "effect"] == pytest.approx(20 / 3)
    assert frame.at["actors.c.stances.deal.position", "basis_b"] == "assumption: constructed"
    # singles (3) + pairs (3) + base and full swap (2); the triple contains the crux: pruned
    assert res.evaluations == 8


def test_single_crux_prunes_supersets(tmp_path: Path) -> None:
    path = three_actor_yaml(
        tmp_path,
        [
            worldview("low"),
            worldview(
                "high",
                override("actors.b.capability", 2.0, "b doubles its weight"),
                override("actors.a.stances.deal.position", 2.0),
            ),
        ],
    )
    res = find_cruxes(load_scenario(path), "low", "high", OUT, threshold=60)
    assert [c.paths for c in res.cruxes] == [("actors.b.capability",)]
    assert res.cruxes[0].score == pytest.approx(250 / 4 - 60)
    assert res.evaluations == 2 + 2  # the pair contains the crux: never evaluated
    frame = res.differences_frame().set_index("path")
    assert frame.at["actors.b.capability", "role"] == "flips alone"
    assert frame.at["actors.b.capability", "basis_b"] == "assumption: b doubles its weight"


def test_equal_values_are_not_differences(tmp_path: Path) -> None:
    path = three_actor_yaml(
        tmp_path,
        [
            worldview("low", override("actors.a.stances.deal.position", 0.0, "quote one")),
            worldview("high", override("actors.a.stances.deal.position", 0.0, "quote two")),
        ],
    )
    loaded = load_scenario(path)
    assert worldview_differences(loaded, "low", "high") == []
    res = find_cruxes(loaded, "low", "high", OUT, threshold=60)
    assert res.cruxes == [] and not res.flips


def test_monte_carlo_mode_uses_probability(tmp_path: Path) -> None:
    path = three_actor_yaml(
        tmp_path,
        [worldview("low"), worldview("high", override("actors.b.capability", 2.0))],
    )
    res = find_cruxes(load_scenario(path), "low", "high", OUT, threshold=50, mode="mc", draws=400)
    # base: c's position is symmetric about 50, so P(forecast >= 50) is about one half
    assert abs(res.score_a) < 0.1
    assert res.score_b == pytest.approx(0.5)  # b doubled: always >= 50


def test_priors_are_one_judgment() -> None:
    paths = ["game.types.x.prior", "actors.a.capability", "game.types.y.prior"]
    assert judgment_units(paths) == [
        ("game.types.x.prior", "game.types.y.prior"),
        ("actors.a.capability",),
    ]


def test_cli_json_and_bad_input(tmp_path: Path) -> None:
    path = three_actor_yaml(
        tmp_path, [worldview("low"), worldview("high", override("actors.b.capability", 2.0))]
    )
    runner = CliRunner()
    res = runner.invoke(
        app,
        [
            "cruxes",
            str(path),
            "--worldviews",
            "low,high",
            "--output",
            "forecast:deal",
            "--threshold",
            "60",
            "--format",
            "json",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["cruxes"][0]["paths"] == ["actors.b.capability"]
    assert data["flips"] is True
    for args in (
        ["--output", "forecast:nope", "--threshold", "1"],
        ["--output", "forecast:deal"],  # no threshold
        ["--output", "strategies"],
    ):  # no game
        bad = runner.invoke(app, ["cruxes", str(path), "--worldviews", "low,high", *args])
        assert bad.exit_code == 2, bad.output
        assert "Traceback" not in bad.output


# --------------------------------------------------------------- one evaluator (issue 17)


def _replayed(loaded: LoadedScenario, a: str, b: str, subset: tuple[str, ...]) -> Scenario:
    """The naive variant, computed independently of the batched evaluator: A's document with
    B's values at ``subset``, parsed and validated, dated by A (``bench_cruxes_panel``'s)."""
    from detente.analysis.cruxes import _without_worldviews
    from detente.scenario.load import dated, parse_document
    from detente.scenario.paths import get_path, resolve_path, set_path

    doc, doc_b = _without_worldviews(loaded, a), _without_worldviews(loaded, b)
    for path in subset:
        set_path(doc, resolve_path(doc, path), get_path(doc_b, resolve_path(doc_b, path)))
    sc = parse_document(doc, loaded.file, game_checks=loaded.game_checks).scenario
    return dated(loaded, sc.model_copy(update={"worldviews": loaded.scenario.worldviews}), a)


@pytest.mark.slow
def test_swap_is_the_batched_evaluator_on_korea(korea_yaml: Path) -> None:
    """The swap search has no evaluator of its own: its scores are the margins the decision
    methods' evaluator gives the same settings (readings, Shapley's coalitions), and both equal
    replaying each swapped scenario document (so neither can drift from the scenario)."""
    from detente.analysis.cruxes import ranking_margin
    from detente.analysis.decision import readings
    from detente.analysis.outputs import parse_output
    from detente.strategy.scorecards import scorecard_scores
    from detente.strategy.simulate import build_episodes

    loaded = load_scenario(korea_yaml)
    a, b, seed, episodes = "engagement", "skeptic", 4, 12
    spec = parse_output("scorecard:hill", loaded.scenario)
    res = find_cruxes(loaded, a, b, spec, seed=seed, episodes=episodes, max_size=1)
    rd = readings(loaded, a, b, spec, seed=seed, episodes=episodes)
    units = judgment_units([d.path for d in res.differences if d.read])
    # Korea declares no override `group:`: the override groups are the swap's units
    assert [g.paths for g in rd.groups] == units
    table = rd.decision.table(
        [rd.setting([]), rd.setting(range(len(units)))]
        + [rd.setting([g]) for g in range(len(units))]
    )
    opts = rd.decision.options
    means = [dict(zip(opts, (float(v) for v in row), strict=True)) for row in table]
    top = max(means[0].items(), key=lambda kv: kv[1])[0]
    margins = [ranking_margin(m, top) for m in means]
    assert res.score_a == margins[0] and res.score_b == margins[1]
    for unit, m in zip(units, margins[2:], strict=True):
        assert res.effects[unit[0]] == m - margins[0]
    # the naive replay of two swaps (the type mix alone, and everything) gives the same numbers
    for k, subset in ((1, tuple(p for u in units for p in u)), (2, units[0])):
        game = _replayed(loaded, a, b, subset).game
        assert game is not None
        ids, scores = scorecard_scores(game, build_episodes(game, seed, episodes), "hill")
        replay = dict(zip(ids, (float(s.mean()) for s in scores), strict=True))
        assert ranking_margin(replay, top) == pytest.approx(margins[k], abs=1e-12)


def test_swap_forecasts_are_the_batched_evaluator(tmp_path: Path) -> None:
    """Point and Monte Carlo forecast swaps: the scores are the forecast decision's table."""
    from detente.analysis.decision import readings

    path = three_actor_yaml(
        tmp_path,
        [
            worldview("low"),
            worldview(
                "high",
                override("actors.c.stances.deal.position", C_POS),
                override("actors.b.capability", 2.0),
            ),
        ],
    )
    loaded = load_scenario(path)
    point = find_cruxes(loaded, "low", "high", OUT, threshold=55)
    rd = readings(loaded, "low", "high", OUT, seed=0, episodes=2)
    t = rd.decision.table([rd.setting([]), rd.setting([0, 1]), rd.setting([0]), rd.setting([1])])
    assert [point.score_a, point.score_b] == list(t[:2, 0] - 55)
    assert point.effects == {
        "actors.c.stances.deal.position": t[2, 0] - t[0, 0],
        "actors.b.capability": t[3, 0] - t[0, 0],
    }
    mc = find_cruxes(loaded, "low", "high", OUT, threshold=50, mode="mc", draws=64, seed=3)
    rd = readings(loaded, "low", "high", OUT, seed=3, episodes=2, draws=64, above=50)
    t = rd.decision.table([rd.setting([]), rd.setting([0, 1])])
    assert [mc.score_a, mc.score_b] == list(t[:, 0] - 0.5)
    # under "low", c's position straddles 50 (the forecast 50 ± 3.3): a probability, not a side
    assert 0 < t[0, 0] < 1
