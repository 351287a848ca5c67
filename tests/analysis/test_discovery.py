"""Scenario discovery (analysis/discovery.py): PRIM recovers a planted box; the design is
deterministic and labelled by the decision; a small Korea run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("ema_workbench")

from detente.analysis.discovery import design, discover_on, prim_boxes
from detente.analysis.outputs import parse_output
from detente.scenario.load import load_scenario

KOREA = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"


def test_prim_recovers_a_planted_box() -> None:
    rng = np.random.default_rng(7)
    x = pd.DataFrame(rng.uniform(size=(400, 4)), columns=["a", "b", "c", "d"])
    y = ((x["a"] > 0.6) & (x["b"] < 0.3)).to_numpy()
    boxes = prim_boxes(x, y, density=0.95)
    assert boxes and boxes[0].meets
    box = boxes[0]
    limits = {lim.path: lim for lim in box.limits}
    # the box restricts exactly the two planted judgments, near the planted edges
    assert set(limits) == {"a", "b"}
    assert abs(limits["a"].low - 0.6) < 0.02 and limits["a"].high == x["a"].max()
    assert abs(limits["b"].high - 0.3) < 0.02 and limits["b"].low == x["b"].min()
    assert limits["a"].qp_high is None and limits["a"].qp_low is not None
    assert box.step.density >= 0.95 and box.step.coverage >= 0.95
    # the trajectory starts from the whole design and peels towards density
    first = box.trajectory[0]
    assert first.mass == 1.0 and first.coverage == 1.0
    assert abs(first.density - y.mean()) < 1e-12
    assert box.trajectory[box.chosen].mass < 0.2


def test_prim_without_cases_finds_no_box() -> None:
    x = pd.DataFrame({"a": np.linspace(0, 1, 50)})
    assert prim_boxes(x, np.zeros(50, dtype=bool)) == []


@pytest.mark.slow
def test_korea_design_is_deterministic_and_labelled() -> None:
    loaded = load_scenario(KOREA)
    spec = parse_output("scorecard:hill", loaded.scenario)
    d = design(loaded, "engagement", spec, rows=16, seed=3, episodes=4)
    again = design(loaded, "engagement", spec, rows=16, seed=3, episodes=4)
    assert np.array_equal(d.x, again.x) and np.array_equal(d.table, again.table)
    assert d.x.shape == (16, len(d.paths)) and d.table.shape == (16, len(d.options))
    # every column lies in the worldview's support of its judgment
    for c, p in enumerate(d.paths):
        q = d.x[:, c]
        assert np.unique(q).size > 1, p
    result = discover_on(d)
    assert result.cases.tolist() == [c != result.choice for c in result.conclusions]
    for box in result.boxes:
        inside = np.ones(d.rows, dtype=bool)
        for lim in box.limits:
            col = d.x[:, d.paths.index(lim.path)]
            inside &= (col >= lim.low) & (col <= lim.high)
        # the reported box holds the rows and cases its statistics say (the first box)
        if box is result.boxes[0]:
            assert int(inside.sum()) == box.step.rows
            assert int(result.cases[inside].sum()) == box.step.cases
