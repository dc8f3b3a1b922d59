// What the call page shows: the status line (with the countdown of a dropped
// connection), the media-error box, and one <video> per other participant.
import { t } from "./i18n.js";
import { writeStatus } from "./page.js";

export class CallStage {
  constructor(main) {
    this.main = main;
    this.stateEl = document.getElementById("conn-state");
    this.remoteVideo = document.getElementById("remote");
    this.mediaError = document.getElementById("media-error");
    this.mediaErrorText = document.getElementById("media-error-text");
    this.extraVideos = new Map(); // participant id -> <video> beyond the first remote
    this.graceTimer = 0;
    // iOS pauses media elements while the page is in the background: play them again when
    // the person comes back (after a gesture, if the browser insists on one).
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState !== "visible") return;
      document.querySelectorAll("video").forEach((video) => {
        if (video.srcObject && video.paused) playVideo(video);
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

  /** Show `stream` of `participant`; `onFrame` once its first frame is decoded. */
  attach(participant, stream, onFrame) {
    const video = this.videoFor(participant);
    if (!video || video.srcObject === stream) return;
    video.srcObject = stream;
    video.addEventListener("resize", onFrame, { once: true });
    playVideo(video);
  }

  /** The <video> of one peer: #remote for the first, another one per further peer. */
  videoFor(participant) {
    const remote = this.remoteVideo;
    if (!remote) return null;
    if (remote.dataset.participant === participant || !remote.dataset.participant) {
      remote.dataset.participant = participant;
      return remote;
    }
    let video = this.extraVideos.get(participant);
    if (!video) {
      video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.className = "remote";
      video.dataset.participant = participant;
      video.setAttribute("aria-label", remote.getAttribute("aria-label") || "");
      remote.after(video);
      this.extraVideos.set(participant, video);
    }
    return video;
  }

  release(participant) {
    const extra = this.extraVideos.get(participant);
    if (extra) {
      extra.srcObject = null;
      extra.remove();
      this.extraVideos.delete(participant);
    } else if (this.remoteVideo?.dataset.participant === participant) {
      this.remoteVideo.srcObject = null;
      delete this.remoteVideo.dataset.participant;
    }
  }
}

/**
 * Play `video`. Autoplay with sound can be blocked until the person interacts with the
 * page: retried on every gesture until it plays. iOS counts a touch's end (pointerup,
 * touchend) as the activation, not its start.
 */
function playVideo(video) {
  video.play().catch((err) => {
    if (err?.name !== "NotAllowedError") return;
    const gestures = ["pointerup", "touchend", "click", "keydown"];
    const resume = () =>
      video.play().then(
        () => gestures.forEach((name) => document.removeEventListener(name, resume)),
        () => {},
      );
    gestures.forEach((name) => document.addEventListener(name, resume));
  });
}
