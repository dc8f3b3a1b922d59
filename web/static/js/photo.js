// Document photos on the call page: the recipient takes or picks a photo, the browser
// scales it down (long side ≤ 2,000 px, JPEG) and sends it to the other page over the
// "vb-photo" data channel — peer to peer, never through the server. The receiving page
// checks size and SHA-256, shows the photo and offers to save it; nothing is stored
// anywhere else. Wire format: docs/protocol.md, "Data channels".
import { t } from "./i18n.js";
import { PeerChannel } from "./peerchannel.js";
import { writeStatus } from "./page.js";

const MAX_MB = 10;
const MAX_BYTES = MAX_MB * 1024 * 1024;
const MAX_SIDE = 2000;
const MAX_PHOTOS = 20; // received per page: each stays in memory until the page closes
const JPEG_QUALITY = 0.85;
const CHUNK = 16 * 1024; // fits every browser's SCTP message size
const HIGH_WATER = 1024 * 1024; // stop queueing above this…
const LOW_WATER = 256 * 1024; // …until the buffer drained to this (bufferedAmountLowThreshold)

const main = document.getElementById("call");
const root = document.getElementById("photo");

if (main && root) startPhoto(main, root);

function startPhoto(main, root) {
  const channel = new PeerChannel(main, "vb-photo");
  const takeBtn = document.getElementById("photo-take");
  const pickBtn = document.getElementById("photo-pick");
  const cameraInput = document.getElementById("photo-camera");
  const fileInput = document.getElementById("photo-file");
  const progressBox = document.getElementById("photo-progress");
  const progressBar = progressBox.querySelector("progress");
  const progressText = document.getElementById("photo-progress-text");
  const cancelBtn = document.getElementById("photo-cancel");
  const messageEl = document.getElementById("photo-message");
  const list = document.getElementById("photo-list");
  const lang = document.documentElement.lang || undefined;
  const mbFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const percentFormat = new Intl.NumberFormat(lang, { style: "percent" });

  let outgoing = null; // {id, stage: "preparing"|"sending"|"confirming", size, sent, sha256}
  let incoming = null; // {id, size, sha256, chunks, received}
  let paused = null; // test hook: {promise, resolve}
  let lastSent = null;
  const received = []; // {id, sha256, size, url}

  root.hidden = false;

  // ---- messages and progress ------------------------------------------------------

  function clear() {
    messageEl.textContent = "";
    delete messageEl.dataset.code;
    delete messageEl.dataset.kind;
  }

  function say(code, kind = "info") {
    messageEl.textContent = t(`photo_${code}`, { limit: MAX_MB, max: MAX_PHOTOS });
    messageEl.dataset.code = code;
    messageEl.dataset.kind = kind;
  }

  function render() {
    const canSend = channel.open && !outgoing;
    if (takeBtn) takeBtn.disabled = !canSend;
    if (pickBtn) pickBtn.disabled = !canSend;
    const job = outgoing?.stage === "sending" ? outgoing : incoming;
    const busy = Boolean(outgoing || incoming);
    progressBox.hidden = !busy;
    if (!busy) return;
    let text;
    if (job === outgoing) {
      const share = job.size ? job.sent / job.size : 0;
      progressBar.value = Math.round(share * 100);
      text = t("photo_sending", { percent: percentFormat.format(share) });
    } else if (job) {
      const share = job.size ? job.received / job.size : 0;
      progressBar.value = Math.round(share * 100);
      text = t("photo_receiving", { percent: percentFormat.format(share) });
    } else {
      progressBar.removeAttribute("value"); // preparing or waiting: indeterminate
      text = t(outgoing.stage === "preparing" ? "photo_preparing" : "photo_sent_waiting");
    }
    writeStatus(progressText, text);
  }

  // ---- sending ----------------------------------------------------------------------

  takeBtn?.addEventListener("click", () => cameraInput?.click());
  pickBtn?.addEventListener("click", () => fileInput?.click());
  for (const input of [cameraInput, fileInput]) {
    input?.addEventListener("change", () => {
      const file = input.files?.[0];
      input.value = ""; // the same file may be chosen again
      if (file) sendFile(file);
    });
  }

  /** Refuse a file here and tell the other page why nothing comes. */
  function refuse(reason) {
    say(reason, "error");
    channel.sendJson({ type: "photo.refused", reason });
  }

  async function sendFile(file) {
    if (outgoing) return;
    // The type may be empty (some pickers); then decoding decides.
    if (file.type && !file.type.startsWith("image/")) return refuse("not_image");
    if (file.size > MAX_BYTES) return refuse("too_large");
    const job = { id: newId(), stage: "preparing", size: 0, sent: 0, sha256: "" };
    outgoing = job;
    clear();
    render();
    let image;
    try {
      image = await downscale(file);
    } catch (err) {
      console.warn("photo: could not read the image:", err?.name);
      if (outgoing === job) outgoing = null;
      render();
      return refuse("not_image");
    }
    if (outgoing !== job) return; // cancelled meanwhile
    if (image.bytes.byteLength > MAX_BYTES) {
      outgoing = null;
      render();
      return refuse("too_large");
    }
    job.size = image.bytes.byteLength;
    job.sha256 = await sha256Hex(image.bytes);
    if (outgoing !== job) return;
    if (!channel.open) {
      outgoing = null;
      say("no_channel", "error");
      render();
      return;
    }
    channel.sendJson({
      type: "photo.start",
      id: job.id,
      size: job.size,
      sha256: job.sha256,
      mime: "image/jpeg",
      width: image.width,
      height: image.height,
    });
    job.stage = "sending";
    clear();
    for (let offset = 0; offset < job.size; offset += CHUNK) {
      await channel.drain(HIGH_WATER, LOW_WATER);
      if (outgoing !== job) return; // cancelled, or the channel closed
      if (!channel.send(image.bytes.subarray(offset, offset + CHUNK))) return interrupted();
      job.sent = Math.min(job.size, offset + CHUNK);
      render();
      if (paused) await paused.promise;
    }
    if (outgoing !== job) return;
    channel.sendJson({ type: "photo.end", id: job.id });
    job.stage = "confirming";
    lastSent = { id: job.id, size: job.size, sha256: job.sha256 };
    render();
  }

  /** The channel closed: a transfer under way is lost on both sides (each sees the close). */
  function interrupted() {
    const lost = Boolean(incoming) || (outgoing !== null && outgoing.stage !== "preparing");
    if (outgoing?.stage !== "preparing") outgoing = null;
    incoming = null;
    if (lost) say("interrupted", "error");
    render();
  }

  cancelBtn.addEventListener("click", () => {
    if (outgoing) {
      if (outgoing.stage !== "preparing") channel.sendJson({ type: "photo.cancel", id: outgoing.id });
      outgoing = null;
    } else if (incoming) {
      channel.sendJson({ type: "photo.cancel", id: incoming.id });
      incoming = null;
    } else {
      return;
    }
    say("cancelled_by_you");
    render();
  });

  // ---- receiving --------------------------------------------------------------------

  channel.addEventListener("open", () => render());
  channel.addEventListener("close", () => interrupted());

  channel.addEventListener("message", ({ data }) => {
    if (typeof data === "string") onControl(data);
    else onChunk(data);
  });

  function onChunk(buffer) {
    const job = incoming;
    if (!job || !(buffer instanceof ArrayBuffer)) return; // nothing announced, or cancelled: drop
    if (job.received + buffer.byteLength > job.size) return failIncoming(job, "too_large");
    job.chunks.push(buffer);
    job.received += buffer.byteLength;
    render();
  }

  function onControl(text) {
    if (text.length > 4096) return;
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (!message || typeof message.type !== "string") return;
    const id = typeof message.id === "string" ? message.id : null;
    switch (message.type) {
      case "photo.start":
        return onStart(message);
      case "photo.end":
        if (incoming && id === incoming.id) finish(incoming);
        return;
      case "photo.cancel":
        if (outgoing && id === outgoing.id) outgoing = null;
        else if (incoming && id === incoming.id) incoming = null;
        else return;
        say("cancelled_by_peer", "error");
        return render();
      case "photo.refused":
        if (message.reason === "not_image" || message.reason === "too_large") say(`peer_${message.reason}`, "error");
        return;
      case "photo.received":
        if (outgoing && id === outgoing.id) {
          outgoing = null;
          say("delivered", "ok");
          render();
        }
        return;
      case "photo.failed":
        if (outgoing && id === outgoing.id && FAILURES.includes(message.reason)) {
          outgoing = null;
          say(`failed_${message.reason}`, "error");
          render();
        }
        return;
      default:
        return;
    }
  }

  function onStart(message) {
    if (incoming) {
      incoming = null; // the other side gave up on the previous one
      say("interrupted", "error");
    }
    const { id, size, sha256, mime } = message;
    if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(id)) return;
    const header = { id, size: 0, sha256: "", chunks: [], received: 0 };
    if (received.length >= MAX_PHOTOS) return failIncoming(header, "too_many");
    if (!Number.isSafeInteger(size) || size <= 0 || size > MAX_BYTES) return failIncoming(header, "too_large");
    if (typeof sha256 !== "string" || !/^[0-9a-f]{64}$/.test(sha256) || mime !== "image/jpeg") {
      return failIncoming(header, "not_image");
    }
    incoming = { ...header, size, sha256 };
    clear();
    render();
  }

  function failIncoming(job, reason) {
    channel.sendJson({ type: "photo.failed", id: job.id, reason });
    if (incoming === job) incoming = null;
    say(`failed_${reason}`, "error");
    render();
  }

  async function finish(job) {
    incoming = null; // a next photo may start while this one is checked
    render();
    if (job.received !== job.size) return failIncoming(job, "incomplete");
    const blob = new Blob(job.chunks, { type: "image/jpeg" });
    job.chunks = [];
    const sha256 = await sha256Hex(new Uint8Array(await blob.arrayBuffer()));
    if (sha256 !== job.sha256) return failIncoming(job, "checksum");
    try {
      (await createImageBitmap(blob)).close(); // the right bytes, but are they a picture?
    } catch {
      return failIncoming(job, "not_image");
    }
    show(job, blob, sha256);
    channel.sendJson({ type: "photo.received", id: job.id });
    say("received", "ok");
  }

  function show(job, blob, sha256) {
    const n = received.length + 1;
    const url = URL.createObjectURL(blob);
    received.push({ id: job.id, sha256, size: blob.size, url });
    const item = document.createElement("li");
    item.dataset.sha256 = sha256;
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = url;
    img.alt = t("photo_alt", { n });
    const caption = document.createElement("figcaption");
    caption.textContent = `${t("photo_caption", { n, mb: mbFormat.format(blob.size / 1e6) })} `;
    const save = document.createElement("a");
    save.href = url;
    save.download = t("photo_filename", { n });
    save.className = "btn";
    save.textContent = t("photo_save");
    caption.append(save);
    figure.append(img, caption);
    item.append(figure);
    list.append(item);
  }

  window.addEventListener("pagehide", () => received.forEach(({ url }) => URL.revokeObjectURL(url)));

  render();

  // For tests: hold the sender after each chunk, close the channel, what went and came.
  window.vbPhoto = {
    pause() {
      if (paused) return;
      let resolve;
      const promise = new Promise((r) => (resolve = r));
      paused = { promise, resolve };
    },
    resume() {
      paused?.resolve();
      paused = null;
    },
    closeChannel: () => channel.close(),
    open: () => channel.open,
    busy: () => Boolean(outgoing || incoming),
    progress: () => ({ sent: outgoing?.sent ?? 0, received: incoming?.received ?? 0 }),
    lastSent: () => lastSent,
    received: () => received.map(({ sha256, size }) => ({ sha256, size })),
  };
}

const FAILURES = ["checksum", "incomplete", "too_large", "not_image", "too_many"];

/** Decode (with the photo's own orientation), scale the long side to ≤ 2,000 px, encode JPEG. */
async function downscale(file) {
  const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  try {
    const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#fff"; // transparent areas (PNG) become white, not black
    ctx.fillRect(0, 0, width, height);
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, width, height);
    const blob = await new Promise((resolve, reject) =>
      canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("encoding failed"))), "image/jpeg", JPEG_QUALITY),
    );
    return { bytes: new Uint8Array(await blob.arrayBuffer()), width, height };
  } finally {
    bitmap.close();
  }
}

async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

function newId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
