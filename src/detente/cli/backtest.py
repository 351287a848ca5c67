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
    _print_probabilistic(d, console)
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


def _pct(x: Any) -> str:
    return "—" if x is None else f"{100 * x:.1f}"


def _with_ci(s: dict[str, Any], key: str, fmt: Any = _fmt) -> str:
    lo, hi = s[f"{key}_ci95"]
    return f"{fmt(s[key])} [{fmt(lo)}, {fmt(hi)}]"


def _print_probabilistic(d: dict[str, Any], console: Console) -> None:
    cv = d["cross_validation"]
    t = Table(
        title=(
            f"Forecasts as probabilities: CRPS and interval coverage cross-validated "
            f"({cv['folds']} proposal-grouped folds, fold seed {cv['fold_seed']}); "
            "% of outcomes, 95 % CI"
        )
    )
    for col in ("model", "CRPS", "50 % covers", "80 % covers", "90 % covers", "≤ 5", "≤ 10"):
        t.add_column(col, justify="left" if col == "model" else "right")
    for name, s in d["models"].items():
        t.add_row(
            name,
            _with_ci(s, "crps"),
            *(_with_ci(s, f"coverage_{lv}", _pct) for lv in (50, 80, 90)),
            *(_with_ci(s, f"within_{w}", _pct) for w in (5, 10)),
        )
    console.print(t)
    rows = [r for r in d["paired_differences"] if r["b"] == "compromise"]
    if rows:
        p = Table(title="Paired differences against compromise (a − compromise; < 0: lower)")
        for col in ("a", "RMSE", "CRPS", "≤ 5 (points of %)", "≤ 10 (points of %)"):
            p.add_column(col, justify="left" if col == "a" else "right")
        for r in rows:
            p.add_row(
                r["a"],
                _with_ci(r | {"x": r["rmse_difference"], "x_ci95": r["rmse_ci95"]}, "x"),
                _with_ci(r | {"x": r["crps_difference"], "x_ci95": r["crps_ci95"]}, "x"),
                _with_ci(r | {"x": r["within_5_difference"], "x_ci95": r["within_5_ci95"]}, "x",
                         _pct),
                _with_ci(r | {"x": r["within_10_difference"], "x_ci95": r["within_10_ci95"]},
                         "x", _pct),
            )  # fmt: skip
        console.print(p)
    combo = d.get("combination")
    if combo:
        weights = ", ".join(f"{k} {v:g}" for k, v in combo["weights"].items() if v)
        lo, hi = combo["crps_ci95"]
        console.print(
            f"Pre-registered combination (docs/backtest.md): weights on the whole file {weights}; "
            f"cross-validated CRPS − compromise {_fmt(combo['crps_difference'])} "
            f"[{_fmt(lo)}, {_fmt(hi)}]: {combo['verdict']}",
            markup=False,
        )


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
        str,
        typer.Option(
            help="Actor capability: equal | gdp | council (voting weights) | shapley-shubik | "
            "banzhaf (Council voting power of the treaty period)."
        ),
    ] = "equal",
    seed: SeedOpt = 0,
    bootstrap: Annotated[
        int, typer.Option(min=100, help="Bootstrap resamples (clustered by proposal).")
    ] = 2000,
    protocol: Annotated[
        bool, typer.Option(help="Run the pre-registered beat-the-mean protocol.")
    ] = True,
    combination: Annotated[
        bool, typer.Option(help="Score the pre-registered combination (needs compromise).")
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
            protocol=protocol, combination=combination,
        )  # fmt: skip
    except DeuFormatError as err:
        fail(str(err), located=True)
    if fmt is Format.json:
        emit(result.to_dict(), Format.json, indent=2)
    else:
        _print_tables(result, console())


@app.command("calibrate")
def calibrate(
    file: Annotated[Path, typer.Argument(help="The DEU development file (deu3-dev.tsv).")],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Where to write the calibration table (JSON).")
    ],
) -> None:
    """Build the calibration table shipped as analysis/data/deu-calibration.json.

    Every model's residuals (outcome − forecast) on the file, capability equal; with the file's
    SHA-256, this command and the git commit of the code. Run it on the development split only.
    """
    import json
    import subprocess

    from detente.analysis.backtest import BASELINE_MODELS, BASELINES, resolve_models, run_model
    from detente.analysis.calibration import build_calibration
    from detente.models import available_models
    from detente.scenario.deu import DeuFormatError, read_deu

    try:
        data = read_deu(file)
    except DeuFormatError as err:
        fail(str(err), located=True)
    if out.exists() and out.is_dir():
        fail(f"backtest calibrate: --out: {out} is a directory, expected a file path")
    import numpy as np

    outcome = np.array([i.outcome for i in data.issues])
    cluster = data.proposal_of_issue()
    residuals = {}
    for name, model in resolve_models([*available_models(), *BASELINES]).items():
        run = run_model(name, model, data, "equal")
        ok = np.isfinite(run.forecast)
        residuals[BASELINE_MODELS.get(name, name)] = (
            outcome[ok] - run.forecast[ok],
            len(set(cluster[ok].tolist())),
        )
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            cwd=Path(__file__).resolve().parent,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    command = f"detente backtest calibrate {file} --out {out}"
    doc = build_calibration(file, residuals, command, commit)
    tmp = out.with_name(out.name + ".tmp")
    try:
        tmp.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
        tmp.replace(out)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        fail(f"backtest calibrate: --out: cannot write {out}: {err}")
    console().print(f"wrote {out} ({len(residuals)} models)", markup=False)
