// Document photos on the call page, an add-on loaded after the call is on screen: the
// recipient takes or picks a photo, the browser scales it down (long side ≤ 2,000 px,
// JPEG) and sends it to the caseworker's page over the "vb-photo" data channel of their
// link — peer to peer, never through the server. The receiving page checks size and
// SHA-256, shows the photo and offers to save it; nothing is stored anywhere else.
// Wire format: docs/protocol.md, "Data channels".
import { PeerChannel } from "./peerchannel.js";
import { downscale, newId, sha256Hex } from "./photoimage.js";
import { MAX_MB, MAX_PHOTOS, PhotoView } from "./photoview.js";

const MAX_BYTES = MAX_MB * 1024 * 1024;
const CHUNK = 16 * 1024; // fits every browser's SCTP message size
const HIGH_WATER = 1024 * 1024; // stop queueing above this…
const LOW_WATER = 256 * 1024; // …until the buffer drained to this (bufferedAmountLowThreshold)
const FAILURES = ["checksum", "incomplete", "too_large", "not_image", "too_many"];

/** `call`: call.js's Call; photos go over its caseworker–recipient link. */
export function start(call) {
  const root = document.getElementById("photo");
  if (!root) return;
  const photos = new Photos(new PeerChannel("vb-photo"), new PhotoView());
  call.onLink((link) => {
    if (call.isPair(link)) photos.channel.attach(link);
  });
  root.hidden = false;
  photos.render();
  window.vbPhoto = photos.hooks();
}

class Photos {
  constructor(channel, view) {
    this.channel = channel;
    this.view = view;
    this.outgoing = null; // {id, stage: "preparing"|"sending"|"confirming", size, sent, sha256}
    this.incoming = null; // {id, size, sha256, chunks, received}
    this.paused = null; // test hook: {promise, resolve}
    this.lastSent = null;
    this.received = []; // {id, sha256, size, url}
    this.#wireInputs();
    document.getElementById("photo-cancel").addEventListener("click", () => this.cancel());
    channel.addEventListener("open", () => this.render());
    channel.addEventListener("close", () => this.interrupted());
    channel.addEventListener("message", ({ data }) => {
      if (typeof data === "string") this.onControl(data);
      else this.onChunk(data);
    });
    window.addEventListener("pagehide", () => this.received.forEach(({ url }) => URL.revokeObjectURL(url)));
  }

  #wireInputs() {
    const cameraInput = document.getElementById("photo-camera");
    const fileInput = document.getElementById("photo-file");
    this.view.takeBtn?.addEventListener("click", () => cameraInput?.click());
    this.view.pickBtn?.addEventListener("click", () => fileInput?.click());
    for (const input of [cameraInput, fileInput]) {
      input?.addEventListener("change", () => {
        const file = input.files?.[0];
        input.value = ""; // the same file may be chosen again
        if (file) this.sendFile(file);
      });
    }
  }

  render() {
    this.view.render(this.channel.open && !this.outgoing, this.outgoing, this.incoming);
  }

  /** Refuse a file here and tell the other page why nothing comes. */
  refuse(reason) {
    this.view.say(reason, "error");
    this.channel.sendJson({ type: "photo.refused", reason });
  }

  /** Stop sending `job` (if it is still the current one) with message `code`. */
  #abandon(job, code) {
    if (this.outgoing === job) this.outgoing = null;
    this.render();
    if (code === "no_channel") this.view.say(code, "error");
    else this.refuse(code);
  }

  async sendFile(file) {
    if (this.outgoing) return;
    // The type may be empty (some pickers); then decoding decides.
    if (file.type && !file.type.startsWith("image/")) return this.refuse("not_image");
    if (file.size > MAX_BYTES) return this.refuse("too_large");
    const job = { id: newId(), stage: "preparing", size: 0, sent: 0, sha256: "" };
    this.outgoing = job;
    this.view.clear();
    this.render();
    let image;
    try {
      image = await downscale(file);
    } catch (err) {
      console.warn("photo: could not read the image:", err?.name);
      return this.#abandon(job, "not_image");
    }
    if (this.outgoing !== job) return; // cancelled meanwhile
    if (image.bytes.byteLength > MAX_BYTES) return this.#abandon(job, "too_large");
    job.size = image.bytes.byteLength;
    job.sha256 = await sha256Hex(image.bytes);
    if (this.outgoing !== job) return;
    if (!this.channel.open) return this.#abandon(job, "no_channel");
    const { width, height } = image;
    this.channel.sendJson({ type: "photo.start", id: job.id, size: job.size, sha256: job.sha256, mime: "image/jpeg", width, height });
    job.stage = "sending";
    this.view.clear();
    await this.#sendChunks(job, image.bytes);
  }

  async #sendChunks(job, bytes) {
    for (let offset = 0; offset < job.size; offset += CHUNK) {
      await this.channel.drain(HIGH_WATER, LOW_WATER);
      if (this.outgoing !== job) return; // cancelled, or the channel closed
      if (!this.channel.send(bytes.subarray(offset, offset + CHUNK))) return this.interrupted();
      job.sent = Math.min(job.size, offset + CHUNK);
      this.render();
      if (this.paused) await this.paused.promise;
    }
    if (this.outgoing !== job) return;
    this.channel.sendJson({ type: "photo.end", id: job.id });
    job.stage = "confirming";
    this.lastSent = { id: job.id, size: job.size, sha256: job.sha256 };
    this.render();
  }

  /** The channel closed: a transfer under way is lost on both sides (each sees the close). */
  interrupted() {
    const lost = Boolean(this.incoming) || (this.outgoing !== null && this.outgoing.stage !== "preparing");
    if (this.outgoing?.stage !== "preparing") this.outgoing = null;
    this.incoming = null;
    if (lost) this.view.say("interrupted", "error");
    this.render();
  }

  cancel() {
    if (this.outgoing) {
      if (this.outgoing.stage !== "preparing") this.channel.sendJson({ type: "photo.cancel", id: this.outgoing.id });
      this.outgoing = null;
    } else if (this.incoming) {
      this.channel.sendJson({ type: "photo.cancel", id: this.incoming.id });
      this.incoming = null;
    } else {
      return;
    }
    this.view.say("cancelled_by_you");
    this.render();
  }

  onChunk(buffer) {
    const job = this.incoming;
    if (!job || !(buffer instanceof ArrayBuffer)) return; // nothing announced, or cancelled: drop
    if (job.received + buffer.byteLength > job.size) return this.failIncoming(job, "too_large");
    job.chunks.push(buffer);
    job.received += buffer.byteLength;
    this.render();
  }

  onControl(text) {
    if (text.length > 4096) return;
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message.type !== "string") return;
    const id = typeof message.id === "string" ? message.id : null;
    const handle = {
      "photo.start": () => this.onStart(message),
      "photo.end": () => this.incoming && id === this.incoming.id && this.finish(this.incoming),
      "photo.cancel": () => this.#cancelledByPeer(id),
      "photo.refused": () => {
        if (message.reason === "not_image" || message.reason === "too_large") this.view.say(`peer_${message.reason}`, "error");
      },
      "photo.received": () => this.#answered(id, "delivered", "ok"),
      "photo.failed": () => FAILURES.includes(message.reason) && this.#answered(id, `failed_${message.reason}`, "error"),
    }[message.type];
    handle?.();
  }

  #cancelledByPeer(id) {
    if (this.outgoing && id === this.outgoing.id) this.outgoing = null;
    else if (this.incoming && id === this.incoming.id) this.incoming = null;
    else return;
    this.view.say("cancelled_by_peer", "error");
    this.render();
  }

  /** The other page confirmed or rejected what we sent. */
  #answered(id, code, kind) {
    if (!this.outgoing || id !== this.outgoing.id) return;
    this.outgoing = null;
    this.view.say(code, kind);
    this.render();
  }

  onStart(message) {
    if (this.incoming) {
      this.incoming = null; // the other side gave up on the previous one
      this.view.say("interrupted", "error");
    }
    const { id, size, sha256, mime } = message;
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return;
    const header = { id, size: 0, sha256: "", chunks: [], received: 0 };
    if (this.received.length >= MAX_PHOTOS) return this.failIncoming(header, "too_many");
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_BYTES) return this.failIncoming(header, "too_large");
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256) || mime !== "image/jpeg") {
      return this.failIncoming(header, "not_image");
    }
    this.incoming = { ...header, size, sha256 };
    this.view.clear();
    this.render();
  }

  failIncoming(job, reason) {
    this.channel.sendJson({ type: "photo.failed", id: job.id, reason });
    if (this.incoming === job) this.incoming = null;
    this.view.say(`failed_${reason}`, "error");
    this.render();
  }

  async finish(job) {
    this.incoming = null; // a next photo may start while this one is checked
    this.render();
    if (job.received !== job.size) return this.failIncoming(job, "incomplete");
    const blob = new Blob(job.chunks, { type: "image/jpeg" });
    job.chunks = [];
    const sha256 = await sha256Hex(new Uint8Array(await blob.arrayBuffer()));
    if (sha256 !== job.sha256) return this.failIncoming(job, "checksum");
    try {
      (await createImageBitmap(blob)).close(); // the right bytes, but are they a picture?
    } catch {
      return this.failIncoming(job, "not_image");
    }
    const url = URL.createObjectURL(blob);
    this.received.push({ id: job.id, sha256, size: blob.size, url });
    this.view.show(this.received.length, url, blob.size, sha256);
    this.channel.sendJson({ type: "photo.received", id: job.id });
    this.view.say("received", "ok");
  }

  /** For tests: hold the sender after each chunk, close the channel, what went and came. */
  hooks() {
    return {
      pause: () => {
        if (this.paused) return;
        let resolve;
        const promise = new Promise((r) => (resolve = r));
        this.paused = { promise, resolve };
      },
      resume: () => {
        this.paused?.resolve();
        this.paused = null;
      },
      closeChannel: () => this.channel.close(),
      open: () => this.channel.open,
      busy: () => Boolean(this.outgoing || this.incoming),
      progress: () => ({ sent: this.outgoing?.sent ?? 0, received: this.incoming?.received ?? 0 }),
      lastSent: () => this.lastSent,
      received: () => this.received.map(({ sha256, size }) => ({ sha256, size })),
    };
  }
}
