"""The metric registry and the game agree: every outcome has an entry and every entry is an
outcome of some game; labels, kinds, directions and the table's format come from the entry."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.engine import play
from detente.strategy.game import CoalitionGame, TypedTarget
from detente.strategy.metrics import METRICS, game_metrics, label, metric, metric_names
from detente.strategy.simulate import build_episodes, make_strategy

MECHANISMS = Path(__file__).resolve().parent / "data" / "mechanisms-game.yaml"


def _outcomes(game: GameSpec) -> dict[str, np.ndarray]:
    eps = build_episodes(game, 1, 40)
    g = CoalitionGame(game, eps.draws, eps.mix_types, eps.game_seed)
    rng = np.random.default_rng(0)
    play(g, (make_strategy(game.strategies[0], eps.draws), TypedTarget(g)), 40, (rng, rng))
    return g.outcomes()


def test_every_outcome_has_an_entry_and_every_entry_is_an_outcome(
    minimal_game: GameSpec, korea_game: GameSpec, scorecard_game: GameSpec
) -> None:
    import yaml

    mechanisms_raw = yaml.safe_load(MECHANISMS.read_text(encoding="utf-8"))
    mechanisms_game = GameSpec.model_validate(mechanisms_raw["game"])  # limits, third parties
    used: set[str] = set()
    for game in (minimal_game, korea_game, scorecard_game, mechanisms_game):
        out = _outcomes(game)
        assert list(out) == metric_names(game)
        for name, values in out.items():
            m = metric(name)
            used.add(m.key)
            assert values.shape == (40,)
            if m.binary:
                assert set(np.unique(values)) <= {0.0, 1.0}, name
    assert used == {m.name for m in METRICS}


def test_names_resolve_to_their_entry_with_the_parameter_filled_in() -> None:
    m = metric("p_talks_24m")
    assert (m.key, m.param, m.label, m.kind) == (
        "p_talks_{months}m",
        24,
        "P(talks ≤24 mo)",
        "probability",
    )
    assert metric("arsenal_2027").label == "arsenal 2027"
    assert metric("arsenal_2027").lower_is_better and not metric("cohesion").lower_is_better
    assert metric("p_unc_challenge").lower_is_better and metric("vetoes").lower_is_better
    with pytest.raises(KeyError, match="unknown metric"):
        metric("p_peace")
    assert label("p_peace") == "p_peace"


def test_the_korea_labels_and_cells_are_the_strategies_table_s() -> None:
    assert [label(n) for n in ("p_talks_6m", "p_talks_12m", "p_freeze_2027", "p_step_2027")] == [
        "P(talks ≤6 mo)",
        "P(talks ≤12 mo)",
        "P(freeze by 2027)",
        "P(step by 2027)",
    ]
    assert metric("p_talks_12m").cell(0.7, 0.651, 0.749) == "0.70 [0.65, 0.75]"
    assert metric("arsenal_2027").cell(169.4, 167.2, 171.6) == "169 [167, 172]"
    assert metric("unreciprocated").cell(6.69, 6.57, 6.81) == "6.69 [6.57, 6.81]"


def test_a_game_without_vetoes_reports_none(minimal_game: GameSpec, korea_game: GameSpec) -> None:
    assert "vetoes" not in metric_names(minimal_game)
    assert "vetoes" in metric_names(korea_game)
    assert [m.name for m in game_metrics(minimal_game)][:2] == ["p_talks_6m", "p_talks_12m"]
