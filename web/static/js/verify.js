// How the media of the call flows, shown to both people in plain words: directly between
// the devices (peer to peer) or through the relay (TURN), encrypted (DTLS-SRTP), and a
// short verification code both read aloud. The code is derived from both devices' DTLS
// fingerprints as each page sees them in its negotiated session (its own local and remote
// description), sorted, so both pages compute the same code without trusting the server.
// If anything in the middle swapped a fingerprint, the two pages see different pairs and
// the codes differ.
//
// An add-on of the call page: call.js imports it after first paint and calls `start(call)`;
// it reads only the call's links (`call.links`, a Map of PeerLinks; else `window.vbCall.links()`).

import { t } from "./i18n.js";

const POLL_MS = 1000;

/** The DTLS fingerprint ("sha-256 AB:CD:…") an SDP announces, or null. */
export function fingerprintOf(sdp) {
  const match = /^a=fingerprint:(\S+) ([0-9A-Fa-f:]+)\s*$/m.exec(sdp || "");
  return match ? `${match[1].toLowerCase()} ${match[2].toUpperCase()}` : null;
}

/** Six digits from both fingerprints, the same on both sides ("123 456"). */
export async function verificationCode(localSdp, remoteSdp) {
  const mine = fingerprintOf(localSdp);
  const theirs = fingerprintOf(remoteSdp);
  // crypto.subtle exists in secure contexts only (HTTPS, localhost): no code elsewhere.
  if (!mine || !theirs || !globalThis.crypto?.subtle) return null;
  const both = [mine, theirs].sort().join("\n");
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(both));
  const number = new DataView(digest).getUint32(0) % 1000000;
  const digits = String(number).padStart(6, "0");
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

/** {route: "direct"|"relay"|null, encrypted: bool} from the connection's statistics. */
export async function mediaPath(pc) {
  const stats = await pc.getStats();
  let pair = null;
  let encrypted = false;
  stats.forEach((report) => {
    if (report.type === "transport") {
      if (report.dtlsState === "connected") encrypted = true;
      if (report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId) || pair;
    }
  });
  if (!pair) {
    stats.forEach((report) => {
      if (report.type === "candidate-pair" && report.nominated && report.state === "succeeded") pair = report;
    });
  }
  if (!pair) return { route: null, encrypted };
  const types = [stats.get(pair.localCandidateId), stats.get(pair.remoteCandidateId)].map((c) => c?.candidateType);
  return { route: types.includes("relay") ? "relay" : "direct", encrypted };
}

const ROLE_KEYS = {
  caseworker: "verify_with_caseworker",
  recipient: "verify_with_recipient",
  interpreter: "verify_with_interpreter",
  companion: "verify_with_companion",
};

async function describe(link) {
  const pc = link.pc;
  if (!pc || !pc.localDescription || !pc.remoteDescription) return null;
  const code = await verificationCode(pc.localDescription.sdp, pc.remoteDescription.sdp);
  const path = pc.connectionState === "connected" ? await mediaPath(pc) : { route: null, encrypted: false };
  return { participant: link.peer?.participant, role: link.peer?.role, code, ...path };
}

// Only real changes touch the page: the list is a live region, read out on every change.
function set(element, text) {
  if (element.textContent !== text) element.textContent = text;
}

function render(list, item) {
  let li = list.querySelector(`li[data-participant="${CSS.escape(String(item.participant))}"]`);
  if (!li) {
    li = document.createElement("li");
    li.dataset.participant = String(item.participant);
    for (const name of ["with", "route", "encryption", "code"]) {
      const span = document.createElement("span");
      span.className = `verify-${name}`;
      li.append(span, " ");
    }
    list.append(li);
  }
  const part = (name) => li.querySelector(`.verify-${name}`);
  set(part("with"), t(ROLE_KEYS[item.role] || "verify_with_recipient"));
  const route = item.route === "relay" ? "verify_relay" : item.route === "direct" ? "verify_direct" : "verify_setting_up";
  set(part("route"), t(route));
  li.dataset.route = item.route || "";
  set(part("encryption"), item.encrypted ? t("verify_encrypted") : "");
  li.dataset.encrypted = item.encrypted ? "yes" : "no";
  set(part("code"), item.code ? t("verify_code", { code: item.code }) : "");
  li.dataset.code = item.code || "";
}

async function update(root, list, links) {
  const seen = new Set();
  for (const link of links.values()) {
    const item = await describe(link);
    if (!item) continue;
    seen.add(String(item.participant));
    render(list, item);
  }
  for (const li of [...list.children]) if (!seen.has(li.dataset.participant)) li.remove();
  if (root.hidden !== (seen.size === 0)) root.hidden = seen.size === 0;
}

/** Start showing the media path of `call` (anything with `links`: a Map of PeerLinks). */
export function start(call) {
  const root = document.getElementById("media-path");
  const list = document.getElementById("media-path-links");
  if (!root || !list) return;
  let busy = false;
  const tick = () => {
    const links = call?.links instanceof Map ? call.links : window.vbCall?.links?.();
    if (busy || !links) return;
    busy = true;
    update(root, list, links)
      .catch((err) => console.warn("verify: could not read the connection:", err))
      .finally(() => {
        busy = false;
      });
  };
  const timer = setInterval(tick, POLL_MS);
  window.addEventListener("pagehide", () => clearInterval(timer));
  tick();
}
