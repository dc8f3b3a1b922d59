// One named RTCDataChannel on the call's current peer connection. Messages on it go
// browser to browser (DTLS/SCTP); the signalling server never sees them.
//
// call.js announces every new connection with a "vbcall:pc" event ({pc, polite}) and
// every closed one with "vbcall:pcclosed" on the #call element. The impolite side (the
// caseworker) creates the channel, so the first offer already carries it and the polite
// side never has to offer for it; the polite side takes it from "datachannel". A
// channel that closes while its connection lives (the other side closed it) is
// created again by the impolite side.

export class PeerChannel extends EventTarget {
  /**
   * @param {HTMLElement} main the #call element that carries call.js's events
   * @param {string} label the channel's name, the same on both sides
   */
  constructor(main, label) {
    super();
    this.label = label;
    this.pc = null;
    this.polite = true;
    this.channel = null;
    main.addEventListener("vbcall:pc", (event) => this.#attach(event.detail.pc, event.detail.polite));
    main.addEventListener("vbcall:pcclosed", (event) => {
      if (event.detail.pc !== this.pc) return;
      this.pc = null;
      this.#drop(this.channel);
    });
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

  #attach(pc, polite) {
    this.#drop(this.channel);
    this.pc = pc;
    this.polite = polite;
    pc.addEventListener("datachannel", ({ channel }) => {
      if (pc === this.pc && channel.label === this.label) this.#adopt(channel);
    });
    if (!polite) this.#create();
  }

  #create() {
    if (!this.pc || this.pc.signalingState === "closed") return;
    try {
      this.#adopt(this.pc.createDataChannel(this.label, { ordered: true }));
    } catch (err) {
      console.warn(`${this.label}: createDataChannel failed:`, err?.name);
    }
  }

  #adopt(channel) {
    if (this.channel && this.channel !== channel) this.#drop(this.channel);
    this.channel = channel;
    channel.binaryType = "arraybuffer";
    channel.addEventListener("open", () => {
      if (channel === this.channel) this.dispatchEvent(new Event("open"));
    });
    channel.addEventListener("message", (event) => {
      if (channel === this.channel) this.dispatchEvent(new MessageEvent("message", { data: event.data }));
    });
    channel.addEventListener("close", () => {
      if (channel !== this.channel) return;
      const pc = this.pc;
      this.#drop(channel);
      // Closed by the other side or by us while the call goes on: a fresh channel.
      if (pc && !this.polite && pc.connectionState !== "closed") {
        setTimeout(() => {
          if (pc === this.pc && !this.channel) this.#create();
        }, 0);
      }
    });
    if (channel.readyState === "open") {
      queueMicrotask(() => {
        if (channel === this.channel) this.dispatchEvent(new Event("open"));
      });
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
