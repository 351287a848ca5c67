"""``detente serve [--host 127.0.0.1] [--port 8000] [--scenarios DIR] [--allow-remote]
[--allowed-host NAME ...] [--limit NAME=VALUE ...]``.

Importable without the web dependencies: FastAPI and uvicorn are imported inside the command,
which says "pip install 'detente[web]'" and exits 2 when they are missing.

The explorer has no authentication, so it binds to loopback unless ``--allow-remote`` says
otherwise (exit 2 for any other address without it), and it answers only the ``Host`` names
it was started for: ``localhost``, ``127.0.0.1``, ``::1``, the bound address, and each
``--allowed-host``. ``--limit`` changes one of the bounds of :class:`detente.web.limits.Limits`
(docs/web.md lists them).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import err, fail, require

#: what the explorer imports from the ``web`` extra
WEB_MODULES = ("fastapi", "uvicorn")


def is_loopback(host: str) -> bool:
    """Whether binding ``host`` keeps the explorer on this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def parse_limits(items: list[str]) -> dict[str, int]:
    """``["cpu_queue=32", ...]`` -> ``{"cpu_queue": 32}`` (exit 2 on a malformed item)."""
    out: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = int(value.replace("_", ""))
        except ValueError:
            fail(f"--limit {item!r}: expected NAME=INTEGER, e.g. --limit cpu_queue=32")
    return out


def serve(
    host: Annotated[
        str, typer.Option("--host", help="address to bind (loopback by default)")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios", help="folder of scenario YAML files (default: the repo's scenarios/)"
        ),
    ] = None,
    allow_remote: Annotated[
        bool,
        typer.Option(
            "--allow-remote",
            help="allow binding an address other machines can reach (no authentication!)",
        ),
    ] = False,
    allowed_host: Annotated[
        list[str] | None,
        typer.Option(
            "--allowed-host",
            help="also answer requests for this Host name (repeatable; e.g. the machine's name)",
        ),
    ] = None,
    limit: Annotated[
        list[str] | None,
        typer.Option(
            "--limit", help="change a bound: NAME=VALUE (repeatable; names in docs/web.md)"
        ),
    ] = None,
) -> None:
    """Serve the web explorer: scenario pages, what-if editing, jobs, JSON API."""
    require("detente serve", "web", *WEB_MODULES)
    from detente.web.limits import Limits
    from detente.web.store import ScenarioStoreError, find_scenarios_dir

    if not is_loopback(host) and not allow_remote:
        fail(
            f"refusing to bind {host}: the explorer has no authentication, so it listens on "
            "loopback only; pass --allow-remote to serve other machines"
        )
    try:
        limits = Limits().with_values(parse_limits(limit or []))
    except ValueError as exc:
        fail(f"--limit: {exc}")
    try:
        folder = find_scenarios_dir(scenarios)
    except ScenarioStoreError as exc:
        fail(str(exc))

    import uvicorn

    from detente.web.app import LOOPBACK_HOSTS, create_app

    if not is_loopback(host):
        err.print(
            f"warning: binding {host}: the explorer has no authentication; anyone who can "
            "reach this address can use it",
            markup=False,
        )
    hosts = [*LOOPBACK_HOSTS, *(allowed_host or [])]
    if host not in ("0.0.0.0", "::"):
        hosts.append(host)
    err.print(f"detente explorer on http://{host}:{port}/ (scenarios: {folder})", markup=False)
    uvicorn.run(
        create_app(folder, hosts=hosts, limits=limits), host=host, port=port, log_level="info"
    )
