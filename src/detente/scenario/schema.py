"""The scenario format (``detente: 1``) as pydantic models.

A scenario is data, not code: sources cited, issues with their scales, actors with their
capability and per-issue stances, named worldviews that override any value, and optionally a
strategy ``game`` (see :mod:`detente.scenario.game`). ``detente schema`` prints the JSON Schema
generated from these classes.

Structural checks (types, required fields, unknown keys) live here; cross-references, ranges and
distribution coherence are checked in :mod:`detente.scenario.validate`, which reports every
problem with its file line at once (files are read by :mod:`detente.scenario.load`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from detente.scenario.dependence import CorrelationGroup, ShareGroup
from detente.scenario.game import GameSpec
from detente.scenario.hindcast import RecordSpec
from detente.scenario.quantity import Based, Quantity


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Source(_Strict):
    """A cited document or dataset."""

    id: str = Field(description="short id used in citations, e.g. `cato`")
    title: str
    author: str | None = None
    outlet: str | None = None
    date: str | None = Field(default=None, description="publication date, ISO 8601")
    url: str | None = None
    file: str | None = Field(
        default=None, description="file name of the document's text inside the sources folder"
    )
    kind: Literal["article", "dataset", "book", "paper", "other"] = "article"
    licence: str | None = None


class Scale(_Strict):
    """An issue's scale: numeric bounds and labelled anchor points (``value: label``)."""

    min: float
    max: float
    anchors: dict[float, str] = Field(
        default_factory=dict, description="labelled points of the scale, e.g. {0: 'no talks'}"
    )
    unit: str | None = None

    def describe(self, x: float) -> str:
        """The label of the nearest anchor, with a direction hint when ``x`` is between two."""
        if not self.anchors:
            return ""
        points = sorted(self.anchors)
        nearest = min(points, key=lambda p: abs(p - x))
        if abs(nearest - x) <= 1e-9 * max(1.0, abs(self.max - self.min)):
            return self.anchors[nearest]
        below = [p for p in points if p < x]
        above = [p for p in points if p > x]
        if below and above:
            lo, hi = below[-1], above[0]
            return f"between “{self.anchors[lo]}” ({lo:g}) and “{self.anchors[hi]}” ({hi:g})"
        return f"near “{self.anchors[nearest]}” ({nearest:g})"


class Issue(_Strict):
    """A dimension of the negotiation."""

    id: str
    label: str
    description: str | None = None
    scale: Scale
    status_quo: Quantity | None = Field(default=None, description="where things stand today")


class Stance(_Strict):
    """An actor's position on one issue and how much the issue matters to it."""

    position: Quantity = Field(description="preferred outcome on the issue's scale")
    salience: Quantity = Field(description="how much the issue matters, 0 (not at all) to 1")


class Actor(_Strict):
    """A party to the negotiation."""

    id: str
    name: str
    description: str | None = None
    capability: Quantity = Field(description="relative ability to shape the outcome, > 0")
    stances: dict[str, Stance] = Field(description="issue id -> stance; one per issue")


class Override(_Strict):
    """Replace the value at ``path`` (ids name list items: ``actors.dprk.stances.x.salience``)."""

    path: str
    value: Any = Field(description="the new value (a number, a distribution, or any field value)")
    group: str | None = Field(
        default=None,
        description=(
            "optional label joining overrides that make one argument: the decision analyses "
            "(Shapley attribution) treat a worldview's overrides with the same group as "
            "one judgment (default: each override path its own; docs/cruxes.md)"
        ),
    )


class Worldview(Based, _Strict):
    """A named reading of the situation: a set of overrides, each with its own basis."""

    id: str
    label: str
    summary: str | None = None
    as_of: str | None = Field(
        default=None,
        description="the worldview's information date, YYYY-MM: what it knew and when; with a "
        "game, the game starts there, the months before it played from the record "
        "(docs/models/strategy-game.md, Dated information sets)",
    )
    overrides: list[Override] = Field(default_factory=list)


class Scenario(_Strict):
    """A bargaining scenario (schema version ``detente: 1``)."""

    detente: Literal[1] = Field(description="schema version")
    id: str
    title: str
    question: str | None = Field(default=None, description="the question the scenario answers")
    description: str | None = None
    sources: list[Source] = Field(default_factory=list)
    issues: list[Issue]
    actors: list[Actor]
    worldviews: list[Worldview] = Field(default_factory=list)
    # The game's JSON Schema is filled in by detente.scenario.jsonschema, its definitions after
    # the scenario's own (the order `detente schema` has always published).
    game: Annotated[GameSpec | None, WithJsonSchema({})] = Field(
        default=None,
        description="optional strategy game (see docs/models/strategy-game.md)",
    )
    record: RecordSpec | None = Field(
        default=None,
        description="optional record the game is held against (see docs/hindcast.md)",
    )
    shares: list[ShareGroup] = Field(
        default_factory=list,
        description="actors' or issues' numbers that sum to one, drawn from a Dirichlet",
    )
    correlations: list[CorrelationGroup] = Field(
        default_factory=list,
        description="actors' or issues' distributions drawn with declared rank correlations",
    )

    def issue(self, issue_id: str) -> Issue:
        return next(i for i in self.issues if i.id == issue_id)

    def actor(self, actor_id: str) -> Actor:
        return next(a for a in self.actors if a.id == actor_id)

    def worldview(self, worldview_id: str) -> Worldview:
        return next(w for w in self.worldviews if w.id == worldview_id)

    def source(self, source_id: str) -> Source:
        return next(s for s in self.sources if s.id == source_id)
