// What tells a caseworker that someone waits, beyond the list itself: the tab title
// "(1) wartet", an optional sound, a browser notification when permitted, and how long
// each person has waited. dashboard.js calls waitingChanged() after every update.
import { t } from "./i18n.js";
import { writeStatus } from "./page.js";

const baseTitle = document.title;
let lastCount = 0;
let primed = false; // the first snapshot after loading does not ring
let audio = null;

const soundBox = document.getElementById("alert-sound");
const notifyButton = document.getElementById("alert-notify");

if (soundBox) {
  soundBox.checked = localStorage.getItem("vb-alert-sound") === "1";
  soundBox.addEventListener("change", () => {
    localStorage.setItem("vb-alert-sound", soundBox.checked ? "1" : "0");
    if (soundBox.checked) ensureAudio(); // created inside the click: browsers allow it then
  });
}

if (notifyButton) {
  const supported = "Notification" in window;
  notifyButton.hidden = !supported || Notification.permission !== "default";
  notifyButton.addEventListener("click", async () => {
    await Notification.requestPermission();
    notifyButton.hidden = Notification.permission !== "default";
  });
}

function ensureAudio() {
  if (!audio && window.AudioContext) audio = new AudioContext();
  return audio;
}

function ring() {
  if (!soundBox?.checked) return;
  const ctx = ensureAudio();
  if (!ctx) return;
  const tone = ctx.createOscillator();
  const gain = ctx.createGain();
  tone.frequency.value = 660;
  gain.gain.setValueAtTime(0.15, ctx.currentTime);
  gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.6);
  tone.connect(gain).connect(ctx.destination);
  tone.start();
  tone.stop(ctx.currentTime + 0.6);
}

function notify(count) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  try {
    // No name, no group: a notification may show on a shared screen.
    new Notification(t("notify_title"), { body: t("waiting_title", { count }), tag: "vb-waiting" });
  } catch (err) {
    console.warn("waiting alerts: notification failed", err);
  }
}

/** How long each waiting person has waited, in whole minutes. */
function tick() {
  const now = Date.now();
  for (const li of document.querySelectorAll("li.waiting-entry")) {
    const since = li.querySelector("time[datetime]");
    if (!since) continue;
    const started = new Date(since.dateTime);
    if (Number.isNaN(started.getTime())) continue;
    const minutes = Math.max(0, Math.floor((now - started.getTime()) / 60000));
    let waited = li.querySelector(".waited");
    if (!waited) {
      waited = document.createElement("span");
      waited.className = "waited";
      (li.querySelector(".waiting-info") || li).append(" ", waited);
    }
    const text = t("waited", { minutes });
    writeStatus(waited, text);
  }
}

export function waitingChanged() {
  const count = document.querySelectorAll("li.waiting-entry").length;
  document.title = count > 0 ? `${t("waiting_title", { count })} · ${baseTitle}` : baseTitle;
  for (const node of document.querySelectorAll("[data-hide-when-waiting]")) node.hidden = count > 0;
  if (primed && count > lastCount) {
    ring();
    notify(count);
  }
  primed = true;
  lastCount = count;
  tick();
}

setInterval(tick, 15000);
