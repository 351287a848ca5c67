"""The JSON Schema of the scenario format, for editors (``detente schema``)."""

from __future__ import annotations

from typing import Any

from detente.scenario.game import GameSpec
from detente.scenario.schema import Scenario


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of ``detente: 1`` scenarios, the game section included."""
    schema = Scenario.model_json_schema()
    game = GameSpec.model_json_schema(ref_template="#/$defs/{model}")
    defs = schema.setdefault("$defs", {})
    defs.update(game.pop("$defs", {}))
    defs["GameSpec"] = game
    schema["properties"]["game"] = {
        "anyOf": [{"$ref": "#/$defs/GameSpec"}, {"type": "null"}],
        "default": None,
        "description": "optional strategy game (see docs/models/strategy-game.md)",
    }
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "detente scenario (schema version 1)"
    return schema
