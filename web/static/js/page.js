// Small helpers every page script shares: status lines, leaving and coming back, what a
// getUserMedia failure means to the person in front of the camera, a page load's id.

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
 * Fetch now, all at once, the modules listed (JSON, by the server: web/assets.py's
 * versioned URLs) in the element `id`: a module this page imports dynamically, and what
 * it imports, arrive in one round trip instead of one per level of imports.
 */
export function preloadModules(id) {
  for (const href of listed(id)) {
    const link = document.createElement("link");
    link.rel = "modulepreload";
    link.href = href;
    document.head.append(link);
  }
}

function listed(id) {
  const list = document.getElementById(id);
  if (!list) return [];
  try {
    const urls = JSON.parse(list.textContent);
    return Array.isArray(urls) ? urls.filter((url) => typeof url === "string") : [];
  } catch {
    return [];
  }
}

/**
 * Fetch into the cache, once this page has loaded and the network is quiet, what the next
 * page will need (the call page's modules, listed by the server in #prefetch). Started
 * only after "load", so it never competes with this page's own loading on a slow line.
 */
export function prefetchWhenIdle() {
  const urls = listed("prefetch");
  if (!urls.length) return;
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

const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/**
 * A random per-page-load id (22 chars of [A-Za-z0-9_-], ~132 bits).
 * The alphabet has 64 symbols, so `byte & 63` is unbiased.
 */
export function newInstanceId(length = 22) {
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let id = "";
  for (const byte of bytes) id += ID_ALPHABET[byte & 63];
  return id;
}
