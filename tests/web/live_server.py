"""The web explorer served for real, for the browser tests: uvicorn in a thread on a free
loopback port (import after ``pytest.importorskip("uvicorn")``)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn

from detente.web.app import create_app


def free_port() -> int:
    """A loopback port nobody listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def live_server(folder: Path, *, start_timeout: float) -> Iterator[str]:
    """The explorer on ``folder``'s scenarios; its base URL while the block runs. Fails if it
    has not started within ``start_timeout`` seconds; stopped (within 15 s) after."""
    port = free_port()
    config = uvicorn.Config(create_app(folder), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + start_timeout
    while not srv.started and time.monotonic() < deadline:  # bounded wait for startup
        time.sleep(0.05)
    assert srv.started, "server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=15)
