// The call page's own camera and microphone, and the buttons that mute them.
import { mediaErrorKey } from "./page.js";

export class LocalMedia {
  /** `onError(err, key)` when getUserMedia failed (key: page.js's mediaErrorKey). */
  constructor({ onStarted, onError }) {
    this.stream = null;
    this.video = document.getElementById("local");
    this.muteBtn = document.getElementById("mute");
    this.cameraBtn = document.getElementById("camera");
    this.onStarted = onStarted;
    this.onError = onError;
    // A toggle keeps its name; only aria-pressed (and the pressed style) changes, so a
    // screen reader announces "Stummschalten, gedrückt" rather than a different button.
    this.muteBtn?.addEventListener("click", () => this.#toggle(this.muteBtn, this.stream?.getAudioTracks()));
    this.cameraBtn?.addEventListener("click", () => this.#toggle(this.cameraBtn, this.stream?.getVideoTracks()));
  }

  async start() {
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: { width: { ideal: 640 }, height: { ideal: 480 } },
      });
      this.onStarted?.();
      if (this.video) this.video.srcObject = this.stream;
    } catch (err) {
      console.warn("call: getUserMedia failed:", err?.name, err?.message);
      this.onError(err, mediaErrorKey(err));
    }
    // Toggles only make sense for tracks we actually have.
    if (this.muteBtn) this.muteBtn.disabled = !this.stream?.getAudioTracks().length;
    if (this.cameraBtn) this.cameraBtn.disabled = !this.stream?.getVideoTracks().length;
  }

  stop() {
    this.stream?.getTracks().forEach((track) => track.stop());
    if (this.video) this.video.srcObject = null;
  }

  #toggle(button, tracks = []) {
    if (!tracks.length) return;
    const off = button.getAttribute("aria-pressed") !== "true";
    tracks.forEach((track) => (track.enabled = !off));
    button.setAttribute("aria-pressed", String(off));
  }
}
