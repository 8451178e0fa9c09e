// The /v1 API as the pages use it: the API key (sessionStorage, sent as a header and
// never in a URL), problem+json errors, server-sent events over fetch, downloads.

const KEY = "routecast.apiKey";
let configPromise = null;
let keyPrompt = null;

export class ApiError extends Error {
  constructor(status, body) {
    const fields = (body.errors || []).map((e) => `${e.path || (e.loc || []).join(".")}: ${e.msg}`);
    super([body.detail || body.title || `HTTP ${status}`, ...fields].join("\n"));
    this.status = status;
    this.body = body;
  }
}

export function config() {
  configPromise ??= fetch("/app/config.json").then((r) => r.json());
  return configPromise;
}

function headers(extra = {}) {
  const key = sessionStorage.getItem(KEY);
  return key ? { ...extra, "X-API-Key": key } : extra;
}

// Ask for a key (one dialog however many requests are waiting); check it before keeping it.
export function askKey(message = "") {
  keyPrompt ??= new Promise((resolve) => {
    const dialog = document.getElementById("key-dialog");
    const input = document.getElementById("key-input");
    const error = document.getElementById("key-error");
    error.textContent = message;
    input.value = "";
    const submit = async (event) => {
      event.preventDefault();
      const candidate = input.value.trim();
      const probe = await fetch("/v1/jobs?limit=1", { headers: { "X-API-Key": candidate } });
      if (probe.status === 401) {
        error.textContent = "This key was refused. Check it and try again.";
        return;
      }
      sessionStorage.setItem(KEY, candidate);
      dialog.removeEventListener("submit", submit);
      dialog.close();
      keyPrompt = null;
      resolve();
    };
    dialog.addEventListener("submit", submit);
    dialog.addEventListener("cancel", (e) => e.preventDefault());
    dialog.showModal();
    input.focus();
  });
  return keyPrompt;
}

export function forgetKey() {
  sessionStorage.removeItem(KEY);
}

async function send(path, options) {
  const init = { method: options.method || "GET", headers: headers(options.headers || {}) };
  if (options.json !== undefined) {
    init.body = JSON.stringify(options.json);
    init.headers["Content-Type"] = "application/json";
  }
  if (options.signal) init.signal = options.signal;
  return fetch(path, init);
}

// A request; a 401 asks for the key once, then repeats the request.
export async function request(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401) {
    await askKey(sessionStorage.getItem(KEY) ? "The stored key was refused." : "");
    response = await send(path, options);
  }
  if (!response.ok) {
    let body;
    try {
      body = await response.json();
    } catch {
      body = { title: response.statusText };
    }
    throw new ApiError(response.status, body);
  }
  return response;
}

export async function getJson(path, options = {}) {
  return (await request(path, options)).json();
}

export const postJson = (path, json) => getJson(path, { method: "POST", json });

// Server-sent events read from a fetch stream (EventSource cannot send a header).
export async function stream(path, onEvent, signal) {
  const response = await request(path, { signal, headers: { Accept: "text/event-stream" } });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).trim());
      }
      if (data.length) onEvent(event, JSON.parse(data.join("\n")));
    }
  }
}

// Fetch with the key, then save the body under `filename` (no key ever in a URL).
export async function download(path, filename) {
  const blob = await (await request(path)).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
