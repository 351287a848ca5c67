"""The one interface every forecasting model implements.

A model sees a :class:`Problem`: plain arrays with a leading *draw* axis, so the same code path
serves a single scenario (one draw) and a Monte Carlo batch (thousands of draws). Parameters go in
the constructor, data in the call (scikit-learn style)::

    model = ExpectedUtility(q=1.0, max_rounds=8)
    forecast = model.forecast(problem)          # one draw: outcome, rounds, tables
    forecasts = model.forecast_batch(problem)   # many draws: outcome per draw and issue

Positions are on each issue's own scale (``scale_min`` .. ``scale_max``); a model that works on
a normalised scale converts in and out itself, so results always come back on the scenario's
scale. Saliences are in [0, 1]; capabilities are positive.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    # pandas is imported inside the methods that build frames: every command line start-up
    # passes through this module (``detente --help``, ``validate``), and pandas alone costs
    # more than the start-up budget (issue 14).
    import pandas as pd

FloatArray = NDArray[np.float64]


class ModelInputError(ValueError):
    """The problem cannot be handled by this model (e.g. too few actors); message says why."""


@dataclass(frozen=True)
class Problem:
    """A numeric bargaining problem with a leading draw axis.

    Shapes: ``D`` draws, ``n`` actors, ``k`` issues.

    Attributes:
        actors: actor ids, length ``n``.
        issues: issue ids, length ``k``.
        capability: ``(D, n)``, positive.
        position: ``(D, n, k)`` on each issue's own scale.
        salience: ``(D, n, k)`` in [0, 1].
        scale_min, scale_max: ``(k,)`` bounds of each issue's scale.
        status_quo: ``(D, k)``; NaN where the scenario gives none.
        name: a label for messages (scenario id or file name).
        actor_names, issue_labels: human-readable labels, same order as ids.
        power: optional ``(D, n, k)`` power of each actor on each issue, for a model that
            weighs issues separately (the exchange model, as Decide's per-issue power); None:
            every issue uses ``capability``. Models that do not read it ignore it.
    """

    actors: tuple[str, ...]
    issues: tuple[str, ...]
    capability: FloatArray
    position: FloatArray
    salience: FloatArray
    scale_min: FloatArray
    scale_max: FloatArray
    status_quo: FloatArray
    name: str = ""
    actor_names: tuple[str, ...] = ()
    issue_labels: tuple[str, ...] = ()
    power: FloatArray | None = None

    def __post_init__(self) -> None:
        d, n = self.capability.shape
        k = len(self.issues)
        expected = {
            "capability": (d, n),
            "position": (d, n, k),
            "salience": (d, n, k),
            "scale_min": (k,),
            "scale_max": (k,),
            "status_quo": (d, k),
        }
        if self.power is not None:
            expected["power"] = (d, n, k)
        for attr, shape in expected.items():
            got = getattr(self, attr).shape
            if got != shape:
                raise ValueError(f"Problem.{attr} has shape {got}, expected {shape}")
        if n != len(self.actors):
            raise ValueError(f"Problem has {len(self.actors)} actor ids but {n} capability columns")
        if not self.actor_names:
            object.__setattr__(self, "actor_names", self.actors)
        if not self.issue_labels:
            object.__setattr__(self, "issue_labels", self.issues)

    @property
    def n_draws(self) -> int:
        return int(self.capability.shape[0])

    @property
    def n_actors(self) -> int:
        return len(self.actors)

    @property
    def n_issues(self) -> int:
        return len(self.issues)

    @classmethod
    def single(
        cls,
        actors: tuple[str, ...] | list[str],
        issues: tuple[str, ...] | list[str],
        capability: Any,
        position: Any,
        salience: Any,
        scale_min: Any = None,
        scale_max: Any = None,
        status_quo: Any = None,
        name: str = "",
    ) -> Problem:
        """Build a one-draw problem from ``(n,)`` capability and ``(n, k)`` position/salience."""
        cap = np.asarray(capability, dtype=np.float64)[None, :]
        pos = np.asarray(position, dtype=np.float64)
        sal = np.asarray(salience, dtype=np.float64)
        if pos.ndim == 1:
            pos = pos[:, None]
        if sal.ndim == 1:
            sal = sal[:, None]
        k = pos.shape[1]
        lo = (
            np.asarray(scale_min, dtype=np.float64).reshape(k)
            if scale_min is not None
            else pos.min(axis=0)
        )
        hi = (
            np.asarray(scale_max, dtype=np.float64).reshape(k)
            if scale_max is not None
            else pos.max(axis=0)
        )
        sq = (
            np.asarray(status_quo, dtype=np.float64).reshape(1, k)
            if status_quo is not None
            else np.full((1, k), np.nan)
        )
        return cls(
            actors=tuple(actors),
            issues=tuple(issues),
            capability=cap,
            position=pos[None, :, :],
            salience=sal[None, :, :],
            scale_min=lo,
            scale_max=hi,
            status_quo=sq,
            name=name,
        )

    def draw(self, index: int) -> Problem:
        """The one-draw problem at ``index``."""
        sl = slice(index, index + 1)
        return Problem(
            actors=self.actors,
            issues=self.issues,
            capability=self.capability[sl],
            position=self.position[sl],
            salience=self.salience[sl],
            scale_min=self.scale_min,
            scale_max=self.scale_max,
            status_quo=self.status_quo[sl],
            name=self.name,
            actor_names=self.actor_names,
            issue_labels=self.issue_labels,
            power=None if self.power is None else self.power[sl],
        )


@dataclass(frozen=True)
class Round:
    """One state of a dynamic model: state 0 is the input.

    ``positions`` is ``(n, k)``; ``probabilities`` is ``(n,)`` (the chance each actor's position
    prevails, for models that define one) or None.
    """

    positions: FloatArray
    probabilities: FloatArray | None = None


class LazyTables(Mapping[str, "pd.DataFrame"]):
    """A model's extra tables (:attr:`Forecast.tables`), each built the first time it is read.

    A model whose tables cost pandas to build (the spatial model's ``bargains``) hands its
    builders here, so a command that prints only the forecast never imports pandas (start-up,
    issue 19: a whole ``detente forecast`` of KTAB's smallest case in less time than KTAB's
    ``smpc``). Reading a table, iterating the items or ``to_json`` builds it once and keeps it.
    """

    def __init__(self, builders: Mapping[str, Callable[[], pd.DataFrame]]) -> None:
        self._builders = dict(builders)
        self._built: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._built:
            self._built[name] = self._builders[name]()
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)


@dataclass(frozen=True)
class Forecast:
    """The result of one model on one draw.

    Attributes:
        model: the model's registry name.
        problem: the problem it was run on (one draw).
        outcome: ``(k,)`` forecast per issue, on each issue's scale.
        rounds: states of a dynamic model, state 0 first; empty for static models.
        tables: tidy extra results named by the model (e.g. ``"offers"``, ``"exchanges"``,
            ``"summary"``), one row per observation (a dict, or :class:`LazyTables`).
        parameters: the constructor parameters that produced it.
    """

    model: str
    problem: Problem
    outcome: FloatArray
    rounds: tuple[Round, ...] = ()
    tables: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """One row per issue: ``issue``, ``label``, ``forecast``."""
        import pandas as pd

        return pd.DataFrame(
            {
                "issue": list(self.problem.issues),
                "label": list(self.problem.issue_labels),
                "forecast": self.outcome.astype(float),
            }
        )

    def rounds_frame(self) -> pd.DataFrame:
        """Tidy trajectory: ``round, actor, issue, position`` (and ``probability``)."""
        import pandas as pd

        rows: list[dict[str, Any]] = []
        for r, state in enumerate(self.rounds):
            for i, actor in enumerate(self.problem.actors):
                for j, issue in enumerate(self.problem.issues):
                    row: dict[str, Any] = {
                        "round": r,
                        "actor": actor,
                        "issue": issue,
                        "position": float(state.positions[i, j]),
                    }
                    if state.probabilities is not None:
                        row["probability"] = float(state.probabilities[i])
                    rows.append(row)
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        """The forecast as plain JSON data (NaN becomes None), the one serialisation.

        Keys, in order: ``model``, ``parameters`` (constructor parameters; an object JSON cannot
        hold becomes its ``str``), ``issues`` (``id``, ``label``, ``forecast`` per issue), then
        ``rounds`` when the model has them (per state: ``positions`` as actor -> issue ->
        position, and ``probabilities`` as actor -> probability or None) and ``tables`` when it
        has any (name -> list of records). The command line adds the scenario and worldview, the
        web explorer each issue's meaning on its scale.
        """
        problem = self.problem
        result: dict[str, Any] = {
            "model": self.model,
            "parameters": json.loads(json.dumps(self.parameters, default=str)),
            "issues": [
                {"id": issue, "label": label, "forecast": finite(self.outcome[j])}
                for j, (issue, label) in enumerate(
                    zip(problem.issues, problem.issue_labels, strict=True)
                )
            ],
        }
        if self.rounds:
            result["rounds"] = [
                {
                    "positions": {
                        actor: {
                            issue: finite(state.positions[i, j])
                            for j, issue in enumerate(problem.issues)
                        }
                        for i, actor in enumerate(problem.actors)
                    },
                    "probabilities": (
                        {
                            actor: finite(state.probabilities[i])
                            for i, actor in enumerate(problem.actors)
                        }
                        if state.probabilities is not None
                        else None
                    ),
                }
                for state in self.rounds
            ]
        if self.tables:
            result["tables"] = {
                name: json.loads(frame.to_json(orient="records"))
                for name, frame in self.tables.items()
            }
        return result


def finite(x: Any) -> float | None:
    """``float(x)``, or None where it is NaN, infinite or not a number (JSON has neither)."""
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def jsonable(value: Any) -> Any:
    """Plain JSON data: the one NaN→null cleaner of detente.

    NaN and infinities become None (JSON has neither), numpy scalars their Python value, tuples
    lists, mapping keys strings, any other object its ``str``. Every JSON that detente writes
    (the command line, the web explorer, the Monte Carlo summary, the backtest) goes through it
    or through :func:`finite`, its one-number case. It lives here, on the ground floor, so that
    the lowest user (:meth:`Forecast.to_dict`) and every floor above can import it.
    """
    if isinstance(value, float):
        return finite(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return jsonable(value.item())
    if value is None or isinstance(value, str | int | bool):
        return value
    return str(value)


@dataclass(frozen=True)
class Forecasts:
    """The result of one model on a batch: ``outcome`` is ``(D, k)``.

    ``n_states`` is ``(D,)`` for dynamic models, else None: how many states each draw's run has,
    state 0 (the input) included, so that ``n_states[d] == len(model.forecast(
    problem.draw(d)).rounds)``. (Expected utility: rounds that moved someone, plus one; spatial:
    KTAB's states; exchange: iterations plus one.) Nothing in detente reads it beyond the
    contract tests; it is there for a user asking how long each draw's bargaining ran.
    """

    model: str
    issues: tuple[str, ...]
    outcome: FloatArray
    n_states: NDArray[np.int64] | None = None
    parameters: dict[str, Any] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``draw, issue, forecast``."""
        import pandas as pd

        d, k = self.outcome.shape
        return pd.DataFrame(
            {
                "draw": np.repeat(np.arange(d), k),
                "issue": np.tile(np.array(self.issues, dtype=object), d),
                "forecast": self.outcome.reshape(-1),
            }
        )


class Model(ABC):
    """Base class: subclasses set the class attributes and implement the two calls.

    Class attributes:
        name: registry name used on the command line (``--model NAME``).
        title: a short human title.
        source: the paper(s) the implementation follows.
        dynamic: True when the model produces rounds.

    Tags (what callers need to know about a model, asked of the class, never of its name):
        multi_issue: the forecast of each issue comes from bargaining over all the problem's
            issues at once (trades across issues), so the model must see every issue of a
            decision in one problem (the backtest gives it one problem per proposal) and its
            per-issue forecast is not a like-for-like companion of single-issue models' (the
            report leaves it out unless asked for).
        min_actors, min_issues: the smallest problem the model accepts; a smaller one raises
            :class:`ModelInputError`.
        order_dependent: exact or near ties are resolved by the order of the actors (and
            issues) in the input, by design (as the reference implementation does), so
            permuting the actors of a tied problem can change the forecast.
        baseline: a reference forecaster that reads no actor data (see
            :mod:`detente.models.baselines`); listed apart from the models.
        needs_status_quo: the forecast is undefined (NaN) where the problem gives no status quo.
        separable_draws: each draw's forecast depends on that draw's inputs alone, bit for bit,
            whatever else is in the batch, so a Monte Carlo block may be split across tasks
            (the Ray backend does so when there are fewer blocks than workers; tested in
            ``tests/uncertainty/test_mc_ray.py``).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    source: ClassVar[str]
    dynamic: ClassVar[bool] = False
    multi_issue: ClassVar[bool] = False
    min_actors: ClassVar[int] = 1
    min_issues: ClassVar[int] = 1
    order_dependent: ClassVar[bool] = False
    baseline: ClassVar[bool] = False
    needs_status_quo: ClassVar[bool] = False
    separable_draws: ClassVar[bool] = False

    @abstractmethod
    def forecast(self, problem: Problem) -> Forecast:
        """Forecast a one-draw problem, with rounds and tables where the model has them."""

    def forecast_batch(self, problem: Problem) -> Forecasts:
        """Forecast every draw of a batch. Override with a vectorised implementation."""
        outcomes = np.stack(
            [self.forecast(problem.draw(i)).outcome for i in range(problem.n_draws)]
        )
        return Forecasts(
            model=self.name, issues=problem.issues, outcome=outcomes, parameters=self.get_params()
        )

    def get_params(self) -> dict[str, Any]:
        """Constructor parameters (public attributes not starting with an underscore)."""
        return {k: v for k, v in vars(self).items() if not k.startswith("_")}

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"


def require_single(problem: Problem, model: str) -> None:
    if problem.n_draws != 1:
        raise ModelInputError(
            f"{model}: forecast() takes a one-draw problem (got {problem.n_draws} draws); "
            "use forecast_batch() for many"
        )
