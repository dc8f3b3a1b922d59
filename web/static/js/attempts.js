// The attempt log of a call page: connection events in a closed vocabulary, posted to
// the server (docs/protocol.md, "Attempt log"). Never a candidate string, an address or
// a device name: candidate *types*, STUN/TURN error *codes*, media error *classes*.

const MEDIA_CLASSES = {
  NotAllowedError: "denied",
  SecurityError: "denied",
  NotFoundError: "missing",
  OverconstrainedError: "missing",
  NotReadableError: "in_use",
  AbortError: "in_use",
};

/** The log of the call page `main` (its data-attempt-url and data-connect-timeout). */
export function attemptLog(main) {
  const url = main.dataset.attemptUrl;
  const timeoutMs = Math.max(1, Number(main.dataset.connectTimeout) || 30) * 1000;
  const pending = new Set();
  const lastOf = new Map(); // scope (the page, or one connection) -> its last event

  function record(kind, detail = "", scope = "page") {
    if (!url) return;
    const key = `${kind}:${detail}`;
    if (lastOf.get(scope) === key) return; // a repeated state says nothing new
    lastOf.set(scope, key);
    const sent = fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kind, detail }),
      credentials: "same-origin",
      keepalive: true, // still delivered when the page is being left
    }).catch(() => {});
    pending.add(sent);
    sent.finally(() => pending.delete(sent));
  }

  /** getUserMedia failed: its class only. */
  function media(err) {
    record("media_error", MEDIA_CLASSES[err?.name] || "failed");
  }

  /**
   * Watch one RTCPeerConnection. `onTimeout` runs when it has not connected within the
   * page's connect timeout: a relay-only path without a reachable TURN server never
   * leaves "new" in Chromium, so without it the page would wait forever.
   */
  function watch(conn, { hasTurn, onTimeout, peerRole }) {
    // In a call of three, each link's events name the other side's role.
    const of = peerRole ? `/${peerRole}` : "";
    const types = new Set();
    const codes = new Set();
    let connected = false;
    const scope = {};
    conn.addEventListener("icecandidate", ({ candidate }) => {
      if (candidate?.type) types.add(candidate.type);
    });
    conn.addEventListener("icegatheringstatechange", () => {
      if (conn.iceGatheringState !== "complete") return;
      record("ice_gathered", ([...types].sort().join("+") || "none") + of, scope);
      record("turn", (!hasTurn ? "none" : types.has("relay") ? "reachable" : "unreachable") + of, scope);
    });
    conn.addEventListener("icecandidateerror", (event) => {
      const code = String(event.errorCode ?? 0);
      if (codes.has(code) || !/^\d{1,3}$/.test(code)) return;
      codes.add(code);
      record("ice_error", code + of, scope);
    });
    conn.addEventListener("connectionstatechange", () => {
      if (conn.connectionState === "connected") connected = true;
      record("connection", conn.connectionState + of, scope);
    });
    setTimeout(() => {
      if (connected || conn.signalingState === "closed") return;
      record("connection", "timeout" + of, scope);
      onTimeout?.();
    }, timeoutMs);
  }

  /** Wait until every event sent so far has reached the server. */
  function flush() {
    return Promise.allSettled([...pending]);
  }

  // Links that show what the log says (the proof) wait for the log to be written.
  document.addEventListener("click", async (event) => {
    const link = event.target?.closest?.("a[data-after-log]");
    if (!link) return;
    event.preventDefault();
    await flush();
    location.assign(link.href);
  });

  return { record, media, watch, flush };
}
