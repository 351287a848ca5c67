"""One self-contained HTML report of a scenario: question, positions, forecasts, game, cruxes.

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
7. the cruxes between two worldviews, with both sides' quotes.

Every figure is labelled in the scenario's words (actor names, issue labels, anchor labels).
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from detente.scenario.load import LoadedScenario, with_worldview
from detente.scenario.schema import Scenario

CSS = """
:root { --ink:#1d2330; --muted:#5b6475; --rule:#d9dde5; --accent:#2b5d9b; }
* { box-sizing: border-box; }
body { font-family: Georgia, 'Times New Roman', serif; color: var(--ink); margin: 0;
       line-height: 1.45; background: #fafbfc; }
main { max-width: 1100px; margin: 0 auto; padding: 2rem 1.5rem 4rem; background: #fff; }
h1 { font-size: 1.8rem; margin: 0 0 .3rem; }
h2 { font-size: 1.3rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem;
     margin-top: 2.4rem; }
h3 { font-size: 1.05rem; margin-top: 1.4rem; }
p.question { font-size: 1.15rem; font-style: italic; }
p.note { color: var(--muted); background: #f3f5f8; border-left: 3px solid var(--rule);
         padding: .5rem .8rem; }
table { border-collapse: collapse; width: 100%; font-size: .88rem; margin: .6rem 0; }
th, td { border-bottom: 1px solid var(--rule); padding: .3rem .45rem; text-align: left;
         vertical-align: top; }
th { background: #f3f5f8; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
blockquote { margin: .2rem 0; padding: .2rem .6rem; border-left: 3px solid var(--accent);
             color: #333; font-size: .88rem; }
.crux { border: 1px solid var(--rule); border-radius: 4px; padding: .6rem .9rem;
        margin: .8rem 0; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
.figure { margin: .8rem 0; page-break-inside: avoid; }
nav ol { columns: 2; font-size: .9rem; }
footer { color: var(--muted); font-size: .8rem; margin-top: 3rem; }
@media print {
  body { background: #fff; font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  nav { display: none; }
  h2 { page-break-before: auto; page-break-after: avoid; }
  .crux, table, .figure { page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 16mm 14mm; }
}
"""

SECTIONS = (
    ("question", "The question"),
    ("positions", "Positions and saliences"),
    ("forecasts", "Forecasts per model"),
    ("rounds", "Round trajectories"),
    ("strategies", "Strategies against target types"),
    ("sensitivity", "Sensitivity"),
    ("cruxes", "Cruxes"),
)


@dataclass
class ReportOptions:
    """What to compute: worldviews, models, Monte Carlo size, crux output and threshold."""

    worldviews: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    draws: int = 300
    seed: int = 0
    episodes: int = 1000
    sensitivity_n: int = 128
    #: Sobol base samples and episodes per design row for the strategy-game chart (0: none)
    game_sensitivity_n: int = 32
    game_sensitivity_episodes: int = 100
    crux_output: str | None = None
    threshold: float | None = None


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


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


# ----------------------------------------------------------------------------------- sections


def _question(sc: Scenario, loaded: LoadedScenario) -> str:
    parts = [f"<h1>{_e(sc.title)}</h1>"]
    if sc.question:
        parts.append(f'<p class="question">{_e(sc.question)}</p>')
    if sc.description:
        parts.append(f"<p>{_e(sc.description)}</p>")
    if sc.sources:
        rows = "".join(
            f"<tr><td>{_e(s.id)}</td><td>{_e(s.title)}</td><td>{_e(s.author or '')}</td>"
            f"<td>{_e(s.outlet or '')}</td><td>{_e(s.date or '')}</td></tr>"
            for s in sc.sources
        )
        parts.append(
            "<h3>Sources</h3><table><tr><th>id</th><th>title</th><th>author</th>"
            f"<th>outlet</th><th>date</th></tr>{rows}</table>"
        )
    rows = "".join(
        f"<tr><td>{_e(a.name)}</td><td class='num'>{a.capability.point():.2f}</td>"
        f"<td>{_e(a.capability.describe())}</td><td>{_e(a.description or '')}</td></tr>"
        for a in sc.actors
    )
    parts.append(
        "<h3>Actors</h3><table><tr><th>actor</th><th>capability (point)</th>"
        f"<th>judgment</th><th>description</th></tr>{rows}</table>"
    )
    rows = "".join(
        f"<tr><td>{_e(i.label)}</td><td>{i.scale.min:g}–{i.scale.max:g}</td><td>"
        + "; ".join(f"{k:g}: {_e(v)}" for k, v in sorted(i.scale.anchors.items()))
        + f"</td><td class='num'>{'' if i.status_quo is None else f'{i.status_quo.point():.1f}'}"
        "</td></tr>"
        for i in sc.issues
    )
    parts.append(
        "<h3>Issues</h3><table><tr><th>issue</th><th>scale</th><th>anchors</th>"
        f"<th>status quo</th></tr>{rows}</table>"
    )
    if sc.worldviews:
        rows = "".join(
            f"<tr><td>{_e(w.id)}</td><td>{_e(w.label)}</td><td>{_e(w.summary or '')}</td>"
            f"<td class='num'>{len(w.overrides)}</td></tr>"
            for w in sc.worldviews
        )
        parts.append(
            "<h3>Worldviews</h3><table><tr><th>id</th><th>label</th><th>summary</th>"
            f"<th>overrides</th></tr>{rows}</table>"
        )
    else:
        parts.append(_note("The scenario defines no worldviews."))
    return "".join(parts)


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


def _positions(sc: Scenario, figs: _Figures, worldview: str | None) -> str:
    import plotly.graph_objects as go

    cap = np.array([a.capability.point() for a in sc.actors])
    size = 14 + 36 * np.sqrt(cap / cap.max())
    out = []
    for j, issue in enumerate(sc.issues):
        x = [a.stances[issue.id].position.point() for a in sc.actors]
        y = [a.stances[issue.id].salience.point() for a in sc.actors]
        fig = go.Figure(
            go.Scatter(
                x=x,
                y=y,
                mode="markers+text",
                text=[a.name for a in sc.actors],
                textposition="top center",
                marker={"size": size, "opacity": 0.6},
                hovertemplate="%{text}<br>position %{x:.1f}<br>salience %{y:.2f}<extra></extra>",
            )
        )
        if issue.status_quo is not None:
            fig.add_vline(x=issue.status_quo.point(), line_dash="dot", annotation_text="status quo")
        fig.update_layout(
            title=f"{issue.label}" + (f" — worldview {worldview}" if worldview else ""),
            xaxis={"title": "position", **_anchor_axis(sc, j)},
            yaxis={"title": "salience", "range": [0, 1.12]},
            showlegend=False,
        )
        out.append(figs.div(fig, height=430))
    out.append(
        _note(
            "Bubble size is the actor's capability; values are point values (the mean "
            "of each distribution)."
        )
    )
    return "".join(out)


def _forecasts(
    loaded: LoadedScenario, opts: ReportOptions, figs: _Figures, notes: list[str]
) -> tuple[str, dict[str, Any]]:
    import plotly.graph_objects as go

    from detente.analysis.compare import forecast_draws
    from detente.models import get_model
    from detente.scenario.problem import to_problem

    sc = loaded.scenario
    views: list[str | None] = list(opts.worldviews) or [None]
    rows = []
    dynamic: dict[str, Any] = {}
    for model in opts.models:
        for wv in views:
            s = with_worldview(loaded, wv)
            m = get_model(model)
            try:
                fc = m.forecast(to_problem(s))
                mc = forecast_draws(s, model, opts.seed, opts.draws)
            except Exception as exc:  # a model refusing a scenario is reported, not fatal
                notes.append(f"{model} ({wv or 'base'}): {exc}")
                continue
            if fc.rounds and wv == views[0]:
                dynamic[model] = fc
            for j, issue in enumerate(sc.issues):
                rows.append(
                    {
                        "model": model,
                        "worldview": wv or "base",
                        "issue": issue.label,
                        "point": float(fc.outcome[j]),
                        "p05": float(np.quantile(mc[:, j], 0.05)),
                        "p95": float(np.quantile(mc[:, j], 0.95)),
                        "mean": float(mc[:, j].mean()),
                    }
                )
    if not rows:
        return _note("No model could forecast this scenario."), dynamic
    df = pd.DataFrame(rows)
    out = []
    for j, issue in enumerate(sc.issues):
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
                    hovertemplate="%{y}: %{x:.1f}<extra>" + _e(wv) + "</extra>",
                )
            )
        fig.update_layout(
            title=f"{issue.label}: forecast, mean and 5–95 % interval ({opts.draws} draws)",
            xaxis={"title": "forecast", **_anchor_axis(sc, j)},
            yaxis={"title": "model", "type": "category"},
            legend_title="worldview",
        )
        out.append(figs.div(fig, height=220 + 40 * len(opts.models)))
    table = df.pivot_table(
        index=["issue", "model"], columns="worldview", values="point", sort=False
    )
    body = "".join(
        f"<tr><td>{_e(i)}</td><td>{_e(m)}</td>"
        + "".join(f"<td class='num'>{v:.1f}</td>" for v in r)
        + "</tr>"
        for (i, m), r in zip(table.index, table.to_numpy(), strict=True)
    )
    heads = "".join(f"<th>{_e(c)}</th>" for c in table.columns)
    out.append(
        f"<h3>Point forecasts</h3><table><tr><th>issue</th><th>model</th>{heads}</tr>{body}</table>"
    )
    return "".join(out), dynamic


def _rounds(sc: Scenario, dynamic: dict[str, Any], figs: _Figures) -> str:
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    if not dynamic:
        return _note("None of the models run is dynamic (no rounds to show).")
    out = []
    names = {a.id: a.name for a in sc.actors}
    for model, fc in dynamic.items():
        frame = fc.rounds_frame()
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
    return "".join(out)


def _strategies(loaded: LoadedScenario, opts: ReportOptions, figs: _Figures) -> str:
    import plotly.graph_objects as go

    from detente.analysis.compare import compare_strategies
    from detente.analysis.outputs import DEFAULT_METRIC
    from detente.strategy.metrics import metric as game_metric

    if loaded.scenario.game is None:
        return _note("This scenario has no strategy game (`game:` section): nothing to show.")
    views = list(opts.worldviews) or []
    if not views:
        from detente.strategy.simulate import run_strategies

        df = run_strategies(loaded.scenario.game, opts.seed, opts.episodes)
        df["worldview"] = "base"
    else:
        df, _ = compare_strategies(loaded, views, opts.seed, opts.episodes)
    out = []
    for metric in [m for m in (DEFAULT_METRIC,) if m in set(df.metric)] + [
        m for m in dict.fromkeys(df.metric) if game_metric(m).key == "p_step_{year}"
    ]:
        label = game_metric(metric).label
        sub = df[df.metric == metric]
        cols = [(wv, t) for wv in dict.fromkeys(sub.worldview) for t in dict.fromkeys(sub.type)]
        strategies = list(dict.fromkeys(sub.strategy))
        z = np.array(
            [
                [
                    float(
                        sub[(sub.strategy == s) & (sub.worldview == wv) & (sub.type == t)][
                            "mean"
                        ].iloc[0]
                    )
                    for wv, t in cols
                ]
                for s in strategies
            ]
        )
        fig = go.Figure(
            go.Heatmap(
                z=z,
                x=[f"{wv}<br>{t}" for wv, t in cols],
                y=strategies,
                colorscale="Blues",
                text=np.round(z, 2),
                texttemplate="%{text}",
                zmin=0,
                zmax=1,
                colorbar={"title": metric},
            )
        )
        fig.update_layout(
            title=f"{label} ({metric}): strategy × target type × worldview "
            f"({opts.episodes} episodes each)",
            xaxis={"side": "top"},
        )
        out.append(figs.div(fig, height=140 + 42 * len(strategies)))
    out.append(
        _note(
            "'mix' draws the target's type from the worldview's priors; the other "
            "columns fix the type. Cells share random numbers across strategies and "
            "worldviews (common random numbers)."
        )
    )
    return "".join(out)


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


def _sensitivity(
    loaded: LoadedScenario, opts: ReportOptions, figs: _Figures, output: str | None
) -> str:
    from detente.analysis.outputs import parse_output
    from detente.analysis.sensitivity import run_sensitivity, scenario_parameters

    wv = opts.worldviews[0] if opts.worldviews else None
    sc = with_worldview(loaded, wv)
    if not scenario_parameters(sc):
        return _note(
            "Every number in this scenario is fixed: there is no uncertainty to apportion."
        )
    spec_text = (
        output if output and output.startswith("forecast:") else f"forecast:{sc.issues[0].id}"
    )
    spec = parse_output(spec_text, sc)
    model = opts.models[0]
    res = run_sensitivity(sc, spec, model, "sobol", opts.sensitivity_n, opts.seed, worldview=wv)
    title = (
        f"Sobol indices: {spec.describe()} — {model}, "
        f"worldview {wv or 'base'} ({res.n_evaluations} evaluations)"
    )
    return (
        _sobol_chart(res, title, figs)
        + _note(
            "Saltelli (2002/2010) sampling; bars are the 95 % bootstrap intervals. Distributions "
            "are sampled through their inverse CDFs. The 12 largest total effects are shown."
        )
        + _game_sensitivity(sc, wv, opts, figs, output)
    )


def _game_sensitivity(
    sc: Scenario, wv: str | None, opts: ReportOptions, figs: _Figures, output: str | None
) -> str:
    """Sobol indices of a strategy-game output of ``sc`` (worldview ``wv`` applied): the crux
    output when it is one, else the metric ``p_talks_12m`` (or the game's first) for the
    default strategy pair."""
    from detente.analysis.outputs import DEFAULT_METRIC, parse_output
    from detente.analysis.sensitivity import run_sensitivity
    from detente.strategy.metrics import metric_names

    if sc.game is None or opts.game_sensitivity_n < 2:
        return ""
    if output and output.startswith("strategy:"):
        spec_text = output
    else:
        metrics = metric_names(sc.game)
        spec_text = "strategy:" + (DEFAULT_METRIC if DEFAULT_METRIC in metrics else metrics[0])
    spec = parse_output(spec_text, sc)
    res = run_sensitivity(
        sc,
        spec,
        method="sobol",
        n=opts.game_sensitivity_n,
        seed=opts.seed,
        episodes=opts.game_sensitivity_episodes,
        worldview=wv,
    )
    title = (
        f"Sobol indices: {spec.describe()}, worldview {wv or 'base'} "
        f"({res.n_evaluations} design rows × {opts.game_sensitivity_episodes} episodes)"
    )
    caveat = (
        f" Each row's mean carries a Monte Carlo error of {res.noise_share:.0%} of the output's "
        "variance: the indices describe these episodes; rerun with more episodes to confirm."
        if res.noise_share > 0.2
        else ""
    )
    return (
        "<h3>What moves the strategy comparison</h3>"
        + _sobol_chart(res, title, figs)
        + _note(
            "The game's uncertain numbers, varied over their distributions. Every design row "
            "replays the same episodes' chance (common random numbers), so a number the metric "
            "does not read gets exactly zero." + caveat
        )
    )


def _default_threshold(loaded: LoadedScenario, a: str, b: str, issue: str, model: str) -> float:
    """The anchor between the two worldviews' forecasts nearest their midpoint, else the
    midpoint itself."""
    from detente.models import get_model
    from detente.scenario.problem import to_problem

    sc = loaded.scenario
    j = [i.id for i in sc.issues].index(issue)
    fa, fb = (
        float(get_model(model).forecast(to_problem(with_worldview(loaded, w))).outcome[j])
        for w in (a, b)
    )
    lo, hi = sorted((fa, fb))
    mid = (lo + hi) / 2
    between = [p for p in sc.issues[j].scale.anchors if lo < p <= hi]
    return min(between, key=lambda p: abs(p - mid)) if between else round(mid, 1)


def _crux_block(result: Any) -> str:
    from detente.analysis.cruxes import CruxResult

    assert isinstance(result, CruxResult)
    parts = [
        f"<h3>{_e(result.output.describe())}"
        f"{' — ' + _e(result.model) if result.model else ''}</h3>",
        f"<p><b>{_e(result.a)}</b>: {_e(result.conclusion_a)}<br>"
        f"<b>{_e(result.b)}</b>: {_e(result.conclusion_b)}</p>",
    ]
    by = {d.path: d for d in result.differences}
    if result.cruxes:
        for n, crux in enumerate(result.cruxes, 1):
            items = []
            for path in crux.paths:
                d = by[path]
                items.append(
                    f"<p><b>{_e(d.label)}</b> <code>{_e(path)}</code></p><div class='side'>"
                    f"<div><i>{_e(result.a)}</i>: {_e(d.describe_a)}"
                    f"<blockquote>{_e(d.basis_a)}</blockquote></div>"
                    f"<div><i>{_e(result.b)}</i>: {_e(d.describe_b)}"
                    f"<blockquote>{_e(d.basis_b)}</blockquote></div></div>"
                )
            parts.append(
                f"<div class='crux'><p><b>Crux {n}</b> — swapping "
                f"{len(crux.paths)} judgment(s) from {_e(result.a)} to {_e(result.b)} "
                f"gives: {_e(crux.conclusion)}</p>{''.join(items)}</div>"
            )
    else:
        parts.append(
            _note(f"No swap of up to {result.max_size} judgments flips {result.a}'s conclusion.")
        )
    frame = result.differences_frame()
    if not frame.empty:
        body = "".join(
            f"<tr><td>{_e(r['label'])}</td><td>{_e(r['value_a'])}</td><td>{_e(r['value_b'])}</td>"
            f"<td class='num'>{_effect(r['effect'])}</td><td>{_e(r['role'])}</td></tr>"
            for r in frame.to_dict(orient="records")
        )
        parts.append(
            f"<table><tr><th>judgment</th><th>{_e(result.a)}</th><th>{_e(result.b)}"
            "</th><th>effect of swapping alone</th><th>role</th></tr>"
            f"{body}</table>"
        )
    for note in result.notes:
        parts.append(_note(note))
    return "".join(parts)


def _effect(value: Any) -> str:
    if value is None or not isinstance(value, int | float) or math.isnan(value):
        return ""
    return f"{value:+.3f}"


def _cruxes(loaded: LoadedScenario, opts: ReportOptions) -> tuple[str, str | None]:
    from detente.analysis.cruxes import find_cruxes
    from detente.analysis.outputs import parse_output

    if len(opts.worldviews) < 2:
        return _note(
            "Cruxes need two worldviews (--worldviews a,b); "
            + (
                "the scenario defines none."
                if not loaded.scenario.worldviews
                else "none were chosen."
            )
        ), None
    a, b = opts.worldviews[:2]
    sc = loaded.scenario
    output = opts.crux_output or f"forecast:{sc.issues[0].id}"
    spec = parse_output(output, sc)
    model = opts.models[0]
    threshold = opts.threshold
    if spec.kind == "forecast" and threshold is None:
        threshold = _default_threshold(loaded, a, b, spec.issue, model)
    parts = []
    if spec.kind == "forecast":
        for m in opts.models:
            parts.append(
                _crux_block(find_cruxes(loaded, a, b, spec, threshold, model=m, seed=opts.seed))
            )
    else:
        parts.append(
            _crux_block(
                find_cruxes(loaded, a, b, spec, threshold, seed=opts.seed, episodes=opts.episodes)
            )
        )
    if sc.game is not None and spec.kind == "forecast":
        ranking = parse_output("strategies", sc)
        parts.append(
            _crux_block(
                find_cruxes(loaded, a, b, ranking, None, seed=opts.seed, episodes=opts.episodes)
            )
        )
    return "".join(parts), output


def build_report(loaded: LoadedScenario, opts: ReportOptions) -> str:
    """The report as one HTML string (self-contained: plotly.js and CSS inline)."""
    from plotly.offline import get_plotlyjs

    from detente.models import available_models, model_class

    sc = loaded.scenario
    if not opts.models:
        # by default the per-issue models: a multi-issue model's forecast of one issue comes
        # from trades across all of them (see Model.multi_issue), shown when asked for
        per_issue = [m for m in available_models() if not model_class(m).multi_issue]
        opts.models = per_issue or ["compromise"]
    for wv in opts.worldviews:
        with_worldview(loaded, wv)  # unknown worldview: InputError
    figs = _Figures()
    notes: list[str] = []
    body: dict[str, str] = {}
    body["question"] = _question(sc, loaded)
    body["positions"] = _positions(sc, figs, None)
    forecasts, dynamic = _forecasts(loaded, opts, figs, notes)
    body["forecasts"] = forecasts + "".join(_note(n) for n in notes)
    body["rounds"] = _rounds(sc, dynamic, figs)
    body["strategies"] = _strategies(loaded, opts, figs)
    crux_html, crux_output = _cruxes(loaded, opts)
    body["sensitivity"] = _sensitivity(loaded, opts, figs, crux_output)
    body["cruxes"] = crux_html
    nav = "".join(f'<li><a href="#{sid}">{_e(title)}</a></li>' for sid, title in SECTIONS)
    sections = "".join(
        f'<section id="{sid}"><h2>{_e(title)}</h2>{body[sid]}</section>'
        if sid != "question"
        else f'<section id="{sid}">{body[sid]}</section>'
        for sid, title in SECTIONS
    )
    meta = json.dumps(
        {
            "scenario": sc.id,
            "worldviews": opts.worldviews,
            "models": opts.models,
            "draws": opts.draws,
            "seed": opts.seed,
            "sha256": loaded.sha256,
        }
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(sc.title)} — detente report</title><style>{CSS}</style>"
        f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body><main>"
        f"<nav><ol>{nav}</ol></nav>{sections}"
        f"<footer>detente report — <code>{_e(meta)}</code></footer></main></body></html>"
    )
