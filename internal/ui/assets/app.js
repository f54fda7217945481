// bulk ui: the page. Everything it shows comes from the server's state (GET /api/state, then
// server-sent events on /api/events), so a reload or a second tab shows the same session.
"use strict";

const $ = (id) => document.getElementById(id);
const RH = 26; // grid row height, px (as app.css)
const PAGE = 100;

let state = null;
let gridKey = ""; // which validation and filter the grid shows
let grid = { total: 0, pages: new Map(), loading: new Set() };
let planKey = "", resultsKey = "";
let apiError = ""; // the last refused request's reason, shown until the next request

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of kids.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(method, path, body) {
  if (method !== "GET") apiError = "";
  const opts = { method, headers: {} };
  if (body instanceof FormData) opts.body = body;
  else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
  const r = await fetch(path, opts);
  const j = await r.json().catch(() => ({ error: r.statusText }));
  if (!r.ok) { apiError = j.error || r.statusText; showError(apiError); throw new Error(apiError); }
  return j;
}

function showError(msg) { const e = $("error"); e.textContent = msg || ""; e.hidden = !msg; }

function fill(sel, values, current, first) {
  sel.replaceChildren(...(first ? [h("option", { value: "" }, first)] : []), ...values.map((v) => {
    const [val, label] = Array.isArray(v) ? v : [v, v];
    return h("option", { value: val }, label);
  }));
  sel.value = current ?? "";
}

// render shows the state; parts that hold the user's place (grid, plan, results) are rebuilt
// only when what they show changed.
function render(st) {
  // An event stream's message can arrive after a newer answer: never go back in time.
  if (state && st.version < state.version) return;
  state = st;
  $("busy").textContent = st.busy ? st.busy + "…" : "";
  if (!st.busy) showError(apiError || st.error);
  renderTarget(st.target);
  renderFiles(st);
  renderProblems(st.validation);
  renderPlan(st.plan);
  renderPF(st);
  renderApply(st.apply, st.plan);
}

function renderTarget(t) {
  if (document.activeElement && document.activeElement.closest("#target")) return; // being edited
  $("target-kind").value = t.kind; $("org").value = t.org || ""; $("mode").value = t.mode; $("keychain").value = t.keychain || "on";
  if (t.kind === "peoplefluent") { $("pf-where").value = t.sandbox ? "sandbox" : "lms"; $("pf-base").value = t.base || ""; $("pf-user").value = t.user || ""; }
  toggleTarget();
  $("target-status").textContent = t.kind === "sandbox" ? "The built-in sandbox: nothing leaves this machine." :
    t.kind === "peoplefluent" ? (t.sandbox ? "The built-in PeopleFluent sandbox: nothing leaves this machine." :
      `PeopleFluent LMS ${t.base}, user ${t.user || "(the default)"}; system key from ${t.token_from || "nowhere yet"}`) :
    `${t.url}, organisation ${t.org}; token from ${t.token_from || "nowhere yet"}` + (t.live ? " · LIVE" : "");
  // The plan and load sections follow the target in use, not the one being chosen.
  document.querySelectorAll(".pf-view").forEach((e) => { e.hidden = t.kind !== "peoplefluent"; });
  document.querySelectorAll(".onefile-view").forEach((e) => { e.hidden = t.kind === "peoplefluent"; });
}
function toggleTarget() {
  const kind = $("target-kind").value, sb = kind === "sandbox", pf = kind === "peoplefluent", pfBox = pf && $("pf-where").value === "sandbox";
  const show = (cls, on) => document.querySelectorAll(cls).forEach((e) => { e.hidden = !on; });
  show(".sandbox-only", sb); show(".onefile-only", !pf); show(".pf-only", pf); show(".pf-lms-only", pf && !pfBox);
  show(".token-only", !sb && !pfBox);
  $("key-what").textContent = pf ? "System key" : "Token";
  $("key-env").textContent = pf ? "BULK_PF_SYSTEM_KEY" : "BULK_ONEFILE_TOKEN";
}

// renderPF shows a PeopleFluent push's preview: per endpoint, the rows the export would send
// and the rows it leaves out.
function renderPF(st) {
  const p = st.pf_preview, a = st.apply;
  $("pf-push-btn").disabled = !p || (a && a.status === "running");
  $("results-id").textContent = st.target.kind === "peoplefluent" ? "Sent" : "OneFile ID";
  if (!p) { $("pf-preview").textContent = (st.files || []).length ? "No preview yet: it exports the valid rows as the LMS takes them and says what would be sent." : ""; $("pf-endpoints").tBodies[0].replaceChildren(); return; }
  $("pf-preview").textContent = `${p.read} rows read: ${p.send} to send to ${p.endpoint}, ${p.rejected} rejected (fix them under Problems, or they are left out).`;
  $("pf-endpoints").tBodies[0].replaceChildren(h("tr", {}, h("td", {}, p.endpoint), h("td", {}, p.kind), h("td", {}, p.send),
    h("td", { class: p.rejected ? "st-rejected" : "" }, p.rejected, p.rejected ? [" · ", h("a", { href: "#problems", onclick: () => { $("f-show").value = "rejected"; renderProblems(state.validation); } }, "show them")] : ""), h("td", {}, p.warnings), h("td", {}, p.target)));
  $("pf-verify").disabled = !p.can_verify; if (!p.can_verify) $("pf-verify").checked = false;
  $("pf-check-users").disabled = !p.can_check_users; if (!p.can_check_users) $("pf-check-users").checked = false;
}

function renderFiles(st) {
  $("file-list").replaceChildren(...(st.files || []).map((f) => h("li", {},
    f.name, ` (${(f.size / 1024).toFixed(0)} KiB)`, f.edits ? ` · ${f.edits} cell${f.edits > 1 ? "s" : ""} changed` : "",
    ...(f.hidden_sheets || []).map((s) => h("span", { class: "hidden-sheet" }, ` · sheet ${s} hidden in Excel, not read`)))));
  const s = st.settings;
  if (!(document.activeElement && document.activeElement.closest("#files"))) {
    fill($("kind"), st.kinds, s.kind, "detect from the headers");
    $("sheet").value = s.sheet || ""; $("header-row").value = s.header_row || ""; $("include-hidden").checked = s.include_hidden;
  }
  const v = st.validation;
  $("notes").replaceChildren(...(v ? v.notes : []).map((n) => h("li", {}, n)));
  $("sheets").replaceChildren(!v ? "" : h("table", { class: "list" },
    h("thead", {}, h("tr", {}, h("th", {}, "File"), h("th", {}, "Sheet"), h("th", {}, "Read as"), h("th", {}, "Header row"), h("th", {}, "Rows"), h("th", {}, "Rejected"))),
    h("tbody", {}, v.tables.map((t) => h("tr", {}, h("td", {}, t.file), h("td", {}, t.sheet || "—"), h("td", {}, t.kind), h("td", {}, t.header_row), h("td", {}, t.rows), h("td", {}, t.rejected))))));
  if (v && !(document.activeElement && document.activeElement.closest("#mapping"))) {
    $("mapping").replaceChildren(...v.tables.map((t) => h("table", { class: "list map", "data-table": t.index },
      h("caption", {}, `${t.file}${t.sheet ? ", sheet " + t.sheet : ""} (${t.kind})`),
      h("tbody", {}, (t.columns || []).map((c) => {
        const sel = h("select", { "data-header": c.header, "data-field": c.field });
        fill(sel, t.fields, c.field, "(not read: unknown column)");
        return h("tr", {}, h("td", { class: c.field ? "" : "unknown" }, c.header), h("td", {}, "→"), h("td", {}, sel));
      })))));
  }
}

function renderProblems(v) {
  if (!v) { $("counts").textContent = "Upload a file to check it."; $("grid-space").replaceChildren(); $("side-list").replaceChildren(); return; }
  const c = v.counts;
  $("counts").textContent = `${c.Read} rows: ${c.Valid} valid, ${c.Rejected} rejected, ${c.Warnings} warnings` + (c.Errors ? `, ${c.Errors} errors on no row` : "");
  const ti = Math.min(+$("grid-table").value || 0, v.tables.length - 1);
  fill($("grid-table"), v.tables.map((t) => [t.index, `${t.file}${t.sheet ? " · " + t.sheet : ""} (${t.rows})`]), String(Math.max(ti, 0)));
  const t = v.tables[Math.max(ti, 0)];
  fill($("f-rule"), Object.keys(v.rules).sort().map((r) => [r, `${r} (${v.rules[r]})`]), $("f-rule").value, "any");
  fill($("f-column"), t ? t.header : [], $("f-column").value, "any");
  $("downloads").replaceChildren(...(state.files || []).map((f) => h("a", { href: f.download, download: true }, f.edits ? `Download ${f.name} (fixed)` : `Download ${f.name}`)), " ",
    h("a", { href: "/api/download/rejects.xlsx", download: true }, "rejects.xlsx"));
  const key = JSON.stringify([v.id, $("grid-table").value, $("f-show").value, $("f-rule").value, $("f-column").value]);
  if (key !== gridKey) { gridKey = key; resetGrid(t); }
}

function gridQuery(offset, limit) {
  const q = new URLSearchParams({ table: $("grid-table").value || "0", offset, limit, show: $("f-show").value, rule: $("f-rule").value, column: $("f-column").value });
  return "/api/rows?" + q;
}

async function resetGrid(t) {
  grid = { total: 0, pages: new Map(), loading: new Set(), table: t, key: gridKey };
  $("grid-head").replaceChildren(h("div", { class: "gcell num" }, "Row"), ...(t ? t.header : []).map((x) => h("div", { class: "gcell", title: x }, x)));
  $("grid-scroll").scrollTop = 0;
  await loadPage(0);
  drawGrid();
  // The side list: the problems of the first rows shown, each a link to its cell.
  const side = await api("GET", gridQuery(0, 200).replace("show=&", "show=problems&"));
  // Problems on no row first: the table's header (a missing or unknown column), the file.
  const head = [...(state.validation.general || []), ...((t && t.problems) || [])].map((p) =>
    h("li", { class: "sev-" + p.severity }, `${p.where ? p.where + ": " : ""}${p.row ? "row " + p.row + " · " : ""}${p.column ? p.column + ": " : ""}${p.message} [${p.rule}]`));
  $("side-list").replaceChildren(...head, ...side.rows.flatMap((r) => r.problems.map((p) => h("li", {
    class: "sev-" + p.severity, onclick: () => scrollToRow(r.row, p.col),
  }, `Row ${r.row}${p.column ? " · " + p.column : ""}: ${p.message} [${p.rule}]`))));
}

async function loadPage(n) {
  if (grid.pages.has(n) || grid.loading.has(n)) return;
  grid.loading.add(n);
  const key = grid.key;
  let j;
  try { j = await api("GET", gridQuery(n * PAGE, PAGE)); } finally { if (key === grid.key) grid.loading.delete(n); }
  if (key !== grid.key) return;
  grid.total = j.total;
  grid.pages.set(n, j.rows);
}

function rowAt(i) { const p = grid.pages.get(Math.floor(i / PAGE)); return p ? p[i % PAGE] : undefined; }

// drawGrid draws only the rows in view (virtual scrolling): a grid of 100,000 rows has some 40
// rows in the page at a time, and fetches the others a page at a time as it scrolls.
function drawGrid() {
  const sc = $("grid-scroll"), space = $("grid-space");
  space.style.height = grid.total * RH + "px";
  const t = grid.table; if (!t) return;
  space.style.width = (56 + 140 * t.header.length) + "px";
  $("grid-head").style.width = space.style.width;
  const first = Math.max(0, Math.floor(sc.scrollTop / RH) - 5), last = Math.min(grid.total, first + Math.ceil(sc.clientHeight / RH) + 10);
  const want = new Set();
  for (let i = first; i < last; i += PAGE) want.add(Math.floor(i / PAGE));
  want.add(Math.floor(Math.max(last - 1, 0) / PAGE));
  // A page not here yet is fetched once, and the grid drawn again when it arrives.
  for (const p of want) if (!grid.pages.has(p) && !grid.loading.has(p)) loadPage(p).then(drawGrid);
  // Rows are drawn again only when others come into view or arrive: a sideways scroll, or a
  // click's own scrolling, must not replace the cell under the pointer.
  const drawn = [grid.key, first, last, grid.pages.size].join();
  if (drawn === grid.drawn) return;
  const rows = [];
  for (let i = first; i < last; i++) {
    const r = rowAt(i); if (!r) continue;
    const marks = new Map();
    for (const p of r.problems || []) {
      const m = marks.get(p.col) || { sev: "warning", msgs: [] };
      if (p.severity === "error") m.sev = "error";
      m.msgs.push(`${p.message} [${p.rule}]`);
      marks.set(p.col, m);
    }
    const whole = marks.get(-1);
    const el = h("div", { class: "grow " + r.outcome, "data-row": r.row },
      h("div", { class: "gcell num", title: whole ? whole.msgs.join("\n") : r.outcome }, r.row),
      t.header.map((_, c) => {
        const m = marks.get(c), v = r.cells[c] ?? "";
        return h("div", { class: "gcell" + (m ? (m.sev === "error" ? " bad" : " warn") : ""), title: m ? m.msgs.join("\n") : v,
          "data-col": c, ondblclick: () => edit(el, r, c), onclick: m ? () => edit(el, r, c) : undefined }, v);
      }));
    el.style.top = i * RH + "px";
    rows.push(el);
  }
  if (!$("grid-space").querySelector("input")) { space.replaceChildren(...rows); grid.drawn = drawn; }
}

function edit(rowEl, r, c) {
  const cell = rowEl.querySelector(`[data-col="${c}"]`);
  if (cell.querySelector("input")) return;
  const inp = h("input", { value: r.cells[c] ?? "", "aria-label": "new value" });
  cell.replaceChildren(inp); inp.focus(); inp.select();
  inp.addEventListener("keydown", async (e) => {
    if (e.key === "Escape") { inp.remove(); grid.drawn = ""; drawGrid(); }
    if (e.key !== "Enter") return;
    inp.disabled = true;
    try { await api("POST", "/api/cell", { table: +$("grid-table").value || 0, row: r.row, col: c, value: inp.value }); }
    finally { inp.remove(); refresh(); }
  });
}

function scrollToRow(row, col) {
  const sc = $("grid-scroll");
  if (col >= 0) sc.scrollLeft = Math.max(0, 56 + 140 * col - sc.clientWidth / 2);
  for (const [n, rows] of grid.pages) {
    const i = rows.findIndex((r) => r.row === row);
    if (i >= 0) { sc.scrollTop = (n * PAGE + i) * RH; return; }
  }
}

function renderPlan(p) {
  if (!p) { $("plan-summary").textContent = (state.files || []).length ? "No plan yet: it says what each valid row would do against what the target holds now." : ""; $("plan-rows").tBodies[0].replaceChildren(); planKey = ""; return; }
  const c = p.counts;
  $("plan-summary").textContent = `Plan for organisation ${p.organisation}${p.organisation_name ? " (" + p.organisation_name + ")" : ""}: ` +
    ["create", "update", "unchanged", "assign", "conflict", "reject"].map((a) => `${c[a] || 0} ${a}`).join(", ") + `; ${p.rows} rows. Applying takes ${p.estimate}.`;
  $("live-confirm").hidden = !p.live;
  const key = JSON.stringify([p.rows, c, $("plan-filter").value]);
  if (key === planKey) return;
  planKey = key;
  api("GET", "/api/plan/rows?" + new URLSearchParams({ action: $("plan-filter").value, limit: 500 })).then((j) => {
    $("plan-rows").tBodies[0].replaceChildren(...j.rows.map((r) => h("tr", {},
      h("td", {}, `${r.file}${r.sheet ? " · " + r.sheet : ""} row ${r.row}`), h("td", {}, r.kind), h("td", { class: "act-" + r.action }, r.action),
      h("td", {}, r.who || ""), h("td", {}, r.onefile_id || ""), h("td", {}, (r.changes || []).join("; ") || r.message || ""))));
  });
}

function renderApply(a, p) {
  $("apply-btn").disabled = !p || (a && a.status === "running");
  $("cancel-btn").hidden = !a || a.status !== "running";
  const pr = $("progress");
  if (!a) { pr.hidden = true; $("apply-status").textContent = ""; $("creds").replaceChildren(); $("results").tBodies[0].replaceChildren(); resultsKey = ""; return; }
  pr.hidden = false; pr.max = Math.max(a.total, 1); pr.value = a.done;
  const list = (m) => Object.entries(m || {}).map(([k, v]) => `${v} ${k}`).join(", ");
  const counts = list(a.counts) + (Object.keys(a.actions || {}).length ? ` (${list(a.actions)})` : "");
  if (a.push) $("apply-status").textContent = `${a.status}: ${a.done}/${a.total} rows answered${a.stage ? " (" + a.stage + ")" : ""} · ${a.calls} requests` +
    (a.push.length ? " · " + a.push.map(([k, v]) => `${v} ${k}`).join(", ") : "") + (a.message ? ". " + a.message : "");
  else $("apply-status").textContent = `${a.status}: ${a.done}/${a.total} rows${a.stage ? " (" + a.stage + ")" : ""} · ${a.calls} calls` +
    (a.calls_per_minute ? ` · ${a.calls_per_minute} calls/min` : "") + ` · ${a.retries} retries` + (a.time_left ? ` · about ${a.time_left} left` : "") +
    (counts ? ` · ${counts}` : "") + (a.message ? ". " + a.message : "");
  $("creds").replaceChildren(a.credentials ? h("a", { id: "creds-link", href: "/api/download/credentials.csv", download: true, onclick: () => setTimeout(refresh, 500) }, "Download the new users' logins (once: then this page forgets them)") :
    a.credentials_taken ? "The logins were downloaded; bulk ui no longer holds them." : "");
  const key = JSON.stringify([a.status, a.results]);
  if (a.status === "running" || key === resultsKey) return;
  resultsKey = key;
  api("GET", "/api/results?limit=500").then((j) => {
    $("results").tBodies[0].replaceChildren(...j.rows.map((r) => h("tr", {},
      h("td", {}, `${r.file}${r.sheet ? " · " + r.sheet : ""} row ${r.row}`), h("td", {}, r.kind), h("td", {}, r.action),
      h("td", { class: "st-" + r.status }, r.status), h("td", {}, r.onefile_id || r.sent || ""), h("td", {}, r.message || ""))));
  });
}

const when = (t) => (t && !t.startsWith("0001")) ? new Date(t).toLocaleString() : "";

// The runs page: loads from the run ledger, nightly runs from the jobs' state; a held run shows
// what approving it would do, and is approved once its ID is typed.
async function loadRuns() {
  const j = await api("GET", "/api/runs");
  $("runs-where").textContent = [j.ledger && "ledger " + j.ledger, j.nightly_state && "nightly state " + j.nightly_state, ...(j.problems || [])].filter(Boolean).join(" · ") || "No runs recorded on this machine yet.";
  $("load-runs").tBodies[0].replaceChildren(...j.loads.map((r) => h("tr", {},
    h("td", {}, r.id), h("td", {}, when(r.started)), h("td", {}, r.target), h("td", {}, r.org), h("td", {}, r.mode + (r.dry_run ? " (dry run)" : "")),
    h("td", { class: "st-" + r.status }, r.status), h("td", {}, Object.entries(r.counts || {}).map(([k, v]) => `${v} ${k}`).join(", ")))));
  $("nightly-runs").tBodies[0].replaceChildren(...j.nightly.map((r) => h("tr", { "data-run": r.id },
    h("td", {}, r.id), h("td", {}, r.job), h("td", {}, r.file), h("td", {}, when(r.started)), h("td", { class: "st-" + r.status }, r.status),
    h("td", {}, r.summary?.rows_read ?? ""), h("td", {}, r.summary?.sent ?? ""),
    h("td", {}, r.status === "held" ? h("button", { class: "review", onclick: () => review(r.id) }, "Review") : ""))));
}

async function review(id) {
  const j = await api("GET", "/api/runs/nightly/" + encodeURIComponent(id));
  $("held").hidden = false;
  $("held").dataset.run = id;
  $("held-title").textContent = "Held run " + id;
  $("held-view").textContent = j.held;
  $("approve-id").value = "";
  $("approve-out").textContent = "";
}

async function approve() {
  const id = $("held").dataset.run;
  const j = await api("POST", "/api/runs/nightly/" + encodeURIComponent(id) + "/approve", { confirm: $("approve-id").value.trim() });
  $("approve-out").textContent = (j.ok ? "Approved. " : "Not done: " + (j.error || "") + "\n") + j.output;
  $("held").hidden = true;
  loadRuns();
}

async function refresh() { render(await api("GET", "/api/state")); }

async function upload(files) {
  const fd = new FormData();
  for (const f of files) fd.append("file", f, f.name);
  render(await api("POST", "/api/files", fd));
}

function readSettings() {
  // The map holds what was chosen on the page: the headers the kinds' synonyms already read
  // need no line.
  const map = Object.assign({}, state.settings.map || {});
  document.querySelectorAll("#mapping select").forEach((s) => { if (s.value && s.value !== s.dataset.field) map[s.dataset.header] = s.value; });
  return { kind: $("kind").value, sheet: $("sheet").value.trim(), header_row: +$("header-row").value || 0, include_hidden: $("include-hidden").checked, map };
}

function wire() {
  $("target-kind").addEventListener("change", toggleTarget);
  $("pf-where").addEventListener("change", toggleTarget);
  $("pf-preview-btn").addEventListener("click", async () => render(await api("POST", "/api/pf/preview", {})));
  $("pf-push-btn").addEventListener("click", async () => { await api("POST", "/api/pf/push", { check_users: $("pf-check-users").checked, verify: $("pf-verify").checked }); refresh(); });
  $("target-save").addEventListener("click", async () => {
    const kind = $("target-kind").value, body = { kind, org: +$("org").value || 0, mode: $("mode").value, keychain: kind === "sandbox" ? $("keychain").value : "" };
    if (kind === "peoplefluent") {
      Object.assign(body, { org: 0, mode: "upsert", base: $("pf-where").value === "lms" ? $("pf-base").value.trim() : "", user: $("pf-user").value.trim() });
    }
    if (kind !== "sandbox" && !(kind === "peoplefluent" && !body.base)) {
      body.token_source = document.querySelector("input[name=token-source]:checked").value;
      const f = $("token-file").files[0];
      if (body.token_source === "file") { if (!f) return showError("Choose the file that holds the token."); body.token_file = await f.text(); body.token_name = f.name; }
    }
    document.activeElement.blur();
    render(await api("POST", "/api/target", body));
  });
  $("file-input").addEventListener("change", (e) => upload(e.target.files));
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files); });
  $("clear-files").addEventListener("click", async () => render(await api("DELETE", "/api/files")));
  const saveSettings = async () => { const s = readSettings(); document.activeElement.blur(); render(await api("POST", "/api/settings", s)); };
  $("settings-save").addEventListener("click", saveSettings);
  $("mapping-save").addEventListener("click", saveSettings);
  for (const id of ["grid-table", "f-show", "f-rule", "f-column"]) $(id).addEventListener("change", () => renderProblems(state.validation));
  $("grid-scroll").addEventListener("scroll", () => requestAnimationFrame(drawGrid));
  $("plan-btn").addEventListener("click", async () => render(await api("POST", "/api/plan")));
  $("plan-filter").addEventListener("change", () => renderPlan(state.plan));
  $("apply-btn").addEventListener("click", async () => { await api("POST", "/api/apply", { confirm: $("confirm").value }); refresh(); });
  $("cancel-btn").addEventListener("click", () => api("POST", "/api/cancel"));
  $("runs-refresh").addEventListener("click", loadRuns);
  $("approve-btn").addEventListener("click", approve);
}

wire();
refresh();
loadRuns();
const es = new EventSource("/api/events");
es.onmessage = (e) => render(JSON.parse(e.data));
