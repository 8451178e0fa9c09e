// New job: paste or upload a problem (routecast JSON, VRPLIB, Solomon, VROOM JSON or a CSV
// of stops with a fleet form), check it, choose the engine and time limit, submit.

import { postJson } from "../api.js";
import { errorBox, h } from "../dom.js";

const FORMATS = { auto: "detect", routecast: "routecast JSON", vrplib: "VRPLIB", solomon: "Solomon",
  vroom: "VROOM JSON", csv: "CSV of stops" };
const EXAMPLE_CSV = `id,lat,lon,demand,window_start,window_end,service_time
s1,52.372,4.893,2,08:00,10:00,300
s2,52.380,4.900,1,09:00,12:00,300
s3,52.365,4.910,3,,,600
s4,52.359,4.880,2,10:00,14:00,300
`;

export function detectFormat(text) {
  const t = text.trimStart();
  if (t.startsWith("{")) {
    try {
      const doc = JSON.parse(t);
      if (doc.vehicles && (doc.jobs || doc.shipments)) return "vroom";
    } catch {
      return "routecast"; // the server names the JSON error
    }
    return "routecast";
  }
  const lines = t.split("\n").map((l) => l.trim()).filter(Boolean);
  if (lines.length > 1 && lines[1].toUpperCase() === "VEHICLE") return "solomon";
  if (lines.length && /^[A-Z_]+\s*:/.test(lines[0])) return "vrplib";
  if (lines.length && lines[0].toLowerCase().split(",").map((c) => c.trim()).includes("id")) return "csv";
  return "routecast";
}

function field(label, input, hint = "") {
  return h("label.field", {}, h("span", { text: label }), input, hint ? h("small.muted", { text: hint }) : null);
}

// The problem as routecast JSON: parsed here when it is one, converted by the service otherwise.
async function toProblem(text, format, name, fleetInputs) {
  if (format === "routecast") {
    const doc = JSON.parse(text);
    const problem = doc.problem && doc.stops === undefined ? doc.problem : doc;
    return postJson("/v1/convert", { format, text: JSON.stringify(problem), name });
  }
  const body = { format, text, name };
  if (format === "csv") {
    const v = (k) => fleetInputs[k].value.trim();
    body.fleet = { depot_lat: Number(v("depot_lat")), depot_lon: Number(v("depot_lon")),
      vehicles: Number(v("vehicles")), capacity: v("capacity") ? Number(v("capacity")) : null,
      shift_start: v("shift_start") || "0", shift_end: v("shift_end") || null, speed: Number(v("speed")) };
  }
  return postJson("/v1/convert", body);
}

export async function newJobPage() {
  const text = h("textarea#problem-text", { rows: 14, spellcheck: "false",
    placeholder: "Paste a routecast JSON, VRPLIB, Solomon or VROOM problem, or a CSV of stops (id,lat,lon,demand,window_start,window_end,service_time)" });
  const file = h("input#problem-file", { type: "file", accept: ".json,.vrp,.txt,.csv,.sol" });
  const name = h("input#problem-name", { value: "problem", maxlength: 200 });
  const format = h("select#format", {}, Object.entries(FORMATS).map(([v, t]) => h("option", { value: v, text: t })));
  const detected = h("small#detected.muted");
  const fleetInputs = {
    depot_lat: h("input#depot-lat", { value: "52.370", inputmode: "decimal" }),
    depot_lon: h("input#depot-lon", { value: "4.890", inputmode: "decimal" }),
    vehicles: h("input#vehicles", { type: "number", min: 1, value: 2 }),
    capacity: h("input#capacity", { type: "number", min: 0, step: "any", value: 10 }),
    shift_start: h("input#shift-start", { value: "07:00" }),
    shift_end: h("input#shift-end", { value: "18:00" }),
    speed: h("input#speed", { type: "number", min: 0.1, step: "any", value: 8 }),
  };
  const fleet = h("fieldset#fleet", {}, h("legend", { text: "Fleet (CSV of stops)" }),
    h("div.grid", {},
      field("Depot latitude", fleetInputs.depot_lat), field("Depot longitude", fleetInputs.depot_lon),
      field("Vehicles", fleetInputs.vehicles), field("Capacity", fleetInputs.capacity, "empty: unlimited"),
      field("Shift start", fleetInputs.shift_start, "HH:MM or seconds"),
      field("Shift end", fleetInputs.shift_end, "empty: open"),
      field("Speed (m/s)", fleetInputs.speed)));
  const engine = h("input#engine", { value: "auto", list: "engines" });
  const timeLimit = h("input#time-limit", { type: "number", min: 0.1, step: "any", value: 5 });
  const seed = h("input#seed", { type: "number", min: 0, value: 0 });
  const out = h("div#new-job-result");
  const effective = () => (format.value === "auto" ? detectFormat(text.value) : format.value);
  const update = () => {
    const f = effective();
    detected.textContent = text.value.trim() ? `reading as: ${FORMATS[f]}` : "";
    fleet.hidden = f !== "csv";
  };
  text.addEventListener("input", update);
  format.addEventListener("change", update);
  file.addEventListener("change", async () => {
    const f = file.files[0];
    if (!f) return;
    text.value = await f.text();
    name.value = f.name.replace(/\.[^.]+$/, "") || "problem";
    update();
  });
  const summary = (p) => h("p.ok", { text: `${p.name}: ${p.stops.length} stops, ${p.depots.length} depot(s), `
    + `${p.vehicle_types.reduce((n, v) => n + v.count, 0)} vehicle(s), travel ${p.travel.kind}` });
  const check = async () => {
    out.replaceChildren(h("p.muted", { text: "checking…" }));
    try {
      const p = await toProblem(text.value, effective(), name.value, fleetInputs);
      out.replaceChildren(summary(p));
      return p;
    } catch (err) {
      out.replaceChildren(errorBox(err));
      return null;
    }
  };
  const submit = async (e) => {
    e.preventDefault();
    const p = await check();
    if (!p) return;
    try {
      const job = await postJson("/v1/jobs", { problem: p, options: {
        engine: engine.value.trim() || "auto", time_limit: Number(timeLimit.value), seed: Number(seed.value) } });
      location.hash = `#/jobs`;
      sessionStorage.setItem("routecast.lastJob", job.id);
    } catch (err) {
      out.replaceChildren(errorBox(err));
    }
  };
  update();
  return h("section.page.new-page", {},
    h("h2", { text: "New job" }),
    h("form#new-job", { onsubmit: submit },
      h("div.grid", {}, field("Upload a file", file), field("Name", name), field("Format", format, ""), detected),
      field("Problem", text),
      h("p", {}, h("button.link", { type: "button", text: "Load an example CSV of stops",
        onclick: () => { text.value = EXAMPLE_CSV; name.value = "example"; update(); } })),
      fleet,
      h("fieldset", {}, h("legend", { text: "Solve" }), h("div.grid", {},
        field("Engine", engine, "auto picks by problem"), field("Time limit (s)", timeLimit), field("Seed", seed))),
      h("datalist#engines", {}, ["auto", "hgs", "ortools", "exact"].map((v) => h("option", { value: v }))),
      h("div.buttons", {}, h("button#check", { type: "button", text: "Check", onclick: check }),
        h("button#submit.primary", { type: "submit", text: "Submit" }))),
    out);
}
