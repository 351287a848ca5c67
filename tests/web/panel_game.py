"""The synthetic scorecard game the crux panel tests of the explorer serve (test-only data).

``tests/strategy/data/minimal-game.yaml`` with its two scorecards (``tests/strategy/
scorecard_game.py``), the note source given a web address, and the wary worldview's overrides
citing it; with ``hostile`` text, only the second scorecard (``hawk``) is kept, that text is
also its label, a type's and both worldviews' labels, a quote and an assumption, and a second
source's address is a ``javascript:`` one (never a link). Every number is invented for testing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from tests.strategy.scorecard_game import with_scorecards

MINIMAL = Path(__file__).resolve().parents[1] / "strategy" / "data" / "minimal-game.yaml"
NOTE_URL = "https://example.org/detente-test-notes"
QUOTE = "the spoiler is the likelier type"


def panel_game(hostile: str | None = None) -> dict[str, Any]:
    doc = with_scorecards(yaml.safe_load(MINIMAL.read_text(encoding="utf-8")))
    doc["sources"][0]["url"] = NOTE_URL
    quote = QUOTE if hostile is None else f"{QUOTE} {hostile}"
    for o in doc["worldviews"][1]["overrides"]:
        if o["path"].startswith("game.types."):
            o["value"]["source"] = {"doc": "note", "quote": quote}
    if hostile is not None:
        doc["sources"].append(
            {"id": "trap", "title": hostile, "url": "javascript:window.__pwned = 9"}
        )
        doc["worldviews"][1]["overrides"][2]["value"] = {
            "value": 0.1,
            "source": {"doc": "trap", "quote": hostile},
            "assumption": f"invented: {hostile}",
        }
        doc["game"]["scorecards"] = doc["game"]["scorecards"][1:]  # one scorecard: a faster panel
        doc["game"]["scorecards"][0]["label"] = f"Nothing for free {hostile}"
        doc["game"]["types"][1]["label"] = f"Spoiler {hostile}"
        doc["worldviews"][0]["label"] = f"Hopeful ({hostile})"
        doc["worldviews"][1]["label"] = f"Wary {hostile}"
    return doc


def panel_game_yaml(hostile: str | None = None) -> str:
    """:func:`panel_game` as YAML text (every string JSON-quoted, so any text survives)."""
    return yaml.safe_dump(json.loads(json.dumps(panel_game(hostile))), sort_keys=False)
