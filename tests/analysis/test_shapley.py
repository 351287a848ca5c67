"""Shapley attribution: the axioms on synthetic games (efficiency, symmetry, dummy, additivity),
exact against sampled within the standard error, and a Korea run on common random numbers."""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from detente.analysis.decision import GameDecision, judgment_groups, readings
from detente.analysis.outputs import parse_output
from detente.analysis.shapley import Coalition, shapley, shapley_values
from detente.scenario.load import load_scenario, parse_document, with_worldview

KOREA = Path(__file__).resolve().parents[2] / "scenarios" / "korea-peace-declaration.yaml"


def game(fn: object) -> object:
    def value(coalitions: Sequence[Coalition]) -> np.ndarray:
        return np.array([fn(c) for c in coalitions], dtype=np.float64)  # type: ignore[operator]

    return value


def nonlinear(c: Coalition) -> float:
    """Interactions of every order among six players; player 5 is a dummy."""
    x = np.array([1.0 if i in c else 0.0 for i in range(6)])
    return float(
        np.sin(1.3 * x[0] + 0.7 * x[1] * x[2]) + x[3] * x[4] * 2.5 - 0.4 * x[0] * x[3] + x[1] ** 2
    )


def test_exact_efficiency_symmetry_dummy() -> None:
    att = shapley_values(game(nonlinear), 6, max_evaluations=64)  # type: ignore[arg-type]
    assert att.method == "exact" and att.evaluations == 64
    assert abs(att.shares.sum() - att.total) <= 1e-12
    assert att.shares[5] == 0.0  # dummy: contributes to no coalition
    assert abs(att.shares[3] - att.shares[4]) > 0.01  # 3 also interacts with 0: not symmetric

    def symmetric(c: Coalition) -> float:
        return float((0 in c) * (1 in c) * 3.0 + (2 in c) - 0.5 * ((0 in c) + (1 in c)))

    att = shapley_values(game(symmetric), 3, max_evaluations=8)  # type: ignore[arg-type]
    assert att.shares[0] == pytest.approx(att.shares[1], abs=1e-15)
    # by hand: each of 0 and 1 gets half the pair term 3 and its own −0.5; 2 gets 1
    assert att.shares == pytest.approx([1.0, 1.0, 1.0], abs=1e-12)


def test_additive_game_gives_each_its_term() -> None:
    a = np.array([0.3, -1.2, 2.0, 0.0])
    att = shapley_values(game(lambda c: float(sum(a[i] for i in c))), 4)  # type: ignore[arg-type]
    assert att.shares == pytest.approx(a, abs=1e-12)


def test_sampled_agrees_with_exact_within_se_and_is_efficient() -> None:
    exact = shapley_values(game(nonlinear), 6, max_evaluations=64)  # type: ignore[arg-type]
    sampled = shapley_values(game(nonlinear), 6, permutations=400, seed=3)  # type: ignore[arg-type]
    assert sampled.method == "permutation" and sampled.permutations == 400
    assert abs(sampled.shares.sum() - sampled.total) <= 1e-12
    assert sampled.shares[5] == 0.0 and sampled.se[5] == 0.0
    # players 0-2 interact at every order: a sampling error; 3 and 4 only in pairs, which an
    # antithetic pair (an order and its reverse) averages exactly
    assert np.all(sampled.se[:3] > 1e-3)
    err = np.abs(sampled.shares - exact.shares)
    assert np.all(err <= 4.0 * sampled.se + 1e-12), (err, sampled.se)
    assert np.any(err[:3] > 1e-4)  # it is an estimate, not the exact values
    # and the budget rule: 2^6 > 32 evaluations -> sampled, within the budget
    budget = shapley_values(game(nonlinear), 6, max_evaluations=32)  # type: ignore[arg-type]
    assert budget.method == "permutation" and budget.evaluations <= 32


def test_glove_game_closed_form() -> None:
    """One left glove (0) and two right gloves (1, 2): v = 1 when a pair can be made. The
    Shapley value is (2/3, 1/6, 1/6) (Shapley 1953's classic example)."""

    def glove(c: Coalition) -> float:
        return float(0 in c and (1 in c or 2 in c))

    att = shapley_values(game(glove), 3)  # type: ignore[arg-type]
    assert att.shares == pytest.approx([2 / 3, 1 / 6, 1 / 6], abs=1e-15)
    assert math.isclose(att.shares.sum(), 1.0, abs_tol=1e-12)


@pytest.fixture(scope="module")
def korea() -> object:
    return load_scenario(KOREA)


def test_swapping_every_group_is_the_other_reading(korea: object) -> None:
    """The batched evaluator: A with all of B's values is B's own run, bit for bit (same
    episodes; the coalition's beliefs follow the values set) — on A's calendar: the skeptic's
    information date (``as_of`` 2023-03) is not one of the judgments swapped, so B's own run
    is compared undated (docs/cruxes.md, "Dated worldviews")."""
    spec = parse_output("scorecard:hill", korea.scenario)  # type: ignore[attr-defined]
    rd = readings(korea, "engagement", "skeptic", spec, seed=2, episodes=12)  # type: ignore[arg-type]
    full = rd.decision.table([rd.setting(range(len(rd.groups)))])
    skeptic = with_worldview(korea, "skeptic")  # type: ignore[arg-type]
    assert skeptic.game is not None and skeptic.game.as_of == "2023-03"
    undated = skeptic.model_copy(update={"game": skeptic.game.with_history(None)})
    own = GameDecision(undated, spec, 2, 12).table([{}])
    assert np.array_equal(full, own)
    dated = GameDecision(skeptic, spec, 2, 12).table([{}])
    assert not np.array_equal(full, dated)  # the date matters, and is left out of the swap


def test_korea_shapley_is_efficient_and_reads_no_unread_judgment(korea: object) -> None:
    spec = parse_output("scorecard:hill", korea.scenario)  # type: ignore[attr-defined]
    res = shapley(korea, "engagement", "skeptic", spec, episodes=12, permutations=2)  # type: ignore[arg-type]
    att = res.attribution
    assert abs(att.shares.sum() - att.total) <= 1e-12
    names = [g.name for g in res.groups]
    assert "type priors" in names
    assert len(res.groups[names.index("type priors")].paths) == 3
    # the hill scorecard reads no arsenal metric: the arsenal's growth is a dummy
    assert att.shares[names.index("game.arsenal.monthly_growth")] == 0.0
    assert any("not read" in n for n in res.notes)


def test_group_labels_join_overrides(korea: object) -> None:
    raw = copy.deepcopy(korea.raw)  # type: ignore[attr-defined]
    wv = next(w for w in raw["worldviews"] if w["id"] == "skeptic")
    for o in wv["overrides"]:
        if o["path"] in (
            "game.election.p_continuity",
            "game.vetoes.us_blocks_early_declaration.probability",
        ):
            o["group"] = "US politics"
    loaded = parse_document(raw, "korea.yaml", game_checks=korea.game_checks)  # type: ignore[attr-defined]
    paths = [
        "game.declaration.cost",
        "game.vetoes.us_blocks_early_declaration.probability",
        "game.election.p_continuity",
        "game.types.reciprocator.prior",
        "game.types.enmity_dependent.prior",
    ]
    groups = judgment_groups(loaded, ["engagement", "skeptic"], paths)
    assert [(g.name, g.paths) for g in groups] == [
        ("game.declaration.cost", ("game.declaration.cost",)),
        (
            "US politics",
            (
                "game.vetoes.us_blocks_early_declaration.probability",
                "game.election.p_continuity",
            ),
        ),
        ("type priors", ("game.types.reciprocator.prior", "game.types.enmity_dependent.prior")),
    ]


def test_the_evaluator_draws_what_every_command_plays(korea: object) -> None:
    """A decision's baseline draws are build_episodes's for the same seed — the Dirichlet type
    mix and the correlated lifts the scenario declares included (issue 20) — so the crux
    methods score the same episodes as `detente strategies`."""
    from detente.strategy.simulate import build_episodes

    spec = parse_output("scorecard:hill", korea.scenario)  # type: ignore[attr-defined]
    sc = with_worldview(korea, "engagement")  # type: ignore[arg-type]
    assert sc.game is not None and sc.game.shares and sc.game.correlations
    decision = GameDecision(sc, spec, 4, 16)
    eps = build_episodes(sc.game, 4, 16)
    assert set(decision.base) == set(eps.draws)
    for path, values in eps.draws.items():
        assert np.array_equal(decision.base[path], values), path
    priors = [
        decision.base[f"game.types.{t}.prior"]
        for t in ("reciprocator", "sanctions_seeker", "enmity_dependent")
    ]
    assert np.allclose(sum(priors), 1.0) and np.std(priors[0]) > 0  # drawn, and shares of one
