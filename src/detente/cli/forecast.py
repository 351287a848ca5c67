"""``detente forecast``: one model's point forecast of every issue (table, JSON or CSV)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from detente.cli.common import (
    FileArg,
    Format,
    FormatOpt,
    MaxActorsOpt,
    WorldviewOpt,
    bad_input_exits,
    emit,
    load_or_exit,
    out,
    require_finite,
    spatial_params,
)

if TYPE_CHECKING:
    from detente.models import Forecast
    from detente.scenario.load import LoadedScenario
    from detente.scenario.schema import Scenario


def forecast_json(
    fc: Forecast, scenario: str, worldview: str | None, sc: Scenario | None = None
) -> dict[str, Any]:
    """The JSON of the contract: scenario, model, worldview, then :meth:`Forecast.to_dict`.

    With the scenario ``sc``, each issue also gets ``calibrated_interval`` (the DEU-calibrated
    80 % interval, :func:`detente.analysis.calibration.calibrated_interval`; null for a model
    never scored on DEU) and the document a ``calibration`` block saying what it is.
    """
    body = fc.to_dict()
    doc = {"scenario": scenario, "model": body.pop("model"), "worldview": worldview, **body}
    if sc is not None:
        from detente.analysis.calibration import calibrated_intervals, calibration_note

        intervals = calibrated_intervals(fc.model, sc, fc.outcome)
        for entry, iv in zip(doc["issues"], intervals, strict=True):
            entry["calibrated_interval"] = None if iv is None else [round(v, 4) for v in iv]
        doc["calibration"] = calibration_note(fc.model)
    return doc


def run_forecast(
    loaded: LoadedScenario, model: str, worldview: str | None, params: dict[str, Any] | None = None
) -> tuple[Scenario, Forecast]:
    """Apply the worldview, build the problem and run the model (raises on bad input)."""
    from detente.models import get_model
    from detente.scenario.load import with_worldview
    from detente.scenario.problem import to_problem

    sc = with_worldview(loaded, worldview)
    problem = to_problem(sc)
    return sc, get_model(model, **(params or {})).forecast(problem)


def _print_forecast_table(sc: Scenario, fc: Forecast, worldview: str | None) -> None:
    from detente.models import model_class

    title = f"{sc.title} — {model_class(fc.model).title}"
    if worldview:
        title += f" — worldview: {sc.worldview(worldview).label}"
    table = Table(title=title, title_justify="left")
    table.add_column("issue")
    table.add_column("forecast", justify="right")
    table.add_column("80 % (DEU)", justify="right")
    table.add_column("scale")
    table.add_column("what it means")
    from detente.analysis.calibration import calibrated_intervals, calibration_caption

    intervals = calibrated_intervals(fc.model, sc, fc.outcome)
    for j, issue in enumerate(sc.issues):
        x = float(fc.outcome[j])
        iv = intervals[j]
        table.add_row(
            issue.label,
            f"{x:.2f}",
            "—" if iv is None else f"{iv[0]:.2f}–{iv[1]:.2f}",
            f"{issue.scale.min:g}–{issue.scale.max:g}",
            issue.scale.describe(x),
        )
    table.caption = calibration_caption(fc.model)
    table.caption_justify = "left"
    out.print(table)
    summary = fc.tables.get("summary")
    if summary is not None and not summary.empty:
        rounds = Table(title="rounds", title_justify="left")
        for column in summary.columns:
            rounds.add_column(str(column), justify="right")
        for row in summary.itertuples(index=False):
            rounds.add_row(*(f"{v:.3f}" if isinstance(v, float) else str(v) for v in row))
        out.print(rounds)
    elif fc.rounds:
        out.print(f"{len(fc.rounds) - 1} rounds after the initial state", markup=False)
    offers = fc.tables.get("offers")
    if offers is not None:
        out.print(f"{len(offers)} offers made (see --format json for every offer)", markup=False)


def forecast(
    file: FileArg,
    model: Annotated[
        str, typer.Option("--model", "-m", help="model name (see `detente models`)")
    ] = "compromise",
    worldview: WorldviewOpt = None,
    output_format: FormatOpt = Format.table,
    max_actors: MaxActorsOpt = None,
) -> None:
    """Forecast the outcome of every issue with one model."""
    from detente.scenario.importers import renamed_actors

    params = spatial_params(model, max_actors)
    loaded = load_or_exit(file)
    with bad_input_exits():
        sc, fc = run_forecast(loaded, model, worldview, params)
        renamed = renamed_actors(loaded.file)  # ids an importer derived from names: id -> name
    require_finite(file, sc, fc.model, fc.outcome, loaded.lines)
    if output_format is Format.json:
        doc = forecast_json(fc, sc.id, worldview, sc)
        emit(doc | ({"actors": renamed} if renamed else {}), Format.json, indent=2)
    elif output_format is Format.csv:
        emit(fc.to_frame(), Format.csv)
    else:
        _print_forecast_table(sc, fc, worldview)
        if renamed:
            from rich.text import Text

            ids = Table("id", "actor", title="actor ids made from the file's names")
            ids.title_justify = "left"
            for ident, name in renamed.items():
                ids.add_row(Text(ident), Text(name))
            out.print(ids)
