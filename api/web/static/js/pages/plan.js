// Plan: map, timeline, KPI panel, versions (lineage and diff), per-route table, downloads;
// a stop clicked in one view is highlighted in all of them.

import { config, download, request } from "../api.js";
import { clock, colour, duration, h, num, pct, selectStop } from "../dom.js";
import { lineageCard } from "../lineage.js";
import { drawMap } from "../map.js";
import { clockOffset, drawTimeline, onClock, vehicleLabels } from "../timeline.js";

const KPIS = [["cost", "cost", 2], ["distance", "distance", 1], ["duration", "duration", "time"],
  ["vehicles_used", "vehicles used", 0], ["stops_served", "stops served", 0], ["unassigned", "unassigned", 0],
  ["waiting_time", "waiting", "time"], ["on_time_rate", "on time", "pct"], ["utilisation", "utilisation", "pct"],
  ["feasible", "feasible", 0]];
const DOWNLOADS = [["json", "json"], ["csv", "csv"], ["geojson", "geojson"], ["vrplib", "sol"]];

function kpiText(value, d, timed) {
  if (d === "pct") return pct(value);
  if (d === "time") return timed ? duration(value) : num(value, 1);
  return num(value, d);
}

// timed: durations are seconds on a clock (geo problems), not instance units.
export function kpiPanel(kpis, timed, extra = []) {
  return h("div.kpis", {}, KPIS.filter(([k]) => k in kpis).map(([k, label, d]) =>
    h("div.kpi", { "data-kpi": k }, h("b", { text: kpiText(kpis[k], d, timed) }), h("span", { text: label }))),
  extra.map(([label, value]) => h("div.kpi", {}, h("b", { text: value }), h("span", { text: label }))));
}

function routeTable(plan, labels, fmt, timed) {
  return h("table.routes", {},
    h("thead", {}, h("tr", {}, ["", "vehicle", "stops", "distance", "duration", "cost", "load", "start", "end"].map((c) => h("th", { text: c })))),
    h("tbody", {}, plan.schedule.routes.map((r, k) => h("tr", { "data-route": k, onclick: () => selectStop(r.visits[0]?.stop ?? null) },
      h("td", {}, h("i.swatch", { style: `background:${colour(k)}` })), h("td", { text: labels[k] }),
      h("td.num", { text: r.visits.length }), h("td.num", { text: num(r.distance, 1) }), h("td.num", { text: kpiText(r.duration, "time", timed) }),
      h("td.num", { text: num(r.cost, 2) }), h("td.num", { text: r.load.map((x) => num(x, 1)).join(" / ") }),
      h("td", { text: fmt(r.start_time) }), h("td", { text: fmt(r.end_time) })))));
}

function visitTable(plan, labels, fmt) {
  const stops = new Map(plan.problem.stops.map((x) => [x.id, x]));
  const prob = plan.solution.on_time_probability || {};
  const late = new Set(plan.schedule.violations.filter((v) => v.kind === "time_window").map((v) => v.stop));
  const rows = [];
  plan.schedule.routes.forEach((r, k) => r.visits.forEach((v, i) => {
    const w = stops.get(v.stop)?.time_windows ?? [];
    rows.push(h("tr", { "data-stop": v.stop, class: late.has(v.stop) ? "late" : null, onclick: () => selectStop(v.stop) },
      h("td", { text: v.stop }), h("td", { text: `${labels[k]} · ${i + 1}` }), h("td", { text: fmt(v.arrival) }),
      h("td", { text: fmt(v.start) }), h("td", { text: fmt(v.departure) }),
      h("td", { text: w.map((x) => `${fmt(x.start)}–${fmt(typeof x.end === "number" ? x.end : Infinity)}`).join(", ") }),
      h("td.num", { text: v.stop in prob ? pct(prob[v.stop]) : "–" })));
  }));
  for (const u of plan.solution.unassigned) {
    rows.push(h("tr.unassigned", { "data-stop": u.stop, onclick: () => selectStop(u.stop) },
      h("td", { text: u.stop }), h("td", { text: `unassigned: ${u.reason}` }), h("td"), h("td"), h("td"), h("td"), h("td")));
  }
  return h("table.visits", {},
    h("thead", {}, h("tr", {}, ["stop", "vehicle · #", "arrival", "start", "departure", "window", "on-time p"].map((c) => h("th", { text: c })))),
    h("tbody", {}, rows));
}

// The plan; a 202 means a worker is still timing its schedule (learned travel): ask again.
async function timedPlan(jobId) {
  for (;;) {
    const response = await request(`/v1/jobs/${jobId}/plan`);
    if (response.status !== 202) return response.json();
    await new Promise((done) => setTimeout(done, 1000));
  }
}

export async function planPage([jobId], signal) {
  const [plan, cfg] = await Promise.all([timedPlan(jobId), config()]);
  const { problem, solution, schedule } = plan;
  const timed = onClock(problem);
  const versions = await lineageCard(jobId, signal, (x) => kpiText(x, "time", timed));
  const fmt = (t) => clock(t + clockOffset(problem), timed);
  const labels = vehicleLabels(schedule.routes);
  const detail = h("div#stop-detail.card", {}, h("p.muted", { text: "Click a stop on the map, the timeline or a table." }));
  const stopInfo = new Map(problem.stops.map((x) => [x.id, x]));
  const onSelect = (e) => {
    const id = e.detail;
    const stop = stopInfo.get(id);
    if (!stop) return;
    let where = solution.unassigned.find((u) => u.stop === id);
    const lines = [["stop", id]];
    if (where) lines.push(["unassigned", where.reason]);
    schedule.routes.forEach((r, k) => r.visits.forEach((v, i) => {
      if (v.stop === id) {
        where = v;
        lines.push(["vehicle", `${labels[k]}, stop ${i + 1}`], ["arrives", fmt(v.arrival)], ["starts", fmt(v.start)],
          ["waits", kpiText(v.wait, "time", timed)], ["leaves", fmt(v.departure)]);
      }
    }));
    lines.push(["demand", stop.demand.join(" / ")], ["service", kpiText(stop.service_time, "time", timed)],
      ["window", stop.time_windows.map((w) => `${fmt(w.start)}–${fmt(typeof w.end === "number" ? w.end : Infinity)}`).join(", ")]);
    if (solution.on_time_probability && id in solution.on_time_probability) lines.push(["on time", pct(solution.on_time_probability[id])]);
    detail.replaceChildren(h("dl", {}, lines.map(([k, v]) => [h("dt", { text: k }), h("dd", { text: v })])));
  };
  document.addEventListener("stop-selected", onSelect, { signal });
  const unassigned = h("div.card", {}, h("h4", { text: `Unassigned (${solution.unassigned.length})` }),
    solution.unassigned.length
      ? h("ul.unassigned-list", {}, solution.unassigned.map((u) => h("li", { "data-stop": u.stop, onclick: () => selectStop(u.stop) },
        h("b", { text: u.stop }), ` — ${u.reason}`)))
      : h("p.muted", { text: "every stop is served" }));
  const stats = solution.stats || {};
  const violations = schedule.violations.length
    ? h("div.card.violations", {}, h("h4", { text: `Violations (${schedule.violations.length})` }),
      h("ul", {}, schedule.violations.slice(0, 20).map((v) => h("li", { text: v.message }))))
    : null;
  return h("section.page.plan-page", { "data-job": jobId },
    h("div.toolbar", {}, h("h2", { text: `Plan: ${problem.name}` }), h(`span.badge.${plan.status}`, { text: plan.status }),
      h("span.muted", { text: `${stats.engine ?? ""} ${stats.runtime_s !== undefined ? `· ${num(stats.runtime_s, 1)} s` : ""}` }),
      h("span.spacer"),
      h("span.downloads", {}, "Download:", DOWNLOADS.map(([f, ext]) => h("button", { "data-format": f, text: f.toUpperCase(),
        onclick: () => download(`/v1/jobs/${jobId}/solution?format=${f}`, `${problem.name}.${ext}`) })))),
    kpiPanel(schedule.kpis, timed, [["engine", stats.engine ?? "–"]]),
    versions,
    h("div.plan-grid", {},
      drawMap({ problem, routes: solution.routes, unassigned: solution.unassigned, tiles: cfg.tiles }),
      h("div.side", {}, detail, unassigned, violations)),
    h("h3", { text: "Timeline" }), drawTimeline({ problem, schedule, solution }),
    h("h3", { text: "Routes" }), routeTable(plan, labels, fmt, timed),
    h("details", {}, h("summary", { text: "Visits" }), visitTable(plan, labels, fmt)));
}
