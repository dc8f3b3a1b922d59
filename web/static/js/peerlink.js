// One peer link: the RTCPeerConnection to one other participant of the call (a bounded
// mesh: at most three people, so at most two links per page), negotiated with the
// "perfect negotiation" pattern (https://developer.mozilla.org/docs/Web/API/WebRTC_API/Perfect_negotiation),
// restarted (ICE) on its own, and read (getStats) on its own. Signalling of a link is
// addressed to its one peer (`to`, see docs/protocol.md). The link's data channels are
// opened with the connection and held until the add-on that uses them has loaded
// (HeldChannels): the add-ons load after the call is on screen.

// How long the polite side waits for the first offer before negotiating itself.
const POLITE_OFFER_WAIT_MS = 3000;
// How long the polite side leaves an ICE restart to the impolite side.
const POLITE_RESTART_WAIT_MS = 2500;
// How long a link may stay "disconnected" before it restarts ICE: the same path comes back
// by itself, but after a network switch (Wi-Fi to mobile data) only new candidates help.
const DISCONNECTED_RESTART_MS = 2000;

// The lower rank offers first (is impolite) in a pair; equal ranks compare ids.
const RANK = { caseworker: 0, recipient: 1, interpreter: 2, companion: 2 };

/** Whether this page is the polite side of the pair (self, other): {role, participant}. */
export function isPolite(self, other) {
  const mine = RANK[self.role] ?? 1;
  const theirs = RANK[other.role] ?? 1;
  if (mine !== theirs) return mine > theirs;
  return String(self.participant) > String(other.participant);
}

/**
 * One pair's connection. `hooks`: send(event, payload) (already addressed to the peer),
 * localStream(), attach(stream) / detach() for the peer's video, watch(conn) for the
 * attempt log, state(key) for the page status, failed() when it gave up; remoteSdp(sdp)
 * may rewrite a remote description before it is set. `channels`: the labels of the data
 * channels the impolite side opens with the connection. A "close" event when it closed.
 */
export class PeerLink extends EventTarget {
  constructor(peer, { polite, iceServers, hooks, channels = [] }) {
    super();
    this.peer = peer; // {participant, instance, role}
    this.polite = polite;
    this.iceServers = iceServers;
    this.hooks = hooks;
    this.channelLabels = channels;
    this.pc = null;
    this.closed = false;
    this.create();
  }

  get state() {
    return this.pc?.connectionState;
  }

  create() {
    this.close();
    const conn = new RTCPeerConnection({ iceServers: this.iceServers });
    this.pc = conn;
    // Perfect negotiation's flags, and what was done once, for this connection only.
    this.negotiation = {
      makingOffer: false,
      ignoreOffer: false,
      isSettingRemoteAnswerPending: false,
      restartedAfterFailure: false,
      tracksAttached: false,
    };
    this.channels = new HeldChannels(conn, this.polite, this.channelLabels);
    // Every handler checks `conn === this.pc`: events of a replaced connection are stale.
    conn.onnegotiationneeded = () => this.#negotiate(conn);
    conn.onicecandidate = ({ candidate }) => {
      // null = gathering finished; end-of-candidates is optional, so we send nothing.
      if (conn !== this.pc || !candidate || !candidate.candidate) return;
      this.hooks.send("candidate", {
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? null,
        sdpMLineIndex: candidate.sdpMLineIndex ?? null,
        usernameFragment: candidate.usernameFragment ?? null,
      });
    };
    conn.ontrack = this.#trackHandler(conn);
    conn.onconnectionstatechange = () => {
      if (conn === this.pc) this.#connectionState(conn.connectionState);
    };
    this.hooks.watch(conn, () => {
      if (conn === this.pc) this.hooks.failed();
    });
    // Both sides adding tracks at once makes every join an offer collision, and
    // Chromium sometimes stops gathering ICE candidates after the polite side's
    // rollback. So the impolite side offers first; the polite side attaches its
    // tracks when answering (see onDescription), or after a grace period.
    if (!this.polite) {
      this.attachLocalTracks();
    } else {
      this.fallbackTimer = setTimeout(() => {
        if (conn === this.pc) this.attachLocalTracks();
      }, POLITE_OFFER_WAIT_MS);
    }
  }

  async #negotiate(conn) {
    try {
      this.negotiation.makingOffer = true;
      await conn.setLocalDescription();
      if (conn === this.pc) this.sendDescription();
    } catch (err) {
      if (conn === this.pc) console.warn("call: creating offer failed:", err);
    } finally {
      if (conn === this.pc) this.negotiation.makingOffer = false;
    }
  }

  #trackHandler(conn) {
    let remoteStream = null;
    return ({ track, streams }) => {
      if (conn !== this.pc) return;
      let stream = streams[0];
      if (!stream) {
        // Sender without a stream id: collect the tracks ourselves.
        remoteStream = remoteStream || new MediaStream();
        if (!remoteStream.getTracks().includes(track)) remoteStream.addTrack(track);
        stream = remoteStream;
      }
      this.hooks.attach(stream);
    };
  }

  #connectionState(state) {
    const hooks = this.hooks;
    switch (state) {
      case "new":
      case "connecting":
        hooks.state("connecting");
        break;
      case "connected":
        this.negotiation.restartedAfterFailure = false;
        hooks.state("connected");
        break;
      case "disconnected":
        // Often transient; if it lasts, restart ICE rather than wait for "failed".
        hooks.state("reconnecting");
        this.#restartIfStillDisconnected();
        break;
      case "failed":
        if (!this.negotiation.restartedAfterFailure) {
          this.negotiation.restartedAfterFailure = true;
          hooks.state("reconnecting");
          this.requestIceRestart();
        } else {
          hooks.failed();
        }
        break;
      default:
        break;
    }
  }

  #restartIfStillDisconnected() {
    const conn = this.pc;
    clearTimeout(this.disconnectTimer);
    this.disconnectTimer = setTimeout(() => {
      if (conn === this.pc && conn.connectionState === "disconnected") this.requestIceRestart();
    }, DISCONNECTED_RESTART_MS);
  }

  /** Bytes this link carried so far, both ways (getStats; read by linkstats.js, loaded when asked). */
  async bytes() {
    const conn = this.pc;
    if (!conn || conn.connectionState === "closed") return 0;
    const [{ bytesOf }, stats] = await Promise.all([import("./linkstats.js"), conn.getStats()]);
    return bytesOf(stats);
  }

  /** Add our media to the connection (once); triggers negotiation if needed. */
  attachLocalTracks() {
    if (this.negotiation.tracksAttached || !this.pc) return;
    this.negotiation.tracksAttached = true;
    clearTimeout(this.fallbackTimer);
    const conn = this.pc;
    const stream = this.hooks.localStream();
    if (stream) {
      for (const track of stream.getTracks()) conn.addTrack(track, stream);
    } else if (conn.getTransceivers().length === 0) {
      // Without own media we can still see and hear the other side.
      conn.addTransceiver("audio", { direction: "recvonly" });
      conn.addTransceiver("video", { direction: "recvonly" });
    }
  }

  /**
   * Restart ICE; the polite side first leaves it to the impolite side, so that
   * both do not send restart offers at the same time.
   */
  requestIceRestart() {
    const conn = this.pc;
    if (!conn) return;
    if (!this.polite) {
      conn.restartIce();
      return;
    }
    setTimeout(() => {
      const stuck = ["failed", "disconnected"].includes(conn.iceConnectionState);
      if (conn === this.pc && stuck && conn.signalingState === "stable") conn.restartIce();
    }, POLITE_RESTART_WAIT_MS);
  }

  close() {
    if (!this.pc) return;
    const conn = this.pc;
    this.pc = null;
    clearTimeout(this.fallbackTimer);
    clearTimeout(this.disconnectTimer);
    conn.onnegotiationneeded = conn.onicecandidate = conn.ontrack = conn.onconnectionstatechange = null;
    conn.close();
    this.closed = true;
    this.hooks.detach();
    this.dispatchEvent(new Event("close"));
  }

  sendDescription() {
    const description = this.pc?.localDescription;
    if (!description) return;
    this.hooks.send(description.type === "offer" ? "offer" : "answer", { sdp: description.sdp });
  }

  /**
   * After either side's signalling connection came back: re-send an offer that may
   * have been lost, and restart ICE because the network path has probably changed.
   * Only the impolite side restarts, to avoid colliding restart offers.
   */
  resync() {
    if (!this.pc) return;
    if (this.pc.signalingState === "have-local-offer") this.sendDescription();
    if (!this.polite) this.pc.restartIce();
  }

  async onDescription(type, sdp) {
    const conn = this.pc;
    if (!conn || typeof sdp !== "string") return;
    try {
      const readyForOffer =
        !this.negotiation.makingOffer && (conn.signalingState === "stable" || this.negotiation.isSettingRemoteAnswerPending);
      const offerCollision = type === "offer" && !readyForOffer;
      this.negotiation.ignoreOffer = !this.polite && offerCollision;
      if (this.negotiation.ignoreOffer) return;

      // No await before setRemoteDescription: candidates that arrive next must be
      // queued behind it on the connection's operations chain.
      this.negotiation.isSettingRemoteAnswerPending = type === "answer";
      const remote = this.hooks.remoteSdp ? this.hooks.remoteSdp(sdp) : sdp;
      await conn.setRemoteDescription({ type, sdp: remote }); // polite: implicit rollback
      this.negotiation.isSettingRemoteAnswerPending = false;
      if (type === "offer") {
        if (conn !== this.pc) return;
        // Our tracks go into this answer (addTrack reuses the offered transceivers).
        this.attachLocalTracks();
        await conn.setLocalDescription();
        if (conn === this.pc) this.sendDescription();
      }
    } catch (err) {
      this.negotiation.isSettingRemoteAnswerPending = false;
      if (conn === this.pc) console.warn(`call: handling ${type} failed:`, err);
    }
  }

  async onCandidate(message) {
    // "" = end of candidates; optional, and not understood everywhere: skip it.
    if (typeof message.candidate !== "string" || message.candidate === "") return;
    const conn = this.pc;
    if (!conn) return;
    try {
      await conn.addIceCandidate({
        candidate: message.candidate,
        sdpMid: message.sdpMid ?? null,
        sdpMLineIndex: message.sdpMLineIndex ?? null,
        usernameFragment: message.usernameFragment ?? null,
      });
    } catch (err) {
      // Candidates of an offer we ignored are expected to fail.
      if (conn === this.pc && !this.negotiation.ignoreOffer) console.warn("call: adding ICE candidate failed:", err);
    }
  }
}

/**
 * The data channels of one connection until an add-on takes them: the impolite side
 * creates one per label with the connection (so the first offer already carries them),
 * the polite side receives them ("datachannel"). Messages that arrive before the add-on
 * took its channel wait in order and are handed over with it.
 */
class HeldChannels {
  constructor(conn, polite, labels) {
    this.held = new Map(); // label -> {channel, messages, keep}
    this.takers = new Map(); // label -> take(channel, messages)
    conn.addEventListener("datachannel", ({ channel }) => this.hold(channel));
    if (polite) return;
    for (const label of labels) {
      try {
        this.hold(conn.createDataChannel(label, { ordered: true }));
      } catch (err) {
        console.warn(`${label}: createDataChannel failed:`, err?.name);
      }
    }
  }

  hold(channel) {
    channel.binaryType = "arraybuffer";
    const taker = this.takers.get(channel.label);
    if (taker) {
      taker(channel, []);
      return;
    }
    const messages = [];
    const keep = (event) => messages.push(event.data);
    channel.addEventListener("message", keep);
    this.held.get(channel.label)?.channel.removeEventListener("message", this.held.get(channel.label).keep);
    this.held.set(channel.label, { channel, messages, keep });
  }

  /** `take(channel, messages)` now for a held channel of `label`, and for every later one. */
  take(label, take) {
    this.takers.set(label, take);
    const held = this.held.get(label);
    if (!held) return;
    this.held.delete(label);
    held.channel.removeEventListener("message", held.keep);
    take(held.channel, held.messages);
  }
}

// ---- the remote description ----------------------------------------------------------

/**
 * Audio packet duration in every mode. Chromium's Opus sends a packet every 20 ms, each
 * with about 38 bytes of RTP header, header extensions and SRTP tag: at "sound only"
 * that overhead is more than the voice itself. 40 ms halves it (about 15 kbit/s less,
 * both ways together) for 20 ms more delay.
 */
export const AUDIO_PTIME_MS = 40;

/**
 * The remote description with `a=ptime:<ms>` in each audio section that has none: our
 * Opus encoder takes its frame length from the remote side's ptime. Changing the
 * other side's SDP on our side only is allowed (it is our input); sections that name a
 * ptime themselves are left alone.
 */
export function withAudioPtime(sdp, ms = AUDIO_PTIME_MS) {
  const eol = sdp.includes("\r\n") ? "\r\n" : "\n";
  const sections = sdp.split(/(?=^m=)/m);
  return sections
    .map((section) => {
      if (!section.startsWith("m=audio") || /^a=ptime:/m.test(section)) return section;
      const end = section.indexOf(eol);
      return `${section.slice(0, end + eol.length)}a=ptime:${ms}${eol}${section.slice(end + eol.length)}`;
    })
    .join("");
}
