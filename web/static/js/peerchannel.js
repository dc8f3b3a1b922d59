// One named RTCDataChannel of one peer link (peerlink.js). Messages on it go browser to
// browser (DTLS/SCTP); the signalling server never sees them.
//
// The link opens its channels with the connection (the impolite side creates them, so
// the first offer already carries them) and holds them, with any message that came
// meanwhile, until an add-on attaches. A channel that closes while its connection lives
// (the other side closed it) is created again by the impolite side.

export class PeerChannel extends EventTarget {
  /** @param {string} label the channel's name, the same on both sides */
  constructor(label) {
    super();
    this.label = label;
    this.link = null;
    this.channel = null;
  }

  /** Follow `link`'s channel (and the ones after it) until the link closes or `detach()`. */
  attach(link) {
    this.detach();
    this.link = link;
    link.addEventListener("close", () => {
      if (this.link === link) this.detach();
    });
    link.channels.take(this.label, (channel, messages) => {
      if (this.link === link) this.#adopt(channel, messages);
    });
  }

  detach() {
    this.link = null;
    this.#drop(this.channel);
  }

  /** Whether a message can be sent now. */
  get open() {
    return this.channel?.readyState === "open";
  }

  /** Send a string or binary message; false (and nothing sent) when the channel is not open. */
  send(data) {
    if (!this.open) return false;
    try {
      this.channel.send(data);
      return true;
    } catch (err) {
      console.warn(`${this.label}: send failed:`, err?.name);
      return false;
    }
  }

  sendJson(message) {
    return this.send(JSON.stringify(message));
  }

  /**
   * Back-pressure: when more than `high` bytes wait in the send buffer, resolve once it
   * has drained to `low` (bufferedAmountLowThreshold) — or the channel closed, which the
   * caller sees from `open`.
   */
  drain(high, low) {
    const channel = this.channel;
    if (!channel || channel.readyState !== "open" || channel.bufferedAmount <= high) return Promise.resolve();
    channel.bufferedAmountLowThreshold = low;
    return new Promise((resolve) => {
      const done = () => {
        channel.removeEventListener("bufferedamountlow", done);
        channel.removeEventListener("close", done);
        resolve();
      };
      channel.addEventListener("bufferedamountlow", done);
      channel.addEventListener("close", done);
    });
  }

  /** Bytes queued on the channel and not yet sent. */
  get bufferedAmount() {
    return this.channel?.bufferedAmount ?? 0;
  }

  /** Close the channel (the other side sees it close too); the impolite side opens a new one. */
  close() {
    this.channel?.close();
  }

  #create() {
    const pc = this.link?.pc;
    if (!pc || pc.signalingState === "closed") return;
    try {
      const channel = pc.createDataChannel(this.label, { ordered: true });
      channel.binaryType = "arraybuffer";
      this.#adopt(channel, []);
    } catch (err) {
      console.warn(`${this.label}: createDataChannel failed:`, err?.name);
    }
  }

  #adopt(channel, messages) {
    if (this.channel && this.channel !== channel) this.#drop(this.channel);
    this.channel = channel;
    channel.addEventListener("open", () => {
      if (channel === this.channel) this.dispatchEvent(new Event("open"));
    });
    channel.addEventListener("message", (event) => {
      if (channel === this.channel) this.dispatchEvent(new MessageEvent("message", { data: event.data }));
    });
    channel.addEventListener("close", () => this.#closed(channel));
    // Held until now: what came before, in order, after the listeners are in place.
    queueMicrotask(() => {
      if (channel !== this.channel) return;
      if (channel.readyState === "open") this.dispatchEvent(new Event("open"));
      for (const data of messages) this.dispatchEvent(new MessageEvent("message", { data }));
    });
  }

  #closed(channel) {
    if (channel !== this.channel) return;
    const link = this.link;
    this.#drop(channel);
    // Closed by the other side or by us while the call goes on: a fresh channel.
    if (link && !link.polite && link.pc && link.pc.connectionState !== "closed") {
      setTimeout(() => {
        if (link === this.link && !this.channel) this.#create();
      }, 0);
    }
  }

  /** Forget `channel`; tell listeners once that it is gone. */
  #drop(channel) {
    if (!channel || channel !== this.channel) return;
    this.channel = null;
    if (channel.readyState !== "closed") channel.close();
    this.dispatchEvent(new Event("close"));
  }
}
