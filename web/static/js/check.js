// Pre-call check: camera and microphone preview with a level meter, then a short
// connection test against the server's echo peer (audio echoed back, data-channel pings,
// a small throughput probe). The server turns the figures into the verdict and keeps
// only the verdict, the device class and the group.
import { t } from "./i18n.js";
import { mediaErrorKey, writeStatus } from "./page.js";
import { tellIfUnsupported } from "./unsupported.js";

// Figures in the page's language ("182,4 Mbit/s", "%0,5"): the Babel locale of the page.
const pageLocale = document.documentElement.dataset.locale || document.documentElement.lang || undefined;

function formatFigure(value, unit) {
  const number = Number.isFinite(value) ? value : 0;
  const options =
    unit === "percent"
      ? { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1, numberingSystem: "latn" }
      : {
          style: "unit",
          unit,
          unitDisplay: "short",
          maximumFractionDigits: unit.startsWith("mega") ? 1 : 0,
          numberingSystem: "latn", // the digits Babel uses on the server's part of the page
        };
  try {
    return new Intl.NumberFormat(pageLocale, options).format(number);
  } catch (err) {
    return new Intl.NumberFormat(undefined, options).format(number);
  }
}

const root = document.getElementById("check");
if (root) {
  // A browser that cannot call at all is told so (and what to do) instead of blaming the camera.
  const missing = tellIfUnsupported();
  if (missing) {
    window.vbCheck = { state: () => root.dataset.state, verdict: () => null };
    writeStatus(document.getElementById("check-status"), t(`unsupported_${missing}`));
    root.dataset.state = "unsupported";
  } else {
    start(root);
  }
}

const PINGS = 30;
const PING_INTERVAL_MS = 100;
const PROBE_BYTES = 256 * 1024;
const PROBE_CHUNK = 16 * 1024;
const CONNECT_TIMEOUT_MS = 8000;

function start(root) {
  const preview = document.getElementById("preview");
  const level = document.getElementById("level");
  const status = document.getElementById("check-status");
  const again = document.getElementById("check-again");
  let stream = null;
  let running = false;
  let retryTimer = 0;

  window.vbCheck = { state: () => root.dataset.state, verdict: () => root.dataset.verdict || null };

  function setStatus(text, state) {
    writeStatus(status, text);
    if (state) root.dataset.state = state;
  }

  again.addEventListener("click", () => runTest());
  openMedia();

  async function openMedia() {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
    } catch (err) {
      setStatus(t(mediaErrorKey(err)), "media_error");
      again.hidden = false;
      return;
    }
    preview.srcObject = stream;
    meter(stream, level);
    runTest();
  }

  async function runTest() {
    if (running) return;
    if (!stream) return openMedia();
    running = true;
    again.hidden = true;
    clearTimeout(retryTimer);
    setStatus(t("testing"), "testing");
    let result;
    try {
      result = await measure(stream, JSON.parse(root.dataset.iceServers || "[]"));
    } catch (err) {
      if (err && err.retryAfter) {
        running = false;
        setStatus(t("busy", { seconds: err.retryAfter }), "busy");
        retryTimer = setTimeout(runTest, err.retryAfter * 1000);
        return;
      }
      console.warn("check failed", err);
      result = { check: err && err.check, connected: false, rtt_ms: 0, loss_percent: 0, jitter_ms: 0, bitrate_kbps: 0 };
    }
    try {
      root.dataset.verdict = await showVerdict(root, result);
      setStatus(t("done"), "done");
    } catch (err) {
      console.warn("verdict failed", err);
      setStatus(t("failed"), "failed");
    }
    running = false;
    again.hidden = false;
  }
}

/** Ask the server for the verdict on `result`, show it with the figures; the verdict. */
async function showVerdict(root, result) {
  const response = await fetch("/api/check/result", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ ...result, session: root.dataset.session || null }),
  });
  if (!response.ok) throw new Error(`result: ${response.status}`);
  const { verdict } = await response.json();
  document.getElementById("fig-rtt").textContent = formatFigure(result.rtt_ms, "millisecond");
  document.getElementById("fig-loss").textContent = formatFigure(result.loss_percent / 100, "percent");
  document.getElementById("fig-jitter").textContent = formatFigure(result.jitter_ms, "millisecond");
  document.getElementById("fig-bitrate").textContent =
    result.bitrate_kbps >= 1000
      ? formatFigure(result.bitrate_kbps / 1000, "megabit-per-second")
      : formatFigure(result.bitrate_kbps, "kilobit-per-second");
  document.getElementById("check-figures").hidden = !result.connected;
  document.getElementById("verdict-text").textContent = t(`verdict_${verdict}`);
  document.getElementById("verdict-advice").textContent = t(`advice_${verdict}`);
  const fallback = document.getElementById("verdict-fallback");
  if (fallback) fallback.hidden = verdict !== "not_possible";
  document.getElementById("verdict").hidden = false;
  return verdict;
}

/** A live microphone level (0–100) from a Web Audio AnalyserNode. */
function meter(stream, level) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context || !stream.getAudioTracks().length) return;
  const context = new Context();
  const analyser = context.createAnalyser();
  analyser.fftSize = 512;
  context.createMediaStreamSource(stream).connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const tick = () => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const s of samples) sum += s * s;
    const rms = Math.sqrt(sum / samples.length);
    level.value = Math.min(100, Math.round(rms * 300));
    requestAnimationFrame(tick);
  };
  // Autoplay rules may start the context suspended; a click anywhere resumes it.
  if (context.state === "suspended") document.addEventListener("click", () => context.resume(), { once: true });
  tick();
}

function gathered(pc, ms) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener("icegatheringstatechange", () => {
      if (pc.iceGatheringState === "complete") {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

function opened(channel, ms) {
  if (channel.readyState === "open") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("no connection")), ms);
    channel.addEventListener("open", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function measure(stream, iceServers) {
  const pc = new RTCPeerConnection({ iceServers });
  let check = null;
  try {
    for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
    // Unordered, never retransmitted: a lost ping stays lost, so pings measure loss too.
    const ping = pc.createDataChannel("ping", { ordered: false, maxRetransmits: 0 });
    const probe = pc.createDataChannel("probe");
    probe.binaryType = "arraybuffer";
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc, 3000);
    const response = await fetch("/api/check/offer", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ type: "offer", sdp: pc.localDescription.sdp }),
    });
    if (response.status === 503) {
      throw { retryAfter: Math.max(1, parseInt(response.headers.get("Retry-After") || "10", 10)) };
    }
    if (!response.ok) throw new Error(`offer: ${response.status}`);
    const answer = await response.json();
    check = answer.check;
    await pc.setRemoteDescription({ type: "answer", sdp: answer.sdp });
    await opened(ping, CONNECT_TIMEOUT_MS);
    await opened(probe, CONNECT_TIMEOUT_MS);

    const rtts = await pings(ping);
    const probeKbps = await throughput(probe);
    const stats = await pc.getStats();
    let audioLost = 0;
    let audioReceived = 0;
    let jitter = null;
    let available = 0;
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "audio") {
        audioLost += Math.max(0, report.packetsLost || 0);
        audioReceived += report.packetsReceived || 0;
        if (typeof report.jitter === "number") jitter = report.jitter * 1000;
      }
      if (report.type === "candidate-pair" && report.nominated && report.availableOutgoingBitrate) {
        available = Math.max(available, report.availableOutgoingBitrate / 1000);
      }
    });
    const pingLoss = (100 * (PINGS - rtts.length)) / PINGS;
    const audioLoss = audioLost + audioReceived > 0 ? (100 * audioLost) / (audioLost + audioReceived) : 0;
    const sorted = [...rtts].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
    if (jitter === null) jitter = spread(rtts) / 2;
    return {
      check,
      connected: rtts.length > 0,
      rtt_ms: median,
      loss_percent: Math.min(100, Math.max(pingLoss, audioLoss)),
      jitter_ms: jitter,
      bitrate_kbps: Math.max(probeKbps, available),
    };
  } catch (err) {
    if (err && typeof err === "object" && !err.retryAfter) err.check = check;
    throw err;
  } finally {
    pc.close();
  }
}

function spread(values) {
  if (values.length < 2) return 0;
  let total = 0;
  for (let i = 1; i < values.length; i++) total += Math.abs(values[i] - values[i - 1]);
  return total / (values.length - 1);
}

/** Round-trip times (ms) of the pings that came back; late ones count as lost. */
function pings(channel) {
  return new Promise((resolve) => {
    const sent = new Map();
    const rtts = [];
    channel.addEventListener("message", (event) => {
      const at = sent.get(String(event.data));
      if (at !== undefined) {
        rtts.push(performance.now() - at);
        sent.delete(String(event.data));
      }
    });
    let n = 0;
    const timer = setInterval(() => {
      if (n >= PINGS) {
        clearInterval(timer);
        setTimeout(() => resolve(rtts), 1000); // the last answers' grace period
        return;
      }
      const id = `ping-${n++}`;
      sent.set(id, performance.now());
      channel.send(id);
    }, PING_INTERVAL_MS);
  });
}

/** Upload throughput (kbit/s): send a burst, wait for the echo peer's acknowledgements. */
function throughput(channel) {
  return new Promise((resolve) => {
    let acked = 0;
    const began = performance.now();
    const timer = setTimeout(() => finish(), 5000);
    function finish() {
      clearTimeout(timer);
      const seconds = Math.max(0.001, (performance.now() - began) / 1000);
      resolve((acked * 8) / 1000 / seconds);
    }
    channel.addEventListener("message", (event) => {
      acked += parseInt(String(event.data), 10) || 0;
      if (acked >= PROBE_BYTES) finish();
    });
    const chunk = new Uint8Array(PROBE_CHUNK);
    for (let sentBytes = 0; sentBytes < PROBE_BYTES; sentBytes += PROBE_CHUNK) channel.send(chunk);
  });
}
