// The data-saving mode of one peer link (datasaver.js keeps one per link): what the peer
// asked us to send, what we send (the stricter of that and our own choice), what the
// peer sends, and the link's bytes and quality from getStats.
import { LIMITS, applyToSenders, isMode, stricter } from "./datamodes.js";
import { bytesOf, qualityOf } from "./linkstats.js";
import { PeerChannel } from "./peerchannel.js";

export class LinkMode {
  /** `saver`: the page's DataSaver (its own choice `own`, `showPeerNote()`). */
  constructor(link, saver) {
    this.link = link;
    this.saver = saver;
    this.participant = link.peer.participant;
    this.requested = "normal"; // what the peer asked us to send at most
    this.peerSending = "normal";
    this.sending = stricter(saver.own, this.requested);
    this.bytes = 0;
    this.lastLoss = null; // {lost, received} of inbound RTP at the previous poll
    this.control = new PeerChannel("vb-control");
    this.control.addEventListener("open", () => {
      this.control.sendJson({ type: "datamode.request", mode: this.saver.own });
      this.control.sendJson({ type: "datamode.sending", mode: this.sending });
    });
    this.control.addEventListener("message", ({ data }) => this.#onMessage(data));
    this.control.addEventListener("close", () => {
      // A new channel starts without the peer's wishes; it repeats them.
      this.requested = "normal";
      this.peerSending = "normal";
      this.sending = stricter(this.saver.own, this.requested);
      this.saver.showPeerNote();
    });
    this.control.attach(link);
    const conn = link.pc;
    const reapply = () => {
      if (conn === link.pc && conn.signalingState === "stable") applyToSenders(conn, this.sending);
    };
    conn.addEventListener("signalingstatechange", reapply);
    conn.addEventListener("connectionstatechange", reapply);
    reapply(); // this add-on may load after the link was negotiated
  }

  #onMessage(data) {
    if (typeof data !== "string" || data.length > 1024) return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || !isMode(message.mode)) return;
    if (message.type === "datamode.request") {
      this.requested = message.mode;
      this.update({ announce: false });
    } else if (message.type === "datamode.sending") {
      this.peerSending = message.mode;
      this.saver.showPeerNote();
    }
  }

  /** Own choice or the peer's request changed: limit our senders, tell the peer. */
  update({ announce = true } = {}) {
    if (announce) this.control.sendJson({ type: "datamode.request", mode: this.saver.own });
    const next = stricter(this.saver.own, this.requested);
    const changed = next !== this.sending;
    this.sending = next;
    if (this.link.pc) applyToSenders(this.link.pc, this.sending);
    if (changed || announce) this.control.sendJson({ type: "datamode.sending", mode: this.sending });
    this.saver.showPeerNote();
  }

  /**
   * Read the link's stats: its bytes, and whether it is weak now (null when it is not
   * connected or there is no round-trip time yet).
   */
  async sample(thresholds) {
    const conn = this.link.pc;
    if (!conn || conn.connectionState === "closed") return null;
    let stats;
    try {
      stats = await conn.getStats();
    } catch (err) {
      console.warn("datasaver: getStats failed:", err?.name);
      return null;
    }
    this.bytes = Math.max(this.bytes, bytesOf(stats));
    const quality = qualityOf(stats);
    let loss = quality.remoteLoss;
    if (this.lastLoss) {
      const newLost = quality.lost - this.lastLoss.lost;
      const newReceived = quality.received - this.lastLoss.received;
      if (newLost + newReceived > 0) loss = Math.max(loss, newLost / (newLost + newReceived));
    }
    this.lastLoss = { lost: quality.lost, received: quality.received };
    // Senders attached or renegotiated since: make sure they keep the mode.
    if (conn.signalingState === "stable" && !this.matches()) applyToSenders(conn, this.sending);
    if (conn.connectionState !== "connected" || quality.rtt === null) return null;
    return quality.rtt * 1000 >= thresholds.rttMs || loss >= thresholds.loss;
  }

  /** Whether every sender of the link is limited as `sending` says. */
  matches() {
    const conn = this.link.pc;
    if (!conn) return false;
    const limits = LIMITS[this.sending];
    return conn.getSenders().every((sender) => {
      const kind = sender.track?.kind;
      if (kind !== "audio" && kind !== "video") return true;
      const encoding = sender.getParameters().encodings?.[0];
      if (!encoding) return true;
      const limit = limits[kind];
      if (limit === "off") return encoding.active === false;
      if (encoding.active === false) return false;
      return limit ? encoding.maxBitrate === limit.maxBitrate : encoding.maxBitrate === undefined;
    });
  }
}
