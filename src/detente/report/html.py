"""One self-contained HTML report of a scenario (rendering): question, forecasts, game, cruxes.

The file needs no network to view: plotly.js is embedded once (``plotly.offline.get_plotlyjs``),
the stylesheet is inline, and there is a ``@media print`` stylesheet so the browser's "Print"
gives a clean paper or PDF copy (``--format pdf`` drives headless Chromium's ``--print-to-pdf``).

Sections (each degrades to a short note when its component is absent, so any scenario works —
a KTAB CSV with no worldviews or game, the EC emission case, the Korea scenario):

1. the question, the sources, the actors and the issues;
2. a map of positions and saliences per issue (x = position, y = salience, bubble size =
   capability, anchors as labelled ticks);
3. forecasts per model with 5–95 % Monte Carlo intervals, per worldview;
4. round trajectories of dynamic models;
5. strategy × type × worldview outcomes as a heatmap (when the scenario has a ``game:``);
6. global sensitivity (Sobol total and first-order indices) of the crux forecast (or the first
   issue's) and, with a ``game:``, of a strategy comparison (the crux output when it is one,
   else P(talks within 12 months) for the default strategy pair);
7. the cruxes between two worldviews, with both sides' quotes;
8. the crux panel (with two worldviews and a game with scorecards): each reading's choice on
   each scorecard, the switch points and the Shapley shares of the gap, in sentences, each
   with the quotes behind the judgments it names in a collapsible ``<details>``.

Every figure is labelled in the scenario's words (actor names, issue labels, anchor labels).

This module renders only: every number comes from :func:`detente.report.data.report_data`
(which computes through :mod:`detente.analysis`); the page is the Jinja2 template
``templates/report.html.j2`` (autoescaped) with the stylesheet ``templates/style.css``, and the
plotly figures are built here and embedded with ``fig.to_html(full_html=False)``.
"""

from __future__ import annotations

import json
import math
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from detente.report.data import (
    ReportData,
    ReportOptions,
    Sobol,
    StrategyHeat,
    report_data,
)

if TYPE_CHECKING:
    import jinja2

    from detente.analysis.cruxes import Difference
    from detente.scenario.load import LoadedScenario
    from detente.scenario.schema import Scenario

__all__ = ["SECTIONS", "ReportOptions", "build_report", "render_report"]

SECTIONS = (
    ("question", "The question"),
    ("positions", "Positions and saliences"),
    ("forecasts", "Forecasts per model"),
    ("rounds", "Round trajectories"),
    ("strategies", "Strategies against target types"),
    ("sensitivity", "Sensitivity"),
    ("cruxes", "Cruxes"),
)

#: sections shown only when the scenario has what they need (scorecards; a ``record:``)
EXTRA_SECTIONS = (
    ("scorecards", "Scorecards"),
    ("hindcast", "Hindcast against the record"),
    ("panel", "Crux panel"),
)


def sections(d: ReportData) -> list[tuple[str, str]]:
    """The report's sections in order: the scorecards after the strategies, the hindcast
    before the cruxes and the crux panel after them, each only when there is something to show
    (so a report without them is unchanged)."""
    extra = dict(EXTRA_SECTIONS)
    out: list[tuple[str, str]] = []
    for sid, title in SECTIONS:
        if sid == "cruxes" and d.hindcast is not None:
            out.append(("hindcast", extra["hindcast"]))
        out.append((sid, title))
        if sid == "cruxes" and d.panel is not None:
            out.append(("panel", extra["panel"]))
        if sid == "strategies" and d.scorecards:
            out.append(("scorecards", extra["scorecards"]))
    return out


def _fmt(value: Any, spec: str) -> str:
    if isinstance(value, float) and math.isnan(value):
        return "—"
    return format(value, spec)


def _effect(value: Any) -> str:
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        return ""
    return f"{value:+.3f}"


def _by_path(differences: list[Difference]) -> dict[str, Difference]:
    return {d.path: d for d in differences}


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("detente.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )
    env.filters["fmt"] = _fmt
    env.filters["effect"] = _effect
    env.filters["by_path"] = _by_path
    return env


def _css() -> str:
    return files("detente.report").joinpath("templates", "style.css").read_text(encoding="utf-8")


class _Figures:
    """Collects plotly figures as divs; plotly.js itself is embedded once in the page."""

    def __init__(self) -> None:
        self.count = 0

    def div(self, fig: Any, height: int | None = None) -> str:
        self.count += 1
        if height is not None:
            fig.update_layout(height=height)
        fig.update_layout(
            template="plotly_white",
            margin={"l": 60, "r": 20, "t": 50, "b": 60},
            font={"family": "Georgia, serif", "size": 12},
        )
        body: str = fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=f"fig{self.count}",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="figure">{body}</div>'


# ----------------------------------------------------------------------------------- figures


def _anchor_axis(sc: Scenario, j: int) -> dict[str, Any]:
    scale = sc.issues[j].scale
    axis: dict[str, Any] = {
        "range": [
            scale.min - 0.03 * (scale.max - scale.min),
            scale.max + 0.03 * (scale.max - scale.min),
        ]
    }
    if scale.anchors:
        points = sorted(scale.anchors)
        axis["tickvals"] = points
        axis["ticktext"] = [_wrap(f"{p:g}: {scale.anchors[p]}", 18) for p in points]
    return axis


def _wrap(text: str, width: int) -> str:
    words, lines, cur = text.split(), [], ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}".strip()
    lines.append(cur)
    return "<br>".join(lines)


def _position_figures(d: ReportData, figs: _Figures) -> list[str]:
    import numpy as np
    import plotly.graph_objects as go

    out = []
    for pm in d.positions:
        fig = go.Figure(
            go.Scatter(
                x=pm.position,
                y=pm.salience,
                mode="markers+text",
                text=pm.names,
                textposition="top center",
                marker={"size": np.asarray(pm.size), "opacity": 0.6},
                hovertemplate="%{text}<br>position %{x:.1f}<br>salience %{y:.2f}<extra></extra>",
            )
        )
        if pm.status_quo is not None:
            fig.add_vline(x=pm.status_quo, line_dash="dot", annotation_text="status quo")
        fig.update_layout(
            title=pm.label,
            xaxis={"title": "position", **_anchor_axis(d.scenario, pm.issue)},
            yaxis={"title": "salience", "range": [0, 1.12]},
            showlegend=False,
        )
        out.append(figs.div(fig, height=430))
    return out


def _forecast_figures(d: ReportData, figs: _Figures) -> list[str]:
    import html

    import plotly.graph_objects as go

    df = d.forecasts.frame
    if df.empty:
        return []
    out = []
    for j, issue in enumerate(d.scenario.issues):
        sub = df[df.issue == issue.label]
        fig = go.Figure()
        for wv in dict.fromkeys(sub.worldview):
            w = sub[sub.worldview == wv]
            fig.add_trace(
                go.Scatter(
                    y=w.model,
                    x=w["mean"],
                    mode="markers",
                    name=str(wv),
                    error_x={
                        "type": "data",
                        "symmetric": False,
                        "array": (w.p95 - w["mean"]).to_numpy(),
                        "arrayminus": (w["mean"] - w.p05).to_numpy(),
                    },
                    marker={"size": 10},
                    hovertemplate="%{y}: %{x:.1f}<extra>"
                    + html.escape(str(wv), quote=True)
                    + "</extra>",
                )
            )
        fig.update_layout(
            title=f"{issue.label}: forecast, mean and 5–95 % interval ({d.draws} draws)",
            xaxis={"title": "forecast", **_anchor_axis(d.scenario, j)},
            yaxis={"title": "model", "type": "category"},
            legend_title="worldview",
        )
        out.append(figs.div(fig, height=220 + 40 * len(d.models)))
    return out


def _round_figures(d: ReportData, figs: _Figures) -> list[str]:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    sc = d.scenario
    out = []
    names = {a.id: a.name for a in sc.actors}
    for model, frame in d.forecasts.rounds.items():
        k = len(sc.issues)
        fig = make_subplots(
            rows=k,
            cols=1,
            subplot_titles=[i.label for i in sc.issues],
            vertical_spacing=0.35 / max(k, 1),
        )
        for j, issue in enumerate(sc.issues):
            sub = frame[frame.issue == issue.id]
            for actor in dict.fromkeys(sub.actor):
                a = sub[sub.actor == actor]
                fig.add_trace(
                    go.Scatter(
                        x=a["round"],
                        y=a.position,
                        mode="lines+markers",
                        name=names.get(actor, actor),
                        legendgroup=actor,
                        showlegend=j == 0,
                    ),
                    row=j + 1,
                    col=1,
                )
            fig.update_yaxes(
                title_text="position",
                row=j + 1,
                col=1,
                **{
                    k_: v
                    for k_, v in _anchor_axis(sc, j).items()
                    if k_ != "ticktext" and k_ != "tickvals"
                },
            )
        fig.update_xaxes(title_text="round", dtick=1)
        fig.update_layout(title=f"{model}: positions round by round (state 0 = the input)")
        out.append(figs.div(fig, height=260 * k + 80))
    return out


def _strategy_figure(heat: StrategyHeat, episodes: int, figs: _Figures) -> str:
    import numpy as np
    import plotly.graph_objects as go

    fig = go.Figure(
        go.Heatmap(
            z=heat.z,
            x=[f"{wv}<br>{t}" for wv, t in heat.columns],
            y=heat.strategies,
            colorscale="Blues",
            text=np.round(heat.z, 2),
            texttemplate="%{text}",
            zmin=0,
            zmax=1,
            colorbar={"title": heat.metric},
        )
    )
    fig.update_layout(
        title=f"{heat.label} ({heat.metric}): strategy × target type × worldview "
        f"({episodes} episodes each)",
        xaxis={"side": "top"},
    )
    return figs.div(fig, height=140 + 42 * len(heat.strategies))


def _sobol_chart(res: Any, title: str, figs: _Figures) -> str:
    """Total and first-order Sobol indices of the 12 largest total effects, with intervals."""
    import plotly.graph_objects as go

    top = res.table.head(12).iloc[::-1]
    fig = go.Figure()
    for key, name in (("ST", "total (ST)"), ("S1", "first order (S1)")):
        fig.add_trace(
            go.Bar(
                y=top.label,
                x=top[key],
                orientation="h",
                name=name,
                error_x={"type": "data", "array": top[f"{key}_conf"].to_numpy()},
            )
        )
    fig.update_layout(
        barmode="group",
        title=title,
        xaxis={"title": "share of variance"},
        yaxis={"automargin": True},
    )
    return figs.div(fig, height=180 + 46 * len(top))


def _forecast_sobol(s: Sobol, figs: _Figures) -> str:
    res = s.result
    title = (
        f"Sobol indices: {res.output.describe()} — {s.model}, "
        f"worldview {s.worldview} ({res.n_evaluations} evaluations)"
    )
    return _sobol_chart(res, title, figs)


def render_game_sensitivity(s: Sobol | None, figs: _Figures) -> str:
    """The strategy game's Sobol chart with its note ("" for None)."""
    from markupsafe import Markup

    if s is None:
        return ""
    res = s.result
    title = (
        f"Sobol indices: {res.output.describe()}, worldview {s.worldview} "
        f"({res.n_evaluations} design rows × {s.episodes} episodes)"
    )
    figure = Markup(_sobol_chart(res, title, figs))
    return _environment().get_template("game_sensitivity.html.j2").render(g=s, figure=figure)


# ----------------------------------------------------------------------------------- the page


def render_report(d: ReportData) -> str:
    """The report as one HTML string (self-contained: plotly.js and CSS inline)."""
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    figs = _Figures()

    def safe(parts: list[str]) -> list[Markup]:
        return [Markup(p) for p in parts]

    rendered: dict[str, Any] = {
        "positions": safe(_position_figures(d, figs)),
        "forecasts": safe(_forecast_figures(d, figs)),
        "rounds": safe(_round_figures(d, figs)),
        "strategies": safe([_strategy_figure(h, d.episodes, figs) for h in d.strategies or []]),
        "sensitivity": Markup(
            _forecast_sobol(d.sensitivity.forecast, figs) if d.sensitivity.forecast else ""
        ),
        "game_sensitivity": Markup(render_game_sensitivity(d.sensitivity.game, figs)),
    }
    from detente.analysis.calibration import CAVEAT, LABEL

    points = d.forecasts.points
    frame = d.forecasts.frame
    cols = ["issue", "model", "worldview", "p05", "p95", "deu_lo", "deu_hi"]
    intervals: dict[tuple[str, str, str], tuple[float, float, float, float]] = {
        (str(i), str(m), str(w)): (float(a), float(b), float(lo), float(hi))
        for i, m, w, a, b, lo, hi in (frame[cols].to_numpy(dtype=object) if not frame.empty else [])
    }
    nan = float("nan")
    meta = json.dumps(
        {
            "scenario": d.scenario.id,
            "worldviews": d.worldviews,
            "models": [m.name for m in d.models],
            "draws": d.draws,
            "seed": d.seed,
            "sha256": d.sha256,
        }
    )
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            d=d,
            figs=rendered,
            sections=sections(d),
            titles=dict((*SECTIONS, *EXTRA_SECTIONS)),
            points=[
                (
                    i,
                    m,
                    [
                        (v, *intervals.get((str(i), str(m), str(c)), (nan, nan, nan, nan)))
                        for c, v in zip(points.columns, r, strict=True)
                    ],
                )
                for (i, m), r in zip(points.index, points.to_numpy(), strict=True)
            ],
            calibration_label=LABEL,
            calibration_caveat=CAVEAT,
            meta=meta,
            css=Markup(_css()),
            plotlyjs=Markup(get_plotlyjs()),
        )
    )


def build_report(loaded: LoadedScenario, opts: ReportOptions) -> str:
    """The report of ``loaded`` as one HTML string: :func:`report_data`, then
    :func:`render_report` (``opts`` is not changed)."""
    return render_report(report_data(loaded, opts))
