"""Strategies as small classes, in the manner of the Axelrod library (Knight et al. 2016).

Each class has a ``name``, a docstring citing its origin, a ``classifier`` (``memory_depth``,
``stochastic``, ``roles`` it needs the game to bind, ``uses_state``/``uses_belief``) and
``parameters`` with defaults. A strategy is written in *roles* (``cooperate``, ``defect``,
``hold``, ``declare``, ``reward``, ``gesture``) that each game binds to its own moves, so the
classic strategies run unchanged in the prisoner's dilemma (``cooperate`` = C, ``defect`` = D)
and in the coalition game (``cooperate`` = open/sustain a communications link, ``defect`` = add
pressure, ``reward`` = partial sanctions relief, …: see ``game.roles`` in the scenario).

Every ``act`` is vectorised: it returns one move per episode. Adding a strategy is one class
here (registered by the decorator) and one test module in ``tests/strategy/``.

:class:`Composed` is a strategy written as a rule table in the scenario (``rules:``, the schema
:class:`~detente.scenario.game.Rules`); :data:`COMPOSITIONS` gives the rule tables of the
classes that are exactly such tables (PeaceFirst, ReciprocalTrade, TitForTat, …), which is what
an ablation (:mod:`detente.strategy.ablation`) changes one rule at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from detente.scenario.game import RULE_EVENTS, Answers, Rules
from detente.strategy.engine import COOPERATIVE, HOSTILE, NEUTRAL

if TYPE_CHECKING:  # numpy is imported where a strategy plays: the checks need only the classes
    from detente.strategy.engine import FloatArray, IntArray, View

STRATEGIES: dict[str, type[Strategy]] = {}


def register(cls: type[Strategy]) -> type[Strategy]:
    STRATEGIES[cls.__name__] = cls
    return cls


class Strategy:
    """Base class: holds per-episode parameters, and the roles helpers."""

    name: ClassVar[str] = "Strategy"
    classifier: ClassVar[dict[str, Any]] = {}
    parameters: ClassVar[dict[str, float]] = {}

    def __init__(self, **params: float | FloatArray) -> None:
        unknown = set(params) - set(self.parameters)
        if unknown:
            raise ValueError(f"{self.name} has no parameter(s) {', '.join(sorted(unknown))}")
        self._params: dict[str, float | FloatArray] = {**self.parameters, **params}
        self.n = 0

    def reset(self, n: int) -> None:
        self.n = n

    def param(self, name: str) -> FloatArray:
        """Parameter ``name`` as one value per episode."""
        import numpy as np

        value = self._params[name]
        return np.broadcast_to(np.asarray(value, dtype=np.float64), (self.n,))

    def act(self, view: View) -> IntArray:
        raise NotImplementedError

    @classmethod
    def roles_for(cls, rules: Rules | None) -> tuple[str, ...]:
        """The roles this class plays with ``rules`` (only :class:`Composed` takes any)."""
        return tuple(cls.classifier.get("roles", ()))

    def __repr__(self) -> str:
        return self.name


def _reciprocate(view: View, on_coop: str, on_neutral: str, on_hostile: str) -> IntArray:
    """Answer the opponent's last perceived move by its kind."""
    import numpy as np

    kind = view.opp_last_kind()
    out = np.full(view.n, view.role(on_neutral), dtype=np.int64)
    out[kind == COOPERATIVE] = view.role(on_coop)
    out[kind == HOSTILE] = view.role(on_hostile)
    return out


# ----------------------------------------------------------------------------- classics


@register
class Cooperator(Strategy):
    """Always cooperates (Axelrod 1984; axelrod library ``Cooperator``)."""

    name = "Cooperator"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 0,
        "stochastic": False,
        "roles": ("cooperate",),
    }

    def act(self, view: View) -> IntArray:
        return view.full("cooperate")


@register
class Defector(Strategy):
    """Always defects (Axelrod 1984; axelrod library ``Defector``)."""

    name = "Defector"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 0,
        "stochastic": False,
        "roles": ("defect",),
    }

    def act(self, view: View) -> IntArray:
        return view.full("defect")


@register
class Alternator(Strategy):
    """Cooperates, then defects, then cooperates… (axelrod library ``Alternator``)."""

    name = "Alternator"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "roles": ("cooperate", "defect"),
    }

    def act(self, view: View) -> IntArray:
        return view.full("cooperate" if view.t % 2 == 0 else "defect")


@register
class Grudger(Strategy):
    """Cooperates until the opponent defects once, then defects for ever (Friedman 1971's
    trigger strategy; axelrod library ``Grudger``)."""

    name = "Grudger"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": float("inf"),
        "stochastic": False,
        "roles": ("cooperate", "defect"),
    }

    def act(self, view: View) -> IntArray:
        out = view.full("cooperate")
        out[view.opp_ever(HOSTILE)] = view.role("defect")
        return out


@register
class TitForTat(Strategy):
    """Cooperates first, then does what the opponent did last (Rapoport's entry, winner of
    Axelrod's tournaments; Axelrod 1984, ch. 2). Anything short of a hostile move counts as
    cooperation, so a stall is answered with cooperation."""

    name = "Tit For Tat"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "roles": ("cooperate", "defect"),
    }

    def act(self, view: View) -> IntArray:
        return _reciprocate(view, "cooperate", "cooperate", "defect")


@register
class GenerousTitForTat(Strategy):
    """Tit For Tat that forgives a defection with probability ``generosity`` (Nowak & Sigmund
    1992; Wu & Axelrod 1995 show generosity restores cooperation under noise). The default is
    Nowak & Sigmund's bound min(1 − (T−R)/(R−S), (R−P)/(T−P)) = 1/3 for R=3, S=0, T=5, P=1,
    the axelrod library's ``GTFT`` default."""

    name = "Generous Tit For Tat"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": True,
        "roles": ("cooperate", "defect"),
    }
    parameters: ClassVar[dict[str, float]] = {"generosity": 1.0 / 3.0}

    def act(self, view: View) -> IntArray:
        out = _reciprocate(view, "cooperate", "cooperate", "defect")
        forgive = view.rng.random(view.n) < self.param("generosity")
        out[(view.opp_last_kind() == HOSTILE) & forgive] = view.role("cooperate")
        return out


@register
class StrategicPatience(Strategy):
    """Holds, and adds pressure after each provocation: the Obama administration's "strategic
    patience", which the Cato article (Bandow 2021) calls "not an option"."""

    name = "Strategic Patience"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "roles": ("hold", "defect"),
    }

    def act(self, view: View) -> IntArray:
        return _reciprocate(view, "hold", "hold", "defect")


# ----------------------------------------------------------------------------- declarations


@register
class PeaceFirst(Strategy):
    """Offers the end-of-war declaration unconditionally in the first month, then reciprocates:
    a cooperative move earns a reward, a provocation pressure, a stall a sustained link.
    "Peace first" as The Hill article (Holmes 2023) describes it: "offering Pyongyang a peace
    settlement at the beginning of negotiations"."""

    name = "Peace First"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "roles": ("declare", "reward", "cooperate", "defect"),
    }

    def act(self, view: View) -> IntArray:
        if view.t == 0:
            return view.full("declare")
        return _reciprocate(view, "reward", "cooperate", "defect")


@register
class Enticement(Strategy):
    """Seoul's position in 2021 (Cato, Bandow 2021): the declaration is "an enticement for
    talks", offered every month until talks open; once they are open, cooperation earns a
    reward and provocations are met with a hold (Seoul did not add pressure)."""

    name = "Enticement"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "uses_state": True,
        "roles": ("declare", "reward", "cooperate", "hold"),
    }

    def act(self, view: View) -> IntArray:
        out = _reciprocate(view, "reward", "cooperate", "hold")
        closed = view.state["talks"] < 0.5
        out[closed] = view.role("declare")
        return out


@register
class DeclarationAfterProgress(Strategy):
    """Washington's position in 2021 (Cato, Bandow 2021): offer the declaration "as part of a
    process toward denuclearization after progress has been achieved". Sustains a
    communications link (Biegun) and answers provocations with pressure until the target
    takes a concrete step; declares then; afterwards rewards cooperation."""

    name = "Declaration After Progress"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": float("inf"),
        "stochastic": False,
        "uses_state": True,
        "roles": ("declare", "reward", "cooperate", "defect"),
    }

    def act(self, view: View) -> IntArray:
        import numpy as np

        declared = view.state["declared"] > 0.5
        out = np.where(
            declared,
            _reciprocate(view, "reward", "cooperate", "defect"),
            _reciprocate(view, "cooperate", "cooperate", "defect"),
        )
        out[~declared & view.opp_last_in("progress")] = view.role("declare")
        return out


@register
class ReciprocalTrade(Strategy):
    """The declaration only in exchange for a concrete step, then relief step for step: The
    Hill's (Holmes 2023) "in trade for some reciprocal North Korean concession". Holds
    otherwise and answers provocations with pressure."""

    name = "Reciprocal Trade"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": 1,
        "stochastic": False,
        "uses_state": True,
        "roles": ("declare", "reward", "hold", "defect"),
    }

    def act(self, view: View) -> IntArray:
        out = _reciprocate(view, "hold", "hold", "defect")
        step = view.opp_last_in("progress")
        declared = view.state["declared"] > 0.5
        out[step & ~declared] = view.role("declare")
        out[step & declared] = view.role("reward")
        return out


@register
class GRIT(Strategy):
    """Osgood's (1962) Graduated and Reciprocated Initiatives in Tension-reduction.

    Unilateral initiatives climb a ladder (``cooperate`` → ``gesture`` → ``declare`` →
    ``reward``): one rung up each time the target reciprocates; an initiative is repeated for
    ``persistence`` months without reciprocation before falling back to ``hold``; a
    provocation is met by one proportionate ``defect`` after which the initiatives resume at
    the same rung (Osgood's rule: retaliate, but do not escalate, and return to initiatives).
    """

    name = "GRIT"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": float("inf"),
        "stochastic": False,
        "roles": ("cooperate", "gesture", "declare", "reward", "hold", "defect"),
    }
    parameters: ClassVar[dict[str, float]] = {"persistence": 6.0}
    LADDER: ClassVar[tuple[str, ...]] = ("cooperate", "gesture", "declare", "reward")

    def reset(self, n: int) -> None:
        import numpy as np

        super().reset(n)
        self.rung = np.zeros(n, dtype=np.int64)
        self.waiting = np.zeros(n, dtype=np.int64)  # months without reciprocation

    def act(self, view: View) -> IntArray:
        import numpy as np

        kind = view.opp_last_kind()
        if view.t > 0:
            coop = kind == COOPERATIVE
            self.rung[coop] = np.minimum(self.rung[coop] + 1, len(self.LADDER) - 1)
            self.waiting[coop] = 0
            self.waiting[kind == NEUTRAL] += 1
        ladder = np.array([view.role(r) for r in self.LADDER], dtype=np.int64)
        out = ladder[self.rung]
        out[self.waiting >= self.param("persistence")] = view.role("hold")
        out[kind == HOSTILE] = view.role("defect")
        return out


@register
class BayesianReassurance(Strategy):
    """Reassures when its own Bayesian belief says reassurance can work (Kydd 2005).

    Kydd's *Trust and Mistrust in International Relations* (2005): cooperation is conditional on
    the level of trust — the belief that the other side is a trustworthy type — exceeding a
    threshold set by the stakes, and a *costly* signal (here, the declaration) is worth sending
    only to a side that may be trustworthy, since only a trustworthy type answers it. The
    strategy reads ``p = P(trustworthy)`` from the coalition's posterior over target types
    (updated each month by Bayes' rule from what it perceived) and:

    * ``p >= declare_at`` and no declaration yet: declares;
    * ``p < distrust_below``: holds, and answers a provocation with pressure (strategic
      patience towards a side it has come to distrust);
    * otherwise: reciprocates (a cooperative move earns a reward, a stall a sustained link, a
      provocation pressure).
    """

    name = "Bayesian Reassurance"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": float("inf"),
        "stochastic": False,
        "uses_state": True,
        "uses_belief": True,
        "roles": ("declare", "reward", "cooperate", "hold", "defect"),
    }
    parameters: ClassVar[dict[str, float]] = {"declare_at": 0.5, "distrust_below": 0.1}

    def act(self, view: View) -> IntArray:
        trust = view.belief_in("trustworthy")
        out = _reciprocate(view, "reward", "cooperate", "defect")
        distrust = trust < self.param("distrust_below")
        out[distrust] = _reciprocate(view, "hold", "hold", "defect")[distrust]
        declare = (trust >= self.param("declare_at")) & (view.state["declared"] < 0.5)
        out[declare] = view.role("declare")
        return out


# ----------------------------------------------------------------------------- rule tables

#: the neutral counterpart of every rule: what an ablation puts in a rule's place
NEUTRAL_ROLE = "hold"


def resolved(rules: Rules) -> tuple[str, dict[str, str], dict[str, str]]:
    """``(opening, before, after)``: the role of each answer before and after the declaration,
    with the defaults of :class:`~detente.scenario.game.Rules` filled in (``hold``; ``progress``
    follows ``cooperation``; an answer ``after_declaration`` leaves out follows the one before)."""
    before: dict[str, str] = {}
    for event in RULE_EVENTS:
        role = getattr(rules, event)
        if role is None:
            role = before["cooperation"] if event == "progress" else NEUTRAL_ROLE
        before[event] = role
    after = dict(before)
    later = rules.after_declaration
    if later is not None:
        for event in RULE_EVENTS:
            role = getattr(later, event)
            if role is not None:
                after[event] = role
        if later.progress is None and rules.progress is None:
            after["progress"] = after["cooperation"]
    return rules.opening or NEUTRAL_ROLE, before, after


@register
class Composed(Strategy):
    """A strategy written as a rule table: an opening move, then one answer to each kind of
    move the target made last month (as the coalition perceived it), before and after the
    declaration.

    Axelrod (1984, ch. 2) reads every entry of his tournaments as such a rule — what to do
    first, and what to do after each move of the other (TIT FOR TAT: cooperate, then copy) —
    and his later work (Axelrod 1987) encodes strategies as lookup tables of the last moves;
    Osgood's GRIT (1962) is a sequence of such rules (announce, initiate, persist, reciprocate,
    retaliate in proportion). Written as data, two strategies can differ by exactly one rule,
    which is what identifies that rule's effect (``detente.strategy.ablation``).

    ``rules`` (:class:`~detente.scenario.game.Rules`): ``opening``; the answers to a
    ``cooperation``, a ``progress`` move, a ``stall`` (the target idle for ``stall_months``
    months in a row; until then the coalition repeats last month's move) and a
    ``provocation``; ``after_declaration`` answers that replace those once the declaration has
    been made. Every answer is a role; a rule left out is ``hold``. With no rules it holds
    every month — the neutral counterpart of every rule.
    """

    name = "Composed"
    classifier: ClassVar[dict[str, Any]] = {
        "memory_depth": float("inf"),
        "stochastic": False,
        "uses_state": True,
        "roles": (NEUTRAL_ROLE,),
    }

    def __init__(
        self, rules: Rules | Mapping[str, Any] | None = None, **params: float | FloatArray
    ) -> None:
        super().__init__(**params)
        if rules is None:
            rules = Rules()
        elif not isinstance(rules, Rules):
            rules = Rules.model_validate(dict(rules))
        self.rules = rules
        self.opening, self.before, self.after = resolved(rules)

    @classmethod
    def roles_for(cls, rules: Rules | None) -> tuple[str, ...]:
        opening, before, after = resolved(rules or Rules())
        return tuple(dict.fromkeys([opening, *before.values(), *after.values()]))

    def _answers(self, view: View, table: dict[str, str]) -> IntArray:
        import numpy as np

        kind = view.opp_last_kind()
        out = np.full(view.n, view.role(table["stall"]), dtype=np.int64)
        out[kind == COOPERATIVE] = view.role(table["cooperation"])
        out[view.opp_last_in("progress")] = view.role(table["progress"])
        out[kind == HOSTILE] = view.role(table["provocation"])
        return out

    def act(self, view: View) -> IntArray:
        import numpy as np

        if view.t == 0:
            return view.full(self.opening)
        out = self._answers(view, self.before)
        if self.after != self.before:
            declared = view.state["declared"] > 0.5
            out[declared] = self._answers(view, self.after)[declared]
        months = self.rules.stall_months
        if months > 1:
            idle = view.opp_last_kind() == NEUTRAL
            if view.t >= months:
                recent = view.opp_kind[view.opp[:, view.t - months : view.t]]
                lasted = (recent == NEUTRAL).all(axis=1)
            else:
                lasted = np.zeros(view.n, dtype=bool)
            waiting = idle & ~lasted
            out[waiting] = view.own[waiting, view.t - 1]
        return out


def _table(**rules: Any) -> Rules:
    return Rules.model_validate(rules)


#: the strategies above that are exactly rule tables, as those tables (tested move for move in
#: ``tests/strategy/test_composed.py``); the others keep state a table of last moves cannot
#: (Enticement: talks open or not; GRIT: its rung and patience; BayesianReassurance: its
#: belief; Grudger: any provocation ever; Alternator: the month's parity; GenerousTitForTat:
#: chance)
COMPOSITIONS: dict[str, Rules] = {
    "PeaceFirst": _table(
        opening="declare", cooperation="reward", stall="cooperate", provocation="defect"
    ),
    "ReciprocalTrade": _table(
        opening="hold",
        cooperation="hold",
        progress="declare",
        stall="hold",
        provocation="defect",
        after_declaration=Answers(progress="reward"),
    ),
    "DeclarationAfterProgress": _table(
        opening="cooperate",
        cooperation="cooperate",
        progress="declare",
        stall="cooperate",
        provocation="defect",
        after_declaration=Answers(cooperation="reward", progress="reward"),
    ),
    "TitForTat": _table(
        opening="cooperate", cooperation="cooperate", stall="cooperate", provocation="defect"
    ),
    "StrategicPatience": _table(
        opening="hold", cooperation="hold", stall="hold", provocation="defect"
    ),
    "Cooperator": _table(
        opening="cooperate", cooperation="cooperate", stall="cooperate", provocation="cooperate"
    ),
    "Defector": _table(
        opening="defect", cooperation="defect", stall="defect", provocation="defect"
    ),
}
