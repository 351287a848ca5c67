"""The hindcast in blocks of episodes (``docs/hindcast.md``, "Blocks"): a window of a batch plays
its episodes exactly as the whole batch does, joined windows are the batch's paths bit for bit,
and the blocked run (any workers, any block size) gives :func:`hindcast`'s results byte for byte.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from detente.analysis import hindcast_run
from detente.analysis.decision import Runner
from detente.analysis.hindcast import (
    common_start,
    hindcast,
    join_paths,
    load_mapped,
    payload,
    record_paths,
)
from detente.analysis.hindcast_run import View, plan_hindcast, run_plan
from detente.scenario.load import LoadedScenario, with_worldview
from detente.strategy.engine import TiledUniforms
from detente.strategy.simulate import build_episodes, episode_values

VIEWS = (("base", None), ("engagement", "engagement"), ("skeptic", "skeptic"))


@pytest.mark.parametrize("bitgen", [np.random.PCG64, np.random.Philox])
@pytest.mark.parametrize("window", [(0, 10), (0, 4), (3, 7), (6, 10), (9, 10)])
def test_a_window_draws_its_episodes_uniforms_of_the_whole_period(
    bitgen: type[np.random.BitGenerator], window: tuple[int, int]
) -> None:
    """Drawn in the same sequence of calls, a window's uniforms are the columns of the whole
    period's (PCG64 jumps ahead; another generator draws all and keeps the window)."""
    period, tiles = 10, 3
    whole = TiledUniforms(np.random.Generator(bitgen(7)), period)
    part = TiledUniforms(np.random.Generator(bitgen(7)), period, window)
    a, b = window
    for lead in [(), (2,), (), (3, 2), ()]:
        full = whole.random((*lead, tiles * period)).reshape(*lead, tiles, period)
        got = part.random((*lead, tiles * (b - a))).reshape(*lead, tiles, b - a)
        assert got.tobytes() == np.ascontiguousarray(full[..., a:b]).tobytes()
    with pytest.raises(ValueError, match="not within a period"):
        TiledUniforms(np.random.default_rng(0), period, (4, 11))


def test_episode_values_are_the_batch_rows(korea: LoadedScenario) -> None:
    game = with_worldview(korea, "skeptic").game  # shares and correlations on its judgments
    assert game is not None and game.shares and game.correlations
    eps = build_episodes(game, 3, 40)
    rows = episode_values(game, 3, 13, 29)
    from detente.scenario.game import quantities

    for c, (path, _q) in enumerate(quantities(game)):
        assert rows[:, c].tobytes() == eps.draws[path][13:29].tobytes(), path


@pytest.mark.parametrize("name", ["base", "skeptic"])
def test_joined_windows_are_the_batch_paths(korea: LoadedScenario, name: str) -> None:
    """Windows of uneven sizes, played apart, joined: the batch's arrays, bit for bit, in its
    memory layout (skeptic: a dated worldview, whose months before its date are history)."""
    game = with_worldview(korea, None if name == "base" else name).game
    assert game is not None and korea.scenario.record is not None
    mapped = load_mapped(korea.scenario.record, korea.file, korea.lines)
    whole = record_paths(game, mapped, 4, 30)
    parts = [record_paths(game, mapped, 4, 30, w) for w in [(0, 7), (7, 8), (8, 30)]]
    joined = join_paths(parts)
    for key in ("prior", "logp", "log_stay"):
        a, b = getattr(whole, key), getattr(joined, key)
        assert a.shape == b.shape and a.strides == b.strides, key
        assert a.tobytes() == b.tobytes(), key
    assert np.isfinite(whole.logp).all() and (whole.logp < 0).any()  # a real record, scored


def _plan(korea: LoadedScenario, seed: int, episodes: int) -> hindcast_run.HindcastPlan:
    spec = korea.scenario.record
    assert spec is not None
    mapped = load_mapped(spec, korea.file, korea.lines)
    views = []
    for name, wv in VIEWS:
        game = with_worldview(korea, wv).game
        assert game is not None
        views.append(View(name, wv, game))
    return plan_hindcast(korea.scenario.id, spec, mapped, views, seed, episodes)


def _library(korea: LoadedScenario, seed: int, episodes: int) -> str:
    """What ``detente hindcast`` printed before blocks: one batch a view, played twice when
    the dates differ."""
    spec = korea.scenario.record
    assert spec is not None
    mapped = load_mapped(spec, korea.file, korea.lines)
    games = [(wv, with_worldview(korea, wv).game) for _, wv in VIEWS]
    results = [hindcast(g, mapped, seed, episodes, wv) for wv, g in games if g is not None]
    start = common_start(results)
    assert start == "2023-03"  # the skeptic's date: the common months are scored again
    common = [
        hindcast(g, mapped, seed, episodes, wv, score_from=start)
        for wv, g in games
        if g is not None
    ]
    data = payload(korea.scenario.id, spec, mapped, results, seed, episodes, common)
    return json.dumps(data, indent=1, default=str)


@pytest.mark.parametrize(
    ("block", "workers"),
    # two spawned workers: also tests/cli/test_hindcast_cli.py (workers 1 and 2, same bytes)
    [(7, 1), pytest.param(7, 2, marks=pytest.mark.slow), (25, 1), (1000, 1)],
)
def test_blocked_run_is_the_one_batch_result(
    korea: LoadedScenario, monkeypatch: pytest.MonkeyPatch, block: int, workers: int
) -> None:
    monkeypatch.setattr(hindcast_run, "BLOCK_EPISODES", block)
    plan = _plan(korea, 2, 25)
    assert len(plan.blocks()) == len(VIEWS) * -(-25 // block)
    played: list[int] = []
    with Runner(workers) as runner:
        results, common = run_plan(plan, runner, progress=played.append)
    assert sum(played) == 25 * len(VIEWS)
    data = payload(
        plan.scenario_id, plan.spec, plan.mapped, results, plan.seed, plan.episodes, common
    )
    assert json.dumps(data, indent=1, default=str) == _library(korea, 2, 25)


def test_kept_blocks_are_used_and_the_rest_played(
    korea: LoadedScenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hindcast_run, "BLOCK_EPISODES", 10)
    plan = _plan(korea, 2, 25)
    kept: dict[int, dict[str, np.ndarray]] = {}
    run_plan(plan, on_block=lambda i, a: kept.setdefault(i, dict(a)))
    assert sorted(kept) == list(range(9))
    done = {i: kept[i] for i in (0, 4, 5)}  # the base's first block, engagement's last two
    again: list[int] = []
    results, common = run_plan(plan, done=done, on_block=lambda i, a: again.append(i))
    assert again == [1, 2, 3, 6, 7, 8]
    data = payload(
        plan.scenario_id, plan.spec, plan.mapped, results, plan.seed, plan.episodes, common
    )
    assert json.dumps(data, indent=1, default=str) == _library(korea, 2, 25)
