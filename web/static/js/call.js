// Call page (caseworker, recipient, third person): wires the page, the socket
// (callsignals.js, imported at the start so that the socket.io client does not hold up
// the first paint) and the mesh, one peer link (peerlink.js) per other participant.
// The add-ons (data saving, document photos, the third person) load after the call is
// on screen and follow the links through the small interface `Call` gives them:
// `links`, `onLink(fn)` (each link now and later; a link's "close" event when it ends),
// `isPair(link)` (the caseworker–recipient link), `self`, `main`, `role`, `session`.
import { attemptLog } from "./attempts.js";
import { PeerLink, isPolite, withAudioPtime } from "./peerlink.js";
import { CallStage } from "./callstage.js";
import { LocalMedia } from "./callmedia.js";
import { newInstanceId, onPageLeave, preloadModules } from "./page.js";
import { tellIfUnsupported } from "./unsupported.js";

// Data channels of a link, by the pair they belong to (docs/protocol.md, "Data channels").
const CHANNELS_ALL = ["vb-control"];
const CHANNELS_PAIR = ["vb-control", "vb-photo"];

class Call {
  constructor(main) {
    this.main = main;
    this.session = main.dataset.session;
    this.role = main.dataset.role === "caseworker" ? "caseworker" : "recipient";
    this.urls = callUrls(main, this.session);
    this.iceServers = parseIceServers(main.dataset.iceServers);
    this.attempts = attemptLog(main);
    this.instance = newInstanceId();
    this.stage = new CallStage(main);
    this.media = new LocalMedia({
      onStarted: () => this.mark("vb:media"),
      onError: (err, key) => {
        this.attempts.media(err);
        this.stage.showMediaError(key);
      },
    });
    this.links = new Map(); // participant id -> PeerLink
    this.self = { participant: null, role: main.dataset.selfRole || this.role };
    this.linkWatchers = [];
    this.signals = null; // callsignals.js's, once loaded: socket, send, request
    this.connected = false; // media flowed at some point: the outcome form pre-selects video
    this.leaving = false; // navigating away: stop reacting to disconnects
    this.navigating = false;
  }

  start() {
    this.stage.setStatus("connecting");
    document.getElementById("hangup")?.addEventListener("click", () => this.hangup());
    // No WebRTC or no camera API: say what to do instead, tell the log (the server tells the
    // caseworker: peer.unsupported), and start neither camera nor links.
    if (tellIfUnsupported()) {
      this.stage.setStatus("unsupported");
      return Promise.resolve();
    }
    // Withdrawal (withdraw.js) loads with the first click if it has not loaded yet.
    const withdraw = document.getElementById("withdraw");
    withdraw?.addEventListener("click", () => import("./withdraw.js").then((addOn) => addOn.withdraw(this, withdraw)));
    // Leaving the page (navigation, reload, tab close): say goodbye cleanly.
    onPageLeave(() => this.shutdown());
    // Camera and socket start together; the socket's call events wait for the camera, so
    // every connection is still created with our tracks present.
    const mediaReady = this.media.start();
    preloadModules("call-signals"); // callsignals.js, signaling.js, socket.io: at once
    return import("./callsignals.js")
      .then(({ connectSignalling }) => {
        if (!this.leaving) this.signals = connectSignalling(this, mediaReady);
      })
      .catch((err) => {
        console.warn("call: loading the signalling failed:", err);
        this.stage.setStatus("reconnecting");
      });
  }

  get socket() {
    return this.signals?.socket ?? null;
  }

  firstLink() {
    return this.links.values().next().value;
  }

  /** `fn(link)` for every link there is and every link to come. */
  onLink(fn) {
    this.linkWatchers.push(fn);
    for (const link of this.links.values()) fn(link);
  }

  /** Document photos are between the caseworker and the recipient. */
  isPair(link) {
    const pair = [this.self.role, link.peer.role];
    return pair.includes("caseworker") && pair.includes("recipient");
  }

  /** A timing mark for the set-up (once per page): read by the bench, harmless otherwise. */
  mark(name) {
    if (!performance.getEntriesByName(name, "mark").length) performance.mark(name);
  }

  openLink(peer) {
    const participant = peer.participant;
    const pair = this.isPair({ peer });
    let link;
    try {
      link = new PeerLink(peer, {
        polite: isPolite(this.self, peer),
        iceServers: this.iceServers,
        channels: pair ? CHANNELS_PAIR : CHANNELS_ALL,
        hooks: this.linkHooks(peer),
      });
    } catch (err) {
      // E.g. a browser that refuses to make a connection (privacy settings): no link.
      console.warn("call: cannot create a connection:", err?.name);
      this.stage.showConnectionFailed();
      return null;
    }
    this.links.set(participant, link);
    for (const fn of this.linkWatchers) fn(link);
    this.main.dispatchEvent(new CustomEvent("vbcall:links"));
    return link;
  }

  linkHooks(peer) {
    const participant = peer.participant;
    return {
      send: (event, payload) => {
        if (event === "offer") this.mark("vb:offer");
        this.send(event, { ...payload, to: participant });
      },
      localStream: () => this.media.stream,
      attach: (stream) => this.stage.attach(participant, stream, () => this.mark("vb:video")),
      detach: () => this.stage.release(participant),
      watch: (conn, onTimeout) =>
        this.attempts.watch(conn, { hasTurn: this.iceServers.length > 0, onTimeout, peerRole: peer.role }),
      state: (key) => {
        if (key === "connected") {
          this.connected = true;
          this.mark("vb:connected");
          this.stage.clearConnectionFailed();
        }
        this.stage.setStatus(key);
      },
      failed: () => this.stage.showConnectionFailed(),
      // Longer audio packets from our encoder in every mode (sdp.js).
      remoteSdp: (sdp) => withAudioPtime(sdp),
    };
  }

  closeLink(participant) {
    const link = this.links.get(participant);
    if (!link) return;
    link.close();
    this.links.delete(participant);
    this.main.dispatchEvent(new CustomEvent("vbcall:links"));
  }

  /** Fire-and-forget signalling; failures while offline are expected and recovered on reconnect. */
  send(event, payload) {
    this.signals?.send(event, payload);
  }

  /** Only accept signalling from a peer we built a link for. */
  linkFrom(message) {
    return message && typeof message.from === "string" ? this.links.get(message.from) : undefined;
  }

  /** A peer page is present (from call.peers or peer.joined). */
  peerPresent(info, { fromJoin }) {
    if (!info?.participant || info.participant === this.self.participant) return;
    const next = { participant: info.participant, instance: info.instance, role: info.role };
    const link = this.links.get(next.participant);
    if (!link || !link.pc || link.peer.instance !== next.instance) {
      // New page on the other side (first contact or a reload): start from scratch.
      this.closeLink(next.participant);
      if (this.openLink(next)) this.stage.setStatus("connecting");
      return;
    }
    // Same page, its network dropped and came back.
    if (fromJoin) {
      link.resync();
      if (link.state === "connected") this.stage.setStatus("connected");
    }
  }

  /** The caseworker's page: whether the other side's browser cannot make video calls. */
  askPeerBrowser() {
    const url = this.main.dataset.peerBrowserUrl;
    if (!url) return;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then((response) => (response.ok ? response.json() : {}))
      .then(({ reason } = {}) => reason && this.stage.showPeerUnsupported(reason))
      .catch(() => {});
  }

  peerGone(participant) {
    this.closeLink(participant);
    if (!this.links.size) this.stage.setStatus("waiting_for_peer");
  }

  shutdown() {
    this.leaving = true;
    for (const participant of [...this.links.keys()]) this.closeLink(participant);
    this.media.stop();
    this.socket?.disconnect();
  }

  leave(url) {
    this.shutdown();
    if (this.navigating) return; // e.g. hangup and session.ended racing
    this.navigating = true;
    location.assign(url);
  }

  async hangup() {
    if (this.leaving) return;
    this.leaving = true;
    const button = document.getElementById("hangup");
    if (button) button.disabled = true;
    if (this.socket?.connected) {
      try {
        await this.signals.request("hangup");
      } catch (err) {
        console.warn("call: hangup failed:", err?.code);
      }
    }
    // The caseworker goes straight to the outcome form (issue 12), "held by video"
    // pre-selected when the call was connected.
    const outcome = `${this.urls.outcome}${this.connected ? "?connected=1" : ""}#outcome-form`;
    this.leave(this.role === "caseworker" ? outcome : this.urls.ended);
  }
}

function callUrls(main, session) {
  const sessionPath = `/s/${encodeURIComponent(session)}`;
  return {
    ended: main.dataset.endedUrl || `${sessionPath}/ended`,
    outcome: `/sessions/${encodeURIComponent(session)}/outcome`,
    consent: `${sessionPath}/consent`,
    wait: `${sessionPath}/wait`,
    declined: `${sessionPath}/declined`,
    moved: `${sessionPath}/moved`,
    withdrawn: `${main.dataset.fallbackUrl || `${sessionPath}/fallback`}?reason=withdrawn`,
  };
}

function parseIceServers(raw) {
  if (!raw) return [];
  try {
    const parsed = JSON.parse(raw);
    if (Array.isArray(parsed)) return parsed;
  } catch (err) {
    console.warn("call: invalid data-ice-servers", err);
  }
  return [];
}

/**
 * The add-ons this page carries, loaded once the page has loaded (the call is on screen
 * and usable without them) and the signalling has (they would compete with it for a slow
 * line). Each exports `start(call)`. Literal specifiers: the server versions them
 * (web/assets.py) and the waiting room prefetches them.
 */
async function loadAddOns(call, signalling) {
  await signalling;
  const load = () => {
    const addOns = [];
    if (document.getElementById("datasaver")) addOns.push(import("./datasaver.js"));
    if (document.getElementById("photo")) addOns.push(import("./photo.js"));
    if (document.getElementById("media-path")) addOns.push(import("./verify.js"));
    if (document.getElementById("third-ask") || document.getElementById("remove-third")) {
      addOns.push(import("./third.js"));
    }
    for (const loading of addOns) {
      loading.then((addOn) => addOn.start(call)).catch((err) => console.warn("call: an add-on failed:", err));
    }
  };
  if (document.readyState === "complete") load();
  else addEventListener("load", load, { once: true });
}

const main = document.getElementById("call");

if (main) {
  const call = new Call(main);
  loadAddOns(call, call.start());
  window.vbCall = {
    pc: () => call.firstLink()?.pc ?? null,
    state: () => call.firstLink()?.state,
    states: () => Object.fromEntries([...call.links].map(([id, link]) => [id, link.state])),
    links: () => call.links,
    self: () => call.self.participant,
  };
}
