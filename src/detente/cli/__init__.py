"""The ``detente`` command line: the one front door (contract: DESIGN.md, "Command-line contract").

One module per command group, each defining its commands at module level, joined here by plain
imports (Typer's "one file per command"):

* :mod:`.brief` — ``brief`` (the question answered in one pass);
* :mod:`.scenario` — ``validate``, ``schema``, ``models``, ``cite``;
* :mod:`.forecast` — ``forecast``;
* :mod:`.simulate` — ``simulate`` (Monte Carlo);
* :mod:`.strategies` — ``strategies`` (the strategy game);
* :mod:`.analysis` — ``compare``, ``sensitivity``, ``cruxes``;
* :mod:`.backtest` — ``backtest deu``;
* :mod:`.levers` — ``levers`` (whom to persuade, and how far);
* :mod:`.hindcast` — ``hindcast`` (the game held against the record);
* :mod:`.report` — ``report``;
* :mod:`.serve` — ``serve`` (the web explorer).

What they share (options, errors, loading, output) is in :mod:`.common`. Exit codes: 0 ok, 1 a
check failed, 2 bad input or usage. Bad input never shows a traceback: it is reported as
``file:line: field: problem`` lines on stderr.

Start-up: the command modules import only typer, rich and :mod:`.common` at module level; each
command imports the library it computes with inside its function, so ``detente --help`` loads
none of numpy, pandas, scipy, pyarrow, plotly, SALib, ray or FastAPI (``tests/cli/
test_startup.py``; ``bench/bench_startup.py``).
"""

from __future__ import annotations

import sys

# A Ctrl-C during the imports below (typer, rich, the command modules) is one line and exit 130,
# not a traceback (issue 21, item 4): the guard is the first statement that runs, and
# detente.cli.exits needs only what the interpreter has loaded already.
try:
    from detente.cli.exits import guarded, interrupted, keep_ctrl_c, output_failed

    keep_ctrl_c()  # a Ctrl-C inside an import's callback is not lost
except KeyboardInterrupt:
    sys.stderr.write("interrupted\n")
    raise SystemExit(130) from None
try:
    from typing import Annotated, Any

    import typer
    from typer.core import TyperGroup

    from detente import __version__
    from detente.cli import (
        analysis,
        backtest,
        brief,
        forecast,
        hindcast,
        levers,
        report,
        scenario,
        serve,
        simulate,
        strategies,
    )
except KeyboardInterrupt:
    interrupted()


class _Commands(TyperGroup):
    """The command group: Ctrl-C and output failures inside any command end in one line.

    Typer would turn a ``KeyboardInterrupt`` into a silent exit 130 and a closed pipe into a
    silent exit 1, and let any other ``OSError`` through as a traceback; here every one is
    reported by :mod:`detente.cli.exits` (also under ``CliRunner``). Standard output is flushed
    inside, so a write that fails at the end is reported like one that fails on the way.
    """

    def invoke(self, ctx: Any) -> Any:  # a typer (vendored click) Context
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            return result
        except KeyboardInterrupt:
            interrupted()
        except OSError as exc:
            output_failed(exc)


app = typer.Typer(
    name="detente",
    help="Forecast and stress-test negotiation strategies in multi-actor political bargaining.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=_Commands,
)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        from detente.cli.common import out

        out.print(f"detente {__version__}")
        raise typer.Exit(0)


# The commands, in the order `detente --help` lists them; each is a module-level function of
# its group's module (importable and testable on its own).
app.command("brief")(brief.brief)
app.command("validate")(scenario.validate)
app.command("schema")(scenario.schema)
app.command("models")(scenario.models)
app.command("cite")(scenario.cite)
app.command("forecast")(forecast.forecast)
app.command("strategies")(strategies.strategies)
app.add_typer(backtest.app, name="backtest")
app.command("simulate")(simulate.simulate)
app.command("compare")(analysis.compare)
app.command("sensitivity")(analysis.sensitivity)
app.command("cruxes")(analysis.cruxes)
app.command("levers")(levers.levers)
app.command("hindcast")(hindcast.hindcast)
app.command("report")(report.report)
app.command("serve")(serve.serve)


def main() -> None:
    """The console script ``detente`` (and ``python -m detente``): Ctrl-C and output failures
    anywhere end in one line (:func:`detente.cli.exits.guarded`)."""
    guarded(app)
