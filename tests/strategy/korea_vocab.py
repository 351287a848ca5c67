"""A Korea-like move vocabulary (the Korea game's order) for scripted strategy tests."""

from __future__ import annotations

from detente.strategy.engine import COOPERATIVE, HOSTILE, NEUTRAL

# the coalition's moves and the target's moves, in the Korea game's order
COALITION = ["declare", "treaty", "relief", "scale_down", "comms", "hold", "pressure"]
TARGET = ["hotline", "engage", "freeze", "step", "test", "stall"]
ROLES = {
    "cooperate": COALITION.index("comms"),
    "defect": COALITION.index("pressure"),
    "hold": COALITION.index("hold"),
    "declare": COALITION.index("declare"),
    "reward": COALITION.index("relief"),
    "gesture": COALITION.index("scale_down"),
}
TARGET_KIND = [COOPERATIVE, COOPERATIVE, COOPERATIVE, COOPERATIVE, HOSTILE, NEUTRAL]
TAGS = {"progress": frozenset({TARGET.index("freeze"), TARGET.index("step")})}


def c(*names: str) -> list[int]:
    return [COALITION.index(x) for x in names]


def nk(*names: str) -> list[int]:
    return [TARGET.index(x) for x in names]


def names(moves: list[list[int]]) -> list[str]:
    return [COALITION[m[0]] for m in moves]
