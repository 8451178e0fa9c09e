// Jobs: the list with status and live progress (the job's SSE stream), filters, cancel.

import { getJson, postJson, stream } from "../api.js";
import { errorBox, h, num } from "../dom.js";

const LIVE = new Set(["queued", "running"]);
// A browser keeps about six connections per server: at most this many event streams, the
// other live jobs are polled (short requests) so the page never starves itself.
const MAX_STREAMS = 4;
const POLL_MS = 2000;
// Jobs submitted elsewhere (the API, the CLI, another planner) join the list on their own.
const DISCOVER_MS = 5000;

function statusBadge(status) {
  return h(`span.badge.${status}`, { text: status });
}

// One row; it follows its job by the event stream (`streamed`) or by polling, and is
// updated in place (never replaced) so what a planner is pointing at stays put.
function jobRow(job, signal, streamed) {
  const status = h("td.status");
  const best = h("td.best num");
  const elapsed = h("td.elapsed num");
  const actions = h("td.actions");
  const note = h("td.note");
  const tr = h("tr", { "data-job": job.id },
    h("td", {}, h("code", { text: job.id.slice(0, 8) })), h("td", { text: job.problem_name }),
    status, best, elapsed, h("td", { text: new Date(job.created_at).toLocaleString() }), actions, note);
  const fail = (err) => { if (!signal.aborted) note.replaceChildren(errorBox(err)); };
  const setProgress = (bestCost, seconds) => {
    best.textContent = num(bestCost, 2);
    elapsed.textContent = seconds === null || seconds === undefined ? "–" : `${num(seconds, 1)} s`;
  };
  const setStatus = (value, error = null) => {
    if (tr.dataset.status === value && !error) return;
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
          fail(err);
        }
      } }) : null,
    ].filter(Boolean));
    if (error) note.replaceChildren(h("span.error", { text: error.detail || error.title }));
  };
  const update = (fresh) => {
    setProgress(fresh.progress.best_cost, fresh.progress.elapsed_s);
    setStatus(fresh.status, fresh.error);
  };
  const poll = () => setTimeout(async () => {
    if (signal.aborted) return;
    try {
      const fresh = await getJson(`/v1/jobs/${job.id}`, { signal });
      update(fresh);
      if (LIVE.has(fresh.status)) poll();
    } catch (err) {
      fail(err);
    }
  }, POLL_MS);
  update(job);
  if (LIVE.has(job.status) && !streamed) {
    poll();
  } else if (LIVE.has(job.status)) {
    stream(`/v1/jobs/${job.id}/events`, (event, data) => {
      if (event === "progress") setProgress(data.best_cost, data.elapsed_s);
      else if (event === "status") setStatus(data.status);
      else if (event === "end") getJson(`/v1/jobs/${job.id}`, { signal }).then(update, fail);
    }, signal).catch(fail);
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
    h("thead", {}, h("tr", {}, ["job", "problem", "status", "best cost", "elapsed", "created", "", ""].map((c) => h("th", { text: c })))),
    body);
  const empty = h("p.muted", { text: "No jobs yet. Submit one on the New job page." });
  const refreshNote = h("div.refresh-note");
  let rows = [];
  const controllers = [];
  let streams = 0;
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
    streams = 0;
    rows = list.items.map((job) => jobRow(job, c.signal, LIVE.has(job.status) && streams++ < MAX_STREAMS));
    body.replaceChildren(...rows);
    empty.hidden = rows.length > 0;
    applyName();
  };
  // Adds rows for jobs that are new since the list was loaded, on top; rows already shown
  // stay as they are (they follow their own jobs).
  const discover = async () => {
    const c = controllers[0];
    if (!c || c.signal.aborted) return;
    const q = statusFilter.value ? `&status=${statusFilter.value}` : "";
    const list = await getJson(`/v1/jobs?limit=50${q}`, { signal: c.signal });
    const shown = new Set(rows.map((tr) => tr.dataset.job));
    const fresh = list.items.filter((job) => !shown.has(job.id))
      .map((job) => jobRow(job, c.signal, LIVE.has(job.status) && streams++ < MAX_STREAMS));
    if (!fresh.length) return;
    rows = [...fresh, ...rows];
    body.prepend(...fresh);
    empty.hidden = true;
    applyName();
  };
  const discoverLater = () => setTimeout(async () => {
    if (signal.aborted) return;
    try {
      await discover();
      refreshNote.replaceChildren();
    } catch (err) {
      if (!signal.aborted) refreshNote.replaceChildren(errorBox(err));
    }
    discoverLater();
  }, DISCOVER_MS);
  statusFilter.addEventListener("change", load);
  nameFilter.addEventListener("input", applyName);
  await load();
  discoverLater();
  return h("section.page.jobs-page", {},
    h("div.toolbar", {}, h("h2", { text: "Jobs" }), statusFilter, nameFilter,
      h("button", { text: "Refresh", onclick: load }), h("a.button.primary", { href: "#/new", text: "New job" })),
    refreshNote, table, empty);
}
