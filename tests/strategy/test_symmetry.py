"""No strategy wins by construction (issue 15): in a synthetic game whose two types mirror each
other — every concession helps the one exactly as much as it hurts the other, and pressure the
reverse — exchanging the type priors exchanges the ranking of a concessions-first strategy
(PeaceFirst) and a reciprocal one (ReciprocalTrade)."""

from __future__ import annotations

import numpy as np

from detente.scenario.game import GameSpec

from .mechanisms import Raw, edit, outcomes, q, quiet, typ

METRICS = ("p_talks_12m", "p_step_2031")


def _mirror(raw: Raw, p_dove: float) -> GameSpec:
    def change(g: Raw) -> None:
        quiet(g)
        g["declaration"]["cost"] = q(0.0)  # no lasting reassurance: only the mirrored lifts act
        g["cohesion_cost_unreciprocated"] = q(0.0)
        same = {
            "p_talk": q(0.15),
            "p_progress": q(0.15),
            "p_test": q(0.2),
            "reassurance": q(0.0),
            "pre_election_lift": q(0.0),
        }
        dove, hawk = typ(g, "partner"), typ(g, "spoiler")
        dove.update(same, prior=q(p_dove))
        hawk.update(same, prior=q(1.0 - p_dove))
        lifts = {"declare": 1.0, "aid": 1.0, "call": 0.5, "press": -1.0}
        dove["lift"] = {m: q(x) for m, x in lifts.items()}
        hawk["lift"] = {m: q(-x) for m, x in lifts.items()}

    return edit(raw, change)


def _edge(spec: GameSpec, metric: str, type_id: str = "mix") -> float:
    """PeaceFirst minus ReciprocalTrade on common random numbers."""
    pf = outcomes(spec, "peace_first", type_id, n=3000, seed=5)[metric]
    rt = outcomes(spec, "reciprocal_trade", type_id, n=3000, seed=5)[metric]
    return float(np.mean(pf - rt))


def test_each_strategy_wins_against_the_type_it_suits(minimal_raw: Raw) -> None:
    spec = _mirror(minimal_raw, 0.5)
    for metric in METRICS:
        assert _edge(spec, metric, "partner") > 0.05  # concessions help the dove
        assert _edge(spec, metric, "spoiler") < -0.05  # and hurt the hawk


def test_exchanging_the_priors_exchanges_the_ranking(minimal_raw: Raw) -> None:
    doves, hawks = _mirror(minimal_raw, 0.8), _mirror(minimal_raw, 0.2)
    for metric in METRICS:
        assert _edge(doves, metric) > 0.02, metric
        assert _edge(hawks, metric) < -0.02, metric
