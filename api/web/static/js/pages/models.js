// Travel models: the registered learned travel-time models with their validation
// metrics, which one is active, and activate another.

import { getJson, postJson } from "../api.js";
import { errorBox, h, num } from "../dom.js";

// {"validation": {"rmsle": .., "mae_s": ..}} -> [["validation rmsle", ..], ...]
function flatMetrics(metrics, prefix = "") {
  return Object.entries(metrics).flatMap(([k, v]) => (v !== null && typeof v === "object"
    ? flatMetrics(v, `${prefix}${k} `) : [[`${prefix}${k}`, v]]));
}

export async function modelsPage() {
  const box = h("div");
  const render = async () => {
    const models = await getJson("/v1/travel-models");
    if (!models.length) {
      box.replaceChildren(h("p.muted", { text: "No travel model yet. Train one with `routecast travel train` or POST /v1/travel-models; `make run` trains the demo city's model on first start." }));
      return;
    }
    const keys = [...new Set(models.flatMap((m) => flatMetrics(m.metrics).map(([k]) => k)))];
    box.replaceChildren(h("div.scroll", {}, h("table.models", {},
      h("thead", {}, h("tr", {}, ["model", "created", "trips", "training period", ...keys, "", ""].map((c) => h("th", { text: c })))),
      h("tbody", {}, models.map((m) => {
        const values = Object.fromEntries(flatMetrics(m.metrics));
        const msg = h("span");
        return h("tr", { "data-model": m.model_id, class: m.active ? "active" : null },
          h("td", {}, h("code", { text: m.model_id })), h("td", { text: m.created_at.slice(0, 16).replace("T", " ") }), h("td.num", { text: num(m.n_trips, 0) }),
          h("td", { text: m.training_period.map((t) => t.slice(0, 10)).join(" – ") }),
          keys.map((k) => h("td.num", { text: num(values[k], 3) })),
          h("td", {}, m.active ? h("span.badge.succeeded", { text: "active" }) : h("button.activate", { text: "Activate", onclick: async () => {
            try {
              await postJson(`/v1/travel-models/${encodeURIComponent(m.model_id)}/activate`);
              await render();
            } catch (err) {
              msg.replaceChildren(errorBox(err));
            }
          } })), h("td", {}, msg));
      })))));
  };
  await render();
  return h("section.page.models-page", {}, h("div.toolbar", {}, h("h2", { text: "Travel models" }),
    h("button", { text: "Refresh", onclick: render })),
  h("p.muted", { text: "Jobs with learned travel (travel.kind = \"learned\", model \"active\") use the active model." }), box);
}
