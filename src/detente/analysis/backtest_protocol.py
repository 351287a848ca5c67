"""The pre-registered protocol that tries to beat the weighted mean on DEU data.

The protocol is fixed in ``docs/backtest.md`` ("Protocol: beat the weighted mean"): split the
proposals in two (seeded), fit each of four candidate forecasters' one parameter (or pair) on
the fit part by grid search on MAE, score it once on the test part, and compare it with the
weighted mean by a paired difference with a proposal-clustered bootstrap interval over the test
proposals. This module owns the candidates (:func:`protocol_candidates`), the split
(:func:`split_proposals`) and the run (:func:`run_protocol`, returning a
:class:`ProtocolResult`). The weighted mean and median are the models' own
(:mod:`detente.models._weights`); the median takes the lower position of an exact 50/50 split.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from detente.analysis.scoring import (
    PairedDifference,
    bootstrap_counts,
    masked_mae,
    paired_difference,
    rounded,
)
from detente.models._weights import weighted_mean, weighted_median
from detente.models.base import FloatArray
from detente.scenario.deu import DeuData, capabilities


@dataclass(frozen=True)
class _IssueArrays:
    """Per-issue inputs the candidates need, computed once."""

    position: list[FloatArray]
    salience: list[FloatArray]
    capability: list[FloatArray]
    is_ep: list[NDArray[np.bool_]]
    procedure: list[str]
    reference: FloatArray
    outcome: FloatArray


def _issue_arrays(data: DeuData, capability: str) -> _IssueArrays:
    pos, sal, cap, ep, proc = [], [], [], [], []
    for prop in data.proposals:
        for iss in prop.issues:
            pos.append(iss.position)
            sal.append(iss.salience)
            cap.append(capabilities(data, prop, iss.actors, capability))
            ep.append(np.array([a == "ep" for a in iss.actors]))
            proc.append(prop.procedure.upper())
    return _IssueArrays(
        pos,
        sal,
        cap,
        ep,
        proc,
        np.array([i.reference for i in data.issues]),
        np.array([i.outcome for i in data.issues]),
    )


def _means(arr: _IssueArrays, exponent: float = 1.0, drop_ep_cns: bool = False) -> FloatArray:
    out = np.empty(len(arr.position))
    for n, (x, s, c, ep, proc) in enumerate(
        zip(arr.position, arr.salience, arr.capability, arr.is_ep, arr.procedure, strict=True)
    ):
        w = c * s**exponent if exponent != 0 else c.copy()
        if drop_ep_cns and proc == "CNS":
            w = np.where(ep, 0.0, w)
        out[n] = float(weighted_mean(x, w))
    return out


def _gravity(reference: FloatArray, base: FloatArray, w: float) -> FloatArray:
    return np.where(np.isnan(reference), base, w * reference + (1 - w) * base)


@dataclass(frozen=True)
class Candidate:
    """A family of forecasts indexed by a parameter grid (the grid's first point is tried first)."""

    name: str
    description: str
    grid: tuple[Any, ...]
    predict: Callable[[Any], FloatArray]


def protocol_candidates(arr: _IssueArrays) -> list[Candidate]:
    """The four candidates fixed in the protocol of docs/backtest.md."""
    mean = _means(arr)
    median = np.array(
        [
            float(weighted_median(x, c * s, ties="lower"))
            for x, s, c in zip(arr.position, arr.salience, arr.capability, strict=True)
        ]
    )
    w_grid = tuple(round(0.05 * i, 2) for i in range(21))
    a_grid = tuple(0.25 * i for i in range(17))
    mean_ep = _means(arr, drop_ep_cns=True)
    cns = np.array([p == "CNS" for p in arr.procedure])
    means_by_a = {a: _means(arr, exponent=a) for a in a_grid}

    def proc_aware(params: tuple[float, float]) -> FloatArray:
        w_cod, w_cns = params
        return np.where(
            cns, _gravity(arr.reference, mean_ep, w_cns), _gravity(arr.reference, mean_ep, w_cod)
        )

    return [
        Candidate(
            "rp-gravity",
            "w·rp + (1−w)·weighted mean",
            w_grid,
            lambda w: _gravity(arr.reference, mean, w),
        ),
        Candidate(
            "salience-exponent",
            "weights capability·salience^a",
            (1.0, *[a for a in a_grid if a != 1.0]),
            lambda a: means_by_a[a],
        ),
        Candidate(
            "mean-median-blend",
            "λ·weighted mean + (1−λ)·weighted median",
            tuple(reversed(w_grid)),
            lambda lam: lam * mean + (1 - lam) * median,
        ),
        Candidate(
            "procedure-aware",
            "EP weight 0 under CNS; rp-gravity w per procedure (COD, CNS)",
            tuple((a, b) for a in w_grid for b in w_grid),
            proc_aware,
        ),
    ]


def split_proposals(n_proposals: int, seed: int) -> NDArray[np.bool_]:
    """Boolean mask over proposals: True = fit part (the first ⌊P/2⌋ after a seeded shuffle)."""
    order = np.random.default_rng(seed).permutation(n_proposals)
    fit = np.zeros(n_proposals, dtype=bool)
    fit[order[: n_proposals // 2]] = True
    return fit


@dataclass(frozen=True)
class CandidateResult:
    """One candidate: its parameter fitted on the fit part, and its score on the test part."""

    name: str
    description: str
    parameter: Any  # a grid point: a float, or a (COD, CNS) pair for procedure-aware
    fit_mae: float
    test_mae: float
    difference: PairedDifference  # test MAE(candidate) - MAE(weighted mean)

    @property
    def verdict(self) -> str:
        """Whether the candidate beats the weighted mean on the test part (interval below 0)."""
        if self.difference.difference < 0 and self.difference.ci95[1] < 0:
            return "beats the weighted mean"
        if self.difference.difference < 0:
            return "not distinguishable (lower MAE, interval includes 0)"
        return "does not beat the weighted mean"

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "parameter": list(self.parameter)
            if isinstance(self.parameter, tuple)
            else self.parameter,
            "fit_mae": rounded(self.fit_mae),
            "test_mae": rounded(self.test_mae),
            "test_difference": rounded(self.difference.difference),
            "test_difference_ci95": [
                rounded(self.difference.ci95[0]),
                rounded(self.difference.ci95[1]),
            ],
            "verdict": self.verdict,
        }


@dataclass(frozen=True)
class ProtocolResult:
    """The protocol's split, the weighted mean's MAE on each part, and every candidate."""

    seed: int
    capability: str
    fit_proposals: int
    test_proposals: int
    fit_issues: int
    test_issues: int
    mean_fit_mae: float
    mean_test_mae: float
    candidates: tuple[CandidateResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "capability": self.capability,
            "fit_proposals": self.fit_proposals,
            "test_proposals": self.test_proposals,
            "fit_issues": self.fit_issues,
            "test_issues": self.test_issues,
            "weighted_mean": {
                "fit_mae": rounded(self.mean_fit_mae),
                "test_mae": rounded(self.mean_test_mae),
            },
            "candidates": {c.name: c.to_dict() for c in self.candidates},
        }


def run_protocol(
    data: DeuData, capability: str = "equal", seed: int = 0, n_boot: int = 2000
) -> ProtocolResult:
    """The pre-registered attempt to beat the weighted mean (protocol in docs/backtest.md).

    Split proposals (seeded), fit each candidate's parameter on the fit part by grid search on
    MAE, score once on the test part, and compare with the weighted mean by a paired difference
    with a proposal-clustered bootstrap interval over the test proposals.
    """
    arr = _issue_arrays(data, capability)
    cluster = data.proposal_of_issue()
    fit_prop = split_proposals(len(data.proposals), seed)
    baseline = _means(arr)
    valid = np.isfinite(baseline)
    fit_mask = fit_prop[cluster] & valid
    test_mask = ~fit_prop[cluster] & valid
    # Test-part bootstrap: resample test proposals only (a fit-part proposal gets count 0).
    test_ids = np.flatnonzero(~fit_prop)
    counts = np.zeros((n_boot, len(data.proposals)))
    counts[:, test_ids] = bootstrap_counts(len(test_ids), n_boot, seed)
    outcome = arr.outcome
    base_test = np.where(test_mask, baseline, np.nan)
    results = []
    for cand in protocol_candidates(arr):
        best, best_mae = cand.grid[0], math.inf
        for p in cand.grid:
            m = masked_mae(cand.predict(p), outcome, fit_mask)
            if m < best_mae - 1e-12:
                best, best_mae = p, m
        pred = cand.predict(best)
        diff = paired_difference(
            cand.name,
            np.where(test_mask, pred, np.nan),
            "weighted-mean",
            base_test,
            outcome,
            cluster,
            counts,
        )
        results.append(
            CandidateResult(
                cand.name,
                cand.description,
                best,
                best_mae,
                masked_mae(pred, outcome, test_mask),
                diff,
            )
        )
    return ProtocolResult(
        seed=seed,
        capability=capability,
        fit_proposals=int(fit_prop.sum()),
        test_proposals=int((~fit_prop).sum()),
        fit_issues=int(fit_mask.sum()),
        test_issues=int(test_mask.sum()),
        mean_fit_mae=masked_mae(baseline, outcome, fit_mask),
        mean_test_mae=masked_mae(baseline, outcome, test_mask),
        candidates=tuple(results),
    )
