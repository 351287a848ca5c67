"""A sensitivity run written to a folder, in blocks of design rows that ``--resume`` continues.

``detente sensitivity`` (:mod:`detente.cli.analysis`) evaluates the design of a
:class:`~detente.analysis.sensitivity.SensitivityPlan` in **blocks** of consecutive rows; with
``--out DIR`` it keeps each finished block in the hidden sibling ``.DIR.partial/`` through the same
:class:`~detente.uncertainty.checkpoint.Checkpoint` as ``simulate --out`` (a manifest of what
determines the numbers and its SHA-256, one ``.npz`` per block written to a temporary name,
fsynced and renamed, a lock). The manifest is the run's ``provenance.json``
(:func:`sensitivity_provenance`): scenario sha256, worldview, output, method, ``n``, seed,
episodes (game outputs), model and its parameters (forecast outputs), the design's size and
block size, detente and library versions (SALib draws the design), the parameters and any
dependent groups. ``--resume`` refuses a run whose manifest differs, naming each field.

Blocks: :func:`block_rows` rows each — :data:`FORECAST_BLOCK_ROWS` (the Monte Carlo ``BLOCK_SIZE``)
for a forecast output (as a Monte Carlo block: ~1 s for the slowest models), and about
:data:`GAME_BLOCK_EPISODES` episodes for a game output (``GAME_BLOCK_EPISODES // episodes``
rows; each row plays ``episodes`` episodes, the expensive case). A block's rows are a fixed
slice of the design and are evaluated in one vectorised call, so the output of a row does not
depend on which run evaluated it: a resumed run's ``y`` is the uninterrupted run's, bit for bit.
A kept block is used only if its stored ``values`` equal the design's rows exactly (a stale or
damaged block is evaluated again).

The same rows give the same indices: ``result.json`` is what ``sensitivity --format json``
prints without ``--out``, which evaluates the same blocks (:func:`evaluate_blocks`; the rows of a
game output replay the same chance in any batch, and the game's Monte Carlo noise is computed
from the per-row variances as the one-batch run does). The blocks run in this process, on
``--workers`` spawned processes or as Ray tasks (:func:`detente.analysis.blockrun.run_blocks` on
a :class:`~detente.analysis.decision.Runner`, the block runner the crux designs share); they
never depend on the number of workers, so the output is byte-identical for ``--workers 1``,
``2`` and ``--backend ray``.

Files of ``DIR`` (written into a temporary sibling and renamed into place,
:class:`~detente.uncertainty.output.AtomicDir`):

* ``result.json`` — the indices, exactly the command's ``--format json`` output;
* ``design.parquet`` — one row per design row: ``row`` (int64), ``output`` (float64),
  ``noise_variance`` (game outputs: the Monte Carlo error variance of that row's mean, its
  episodes' variance over ``episodes``), one float64 column per parameter named by its path (the
  value the row used) and one ``unit:PATH`` column per parameter (the design's point on the unit
  hypercube that SALib drew, mapped to the value by the inverse CDF, jointly for a dependent
  group; what ``SALib.analyze`` reads);
* ``provenance.json`` — :func:`sensitivity_provenance`, byte-identical for the same inputs;
* ``run.json`` — how this run went (seconds, rows per second, ``resumed_blocks``): may differ.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.analysis.blockrun import FORECAST_BLOCK_ROWS, GAME_BLOCK_EPISODES
from detente.analysis.sensitivity import SensitivityPlan, StrategyEvaluator, noise_of
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.scenario.load import LoadedScenario
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

#: the files of a sensitivity folder (a folder holding only these may be replaced)
SENSITIVITY_FILES = ("result.json", "design.parquet", "provenance.json", "run.json")
#: called with a finished block's number and arrays (``values``, ``output``[, ``row_variance``])
BlockFn = Callable[[int, Mapping[str, FloatArray]], None]


def block_rows(plan: SensitivityPlan) -> int:
    """Design rows per block (see the module docstring)."""
    if plan.episodes is None:
        return FORECAST_BLOCK_ROWS
    return max(1, GAME_BLOCK_EPISODES // plan.episodes)


def n_blocks(plan: SensitivityPlan) -> int:
    rows = plan.design.n_evaluations
    return -(-rows // block_rows(plan))


def sensitivity_provenance(loaded: LoadedScenario, plan: SensitivityPlan) -> dict[str, Any]:
    """What determines a sensitivity run's numbers (and nothing that varies between identical
    runs): its ``provenance.json`` and the manifest a resumed run must match."""
    from importlib.metadata import version

    import pandas
    import pyarrow
    import scipy

    from detente import __version__
    from detente.models.base import jsonable

    design = plan.design
    out: dict[str, Any] = {
        "detente": __version__,
        "scenario": {
            "id": plan.scenario.id,
            "file": Path(loaded.file).name,
            "sha256": loaded.sha256,
        },
        "worldview": plan.worldview,
        "output": {**asdict(plan.output), "description": plan.output.describe()},
        "model": (
            None
            if plan.model is None
            else {"name": plan.model, "parameters": jsonable(plan.model_parameters or {})}
        ),
        "method": plan.method,
        "n": plan.n,
        "seed": plan.seed,
        "episodes": plan.episodes,
        "design": {
            "rows": design.n_evaluations,
            "block_rows": block_rows(plan),
            "sampler": (
                "SALib sobol.sample (Saltelli scheme, scrambled Sobol' sequence, "
                "calc_second_order=False)"
                if plan.method == "sobol"
                else f"SALib morris.sample (num_levels={design.num_levels})"
            ),
            "indices": "grouped" if design.grouped else "independent",
        },
        "libraries": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "SALib": version("SALib"),
            "pandas": pandas.__version__,
            "pyarrow": pyarrow.__version__,
        },
        "parameters": [
            {"path": p.path, "label": p.label, "distribution": p.quantity.describe()}
            for p in design.params
        ],
    }
    if design.dependence:
        out["dependence"] = design.dependence.describe()
    return out


def finished_blocks(
    plan: SensitivityPlan, checkpoint: Checkpoint
) -> dict[int, dict[str, FloatArray]]:
    """The kept blocks of the run being resumed that are whole and are this design's rows."""
    size, values = block_rows(plan), plan.design.values
    names = {"values", "output"} | ({"row_variance"} if plan.game is not None else set())

    def whole(b: int, arrays: Mapping[str, FloatArray]) -> bool:
        rows = values[b * size : (b + 1) * size]
        return (
            set(arrays) == names
            and arrays["values"].shape == rows.shape
            and bool(np.array_equal(arrays["values"], rows))
            and all(arrays[k].shape == (rows.shape[0],) for k in names - {"values"})
        )

    return checkpoint.load(n_blocks(plan), whole)


@dataclass(frozen=True)
class Evaluation:
    """Every design row's output, and (game outputs) its episodes' variance."""

    y: FloatArray
    row_variance: FloatArray | None
    noise_variance: float


@dataclass(frozen=True)
class BlockTask:
    """A block's arrays from its rows (picklable: what a worker process or Ray task runs)."""

    evaluate: Callable[[FloatArray], FloatArray]
    #: the game evaluator (the same object as ``evaluate``, unless wrapped): its row variance
    game: StrategyEvaluator | None

    def __call__(self, block: FloatArray) -> dict[str, FloatArray]:
        made = {"values": block, "output": np.asarray(self.evaluate(block), dtype=np.float64)}
        if self.game is not None:
            made["row_variance"] = self.game.row_variance
        return made


def blocks_of(plan: SensitivityPlan) -> list[FloatArray]:
    """The design's rows, block by block."""
    size, values = block_rows(plan), plan.design.values
    return [values[b * size : (b + 1) * size] for b in range(n_blocks(plan))]


def evaluate_blocks(
    plan: SensitivityPlan,
    done: Mapping[int, Mapping[str, FloatArray]] | None = None,
    on_block: BlockFn | None = None,
    progress: Callable[[int], None] | None = None,
    runner: Runner | None = None,
) -> Evaluation:
    """Evaluate the design block by block on ``runner`` (:func:`detente.analysis.blockrun.
    run_blocks`), taking the blocks in ``done`` as they are, calling ``on_block`` with each newly
    finished one and ``progress`` with each block's number of rows."""
    from detente.analysis.blockrun import run_blocks

    rows = plan.design.n_evaluations
    results = run_blocks(
        BlockTask(plan.evaluate, plan.game),
        blocks_of(plan),
        runner,
        done=done,
        on_block=on_block,
        progress=None if progress is None else lambda _b, a: progress(a["output"].shape[0]),
    )
    y = np.concatenate([np.asarray(a["output"], dtype=np.float64) for a in results])
    if plan.game is None or plan.episodes is None:
        return Evaluation(y=y, row_variance=None, noise_variance=0.0)
    row_variance = np.concatenate(
        [np.asarray(a["row_variance"], dtype=np.float64) for a in results]
    )
    # the arithmetic of run_sensitivity's one chunk (noise · rows / rows need not be noise)
    noise = noise_of(row_variance, plan.episodes) * rows / rows
    return Evaluation(y=y, row_variance=row_variance, noise_variance=noise)


def design_table(plan: SensitivityPlan, evaluation: Evaluation) -> Any:
    """``design.parquet``'s table (see the module docstring)."""
    import pyarrow as pa

    design = plan.design
    columns: dict[str, Any] = {
        "row": pa.array(np.arange(design.n_evaluations, dtype=np.int64)),
        "output": pa.array(evaluation.y, type=pa.float64()),
    }
    if evaluation.row_variance is not None and plan.episodes:
        columns["noise_variance"] = pa.array(
            evaluation.row_variance / plan.episodes, type=pa.float64()
        )
    for c, p in enumerate(design.params):
        columns[p.path] = pa.array(np.ascontiguousarray(design.values[:, c]), type=pa.float64())
    for c, p in enumerate(design.params):
        columns[f"unit:{p.path}"] = pa.array(
            np.ascontiguousarray(design.unit[:, c]), type=pa.float64()
        )
    return pa.table(columns)


def open_run(
    loaded: LoadedScenario, plan: SensitivityPlan, out_dir: Path, resume: bool
) -> tuple[AtomicDir, Checkpoint]:
    """The output folder and its kept blocks (:func:`detente.analysis.blockrun.open_folder`)."""
    from detente.analysis.blockrun import open_folder

    return open_folder(
        out_dir,
        SENSITIVITY_FILES,
        sensitivity_provenance(loaded, plan),
        resume=resume,
        what="sensitivity run",
    )


def write_run(
    atomic: AtomicDir,
    plan: SensitivityPlan,
    evaluation: Evaluation,
    payload: Any,
    provenance: dict[str, Any],
    run_info: dict[str, Any],
) -> None:
    """Write the folder (:func:`detente.analysis.blockrun.write_folder`, with the design's rows
    and outputs as ``design.parquet``), then commit."""
    from detente.analysis.blockrun import write_folder
    from detente.uncertainty.output import write_parquet

    def design(path: Path) -> None:
        write_parquet(design_table(plan, evaluation), path)

    write_folder(atomic, payload, provenance, run_info, {"design.parquet": design})
