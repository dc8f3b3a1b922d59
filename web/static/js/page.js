// Small helpers every page script shares: status lines, leaving and coming back, and
// what a getUserMedia failure means to the person in front of the camera.

/**
 * Write `text` into a live region, only when it changed: screen readers re-announce
 * every write, even of the same words.
 */
export function writeStatus(el, text) {
  if (el && el.textContent !== text) el.textContent = text;
}

/**
 * `hide()` when the page is left (navigation, reload, tab close), so sockets close
 * cleanly; a page restored from the back/forward cache has lost its sockets and media
 * and starts afresh.
 */
export function onPageLeave(hide) {
  window.addEventListener("pagehide", () => hide());
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) location.reload();
  });
}

/**
 * The message key for a getUserMedia error: "media_denied" (the person or the browser
 * said no), "media_missing" (no such device, or none that fits) or "media_failed"
 * (anything else, e.g. the camera is in use elsewhere).
 */
export function mediaErrorKey(err) {
  const name = err?.name;
  if (name === "NotAllowedError" || name === "SecurityError") return "media_denied";
  if (name === "NotFoundError" || name === "OverconstrainedError") return "media_missing";
  return "media_failed";
}
