"""The repeated-game engine's shared parts: tiled chance for blocks of episodes (on the
synthetic minimal game)."""

from __future__ import annotations

import numpy as np
import pytest

from detente.scenario.game import GameSpec
from detente.strategy.engine import TiledUniforms
from detente.strategy.simulate import build_episodes, simulate


def test_tiled_uniforms_repeat_per_block_and_equal_the_generator_for_one_block() -> None:
    tiled = TiledUniforms(np.random.default_rng(5), period=4)
    u = tiled.random((2, 12))
    np.testing.assert_array_equal(u[:, :4], u[:, 4:8])
    np.testing.assert_array_equal(u[:, :4], u[:, 8:])
    assert len(np.unique(u[:, :4])) == 8
    one = TiledUniforms(np.random.default_rng(5), period=12).random(12)
    np.testing.assert_array_equal(one, np.random.default_rng(5).random(12))
    with pytest.raises(ValueError, match="whole blocks"):
        tiled.random(10)


def test_blocks_with_equal_parameters_play_identical_episodes(minimal_game: GameSpec) -> None:
    # two blocks of 50 episodes with the same draws and types: with a chance period of 50 the
    # second block replays the first move for move; without it, chance differs between blocks
    eps = build_episodes(minimal_game, seed=2, episodes=50)
    eps.draws = {k: np.tile(v, 2) for k, v in eps.draws.items()}
    eps.mix_types = np.tile(eps.mix_types, 2)
    eps.period = None
    independent = simulate(minimal_game, eps, "generous_tit_for_tat")
    eps.period = 50
    tiled = simulate(minimal_game, eps, "generous_tit_for_tat")
    for metric, v in tiled.items():
        np.testing.assert_array_equal(v[:50], v[50:], err_msg=metric)
    repeated = simulate(minimal_game, build_episodes(minimal_game, 2, 50, repeat=2), "grit")
    for metric, v in repeated.items():
        np.testing.assert_array_equal(v[:50], v[50:], err_msg=metric)
    assert any(not np.array_equal(v[:50], v[50:]) for v in independent.values())
