// What-if: a batch of variants from a base job, its live runs, then the comparison the
// scenario report computes (table and charts) and a map per run with the plan diff
// (stops that changed vehicle compared with the base plan ringed).

import { config, download, getJson, postJson } from "../api.js";
import { errorBox, h, num, pct, s } from "../dom.js";
import { drawMap } from "../map.js";

const OPS = { scale_demand: ["factor", 1.2], scale_service_time: ["factor", 1.5], add_vehicles: ["count", 1],
  remove_vehicles: ["count", 1], set_vehicles: ["count", 1], change_capacity: ["factor", 1.2], traffic: ["multiplier", 1.5] };
const FLEET_OPS = new Set(["add_vehicles", "remove_vehicles", "set_vehicles"]);
const COLUMNS = [["variant", "variant"], ["seed", "seed"], ["status", "status"], ["total_cost", "cost", 2],
  ["delta_total_cost_pct", "Δ cost %", 1], ["distance", "distance", 1], ["vehicles_used", "vehicles", 0],
  ["unassigned", "unassigned", 0], ["on_time_rate", "on time", "pct"], ["stops_moved", "moved", 0],
  ["newly_unserved", "newly unserved", 0], ["routes_changed", "routes changed", 0], ["feasible", "feasible", 0]];
const CHARTS = [["total_cost", "total cost"], ["delta_total_cost_pct", "Δ cost vs base (%)"],
  ["vehicles_used", "vehicles used"], ["unassigned", "unassigned stops"]];

function variantRow(vehicleType) {
  const name = h("input.v-name", { value: "demand +20%" });
  const op = h("select.v-op", {}, Object.keys(OPS).map((o) => h("option", { value: o, text: o })));
  const value = h("input.v-value", { type: "number", step: "any", value: 1.2 });
  op.addEventListener("change", () => { value.value = OPS[op.value][1]; });
  const row = h("div.variant-row", {}, name, op, value,
    h("button.link", { type: "button", text: "remove", onclick: () => row.remove() }));
  row.edit = () => {
    const edit = { op: op.value, [OPS[op.value][0]]: Number(value.value) };
    if (FLEET_OPS.has(op.value)) edit.type = vehicleType;
    return { name: name.value.trim(), edits: [edit] };
  };
  row.set = (n, o, v) => { name.value = n; op.value = o; value.value = v; };
  return row;
}

export function barChart(rows, key, title) {
  const values = rows.map((r) => (typeof r[key] === "number" ? r[key] : null));
  const finite = values.filter((v) => v !== null);
  const lo = Math.min(0, ...finite);
  const hi = Math.max(0, ...finite, 1e-9);
  const W = 360;
  const L = 130;
  const bar = 18;
  const x = (v) => L + ((v - lo) / (hi - lo || 1)) * (W - L - 70);
  const svg = s("svg", { viewBox: `0 0 ${W} ${rows.length * (bar + 6) + 8}`, class: "chart", "data-chart": key });
  rows.forEach((r, k) => {
    const y = 4 + k * (bar + 6);
    const v = values[k];
    svg.append(s("text", { x: L - 6, y: y + 13, class: "label", text: `${r.variant}${r.seed ? ` #${r.seed}` : ""}` }));
    if (v !== null) {
      svg.append(s("rect", { x: Math.min(x(0), x(v)), y, width: Math.max(1, Math.abs(x(v) - x(0))), height: bar,
        class: r.variant === "base" ? "base" : v > 0 && key.startsWith("delta") ? "worse" : "bar" }),
      s("text", { x: Math.max(x(0), x(v)) + 4, y: y + 13, text: num(v, 1) }));
    }
  });
  svg.append(s("line", { x1: x(0), x2: x(0), y1: 0, y2: rows.length * (bar + 6) + 8, class: "zero" }));
  return h("figure.chart-box", {}, h("figcaption", { text: title }), svg);
}

function cell(row, [key, , d]) {
  const v = row[key];
  if (d === "pct") return pct(v);
  return d === undefined ? String(v ?? "–") : num(v, d);
}

async function batchView(batchId, signal) {
  const box = h("div#batch");
  const cfg = await config();
  let plans = null;
  const draw = async (batch) => {
    const runs = h("table.runs", {}, h("thead", {}, h("tr", {}, ["run", "status", "elapsed", "best / final cost"].map((c) => h("th", { text: c })))),
      h("tbody", {}, batch.runs.map((r) => h("tr", { "data-run": r.key }, h("td", { text: r.key }), h("td", {}, h(`span.badge.${r.status}`, { text: r.status })),
        h("td.num", { text: r.elapsed_s === null ? "–" : `${num(r.elapsed_s, 1)} s` }), h("td.num", { text: num(r.total_cost ?? r.best_cost, 2) })))));
    const parts = [h("div.toolbar", {}, h("h3", { text: `${batch.name} — ${batch.problem_name}` }), h(`span.badge.${batch.status}`, { text: batch.status }),
      batch.status === "queued" || batch.status === "running"
        ? h("button.cancel", { text: "Cancel", onclick: () => postJson(`/v1/scenarios/${batchId}/cancel`).catch((e) => box.append(errorBox(e))) }) : null),
    runs];
    if (batch.error) parts.push(errorBox({ message: batch.error.detail || batch.error.title }));
    const cmp = batch.comparison;
    if (cmp) {
      parts.push(h("h3", { text: "Comparison" }), h("table.comparison", {},
        h("thead", {}, h("tr", {}, COLUMNS.map(([, label]) => h("th", { text: label })))),
        h("tbody", {}, cmp.rows.map((r) => h("tr", { "data-variant": r.variant }, COLUMNS.map((c) => h("td", { text: cell(r, c) })))))),
      h("div.downloads", {}, "Download:", ["html", "csv", "json"].map((f) => h("button", { text: f === "html" ? "report.html" : f.toUpperCase(),
        onclick: () => download(`/v1/scenarios/${batchId}/report?format=${f}`, f === "html" ? "report.html" : `comparison.${f}`) }))),
      h("div.charts", {}, CHARTS.map(([k, t]) => barChart(cmp.rows, k, t))));
      const keys = cmp.rows.filter((r) => r.status === "succeeded").map((r) => `${r.variant}#${r.seed}`);
      plans ??= await Promise.all(keys.map((key) => getJson(`/v1/scenarios/${batchId}/runs/${encodeURIComponent(key)}/plan`, { signal })));
      const maps = plans.map((p) => {
        const d = cmp.plan_diffs[p.key];
        const title = d ? `${p.key}: ${d.stops_moved.length} moved, ${d.newly_served.length} newly served, ${d.newly_unserved.length} newly unserved`
          : `${p.key}: ${p.solution.routes.length} routes`;
        return h("div.variant-map", { "data-run": p.key }, h("h4", { text: title }),
          drawMap({ problem: p.problem, routes: p.solution.routes, unassigned: p.solution.unassigned,
            marked: new Set(d ? d.stops_moved : []), tiles: cfg.tiles, label: `plan of ${p.key}` }),
          d && d.stops_moved.length ? h("p", { text: `moved to another vehicle: ${d.stops_moved.join(", ")}` }) : null);
      });
      parts.push(h("h3", { text: "Plans" }),
        h("p.muted", { text: "One map per run; ringed stops changed vehicle compared with the base plan of the same seed." }),
        h("div.variant-maps", {}, maps));
    }
    box.replaceChildren(...parts);
  };
  const poll = async () => {
    for (;;) {
      const batch = await getJson(`/v1/scenarios/${batchId}`, { signal });
      await draw(batch);
      if (!["queued", "running"].includes(batch.status) || signal.aborted) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  // The runs' progress is drawn while the batch solves; the page is returned at once.
  poll().catch((err) => { if (!signal.aborted) box.append(errorBox(err)); });
  return box;
}

export async function whatifPage([batchId], signal) {
  if (batchId) {
    return h("section.page.whatif-page", {}, h("h2", { text: "What-if" }), await batchView(batchId, signal));
  }
  // replans are days in progress (solved with their frozen stops), not what-if bases
  const jobs = (await getJson("/v1/jobs?status=succeeded&limit=50")).items.filter((j) => j.kind === "solve");
  const base = h("select#base-job", {}, jobs.map((j) => h("option", { value: j.id, text: `${j.problem_name} (${j.id.slice(0, 8)})` })));
  const rows = h("div#variants");
  const timeLimit = h("input#whatif-time-limit", { type: "number", min: 0.1, step: "any", value: 2 });
  const raw = h("textarea#scenario-json", { rows: 6, placeholder: "optional: a scenario set as JSON (the shape of VARIANTS.yaml); it replaces the rows above" });
  const out = h("div");
  let plan = null;
  const loadBase = async () => {
    if (!base.value) return;
    plan = await getJson(`/v1/jobs/${base.value}/plan`);
    const vt = plan.problem.vehicle_types[0];
    const a = variantRow(vt.id);
    const b = variantRow(vt.id);
    b.set("one more vehicle", "add_vehicles", 1);
    rows.replaceChildren(a, b);
  };
  base.addEventListener("change", () => loadBase().catch((e) => out.replaceChildren(errorBox(e))));
  await loadBase();
  const submit = async (e) => {
    e.preventDefault();
    try {
      const scenarios = raw.value.trim() ? JSON.parse(raw.value)
        : { name: "what-if", variants: [...rows.children].map((r) => r.edit()) };
      const options = { ...(await getJson(`/v1/jobs/${base.value}`)).options, time_limit: Number(timeLimit.value) };
      const batch = await postJson("/v1/scenarios", { problem: plan.problem, scenarios, options, warm_start: true });
      location.hash = `#/whatif/${batch.id}`;
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  return h("section.page.whatif-page", {}, h("h2", { text: "What-if" }),
    jobs.length ? h("form#whatif-form", { onsubmit: submit },
      h("label.field", {}, h("span", { text: "Base job" }), base),
      h("h4", { text: "Variants" }), rows,
      h("button.link", { type: "button", text: "+ add a variant", onclick: () => rows.append(variantRow(plan?.problem.vehicle_types[0].id)) }),
      h("details", {}, h("summary", { text: "Advanced: scenario set as JSON" }), raw),
      h("label.field", {}, h("span", { text: "Time limit per run (s)" }), timeLimit),
      h("div.buttons", {}, h("button#run-whatif.primary", { type: "submit", text: "Run what-if" })))
      : h("p.muted", { text: "A what-if starts from a solved job: solve one first." }),
    out);
}
