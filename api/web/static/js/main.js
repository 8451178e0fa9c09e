// The app shell: a hash router over the pages; each page renders into <main id="view">.

import { askKey, config, forgetKey } from "./api.js";
import { errorBox } from "./dom.js";
import { jobsPage } from "./pages/jobs.js";
import { modelsPage } from "./pages/models.js";
import { newJobPage } from "./pages/newjob.js";
import { planPage } from "./pages/plan.js";
import { whatifPage } from "./pages/whatif.js";

const PAGES = { jobs: jobsPage, new: newJobPage, plan: planPage, whatif: whatifPage, models: modelsPage };
let leave = null;

async function route() {
  const [name, ...args] = (location.hash.replace(/^#\/?/, "").split("?")[0] || "jobs").split("/");
  const page = PAGES[name] || jobsPage;
  for (const a of document.querySelectorAll("nav a")) {
    a.classList.toggle("active", a.dataset.page === name || (name === "plan" && a.dataset.page === "jobs"));
  }
  if (leave) leave();
  leave = null;
  const view = document.getElementById("view");
  const controller = new AbortController();
  leave = () => controller.abort();
  try {
    const node = await page(args.map(decodeURIComponent), controller.signal);
    if (!controller.signal.aborted) view.replaceChildren(node);
  } catch (err) {
    if (!controller.signal.aborted) view.replaceChildren(errorBox(err));
  }
}

async function start() {
  const cfg = await config();
  const button = document.getElementById("key-button");
  if (cfg.auth) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      forgetKey();
      await askKey();
      route();
    });
    if (!sessionStorage.getItem("routecast.apiKey")) await askKey();
  }
  window.addEventListener("hashchange", route);
  route();
}

start();
