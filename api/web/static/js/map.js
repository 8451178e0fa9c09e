// The route map in plain SVG: no tiles by default (a projected background and a grid),
// Web Mercator for lat/lon problems, the instance's own coordinates for planar ones.
// Optional tiles come from the service's ROUTECAST_MAP_TILES template.

import { colour, h, s, selectStop } from "./dom.js";

const W = 800;
const H = 560;
const PAD = 30;

function mercator(lat, lon) {
  const rad = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  return [((lon + 180) / 360) * 256, ((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2) * 256];
}

export function project(problem) {
  const geo = problem.depots[0].location.lat !== null && problem.depots[0].location.lat !== undefined;
  const raw = (loc) => (geo ? mercator(loc.lat, loc.lon) : [loc.x, -loc.y]);
  const points = [...problem.depots, ...problem.stops].map((p) => raw(p.location));
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const span = Math.max(x1 - x0, y1 - y0, 1e-9);
  const scale = Math.min((W - 2 * PAD) / Math.max(x1 - x0, span * 0.05),
    (H - 2 * PAD) / Math.max(y1 - y0, span * 0.05));
  const ox = (W - (x1 - x0) * scale) / 2 - x0 * scale;
  const oy = (H - (y1 - y0) * scale) / 2 - y0 * scale;
  const at = (loc) => {
    const [x, y] = raw(loc);
    return [x * scale + ox, y * scale + oy];
  };
  return { geo, at, scale, ox, oy };
}

function background(proj, tiles) {
  const g = s("g", { class: "background" }, s("rect", { x: 0, y: 0, width: W, height: H }));
  if (tiles && proj.geo) {
    const z = Math.max(0, Math.min(19, Math.floor(Math.log2(proj.scale))));
    const size = (256 * proj.scale) / 2 ** z;
    const n = 2 ** z;
    const tx0 = Math.floor(-proj.ox / size);
    const ty0 = Math.floor(-proj.oy / size);
    for (let tx = tx0; tx * size + proj.ox < W; tx++) {
      for (let ty = ty0; ty * size + proj.oy < H; ty++) {
        if (tx < 0 || ty < 0 || tx >= n || ty >= n) continue;
        const href = tiles.replace("{z}", z).replace("{x}", tx).replace("{y}", ty).replace("{s}", "a");
        g.append(s("image", { href, x: tx * size + proj.ox, y: ty * size + proj.oy,
          width: size + 0.5, height: size + 0.5, class: "tile" }));
      }
    }
    return g;
  }
  for (let k = 1; k < 10; k++) {
    g.append(s("line", { x1: (k * W) / 10, y1: 0, x2: (k * W) / 10, y2: H, class: "grid" }));
    g.append(s("line", { x1: 0, y1: (k * H) / 10, x2: W, y2: (k * H) / 10, class: "grid" }));
  }
  return g;
}

// Zoom with the wheel, pan by dragging; the drawing keeps its coordinates.
function zoomable(svg) {
  let box = [0, 0, W, H];
  const apply = () => svg.setAttribute("viewBox", box.join(" "));
  svg.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = svg.getBoundingClientRect();
    const fx = (e.clientX - r.left) / r.width;
    const fy = (e.clientY - r.top) / r.height;
    const k = e.deltaY > 0 ? 1.2 : 1 / 1.2;
    const [x, y, w, hh] = box;
    box = [x + fx * w * (1 - k), y + fy * hh * (1 - k), w * k, hh * k];
    apply();
  }, { passive: false });
  let drag = null;
  svg.addEventListener("pointerdown", (e) => {
    if (e.target.closest(".stop")) return;
    drag = [e.clientX, e.clientY, [...box]];
  });
  svg.addEventListener("pointermove", (e) => {
    if (!drag) return;
    const r = svg.getBoundingClientRect();
    const [cx, cy, b] = drag;
    box = [b[0] - ((e.clientX - cx) * b[2]) / r.width, b[1] - ((e.clientY - cy) * b[3]) / r.height, b[2], b[3]];
    apply();
  });
  for (const ev of ["pointerup", "pointerleave"]) svg.addEventListener(ev, () => { drag = null; });
  svg.addEventListener("dblclick", () => { box = [0, 0, W, H]; apply(); });
}

// routes: [{vehicle_type, stops: [ids]}]; unassigned: [{stop, reason}];
// marked: stop ids drawn with a ring (a what-if's moved stops).
export function drawMap({ problem, routes, unassigned = [], marked = new Set(), tiles = null, label = "" }) {
  const proj = project(problem);
  const stops = new Map(problem.stops.map((x) => [x.id, x]));
  const depots = new Map(problem.depots.map((d) => [d.id, d]));
  const types = new Map(problem.vehicle_types.map((v) => [v.id, v]));
  const svg = s("svg", { viewBox: `0 0 ${W} ${H}`, class: "map", role: "img",
    "aria-label": label || `map of ${problem.name}` });
  svg.append(background(proj, tiles));
  const routeLayer = s("g", { class: "routes" });
  const stopLayer = s("g", { class: "stops" });
  routes.forEach((route, k) => {
    const vt = types.get(route.vehicle_type);
    const start = proj.at(depots.get(vt.start_depot).location);
    const end = proj.at(depots.get(vt.end_depot ?? vt.start_depot).location);
    const pts = [start, ...route.stops.map((id) => proj.at(stops.get(id).location)), end];
    routeLayer.append(s("path", { class: "route", "data-route": k, stroke: colour(k),
      d: "M" + pts.map((p) => p.map((v) => v.toFixed(1)).join(",")).join("L") },
      s("title", { text: `route ${k + 1} (${route.vehicle_type}): ${route.stops.length} stops` })));
    route.stops.forEach((id, i) => {
      const [x, y] = proj.at(stops.get(id).location);
      const g = s("g", { class: `stop${marked.has(id) ? " moved" : ""}`, "data-stop": id, "data-route": k,
        transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`, onclick: () => selectStop(id) },
      s("title", { text: `${id} — route ${k + 1}, stop ${i + 1}${marked.has(id) ? " (moved)" : ""}` }),
      marked.has(id) ? s("circle", { r: 13, class: "ring" }) : null,
      s("circle", { r: 8, fill: colour(k) }),
      s("text", { y: 3.5, text: String(i + 1) }));
      stopLayer.append(g);
    });
  });
  for (const u of unassigned) {
    const [x, y] = proj.at(stops.get(u.stop).location);
    stopLayer.append(s("g", { class: "stop unassigned", "data-stop": u.stop, "data-reason": u.reason,
      transform: `translate(${x.toFixed(1)},${y.toFixed(1)})`, onclick: () => selectStop(u.stop) },
    s("title", { text: `${u.stop}: unassigned (${u.reason})` }),
    s("circle", { r: 8, class: "hit" }),
    s("path", { d: "M-6,-6L6,6M-6,6L6,-6" })));
  }
  for (const d of problem.depots) {
    const [x, y] = proj.at(d.location);
    stopLayer.append(s("g", { class: "depot", "data-depot": d.id, transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` },
      s("title", { text: `depot ${d.id}` }), s("rect", { x: -8, y: -8, width: 16, height: 16 })));
  }
  svg.append(routeLayer, stopLayer);
  zoomable(svg);
  const legend = h("div.legend", {},
    routes.map((r, k) => h("span", {}, h("i", { style: `background:${colour(k)}` }), `route ${k + 1}`)),
    h("span", {}, h("i.depot"), "depot"),
    unassigned.length ? h("span", {}, h("i.unassigned", { text: "×" }), "unassigned") : null,
    marked.size ? h("span", {}, h("i.moved"), "moved vs base") : null,
    h("span.muted", { text: proj.geo ? (tiles ? "Web Mercator, tiles" : "Web Mercator, no tiles") : "instance coordinates" }));
  return h("div.map-box", {}, svg, legend);
}
