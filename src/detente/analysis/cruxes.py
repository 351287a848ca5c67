"""Cruxes: which of two worldviews' assumptions decide the answer.

Two worldviews disagree on a set of judgments: the union of their override paths, kept where
their values differ (a path both set to the same distribution, whatever the quotes, is not a
disagreement). Starting from worldview A, the crux finder swaps in B's value for a *subset* of
those judgments, re-evaluates the output and asks whether the **conclusion** flips:

* ``forecast:ISSUE`` with a threshold ``X``: the side of ``X`` the forecast lands on (e.g.
  "declaration forecast ≥ 75 = offered to open talks"). Score = forecast − X at point values
  (``mode="point"``, the default), or P(forecast ≥ X) − ½ over Monte Carlo draws with common
  random numbers (``mode="mc"``; the same per-path streams in every subset, see
  :mod:`detente.analysis.compare`);
* ``strategy:METRIC:A-B``: the sign of (metric under A − under B) − X (X = 0 by default);
* ``scorecard:ID:A-B``: the sign of (A's score − B's on scorecard ID) − X, the scores
  normalised across all the game's strategies (:mod:`detente.strategy.scorecards`);
* ``scorecard:ID``: the ranking of strategies by their score on scorecard ID, as below;
* ``strategies[:METRIC]``: the ranking of strategies — the conclusion is A's best strategy,
  and the score is its margin over the best other one (negative once another strategy beats it;
  for metrics where less is better — arsenal, unreciprocated concessions, UN Command challenged —
  the order is reversed: each metric's ``better`` in :mod:`detente.strategy.metrics`).

The conclusion flips when the score changes sign. Subsets are searched by increasing size; a
subset containing an already-found crux is skipped (it is not minimal), so the cruxes reported
are the *minimal* flipping sets: single judgments first, then pairs that flip only together, and
so on up to ``max_size``. Each single swap's *effect* (score change) and its *share* of the
total change (A → B on every judgment) says which judgments barely matter. Effects need not add
up (models are non-linear), which is why combinations are searched rather than inferred.

Only judgments the output reads are swapped: a forecast reads actors and issues, a game output
reads ``game.*``. The others are listed with "not read by this output".

Each crux carries both sides' basis (:meth:`Quantity.basis_text`): the quotes or named
assumptions behind A's value and B's.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from detente.analysis.outputs import OutputSpec
from detente.models import get_model
from detente.models.base import FloatArray, Model
from detente.scenario.load import LoadedScenario, worldview_document
from detente.scenario.paths import get_path, path_label, resolve_path
from detente.scenario.quantity import Quantity

if TYPE_CHECKING:
    from detente.analysis.decision import Runner

Mode = Literal["point", "mc"]
_BASIS_KEYS = ("source", "assumption", "data")
#: a single swap whose effect is below this share of the total change "barely matters"
BARELY = 0.05


# ------------------------------------------------------------------------------ differences


@dataclass(frozen=True)
class Difference:
    """One judgment on which the worldviews differ: both values and both bases."""

    path: str
    label: str
    value_a: Any
    value_b: Any
    describe_a: str
    describe_b: str
    basis_a: str
    basis_b: str
    read: bool


def _without_worldviews(loaded: LoadedScenario, worldview: str) -> dict[str, Any]:
    """A worldview's document (its overrides applied) with the worldviews removed, so that
    validating a variant of it does not apply and check every worldview again."""
    return {**worldview_document(loaded, worldview), "worldviews": []}


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _BASIS_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    return value


def _as_quantity(value: Any) -> Quantity | None:
    try:
        return Quantity.model_validate(value)
    except Exception:
        return None


def _describe(value: Any) -> tuple[str, str]:
    q = _as_quantity(value)
    if q is None:
        return str(value), "(no basis given)"
    return q.describe(), q.basis_text()


def worldview_differences(
    loaded: LoadedScenario, a: str, b: str, reads: Callable[[str], bool] | None = None
) -> list[Difference]:
    """The judgments on which worldviews ``a`` and ``b`` differ, in override order."""
    doc_a, doc_b = _without_worldviews(loaded, a), _without_worldviews(loaded, b)
    ids = [w.id for w in loaded.scenario.worldviews]
    paths: list[str] = []
    for wv in (a, b):
        for override in loaded.raw["worldviews"][ids.index(wv)].get("overrides", []):
            if override["path"] not in paths:
                paths.append(override["path"])
    out: list[Difference] = []
    for path in paths:
        va = get_path(doc_a, resolve_path(doc_a, path))
        vb = get_path(doc_b, resolve_path(doc_b, path))
        if _strip(va) == _strip(vb):
            continue
        da, ba = _describe(va)
        db, bb = _describe(vb)
        out.append(
            Difference(
                path=path,
                label=path_label(loaded.scenario, path),
                value_a=va,
                value_b=vb,
                describe_a=da,
                describe_b=db,
                basis_a=ba,
                basis_b=bb,
                read=reads(path) if reads is not None else True,
            )
        )
    return out


# ------------------------------------------------------------------------------ evaluation


@dataclass
class _Scorer:
    """Reads a conclusion's score off the batched evaluator's table rows
    (:func:`detente.analysis.decision.evaluate`): the sign of the score is the conclusion."""

    output: OutputSpec
    threshold: float
    mode: Mode
    options: list[str]
    #: signs the table's net benefits back to the metric (−1: less is better)
    sign: float = 1.0
    top: str | None = None  # ranking: worldview A's best strategy

    def reads(self, path: str) -> bool:
        return path.startswith("game.") == (self.output.kind != "forecast")

    def scores(self, table: FloatArray) -> FloatArray:
        if self.output.kind == "forecast":
            return np.asarray(table[:, 0] - (0.5 if self.mode == "mc" else self.threshold))
        if self.output.kind == "strategy":
            y = table[:, 0] - table[:, 1] if table.shape[1] > 1 else table[:, 0]
            return np.asarray(self.sign * y - self.threshold, dtype=np.float64)
        if self.top is None:
            self.top = self.options[int(np.argmax(table[0]))]
        return np.array(
            [ranking_margin(dict(zip(self.options, row, strict=True)), self.top) for row in table],
            dtype=np.float64,
        )

    def ranking(self, row: FloatArray) -> list[tuple[str, float]]:
        """A table row as a ranking: each strategy's mean (the metric's own sign), best first."""
        means = {o: self.sign * float(v) for o, v in zip(self.options, row, strict=True)}
        return sorted(means.items(), key=lambda kv: -self.sign * kv[1])

    def conclusion(self, score: float, value: float) -> str:
        if self.output.kind == "forecast":
            if self.mode == "mc":
                side = "≥" if score >= 0 else "<"
                return (
                    f"P(forecast ≥ {self.threshold:g}) = {value:.2f}: more likely {side} "
                    f"{self.threshold:g}"
                )
            return f"{value:.1f} {'≥' if score >= 0 else '<'} {self.threshold:g}"
        if self.output.kind == "strategy":
            return f"{value:+.3f} {'≥' if score >= 0 else '<'} {self.threshold:g}"
        return f"{self.top} {'ranks first' if score >= 0 else 'is beaten'} (margin {score:+.3f})"


def ranking_margin(means: dict[str, float], top: str, sign: float = 1.0) -> float:
    """The score of a ranking conclusion: ``top``'s mean over the best other strategy's
    (``sign`` −1 when less is better); negative once another strategy beats it."""
    others = [sign * v for k, v in means.items() if k != top]
    return sign * means[top] - max(others) if others else 0.0


# ------------------------------------------------------------------------------ the search


@dataclass(frozen=True)
class Crux:
    """A minimal set of judgments whose swap (A → B) flips the conclusion."""

    paths: tuple[str, ...]
    score: float
    conclusion: str


@dataclass
class CruxResult:
    """Everything the crux finder found (see module docstring)."""

    scenario: str
    output: OutputSpec
    a: str
    b: str
    threshold: float
    mode: Mode
    #: the forecasting model's registry name (None for a game output)
    model: str | None
    score_a: float
    score_b: float
    conclusion_a: str
    conclusion_b: str
    differences: list[Difference]
    effects: dict[str, float]
    cruxes: list[Crux]
    evaluations: int
    max_size: int
    complete: bool
    notes: list[str] = field(default_factory=list)

    @property
    def flips(self) -> bool:
        """Whether the full swap (A → B) changes the conclusion."""
        return (self.score_a >= 0) != (self.score_b >= 0)

    def differences_frame(self) -> pd.DataFrame:
        """One row per differing judgment: values, bases, effect of the single swap, share."""
        total = self.score_b - self.score_a
        known = [abs(e) for e in self.effects.values()]
        reference = max([abs(total), *known]) if known else abs(total)
        crux_paths = {c.paths[0] for c in self.cruxes if len(c.paths) == 1}
        in_combo = {p for c in self.cruxes if len(c.paths) > 1 for p in c.paths}
        rows = []
        for d in self.differences:
            effect = self.effects.get(d.path)
            share = effect / total if effect is not None and total != 0 else None
            if not d.read:
                role = "not read by this output"
            elif d.path in crux_paths:
                role = "flips alone"
            elif d.path in in_combo:
                role = "flips with others"
            elif effect is not None and (reference == 0 or abs(effect) < BARELY * reference):
                role = "barely matters"
            else:
                role = "moves, does not flip"
            rows.append(
                {
                    "path": d.path,
                    "label": d.label,
                    "value_a": d.describe_a,
                    "value_b": d.describe_b,
                    "effect": effect,
                    "share": share,
                    "role": role,
                    "basis_a": d.basis_a,
                    "basis_b": d.basis_b,
                }
            )
        frame = pd.DataFrame(rows)
        if not frame.empty:
            # an effect is None for a judgment the output does not read (an object column
            # when every row is None): order by |effect|, those last
            order = pd.to_numeric(frame["effect"], errors="coerce").abs().fillna(-1.0)
            frame = frame.iloc[np.argsort(-order.to_numpy(), kind="stable")].reset_index(drop=True)
        return frame


def find_cruxes(
    loaded: LoadedScenario,
    a: str,
    b: str,
    output: OutputSpec,
    threshold: float | None = None,
    model: Model | None = None,
    mode: Mode = "point",
    draws: int = 500,
    seed: int = 0,
    episodes: int = 2000,
    max_size: int = 3,
    max_evaluations: int = 2000,
    runner: Runner | None = None,
) -> CruxResult:
    """Find the minimal sets of B's judgments that flip A's conclusion (see module docstring).

    ``threshold`` is required for a forecast output; for a strategy output it defaults to 0.
    A forecast output is ``model``'s (default: the compromise model); a game output reads none.
    The search stops at ``max_size`` or when ``max_evaluations`` would be exceeded
    (``complete`` is False then, and a note says so). Every subset is a setting of the batched
    evaluator (:func:`detente.analysis.decision.readings`: A's scenario on its calendar, B's
    values on A's random numbers), played on ``runner`` (default: here).
    """
    from detente.analysis.decision import evaluate, readings
    from detente.strategy.metrics import metric

    if output.kind == "forecast" and threshold is None:
        raise ValueError("a forecast output needs --threshold (e.g. --threshold 75)")
    x = float(threshold) if threshold is not None else 0.0
    m = model if model is not None else get_model("compromise")
    mc = output.kind == "forecast" and mode == "mc"
    rd = readings(
        loaded,
        a,
        b,
        output,
        seed=seed,
        episodes=episodes,
        model=m,
        draws=draws if mc else None,
        above=x if mc else None,
    )
    decision = rd.decision
    lower = (
        output.kind != "forecast" and not output.scorecard and metric(output.metric).lower_is_better
    )
    scorer = _Scorer(output, x, mode, decision.options, -1.0 if lower else 1.0)
    diffs = rd.differences

    read = [d.path for d in diffs if d.read]
    units = judgment_units(read)
    ends = evaluate(decision, [rd.swapped(()), rd.swapped(read)], runner)
    s_a, s_b = (float(s) for s in scorer.scores(ends))
    v_a, v_b = (float(v) for v in _values_from_scores(scorer, np.array([s_a, s_b])))
    evaluations = 2
    notes: list[str] = []
    if output.kind == "ranking":
        rank_a, rank_b = (scorer.ranking(row) for row in ends)
        notes.append(f"{a}'s ranking: " + ", ".join(f"{k} {v:.3f}" for k, v in rank_a))
        notes.append(f"{b}'s ranking: " + ", ".join(f"{k} {v:.3f}" for k, v in rank_b))
    unread = [d.path for d in diffs if not d.read]
    if unread:
        notes.append(f"{len(unread)} differing judgment(s) not read by this output")
    for unit in units:
        if len(unit) > 1:
            notes.append(f"swapped together (one judgment): {', '.join(unit)}")

    effects: dict[str, float] = {}
    cruxes: list[Crux] = []
    complete = True
    positive = s_a >= 0
    for k in range(1, min(max_size, len(units)) + 1):
        candidates = [
            tuple(p for unit in combo for p in unit) for combo in itertools.combinations(units, k)
        ]
        candidates = [
            subset for subset in candidates if not any(set(c.paths) <= set(subset) for c in cruxes)
        ]
        if not candidates:
            break
        if evaluations + len(candidates) > max_evaluations:
            notes.append(
                f"search stopped before subsets of size {k}: {len(candidates)} more evaluations "
                f"would exceed --max-evaluations {max_evaluations}"
            )
            complete = False
            break
        table = evaluate(decision, [rd.swapped(subset) for subset in candidates], runner)
        scores = scorer.scores(table)
        values = _values_from_scores(scorer, scores)
        evaluations += len(candidates)
        for subset, score, value in zip(candidates, scores, values, strict=True):
            if k == 1:
                for path in subset:
                    effects[path] = float(score) - s_a
            if (float(score) >= 0) != positive:
                cruxes.append(Crux(subset, float(score), scorer.conclusion(float(score), value)))
    if len(units) > max_size:
        complete = False
        notes.append(f"subsets larger than {max_size} judgments were not searched")
    return CruxResult(
        scenario=loaded.scenario.id,
        output=output,
        a=a,
        b=b,
        threshold=x,
        mode=mode,
        model=m.name if output.kind == "forecast" else None,
        score_a=s_a,
        score_b=s_b,
        conclusion_a=scorer.conclusion(s_a, v_a),
        conclusion_b=scorer.conclusion(s_b, v_b),
        differences=diffs,
        effects=effects,
        cruxes=cruxes,
        evaluations=evaluations,
        max_size=max_size,
        complete=complete,
        notes=notes,
    )


def judgment_units(paths: list[str]) -> list[tuple[str, ...]]:
    """Group paths that can only change together into one judgment.

    The prior probabilities of a game's target types must sum to one, so a worldview's priors
    are one judgment (the type mix): swapping one prior alone would not be a valid scenario.
    Every other path is its own judgment.
    """
    units: list[tuple[str, ...]] = []
    priors = tuple(p for p in paths if p.startswith("game.types.") and p.endswith(".prior"))
    for path in paths:
        if path in priors:
            if priors[0] == path:
                units.append(priors)
            continue
        units.append((path,))
    return units


def _values_from_scores(scorer: _Scorer, scores: FloatArray) -> FloatArray:
    if scorer.output.kind == "forecast":
        return scores + (0.5 if scorer.mode == "mc" else scorer.threshold)
    if scorer.output.kind == "strategy":
        return scores + scorer.threshold
    return scores
