"""The issue-15 mechanisms on the synthetic minimal game: each with a hand-computed unit test,
and the property tests (a mechanism at its neutral value changes no episode, bit for bit; an
effect's sign flips the metric's direction; decay to 0 equals a one-off effect)."""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.game import CoalitionGame
from detente.strategy.simulate import build_episodes

from .mechanisms import (
    STRATEGIES,
    Raw,
    cmove,
    drive,
    edit,
    logit,
    outcomes,
    p_up,
    q,
    quiet,
    run,
    same_bits,
    sigmoid,
    typ,
)


def _same_game_outputs(a: GameSpec, b: GameSpec) -> None:
    """Every metric of ``a`` identical in ``b``, bit for bit; a metric only ``b`` reports (its
    mechanism's own count, e.g. ``refused``) reads 0 in every episode."""
    for sid in STRATEGIES:
        for tid in ("mix", "partner", "spoiler"):
            out_a, out_b = outcomes(a, sid, tid), outcomes(b, sid, tid)
            extra = set(out_b) - set(out_a)
            assert set(out_a) <= set(out_b)
            assert same_bits(out_a, {k: out_b[k] for k in out_a}), (sid, tid)
            for k in extra:
                assert np.all(out_b[k] == 0.0), (sid, tid, k)


def _differ(a: GameSpec, b: GameSpec) -> bool:
    """Some strategy's outcomes differ (the comparison above can fail)."""
    return any(not same_bits(outcomes(a, s), outcomes(b, s)) for s in STRATEGIES)


# --------------------------------------------------------------- 1. cost and credibility apart


def test_costs_are_paid_each_time_and_once(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        quiet(g)
        cmove(g, "declare")["effects"] = []
        cmove(g, "declare")["costs"] = {
            "alliance": {"amount": q(0.1)},
            "legal": {"state": "cohesion", "amount": q(0.05), "once": True},
        }

    g, _ = run(edit(minimal_raw, change), "spoiler", ["declare"] * 3 + ["wait"])
    # 1 − 3 × 0.1 − 0.05 (the legal cost only the first time)
    assert np.allclose(g.state["cohesion"], 0.65, atol=1e-12)


def test_costs_carry_no_signal(minimal_raw: Raw) -> None:
    def plain(g: Raw) -> None:
        cmove(g, "declare")["effects"] = []

    def costly(g: Raw) -> None:
        plain(g)
        cmove(g, "declare")["costs"] = {"alliance": {"amount": q(0.2)}}

    a = outcomes(edit(minimal_raw, plain), "peace_first", "partner")
    b = outcomes(edit(minimal_raw, costly), "peace_first", "partner")
    assert not np.array_equal(a["cohesion"], b["cohesion"])
    del a["cohesion"], b["cohesion"]
    assert same_bits(a, b)  # the target answers exactly as before: a cost is not a signal


def _signal_game(raw: Raw, spoiler_weight: float | None = None) -> GameSpec:
    def change(g: Raw) -> None:
        quiet(g)
        cmove(g, "declare")["signal"] = q(1000.0)
        for tid in ("partner", "spoiler"):
            typ(g, tid).update(
                p_talk=q(0.0), p_progress=q(0.0), p_test=q(0.0), reassurance=q(0.0), lift={}
            )
            typ(g, tid)["pre_election_lift"] = q(0.0)
        if spoiler_weight is not None:
            typ(g, "spoiler")["signal_weight"] = q(spoiler_weight)

    return edit(raw, change)


def test_a_signal_reaches_the_trustworthy_type_and_lasts(minimal_raw: Raw) -> None:
    spec = _signal_game(minimal_raw)
    g, _ = run(spec, "partner", ["declare", "wait"])
    # t0 stall (nothing sent yet); from t1 the signal holds: meet, freeze, then a step a month
    assert np.all(g.first_talks == 1)
    assert np.all(g.state["freeze"] == 1.0)
    assert np.all(g.state["steps"] == spec.n_months - 3)
    g, _ = run(spec, "spoiler", ["declare", "wait"])
    assert np.all(g.first_talks == -1)  # default weight 0: not a trustworthy type
    g, _ = run(_signal_game(minimal_raw, spoiler_weight=1.0), "spoiler", ["declare", "wait"])
    assert np.all(g.first_talks == 1)


def test_the_old_cost_maps_to_signal_plus_costs(minimal_raw: Raw) -> None:
    """``reassurance[k] · cost · declared`` ≡ ``signal = cost`` read with ``signal_weight =
    reassurance[k]``; a ``scale_by_cost`` add ≡ a cost of ``−value · cost`` (bit for bit)."""
    cost, value = 0.6, -0.05

    def old(g: Raw) -> None:
        g["declaration"]["cost"] = q(cost)
        cmove(g, "declare")["effects"][0]["value"] = q(value)

    def new(g: Raw) -> None:
        g["declaration"]["cost"] = q(cost)
        cmove(g, "declare")["effects"] = []
        cmove(g, "declare")["costs"] = {"alliance": {"amount": q(-(value * cost)), "once": True}}
        cmove(g, "declare")["signal"] = q(cost)
        for t in g["types"]:
            t["signal_weight"] = t["reassurance"]
            t["reassurance"] = q(0.0)

    _same_game_outputs(edit(minimal_raw, old), edit(minimal_raw, new))


# --------------------------------------------------------------- 2. lasting effects of either sign


def _pocketing(raw: Raw, persistence: str, half_life: float | None = None) -> GameSpec:
    """Four months; the partner never moves up and tests 20 % of the time; each aid it pockets
    raises its later testing by one log-odds unit (``shifts: test``)."""

    def change(g: Raw) -> None:
        quiet(g)
        g["end"] = "2030-04"
        p = typ(g, "partner")
        p.update(p_talk=q(1e-12), p_progress=q(1e-12), p_test=q(0.2), lift={})
        effect: Raw = {
            "id": "pocketed",
            "move": "aid",
            "when": "unreciprocated",
            "shifts": "test",
            "value": q(1.0),
            "persistence": persistence,
        }
        if half_life is not None:
            effect["half_life"] = q(half_life)
        p["effects"] = [effect]

    return edit(raw, change)


@pytest.mark.parametrize(
    ("persistence", "half_life", "expected"),
    [("lasting", None, 2.0), ("decaying", 1.0, 0.75), ("one_off", None, 0.0)],
)
def test_pocketed_concessions_raise_later_testing(
    minimal_raw: Raw, persistence: str, half_life: float | None, expected: float
) -> None:
    spec = _pocketing(minimal_raw, persistence, half_life)
    g, _ = run(spec, "partner", ["aid", "aid", "wait", "wait"])
    # aid at t0 and t1 unanswered at t1 and t2: triggers in months 1 and 2; after month 3 the
    # shift is 1 + 1 (lasting), (1 · ½ + 1) · ½ (half-life 1 month), 0 (one-off, gone)
    assert np.allclose(g.truth.acc[0], expected)
    probs = g.response(4, np.full(g.n, g.c_index["wait"]))
    k = g.type_ids.index("partner")
    assert np.allclose(probs[:, k, g.test_move], sigmoid(logit(0.2) + expected), atol=1e-9)


def _progress_effect(raw: Raw, **effect: object) -> GameSpec:
    def change(g: Raw) -> None:
        typ(g, "partner")["effects"] = [{"id": "e", "move": "aid", "shifts": "progress", **effect}]

    return edit(raw, change)


def test_decay_to_zero_equals_a_one_off_effect(minimal_raw: Raw) -> None:
    one_off = _progress_effect(minimal_raw, value=q(0.8), persistence="one_off")
    fast = _progress_effect(minimal_raw, value=q(0.8), persistence="decaying", half_life=q(1e-9))
    _same_game_outputs(one_off, fast)
    slow = _progress_effect(minimal_raw, value=q(0.8), persistence="decaying", half_life=q(2.0))
    assert _differ(one_off, slow)


def test_a_neutral_effect_changes_no_episode(minimal_raw: Raw) -> None:
    zero = _progress_effect(minimal_raw, value=q(0.0), persistence="lasting")
    _same_game_outputs(edit(minimal_raw, lambda g: None), zero)
    some = _progress_effect(minimal_raw, value=q(0.3), persistence="lasting")
    assert _differ(zero, some)


def test_an_effects_sign_flips_the_metrics_direction(minimal_raw: Raw) -> None:
    def steps(spec: GameSpec) -> float:
        return float(outcomes(spec, "peace_first", "partner", n=2000)["p_step_2031"].mean())

    none = steps(edit(minimal_raw, lambda g: None))
    up = steps(_progress_effect(minimal_raw, value=q(0.7), persistence="lasting"))
    down = steps(_progress_effect(minimal_raw, value=q(-0.7), persistence="lasting"))
    assert up > none > down


# --------------------------------------------------------------- 3. repetition is not free


def _repeats(raw: Raw, factor: float | None, counts: bool | None = None) -> GameSpec:
    def change(g: Raw) -> None:
        quiet(g)
        for tid in ("partner", "spoiler"):
            typ(g, tid).update(p_talk=q(0.2), p_progress=q(0.2), p_test=q(0.0), reassurance=q(0.0))
            typ(g, tid)["pre_election_lift"] = q(0.0)
        typ(g, "partner")["lift"] = {"declare": q(1.0)}
        typ(g, "spoiler").update(p_talk=q(1e-12), p_progress=q(1e-12), lift={})
        if factor is not None:
            cmove(g, "declare")["repeat_factor"] = q(factor)
        if counts is not None:
            cmove(g, "declare")["repeat_is_new_concession"] = counts

    return edit(raw, change)


def test_the_kth_repeat_lifts_r_to_the_k(minimal_raw: Raw) -> None:
    spec = _repeats(minimal_raw, 0.5)
    ids = [t.id for t in spec.types]
    g = CoalitionGame(spec, build_episodes(spec, 1, 8).draws, np.zeros(8, dtype=np.int64), 1)
    d, w = g.c_index["declare"], g.c_index["wait"]
    stall = g.t_index["stall"]
    k = ids.index("partner")
    drive(g, [d, d, d], [stall] * 3)
    # the third offer (two repeats before it): lift 1.0 × 0.5²
    assert np.allclose(p_up(g, 3, d, k), sigmoid(logit(0.2) + 0.25))
    drive(g, [d], [stall])
    assert np.allclose(p_up(g, 1, d, k), sigmoid(logit(0.2) + 1.0))
    assert np.allclose(p_up(g, 1, w, k), 0.2)


def test_whether_a_repeat_is_a_new_concession_is_explicit(minimal_raw: Raw) -> None:
    script = ["declare"] * 3 + ["wait"]
    g, _ = run(_repeats(minimal_raw, None), "spoiler", script)
    assert np.all(g.unreciprocated == 1)  # today's rule: every declare effect is `once`
    g, _ = run(_repeats(minimal_raw, None, counts=True), "spoiler", script)
    assert np.all(g.unreciprocated == 3)


def test_a_repeat_factor_of_one_changes_no_episode(minimal_raw: Raw) -> None:
    def one(g: Raw) -> None:
        for m in g["coalition_moves"]:
            m["repeat_factor"] = q(1.0)

    _same_game_outputs(edit(minimal_raw, lambda g: None), edit(minimal_raw, one))

    def half(g: Raw) -> None:
        for m in g["coalition_moves"]:
            m["repeat_factor"] = q(0.5)

    assert _differ(edit(minimal_raw, one), edit(minimal_raw, half))


# --------------------------------------------------------------- 4. state feeds back; limits


def test_the_state_enters_the_response(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        quiet(g)
        typ(g, "partner").update(p_talk=q(0.2), pre_election_lift=q(0.0))
        typ(g, "partner")["state_lift"] = {"sanctions": q(-2.0), "hotline": q(1.0)}

    spec = edit(minimal_raw, change)
    g = CoalitionGame(spec, build_episodes(spec, 1, 8).draws, np.zeros(8, dtype=np.int64), 1)
    g.reset(8)
    k = g.type_ids.index("partner")
    # full sanctions (1.0), no hotline: logit(0.2) − 2
    assert np.allclose(p_up(g, 0, -1, k), sigmoid(logit(0.2) - 2.0))
    g.state["sanctions"][:] = 0.25
    g.state["hotline"][:] = 1.0
    g._cache_t = -1
    assert np.allclose(p_up(g, 0, -1, k), sigmoid(logit(0.2) - 0.5 + 1.0))


def test_zero_state_coefficients_change_no_episode(minimal_raw: Raw) -> None:
    def zero(g: Raw) -> None:
        for t in g["types"]:
            t["state_lift"] = {"sanctions": q(0.0), "arsenal": q(0.0), "declared": q(0.0)}

    _same_game_outputs(edit(minimal_raw, lambda g: None), edit(minimal_raw, zero))

    def some(g: Raw) -> None:
        typ(g, "partner")["state_lift"] = {"sanctions": q(-1.0)}

    assert _differ(edit(minimal_raw, zero), edit(minimal_raw, some))


def _limited(raw: Raw, p_refuse: float) -> GameSpec:
    def change(g: Raw) -> None:
        g["limits"] = [
            {
                "id": "congress",
                "actor": "congress",
                "move": "aid",
                "state": "sanctions",
                "below": q(0.5),
                "p_refuse": q(p_refuse),
                "fallback_move": "wait",
            }
        ]

    return edit(raw, change)


def test_relief_beyond_a_level_needs_consent(minimal_raw: Raw) -> None:
    g, rec = run(_limited(minimal_raw, 1.0), "spoiler", ["aid"] * 5 + ["wait"])
    # 1.0 → 0.75 → 0.5, then every further relief is refused and the coalition waits
    assert np.allclose(g.state["sanctions"], 0.5)
    assert np.all(rec.moves[0][:, 2:5] == g.c_index["wait"])
    assert np.all(g.refused == 3)
    assert np.all(g.outcomes()["refused"] == 3)  # the registry's metric reads the same count


def test_a_limit_that_never_refuses_changes_no_episode(minimal_raw: Raw) -> None:
    _same_game_outputs(edit(minimal_raw, lambda g: None), _limited(minimal_raw, 0.0))
    assert _differ(_limited(minimal_raw, 0.0), _limited(minimal_raw, 0.5))


# --------------------------------------------------------------- 5. third parties act


def _unsc(raw: Raw, probability: float, veto: float | None) -> GameSpec:
    def change(g: Raw) -> None:
        quiet(g)
        cmove(g, "declare")["effects"] = []
        party: Raw = {
            "id": "unsc_call",
            "label": "Two permanent members call for a resolution",
            "trigger": {"after_move": "declare"},
            "probability": q(probability),
            "effects": [{"id": "unc", "state": "unc_challenge", "op": "set", "value": q(1.0)}],
        }
        if veto is not None:
            party["veto"] = {
                "member": "blue",
                "probability": q(veto),
                "effects": [{"id": "split", "state": "cohesion", "op": "add", "value": q(-0.1)}],
            }
        g["third_parties"] = [party]

    return edit(raw, change)


def test_a_third_party_acts_on_its_trigger(minimal_raw: Raw) -> None:
    g, _ = run(_unsc(minimal_raw, 1.0, None), "spoiler", ["wait", "declare", "wait"])
    assert np.all(g.state["unc_challenge"] == 1.0)
    assert np.all(g.outcomes()["p_unc_challenge"] == 1.0)
    assert np.all(g.outcomes()["p_third_party_acted"] == 1.0)
    assert np.all(g.outcomes()["p_third_party_vetoed"] == 0.0)
    g, _ = run(_unsc(minimal_raw, 1.0, None), "spoiler", ["wait"])
    assert np.all(g.state["unc_challenge"] == 0.0)  # no trigger, no act
    assert np.all(g.outcomes()["p_third_party_acted"] == 0.0)


def test_a_member_may_veto_a_third_party(minimal_raw: Raw) -> None:
    g, _ = run(_unsc(minimal_raw, 1.0, 1.0), "spoiler", ["declare", "wait"])
    assert np.all(g.state["unc_challenge"] == 0.0)
    assert np.allclose(g.state["cohesion"], 0.9)  # vetoed once (`once`), the split costs 0.1
    assert np.all(g.outcomes()["p_third_party_vetoed"] == 1.0)
    assert np.all(g.outcomes()["p_third_party_acted"] == 0.0)


def test_a_third_party_that_never_acts_changes_no_episode(minimal_raw: Raw) -> None:
    def base(g: Raw) -> None:
        quiet(g)
        cmove(g, "declare")["effects"] = []

    _same_game_outputs(edit(minimal_raw, base), _unsc(minimal_raw, 0.0, 0.5))
    assert _differ(_unsc(minimal_raw, 0.0, 0.5), _unsc(minimal_raw, 0.5, 0.5))


# --------------------------------------------------------------- 6. what the coalition knows


def test_the_belief_uses_prior_means_not_the_episodes_draws(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        quiet(g)
        typ(g, "spoiler")["pre_election_lift"] = q(0.0)

    spec = edit(minimal_raw, change)
    n = 64
    draws = dict(build_episodes(spec, 1, n).draws)
    draws["game.types.partner.p_talk"] = np.linspace(0.1, 0.3, n)  # the truth varies
    g = CoalitionGame(spec, draws, np.zeros(n, dtype=np.int64), 1)
    meet, stall = g.t_index["meet"], g.t_index["stall"]
    wait = g.c_index["wait"]
    for observed in (meet, stall):
        drive(g, [wait], [observed])
        # partner: p_talk's mean 0.2, P(meet) = 0.2, P(stall) = 0.8 · (1 − 0.1); spoiler:
        # P(meet) = 0.03, P(stall) = 0.97 · (1 − 0.45), 0.45 the mean of its p_test
        lik_p = 0.2 if observed == meet else 0.8 * 0.9
        lik_s = 0.03 if observed == meet else 0.97 * 0.55
        expected = 0.4 * lik_p / (0.4 * lik_p + 0.6 * lik_s)
        assert np.allclose(g.belief[:, 0], expected)  # the same whatever the episode's p_talk
    # the old behaviour, on the switch: the episode's own p_talk
    old = spec.model_copy(
        update={"belief": spec.belief.model_copy(update={"parameters": "episode"})}
    )
    g = CoalitionGame(old, draws, np.zeros(n, dtype=np.int64), 1)
    drive(g, [wait], [meet])
    p = draws["game.types.partner.p_talk"]
    assert np.allclose(g.belief[:, 0], 0.4 * p / (0.4 * p + 0.6 * 0.03))


def _episode_belief(spec: GameSpec) -> GameSpec:
    return spec.model_copy(
        update={"belief": spec.belief.model_copy(update={"parameters": "episode"})}
    )


def test_with_fixed_parameters_both_beliefs_agree(minimal_raw: Raw) -> None:
    def fixed(g: Raw) -> None:
        quiet(g)
        typ(g, "partner")["p_talk"] = q(0.2)
        typ(g, "spoiler")["p_test"] = q(0.45)
        cmove(g, "declare")["effects"][0]["value"] = q(-0.05)
        g["target_moves"][3]["effects"][1]["probability"] = q(0.3)
        g["arsenal"]["monthly_growth"] = q(0.2)
        g["strategies"][5]["params"]["persistence"] = q(4.0)

    spec = edit(minimal_raw, fixed)
    _same_game_outputs(spec, _episode_belief(spec))


def test_the_belief_switch_moves_only_what_uses_the_belief(minimal_raw: Raw) -> None:
    spec = edit(minimal_raw, lambda g: None)
    for sid in ("peace_first", "reciprocal_trade", "grit"):
        a, b = outcomes(spec, sid), outcomes(_episode_belief(spec), sid)
        assert not np.array_equal(a["p_type_correct"], b["p_type_correct"])
        del a["p_type_correct"], b["p_type_correct"]
        assert same_bits(a, b)


# --------------------------------------------------------------- 7. any type the record can test


def test_a_type_for_which_pressure_helps(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        quiet(g)
        typ(g, "partner").update(
            p_talk=q(0.2), pre_election_lift=q(0.0), lift={"press": q(1.5), "call": q(-1.5)}
        )

    spec = edit(minimal_raw, change)
    g = CoalitionGame(spec, build_episodes(spec, 1, 8).draws, np.zeros(8, dtype=np.int64), 1)
    g.reset(8)
    k = g.type_ids.index("partner")
    probs = g.response(1, np.full(8, g.c_index["press"]))
    # nothing clips the sign: pressure raises the odds of moving up and lowers testing
    assert np.allclose(p_up(g, 1, g.c_index["press"], k), sigmoid(logit(0.2) + 1.5))
    assert np.allclose(
        probs[:, k, g.test_move], (1 - sigmoid(logit(0.2) + 1.5)) * sigmoid(logit(0.1) - 1.5)
    )
    # holding and pressing after tests (strategic patience) beats calling (tit for tat) here
    patience = outcomes(spec, "strategic_patience", "partner")["p_talks_12m"].mean()
    calling = outcomes(spec, "tit_for_tat", "partner")["p_talks_12m"].mean()
    assert patience > calling


def test_a_response_can_change_at_a_named_month(minimal_raw: Raw) -> None:
    def change(g: Raw) -> None:
        quiet(g)
        typ(g, "partner").update(p_talk=q(0.2), pre_election_lift=q(0.0))
        typ(g, "partner")["effects"] = [
            {
                "id": "after",
                "month": "2030-07",
                "shifts": "up",
                "value": q(1.0),
                "persistence": "lasting",
            },
            {"id": "blip", "month": "2030-10", "shifts": "up", "value": q(-2.0)},
        ]

    spec = edit(minimal_raw, change)
    g = CoalitionGame(spec, build_episodes(spec, 1, 8).draws, np.zeros(8, dtype=np.int64), 1)
    g.reset(8)
    k, wait = g.type_ids.index("partner"), g.c_index["wait"]
    expected = {5: 0.0, 6: 1.0, 8: 1.0, 9: -1.0, 10: 1.0}  # 2030-07 is month 6, 2030-10 is 9
    for t, shift in expected.items():
        g._cache_t = -1
        assert np.allclose(p_up(g, t, wait, k), sigmoid(logit(0.2) + shift)), t


# --------------------------------------------------------------- 8. regime change in the coalition


def _successor(raw: Raw, successor: str | None, p_continuity: float = 0.0) -> GameSpec:
    def change(g: Raw) -> None:
        g["strategies"].append({"id": "grudger", "strategy": "Grudger"})
        g["strategies"].append({"id": "cooperator", "strategy": "Cooperator"})
        g["election"]["p_continuity"] = q(p_continuity)
        g["election"]["withdrawn_moves"] = []
        if successor is not None:
            g["election"]["successor_strategy"] = successor

    return edit(raw, change)


def test_the_successor_plays_its_own_strategy(minimal_raw: Raw) -> None:
    spec = _successor(minimal_raw, "strategic_patience")
    g, rec = run(spec, "spoiler", ["call"])
    t0 = g.election_t
    assert t0 == 12
    a, seen = rec.moves[0], rec.seen[1]
    assert np.all(a[:, :t0] == g.c_index["call"])
    tested = seen[:, t0 - 1 : -1] == g.t_index["test"]
    assert np.array_equal(a[:, t0:] == g.c_index["press"], tested)
    assert np.all(a[:, t0:][~tested] == g.c_index["wait"])


def test_the_successor_sees_the_history(minimal_raw: Raw) -> None:
    g, rec = run(_successor(minimal_raw, "grudger"), "partner", ["call"])
    t0 = g.election_t
    ever = (rec.seen[1][:, :t0] == g.t_index["test"]).any(axis=1)
    assert 0 < ever.mean() < 1
    # Grudger, in office from month 12, punishes tests it saw before it took office
    assert np.array_equal(rec.moves[0][:, t0] == g.c_index["press"], ever)


def test_continuity_makes_the_successor_irrelevant(minimal_raw: Raw) -> None:
    _same_game_outputs(_successor(minimal_raw, None, 1.0), _successor(minimal_raw, "grudger", 1.0))
    assert _differ(_successor(minimal_raw, None, 0.5), _successor(minimal_raw, "grudger", 0.5))
