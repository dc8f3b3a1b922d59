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

/**
 * Fetch into the cache, once this page has loaded and the network is quiet, what the next
 * page will need (the call page's modules, listed by the server in #prefetch). Started
 * only after "load", so it never competes with this page's own loading on a slow line.
 */
export function prefetchWhenIdle() {
  const list = document.getElementById("prefetch");
  if (!list) return;
  let urls = [];
  try {
    urls = JSON.parse(list.textContent);
  } catch {
    return;
  }
  const start = () => {
    for (const href of urls) {
      const link = document.createElement("link");
      link.rel = "prefetch";
      link.href = href;
      link.crossOrigin = "anonymous"; // as module scripts fetch: the cache entry then matches
      document.head.append(link);
    }
  };
  const later = () => ("requestIdleCallback" in window ? requestIdleCallback(start, { timeout: 2000 }) : setTimeout(start, 200));
  if (document.readyState === "complete") later();
  else addEventListener("load", later, { once: true });
}
