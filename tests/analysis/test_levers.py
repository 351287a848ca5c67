"""Levers (issue 17, item 5): closed form for compromise, bracketed search for the others.

* compromise: every lever agrees to 1e-9 with the closed form solved here independently (for
  the new value, not the normalised change), and the weighted mean at that value is the target;
* median, expected utility, spatial, exchange: every reachable lever, applied here to a fresh
  copy of the problem and run through ``model.forecast`` (not the batch path the search uses),
  crosses the target, and 99 % of it does not;
* bad arguments are refused with a message naming them; results are deterministic.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from detente.analysis.decision import Runner
from detente.analysis.levers import (
    Lever,
    LeverInputError,
    LeverResult,
    find_levers,
    report_json,
)
from detente.models import get_model
from detente.models.base import Problem
from detente.scenario.load import load_scenario
from detente.scenario.problem import to_problem

ROOT = Path(__file__).resolve().parents[2]
EC = ROOT / "scenarios" / "ec-emission-standards-1994.yaml"
KOREA = ROOT / "scenarios" / "korea-peace-declaration.yaml"
KTAB = ROOT.parent / "shared" / "reference" / "ktab" / "SOE-Pol-Comp.csv"


def problem_of(path: Path) -> Problem:
    if not path.exists():
        pytest.skip(f"{path} is absent (see ../shared/README.md)")
    return to_problem(load_scenario(path).scenario)


def changed(problem: Problem, issue: int, result: LeverResult, share: float) -> Problem:
    """``problem`` with ``share`` of the result's change applied (built here, not by levers)."""
    cap = problem.capability.copy()
    pos = problem.position.copy()
    sal = problem.salience.copy()
    for lever, before, after in zip(result.levers, result.before, result.after, strict=True):
        i = lever.actor
        if lever.dimension == "position":
            pos[0, i, issue] = before + share * (after - before)
        elif lever.dimension == "salience":
            sal[0, i, issue] = before + share * (after - before)
        else:
            cap[0, i] = before * (after / before) ** share
    return Problem(
        actors=problem.actors,
        issues=problem.issues,
        capability=cap,
        position=pos,
        salience=sal,
        scale_min=problem.scale_min,
        scale_max=problem.scale_max,
        status_quo=problem.status_quo,
    )


# ------------------------------------------------------------------------------- compromise


def closed_form_value(problem: Problem, issue: int, lever: Lever, target: float) -> float:
    """The new value that puts the weighted mean on ``target`` (solved for the value)."""
    c = problem.capability[0].copy()
    s = problem.salience[0, :, issue].copy()
    x = problem.position[0, :, issue].copy()
    i = lever.actor
    rest = np.ones(len(c), dtype=bool)
    rest[i] = False
    a = float((c[rest] * s[rest] * x[rest]).sum())
    b = float((c[rest] * s[rest]).sum())
    if lever.dimension == "position":  # T (b + c_i s_i) = a + c_i s_i x'
        return (target * (b + c[i] * s[i]) - a) / (c[i] * s[i])
    if lever.dimension == "salience":  # T (b + c_i s') = a + c_i s' x_i
        return (target * b - a) / (c[i] * (x[i] - target))
    return (target * b - a) / (s[i] * (x[i] - target))


@pytest.mark.parametrize(
    ("path", "issue", "target"),
    [(EC, "delay", 6.0), (EC, "delay", 8.5), (KOREA, "declaration", 50.0), (KOREA, "nuclear", 80)],
)
def test_compromise_levers_match_the_closed_form(path: Path, issue: str, target: float) -> None:
    problem = problem_of(path)
    j = problem.issues.index(issue)
    report = find_levers(problem, issue, target, "compromise")
    model = get_model("compromise")
    width = float(problem.scale_max[j] - problem.scale_min[j])
    reachable = [r for r in report.singles if r.reachable]
    assert reachable, "the case should have at least one reachable lever"
    for r in report.singles:
        lever = r.levers[0]
        value = closed_form_value(problem, j, lever, target)
        if r.reachable:
            scale = width if lever.dimension == "position" else max(1.0, abs(value))
            assert abs(r.after[0] - value) <= 1e-9 * scale
            fc = model.forecast(changed(problem, j, r, 1.0)).outcome[j]
            assert abs(fc - target) <= 1e-9 * width
            assert r.forecast is not None and abs(r.forecast - target) <= 1e-9 * width
        else:  # the exact solution lies outside the lever's bounds (or does not exist)
            lo, hi = {
                "position": (float(problem.scale_min[j]), float(problem.scale_max[j])),
                "salience": (0.0, 1.0),
                "capability": (r.before[0] / 10.0, r.before[0] * 10.0),
            }[lever.dimension]
            assert not (math.isfinite(value) and lo <= value <= hi)
    sizes = [r.size for r in reachable]
    assert sizes == sorted(sizes)


def test_compromise_pairs_cross_and_beat_their_singles() -> None:
    problem = problem_of(KOREA)
    j = problem.issues.index("declaration")
    report = find_levers(problem, "declaration", 45.0, "compromise", pairs=True, top=6)
    model = get_model("compromise")
    assert report.pairs
    better = [r for r in report.pairs if r.beats_singles]
    assert better, "a pair of actors should need less of each than any one alone here"
    for r in report.pairs:
        if not r.reachable:
            continue
        assert r.size == pytest.approx(max(abs(u) for u in r.steps))
        assert model.forecast(changed(problem, j, r, 1.0)).outcome[j] <= 45.0
        assert model.forecast(changed(problem, j, r, 0.99)).outcome[j] > 45.0


# ------------------------------------------------------------------------------- the search


def check_search(problem: Problem, issue: str, target: float, model_name: str, **kw: object) -> int:
    j = problem.issues.index(issue)
    report = find_levers(problem, issue, target, model_name, **kw)  # type: ignore[arg-type]
    model = get_model(model_name)
    sigma = 1.0 if target > report.baseline else -1.0
    reachable = [r for r in report.singles + report.pairs if r.reachable]
    for r in reachable:
        full = float(model.forecast(changed(problem, j, r, 1.0)).outcome[j])
        part = float(model.forecast(changed(problem, j, r, 0.99)).outcome[j])
        assert sigma * (full - target) >= 0, (r, full)
        assert sigma * (part - target) < 0, (r, part)
        assert r.forecast == pytest.approx(full, abs=1e-9)
    return len(reachable)


@pytest.mark.parametrize(
    ("model_name", "target"), [("median", 6.0), ("expected-utility", 6.0), ("median", 8.5)]
)
def test_search_crosses_and_99_percent_does_not_on_the_ec_case(
    model_name: str, target: float
) -> None:
    assert check_search(problem_of(EC), "delay", target, model_name) > 0


@pytest.mark.slow
def test_spatial_search_on_the_ec_case() -> None:
    assert check_search(problem_of(EC), "delay", 5.0, "spatial") > 0


def test_exchange_search_on_a_ktab_case() -> None:
    problem = problem_of(KTAB)
    found = check_search(problem, "policy", 45.0, "exchange", actors=list(problem.actors[:6]))
    assert found > 0


@pytest.mark.slow
def test_spatial_and_expected_utility_search_on_a_ktab_case() -> None:
    problem = problem_of(KTAB)
    few = list(problem.actors[:4])
    assert check_search(problem, "policy", 45.0, "expected-utility", actors=few) > 0
    assert check_search(problem, "policy", 35.0, "spatial", actors=few, scan=4) > 0


@pytest.mark.slow
def test_spatial_screen_on_a_ktab_case() -> None:
    """``scan=0`` (the extremes screen, then bisection): every lever it returns crosses the
    target when applied and 99 % of it does not (the same check as the full scan's)."""
    problem = problem_of(KTAB)
    few = list(problem.actors[:4])
    assert check_search(problem, "policy", 35.0, "spatial", actors=few, scan=0) > 0


def test_screen_bisects_the_extreme_when_it_reaches() -> None:
    """On a monotone response (median in position) the screen finds the same levers as a scan:
    bisection from the extreme converges on the same switch point within the tolerance."""
    problem = problem_of(EC)
    scanned = find_levers(problem, "delay", 6.0, "median", scan=8)
    screened = find_levers(problem, "delay", 6.0, "median", scan=0)
    assert screened.runs < scanned.runs
    by_lever = {r.levers: r for r in scanned.singles}
    for r in screened.singles:
        if r.reachable and r.levers[0].dimension == "position":
            other = by_lever[r.levers]
            assert other.reachable and other.size is not None and r.size is not None
            assert abs(r.size - other.size) <= 2e-3 * max(r.size, other.size)
    assert check_search(problem, "delay", 6.0, "median", scan=0) > 0


def _runs_on(runner: Runner | None) -> dict[str, object]:
    problem = problem_of(EC)
    return report_json(
        find_levers(problem, "delay", 6.0, "expected-utility", pairs=True, runner=runner)
    )


@pytest.mark.slow
def test_workers_give_the_same_report() -> None:
    with Runner(1) as one, Runner(2) as two:
        assert _runs_on(one) == _runs_on(two) == _runs_on(None)


@pytest.mark.ray
@pytest.mark.slow
def test_ray_gives_the_same_report() -> None:
    pytest.importorskip("ray", reason="the Ray backend needs the ray extra: pip install '.[ray]'")
    with Runner(2, "ray") as ray_runner:
        assert _runs_on(ray_runner) == _runs_on(None)


def test_expected_utility_pairs_on_korea_cross() -> None:
    problem = problem_of(KOREA)
    assert check_search(problem, "declaration", 50.0, "expected-utility", pairs=True) > 0


# ------------------------------------------------------------------------------- arguments


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"issue": "nope", "target": 50.0}, "'nope' is not an issue"),
        ({"issue": "declaration", "target": 150.0}, "expected a number on the issue's scale 0–100"),
        ({"issue": "declaration", "target": math.nan}, "--target nan"),
        ({"issue": "declaration", "target": 50.0, "actors": ["zz"]}, "unknown actor(s) zz"),
        ({"issue": "declaration", "target": 50.0, "dimensions": ["mood"]}, "--dimensions"),
        ({"issue": "declaration", "target": 50.0, "capability_factor": 1.0}, "above 1"),
        ({"issue": "declaration", "target": 50.0, "scan": -1}, "--scan -1"),
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object], needle: str) -> None:
    problem = problem_of(KOREA)
    with pytest.raises(LeverInputError, match=None) as info:
        find_levers(problem, model="compromise", **kwargs)  # type: ignore[arg-type]
    assert needle in str(info.value)


def test_a_target_already_reached_is_refused() -> None:
    problem = problem_of(EC)
    baseline = float(get_model("median").forecast(problem).outcome[0])
    with pytest.raises(LeverInputError, match="already exactly there"):
        find_levers(problem, "delay", baseline, "median")


def test_deterministic() -> None:
    problem = problem_of(EC)
    a = report_json(find_levers(problem, "delay", 6.0, "expected-utility", pairs=True))
    b = report_json(find_levers(problem, "delay", 6.0, "expected-utility", pairs=True))
    assert a == b


class _RecordingRunner:
    """A stand-in for decision.Runner that records the batches it is given (runs them here)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.sizes: list[list[int]] = []

    def map(self, fn, items):  # type: ignore[no-untyped-def]
        self.sizes.append([p.n_draws for p in items])
        return [fn(p) for p in items]


def test_evaluator_splits_rounds_over_workers_and_never_reruns_a_change() -> None:
    """A round of 5 changes on 2 workers is 2 batches (3 + 2) whatever the batch cap; one
    change still goes to the runner; a change asked for again is not re-run, and the values
    are those of a run without a runner."""
    from detente.analysis.levers import _Evaluator

    problem = problem_of(EC)
    model = get_model("median")
    levers = [Lever(i, "position") for i in range(5)]
    changes = [((lv, -0.05),) for lv in levers]
    runner = _RecordingRunner(2)
    evaluate = _Evaluator(problem, 0, model, 10.0, runner)  # type: ignore[arg-type]
    first = evaluate(changes)
    assert runner.sizes == [[3, 2]] and evaluate.runs == 5
    again = evaluate([changes[4], changes[0], ((levers[0], 0.1),)])
    assert runner.sizes[-1] == [1] and evaluate.runs == 6
    assert again[0] == first[4] and again[1] == first[0]
    alone = _Evaluator(problem, 0, model, 10.0, None)
    assert np.array_equal(alone(changes), first)
