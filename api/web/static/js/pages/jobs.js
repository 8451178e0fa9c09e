// Jobs: the list with status and live progress (the job's SSE stream), filters, cancel.

import { getJson, postJson, stream } from "../api.js";
import { errorBox, h, num } from "../dom.js";

const LIVE = new Set(["queued", "running"]);

function statusBadge(status) {
  return h(`span.badge.${status}`, { text: status });
}

function jobRow(job, signal, refresh) {
  const status = h("td.status", {}, statusBadge(job.status));
  const best = h("td.best num", { text: num(job.progress.best_cost, 2) });
  const elapsed = h("td.elapsed num", { text: job.progress.elapsed_s === null ? "–" : `${num(job.progress.elapsed_s, 1)} s` });
  const actions = h("td.actions");
  const tr = h("tr", { "data-job": job.id, "data-status": job.status },
    h("td", {}, h("code", { text: job.id.slice(0, 8) })), h("td", { text: job.problem_name }),
    status, best, elapsed, h("td", { text: new Date(job.created_at).toLocaleString() }), actions);
  const setStatus = (value) => {
    tr.dataset.status = value;
    status.replaceChildren(statusBadge(value));
    actions.replaceChildren(...[
      ["succeeded", "cancelled"].includes(value)
        ? h("a.button", { href: `#/plan/${job.id}`, text: "Open plan" }) : null,
      LIVE.has(value) ? h("button.cancel", { text: "Cancel", onclick: async (e) => {
        e.target.disabled = true;
        try {
          await postJson(`/v1/jobs/${job.id}/cancel`);
        } catch (err) {
          actions.append(errorBox(err));
        }
      } }) : null,
      value === "failed" && job.error ? h("span.error", { text: job.error.detail || job.error.title }) : null,
    ].filter(Boolean));
  };
  setStatus(job.status);
  if (LIVE.has(job.status)) {
    stream(`/v1/jobs/${job.id}/events`, (event, data) => {
      if (event === "progress") {
        best.textContent = num(data.best_cost, 2);
        elapsed.textContent = `${num(data.elapsed_s, 1)} s`;
      } else if (event === "status") {
        setStatus(data.status);
      } else if (event === "end") {
        refresh(job.id, tr);
      }
    }, signal).catch((err) => {
      if (!signal.aborted) actions.append(errorBox(err));
    });
  }
  return tr;
}

export async function jobsPage(_args, signal) {
  const params = new URLSearchParams(location.hash.split("?")[1] || "");
  const statusFilter = h("select#status-filter", {},
    ["", "queued", "running", "succeeded", "failed", "cancelled"].map((v) =>
      h("option", { value: v, text: v || "any status" })));
  statusFilter.value = params.get("status") || "";
  const nameFilter = h("input#name-filter", { type: "search", placeholder: "problem name contains…" });
  const body = h("tbody");
  const table = h("table.jobs", {},
    h("thead", {}, h("tr", {}, ["job", "problem", "status", "best cost", "elapsed", "created", ""].map((c) => h("th", { text: c })))),
    body);
  const empty = h("p.muted", { text: "No jobs yet. Submit one on the New job page." });
  let rows = [];
  const controllers = [];
  const refresh = async (id, tr) => {
    const job = await getJson(`/v1/jobs/${id}`);
    const fresh = jobRow(job, signal, refresh);
    tr.replaceWith(fresh);
    applyName();
  };
  const applyName = () => {
    const needle = nameFilter.value.trim().toLowerCase();
    for (const tr of body.children) {
      tr.hidden = needle && !tr.children[1].textContent.toLowerCase().includes(needle);
    }
  };
  const load = async () => {
    for (const c of controllers.splice(0)) c.abort();
    const c = new AbortController();
    signal.addEventListener("abort", () => c.abort());
    controllers.push(c);
    const q = statusFilter.value ? `&status=${statusFilter.value}` : "";
    const list = await getJson(`/v1/jobs?limit=50${q}`, { signal: c.signal });
    rows = list.items.map((job) => jobRow(job, c.signal, refresh));
    body.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
    applyName();
  };
  statusFilter.addEventListener("change", load);
  nameFilter.addEventListener("input", applyName);
  await load();
  return h("section.page.jobs-page", {},
    h("div.toolbar", {}, h("h2", { text: "Jobs" }), statusFilter, nameFilter,
      h("button", { text: "Refresh", onclick: load }), h("a.button.primary", { href: "#/new", text: "New job" })),
    table, empty);
}
