// What the document-photo add-on shows (photo.js): its message line, the progress of a
// transfer, and the list of photos received on this page.
import { t } from "./i18n.js";
import { writeStatus } from "./page.js";

export const MAX_MB = 10;
export const MAX_PHOTOS = 20; // received per page: each stays in memory until the page closes

export class PhotoView {
  constructor() {
    this.takeBtn = document.getElementById("photo-take");
    this.pickBtn = document.getElementById("photo-pick");
    this.progressBox = document.getElementById("photo-progress");
    this.progressBar = this.progressBox.querySelector("progress");
    this.progressText = document.getElementById("photo-progress-text");
    this.messageEl = document.getElementById("photo-message");
    this.list = document.getElementById("photo-list");
    const lang = document.documentElement.lang || undefined;
    this.mbFormat = new Intl.NumberFormat(lang, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
    this.percentFormat = new Intl.NumberFormat(lang, { style: "percent" });
  }

  clear() {
    this.messageEl.textContent = "";
    delete this.messageEl.dataset.code;
    delete this.messageEl.dataset.kind;
  }

  say(code, kind = "info") {
    this.messageEl.textContent = t(`photo_${code}`, { limit: MAX_MB, max: MAX_PHOTOS });
    this.messageEl.dataset.code = code;
    this.messageEl.dataset.kind = kind;
  }

  /** Buttons and progress for `canSend`, the `outgoing` and the `incoming` transfer. */
  render(canSend, outgoing, incoming) {
    if (this.takeBtn) this.takeBtn.disabled = !canSend;
    if (this.pickBtn) this.pickBtn.disabled = !canSend;
    const job = outgoing?.stage === "sending" ? outgoing : incoming;
    const busy = Boolean(outgoing || incoming);
    this.progressBox.hidden = !busy;
    if (!busy) return;
    let text;
    if (job) {
      const done = job === outgoing ? job.sent : job.received;
      const share = job.size ? done / job.size : 0;
      this.progressBar.value = Math.round(share * 100);
      text = t(job === outgoing ? "photo_sending" : "photo_receiving", { percent: this.percentFormat.format(share) });
    } else {
      this.progressBar.removeAttribute("value"); // preparing or waiting: indeterminate
      text = t(outgoing.stage === "preparing" ? "photo_preparing" : "photo_sent_waiting");
    }
    writeStatus(this.progressText, text);
  }

  /** Add the `n`th received photo (`url` of its blob) with a save link. */
  show(n, url, size, sha256) {
    const item = document.createElement("li");
    item.dataset.sha256 = sha256;
    const figure = document.createElement("figure");
    const img = document.createElement("img");
    img.src = url;
    img.alt = t("photo_alt", { n });
    const caption = document.createElement("figcaption");
    caption.textContent = `${t("photo_caption", { n, mb: this.mbFormat.format(size / 1e6) })} `;
    const save = document.createElement("a");
    save.href = url;
    save.download = t("photo_filename", { n });
    save.className = "btn";
    save.textContent = t("photo_save");
    caption.append(save);
    figure.append(img, caption);
    item.append(figure);
    this.list.append(item);
  }
}
