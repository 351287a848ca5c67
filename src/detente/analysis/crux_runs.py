"""A crux design run (``cruxes --method prim|evppi``) in blocks of design rows that ``--out``
keeps and ``--resume`` continues.

The Monte Carlo design of scenario discovery and of the value of information
(:func:`detente.analysis.discovery.plan_design`, one per worldview) is evaluated in **blocks**
of :func:`block_rows` consecutive rows — a multiple of the decision evaluator's
:data:`~detente.analysis.decision.CHUNK`, so a block's chunks are exactly the chunks of the
whole design's evaluation (:func:`~detente.analysis.decision.evaluate`): about
:data:`~detente.analysis.blockrun.GAME_BLOCK_EPISODES` episodes a block for a game output,
:data:`~detente.analysis.blockrun.FORECAST_BLOCK_ROWS` forecasts for a forecast output. The
blocks of every worldview's design are numbered one after the other (the first worldview's,
then the second's) and run through :func:`detente.analysis.blockrun.run_blocks` — in this
process, on ``--workers`` spawned processes or on Ray — each kept as it finishes
(:class:`~detente.uncertainty.checkpoint.Checkpoint`, in the hidden sibling ``.DIR.partial/``).
A block's net benefits do not depend on which run, process or backend evaluated it, so the
result — ``result.json``, exactly what ``cruxes --format json`` prints without ``--out`` — is
byte-identical for ``--workers 1``, ``2``, ``--backend ray``, with or without ``--out``, and for
a run resumed after an interruption (even SIGKILL). A kept block is used only when its stored
``values`` are the design's rows exactly (a stale or damaged block is evaluated again).

Files of ``DIR`` (written into a temporary sibling and renamed into place,
:class:`~detente.uncertainty.output.AtomicDir`: never half-written):

* ``result.json`` — the method's ``--format json`` output;
* ``provenance.json`` — :func:`crux_provenance`: what determines the numbers, byte-identical
  for the same inputs; the manifest a ``--resume`` must match (scenario sha256, method,
  worldviews, output, threshold, model, seed, design rows, episodes, block rows, each design's
  judgments, the method's settings, detente and library versions);
* ``run.json`` — how this run went (seconds, workers, backend, ``resumed_blocks``): may differ.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from detente.analysis.blockrun import FORECAST_BLOCK_ROWS, GAME_BLOCK_EPISODES, same_rows
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.analysis.decision import Runner
    from detente.analysis.discovery import Design, DesignPlan
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.output import AtomicDir

CruxDesignMethod = Literal["prim", "evppi"]
#: the files of a crux design folder (a folder holding only these may be replaced)
CRUX_FILES = ("result.json", "provenance.json", "run.json")


def block_rows(plan: DesignPlan) -> int:
    """Design rows per block: a multiple of CHUNK (see the module docstring)."""
    from detente.analysis.decision import CHUNK

    game = plan.output.kind != "forecast"
    budget = GAME_BLOCK_EPISODES if game else FORECAST_BLOCK_ROWS
    return CHUNK * max(1, budget // (CHUNK * plan.decision.size))


@dataclass(frozen=True)
class CruxRun:
    """Every worldview's design of one ``cruxes --method prim|evppi`` run, in blocks."""

    plans: tuple[DesignPlan, ...]
    method: CruxDesignMethod
    #: (design, first row, last row + 1) of each block, in block order
    blocks: tuple[tuple[int, int, int], ...]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.plans)

    def values(self, b: int) -> FloatArray:
        k, start, stop = self.blocks[b]
        return self.plans[k].setting_values[start:stop]

    def __call__(self, b: int) -> dict[str, FloatArray]:
        """Block ``b``'s arrays: its rows' setting values and net benefits (what a worker
        runs: the design's chunks of that block, in this process)."""
        from detente.analysis.decision import evaluate

        k, start, stop = self.blocks[b]
        plan = self.plans[k]
        table = evaluate(plan.decision, plan.settings(start, stop), None)
        return {"values": self.values(b), "table": table}

    def check(self, b: int, arrays: Mapping[str, FloatArray]) -> bool:
        """Whether a kept block is block ``b`` of these designs, whole."""
        rows = self.values(b)
        options = len(self.plans[self.blocks[b][0]].decision.options)
        table = arrays.get("table")
        return (
            set(arrays) == {"values", "table"}
            and same_rows(arrays, "values", rows)
            and table is not None
            and table.shape == (rows.shape[0], options)
        )

    def designs(
        self, arrays: list[Mapping[str, FloatArray]], runner: Runner | None = None
    ) -> list[Design]:
        """Each worldview's evaluated design from every block's arrays (in block order)."""
        out = []
        for k, plan in enumerate(self.plans):
            parts = [
                np.asarray(a["table"], dtype=np.float64)
                for a, (j, _s, _e) in zip(arrays, self.blocks, strict=True)
                if j == k
            ]
            out.append(plan.finish(np.concatenate(parts, axis=0), runner))
        return out


def crux_run(
    loaded: LoadedScenario,
    worldviews: list[str],
    output: Any,
    method: CruxDesignMethod,
    *,
    rows: int,
    seed: int,
    episodes: int,
    threshold: float | None,
    model: Model | None,
) -> CruxRun:
    """Plan every worldview's design (bad input: ValueError, before anything is evaluated)."""
    from detente.analysis.discovery import plan_design

    plans = tuple(
        plan_design(
            loaded,
            wv,
            output,
            rows=rows,
            seed=seed,
            episodes=episodes,
            threshold=threshold,
            model=model,
        )
        for wv in worldviews
    )
    blocks: list[tuple[int, int, int]] = []
    for k, plan in enumerate(plans):
        size = block_rows(plan)
        blocks += [(k, s, min(plan.rows, s + size)) for s in range(0, plan.rows, size)]
    return CruxRun(plans, method, tuple(blocks))


def crux_provenance(loaded: LoadedScenario, run: CruxRun) -> dict[str, Any]:
    """What determines a crux design run's numbers (and nothing that varies between identical
    runs): its ``provenance.json`` and the manifest a resumed run must match."""
    from detente import __version__
    from detente.analysis.blockrun import libraries
    from detente.models.base import jsonable

    first = run.plans[0]
    output = first.output
    decision = first.decision
    game = output.kind != "forecast"
    model = getattr(decision, "model", None)
    if run.method == "prim":
        from detente.analysis.discovery import DENSITY, MASS_MIN, MAX_BOXES, PEEL_ALPHA

        analysis: dict[str, Any] = {
            "estimator": "PRIM (ema_workbench.analysis.prim), lenient objective",
            "density_threshold": DENSITY,
            "peel_alpha": PEEL_ALPHA,
            "paste_alpha": PEEL_ALPHA,
            "mass_min": MASS_MIN,
            "max_boxes": MAX_BOXES,
        }
        libs = libraries("pandas", "ema_workbench")
    else:
        from detente.analysis.voi import BOOTSTRAP, MAX_KNOTS

        analysis = {
            "estimator": "regression (cubic regression spline, Strong, Oakley & Brennan 2014)",
            "bootstrap": BOOTSTRAP,
            "max_knots": MAX_KNOTS,
        }
        libs = libraries()
    return {
        "detente": __version__,
        "scenario": {
            "id": loaded.scenario.id,
            "file": Path(loaded.file).name,
            "sha256": loaded.sha256,
        },
        "method": run.method,
        "worldviews": [p.worldview for p in run.plans],
        "output": {**asdict(output), "description": output.describe()},
        "threshold": first.threshold,
        "model": (
            None
            if model is None
            else {"name": model.name, "parameters": jsonable(model.get_params())}
        ),
        "seed": first.seed,
        "episodes": decision.size if game else None,
        "design": {
            "rows": first.rows,
            "block_rows": block_rows(first),
            "blocks": len(run.blocks),
            "sampler": (
                "each uncertain judgment the output reads at its inverse CDF of the per-path "
                "uniforms (detente.uncertainty.sampling.path_uniforms, seed, draw = row); "
                "type priors normalised to sum to 1 in each row"
            ),
            "judgments": {p.worldview: list(p.paths) for p in run.plans},
        },
        "analysis": analysis,
        "libraries": libs,
    }


def open_run(
    loaded: LoadedScenario, run: CruxRun, out_dir: Path, resume: bool
) -> tuple[AtomicDir, Checkpoint]:
    """The output folder and its kept blocks (:func:`detente.analysis.blockrun.open_folder`)."""
    from detente.analysis.blockrun import open_folder

    return open_folder(
        out_dir,
        CRUX_FILES,
        crux_provenance(loaded, run),
        resume=resume,
        what=f"{run.method} design run",
    )
