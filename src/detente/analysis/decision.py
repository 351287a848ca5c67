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
    from detente.analysis.cruxes import Difference
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
        from detente.uncertainty.runner import Guarded

        return list(executor.map(Guarded(fn), items))
    if workers <= 1 or len(items) <= 1:
        return [fn(item) for item in items]
    from detente.uncertainty.runner import Guarded, close_pool, spawn_pool

    pool = spawn_pool(min(workers, len(items)))
    try:
        out = list(pool.map(Guarded(fn), items))
    except BaseException:
        close_pool(pool, interrupted=True)
        raise
    close_pool(pool)
    return out


@dataclass
class Runner:
    """Where a method's chunks run: ``workers`` and ``backend`` (see :func:`map_chunks`).

    A local pool is started on first use and kept for the run (:meth:`close`), so a method that
    evaluates in rounds (bisection) pays for the workers' start-up once.
    """

    workers: int = 1
    backend: Backend = "local"
    _pool: cf.ProcessPoolExecutor | None = field(default=None, init=False, repr=False)
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

    def close(self, interrupted: bool = False) -> None:
        """Stop the pool (at once when ``interrupted``: :func:`~detente.uncertainty.runner.
        close_pool`) and the Ray session this runner started."""
        if self._pool is not None:
            from detente.uncertainty.runner import close_pool

            close_pool(self._pool, interrupted=interrupted)
            self._pool = None
        if self._ray:
            import ray

            ray.shutdown()
            self._ray = False

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(interrupted=exc_type is not None)


def _same(rows: FloatArray) -> FloatArray:
    return rows


def setting_key(setting: Setting) -> bytes:
    """A digest of a setting (its paths, point values and draws): equal settings, equal keys."""
    import hashlib

    h = hashlib.blake2b(digest_size=20)
    for path in sorted(setting):
        v = setting[path]
        h.update(path.encode())
        h.update(np.float64(v.point).tobytes())
        h.update(np.ascontiguousarray(v.draws, dtype=np.float64).tobytes())
    return h.digest()


#: plays a chunk of settings: a decision's ``rows`` (or ``table``)
Play = Callable[[list[Setting]], FloatArray]


def _play(item: tuple[Play, list[Setting]]) -> FloatArray:
    return item[0](item[1])


def evaluate(decision: Decision, settings: Sequence[Setting], runner: Runner | None) -> FloatArray:
    """``decision.table(settings)``: each setting not yet played (and each only once) played
    in chunks of :data:`CHUNK` on ``runner`` (or here), then every row read off what was played.
    A :class:`GameDecision` or :class:`ForecastDecision` keeps its plays (``memo``: rows by
    :func:`setting_key`, perhaps with more columns than the table, e.g. every scorecard's;
    ``rows`` plays, ``select`` reads the table off them); another :class:`Decision` keeps
    nothing between calls.

    A setting's row does not depend on the settings it is played beside (each is played on its
    own copy of the episodes: :class:`GameDecision`), so a row played once — by another method,
    for another scorecard of the same plays (:meth:`GameDecision.with_output`) — is the row it
    would be played again."""
    return evaluate_many([(decision, settings)], runner)[0]


def evaluate_many(
    requests: Sequence[tuple[Decision, Sequence[Setting]]], runner: Runner | None
) -> list[FloatArray]:
    """:func:`evaluate` of several decisions' settings at once: the settings not yet played of
    all the requests on the same plays (the same memo: :meth:`GameDecision.with_output`) are
    chunked together, and every chunk of every request is mapped together (so two readings'
    rounds run side by side on the workers)."""
    groups: dict[int, tuple[dict[bytes, FloatArray], Play, dict[bytes, Setting]]] = {}
    reads: list[tuple[dict[bytes, FloatArray], Callable[[FloatArray], FloatArray], list[bytes]]]
    reads = []
    for decision, settings in requests:
        memo: dict[bytes, FloatArray]
        play: Play
        select: Callable[[FloatArray], FloatArray]
        if isinstance(decision, GameDecision | ForecastDecision):
            memo, play, select = decision.memo, decision.rows, decision.select
        else:  # a Decision that keeps nothing: each distinct setting played once in this call
            memo, play, select = {}, decision.table, _same
        todo = groups.setdefault(id(memo), (memo, play, {}))[2]
        keys = [setting_key(s) for s in settings]
        for k, s in zip(keys, settings, strict=True):
            if k not in memo:
                todo.setdefault(k, s)
        reads.append((memo, select, keys))
    items: list[tuple[Play, list[Setting]]] = []
    owners: list[tuple[dict[bytes, FloatArray], list[bytes]]] = []
    for memo, play, todo in groups.values():
        pending = list(todo.items())
        for i in range(0, len(pending), CHUNK):
            chunk = pending[i : i + CHUNK]
            items.append((play, [s for _k, s in chunk]))
            owners.append((memo, [k for k, _s in chunk]))
    parts = (runner or Runner()).map(_play, items)
    for (memo, keys), part in zip(owners, parts, strict=True):
        memo.update(zip(keys, part, strict=True))
    out: list[FloatArray] = []
    for (memo, select, keys), (decision, _s) in zip(reads, requests, strict=True):
        if not keys:
            out.append(np.empty((0, len(decision.options)), dtype=np.float64))
        else:
            out.append(np.asarray(select(np.stack([memo[k] for k in keys])), dtype=np.float64))
    return out


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

    For a scorecard output, ``scorecards`` (default: the output's own) are the scorecards every
    play is scored on: a setting is played once, and :meth:`with_output` gives the decision of
    another of them on the same plays (the same :attr:`memo`).
    """

    def __init__(
        self,
        scenario: Scenario,
        output: OutputSpec,
        seed: int,
        episodes: int,
        scorecards: Sequence[str] | None = None,
    ) -> None:
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
        self.cards: list[str] = []
        if output.scorecard:
            cards = list(scorecards) if scorecards is not None else [output.scorecard]
            known = [c.id for c in self.game.scorecards]
            unknown = [c for c in cards if c not in known]
            if unknown or output.scorecard not in cards:
                raise ValueError(f"scorecards {cards} must be the game's and hold the output's")
            self.cards = list(dict.fromkeys(cards))
        elif scorecards:
            raise ValueError("scorecards are played together only for a scorecard output")
        self.memo: dict[bytes, FloatArray] = {}

    def __getstate__(self) -> dict[str, Any]:
        # a worker plays chunks: it needs no memo (which grows in the parent)
        return {**self.__dict__, "memo": {}}

    def with_output(self, output: OutputSpec) -> GameDecision:
        """The decision of another scorecard output on the same plays: the same episodes,
        draws and :attr:`memo` (a setting played for one scorecard is scored on all)."""
        if not (
            output.scorecard in self.cards
            and output.type_id == self.output.type_id
            and output.kind != "forecast"
        ):
            raise ValueError(
                f"{output.describe()} is not scored on these plays (scorecards {self.cards})"
            )
        other = object.__new__(GameDecision)
        other.__dict__.update(self.__dict__)  # the same memo (copy.copy would drop it)
        other.output = output
        other._options = output_options(self.game, output)
        return other

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
        return self.select(self.rows(settings))

    def select(self, rows: FloatArray) -> FloatArray:
        """The output's columns of :meth:`rows` (for a scorecard output: its scorecard's block
        of every strategy's mean score, the options' columns)."""
        if not self.cards:
            return rows
        width = len(self._played)
        start = self.cards.index(self.output.scorecard) * width
        cols = [start + self._played.index(o) for o in self._options]
        return np.asarray(rows[:, cols], dtype=np.float64)

    def rows(self, settings: Sequence[Setting]) -> FloatArray:
        """One play of ``settings``: for a scorecard output, every strategy's mean score on
        each of :attr:`cards` (a block per scorecard, strategies in the game's order); else the
        options' signed mean metric (the table itself)."""
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
            played = {sid: simulate(game, eps, sid, out.type_id) for sid in self._played}
            blocks = []
            for card in self.cards:
                ids, scores = scorecard_scores(game, eps, card, out.type_id, played=played)
                means = scores.reshape(len(ids), n, e).mean(axis=2)
                blocks += [means[ids.index(sid)] for sid in self._played]
            return np.stack(blocks, axis=1)
        sign = -1.0 if metric(out.metric).lower_is_better else 1.0
        cols = []
        for o in self._options:
            values = np.asarray(simulate(game, eps, o, out.type_id)[out.metric], dtype=np.float64)
            cols.append(sign * values.reshape(n, e).mean(axis=1))
        return np.stack(cols, axis=1)


# --------------------------------------------------------------------------- forecast decision


class ForecastDecision:
    """``forecast:ISSUE``: the point forecast (``draws=None``), or the mean forecast over
    ``draws`` Monte Carlo draws on the per-path streams, at each setting (one option) — or, with
    ``above`` X, the share of those draws whose forecast is ≥ X (P(forecast ≥ X))."""

    def __init__(
        self,
        scenario: Scenario,
        output: OutputSpec,
        model: Model,
        seed: int,
        draws: int | None,
        above: float | None = None,
    ) -> None:
        from detente.uncertainty.sampling import _all_quantities, path_uniforms

        # the forecasting models never play the game: its dated record is not read (picklable)
        self.scenario = scenario
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
        self.above = above
        self._options = [output.issue]
        self.memo: dict[bytes, FloatArray] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "memo": {}}

    @property
    def options(self) -> list[str]:
        return list(self._options)

    @property
    def size(self) -> int:
        return self.n

    def select(self, rows: FloatArray) -> FloatArray:
        return rows

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
        return self.rows(settings)

    def rows(self, settings: Sequence[Setting]) -> FloatArray:
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
        per = outcome.reshape(len(settings), self.n)
        if self.above is not None:
            return np.asarray((per >= self.above).mean(axis=1)[:, None], dtype=np.float64)
        return np.asarray(per.mean(axis=1)[:, None])


def make_decision(
    scenario: Scenario,
    output: OutputSpec,
    *,
    seed: int,
    episodes: int,
    model: Model | None = None,
    draws: int | None = None,
    above: float | None = None,
    scorecards: Sequence[str] | None = None,
) -> GameDecision | ForecastDecision:
    """The :class:`Decision` of an output under a worldview's scenario (``above``: a forecast
    output's P(forecast ≥ above) over its draws; ``scorecards``: those a scorecard output's
    plays are all scored on, :class:`GameDecision`)."""
    if output.kind == "forecast":
        from detente.models import get_model

        model = model or get_model("compromise")
        return ForecastDecision(scenario, output, model, seed, draws, above)
    return GameDecision(scenario, output, seed, episodes, scorecards)


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
                f"judgment {path} is not a number the output reads: the crux methods vary "
                "numbers only"
            )
        out.extend(q for q in below if q not in out)
    return out


# ------------------------------------------------------------------------------- two readings


@dataclass
class Readings:
    """Two worldviews' disagreement, set up for the decision methods.

    ``decision`` is worldview A's; ``swaps[g]`` is what setting group ``g`` to B's values means
    (B's Quantity of each of its numbers, on A's random numbers); ``unread`` the differing
    judgments the output does not read; ``differences`` every differing judgment
    (:func:`~detente.analysis.cruxes.worldview_differences`, read or not).
    """

    a: str
    b: str
    scenario_a: Scenario
    scenario_b: Scenario
    decision: GameDecision | ForecastDecision
    groups: list[Judgment]
    swaps: list[dict[str, Value]]
    unread: list[str]
    differences: list[Difference] = field(default_factory=list)
    #: B's share groups (their members swap together: :func:`with_wholes`)
    wholes: list[tuple[str, ...]] = field(default_factory=list)

    def setting(self, coalition: Sequence[int]) -> dict[str, Value]:
        """The setting of a coalition of groups: B's values for them, A's for the rest."""
        out: dict[str, Value] = {}
        for g in coalition:
            out.update(self.swaps[g])
        return out

    def swapped(self, paths: Sequence[str]) -> dict[str, Value]:
        """The setting with B's values at ``paths`` (read judgments, or numbers below one),
        A's for the rest."""
        values = {p: v for swap in self.swaps for p, v in swap.items()}
        numbers = with_wholes(expand_paths(paths, values), self.wholes, values)
        return {q: values[q] for q in numbers}


def with_wholes(
    numbers: list[str], wholes: Sequence[tuple[str, ...]], known: Mapping[str, Any]
) -> list[str]:
    """``numbers`` and every other member (in ``known``) of a share group holding one of them:
    a share group is drawn as a whole (its members sum to one in every draw), so swapping one
    member swaps the reading's draws of all (a member both readings agree on keeps its meaning:
    its share of the reading's whole mix)."""
    out = list(numbers)
    for whole in wholes:
        if set(whole) & set(out):
            out += [p for p in whole if p not in out and p in known]
    return out


def _numbers_differ_only(path: str, va: Any, vb: Any) -> None:
    """ValueError unless two readings of a judgment differ in numbers only (each a Quantity, or
    sections of the same fields whose other entries agree): what a setting can hold."""
    from detente.analysis.cruxes import _as_quantity, _strip

    if _as_quantity(va) is not None and _as_quantity(vb) is not None:
        return
    if isinstance(va, dict) and isinstance(vb, dict) and va.keys() == vb.keys():
        for key in va:
            _numbers_differ_only(f"{path}.{key}", va[key], vb[key])
        return
    if isinstance(va, list) and isinstance(vb, list) and len(va) == len(vb):
        for k, (x, y) in enumerate(zip(va, vb, strict=True)):
            _numbers_differ_only(f"{path}[{k}]", x, y)
        return
    if _strip(va) != _strip(vb):
        raise ValueError(
            f"judgment {path} differs between the readings in more than its numbers "
            f"({_strip(va)!r} vs {_strip(vb)!r}): the crux methods vary numbers only"
        )


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
    above: float | None = None,
    decision: GameDecision | ForecastDecision | None = None,
) -> Readings:
    """Set up worldviews ``a`` and ``b`` on ``output`` (see :class:`Readings`); ``above``: see
    :func:`make_decision`; ``decision``: A's decision of ``output`` already made (its plays
    shared: :meth:`GameDecision.with_output`), else it is made here."""
    from detente.analysis.cruxes import worldview_differences
    from detente.scenario.load import with_worldview

    game_output = output.kind != "forecast"
    diffs = worldview_differences(
        loaded, a, b, lambda path: path.startswith("game.") == game_output
    )
    sc_a, sc_b = with_worldview(loaded, a), with_worldview(loaded, b)
    if decision is None:
        decision = make_decision(
            sc_a, output, seed=seed, episodes=episodes, model=model, draws=draws, above=above
        )
    other = make_decision(sc_b, output, seed=seed, episodes=2, model=model, draws=None)
    read = [d for d in diffs if d.read]
    for d in read:
        _numbers_differ_only(d.path, d.value_a, d.value_b)
    groups = judgment_groups(loaded, [a, b], [d.path for d in read])
    # B's values on A's random numbers, with B's declared shares and correlations (a share
    # group's members are drawn jointly: one member's value depends on the others')
    b_draws = decision.draws_of(sc_b)
    from detente.uncertainty.dependence import game_dependence, scenario_dependence

    dep = game_dependence(sc_b.game) if game_output and sc_b.game else scenario_dependence(sc_b)
    wholes = [sh.paths for sh in dep.shares]
    swaps: list[dict[str, Value]] = []
    for g in groups:
        numbers = with_wholes(expand_paths(g.paths, decision.quantities), wholes, other.quantities)
        missing = [p for p in numbers if p not in other.quantities]
        if missing:
            raise ValueError(f"worldview {b} has no number at {', '.join(missing)}")
        swaps.append({p: Value(b_draws[p], other.quantities[p].point()) for p in numbers})
    unread = [d.path for d in diffs if not d.read]
    return Readings(a, b, sc_a, sc_b, decision, groups, swaps, unread, diffs, wholes)
