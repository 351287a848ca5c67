"""The synthetic minimal game with two scorecards and composed strategies (test-only data).

Built from ``tests/strategy/data/minimal-game.yaml`` so that file, whose outputs other tests
pin, stays as it is. Every number is invented for testing and says so.
"""

from __future__ import annotations

import copy
from typing import Any

ASSUMED = "invented for testing"

SCORECARDS: list[dict[str, Any]] = [
    {
        "id": "dove",
        "label": "Talks first",
        "assumption": "invented: a view that values talks and the link",
        "metrics": {
            "p_talks_12m": {"weight": {"value": 2.0, "assumption": ASSUMED}},
            "p_link_open": {"weight": {"value": 1.0, "assumption": ASSUMED}},
            "p_freeze_2031": {"weight": {"value": 1.0, "assumption": ASSUMED}},
        },
    },
    {
        "id": "hawk",
        "label": "Nothing for free",
        "assumption": "invented: a view that counts what is given away",
        "metrics": {
            "steps_per_concession": {"weight": {"value": 1.0, "assumption": ASSUMED}},
            "unreciprocated": {"weight": {"value": 1.0, "assumption": ASSUMED}},
            "sanctions": {"weight": {"value": 1.0, "assumption": ASSUMED}},
            "tests_per_year": {"weight": {"value": 1.0, "assumption": ASSUMED}},
            "exercises": {"weight": {"value": 0.5, "assumption": ASSUMED}},
            "p_unc_intact": {"weight": {"value": 0.5, "assumption": ASSUMED}},
            "p_talks_open": {"weight": {"value": 0.5, "assumption": ASSUMED}},
        },
    },
]

COMPOSED: list[dict[str, Any]] = [
    {
        "id": "peace_first_rules",
        "strategy": "Composed",
        "rules": {
            "opening": "declare",
            "cooperation": "reward",
            "stall": "cooperate",
            "provocation": "defect",
        },
    },
    {
        "id": "peace_first_no_declaration",
        "strategy": "Composed",
        "rules": {
            "opening": "hold",
            "cooperation": "reward",
            "stall": "cooperate",
            "provocation": "defect",
        },
    },
]


def with_scorecards(raw: dict[str, Any]) -> dict[str, Any]:
    """A deep copy of the minimal scenario (the whole document) with the scorecards and the
    composed strategies added to its game."""
    doc = copy.deepcopy(raw)
    doc["game"]["scorecards"] = copy.deepcopy(SCORECARDS)
    doc["game"]["strategies"] += copy.deepcopy(COMPOSED)
    return doc
