"""Switch points against a brute-force fine grid: on a synthetic game with jumps (common random
numbers make the decision a step function of the judgment) and on the Korea scenario."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from detente.analysis.decision import GameDecision, Setting, Value, Verdict
from detente.analysis.outputs import OutputSpec, parse_output
from detente.analysis.switchpoints import Searched, cdf, fine_grid, search, switch_points
from detente.scenario.load import load_scenario, with_worldview
from detente.scenario.quantity import Quantity

KOREA = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"


def tri(low: float, mode: float, high: float) -> Quantity:
    return Quantity.model_validate(
        {"dist": "triangular", "low": low, "mode": mode, "high": high, "assumption": "test"}
    )


class Toy:
    """Three options over 400 episodes: ``a`` pays the share of episodes whose uniform is below
    x (a step function of x), ``b`` pays 0.6 + 0.2·y, ``c`` pays 0.9 − x²: as x rises the best
    option goes c → b (x ≈ 0.548) → a (x ≈ 0.6), and y moves b against c."""

    def __init__(self) -> None:
        rng = np.random.default_rng(7)
        self.u = rng.random(400)
        self.quantities = {"x": tri(0.0, 0.3, 1.0), "y": tri(-1.0, 0.0, 1.0), "z": tri(0, 1, 2)}
        self.base = {p: q.ppf(rng.random(400)) for p, q in self.quantities.items()}

    @property
    def options(self) -> list[str]:
        return ["a", "b", "c"]

    @property
    def size(self) -> int:
        return 400

    def value(self, path: str, quantity: Quantity) -> Value:
        return Value(quantity.ppf(self.u), quantity.point())

    def fixed(self, path: str, x: float) -> Value:
        return Value(np.full(400, x), x)

    def table(self, settings: Sequence[Setting]) -> np.ndarray:
        rows = []
        for s in settings:
            x = s["x"].draws if "x" in s else self.base["x"]
            y = s["y"].draws if "y" in s else self.base["y"]
            rows.append(
                [
                    float(np.mean(self.u < x)),
                    0.6 + 0.2 * float(np.mean(y)),
                    0.9 - float(np.mean(x**2)),
                ]
            )
        return np.array(rows)


def first_switch(xs: np.ndarray, labels: list[str], x0: float, side: str) -> float | None:
    """The grid's first label change from x0 towards one end (midpoint of the two points)."""
    k0 = int(np.argmin(np.abs(xs - x0)))
    idx = range(k0, -1, -1) if side == "below" else range(k0, len(xs))
    prev = None
    for k in idx:
        if prev is not None and labels[k] != labels[prev]:
            return float((xs[k] + xs[prev]) / 2)
        prev = k
    return None


def test_toy_switches_match_a_fine_grid() -> None:
    toy = Toy()
    spec = OutputSpec("ranking", metric="toy")
    verdict = Verdict(spec, toy.options)
    judgments = [
        Searched("x", "x", toy.quantities["x"], 0.0, 1.0, "distribution"),
        Searched("y", "y", toy.quantities["y"], -1.0, 1.0, "distribution"),
        Searched("z", "z", toy.quantities["z"], 0.0, 2.0, "distribution"),
    ]
    points = search(toy, verdict, judgments, tol=1 / 1024)  # type: ignore[arg-type]
    x, y, z = points
    assert z.below is None and z.above is None  # z is read by no option: never switches
    assert x.below is None and x.above is not None and x.above.to == "b"  # the first switch
    assert x.above.at == pytest.approx(np.sqrt(0.3), abs=0.01)
    assert y.above is not None and y.above.to == "b"
    for sp in (x, y):
        xs, labels = fine_grid(toy, verdict, sp.judgment, 4001)  # type: ignore[arg-type]
        step = xs[1] - xs[0]
        for side in ("below", "above"):
            sw = getattr(sp, side)
            grid = first_switch(xs, labels, sp.value, side)
            if sw is None:
                end = labels[0] if side == "below" else labels[-1]
                assert end == labels[int(np.argmin(np.abs(xs - sp.value)))]
                continue
            assert grid is not None
            assert abs(sw.at - grid) <= step + (sp.judgment.high - sp.judgment.low) / 1024
            assert sw.bracket[0] <= sw.at <= sw.bracket[1]
            k = int(np.searchsorted(xs, grid))
            assert sw.to == (labels[k - 1] if side == "below" else labels[k])
    # the probability beyond: 1 − W's CDF at the switch
    assert x.above.probability == pytest.approx(1 - cdf(toy.quantities["x"], x.above.at), abs=1e-9)


def test_cdf_inverts_ppf() -> None:
    q = tri(0.0, 0.3, 1.0)
    for u in (0.01, 0.2, 0.5, 0.93):
        assert cdf(q, float(q.ppf(np.array([u]))[0])) == pytest.approx(u, abs=1e-9)


@pytest.fixture(scope="module")
def korea() -> object:
    return load_scenario(KOREA)


@pytest.mark.slow
def test_korea_switch_point_matches_a_grid(korea: object) -> None:
    """The US veto of an early declaration under the skeptic's reading, on the hill scorecard,
    few episodes (the fast variant; the decision is the same function of the value in the
    search and on the grid, common random numbers): the bisection's switch is where a 25-point
    grid of the same decision changes."""
    spec = parse_output("scorecard:hill", korea.scenario)  # type: ignore[attr-defined]
    path = "game.vetoes.us_blocks_early_declaration.probability"
    res = switch_points(korea, "skeptic", spec, paths=[path], episodes=8, tol=1 / 64)  # type: ignore[arg-type]
    (sp,) = res.points
    assert sp.below is not None  # a switch to find (8 episodes, seed 0)
    decision = GameDecision(with_worldview(korea, "skeptic"), spec, 0, 8)  # type: ignore[arg-type]
    verdict = Verdict(spec, decision.options)
    xs, labels = fine_grid(decision, verdict, sp.judgment, 25)
    step = xs[1] - xs[0]
    for side in ("below", "above"):
        sw = getattr(sp, side)
        grid = first_switch(xs, labels, sp.value, side)
        if sw is None:
            assert grid is None or labels[0 if side == "below" else -1] == sp.choice
        else:
            assert grid is not None
            assert abs(sw.at - grid) <= step + (sp.judgment.high - sp.judgment.low) / 64
