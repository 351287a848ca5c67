"""Validate scenarios: every problem at once, each located as ``file:line: field``.

The checks, run on a document already read (:mod:`detente.scenario.load` reads files and text
and is the public entry point; :mod:`detente.scenario.yamlsafe` reads YAML safely):

1. structure: the pydantic schema (types, required fields, unknown keys), the ``game:``
   section (:mod:`detente.scenario.game`) after the rest;
2. meaning: cross-references, duplicates, ranges, distribution coherence, missing basis
   (a warning, an error with ``strict``), the game's references and ranges, any extra game
   checks the caller passes (the strategy registry's), and every worldview's overrides
   applied (:func:`detente.scenario.paths.apply_overrides`) and checked.

Field paths name list items by their ``id`` where they have one
(``actors.dprk.stances.declaration.salience``) — the same paths worldview overrides use
(:mod:`detente.scenario.paths`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from detente.scenario.dependence import CorrelationGroup, ShareGroup
from detente.scenario.errors import Diagnostic, Severity
from detente.scenario.game import (
    FEEDBACK_VARS,
    ROLES,
    RULE_EVENTS,
    UNIT_STATE_VARS,
    Effect,
    GameSpec,
    month_number,
    quantities,
)
from detente.scenario.hindcast import check_record
from detente.scenario.paths import apply_overrides, display_path, resolve_path, walk_quantities
from detente.scenario.quantity import DIST_PARAMS, MAX_MAGNITUDE, Quantity
from detente.scenario.schema import Scenario
from detente.scenario.yamlsafe import PathKey

#: A check of the game that needs more than this package knows (the strategy registry:
#: :func:`detente.strategy.checks.check_strategies`), reporting ``report(dotted_path, message)``.
GameCheck = Callable[[GameSpec, Callable[[str, str], None]], None]

_ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")


# --------------------------------------------------------------------------------------------
# the collector


class _Report:
    def __init__(self, file: str, raw: Any, lines: dict[PathKey, int]) -> None:
        self.file = file
        self.raw = raw
        self.lines = lines
        self.items: list[Diagnostic] = []

    def line_of(self, path: PathKey) -> int | None:
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.lines:
                return self.lines[path[:cut]]
        return None

    def add(self, path: PathKey, message: str, severity: Severity = "error") -> None:
        self.items.append(
            Diagnostic(
                file=self.file,
                line=self.line_of(path),
                field=display_path(path, self.raw),
                message=message,
                severity=severity,
            )
        )

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.items if d.severity == "error"]


# --------------------------------------------------------------------------------------------
# structure


def _pydantic_problems(exc: ValidationError, report: _Report, prefix: PathKey = ()) -> None:
    for err in exc.errors():
        loc: PathKey = _raw_loc(
            report.raw,
            (*prefix, *(p for p in err["loc"] if isinstance(p, str | int))),
            missing=err["type"] == "missing",
        )
        # Quantity's bare-number shorthand wraps the error in a model-level loc; keep it short.
        got = err.get("input")
        got_text = _short(got)
        kind = err["type"]
        if kind == "extra_forbidden":
            msg = f"unknown field (got {got_text}); check the spelling"
        elif kind == "missing":
            msg = "required field is missing"
        elif kind == "literal_error" and loc[-1:] == ("detente",):
            msg = f"unsupported schema version (got {got_text}, expected 1)"
        else:
            msg = f"{err['msg'][0].lower()}{err['msg'][1:]} (got {got_text})"
        report.add(loc, msg)


def _raw_loc(raw: Any, loc: PathKey, *, missing: bool) -> PathKey:
    """Pydantic's error location as a path in the document.

    Pydantic adds labels that are not fields: the member of a union that failed
    (``SourceRef``, ``list[SourceRef]``) and ``[key]`` for a bad mapping key. Only steps that
    exist in the document are kept, plus (``missing``) a last one naming a missing field.
    """
    out: list[str | int] = []
    node = raw
    for n, part in enumerate(loc):
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
        elif missing and n == len(loc) - 1 and isinstance(node, dict):
            node = None  # a missing field
        else:
            continue  # a label of pydantic's, not a step in the document
        out.append(part)
    return tuple(out)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --------------------------------------------------------------------------------------------
# meaning


def _check_quantity(q: Quantity, path: PathKey, report: _Report, source_ids: set[str]) -> bool:
    """Coherence of one quantity; returns True when its parameters are usable."""
    ok = True
    params = q.params()
    for name, value in params.items():
        if value is not None and not math.isfinite(value):
            report.add((*path, name), f"must be a finite number (got {value})")
            ok = False
        elif value is not None and abs(value) > MAX_MAGNITUDE:
            report.add(
                (*path, name),
                f"too large to compute with (got {value:g}, expected |x| <= {MAX_MAGNITUDE:g})",
            )
            ok = False
    if q.dist is None:
        if q.value is None:
            report.add(path, "needs a `value` or a `dist` (got neither)")
            return False
        extra = [n for n, v in params.items() if v is not None and n != "value"]
        if extra:
            report.add(
                (*path, extra[0]),
                f"`{extra[0]}` is a distribution parameter; add `dist:` or remove it "
                f"(got value and {', '.join(extra)})",
            )
            ok = False
    else:
        wanted = DIST_PARAMS[q.dist]
        optional = {"low", "high"} if q.dist == "beta" else set()
        if q.value is not None:
            report.add(
                (*path, "value"),
                f"a {q.dist} distribution takes {', '.join(wanted)}, not `value` "
                f"(got value={q.value:g})",
            )
            ok = False
        for name in wanted:
            if params[name] is None and name not in optional:
                report.add((*path, name), f"required for a {q.dist} distribution (missing)")
                ok = False
        for name, value in params.items():
            if value is not None and name != "value" and name not in wanted:
                report.add(
                    (*path, name),
                    f"not a parameter of {q.dist} (got {name}={value:g}, expected "
                    f"{', '.join(wanted)})",
                )
                ok = False
        if ok:
            ok = _check_dist_coherence(q, path, report)
    for i, ref in enumerate(q.sources()):
        sub: PathKey = (*path, "source") if not isinstance(q.source, list) else (*path, "source", i)
        if ref.doc not in source_ids:
            report.add(
                (*sub, "doc"),
                f"unknown source {ref.doc!r} (expected one of: {', '.join(sorted(source_ids))})",
            )
        if not ref.quote.strip():
            report.add((*sub, "quote"), "empty quote (expected a verbatim passage)")
    if q.data is not None and q.data.doc not in source_ids:
        report.add(
            (*path, "data", "doc"),
            f"unknown source {q.data.doc!r} (expected one of: {', '.join(sorted(source_ids))})",
        )
    if not q.has_basis():
        report.add(
            path,
            f"no basis for {q.describe()} (expected `source: {{doc, quote}}`, `data:` or "
            "`assumption:`)",
            severity="warning",
        )
    return ok


def _check_dist_coherence(q: Quantity, path: PathKey, report: _Report) -> bool:
    p = q.params()
    if q.dist == "triangular":
        lo, mode, hi = p["low"], p["mode"], p["high"]
        assert lo is not None and mode is not None and hi is not None
        if not lo <= mode <= hi:
            report.add(path, f"needs low <= mode <= high (got {lo:g}, {mode:g}, {hi:g})")
            return False
    elif q.dist in ("uniform", "truncnormal", "beta"):
        lo, hi = q.support()
        if lo > hi:
            report.add(path, f"needs low <= high (got low={lo:g}, high={hi:g})")
            return False
        if q.dist == "truncnormal":
            sd = p["sd"]
            assert sd is not None
            if sd < 0:
                report.add((*path, "sd"), f"must be >= 0 (got {sd:g})")
                return False
            if sd > 0 and lo == hi:
                report.add(path, f"needs low < high when sd > 0 (got low=high={lo:g})")
                return False
            return _check_truncnormal_mean(q, path, report, lo, hi)
        if q.dist == "beta":
            for name in ("a", "b"):
                value = p[name]
                assert value is not None
                if value <= 0:
                    report.add((*path, name), f"must be > 0 (got {value:g})")
                    return False
    return True


def _check_truncnormal_mean(
    q: Quantity, path: PathKey, report: _Report, lo: float, hi: float
) -> bool:
    """The truncated normal's mean (its point value) is a finite number inside its support.

    Far in a tail (``mean: 1e6, sd: 0.001, low: 0, high: 100``) scipy's mean is not computable
    (−3e24, inf); with ``sd: 0`` a mean outside ``[low, high]`` is not a value it can take.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's overflow warnings: the result is checked
        point = _safe_point(q)
    if math.isfinite(point) and lo <= point <= hi:
        return True
    report.add(
        path,
        f"its mean cannot be computed inside [{lo:g}, {hi:g}] (got {point:g} for mean "
        f"{q.mean:g}, sd {q.sd:g}): put the mean within a few sd of the interval",
    )
    return False


def _check_range(
    q: Quantity,
    path: PathKey,
    report: _Report,
    lo: float,
    hi: float,
    what: str,
    *,
    open_low: bool = False,
) -> None:
    s_lo, s_hi = q.support()
    bad_low = s_lo <= lo if open_low else s_lo < lo
    if bad_low or s_hi > hi:
        expected = (
            f"{'>' if open_low else '>='} {lo:g}" if hi == math.inf else (f"in [{lo:g}, {hi:g}]")
        )
        got = q.describe() if q.dist is None else f"{q.describe()}, support [{s_lo:g}, {s_hi:g}]"
        report.add(path, f"{what} out of range (got {got}, expected {expected})")


def _check_ids(items: list[Any], path: str, report: _Report) -> set[str]:
    seen: set[str] = set()
    for i, item in enumerate(items):
        ident = item.id
        if not ident or not set(ident) <= _ID_CHARS:
            report.add(
                (path, i, "id"),
                f"invalid id {ident!r} (expected letters, digits, '_', '-' or '.')",
            )
        if ident in seen:
            report.add((path, i, "id"), f"duplicate id {ident!r} (ids must be unique)")
        seen.add(ident)
    return seen


def _anchor_key(raw: Any, issue_index: int, point: float) -> str:
    """The anchor's key as written (``12``, not ``12.0``), so its path and line are found."""
    try:
        keys = raw["issues"][issue_index]["scale"]["anchors"]
    except (KeyError, IndexError, TypeError):
        keys = {}
    for key in keys:
        try:
            if float(key) == point:
                return str(key)
        except (TypeError, ValueError):
            continue
    return f"{point:g}"


def _check_meaning(sc: Scenario, report: _Report) -> None:
    source_ids = _check_ids(sc.sources, "sources", report)
    issue_ids = _check_ids(sc.issues, "issues", report)
    _check_ids(sc.actors, "actors", report)
    _check_ids(sc.worldviews, "worldviews", report)

    usable: dict[PathKey, bool] = {}
    for path, q in walk_quantities(sc):
        if path[:1] == ("worldviews",):
            continue  # override values are checked after they are applied
        usable[path] = _check_quantity(q, path, report, source_ids)
    for i, wv in enumerate(sc.worldviews):
        for j, ref in enumerate(wv.sources()):
            sub: PathKey = ("worldviews", i, "source") + (
                (j,) if isinstance(wv.source, list) else ()
            )
            if ref.doc not in source_ids:
                report.add((*sub, "doc"), f"unknown source {ref.doc!r}")
    for i, wv in enumerate(sc.worldviews):
        if wv.as_of is not None:
            _check_as_of(sc, wv.as_of, ("worldviews", i, "as_of"), report)
    for i, card in enumerate(sc.game.scorecards if sc.game is not None else []):
        for j, ref in enumerate(card.sources()):
            sub = ("game", "scorecards", i, "source") + (
                (j,) if isinstance(card.source, list) else ()
            )
            if ref.doc not in source_ids:
                report.add((*sub, "doc"), f"unknown source {ref.doc!r}")

    if len(sc.issues) == 0:
        report.add(("issues",), "no issues (expected at least one)")
    if len(sc.actors) < 2:
        report.add(("actors",), f"too few actors (got {len(sc.actors)}, expected at least 2)")

    for i, issue in enumerate(sc.issues):
        scale = issue.scale
        if not (abs(scale.min) <= MAX_MAGNITUDE and abs(scale.max) <= MAX_MAGNITUDE):
            report.add(
                ("issues", i, "scale"),
                f"bounds must be finite numbers within {MAX_MAGNITUDE:g} (got "
                f"min={scale.min:g}, max={scale.max:g})",
            )
            continue
        if not scale.min < scale.max:
            report.add(
                ("issues", i, "scale"),
                f"needs min < max (got min={scale.min:g}, max={scale.max:g})",
            )
            continue
        for point in scale.anchors:
            if not scale.min <= point <= scale.max:
                report.add(
                    ("issues", i, "scale", "anchors", _anchor_key(report.raw, i, point)),
                    f"anchor outside the scale (got {point:g}, expected in "
                    f"[{scale.min:g}, {scale.max:g}])",
                )
        if issue.status_quo is not None and usable.get(("issues", i, "status_quo"), False):
            _check_range(
                issue.status_quo,
                ("issues", i, "status_quo"),
                report,
                scale.min,
                scale.max,
                "status quo",
            )

    scales = {issue.id: issue.scale for issue in sc.issues}
    for i, actor in enumerate(sc.actors):
        cap_path: PathKey = ("actors", i, "capability")
        if usable.get(cap_path, False):
            _check_range(
                actor.capability, cap_path, report, 0.0, math.inf, "capability", open_low=True
            )
        for issue_id, stance in actor.stances.items():
            base: PathKey = ("actors", i, "stances", issue_id)
            if issue_id not in issue_ids:
                report.add(
                    base,
                    f"unknown issue {issue_id!r} (expected one of: {', '.join(sorted(issue_ids))})",
                )
                continue
            scale = scales[issue_id]
            if usable.get((*base, "position"), False) and scale.min < scale.max:
                _check_range(
                    stance.position, (*base, "position"), report, scale.min, scale.max, "position"
                )
            if usable.get((*base, "salience"), False):
                _check_range(stance.salience, (*base, "salience"), report, 0.0, 1.0, "salience")
        missing = [iid for iid in (issue.id for issue in sc.issues) if iid not in actor.stances]
        if missing:
            report.add(
                ("actors", i, "stances"),
                f"no stance on issue(s) {', '.join(missing)} (every actor needs a position and "
                "a salience on every issue; salience 0 for an issue it ignores)",
            )

    if sc.game is not None:
        check_game(sc.game, _dotted_reporter(report))
    _check_dependence(sc, report)


# --------------------------------------------------------------------------------------------
# shares and correlations (detente.scenario.dependence)


def _section_numbers(sc: Scenario) -> dict[str, Quantity]:
    """The forecasting models' numbers, by path (what top-level groups may name)."""
    out: dict[str, Quantity] = {}
    for issue in sc.issues:
        if issue.status_quo is not None:
            out[f"issues.{issue.id}.status_quo"] = issue.status_quo
    for actor in sc.actors:
        out[f"actors.{actor.id}.capability"] = actor.capability
        for iid, stance in actor.stances.items():
            out[f"actors.{actor.id}.stances.{iid}.position"] = stance.position
            out[f"actors.{actor.id}.stances.{iid}.salience"] = stance.salience
    return out


def _check_dependence(sc: Scenario, report: _Report) -> None:
    """Share and correlation groups, top level and game (every problem, located).

    A group names numbers of its own section (2 or more, each once, in no other group); a share
    group's members are fixed values > 0 summing to 1 and its concentration a fixed value > 0;
    a correlation group's members are distributions that vary, each rank correlation a fixed
    value in (−1, 1), each pair declared once, and the normal correlation matrix
    ``2 sin(π ρ / 6)`` positive definite (otherwise no joint distribution has those ranks
    through a Gaussian copula).
    """
    sections: list[
        tuple[PathKey, str, dict[str, Quantity], list[ShareGroup], list[CorrelationGroup]]
    ] = []
    if sc.shares or sc.correlations:
        top = _section_numbers(sc)
        sections.append(((), "an actors.* or issues.* number", top, sc.shares, sc.correlations))
    game = sc.game
    if game is not None and (game.shares or game.correlations):
        nums = dict(quantities(game))
        sections.append((("game",), "a game.* number", nums, game.shares, game.correlations))
    for base, expected, numbers, shares, correlations in sections:
        _check_section(base, expected, numbers, shares, correlations, report)


def _check_section(
    base: PathKey,
    expected: str,
    numbers: dict[str, Quantity],
    shares: list[ShareGroup],
    correlations: list[CorrelationGroup],
    report: _Report,
) -> None:
    other = (
        "game.* numbers are declared under game:"
        if not base
        else "actors' and issues' numbers are declared at the top level"
    )
    owner: dict[str, str] = {}
    ids: set[str] = set()

    def members(kind: str, i: int, gid: str, paths: list[str]) -> list[str]:
        gpath: PathKey = (*base, kind, i, "paths")
        good: list[str] = []
        if gid in ids:
            report.add((*base, kind, i, "id"), f"duplicate group id {gid!r}")
        ids.add(gid)
        if len(paths) < 2:
            report.add(gpath, f"a group needs at least 2 paths (got {len(paths)})")
        for path in paths:
            if path in good:
                report.add(gpath, f"{path} is listed twice")
            elif path not in numbers:
                report.add(gpath, f"{path} is not {expected} of this scenario ({other})")
            elif path in owner:
                report.add(gpath, f"{path} is already in group {owner[path]!r} (overlap)")
            else:
                owner[path] = gid
                good.append(path)
        return good

    for i, group in enumerate(shares):
        good = members("shares", i, group.id, group.paths)
        gpath = (*base, "shares", i, "paths")
        fixed = True
        for path in good:
            q = numbers[path]
            if q.dist is not None:
                report.add(
                    gpath,
                    f"{path} is {q.describe()}: a share is drawn from the group's Dirichlet, "
                    "write its mean as a fixed value",
                )
                fixed = False
            elif not _safe_point(q) > 0:
                report.add(gpath, f"{path} is {q.describe()}: a share must be > 0")
                fixed = False
        if fixed and len(good) == len(group.paths) >= 2:
            total = sum(_safe_point(numbers[p]) for p in good)
            if not math.isclose(total, 1.0, abs_tol=1e-6):
                report.add(gpath, f"the shares must sum to 1 (got {total:.6g})")
        c = group.concentration
        cpath = (*base, "shares", i, "concentration")
        if c.dist is not None or not _safe_point(c) > 0:
            report.add(cpath, f"must be a fixed value > 0 (got {c.describe()})")
    for i, cgroup in enumerate(correlations):
        good = members("correlations", i, cgroup.id, cgroup.paths)
        gbase: PathKey = (*base, "correlations", i)
        for path in good:
            q = numbers[path]
            if not q.varies:
                report.add(
                    (*gbase, "paths"),
                    f"{path} is {q.describe()}: a correlation needs distributions that vary",
                )
        seen: set[frozenset[str]] = set()
        if not isinstance(cgroup.spearman, Quantity):
            for k, pair in enumerate(cgroup.spearman):
                ppath: PathKey = (*gbase, "spearman", k, "between")
                if len(pair.between) != 2 or pair.between[0] == pair.between[1]:
                    report.add(ppath, f"needs two different paths (got {pair.between})")
                    continue
                for p in pair.between:
                    if p not in cgroup.paths:
                        report.add(ppath, f"{p} is not a path of group {cgroup.id!r}")
                key = frozenset(pair.between)
                if key in seen:
                    report.add(ppath, f"pair {pair.between} is declared twice")
                seen.add(key)
        ok = True
        for _a, _b, q, sub in cgroup.pairs():
            v = _safe_point(q)
            if q.dist is not None or not -1.0 < v < 1.0:
                report.add((*gbase, *sub), f"must be a fixed value in (-1, 1) (got {q.describe()})")
                ok = False
        pairs_ok = isinstance(cgroup.spearman, Quantity) or all(
            len(p.between) == 2 and set(p.between) <= set(cgroup.paths) for p in cgroup.spearman
        )
        if ok and pairs_ok and len(good) == len(cgroup.paths) >= 2:
            _check_positive_definite(cgroup, (*gbase, "spearman"), report)


def _check_positive_definite(group: CorrelationGroup, path: PathKey, report: _Report) -> None:
    from detente.scenario.dependence import pearson_matrix

    r = pearson_matrix(group)
    if _positive_definite(r):
        return
    import numpy as np  # only for the message: a valid scenario is checked without numpy

    low = float(np.linalg.eigvalsh(np.asarray(r, dtype=np.float64)).min())
    report.add(
        path,
        "these rank correlations are not jointly possible: the copula's normal "
        f"correlation matrix 2·sin(π·ρ/6) is not positive definite (smallest eigenvalue "
        f"{low:.3g})",
    )


def _positive_definite(r: list[list[float]]) -> bool:
    """Whether the symmetric matrix ``r`` has a Cholesky factor (the test numpy's
    ``linalg.cholesky`` makes), in plain Python: the groups are small, and ``detente validate``
    of a scenario with correlations then needs no numpy (start-up, issue 19)."""
    n = len(r)
    low = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = r[i][j] - sum(low[i][k] * low[j][k] for k in range(j))
            if i == j:
                if not s > 0.0:
                    return False
                low[i][i] = math.sqrt(s)
            else:
                low[i][j] = s / low[j][j]
    return True


# --------------------------------------------------------------------------------------------
# the game


def _unit_paths(game: GameSpec) -> set[str]:
    """Paths of Quantities that are probabilities or shares (must lie in [0, 1])."""
    out: set[str] = set()
    for path, _q in quantities(game):
        leaf = path.rsplit(".", 1)[-1]
        if leaf.startswith("p_") or leaf in {
            "prior",
            "probability",
            "cost",
            "coalition_misreads",
            "target_misreads",
            "freeze_factor",
            "step_factor",
            "generosity",
            "repeat_factor",
        }:
            out.add(path)
    return out


def _safe_point(q: Quantity) -> float:
    try:
        return q.point()
    except (AssertionError, ValueError, ZeroDivisionError):
        return float("nan")


def _safe_support(q: Quantity) -> tuple[float, float]:
    try:
        return q.support()
    except (AssertionError, ValueError):
        return float("nan"), float("nan")


def _has_params(q: Quantity) -> bool:
    """Whether ``q`` names a value or a distribution with every parameter it needs."""
    if q.dist is None:
        return q.value is not None
    optional = {"low", "high"} if q.dist == "beta" else set()
    return all(p in optional or getattr(q, p) is not None for p in DIST_PARAMS[q.dist])


def check_game(game: GameSpec, report: Callable[[str, str], None]) -> None:
    """Report every semantic problem of ``game`` as ``report(field_path, message)``.

    Checks: months well-formed and ordered; unique ids; every move id referenced (roles,
    ladder, misreads, lifts, declaration, election, vetoes) exists on the right side; role
    names known; probabilities and shares in [0, 1]; type priors sum to 1. Each Quantity's own
    coherence and sources are checked with every other quantity of the scenario
    (``_check_quantity``); what needs the strategy registry, in
    :func:`detente.strategy.checks.check_strategies`.
    """
    c_ids = [m.id for m in game.coalition_moves]
    t_ids = [m.id for m in game.target_moves]
    for label, ids in (
        ("coalition_moves", c_ids),
        ("target_moves", t_ids),
        ("types", [t.id for t in game.types]),
        ("strategies", [s.id for s in game.strategies]),
        ("vetoes", [v.id for v in game.vetoes]),
        ("scorecards", [c.id for c in game.scorecards]),
    ):
        seen: set[str] = set()
        for i in ids:
            if i in seen:
                report(f"game.{label}.{i}", f"duplicate id {i!r}")
            seen.add(i)
    c_set, t_set = set(c_ids), set(t_ids)

    def need(path: str, move: str, known: set[str], side: str) -> None:
        if move not in known:
            report(path, f"unknown {side} move {move!r} (known: {', '.join(sorted(known))})")

    for name in ("start", "end"):
        try:
            month_number(getattr(game, name))
        except ValueError as exc:
            report(f"game.{name}", str(exc))
            return
    if game.n_months < 2:
        report("game.end", f"end {game.end} must come after start {game.start}")
    for role, move in game.roles.items():
        if role not in ROLES:
            report(f"game.roles.{role}", f"unknown role {role!r} (known: {', '.join(ROLES)})")
        need(f"game.roles.{role}", move, c_set, "coalition")
    for pos, move in enumerate(game.ladder):
        need(f"game.ladder[{pos}]", move, t_set, "target")
    if not game.ladder:
        report("game.ladder", "the ladder needs at least one cooperative move")
    need("game.provocation", game.provocation, t_set, "target")
    need("game.idle", game.idle, t_set, "target")
    need("game.declaration.move", game.declaration.move, c_set, "coalition")
    for group, moves in (
        ("coalition_moves", list(game.coalition_moves)),
        ("target_moves", list(game.target_moves)),
    ):
        for mv in moves:
            eids = [e.id for e in mv.effects]
            for eid in {x for x in eids if eids.count(x) > 1}:
                report(f"game.{group}.{mv.id}.effects.{eid}", f"duplicate effect id {eid!r}")
    for cm in game.coalition_moves:
        if cm.misread_as is not None:
            need(f"game.coalition_moves.{cm.id}.misread_as", cm.misread_as, c_set, "coalition")
    for tm in game.target_moves:
        if tm.misread_as is not None:
            need(f"game.target_moves.{tm.id}.misread_as", tm.misread_as, t_set, "target")
    for tt in game.types:
        for move in tt.lift:
            need(f"game.types.{tt.id}.lift.{move}", move, c_set, "coalition")
    if game.election is not None:
        el = game.election
        try:
            k = game.month_index(el.month)
            if not 0 <= k < game.n_months:
                report("game.election.month", f"{el.month} lies outside {game.start}..{game.end}")
        except ValueError as exc:
            report("game.election.month", str(exc))
        if el.member not in game.coalition.members:
            report("game.election.member", f"{el.member!r} is not a coalition member")
        for pos, move in enumerate(el.withdrawn_moves):
            need(f"game.election.withdrawn_moves[{pos}]", move, c_set, "coalition")
        need("game.election.fallback_move", el.fallback_move, c_set, "coalition")
    for v in game.vetoes:
        if v.member not in game.coalition.members:
            report(f"game.vetoes.{v.id}.member", f"{v.member!r} is not a coalition member")
        need(f"game.vetoes.{v.id}.move", v.move, c_set, "coalition")
        need(f"game.vetoes.{v.id}.fallback_move", v.fallback_move, c_set, "coalition")
    _check_mechanisms(game, report, need, c_set)
    if game.metrics.checkpoint is not None:
        try:
            k = game.month_index(game.metrics.checkpoint)
            if not 0 <= k < game.n_months:
                report("game.metrics.checkpoint", "checkpoint outside the game's months")
        except ValueError as exc:
            report("game.metrics.checkpoint", str(exc))
    for pos, w in enumerate(game.metrics.talks_within):
        if not 0 < w <= game.n_months:
            report(f"game.metrics.talks_within[{pos}]", f"{w} months outside 1..{game.n_months}")

    unit = _unit_paths(game)
    for path, q in quantities(game):
        if path in unit and _has_params(q):
            lo, hi = _safe_support(q)
            if lo < 0 or hi > 1:
                report(path, f"probability outside [0, 1] (got {lo:g}..{hi:g})")
    for var, q in game.initial_state.items():
        if var in UNIT_STATE_VARS:
            lo, hi = _safe_support(q)
            if lo < 0 or hi > 1:
                report(f"game.initial_state.{var}", f"must lie in [0, 1] (got {lo:g}..{hi:g})")
    if game.types:
        total = sum(_safe_point(t.prior) for t in game.types)
        if not math.isclose(total, 1.0, abs_tol=1e-6):
            report(
                f"game.types.{game.types[-1].id}.prior",
                f"type priors must sum to 1 (got {total:.6g}, expected 1)",
            )
    else:
        report("game.types", "at least one target type is needed")
    _check_scorecards_and_rules(game, report)


def _check_scorecards_and_rules(game: GameSpec, report: Callable[[str, str], None]) -> None:
    """``game.scorecards`` (a basis, metrics, weights >= 0 not all 0) and the rule tables of
    composed strategies (every answer a known role the game binds). Metric names need the
    metric registry: :func:`detente.strategy.checks.check_strategies` checks them."""
    for card in game.scorecards:
        base = f"game.scorecards.{card.id}"
        if not card.has_basis():
            report(base, "a scorecard says whose view it is: give it a `source` or `assumption`")
        if not card.metrics:
            report(f"{base}.metrics", "a scorecard needs at least one metric")
            continue
        total = 0.0
        for name, entry in card.metrics.items():
            if not _has_params(entry.weight):
                continue
            lo, _hi = _safe_support(entry.weight)
            if lo < 0:
                report(f"{base}.metrics.{name}.weight", f"weight must be >= 0 (got {lo:g})")
            total += max(_safe_point(entry.weight), 0.0)
        if total <= 0:
            report(f"{base}.metrics", "the weights are all 0: at least one must be positive")
    headline = game.metrics.headline
    if headline is not None:
        sids = [s.id for s in game.strategies]
        if len(headline.compare) != 2 or headline.compare[0] == headline.compare[1]:
            report("game.metrics.headline.compare", "name two different strategies: [A, B]")
        for i, sid in enumerate(headline.compare):
            if sid not in sids:
                report(
                    f"game.metrics.headline.compare.{i}",
                    f"unknown strategy {sid!r} (known: {', '.join(sids)})",
                )
    for s in game.strategies:
        if s.rules is None:
            continue
        answers: list[tuple[str, str | None]] = [("opening", s.rules.opening)]
        answers += [(e, getattr(s.rules, e)) for e in RULE_EVENTS]
        if s.rules.after_declaration is not None:
            later = s.rules.after_declaration
            answers += [(f"after_declaration.{e}", getattr(later, e)) for e in RULE_EVENTS]
        for rule, role in answers:
            path = f"game.strategies.{s.id}.rules.{rule}"
            if role is None:
                continue
            if role not in ROLES:
                report(path, f"unknown role {role!r} (known: {', '.join(ROLES)})")
            elif role not in game.roles:
                report(path, f"role {role!r} is not bound in game.roles")


def _check_mechanisms(
    game: GameSpec,
    report: Callable[[str, str], None],
    need: Callable[[str, str, set[str], str], None],
    c_set: set[str],
) -> None:
    """The issue-15 mechanisms' references and ranges (costs, signals, repeats, response
    effects, state feedback, limits, third parties, the successor strategy)."""
    feedback = set(FEEDBACK_VARS)
    strategy_ids = {s.id for s in game.strategies}
    members = set(game.coalition.members)
    concessions = {m.id for m in game.coalition_moves if m.kind == "concession"}

    def month_in_game(path: str, month: str) -> None:
        try:
            k = game.month_index(month)
        except ValueError as exc:
            report(path, str(exc))
            return
        if not 0 <= k < game.n_months:
            report(path, f"{month} lies outside {game.start}..{game.end}")

    def state_var(path: str, var: str) -> None:
        if var not in feedback:
            report(path, f"unknown state variable {var!r} (known: {', '.join(FEEDBACK_VARS)})")

    def positive(path: str, q: Quantity) -> None:
        lo, _hi = _safe_support(q)
        if not lo > 0:
            report(path, f"must be positive (got {lo:g})")

    for tt in game.types:
        base = f"game.types.{tt.id}"
        for var in tt.state_lift:
            state_var(f"{base}.state_lift.{var}", var)
        eids = [e.id for e in tt.effects]
        for eid in {x for x in eids if eids.count(x) > 1}:
            report(f"{base}.effects.{eid}", f"duplicate effect id {eid!r}")
        for e in tt.effects:
            path = f"{base}.effects.{e.id}"
            if (e.move is None) == (e.month is None):
                report(path, "needs exactly one trigger: `move` or `month`")
            if e.move is not None:
                need(f"{path}.move", e.move, c_set, "coalition")
                if e.when == "unreciprocated" and e.move in c_set and e.move not in concessions:
                    report(
                        f"{path}.when", f"{e.move!r} is not a concession, so never unreciprocated"
                    )
            if e.month is not None:
                month_in_game(f"{path}.month", e.month)
                if e.when != "made":
                    report(f"{path}.when", "a calendar trigger takes no `when`")
            if e.persistence == "decaying":
                if e.half_life is None:
                    report(f"{path}.persistence", "a decaying effect needs a half_life (months)")
                else:
                    positive(f"{path}.half_life", e.half_life)
            elif e.half_life is not None:
                report(
                    f"{path}.half_life",
                    f"only a decaying effect has a half_life (this one is {e.persistence})",
                )
    for lm in game.limits:
        path = f"game.limits.{lm.id}"
        need(f"{path}.move", lm.move, c_set, "coalition")
        need(f"{path}.fallback_move", lm.fallback_move, c_set, "coalition")
        state_var(f"{path}.state", lm.state)
        if (lm.below is None) == (lm.above is None):
            report(path, "needs exactly one bound: `below` or `above`")
    for tp in game.third_parties:
        path = f"game.third_parties.{tp.id}"
        trig = tp.trigger
        if trig.after_move is None and trig.state is None:
            report(f"{path}.trigger", "needs `after_move` or `state`")
        if trig.after_move is not None:
            need(f"{path}.trigger.after_move", trig.after_move, c_set, "coalition")
        if trig.state is not None:
            state_var(f"{path}.trigger.state", trig.state)
            if trig.below is None and trig.above is None:
                report(f"{path}.trigger", "a state trigger needs `below` or `above`")
        elif trig.below is not None or trig.above is not None:
            report(f"{path}.trigger", "`below`/`above` need a `state`")
        groups: list[tuple[str, list[Effect]]] = [("effects", tp.effects)]
        if tp.veto is not None:
            groups.append(("veto.effects", tp.veto.effects))
            if tp.veto.member not in members:
                report(f"{path}.veto.member", f"{tp.veto.member!r} is not a coalition member")
        for where, effects in groups:
            eids = [e.id for e in effects]
            for eid in {x for x in eids if eids.count(x) > 1}:
                report(f"{path}.{where}.{eid}", f"duplicate effect id {eid!r}")
            for fx in effects:
                if fx.once or fx.scale_by_cost:
                    report(
                        f"{path}.{where}.{fx.id}",
                        "a third party's effect takes no `once`/`scale_by_cost`",
                    )
    el = game.election
    if el is not None and el.successor_strategy not in (None, *strategy_ids):
        known = ", ".join(sorted(strategy_ids))
        report(
            "game.election.successor_strategy",
            f"unknown strategy id {el.successor_strategy!r} (known: {known})",
        )


def _dotted_reporter(report: _Report) -> Callable[[str, str], None]:
    """``report(dotted_path, message)`` for checks that name fields by their dotted path."""

    def add(dotted: str, message: str) -> None:
        try:
            key = resolve_path(report.raw, dotted)
        except KeyError:
            key = tuple(dotted.split("."))
        report.add(key, message)

    return add


# --------------------------------------------------------------------------------------------
# a document


def _validate(
    raw: Any,
    report: _Report,
    *,
    strict: bool,
    game_checks: Sequence[GameCheck],
    check_worldviews: bool = True,
) -> Scenario | None:
    if not isinstance(raw, dict):
        kind = "a list" if isinstance(raw, list) else f"a {type(raw).__name__}"
        report.add((), f"top level is {kind}, expected a mapping with `detente: 1`")
        return None
    if check_worldviews:  # once, on the document as written
        _check_text(raw, (), report)
    # The game is validated after the rest, so its problems are reported only once the rest
    # of the document is sound.
    try:
        sc = Scenario.model_validate({**raw, "game": None})
    except ValidationError as exc:
        _pydantic_problems(exc, report)
        return None
    if raw.get("game") is not None:
        try:
            game = GameSpec.model_validate(raw["game"])
        except ValidationError as exc:
            _pydantic_problems(exc, report, ("game",))
            return None
        sc = sc.model_copy(update={"game": game})
    _check_meaning(sc, report)
    if sc.record is not None:
        check_record(sc.record, sc.game, report.add)
    if sc.game is not None:
        add = _dotted_reporter(report)
        for check in game_checks:
            check(sc.game, add)
    if strict:
        report.items = [
            Diagnostic(d.file, d.line, d.field, d.message, "error") for d in report.items
        ]
    if report.errors:
        return None
    if check_worldviews:
        for i, wv in enumerate(sc.worldviews):
            _check_worldview(raw, i, wv.id, report, strict=strict, game_checks=game_checks)
    return None if report.errors else sc


def _check_as_of(sc: Scenario, as_of: str, path: PathKey, report: _Report) -> None:
    """A worldview's information date (``docs/models/strategy-game.md``, "Dated information
    sets"): a month; with a game, within the game (its start up to its last month), and when
    after the start, a record that gives every month before it."""
    try:
        at = month_number(as_of)
    except ValueError as exc:
        report.add(path, str(exc))
        return
    game = sc.game
    if game is None:
        return  # a dated reading of a scenario without a game: a label only
    start, end = month_number(game.start), month_number(game.end)
    if at < start:
        report.add(
            path,
            f"{as_of} is before the game's start {game.start}: a worldview's game starts at its "
            "date, and the game has no months before its start",
        )
    elif at > end:
        report.add(path, f"{as_of} is after the game's end {game.end}: nothing left to play")
    elif at > start:
        rec = sc.record
        if rec is None:
            report.add(
                path,
                f"{as_of} is after the game's start {game.start}: the months before it are "
                "played from the record, and the scenario has no `record:` section",
            )
        elif rec.start != game.start:
            report.add(
                path,
                f"the record starts {rec.start}, the game {game.start}: the months before "
                f"{as_of} are played from the record, so it must start with the game",
            )
        else:
            try:
                rec_end = month_number(rec.end)
            except ValueError:
                return  # reported at record.end
            if at > rec_end + 1:
                report.add(
                    path,
                    f"the record ends {rec.end}: it does not give every month before {as_of}",
                )


def _check_text(node: Any, path: PathKey, report: _Report) -> None:
    """No control character in any text (issue 21, item 2): a label is printed on terminals.

    Tab, newline and carriage return are allowed; an escape (``"\\u001b[31m"``), a bell or a
    NUL written as a YAML escape is refused where it is, as ``U+001B`` …
    """
    if isinstance(node, str):
        bad = _CONTROL.search(node)
        if bad is not None:
            report.add(path, f"control character U+{ord(bad.group()):04X} in text (not allowed)")
    elif isinstance(node, dict):
        for key, value in node.items():  # a number as a key (an anchor) as the loader names it
            _check_text(value, (*path, key if isinstance(key, str) else str(key)), report)
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _check_text(value, (*path, i), report)


#: a control character: C0 but tab, newline and carriage return; DEL; C1 (U+007F–U+009F)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def override_targets(raw: dict[str, Any], index: int, doc: dict[str, Any]) -> list[tuple[int, str]]:
    """Worldview ``index``'s overrides as ``(number, displayed target path in doc)`` (``doc``:
    the document with them applied); an override whose path does not resolve is left out."""
    out: list[tuple[int, str]] = []
    for j, override in enumerate(raw["worldviews"][index].get("overrides", [])):
        try:
            out.append((j, display_path(resolve_path(doc, override["path"]), doc)))
        except KeyError:
            continue
    return out


def override_owner(field: str, owned: Sequence[tuple[int, str]]) -> int | None:
    """The override a message about ``field`` belongs to (the last one whose target is the
    field or contains it), None when none does: the rule by which a worldview's messages are
    reported at the override that caused them."""
    owner = None
    for j, target in owned:
        if field == target or field.startswith(target + "."):
            owner = j
    return owner


def _check_worldview(
    raw: dict[str, Any],
    index: int,
    wv_id: str,
    report: _Report,
    *,
    strict: bool,
    game_checks: Sequence[GameCheck],
) -> None:
    doc, problems = apply_overrides(raw, index)
    for where, message in problems:
        report.add(where, message)
    if problems:
        return
    sub = _Report(report.file, doc, {})
    _validate(doc, sub, strict=strict, game_checks=game_checks, check_worldviews=False)
    # A problem inside an override is reported at the override (that is what the person wrote).
    owned = override_targets(raw, index, doc)
    for diag in sub.items:
        owner = override_owner(diag.field, owned)
        if diag.severity == "warning" and owner is None:
            continue  # the base scenario's own warnings are already reported
        path: PathKey = (
            ("worldviews", index, "overrides", owner, "value")
            if owner is not None
            else ("worldviews", index)
        )
        report.add(path, f"after worldview {wv_id!r}: {diag.field}: {diag.message}", diag.severity)


def validate_document(
    raw: Any,
    name: str,
    lines: dict[PathKey, int] | None = None,
    *,
    strict: bool = False,
    game_checks: Sequence[GameCheck] = (),
    check_worldviews: bool = True,
) -> tuple[Scenario | None, list[Diagnostic]]:
    """Validate a parsed document: the scenario (None when any error) and every diagnostic.

    ``name`` and ``lines`` locate the messages. ``game_checks`` run on the game after the
    scenario's own checks, in the base document and in every worldview, reporting like
    :func:`check_game` (:mod:`detente.scenario.load` explains why they are passed in).
    ``check_worldviews=False`` skips applying and checking each worldview.
    """
    report = _Report(name, raw, lines or {})
    sc = _validate(
        raw, report, strict=strict, game_checks=game_checks, check_worldviews=check_worldviews
    )
    return sc, report.items
