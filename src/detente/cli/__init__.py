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
test_startup.py``; ``bench/bench_startup.py``). The commands are registered lazily
(:data:`COMMANDS`, click's "lazily loading subcommands" pattern): a command's module is
imported, and its click command built, only when the command is run or a listing (``--help``,
completion) needs it, so ``detente validate`` neither imports the other commands' modules nor
builds their parameters.
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
    from collections.abc import Iterator, MutableMapping
    from typing import Annotated, Any

    import typer
    import typer.main
    from typer.core import TyperGroup

    from detente import __version__
except KeyboardInterrupt:
    interrupted()

#: The commands, in the order ``detente --help`` lists them (typer lists a group after the plain
#: commands): name → (module of :mod:`detente.cli`, attribute). The attribute is the command's
#: module-level function (importable and testable on its own), or a :class:`typer.Typer` group.
COMMANDS: dict[str, tuple[str, str]] = {
    "brief": ("brief", "brief"),
    "validate": ("scenario", "validate"),
    "schema": ("scenario", "schema"),
    "models": ("scenario", "models"),
    "cite": ("scenario", "cite"),
    "forecast": ("forecast", "forecast"),
    "strategies": ("strategies", "strategies"),
    "simulate": ("simulate", "simulate"),
    "compare": ("analysis", "compare"),
    "sensitivity": ("analysis", "sensitivity"),
    "cruxes": ("analysis", "cruxes"),
    "levers": ("levers", "levers"),
    "hindcast": ("hindcast", "hindcast"),
    "report": ("report", "report"),
    "serve": ("serve", "serve"),
    "backtest": ("backtest", "app"),
}

#: the settings of :data:`app`, also those of the registry each lazy command is registered on
_SETTINGS: dict[str, Any] = {
    "name": "detente",
    "help": "Forecast and stress-test negotiation strategies in multi-actor political bargaining.",
    "no_args_is_help": True,
    "add_completion": False,
    "pretty_exceptions_enable": False,
}


def build_command(name: str) -> Any:  # a typer (vendored click) Command
    """The click command ``name`` of :data:`COMMANDS`, built as ``app.command(name)(function)``
    (or ``app.add_typer(group, name=name)``) followed by ``typer.main.get_command(app)`` would
    build it: registered on a Typer with :data:`app`'s settings, then turned into a command by
    the functions Typer's own group building calls."""
    module, attr = COMMANDS[name]
    # the import statement's own machinery (importlib.import_module bypasses it), so that
    # `python -X importtime` lists the command's module like any other
    target = getattr(__import__(f"detente.cli.{module}", fromlist=[attr]), attr)
    registry = typer.Typer(**_SETTINGS)
    if isinstance(target, typer.Typer):
        registry.add_typer(target, name=name)
        return typer.main.get_group_from_info(
            registry.registered_groups[0],
            pretty_exceptions_short=registry.pretty_exceptions_short,
            rich_markup_mode=registry.rich_markup_mode,
            suggest_commands=registry.suggest_commands,
        )
    registry.command(name)(target)
    return typer.main.get_command_from_info(
        registry.registered_commands[0],
        pretty_exceptions_short=registry.pretty_exceptions_short,
        rich_markup_mode=registry.rich_markup_mode,
    )


class _LazyCommands(MutableMapping[str, Any]):
    """A group's commands by name, each built on first access (:func:`build_command`); its keys,
    in :data:`COMMANDS` order, are known without building any."""

    def __init__(self, built: MutableMapping[str, Any]) -> None:
        self._built: dict[str, Any] = dict(built)
        self._names = list(dict.fromkeys([*COMMANDS, *built]))

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = build_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._built[name] = command
        if name not in self._names:
            self._names.append(name)

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._built.pop(name, None)

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class _Commands(TyperGroup):
    """The command group: Ctrl-C and output failures inside any command end in one line.

    Typer would turn a ``KeyboardInterrupt`` into a silent exit 130 and a closed pipe into a
    silent exit 1, and let any other ``OSError`` through as a traceback; here every one is
    reported by :mod:`detente.cli.exits` (also under ``CliRunner``). Standard output is flushed
    inside, so a write that fails at the end is reported like one that fails on the way.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = _LazyCommands(self.commands)

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)  # the names only: a listing builds what it shows

    def invoke(self, ctx: Any) -> Any:  # a typer (vendored click) Context
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()
            return result
        except KeyboardInterrupt:
            interrupted()
        except OSError as exc:
            output_failed(exc)


app = typer.Typer(**_SETTINGS, cls=_Commands)


@app.callback(invoke_without_command=True)
def _main(
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    if version:
        from detente.cli.common import out

        out.print(f"detente {__version__}")
        raise typer.Exit(0)


def main() -> None:
    """The console script ``detente`` (and ``python -m detente``): Ctrl-C and output failures
    anywhere end in one line (:func:`detente.cli.exits.guarded`)."""
    guarded(app)
