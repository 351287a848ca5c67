"""A scenario number: a plain value or a distribution, with its basis.

Every number an analyst writes into a scenario is a judgment. It carries its *basis*: either
``source: {doc, quote}`` (a short verbatim passage from a cited document) or
``assumption: "…"`` (a named judgment that says why). Uncertain values are distributions::

    salience: {value: 0.8, source: {doc: cato, quote: "…"}}
    salience: {dist: triangular, low: 0.5, mode: 0.7, high: 0.9, assumption: "…"}
    salience: 0.8            # allowed, but a warning (error with --strict): no basis

The structural model here only checks types; parameter coherence (``low <= mode <= high``,
support inside the field's range) is checked by :mod:`detente.scenario.validate`, which knows
the field path and can report every problem at once.

Point value: ``value`` for a fixed number, the distribution's **mean** otherwise (documented
choice: ``detente forecast`` runs on means; ``detente simulate`` samples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

if TYPE_CHECKING:
    # numpy is imported inside the methods that compute with it (ppf, sample): validating a
    # scenario needs none of it, and `detente validate` has a 0.3 s start-up budget (issue 14).
    import numpy as np
    from numpy.typing import NDArray

DistName = Literal["triangular", "uniform", "truncnormal", "beta"]

#: the largest magnitude a number of a scenario may have (issue 21, item 3): the models multiply
#: a capability by a salience by a (squared) distance on the scale and sum over the actors, so
#: with every input within 1e100 no product or sum of theirs overflows a float (≈ 1.8e308)
MAX_MAGNITUDE = 1e100

#: parameters each distribution requires (and the only ones it accepts)
DIST_PARAMS: dict[str, tuple[str, ...]] = {
    "triangular": ("low", "mode", "high"),
    "uniform": ("low", "high"),
    "truncnormal": ("mean", "sd", "low", "high"),
    "beta": ("a", "b", "low", "high"),
}
_ALL_PARAMS = ("value", "low", "mode", "high", "mean", "sd", "a", "b")


class SourceRef(BaseModel):
    """A cited passage: ``doc`` is a source id, ``quote`` a short verbatim passage."""

    model_config = ConfigDict(extra="forbid")

    doc: str = Field(description="id of a document in the scenario's `sources`")
    quote: str = Field(description="a short passage found verbatim in that document")


class DataRef(BaseModel):
    """A number computed from a dataset: ``doc`` is a source id, ``computation`` says how."""

    model_config = ConfigDict(extra="forbid")

    doc: str = Field(description="id of a dataset in the scenario's `sources`")
    computation: str = Field(description="how the number was computed (function, filter, CI)")


class Based(BaseModel):
    """Mixin: the basis of a judgment."""

    source: SourceRef | list[SourceRef] | None = Field(
        default=None, description="the cited passage(s) supporting this value"
    )
    data: DataRef | None = Field(
        default=None, description="the dataset and computation this value was estimated from"
    )
    assumption: str | None = Field(
        default=None, description="a named judgment, saying why, where no passage supports it"
    )

    def has_basis(self) -> bool:
        return (
            self.source is not None
            or self.data is not None
            or bool(self.assumption and self.assumption.strip())
        )

    def sources(self) -> list[SourceRef]:
        if self.source is None:
            return []
        return self.source if isinstance(self.source, list) else [self.source]


class Quantity(Based):
    """A number in a scenario: fixed ``value`` or a distribution ``dist`` with its parameters."""

    model_config = ConfigDict(extra="forbid")

    value: float | None = Field(default=None, description="a fixed value")
    dist: DistName | None = Field(default=None, description="distribution family")
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    mean: float | None = None
    sd: float | None = None
    a: float | None = None
    b: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_number(cls, data: Any) -> Any:
        # A bare number is shorthand for {value: x} (with no basis: a warning later).
        if isinstance(data, bool):
            return data  # let the field validators reject it with a clear message
        if isinstance(data, int | float):
            return {"value": data}
        return data

    @property
    def varies(self) -> bool:
        """Whether it can take more than one value (not a fixed value, a zero-width
        distribution, or a truncated normal with ``sd: 0``) — what Monte Carlo samples."""
        if self.dist is None or (self.dist == "truncnormal" and not self.sd):
            return False
        lo, hi = self.support()
        return lo < hi

    def params(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in _ALL_PARAMS}

    def point(self) -> float:
        """The value, or the distribution's mean (see module docstring)."""
        if self.dist is None:
            assert self.value is not None
            return float(self.value)
        lo, hi = self.support()
        if lo == hi:
            return lo  # zero width: exactly the one possible value (as sample() draws it)
        if self.dist == "triangular":
            return (_f(self.low) + _f(self.mode) + _f(self.high)) / 3.0
        if self.dist == "uniform":
            return (_f(self.low) + _f(self.high)) / 2.0
        if self.dist == "truncnormal":
            if _f(self.sd) == 0.0:
                return _f(self.mean)
            return float(self._truncnorm().mean())
        # beta on [low, high]
        a, b = _f(self.a), _f(self.b)
        return lo + (hi - lo) * a / (a + b)

    def support(self) -> tuple[float, float]:
        """The smallest interval holding every possible value."""
        if self.dist is None:
            v = _f(self.value)
            return v, v
        if self.dist == "truncnormal":
            return _f(self.low), _f(self.high)
        if self.dist == "beta":
            return self._beta_bounds()
        return _f(self.low), _f(self.high)

    def ppf(self, u: NDArray[np.floating[Any]] | NDArray[np.float64]) -> NDArray[np.float64]:
        """The values at quantiles ``u`` in [0, 1] (the inverse CDF); fixed values repeat.

        Sampling, sensitivity designs and worldview comparisons all go through this one map, so
        the same uniform gives the same quantile of a judgment whatever the run: a worldview that
        shifts a distribution moves each of its draws a little, rather than reshuffling them.
        """
        import numpy as np
        from scipy import stats  # deferred: scipy.stats costs ~0.4 s at start-up

        uu = np.clip(np.asarray(u, dtype=np.float64), 0.0, 1.0)
        if not self.varies:
            return np.full(uu.shape, self.point())
        lo, hi = self.support()
        if self.dist == "uniform":
            return lo + (hi - lo) * uu
        if self.dist == "triangular":
            c = (_f(self.mode) - lo) / (hi - lo)
            return np.asarray(stats.triang.ppf(uu, c, loc=lo, scale=hi - lo), dtype=np.float64)
        if self.dist == "truncnormal":
            return np.asarray(self._truncnorm().ppf(uu), dtype=np.float64)
        a, b = _f(self.a), _f(self.b)
        return np.asarray(stats.beta.ppf(uu, a, b, loc=lo, scale=hi - lo), dtype=np.float64)

    def sample(self, rng: np.random.Generator, size: int) -> NDArray[np.float64]:
        """``size`` independent draws: uniforms from ``rng`` through :meth:`ppf`.

        A value that cannot vary is repeated without drawing from ``rng``.
        """
        import numpy as np

        if not self.varies:
            return np.full(size, self.point())
        return self.ppf(rng.random(size))

    def _beta_bounds(self) -> tuple[float, float]:
        lo = 0.0 if self.low is None else float(self.low)
        hi = 1.0 if self.high is None else float(self.high)
        return lo, hi

    def _truncnorm(self) -> Any:
        from scipy import stats

        mu, sd = _f(self.mean), _f(self.sd)
        lo, hi = _f(self.low), _f(self.high)
        return stats.truncnorm((lo - mu) / sd, (hi - mu) / sd, loc=mu, scale=sd)

    def describe(self) -> str:
        """A short human form: ``0.8`` or ``triangular(0.5, 0.7, 0.9)``."""
        if self.dist is None:
            return f"{_f(self.value):g}"
        args = ", ".join(
            f"{getattr(self, p):g}" for p in DIST_PARAMS[self.dist] if getattr(self, p) is not None
        )
        return f"{self.dist}({args})"

    def basis_text(self) -> str:
        """The basis as one line of text (for tables and reports)."""
        parts = [f'{s.doc}: "{s.quote}"' for s in self.sources()]
        if self.data is not None:
            parts.append(f"data {self.data.doc}: {self.data.computation}")
        if self.assumption:
            parts.append(f"assumption: {self.assumption}")
        return "; ".join(parts) if parts else "(no basis given)"


def _f(x: float | None) -> float:
    # Structural validation guarantees presence where this is used (checked in validate.py).
    assert x is not None
    return float(x)
