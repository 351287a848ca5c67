"""Shares (Dirichlet) and declared rank correlations (Gaussian copula): the draws' sums, means,
rank correlations and marginals against the declared values; validation of impossible groups;
grouped Sobol indices against the closed form of a linear model with correlated Gaussian
inputs; determinism across workers."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from detente.scenario.errors import InputError
from detente.scenario.load import LoadedScenario, parse_yaml, with_worldview
from detente.scenario.quantity import Quantity
from detente.uncertainty.dependence import (
    CopulaSpec,
    Dependence,
    SharesSpec,
    dirichlet_values,
    scenario_dependence,
)
from detente.uncertainty.sampling import Parameter, sample_values, uncertain_parameters

A = "an assumption for the test"
N = 20_000


def _doc() -> dict[str, Any]:
    def stance(pos: Any, sal: Any) -> dict[str, Any]:
        return {"position": pos, "salience": sal}

    tri = {"dist": "triangular", "low": 10, "mode": 30, "high": 90, "assumption": A}
    uni = {"dist": "uniform", "low": 20, "high": 80, "assumption": A}
    beta = {"dist": "beta", "a": 2, "b": 5, "low": 0, "high": 1, "assumption": A}
    return {
        "detente": 1,
        "id": "dep",
        "title": "dependence test",
        "issues": [{"id": "x", "label": "X", "scale": {"min": 0, "max": 100}}],
        "actors": [
            {
                "id": "a",
                "name": "A",
                "capability": {"value": 0.5, "assumption": A},
                "stances": {"x": stance(tri, {"value": 0.5, "assumption": A})},
            },
            {
                "id": "b",
                "name": "B",
                "capability": {"value": 0.3, "assumption": A},
                "stances": {"x": stance(uni, beta)},
            },
            {
                "id": "c",
                "name": "C",
                "capability": {"value": 0.2, "assumption": A},
                "stances": {
                    "x": stance({"value": 60, "assumption": A}, {"value": 1, "assumption": A})
                },
            },
        ],
        "shares": [
            {
                "id": "power",
                "paths": ["actors.a.capability", "actors.b.capability", "actors.c.capability"],
                "concentration": {"value": 30, "assumption": A},
            }
        ],
        "correlations": [
            {
                "id": "pull",
                "paths": [
                    "actors.a.stances.x.position",
                    "actors.b.stances.x.position",
                    "actors.b.stances.x.salience",
                ],
                "spearman": [
                    {
                        "between": ["actors.a.stances.x.position", "actors.b.stances.x.position"],
                        "spearman": {"value": 0.6, "assumption": A},
                    },
                    {
                        "between": ["actors.b.stances.x.position", "actors.b.stances.x.salience"],
                        "spearman": {"value": -0.4, "assumption": A},
                    },
                ],
            }
        ],
        "worldviews": [
            {
                "id": "tight",
                "label": "tight",
                "assumption": A,
                "overrides": [
                    {
                        "path": "shares.power.concentration",
                        "value": {"value": 300, "assumption": A},
                    },
                    {
                        "path": "correlations.pull.spearman",
                        "value": {"value": 0.3, "assumption": A},
                    },
                ],
            }
        ],
    }


def _load(doc: dict[str, Any]) -> LoadedScenario:
    return parse_yaml(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), "dep.yaml")


@pytest.fixture(scope="module")
def dep() -> LoadedScenario:
    return _load(_doc())


def _draws(sc: Any, n: int = N, seed: int = 3) -> tuple[list[Parameter], np.ndarray]:
    params = uncertain_parameters(sc)
    return params, sample_values(params, seed, 0, n, scenario_dependence(sc))


def test_shares_sum_to_one_with_the_declared_means_and_marginals(dep: LoadedScenario) -> None:
    params, x = _draws(dep.scenario)
    paths = [p.path for p in params]
    cols = [paths.index(f"actors.{a}.capability") for a in "abc"]
    shares = x[:, cols]
    assert np.all(shares > 0)
    assert np.max(np.abs(shares.sum(axis=1) - 1.0)) < 1e-12
    kappa, means = 30.0, np.array([0.5, 0.3, 0.2])
    sd = np.sqrt(means * (1 - means) / (kappa + 1))  # Dirichlet component sd
    assert np.all(np.abs(shares.mean(axis=0) - means) < 4 * sd / math.sqrt(N))
    assert np.all(np.abs(shares.std(axis=0) - sd) < 0.05 * sd)
    for c, m in zip(cols, means, strict=True):
        ks = stats.kstest(x[:, c], stats.beta(kappa * m, kappa * (1 - m)).cdf)
        assert ks.pvalue > 1e-3
        # the parameter's distribution is that marginal (provenance, sensitivity)
        assert params[c].quantity.describe() == f"beta({kappa * m:g}, {kappa * (1 - m):g}, 0, 1)"
    # the pair of shares is negatively dependent, as a Dirichlet's components are
    assert np.corrcoef(shares[:, 0], shares[:, 1])[0, 1] < -0.3


def test_copula_keeps_marginals_and_gives_the_declared_rank_correlations(
    dep: LoadedScenario,
) -> None:
    params, x = _draws(dep.scenario)
    paths = [p.path for p in params]
    a = x[:, paths.index("actors.a.stances.x.position")]
    b = x[:, paths.index("actors.b.stances.x.position")]
    s = x[:, paths.index("actors.b.stances.x.salience")]
    se = 1.0 / math.sqrt(N)  # the rank correlation's sampling sd is below 1/√n
    assert abs(stats.spearmanr(a, b).statistic - 0.6) < 4 * se
    assert abs(stats.spearmanr(b, s).statistic + 0.4) < 4 * se
    # the unlisted pair: its normal correlation is 0 in the copula (a and s independent given
    # nothing else — the matrix's (a, s) entry is 0)
    assert abs(stats.spearmanr(a, s).statistic) < 4 * se
    assert stats.kstest(a, stats.triang(c=(30 - 10) / 80, loc=10, scale=80).cdf).pvalue > 1e-3
    assert stats.kstest(b, stats.uniform(loc=20, scale=60).cdf).pvalue > 1e-3
    assert stats.kstest(s, stats.beta(2, 5).cdf).pvalue > 1e-3


def test_a_worldview_overrides_the_groups(dep: LoadedScenario) -> None:
    sc = with_worldview(dep, "tight")
    params, x = _draws(sc)
    paths = [p.path for p in params]
    a = x[:, paths.index("actors.a.stances.x.position")]
    b = x[:, paths.index("actors.b.stances.x.position")]
    s = x[:, paths.index("actors.b.stances.x.salience")]
    se = 1.0 / math.sqrt(N)
    for u, v in ((a, b), (b, s), (a, s)):  # one rank correlation for every pair now
        assert abs(stats.spearmanr(u, v).statistic - 0.3) < 4 * se
    share = x[:, paths.index("actors.a.capability")]
    assert abs(share.std() - math.sqrt(0.25 / 301)) < 0.05 * math.sqrt(0.25 / 301)


def test_without_groups_the_draws_are_unchanged(dep: LoadedScenario) -> None:
    doc = _doc()
    del doc["shares"], doc["correlations"], doc["worldviews"]
    sc = _load(doc).scenario
    params = uncertain_parameters(sc)
    x = sample_values(params, 5, 0, 3000, scenario_dependence(sc))
    # exactly the independent sampler: each path's uniforms through its own inverse CDF
    from detente.uncertainty.sampling import path_uniforms

    u = path_uniforms([p.path for p in params], 5, 0, 3000)
    expected = np.column_stack([p.quantity.ppf(u[:, c]) for c, p in enumerate(params)])
    assert np.array_equal(x, expected)
    # and a group's first member keeps its own quantiles (L's first row is (1, 0, …))
    params_g, xg = _draws(dep.scenario, n=3000, seed=5)
    first = [p.path for p in params_g].index("actors.a.stances.x.position")
    col = [p.path for p in params].index("actors.a.stances.x.position")
    assert np.allclose(xg[:, first], x[:, col], rtol=0, atol=1e-9)


def test_draws_do_not_depend_on_the_range_asked_for(dep: LoadedScenario) -> None:
    params = uncertain_parameters(dep.scenario)
    d = scenario_dependence(dep.scenario)
    whole = sample_values(params, 9, 0, 3000, d)
    assert np.array_equal(whole[1000:2500], sample_values(params, 9, 1000, 2500, d))


def test_dirichlet_never_divides_zero_by_zero() -> None:
    # tiny shapes and tiny uniforms underflow the gamma quantile to 0 for every member
    u = np.array([[1e-300, 1e-290, 1e-280], [0.5, 0.5, 0.5], [0.0, 0.0, 0.0]])
    x = dirichlet_values(u, (0.01, 0.01, 0.01))
    assert np.all(np.isfinite(x))
    assert np.allclose(x.sum(axis=1), 1.0, rtol=0, atol=1e-12)


# ---------------------------------------------------------------------------- validation


def _errors(doc: dict[str, Any]) -> str:
    with pytest.raises(InputError) as exc:
        _load(doc)
    return str(exc.value)


def test_impossible_groups_are_refused_where_they_are() -> None:
    doc = _doc()
    doc["shares"][0]["paths"][2] = "actors.c.stances.x.salience"  # 0.5 + 0.3 + 1
    assert "shares.power.paths: the shares must sum to 1 (got 1.8)" in _errors(doc)

    doc = _doc()
    doc["shares"][0]["paths"].append("actors.zz.capability")
    assert "actors.zz.capability is not an actors.* or issues.* number" in _errors(doc)

    doc = _doc()
    doc["correlations"][0]["paths"].append("actors.a.capability")
    assert "already in group 'power' (overlap)" in _errors(doc)

    doc = _doc()
    doc["actors"][0]["capability"] = {"dist": "uniform", "low": 0.4, "high": 0.6, "assumption": A}
    assert "write its mean as a fixed value" in _errors(doc)

    doc = _doc()
    doc["correlations"][0]["paths"].append("actors.c.stances.x.position")  # a fixed value
    assert "a correlation needs distributions that vary" in _errors(doc)

    doc = _doc()
    doc["correlations"][0]["spearman"] = {"value": 1.0, "assumption": A}
    assert "correlations.pull.spearman: must be a fixed value in (-1, 1)" in _errors(doc)

    doc = _doc()  # three pairwise -0.7: no joint distribution has them
    doc["correlations"][0]["spearman"] = {"value": -0.7, "assumption": A}
    msg = _errors(doc)
    assert "correlations.pull.spearman: these rank correlations are not jointly possible" in msg
    assert "dep.yaml:" in msg  # located in the file

    doc = _doc()  # a worldview that breaks the sum is refused at its override
    doc["worldviews"][0]["overrides"].append(
        {"path": "actors.a.capability", "value": {"value": 0.6, "assumption": A}}
    )
    assert "after worldview 'tight'" in _errors(doc)
    assert "must sum to 1" in _errors(doc)


def test_game_numbers_are_declared_in_the_game(korea: LoadedScenario) -> None:
    raw = copy.deepcopy(korea.raw)
    raw["correlations"] = [
        {
            "id": "x",
            "paths": ["game.types.reciprocator.p_talk", "game.types.reciprocator.p_test"],
            "spearman": {"value": 0.3, "assumption": A},
        }
    ]
    with pytest.raises(InputError) as exc:
        parse_yaml(yaml.safe_dump(raw, allow_unicode=True), "k.yaml")
    assert "game.* numbers are declared under game:" in str(exc.value)


# ------------------------------------------------------------------- grouped Sobol indices


def _normal(sd: float) -> Quantity:
    # a normal in effect: truncated at ±12 sd, which moves nothing at double precision
    return Quantity(dist="truncnormal", mean=0.0, sd=sd, low=-12 * sd, high=12 * sd)


@pytest.mark.parametrize("rho_s", [0.7, -0.5])
def test_grouped_sobol_matches_the_closed_form_for_correlated_gaussians(rho_s: float) -> None:
    """Y = β·X with X ~ N(0, Σ), (X1, X2) correlated, X3 independent: the group's first-order
    and total index is Var(β1X1 + β2X2)/Var(Y) and X3's is β3²σ3²/Var(Y) (the groups are
    independent and Y additive across them). The same model's Shapley effects split the group's
    share by Owen & Prieur (2017)'s formula; the test checks the grouped indices, which is what
    `sensitivity` reports."""
    from detente.analysis.sensitivity import analyze, sample

    beta, sd = np.array([1.0, 2.0, 1.5]), np.array([1.0, 0.5, 1.0])
    r = 2 * math.sin(math.pi * rho_s / 6)
    params = [Parameter.of(f"x{i}", f"x{i}", _normal(s)) for i, s in enumerate(sd)]
    dep = Dependence(
        copulas=(
            CopulaSpec(
                "g",
                ("x0", "x1"),
                ((1.0, rho_s), (rho_s, 1.0)),
                ((1.0, 0.0), (r, math.sqrt(1 - r * r))),
            ),
        )
    )
    design = sample(params, "sobol", n=4096, seed=2, dependence=dep)
    assert design.n_evaluations == 4096 * (2 + 2)  # two factors, not three parameters
    y = design.values @ beta
    # the design's values have the declared correlation (copula + normal marginals)
    assert abs(np.corrcoef(design.values[:, 0], design.values[:, 1])[0, 1] - r) < 0.03
    var_g = (
        (beta[0] * sd[0]) ** 2 + (beta[1] * sd[1]) ** 2 + 2 * r * beta[0] * beta[1] * sd[0] * sd[1]
    )
    var = var_g + (beta[2] * sd[2]) ** 2
    table = analyze(design, y).set_index("path")
    assert list(table.index) == ["g", "x2"] or list(table.index) == ["x2", "g"]
    for factor, expected in (("g", var_g / var), ("x2", (beta[2] * sd[2]) ** 2 / var)):
        for col in ("S1", "ST"):
            assert abs(table.loc[factor, col] - expected) < 0.03, (factor, col, table)
    assert table.loc["g", "label"] == "correlated: x0 + x1"


def test_morris_is_refused_with_dependent_inputs() -> None:
    from detente.analysis.sensitivity import sample

    params = [Parameter.of(f"x{i}", f"x{i}", _normal(1.0)) for i in range(3)]
    dep = Dependence(shares=(SharesSpec("s", ("x0", "x1"), (0.5, 0.5), 10.0),))
    with pytest.raises(ValueError, match="morris assumes independent inputs"):
        sample(params, "morris", n=4, dependence=dep)
    sample(params, "morris", n=4)  # independent: fine


# ----------------------------------------------------------------------------- determinism


def test_pool_and_ray_draw_the_same_bytes(dep: LoadedScenario) -> None:
    from detente.uncertainty.runner import Job, simulate

    job = Job(scenario=dep.scenario, model="median", seed=4, draws=5000)
    one = simulate(job, workers=1)
    two = simulate(job, workers=2, min_draws_per_worker=0)
    assert two.workers_used == 2
    assert one.inputs.tobytes() == two.inputs.tobytes()
    assert one.outcome.tobytes() == two.outcome.tobytes()


@pytest.mark.ray
def test_ray_draws_the_same_bytes(dep: LoadedScenario) -> None:
    pytest.importorskip("ray")
    from detente.uncertainty.runner import Job, simulate

    job = Job(scenario=dep.scenario, model="median", seed=4, draws=3000)
    one = simulate(job, workers=1)
    ray = simulate(job, backend="ray", workers=2)
    assert one.inputs.tobytes() == ray.inputs.tobytes()
    assert one.outcome.tobytes() == ray.outcome.tobytes()


def test_simulate_writes_the_groups_in_provenance(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from detente.cli import app

    path = tmp_path / "dep.yaml"
    path.write_text(yaml.safe_dump(_doc(), sort_keys=False), encoding="utf-8")
    out = tmp_path / "out"
    args = ["simulate", str(path), "--model", "median", "--draws", "2000", "--seed", "4"]
    res = CliRunner().invoke(app, [*args, "--out", str(out), "--format", "json"])
    assert res.exit_code == 0, res.output
    prov = (out / "provenance.json").read_text()
    assert '"dependence"' in prov and '"correlations.pull"' in prov


def test_the_positive_definite_check_is_numpys() -> None:
    """validate's plain-Python Cholesky test (no numpy at start-up) agrees with numpy's."""
    from detente.scenario.validate import _positive_definite

    rng = np.random.default_rng(0)
    for _ in range(500):
        k = int(rng.integers(2, 6))
        a = rng.uniform(-1, 1, (k, k))
        r = (a + a.T) / 2
        np.fill_diagonal(r, 1.0)
        try:
            np.linalg.cholesky(r)
            expected = True
        except np.linalg.LinAlgError:
            expected = False
        assert _positive_definite(r.tolist()) == expected
