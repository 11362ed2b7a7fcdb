// smsgate's web console: plain DOM, no framework. Every value from the
// API is put in the page as text (textContent), never as HTML.
"use strict";

const TOKEN_KEY = "smsgate-token";
const $ = (id) => document.getElementById(id);

let token = sessionStorage.getItem(TOKEN_KEY);
let events = null; // the AbortController of the events stream

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body) {
  const headers = { "Authorization": "Bearer " + token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const message = answer && answer.error ? answer.error.message : response.statusText;
    if (response.status === 401) logout(message);
    throw new ApiError(response.status, message);
  }
  return answer;
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function button(td, label, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.addEventListener("click", onClick);
  td.appendChild(b);
  return b;
}

function fill(tableId, rows, render) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  for (const item of rows) render(body.insertRow(), item);
}

function partsText(message) {
  if (!message.parts || message.parts.length === 0) return message.fail_reason || "";
  const parts = message.parts.map((part) => {
    let text = "#" + part.seq;
    if (part.message_reference != null) text += " ref " + part.message_reference;
    if (part.report) text += ": " + part.report.status;
    return text;
  });
  if (message.fail_reason) parts.push(message.fail_reason);
  return parts.join("; ");
}

async function refreshOutgoing() {
  const page = await api("GET", "/api/v1/messages?limit=50");
  fill("outgoing", page.messages, (row, message) => {
    row.dataset.id = message.id;
    cell(row, message.id.slice(0, 12), "id").title = message.id;
    cell(row, message.to);
    cell(row, message.state, "state state-" + message.state);
    cell(row, partsText(message), "parts");
    const actions = cell(row, "");
    if (["failed", "unknown", "cancelled"].includes(message.state)) {
      button(actions, "Resend", async () => {
        try {
          const resent = await api("POST", "/api/v1/messages/" + message.id + "/resend");
          $("send-result").textContent = "resent as " + resent.id;
          refreshSoon();
        } catch (err) { $("send-result").textContent = "resend: " + err.message; }
      }).className = "resend";
    }
  });
}

async function refreshInbox() {
  const page = await api("GET", "/api/v1/inbox?limit=50");
  fill("inbox", page.messages, (row, message) => {
    row.dataset.id = message.id;
    cell(row, message.from, "from");
    cell(row, message.received || message.sent);
    cell(row, message.modem);
    cell(row, message.text != null ? message.text : (message.data_hex ? "hex " + message.data_hex : ""), "text");
  });
}

async function refreshModems() {
  const modems = await api("GET", "/api/v1/modems");
  fill("modems", modems, (row, modem) => {
    row.dataset.name = modem.name;
    cell(row, modem.name);
    let state = modem.state;
    if (modem.blocked_until) state += " until " + modem.blocked_until;
    if (modem.problem) state += " (" + modem.problem + ")";
    cell(row, state, "state");
    cell(row, modem.signal_dbm == null ? "" : modem.signal_dbm + " dBm");
    cell(row, modem.operator);
    const c = modem.counters || {};
    cell(row, [c.sent, c.failed, c.received].join(" / "));
    const actions = cell(row, "");
    if (modem.state === "blocked") {
      button(actions, "Unblock", async () => {
        try { await api("POST", "/api/v1/modems/" + encodeURIComponent(modem.name) + "/unblock"); }
        catch (err) { $("send-result").textContent = "unblock: " + err.message; }
        refreshSoon();
      }).className = "unblock";
    }
  });
}

async function refreshAll() {
  // A view a token may not read (403) stays empty; the others still fill.
  for (const refresh of [refreshOutgoing, refreshInbox, refreshModems]) {
    try { await refresh(); } catch (err) { if (err.status === 401) return; }
  }
}

let refreshTimer = null;
function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refreshAll, 200);
}

// The live part count: the server plans the text with the codec that
// will send it, so the count cannot disagree with what is sent.
let planTimer = null;
let planSerial = 0;
function planSoon() {
  clearTimeout(planTimer);
  planTimer = setTimeout(async () => {
    const serial = ++planSerial;
    const text = $("text").value;
    if (text === "") { $("plan").textContent = ""; return; }
    try {
      const plan = await api("POST", "/api/v1/plan", { text, to: $("to").value || undefined });
      if (serial !== planSerial) return;
      $("plan").textContent = plan.encoding + " · " + plan.parts + (plan.parts === 1 ? " part" : " parts")
        + " · " + plan.chars_left + " left" + (plan.parts > plan.max_parts ? " · over the limit of " + plan.max_parts : "");
      $("plan").dataset.encoding = plan.encoding;
      $("plan").dataset.parts = plan.parts;
    } catch (err) {
      if (serial === planSerial) $("plan").textContent = err.message;
    }
  }, 150);
}

async function send(event) {
  event.preventDefault();
  $("send").disabled = true;
  try {
    const answer = await api("POST", "/api/v1/messages", {
      to: $("to").value.trim(), text: $("text").value, report: $("report").checked,
    });
    $("send-result").textContent = "accepted: " + answer.messages.map((m) => m.id).join(", ");
    $("text").value = "";
    $("plan").textContent = "";
    refreshSoon();
  } catch (err) {
    $("send-result").textContent = "refused: " + err.message;
  } finally {
    $("send").disabled = false;
  }
}

// Server-Sent Events read through fetch, so the token travels in the
// Authorization header like everywhere else (EventSource cannot send
// one); reconnects after a pause when the stream ends.
async function followEvents() {
  events = new AbortController();
  const signal = events.signal;
  while (!signal.aborted) {
    try {
      const response = await fetch("/api/v1/events", {
        headers: { "Authorization": "Bearer " + token, "Accept": "text/event-stream" }, signal,
      });
      if (response.status === 401) { logout("the token is no longer valid"); return; }
      if (!response.ok) throw new Error(response.statusText);
      $("live").textContent = "live";
      $("live").className = "on";
      refreshAll();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n/g, "\n");
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          onEvent(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
    }
    $("live").textContent = "reconnecting";
    $("live").className = "muted";
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function onEvent(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  if (data.length === 0) return; // a keep-alive comment
  const item = document.createElement("li");
  item.textContent = new Date().toLocaleTimeString() + " " + kind + " " + data.join("");
  const list = $("events");
  list.prepend(item);
  while (list.children.length > 50) list.lastChild.remove();
  refreshSoon();
}

function showApp() {
  $("login-view").hidden = true;
  $("app").hidden = false;
  $("logout").hidden = false;
  followEvents();
}

function logout(reason) {
  if (events) events.abort();
  token = null;
  sessionStorage.removeItem(TOKEN_KEY);
  $("app").hidden = true;
  $("logout").hidden = true;
  $("login-view").hidden = false;
  $("live").textContent = "offline";
  $("live").className = "muted";
  $("login-error").textContent = reason || "";
}

async function login(event) {
  event.preventDefault();
  token = $("token").value.trim();
  try {
    // Any route the token may read proves it; 403 on one still means a
    // known token (a send-only token sees an empty list).
    await api("GET", "/api/v1/messages?limit=1").catch((err) => { if (err.status !== 403) throw err; });
    sessionStorage.setItem(TOKEN_KEY, token);
    $("token").value = "";
    $("login-error").textContent = "";
    showApp();
  } catch (err) {
    $("token").value = "";
    logout(err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("login-form").addEventListener("submit", login);
  $("send-form").addEventListener("submit", send);
  $("text").addEventListener("input", planSoon);
  $("to").addEventListener("input", planSoon);
  $("logout").addEventListener("click", () => logout(""));
  setInterval(() => { if (token) refreshModems().catch(() => {}); }, 15000);
  if (token) showApp();
});
