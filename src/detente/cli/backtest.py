"""``detente backtest deu FILE``: score every model against real EU decisions (DEU III).

A command group (:data:`app`, joined to the main app as ``backtest``). Contract
(docs/backtest.md, DESIGN.md): JSON ``{"models": {name: {"mae", "rmse", "n", "ci95": [lo, hi],
…}}, "paired_differences", "candidates", "excluded", …}``; exit 0 ok, 2 bad input with a
one-line ``file:line: field: problem`` on stderr and no traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from detente.cli.common import Format, SeedOpt, TableJsonOpt, accept, console, emit, fail

if TYPE_CHECKING:
    from detente.analysis.backtest import BacktestResult

_SHORT_VERDICT = {
    "beats the weighted mean": "beats",
    "not distinguishable": "not distinguishable",
    "does not beat the weighted mean": "does not beat",
}


def _model_names(spec: str) -> list[str]:
    from detente.analysis.backtest import BASELINES
    from detente.models import MODEL_REGISTRY, available_models

    if spec.strip().lower() == "all":
        return [*available_models(), *BASELINES]
    names = [n.strip() for n in spec.split(",") if n.strip()]
    if not names:
        fail("backtest: --models: empty list, expected e.g. compromise,median,rp or all")
    for n in names:
        if n not in BASELINES and n not in MODEL_REGISTRY:
            known = ", ".join([*sorted(MODEL_REGISTRY), *BASELINES, "all"])
            fail(f"backtest: --models: unknown model {n!r} (expected one of: {known})")
    return list(dict.fromkeys(names))


def _fmt(x: Any) -> str:
    return "—" if x is None else f"{x:.2f}"


def _print_tables(result: BacktestResult, console: Console) -> None:
    d = result.to_dict()
    info = d["data"]
    console.print(
        Text(str(d["file"]), style="bold"),
        f": {info['issues_scored']} issues in {info['proposals']} "
        f"proposals scored, {info['issues_excluded']} left out "
        f"({', '.join(f'{k}: {v}' for k, v in info['exclusion_reasons'].items()) or 'none'}); "
        f"capability {d['capability']}, {result.n_boot} proposal-clustered bootstrap resamples, "
        f"seed {d['seed']}",
        sep="",
    )
    t = Table(title="Forecast error against the decision outcome (0–100 scale)")
    for col in ("model", "MAE", "95 % CI", "RMSE", "95 % CI", "n", "proposals", "excluded"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for name, s in d["models"].items():
        t.add_row(
            name,
            _fmt(s["mae"]),
            f"[{_fmt(s['ci95'][0])}, {_fmt(s['ci95'][1])}]",
            _fmt(s["rmse"]),
            f"[{_fmt(s['rmse_ci95'][0])}, {_fmt(s['rmse_ci95'][1])}]",
            str(s["n"]),
            str(s["n_proposals"]),
            str(s["excluded"]),
        )
    console.print(t)
    if d["paired_differences"]:
        p = Table(title="Paired differences in MAE (same issues, same resamples; < 0: a closer)")
        for col in ("a", "b", "MAE(a) − MAE(b)", "95 % CI", "n"):
            p.add_column(col, justify="left" if col in ("a", "b") else "right")
        ref = d["paired_differences"][0]["b"]
        for row in d["paired_differences"]:
            if row["b"] != ref:
                continue  # the JSON has every pair; the table shows those against the reference
            p.add_row(
                row["a"],
                row["b"],
                _fmt(row["mae_difference"]),
                f"[{_fmt(row['ci95'][0])}, {_fmt(row['ci95'][1])}]",
                str(row["n"]),
            )
        console.print(p)
    proto = d.get("candidates")
    if proto:
        c = Table(
            title=(
                f"Protocol: beat the weighted mean (fit {proto['fit_proposals']} proposals / "
                f"{proto['fit_issues']} issues, test {proto['test_proposals']} / "
                f"{proto['test_issues']}); weighted mean fit "
                f"{_fmt(proto['weighted_mean']['fit_mae'])}, test "
                f"{_fmt(proto['weighted_mean']['test_mae'])}"
            )
        )
        for col in (
            "candidate",
            "parameter",
            "fit MAE",
            "test MAE",
            "test Δ",
            "95 % CI",
            "verdict",
        ):
            c.add_column(col, justify="left" if col in ("candidate", "verdict") else "right")
        for name, row in proto["candidates"].items():
            c.add_row(
                name,
                str(row["parameter"]),
                _fmt(row["fit_mae"]),
                _fmt(row["test_mae"]),
                _fmt(row["test_difference"]),
                f"[{_fmt(row['test_difference_ci95'][0])}, {_fmt(row['test_difference_ci95'][1])}]",
                _SHORT_VERDICT.get(row["verdict"].split(" (")[0], row["verdict"]),
            )
        console.print(c)


app = typer.Typer(help="Score detente's models against real decisions.", no_args_is_help=True)


@app.callback()
def _backtest() -> None:
    """Score detente's models against real decisions."""


@app.command("deu")
def deu(
    file: Annotated[Path, typer.Argument(help="DEU-layout TSV (e.g. deu3-dev.tsv).")],
    models: Annotated[
        str,
        typer.Option(
            help="Comma-separated model names, baselines 'rp' (status quo) and "
            "'midpoint', or 'all'."
        ),
    ] = "all",
    capability: Annotated[
        str, typer.Option(help="Actor capability: equal | gdp | council.")
    ] = "equal",
    seed: SeedOpt = 0,
    bootstrap: Annotated[
        int, typer.Option(min=100, help="Bootstrap resamples (clustered by proposal).")
    ] = 2000,
    protocol: Annotated[
        bool, typer.Option(help="Run the pre-registered beat-the-mean protocol.")
    ] = True,
    fmt: TableJsonOpt = Format.table,
) -> None:
    """Backtest models on a DEU III file: MAE, RMSE, clustered 95 % intervals.

    The seed draws the bootstrap and the fit/test split.
    """
    from detente.analysis.backtest import resolve_models, run_backtest
    from detente.scenario.deu import CAPABILITY_MODES, DeuFormatError, read_deu

    if capability not in CAPABILITY_MODES:
        fail(
            f"backtest: --capability: {capability!r}, expected one of {'|'.join(CAPABILITY_MODES)}"
        )
    accept(fmt, Format.table, Format.json)
    names = _model_names(models)
    try:
        data = read_deu(file)
        instances = resolve_models(names)
    except DeuFormatError as err:
        fail(str(err), located=True)
    except ImportError as err:
        fail(f"backtest: --models: a model is not available ({err})")
    try:
        result = run_backtest(
            data, instances, capability=capability, seed=seed, n_boot=bootstrap,
            protocol=protocol,
        )  # fmt: skip
    except DeuFormatError as err:
        fail(str(err), located=True)
    if fmt is Format.json:
        emit(result.to_dict(), Format.json, indent=2)
    else:
        _print_tables(result, console())
