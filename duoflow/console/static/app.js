// duoflow console: plain JavaScript, no build step. Every action goes through the HTTP API (/api/...), exactly
// as a browser would call API Gateway; the console's own read-only endpoints live under /console/api/.
// Execution data (the executions, one execution, a training request's progress) needs a role's token: without
// one the views that show it say how to sign in. No inline script or style attribute: the server's
// Content-Security-Policy allows neither (styles are set through element.style).
"use strict";

const POLL_MS = 1000; // a live view asks again a second after its last answer (every(), below)
const $ = (selector, root = document) => root.querySelector(selector);
const state = { timers: [], about: null, cases: null, selected: null, execution: null, timelines: null, openOp: null, logsAt: null,
  showing: null, panZoom: null, eventsAt: null, eventsShown: null, openEvents: new Set(), closedGroups: new Set() };

// --- identity: role tokens kept in this tab (sessionStorage) ------------------------------------------------

function decodeToken(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("this is not a token (it has no payload part)");
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
  return JSON.parse(decodeURIComponent(escape(json)));
}
function tokens() { return JSON.parse(sessionStorage.getItem("duoflow.tokens") || "{}"); }
function saveToken(token) {
  const claims = decodeToken(token.trim());
  const groups = claims["cognito:groups"] || [];
  const role = Array.isArray(groups) ? groups[0] : String(groups).replace(/[\[\]]/g, "").split(/[\s,]+/)[0];
  if (!role) throw new Error("this token has no role (cognito:groups is empty)");
  const all = tokens();
  all[role] = token.trim();
  sessionStorage.setItem("duoflow.tokens", JSON.stringify(all));
  return { role, claims };
}
function currentRole() { return sessionStorage.getItem("duoflow.role") || ""; }
const SIGN_IN = "Not signed in: execution data needs a role. Open a sign-in link that duoflow serve printed " +
  "(one per role), or pick a role under \u201cActing as\u201d and paste its token.";
function currentToken() { return tokens()[currentRole()] || null; }
function currentName() {
  const token = currentToken();
  if (!token) return "";
  try { return decodeToken(token).name || decodeToken(token)["cognito:username"] || ""; } catch { return ""; }
}
function setRole(role) {
  sessionStorage.setItem("duoflow.role", role);
  $("#role").value = role;
  if (role && !tokens()[role]) openTokenDialog(`Paste the ${role} token printed by make serve.`);
  route();
}
function openTokenDialog(message = "") {
  $("#token-error").textContent = message;
  $("#token-input").value = "";
  $("#token-dialog").showModal();
  $("#token-input").focus();
}

// --- HTTP ---------------------------------------------------------------------------------------------------

async function call(method, path, body, { auth = true } = {}) {
  const headers = { "content-type": "application/json" };
  const token = auth ? currentToken() : null;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  let data = null;
  const text = await response.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = { message: text }; }
  return { status: response.status, ok: response.ok, data, text };
}

function flash(message, kind = "") {
  const item = document.createElement("div");
  item.className = `msg ${kind}`;
  item.textContent = message;
  $("#flash").append(item);
  setTimeout(() => item.remove(), 6000);
}

function refusal(response) {
  const message = (response.data && response.data.message) || `the API answered ${response.status}`;
  if (response.status === 401) return `Not signed in: ${message}. Pick a role with a token (Acting as…).`;
  if (response.status === 403) return `Refused: ${message}.`;
  return message;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "style") Object.assign(node.style, value); // CSSOM, which the CSP allows (an attribute it would not)
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) node.append(child);
  return node;
}
const money = (value) => `$${Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 })}`;
const when = (iso) => (iso ? new Date(iso).toLocaleTimeString() : "");
const dateTime = (iso) => { // the local date and time, as 2026-12-03 15:04:05
  if (!iso) return "";
  const at = new Date(iso), two = (n) => String(n).padStart(2, "0");
  return `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}:${two(at.getSeconds())}`;
};
const ms = (value) => (value === null || value === undefined ? "—" : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`);
const pretty = (value) => (typeof value === "string" ? value : JSON.stringify(value, null, 2));

// An error as a person reads it: "Type: message". A Lambda's error reaches Step Functions as JSON text (errorType,
// errorMessage, stackTrace), a durable execution's is an object (ErrorType, ErrorMessage, StackTrace). The message
// is shown without the stack trace, with file paths cut to the file's name (they say where the code ran, not what
// went wrong) and the Python module cut from the type; the trace, with file names only, is the details.
// null: no error.
const FILE_PATH = /(?<![\w:/.])(?:[A-Za-z]:)?(?:[\\/][\w.@+-]+)+[\\/]([\w@+-][\w.@+-]*\.\w+)/g;
const PYTHON_TRACE = "Traceback (most recent call last):";
function readableError(error, cause) {
  if (!error && !cause) return null;
  const parse = (text) => { try { const value = JSON.parse(text); return value && typeof value === "object" ? value : null; } catch { return null; } };
  const body = (error && typeof error === "object" ? error : null) ||
    (typeof cause === "string" ? parse(cause) : cause && typeof cause === "object" ? cause : null);
  const type = String((typeof error === "string" && error) || body?.errorType || body?.ErrorType || "");
  let text = body ? body.errorMessage ?? body.ErrorMessage ?? body.message ?? body.Message : cause;
  if (text === undefined && body && body !== error) text = JSON.stringify(body);
  text = String(text ?? "").replace(/\\n/g, "\n").trim();
  const trace = body?.stackTrace || body?.StackTrace;
  const frames = (Array.isArray(trace) ? trace : []).map((frame) => String(frame).split("\n")[0].trim());
  if (text.includes(PYTHON_TRACE)) { // a trace printed into the message: its last line is the error
    const lines = text.split("\n").map((line) => line.trimEnd()).filter(Boolean);
    frames.push(...lines.filter((line) => line.trim().startsWith("File ")).map((line) => line.trim()));
    text = lines[lines.length - 1].trim();
  }
  const short = (line) => line.replace(FILE_PATH, "$1");
  const shortType = type.replace(/^(?:[a-z_][a-z0-9_]*\.)+(?=[A-Z])/, "");
  const details = [...(shortType !== type ? [type] : []), ...frames.map((frame) => short(frame).replace(/^File "([^"]*)"/, "$1"))];
  return { message: [shortType, short(text)].filter(Boolean).join(": "), details: details.join("\n") };
}

// --- routing ------------------------------------------------------------------------------------------------

// A live view asks again POLL_MS after its last answer arrived, never while one is on its way: a list that takes
// longer than the period to build (thousands of executions) is not asked for again and again on top of itself.
function every(fn) {
  const poll = { stopped: false, timer: null };
  const run = async () => {
    try { await fn(); } finally { if (!poll.stopped) poll.timer = setTimeout(run, POLL_MS); }
  };
  state.timers.push(poll);
  run();
}
function stopTimers() { state.timers.forEach((poll) => { poll.stopped = true; clearTimeout(poll.timer); }); state.timers = []; }

// A sign-in link (`duoflow serve` prints one per role: <console>/#/<the role's page>?token=…) is read wherever the
// token arrives: in a new tab, or pasted into an open one, where only the fragment changes. The token is kept in
// this tab and taken out of the address bar; the link's page opens.
function takeSignInLink() {
  const hash = location.hash.slice(1);
  if (!hash.includes("token=")) return;
  const [path, query] = hash.includes("?") ? hash.split("?") : ["", hash];
  const params = new URLSearchParams(query);
  const token = params.get("token");
  params.delete("token");
  try {
    const { role, claims } = saveToken(token || "");
    sessionStorage.setItem("duoflow.role", role);
    $("#role").value = role;
    flash(`Acting as ${claims.name || claims["cognito:username"] || "user"} (${role}).`, "ok");
  } catch (error) { flash(`That sign-in link cannot be read: ${error.message}`, "bad"); }
  const rest = params.toString();
  history.replaceState(null, "", `${location.pathname}#${path.startsWith("/") ? path : "/loan"}${rest ? `?${rest}` : ""}`);
}

function route() {
  stopTimers();
  takeSignInLink();
  const hash = location.hash || "#/loan";
  const [path, query] = hash.slice(1).split("?");
  const view = path.split("/")[1] || "loan";
  document.querySelectorAll(".view").forEach((section) => { section.hidden = true; });
  document.querySelectorAll("nav a").forEach((a) => a.toggleAttribute("aria-current", false));
  const link = $(`nav a[data-view="${view === "execution" ? "executions" : view}"]`);
  if (link) link.setAttribute("aria-current", "page");
  const section = $(`#view-${view}`) || $("#view-loan");
  section.hidden = false;
  const params = new URLSearchParams(query || "");
  ({ loan: showLoan, manager: showManager, training: showTraining, hr: showHr, executions: showExecutions,
     execution: () => showExecution(params.get("arn")), bench: showBench }[view] || showLoan)(params);
}

// --- loan ---------------------------------------------------------------------------------------------------

const LOAN_FIELDS = ["applicant_name", "sin_last4", "annual_income", "loan_amount", "loan_purpose"];

async function showLoan(params) {
  const cases = await loadCases();
  const profiles = $("#loan-profiles");
  if (!profiles.childElementCount) {
    for (const item of cases.loan || []) {
      profiles.append(el("button", { type: "button", "data-case": item.case, onclick: () => fillLoan(item.application) },
        item.application.applicant_name, el("small", {}, `${money(item.application.loan_amount)} · ${item.case}`)));
    }
  }
  const id = params.get("id");
  if (id) every(() => followLoan(id));
}
function fillLoan(application) {
  for (const field of LOAN_FIELDS) $(`#${field}`).value = application[field] ?? "";
  clearErrors();
}
function clearErrors() {
  document.querySelectorAll("#loan-form .field-error").forEach((p) => { p.textContent = ""; });
  document.querySelectorAll("#loan-form [aria-invalid]").forEach((i) => i.removeAttribute("aria-invalid"));
}
async function applyForLoan(event) {
  event.preventDefault();
  clearErrors();
  const application = {};
  for (const field of LOAN_FIELDS) application[field] = $(`#${field}`).value.trim();
  for (const field of ["annual_income", "loan_amount"]) {
    if (application[field] !== "" && !Number.isNaN(Number(application[field]))) application[field] = Number(application[field]);
  }
  application.application_id = `web-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  const variant = $("input[name=variant]:checked").value;
  const response = await call("POST", `/api/apply?variant=${encodeURIComponent(variant)}`, application);
  if (response.status === 400) {
    for (const error of response.data.errors || []) {
      const target = $(`#err-${error.field}`) || $("#err-body");
      target.textContent = `${fieldLabel(error.field)} ${error.rule}`;
      const input = $(`#${error.field}`);
      if (input) input.setAttribute("aria-invalid", "true");
    }
    flash("The application was not sent: fix the fields marked in red.", "bad");
    return;
  }
  if (!response.ok) { flash(refusal(response), "bad"); return; }
  location.hash = `#/loan?id=${encodeURIComponent(response.data.application_id)}&variant=${variant}`;
}
// The API names fields as its JSON does (sin_last4); the form says what its label says (SIN, last 4 digits).
function fieldLabel(field) {
  const label = $(`#loan-form label[for="${CSS.escape(field)}"]`) || $(`#loan-form fieldset:has(input[name="${CSS.escape(field)}"]) > legend`);
  return label ? label.textContent.trim() : field;
}
async function followLoan(id) {
  const panel = $("#loan-progress");
  panel.hidden = false;
  const response = await call("GET", `/api/status/${encodeURIComponent(id)}`);
  $("#loan-id").textContent = id;
  if (!response.ok) { $("#loan-status").textContent = response.status === 404 ? "starting…" : "error"; return; }
  const status = response.data;
  const badge = $("#loan-status");
  badge.textContent = status.awaiting_manager ? "waiting for a manager" : status.status;
  badge.className = `badge ${status.awaiting_manager ? "waiting" : status.status}`;
  $("#loan-reason").textContent = status.reason ? `Reason: ${status.reason}` : "";
  const log = $("#loan-log");
  log.replaceChildren(...(status.log || []).map((entry) =>
    el("li", { "data-entry": entry.entry_id }, el("span", { class: "when" }, when(entry.at)), entry.message)));
  const arn = await executionArnFor("loan", id);
  if (arn) $("#loan-execution-link").href = `#/execution?arn=${encodeURIComponent(arn)}`;
}
async function executionArnFor(scenario, name) {
  if (!currentToken()) return null; // the link then opens the executions view, which says how to sign in
  const response = await call("GET", `/console/api/executions?scenario=${scenario}`);
  const found = (response.data?.executions || []).find((e) => e.name === name);
  return found ? found.arn : null;
}

// --- manager ------------------------------------------------------------------------------------------------

function showManager() { every(loadApprovals); }
async function loadApprovals() {
  const box = $("#approvals");
  const response = await call("GET", "/api/approvals");
  if (!response.ok) { $("#manager-error").textContent = refusal(response); box.replaceChildren(); return; }
  $("#manager-error").textContent = "";
  const items = response.data.approvals || [];
  if (!items.length) { box.replaceChildren(el("p", { class: "muted" }, "Nothing waiting.")); return; }
  const focused = document.activeElement && document.activeElement.closest(".card");
  if (focused) return; // do not redraw under someone typing a comment
  box.replaceChildren(el("div", { class: "cards" }, items.map((item) => {
    const comment = el("input", { id: `comment-${item.application_id}`, "aria-label": `Comment on ${item.applicant_name}'s application` });
    const decide = (approved) => decideLoan(item.application_id, approved, comment.value);
    return el("article", { class: "card", "data-application": item.application_id },
      el("h2", {}, item.applicant_name || item.application_id),
      el("dl", {},
        el("dt", {}, "Amount"), el("dd", {}, money(item.loan_amount)),
        el("dt", {}, "Risk tier"), el("dd", {}, item.risk_tier || "—"),
        el("dt", {}, "Average score"), el("dd", {}, item.average_score ?? "—"),
        el("dt", {}, "Requested"), el("dd", {}, when(item.requested_at)),
        el("dt", {}, "Application"), el("dd", { class: "mono" }, item.application_id)),
      el("label", { for: `comment-${item.application_id}` }, "Comment"), comment,
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => decide(true) }, "Approve"),
        el("button", { type: "button", class: "deny", onclick: () => decide(false) }, "Deny")));
  })));
}
async function decideLoan(id, approved, comment) {
  const manager = currentName() || "a manager";
  const response = await call("POST", `/api/approve/${encodeURIComponent(id)}`, { approved, manager, comment });
  if (!response.ok) { const text = refusal(response); $("#manager-error").textContent = text; flash(text, "bad"); return; }
  document.activeElement?.blur();
  flash(`${approved ? "Approved" : "Denied"} ${id}.`, "ok");
  loadApprovals();
}

// --- training -----------------------------------------------------------------------------------------------

async function showTraining(params) {
  const about = await loadAbout();
  $("#training-missing").hidden = about.training;
  const cases = await loadCases();
  const profiles = $("#training-profiles");
  if (!profiles.childElementCount) {
    for (const item of cases.training || []) {
      profiles.append(el("button", { type: "button", "data-case": item.case,
        onclick: () => { $("#training-doc").value = JSON.stringify(item.request, null, 2); } },
        item.request.job_role, el("small", {}, item.request.training_title)));
    }
  }
  const id = params.get("id");
  if (id) every(() => followTraining(id));
}
async function uploadTraining(event) {
  event.preventDefault();
  const errors = $("#training-errors");
  errors.replaceChildren();
  let document_;
  try { document_ = JSON.parse($("#training-doc").value); } catch (error) {
    stopFollowingTraining();
    errors.append(el("li", {}, `document must be valid JSON (${error.message})`)); return;
  }
  const variant = $("input[name=training-variant]:checked").value;
  const response = await call("POST", "/console/api/training/requests", { request: document_, variant }, { auth: false });
  if (response.status === 400) {
    stopFollowingTraining();
    errors.replaceChildren(...(response.data.errors || []).map((e) => el("li", {}, `${e.field} ${e.rule}`)));
    return;
  }
  if (!response.ok) { flash(refusal(response), "bad"); return; }
  location.hash = `#/training?id=${encodeURIComponent(response.data.request_id)}`;
}
// A document refused: the request followed before is no longer what the page is about; its progress goes.
function stopFollowingTraining() {
  stopTimers();
  $("#training-progress").hidden = true;
  for (const id of ["#training-score", "#training-rationale", "#training-reason", "#training-log"]) $(id).replaceChildren();
  history.replaceState(null, "", "#/training");
}
async function followTraining(id) {
  $("#training-progress").hidden = false;
  $("#training-id").textContent = id;
  const notice = $("#training-signin");
  if (!currentToken()) {
    notice.textContent = `Uploaded. ${SIGN_IN}`;
    notice.hidden = false;
    $("#training-status").textContent = "sign in to follow";
    return;
  }
  const response = await call("GET", `/console/api/training/requests/${encodeURIComponent(id)}`);
  if (response.status === 401 || response.status === 403) {
    notice.textContent = refusal(response); notice.hidden = false; return;
  }
  notice.hidden = true;
  if (!response.ok) { $("#training-status").textContent = "starting…"; return; }
  const data = response.data;
  const result = data.result || {};
  const screened = (data.log || []).find((entry) => entry.entry_id === "screened");
  const score = result.score ?? data.progress?.score;
  const band = result.band ?? data.progress?.band;
  const status = data.status || "received";
  $("#training-status").textContent = status;
  $("#training-status").className = `badge ${status.split(" ")[0]}`;
  $("#training-score").replaceChildren(...(score !== undefined && score !== null
    ? [el("span", { class: "score" }, String(score)), ` / 100 · band: ${band || "—"}`]
    : screened ? [screened.message] : ["Not screened yet."]));
  $("#training-rationale").textContent = result.rationale || data.progress?.rationale || "";
  $("#training-reason").textContent = result.reason ? `Reason: ${result.reason}` : "";
  $("#training-log").replaceChildren(...(data.log || []).map((entry) =>
    el("li", { "data-entry": entry.entry_id }, el("span", { class: "when" }, when(entry.at)), entry.message)));
  const execution = (data.executions || [])[0];
  if (execution) $("#training-execution-link").href = `#/execution?arn=${encodeURIComponent(execution.arn)}`;
}

// --- HR -----------------------------------------------------------------------------------------------------

function showHr() { every(loadReviews); }
async function loadReviews() {
  const box = $("#reviews");
  const response = await call("GET", "/api/reviews");
  if (!response.ok) { $("#hr-error").textContent = refusal(response); box.replaceChildren(); return; }
  $("#hr-error").textContent = "";
  const items = response.data.reviews || [];
  if (!items.length) { box.replaceChildren(el("p", { class: "muted" }, "Nothing waiting.")); return; }
  if (document.activeElement && document.activeElement.closest(".card")) return;
  box.replaceChildren(el("div", { class: "cards" }, items.map((item) => {
    const id = item.request_id;
    const comment = el("input", { id: `hr-comment-${id}`, "aria-label": `Comment on ${item.employee_name}'s request` });
    const decide = (decision) => decideReview(id, decision, comment.value);
    return el("article", { class: "card", "data-request": id },
      el("h2", {}, `${item.employee_name}: ${item.training_title}`),
      el("p", {}, el("span", { class: "score" }, String(item.score)), " / 100 · review band"),
      el("p", { class: "muted" }, item.rationale || ""),
      el("dl", {},
        el("dt", {}, "Role"), el("dd", {}, item.job_role || "—"),
        el("dt", {}, "Provider"), el("dd", {}, item.provider || "—"),
        el("dt", {}, "Cost"), el("dd", {}, item.cost !== undefined ? money(item.cost) : "—"),
        el("dt", {}, "Request"), el("dd", { class: "mono" }, id)),
      el("label", { for: `hr-comment-${id}` }, "Comment"), comment,
      el("div", { class: "actions" },
        el("button", { type: "button", onclick: () => decide("approve") }, "Approve"),
        el("button", { type: "button", class: "deny", onclick: () => decide("reject") }, "Reject")));
  })));
}
async function decideReview(id, decision, comment) {
  const reviewer = currentName() || "HR";
  const response = await call("POST", `/api/reviews/${encodeURIComponent(id)}`, { decision, reviewer, comment });
  if (!response.ok) {
    const errors = (response.data?.errors || []).map((e) => `${e.field} ${e.rule}`).join("; ");
    const text = errors ? `Not sent: ${errors}` : refusal(response);
    $("#hr-error").textContent = text; flash(text, "bad"); return;
  }
  document.activeElement?.blur();
  flash(`${decision === "approve" ? "Approved" : "Rejected"} ${id}.`, "ok");
  loadReviews();
}

// --- executions ---------------------------------------------------------------------------------------------

// The list an on-call engineer reads: who and what each run is about, newest first, filtered by status group (the
// failed ones one click away, #/executions?status=failed), scenario, variant and text; the server filters
// (executions.py) and counts each status group for the buttons.
async function showExecutions(params) {
  const about = await loadAbout();
  const scenarios = $("#filter-scenario");
  if (scenarios.options.length === 1) for (const name of Object.keys(about.scenarios)) scenarios.append(el("option", {}, name));
  pressStatus(params.get("status") || "");
  every(loadExecutions);
}
function pressStatus(status) {
  $("#filter-status").querySelectorAll("button").forEach((button) => button.setAttribute("aria-pressed", String(button.dataset.status === status)));
}
function filterByStatus(status) {
  pressStatus(status);
  history.replaceState(null, "", `#/executions${status ? `?status=${status}` : ""}`);
  loadExecutions();
}
function executionFilters() {
  const status = $("#filter-status button[aria-pressed=true]")?.dataset.status || "";
  return new URLSearchParams({ scenario: $("#filter-scenario").value, variant: $("#filter-variant").value, status, text: $("#filter-text").value.trim() });
}
async function loadExecutions() {
  const notice = $("#executions-signin");
  if (!currentToken()) {
    notice.textContent = SIGN_IN; notice.hidden = false; $("#executions").replaceChildren(); return;
  }
  const query = executionFilters();
  const status = query.get("status");
  const response = await call("GET", `/console/api/executions?${query}`);
  if (executionFilters().toString() !== query.toString()) return; // the filters changed while it was asked
  if (!response.ok) {
    notice.textContent = refusal(response); notice.hidden = false; $("#executions").replaceChildren(); return;
  }
  notice.hidden = true;
  const counts = response.data?.counts || {};
  $("#filter-status").querySelectorAll("button").forEach((button) => {
    $(".count", button).textContent = `(${counts[button.dataset.status || "all"] ?? 0})`;
  });
  $("#filter-status button[data-status=failed]").classList.toggle("alert", (counts.failed || 0) > 0);
  const rows = (response.data?.executions || []).map((e) => {
    const href = `#/execution?arn=${encodeURIComponent(e.arn)}`;
    const running = e.status_group === "running";
    return el("tr", { class: "link", "data-status": e.status_group || e.status, onclick: () => { location.hash = href; } },
      el("td", {}, el("a", { href }, e.name)), el("td", {}, e.who || "—"),
      el("td", {}, [e.what, e.amount !== undefined ? money(e.amount) : null].filter(Boolean).join(" · ") || "—"),
      el("td", {}, e.scenario), el("td", {}, e.variant),
      el("td", {}, el("span", { class: `badge ${e.status}` }, e.status)), el("td", { class: "nowrap" }, dateTime(e.start)),
      el("td", { class: "num" }, running ? `${ms(Date.now() - Date.parse(e.start))} so far` : ms(e.duration_ms)));
  });
  const none = status || query.get("text") || query.get("scenario") || query.get("variant")
    ? "No execution matches these filters." : "No executions yet: apply for a loan or upload a training request.";
  $("#executions").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 8, class: "muted" }, none))]));
}

async function showExecution(arn) {
  state.selected = null;
  state.execution = null;
  state.timelines = null;
  state.openOp = null;
  state.logsAt = null;
  $("#execution-logs").hidden = true;
  forgetGraphZoom();
  forgetEvents();
  $("#graph").replaceChildren();
  $("#durable").replaceChildren();
  $("#state-panel").replaceChildren(el("p", { class: "muted" }, "Select a state to see its input, output and error."));
  $("#execution-export").hidden = true;
  $("#execution-recovery").hidden = true;
  if (!arn) { $("#execution-error").textContent = "No execution given."; return; }
  const signedIn = Boolean(currentToken());
  document.querySelector(".legend").hidden = !signedIn;
  document.querySelector(".execution-layout").hidden = !signedIn;
  $("#state-list-box").hidden = !signedIn;
  if (!signedIn) {
    $("#execution-title").textContent = "Execution";
    $("#execution-summary").replaceChildren();
    $("#execution-error").textContent = SIGN_IN;
    return;
  }
  let finished = false;
  state.showing = arn;
  const refresh = async () => {
    if (finished) return;
    const response = await call("GET", `/console/api/execution?arn=${encodeURIComponent(arn)}`);
    if (state.showing !== arn || $("#view-execution").hidden) return; // the page moved on while this was asked
    if (!response.ok) {
      $("#execution-error").textContent = refusal(response) || "not found";
      finished = response.status === 404; // it will not appear by asking again
      return;
    }
    $("#execution-error").textContent = "";
    drawExecution(response.data);
    // over when the execution and the durable executions its Tasks ran are (a durable one answers its Task's token
    // in its last step, and records its own end a moment after the Task moved on)
    const running = (d) => ["RUNNING", "STARTED", "PENDING"].includes(d.status);
    finished = !running(response.data) && !(response.data.durable || []).some(running);
    await drawLogs(response.data);
    await drawEvents(response.data);
  };
  every(refresh);
}

function drawExecution(data) {
  const first = !state.execution || state.execution.arn !== data.arn;
  state.execution = data;
  $("#execution-title").textContent = data.name;
  $("#execution-summary").replaceChildren(
    el("span", { class: `badge ${data.status}`, id: "execution-status" }, data.status), " ",
    `${data.scenario || ""} · ${data.variant || ""} · ${data.kind === "sfn" ? `state machine ${data.state_machine}` : `durable function ${data.function}`}`,
    ` · started ${when(data.start)} · ${ms(data.duration_ms)}`,
    data.kind === "sfn" ? ` · ${data.transitions} state transitions` : "",
    data.error ? ` · ${readableError(data.error, data.cause).message.split("\n")[0]}` : "");
  $("#export-id").textContent = data.name; // an execution is named after its application or training request
  $("#execution-export").hidden = false;
  drawRecovery(data);
  document.querySelector(".legend").hidden = data.kind !== "sfn";
  document.querySelector(".execution-layout").hidden = data.kind !== "sfn";
  $("#state-list-box").hidden = data.kind !== "sfn";
  if (data.kind === "sfn") {
    if (first) {
      $("#graph").innerHTML = data.svg; // our own SVG: every name in it is XML-escaped by the server
      $("#graph").querySelectorAll("g.node[data-id]").forEach((node) => {
        node.addEventListener("click", () => selectState(node.dataset.id));
        node.addEventListener("keydown", (event) => { if (event.key === "Enter" || event.key === " ") { event.preventDefault(); selectState(node.dataset.id); } });
      });
    }
    colourGraph(data);
    if (first) enableGraphZoom();
    else labelFocusButton();
    if (state.selected) selectState(state.selected, false);
    drawTimelines(data.durable.map((d) => [d, `Durable operations of “${d.state}” (${d.function}${redriveOf(d.name, data.name)})`]));
  } else {
    drawTimelines([[data, `Durable operations of ${data.function}`]]);
  }
}

// --- recovery: what an on-call engineer does to the execution (duoflow/console/recovery.py) ------------------
// A failed, timed-out or stopped Step Functions run: Redrive (it continues from the state that failed) and Start
// again with this input (a new execution); a failed or stopped durable run: Re-run (a new durable execution, same
// input); a running one: Stop. Each is a POST with the role's token; the server records who did it in the
// application's audit trail.
function recoveryActions(data) {
  if (["RUNNING", "PENDING_REDRIVE"].includes(data.status)) return [["stop", "Stop", "deny"]];
  if (data.kind === "sfn" && ["FAILED", "TIMED_OUT", "ABORTED"].includes(data.status)) {
    return [["redrive", "Redrive", ""], ["start-again", "Start again with this input", "secondary"]];
  }
  if (data.kind === "durable" && ["FAILED", "TIMED_OUT", "STOPPED"].includes(data.status)) return [["rerun", "Re-run", ""]];
  return [];
}

function drawRecovery(data) {
  const box = $("#execution-recovery");
  const actions = recoveryActions(data);
  const shown = JSON.stringify([data.arn, data.status, data.redrive_count || 0, actions]);
  if (box.dataset.shown === shown) return; // polled again, nothing changed: keep the message and the focus
  box.dataset.shown = shown;
  const redriven = data.redrive_count ? [el("span", { class: "muted", id: "redrive-count" }, `redriven ${data.redrive_count}×`)] : [];
  const buttons = actions.map(([action, label, kind]) =>
    el("button", { type: "button", class: kind, "data-action": action, onclick: () => recover(action, data) }, label));
  box.replaceChildren(...buttons, ...redriven, el("span", { id: "recovery-message", role: "status" }));
  box.hidden = !buttons.length && !redriven.length;
}

// A Task's durable execution started by a redrive of its Step Functions execution is named NAME-redrive-N.
// A Task's durable run after the execution's Nth redrive is named EXECUTION-redrive-N (the state machines'
// DurableExecutionName); an id that merely ends like that is not one.
function redriveOf(name, executionName) {
  const prefix = `${executionName}-redrive-`;
  const count = name && name.startsWith(prefix) ? name.slice(prefix.length) : "";
  return /^\d+$/.test(count) ? `, redrive ${count}` : "";
}

async function recover(action, data) {
  const message = $("#recovery-message");
  $("#execution-recovery").querySelectorAll("button").forEach((button) => { button.disabled = true; });
  const response = await call("POST", `/console/api/recovery/${action}`, { arn: data.arn });
  if (!response.ok) {
    message.className = "error";
    message.textContent = refusal(response);
    $("#execution-recovery").querySelectorAll("button").forEach((button) => { button.disabled = false; });
    return;
  }
  const done = { redrive: "Redriven: it continues from the state that failed.", stop: "Stopped.",
    "start-again": "Started again with the same input.", rerun: "Re-run with the same input." }[action];
  flash(done, "ok");
  if (response.data.started) location.hash = `#/execution?arn=${encodeURIComponent(response.data.started)}`;
  else { $("#execution-recovery").dataset.shown = ""; showExecution(data.arn); } // polls again until it ends
}

// The page polls every second; rebuilding unchanged rows would take the keyboard focus and the opened operation's
// detail away from the person reading them, so the timelines are redrawn only when what they show has changed,
// and a redraw puts the focus and the opened detail back on the same row.
function drawTimelines(timelines) {
  const shown = JSON.stringify(timelines.map(([d, title]) => [title, d.status, d.stop, d.operations, d.invocations]));
  if (shown === state.timelines) return;
  state.timelines = shown;
  const focused = document.activeElement?.closest?.("section.timeline tr.op");
  const focusedAt = focused && rowAddress(focused);
  $("#durable").replaceChildren(...timelines.map(([d, title]) => timeline(d, title)));
  const open = state.openOp && rowAt(state.openOp);
  if (open) open.click();
  const refocus = focusedAt && rowAt(focusedAt);
  if (refocus) refocus.focus();
}
function rowAddress(row) {
  const rows = [...row.closest("section.timeline").querySelectorAll("tr.op")];
  return { durable: row.closest("section.timeline").dataset.durable, index: rows.indexOf(row) };
}
function rowAt(address) {
  const section = [...$("#durable").querySelectorAll("section.timeline")].find((s) => s.dataset.durable === address.durable);
  return section ? section.querySelectorAll("tr.op")[address.index] || null : null;
}

function statusOf(data, id) {
  if (id === "__start__") return "succeeded";
  if (id === "__end__") return data.status === "SUCCEEDED" ? "succeeded" : "not-reached";
  return (data.states[id] || { status: "not-reached" }).status;
}
function colourGraph(data) {
  const list = [];
  $("#graph").querySelectorAll("g.node[data-id]").forEach((node) => {
    const status = statusOf(data, node.dataset.id);
    node.classList.forEach((c) => { if (c.startsWith("st-")) node.classList.remove(c); });
    node.classList.add(`st-${status}`);
    node.setAttribute("data-status", status);
    node.setAttribute("aria-label", `${node.dataset.id}: ${status}`);
    if (!node.dataset.id.startsWith("__")) list.push(el("li", {}, `${node.dataset.id}: `, el("span", { class: `status-word st-${status}` }, status)));
  });
  markTakenEdges(data);
  $("#state-list").replaceChildren(...list);
}
function selectState(id, focusPanel = true) {
  state.selected = id;
  const data = state.execution;
  $("#graph").querySelectorAll("g.node.selected").forEach((n) => n.classList.remove("selected"));
  const node = $(`#graph g.node[data-id="${CSS.escape(id)}"]`);
  if (node) node.classList.add("selected");
  const info = data.states[id] || { status: statusOf(data, id) };
  const definition = findState(data.definition, id);
  const panel = $("#state-panel");
  const parts = [el("h2", {}, id === "__start__" ? "Start" : id === "__end__" ? "End" : id),
    el("p", {}, el("span", { class: `status-word st-${info.status}`, id: "selected-status" }, info.status),
      info.type ? ` · ${info.type}` : "", info.entries > 1 ? ` · entered ${info.entries} times` : "",
      info.failures ? ` · ${info.failures} failure(s)` : "", info.retried ? " · succeeded after a retry" : "")];
  if (definition?.Comment) parts.push(el("p", { class: "muted" }, definition.Comment));
  if (info.status === "denied") { // a business outcome the run ended in (state_history.py), not a failure
    parts.push(el("h3", {}, "Outcome"), el("p", { id: "selected-outcome" }, [info.error, info.cause].filter(Boolean).join(": ")));
  } else if (info.error || info.cause) {
    parts.push(el("h3", {}, "Error"), ...errorParts(readableError(info.error, info.cause), "selected-error"));
  }
  const shown = (title, value) => [el("h3", {}, title), el("pre", {}, pretty(withReadableCauses(value)))];
  if (info.input !== undefined) parts.push(...shown("Input", info.input));
  if (info.output !== undefined) parts.push(...shown("Output", info.output));
  if (id === "__end__" && data.output !== undefined) parts.push(...shown("Execution output", data.output));
  if (definition && !["Succeed", "Fail"].includes(definition.Type)) parts.push(el("details", {}, el("summary", {}, "Definition (ASL)"), el("pre", {}, pretty(definition))));
  panel.replaceChildren(...parts);
  if (focusPanel) panel.scrollTop = 0;
}
// A caught error travels on as data ({"Error": ..., "Cause": <the Lambda's error as JSON text>}): its cause is
// shown as its message, like the Error above, not as escaped JSON with a stack trace.
function withReadableCauses(value) {
  if (Array.isArray(value)) return value.map(withReadableCauses);
  if (!value || typeof value !== "object") return value;
  const copy = Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withReadableCauses(inner)]));
  for (const [error, cause] of [["Error", "Cause"], ["error", "cause"]]) {
    if (typeof copy[cause] === "string" && copy[cause].trimStart().startsWith("{")) copy[cause] = readableError(null, copy[cause]).message;
  }
  return copy;
}
function errorParts(read, id) {
  if (!read) return [];
  return [el("p", { class: "error-message", id }, read.message),
    read.details ? el("details", {}, el("summary", {}, "Details"), el("pre", {}, read.details)) : null];
}
function findState(definition, id) {
  if (!definition || !definition.States) return null;
  for (const [name, s] of Object.entries(definition.States)) {
    if (name === id) return s;
    for (const branch of s.Branches || []) { const found = findState(branch, id); if (found) return found; }
    const processor = s.ItemProcessor || s.Iterator;
    if (processor) { const found = findState(processor, id); if (found) return found; }
  }
  return null;
}

function timeline(execution, title) {
  const start = Date.parse(execution.start);
  const ends = execution.operations.map((o) => Date.parse(o.end || o.start)).concat(execution.invocations.map(Date.parse));
  const end = execution.stop ? Date.parse(execution.stop) : Math.max(Date.now(), ...ends);
  const span = Math.max(end - start, 1);
  const pos = (iso) => `${Math.min(100, Math.max(0, ((Date.parse(iso) - start) / span) * 100)).toFixed(2)}%`;
  const detail = el("div", { class: "op-detail", "aria-live": "polite" });
  const rows = execution.operations.map((op) => {
    const left = pos(op.start);
    const width = `${Math.max(0.4, ((Date.parse(op.end || new Date().toISOString()) - Date.parse(op.start)) / span) * 100).toFixed(2)}%`;
    const duration = op.end ? ms(Date.parse(op.end) - Date.parse(op.start)) : "running";
    const open = (event) => { state.openOp = rowAddress(event.currentTarget); showOp(detail, op); };
    return el("tr", { class: "op", tabindex: "0", "data-op": op.name, onclick: open, onkeydown: (e) => { if (e.key === "Enter") open(e); } },
      el("td", { style: { paddingLeft: `${8 + op.depth * 18}px` } }, op.name),
      el("td", {}, el("span", { class: "type" }, op.type)),
      el("td", {}, el("span", { class: `status-word ${{ succeeded: "st-succeeded", running: "st-running", stopped: "st-not-reached" }[op.status] || "st-failed"}` }, op.status),
        op.attempts > 1 ? ` · ${op.attempts} attempts` : ""),
      el("td", { class: "num" }, duration),
      el("td", { class: "bar-cell" }, el("div", { class: "track" }, el("div", { class: `bar ${op.status}`, style: { left, width } }))));
  });
  const ticks = el("div", { class: "track", title: "each mark: an invocation of the handler ended (it suspended or finished); the next one replays from the top" },
    execution.invocations.map((at) => el("span", { class: "tick", style: { left: pos(at) } })));
  return el("section", { class: "timeline", "data-durable": execution.name },
    el("h2", {}, title, " ", el("small", {}, `${execution.status} · ${ms(execution.duration_ms)} · ${execution.operations.length} operations · ${execution.invocations.length} invocations`)),
    el("table", { class: "ops" },
      el("thead", {}, el("tr", {}, el("th", {}, "Operation"), el("th", {}, "Type"), el("th", {}, "Status"), el("th", { class: "num" }, "Took"), el("th", {}, "Timeline"))),
      el("tbody", {}, rows,
        el("tr", {}, el("td", { colspan: 4, class: "muted" }, "invocations (replays)"), el("td", { class: "bar-cell" }, ticks)))),
    detail);
}
function showOp(box, op) {
  const parts = [el("h3", {}, `${op.name} (${op.type})`)];
  if (op.error !== undefined && op.error !== null) parts.push(el("p", { class: "error" }, "Error"), ...errorParts(readableError(op.error)));
  if (op.result !== undefined) parts.push(el("p", {}, "Result"), el("pre", {}, pretty(op.result)));
  if (op.retry) parts.push(el("p", {}, "Retry"), el("pre", {}, pretty(op.retry)));
  for (const key of ["duration", "scheduledEndTimestamp"]) if (op[key]) parts.push(el("p", { class: "muted" }, `${key}: ${op[key]}`));
  box.replaceChildren(...parts);
}

// The functions' log lines about the execution's application or request (`duoflow logs ID`): read again only when
// the execution has moved on (a new state, operation or status), not at every poll.
async function drawLogs(data) {
  const moved = JSON.stringify([data.status, data.transitions, (data.durable || [data]).map((d) => d.operations?.length)]);
  if (moved === state.logsAt) return;
  state.logsAt = moved;
  const response = await call("GET", `/console/api/logs/${encodeURIComponent(data.name)}`);
  if (!response.ok) return;
  const { lines, kept, more } = response.data;
  $("#logs-note").textContent = !kept ? "the runtime keeps no log file (duoflow serve does)"
    : `${lines.length} line(s)${more ? `, the latest; ${more} earlier: duoflow logs ${data.name}` : ""}`;
  $("#logs").replaceChildren(...lines.map((line) => el("tr", { class: `log-${line.level.toLowerCase()}` },
    el("td", { class: "num" }, line.at.slice(11, 23)), el("td", {}, line.level), el("td", {}, line.who), el("td", {}, el("pre", {}, line.text)))));
  $("#execution-logs").hidden = false;
}

// --- the execution graph: zoom, pan, fit, and the path taken -------------------------------------------------

// svg-pan-zoom (static/svg-pan-zoom.min.js, vendored) moves and scales the drawn graph: drag to move, the buttons
// or Ctrl + the wheel to zoom (the wheel alone still scrolls the page). The graph opens fitted to its box, the whole
// run in view; when a state failed or is running and the whole graph would be too small to read, it opens at a
// readable size centred on that state instead, so the on-call engineer sees it first. The focus button centres the
// state that needs attention (failed, else running, else caught).
const READABLE_ZOOM = 0.7; // the graph's own scale below which its 13 px labels are hard to read
function enableGraphZoom() {
  const svg = $("#graph svg");
  if (!svg || typeof window.svgPanZoom !== "function" || !$("#graph").clientWidth) return; // nothing to fit into
  svg.style.overflow = "hidden"; // set here, through the CSSOM: the library would write a style attribute, which the CSP refuses
  svg.removeAttribute("width"); // the box sizes the drawing (app.css); the viewBox keeps its proportions
  svg.removeAttribute("height");
  state.panZoom = window.svgPanZoom(svg, {
    controlIconsEnabled: false, mouseWheelZoomEnabled: false, dblClickZoomEnabled: true,
    fit: true, center: true, minZoom: 0.2, maxZoom: 10, zoomScaleSensitivity: 0.25,
  });
  bringIntoView();
}
function forgetGraphZoom() {
  if (state.panZoom) state.panZoom.destroy();
  state.panZoom = null;
}
function attentionNode() {
  return $("#graph g.node.st-failed") || $("#graph g.node.st-running") || $("#graph g.node.st-caught");
}
function bringIntoView() {
  const panZoom = state.panZoom;
  if (!panZoom) return;
  panZoom.resize();
  panZoom.fit();
  panZoom.center();
  if (!(panZoom.getSizes().realZoom > 0)) return; // a box with no size: nothing to centre
  const focus = labelFocusButton();
  if (focus && focus.dataset.status !== "caught" && panZoom.getSizes().realZoom < READABLE_ZOOM) centreOn(focus, READABLE_ZOOM);
}
// The focus button names the state that needs attention now (a running state that has since ended is no longer
// offered); called at every redraw, while the view itself stays where the engineer put it.
function labelFocusButton() {
  const focus = attentionNode();
  $("#graph-focus").hidden = !focus;
  if (focus) $("#graph-focus").textContent = `${focus.dataset.status[0].toUpperCase()}${focus.dataset.status.slice(1)} state`;
  return focus;
}
// Computed in the drawing's own coordinates: svg-pan-zoom applies a zoom or pan to the page at the next animation
// frame, so the node's place on the screen is not yet where it will be.
function centreOn(node, realZoom = null) {
  const panZoom = state.panZoom;
  if (realZoom) panZoom.zoom((panZoom.getZoom() * realZoom) / panZoom.getSizes().realZoom);
  const viewport = $("#graph svg .svg-pan-zoom_viewport");
  const shape = node.querySelector(".shape") || node;
  const box = shape.getBBox(), place = viewport.getCTM().inverse().multiply(shape.getCTM());
  const centre = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2).matrixTransform(place);
  const sizes = panZoom.getSizes();
  panZoom.pan({ x: sizes.width / 2 - centre.x * sizes.realZoom, y: sizes.height / 2 - centre.y * sizes.realZoom });
}
function zoomGraph(factor, point = null) {
  if (!state.panZoom) return;
  if (point) state.panZoom.zoomAtPointBy(factor, point);
  else state.panZoom.zoomBy(factor);
}
function wheelZoom(event) {
  if (!state.panZoom || !(event.ctrlKey || event.metaKey)) return; // the wheel alone scrolls the page
  event.preventDefault();
  const svg = $("#graph svg"), box = svg.getBoundingClientRect();
  zoomGraph(event.deltaY < 0 ? 1.2 : 1 / 1.2, { x: event.clientX - box.left, y: event.clientY - box.top });
}
// The transitions the history says were taken (events.py taken_path), a Catch (a timeout's included) drawn as
// taken only when the state failed and its Catcher moved on; a Next to the same state is then not.
function markTakenEdges(data) {
  const path = data.path || [];
  $("#graph").querySelectorAll("path.edge").forEach((edge) => {
    const isCatch = edge.classList.contains("e-catch");
    const taken = path.some((step) => step.from === edge.dataset.from && step.to === edge.dataset.to && step.caught === isCatch);
    edge.classList.toggle("taken", taken);
    edge.classList.toggle("taken-catch", taken && isCatch);
  });
}

// --- the execution's events (the Step Functions console's "Events" tab) ----------------------------------------

// /console/api/events (events.py): each event of the history as a row, its input, output or error one click away;
// a durable execution a Task ran is a group of rows under that Task's event. Read again only when the execution has
// moved on, and redrawn only when the rows changed, keeping the rows a person opened open.
async function drawEvents(data) {
  const moved = JSON.stringify([data.status, data.event_count, (data.durable || []).map((d) => d.event_count)]);
  if (moved === state.eventsAt) return;
  const response = await call("GET", `/console/api/events?arn=${encodeURIComponent(data.arn)}`);
  if (!response.ok || state.execution?.arn !== data.arn) return; // asked again at the next poll
  state.eventsAt = moved;
  const shown = JSON.stringify(response.data);
  if (shown === state.eventsShown) return;
  state.eventsShown = shown;
  renderEvents(response.data);
}
function renderEvents({ events, groups }) {
  const count = events.length + groups.reduce((sum, group) => sum + group.events.length, 0);
  $("#events-note").textContent = `${count} event(s)${groups.length ? `, ${groups.length} durable execution(s) under their Task` : ""} · select a row for its input, output or error`;
  const rows = [];
  for (const event of events) {
    rows.push(...eventRows(event, `e${event.id}`));
    groups.forEach((group, index) => { if (group.after === event.id) rows.push(...groupRows(group, index)); });
  }
  groups.forEach((group, index) => { if (!events.some((event) => event.id === group.after)) rows.push(...groupRows(group, index)); });
  $("#events").replaceChildren(...rows);
  $("#execution-events").hidden = false;
}
function forgetEvents() {
  state.eventsAt = null;
  state.eventsShown = null;
  state.openEvents = new Set();
  state.closedGroups = new Set();
  $("#execution-events").hidden = true;
  $("#events").replaceChildren();
}
const FAILED_EVENT = /(Failed|TimedOut|Aborted)$/;
function eventRows(event, key, group = null) {
  const open = state.openEvents.has(key);
  const toggle = el("button", { type: "button", class: "event-toggle", "aria-expanded": String(open), "aria-label": `Event ${event.id}: ${open ? "hide" : "show"} its details` }, open ? "▾" : "▸");
  const row = el("tr", { class: `event${FAILED_EVENT.test(event.type) ? " bad" : ""}${group !== null ? " in-group" : ""}`, "data-event": key, "data-type": event.type },
    el("td", { class: "nowrap" }, toggle, ` ${event.id}`),
    el("td", {}, event.type), el("td", {}, event.state || ""),
    el("td", { class: "nowrap" }, clockTime(event.at)), el("td", { class: "num nowrap" }, event.elapsed_ms === null ? "" : `+${ms(event.elapsed_ms)}`),
    el("td", { class: "event-detail-text" }, event.detail));
  if (group !== null && state.closedGroups.has(group)) row.hidden = true;
  row.addEventListener("click", () => toggleEvent(key));
  return open ? [row, eventDetailRow(event, key, row.hidden)] : [row];
}
function eventDetailRow(event, key, hidden) {
  const parts = [];
  for (const [label, name] of [["Input", "input"], ["Parameters", "parameters"], ["Output", "output"]]) {
    if (event[name] !== undefined) parts.push(el("h3", {}, label), el("pre", {}, pretty(withReadableCauses(event[name]))));
  }
  if (event.error !== undefined || event.cause !== undefined) parts.push(el("h3", {}, "Error"), ...errorParts(readableError(event.error, event.cause)));
  if (!parts.length) parts.push(el("p", { class: "muted" }, "This event carries no input, output or error."));
  const row = el("tr", { class: "event-details", "data-details-of": key }, el("td", { colspan: 6 }, ...parts));
  row.hidden = hidden;
  return row;
}
function groupRows(group, index) {
  const key = `g${index}`, closed = state.closedGroups.has(key);
  const toggle = el("button", { type: "button", class: "event-toggle", "aria-expanded": String(!closed), "aria-label": `${closed ? "Show" : "Hide"} the durable execution's events` }, closed ? "▸" : "▾");
  const header = el("tr", { class: "event-group", "data-group": key, "data-state": group.state },
    el("td", { colspan: 6 }, toggle, ` Durable execution of “${group.state}” (${group.function}) `,
      el("span", { class: `badge ${group.status}` }, group.status || ""), ` · ${group.events.length} events`));
  header.addEventListener("click", () => { if (state.closedGroups.has(key)) state.closedGroups.delete(key); else state.closedGroups.add(key); redrawEvents(); });
  return [header, ...group.events.flatMap((event) => eventRows(event, `${key}-${event.id}`, key))];
}
function toggleEvent(key) {
  if (state.openEvents.has(key)) state.openEvents.delete(key); else state.openEvents.add(key);
  redrawEvents();
  $(`#events tr[data-event="${CSS.escape(key)}"] .event-toggle`)?.focus();
}
function redrawEvents() {
  if (state.eventsShown) renderEvents(JSON.parse(state.eventsShown));
}
const clockTime = (iso) => (iso ? `${dateTime(iso).slice(11)}.${String(new Date(iso).getMilliseconds()).padStart(3, "0")}` : "");

// The audit export (`duoflow audit ID`) as a file: fetched with the role's token, then saved by the browser.
async function exportAudit(format) {
  const id = $("#export-id").textContent;
  const response = await call("GET", `/console/api/audit/${encodeURIComponent(id)}?format=${format}`);
  if (!response.ok) { flash(`Audit trail: ${refusal(response)}`, "bad"); return; }
  const link = el("a", { href: URL.createObjectURL(new Blob([response.text])), download: `audit-${id}.${format}` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// --- benchmark ----------------------------------------------------------------------------------------------

// Each scenario's report (docs/bench.json, docs/bench-training.json) with its chart, and when and where its figures
// were measured: they hold on that machine, with those versions.
const BENCH_SCENARIOS = ["loan", "training"];
async function showBench() {
  const reports = await Promise.all(BENCH_SCENARIOS.map((scenario) =>
    call("GET", `/console/api/bench?scenario=${scenario}`, undefined, { auth: false })));
  $("#bench-reports").replaceChildren(...BENCH_SCENARIOS.map((scenario, index) => benchReport(scenario, reports[index])));
}
function benchReport(scenario, response) {
  const title = el("h2", {}, `${scenario[0].toUpperCase()}${scenario.slice(1)} scenario`);
  if (!response.ok) return el("section", { class: "bench-report", "data-scenario": scenario }, title, el("p", { class: "muted" }, response.data?.message || "no benchmark"));
  const report = response.data;
  const settings = report.settings || {}, machine = report.machine || {};
  const measured = report.date ? `figures of ${report.date.slice(0, 10)} ${report.date.slice(11, 16)} UTC` : "figures of an unknown date";
  const where = [machine.cpus ? `${machine.cpus} CPUs` : "", machine.platform || "", machine.python ? `Python ${machine.python}` : ""].filter(Boolean).join(", ");
  const meta = [`${settings.runs_per_case ?? "?"} runs per case, ${settings.concurrency ?? "?"} at a time`, where ? `${measured} on ${where}` : measured].join(" · ");
  const variants = Object.entries(report.variants || {});
  const totals = variants.map(([, f]) => f.usd_per_million?.total ?? Infinity);
  const best = Math.min(...totals);
  const chart = `/console/bench.svg?scenario=${scenario}`;
  return el("section", { class: "bench-report", "data-scenario": scenario }, title,
    el("p", { class: "muted bench-meta" }, meta),
    el("div", { class: "table-scroll" }, el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["variant", "p50", "p95", "state transitions", "durable ops", "Lambda requests", "GB-s", "$ per million runs"].map((h, i) => el("th", { scope: "col", class: i ? "num" : "" }, h)))),
      el("tbody", {}, variants.map(([name, f]) => el("tr", {},
        el("th", { scope: "row" }, name), el("td", { class: "num" }, ms(f.p50_ms)), el("td", { class: "num" }, ms(f.p95_ms)),
        el("td", { class: "num" }, (f.state_transitions ?? 0).toFixed(1)), el("td", { class: "num" }, (f.durable_operations ?? 0).toFixed(1)),
        el("td", { class: "num" }, (f.lambda_invocations ?? 0).toFixed(1)), el("td", { class: "num" }, (f.billed_gb_seconds ?? 0).toFixed(3)),
        el("td", { class: `num ${f.usd_per_million?.total === best ? "bench-best" : ""}` }, money(f.usd_per_million?.total ?? 0))))))),
    el("figure", {}, el("img", { src: chart, alt: `Benchmark chart of the ${scenario} scenario: latency and cost per million runs by variant` }),
      el("figcaption", {}, "Latency and cost per million runs, by variant (the chart make bench draws beside the report in docs/)")));
}

// --- start --------------------------------------------------------------------------------------------------

async function loadAbout() {
  if (!state.about) state.about = (await call("GET", "/console/api/about", undefined, { auth: false })).data;
  return state.about;
}
async function loadCases() {
  if (!state.cases) state.cases = (await call("GET", "/console/api/cases", undefined, { auth: false })).data || {};
  return state.cases;
}

document.addEventListener("DOMContentLoaded", () => {
  $("#role").value = currentRole();
  $("#role").addEventListener("change", (event) => setRole(event.target.value));
  $("#token-button").addEventListener("click", () => openTokenDialog());
  $("#token-cancel").addEventListener("click", () => $("#token-dialog").close());
  $("#token-forget").addEventListener("click", () => {
    sessionStorage.removeItem("duoflow.tokens"); sessionStorage.removeItem("duoflow.role");
    $("#role").value = ""; $("#token-dialog").close(); flash("Tokens forgotten: acting as an applicant."); route();
  });
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    try {
      const { role, claims } = saveToken($("#token-input").value);
      sessionStorage.setItem("duoflow.role", role);
      $("#role").value = role;
      $("#token-dialog").close();
      flash(`Acting as ${claims.name || claims["cognito:username"] || "user"} (${role}).`, "ok");
      route();
    } catch (error) { $("#token-error").textContent = `That token cannot be read: ${error.message}`; }
  });
  $("#loan-form").addEventListener("submit", applyForLoan);
  $("#training-form").addEventListener("submit", uploadTraining);
  $("#training-file").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (file) $("#training-doc").value = await file.text();
  });
  $("#execution-export").querySelectorAll("button").forEach((button) =>
    button.addEventListener("click", () => exportAudit(button.dataset.format)));
  $("#filter-scenario").addEventListener("change", loadExecutions);
  $("#filter-variant").addEventListener("change", loadExecutions);
  $("#filter-text").addEventListener("input", loadExecutions);
  $("#execution-filters").addEventListener("submit", (event) => event.preventDefault());
  $("#filter-status").querySelectorAll("button").forEach((button) => button.addEventListener("click", () => filterByStatus(button.dataset.status)));
  $("#graph-zoom-in").addEventListener("click", () => zoomGraph(1.25));
  $("#graph-zoom-out").addEventListener("click", () => zoomGraph(1 / 1.25));
  $("#graph-fit").addEventListener("click", () => { if (state.panZoom) { state.panZoom.resize(); state.panZoom.fit(); state.panZoom.center(); } });
  $("#graph-focus").addEventListener("click", () => { const focus = attentionNode(); if (focus && state.panZoom) centreOn(focus); });
  $("#graph").addEventListener("wheel", wheelZoom, { passive: false });
  window.addEventListener("resize", () => { if (state.panZoom) state.panZoom.resize(); });
  window.addEventListener("hashchange", route);
  route();
});
