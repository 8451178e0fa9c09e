// Small DOM helpers shared by the pages: element builders, formatting, cross-view selection.

const SVG_NS = "http://www.w3.org/2000/svg";

// h("tag#id.class", {attr: value, onclick: fn}, ...children)
export function h(spec, attrs = {}, ...children) {
  if (attrs instanceof Node || Array.isArray(attrs) || typeof attrs !== "object" || attrs === null) {
    children.unshift(attrs);
    attrs = {};
  }
  const [head, ...classes] = spec.split(".");
  const [tag, id] = head.split("#");
  const el = document.createElement(tag);
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(" ");
  setAttrs(el, attrs);
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
}

export const PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
  "#17becf", "#bcbd22", "#393b79", "#ad494a", "#637939", "#7b4173"];
export const colour = (k) => PALETTE[k % PALETTE.length];

export function num(x, digits = 1) {
  if (x === null || x === undefined || (typeof x === "number" && !Number.isFinite(x))) return "–";
  if (typeof x === "boolean") return x ? "yes" : "no";
  if (typeof x !== "number") return String(x);
  return x.toLocaleString("en", { maximumFractionDigits: digits });
}

export const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);

// Seconds as a clock time (hh:mm) when the plan is on a day's clock, else as a number.
export function clock(t, onClock = true) {
  if (t === null || t === undefined || !Number.isFinite(t)) return "–";
  if (!onClock) return num(t, 1);
  const m = Math.round(t / 60);
  const hh = Math.floor(m / 60);
  return `${String(hh).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

export function duration(seconds) {
  if (!Number.isFinite(seconds)) return "–";
  if (seconds < 90) return `${seconds.toFixed(1)} s`;
  const m = Math.round(seconds / 60);
  return m < 90 ? `${m} min` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

// Clicking a stop anywhere highlights it everywhere ([data-stop] elements of every view).
export function selectStop(stopId) {
  for (const el of document.querySelectorAll(".selected")) el.classList.remove("selected");
  if (stopId === null) return;
  for (const el of document.querySelectorAll("[data-stop]")) {
    if (el.dataset.stop === stopId) el.classList.add("selected");
  }
  document.dispatchEvent(new CustomEvent("stop-selected", { detail: stopId }));
}

export function errorBox(err) {
  return h("pre.error-box", { text: err && err.message ? err.message : String(err) });
}
