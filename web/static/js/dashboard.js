// Caseworker dashboard: live waiting room of every open session on the page,
// with admit / decline buttons per waiting recipient.
import { connect, errorCode, errorDetail, request } from "./signaling.js";
import { errorText, has, t } from "./i18n.js";
import { onPageLeave, prefetchWhenIdle, writeStatus } from "./page.js";
import { waitingChanged } from "./waiting_alerts.js";

const sections = new Map(); // session id -> <section class="session">
for (const section of document.querySelectorAll("section.session[data-session]")) {
  sections.set(section.dataset.session, section);
}
const statusEl = document.getElementById("dashboard-status");
const lang = document.documentElement.lang || undefined;

let leaving = false;
let socket = null;

/** kind: "info", "warn" or "error"; exposed as data-kind for styling. */
function setStatus(text, kind = "info") {
  if (!statusEl) return;
  writeStatus(statusEl, text);
  statusEl.dataset.kind = kind;
}

function formatTime(iso) {
  // The server sends UTC; treat a timestamp without zone designator as UTC too.
  const hasZone = /(?:Z|[+-]\d\d:?\d\d)$/i.test(iso || "");
  const date = new Date(hasZone ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) return "";
  return date.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
}

// A DOM-safe id fragment (participant ids are opaque strings).
const idPart = (value) => String(value).replace(/[^A-Za-z0-9_-]/g, "_");

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  node.append(...children);
  return node;
}

// A waiting entry's button for the lobby action `name` ("admit", "decline").
// aria-describedby ties the otherwise identical button names to their entry.
function lobbyButton(name, variant, labelId) {
  return el("button", {
    type: "button",
    className: `btn ${variant}`,
    textContent: t(name),
    dataset: { action: `lobby.${name}` },
    "aria-describedby": labelId,
  });
}

function createEntry(session, participant) {
  const labelId = `wait-${idPart(session)}-${idPart(participant)}`;
  const since = el("span", { className: "waiting-since", id: labelId });
  const position = el("span", { className: "waiting-position" });
  const badge = el("span", { className: "badge" });
  const actions = el("span", { className: "waiting-actions" }, [
    lobbyButton("admit", "btn-primary", labelId),
    lobbyButton("decline", "btn-secondary", labelId),
  ]);
  return el("li", { className: "waiting-entry", dataset: { participant } }, [
    el("span", { className: "waiting-info" }, [since, " ", position, " ", badge]),
    actions,
  ]);
}

function updateEntry(li, entry, count) {
  const time = formatTime(entry.since);
  const since = li.querySelector(".waiting-since");
  const sinceText = t("waiting_since", { time });
  if (since.textContent !== sinceText) {
    since.replaceChildren();
    // Wrap the time in <time> for machine readability; keep the translated frame.
    const [before, after = ""] = sinceText.split(time);
    if (time && sinceText.includes(time)) {
      since.append(before, el("time", { dateTime: entry.since, textContent: time }), after);
    } else {
      since.textContent = sinceText;
    }
  }

  const positionText = has("position")
    ? t("position", { position: entry.position, waiting: count })
    : `#${entry.position}`;
  li.querySelector(".waiting-position").textContent = positionText;

  const badge = li.querySelector(".badge");
  badge.textContent = entry.consent ? t("consent_given") : t("consent_missing");
  badge.classList.toggle("ok", Boolean(entry.consent));
  badge.classList.toggle("warn", !entry.consent);
}

/** Keyed update of one session's list, so focused buttons survive re-renders. */
function render(session, waiting) {
  const section = sections.get(session);
  if (!section) return; // not on this page
  const list = section.querySelector(".waiting-list");
  const empty = section.querySelector(".waiting-empty");
  if (!list) return;

  const entries = Array.isArray(waiting) ? waiting.filter((e) => e && e.participant) : [];
  const existing = new Map([...list.children].map((li) => [li.dataset.participant, li]));
  const keep = new Set(entries.map((e) => String(e.participant)));

  // If the focused entry disappears, move focus to a neighbour rather than <body>.
  const focusedLi = document.activeElement?.closest?.("li.waiting-entry");
  let focusTarget = null;
  if (focusedLi && list.contains(focusedLi) && !keep.has(focusedLi.dataset.participant)) {
    focusTarget = neighbour(focusedLi, keep);
  }

  for (const [participant, li] of existing) {
    if (!keep.has(participant)) li.remove();
  }
  entries.forEach((entry, index) => {
    const participant = String(entry.participant);
    let li = existing.get(participant);
    if (!li) li = createEntry(session, participant);
    updateEntry(li, entry, entries.length);
    // insertBefore moves an element only if it is out of place.
    if (list.children[index] !== li) list.insertBefore(li, list.children[index] || null);
  });

  // The list itself stays in the accessibility tree (even when empty) so that
  // its live region announces arrivals.
  if (empty) empty.hidden = entries.length > 0;
  waitingChanged();

  if (focusedLi && !focusedLi.isConnected) {
    if (focusTarget?.isConnected) {
      focusTarget.querySelector("button")?.focus();
    } else {
      // Nothing left to focus in the list: park focus on the section.
      if (!section.hasAttribute("tabindex")) section.setAttribute("tabindex", "-1");
      section.focus();
    }
  }
}

function neighbour(li, keep) {
  for (let n = li.nextElementSibling; n; n = n.nextElementSibling) {
    if (keep.has(n.dataset.participant)) return n;
  }
  for (let p = li.previousElementSibling; p; p = p.previousElementSibling) {
    if (keep.has(p.dataset.participant)) return p;
  }
  return null;
}

async function act(button) {
  const li = button.closest("li.waiting-entry");
  const section = button.closest("section.session");
  if (!li || !section || !socket) return;
  if (li.getAttribute("aria-busy") === "true") return;
  const session = section.dataset.session;
  const participant = li.dataset.participant;
  const event = button.dataset.action;

  // aria-busy/aria-disabled instead of `disabled`, which would drop keyboard focus.
  const buttons = li.querySelectorAll("button");
  li.setAttribute("aria-busy", "true");
  buttons.forEach((b) => b.setAttribute("aria-disabled", "true"));
  try {
    const ack = await request(socket, event, { session, participant });
    setStatus(t("connected"));
    // A third person (interpreter, companion) joins the call the caseworker already holds.
    if (event === "lobby.admit" && (ack.role ?? "recipient") === "recipient") {
      leaving = true;
      location.assign(`/sessions/${encodeURIComponent(session)}/call`);
    }
    // On decline the server follows up with lobby.update, which removes the entry.
  } catch (err) {
    const code = errorCode(err);
    if (code !== "not_found") console.warn(`dashboard: ${event} failed:`, code);
    setStatus(errorText(code, errorDetail(err)), "error");
  } finally {
    if (li.isConnected && !leaving) {
      li.removeAttribute("aria-busy");
      buttons.forEach((b) => b.removeAttribute("aria-disabled"));
    }
  }
}

if (sections.size > 0) {
  setStatus(t("connecting"));
  socket = connect({ role: "dashboard" });

  socket.on("connect", () => setStatus(t("connected")));
  socket.on("disconnect", () => {
    if (!leaving) setStatus(t("reconnecting"), "warn");
  });
  socket.on("connect_error", (err) => {
    if (leaving) return;
    if (socket.active) {
      setStatus(t("reconnecting"), "warn");
    } else {
      const code = errorCode(err);
      console.warn("dashboard: connection refused:", code);
      setStatus(errorText(code, errorDetail(err)), "error");
    }
  });

  socket.on("lobby.snapshot", ({ sessions: waiting = {} } = {}) => {
    // Sessions without anybody waiting are absent from the snapshot: clear them.
    for (const session of sections.keys()) render(session, waiting[session] || []);
  });
  socket.on("lobby.update", ({ session, waiting } = {}) => render(session, waiting));
  // The invitation link was continued on another device (perhaps someone it was forwarded to).
  socket.on("lobby.moved", ({ session } = {}) => {
    const section = sections.get(session);
    if (!section) return;
    let note = section.querySelector(".link-moved");
    if (!note) {
      note = document.createElement("p");
      note.className = "link-moved";
      note.setAttribute("role", "status");
      section.append(note);
    }
    note.textContent = t("link_moved", { time: new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) });
  });

  // One delegated listener per section; buttons are re-created on updates.
  for (const section of sections.values()) {
    section.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button && section.contains(button)) act(button);
    });
  }

  onPageLeave(() => {
    leaving = true;
    socket.disconnect();
  });
}

prefetchWhenIdle();
