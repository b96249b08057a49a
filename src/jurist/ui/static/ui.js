// jurist UI: a little vanilla JavaScript over server-rendered pages. Text from the server is always
// put in the page with textContent, never as HTML.
"use strict";

function csrf() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return m ? m.content : "";
}

async function postJSON(url, body) {
  const r = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
    body: JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch (e) { data = {error: "the server answered " + r.status}; }
  if (!r.ok && data && !data.error) data.error = data.detail || ("the server answered " + r.status);
  return data;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// -- span timing bars ------------------------------------------------------------------------------
function drawBars() {
  document.querySelectorAll(".bar .fill").forEach((f) => {
    const off = parseFloat(f.dataset.offset || "0"), w = parseFloat(f.dataset.width || "1");
    f.style.left = (Math.min(1, Math.max(0, off)) * 100).toFixed(2) + "%";
    f.style.width = (Math.min(1, Math.max(0.005, w)) * 100).toFixed(2) + "%";
  });
}

// -- the judge builder -----------------------------------------------------------------------------
function builderFields(form) {
  const fd = new FormData(form);
  const out = {};
  for (const [k, v] of fd.entries()) { if (k !== "csrf_token") out[k] = v; }
  return out;
}

function showValidation(box, data) {
  box.replaceChildren();
  if (!data) return;
  if (data.errors && data.errors.length) {
    data.errors.forEach((m) => box.appendChild(el("div", "error", m)));
  } else {
    const used = (data.variables || []).map((v) => "{{ " + v + " }}").join(", ");
    box.appendChild(el("div", "ok", "Valid. Uses " + used + "."));
  }
  (data.warnings || []).forEach((m) => box.appendChild(el("div", "warn", m)));
  const note = document.getElementById("model-note");
  if (note) {
    note.replaceChildren();
    if (data.runs_in_browser === false) {
      note.appendChild(el("span", "badge", "runs from the SDK only"));
      note.appendChild(el("span", "sub", " " + (data.why || "")));
    } else if (data.runs_in_browser) {
      note.appendChild(el("span", "badge runs", "runs here"));
    }
  }
  const run = document.getElementById("run-test");
  if (run) run.disabled = !!(data.errors && data.errors.length) || data.runs_in_browser === false;
}

function setupBuilder() {
  const form = document.getElementById("judge-form");
  if (!form) return;
  const text = form.querySelector("textarea[name=instructions]");
  const box = document.getElementById("validation");
  let timer = null;
  const validate = () => {
    clearTimeout(timer);
    timer = setTimeout(async () => showValidation(box, await postJSON("/judges/validate", builderFields(form))), 250);
  };
  form.addEventListener("input", validate);
  form.addEventListener("change", validate);
  form.querySelectorAll("[data-var]").forEach((b) => b.addEventListener("click", (ev) => {
    ev.preventDefault();
    const token = "{{ " + b.dataset.var + " }}";
    const s = text.selectionStart ?? text.value.length, e = text.selectionEnd ?? s;
    text.value = text.value.slice(0, s) + token + text.value.slice(e);
    text.focus();
    text.selectionStart = text.selectionEnd = s + token.length;
    validate();
  }));
  const typeSel = form.querySelector("select[name=output_type]");
  const showType = () => form.querySelectorAll("[data-for-type]").forEach((n) =>
    n.classList.toggle("hidden", n.dataset.forType !== typeSel.value));
  if (typeSel) { typeSel.addEventListener("change", showType); showType(); }
  const modelSel = form.querySelector("select[name=model_choice]");
  const typed = document.getElementById("model-typed");
  const showModel = () => typed && typed.classList.toggle("hidden", modelSel.value !== "typed");
  if (modelSel) { modelSel.addEventListener("change", showModel); showModel(); }
  const tmpl = document.getElementById("template");
  if (tmpl) tmpl.addEventListener("change", async () => {
    if (!tmpl.value) { text.value = ""; validate(); return; }
    const r = await fetch("/judges/templates/" + encodeURIComponent(tmpl.value), {credentials: "same-origin"});
    if (!r.ok) return;
    const t = await r.json();
    text.value = t.instructions;
    const name = form.querySelector("input[name=name]");
    if (name && !name.value) name.value = t.name;
    if (typeSel) { typeSel.value = t.output_type; showType(); }
    const cats = form.querySelector("input[name=categories]");
    if (cats && t.categories) cats.value = t.categories;
    const scope = form.querySelector("input[name=scope][value=" + t.scope + "]");
    if (scope) scope.checked = true;
    validate();
  });
  validate();
  setupTest(form);
}

function renderFeedback(cell, data) {
  cell.replaceChildren();
  if (data.error && !data.feedback) { cell.appendChild(el("div", "error", data.error)); return; }
  (data.feedback || []).forEach((fb) => {
    const card = el("div", "feedback" + (fb.error ? " failed" : ""));
    card.dataset.feedback = fb.name;
    if (fb.error) {
      card.appendChild(el("div", "value error", "error: " + fb.error.error_code));
      if (fb.error.error_message) card.appendChild(el("pre", "text", fb.error.error_message));
    } else {
      card.appendChild(el("div", "value", typeof fb.value === "string" ? fb.value : JSON.stringify(fb.value)));
    }
    if (fb.rationale) card.appendChild(el("pre", "text rationale", fb.rationale));
    const m = fb.metadata || {};
    const cost = m.cost_usd === null || m.cost_usd === undefined ? "–" : "$" + Number(m.cost_usd).toFixed(6);
    card.appendChild(el("div", "meta", (m.input_tokens || 0) + " in / " + (m.output_tokens || 0) +
      " out tokens · " + cost + " · " + Math.round(m.latency_ms || 0) + " ms"));
    cell.appendChild(card);
  });
}

function setupTest(form) {
  const run = document.getElementById("run-test");
  const table = document.getElementById("test-traces");
  if (!run || !table) return;
  const all = document.getElementById("pick-all");
  if (all) all.addEventListener("change", () =>
    table.querySelectorAll("input[data-trace-id]").forEach((c) => { c.checked = all.checked; }));
  run.addEventListener("click", async (ev) => {
    ev.preventDefault();
    const picked = [...table.querySelectorAll("input[data-trace-id]:checked")];
    if (!picked.length) { document.getElementById("test-status").textContent = "Pick one or more traces first."; return; }
    run.disabled = true;
    const status = document.getElementById("test-status");
    let done = 0;
    status.textContent = "Running on " + picked.length + " trace(s)…";
    const fields = builderFields(form);
    const queue = picked.slice();
    const worker = async () => {
      while (queue.length) {
        const box = queue.shift();
        const cell = box.closest("tr").querySelector(".result-cell");
        cell.replaceChildren(el("span", "sub", "judging…"));
        const data = await postJSON(run.dataset.url, {...fields, trace_id: box.dataset.traceId});
        renderFeedback(cell, data);
        done += 1;
        status.textContent = done + " of " + picked.length + " judged";
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    run.disabled = false;
  });
}

// -- runs of a saved judge over the experiment, with progress ---------------------------------------
function setupRuns() {
  document.querySelectorAll("form[data-job]").forEach((form) => form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.getElementById(form.dataset.job);
    const bar = out.querySelector("progress"), label = out.querySelector(".job-label");
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    out.classList.remove("hidden");
    const started = await postJSON(form.action, builderFields(form));
    if (started.error) { label.textContent = started.error; button.disabled = false; return; }
    const stop = out.querySelector("button.stop-job");
    if (stop) {
      stop.classList.remove("hidden");
      stop.onclick = async () => { stop.disabled = true; await postJSON(started.stop_url, {}); };
    }
    const poll = async () => {
      const r = await fetch(started.status_url, {credentials: "same-origin"});
      const s = await r.json();
      bar.max = Math.max(1, s.total); bar.value = s.done;
      label.textContent = s.done + " of " + s.total + " traces judged, " + s.errors + " error(s)" +
        (s.finished ? " · finished" : "") + (s.message ? " · " + s.message : "");
      if (!s.finished) { setTimeout(poll, 400); return; }
      button.disabled = false;
      if (stop) { stop.classList.add("hidden"); stop.disabled = false; }
    };
    poll();
  }));
}

document.addEventListener("DOMContentLoaded", () => { drawBars(); setupBuilder(); setupRuns(); });
