"""The broken peer-file corpus (issue 21, items 4 and 9): every message about an imported file
names the file with its extension and a line.

Each file in ``tests/scenario/broken/peer/`` (a KTAB CSV, a Decide file or a DEU TSV, real-
looking: built from the peers' own layouts) has a sidecar ``NAME.expect`` (a peer's format has
no comment line to hold it) with the same header as the YAML corpus::

    # broken: an escape character in an actor's name (#A)
    # expect: actors.PvdA.name | control character U+001B in text | line 2

The command a user runs on it (``detente validate`` and ``forecast``; ``backtest deu`` for a DEU
file) must exit 2 with nothing on stdout, no traceback, and ``FILE:LINE: FIELD: …FRAGMENT…``
on stderr, every stderr line naming the file. The validator's own checks (text, ids,
ranges) are located too: the importers hand it a row→line map.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_broken import Expect, expectation
from typer.testing import CliRunner

from detente.cli import app

PEER = Path(__file__).parent / "broken" / "peer"
CORPUS = sorted(p for p in PEER.iterdir() if p.suffix in (".csv", ".txt", ".tsv"))
runner = CliRunner()


def commands(path: Path) -> list[list[str]]:
    if path.suffix == ".tsv":
        return [["backtest", "deu", str(path), "--models", "compromise"]]
    return [["validate", str(path)], ["forecast", str(path), "--format", "json"]]


def test_corpus_covers_every_importer() -> None:
    kinds = {p.name.split("-")[0] for p in CORPUS}
    assert kinds == {"ktab", "decide", "deu"}
    assert len(CORPUS) >= 15
    for path in CORPUS:
        sidecar = path.with_name(path.name + ".expect")
        assert sidecar.read_text(encoding="utf-8").startswith("# broken: "), sidecar.name
        assert expectation(sidecar).line is not None, f"{sidecar.name}: no line expected"


@pytest.mark.parametrize("path", CORPUS, ids=[p.name for p in CORPUS])
def test_broken_peer_file_is_located(path: Path) -> None:
    expect: Expect = expectation(path.with_name(path.name + ".expect"))
    for args in commands(path):
        result = runner.invoke(app, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        assert result.exit_code == 2, result.stderr
        assert result.stdout == ""
        assert "Traceback" not in result.stderr
        prefix = re.escape(f"{path}:{expect.line}: {expect.field}: ")
        lines = result.stderr.splitlines()
        hits = [t for t in lines if re.match(prefix, t) and expect.fragment in t]
        assert hits, f"expected {prefix!r} and {expect.fragment!r}; got:\n{result.stderr}"
        assert all(t.startswith(f"{path}:") for t in lines), result.stderr
