"""Scenario discovery: on a Monte Carlo design over every uncertain judgment, the few ranges of
judgments (PRIM boxes) where the decision differs from the worldview's.

**The design** (:func:`design`, shared with :mod:`detente.analysis.voi`): under worldview W,
every judgment the output reads that W holds uncertain is drawn ``rows`` times from W's
distribution — row i's value of path p is W's inverse CDF at the scenario's own per-path uniform
``path_uniforms([p], seed, 0, rows)[i]`` (:func:`detente.uncertainty.sampling.path_uniforms`:
a value depends only on seed, row and path), so the design is deterministic. One row is one
*setting* of the :class:`~detente.analysis.decision.Decision` evaluator: each judgment held at
the row's value in every episode (and believed at it), all rows played on the same episodes
(common random numbers: the same type draws and the same chance). The design's own judgments are
held fixed in a row, so the episodes' uniforms of those paths are not read and the design's use
of the same uniform stream adds no correlation. A game's type priors are drawn independently and
normalised to sum to 1 within each row (the design column is the normalised P(type)). A forecast
output is evaluated at point values (one value per judgment and row: the design row *is* the
scenario's numbers).

**The label.** Row i is a *case of interest* when its conclusion — the best strategy on the
scorecard (a ranking output) or the side of the threshold (a scalar output; :class:`~detente.
analysis.decision.Verdict`) — differs from W's own conclusion (W's run with its own draws, the
``choice`` every decision method reports): "the decision flips here".

**PRIM** (Friedman & Fisher 1999), as the EMA Workbench implements it for scenario discovery
(Bryant & Lempert 2010; Kwakkel 2017; ``ema_workbench.analysis.prim``, the lenient objective
function, peeling and pasting α = 0.05, minimum mass 0.05): starting from the box holding every
row, PRIM repeatedly peels off the α-slice of one judgment's range that most raises the share of
cases of interest in the box, giving the *peeling trajectory* — a sequence of nested boxes, each
with its **coverage** (cases of interest inside / all cases of interest) and **density** (cases
of interest inside / rows inside), trading one for the other. The box reported is the one on the
trajectory with the highest coverage among those with density ≥ :data:`DENSITY` (0.8), else the
densest; its limits are given for the judgments it restricts, with the Workbench's quasi-p-values
(a binomial test of the restriction). Up to :data:`MAX_BOXES` boxes are sought, each on the rows
not in the boxes before (the Workbench's covering); the search stops at a box that does not reach
the density. Requires the ``discovery`` extra (``pip install 'detente[discovery]'``).

References: J. H. Friedman & N. I. Fisher (1999), "Bump hunting in high-dimensional data",
*Statistics and Computing* 9(2); B. P. Bryant & R. J. Lempert (2010), "Thinking inside the box:
a participatory, computer-assisted approach to scenario discovery", *Technological Forecasting
and Social Change* 77(1); J. H. Kwakkel (2017), "The Exploratory Modeling Workbench",
*Environmental Modelling & Software* 96.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from detente.analysis.decision import Runner, Setting, Verdict, evaluate
from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
    import pandas as pd

    from detente.analysis.decision import ForecastDecision, GameDecision, Judgment
    from detente.models.base import Model
    from detente.scenario.load import LoadedScenario

#: the density a reported box must reach
DENSITY = 0.8
#: PRIM's peeling (and pasting) share and the smallest box mass (the Workbench's defaults)
PEEL_ALPHA = 0.05
MASS_MIN = 0.05
#: boxes sought at most (covering)
MAX_BOXES = 3
_ANY_CASE = 1e-9


def _is_prior(path: str) -> bool:
    return path.startswith("game.types.") and path.endswith(".prior")


# ------------------------------------------------------------------------------- the design


@dataclass
class Design:
    """A worldview's Monte Carlo design and the decision's net benefits on it."""

    scenario: str
    worldview: str
    output: OutputSpec
    options: list[str]
    #: the design's judgments (paths), their labels, and their values: ``(rows, len(paths))``
    paths: list[str]
    labels: list[str]
    x: FloatArray
    #: net benefits ``(rows, len(options))`` (higher is better)
    table: FloatArray
    #: W's own run (its draws in every episode): ``(1, len(options))``
    base: FloatArray
    groups: list[Judgment]
    episodes: int
    seed: int
    threshold: float

    @property
    def rows(self) -> int:
        return int(self.x.shape[0])

    @property
    def verdict(self) -> Verdict:
        return Verdict(self.output, self.options, self.threshold, _pair(self.options))

    def frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({p: self.x[:, c] for c, p in enumerate(self.paths)})


def _pair(options: list[str]) -> tuple[str, str] | None:
    return (options[0], options[1]) if len(options) >= 2 else None


@dataclass
class DesignPlan:
    """A worldview's design before it is evaluated: its rows and the decision that evaluates
    them (what :func:`design` evaluates in one go and ``cruxes --out`` in resumable blocks,
    :mod:`detente.analysis.crux_runs`)."""

    scenario: str
    worldview: str
    output: OutputSpec
    decision: GameDecision | ForecastDecision
    #: the design's judgments, their labels and values ``(rows, len(paths))``
    paths: list[str]
    labels: list[str]
    x: FloatArray
    #: what a row's setting holds each judgment at: the design's judgments, then the type
    #: priors the design does not vary (held at their normalised point values)
    setting_paths: list[str]
    setting_values: FloatArray
    groups: list[Judgment]
    seed: int
    threshold: float

    @property
    def rows(self) -> int:
        return int(self.x.shape[0])

    def settings(self, start: int = 0, stop: int | None = None) -> list[Setting]:
        """The settings of rows ``start:stop`` (each judgment held at the row's value)."""
        fixed = self.decision.fixed
        return [
            {p: fixed(p, float(v[c])) for c, p in enumerate(self.setting_paths)}
            for v in self.setting_values[start:stop]
        ]

    def finish(self, table: FloatArray, runner: Runner | None = None) -> Design:
        """The design with its rows' net benefits ``table`` (and W's own run, evaluated here)."""
        base = evaluate(self.decision, [{}], runner)
        return Design(
            self.scenario,
            self.worldview,
            self.output,
            self.decision.options,
            self.paths,
            self.labels,
            self.x,
            table,
            base,
            self.groups,
            self.decision.size,
            self.seed,
            self.threshold,
        )


def plan_design(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    *,
    rows: int,
    seed: int = 0,
    episodes: int = 200,
    threshold: float | None = None,
    model: Model | None = None,
) -> DesignPlan:
    """Worldview ``worldview``'s design of ``rows`` rows (see module docstring); bad input
    raises ValueError here, before any row is evaluated."""
    from detente.analysis.decision import judgment_groups, make_decision
    from detente.scenario.load import with_worldview
    from detente.scenario.paths import path_label
    from detente.uncertainty.sampling import path_uniforms

    if rows < 2:
        raise ValueError(f"--design must be at least 2 rows (got {rows})")
    if output.kind == "forecast" and threshold is None:
        raise ValueError("a forecast output needs --threshold (e.g. --threshold 75)")
    sc = with_worldview(loaded, worldview)
    decision: GameDecision | ForecastDecision = make_decision(
        sc, output, seed=seed, episodes=episodes, model=model, draws=None
    )
    quantities = decision.quantities
    paths = [p for p, q in quantities.items() if q.varies]
    if not paths:
        raise ValueError(
            f"worldview {worldview} holds no judgment of {output.describe()} uncertain: "
            "there is nothing to design over"
        )
    u = path_uniforms(paths, seed, 0, rows)
    x = np.stack([quantities[p].ppf(u[:, c]) for c, p in enumerate(paths)], axis=1)
    x = np.asarray(x, dtype=np.float64)
    priors = [p for p in quantities if _is_prior(p)]
    setting_paths = list(paths)
    setting_values = x
    if any(p in paths for p in priors):
        raw = np.stack(
            [x[:, paths.index(p)] if p in paths else np.full(rows, quantities[p].point())
             for p in priors],
            axis=1,
        )  # fmt: skip
        total = raw.sum(axis=1, keepdims=True)
        if np.any(total <= 0):
            raise ValueError(f"worldview {worldview}: the type priors drawn sum to 0 in a row")
        all_priors = raw / total
        for k, p in enumerate(priors):
            if p in paths:
                x[:, paths.index(p)] = all_priors[:, k]
        held = [k for k, p in enumerate(priors) if p not in paths]
        setting_paths += [priors[k] for k in held]
        setting_values = np.concatenate([x, all_priors[:, held]], axis=1)
    return DesignPlan(
        loaded.scenario.id,
        worldview,
        output,
        decision,
        paths,
        [path_label(sc, p) for p in paths],
        x,
        setting_paths,
        np.ascontiguousarray(setting_values),
        judgment_groups(loaded, [worldview], paths),
        seed,
        threshold if threshold is not None else 0.0,
    )


def design(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    *,
    rows: int,
    seed: int = 0,
    episodes: int = 200,
    threshold: float | None = None,
    model: Model | None = None,
    runner: Runner | None = None,
) -> Design:
    """Worldview ``worldview``'s design of ``rows`` rows, evaluated (see module docstring)."""
    plan = plan_design(
        loaded,
        worldview,
        output,
        rows=rows,
        seed=seed,
        episodes=episodes,
        threshold=threshold,
        model=model,
    )
    return plan.finish(evaluate(plan.decision, plan.settings(), runner), runner)


# ------------------------------------------------------------------------------- PRIM


@dataclass(frozen=True)
class Limit:
    """A box's range of one judgment it restricts (and the Workbench's quasi-p-values)."""

    path: str
    low: float
    high: float
    #: the design's range of the judgment
    min: float
    max: float
    qp_low: float | None
    qp_high: float | None


@dataclass(frozen=True)
class Step:
    """One box of the peeling trajectory."""

    coverage: float
    density: float
    mass: float
    restricted: int
    rows: int
    cases: int


@dataclass(frozen=True)
class Box:
    """One PRIM box: its trajectory, the box chosen on it and that box's limits."""

    trajectory: list[Step]
    chosen: int
    limits: list[Limit]
    meets: bool

    @property
    def step(self) -> Step:
        return self.trajectory[self.chosen]


def _qp(value: Any) -> float | None:
    """A quasi-p-value; None for a side the box does not restrict (the Workbench's −1)."""
    v = float(value)
    return None if math.isnan(v) or v < 0 else v


def prim_boxes(
    x: pd.DataFrame,
    y: np.ndarray[Any, np.dtype[np.bool_]],
    *,
    density: float = DENSITY,
    peel_alpha: float = PEEL_ALPHA,
    mass_min: float = MASS_MIN,
    max_boxes: int = MAX_BOXES,
) -> list[Box]:
    """PRIM boxes of the cases ``y`` in the design ``x`` (see module docstring); ``[]`` when no
    row is a case of interest."""
    import logging

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        logging.getLogger("EMA").setLevel(logging.WARNING)
        import ema_workbench.analysis.prim as ema_prim  # type: ignore[import-untyped]

        sdutil = ema_prim.sdutil

    y01 = np.asarray(y, dtype=np.int64)
    if y01.sum() == 0:
        return []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # cases of interest are y = 1 (any threshold in (0, 1] says so); the Workbench's own
        # acceptance test (the last box's mean ≥ threshold, else a "dump box" without its
        # trajectory) is replaced by the choice of a box on the trajectory below
        p = ema_prim.Prim(
            x.reset_index(drop=True),
            y01,
            threshold=_ANY_CASE,
            peel_alpha=peel_alpha,
            paste_alpha=peel_alpha,
            mass_min=mass_min,
        )
        boxes: list[Box] = []
        for _ in range(max_boxes):
            if p.yi_remaining.shape[0] == 0 or p.determine_coi(p.yi_remaining) == 0:
                break
            box = p.find_box()
            if box is None:
                break
            traj = box.peeling_trajectory
            steps = [
                Step(
                    float(r["coverage"]),
                    float(r["density"]),
                    float(r["mass"]),
                    int(r["res_dim"]),
                    int(r["n"]),
                    int(r["k"]),
                )
                for _, r in traj.iterrows()
            ]
            good = [i for i, s in enumerate(steps) if s.density >= density and s.restricted > 0]
            if good:
                chosen = max(good, key=lambda i: (steps[i].coverage, -i))
            else:
                chosen = max(range(len(steps)), key=lambda i: (steps[i].density, -i))
            meets = bool(good)
            if boxes and not meets:
                break
            lims = box.box_lims[chosen]
            dims = list(sdutil._determine_restricted_dims(lims, p.box_init))
            qp = box.qp[chosen] if chosen < len(box.qp) else {}
            limits = []
            for name in x.columns:
                if name not in dims:
                    continue
                q = qp.get(name, (math.nan, math.nan))
                limits.append(
                    Limit(
                        str(name),
                        float(lims.loc[0, name]),
                        float(lims.loc[1, name]),
                        float(p.box_init.loc[0, name]),
                        float(p.box_init.loc[1, name]),
                        _qp(q[0]),
                        _qp(q[1]),
                    )
                )
            boxes.append(Box(steps, chosen, limits, meets))
            if not meets or not limits:
                break
            box.select(chosen)
    return boxes


@dataclass
class DiscoveryResult:
    design: Design
    choice: str
    margin: float
    #: each row a case of interest (its conclusion differs from ``choice``)
    cases: np.ndarray[Any, np.dtype[np.bool_]]
    conclusions: list[str]
    boxes: list[Box]
    density: float
    notes: list[str] = field(default_factory=list)

    def box_rows(self) -> list[dict[str, object]]:
        d = self.design
        label = dict(zip(d.paths, d.labels, strict=True))
        out: list[dict[str, object]] = []
        for b in self.boxes:
            s = b.step
            out.append(
                {
                    "coverage": s.coverage,
                    "density": s.density,
                    "mass": s.mass,
                    "rows": s.rows,
                    "cases": s.cases,
                    "meets_density": b.meets,
                    "chosen": b.chosen,
                    "limits": [
                        {
                            "path": lim.path,
                            "label": label[lim.path],
                            "low": lim.low,
                            "high": lim.high,
                            "min": lim.min,
                            "max": lim.max,
                            "qp_low": lim.qp_low,
                            "qp_high": lim.qp_high,
                        }
                        for lim in b.limits
                    ],
                    "trajectory": [
                        {
                            "coverage": t.coverage,
                            "density": t.density,
                            "mass": t.mass,
                            "restricted": t.restricted,
                            "rows": t.rows,
                            "cases": t.cases,
                        }
                        for t in b.trajectory
                    ],
                }
            )
        return out


def discover(
    loaded: LoadedScenario,
    worldview: str,
    output: OutputSpec,
    *,
    rows: int,
    seed: int = 0,
    episodes: int = 200,
    threshold: float | None = None,
    model: Model | None = None,
    runner: Runner | None = None,
    density: float = DENSITY,
) -> DiscoveryResult:
    """Scenario discovery of ``output`` under ``worldview`` (see module docstring)."""
    d = design(
        loaded,
        worldview,
        output,
        rows=rows,
        seed=seed,
        episodes=episodes,
        threshold=threshold,
        model=model,
        runner=runner,
    )
    return discover_on(d, density=density)


def discover_on(d: Design, *, density: float = DENSITY) -> DiscoveryResult:
    """PRIM on an evaluated design."""
    verdict = d.verdict
    choice = verdict.labels(d.base)[0]
    margin = float(verdict.margins(d.base)[0])
    conclusions = verdict.labels(d.table)
    cases = np.array([c != choice for c in conclusions], dtype=bool)
    notes: list[str] = []
    boxes = prim_boxes(d.frame(), cases, density=density)
    if not cases.any():
        notes.append(
            f"the conclusion is {choice} in every one of the {d.rows} design rows: no box to find"
        )
    elif boxes and not boxes[0].meets:
        notes.append(
            f"no box reaches density {density:g}: the flips are spread over the design "
            "(the densest box on the trajectory is shown)"
        )
    return DiscoveryResult(d, choice, margin, cases, conclusions, boxes, density, notes)


def conclusion_counts(conclusions: Sequence[str]) -> dict[str, int]:
    """How many design rows reach each conclusion (in first-seen order)."""
    out: dict[str, int] = {}
    for c in conclusions:
        out[c] = out.get(c, 0) + 1
    return out
