// The "this browser cannot make video calls" box (templates/_unsupported.html) of the
// landing page, the pre-call check and the call page: shown, and its class reported to
// the attempt log once, when the browser lacks what a call needs (capable.js).
import { missingCapability } from "./capable.js";
import { t } from "./i18n.js";

/** Show the box for what is missing (null when nothing is); report it when `report`. */
export function tellIfUnsupported({ report = true } = {}) {
  const missing = missingCapability();
  const box = document.getElementById("unsupported");
  if (!missing || !box) return missing;
  const reason = document.getElementById("unsupported-reason");
  if (reason) reason.textContent = t(`unsupported_${missing}`);
  const link = document.getElementById("unsupported-link");
  if (link && !link.value) link.value = location.href;
  box.dataset.reason = missing;
  box.hidden = false;
  const url = box.dataset.reportUrl;
  if (report && url) {
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ kind: "browser", detail: missing }),
      credentials: "same-origin",
      keepalive: true, // still delivered when the person follows a link at once
    })
      .then(() => (box.dataset.reported = "true")) // a hook for tests
      .catch(() => {});
  }
  return missing;
}
