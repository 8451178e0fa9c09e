// The Gantt timeline: one row per vehicle with travel, waiting, service and breaks as
// segments, time windows shaded, late visits and overtime in red, and each stop's
// on-time probability when the plan was made on learned travel.

import { clock, colour, h, s, selectStop } from "./dom.js";

const LABEL = 120;
const W = 1000;
const ROW = 34;
const AXIS = 26;

// Seconds from the planning origin -> seconds on the day's clock (learned travel starts
// at its departure time; other geo problems count from midnight).
export function clockOffset(problem) {
  if (problem.travel.kind !== "learned") return 0;
  const m = /T(\d\d):(\d\d)/.exec(problem.travel.departure);
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 : 0;
}

export function onClock(problem) {
  return problem.depots[0].location.lat !== null && problem.depots[0].location.lat !== undefined;
}

function niceStep(span, onClk) {
  const steps = onClk ? [60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200]
    : [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000];
  return steps.find((st) => span / st <= 12) ?? steps[steps.length - 1];
}

export function vehicleLabels(routes) {
  const seen = new Map();
  return routes.map((r) => {
    const n = (seen.get(r.vehicle_type) ?? 0) + 1;
    seen.set(r.vehicle_type, n);
    return `${r.vehicle_type} #${n}`;
  });
}

export function drawTimeline({ problem, schedule, solution }) {
  const onClk = onClock(problem);
  const offset = clockOffset(problem);
  const fmt = (t) => clock(t + offset, onClk);
  const stops = new Map(problem.stops.map((x) => [x.id, x]));
  const types = new Map(problem.vehicle_types.map((v) => [v.id, v]));
  const late = new Set(schedule.violations.filter((v) => v.kind === "time_window" && v.stop).map((v) => v.stop));
  const overtimeRoutes = new Set(schedule.violations
    .filter((v) => ["shift", "max_duration"].includes(v.kind) && v.route !== null && v.route !== undefined)
    .map((v) => v.route));
  const probability = solution.on_time_probability || {};
  const routes = schedule.routes;
  const ends = routes.map((r) => (Number.isFinite(r.end_time) ? r.end_time
    : r.visits.length ? r.visits[r.visits.length - 1].departure : r.start_time));
  let t0 = Math.min(...routes.map((r) => r.start_time));
  let t1 = Math.max(...ends);
  if (!(t1 > t0)) t1 = t0 + 1;
  const pad = (t1 - t0) * 0.02;
  t0 -= pad;
  t1 += pad;
  const x = (t) => LABEL + ((Math.max(t0, Math.min(t1, t)) - t0) / (t1 - t0)) * (W - LABEL - 10);
  const height = AXIS + ROW * routes.length + 6;
  const svg = s("svg", { viewBox: `0 0 ${W} ${height}`, class: "timeline", role: "img",
    "aria-label": "timeline per vehicle" });
  const step = niceStep(t1 - t0, onClk);
  const axis = s("g", { class: "axis" });
  for (let t = Math.ceil((t0 + offset) / step) * step - offset; t <= t1; t += step) {
    axis.append(s("line", { x1: x(t), x2: x(t), y1: AXIS - 6, y2: height, class: "tick" }),
      s("text", { x: x(t), y: AXIS - 10, text: fmt(t) }));
  }
  svg.append(axis);
  const labels = vehicleLabels(routes);
  routes.forEach((route, k) => {
    const y = AXIS + k * ROW;
    const row = s("g", { class: "vehicle-row", "data-route": k },
      s("rect", { x: 0, y, width: W, height: ROW, class: k % 2 ? "band odd" : "band" }),
      s("text", { x: 6, y: y + ROW / 2 + 4, class: "row-label", text: labels[k] }),
      s("rect", { x: 108, y: y + ROW / 2 - 5, width: 8, height: 10, fill: colour(k) }));
    const shift = types.get(route.vehicle_type).shift;
    if (Number.isFinite(shift.end) && ends[k] > shift.end) {
      row.append(s("rect", { class: "seg overtime", x: x(shift.end), y: y + 6, width: Math.max(2, x(ends[k]) - x(shift.end)), height: ROW - 12 },
        s("title", { text: `overtime: ends ${fmt(ends[k])}, shift ends ${fmt(shift.end)}` })));
    } else if (overtimeRoutes.has(k)) {
      row.append(s("rect", { class: "seg overtime", x: x(ends[k]) - 4, y: y + 6, width: 4, height: ROW - 12 },
        s("title", { text: "route too long (shift or maximum duration)" })));
    }
    // The evaluator times the first arrival from the earliest departure; the vehicle
    // actually leaves at start_time, so the first leg is drawn from there.
    const depot = problem.depots.find((d) => d.id === types.get(route.vehicle_type).start_depot);
    const earliest = Math.max(shift.start, depot.time_window.start);
    let prev = route.start_time;
    route.visits.forEach((v, i) => {
      const arrival = i === 0 ? Math.max(v.arrival, route.start_time + Math.max(0, v.arrival - earliest)) : v.arrival;
      const stop = stops.get(v.stop);
      if (stop) {
        for (const w of stop.time_windows) {
          const wend = w.end === "Infinity" || w.end === null ? t1 : w.end;
          if (w.start <= t0 && wend >= t1) continue; // an open window shades nothing
          row.append(s("rect", { class: "window", "data-stop": v.stop, x: x(w.start), y: y + ROW - 9,
            width: Math.max(1, x(wend) - x(w.start)), height: 6 },
          s("title", { text: `${v.stop}: window ${fmt(w.start)}–${fmt(wend)}` })));
        }
      }
      row.append(s("rect", { class: "seg travel", x: x(prev), y: y + 13, width: Math.max(0, x(arrival) - x(prev)), height: 6 }));
      if (v.start > arrival) {
        row.append(s("rect", { class: "seg wait", x: x(arrival), y: y + 9, width: Math.max(0, x(v.start) - x(arrival)), height: 14 },
          s("title", { text: `${v.stop}: waits ${fmt(arrival)}–${fmt(v.start)}` })));
      }
      const kind = v.kind === "break" ? "break" : "service";
      const isLate = late.has(v.stop);
      const p = probability[v.stop];
      const seg = s("rect", { class: `seg ${kind}${isLate ? " late" : ""}`, "data-stop": v.stop, "data-route": k,
        x: x(v.start) - 1, y: y + 5, width: Math.max(3, x(v.departure) - x(v.start)), height: ROW - 14,
        fill: kind === "service" && !isLate ? colour(k) : null, onclick: () => selectStop(v.stop) },
      s("title", { text: `${v.stop}${kind === "break" ? " (break)" : ""}: starts ${fmt(v.start)}, leaves ${fmt(v.departure)}`
        + (isLate ? " — LATE" : "") + (p !== undefined ? `, on time with p = ${(100 * p).toFixed(0)} %` : "") }));
      row.append(seg);
      if (p !== undefined) {
        row.append(s("text", { class: `prob${p < 0.8 ? " low" : ""}`, "data-stop": v.stop, x: x(v.start), y: y + 4,
          text: `${Math.round(100 * p)}%` }));
      }
      prev = v.departure;
    });
    row.append(s("rect", { class: "seg travel", x: x(prev), y: y + 13, width: Math.max(0, x(ends[k]) - x(prev)), height: 6 }));
    svg.append(row);
  });
  const legend = h("div.legend", {},
    h("span", {}, h("i.travel"), "travel"), h("span", {}, h("i.wait"), "waiting"),
    h("span", {}, h("i.service"), "service"), h("span", {}, h("i.break"), "break"),
    h("span", {}, h("i.window"), "time window"), h("span", {}, h("i.late"), "late / overtime"),
    Object.keys(probability).length ? h("span", { text: "% = on-time probability (learned travel)" }) : null);
  return h("div.timeline-box", {}, svg, legend);
}
