"""``detente hindcast`` in blocks of episodes: in parallel, kept as they finish, resumable.

A hindcast plays, for each view (``base`` or a worldview), the batch of ``episodes`` episodes
forced to the record (:func:`detente.analysis.hindcast.record_paths`). Here the batch is cut
into **blocks** of :data:`BLOCK_EPISODES` consecutive episodes (the last one shorter), the same
cut whatever the number of workers or the backend: block ``i`` is view ``i // B``'s episodes
``(i % B)·BLOCK_EPISODES …`` (``B`` blocks a view). Each block is played alone — here, in a pool
of spawned processes or as a Ray task (:class:`~detente.analysis.decision.Runner`) — with
exactly the draws and the chance its episodes have in the one batch (the per-path streams give
an episode's judgments from ``(seed, episode, path)``; the game's streams are moved past the
other episodes: :class:`~detente.strategy.engine.TiledUniforms`' window). A view's blocks are
joined (:func:`~detente.analysis.hindcast.join_paths`) into the one batch's paths, bit for bit
and in its memory layout, and scored (:func:`~detente.analysis.hindcast.score`) on its own
months and, when the views' dates differ, on the months they all score — from the same paths,
played once. So the result is the one-process, one-batch result (:func:`hindcast`, which
``detente brief``, the report and the web explorer call), byte for byte, for any ``--workers``
and ``--backend``.

``--out DIR`` keeps each finished block in ``.DIR.partial/`` through
:class:`~detente.uncertainty.checkpoint.Checkpoint` (one ``.npz`` a block: its episodes'
normalised type priors ``prior`` ``(m, K)`` and per-month ``logp``/``log_stay`` ``(m, K, T)``;
a manifest of what determines the numbers: :func:`hindcast_provenance`); ``--resume`` loads the
kept blocks that are whole and of the right shape, plays the others and gives the
uninterrupted result; a resume whose inputs differ is refused, naming each field. The folder is
written whole or not at all (:class:`~detente.uncertainty.output.AtomicDir`):

* ``result.json`` — exactly what ``detente hindcast --format json`` prints;
* ``provenance.json`` — :func:`hindcast_provenance`, byte-identical for the same inputs;
* ``run.json`` — how this run went (backend, workers, seconds, ``resumed_blocks``): may differ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.analysis.hindcast import (
    Hindcast,
    Moves,
    check_window,
    first_scored,
    join_paths,
    record_paths,
    score,
)
from detente.analysis.hindcast import _Paths as Paths
from detente.models.base import FloatArray
from detente.scenario.game import GameSpec
from detente.scenario.hindcast import MappedRecord, RecordSpec

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.scenario.load import LoadedScenario
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

#: episodes a block plays (about half a second on the Korea game on one core: a block's fixed
#: cost, the game's set-up and its months' Python, is ~0.2 s)
BLOCK_EPISODES = 1000
#: the files of a hindcast folder (a folder holding only these may be replaced)
HINDCAST_FILES = ("result.json", "provenance.json", "run.json")
#: the arrays a kept block holds
BLOCK_ARRAYS = ("prior", "logp", "log_stay")
#: called with a finished block's number and arrays
BlockFn = Callable[[int, Mapping[str, FloatArray]], None]


class ViewError(ValueError):
    """A view cannot be scored (the record's window, nothing left to score)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass(frozen=True)
class View:
    """One game the record is held against."""

    name: str  #: as the command names it: ``base`` or a worldview id
    worldview: str | None  #: the worldview applied (None: the scenario without overrides)
    game: GameSpec


@dataclass(frozen=True)
class Block:
    """Episodes ``start … stop − 1`` of view ``view``'s batch."""

    view: int
    start: int
    stop: int


@dataclass(frozen=True)
class HindcastPlan:
    """What a hindcast plays: its views, seed and episodes, and the record's moves."""

    scenario_id: str
    spec: RecordSpec
    mapped: MappedRecord
    views: tuple[View, ...]
    seed: int
    episodes: int
    #: the first month every view scores when their dates differ (None: they score the same)
    common: str | None

    def blocks(self) -> list[Block]:
        """Every block, view by view, in episode order (block ``i`` is ``blocks()[i]``)."""
        return [
            Block(v, a, min(a + BLOCK_EPISODES, self.episodes))
            for v in range(len(self.views))
            for a in range(0, self.episodes, BLOCK_EPISODES)
        ]


def plan_hindcast(
    scenario_id: str,
    spec: RecordSpec,
    mapped: MappedRecord,
    views: Sequence[View],
    seed: int,
    episodes: int,
) -> HindcastPlan:
    """The plan, each view checked before anything is played (:class:`ViewError` naming the
    first view that cannot be scored, with :func:`hindcast`'s message). A dated view's history
    is read from the record now, once, so that its game goes to workers as a plain value."""
    if episodes < 1:
        raise ValueError("episodes must be >= 1")
    ready: list[View] = []
    firsts: list[str] = []
    for view in views:
        game = view.game
        try:
            check_window(game, mapped)
            firsts.append(mapped.months[first_scored(game, mapped)])
        except ValueError as exc:
            raise ViewError(view.name, str(exc)) from None
        history = game.history
        ready.append(
            View(view.name, view.worldview, game.with_history(history) if history else game)
        )
    common = max(firsts) if len(set(firsts)) > 1 else None  # hindcast.common_start's rule
    return HindcastPlan(scenario_id, spec, mapped, tuple(ready), seed, episodes, common)


@dataclass(frozen=True)
class _Play:
    """Plays one block (a plain value: sent to worker processes and Ray tasks)."""

    games: tuple[GameSpec, ...]
    moves: Moves
    seed: int
    episodes: int

    def __call__(self, block: Block) -> dict[str, FloatArray]:
        p = record_paths(
            self.games[block.view], self.moves, self.seed, self.episodes, (block.start, block.stop)
        )
        return {
            "prior": np.ascontiguousarray(p.prior),
            "logp": np.ascontiguousarray(p.logp),
            "log_stay": np.ascontiguousarray(p.log_stay),
        }


def run_plan(
    plan: HindcastPlan,
    runner: Runner | None = None,
    done: Mapping[int, Mapping[str, FloatArray]] | None = None,
    on_block: BlockFn | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[Hindcast], list[Hindcast]]:
    """Every view's :class:`Hindcast` and, when the views' dates differ, each again on the
    months they all score (else an empty list): :func:`hindcast`'s results, bit for bit.

    The blocks are run by :func:`detente.analysis.blockrun.run_blocks` (those in ``done`` taken
    as they are, the others played on ``runner`` in waves of its number of workers,
    ``on_block`` called with each as it finishes); ``progress`` is called with each block's
    number of episodes, in block order, and a view is scored as soon as its last block is
    reported.
    """
    from detente.analysis.blockrun import run_blocks

    blocks = plan.blocks()
    per_view = -(-plan.episodes // BLOCK_EPISODES)
    results: list[Hindcast] = []
    common: list[Hindcast] = []
    ready: list[Mapping[str, FloatArray]] = []

    def reported(i: int, arrays: Mapping[str, FloatArray]) -> None:
        if progress is not None:
            progress(blocks[i].stop - blocks[i].start)
        ready.append(arrays)
        if len(ready) < per_view:
            return
        view = plan.views[blocks[i].view]
        paths = join_paths([_paths(a) for a in ready])
        ready.clear()
        args = (view.game, plan.mapped, paths, plan.seed, plan.episodes, view.worldview)
        results.append(score(*args))
        if plan.common is not None:
            common.append(score(*args, score_from=plan.common))

    play = _Play(tuple(v.game for v in plan.views), Moves.of(plan.mapped), plan.seed, plan.episodes)
    run_blocks(play, blocks, runner, done=done, on_block=on_block, progress=reported, keep=False)
    assert len(results) == len(plan.views)
    return results, common


def _paths(arrays: Mapping[str, FloatArray]) -> Paths:
    return Paths(prior=arrays["prior"], logp=arrays["logp"], log_stay=arrays["log_stay"])


# ------------------------------------------------------------------------------ the folder


def hindcast_provenance(loaded: LoadedScenario, plan: HindcastPlan) -> dict[str, Any]:
    """What determines a hindcast's numbers (and nothing that varies between identical runs):
    its ``provenance.json`` and the manifest a resumed run must match — the scenario's and the
    record's SHA-256, the record's window and the moves it maps to (``month: "coalition /
    target"``), the views, seed, episodes, the blocks, the sampling format and the library
    versions."""
    import scipy

    from detente import __version__
    from detente.scenario.hindcast import record_file
    from detente.uncertainty.sampling import FORMAT_VERSION

    record = record_file(plan.spec, loaded.file)
    mapped = plan.mapped
    return {
        "detente": __version__,
        "scenario": {
            "id": plan.scenario_id,
            "file": Path(loaded.file).name,
            "sha256": loaded.sha256,
        },
        "record": {
            "file": plan.spec.file,
            "sha256": hashlib.sha256(record.read_bytes()).hexdigest(),
            "start": plan.spec.start,
            "end": plan.spec.end,
            "moves": {
                m: f"{c} / {t}"
                for m, c, t in zip(mapped.months, mapped.coalition, mapped.target, strict=True)
            },
        },
        "worldviews": [v.name for v in plan.views],
        "seed": plan.seed,
        "episodes": plan.episodes,
        "blocks": {"episodes": BLOCK_EPISODES, "count": len(plan.blocks())},
        "sampling": {
            "format": FORMAT_VERSION,
            "bit_generator": "PCG64",
            "seeding": (
                "judgments: the per-path streams (SeedSequence(seed, spawn_key=(block, "
                "path_key(path)))); the game's chance: SeedSequence(seed).spawn(2)[0]"
            ),
        },
        "libraries": {"numpy": np.__version__, "scipy": scipy.__version__},
    }


def finished_blocks(plan: HindcastPlan, checkpoint: Checkpoint) -> dict[int, dict[str, FloatArray]]:
    """The kept blocks of the run being resumed that are whole and of their block's shape."""
    blocks = plan.blocks()
    n_months = len(plan.mapped.months)

    def whole(i: int, arrays: Mapping[str, FloatArray]) -> bool:
        b = blocks[i]
        m, k = b.stop - b.start, len(plan.views[b.view].game.types)
        return (
            set(arrays) == set(BLOCK_ARRAYS)
            and arrays["prior"].shape == (m, k)
            and arrays["logp"].shape == (m, k, n_months)
            and arrays["log_stay"].shape == (m, k, n_months)
        )

    return checkpoint.load(len(blocks), whole)


def open_run(
    loaded: LoadedScenario, plan: HindcastPlan, out_dir: Path, resume: bool
) -> tuple[AtomicDir, Checkpoint]:
    """The output folder and its kept blocks (:func:`detente.analysis.blockrun.open_folder`)."""
    from detente.analysis.blockrun import open_folder

    return open_folder(
        out_dir, HINDCAST_FILES, hindcast_provenance(loaded, plan), resume=resume, what="hindcast"
    )
