"use strict";
/* The scenario page: view, worldview switcher, what-if edits, forecasts, jobs, strategies, cruxes. */
const S = {
  folderName: null,   // name of the file in the scenarios folder (null: an uploaded document)
  name: "edited.yaml",
  yaml: "",
  original: "",
  edited: false,
  view: null,
  worldview: null,
  models: [],
  forecasts: null,    // last /api/forecast answer
  intervals: {},      // model -> Monte Carlo result
  mcJobs: [],
  stJob: null,
  strategies: null,
  editing: null,      // the cell being edited
};
const $ = (id) => document.getElementById(id);
const PLOT_CONFIG = { displaylogo: false, responsive: true };

function docRef(extra) {
  const ref = S.edited || !S.folderName ? { yaml: S.yaml, name: S.name } : { scenario: S.folderName };
  return Object.assign(ref, { worldview: S.worldview }, extra || {});
}

function showError(err) {
  const box = $("page-errors");
  const p = err.problem || {};
  box.replaceChildren(el("div", { class: "error" }, el("strong", { text: (p.title || "Error") + ": " }), err.message || String(err)),
    p.diagnostics ? diagnosticsList(p.diagnostics, gotoLine) : null);
}
function clearError() { $("page-errors").replaceChildren(); }

/* ---------------------------------------------------------------- loading */

async function init() {
  S.models = await api("GET", "/api/models");
  const m = window.location.pathname.match(/^\/scenarios\/([^/]+)$/);
  let doc;
  if (m) {
    S.folderName = decodeURIComponent(m[1]);
    doc = await api("GET", "/api/scenarios/" + encodeURIComponent(S.folderName));
  } else {
    const stored = JSON.parse(sessionStorage.getItem("detente.upload") || "null");
    if (!stored) { $("title").textContent = "No document: upload a scenario file"; return; }
    doc = await api("POST", "/api/validate", { yaml: stored.yaml, name: stored.name });
  }
  S.name = doc.name;
  S.original = doc.yaml;
  setupModelControls();
  adopt(doc);
  if (doc.valid) await runForecasts();
  loadCruxes();
}

/* Take a validated document answer from the server as the current state. */
function adopt(doc) {
  if (doc.yaml !== S.yaml) {  // the hindcast and the scorecards were of another document
    $("hindcast").replaceChildren();
    $("scorecards").replaceChildren();
    $("panel").replaceChildren();
  }
  S.yaml = doc.yaml;
  S.edited = doc.yaml !== S.original;
  $("yaml").value = doc.yaml;
  $("diagnostics").replaceChildren(diagnosticsList(doc.diagnostics, gotoLine));
  const status = $("doc-status");
  status.textContent = !doc.valid ? "invalid" : S.edited ? "edited (valid)" : "valid";
  status.className = "badge " + (!doc.valid ? "invalid" : S.edited ? "edited" : "valid");
  if (!doc.valid) {
    showError({ message: "The scenario does not validate; fix it in the YAML below.", problem: { title: doc.name, diagnostics: doc.diagnostics } });
    return;
  }
  S.view = doc.view;
  $("basis").replaceChildren("Click a value to see its basis and edit it.");
  $("st-run").disabled = !S.view.has_game;
  fillSensitivityOutputs();
  if (!S.view.has_game) $("st-job").replaceChildren(el("p", { class: "muted small", text: "This scenario has no `game:` section, so there are no strategies to compare." }));
  $("hc-run").disabled = !S.view.has_record;
  if (!S.view.has_record) $("hc-job").replaceChildren(el("p", { class: "muted small", text: "This scenario has no `game:` and `record:` sections, so there is no record to hold the game against." }));
  else if ($("hc-job").textContent.startsWith("This scenario")) $("hc-job").replaceChildren();
  $("sc-run").disabled = !S.view.has_scorecards;
  if (!S.view.has_scorecards) $("sc-job").replaceChildren(el("p", { class: "muted small", text: "This scenario's game names no scorecards (or it has no game), so there is no ranking of strategies." }));
  else if ($("sc-job").textContent.startsWith("This scenario")) $("sc-job").replaceChildren();
  fillPanelControls();
  renderHead();
  renderMatrix();
  renderPositions();
}

/* ---------------------------------------------------------------- head and worldviews */

function renderHead() {
  const v = S.view;
  document.title = v.title + " — detente";
  $("title").textContent = v.title;
  $("question").textContent = v.question || "";
  const sel = $("worldview");
  sel.replaceChildren(el("option", { value: "", text: "base case" }),
    ...v.worldviews.map((w) => el("option", { value: w.id, text: w.label })));
  sel.value = S.worldview || "";
  const w = v.worldviews.find((x) => x.id === S.worldview);
  const box = $("worldview-summary");
  box.replaceChildren();
  if (w) {
    box.append(el("div", { text: w.summary || "" }));
    for (const q of w.quotes) box.append(el("div", { class: "small" }, el("span", { class: "quote", text: q.quote }), ` — ${q.doc}`));
    if (w.assumption) box.append(el("div", { class: "small", text: "assumption: " + w.assumption }));
  }
}

async function switchWorldview(id) {
  S.worldview = id || null;
  clearError();
  try {
    const doc = await api("POST", "/api/validate", docRef());
    adopt(doc);
    S.intervals = {};
    await runForecasts();
  } catch (err) { showError(err); }
}

/* ---------------------------------------------------------------- actors × issues */

function cellTd(cell, label) {
  const overridden = S.view.overridden.includes(cell.path);
  const noBasis = !cell.basis.quotes.length && !cell.basis.assumption && !cell.basis.data;
  return el("td", { class: [overridden ? "overridden" : "", noBasis ? "nobasis" : ""].join(" "), dataset: { path: cell.path } },
    el("button", { type: "button", text: cell.text, title: cell.basis.text, onclick: () => openEditor(cell, label) }));
}

function renderMatrix() {
  const v = S.view;
  const head1 = el("tr", {}, el("th", { rowspan: 2, text: "actor" }), el("th", { rowspan: 2, text: "capability" }),
    v.issues.map((i) => el("th", { colspan: 2, text: i.label, title: i.description || "" })));
  const head2 = el("tr", {}, v.issues.map(() => [el("th", { text: "position" }), el("th", { text: "salience" })]));
  const rows = v.actors.map((a) => el("tr", {},
    el("th", { text: a.name, title: a.description || "" }),
    cellTd(a.capability, `${a.name} — capability`),
    v.issues.map((i) => {
      const st = a.stances[i.id];
      return st ? [cellTd(st.position, `${a.name} — ${i.label} — position`), cellTd(st.salience, `${a.name} — ${i.label} — salience`)]
        : [el("td"), el("td")];
    })));
  const sq = el("tr", {}, el("th", { text: "status quo" }), el("td"),
    v.issues.map((i) => [i.status_quo ? cellTd(i.status_quo, `${i.label} — status quo`) : el("td"), el("td")]));
  $("matrix").replaceChildren(el("thead", {}, head1, head2), el("tbody", {}, rows, sq));
}

function basisNodes(cell) {
  const out = [];
  for (const q of cell.basis.quotes) {
    const src = S.view.sources.find((s) => s.id === q.doc);
    out.push(el("div", {}, el("span", { class: "quote", text: q.quote }), " — ", el("strong", { text: q.doc }), src ? ` (${src.title})` : ""));
  }
  if (cell.basis.data) out.push(el("div", { text: `data ${cell.basis.data.doc}: ${cell.basis.data.computation}` }));
  if (cell.basis.assumption) out.push(el("div", {}, el("strong", { text: "assumption: " }), cell.basis.assumption));
  if (!out.length) out.push(el("div", { class: "warning", text: "(no basis given)" }));
  return out;
}

const PARAMS = { "": ["value"], triangular: ["low", "mode", "high"], uniform: ["low", "high"],
  truncnormal: ["mean", "sd", "low", "high"], beta: ["a", "b", "low", "high"] };

function showParams() {
  const dist = $("ed-dist").value;
  for (const label of document.querySelectorAll("#editor .params label")) {
    label.hidden = !PARAMS[dist].includes(label.dataset.p);
  }
}

function openEditor(cell, label) {
  S.editing = cell;
  $("basis").replaceChildren(el("strong", { text: label + ": " + cell.text }), ...basisNodes(cell));
  $("ed-title").textContent = label;
  $("ed-basis").replaceChildren(el("code", { class: "small", text: cell.path }), ...basisNodes(cell));
  const q = cell.quantity;
  $("ed-dist").value = q.dist || "";
  for (const p of ["value", "low", "mode", "high", "mean", "sd", "a", "b"]) $("ed-" + p).value = q[p] ?? "";
  if (!q.dist) $("ed-value").value = q.value ?? cell.point;
  $("ed-keep").checked = true;
  $("ed-keep").parentElement.hidden = !(cell.basis.quotes.length || cell.basis.data);
  $("ed-assumption").value = cell.basis.assumption || "";
  $("ed-errors").replaceChildren();
  showParams();
  $("editor").showModal();
}

function editorValue() {
  const dist = $("ed-dist").value;
  const value = {};
  if (dist) value.dist = dist;
  for (const p of PARAMS[dist]) {
    const raw = $("ed-" + p).value;
    if (raw !== "") value[p] = Number(raw);
  }
  const basis = S.editing.basis;
  if ($("ed-keep").checked) {
    if (basis.quotes.length) value.source = basis.quotes.length === 1 ? basis.quotes[0] : basis.quotes;
    if (basis.data) value.data = basis.data;
  }
  const assumption = $("ed-assumption").value.trim();
  if (assumption) value.assumption = assumption;
  return value;
}

async function applyEdit() {
  const cell = S.editing;
  const errors = $("ed-errors");
  try {
    const doc = await api("POST", "/api/edit", docRef({ edits: [{ path: cell.path, value: editorValue() }] }));
    if (!doc.applied || !doc.valid) {
      errors.replaceChildren(el("p", { class: "error", text: "Not applied: the edited scenario does not validate." }),
        diagnosticsList(doc.diagnostics.filter((d) => d.severity === "error")));
      return;
    }
    $("editor").close();
    clearError();
    adopt(doc);
    S.intervals = {};
    await runForecasts();
    loadCruxes();
  } catch (err) {
    errors.replaceChildren(el("p", { class: "error", text: err.message }), err.problem && err.problem.diagnostics ? diagnosticsList(err.problem.diagnostics) : null);
  }
}

/* ---------------------------------------------------------------- positions map */

function renderPositions() {
  if (!window.Plotly) return;
  const v = S.view;
  const box = $("positions");
  const divs = v.issues.map((issue, j) => {
    let div = document.getElementById("pos-" + j);
    if (!div) { div = el("div", { id: "pos-" + j, class: "chart" }); }
    return div;
  });
  box.replaceChildren(...divs);
  v.issues.forEach((issue, j) => {
    const actors = v.actors.filter((a) => a.stances[issue.id]);
    const pts = actors.map((a) => a.stances[issue.id].position);
    const weight = actors.map((a) => (a.capability.point || 0) * (a.stances[issue.id].salience.point || 0));
    const wmax = Math.max(...weight, 1e-9);
    const trace = {
      type: "scatter", mode: "markers", name: "positions",
      x: pts.map((p) => p.point), y: actors.map((a) => a.name),
      error_x: { type: "data", symmetric: false, array: pts.map((p) => p.support[1] - p.point), arrayminus: pts.map((p) => p.point - p.support[0]), color: "#9aa4b2" },
      marker: { size: weight.map((w) => 8 + 22 * w / wmax), color: "#2457c5" },
      text: actors.map((a, k) => `${a.name}: ${pts[k].text}<br>salience ${a.stances[issue.id].salience.text}, capability ${a.capability.text}`),
      hoverinfo: "text",
    };
    const shapes = [];
    const annotations = [];
    if (issue.status_quo && issue.status_quo.point !== null) {
      shapes.push({ type: "line", x0: issue.status_quo.point, x1: issue.status_quo.point, yref: "paper", y0: 0, y1: 1, line: { color: "#98a2b3", width: 3 } });
      annotations.push({ x: issue.status_quo.point, yref: "paper", y: 1.02, text: "status quo", showarrow: false, font: { size: 10, color: "#667085" } });
    }
    const palette = ["#d92d20", "#079455", "#dc6803", "#7a5af8", "#0ba5ec", "#c11574"];
    if (S.forecasts) {
      S.forecasts.forecasts.forEach((f, k) => {
        const it = f.issues[j];
        if (!it || it.forecast === null) return;
        if (it.deu) shapes.push({ type: "rect", x0: it.deu[0], x1: it.deu[1], yref: "paper", y0: 0, y1: 1, fillcolor: palette[k % palette.length], opacity: 0.05, line: { width: 0 } });
        shapes.push({ type: "line", x0: it.forecast, x1: it.forecast, yref: "paper", y0: 0, y1: 1, line: { color: palette[k % palette.length], width: 1.5, dash: "dash" } });
        annotations.push({ x: it.forecast, yref: "paper", y: -0.02 - 0.07 * (k % 3), yanchor: "top", text: f.model, showarrow: false, font: { size: 9, color: palette[k % palette.length] } });
      });
    }
    const anchors = issue.scale.anchors;
    const layout = {
      title: { text: issue.label, font: { size: 13 } }, height: 320, margin: { l: 170, r: 20, t: 40, b: 70 },
      xaxis: { range: [issue.scale.min - 2, issue.scale.max + 2], tickvals: anchors.map((a) => a.value),
        ticktext: anchors.map((a) => String(a.value)), zeroline: false },
      yaxis: { automargin: true }, shapes, annotations, showlegend: false,
    };
    Plotly.react(divs[j], [trace], layout, PLOT_CONFIG);
  });
}

/* ---------------------------------------------------------------- forecasts */

function setupModelControls() {
  const boxes = $("model-boxes");
  boxes.replaceChildren(...S.models.map((m) => el("label", { title: `${m.title} — ${m.source}` },
    el("input", { type: "checkbox", value: m.name, checked: true, class: "model-box" }), " " + m.name)));
  for (const id of ["traj-model", "crux-model", "sa-model"]) {
    const sel = $(id);
    const names = id === "traj-model" ? S.models.filter((m) => m.dynamic) : S.models;
    sel.replaceChildren(...names.map((m) => el("option", { value: m.name, text: m.name })));
  }
}

function selectedModels() {
  return [...document.querySelectorAll(".model-box")].filter((b) => b.checked).map((b) => b.value);
}

async function runForecasts() {
  if (!S.view) return;
  const status = $("run-status");
  status.textContent = "running…";
  try {
    S.forecasts = await api("POST", "/api/forecast", docRef({ models: selectedModels() }));
    status.textContent = `${S.forecasts.forecasts.length} models, worldview: ${S.worldview || "base case"}`;
    renderForecasts();
    renderPositions();
    renderTrajectory();
  } catch (err) {
    status.textContent = "";
    showError(err);
  }
}

const range = (pair) => `[${fmt(pair[0])}, ${fmt(pair[1])}]`;

function renderForecasts() {
  const v = S.view;
  const head = el("tr", {}, el("th", { text: "model" }), v.issues.map((i) => el("th", { text: i.label })));
  let note = null;
  const rows = S.forecasts.forecasts.map((f) => {
    if (f.error) return el("tr", {}, el("th", { text: f.model }), el("td", { colspan: v.issues.length, class: "warning", text: f.error }));
    const mc = S.intervals[f.model];
    const cal = f.calibration;
    if (cal && !note) note = cal;
    const calTitle = cal ? `${Math.round(100 * cal.level)} % interval ${cal.label}; caveat: ${cal.caveat}` : "";
    return el("tr", { dataset: { model: f.model } }, el("th", { text: f.model, title: f.title }),
      f.issues.map((it, j) => {
        const s = mc ? mc.issues[j] : null;
        return el("td", { class: "num", title: it.meaning, dataset: { model: f.model, issue: it.id } },
          el("span", { class: "forecast", text: fmt(it.forecast) }),
          it.deu ? el("div", { class: "small deu", title: calTitle, text: `DEU 80 % ${range(it.deu)}` })
            : el("div", { class: "muted small deu", text: "DEU: not scored" }),
          s ? el("div", { class: "muted small interval", title: "5–95 % of the Monte Carlo draws: what the uncertain judgments allow, not the model's error",
            text: `judgments 90 % ${range(s.interval)}` }) : null,
          s && s.deu ? el("div", { class: "muted small deu-mc", title: calTitle, text: `DEU 80 % with judgments ${range(s.deu)}` }) : null);
      }));
  });
  $("forecast-table").replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
  $("calibration-note").replaceChildren(note ? el("span", {},
    el("strong", { text: `DEU 80 %: ${Math.round(100 * note.level)} % interval ${note.label}` }),
    ` (the model's own misses on the DEU III development split added to its forecast; source ${note.source}). Caveat: ${note.caveat}. `,
    "“judgments 90 %”: the 5–95 % range of the Monte Carlo draws over this scenario's uncertain judgments (no model error); “DEU 80 % with judgments”: both.") : "");
}

function renderTrajectory() {
  const issueSel = $("traj-issue");
  if (!issueSel.options.length || issueSel.options.length !== S.view.issues.length) {
    issueSel.replaceChildren(...S.view.issues.map((i) => el("option", { value: i.id, text: i.label })));
  }
  const box = $("trajectory");
  const f = S.forecasts && S.forecasts.forecasts.find((x) => x.model === $("traj-model").value);
  if (!window.Plotly) return;
  for (const old of box.querySelectorAll(".js-plotly-plot")) Plotly.purge(old);
  if (!f || !f.rounds || !f.rounds.length) {
    box.replaceChildren(el("p", { class: "muted small", text: "Choose a dynamic model that was run (it must be ticked above)." }));
    return;
  }
  const div = el("div", { class: "chart" });
  box.replaceChildren(div);
  const issue = issueSel.value;
  const traces = S.view.actors.map((a) => ({
    type: "scatter", mode: "lines+markers", name: a.name,
    x: f.rounds.map((_, r) => r), y: f.rounds.map((r) => r.positions[a.id] ? r.positions[a.id][issue] : null),
  }));
  const it = f.issues.find((x) => x.id === issue);
  Plotly.react(div, traces, {
    height: 340, margin: { l: 50, r: 10, t: 30, b: 40 }, title: { text: `${f.model}: ${issue}`, font: { size: 13 } },
    xaxis: { title: { text: "round" }, dtick: 1 }, yaxis: { title: { text: "position" } },
    shapes: it && it.forecast !== null ? [
      ...(it.deu ? [{ type: "rect", xref: "paper", x0: 0, x1: 1, y0: it.deu[0], y1: it.deu[1], fillcolor: "#d92d20", opacity: 0.06, line: { width: 0 } }] : []),
      { type: "line", xref: "paper", x0: 0, x1: 1, y0: it.forecast, y1: it.forecast, line: { dash: "dash", color: "#d92d20" } }] : [],
    annotations: it && it.deu ? [{ xref: "paper", x: 1, y: it.deu[1], xanchor: "right", yanchor: "bottom", showarrow: false, font: { size: 10, color: "#667085" },
      text: "forecast (dashed), DEU-calibrated 80 % interval (shaded)" }] : [],
  }, PLOT_CONFIG);
}

/* ---------------------------------------------------------------- jobs */

function jobRow(label, job) {
  const bar = el("progress", { max: 1, value: job.progress });
  const text = el("span", { class: "small", text: job.status + (job.cached ? " (cached)" : "") });
  const row = el("div", { class: "job", dataset: { job: job.id } }, el("span", { text: label }), bar, text);
  return { row, update: (j) => { bar.value = j.progress; text.textContent = j.status + (j.cached ? " (cached)" : "") + (j.error ? ": " + j.error : ""); } };
}

async function pollJob(job, ui, onDone) {
  let j = job;
  ui.update(j);
  while (j.status === "queued" || j.status === "running") {
    await new Promise((r) => setTimeout(r, 300));
    j = await api("GET", "/api/jobs/" + j.id);
    ui.update(j);
  }
  if (j.status === "done") onDone(j.result);
  if (j.diagnostics && j.diagnostics.length) showError({ message: j.error, problem: { title: "Job failed", diagnostics: j.diagnostics } });
  return j;
}

async function runMonteCarlo() {
  const draws = Number($("mc-draws").value), seed = Number($("mc-seed").value);
  const box = $("mc-jobs");
  box.replaceChildren();
  $("mc-cancel").disabled = false;
  S.mcJobs = [];
  const waits = [];
  const snapshot = S.worldview;
  for (const model of selectedModels()) {
    try {
      const job = await api("POST", "/api/jobs", docRef({ kind: "montecarlo", model, draws, seed }));
      const ui = jobRow(model, job);
      box.append(ui.row);
      S.mcJobs.push(job.id);
      waits.push(pollJob(job, ui, (res) => {
        if (S.worldview !== snapshot) return;
        S.intervals[model] = res;
        renderForecasts();
        renderSensitivity();
      }));
    } catch (err) { box.append(el("div", { class: "error", text: `${model}: ${err.message}` })); }
  }
  await Promise.allSettled(waits);
  $("mc-cancel").disabled = true;
}

async function cancelJobs(ids) {
  for (const id of ids) { try { await api("DELETE", "/api/jobs/" + id); } catch (err) { /* already gone */ } }
}

function renderSensitivity() {
  const box = $("sensitivity");
  const model = Object.keys(S.intervals)[0];
  if (!model) return;
  const res = S.intervals[model];
  box.replaceChildren(el("p", { class: "small", text: `${model}, ${res.draws} draws: Spearman rank correlation of each sampled input with the forecast (strongest first).` }),
    el("div", { class: "scroll" }, el("table", { class: "results" },
      el("thead", {}, el("tr", {}, el("th", { text: "issue" }), el("th", { text: "inputs that move it most" }))),
      el("tbody", {}, res.sensitivity.map((s) => el("tr", {},
        el("th", { text: s.issue }),
        el("td", {}, s.inputs.slice(0, 5).map((i) => el("div", { class: "small" }, el("code", { text: i.path }), ` ρ = ${fmt(i.rho, 2)}`)))))))));
}

async function runStrategies() {
  const episodes = Number($("st-episodes").value), seed = Number($("st-seed").value);
  const box = $("st-job");
  box.replaceChildren();
  try {
    const job = await api("POST", "/api/jobs", docRef({ kind: "strategies", episodes, seed }));
    const ui = jobRow("strategies", job);
    box.append(ui.row);
    S.stJob = job.id;
    $("st-cancel").disabled = false;
    await pollJob(job, ui, (res) => { S.strategies = res; renderStrategies(); });
  } catch (err) {
    box.replaceChildren(el("div", { class: "error", text: err.message }));
  } finally { $("st-cancel").disabled = true; }
}

function renderStrategies() {
  const res = S.strategies;
  const info = res.metric_info || {};
  const label = (m) => (info[m] && info[m].label) || m;
  const sel = $("st-metric");
  if (sel.options.length !== res.metrics.length) {
    sel.replaceChildren(...res.metrics.map((m) => el("option", { value: m, text: label(m) })));
  }
  const metric = sel.value || res.metrics[0];
  const cell = {};
  for (const r of res.rows) if (r.metric === metric) cell[r.strategy + "|" + r.type] = r;
  const head = el("tr", {}, el("th", { text: `strategy \\ type (${label(metric)})` }), res.types.map((t) => el("th", { text: t === "mix" ? "mix (worldview priors)" : t })));
  const digits = info[metric] ? (info[metric].kind === "probability" ? 2 : undefined) : (metric.startsWith("p_") ? 2 : undefined);
  const rows = res.strategies.map((s) => el("tr", {}, el("th", { text: s.label, title: s.strategy }),
    res.types.map((t) => {
      const r = cell[s.id + "|" + t];
      return el("td", { class: "num" }, r ? `${fmt(r.mean, digits)} [${fmt(r.lo, digits)}, ${fmt(r.hi, digits)}]` : "–");
    })));
  $("strategy-table").replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
}

/* ---------------------------------------------------------------- scorecards */

async function runScorecards() {
  const episodes = Number($("sc-episodes").value), seed = Number($("sc-seed").value);
  const box = $("sc-job");
  box.replaceChildren();
  try {
    const job = await api("POST", "/api/jobs", docRef({ kind: "scorecards", episodes, seed, worldview: null }));
    const ui = jobRow("scorecards", job);
    box.append(ui.row);
    S.scJob = job.id;
    $("sc-cancel").disabled = false;
    await pollJob(job, ui, renderScorecards);
  } catch (err) {
    box.replaceChildren(el("div", { class: "error", text: err.message }));
  } finally { $("sc-cancel").disabled = true; }
}

function renderScorecards(res) {
  const label = Object.fromEntries(res.strategies.map((s) => [s.id, s.label]));
  const views = res.worldviews;
  const blocks = res.scorecards.map((card) => {
    const cell = {};
    for (const r of card.rows) cell[r.strategy + "|" + r.worldview] = r;
    const order = res.strategies.map((s) => s.id)
      .sort((a, b) => ((cell[a + "|" + views[0]] || {}).rank ?? 1e9) - ((cell[b + "|" + views[0]] || {}).rank ?? 1e9));
    const head = el("tr", {}, el("th", { text: "strategy" }), views.map((w) => el("th", { text: w + ": rank, score [90 %]" })));
    const rows = order.map((sid) => el("tr", { dataset: { strategy: sid } }, el("th", { text: label[sid] || sid }),
      views.map((w) => {
        const r = cell[sid + "|" + w];
        return el("td", { class: "num" + (r && r.rank === 1 ? " best" : "") },
          r ? [el("strong", { text: "#" + r.rank }), ` ${fmt(r.mean, 2)} [${fmt(r.lo, 2)}, ${fmt(r.hi, 2)}]`] : "–");
      })));
    return el("div", { class: "scorecard", dataset: { scorecard: card.id } },
      el("h3", { class: "scorecard-heading", text: card.heading }),
      el("p", { class: "muted small", text: "metrics: " + card.metrics.join(", ") }),
      el("div", { class: "scroll" }, el("table", { class: "results" }, el("thead", {}, head), el("tbody", {}, rows))));
  });
  $("scorecards").replaceChildren(
    el("p", { class: "muted small", text: `${res.episodes} episodes, seed ${res.seed}; ${res.interval}. Rows in the order of the ${views[0]} ranking.` }),
    ...blocks);
}

/* ---------------------------------------------------------------- hindcast */

async function runHindcast() {
  const episodes = Number($("hc-episodes").value), seed = Number($("hc-seed").value);
  const box = $("hc-job");
  box.replaceChildren();
  try {
    const job = await api("POST", "/api/jobs", docRef({ kind: "hindcast", episodes, seed, worldview: null }));
    const ui = jobRow("hindcast", job);
    box.append(ui.row);
    S.hcJob = job.id;
    $("hc-cancel").disabled = false;
    await pollJob(job, ui, renderHindcast);
  } catch (err) {
    box.replaceChildren(el("div", { class: "error", text: err.message }));
  } finally { $("hc-cancel").disabled = true; }
}

function renderHindcast(res) {
  const rows = res.worldviews;
  const common = res.common || null;
  const win = res.posterior_window || null;
  const dated = rows.some((r) => r.as_of);
  const name = (r) => r.as_of ? `${r.worldview} (as of ${r.as_of})` : r.worldview;
  const pm = (x, se, d) => `${fmt(x, d)} ± ${fmt(se, d + 1)}`;
  const postHead = win ? `P(worldview | record), on ${win[0]}..${win[1]}` : "P(worldview | record)";
  const head = el("tr", {}, el("th", { text: "worldview" }), dated ? el("th", { text: "scored" }) : null,
    el("th", { text: "log-lik ± MC se" }), el("th", { text: "P(no talks) ± se" }), el("th", { text: postHead }));
  const body = rows.map((r) => el("tr", { dataset: { worldview: r.worldview } }, el("th", { text: name(r) }),
    dated ? el("td", { text: `${r.scored[0]}..${r.scored[1]}` }) : null,
    el("td", { class: "num", text: pm(r.log_likelihood, r.mc_se, 2) }),
    el("td", { class: "num", text: pm(r.p_no_talks, r.p_no_talks_se, 3) }),
    el("td", { class: "num posterior", text: fmt(r.posterior, 3) })));
  const parts = [
    el("p", { class: "small", text: `Record ${res.record.file}, ${res.record.start}..${res.record.end} (${res.record.months.length} months); ${res.episodes} episodes, seed ${res.seed}.` }),
    el("div", { class: "scroll" }, el("table", { class: "results", id: "hc-summary" }, el("thead", {}, head), el("tbody", {}, body))),
  ];
  if (win && common) {
    parts.push(el("p", { class: "small", text: `The worldviews' information dates differ, so they score different months; on the months every worldview scores, ${win[0]}..${win[1]} (the posterior over worldviews comes from these):` }),
      el("div", { class: "scroll" }, el("table", { class: "results", id: "hc-common" },
        el("thead", {}, el("tr", {}, ["worldview", "log-lik ± MC se", "P(no talks) ± se"].map((t) => el("th", { text: t })))),
        el("tbody", {}, common.map((c, k) => el("tr", {}, el("th", { text: name(rows[k]) }),
          el("td", { class: "num", text: pm(c.log_likelihood, c.mc_se, 2) }),
          el("td", { class: "num", text: pm(c.p_no_talks, c.p_no_talks_se, 3) })))))));
  }
  const cards = rows.map((r) => el("div", { class: "card hc-view", dataset: { worldview: r.worldview } },
    el("div", { class: "title", text: name(r) }),
    el("table", { class: "results small" },
      el("thead", {}, el("tr", {}, ["type", "prior", "posterior", "log-lik if this type"].map((t) => el("th", { text: t })))),
      el("tbody", {}, r.types.map((t) => el("tr", {}, el("td", { text: t.type }),
        el("td", { class: "num", text: fmt(t.prior, 3) }), el("td", { class: "num", text: fmt(t.posterior, 3) }),
        el("td", { class: "num", text: fmt(t.log_likelihood, 2) }))))),
    el("div", { class: "small", text: "Most surprising months (lowest probability of the target's recorded move):" }),
    el("table", { class: "results small surprising" },
      el("thead", {}, el("tr", {}, ["month", "coalition", "target", "P (mean)", "P (given the record before)"].map((t) => el("th", { text: t })))),
      el("tbody", {}, r.surprising.slice(0, 3).map((m) => el("tr", {}, el("td", { text: m.month }),
        el("td", { text: m.coalition }), el("td", { text: m.target }),
        el("td", { class: "num", text: fmt(m.p_mean, 3) }), el("td", { class: "num", text: fmt(m.p_sequential, 3) })))))));
  parts.push(el("div", { class: "cards" }, cards),
    el("p", { class: "muted small", text: "log-lik: log of the mean over episodes of P(the target's recorded moves), the types summed by their priors; ± MC: delta-method standard error; P(no talks): product of the monthly hazards of opening talks along the record; see docs/hindcast.md." }));
  $("hindcast").replaceChildren(...parts);
}

/* ---------------------------------------------------------------- crux panel */

function fillPanelControls() {
  const views = S.view.worldviews;
  for (const [id, dflt] of [["pn-a", 0], ["pn-b", 1]]) {
    const sel = $(id);
    const keep = sel.value;
    sel.replaceChildren(...views.map((w) => el("option", { value: w.id, text: w.label })));
    if (views.some((w) => w.id === keep)) sel.value = keep;
    else if (views[dflt]) sel.value = views[dflt].id;
  }
  const ok = S.view.has_scorecards && views.length >= 2;
  $("pn-run").disabled = !ok;
  if (!ok) $("pn-job").replaceChildren(el("p", { class: "muted small", text: "This scenario has no game with scorecards, or fewer than two worldviews, so there is no crux panel." }));
  else if ($("pn-job").textContent.startsWith("This scenario")) $("pn-job").replaceChildren();
}

async function runPanel() {
  const box = $("pn-job");
  box.replaceChildren();
  const req = { worldviews: [$("pn-a").value, $("pn-b").value], episodes: Number($("pn-episodes").value),
    max_evaluations: Number($("pn-budget").value), seed: Number($("pn-seed").value), worldview: null };
  try {
    const job = await api("POST", "/api/panel", docRef(req));
    const ui = jobRow("crux panel", job);
    box.append(ui.row);
    S.pnJob = job.id;
    $("pn-cancel").disabled = false;
    await pollJob(job, ui, renderPanel);
  } catch (err) {
    box.replaceChildren(el("div", { class: "error", text: err.message }));
  } finally { $("pn-cancel").disabled = true; }
}

/* A web address as a link target only when it is http(s) (the server keeps only those too). */
function webUrl(url) { return typeof url === "string" && /^https?:\/\//i.test(url) ? url : null; }

function basisSide(side) {
  if (!side) return el("div", { class: "muted small", text: "(no number here)" });
  const quotes = side.quotes.map((q) => {
    const url = webUrl(q.url);
    const doc = url ? el("a", { class: "quote-link", href: url, target: "_blank", rel: "noopener noreferrer", title: q.title || q.doc, text: q.doc })
      : el("span", { class: "quote-doc", title: q.title || "", text: q.doc });
    return el("blockquote", { class: "panel-quote" }, el("span", { class: "quote", text: q.quote }), " — ", doc);
  });
  return el("div", {}, quotes,
    side.assumption ? el("div", { class: "small panel-assumption", text: "assumption: " + side.assumption }) : null,
    side.data ? el("div", { class: "small muted", text: `data ${side.data.doc}: ${side.data.computation}` }) : null,
    !quotes.length && !side.assumption && !side.data ? el("div", { class: "muted small", text: side.text }) : null);
}

function renderPanel(res) {
  const p = res.panel;
  const [a, b] = p.worldviews;
  const judgment = (bs) => {
    const j = res.judgments[bs.path] || {};
    return el("div", { class: "panel-judgment", dataset: { path: bs.path } },
      el("p", {}, el("b", { text: bs.label }), " ", el("code", { text: bs.path })),
      el("div", { class: "side" },
        [[a, bs.value_a], [b, bs.value_b]].map(([w, value]) => el("div", { dataset: { worldview: w } },
          el("i", { text: w }), ": ", el("strong", { text: value }), basisSide(j[w])))));
  };
  const cards = p.scorecards.map((card) => el("div", { class: "panel-card", dataset: { scorecard: card.scorecard } },
    el("h3", {}, card.label, " ", el("small", { text: `(scorecard ${card.scorecard})` })),
    card.statements.map((st) => el("div", { class: "panel-statement", dataset: { kind: st.kind, worldview: st.worldview } },
      el("p", { class: "panel-text", text: st.text }),
      st.bases.length ? el("details", {},
        el("summary", { text: `the ${st.bases.length} judgment(s) it names: both readings' values, quotes and assumptions` }),
        st.bases.map(judgment)) : null))));
  $("panel").replaceChildren(
    el("p", { class: "small" }, el("b", { text: a }), ` — ${p.labels[a]}; `, el("b", { text: b }), ` — ${p.labels[b]}.`),
    ...cards,
    ...p.notes.map((n) => el("p", { class: "muted small", text: n })),
    el("p", { class: "muted small", text: `Run: seed ${p.seed}, ${p.episodes} episodes per evaluation on common random numbers, a Shapley budget of ${p.max_evaluations} coalitions (exact when they all fit, else permutation-sampled with standard errors), ${p.evaluations} evaluations in all. Switch points hold every other judgment at the reading's values and bisect on the chosen strategy (docs/cruxes.md); the shares are played on ${a}'s calendar. Re-check a small margin with more episodes or another seed.` }));
}

/* ---------------------------------------------------------------- global sensitivity */

function fillSensitivityOutputs() {
  const sel = $("sa-output");
  const opts = S.view.issues.map((i) => ({ value: "forecast:" + i.id, text: "forecast: " + i.label }));
  const info = S.view.game_metric_info || {};
  for (const m of S.view.game_metrics || []) opts.push({ value: "strategy:" + m, text: "strategy game: " + ((info[m] && info[m].label) || m) + " (first strategy pair)" });
  const keep = sel.value;
  sel.replaceChildren(...opts.map((o) => el("option", o)));
  if (opts.some((o) => o.value === keep)) sel.value = keep;
}

async function runSensitivity() {
  const box = $("sa-job");
  box.replaceChildren();
  const req = { kind: "sensitivity", output: $("sa-output").value, method: $("sa-method").value, n: Number($("sa-n").value),
    model: $("sa-model").value || "compromise", episodes: Number($("sa-episodes").value), seed: Number($("mc-seed").value) || 0 };
  try {
    const job = await api("POST", "/api/jobs", docRef(req));
    const ui = jobRow(req.output, job);
    box.append(ui.row);
    S.saJob = job.id;
    $("sa-cancel").disabled = false;
    await pollJob(job, ui, renderGlobalSensitivity);
  } catch (err) {
    box.replaceChildren(el("div", { class: "error", text: err.message }));
  } finally { $("sa-cancel").disabled = true; }
}

function renderGlobalSensitivity(res) {
  const sobol = res.method === "sobol";
  const rows = res.parameters.slice(0, 15);
  const label = (p) => p.label || p.path;
  const chart = $("sa-chart");
  const div = el("div", { class: "chart" });
  chart.replaceChildren(div);
  // long labels are shortened in the middle (the hover shows them whole)
  const short = (t) => t.length > 60 ? t.slice(0, 28) + " … " + t.slice(-29) : t;
  const ys = rows.map((p) => short(label(p))).reverse();
  const bar = (key, name) => ({ type: "bar", orientation: "h", name, y: ys, x: rows.map((p) => p[key]).reverse(),
    customdata: rows.map(label).reverse(), hovertemplate: "%{customdata}: %{x:.3f}<extra>" + name + "</extra>",
    error_x: { type: "data", array: rows.map((p) => p[key + "_conf"]).reverse(), visible: true } });
  const traces = sobol ? [bar("ST", "ST (total)"), bar("S1", "S1 (first order)")] : [bar("mu_star", "μ* (Morris)")];
  Plotly.react(div, traces, {
    height: 120 + 26 * rows.length, margin: { l: 10, r: 10, t: 30, b: 40 }, barmode: "group",
    yaxis: { automargin: true },
    title: { text: `${res.description}: ${sobol ? "Sobol" : "Morris"}, ${res.evaluations} evaluations`, font: { size: 13 } },
    legend: { orientation: "h" }, xaxis: { title: { text: sobol ? "share of variance" : "mean |effect|" } },
  }, PLOT_CONFIG);
  const cols = sobol ? ["S1", "S1_conf", "ST", "ST_conf"] : ["mu_star", "mu_star_conf", "mu", "sigma"];
  $("sa-table").replaceChildren(
    el("thead", {}, el("tr", {}, el("th", { text: "input" }), cols.map((c) => el("th", { text: c })))),
    el("tbody", {}, res.parameters.map((p) => el("tr", {},
      el("td", {}, el("code", { text: p.path }), el("div", { class: "muted small", text: p.label })),
      cols.map((c) => el("td", { class: "num", text: fmt(p[c], 3) }))))));
  if (res.noise_share !== null && res.noise_share > 0.2) {
    chart.append(el("p", { class: "muted small", text: `Each row's mean has a Monte Carlo error of ${Math.round(100 * res.noise_share)} % of the output variance: the rows share their episodes' chance, so the indices are not inflated, but they describe these episodes; check with more episodes.` }));
  }
}

/* ---------------------------------------------------------------- cruxes */

async function loadCruxes() {
  const table = $("crux-table");
  try {
    const issueSel = $("crux-issue");
    if (S.view && issueSel.options.length !== S.view.issues.length) {
      issueSel.replaceChildren(...S.view.issues.map((i) => el("option", { value: i.id, text: i.label })));
    }
    const views = S.view ? S.view.worldviews : [];
    for (const [id, dflt] of [["crux-a", 0], ["crux-b", 1]]) {
      const sel = $(id);
      if (sel.options.length !== views.length) {
        sel.replaceChildren(...views.map((w) => el("option", { value: w.id, text: w.label })));
        if (views[dflt]) sel.value = views[dflt].id;
      }
    }
    const pair = views.length >= 2 && $("crux-a").value !== $("crux-b").value ? [$("crux-a").value, $("crux-b").value] : null;
    const threshold = Number($("crux-threshold").value);
    const res = await api("POST", "/api/cruxes", docRef({ model: $("crux-model").value || "compromise", worldview: null,
      worldviews: pair, issue: issueSel.value || null, threshold: Number.isFinite(threshold) ? threshold : 50 }));
    const m = res.minimal;
    $("crux-minimal").replaceChildren(m ? el("div", {},
      el("div", { text: `${m.a}: ${m.conclusion_a}; ${m.b}: ${m.conclusion_b} — the conclusion ${m.flips ? "flips" : "does not flip"} between the two readings.` }),
      m.cruxes.length ? el("div", {}, `Minimal sets of ${m.b}'s judgments that flip ${m.a}'s conclusion: `,
        m.cruxes.map((c) => el("div", {}, el("code", { text: c.paths.join(" + ") }), ` → ${c.conclusion}`))) : el("div", { text: "No single judgment or small set flips it." }),
      m.notes.map((n) => el("div", { class: "muted", text: n }))) : "");
    if (!res.cruxes.length) { table.replaceChildren(el("tr", {}, el("td", { class: "muted", text: res.pair.length ? "The two worldviews agree on every judgment." : "Fewer than two worldviews: nothing to disagree on." }))); return; }
    const sides = res.pair;
    const pick = (c) => sides.map((w) => c.sides[res.worldviews.indexOf(w)]);
    const head = el("tr", {}, el("th", { text: "value" }), sides.map((w) => el("th", { text: w })),
      el("th", { text: `effect of swapping alone (${sides.join(" → ")}), forecast of ${res.issue}` }), el("th", { text: "role" }));
    const rows = res.cruxes.map((c) => el("tr", {},
      el("td", {}, el("code", { text: c.path }), c.base ? el("div", { class: "muted small", text: "base: " + c.base.text }) : null),
      pick(c).map((s) => el("td", {},
        s.value ? el("strong", { text: s.value.text }) : "–", s.overrides ? "" : el("span", { class: "muted small", text: " (base)" }),
        s.value ? s.value.basis.quotes.map((q) => el("div", { class: "small" }, el("span", { class: "quote", text: q.quote }), ` — ${q.doc}`)) : null,
        s.value && s.value.basis.assumption ? el("div", { class: "small muted", text: "assumption: " + s.value.basis.assumption }) : null)),
      el("td", { class: "num small", text: c.effect === null ? "" : `${c.effect > 0 ? "+" : ""}${c.effect.toFixed(3)}` }),
      el("td", { class: "small", text: c.role })));
    table.replaceChildren(el("thead", {}, head), el("tbody", {}, rows));
  } catch (err) {
    table.replaceChildren(el("tr", {}, el("td", { class: "error", text: err.message })));
  }
}

/* ---------------------------------------------------------------- YAML, upload, download */

function gotoLine(line) {
  const ta = $("yaml");
  const lines = ta.value.split("\n");
  const start = lines.slice(0, line - 1).join("\n").length + (line > 1 ? 1 : 0);
  ta.focus();
  ta.setSelectionRange(start, start + (lines[line - 1] || "").length);
  ta.scrollTop = Math.max(0, (line - 5) * 16.8);
}

async function applyYaml() {
  const text = $("yaml").value;
  try {
    const doc = await api("POST", "/api/validate", { yaml: text, name: S.name, worldview: S.worldview });
    if (!doc.valid) {
      $("diagnostics").replaceChildren(el("p", { class: "error", text: "Not applied: the document does not validate." }), diagnosticsList(doc.diagnostics, gotoLine));
      return;
    }
    clearError();
    adopt(doc);
    S.intervals = {};
    await runForecasts();
    loadCruxes();
  } catch (err) {
    $("diagnostics").replaceChildren(el("p", { class: "error", text: err.message }), err.problem && err.problem.diagnostics ? diagnosticsList(err.problem.diagnostics, gotoLine) : null);
  }
}

function download() {
  const blob = new Blob([S.yaml], { type: "application/yaml" });
  const a = el("a", { href: URL.createObjectURL(blob), download: S.name.replace(/\.(ya?ml)$/, "") + (S.edited ? "-edited" : "") + ".yaml" });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

async function uploadFile(file) {
  const form = new FormData();
  form.append("file", file);
  try {
    const doc = await api("POST", "/api/upload", form);
    if (!doc.valid) {
      showError({ message: `${doc.name} is not a valid scenario; nothing was changed.`, problem: { title: "Upload refused", diagnostics: doc.diagnostics } });
      return;
    }
    sessionStorage.setItem("detente.upload", JSON.stringify({ name: doc.name, yaml: doc.yaml }));
    window.location.href = "/explore";
  } catch (err) { showError(err); }
}

async function reset() {
  S.worldview = $("worldview").value || null;
  try {
    const doc = await api("POST", "/api/validate", { yaml: S.original, name: S.name, worldview: S.worldview });
    S.edited = false;
    clearError();
    adopt(doc);
    S.intervals = {};
    await runForecasts();
    loadCruxes();
  } catch (err) { showError(err); }
}

/* ---------------------------------------------------------------- wiring */

document.addEventListener("DOMContentLoaded", () => {
  $("worldview").addEventListener("change", (ev) => switchWorldview(ev.target.value));
  $("ed-dist").addEventListener("change", showParams);
  $("ed-apply").addEventListener("click", applyEdit);
  $("ed-cancel").addEventListener("click", () => $("editor").close());
  $("run").addEventListener("click", runForecasts);
  $("mc-run").addEventListener("click", runMonteCarlo);
  $("mc-cancel").addEventListener("click", () => cancelJobs(S.mcJobs));
  $("st-run").addEventListener("click", runStrategies);
  $("sa-run").addEventListener("click", runSensitivity);
  $("sa-cancel").addEventListener("click", () => S.saJob && cancelJobs([S.saJob]));
  $("st-cancel").addEventListener("click", () => S.stJob && cancelJobs([S.stJob]));
  $("st-metric").addEventListener("change", () => S.strategies && renderStrategies());
  $("sc-run").addEventListener("click", runScorecards);
  $("sc-cancel").addEventListener("click", () => S.scJob && cancelJobs([S.scJob]));
  $("hc-run").addEventListener("click", runHindcast);
  $("hc-cancel").addEventListener("click", () => S.hcJob && cancelJobs([S.hcJob]));
  $("pn-run").addEventListener("click", runPanel);
  $("pn-cancel").addEventListener("click", () => S.pnJob && cancelJobs([S.pnJob]));
  $("traj-model").addEventListener("change", renderTrajectory);
  $("traj-issue").addEventListener("change", renderTrajectory);
  $("crux-model").addEventListener("change", loadCruxes);
  $("crux-a").addEventListener("change", loadCruxes);
  $("crux-b").addEventListener("change", loadCruxes);
  $("crux-issue").addEventListener("change", loadCruxes);
  $("crux-threshold").addEventListener("change", loadCruxes);
  $("yaml-apply").addEventListener("click", applyYaml);
  $("download").addEventListener("click", download);
  $("upload").addEventListener("change", (ev) => ev.target.files.length && uploadFile(ev.target.files[0]));
  $("reset").addEventListener("click", reset);
  init().catch(showError);
});
