// Data saving on the call page, an add-on loaded after the call is on screen: "normal",
// "low" (less data) and "audio" (sound only), on EVERY link of the page.
//
// Each side chooses for what it sends and asks each other side for what it receives:
// the choice limits our own senders on every link and goes to each other page as a
// request over that link's "vb-control" data channel (peer to peer; the signalling
// server never carries it). On each link a side sends in the stricter of its own choice
// and that peer's request, and tells the peer what it sends (datalink.js). The page
// shows the data used so far (getStats, every byte of every link both ways) and offers
// a mode by itself when a connection stays weak (high round-trip time or loss).
import { MODES, isMode, loadPreference, stricter } from "./datamodes.js";
import { LinkMode } from "./datalink.js";
import { t } from "./i18n.js";
import { writeStatus } from "./page.js";

const POLL_MS = 2000;

/** `call`: call.js's Call. */
export function start(call) {
  const root = document.getElementById("datasaver");
  if (!root) return;
  const saver = new DataSaver(call.main, root);
  call.onLink((link) => saver.follow(link));
  const timer = setInterval(() => saver.sample(), POLL_MS);
  window.addEventListener("pagehide", () => clearInterval(timer));
  window.vbDataSaver = saver.hooks();
}

class DataSaver {
  constructor(main, root) {
    this.main = main;
    this.select = document.getElementById("datamode");
    this.usedEl = document.getElementById("data-used");
    this.peerNote = document.getElementById("datamode-peer");
    const lang = document.documentElement.lang || undefined;
    this.mb = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    // Sustained: this many polls in a row (10 s). The check page's "video" verdict
    // needs RTT ≤ 400 ms and loss ≤ 5 % (rooms/check.py); the same bounds here.
    this.thresholds = { rttMs: 400, loss: 0.05, samples: 5 };
    this.own = loadPreference(); // what this page chose
    this.links = new Map(); // PeerLink -> LinkMode
    this.closedBytes = 0; // of links closed earlier
    this.history = []; // [{at, bytes}] for the rate of the last ~10 s
    this.offer = new WeakOffer(this);
    this.select.value = this.own;
    root.hidden = false;
    this.select.addEventListener("change", () => {
      if (isMode(this.select.value)) this.choose(this.select.value);
    });
    this.showUsed(0, performance.now());
  }

  follow(link) {
    const mode = new LinkMode(link, this);
    this.links.set(link, mode);
    link.addEventListener("close", () => {
      this.closedBytes += mode.bytes;
      this.links.delete(link);
      this.showPeerNote();
    });
  }

  /** This page's own choice: every link limits its senders and tells its peer. */
  choose(mode) {
    this.own = mode;
    this.select.value = mode;
    this.offer.hide();
    for (const link of this.links.values()) link.update({ announce: true });
    this.showPeerNote();
  }

  /** What the strictest link sends (the own choice when there is no link). */
  sending() {
    return [...this.links.values()].reduce((mode, link) => stricter(mode, link.sending), this.own);
  }

  showPeerNote() {
    const links = [...this.links.values()];
    const peerSending = links.reduce((mode, link) => stricter(mode, link.peerSending), "normal");
    const requested = links.reduce((mode, link) => stricter(mode, link.requested), "normal");
    let text = "";
    if (peerSending !== "normal") text = t(`datamode_peer_sends_${peerSending}`);
    if (stricter(this.own, requested) !== this.own) {
      text = [text, t(`datamode_peer_asked_${requested}`)].filter(Boolean).join(" ");
    }
    writeStatus(this.peerNote, text);
    this.main.dataset.peerSending = peerSending;
    for (const link of links) {
      const tile = this.main.querySelector(`.tile[data-participant="${CSS.escape(link.participant)}"]`);
      if (tile) tile.dataset.sending = link.peerSending; // "audio": the tile shows no picture
    }
  }

  /** Read every link now; show the total and offer a mode when a link stays weak. */
  async sample() {
    const links = [...this.links.values()];
    const weak = await Promise.all(links.map((link) => link.sample(this.thresholds)));
    if (weak.some((w) => w !== null)) this.offer.observe(weak.some(Boolean));
    const total = this.closedBytes + links.reduce((sum, link) => sum + link.bytes, 0);
    const now = performance.now();
    this.history.push({ at: now, bytes: total });
    while (this.history.length > 1 && now - this.history[0].at > 10_000) this.history.shift();
    this.showUsed(total, now);
    return { bytes: total, at: now };
  }

  showUsed(total, now) {
    const first = this.history[0] ?? { at: now, bytes: total };
    const seconds = (now - first.at) / 1000;
    const perMinute = seconds >= 4 ? ((total - first.bytes) / seconds) * 60 : null;
    const mb = (bytes) => this.mb.format(bytes / 1e6);
    const text =
      perMinute === null
        ? t("data_used", { mb: mb(total) })
        : t("data_used_rate", { mb: mb(total), rate: mb(perMinute) });
    writeStatus(this.usedEl, text);
  }

  /** For tests and support: what this page chose, sends and receives, per link too. */
  hooks() {
    const links = () => [...this.links.values()];
    const byLink = (read) => Object.fromEntries(links().map((link) => [link.participant, read(link)]));
    return {
      connected: () => links().length > 0 && links().every((link) => link.control.open),
      mode: () => this.own,
      sending: () => this.sending(),
      peerSending: () => links().reduce((mode, link) => stricter(mode, link.peerSending), "normal"),
      applied: () => links().length > 0 && links().every((link) => link.matches()),
      links: () => byLink((link) => ({ sending: link.sending, applied: link.matches(), bytes: link.bytes })),
      sample: () => this.sample(),
      thresholds: this.thresholds,
    };
  }
}

/** Offering the next mode when the connection stays weak; a dismissed offer is not made again. */
class WeakOffer {
  constructor(saver) {
    this.saver = saver;
    this.box = document.getElementById("datamode-offer");
    this.text = document.getElementById("datamode-offer-text");
    this.accept = document.getElementById("datamode-offer-accept");
    this.declined = new Set();
    this.offered = null;
    this.weakSamples = 0;
    this.accept.addEventListener("click", () => {
      if (this.offered) saver.choose(this.offered);
    });
    document.getElementById("datamode-offer-dismiss").addEventListener("click", () => {
      if (this.offered) this.declined.add(this.offered);
      this.hide();
    });
  }

  observe(weak) {
    this.weakSamples = weak ? this.weakSamples + 1 : 0;
    if (this.weakSamples < this.saver.thresholds.samples || this.offered) return;
    const next = MODES[MODES.indexOf(this.saver.sending()) + 1];
    if (!next || this.declined.has(next)) return;
    this.offered = next;
    this.text.textContent = t("datamode_offer", { mode: t(`datamode_${next}`) });
    this.accept.textContent = t(`datamode_switch_${next}`);
    this.box.hidden = false;
    this.box.dataset.mode = next;
  }

  hide() {
    this.box.hidden = true;
    this.offered = null;
    this.weakSamples = 0;
  }
}
