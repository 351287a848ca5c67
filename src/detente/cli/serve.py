"""``detente serve [--host 127.0.0.1] [--port 8000] [--scenarios DIR]``.

Importable without the web dependencies: FastAPI and uvicorn are imported inside the command,
which says "pip install 'detente[web]'" and exits 2 when they are missing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from detente.cli.common import err, fail, require

#: what the explorer imports from the ``web`` extra
WEB_MODULES = ("fastapi", "uvicorn")


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
) -> None:
    """Serve the web explorer: scenario pages, what-if editing, jobs, JSON API."""
    require("detente serve", "web", *WEB_MODULES)
    from detente.web.store import ScenarioStoreError, find_scenarios_dir

    try:
        folder = find_scenarios_dir(scenarios)
    except ScenarioStoreError as exc:
        fail(str(exc))

    import uvicorn

    from detente.web.app import create_app

    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(
            f"warning: binding {host}: the explorer has no authentication; anyone who can "
            "reach this address can use it",
            markup=False,
        )
    err.print(f"detente explorer on http://{host}:{port}/ (scenarios: {folder})", markup=False)
    uvicorn.run(create_app(folder), host=host, port=port, log_level="info")
