// Recipient's end page: while the caseworker has not yet recorded the outcome, wait for
// `session.ended` on the signalling socket, then fetch and show the one feedback link
// (no reload needed). See docs/protocol.md ("The end page").
import { connect, errorCode, newInstanceId } from "./signaling.js";

const main = document.getElementById("ended");

if (main && main.dataset.pending === "true") {
  const session = main.dataset.session;
  const linkUrl = `/s/${encodeURIComponent(session)}/ended/link`;
  const offer = document.getElementById("feedback-offer");
  const link = document.getElementById("feedback-link");
  const pending = document.getElementById("feedback-pending");
  let done = false;
  let socket = null;

  async function fetchLink() {
    if (done) return;
    let body = null;
    try {
      const response = await fetch(linkUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) body = await response.json();
    } catch (err) {
      console.warn("ended: fetching the feedback link failed:", err?.name);
    }
    if (!body?.settled || done) return;
    done = true;
    socket?.disconnect();
    if (body.url) {
      link.href = body.url;
      offer.hidden = false;
    }
    if (pending) pending.hidden = true;
  }

  socket = connect({ role: "recipient", session, page: "ended", instance: newInstanceId() });
  socket.on("session.ended", fetchLink);
  // Settled between rendering this page and connecting: the server says so on connect.
  socket.on("connect_error", (err) => {
    if (errorCode(err) === "session_closed") fetchLink();
  });
  // After a reconnect (our network came back) we may have missed the event: ask once.
  socket.on("connect", () => fetchLink());
  window.addEventListener("pagehide", () => socket?.disconnect());
}
