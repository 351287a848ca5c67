"""The crux panel: what two worldviews choose on each scorecard, what would have to be true for
that choice to change, and how much of the gap between them each disagreement accounts for —
said in words, each statement traceable to the quotes behind the judgments it names.

For each scorecard of the game (``scorecard:ID``, the ranking of strategies by their score) and
each of the two worldviews A and B, :func:`crux_panel` runs the two decision methods of
``docs/cruxes.md`` on common random numbers and writes what they found as sentences:

* **choice** — the strategy the worldview's reading puts first on the scorecard and its margin
  over the runner-up (:func:`detente.analysis.switchpoints.switch_points`, the reading's own
  calendar when it is dated);
* **switch points** — for each judgment the two readings dispute, holding the others at the
  worldview's values, the value where the chosen strategy stops being best and what is best
  beyond it; only the judgments that switch within their range are kept, nearest first (the
  distance as a share of the judgment's range, so judgments on different scales compare), the
  rest counted;
* **shares** — the Shapley attribution of the gap between the readings
  (:func:`detente.analysis.shapley.shapley`): how the lead of A's best strategy over B's best
  changes from A's reading to B's, split into one share per override group (exact, or
  permutation-sampled with its standard error); played on A's calendar, as the swaps are.

Every :class:`Statement` carries the paths it names and, for each, both worldviews' value and
basis (:func:`detente.analysis.cruxes.worldview_differences`: the quotes or named assumptions,
:meth:`~detente.scenario.quantity.Quantity.basis_text`). The words use the scenario's own labels
(worldview, scorecard, strategy and type labels; :func:`~detente.scenario.paths.path_label`);
numbers are rounded to two significant digits (a share to the precision of its standard error).
:meth:`Panel.to_dict` gives it all as JSON-ready data (the report renders it; a web page can).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from detente.analysis.decision import Runner

if TYPE_CHECKING:
    from detente.analysis.cruxes import Difference
    from detente.analysis.shapley import ShapleyResult
    from detente.analysis.switchpoints import SwitchPoint, SwitchResult
    from detente.scenario.load import LoadedScenario
    from detente.scenario.schema import Scenario

#: defaults of the panel (modest: the report computes it for every scorecard)
EPISODES = 200
MAX_EVALUATIONS = 64
#: switch points and Shapley shares named in a sentence (all of them are in the data)
NAMED = 3
#: a margin this small is a tie (the first strategy in the game's order is reported)
TIE = 1e-12


# ------------------------------------------------------------------------------- numbers


def decimals(x: float, digits: int = 2) -> int:
    """Decimals that show ``x`` to ``digits`` significant digits (at least 0, at most 6)."""
    if x == 0 or not math.isfinite(x):
        return digits
    return max(0, min(6, digits - 1 - math.floor(math.log10(abs(x)))))


def num(x: float, digits: int = 2, signed: bool = False, places: int | None = None) -> str:
    """``x`` rounded to ``digits`` significant digits (or ``places`` decimals), with a true
    minus sign (and ``+`` when ``signed``)."""
    if not math.isfinite(x):
        return "—"
    d = decimals(x, digits) if places is None else places
    text = f"{abs(x):.{d}f}"
    if float(text) == 0:
        return text
    sign = "−" if x < 0 else ("+" if signed else "")
    return sign + text


def share_text(share: float, se: float) -> str:
    """A Shapley share to two significant digits and its standard error to the same decimals
    (``−0.089 ± 0.002``; ``± <0.01`` when it rounds to zero; exact shares: no ``±``)."""
    if se <= 0 or not math.isfinite(se):
        return num(share, signed=True)
    places = decimals(share)
    err = num(se, places=places)
    if float(err) == 0:
        err = "<" + num(10.0**-places, places=places)
    return f"{num(share, signed=True, places=places)} ± {err}"


# ------------------------------------------------------------------------------- the panel


@dataclass(frozen=True)
class Basis:
    """One judgment a statement names: both worldviews' value and basis."""

    path: str
    label: str
    value_a: str
    basis_a: str
    value_b: str
    basis_b: str

    def to_dict(self) -> dict[str, str]:
        return {
            "path": self.path,
            "label": self.label,
            "value_a": self.value_a,
            "basis_a": self.basis_a,
            "value_b": self.value_b,
            "basis_b": self.basis_b,
        }


@dataclass(frozen=True)
class Statement:
    """One sentence of the panel, the paths it names and their bases (both worldviews)."""

    #: "choice" | "switch" | "no switch" | "shares"
    kind: str
    #: the worldview it is about ("" for the shares: both)
    worldview: str
    text: str
    paths: tuple[str, ...]
    bases: tuple[Basis, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "worldview": self.worldview,
            "text": self.text,
            "paths": list(self.paths),
            "bases": [b.to_dict() for b in self.bases],
        }


@dataclass(frozen=True)
class SwitchRow:
    """A judgment that switches the choice within its range, on its nearer side."""

    path: str
    label: str
    value: float
    low: float
    high: float
    side: str  # "below" | "above"
    at: float
    bracket: tuple[float, float]
    to: str
    distance: float
    #: |distance| as a share of the range (the sort key)
    relative: float
    probability: float | None


@dataclass(frozen=True)
class ReadingPanel:
    """One worldview on one scorecard: its choice, margin and switch points (nearest first)."""

    worldview: str
    choice: str
    margin: float
    switches: list[SwitchRow]
    #: judgments searched that never switch within their range
    steady: list[str]
    evaluations: int


@dataclass(frozen=True)
class ShareRow:
    group: str
    label: str
    paths: tuple[str, ...]
    share: float
    se: float


@dataclass(frozen=True)
class CardPanel:
    """One scorecard: both readings, the Shapley shares (largest first) and the sentences."""

    scorecard: str
    label: str
    readings: list[ReadingPanel]
    #: what the shares split: A's best minus B's best, on A's reading then on B's
    pair: tuple[str, str]
    value_a: float
    value_b: float
    estimator: str
    shares: list[ShareRow]
    statements: list[Statement]
    evaluations: int

    @property
    def gap(self) -> float:
        return self.value_b - self.value_a


@dataclass(frozen=True)
class Panel:
    """The crux panel of worldviews ``a`` and ``b`` (see module docstring)."""

    scenario: str
    a: str
    b: str
    labels: dict[str, str]
    as_of: dict[str, str | None]
    seed: int
    episodes: int
    max_evaluations: int
    cards: list[CardPanel]
    notes: list[str] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        return sum(c.evaluations for c in self.cards)

    def to_dict(self) -> dict[str, Any]:
        """The panel as JSON-ready data (numbers unrounded; the sentences as shown)."""
        return {
            "scenario": self.scenario,
            "worldviews": [self.a, self.b],
            "labels": dict(self.labels),
            "as_of": dict(self.as_of),
            "seed": self.seed,
            "episodes": self.episodes,
            "max_evaluations": self.max_evaluations,
            "evaluations": self.evaluations,
            "scorecards": [
                {
                    "scorecard": c.scorecard,
                    "label": c.label,
                    "readings": [
                        {
                            "worldview": r.worldview,
                            "choice": r.choice,
                            "margin": r.margin,
                            "switches": [
                                {
                                    "path": s.path,
                                    "label": s.label,
                                    "value": s.value,
                                    "range": [s.low, s.high],
                                    "side": s.side,
                                    "at": s.at,
                                    "bracket": list(s.bracket),
                                    "to": s.to,
                                    "distance": s.distance,
                                    "probability": s.probability,
                                }
                                for s in r.switches
                            ],
                            "never": list(r.steady),
                        }
                        for r in c.readings
                    ],
                    "gap": {
                        "pair": list(c.pair),
                        "value": {self.a: c.value_a, self.b: c.value_b},
                        "difference": c.gap,
                        "estimator": c.estimator,
                        "shares": [
                            {
                                "group": s.group,
                                "label": s.label,
                                "paths": list(s.paths),
                                "share": s.share,
                                "se": s.se,
                            }
                            for s in c.shares
                        ],
                    },
                    "statements": [s.to_dict() for s in c.statements],
                    "evaluations": c.evaluations,
                }
                for c in self.cards
            ],
            "notes": list(self.notes),
        }


# ------------------------------------------------------------------------------- words


def short_label(label: str) -> str:
    """A label's head, before its first parenthesis (``Skeptic (The Hill, 2023)`` →
    ``Skeptic``); the label itself when it starts with one."""
    head = label.split(" (", 1)[0].strip()
    return head or label


def _reading_name(sc: Scenario, worldview: str) -> str:
    wv = sc.worldview(worldview)
    date = f", as of {wv.as_of}" if wv.as_of else ""
    return f"the reading “{short_label(wv.label)}” ({worldview}{date})"


def _judgment_words(sc: Scenario, path: str, label: str) -> str:
    """A judgment in words: ``P(type label)`` for a type's prior, else its path label."""
    parts = path.split(".")
    game = sc.game
    if (
        game is not None
        and len(parts) == 4
        and parts[:2] == ["game", "types"]
        and parts[3] == "prior"
    ):
        tt = next((t for t in game.types if t.id == parts[2]), None)
        return f"P({tt.label if tt else parts[2]})"
    return label


def _strategy_words(sc: Scenario, sid: str) -> str:
    game = sc.game
    ref = next((s for s in game.strategies if s.id == sid), None) if game else None
    return ref.label if ref is not None and ref.label else sid


def _value_text(x: float, low: float, high: float) -> str:
    """A judgment's value, to the precision its range calls for."""
    places = max(decimals(high - low) if high > low else 2, 0)
    return num(x, places=places)


def _bases(paths: Sequence[str], by_path: dict[str, Difference]) -> tuple[Basis, ...]:
    out: list[Basis] = []
    for p in paths:
        d = _difference_of(p, by_path)
        if d is None:
            continue
        out.append(Basis(p, d.label, d.describe_a, d.basis_a, d.describe_b, d.basis_b))
    return tuple(out)


def _difference_of(path: str, by_path: dict[str, Difference]) -> Difference | None:
    """The disputed judgment a number belongs to (the longest disputed path it is under)."""
    best = None
    for p in by_path:
        if (path == p or path.startswith(p + ".")) and (best is None or len(p) > len(best)):
            best = p
    return by_path[best] if best is not None else None


def _switch_rows(result: SwitchResult) -> tuple[list[SwitchRow], list[str]]:
    rows: list[SwitchRow] = []
    steady: list[str] = []
    for sp in result.points:
        row = _nearest(sp)
        if row is None:
            steady.append(sp.judgment.path)
        else:
            rows.append(row)
    rows.sort(key=lambda r: (r.relative, r.path))
    return rows, steady


def _nearest(sp: SwitchPoint) -> SwitchRow | None:
    j = sp.judgment
    span = j.high - j.low
    best: SwitchRow | None = None
    for side, sw in (("below", sp.below), ("above", sp.above)):
        if sw is None:
            continue
        rel = abs(sw.distance) / span if span > 0 else math.inf
        if best is None or rel < best.relative:
            best = SwitchRow(
                j.path,
                j.label,
                sp.value,
                j.low,
                j.high,
                side,
                sw.at,
                sw.bracket,
                sw.to,
                sw.distance,
                rel,
                sw.probability,
            )
    return best


def _choice_sentence(
    sc: Scenario, worldview: str, card_label: str, r: ReadingPanel, total: int
) -> str:
    lead = (
        "tied with the runner-up"
        if abs(r.margin) < TIE
        else f"margin {num(r.margin, signed=True)} over the runner-up"
    )
    head = (
        f"Under {_reading_name(sc, worldview)}, {_strategy_words(sc, r.choice)} is best on the "
        f"scorecard “{card_label}” ({lead})"
    )
    if not r.switches:
        return (
            f"{head}; none of the {total} judgment(s) the readings dispute changes that "
            "within its range, the others held at this reading's values."
        )
    return f"{head}."


def _switch_sentence(sc: Scenario, s: SwitchRow) -> str:
    what = _judgment_words(sc, s.path, s.label)
    verb = "falls below" if s.side == "below" else "rises above"
    rng = f"{_value_text(s.low, s.low, s.high)}–{_value_text(s.high, s.low, s.high)}"
    # the switch to enough decimals to tell it from the reading's value
    places = max(decimals(s.high - s.low), decimals(abs(s.at - s.value), 1))
    at, value = num(s.at, places=places), num(s.value, places=places)
    chance = (
        ""
        if s.probability is None
        else f"; the reading gives it a {num(100 * s.probability)} % chance"
    )
    return (
        f"It stops being best if {what} {verb} {at} "
        f"(this reading: {value}; its range {rng}{chance}) — "
        f"then {_strategy_words(sc, s.to)}."
    )


def _shares_sentence(sc: Scenario, a: str, b: str, card: CardPanel, card_label: str) -> str:
    best_a, best_b = (_strategy_words(sc, x) for x in card.pair)
    an, bn = (short_label(sc.worldview(w).label) for w in (a, b))
    head = (
        f"Of the {num(card.gap, signed=True)} gap between the readings ({best_a}'s lead over "
        f"{best_b} on the scorecard “{card_label}”: {num(card.value_a, signed=True)} under "
        f"“{an}”, {num(card.value_b, signed=True)} with all of “{bn}”'s disputed judgments, "
        f"played on “{an}”'s calendar)"
    )
    if not card.shares:
        return f"{head}, no disputed judgment is read by the scorecard."
    named = card.shares[:NAMED]
    parts = [f"{s.label} accounts for {share_text(s.share, s.se)}" for s in named]
    rest = card.shares[NAMED:]
    if rest:
        total = math.fsum(s.share for s in rest)
        parts.append(f"the other {len(rest)} group(s) together for {num(total, signed=True)}")
    how = (
        "exact Shapley values"
        if card.estimator == "exact"
        else "sampled Shapley values ± their standard errors"
    )
    return f"{head}, " + "; ".join(parts) + f" ({how})."


# ------------------------------------------------------------------------------- compute


def crux_panel(
    loaded: LoadedScenario,
    a: str,
    b: str,
    scorecards: Sequence[str] | None = None,
    *,
    seed: int = 0,
    episodes: int = EPISODES,
    max_evaluations: int = MAX_EVALUATIONS,
    permutations: int | None = None,
    runner: Runner | None = None,
) -> Panel:
    """The crux panel of worldviews ``a`` and ``b`` on ``scorecards`` (default: every scorecard
    of the game), see module docstring. ValueError when the scenario has no game or no
    scorecards, or for an unknown scorecard id; InputError for an unknown worldview."""
    from detente.analysis.cruxes import worldview_differences
    from detente.analysis.decision import GameDecision, readings
    from detente.analysis.outputs import parse_output
    from detente.analysis.shapley import shapley
    from detente.analysis.switchpoints import switch_points_many
    from detente.scenario.load import with_worldview, worldview_document

    sc = loaded.scenario
    for wv in (a, b):
        worldview_document(loaded, wv)  # unknown worldview: InputError
    if a == b:
        raise ValueError(f"the crux panel needs two different worldviews (got {a} twice)")
    game = sc.game
    if game is None or not game.scorecards:
        raise ValueError(f"{loaded.file}: the crux panel needs a game with scorecards")
    known = [c.id for c in game.scorecards]
    ids = list(scorecards) if scorecards is not None else known
    for cid in ids:
        if cid not in known:
            raise ValueError(f"unknown scorecard {cid!r} (expected one of: {', '.join(known)})")
    diffs = worldview_differences(loaded, a, b, lambda path: path.startswith("game."))
    by_path = {d.path: d for d in diffs}
    own = runner is None
    run = runner or Runner()
    cards: list[CardPanel] = []
    notes: list[str] = []
    # each reading's episodes played once for every scorecard (and every method): a setting
    # switch points and Shapley both ask for, or two scorecards ask for, is played once
    specs = {cid: parse_output(f"scorecard:{cid}", sc) for cid in ids}
    first = specs[ids[0]]
    plays = {
        wv: GameDecision(with_worldview(loaded, wv), first, seed, episodes, ids) for wv in (a, b)
    }
    groups = readings(loaded, a, b, first, seed=seed, episodes=2).groups
    paths = [p for g in groups for p in g.paths]
    try:
        # every reading's switch search on every scorecard in lockstep (one bisection round of
        # all of them played together)
        jobs = [(wv, specs[cid], plays[wv].with_output(specs[cid])) for cid in ids for wv in (a, b)]
        found = switch_points_many(loaded, jobs, paths=paths, seed=seed, runner=run)
        for k, cid in enumerate(ids):
            card = next(c for c in game.scorecards if c.id == cid)
            spec = specs[cid]
            results: list[SwitchResult] = found[2 * k : 2 * k + 2]
            sh: ShapleyResult = shapley(
                loaded,
                a,
                b,
                spec,
                seed=seed,
                episodes=episodes,
                max_evaluations=max_evaluations,
                permutations=permutations,
                runner=run,
                decision=plays[a].with_output(spec),
            )
            cards.append(_card(sc, a, b, card.id, card.label, results, sh, by_path))
            for r in results:
                notes += [f"{card.label}, {r.worldview}: {n}" for n in r.notes]
            notes += [f"{card.label}: {n}" for n in sh.notes]
    finally:
        if own:
            run.close()
    labels = {w: sc.worldview(w).label for w in (a, b)}
    as_of = {w: sc.worldview(w).as_of for w in (a, b)}
    return Panel(
        sc.id,
        a,
        b,
        labels,
        as_of,
        seed,
        episodes,
        max_evaluations,
        cards,
        list(dict.fromkeys(notes)),
    )


def _card(
    sc: Scenario,
    a: str,
    b: str,
    cid: str,
    label: str,
    results: Sequence[SwitchResult],
    sh: ShapleyResult,
    by_path: dict[str, Difference],
) -> CardPanel:
    import numpy as np

    readings_: list[ReadingPanel] = []
    statements: list[Statement] = []
    for r in results:
        rows, steady = _switch_rows(r)
        rp = ReadingPanel(r.worldview, r.choice, r.margin, rows, steady, r.evaluations)
        readings_.append(rp)
        searched = [sp.judgment.path for sp in r.points]
        statements.append(
            Statement(
                "choice" if rows else "no switch",
                r.worldview,
                _choice_sentence(sc, r.worldview, label, rp, len(searched)),
                () if rows else tuple(searched),
                () if rows else _bases(searched, by_path),
            )
        )
        for s in rows[:NAMED]:
            statements.append(
                Statement(
                    "switch",
                    r.worldview,
                    _switch_sentence(sc, s),
                    (s.path,),
                    _bases([s.path], by_path),
                )
            )
    att = sh.attribution
    order = np.argsort(-np.abs(att.shares), kind="stable")
    shares = [
        ShareRow(
            sh.groups[int(i)].name,
            sh.groups[int(i)].label,
            tuple(sh.groups[int(i)].paths),
            float(att.shares[int(i)]),
            float(att.se[int(i)]),
        )
        for i in order
    ]
    assert sh.pair is not None  # a scorecard is a ranking output
    pair = sh.pair
    card = CardPanel(
        cid,
        label,
        readings_,
        pair,
        att.v_empty,
        att.v_full,
        att.method,
        shares,
        statements,
        sum(r.evaluations for r in results) + att.evaluations,
    )
    named = [p for s in shares[:NAMED] for p in s.paths]
    statements.append(
        Statement(
            "shares",
            "",
            _shares_sentence(sc, a, b, card, label),
            tuple(named),
            _bases(named, by_path),
        )
    )
    return card


def _unique(items: Sequence[str]) -> list[str]:
    return list(dict.fromkeys(items))
