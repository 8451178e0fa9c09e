// A plan's versions: its lineage (the parents it was re-planned from, this plan, its
// replans) with links, and its diff against another version (GET /v1/jobs/{id}/diff):
// stops moved, ETA shifts, cost delta. A 202 means a worker is still timing a plan
// (learned or large travel): the diff is asked again until it answers.

import { getJson, request } from "./api.js";
import { h, num, selectStop } from "./dom.js";

const POLL_MS = 1000;
const SHIFTS_SHOWN = 20;

const sleep = (ms, signal) => new Promise((done, fail) => {
  const timer = setTimeout(done, ms);
  signal?.addEventListener("abort", () => { clearTimeout(timer); fail(signal.reason); }, { once: true });
});

const signed = (x, fmt) => (x > 0 ? `+${fmt(x)}` : fmt(x));

// The job, its ancestors (root first) and its children, as GET /v1/jobs/{id} shows them.
async function family(jobId, signal) {
  const self = await getJson(`/v1/jobs/${encodeURIComponent(jobId)}`, { signal });
  const ancestors = [];
  for (let id = self.parent_id; id;) {
    const job = await getJson(`/v1/jobs/${encodeURIComponent(id)}`, { signal });
    ancestors.unshift(job);
    id = job.parent_id;
  }
  const children = await Promise.all((self.children || []).map(
    (id) => getJson(`/v1/jobs/${encodeURIComponent(id)}`, { signal })));
  return { self, ancestors, children };
}

async function diffOf(jobId, against, signal, onWait) {
  const path = `/v1/jobs/${encodeURIComponent(jobId)}/diff?against=${encodeURIComponent(against)}`;
  for (;;) {
    const response = await request(path, { signal });
    if (response.status !== 202) return response.json();
    onWait(await response.json());
    await sleep(POLL_MS, signal);
  }
}

function versionItem(job, current) {
  const text = `v${job.version} · ${job.kind} · ${job.status}`;
  return h("li", { "data-job": job.id, "data-version": job.version, class: current ? "current" : null },
    current ? h("b", { text: `${text} (this plan)` }) : h("a", { href: `#/plan/${job.id}`, text }),
    h("span.muted", { text: ` ${job.problem_name}` }));
}

function stopList(ids) {
  return ids.length
    ? h("span.stop-list", {}, ids.map((id) => h("button.link", { "data-stop": id, text: id, onclick: () => selectStop(id) })))
    : h("span.muted", { text: "none" });
}

function diffView(diff, fmtShift) {
  const d = diff.disruption;
  const cost = diff.kpi_deltas.cost;
  const shifts = Object.entries(d.eta_shifts).filter(([, x]) => x !== 0)
    .sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]));
  const p = diff.plan;
  return h("div.diff", { "data-against": diff.against },
    h("div.kpis", {},
      [["cost-delta", "cost change", cost === undefined ? "–" : signed(cost, (x) => num(x, 2))],
        ["stops-moved", "stops moved", String(d.stops_moved.length)],
        ["max-eta-shift", "largest ETA shift", fmtShift(d.max_eta_shift)],
        ["disruption-cost", "disruption cost", num(d.cost, 2)]].map(([key, label, value]) =>
        h("div.kpi", { "data-diff": key }, h("b", { text: value }), h("span", { text: label })))),
    h("dl.diff-lists", {},
      h("dt", { text: `moved to another vehicle (v${diff.version} against v${diff.against_version})` }),
      h("dd.moved", {}, stopList(d.stops_moved)),
      h("dt", { text: "new stops" }), h("dd.added", {}, stopList(p.added_stops || [])),
      h("dt", { text: "no longer served" }), h("dd.unserved", {}, stopList(p.newly_unserved || [])),
      h("dt", { text: "routes" }), h("dd", { text: `${p.routes_changed ?? "–"} changed, ${p.routes_unchanged ?? "–"} unchanged` })),
    shifts.length
      ? h("table.eta-shifts", {},
        h("thead", {}, h("tr", {}, h("th", { text: "stop" }), h("th", { text: "ETA shift" }))),
        h("tbody", {}, shifts.slice(0, SHIFTS_SHOWN).map(([stop, x]) =>
          h("tr", { "data-stop": stop, onclick: () => selectStop(stop) },
            h("td", { text: stop }), h("td.num", { text: signed(x, fmtShift) })))))
      : h("p.muted", { text: "no promised ETA moved" }));
}

// The versions card of a plan page, or null when the plan has no other version.
// fmtShift: how a number of seconds reads on this plan (a duration, or instance units).
export async function lineageCard(jobId, signal, fmtShift) {
  const { self, ancestors, children } = await family(jobId, signal);
  const others = [...ancestors.slice().reverse(), ...children].filter((j) => j.status === "succeeded");
  if (!ancestors.length && !children.length) return null;
  const out = h("div#diff-view", {});
  const show = async (against) => {
    out.replaceChildren(h("p.muted.loading", { text: "comparing…" }));
    try {
      const diff = await diffOf(jobId, against, signal, (job) => out.replaceChildren(
        h("p.muted.pending", { "data-timing": job.id, text: `a worker is timing the plans (${job.status})…` })));
      out.replaceChildren(diffView(diff, fmtShift));
    } catch (err) {
      if (signal.aborted) return;
      out.replaceChildren(h("pre.error-box", { text: err.message || String(err) }));
    }
  };
  const select = h("select#compare-with", { onchange: (e) => show(e.target.value) },
    others.map((j) => h("option", { value: j.id, text: `v${j.version} · ${j.kind} (${j.id.slice(0, 8)})` })));
  const card = h("section.card.lineage", { "data-version": self.version },
    h("h3", { text: "Versions" }),
    h("ol.versions", {}, ancestors.map((j) => versionItem(j, false)), versionItem(self, true),
      children.map((j) => versionItem(j, false))),
    others.length
      ? [h("label.compare", {}, "Compare with ", select), out]
      : h("p.muted", { text: "no other version has a plan yet" }));
  if (others.length) show(others[0].id);
  return card;
}
