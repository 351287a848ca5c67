"""The strategy decision as a function of the judgments: one batched evaluator on common random
numbers, shared by Shapley attribution and switch points.

A *decision* (:class:`Decision`) maps a list of **settings** — each a mapping from scenario
paths to the per-episode (or per-draw) values those judgments take — to a table of **net
benefits**, one row per setting and one column per option:

* a game output (``scorecard:ID``, ``strategies[:METRIC]``, ``scorecard:ID:A-B``,
  ``strategy:METRIC:A[-B]``) is :class:`GameDecision`: every setting is played on the *same*
  ``episodes`` episodes — the same per-path uniforms (mapped through each judgment's inverse
  CDF), the same type draws and the same chance (:func:`detente.strategy.simulate.build_episodes`'s
  streams) — so settings differ only by the values they set. A setting's draws replace the
  worldview's own draws of those paths; every other judgment keeps the worldview's draws. The
  net benefit of a strategy is its mean score on the scorecard (normalised across all the game's
  strategies within each setting, as :func:`~detente.strategy.scorecards.scorecard_scores` does
  for a design row) or its mean metric, signed so that higher is better. Only the strategies the
  output needs are played: a metric comparison plays its one or two strategies, a scorecard all
  of them (its normalisation ranges over all);
* ``forecast:ISSUE`` is :class:`ForecastDecision`: the point forecast, or the mean forecast over
  ``draws`` Monte Carlo draws on the per-path streams, at each setting (one option: the decision
  is the side of a threshold).

Settings are evaluated in chunks of :data:`CHUNK` (fixed: never depending on the number of
workers), each chunk in one vectorised play, in this process, a spawned process pool or on Ray
(:func:`map_chunks`); results are put back in order. Each chunk is computed the same way
wherever it runs, so every method gives byte-identical results for ``--workers 1``, ``2`` and
``--backend ray``.

Judgments and groups (:func:`judgment_groups`): the judgments two worldviews disagree on
(:func:`detente.analysis.cruxes.worldview_differences`) are grouped into **override groups**:
the overrides a worldview labels with the same ``group:`` (:class:`~detente.scenario.schema.
Override`) are one group, a game's type priors are one (they must sum to one), and every other
judgment is its own group. Groups that share a path (two worldviews grouping differently) are
merged.
"""

from __future__ import annotations

import concurrent.futures as cf
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

import numpy as np

from detente.analysis.outputs import OutputSpec
from detente.models.base import FloatArray

if TYPE_CHECKING:
    from detente.models.base import Model
    from detente.scenario.game import GameSpec
    from detente.scenario.load import LoadedScenario
    from detente.scenario.quantity import Quantity
    from detente.scenario.schema import Scenario

#: settings evaluated in one vectorised play (part of the method: results never depend on it
#: being run by one worker or several, since each chunk is computed alone)
CHUNK = 8
Backend = Literal["local", "ray"]


@dataclass(frozen=True)
class Value:
    """What a setting gives one judgment: its value in each episode (or draw), and the point
    value a scenario with that judgment would have (what the coalition believes when it does not
    see the episode's draws: :class:`~detente.strategy.game.CoalitionGame`)."""

    draws: FloatArray
    point: float


#: a setting: path -> the judgment's :class:`Value` (a variant of the worldview's scenario)
Setting = Mapping[str, Value]
_T = TypeVar("_T")
_R = TypeVar("_R")


# ------------------------------------------------------------------------------- the protocol


class Decision(Protocol):
    """What the decision methods need: options, and their net benefits at settings."""

    @property
    def options(self) -> list[str]:
        """The options compared (strategy ids, or the one output)."""
        ...

    @property
    def size(self) -> int:
        """Values per judgment in a setting (episodes or draws)."""
        ...

    #: the worldview's Quantity of every number the output reads
    quantities: dict[str, Quantity]
    #: the worldview's draws of each (what a setting replaces)
    base: dict[str, FloatArray]

    def table(self, settings: Sequence[Setting]) -> FloatArray:
        """``(len(settings), len(options))`` net benefits (higher is better)."""
        ...

    def value(self, path: str, quantity: Quantity) -> Value:
        """Another reading's Quantity of a judgment, on this decision's random numbers."""
        ...

    def fixed(self, path: str, x: float) -> Value:
        """A judgment held at ``x``."""
        ...


# ------------------------------------------------------------------------------- parallel map


def _apply(fn: Callable[[_T], _R], item: _T) -> _R:
    return fn(item)


def map_chunks(
    fn: Callable[[_T], _R],
    items: Sequence[_T],
    workers: int = 1,
    backend: Backend = "local",
    executor: cf.Executor | None = None,
) -> list[_R]:
    """``[fn(item) for item in items]``, in order, here, in ``executor``, in a pool of
    ``workers`` spawned processes, or as Ray tasks (``fn`` must then be picklable)."""
    if backend == "ray":
        try:
            import ray
        except ImportError:
            raise ValueError("--backend ray needs Ray: pip install 'detente[ray]'") from None
        started = not ray.is_initialized()
        if started:
            ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False)
        try:
            task: Any = ray.remote(_apply)
            fn_ref = ray.put(fn)
            return list(ray.get([task.remote(fn_ref, item) for item in items]))
        finally:
            if started:
                ray.shutdown()
    if backend != "local":
        raise ValueError(f"unknown backend {backend!r} (expected local or ray)")
    if executor is not None:
        return list(executor.map(fn, items))
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from detente.uncertainty.runner import spawn_pool

    with spawn_pool(min(workers, len(items))) as pool:
        return list(pool.map(fn, items))


@dataclass
class Runner:
    """Where a method's chunks run: ``workers`` and ``backend`` (see :func:`map_chunks`).

    A local pool is started on first use and kept for the run (:meth:`close`), so a method that
    evaluates in rounds (bisection) pays for the workers' start-up once.
    """

    workers: int = 1
    backend: Backend = "local"
    _pool: cf.Executor | None = field(default=None, init=False, repr=False)
    _ray: bool = field(default=False, init=False, repr=False)

    def map(self, fn: Callable[[_T], _R], items: Sequence[_T]) -> list[_R]:
        if self.backend == "ray":
            import ray

            if not ray.is_initialized():
                ray.init(num_cpus=self.workers, include_dashboard=False, log_to_driver=False)
                self._ray = True
            return map_chunks(fn, items, self.workers, "ray")
        if self.workers > 1 and len(items) > 1 and self._pool is None:
            from detente.uncertainty.runner import spawn_pool

            self._pool = spawn_pool(self.workers)
        return map_chunks(fn, items, self.workers, "local", self._pool)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None
        if self._ray:
            import ray

            ray.shutdown()
            self._ray = False

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def evaluate(decision: Decision, settings: Sequence[Setting], runner: Runner | None) -> FloatArray:
    """``decision.table(settings)`` in chunks of :data:`CHUNK`, on ``runner`` (or here)."""
    if not settings:
        return np.empty((0, len(decision.options)), dtype=np.float64)
    chunks = [list(settings[i : i + CHUNK]) for i in range(0, len(settings), CHUNK)]
    parts = (runner or Runner()).map(decision.table, chunks)
    return np.concatenate(parts, axis=0)


# ------------------------------------------------------------------------------- game decision


def picklable(scenario: Scenario) -> Scenario:
    """``scenario`` with its dated game's record read now, once, in this process: a dated game
    reads it on first play (:class:`detente.scenario.load.RecordHistory`, a picklable value), so
    without this every worker process or Ray task would read the record file again; the
    history is the same."""
    game = scenario.game
    history = game.history if game is not None else None
    if game is None or history is None:
        return scenario
    return scenario.model_copy(update={"game": game.with_history(history)})


def output_options(game: GameSpec, output: OutputSpec) -> list[str]:
    """The options an output compares: every strategy for a ranking, else its one or two."""
    if output.kind == "ranking":
        return [s.id for s in game.strategies]
    return [output.strategy_a, *([output.strategy_b] if output.strategy_b else [])]


class GameDecision:
    """A game output's net benefits at settings, every setting on the same episodes.

    ``scenario`` is the worldview's scenario (its game gives every judgment not in a setting);
    :meth:`draws` maps another worldview's Quantity of a path onto the same uniforms.
    """

    def __init__(self, scenario: Scenario, output: OutputSpec, seed: int, episodes: int) -> None:
        from detente.analysis.outputs import game_of
        from detente.scenario.game import quantities
        from detente.strategy.simulate import TYPE_PATH
        from detente.uncertainty.sampling import path_uniforms

        if output.kind == "forecast":
            raise ValueError("a forecast output is not a game decision")
        if episodes < 2:
            raise ValueError(f"--episodes must be at least 2 (got {episodes})")
        self.game = game_of(picklable(scenario))
        self.output = output
        self.seed = seed
        self.episodes = episodes
        self.quantities: dict[str, Quantity] = dict(quantities(self.game))
        paths = list(self.quantities)
        self.uniforms = path_uniforms(paths, seed, 0, episodes)
        self.column = {p: c for c, p in enumerate(paths)}
        # the worldview's draws exactly as build_episodes makes them (declared shares and
        # correlations applied: issue 20), so a setting's baseline is the batch every command plays
        self.base: dict[str, FloatArray] = self.draws_of(scenario)
        self.type_uniforms = path_uniforms([TYPE_PATH], seed, 0, episodes)[:, 0]
        self._options = output_options(self.game, output)
        self._played = (
            [s.id for s in self.game.strategies] if output.scorecard else list(self._options)
        )

    @property
    def options(self) -> list[str]:
        return list(self._options)

    @property
    def size(self) -> int:
        return self.episodes

    def value(self, path: str, quantity: Quantity) -> Value:
        """``quantity`` drawn on path's uniforms (another worldview's value of the judgment,
        when that worldview declares no dependence involving it: see :meth:`draws_of`)."""
        u = self.uniforms[:, self.column[path]]
        return Value(np.asarray(quantity.ppf(u), dtype=np.float64), quantity.point())

    def draws_of(self, scenario: Scenario) -> dict[str, FloatArray]:
        """Every game number of ``scenario`` (this or another worldview's) drawn on these
        episodes' per-path uniforms with that worldview's declared shares and correlations —
        :func:`detente.strategy.simulate.build_episodes`'s values for the same seed."""
        from detente.analysis.outputs import game_of
        from detente.scenario.game import quantities
        from detente.uncertainty.dependence import game_dependence, values_from_uniforms
        from detente.uncertainty.sampling import path_uniforms

        game = game_of(scenario)
        items = list(quantities(game))
        u = path_uniforms([p for p, _ in items], self.seed, 0, self.episodes)
        values = values_from_uniforms(items, u, game_dependence(game))
        return {p: values[:, c] for c, (p, _q) in enumerate(items)}

    def fixed(self, path: str, x: float) -> Value:
        """The judgment at ``x`` in every episode (and believed at ``x``)."""
        if path not in self.base:
            raise KeyError(f"not a number of the game: {path}")
        return Value(np.full(self.episodes, float(x)), float(x))

    def table(self, settings: Sequence[Setting]) -> FloatArray:
        from detente.strategy.metrics import metric
        from detente.strategy.scorecards import scorecard_scores
        from detente.strategy.simulate import Episodes, simulate

        n, e = len(settings), self.episodes
        for s in settings:
            unknown = [p for p in s if p not in self.base]
            if unknown:
                raise KeyError(f"not a number of the game: {', '.join(unknown)}")
        draws = {
            p: np.concatenate([s[p].draws if p in s else base for s in settings])
            for p, base in self.base.items()
        }
        set_paths = list(dict.fromkeys(p for s in settings for p in s))
        beliefs = {
            p: np.repeat(
                [s[p].point if p in s else self.quantities[p].point() for s in settings], e
            ).astype(np.float64)
            for p in set_paths
        }
        game = self.game
        prior = np.stack([draws[f"game.types.{t.id}.prior"] for t in game.types], axis=1)
        prior = prior / prior.sum(axis=1, keepdims=True)
        ut = np.tile(self.type_uniforms, n)
        mix = np.minimum((ut[:, None] > np.cumsum(prior, axis=1)).sum(axis=1), len(game.types) - 1)
        g_ss, s_ss = np.random.SeedSequence(self.seed).spawn(2)
        eps = Episodes(draws, mix.astype(np.int64), g_ss, s_ss, period=e, beliefs=beliefs)
        out = self.output
        if out.scorecard:
            ids, scores = scorecard_scores(game, eps, out.scorecard, out.type_id)
            means = scores.reshape(len(ids), n, e).mean(axis=2)
            return np.stack([means[ids.index(o)] for o in self._options], axis=1)
        sign = -1.0 if metric(out.metric).lower_is_better else 1.0
        cols = []
        for o in self._options:
            values = np.asarray(simulate(game, eps, o, out.type_id)[out.metric], dtype=np.float64)
            cols.append(sign * values.reshape(n, e).mean(axis=1))
        return np.stack(cols, axis=1)


# --------------------------------------------------------------------------- forecast decision


class ForecastDecision:
    """``forecast:ISSUE``: the point forecast (``draws=None``), or the mean forecast over
    ``draws`` Monte Carlo draws on the per-path streams, at each setting (one option)."""

    def __init__(
        self, scenario: Scenario, output: OutputSpec, model: Model, seed: int, draws: int | None
    ) -> None:
        from detente.uncertainty.sampling import _all_quantities, path_uniforms

        self.scenario = picklable(scenario)
        self.issue = [i.id for i in scenario.issues].index(output.issue)
        self.model = model
        self.params = _all_quantities(scenario)
        self.quantities: dict[str, Quantity] = {p.path: p.quantity for p in self.params}
        self.column = {p.path: c for c, p in enumerate(self.params)}
        self.n = draws or 1
        self.seed = seed
        self.point = draws is None
        if draws is None:
            self.uniforms = np.full((1, len(self.params)), np.nan)
            self.base = {p.path: np.array([p.quantity.point()]) for p in self.params}
        else:
            self.uniforms = path_uniforms([p.path for p in self.params], seed, 0, draws)
            self.base = self.draws_of(scenario)
        self.point = draws is None
        self._options = [output.issue]

    @property
    def options(self) -> list[str]:
        return list(self._options)

    @property
    def size(self) -> int:
        return self.n

    def draws_of(self, scenario: Scenario) -> dict[str, FloatArray]:
        """Every number the models read of ``scenario`` (this or another worldview's): point
        values, or drawn on these draws' per-path uniforms with that worldview's declared
        shares and correlations (the Monte Carlo sampler's values for the same seed)."""
        from detente.uncertainty.dependence import scenario_dependence, values_from_uniforms
        from detente.uncertainty.sampling import _all_quantities, path_uniforms

        params = _all_quantities(scenario)
        if self.point:
            return {p.path: np.array([p.quantity.point()]) for p in params}
        items = [(p.path, p.quantity) for p in params]
        u = path_uniforms([p for p, _ in items], self.seed, 0, self.n)
        values = values_from_uniforms(items, u, scenario_dependence(scenario))
        return {p: values[:, c] for c, (p, _q) in enumerate(items)}

    def value(self, path: str, quantity: Quantity) -> Value:
        """``quantity`` at its point value, or drawn on the path's uniforms."""
        if self.point:
            return Value(np.array([quantity.point()]), quantity.point())
        u = self.uniforms[:, self.column[path]]
        return Value(np.asarray(quantity.ppf(u), dtype=np.float64), quantity.point())

    def fixed(self, path: str, x: float) -> Value:
        """The judgment at ``x`` in every draw."""
        if path not in self.base:
            raise KeyError(f"not a number the models read: {path}")
        return Value(np.full(self.n, float(x)), float(x))

    def table(self, settings: Sequence[Setting]) -> FloatArray:
        from detente.uncertainty.sampling import problem_from_values

        for s in settings:
            unknown = [p for p in s if p not in self.base]
            if unknown:
                raise KeyError(f"not a number the models read: {', '.join(unknown)}")
        values = np.stack(
            [
                np.concatenate(
                    [s[p.path].draws if p.path in s else self.base[p.path] for s in settings]
                )
                for p in self.params
            ],
            axis=1,
        )
        problem = problem_from_values(self.scenario, self.params, values)
        outcome = np.asarray(self.model.forecast_batch(problem).outcome[:, self.issue])
        return np.asarray(outcome.reshape(len(settings), self.n).mean(axis=1)[:, None])


def make_decision(
    scenario: Scenario,
    output: OutputSpec,
    *,
    seed: int,
    episodes: int,
    model: Model | None = None,
    draws: int | None = None,
) -> GameDecision | ForecastDecision:
    """The :class:`Decision` of an output under a worldview's scenario."""
    if output.kind == "forecast":
        from detente.models import get_model

        return ForecastDecision(scenario, output, model or get_model("compromise"), seed, draws)
    return GameDecision(scenario, output, seed, episodes)


# ------------------------------------------------------------------------------- the verdict


@dataclass(frozen=True)
class Verdict:
    """How a table row is read: the chosen option (a ranking) or the side of a threshold."""

    output: OutputSpec
    options: list[str]
    threshold: float = 0.0
    #: for a ranking's scalar (:meth:`scalar`): the two strategies whose gap is measured
    pair: tuple[str, str] | None = None

    @property
    def ranking(self) -> bool:
        return self.output.kind == "ranking"

    def scalar(self, table: FloatArray) -> FloatArray:
        """The output as one number per row: the forecast; A's value (minus B's); for a ranking,
        the gap between the pair's net benefits (``pair``: A's best minus B's best)."""
        if self.ranking:
            if self.pair is None:
                raise ValueError("a ranking's scalar needs the pair of strategies it compares")
            i, j = (self.options.index(s) for s in self.pair)
            return np.asarray(table[:, i] - table[:, j], dtype=np.float64)
        y = np.asarray(table[:, 0], dtype=np.float64)
        if len(self.options) > 1:
            y = y - table[:, 1]
        return y

    def labels(self, table: FloatArray) -> list[str]:
        """Each row's conclusion: the best option of a ranking (first on ties), or
        ``≥ X`` / ``< X`` for a scalar output against its threshold."""
        if self.ranking:
            return [self.options[int(k)] for k in np.argmax(table, axis=1)]
        y = self.scalar(table)
        return [
            f"≥ {self.threshold:g}" if v >= self.threshold else f"< {self.threshold:g}" for v in y
        ]

    def margins(self, table: FloatArray) -> FloatArray:
        """Each row's margin: the best option's lead over the runner-up (a ranking), or the
        scalar minus the threshold."""
        if self.ranking:
            if table.shape[1] < 2:
                return np.zeros(table.shape[0])
            top2 = np.sort(table, axis=1)[:, -2:]
            return np.asarray(top2[:, 1] - top2[:, 0], dtype=np.float64)
        return self.scalar(table) - self.threshold


# ------------------------------------------------------------------------------- judgments


@dataclass(frozen=True)
class Judgment:
    """One override group: its name, label and the paths it sets together."""

    name: str
    label: str
    paths: tuple[str, ...]


def _override_group_labels(loaded: LoadedScenario, worldview: str) -> dict[str, str]:
    ids = [w.id for w in loaded.scenario.worldviews]
    overrides = loaded.raw["worldviews"][ids.index(worldview)].get("overrides", [])
    return {o["path"]: o["group"] for o in overrides if o.get("group")}


def judgment_groups(
    loaded: LoadedScenario, worldviews: Sequence[str], paths: Sequence[str]
) -> list[Judgment]:
    """Group ``paths`` into override groups (see module docstring), in first-path order."""
    from detente.scenario.paths import path_label

    parent = {p: p for p in paths}

    def find(p: str) -> str:
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def union(p: str, q: str) -> None:
        rp, rq = find(p), find(q)
        if rp != rq:
            # the root is the path that comes first, so groups keep the paths' order
            first, second = sorted((rp, rq), key=list(paths).index)
            parent[second] = first

    names: dict[str, str] = {}
    for wv in worldviews:
        labels = _override_group_labels(loaded, wv)
        by_label: dict[str, list[str]] = {}
        for p in paths:
            if p in labels:
                by_label.setdefault(labels[p], []).append(p)
        for label, members in by_label.items():
            for q in members[1:]:
                union(members[0], q)
            names.setdefault(members[0], label)
    priors = [p for p in paths if p.startswith("game.types.") and p.endswith(".prior")]
    for q in priors[1:]:
        union(priors[0], q)
    groups: dict[str, list[str]] = {}
    for p in paths:
        groups.setdefault(find(p), []).append(p)
    out: list[Judgment] = []
    for root, members in groups.items():
        label_name = next((names[m] for m in members if m in names), None)
        if label_name is not None:
            name = label_name
            label = label_name
        elif len(members) > 1 and all(m in priors for m in members):
            name, label = (
                "type priors",
                "the type priors (" + ", ".join(m.split(".")[2] for m in members) + ")",
            )
        else:
            name = root
            label = path_label(loaded.scenario, root)
        out.append(Judgment(name, label, tuple(members)))
    return out


def expand_paths(paths: Sequence[str], quantities: Mapping[str, Any]) -> list[str]:
    """The numbers below each path (a path naming a whole section sets every number in it);
    ValueError for a path that names no number (the decision methods vary numbers only)."""
    out: list[str] = []
    for path in paths:
        below = [q for q in quantities if q == path or q.startswith(path + ".")]
        if not below:
            raise ValueError(
                f"judgment {path} is not a number the output reads: the decision methods vary "
                "numbers only (use the default --method swap for it)"
            )
        out.extend(q for q in below if q not in out)
    return out


# ------------------------------------------------------------------------------- two readings


@dataclass
class Readings:
    """Two worldviews' disagreement, set up for the decision methods.

    ``decision`` is worldview A's; ``swaps[g]`` is what setting group ``g`` to B's values means
    (B's Quantity of each of its numbers, on A's random numbers); ``unread`` the differing
    judgments the output does not read.
    """

    a: str
    b: str
    scenario_a: Scenario
    scenario_b: Scenario
    decision: GameDecision | ForecastDecision
    groups: list[Judgment]
    swaps: list[dict[str, Value]]
    unread: list[str]

    def setting(self, coalition: Sequence[int]) -> dict[str, Value]:
        """The setting of a coalition of groups: B's values for them, A's for the rest."""
        out: dict[str, Value] = {}
        for g in coalition:
            out.update(self.swaps[g])
        return out


def readings(
    loaded: LoadedScenario,
    a: str,
    b: str,
    output: OutputSpec,
    *,
    seed: int,
    episodes: int,
    model: Model | None = None,
    draws: int | None = None,
) -> Readings:
    """Set up worldviews ``a`` and ``b`` on ``output`` (see :class:`Readings`)."""
    from detente.analysis.cruxes import worldview_differences
    from detente.scenario.load import with_worldview

    game_output = output.kind != "forecast"
    diffs = worldview_differences(
        loaded, a, b, lambda path: path.startswith("game.") == game_output
    )
    sc_a, sc_b = with_worldview(loaded, a), with_worldview(loaded, b)
    decision = make_decision(sc_a, output, seed=seed, episodes=episodes, model=model, draws=draws)
    other = make_decision(sc_b, output, seed=seed, episodes=2, model=model, draws=None)
    read = [d.path for d in diffs if d.read]
    groups = judgment_groups(loaded, [a, b], read)
    # B's values on A's random numbers, with B's declared shares and correlations (a share
    # group's members are drawn jointly: one member's value depends on the others')
    b_draws = decision.draws_of(sc_b)
    swaps: list[dict[str, Value]] = []
    for g in groups:
        numbers = expand_paths(g.paths, decision.quantities)
        missing = [p for p in numbers if p not in other.quantities]
        if missing:
            raise ValueError(f"worldview {b} has no number at {', '.join(missing)}")
        swaps.append({p: Value(b_draws[p], other.quantities[p].point()) for p in numbers})
    return Readings(
        a, b, sc_a, sc_b, decision, groups, swaps, [d.path for d in diffs if not d.read]
    )
