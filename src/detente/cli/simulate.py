"""``detente simulate``: Monte Carlo over every uncertain judgment of a scenario.

The command, its table and the ``provenance.json`` it writes (:func:`provenance`); the Monte
Carlo itself is :mod:`detente.uncertainty`. Bad input (file, worldview, model, options, output
directory) exits 2 with a message and no traceback; an interrupted run (Ctrl-C, SIGTERM) exits
130/143 and leaves no output behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from detente import __version__
from detente.cli.blockrun import Terminated, exit_interrupted, sigterm_raises
from detente.cli.common import (
    Backend,
    BackendOpt,
    FileArg,
    Format,
    MaxActorsOpt,
    SeedOpt,
    TableJsonOpt,
    WorkersOpt,
    WorldviewOpt,
    accept,
    bad_input_exits,
    emit,
    err,
    fail,
    load_or_exit,
    out,
    progress_bar,
    require_finite,
    spatial_params,
)
from detente.cli.exits import output_failed

if TYPE_CHECKING:
    from detente.scenario.load import LoadedScenario
    from detente.scenario.schema import Scenario
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.runner import BlockResult, Job, MonteCarloResult
    from detente.uncertainty.sampling import Parameter
    from detente.uncertainty.summary import IssueSummary


def provenance(
    loaded: LoadedScenario, result: MonteCarloResult, worldview: str | None
) -> dict[str, Any]:
    """What determines the numbers (and nothing that varies between identical runs)."""
    return job_provenance(loaded, result.job, result.parameters, result.model_parameters, worldview)


def job_provenance(
    loaded: LoadedScenario,
    job: Job,
    parameters: list[Parameter],
    model_parameters: dict[str, Any],
    worldview: str | None,
) -> dict[str, Any]:
    """:func:`provenance` before the run (what a resumed run must match: its manifest)."""
    import numpy as np
    import pyarrow
    import scipy

    from detente.models.base import jsonable
    from detente.uncertainty.dependence import scenario_dependence
    from detente.uncertainty.sampling import BLOCK_SIZE, FORMAT_VERSION

    dependence = scenario_dependence(job.scenario)
    out: dict[str, Any] = {
        "detente": __version__,
        "scenario": {
            "id": job.scenario.id,
            "file": Path(loaded.file).name,
            "sha256": loaded.sha256,
        },
        "worldview": worldview,
        "model": {"name": job.model, "parameters": jsonable(model_parameters)},
        "seed": job.seed,
        "draws": job.draws,
        "sampling": {
            "format": FORMAT_VERSION,
            "block_size": BLOCK_SIZE,
            "bit_generator": "PCG64",
            "seeding": (
                "SeedSequence(seed, spawn_key=(block, path_key(path))) per block and parameter; "
                "path_key: the first 8 bytes (big-endian) of the SHA-256 of the parameter's path"
            ),
        },
        "libraries": {
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "pyarrow": pyarrow.__version__,
        },
        "parameters": [
            {"path": p.path, "label": p.label, "distribution": p.quantity.describe()}
            for p in parameters
        ],
    }
    if dependence:  # only with groups: every other provenance.json is unchanged
        out["dependence"] = dependence.describe()
    return out


def _summary_json(
    sc: Scenario, result: MonteCarloResult, worldview: str | None, summaries: list[IssueSummary]
) -> dict[str, Any]:
    from detente.analysis.calibration import calibrated_intervals, calibration_note

    issues = [s.to_json() for s in summaries]
    for entry, iv in zip(
        issues, calibrated_intervals(result.job.model, sc, result.outcome), strict=True
    ):
        entry["calibrated_interval"] = None if iv is None else [round(v, 4) for v in iv]
    note = calibration_note(result.job.model) | {
        "interval": "5-95 % of the Monte Carlo over judgments only",
        "calibrated_interval": (
            "80 % of a Monte Carlo draw plus the model's DEU III residual (judgments and the "
            "model's own error)"
        ),
    }
    return {
        "scenario": sc.id,
        "model": result.job.model,
        "worldview": worldview,
        "parameters": result.model_parameters,
        "seed": result.job.seed,
        "draws": result.job.draws,
        "uncertain_parameters": len(result.parameters),
        "issues": issues,
        "calibration": note,
    }


def _print_table(
    sc: Scenario, result: MonteCarloResult, worldview: str | None, summaries: list[IssueSummary]
) -> None:
    from detente.models import model_class

    title = f"{sc.title} — {model_class(result.job.model).title} — {result.job.draws} draws"
    if worldview:
        title += f" — worldview: {sc.worldview(worldview).label}"
    table = Table(title=title, title_justify="left", show_lines=True)
    table.add_column("issue")
    table.add_column("mean", justify="right")
    table.add_column("median", justify="right")
    table.add_column("5–95 % (judgments)", justify="right")
    table.add_column("80 % (judgments + DEU error)", justify="right")
    table.add_column("chance by band (nearest anchor)")
    from detente.analysis.calibration import calibrated_intervals, calibration_caption

    intervals = calibrated_intervals(result.job.model, sc, result.outcome)
    for s, iv in zip(summaries, intervals, strict=True):
        bands = "\n".join(
            f"{b.probability:6.1%}  {b.anchor:g}: {b.label}" for b in s.bands if b.probability > 0
        )
        table.add_row(
            s.label,
            f"{s.mean:.2f}",
            f"{s.median:.2f}",
            f"{s.low:.2f}–{s.high:.2f}",
            "—" if iv is None else f"{iv[0]:.2f}–{iv[1]:.2f}",
            bands,
        )
    table.caption = (
        f"{len(result.parameters)} uncertain parameters sampled, seed {result.job.seed}; "
        + calibration_caption(result.job.model)
    )
    out.print(table)


def simulate(
    file: FileArg,
    model: Annotated[
        str, typer.Option("--model", "-m", help="model name (see `detente models`)")
    ] = "compromise",
    draws: Annotated[
        int, typer.Option("--draws", "-n", min=1, help="number of Monte Carlo draws")
    ] = 10_000,
    seed: SeedOpt = 0,
    worldview: WorldviewOpt = None,
    backend: BackendOpt = Backend.local,
    workers: WorkersOpt = 1,
    address: Annotated[
        str | None,
        typer.Option("--address", help="Ray cluster address (ray backend; default: start one)"),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="write draws.parquet, inputs.parquet, provenance.json"),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option("--resume", help="continue the unfinished run of --out (same inputs)"),
    ] = False,
    output_format: TableJsonOpt = Format.table,
    max_actors: MaxActorsOpt = None,
) -> None:
    """Monte Carlo: sample every uncertain judgment, forecast each draw, summarise per issue.

    The same file, model, seed, draws and worldview give byte-identical Parquet and
    provenance.json, whatever the backend or number of workers. With --out, finished blocks are
    kept as they finish (in .OUT.partial); --resume continues an interrupted run from them, with
    the same result, byte for byte, as an uninterrupted one.
    """
    from detente.models import model_class
    from detente.scenario.load import with_worldview
    from detente.uncertainty.checkpoint import CheckpointError
    from detente.uncertainty.output import AtomicDir, OutputError, write_run
    from detente.uncertainty.runner import Job
    from detente.uncertainty.summary import summarize

    accept(output_format, Format.table, Format.json)
    if address is not None and backend is not Backend.ray:
        fail("--address needs --backend ray")
    if resume and out_dir is None:
        fail("--resume needs --out DIR (the folder of the run to continue)")
    params = spatial_params(model, max_actors)
    loaded = load_or_exit(file)
    with bad_input_exits():
        sc = with_worldview(loaded, worldview)
        model_class(model)
    job = Job(scenario=sc, model=model, seed=seed, draws=draws, model_params=params)

    with sigterm_raises():
        checkpoint: Checkpoint | None = None
        try:
            atomic = AtomicDir(out_dir) if out_dir is not None else None
            if out_dir is not None:
                checkpoint = _checkpoint(loaded, job, worldview, out_dir, resume)
        except (OutputError, CheckpointError) as exc:
            if "atomic" in locals() and atomic is not None:
                atomic.discard()
            fail(str(exc))
        try:
            started = time.perf_counter()
            done = _finished_blocks(job, checkpoint) if resume and checkpoint else {}
            result = _run_with_progress(job, backend.value, workers, address, done, checkpoint)
            require_finite(file, sc, model, result.outcome, loaded.lines)
            elapsed = time.perf_counter() - started
            if atomic is not None:
                run_info = {
                    "backend": backend.value,
                    "workers": workers,
                    "workers_used": result.workers_used,
                    "address": address,
                    "seconds": round(elapsed, 3),
                    "draws_per_second": round(draws / elapsed, 1) if elapsed > 0 else None,
                    "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                }
                if done:
                    run_info["resumed_blocks"] = len(done)
                try:
                    write_run(atomic, result, provenance(loaded, result, worldview), run_info)
                except OSError as exc:  # a full disk: one line, the earlier run left intact
                    atomic.discard()
                    if checkpoint is not None:  # and nothing of this run left behind
                        checkpoint.finish()
                    output_failed(exc, out_dir)
            if checkpoint is not None:
                checkpoint.finish()
        except (KeyboardInterrupt, Terminated) as exc:
            exit_interrupted(exc, checkpoint)
        finally:
            if atomic is not None:
                atomic.discard()
            if checkpoint is not None:
                checkpoint.close()

    summaries = summarize(sc, result.outcome)
    if output_format is Format.json:
        emit(_summary_json(sc, result, worldview, summaries), Format.json, indent=2)
    else:
        _print_table(sc, result, worldview, summaries)
    if out_dir is not None:
        err.print(f"wrote {out_dir}", markup=False)


def _checkpoint(
    loaded: LoadedScenario, job: Job, worldview: str | None, out_dir: Path, resume: bool
) -> Checkpoint:
    """The run's kept blocks (a fresh set, or the unfinished run's when ``resume``)."""
    from detente.models import get_model
    from detente.uncertainty.checkpoint import Checkpoint
    from detente.uncertainty.sampling import uncertain_parameters

    params = uncertain_parameters(job.scenario)
    model_params = get_model(job.model, **job.model_params).get_params()
    key = job_provenance(loaded, job, params, model_params, worldview)
    return Checkpoint(out_dir, key, resume=resume, what="simulation")


def _finished_blocks(job: Job, checkpoint: Checkpoint) -> dict[int, BlockResult]:
    """The kept blocks of the run being resumed, whole and of the right shape."""
    from detente.uncertainty.runner import BlockResult
    from detente.uncertainty.sampling import BLOCK_SIZE, block_ranges, uncertain_parameters

    n_params = len(uncertain_parameters(job.scenario))
    k = len(job.scenario.issues)
    ranges = block_ranges(job.draws)

    def whole(b: int, arrays: Any) -> bool:
        n = ranges[b][2] - ranges[b][1]
        return (
            set(arrays) == {"inputs", "outcome"}
            and arrays["inputs"].shape == (n, n_params)
            and arrays["outcome"].shape == (n, k)
            and n <= BLOCK_SIZE
        )

    kept = checkpoint.load(len(ranges), whole)
    return {
        b: BlockResult(block=b, inputs=a["inputs"], outcome=a["outcome"]) for b, a in kept.items()
    }


def checkpoint_saver(checkpoint: Checkpoint) -> Callable[[list[BlockResult]], None]:
    """Keep each finished block of a Monte Carlo run in ``checkpoint``."""

    def save(part: list[BlockResult]) -> None:
        for r in part:
            checkpoint.save(r.block, {"inputs": r.inputs, "outcome": r.outcome})

    return save


def _run_with_progress(
    job: Job,
    backend: str,
    workers: int,
    address: str | None,
    done: dict[int, BlockResult] | None = None,
    checkpoint: Checkpoint | None = None,
) -> MonteCarloResult:
    from detente.uncertainty.runner import BackendUnavailableError
    from detente.uncertainty.runner import simulate as monte_carlo

    progress = progress_bar("simulating")
    with progress, bad_input_exits():
        task = progress.add_task("draws", total=job.draws)
        try:
            return monte_carlo(
                job,
                backend="ray" if backend == "ray" else "local",
                workers=workers,
                address=address,
                progress=lambda n: progress.advance(task, n),
                done=done,
                on_blocks=None if checkpoint is None else checkpoint_saver(checkpoint),
            )
        except BackendUnavailableError as exc:
            fail(str(exc))
        except ConnectionError as exc:
            fail(f"cannot reach the Ray cluster: {exc}")
