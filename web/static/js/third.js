// The third person (interpreter or companion) on the call page, an add-on loaded after
// the call is on screen: the recipient is asked and answers; the caseworker can remove
// the third person while they are in the call.

import { t } from "./i18n.js";

const THIRD_ROLES = ["interpreter", "companion"];

/** `call`: call.js's Call. */
export function start(call) {
  startRemoval(call);
  startLink(call);
  startQuestion(call);
}

/** The caseworker's page shows the third person's link the moment the recipient agrees
 * (fetched: the event reaches every page of the session, the link is for the caseworker). */
function startLink(call) {
  const box = document.getElementById("third-link-box");
  const input = document.getElementById("call-third-link");
  if (!box || !input || call.role !== "caseworker") return;
  const show = async () => {
    try {
      const response = await fetch(`/api/third/${encodeURIComponent(call.session)}/link`, {
        credentials: "same-origin",
        cache: "no-store",
      });
      const { link } = response.ok ? await response.json() : {};
      input.value = link || "";
      box.hidden = !link;
    } catch (err) {
      console.warn("call: fetching the third person's link failed:", err?.message);
    }
  };
  call.main.addEventListener("vbcall:third-answered", show);
  show(); // agreed before this add-on loaded
}

function startRemoval(call) {
  const button = document.getElementById("remove-third");
  if (!button) return;
  const update = () => {
    button.hidden = ![...call.links.values()].some((link) => THIRD_ROLES.includes(link.peer.role));
  };
  call.main.addEventListener("vbcall:links", update);
  update();
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const response = await post(`/api/third/${encodeURIComponent(call.session)}/remove`, {});
      if (!response.ok) console.warn("call: removing the third person failed:", response.status);
    } finally {
      button.disabled = false;
    }
  });
}

function startQuestion(call) {
  const box = document.getElementById("third-ask");
  if (!box || call.role !== "recipient" || call.self.role !== "recipient") return;
  const ask = (role) => {
    const text = document.getElementById("third-ask-text");
    if (text) text.textContent = t(`third_asked_${role}`);
    box.hidden = false;
  };
  const buttons = () => box.querySelectorAll("button");
  const answer = async (agree) => {
    buttons().forEach((b) => (b.disabled = true));
    try {
      const response = await post(`/api/third/${encodeURIComponent(call.session)}/answer`, { agree });
      if (!response.ok) throw new Error(String(response.status));
      box.hidden = true; // answered (and stored)
    } catch (err) {
      console.warn("call: answering failed:", err?.message);
    } finally {
      buttons().forEach((b) => (b.disabled = false));
    }
  };
  document.getElementById("third-agree")?.addEventListener("click", () => answer(true));
  document.getElementById("third-refuse")?.addEventListener("click", () => answer(false));
  // Asked before this add-on loaded (the page's data-third-asked, or the call's event).
  if (call.main.dataset.thirdAsked) ask(call.main.dataset.thirdAsked);
  call.main.addEventListener("vbcall:third-asked", ({ detail }) => ask(detail.role));
}

function post(url, body) {
  return fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    credentials: "same-origin",
  });
}
