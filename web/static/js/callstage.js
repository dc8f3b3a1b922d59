// What the call page shows: the status line (with the countdown of a dropped
// connection), the media-error box, and one tile per other participant: its video
// (muted), its sound (an <audio>), and its role as a label.
import { t } from "./i18n.js";
import { writeStatus } from "./page.js";

export class CallStage {
  constructor(main) {
    this.main = main;
    this.stateEl = document.getElementById("conn-state");
    this.remoteVideo = document.getElementById("remote");
    this.mediaError = document.getElementById("media-error");
    this.mediaErrorText = document.getElementById("media-error-text");
    this.extraVideos = new Map(); // participant id -> tile beyond the first remote
    this.graceTimer = 0;
    // iOS pauses media elements while the page is in the background: play them again when
    // the person comes back (after a gesture, if the browser insists on one).
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      document.querySelectorAll("video, audio").forEach((media) => {
        if (media.srcObject && media.paused) play(media);
      });
    });
  }

  setStatus(key) {
    if (key !== "peer_left") this.stopGrace();
    writeStatus(this.stateEl, t(key));
    this.main.dataset.state = key; // a styling / testing hook
  }

  setStatusText(text) {
    writeStatus(this.stateEl, text);
  }

  /** A dropped connection (not a hang-up): count the grace period down. */
  startGrace(seconds) {
    this.setStatus("peer_left");
    let left = Math.max(0, Math.ceil(Number(seconds) || 0));
    const tick = () => {
      this.setStatusText(t("peer_left_countdown", { seconds: left }));
      if (left-- <= 0) this.stopGrace();
    };
    tick();
    this.graceTimer = setInterval(tick, 1000);
  }

  stopGrace() {
    clearInterval(this.graceTimer);
    this.graceTimer = 0;
  }

  showMediaError(key) {
    if (this.mediaErrorText) this.mediaErrorText.textContent = t(key);
    if (this.mediaError) this.mediaError.hidden = false;
  }

  /** The other side's browser cannot make video calls: say so (`reason`: its class). */
  showPeerUnsupported(reason) {
    const notice = document.getElementById("peer-unsupported");
    if (!notice) return;
    notice.dataset.reason = typeof reason === "string" ? reason : "";
    notice.hidden = false;
    this.setStatus("peer_unsupported");
  }

  /** Point at the fallback link (and the proof) that the media-error box carries. */
  showConnectionFailed() {
    this.setStatus("failed");
    if (this.mediaError?.hidden) {
      this.mediaError.dataset.reason = "connection";
      this.showMediaError("failed");
    }
  }

  /** Connected (again): a connection failure shown before is over. */
  clearConnectionFailed() {
    if (this.mediaError?.dataset.reason !== "connection") return;
    this.mediaError.hidden = true;
    delete this.mediaError.dataset.reason;
  }

  /** Show `stream` of `peer` ({participant, role}); `onFrame` once its first frame is decoded.
   * The picture plays muted in the <video>; the sound in the tile's own <audio>, so it
   * plays also while no video frame arrives ("Nur Ton"). */
  attach(peer, stream, onFrame) {
    const tile = this.tileFor(peer);
    const video = tile?.querySelector("video");
    if (!video || video.srcObject === stream) return;
    video.muted = true;
    video.srcObject = stream;
    video.addEventListener("resize", onFrame, { once: true });
    play(video);
    const audio = tile.querySelector("audio") ?? tile.appendChild(document.createElement("audio"));
    audio.autoplay = true;
    audio.className = "remote-audio";
    audio.srcObject = stream;
    play(audio);
  }

  /** The tile of one peer (video, sound, role label): #remote's for the first, another per further peer. */
  tileFor(peer) {
    const first = this.remoteVideo?.closest(".tile");
    if (!first) return null;
    const { participant } = peer;
    let tile = first;
    if (first.dataset.participant && first.dataset.participant !== participant) {
      tile = this.extraVideos.get(participant);
      if (!tile) {
        tile = first.cloneNode(false);
        tile.removeAttribute("id");
        const video = document.createElement("video");
        video.autoplay = true;
        video.playsInline = true;
        video.className = "remote";
        tile.append(video, Object.assign(document.createElement("span"), { className: "tile-label" }));
        first.parentElement.insertBefore(tile, this.localVideo());
        this.extraVideos.set(participant, tile);
      }
    }
    this.label(tile, peer);
    this.count();
    return tile;
  }

  localVideo() {
    return document.getElementById("local");
  }

  /** Who is on a tile, by role: visible, and the video's accessible name. */
  label(tile, { participant, role }) {
    tile.dataset.participant = participant;
    tile.dataset.role = role || "";
    const name = role ? t(`role_${role}`) : "";
    const label = tile.querySelector(".tile-label");
    if (label) label.textContent = name;
    tile.querySelector("video")?.setAttribute("aria-label", name ? t("video_of", { role: name }) : "");
  }

  /** How many remote tiles show: the layout (equal on a desktop, speaker view on a phone). */
  count() {
    const stage = this.remoteVideo?.closest(".stage");
    const first = this.remoteVideo.closest(".tile")?.dataset.participant ? 1 : 0;
    if (stage) stage.dataset.tiles = String(Math.max(1, first + this.extraVideos.size));
  }

  release(participant) {
    const extra = this.extraVideos.get(participant);
    if (extra) {
      for (const media of extra.querySelectorAll("video, audio")) media.srcObject = null;
      extra.remove();
      this.extraVideos.delete(participant);
    } else {
      const first = this.remoteVideo?.closest(".tile");
      if (first?.dataset.participant !== participant) return;
      for (const media of first.querySelectorAll("video, audio")) media.srcObject = null;
      delete first.dataset.participant;
      delete first.dataset.role;
      const label = first.querySelector(".tile-label");
      if (label) label.textContent = "";
    }
    this.count();
  }
}

/**
 * Play `media` (a video or the sound of a tile). Autoplay with sound can be blocked until
 * the person interacts with the page: retried on every gesture until it plays. iOS counts
 * a touch's end (pointerup, touchend) as the activation, not its start.
 */
function play(media) {
  media.play().catch((err) => {
    if (err?.name !== "NotAllowedError") return;
    const gestures = ["pointerup", "touchend", "click", "keydown"];
    const resume = () =>
      media.play().then(
        () => gestures.forEach((name) => document.removeEventListener(name, resume)),
        () => {},
      );
    gestures.forEach((name) => document.addEventListener(name, resume));
  });
}
