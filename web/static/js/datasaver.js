// Data saving on the call page: "normal", "low" (less data) and "audio" (sound only).
//
// Each side chooses for what it sends and asks the other side for what it receives:
// the choice limits our own senders and goes to the other page as a request over the
// "vb-control" data channel (peer to peer; the signalling server never carries it).
// Each side sends in the stricter of its own choice and the other side's request, and
// tells the other side what it sends. The page shows the data used so far (getStats,
// every byte of the connection both ways) and offers a mode by itself when the
// connection stays weak (high round-trip time or loss).
import { LIMITS, MODES, applyToSenders, isMode, loadPreference, stricter, withAudioPtime } from "./datamodes.js";
import { t } from "./i18n.js";
import { PeerChannel } from "./peerchannel.js";
import { writeStatus } from "./page.js";

const main = document.getElementById("call");
const root = document.getElementById("datasaver");

if (main && root) startDataSaver(main, root);

function startDataSaver(main, root) {
  const select = document.getElementById("datamode");
  const usedEl = document.getElementById("data-used");
  const peerNote = document.getElementById("datamode-peer");
  const offer = document.getElementById("datamode-offer");
  const offerText = document.getElementById("datamode-offer-text");
  const offerAccept = document.getElementById("datamode-offer-accept");
  const offerDismiss = document.getElementById("datamode-offer-dismiss");
  const control = new PeerChannel(main, "vb-control");
  const lang = document.documentElement.lang || undefined;
  const mb = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });

  const POLL_MS = 2000;
  // Sustained: this many polls in a row (10 s). The check page's "video" verdict
  // needs RTT ≤ 400 ms and loss ≤ 5 % (rooms/check.py); the same bounds here.
  const thresholds = { rttMs: 400, loss: 0.05, samples: 5 };

  let own = loadPreference(); // what this page chose
  let requested = "normal"; // what the other page asked us to send at most
  let sending = own;
  let peerSending = "normal";
  let pc = null;
  let weakSamples = 0;
  const declined = new Set(); // offers dismissed on this page: not offered again
  let offered = null;

  // Data used: connections closed earlier plus the current one.
  let closedBytes = 0;
  let currentBytes = 0;
  let lastLoss = null; // {lost, received} of inbound RTP at the previous poll
  const history = []; // [{at, bytes}] for the rate of the last ~10 s

  select.value = own;
  root.hidden = false;

  select.addEventListener("change", () => {
    if (!isMode(select.value)) return;
    own = select.value;
    hideOffer();
    update();
  });

  control.addEventListener("open", () => {
    control.sendJson({ type: "datamode.request", mode: own });
    control.sendJson({ type: "datamode.sending", mode: sending });
  });

  control.addEventListener("message", ({ data }) => {
    if (typeof data !== "string" || data.length > 1024) return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || !isMode(message.mode)) return;
    if (message.type === "datamode.request") {
      requested = message.mode;
      update({ announce: false });
    } else if (message.type === "datamode.sending") {
      peerSending = message.mode;
      showPeerNote();
    }
  });

  control.addEventListener("close", () => {
    // A new connection (or channel) starts without the other side's wishes; it repeats them.
    requested = "normal";
    peerSending = "normal";
    sending = stricter(own, requested);
    showPeerNote();
  });

  main.addEventListener("vbcall:pc", ({ detail }) => {
    pc = detail.pc;
    currentBytes = 0;
    lastLoss = null;
    weakSamples = 0;
    const conn = pc;
    // Longer audio packets in every mode (see AUDIO_PTIME_MS); a rollback has no SDP.
    const setRemote = conn.setRemoteDescription.bind(conn);
    conn.setRemoteDescription = (description, ...rest) =>
      setRemote(
        typeof description?.sdp === "string" && description.sdp
          ? { type: description.type, sdp: withAudioPtime(description.sdp) }
          : description,
        ...rest,
      );
    const reapply = () => {
      if (conn === pc && conn.signalingState === "stable") applyToSenders(conn, sending);
    };
    conn.addEventListener("signalingstatechange", reapply);
    conn.addEventListener("connectionstatechange", reapply);
  });

  main.addEventListener("vbcall:pcclosed", ({ detail }) => {
    if (detail.pc !== pc) return;
    closedBytes += currentBytes;
    currentBytes = 0;
    pc = null;
  });

  /** Own choice or the other side's request changed: limit our senders, tell the other side. */
  function update({ announce = true } = {}) {
    if (announce) control.sendJson({ type: "datamode.request", mode: own });
    const next = stricter(own, requested);
    const changed = next !== sending;
    sending = next;
    if (pc) applyToSenders(pc, sending);
    if (changed || announce) control.sendJson({ type: "datamode.sending", mode: sending });
    showPeerNote();
  }

  function showPeerNote() {
    let text = "";
    if (peerSending !== "normal") text = t(`datamode_peer_sends_${peerSending}`);
    if (stricter(own, requested) !== own) text = [text, t(`datamode_peer_asked_${requested}`)].filter(Boolean).join(" ");
    writeStatus(peerNote, text);
    main.dataset.peerSending = peerSending;
  }

  // ---- offer when the connection stays weak ----------------------------------------

  function maybeOffer(weak) {
    weakSamples = weak ? weakSamples + 1 : 0;
    if (weakSamples < thresholds.samples || offered) return;
    const current = stricter(own, requested);
    const next = MODES[MODES.indexOf(current) + 1];
    if (!next || declined.has(next)) return;
    offered = next;
    offerText.textContent = t("datamode_offer", { mode: t(`datamode_${next}`) });
    offerAccept.textContent = t(`datamode_switch_${next}`);
    offer.hidden = false;
    offer.dataset.mode = next;
  }

  function hideOffer() {
    offer.hidden = true;
    offered = null;
    weakSamples = 0;
  }

  offerAccept.addEventListener("click", () => {
    if (!offered) return;
    own = offered;
    select.value = own;
    hideOffer();
    update();
  });

  offerDismiss.addEventListener("click", () => {
    if (offered) declined.add(offered);
    hideOffer();
  });

  // ---- getStats: data used, round-trip time, loss ------------------------------------

  /** Totals of the current connection, read now. */
  async function read(conn) {
    const stats = await conn.getStats();
    let bytes = 0;
    let transports = 0;
    let pairBytes = 0;
    let rtt = null;
    let remoteLoss = 0;
    let lost = 0;
    let received = 0;
    stats.forEach((report) => {
      if (report.type === "transport" && typeof report.bytesSent === "number") {
        transports += 1; // Firefox reports transports without bytes: the pair counts then
        bytes += (report.bytesSent || 0) + (report.bytesReceived || 0);
      } else if (report.type === "candidate-pair" && (report.nominated || report.selected) && report.state === "succeeded") {
        pairBytes += (report.bytesSent || 0) + (report.bytesReceived || 0);
        if (typeof report.currentRoundTripTime === "number") rtt = Math.max(rtt ?? 0, report.currentRoundTripTime);
      } else if (report.type === "remote-inbound-rtp") {
        if (typeof report.roundTripTime === "number") rtt = Math.max(rtt ?? 0, report.roundTripTime);
        if (typeof report.fractionLost === "number") remoteLoss = Math.max(remoteLoss, report.fractionLost);
      } else if (report.type === "inbound-rtp") {
        lost += Math.max(0, report.packetsLost || 0);
        received += report.packetsReceived || 0;
      }
    });
    return { bytes: transports ? bytes : pairBytes, rtt, remoteLoss, lost, received };
  }

  async function sample() {
    const conn = pc;
    if (conn && conn.connectionState !== "closed") {
      try {
        const figures = await read(conn);
        if (conn === pc) {
          currentBytes = Math.max(currentBytes, figures.bytes);
          let loss = figures.remoteLoss;
          if (lastLoss) {
            const newLost = figures.lost - lastLoss.lost;
            const newReceived = figures.received - lastLoss.received;
            if (newLost + newReceived > 0) loss = Math.max(loss, newLost / (newLost + newReceived));
          }
          lastLoss = { lost: figures.lost, received: figures.received };
          if (conn.connectionState === "connected" && figures.rtt !== null) {
            maybeOffer(figures.rtt * 1000 >= thresholds.rttMs || loss >= thresholds.loss);
          }
          // Senders attached or renegotiated since: make sure they keep the mode.
          if (conn.signalingState === "stable" && !sendersMatch(conn)) applyToSenders(conn, sending);
        }
      } catch (err) {
        console.warn("datasaver: getStats failed:", err?.name);
      }
    }
    const total = closedBytes + currentBytes;
    const now = performance.now();
    history.push({ at: now, bytes: total });
    while (history.length > 1 && now - history[0].at > 10_000) history.shift();
    showUsed(total, now);
    return { bytes: total, at: now };
  }

  function showUsed(total, now) {
    const first = history[0] ?? { at: now, bytes: total };
    const seconds = (now - first.at) / 1000;
    const perMinute = seconds >= 4 ? ((total - first.bytes) / seconds) * 60 : null;
    const text =
      perMinute === null
        ? t("data_used", { mb: mb.format(total / 1e6) })
        : t("data_used_rate", { mb: mb.format(total / 1e6), rate: mb.format(perMinute / 1e6) });
    writeStatus(usedEl, text);
  }

  function sendersMatch(conn) {
    const limits = LIMITS[sending];
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

  showUsed(0, performance.now());
  const timer = setInterval(sample, POLL_MS);
  window.addEventListener("pagehide", () => clearInterval(timer));

  // For tests and support: what this page chose, sends and receives; a fresh sample.
  window.vbDataSaver = {
    connected: () => control.open,
    mode: () => own,
    sending: () => sending,
    peerSending: () => peerSending,
    applied: () => Boolean(pc) && sendersMatch(pc),
    sample,
    thresholds,
  };
}
