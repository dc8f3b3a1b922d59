// The call page's socket: connecting, reconnecting, and the call events of the
// signalling server (docs/protocol.md), each handed to the call (call.js). call.js
// imports this module (and with it the socket.io client) at its start, without holding
// up the page's first paint.
import { connect, errorCode, errorDetail, request } from "./signaling.js";
import { errorText, t } from "./i18n.js";

/**
 * Open the socket of `call` and wire its events. Call events are handled in the order
 * they came, each once `mediaReady` settled (every connection is created with our tracks).
 * Returns the call's signals: `socket`, `send(event, payload)` (fire and forget) and
 * `request(event, payload)` (resolves once the server acknowledged).
 */
export function connectSignalling(call, mediaReady) {
  const { role, session, instance } = call;
  // Recipients tell the server which page this is (waiting room or call).
  const auth = role === "recipient" ? { role, session, page: "call", instance } : { role, session, instance };
  const socket = connect(auth);
  const on = (event, handler) =>
    socket.on(event, (...args) => {
      mediaReady.then(() => {
        if (!call.leaving) handler(...args);
      });
    });
  wireConnection(call, socket);
  wirePeers(call, on);
  wireSession(call, on);
  return {
    socket,
    request: (event, payload = {}) => request(socket, event, payload),
    /** Failures while offline are expected and recovered on reconnect. */
    send: (event, payload) =>
      request(socket, event, payload).catch((err) => {
        const code = errorCode(err);
        if (code !== "disconnected" && !call.leaving) console.warn(`call: ${event} failed:`, code);
      }),
  };
}

function wireConnection(call, socket) {
  let everConnected = false; // to tell the first connect from reconnects
  socket.on("connect", () => {
    call.mark("vb:socket");
    // Our own network came back: the path has probably changed.
    if (everConnected) for (const link of call.links.values()) link.resync();
    everConnected = true;
    // Told before this socket was in the call room? (after it, peer.unsupported tells)
    call.askPeerBrowser();
    if (call.firstLink()?.state === "connected") call.stage.setStatus("connected");
    else if (!call.links.size) call.stage.setStatus("waiting_for_peer");
  });

  socket.on("disconnect", () => {
    // Media flows peer-to-peer; a working call is not interrupted by this.
    if (!call.leaving && call.firstLink()?.state !== "connected") call.stage.setStatus("reconnecting");
  });

  socket.on("connect_error", (err) => {
    if (call.leaving) return;
    const code = errorCode(err);
    if (call.role === "recipient") {
      if (code === "declined" && call.self.role === "recipient") return call.leave(call.urls.declined);
      const target = {
        consent_required: call.urls.consent,
        not_admitted: call.urls.wait,
        declined: call.urls.ended,
        session_closed: call.urls.ended,
      }[code];
      if (target) return call.leave(target);
    }
    if (socket.active) {
      // Network trouble; socket.io keeps retrying by itself.
      if (call.firstLink()?.state !== "connected") call.stage.setStatus("reconnecting");
      return;
    }
    console.warn("call: connection refused:", code);
    call.stage.setStatusText(errorText(code, errorDetail(err)));
  });
}

function wirePeers(call, on) {
  on("call.peers", ({ self, peers } = {}) => {
    call.mark("vb:peers");
    if (self) call.self.participant = self;
    const others = Array.isArray(peers) ? peers.filter((p) => p?.participant && p.participant !== self) : [];
    for (const other of others) call.peerPresent(other, { fromJoin: false });
    // Links to pages that are no longer there (we may have missed peer.gone while
    // offline). Keep a link whose media still flows; peer.gone or peer.joined settles it.
    const present = new Set(others.map((p) => p.participant));
    for (const [participant, link] of [...call.links]) {
      if (!present.has(participant) && link.state !== "connected") call.peerGone(participant);
    }
    if (!call.links.size) call.stage.setStatus("waiting_for_peer");
  });
  on("peer.joined", (info) => call.peerPresent(info, { fromJoin: true }));
  on("peer.left", ({ participant, grace } = {}) => {
    if (call.links.has(participant)) call.stage.startGrace(grace);
  });
  on("peer.gone", ({ participant } = {}) => {
    if (call.links.has(participant)) call.peerGone(participant);
  });
  // The other side's browser cannot make video calls (it was told what to do instead).
  on("peer.unsupported", ({ reason } = {}) => call.stage.showPeerUnsupported(reason));
  on("offer", (message) => call.linkFrom(message)?.onDescription("offer", message.sdp));
  on("answer", (message) => call.linkFrom(message)?.onDescription("answer", message.sdp));
  on("candidate", (message) => call.linkFrom(message)?.onCandidate(message));
  on("hangup", (message = {}) => {
    const link = call.linkFrom(message);
    if (!link) return;
    const fromCaseworker = link.peer.role === "caseworker";
    call.closeLink(message.from);
    call.stage.setStatus("peer_hung_up"); // a decision, not a dropped connection: no countdown
    // The caseworker stays to record the outcome with the form on this page; the
    // others leave when the caseworker hangs up, and go on when anyone else does.
    if (call.role === "recipient" && fromCaseworker) call.leave(call.urls.ended);
  });
}

function wireSession(call, on) {
  on("session.ended", () => call.leave(call.urls.ended));
  // The invitation link was continued on another device: this page stops.
  on("participant.moved", () => call.leave(call.urls.moved));
  on("consent.withdrawn", ({ participant } = {}) => {
    if (call.role === "recipient" && (!call.self.participant || participant === call.self.participant)) {
      call.leave(call.urls.withdrawn); // our own withdrawal (perhaps from another tab)
      return;
    }
    if (!call.links.has(participant)) return;
    call.closeLink(participant);
    call.stage.setStatus("peer_withdrew");
  });
  on("peer.removed", ({ participant } = {}) => {
    if (participant && participant === call.self.participant) return call.leave(call.urls.ended);
    call.peerGone(participant);
  });
  // The third person's add-on (third.js) may load after the question came: it reads it here.
  on("third.asked", ({ role } = {}) => {
    if (typeof role !== "string") return;
    call.main.dataset.thirdAsked = role;
    call.main.dispatchEvent(new CustomEvent("vbcall:third-asked", { detail: { role } }));
  });
  on("third.answered", ({ agreed } = {}) => {
    if (call.role === "caseworker") call.stage.setStatusText(t(agreed ? "third_agreed" : "third_refused"));
  });
}
